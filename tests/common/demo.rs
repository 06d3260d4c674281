//! The demo (`make demo`, examples/demo.rs): a VM whose PID 1 is our init with the
//! repository's example inittab and init scripts, a root login on the serial console, and
//! a scripted tour (`make demo TOUR=1`, also run as a test in tests/vm_boot.rs).

use std::io::Write;
use std::time::Duration;

use super::vm::{Initramfs, Vm};

/// The shell prompt the demo sets, so the tour can tell when a command has finished.
pub const PROMPT: &str = "vinit-demo# ";

/// The example init scripts of `rc.d/` that the demo enables with our `update-rc.d`.
pub const SERVICES: &[&str] = &[
    "netdummy",
    "hostname-example",
    "exampled",
    "webdummy",
    "early-example",
    "local-example",
    "legacy-example",
];

/// What Debian's `mountkernfs.sh` and `hostname.sh` do at boot, as an rcS script of the
/// demo's own: the example scripts and the tour want /proc, and a login prompt a host name.
const KERNFS_SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          mountkernfs hostname
# Required-Start:
# Required-Stop:
# Default-Start:     S
# Default-Stop:
# Short-Description: vinit demo: mount /proc, /sys, /dev/pts; set the host name
### END INIT INFO
case "$1" in
start)
	# (BusyBox here has no mountpoint applet.)
	[ -e /proc/self ] || mount -t proc proc /proc
	[ -e /sys/kernel ] || mount -t sysfs sysfs /sys
	[ -e /dev/pts/ptmx ] || mount -t devpts devpts /dev/pts
	hostname -F /etc/hostname
	;;
stop|restart|force-reload|status) ;;
*) echo "Usage: $0 start" >&2; exit 3 ;;
esac
"#;

/// Under TCG a boot takes seconds; this is only a safety net.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// The demo's root: [`Initramfs::new`] (example inittab and init scripts), the example
/// services and a script mounting /proc and /sys enabled, root without a password (BusyBox login lets an empty one in), and a
/// prompt the tour can wait for.
pub fn initramfs() -> Initramfs {
    let initramfs = Initramfs::new();
    initramfs.write("etc/passwd", "root::0:0:root:/root:/bin/sh\n");
    initramfs.write("etc/hostname", "vinit-demo\n");
    initramfs.write(
        "etc/issue",
        "\nvinit demo: log in as root (no password). Leave with `poweroff`, or Ctrl-A X.\n\n",
    );
    initramfs.write(
        "etc/profile",
        format!("export PATH=/sbin:/usr/sbin:/bin:/usr/bin\nexport PS1='{PROMPT}'\n"),
    );
    initramfs.write_exec("etc/init.d/mountkernfs", KERNFS_SCRIPT);
    initramfs.enable_service("mountkernfs");
    for service in SERVICES {
        initramfs.enable_service(service);
    }
    initramfs
}

/// One step of the tour: what it shows, the command typed at the prompt, and what its
/// output must contain.
struct Step {
    says: &'static str,
    types: &'static str,
    expects: &'static str,
}

const TOUR: &[Step] = &[
    Step {
        says: "Which runlevel are we in? (utmp's RUN_LVL record: previous, current)",
        types: "runlevel",
        expects: "N 2",
    },
    Step {
        says: "PID 1 is vinit's multi-call binary",
        types: "readlink /proc/1/exe",
        expects: "/lib/vinit/vinit",
    },
    Step {
        says: "The example services the rc runner started for runlevel 2",
        types: "service --status-all",
        expects: "[ + ]  exampled",
    },
    Step {
        says: "The order in which the rc runner ran the example scripts (their own log)",
        types: "cat /run/rc-examples.log",
        expects: "local-example start",
    },
    Step {
        says: "Switch to runlevel 3 through /run/initctl",
        types: "telinit 3; sleep 1; runlevel",
        expects: "2 3",
    },
];

/// Kernel parameters of the demo: no kernel log on the console below warnings.
pub const CMDLINE: &str = "quiet";

/// Boots the demo VM and logs in as root, passing the console output to `show` as it comes.
pub fn boot_and_log_in(show: &mut dyn FnMut(&str)) -> Result<Vm, String> {
    let vm = Vm::boot(&initramfs(), CMDLINE);
    show(&vm.expect("INIT: Entering runlevel: 2", STEP_TIMEOUT)?);
    show(&vm.expect("login: ", STEP_TIMEOUT)?);
    vm.send_line("root");
    show(&vm.expect(PROMPT, STEP_TIMEOUT)?);
    Ok(vm)
}

/// Types `command` at the demo's prompt and waits for `expected` in its output, then for the
/// next prompt.
pub fn run_at_prompt(
    vm: &Vm,
    command: &str,
    expected: &str,
    show: &mut dyn FnMut(&str),
) -> Result<(), String> {
    vm.send_line(command);
    show(&vm.expect(expected, STEP_TIMEOUT)?);
    show(&vm.expect(PROMPT, STEP_TIMEOUT)?);
    Ok(())
}

/// Boots the demo VM, logs in, walks through [`TOUR`] and powers off, writing what it says
/// and the console transcript to `out` as it goes. Err says which step failed, with the
/// whole transcript.
pub fn tour(out: &mut dyn Write) -> Result<(), String> {
    let mut show = |text: &str| {
        let _ = out.write_all(printable(text).as_bytes());
        let _ = out.flush();
    };
    show("### Booting Debian's cloud kernel under QEMU with vinit as PID 1\n");
    let vm = boot_and_log_in(&mut show)?;
    for step in TOUR {
        show(&format!("\n### {}\n", step.says));
        run_at_prompt(&vm, step.types, step.expects, &mut show)?;
    }
    show("\n### Power off: shutdown through runlevel 0\n");
    vm.send_line("poweroff");
    show(&vm.expect("reboot: Power down", STEP_TIMEOUT)?);
    show("\n");
    match vm.wait_exit(STEP_TIMEOUT) {
        Some(status) if status.success() => Ok(()),
        other => Err(format!(
            "QEMU did not exit cleanly after power off: {other:?}\n{}",
            vm.transcript()
        )),
    }
}

/// Console text without carriage returns and terminal escape sequences (the firmware's
/// `ESC c` would clear the reader's terminal).
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {}
            '\u{1b}' => {
                if chars.next() == Some('[') {
                    // A control sequence ends with a byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}
