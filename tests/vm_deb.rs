//! The Debian package (`make deb`) on a running Debian: the VM suite's bookworm root
//! (`scripts/debian-root.sh`) boots with Debian's own sysvinit as PID 1, and the package is
//! installed with apt, offline (the VM has no network), as an administrator would.
//!
//! `vm_debian_deb_handover`: `apt-get install ./vinit_*.deb` takes sysvinit-core's place and
//! its postinst hands PID 1 over live (`telinit u`): PID 1 is vinit, the runlevel is still
//! `N 2`, the daemons run with the same pids, and `telinit 0` powers the machine off.
//!
//! `vm_debian_deb_rollback`: the same install, then back to sysvinit with the command the
//! README gives (`apt-get install --purge ./sysvinit-core_*.deb vinit-`): sysvinit-core's
//! postinst runs `init u`, vinit hands PID 1 back to Debian's sysvinit, whose files are as
//! Debian ships them, and `poweroff` powers off.
//!
//! Debian's `init` metapackage (Essential on a full install, though debootstrap's minbase
//! leaves it out) is installed first, so the test shows that it stays satisfied throughout.

mod common;
use common::debian_pkg;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::debian::{POWEROFF_TIMEOUT, RootCopy, Shell, boot_and_log_in, debian_root};
use common::vm::Vm;
use common::{describe, vinit_bin};

/// Daemons of the Debian root whose processes must live through each handover.
const DAEMONS: &[&str] = &["cron", "sshd", "nginx"];

#[test]
fn vm_debian_deb_handover() {
    let started = Instant::now();
    let root = prepared_root();
    let vm = boot_and_log_in(&root.path());
    let mut shell = Shell::new(&vm);
    let daemons = daemon_pids(&mut shell);
    let inittab = shell.ok("md5sum /etc/inittab");

    install_vinit(&mut shell);
    assert_eq!(shell.ok("runlevel"), "N 2", "runlevel after the handover");
    assert!(
        shell.ok("who -r").contains("run-level 2"),
        "utmp's RUN_LVL record is kept"
    );
    assert_eq!(
        daemon_pids(&mut shell),
        daemons,
        "daemons live through the handover"
    );
    let status = shell.ok("service --status-all");
    for service in ["cron", "ssh", "nginx"] {
        assert!(
            status
                .lines()
                .any(|l| l.trim_start().starts_with("[ + ]") && l.ends_with(service)),
            "service --status-all shows {service} running:\n{status}"
        );
    }
    // The package left Debian's inittab alone and owns the programs sysvinit-core had.
    assert_eq!(
        shell.ok("md5sum /etc/inittab"),
        inittab,
        "/etc/inittab is kept"
    );
    assert_eq!(shell.ok("dpkg -S /sbin/init"), "vinit: /sbin/init");
    shell.ok("dpkg --verify vinit");
    eprintln!("handed over and checked after {:.1?}", started.elapsed());

    vm.send_line("telinit 0");
    powered_off(&vm);
    eprintln!("powered off after {:.1?}", started.elapsed());
}

#[test]
fn vm_debian_deb_rollback() {
    let started = Instant::now();
    let root = prepared_root();
    let vm = boot_and_log_in(&root.path());
    let mut shell = Shell::new(&vm);
    let daemons = daemon_pids(&mut shell);
    let inittab = shell.ok("md5sum /etc/inittab");
    install_vinit(&mut shell);

    let out = shell.ok("cd /root && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y --purge ./sysvinit-core_*.deb vinit-");
    assert!(
        out.contains("Purging configuration files for vinit"),
        "apt purges vinit:\n{out}"
    );
    // sysvinit-core's postinst ran `init u`; init re-executes itself at once.
    let pid1 = shell.ok(
        "for i in $(seq 20); do [ \"$(readlink /proc/1/exe)\" = /usr/sbin/init ] && break; \
         sleep 0.5; done; readlink /proc/1/exe",
    );
    assert_eq!(
        pid1, "/usr/sbin/init",
        "PID 1 is Debian's sysvinit again:\n{out}"
    );
    assert_eq!(
        shell.ok("runlevel"),
        "N 2",
        "runlevel after the handover back"
    );
    assert_eq!(
        daemon_pids(&mut shell),
        daemons,
        "daemons live through both handovers"
    );
    // Every file of sysvinit-core is as Debian ships it, and vinit left nothing behind.
    shell.ok("dpkg --verify sysvinit-core init");
    assert_eq!(
        shell.run("dpkg-query -W -f='${Status}' vinit"),
        "dpkg-query: no packages found matching vinit"
    );
    shell.ok("! ls -d /usr/lib/vinit /var/log/vinit /usr/share/vinit");
    assert_eq!(
        shell.ok("md5sum /etc/inittab"),
        inittab,
        "/etc/inittab is kept"
    );
    shell.ok("cmp /usr/share/sysvinit/inittab /etc/inittab");
    eprintln!("handed back and checked after {:.1?}", started.elapsed());

    vm.send_line("poweroff");
    powered_off(&vm);
    eprintln!("powered off after {:.1?}", started.elapsed());
}

/// A copy of the Debian root with, in /root, the package `make deb` builds from the binary
/// under test, and Debian's sysvinit-core and init packages (fetched on the host with
/// `apt-get download`, as the VM has no network).
fn prepared_root() -> RootCopy {
    let root = RootCopy::of(&debian_root());
    let home = root.path().join("root");
    let built = tempfile::tempdir().expect("tempdir for the package");
    let debs = [
        build_deb(built.path()),
        downloaded_deb("sysvinit-core"),
        downloaded_deb("init"),
    ];
    for deb in debs {
        let name = deb.file_name().expect("a .deb file name");
        fs::copy(&deb, home.join(name)).expect("copy a package into the root");
    }
    root
}

/// `make deb` with the binary cargo built for this test (no nested cargo build).
fn build_deb(dir: &Path) -> PathBuf {
    let out = Command::new("make")
        .args(["-s", "-C", env!("CARGO_MANIFEST_DIR"), "deb"])
        .arg(format!("BIN={}", vinit_bin().display()))
        .arg(format!("DEB_DIR={}", dir.display()))
        .output()
        .expect("run make deb");
    assert!(out.status.success(), "make deb: {}", describe(&out));
    let deb = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        deb.is_file(),
        "make deb names its package: {}",
        describe(&out)
    );
    deb
}

/// The .deb of a Debian package, downloaded once under the target dir.
fn downloaded_deb(package: &str) -> PathBuf {
    let unpacked = debian_pkg::unpacked(package);
    let debs = unpacked
        .parent()
        .expect("debian-pkg/<package>")
        .join("debs");
    fs::read_dir(&debs)
        .unwrap_or_else(|e| panic!("{}: {e}", debs.display()))
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{package}_")))
        })
        .unwrap_or_else(|| panic!("apt-get download {package} left no .deb"))
}

/// `pidof` of each of [`DAEMONS`], which must all run.
fn daemon_pids(shell: &mut Shell) -> Vec<String> {
    DAEMONS
        .iter()
        .map(|daemon| {
            let pids = shell.ok(&format!("pidof {daemon}"));
            assert!(!pids.is_empty(), "{daemon} runs");
            pids
        })
        .collect()
}

/// Installs Debian's init metapackage, then vinit's package with apt, offline; checks that
/// the postinst handed PID 1 over to vinit.
fn install_vinit(shell: &mut Shell) {
    assert_eq!(
        shell.ok("readlink /proc/1/exe"),
        "/usr/sbin/init",
        "PID 1 is sysvinit"
    );
    shell.ok("dpkg -i /root/init_*.deb");
    let out =
        shell.ok("cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y ./vinit_*.deb");
    assert!(
        out.contains("Removing sysvinit-core") && out.contains("done, PID 1 is vinit."),
        "apt replaces sysvinit-core and the postinst hands PID 1 over:\n{out}"
    );
    assert_eq!(
        shell.ok("readlink /proc/1/exe"),
        "/usr/lib/vinit/vinit",
        "PID 1 is vinit (/lib -> usr/lib)"
    );
    shell.ok("dpkg --verify init");
}

/// Waits for the kernel's power-down and QEMU's exit.
fn powered_off(vm: &Vm) {
    vm.expect("reboot: Power down", POWEROFF_TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}"));
    let exit = vm.wait_exit(POWEROFF_TIMEOUT);
    assert!(
        exit.is_some_and(|s| s.success()),
        "QEMU exits after the power-down ({exit:?}); transcript:\n{}",
        vm.transcript()
    );
}
