//! Every service a cgroup, on a real distribution: the Debian bookworm root of `vm_debian`
//! with our init, rc, service and LSB hook, its init scripts unchanged, plus three test
//! scripts of our own (a daemon without a pid file, one that leaves a child that ignores
//! SIGTERM, one whose stop hangs).
//!
//! Checked: nginx's master and workers share nginx's cgroup; cron started by hand
//! (`/etc/init.d/cron start`, through Debian's /lib/lsb/init-functions and our hook) lands in
//! cron's; a supervised daemon without a pid file comes back after SIGSEGV; `service NAME
//! stop` leaves nothing of a service whose daemon has a TERM-ignoring child; on `poweroff`
//! the hung stop is killed at its stop_timeout, named with its processes, and the machine
//! powers off.

mod common;

use std::fs;
use std::path::Path;
use std::time::Instant;

use common::debian::{
    POWEROFF_TIMEOUT, RootCopy, Shell, boot_and_log_in, debian_root, install_rc_and_service,
    install_vinit,
};

/// An LSB script of the kind Debian ships (it sources /lib/lsb/init-functions).
fn script(name: &str, start: &str, stop: &str) -> String {
    format!(
        r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: {name}, a test daemon
### END INIT INFO
. /lib/lsb/init-functions
case "$1" in
start) {start} ;;
stop) {stop} ;;
restart) "$0" stop; "$0" start ;;
*) echo "Usage: $0 {{start|stop|restart}}" >&2; exit 3 ;;
esac
"#
    )
}

/// Our test services, enabled with Debian's own update-rc.d (insserv) in the guest later.
fn install_test_services(root: &Path) {
    let services = [
        (
            "nopidd",
            "( setsid sh -c 'exec sleep 1000001' </dev/null >/dev/null 2>&1 & )",
            "pkill -f 'sleep 1000001'; true",
        ),
        (
            "stubbornd",
            "( setsid sh -c 'trap \"\" TERM; sleep 1000002 & trap - TERM; exec sleep 1000003' </dev/null >/dev/null 2>&1 & )",
            "pkill -f 'sleep 1000003'; true",
        ),
        (
            "hangstop",
            "( setsid sh -c 'exec sleep 1000004' </dev/null >/dev/null 2>&1 & )",
            "sleep 100000",
        ),
    ];
    for (name, start, stop) in services {
        let path = root.join("etc/init.d").join(name);
        fs::write(&path, script(name, start, stop)).expect("write a test script");
        let mut perms = fs::metadata(&path).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(&path, perms).expect("chmod a test script");
    }
}

/// The cgroup (`0::PATH`) of each pid `pgrep ARGS` finds, one per line.
fn cgroups_of(shell: &mut Shell, pgrep: &str) -> Vec<String> {
    let out = shell.ok(&format!(
        "for p in $(pgrep {pgrep}); do sed -n 's/^0:://p' /proc/$p/cgroup; done"
    ));
    out.lines().map(str::to_string).collect()
}

/// Waits in the guest (once a second, at most two minutes) until `test` succeeds.
fn wait_for(shell: &mut Shell, test: &str) {
    shell.ok(&format!(
        "for i in $(seq 120); do {test} && break; sleep 1; done; {test}"
    ));
}

#[test]
fn vm_services_in_cgroups() {
    let started = Instant::now();
    let root = RootCopy::of(&debian_root());
    install_vinit(&root.path());
    install_rc_and_service(
        &root.path(),
        &[
            ("nginx", "memory.max=256M\nrlimit_nofile=4096\n"),
            ("nopidd", ""),
            ("stubbornd", "restart=no\nstop_timeout=3\n"),
            ("hangstop", "restart=no\nstop_timeout=3\n"),
        ],
    );
    install_test_services(&root.path());
    let vm = boot_and_log_in(&root.path());
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    let mut shell = Shell::new(&vm);
    // Enabled now, with Debian's update-rc.d, and started by rc as a level change would.
    shell.ok("for s in nopidd stubbornd hangstop; do update-rc.d $s defaults; done");
    shell.ok("for s in nopidd stubbornd hangstop; do service $s start; done");

    // nginx's master and its workers: all in nginx's cgroup.
    let nginx = cgroups_of(&mut shell, "-x nginx");
    assert!(nginx.len() >= 2, "{nginx:?}");
    assert!(nginx.iter().all(|c| c == "/vinit/nginx"), "{nginx:?}");

    // nginx's limits, from its settings file, reach its cgroup and its master.
    assert_eq!(
        shell.ok("cat /sys/fs/cgroup/vinit/nginx/memory.max"),
        "268435456"
    );
    let nofile = shell.ok("grep 'Max open files' /proc/$(cat /run/nginx.pid)/limits");
    assert!(
        nofile
            .split_whitespace()
            .skip(3)
            .take(2)
            .all(|n| n == "4096"),
        "{nofile}"
    );
    // And vinit status shows its memory and processes.
    let status = shell.ok("NO_COLOR=1 /lib/vinit/vinit status");
    let row = status
        .lines()
        .find(|line| line.starts_with("nginx "))
        .unwrap_or_else(|| panic!("no nginx row in\n{status}"));
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert!(
        fields
            .get(3)
            .is_some_and(|procs| procs.parse::<u32>().is_ok_and(|n| n >= 2)),
        "{row}"
    );
    assert!(row.contains("KiB") || row.contains("MiB"), "{row}");
    let one = shell.ok("NO_COLOR=1 /lib/vinit/vinit status nginx");
    eprintln!("vinit status nginx:\n{one}");
    assert!(
        one.contains("nginx: worker process") && one.contains("memory.max"),
        "{one}"
    );

    // rcS's scripts too, those that ran before /proc was mounted included.
    shell.ok("test -d /sys/fs/cgroup/vinit/mountkernfs.sh");

    // cron, stopped and started by hand: Debian's init-functions run our hook.
    shell.ok("/etc/init.d/cron stop; /etc/init.d/cron start");
    wait_for(&mut shell, "pgrep -x cron >/dev/null");
    assert_eq!(cgroups_of(&mut shell, "-x cron"), ["/vinit/cron"]);

    // A supervised daemon that writes no pid file comes back after a crash.
    let first = shell.ok("pgrep -f 'sleep 1000001'");
    assert_eq!(
        cgroups_of(&mut shell, "-f 'sleep 1000001'"),
        ["/vinit/nopidd"]
    );
    shell.ok(&format!("kill -SEGV {first}"));
    wait_for(
        &mut shell,
        &format!("p=$(pgrep -f 'sleep 1000001') && [ \"$p\" != {first} ]"),
    );

    // A stop leaves nothing behind: the child that ignores SIGTERM gets SIGKILL.
    assert_eq!(cgroups_of(&mut shell, "-f 'sleep 100000[23]'").len(), 2);
    let said = shell.ok("service stubbornd stop");
    assert!(said.contains("left behind"), "{said}");
    assert!(said.contains("SIGKILL"), "{said}");
    shell.ok("! pgrep -f 'sleep 100000[23]'");
    shell.ok("[ -z \"$(cat /sys/fs/cgroup/vinit/stubbornd/cgroup.procs)\" ]");

    // The way down: hangstop's stop hangs, and is killed at its stop_timeout.
    vm.send_line("poweroff");
    check(vm.expect(
        "still running at the stop timeout, killed with its processes: ",
        POWEROFF_TIMEOUT,
    ));
    check(vm.expect("reboot: Power down", POWEROFF_TIMEOUT));
    let exit = vm.wait_exit(POWEROFF_TIMEOUT);
    assert!(exit.is_some_and(|s| s.success()), "QEMU exit: {exit:?}");
    let transcript = vm.transcript();
    assert!(
        transcript.contains("(sleep, waiting in "),
        "the hung stop's processes are not named:\n{transcript}"
    );
    assert!(
        transcript.contains("[FAIL] Stopping hangstop failed (timed out after 3 s)"),
        "{transcript}"
    );
    // What `service stubbornd stop` killed was part of the stop.
    assert!(
        !transcript.contains("service stubbornd (pid"),
        "{transcript}"
    );
    eprintln!(
        "done after {:.1?}\ntranscript:\n{transcript}",
        started.elapsed()
    );
}
