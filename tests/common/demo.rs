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
stop|restart|force-reload) ;;
status)
	# `service --status-all` counts a script as running on exit 0 with some output.
	if [ -e /proc/self ] && [ -e /sys/kernel ]; then
		echo "/proc and /sys are mounted"
	else
		echo "/proc or /sys is not mounted"
		exit 3
	fi
	;;
*) echo "Usage: $0 {start|status}" >&2; exit 3 ;;
esac
"#;

/// Debian's way into single-user mode, as an rc1.d script of the demo's own: runlevel 1
/// stops the services, then this script asks init for `S`, where the inittab's
/// `~~:S:wait:/sbin/sulogin` (BusyBox's) gives root a shell on the console. Leaving that
/// shell, or `telinit 2` from it, goes back to multi-user mode.
const SINGLE_SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          single
# Required-Start:    $local_fs $all
# Required-Stop:
# Default-Start:     1
# Default-Stop:
# Short-Description: vinit demo: switch from runlevel 1 to single-user mode (S)
### END INIT INFO
case "$1" in
start)
	echo "Will now switch to single-user mode."
	exec telinit S
	;;
stop|restart|force-reload) ;;
# No status: a switch, not a service (`service --status-all` shows [ ? ]).
*) echo "Usage: $0 start" >&2; exit 3 ;;
esac
"#;

/// Under TCG a boot takes seconds; this is only a safety net.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// The demo's root: [`Initramfs::new`] (example inittab and init scripts), the example
/// services, a script mounting /proc and /sys and one for single-user mode enabled, an
/// empty /etc/inittab.d, root without a password (BusyBox login lets an empty one in), and a
/// prompt the tour can wait for. How to log in is said once, before the boot (the demo's
/// banner, the tour's first step), not in /etc/issue, which every getty start repeats.
pub fn initramfs() -> Initramfs {
    let initramfs = Initramfs::new();
    // The empty password in /etc/shadow: BusyBox's login lets root in without asking, and
    // its sulogin (single-user mode) finds no password entry without a shadow file.
    initramfs.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    initramfs.write("etc/shadow", "root::0:0:99999:7:::\n");
    initramfs.write("etc/hostname", "vinit-demo\n");
    initramfs.write(
        "etc/profile",
        format!("export PATH=/sbin:/usr/sbin:/bin:/usr/bin\nexport PS1='{PROMPT}'\n"),
    );
    // init reads /etc/inittab.d at every reload; without it each says "No inittab.d
    // directory found".
    initramfs.mkdir("etc/inittab.d");
    initramfs.write_exec("etc/init.d/mountkernfs", KERNFS_SCRIPT);
    initramfs.enable_service("mountkernfs");
    initramfs.write_exec("etc/init.d/single", SINGLE_SCRIPT);
    initramfs.enable_service("single");
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
        says: "The example services the rc runner started for runlevel 2:\n\
               ### [ + ] running, [ - ] stopped, [ ? ] cannot tell: legacy-example is an old\n\
               ### script without a status action (it answers `status` with its usage)",
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
    show(
        "### Booting Debian's cloud kernel under QEMU with vinit as PID 1, \
         then logging in as root (no password)\n",
    );
    let vm = boot_and_log_in(&mut show)?;
    for step in TOUR {
        show(&format!("\n### {}\n", step.says));
        run_at_prompt(&vm, step.types, step.expects, &mut show)?;
    }
    show(
        "\n### Single-user mode: rc 1 stops the services, its `single` script asks init for S,\n\
         ### where sulogin gives root a shell (`&`: the session of this shell ends with the level)\n",
    );
    // In the background (as `telinit 2` and `poweroff` below): leaving the level ends this
    // shell's session, and a shell still waiting for a foreground command when that
    // happens finds its terminal gone ("Cannot set tty process group") and lives on; at
    // its prompt it gets the hang-up and ends.
    vm.send_line("telinit 1 &");
    // Neither the script's line nor init's "Going single user" is sure to show: rc, which
    // prints the first, is stopped as init leaves level 1, and init flushes the console's
    // unsent output as it enters S (sysvinit's console_stty does the same).
    show(&vm.expect("sulogin: starting shell", STEP_TIMEOUT)?);
    show(&vm.expect(PROMPT, STEP_TIMEOUT)?);
    run_at_prompt(&vm, "runlevel", "1 S", &mut show)?;
    show("\n### Back to multi-user mode: runlevel 2 starts the services and the getty again\n");
    vm.send_line("telinit 2 &");
    show(&vm.expect("login: ", STEP_TIMEOUT)?);
    vm.send_line("root");
    show(&vm.expect(PROMPT, STEP_TIMEOUT)?);
    run_at_prompt(&vm, "runlevel", "S 2", &mut show)?;
    show("\n### Power off: shutdown through runlevel 0\n");
    vm.send_line("poweroff &");
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
/// `ESC c` would clear the reader's terminal). A carriage return that starts a new text
/// over an unfinished line (init's `\rINIT: ` after the firmware's `Booting from ROM..`,
/// or over a prompt) becomes a line break, so that neither line hides the other.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                let overwrites = chars
                    .peek()
                    .is_some_and(|next| !matches!(next, '\r' | '\n'));
                if overwrites && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
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
