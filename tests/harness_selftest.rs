//! Proves the test harness itself, with BusyBox's init in place of ours: staging, roots,
//! namespaces (PID 1, console pty both ways, nsenter, signals, reboot(2) confined to the
//! namespace, cleanup) and the VM (kernel, initramfs, serial console both ways, monitor,
//! power off, Ctrl-Alt-Del).

mod common;

use std::path::Path;
use std::time::Duration;

use common::ns::TestRoot;
use common::vm::{Initramfs, Vm};
use nix::sys::signal::Signal;
use std::os::unix::process::ExitStatusExt;

const WAIT: Duration = Duration::from_secs(30);

/// A BusyBox inittab (`id:runlevels:action:process` with empty runlevels).
const BUSYBOX_INITTAB: &str = "\
::sysinit:/bin/echo HARNESS-OK
::once:/bin/sh -c 'read line; echo \"GOT:$line\"'
::shutdown:/bin/echo HARNESS-BYE
";

fn busybox_root() -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", BUSYBOX_INITTAB);
    root
}

#[test]
fn stage_installs_binary_and_names() {
    let stage = common::stage();
    assert!(stage.join("lib/vinit/vinit").is_file());
    for name in [
        "init", "telinit", "runlevel", "rc", "shutdown", "halt", "reboot", "poweroff",
    ] {
        let link = std::fs::read_link(stage.join("sbin").join(name)).expect(name);
        assert_eq!(link, Path::new("../lib/vinit/vinit"), "sbin/{name}");
    }
    for name in ["service", "update-rc.d"] {
        let link = std::fs::read_link(stage.join("usr/sbin").join(name)).expect(name);
        assert_eq!(link, Path::new("../../lib/vinit/vinit"), "usr/sbin/{name}");
    }
}

#[test]
fn root_has_busybox_without_shadowing_our_names() {
    let root = TestRoot::new();
    for name in [
        "init", "halt", "reboot", "poweroff", "telinit", "runlevel", "shutdown",
    ] {
        let link = std::fs::read_link(root.join(&format!("sbin/{name}"))).expect(name);
        assert_eq!(
            link,
            Path::new("../lib/vinit/vinit"),
            "sbin/{name} must be ours"
        );
    }
    assert_eq!(
        std::fs::read_link(root.join("bin/sh")).expect("bin/sh"),
        Path::new("dash")
    );
    assert_eq!(
        std::fs::read_link(root.join("bin/ls")).expect("bin/ls"),
        Path::new("/bin/busybox")
    );
    assert_eq!(root.read("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    assert_eq!(root.read_bytes("run/utmp"), b"");
    assert_eq!(
        std::fs::read_link(root.join("var/run")).expect("var/run"),
        Path::new("../run")
    );
    root.write_exec("etc/init.d/hello", "#!/bin/sh\necho hello\n");
    assert_eq!(root.read("/etc/init.d/hello"), "#!/bin/sh\necho hello\n");
}

#[test]
fn busybox_init_is_pid1_with_console_and_nsenter() {
    let root = busybox_root();
    let pid1 = root.boot_program(&["/bin/busybox", "init"]);
    pid1.wait_console("HARNESS-OK", WAIT).unwrap();

    // The console pty works both ways: a `once` entry reads what we type.
    pid1.type_console("hello\n");
    pid1.wait_console("GOT:hello", WAIT).unwrap();

    // Commands run inside the namespace and root see busybox init as PID 1.
    let out = pid1.run(&["/bin/cat", "/proc/1/cmdline"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"/bin/busybox\0init\0");
    let out = pid1.run(&["/bin/sh", "-c", "echo $$; ls /etc/inittab"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let pid: i32 = lines.next().unwrap().parse().unwrap();
    assert!(pid > 1, "a second process of the namespace, not PID {pid}");
    assert_eq!(lines.next(), Some("/etc/inittab"));
    assert_ne!(pid1.host_pid(), 1);

    // Scripts find our names: /bin/sh is dash, not BusyBox's ash, which would run its own
    // halt/reboot/poweroff applets before searching PATH.
    let out = pid1.run(&[
        "/bin/sh",
        "-c",
        "for n in poweroff halt reboot init; do command -v $n; done",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/sbin/poweroff\n/sbin/halt\n/sbin/reboot\n/sbin/init\n"
    );

    // Our binary runs in the root (it has its shared libraries, when it needs any):
    // bare, it prints its usage and exits 2.
    let out = pid1.run(&["/lib/vinit/vinit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Usage: vinit COMMAND"),
        "{out:?}"
    );
}

#[test]
fn reboot_in_the_namespace_ends_only_the_namespace() {
    let root = busybox_root();
    let pid1 = root.boot_program(&["/bin/busybox", "init"]);
    pid1.wait_console("HARNESS-OK", WAIT).unwrap();
    // BusyBox init powers off on SIGUSR2: shutdown entries, then reboot(RB_POWER_OFF),
    // which in a PID namespace kills its init with SIGINT.
    pid1.signal(Signal::SIGUSR2);
    pid1.wait_console("HARNESS-BYE", WAIT).unwrap();
    let status = pid1.wait_exit(WAIT).expect("PID 1 ends after poweroff");
    assert_eq!(status.signal(), Some(Signal::SIGINT as i32), "{status:?}");
}

#[test]
fn namespaces_are_separate_and_dropping_kills_them() {
    let (a, b) = (busybox_root(), busybox_root());
    b.write("etc/inittab", "::sysinit:/bin/echo OTHER-ROOT\n");
    let (pid1_a, pid1_b) = (
        a.boot_program(&["/bin/busybox", "init"]),
        b.boot_program(&["/bin/busybox", "init"]),
    );
    pid1_a.wait_console("HARNESS-OK", WAIT).unwrap();
    pid1_b.wait_console("OTHER-ROOT", WAIT).unwrap();
    assert!(!pid1_a.console().contains("OTHER-ROOT"));
    a.write("marker", "a");
    let out = pid1_b.run(&[
        "/bin/sh",
        "-c",
        "test -e /marker && echo leaked || echo separate",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "separate\n");

    let host_pid = pid1_a.host_pid();
    let child = pid1_a.run(&[
        "/bin/sh",
        "-c",
        "sleep 1000 </dev/null >/dev/null 2>&1 & echo $!",
    ]);
    assert!(child.status.success(), "{child:?}");
    drop(pid1_a);
    assert!(
        !Path::new(&format!("/proc/{host_pid}")).exists(),
        "PID 1 (host PID {host_pid}) still exists after drop"
    );
    // PID 1 of namespace b is untouched.
    let out = pid1_b.run(&["/bin/true"]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn wait_console_reports_the_transcript() {
    let root = busybox_root();
    let pid1 = root.boot_program(&["/bin/busybox", "init"]);
    pid1.wait_console("HARNESS-OK", WAIT).unwrap();
    let err = pid1
        .wait_console("NEVER-PRINTED", Duration::from_millis(300))
        .unwrap_err();
    assert!(
        err.contains("NEVER-PRINTED") && err.contains("HARNESS-OK"),
        "{err}"
    );
}

/// Under TCG a boot takes seconds; this is only a safety net.
const VM_WAIT: Duration = Duration::from_secs(120);

/// A shell script as PID 1 of the VM: prints a marker, echoes a line typed on the serial
/// console, then powers off, or waits for Ctrl-Alt-Del if the line was `cad`.
const VM_SCRIPT_INIT: &str = "#!/bin/sh
echo VM-HARNESS-OK
read line
echo \"GOT:$line\"
if [ \"$line\" = cad ]; then
    echo WAITING-FOR-CAD
    while :; do /bin/busybox sleep 1; done
fi
exec /bin/busybox poweroff -f
";

fn script_vm() -> Vm {
    let initramfs = Initramfs::new();
    initramfs.write_exec("harness-init", VM_SCRIPT_INIT);
    let vm = Vm::boot_rdinit(&initramfs, "/harness-init", "");
    vm.expect("VM-HARNESS-OK", VM_WAIT).unwrap();
    vm
}

#[test]
fn vm_serial_console_and_poweroff() {
    let vm = script_vm();
    assert!(vm.monitor("info status").contains("running"));
    vm.send_line("hello");
    vm.expect("GOT:hello", VM_WAIT).unwrap();
    vm.expect("reboot: Power down", VM_WAIT).unwrap();
    let status = vm.wait_exit(VM_WAIT).expect("QEMU exits after power off");
    assert!(status.success(), "{status:?}\n{}", vm.transcript());
}

#[test]
fn vm_monitor_sends_ctrl_alt_del() {
    let vm = script_vm();
    vm.send_line("cad");
    vm.expect("WAITING-FOR-CAD", VM_WAIT).unwrap();
    // With Ctrl-Alt-Del not handed to init (no reboot(RB_DISABLE_CAD)), the kernel restarts
    // at once, and -no-reboot makes QEMU exit.
    vm.monitor("sendkey ctrl-alt-delete");
    vm.expect("reboot: Restarting system", VM_WAIT).unwrap();
    let status = vm.wait_exit(VM_WAIT).expect("QEMU exits on reboot");
    assert!(status.success(), "{status:?}\n{}", vm.transcript());
}
