//! A Buildroot-style BusyBox system in the VM (docs/compatibility.md §11): an initramfs of
//! Debian's busybox-static with Buildroot's kind of /etc/inittab, an /etc/init.d/rcS that
//! starts the `S??*` scripts and an rcK that stops them, BusyBox's shell, getty, login and
//! halt/reboot/poweroff; only /sbin/init (and `vinit status`) is vinit's. The same checks run
//! with BusyBox's own init as /sbin/init, the reference: both boot in the same order, run
//! the shutdown entries when BusyBox's `poweroff` asks, and power the machine off.

mod common;

use std::time::Duration;

use common::debian::{Shell, strip_terminal};
use common::vm::{Initramfs, Vm};

/// Safety nets only (TCG on a busy machine).
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);
const STEP_TIMEOUT: Duration = Duration::from_secs(180);

const PROMPT: &str = "buildroot# ";

/// Buildroot's kind of inittab (its default, with a `wait` and a `once` entry added to see
/// BusyBox's order).
const INITTAB: &str = "\
# Startup the system
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/mkdir -p /dev/pts /dev/shm
::sysinit:/bin/mount -t devpts devpts /dev/pts
::sysinit:/bin/hostname -F /etc/hostname
# now run any rc scripts
::sysinit:/etc/init.d/rcS

::wait:/bin/sh -c 'echo \"wait entry\" >> /tmp/events; echo $$ > /tmp/wait.pid'
::once:/bin/sh -c 'echo \"once entry\" >> /tmp/events; echo $$ > /tmp/once.pid'

# Put a getty on the serial port
console::respawn:/sbin/getty -L  console 0 vt100 # GENERIC_SERIAL

# Stuff to do before rebooting
::shutdown:/etc/init.d/rcK
::shutdown:/bin/umount -a -r
::restart:/sbin/init
";

/// Starts each `S??*` script of /etc/init.d in name order, as Buildroot's rcS does.
const RCS: &str = "#!/bin/sh\nfor script in /etc/init.d/S??*; do\n\t[ -x \"$script\" ] && \"$script\" start\ndone\n";
/// Stops them in the reverse order, as Buildroot's rcK does.
const RCK: &str = "#!/bin/sh\nfor script in $(ls -r /etc/init.d/S??*); do\n\t[ -x \"$script\" ] && \"$script\" stop\ndone\n";

/// An init script that says when it starts and stops.
fn service(name: &str) -> String {
    format!(
        "#!/bin/sh\ncase \"$1\" in\nstart) echo \"{name} start\" >> /tmp/events; echo $$ > /tmp/{name}.pid ;;\n\
         stop) echo \"{name} STOPPED\" ;;\nesac\n"
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Init {
    Vinit,
    BusyBox,
}

/// The initramfs: everything BusyBox's but /sbin/init when `init` is vinit (and vinit's own
/// command, for `vinit status`).
fn buildroot(init: Init) -> Initramfs {
    let root = Initramfs::new();
    for ours in [
        "sbin/telinit",
        "sbin/runlevel",
        "sbin/rc",
        "sbin/shutdown",
        "usr/sbin/service",
        "usr/sbin/update-rc.d",
    ] {
        std::fs::remove_file(root.join(ours)).unwrap_or_else(|e| panic!("remove {ours}: {e}"));
    }
    for applet in ["sbin/halt", "sbin/reboot", "sbin/poweroff", "bin/sh"] {
        root.symlink("/bin/busybox", applet);
    }
    if init == Init::BusyBox {
        root.symlink("/bin/busybox", "sbin/init");
    }
    for example in std::fs::read_dir(root.join("etc/init.d")).expect("etc/init.d") {
        std::fs::remove_file(example.expect("entry").path()).expect("remove an example");
    }
    root.write("etc/inittab", INITTAB);
    root.write_exec("etc/init.d/rcS", RCS);
    root.write_exec("etc/init.d/rcK", RCK);
    root.write_exec("etc/init.d/S10first", service("S10first"));
    root.write_exec("etc/init.d/S20second", service("S20second"));
    root.write("etc/hostname", "buildroot\n");
    root.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    // BusyBox's login lets root in with an empty password.
    root.write("etc/shadow", "root::0:0:99999:7:::\n");
    root.write("etc/profile", format!("export PS1='{PROMPT}'\n"));
    root
}

/// Boots the system with `init`, logs in on the getty, checks the boot order and (for
/// vinit) `vinit status`, then runs BusyBox's `poweroff` and checks the shutdown entries ran
/// and the machine powered off. Returns the serial console's transcript.
fn boot_run_and_power_off(init: Init) -> String {
    let vm = Vm::boot(&buildroot(init), "");
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{init:?}: {e}"));
    check(vm.expect("buildroot login: ", BOOT_TIMEOUT));
    vm.send_line("root");
    check(vm.expect(PROMPT, STEP_TIMEOUT));
    let mut shell = Shell::at(&vm, PROMPT);

    // The once entry runs beside the getty: wait (a bounded while) for its line.
    shell.ok("n=0; until grep -q once /tmp/events || [ $n -ge 60 ]; do sleep 1; n=$((n+1)); done");
    assert_eq!(
        shell.ok("cat /tmp/events"),
        "S10first start\nS20second start\nwait entry\nonce entry",
        "{init:?}"
    );
    // Started in that order: sysinit's scripts, the wait entry, the once entry, then the
    // respawn entry, the getty (the parent of this login shell).
    let pids: Vec<u32> = shell
        .ok("cat /tmp/S10first.pid /tmp/S20second.pid /tmp/wait.pid /tmp/once.pid; echo $PPID")
        .lines()
        .map(|line| line.trim().parse().expect("a PID"))
        .collect();
    assert!(pids.windows(2).all(|w| w[0] < w[1]), "{init:?}: {pids:?}");
    let getty = pids.last().copied().unwrap_or_default();

    if init == Init::Vinit {
        assert_eq!(shell.ok("readlink /proc/1/exe"), "/lib/vinit/vinit");
        let status = shell.ok("vinit status");
        assert!(
            status.starts_with("Runlevel  none: a BusyBox inittab has no runlevels"),
            "{status}"
        );
        let getty_pid = getty.to_string();
        assert!(
            status.lines().any(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                words
                    .windows(3)
                    .any(|w| w == ["respawn", "running", getty_pid.as_str()])
            }),
            "the getty {getty} is not the running respawn entry in:\n{status}"
        );
        for (action, state, process) in [
            ("sysinit", "done", "/etc/init.d/rcS"),
            ("wait", "done", "/bin/sh -c"),
            ("respawn", "running", "/sbin/getty -L  console 0 vt100"),
            ("shutdown", "waiting", "/etc/init.d/rcK"),
            ("restart", "waiting", "/sbin/init"),
        ] {
            assert!(
                status.lines().any(|line| {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    words.windows(2).any(|w| w == [action, state]) && line.contains(process)
                }),
                "no {action} {state} {process} in:\n{status}"
            );
        }
    }

    // BusyBox's own poweroff: it signals PID 1 (SIGUSR2).
    vm.send_line("poweroff");
    let down = strip_terminal(&check(vm.expect("reboot: Power down", STEP_TIMEOUT)));
    let at = |needle: &str| {
        down.find(needle)
            .unwrap_or_else(|| panic!("{init:?}: no {needle:?} on the way down:\n{down}"))
    };
    assert!(at("S20second STOPPED") < at("S10first STOPPED"), "{down}");
    assert!(
        at("S10first STOPPED") < at("The system is going down NOW!"),
        "{down}"
    );
    let status = vm
        .wait_exit(STEP_TIMEOUT)
        .expect("QEMU exits after the power off");
    assert!(
        status.success(),
        "{init:?}: {status:?}\n{}",
        vm.transcript()
    );
    vm.transcript()
}

#[test]
fn vm_busybox_buildroot_with_vinit_as_init() {
    let transcript = boot_run_and_power_off(Init::Vinit);
    assert!(transcript.contains("INIT: version vinit-"), "{transcript}");
}

/// The reference: the same system and checks with BusyBox's own init.
#[test]
fn vm_busybox_buildroot_with_busyboxs_init() {
    let transcript = boot_run_and_power_off(Init::BusyBox);
    assert!(!transcript.contains("INIT: version vinit-"), "{transcript}");
}
