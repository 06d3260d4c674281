//! Whole-system scenarios (issue 4): our init as PID 1 of a QEMU VM (Debian's cloud kernel,
//! TCG, `-no-reboot`) with the example inittab and the `rc.d/` examples enabled by our
//! update-rc.d, driven through the serial console: boot, runlevel changes, services,
//! respawn, shutdown/reboot/power off, Ctrl-Alt-Del, `single`/`3`/`emergency` on the
//! kernel command line, and a cancelled shutdown.
//!
//! The image is the demo's ([`demo::initramfs`]) with a root password, so that BusyBox's
//! real `sulogin` (the inittab's `~~:S:wait:/sbin/sulogin`) asks for it. Every failure
//! shows the console transcript. Timeouts are safety nets only: each step waits for what
//! the console prints.

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::demo::{self, PROMPT};
use common::poll_until;
use common::vm::{Initramfs, Vm, without_kernel_messages};
use nix::sys::stat::{Mode, SFlag, makedev, mknod};

/// A safety net for one step; under TCG a whole boot takes a few seconds.
const WAIT: Duration = Duration::from_secs(90);

/// Root's password in the image, and its hash (`openssl passwd -1 -salt vinitsal vinit`),
/// which BusyBox's login and sulogin check.
const ROOT_PASSWORD: &str = "vinit";
const ROOT_PASSWORD_HASH: &str = "$1$vinitsal$tyOtod2k/FiIo63ddMtAw.";

/// BusyBox sulogin's prompt.
const SULOGIN_PROMPT: &str = "Give root password for system maintenance";

/// The examples with `Default-Start: S`, run by the inittab's `si::sysinit:/sbin/rc S`.
const STARTED_IN_S: &[&str] = &["hostname-example", "netdummy"];
/// The examples with `Default-Start: 2 3 4 5`.
const STARTED_IN_2345: &[&str] = &[
    "early-example",
    "exampled",
    "webdummy",
    "local-example",
    "legacy-example",
];
/// The examples with 1 in `Default-Stop`.
const STOPPED_IN_1: &[&str] = &["exampled", "webdummy", "legacy-example"];
/// The examples with 6 (and 0) in `Default-Stop`.
const STOPPED_IN_0_AND_6: &[&str] = &["exampled", "webdummy", "legacy-example", "netdummy"];

fn image() -> Initramfs {
    let image = demo::initramfs();
    image.write("etc/issue", "\nvinit VM scenario\n\n");
    image.write(
        "etc/passwd",
        format!("root:{ROOT_PASSWORD_HASH}:0:0:root:/root:/bin/sh\n"),
    );
    image
}

/// Appends `line` to the image's /etc/inittab.
fn add_inittab_line(image: &Initramfs, line: &str) {
    let inittab = image.read("etc/inittab");
    image.write("etc/inittab", format!("{inittab}{line}\n"));
}

#[test]
fn kernel_messages_are_taken_out_of_command_output() {
    assert_eq!(
        without_kernel_messages(
            "[    1.906756] tsc: Refined TSC\nN S\n[  12.917680] clocksource: tsc\n [ + ]  x\n"
        ),
        "N S\n [ + ]  x\n"
    );
    assert_eq!(
        without_kernel_messages("N [    1.906756] tsc: x\nS\n[ok] [1.5] [\n"),
        "N S\n[ok] [1.5] [\n"
    );
}

/// A booted VM and the commands typed into its console shell so far.
struct Scenario {
    vm: Vm,
    commands: Cell<u32>,
}

impl Scenario {
    fn boot(image: &Initramfs, cmdline_extra: &str) -> Scenario {
        Scenario {
            vm: Vm::boot(image, cmdline_extra),
            commands: Cell::new(0),
        }
    }

    /// Waits for `needle` on the console (after the previous wait); returns the output up
    /// to it. Panics with the transcript when it does not come.
    fn expect(&self, needle: &str) -> String {
        self.vm
            .expect(needle, WAIT)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until the console has shown `needle`, wherever it is: for output of a
    /// background process, which may come before or after the end of a command.
    fn shows(&self, needle: &str) {
        if poll_until(WAIT, || self.vm.transcript().contains(needle).then_some(())).is_none() {
            self.fail(&format!("{needle:?} never showed on the console"));
        }
    }

    /// Panics with `what` and the transcript.
    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\nconsole transcript:\n{}\n--- end of transcript ---",
            self.vm.transcript()
        )
    }

    /// Logs in as root on the console getty; returns the console output up to and
    /// including its `login: ` prompt.
    fn login(&self) -> String {
        let before = self.expect("login: ");
        self.vm.send_line("root");
        self.expect("Password: ");
        self.vm.send_line(ROOT_PASSWORD);
        self.expect(PROMPT);
        before
    }

    /// Answers BusyBox sulogin's password prompt; returns the console output up to it.
    fn sulogin(&self) -> String {
        let before = self.expect(SULOGIN_PROMPT);
        self.expect(":");
        self.vm.send_line(ROOT_PASSWORD);
        self.expect(PROMPT);
        before
    }

    /// Runs `command` in the console shell; returns its exit status and its output
    /// (`\r\n` made `\n`). The output is framed by markers that the shell computes, so
    /// the echo of the typed line never matches them. All is typed as one line: a second
    /// line typed while `command` runs would be echoed into its output.
    fn sh(&self, command: &str) -> (i32, String) {
        let n = self.commands.get() + 1;
        self.commands.set(n);
        // After a background command (`... &`) a `;` would be a syntax error.
        let then = if command.trim_end().ends_with('&') {
            " "
        } else {
            "; "
        };
        self.vm.send_line(&format!(
            "echo @@B$(({n}))@@; {command}{then}echo @@E$(({n})):$?@@"
        ));
        self.expect(&format!("@@B{n}@@"));
        let output = self.expect(&format!("@@E{n}:"));
        let status = self.expect("@@");
        let output = output
            .strip_suffix(&format!("@@E{n}:"))
            .unwrap_or(&output)
            .replace("\r\n", "\n");
        let output = output.strip_prefix('\n').unwrap_or(&output);
        let output = without_kernel_messages(output);
        let status = status
            .trim_end_matches("@@")
            .parse()
            .unwrap_or_else(|_| self.fail(&format!("no exit status for {command:?}")));
        // The next command is typed at the prompt, not echoed into this one's output.
        self.expect(PROMPT);
        (status, output)
    }

    /// Runs `command`, which must succeed; returns its output.
    fn ok(&self, command: &str) -> String {
        let (status, output) = self.sh(command);
        if status != 0 {
            self.fail(&format!("{command:?} exited {status}:\n{output}"));
        }
        output
    }

    /// Runs `command` and checks its exit status.
    fn status_is(&self, command: &str, expected: i32) {
        let (status, output) = self.sh(command);
        if status != expected {
            self.fail(&format!(
                "{command:?} exited {status}, not {expected}:\n{output}"
            ));
        }
    }

    /// `runlevel`'s output, which must be `expected` (e.g. `N 2`).
    fn runlevel_is(&self, expected: &str) {
        let out = self.ok("runlevel");
        if out.trim_end() != expected {
            self.fail(&format!("runlevel printed {out:?}, not {expected:?}"));
        }
    }

    /// `text` (a part of the transcript) contains `[ ok ] <verb> NAME.` for each name.
    fn rc_lines(&self, text: &str, verb: &str, names: &[&str]) {
        for name in names {
            let line = format!("[ ok ] {verb} {name}.");
            if !text.contains(&line) {
                self.fail(&format!("no {line:?} in this part of the console:\n{text}"));
            }
        }
    }

    /// The pid of the example daemon, from its pid file.
    fn exampled_pid(&self) -> u32 {
        let out = self.ok("cat /run/exampled.pid");
        out.trim()
            .parse()
            .unwrap_or_else(|_| self.fail(&format!("bad /run/exampled.pid: {out:?}")))
    }

    /// The pid of the console getty entry's process: BusyBox getty execs login, which runs
    /// the shell as its child; that login must be a child of init.
    fn console_getty_pid(&self) -> u32 {
        let out = self.ok("echo $PPID; cut -d' ' -f4 /proc/$PPID/stat");
        match out.split_whitespace().collect::<Vec<_>>()[..] {
            [pid, "1"] => pid
                .parse()
                .unwrap_or_else(|_| self.fail(&format!("bad pid {pid:?}"))),
            _ => self.fail(&format!("the console login is not init's child: {out:?}")),
        }
    }

    /// The pid of the one `getty` process (the console's became login), once it is not
    /// `old`, waited for in the VM (bounded); it must be a child of init.
    fn tty1_getty_other_than(&self, old: &str) -> String {
        let out = self.ok(&format!(
            "i=0; until p=$(pidof getty) && [ \"$p\" != {old} ] || [ $i -ge 100 ]; do \
             sleep 0.1; i=$((i+1)); done; echo $p; cut -d' ' -f4 /proc/$p/stat"
        ));
        match out.split_whitespace().collect::<Vec<_>>()[..] {
            [pid, "1"] if pid != old => pid.to_string(),
            _ => self.fail(&format!("no getty of init's other than {old}: {out:?}")),
        }
    }

    /// Waits for QEMU to exit after the guest rebooted or powered off (under `-no-reboot`
    /// both end QEMU with status 0).
    fn qemu_exits(&self) {
        match self.vm.wait_exit(WAIT) {
            Some(status) if status.success() => {}
            other => self.fail(&format!("QEMU did not exit cleanly: {other:?}")),
        }
    }

    /// After a request to go to level 0 or 6: init switches, rc stops the examples, and
    /// then the kernel prints `kernel_says` and QEMU exits.
    fn goes_down(&self, level: char, kernel_says: &str) {
        self.expect(&format!("INIT: Switching to runlevel: {level}"));
        let stopping = self.expect(kernel_says);
        self.rc_lines(&stopping, "Stopping", STOPPED_IN_0_AND_6);
        self.qemu_exits();
    }
}

/// Scenario 1: Boot to the inittab's default level 2: rc S then rc 2 start the examples, the run
/// record says so, `runlevel` prints `N 2` and the example daemon runs.
#[test]
fn vm_boots_to_the_default_level() {
    let vm = Scenario::boot(&image(), "");
    let boot = vm.expect("INIT: Entering runlevel: 2");
    vm.rc_lines(&boot, "Starting", STARTED_IN_S);
    // The getty comes after `l2:2:wait:/sbin/rc 2` in the inittab, so after rc 2 ended.
    let level2 = vm.login();
    vm.rc_lines(&level2, "Starting", STARTED_IN_2345);

    assert_eq!(vm.ok("readlink /proc/1/exe").trim(), "/lib/vinit/vinit");
    vm.runlevel_is("N 2");
    vm.status_is("service exampled status", 0);
    let listing = vm.ok("service --status-all");
    if !listing.contains(" [ + ]  exampled\n") {
        vm.fail(&format!("service --status-all: {listing:?}"));
    }

    // The run record of `rc 2`: one line per script, level 2 after N, exit status 0, ok.
    let record = vm.ok("cat /run/vinit/rc/last");
    let mut lines = record.lines();
    if !lines
        .next()
        .is_some_and(|header| header.starts_with("#level\t"))
    {
        vm.fail(&format!("no header in /run/vinit/rc/last:\n{record}"));
    }
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    for name in STARTED_IN_2345 {
        let found = rows.iter().any(|row| {
            matches!(
                row[..],
                ["2", "N", script, "start", _, _, _, _, _, "0", "ok", ..] if script == *name
            )
        });
        if !found {
            vm.fail(&format!(
                "no `2 N {name} start ... 0 ok` row in /run/vinit/rc/last:\n{record}"
            ));
        }
    }

    // The operator's view of the same boot (the serial console is a terminal: colour,
    // unless NO_COLOR says no).
    if !vm.ok("vinit status").contains("\x1b[32mrunning\x1b[0m") {
        vm.fail("vinit status is not coloured on a terminal");
    }
    let status = vm.ok("NO_COLOR=1 vinit status");
    let getty_runs = status
        .lines()
        .any(|l| l.starts_with("co ") && l.contains(" running "));
    if !status.starts_with("Runlevel  2 (previous N)") || !getty_runs {
        vm.fail(&format!("vinit status:\n{status}"));
    }
    let blame = vm.ok("NO_COLOR=1 vinit blame");
    for name in STARTED_IN_S.iter().chain(STARTED_IN_2345) {
        if !blame.lines().any(|l| l.contains(&format!(" {name} "))) {
            vm.fail(&format!("{name} missing in vinit blame:\n{blame}"));
        }
    }
    let svg = vm.ok("vinit plot");
    if !svg.starts_with("<svg") || !svg.trim_end().ends_with("</svg>") {
        vm.fail(&format!("vinit plot:\n{svg}"));
    }
    let check = vm.ok("vinit check");
    if !check.starts_with("vinit check: no problems") {
        vm.fail(&format!(
            "vinit check on the demo's configuration:\n{check}"
        ));
    }
    // Kept to look at (the README's picture comes from here).
    let kept = common::work_dir("vm-captures");
    let _ = std::fs::write(kept.join("status.txt"), &status);
    let _ = std::fs::write(kept.join("blame.txt"), &blame);
    let _ = std::fs::write(kept.join("boot.svg"), &svg);
}

/// Scenario 2: `telinit 1`, then `telinit 2`: init switches, rc 1 stops and rc 2 starts the
/// examples, gettys of the old level are killed and those of the new one started, and
/// `runlevel` shows the previous and current level (`2 1`, then `1 2`).
#[test]
fn vm_telinit_1_and_back_to_2() {
    let image = image();
    // Level 1 ends in S through the demo's `single` script, as on Debian; this scenario
    // stays in level 1, without it, where a getty gives the test a console shell.
    let rc1 = image.join("etc/rc1.d");
    for link in std::fs::read_dir(&rc1).expect("read etc/rc1.d").flatten() {
        if link.file_name().to_string_lossy().ends_with("single") {
            std::fs::remove_file(link.path()).expect("remove the single link");
        }
    }
    add_inittab_line(&image, "s1:1:respawn:/sbin/getty -L 115200 console vt100");
    let vm = Scenario::boot(&image, "");
    vm.expect("INIT: Entering runlevel: 2");
    vm.login();

    // The shell typing this is the getty entry's, which init kills on leaving the level,
    // so it may not live to print an end marker: wait for init's messages instead. And
    // in the background: when the killed login's session ends, the kernel hangs up the
    // terminal's foreground process group, which must be this shell (it then ends), not a
    // telinit still running in the foreground (the shell would live on, on the console,
    // and read what is typed at the next getty).
    vm.vm.send_line("telinit 1 &");
    vm.expect("INIT: Switching to runlevel: 1");
    vm.expect("INIT: Sending processes configured via /etc/inittab the TERM signal");
    let level1 = vm.login();
    vm.rc_lines(&level1, "Stopping", STOPPED_IN_1);
    vm.runlevel_is("2 1");
    vm.status_is("service exampled status", 3);

    vm.vm.send_line("telinit 2 &");
    vm.expect("INIT: Switching to runlevel: 2");
    vm.expect("INIT: Sending processes configured via /etc/inittab the TERM signal");
    let level2 = vm.login();
    // startpar's `-M start` selection from 1 to 2: every script with an S link in rc2.d
    // and none in rc1.d (docs/compatibility.md §8.3), i.e. all of them.
    vm.rc_lines(&level2, "Starting", STARTED_IN_2345);
    vm.runlevel_is("1 2");
    vm.status_is("service exampled status", 0);
}

/// Scenario 3: `service exampled restart`: a new daemon process, status 0, the old one gone.
#[test]
fn vm_service_restart_gives_a_new_pid() {
    let vm = Scenario::boot(&image(), "");
    vm.login();
    let before = vm.exampled_pid();
    vm.ok("service exampled restart");
    let after = vm.exampled_pid();
    if after == before {
        vm.fail(&format!("exampled kept pid {before} across a restart"));
    }
    vm.status_is("service exampled status", 0);
    vm.status_is(&format!("kill -0 {before}"), 1);
}

/// Scenario 4: respawn. A getty on the first virtual terminal (added to the image's
/// inittab; the kernel has VTs on a dummy console) is killed at its login prompt, and the
/// console getty (`co:2345:respawn:`, by now the login it became) too: init starts new
/// ones each time.
#[test]
fn vm_killed_getty_is_respawned() {
    let image = image();
    add_inittab_line(&image, "g1:2345:respawn:/sbin/getty 38400 tty1");
    mknod(
        &image.join("dev/tty1"),
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o620),
        makedev(4, 1),
    )
    .expect("mknod dev/tty1");
    let vm = Scenario::boot(&image, "");
    vm.login();

    let first = vm.tty1_getty_other_than("none");
    vm.ok(&format!("kill -KILL {first}"));
    vm.tty1_getty_other_than(&first);
    vm.status_is(&format!("kill -0 {first}"), 1);

    let console = vm.console_getty_pid();
    vm.vm.send_line("kill -KILL $PPID");
    vm.login();
    let respawned = vm.console_getty_pid();
    if respawned == console {
        vm.fail(&format!(
            "the respawned console getty has the old pid {console}"
        ));
    }
    vm.status_is(&format!("kill -0 {console}"), 1);
}

/// Scenario 5: `shutdown -r now`: level 6, rc 6 stops the examples, the kernel restarts the
/// machine (and QEMU exits, under `-no-reboot`).
#[test]
fn vm_shutdown_r_now_reboots() {
    let vm = Scenario::boot(&image(), "");
    vm.login();
    vm.vm.send_line("shutdown -r now");
    // shutdown's wall reaches the console login (a USER_PROCESS in utmp) before init is told.
    vm.expect("The system is going down for reboot NOW!");
    vm.goes_down('6', "reboot: Restarting system");
}

/// Scenario 6a: `poweroff`: level 0, rc 0, and the machine powers off. (The image's
/// /bin/sh is dash, as on Debian: BusyBox's ash would run its own `poweroff` applet.)
#[test]
fn vm_poweroff_powers_off() {
    let vm = Scenario::boot(&image(), "");
    vm.login();
    vm.vm.send_line("poweroff");
    // Not at level 0 or 6, so it runs `shutdown -h -P now`, which walls.
    vm.expect("The system is going down for system halt NOW!");
    vm.goes_down('0', "reboot: Power down");
}

/// Scenario 6b: `halt -p`: the same as poweroff.
#[test]
fn vm_halt_p_powers_off() {
    let vm = Scenario::boot(&image(), "");
    vm.login();
    vm.vm.send_line("halt -p");
    // Not at level 0 or 6, so it runs `shutdown -h -P now`, which walls.
    vm.expect("The system is going down for system halt NOW!");
    vm.goes_down('0', "reboot: Power down");
}

/// Scenario 7: Ctrl-Alt-Del: init disabled the kernel's own reboot on it, so the kernel sends init
/// SIGINT, and the inittab's `ca:12345:ctrlaltdel:/sbin/shutdown -t1 -r now` reboots
/// through level 6 (rc 6 stopping the examples before the kernel restarts).
#[test]
fn vm_ctrl_alt_del_reboots_through_level_6() {
    let vm = Scenario::boot(&image(), "");
    vm.expect("INIT: Entering runlevel: 2");
    vm.expect("login: ");
    vm.vm.monitor("sendkey ctrl-alt-delete");
    vm.goes_down('6', "reboot: Restarting system");
}

/// Scenario 8a: `single` on the kernel command line: rc S runs, then level S with sulogin (which
/// asks root's password); leaving its shell ends single-user mode and the boot goes on
/// to the default level 2.
#[test]
fn vm_single_boots_to_sulogin_then_default_level() {
    let vm = Scenario::boot(&image(), "single");
    let boot = vm.sulogin();
    vm.rc_lines(&boot, "Starting", STARTED_IN_S);
    // Booting into S writes no utmp level record: `runlevel` reads /var/run/runlevel
    // (docs/compatibility.md §5.4, §5.5).
    vm.runlevel_is("N S");
    // rc 2 has not run.
    vm.status_is("service exampled status", 3);

    vm.vm.send_line("exit");
    vm.expect("INIT: Entering runlevel: 2");
    let level2 = vm.login();
    vm.rc_lines(&level2, "Starting", STARTED_IN_2345);
    // The boot entries had not run, so single-user mode ends through the boot phase `*`
    // and the level record says N, as sysvinit's boot_transitions() writes it (docs/compatibility.md §3.2).
    vm.runlevel_is("N 2");
}

/// Scenario 8b: `3` on the kernel command line: the boot goes to level 3 instead of the default.
#[test]
fn vm_level_3_from_the_kernel_command_line() {
    let vm = Scenario::boot(&image(), "3");
    vm.expect("INIT: Entering runlevel: 3");
    let level3 = vm.login();
    vm.rc_lines(&level3, "Starting", STARTED_IN_2345);
    vm.runlevel_is("N 3");
    vm.status_is("service exampled status", 0);
    let record = vm.ok("cat /run/vinit/rc/last");
    if !record
        .lines()
        .any(|l| l.starts_with("3\tN\texampled\tstart\t"))
    {
        vm.fail(&format!("no level 3 run record:\n{record}"));
    }
}

/// Scenario 8c: `emergency` on the kernel command line: sulogin comes first, before anything of
/// the inittab (rc S has not run); when its shell ends, the normal boot goes on.
#[test]
fn vm_emergency_runs_sulogin_before_the_boot() {
    let vm = Scenario::boot(&image(), "emergency");
    let before = vm.sulogin();
    for name in STARTED_IN_S {
        if before.contains(&format!("Starting {name}")) {
            vm.fail(&format!("rc S ran ({name}) before the emergency sulogin"));
        }
    }
    vm.status_is("test -e /run/vinit/rc/last", 1);

    vm.vm.send_line("exit");
    let boot = vm.expect("INIT: Entering runlevel: 2");
    vm.rc_lines(&boot, "Starting", STARTED_IN_S);
    vm.login();
    vm.runlevel_is("N 2");
}

/// Scenario 9: `shutdown -r +1` then `shutdown -c`: the waiting shutdown says `Shutdown
/// cancelled.`, removes its pid file and exits 0; the system stays in level 2.
#[test]
fn vm_shutdown_cancel_keeps_the_system_up() {
    let vm = Scenario::boot(&image(), "");
    vm.login();
    // In the background, saying how it ended.
    vm.ok("sh -c 'shutdown -r +1 </dev/null; echo \"shutdown exited $?\"' &");
    // Wait (bounded) for the countdown to have written its pid file; it names a live process.
    vm.ok("i=0; until [ -s /run/shutdown.pid ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done");
    vm.ok("kill -0 $(cat /run/shutdown.pid)");
    if vm.vm.transcript().contains("Shutdown cancelled.") {
        vm.fail("\"Shutdown cancelled.\" before shutdown -c");
    }
    vm.ok("shutdown -c");
    vm.shows("Shutdown cancelled.");
    vm.shows("shutdown exited 0");
    vm.status_is("test -e /run/shutdown.pid", 1);
    vm.runlevel_is("N 2");
    // A few seconds later, still up and in level 2.
    vm.ok("sleep 3");
    vm.runlevel_is("N 2");
    vm.status_is("service exampled status", 0);
    let transcript = vm.vm.transcript();
    if transcript.contains("Switching to runlevel") || transcript.contains("reboot: ") {
        vm.fail("the cancelled shutdown still changed the level");
    }
}
