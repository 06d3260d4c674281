//! Our `init` as PID 1 of a fresh PID namespace, chrooted into a BusyBox
//! root, its console a pty: boot, levels, respawn, reaping, signals, the
//! FIFO, re-exec. Timeouts are safety nets only; every assertion waits for
//! the console line or file that proves the step happened.

mod common;

use std::time::Duration;

use common::ns::TestRoot;
use common::procfs;
use nix::sys::signal::Signal;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn boots_to_initdefault_with_the_sysvinit_environment() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
si::sysinit:/bin/sh -c 'echo SYSINIT RUNLEVEL=$RUNLEVEL PREVLEVEL=$PREVLEVEL'
st::sysinit:/bin/sh -c 'cat /proc/1/cmdline > /tmp/title; cat /proc/$$/stat > /tmp/si.stat'
sg:2:wait:/bin/sh -c 'exec grep ^Sig /proc/self/status > /tmp/o2.sig'
o2:2:once:/bin/sh -c 'cat /proc/$$/stat > /tmp/o2.stat; env > /tmp/env.txt; echo ONCE-DONE'
",
    );
    // A stale record from "the previous boot": utmp is truncated at boot.
    let mut stale = vec![0u8; vinit::utmp::RECORD_LEN];
    stale[0] = vinit::utmp::USER_PROCESS as u8;
    root.write("run/utmp", &stale);
    let pid1 = root.boot(&[]);
    pid1.expect_console("booting", WAIT);
    pid1.expect_console("SYSINIT RUNLEVEL=S PREVLEVEL=N", WAIT);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    pid1.expect_console("ONCE-DONE", WAIT);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");
    assert_eq!(root.read("run/runlevel"), "2");
    let utmp = vinit::utmp::Record::read_all(&root.join("run/utmp")).expect("utmp");
    assert!(
        utmp.iter()
            .all(|record| record.ut_type != vinit::utmp::USER_PROCESS),
        "utmp was not truncated: {utmp:?}"
    );
    assert!(
        utmp.iter()
            .any(|record| record.ut_type == vinit::utmp::BOOT_TIME)
    );
    // Default dispositions and an empty mask for every signal, glibc's 32
    // and 33 too (the harness starts init through posix_spawn, which leaves
    // those two ignored). grep reads its own status: a waiting dash blocks
    // every signal for a moment, so the shell's own would be a race.
    let signals = root.read("tmp/o2.sig");
    for field in ["SigBlk", "SigIgn"] {
        assert!(
            signals.contains(&format!("{field}:\t0000000000000000\n")),
            "{field} not empty in a child of init:\n{signals}"
        );
    }
    let env = root.read("tmp/env.txt");
    for var in [
        "RUNLEVEL=2",
        "PREVLEVEL=N",
        "CONSOLE=/dev/console",
        "INIT_VERSION=sysvinit-3.06",
        "SHELL=/bin/sh",
        "PATH=/sbin:/usr/sbin:/bin:/usr/bin",
        "HOME=/",
        "TERM=linux",
    ] {
        assert!(
            env.lines().any(|line| line == var),
            "{var} missing in:\n{env}"
        );
    }
    // During the boot phases the title is `init boot` (invoke-rc.d checks).
    assert_eq!(root.read("tmp/title").trim_end_matches('\0'), "init boot");
    // /proc/PID/stat: pid (comm) state ppid pgrp session tty_nr ...
    let stat = |rel: &str| -> Vec<i64> {
        let text = root.read(rel);
        let after_comm = text.rsplit_once(')').expect("stat").1;
        after_comm
            .split_whitespace()
            .skip(1)
            .take(4)
            .map(|field| field.parse().expect("number"))
            .collect()
    };
    // A sysinit entry: its own session, the console as controlling tty, and
    // an intermediate process in between (parent is not init).
    let si = stat("tmp/si.stat");
    assert_ne!(si[0], 1, "sysinit child should have an intermediate parent");
    assert_ne!(si[3], 0, "sysinit child has no controlling tty");
    // A normal entry: child of init, session and group leader, no tty.
    let o2 = stat("tmp/o2.stat");
    let o2_pid: i64 = root
        .read("tmp/o2.stat")
        .split_whitespace()
        .next()
        .and_then(|pid| pid.parse().ok())
        .expect("pid");
    assert_eq!(o2, [1, o2_pid, o2_pid, 0]);
    // The process title that invoke-rc.d looks for.
    let ps = pid1.run_ok(&["/bin/cat", "/proc/1/cmdline"]);
    assert_eq!(ps.trim_end_matches('\0'), "init [2]");
}

/// The INIT_PROCESS records wtmp has for entry `id`.
fn starts_in_wtmp(root: &TestRoot, id: &str) -> usize {
    vinit::utmp::Record::read_all(&root.join("var/log/wtmp"))
        .expect("read wtmp")
        .iter()
        .filter(|record| record.ut_type == vinit::utmp::INIT_PROCESS && record.id == id)
        .count()
}

#[test]
fn respawn_limiter_disables_after_ten_runs_until_telinit_q() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nf1:2:respawn:/bin/false\n",
    );
    let pid1 = root.boot(&[]);
    let too_fast = "INIT: Id \"f1\" respawning too fast: disabled for 5 minutes";
    pid1.expect_console(too_fast, WAIT);
    assert_eq!(starts_in_wtmp(&root, "f1"), 10);
    pid1.run_ok(&["/sbin/telinit", "q"]);
    pid1.expect_console(too_fast, WAIT);
    assert_eq!(starts_in_wtmp(&root, "f1"), 20);
}

#[test]
fn level_change_kills_a_term_ignoring_child_after_sleep_time() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
t2:2:respawn:/bin/sh -c 'trap \"\" TERM; echo STUBBORN-UP; while :; do sleep 1; done'
l3:3:wait:/bin/echo LEVEL-3-RUNS
",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("STUBBORN-UP", WAIT);
    pid1.run_ok(&["/sbin/telinit", "-t", "1", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    pid1.expect_console(
        "INIT: Sending processes configured via /etc/inittab the TERM signal",
        WAIT,
    );
    pid1.expect_console(
        "INIT: Sending processes configured via /etc/inittab the KILL signal",
        WAIT,
    );
    let transcript = pid1.expect_console("LEVEL-3-RUNS", WAIT);
    assert!(!transcript.contains("seems to hang"), "{transcript}");
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "2 3\n");
    let ps = pid1.run_ok(&["/bin/ps", "-o", "args"]);
    assert!(!ps.contains("trap"), "the stubborn shell survived:\n{ps}");
}

#[test]
fn a_thousand_orphans_are_reaped() {
    let root = TestRoot::new();
    root.write_exec(
        "bin/orphans",
        "#!/bin/sh\ni=0\nwhile [ $i -lt 1000 ]; do (/bin/true &); i=$((i+1)); done\necho FORKED-ALL\n",
    );
    root.write("etc/inittab", "id:2:initdefault:\nz:2:once:/bin/orphans\n");
    let pid1 = root.boot(&[]);
    pid1.expect_console("FORKED-ALL", WAIT);
    let zombies = || procfs::zombies(pid1.host_pid());
    let clean = common::poll_until(WAIT, || zombies().is_empty().then_some(()));
    assert!(clean.is_some(), "zombies left: {:?}", zombies());
}

/// Waits until `rel` (inside the root) satisfies `done` on its text (or its
/// absence, as `None`).
fn wait_file(root: &TestRoot, rel: &str, done: impl Fn(Option<&str>) -> bool) {
    let ready = common::poll_until(WAIT, || {
        let text = std::fs::read_to_string(root.join(rel)).ok();
        done(text.as_deref()).then_some(())
    });
    assert!(ready.is_some(), "{rel} never became as expected");
}

#[test]
fn signals_arm_power_ctrlaltdel_and_kbrequest_entries() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
pf::powerfail:/bin/echo POWERFAIL-RAN
pw::powerwait:/bin/echo POWERWAIT-RAN
po::powerokwait:/bin/echo POWEROK-RAN
pn::powerfailnow:/bin/echo POWERFAILNOW-RAN
ca::ctrlaltdel:/bin/echo CTRLALTDEL-RAN
kb::kbrequest:/bin/echo KBREQUEST-RAN
",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    for (status, ran) in [
        ("O", "POWEROK-RAN"),
        ("L", "POWERFAILNOW-RAN"),
        ("F", "POWERWAIT-RAN"),
    ] {
        root.write("run/powerstatus", status);
        pid1.signal(Signal::SIGPWR);
        pid1.expect_console(ran, WAIT);
        wait_file(&root, "run/powerstatus", |text| text.is_none());
    }
    // No status file: a power failure.
    pid1.signal(Signal::SIGPWR);
    pid1.expect_console("POWERWAIT-RAN", WAIT);
    pid1.signal(Signal::SIGINT);
    pid1.expect_console("CTRLALTDEL-RAN", WAIT);
    pid1.signal(Signal::SIGWINCH);
    pid1.expect_console("KBREQUEST-RAN", WAIT);
    // SIGQUIT is ignored, as by sysvinit. (SIGTERM powers off a
    // container's init: tests/ns_container.rs.)
    pid1.signal(Signal::SIGQUIT);
    pid1.run_ok(&["/sbin/telinit", "5"]);
    pid1.expect_console("INIT: Switching to runlevel: 5", WAIT);
    assert!(pid1.wait_exit(Duration::from_millis(200)).is_none());
}

#[test]
fn bogus_fifo_packets_are_reported_and_harmless() {
    let root = TestRoot::new();
    root.write("etc/inittab", "id:2:initdefault:\n");
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    let fifo = common::poll_until(WAIT, || {
        common::ns::is_fifo(&root, "run/initctl").then_some(())
    });
    assert!(fifo.is_some(), "no /run/initctl FIFO");
    let send = |bytes: &[u8]| common::ns::write_initctl(&root, bytes);
    send(b"short");
    pid1.expect_console("INIT: got bogus initrequest", WAIT);
    let mut wrong_magic = vinit::initctl::Request::runlevel(b'3', 3).encode();
    wrong_magic[0] ^= 0xff;
    send(&wrong_magic);
    pid1.expect_console("INIT: got bogus initrequest", WAIT);
    let mut unknown = vinit::initctl::Request::runlevel(b'3', 3);
    unknown.cmd = 9;
    send(&unknown.encode());
    pid1.expect_console("INIT: got unimplemented initrequest.", WAIT);
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "2 3\n");
}

#[test]
fn sighup_with_a_broken_inittab_keeps_the_running_configuration() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\na:2:respawn:/bin/sh -c 'echo $$ > /tmp/a.pid; echo A-UP; exec sleep 1000'\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("A-UP", WAIT);
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nb:2:respawn:/bin/echo B-UP\nbad line\n",
    );
    pid1.signal(Signal::SIGHUP);
    pid1.expect_console(
        "INIT: /etc/inittab:3:1: id field too long (max 4 characters)",
        WAIT,
    );
    pid1.expect_console(
        "INIT: configuration not applied: keeping the previous one",
        WAIT,
    );
    // `a` is still supervised: killed, it comes back.
    let pid = root.read("tmp/a.pid");
    pid1.run_ok(&["/bin/kill", pid.trim()]);
    let transcript = pid1.expect_console("A-UP", WAIT);
    assert!(!transcript.contains("B-UP"), "{transcript}");
}

#[test]
fn reexec_keeps_supervising_children_started_before_it() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nr:2:respawn:/bin/sh -c 'echo $$ > /tmp/r.pid; echo R-UP $INIT_X; exec sleep 1000'\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("R-UP", WAIT);
    pid1.run_ok(&["/sbin/telinit", "-e", "INIT_X=kept"]);
    pid1.run_ok(&["/sbin/telinit", "u"]);
    pid1.expect_console("reloading", WAIT);
    let old = root.read("tmp/r.pid");
    pid1.run_ok(&["/bin/kill", old.trim()]);
    pid1.expect_console("R-UP kept", WAIT);
    wait_file(&root, "tmp/r.pid", |text| text.is_some_and(|t| t != old));
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");
    let title = pid1.run_ok(&["/bin/cat", "/proc/1/cmdline"]);
    assert_eq!(title.trim_end_matches('\0'), "init [2]");
}

/// sysvinit clears the respawn limiter at `telinit u`; vinit hands it over
/// (see man/init.8), so a disabled entry stays disabled.
#[test]
fn reexec_keeps_a_disabled_respawn_entry_disabled() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nf1:2:respawn:/bin/false\nkb::kbrequest:/bin/sh -c 'env > /tmp/kb.env; echo KB-DONE'\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console(
        "INIT: Id \"f1\" respawning too fast: disabled for 5 minutes",
        WAIT,
    );
    pid1.run_ok(&["/sbin/telinit", "u"]);
    pid1.expect_console("reloading", WAIT);
    // The new init's first pass (which would restart f1 if its limiter had
    // been lost) runs before it handles the SIGWINCH, so KB-DONE marks it done.
    pid1.signal(nix::sys::signal::Signal::SIGWINCH);
    pid1.expect_console("KB-DONE", WAIT);
    assert_eq!(starts_in_wtmp(&root, "f1"), 10);
    let child_env = root.read("tmp/kb.env");
    assert!(child_env.contains("RUNLEVEL=2"), "{child_env}");
    assert!(
        !child_env.contains("VINIT"),
        "the hand-over leaked into a child's environment: {child_env}"
    );
}

/// As Debian's sysvinit, init mounts sysfs on /sys before the first script
/// (Debian's mountkernfs.sh mounts securityfs under it before mounting /sys).
#[test]
fn sysfs_is_mounted_before_sysinit() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nsi::sysinit:/bin/sh -c 'grep \" /sys sysfs \" /proc/mounts > /tmp/sys.mount; echo SI-DONE'\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("SI-DONE", WAIT);
    let mounts = root.read("tmp/sys.mount");
    assert!(mounts.starts_with("sysfs /sys sysfs "), "{mounts:?}");
}

#[test]
fn missing_inittab_asks_for_the_runlevel_on_the_console() {
    let root = TestRoot::new();
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: No inittab file found", WAIT);
    pid1.expect_console("Enter runlevel: ", WAIT);
    pid1.type_console("4\n");
    pid1.expect_console("INIT: Entering runlevel: 4", WAIT);
    pid1.expect_console("INIT: no more processes left in this runlevel", WAIT);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 4\n");
}

#[test]
fn container_stop_signal_runs_shutdown() {
    let root = TestRoot::new();
    root.write("etc/inittab", "id:2:initdefault:\n");
    root.write_exec("sbin/shutdown", "#!/bin/sh\necho SHUTDOWN-CALLED \"$@\"\n");
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    // nix has no real-time signals: send SIGRTMIN+4 with kill(1).
    let status = std::process::Command::new(common::host_tool("kill"))
        .arg(format!("-{}", libc::SIGRTMIN() + 4))
        .arg(pid1.host_pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    pid1.expect_console("SHUTDOWN-CALLED -hP now", WAIT);
    // SIGRTMIN+3 does the same; the entry runs again.
    let status = std::process::Command::new(common::host_tool("kill"))
        .arg(format!("-{}", libc::SIGRTMIN() + 3))
        .arg(pid1.host_pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    pid1.expect_console("SHUTDOWN-CALLED -hP now", WAIT);
}

#[test]
fn fifo_is_recreated_reopened_and_closed_on_demand() {
    let root = TestRoot::new();
    root.write("etc/inittab", "id:2:initdefault:\n");
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: no more processes left in this runlevel", WAIT);
    // The FIFO as the namespace sees it (mounts included).
    let fifo_in_ns = format!("/proc/{}/root/run/initctl", pid1.host_pid());
    let is_fifo = || {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(&fifo_in_ns).is_ok_and(|meta| meta.file_type().is_fifo())
    };
    let reappears = || common::poll_until(WAIT, || is_fifo().then_some(())).is_some();

    // Removed while init is idle: recreated without any other event.
    pid1.run_ok(&["/bin/rm", "/run/initctl"]);
    assert!(reappears(), "/run/initctl was not recreated");
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);

    // Hidden by a tmpfs mounted over /run: made again in the new /run.
    pid1.run_ok(&["/bin/mount", "-t", "tmpfs", "tmpfs", "/run"]);
    assert!(reappears(), "/run/initctl not made on the new /run");
    pid1.run_ok(&["/sbin/telinit", "4"]);
    pid1.expect_console("INIT: Switching to runlevel: 4", WAIT);

    // SIGUSR2 closes it (telinit times out), SIGUSR1 opens it again.
    pid1.signal(Signal::SIGUSR2);
    let refused = common::poll_until(WAIT, || {
        let output = pid1.run(&["/sbin/telinit", "q"]);
        (!output.status.success()).then_some(output)
    })
    .expect("telinit kept working after SIGUSR2");
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("timeout opening/writing control channel"),
        "{refused:?}"
    );
    pid1.signal(Signal::SIGUSR1);
    pid1.run_ok(&["/sbin/telinit", "5"]);
    pid1.expect_console("INIT: Switching to runlevel: 5", WAIT);
}

/// A stand-in for sulogin that reports how it was run and ends at once.
const FAKE_SULOGIN: &str =
    "#!/bin/sh\necho \"SULOGIN RUNLEVEL=$RUNLEVEL PREVLEVEL=$PREVLEVEL $*\"\n";

#[test]
fn emergency_shell_runs_before_the_boot() {
    let root = TestRoot::new();
    root.write_exec("sbin/sulogin", FAKE_SULOGIN);
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nsi::sysinit:/bin/echo SYSINIT-RAN\n",
    );
    let pid1 = root.boot(&["emergency"]);
    pid1.expect_console("SULOGIN RUNLEVEL=S PREVLEVEL=N", WAIT);
    pid1.expect_console("SYSINIT-RAN", WAIT);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
}

#[test]
fn single_user_at_boot_and_by_telinit_s() {
    let root = TestRoot::new();
    root.write_exec("sbin/sulogin", FAKE_SULOGIN);
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
bw::bootwait:/bin/echo BOOTWAIT-RAN
~~:S:wait:/sbin/sulogin --force
",
    );
    let pid1 = root.boot(&["single"]);
    // Single-user first; the boot entries only when it ends.
    let transcript = pid1.expect_console("SULOGIN RUNLEVEL=S PREVLEVEL=N --force", WAIT);
    assert!(!transcript.contains("BOOTWAIT-RAN"), "{transcript}");
    pid1.expect_console("BOOTWAIT-RAN", WAIT);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");

    pid1.run_ok(&["/sbin/telinit", "S"]);
    pid1.expect_console("INIT: Going single user", WAIT);
    pid1.expect_console("SULOGIN RUNLEVEL=S PREVLEVEL=2 --force", WAIT);
    // sulogin ended: back to the default level, from S.
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "S 2\n");
}

#[test]
fn sigtstp_holds_requests_until_sigcont() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nl3:3:wait:/bin/echo LEVEL-3-RUNS\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    pid1.signal(Signal::SIGTSTP);
    // Once stopped, a request waits in the FIFO.
    pid1.run_ok(&["/sbin/telinit", "3"]);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");
    pid1.signal(Signal::SIGCONT);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    pid1.expect_console("LEVEL-3-RUNS", WAIT);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "2 3\n");
}

#[test]
fn an_idle_init_does_not_wake_up() {
    let root = TestRoot::new();
    root.write("etc/inittab", "id:2:initdefault:\n");
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: no more processes left in this runlevel", WAIT);
    // Each return from poll() is a voluntary context switch.
    let switches = || procfs::status_field(pid1.host_pid(), "voluntary_ctxt_switches");
    let before = switches();
    // sysvinit would wake up at least once in 6 s (its 5 s FIFO timeout).
    std::thread::sleep(Duration::from_secs(6));
    let after = switches();
    assert!(
        after <= before + 1,
        "PID 1 woke up {} times while idle",
        after - before
    );
    // The counter does see wake-ups: a request is one.
    pid1.run_ok(&["/sbin/telinit", "5"]);
    pid1.expect_console("INIT: Switching to runlevel: 5", WAIT);
    // (Counted when it goes back to sleep, which may be a moment later.)
    let counted = common::poll_until(WAIT, || (switches() > after).then_some(()));
    assert!(counted.is_some(), "a request did not count as a wake-up");
}

#[test]
fn exec_paths_initscript_enoexec_and_failures() {
    let root = TestRoot::new();
    root.write_exec("bin/noshebang", "echo NOSHEBANG-RAN \"$RUNLEVEL\"\n");
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
n:2:wait:/bin/noshebang
m:2:wait:/bin/does-not-exist
p:2:wait:env
",
    );
    let pid1 = root.boot(&["auto", "2"]);
    // A script without #! runs through /bin/sh; PATH lookup uses the
    // child's PATH; a missing program is reported.
    pid1.expect_console("NOSHEBANG-RAN 2", WAIT);
    pid1.expect_console("INIT: cannot execute \"/bin/does-not-exist\"", WAIT);
    pid1.expect_console("AUTOBOOT=YES", WAIT);

    // With /etc/initscript, every entry runs through it (outside S).
    root.write(
        "etc/initscript",
        "echo INITSCRIPT \"$1|$2|$3|$4\"\neval exec \"$4\"\n",
    );
    root.write(
        "etc/inittab",
        "id:2:initdefault:\no3:3:once:/bin/echo VIA-INITSCRIPT\n",
    );
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INITSCRIPT o3|3|once|/bin/echo VIA-INITSCRIPT", WAIT);
    pid1.expect_console("VIA-INITSCRIPT", WAIT);
}
