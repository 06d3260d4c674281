//! Our `init` as PID 1 of a container: the stop signals container managers
//! send, each followed from the signal to the end of the namespace. LXC's
//! `lxc-stop` sends SIGPWR (a `powerwait` entry shuts down), systemd's
//! `machinectl` SIGRTMIN+4 (SIGRTMIN+3 for halt), and `docker stop` SIGTERM,
//! then SIGKILL after 10 s. Debian's sysvinit ignores SIGTERM, so `docker
//! stop` always ends with that SIGKILL; ours, as PID 1 of a PID namespace
//! other than the host's, takes SIGTERM as SIGRTMIN+4 (see init(8),
//! DIFFERENCES). The reference run with Debian's init shows the difference.

mod common;
use common::debian_pkg;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use nix::sys::signal::Signal;

/// A safety net for each wait; nothing here depends on how fast things happen.
const WAIT: Duration = Duration::from_secs(60);

/// A container's inittab: its level 0 powers off with `halt -f` (the
/// namespace ends: the kernel kills its init with SIGINT).
const INITTAB: &str = "\
id:2:initdefault:
l0:0:wait:/bin/sh -c 'echo LEVEL-0-REACHED INIT_HALT=$INIT_HALT; exec /sbin/halt -d -f'
l2:2:wait:/bin/echo LEVEL-2-UP
pf::powerwait:/sbin/shutdown -h now
";

fn booted() -> (TestRoot, Pid1) {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    let pid1 = root.boot(&[]);
    pid1.expect_console("LEVEL-2-UP", WAIT);
    pid1.expect_console("INIT: no more processes left in this runlevel", WAIT);
    (root, pid1)
}

/// Sends a signal by number (nix has no real-time signals) from the host.
fn send(pid1: &Pid1, signal: i32) {
    let status = std::process::Command::new(common::host_tool("kill"))
        .arg(format!("-{signal}"))
        .arg(pid1.host_pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal}");
}

/// The namespace goes through level 0 and ends by `reboot(2)`.
fn powers_off(pid1: &Pid1, init_halt: &str) {
    pid1.expect_console("INIT: Switching to runlevel: 0", WAIT);
    reaches_level_0_and_exits(pid1, init_halt);
}

/// Level 0's entry ran and the container ended as `halt -d -f` ends it.
fn reaches_level_0_and_exits(pid1: &Pid1, init_halt: &str) {
    pid1.expect_console(&format!("LEVEL-0-REACHED INIT_HALT={init_halt}"), WAIT);
    let status = pid1.wait_exit(WAIT).expect("the container ends");
    assert_eq!(
        status.signal(),
        Some(Signal::SIGINT as i32),
        "{status:?}\n{}",
        pid1.console()
    );
}

#[test]
fn lxc_stop_sigpwr_runs_the_powerwait_entry() {
    let (_root, pid1) = booted();
    // No /run/powerstatus: a power failure, as lxc-stop means it.
    pid1.signal(Signal::SIGPWR);
    powers_off(&pid1, "");
}

#[test]
fn machinectl_poweroff_sigrtmin_4_powers_off() {
    let (_root, pid1) = booted();
    send(&pid1, libc::SIGRTMIN() + 4);
    powers_off(&pid1, "POWEROFF");
}

#[test]
fn machinectl_halt_sigrtmin_3_powers_off_too() {
    let (_root, pid1) = booted();
    send(&pid1, libc::SIGRTMIN() + 3);
    powers_off(&pid1, "POWEROFF");
}

#[test]
fn docker_stop_sigterm_powers_off_a_containers_init() {
    let (_root, pid1) = booted();
    pid1.signal(Signal::SIGTERM);
    powers_off(&pid1, "POWEROFF");
}

/// The reference: Debian's sysvinit as PID 1 of the same kind of namespace
/// ignores SIGTERM (and so would be SIGKILLed by `docker stop`), while it
/// does stop on LXC's SIGPWR.
#[test]
fn debian_init_ignores_sigterm_and_stops_on_sigpwr() {
    let root = TestRoot::new();
    debian_pkg::install_real(&root, "init", "debian/sbin/init");
    root.write("etc/inittab", INITTAB);
    let pid1 = root.boot_program(&["/debian/sbin/init"]);
    pid1.expect_console("LEVEL-2-UP", WAIT);
    pid1.signal(Signal::SIGTERM);
    // Still there, and still serving requests, after a round trip through
    // its FIFO.
    let output = pid1.run(&["/sbin/telinit", "3"]);
    assert!(output.status.success(), "{output:?}");
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    assert!(pid1.wait_exit(Duration::from_millis(500)).is_none());
    assert!(!pid1.console().contains("LEVEL-0-REACHED"));
    pid1.signal(Signal::SIGPWR);
    // sysvinit writes its console lines without blocking, so on a loaded
    // machine its "Switching to runlevel: 0" can be dropped: the level 0
    // entry's own line is the proof.
    reaches_level_0_and_exits(&pid1, "");
}
