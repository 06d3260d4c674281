//! A service's cgroup limits on a kernel that has every controller (Debian's, in the demo's
//! VM): `memory.max`, `pids.max` and `cpu.weight` from its settings file reach its cgroup
//! before rc starts it, init's restart after a crash writes the file's new values, and a
//! line removed is put back to the kernel's default at the next run of its script
//! (`service`). (The namespace tests cannot see this: the host's cgroup2 has none of these
//! controllers.)

mod common;

use common::demo::{self, PROMPT, STEP_TIMEOUT};
use common::vm::Vm;

const SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          limited
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: a daemon with limits
### END INIT INFO
case "$1" in
start) ( setsid sh -c 'echo $$ >/run/limited.pid; exec sleep 300001' </dev/null >/dev/null 2>&1 & ) ;;
stop) [ -r /run/limited.pid ] && kill $(cat /run/limited.pid); rm -f /run/limited.pid; true ;;
restart) "$0" stop; "$0" start ;;
esac
"#;

/// PID 1 as the kernel starts it in the demo, but with /sys mounted first, as Debian's
/// initramfs leaves it, so that init finds where to mount cgroup2 at boot.
const WITH_SYS: &str = "#!/bin/sh\nmount -t sysfs sysfs /sys\nexec /sbin/init\n";

fn run(vm: &Vm, command: &str) -> String {
    // The console echoes the command line: the marker is the shell's sum, not its text.
    vm.send_line(&format!("{command}; echo END-OF-$((40 + 2))"));
    let output = vm
        .expect("END-OF-42\r\n", STEP_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}"));
    vm.expect(PROMPT, STEP_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}"));
    output
}

#[test]
fn vm_cgroup_limits_reach_the_service_s_cgroup() {
    let initramfs = demo::initramfs();
    initramfs.write_exec("etc/init.d/limited", SCRIPT);
    initramfs.enable_service("limited");
    initramfs.write(
        "etc/vinit/supervise.d/limited",
        "memory.max=64M\npids.max=50\ncpu.weight=50\n",
    );
    initramfs.write_exec("sbin/init-with-sys", WITH_SYS);
    let vm = Vm::boot_rdinit(&initramfs, "/sbin/init-with-sys", demo::CMDLINE);
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    check(vm.expect("login: ", STEP_TIMEOUT));
    vm.send_line("root");
    check(vm.expect(PROMPT, STEP_TIMEOUT));
    let dir = "/sys/fs/cgroup/vinit/limited";
    let out = run(
        &vm,
        &format!(
            "cat {dir}/memory.max {dir}/pids.max {dir}/cpu.weight; wc -l < {dir}/cgroup.procs"
        ),
    );
    assert!(
        out.contains("67108864\r\n50\r\n50\r\n1\r\n"),
        "{out}\n{}",
        vm.transcript()
    );
    assert!(!vm.transcript().contains("not set"), "{}", vm.transcript());
    // New values, and a crash: init's restart writes them (cpu.weight's line is gone).
    run(
        &vm,
        "printf 'memory.max=32M\\npids.max=40\\n' > /etc/vinit/supervise.d/.new && \
         mv /etc/vinit/supervise.d/.new /etc/vinit/supervise.d/limited && \
         vinit supervise --reload && kill -SEGV $(cat /run/limited.pid)",
    );
    let out = run(
        &vm,
        &format!(
            "for i in $(seq 60); do [ \"$(cat {dir}/pids.max)\" = 40 ] && break; sleep 1; done; \
             cat {dir}/memory.max {dir}/pids.max {dir}/cpu.weight"
        ),
    );
    assert!(
        out.contains("33554432\r\n40\r\n100\r\n"),
        "{out}\n{}",
        vm.transcript()
    );
    // The memory line removed: the next run of the script puts the kernel's default back.
    run(
        &vm,
        "printf 'pids.max=50\\n' > /etc/vinit/supervise.d/.new && \
         mv /etc/vinit/supervise.d/.new /etc/vinit/supervise.d/limited",
    );
    run(&vm, "service limited restart");
    let out = run(
        &vm,
        &format!("cat {dir}/memory.max {dir}/pids.max {dir}/cpu.weight"),
    );
    assert!(
        out.contains("max\r\n50\r\n100\r\n"),
        "{out}\n{}",
        vm.transcript()
    );
}
