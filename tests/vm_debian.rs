//! A real distribution boots: a Debian bookworm minbase root made by debootstrap
//! (`scripts/debian-root.sh`: sysvinit-core, sysv-rc, insserv, startpar, initscripts, cron,
//! openssh-server, nginx), booted under QEMU from an NVMe disk with Debian's cloud kernel.
//!
//! Debian's /etc/inittab, /etc/init.d/rc, startpar, insserv and init scripts are used as the
//! packages ship them (`dpkg --verify` and a `cmp` of the inittab in the guest prove it). The
//! only additions are a getty on the serial console in /etc/inittab.d/ and an empty root
//! password, so the test can log in. Each scenario logs in, checks `runlevel`, `who -r`, that cron and sshd run, `service
//! --status-all`, and powers off with `poweroff`: QEMU must exit after the kernel's
//! "reboot: Power down".
//!
//! `vm_debian_sysvinit_baseline` boots Debian's own sysvinit: it proves the root, the kernel
//! and the console flow. `vm_debian_vinit` boots the same root with our binaries in place of
//! sysvinit's `/sbin/{init,telinit,runlevel,shutdown,halt,reboot,poweroff}`.

mod common;

use std::path::Path;
use std::time::Instant;

use common::debian::{
    POWEROFF_TIMEOUT, REPLACED, RootCopy, Shell, boot_and_log_in, debian_root, install_vinit,
};

/// The Debian packages whose files must be exactly as shipped (`dpkg --verify`), conffiles
/// such as /etc/init.d/* included.
const VERIFIED_PACKAGES: &[&str] = &[
    "sysvinit-core",
    "sysvinit-utils",
    "sysv-rc",
    "initscripts",
    "insserv",
    "startpar",
    "init-system-helpers",
    "cron",
    "openssh-server",
];

#[test]
fn vm_debian_sysvinit_baseline() {
    let root = debian_root();
    let pid1 = boot_and_check(&root);
    assert_eq!(
        pid1, "/usr/sbin/init",
        "PID 1 is Debian's sysvinit (/sbin -> usr/sbin)"
    );
}

#[test]
fn vm_debian_vinit() {
    let root = RootCopy::of(&debian_root());
    install_vinit(&root.path());
    let pid1 = boot_and_check(&root.path());
    assert_eq!(
        pid1, "/usr/lib/vinit/vinit",
        "PID 1 is our binary (/lib -> usr/lib)"
    );
}

/// Boots `root`, logs in on the serial console and checks the booted system, then powers it
/// off. Returns the path of PID 1's executable as the guest sees it.
fn boot_and_check(root: &Path) -> String {
    let started = Instant::now();
    let vm = boot_and_log_in(root);
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));

    let mut shell = Shell::new(&vm);
    let pid1 = shell.run("readlink /proc/1/exe");
    assert_eq!(shell.ok("runlevel"), "N 2", "runlevel after boot");
    let who = shell.ok("who -r");
    assert!(
        who.contains("run-level 2"),
        "Debian's `who -r` reads our utmp: {who:?}"
    );
    for daemon in ["cron", "sshd"] {
        let pids = shell.ok(&format!("pidof {daemon}"));
        assert!(!pids.is_empty(), "{daemon} runs");
    }
    let status = shell.ok("service --status-all");
    for service in ["cron", "ssh"] {
        assert!(
            status
                .lines()
                .any(|l| l.trim_start().starts_with("[ + ]") && l.ends_with(service)),
            "service --status-all shows {service} running:\n{status}"
        );
    }
    // Lists every file that differs from its package: only the programs we replaced may.
    let changed = shell.run(&format!("dpkg --verify {}", VERIFIED_PACKAGES.join(" ")));
    for line in changed.lines() {
        assert!(
            REPLACED
                .iter()
                .any(|name| line.ends_with(&format!("/sbin/{name}"))),
            "only the replaced programs may differ from Debian's packages:\n{changed}"
        );
    }
    // Debian's mountkernfs.sh mounts securityfs before /sys: it relies on init having
    // mounted sysfs, as Debian's sysvinit does (through libselinux) and so does vinit.
    shell.ok("grep -q ' /sys/kernel/security securityfs ' /proc/mounts");
    // /etc/inittab is no conffile: sysvinit-core's postinst copies it from here.
    shell.ok("cmp /usr/share/sysvinit/inittab /etc/inittab");
    eprintln!("checks done after {:.1?}", started.elapsed());

    vm.send_line("poweroff");
    // Debian's /etc/init.d/halt, run by `rc 0`, says this just before `halt -d -f -i -p`.
    check(vm.expect("Will now halt.", POWEROFF_TIMEOUT));
    check(vm.expect("reboot: Power down", POWEROFF_TIMEOUT));
    let exit = vm.wait_exit(POWEROFF_TIMEOUT);
    assert!(
        exit.is_some_and(|s| s.success()),
        "QEMU exits after poweroff ({exit:?}); transcript:\n{}",
        vm.transcript()
    );
    eprintln!("powered off after {:.1?}", started.elapsed());
    // Shown by the test runner with --nocapture or when a later assertion fails.
    eprintln!("transcript:\n{}", vm.transcript());
    pid1
}
