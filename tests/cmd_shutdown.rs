//! Process tests of `shutdown`, `halt`/`reboot`/`poweroff` and `halt --final`
//! with the real binary, each in a throw-away root ([`TestRoot`]).
//!
//! Safety: everything runs chrooted in a private mount namespace, so the
//! host's `/run/initctl`, utmp, wtmp and console are never touched. Anything
//! that can reach `kill(-1)` or `reboot(2)` runs inside a fresh PID namespace
//! (`unshare --pid --fork`) whose PID 1 is a shell that checks it is PID 1
//! first: there `reboot(2)` only ends the namespace, which the tests see as
//! the namespace's exit signal (SIGHUP for a restart, SIGINT for halt and
//! power-off).

mod common;
use common::text;

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::ns::TestRoot;
use common::{host_tool, initctl_vector, poll_until, tied_to_test};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::Mode;
use nix::unistd::mkfifo;
use vinit::initctl::Request;
use vinit::utmp::{RUN_LVL, Record};

/// A safety net only; nothing here waits for it in the normal case.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `/run/initctl` of a root as a FIFO the test reads (opened read-write, so
/// it sees no end of file between the writers).
struct Fifo {
    file: File,
}

impl Fifo {
    fn create(root: &TestRoot) -> Fifo {
        let path = root.join("run/initctl");
        mkfifo(&path, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("open the FIFO");
        Fifo { file }
    }

    /// Everything written within `quiet` of the last byte (after a first
    /// byte within [`TIMEOUT`]).
    fn read_until_quiet(&mut self, quiet: Duration) -> Vec<u8> {
        self.read_within(TIMEOUT, quiet)
    }

    fn read_within(&mut self, first: Duration, quiet: Duration) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut wait = first;
        loop {
            let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
            let millis = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
            if poll(&mut fds, PollTimeout::from(millis)).unwrap_or(0) == 0 {
                return bytes;
            }
            let mut chunk = [0u8; 4096];
            match self.file.read(&mut chunk) {
                Ok(n) if n > 0 => bytes.extend_from_slice(&chunk[..n]),
                _ => return bytes,
            }
            wait = quiet;
        }
    }

    /// Reads what arrived so far without waiting.
    fn drain(&mut self) -> Vec<u8> {
        self.read_within(Duration::ZERO, Duration::ZERO)
    }
}

fn run_in_root(root: &TestRoot, argv: &[&str]) -> Output {
    root.command_in_root("", argv)
        .output()
        .expect("run in root")
}

fn assert_requests(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} bytes, want {}",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.chunks(384).zip(want.chunks(384)).enumerate() {
        assert_eq!(
            Request::decode(g).ok(),
            Request::decode(w).ok(),
            "{what}: request {i} differs"
        );
    }
    assert_eq!(got, want, "{what}: bytes differ");
}

#[test]
fn shutdown_now_sends_what_debians_shutdown_sends() {
    for (args, file) in [
        (&["-r", "now", "test", "msg"][..], "shutdown-r-now.bin"),
        (&["-h", "now"][..], "shutdown-h-now.bin"),
        (
            &["-H", "-h", "-t", "0", "now"][..],
            "shutdown-H-h-t0-now.bin",
        ),
        (
            &["-h", "-P", "-t", "5", "now"][..],
            "shutdown-h-P-t5-now.bin",
        ),
    ] {
        let root = TestRoot::new();
        let mut fifo = Fifo::create(&root);
        let mut argv = vec!["/sbin/shutdown"];
        argv.extend_from_slice(args);
        let out = run_in_root(&root, &argv);
        let got = fifo.read_until_quiet(Duration::from_millis(200));
        assert!(
            out.status.success(),
            "shutdown {args:?}: {:?}\n{}",
            out.status,
            text(&out.stderr)
        );
        assert_requests(&got, &initctl_vector(file), &format!("shutdown {args:?}"));
        // The pid file is gone once init has been asked.
        assert!(!root.join("run/shutdown.pid").exists());
    }
}

/// Kills the child if the test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn pending_shutdown_nologin_refusal_and_cancel() {
    let root = TestRoot::new();
    let mut fifo = Fifo::create(&root);
    let mut pending = Running(
        root.command_in_root("", &["/sbin/shutdown", "-r", "-f", "+5", "going", "away"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start shutdown +5"),
    );
    // Five minutes left: the nologin file is written at once.
    let nologin = poll_until(TIMEOUT, || {
        let text = fs::read_to_string(root.join("run/nologin")).ok()?;
        text.ends_with("going away \r\n").then_some(text)
    })
    .expect("/run/nologin");
    assert!(
        nologin.starts_with("\rThe system is going down on "),
        "{nologin:?}"
    );
    assert!(nologin.contains("\n\r\ngoing away \r\n"), "{nologin:?}");
    let pid_text = root.read("run/shutdown.pid");
    assert_eq!(pid_text, format!("{}\n", pending.0.id()));
    assert!(root.join("fastboot").exists());

    let second = run_in_root(&root, &["/sbin/shutdown", "-h", "now"]);
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(text(&second.stderr), "\rshutdown: already running.\r\n");
    assert!(fifo.drain().is_empty(), "a refused shutdown wrote to init");

    let cancel = run_in_root(&root, &["/sbin/shutdown", "-c"]);
    assert!(cancel.status.success(), "{}", text(&cancel.stderr));
    assert_requests(
        &fifo.read_until_quiet(Duration::from_millis(200)),
        &initctl_vector("shutdown-c.bin"),
        "shutdown -c",
    );
    let status = pending.0.wait().expect("wait for the cancelled shutdown");
    assert!(status.success(), "{status:?}");
    let mut stdout = String::new();
    pending
        .0
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    assert_eq!(stdout, "\r\nShutdown cancelled.\r\n");
    for gone in ["run/nologin", "run/shutdown.pid", "fastboot"] {
        assert!(!root.join(gone).exists(), "{gone} left behind");
    }

    // Nothing left to cancel.
    let again = run_in_root(&root, &["/sbin/shutdown", "-c"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stderr),
        "shutdown: cannot find pid of running shutdown.\n"
    );
}

/// A USER_PROCESS utmp record for `user` on `line`.
fn user_record(line: &str, user: &str) -> Vec<u8> {
    let mut record = vec![0u8; 384];
    record[0..2].copy_from_slice(&7i16.to_ne_bytes());
    record[4..8].copy_from_slice(&4242i32.to_ne_bytes());
    record[8..8 + line.len()].copy_from_slice(line.as_bytes());
    record[40..42].copy_from_slice(b"W0");
    record[44..44 + user.len()].copy_from_slice(user.as_bytes());
    record
}

/// A raw pty whose slave is bind-mounted over `/dev/ttyW0` of the root and
/// logged in as `tester` in its utmp: what `wall` writes there is read back.
struct UserTerminal {
    master: File,
    // Kept open so the terminal does not hang up between writers.
    _slave: std::os::fd::OwnedFd,
    setup: String,
}

impl UserTerminal {
    fn new(root: &TestRoot) -> UserTerminal {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        // Raw, so the bytes arrive as written (no CR added before LF).
        let mut raw = nix::sys::termios::tcgetattr(&pty.slave).expect("tcgetattr");
        nix::sys::termios::cfmakeraw(&mut raw);
        nix::sys::termios::tcsetattr(&pty.slave, nix::sys::termios::SetArg::TCSANOW, &raw)
            .expect("tcsetattr");
        let slave =
            fs::read_link(format!("/proc/self/fd/{}", pty.slave.as_raw_fd())).expect("pty name");
        root.write("dev/ttyW0", "");
        root.write("run/utmp", user_record("ttyW0", "tester"));
        UserTerminal {
            master: File::from(pty.master),
            _slave: pty.slave,
            setup: format!("mount --bind '{}' \"$ROOT/dev/ttyW0\"", slave.display()),
        }
    }

    /// What arrived until `end` was seen (or the safety timeout).
    fn read_until(&mut self, end: &str) -> String {
        let mut seen = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        while !text(&seen).contains(end) && Instant::now() < deadline {
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(1000u16)).unwrap_or(0) > 0 {
                let mut chunk = [0u8; 1024];
                let n = self.master.read(&mut chunk).unwrap_or(0);
                seen.extend_from_slice(&chunk[..n]);
            }
        }
        text(&seen)
    }
}

#[test]
fn warnings_only_walls_logged_in_users_and_cancels_itself() {
    let root = TestRoot::new();
    let mut fifo = Fifo::create(&root);
    let mut terminal = UserTerminal::new(&root);
    let out = root
        .command_in_root(
            &terminal.setup,
            &["/sbin/shutdown", "-k", "now", "just", "testing"],
        )
        .output()
        .expect("shutdown -k");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "\r\nShutdown cancelled.\r\n");
    assert!(fifo.drain().is_empty(), "-k must not talk to init");

    let wall = terminal.read_until("NOW!");
    assert!(
        wall.starts_with("\r\nBroadcast message from root@"),
        "{wall:?}"
    );
    // No tty on stdin: no "(tty) " before the date.
    assert!(
        wall.contains(" (") && wall.contains("):\r\n\r\njust testing"),
        "{wall:?}"
    );
    assert!(
        wall.contains("just testing \r\n\rThe system is going down to maintenance mode NOW!\r\n"),
        "{wall:?}"
    );
}

#[test]
fn shutdown_refusals_and_usage() {
    let root = TestRoot::new();
    root.write("dev/console.log", "");
    for (args, status, stderr_start) in [
        (&[][..], 1, "Usage:\t  shutdown [-akrhPHfFnc]"),
        (&["-r"][..], 1, "Usage:"),
        (&["-r", "soon"][..], 1, "Usage:"),
        (&["-r", "25:00"][..], 1, "Usage:"),
        (&["-r", "+9223372036854775807"][..], 1, "Usage:"),
        (
            &["-x", "now"][..],
            1,
            "/sbin/shutdown: invalid option -- 'x'\nUsage:",
        ),
        (
            &["-P", "-r", "now"][..],
            1,
            "shutdown: -H and -P flags can only be used along with -h flag.\nUsage:",
        ),
        (&["-i", "3", "now"][..], 1, "shutdown: `3': bad runlevel\n"),
        (
            &["-n", "now"][..],
            1,
            "shutdown: can use \"-n\" for halt or reboot only.\r\n",
        ),
    ] {
        let mut argv = vec!["/sbin/shutdown"];
        argv.extend_from_slice(args);
        let out = run_in_root(&root, &argv);
        assert_eq!(out.status.code(), Some(status), "{args:?}");
        assert!(
            text(&out.stderr).starts_with(stderr_start),
            "{args:?}: {:?}",
            text(&out.stderr)
        );
    }

    // -a with an allow list and nobody logged in: the console is told.
    root.write("etc/shutdown.allow", "# operators\nalice\n\n");
    let setup = "mount --bind \"$ROOT/dev/console.log\" \"$ROOT/dev/console\"";
    let out = &root
        .command_in_root(setup, &["/sbin/shutdown", "-a", "-r", "now"])
        .output()
        .expect("shutdown -a");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        root.read("dev/console.log"),
        "\rshutdown: no authorized users logged in.\r\n"
    );
}

#[test]
fn halt_usage_and_superuser_order() {
    let root = TestRoot::new();
    let out = run_in_root(&root, &["/sbin/halt", "-x"]);
    assert_eq!(out.status.code(), Some(1));
    let usage = text(&out.stderr);
    assert!(
        usage.starts_with("usage: halt [-n] [-w] [-d] [-f] [-h] [-i] [-p]\n"),
        "{usage}"
    );
    let out = run_in_root(&root, &["/sbin/reboot", "now"]);
    assert!(text(&out.stderr).starts_with("usage: reboot [-n] [-w] [-d] [-f] [-h] [-i]\n"));
    assert!(!text(&out.stderr).contains("-p:"));
}

#[test]
fn halt_w_only_writes_the_wtmp_record() {
    let root = TestRoot::new();
    let out = run_in_root(&root, &["/sbin/halt", "-w"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records = Record::read_all(&root.join("var/log/wtmp")).expect("wtmp");
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!((r.ut_type, r.pid), (RUN_LVL, 0));
    assert_eq!(
        (r.user.as_str(), r.line.as_str(), r.id.as_str()),
        ("shutdown", "~~", "~~")
    );
    // -d: no record.
    let out = run_in_root(&root, &["/sbin/halt", "-w", "-d"]);
    assert!(out.status.success());
    assert_eq!(
        Record::read_all(&root.join("var/log/wtmp"))
            .expect("wtmp")
            .len(),
        1
    );
}

#[test]
fn reboot_and_poweroff_outside_0_and_6_go_through_shutdown() {
    // No runlevel anywhere: warning, then the soft way.
    let root = TestRoot::new();
    let mut fifo = Fifo::create(&root);
    let out = run_in_root(&root, &["/sbin/reboot"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "WARNING: could not determine runlevel - doing soft reboot\n  \
         (it's better to use shutdown instead of reboot from the command line)\n"
    );
    assert_requests(
        &fifo.read_until_quiet(Duration::from_millis(200)),
        &initctl_vector("shutdown-r-now.bin"),
        "reboot (soft)",
    );

    // Level 2 in /run/runlevel: poweroff asks for 0 with INIT_HALT=POWEROFF.
    let root = TestRoot::new();
    let mut fifo = Fifo::create(&root);
    root.write("run/runlevel", "2");
    let out = run_in_root(&root, &["/sbin/poweroff", "-t", "4"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let mut want = Request::setenv(&["INIT_HALT=POWEROFF"])
        .expect("setenv")
        .encode()
        .to_vec();
    want.extend_from_slice(&Request::runlevel(b'0', 4).encode());
    assert_requests(
        &fifo.read_until_quiet(Duration::from_millis(200)),
        &want,
        "poweroff (soft)",
    );
    assert!(
        Record::read_all(&root.join("var/log/wtmp"))
            .expect("wtmp")
            .is_empty()
    );
}

#[test]
fn halt_f_reaches_reboot_2_in_a_pid_namespace() {
    let root = TestRoot::new();
    for (argv, signal) in [
        ("/sbin/reboot -d -f", libc::SIGHUP),
        ("/sbin/halt -d -f", libc::SIGINT),
        ("/sbin/poweroff -f", libc::SIGINT),
    ] {
        let out = root.as_namespace_init(&format!("{argv}; echo returned $?"));
        assert_eq!(
            out.status.signal(),
            Some(signal),
            "{argv}: {:?}\n{}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains("returned"), "{argv}");
    }
}

#[test]
fn halt_in_level_0_or_6_goes_down_directly() {
    // $RUNLEVEL counts only when init started the command (INIT_VERSION).
    let root = TestRoot::new();
    let out = &root
        .as_namespace_init("INIT_VERSION=sysvinit-3.06 RUNLEVEL=0 /sbin/halt -d; echo returned $?");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGINT),
        "{}",
        text(&out.stderr)
    );

    // Else the RUN_LVL record of utmp: 2 → 6.
    let mut record = vec![0u8; 384];
    record[0..2].copy_from_slice(&1i16.to_ne_bytes());
    record[4..8].copy_from_slice(&i32::from_ne_bytes([b'6', b'2', 0, 0]).to_ne_bytes());
    record[8] = b'~';
    record[40..42].copy_from_slice(b"~~");
    record[44..52].copy_from_slice(b"runlevel");
    root.write("run/utmp", &record);
    let out = root.as_namespace_init("RUNLEVEL=2 /sbin/reboot -d; echo returned $?");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGHUP),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn final_step_stops_processes_unmounts_and_powers_off() {
    let root = TestRoot::new();
    let script = "sleep 1000 &
echo data > /mnt/data/file
RUNLEVEL=0 INIT_HALT=POWEROFF /sbin/halt --final
echo returned $?";
    let out = root.as_namespace_init(script);
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGINT),
        "{:?}\n{log}",
        out.status
    );
    for line in [
        "halt: sending all processes the TERM signal...",
        "halt: unmounted /mnt/data",
        "halt: remounted / read-only",
        "halt: powering off",
    ] {
        assert!(log.contains(line), "missing {line:?} in\n{log}");
    }
    // The sleeper went at TERM: no KILL round was needed.
    assert!(!log.contains("KILL"), "{log}");
    assert!(!log.contains("returned"), "{log}");
}

#[test]
fn final_step_reboots_for_level_6_and_refuses_other_levels() {
    let root = TestRoot::new();
    let out = root.as_namespace_init("RUNLEVEL=6 /sbin/halt --final; echo returned $?");
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.signal(), Some(libc::SIGHUP), "{log}");
    assert!(log.contains("halt: rebooting"), "{log}");

    let out = root.as_namespace_init("RUNLEVEL=2 /sbin/halt --final; echo returned $?");
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("returned 1"), "{log}");
    assert!(
        log.contains("only init runs this, at runlevel 0 or 6 (RUNLEVEL=2)"),
        "{log}"
    );
    assert!(!log.contains("TERM"), "{log}");
}

#[test]
fn shutdown_n_goes_down_without_init() {
    let root = TestRoot::new();
    // Stand-ins for the helpers, so nothing touches real swap.
    for helper in ["accton", "quotaoff", "swapoff", "umount"] {
        root.write_exec(
            &format!("sbin/{helper}"),
            format!("#!/bin/sh\necho \"helper {helper} $*\" >&2\n"),
        );
    }
    // shutdown -n sends non-terminal stdio to /dev/null: give it a pty.
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let (mut cmd, _mount_point) =
        root.namespace_init_command("/sbin/shutdown -n -r -t 0 now; echo returned $?");
    cmd.stdout(File::from(pty.slave.try_clone().expect("dup pty")))
        .stderr(File::from(pty.slave));
    let status = cmd.status().expect("run the namespace");
    drop(cmd);
    let mut master = File::from(pty.master);
    let mut seen = Vec::new();
    let _ = master.read_to_end(&mut seen); // ends with EIO once the slave is gone
    let log = text(&seen);
    assert_eq!(status.signal(), Some(libc::SIGHUP), "{status:?}\n{log}");
    for line in [
        "shutdown: sending all processes the TERM signal...",
        "shutdown: sending all processes the KILL signal.",
        "shutdown: turning off swap",
        "helper swapoff -a",
        "shutdown: unmounting all file systems",
        "helper umount -a",
        "Please stand by while rebooting the system.",
    ] {
        assert!(log.contains(line), "missing {line:?} in\n{log}");
    }
    assert!(!log.contains("returned"), "{log}");
}

/// The inittab of the VM tests: level 0/6 "scripts" that do not stop the
/// machine, then the final step; a once entry runs `go` after boot.
fn final_step_inittab(go: &str) -> String {
    format!(
        "id:2:initdefault:
si::sysinit:/bin/sh -c 'mount -t proc proc /proc; mkdir -p /mnt/data; mount -t tmpfs data /mnt/data'
l0:0:wait:/bin/echo LEVEL-0-SCRIPTS-DONE
f0:0:wait:/sbin/halt --final
l6:6:wait:/bin/echo LEVEL-6-SCRIPTS-DONE
f6:6:wait:/sbin/halt --final
go:2:once:{go}
bg:2:respawn:/bin/sleep 100000
"
    )
}

/// Long under TCG; a safety net only.
const VM_WAIT: Duration = Duration::from_secs(240);

#[test]
fn vm_level_0_without_halt_scripts_still_powers_off() {
    let initramfs = common::vm::Initramfs::new();
    initramfs.write("etc/inittab", final_step_inittab("/sbin/telinit 0"));
    let vm = common::vm::Vm::boot(&initramfs, "");
    vm.expect("LEVEL-0-SCRIPTS-DONE", VM_WAIT).unwrap();
    vm.expect("halt: sending all processes the TERM signal...", VM_WAIT)
        .unwrap();
    vm.expect("halt: unmounted /mnt/data", VM_WAIT).unwrap();
    vm.expect("halt: remounted / read-only", VM_WAIT).unwrap();
    vm.expect("halt: powering off", VM_WAIT).unwrap();
    vm.expect("reboot: Power down", VM_WAIT).unwrap();
    let status = vm.wait_exit(VM_WAIT).expect("QEMU exits after power off");
    assert!(status.success(), "{status:?}\n{}", vm.transcript());
}

#[test]
fn vm_level_6_without_reboot_scripts_still_restarts() {
    let initramfs = common::vm::Initramfs::new();
    initramfs.write("etc/inittab", final_step_inittab("/sbin/telinit 6"));
    let vm = common::vm::Vm::boot(&initramfs, "");
    vm.expect("LEVEL-6-SCRIPTS-DONE", VM_WAIT).unwrap();
    vm.expect("halt: rebooting", VM_WAIT).unwrap();
    vm.expect("reboot: Restarting system", VM_WAIT).unwrap();
    let status = vm.wait_exit(VM_WAIT).expect("QEMU exits on reboot");
    assert!(status.success(), "{status:?}\n{}", vm.transcript());
}

use common::debian_pkg;

/// The wall header's date, which may differ by a second between two runs.
fn without_wall_date(wall: &str) -> String {
    match wall
        .find("):\r\n")
        .and_then(|end| Some((wall[..end].rfind(" (")?, end)))
    {
        Some((start, end)) => format!("{}{}", &wall[..start], &wall[end..]),
        None => wall.to_string(),
    }
}

/// Our shutdown/halt against Debian's real ones (copied into `/real` of the
/// same root): same messages, exit statuses, wall text and wtmp record.
#[test]
fn same_messages_as_debians_shutdown_and_halt() {
    let root = TestRoot::new();
    root.mkdir("real");
    for name in ["shutdown", "halt"] {
        fs::copy(debian_pkg::real(name), root.join(&format!("real/{name}"))).expect("copy");
    }
    root.symlink("halt", "real/reboot");
    root.symlink("halt", "real/poweroff");
    let cases: &[&[&str]] = &[
        &["shutdown"],
        &["shutdown", "-r"],
        &["shutdown", "-x", "now"],
        &["shutdown", "-P", "-r", "now"],
        &["shutdown", "-H", "now"],
        &["shutdown", "-i", "3", "now"],
        &["shutdown", "-i"],
        &["shutdown", "-n", "now"],
        &["shutdown", "-r", "soon"],
        &["shutdown", "-h", "24:00"],
        &["shutdown", "-h", "+1:60"],
        &["shutdown", "-c"],
        &["halt", "-x"],
        &["halt", "now"],
        &["halt", "-t"],
        &["reboot", "-p", "now"],
        &["poweroff", "-z"],
    ];
    for case in cases {
        let run = |dir: &str| {
            let mut argv = vec![format!("/{dir}/{}", case[0])];
            argv.extend(case[1..].iter().map(|a| a.to_string()));
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let out = run_in_root(&root, &argv);
            let _ = fs::remove_file(root.join("run/shutdown.pid"));
            // getopt names the program by its path, which differs.
            let path = format!("/{dir}/");
            let unpathed = |b: &[u8]| text(b).replace(&path, "/DIR/");
            (
                out.status.code(),
                unpathed(&out.stdout),
                unpathed(&out.stderr),
            )
        };
        assert_eq!(run("sbin"), run("real"), "{case:?}");
    }

    // halt -w: the same wtmp record, but for the time.
    for dir in ["real", "sbin"] {
        let out = run_in_root(&root, &[&format!("/{dir}/halt"), "-w"]);
        assert!(out.status.success(), "{dir}: {}", text(&out.stderr));
    }
    let records = Record::read_all(&root.join("var/log/wtmp")).expect("wtmp");
    assert_eq!(records.len(), 2);
    let untimed = |r: &Record| Record {
        tv_sec: 0,
        tv_usec: 0,
        ..r.clone()
    };
    assert_eq!(untimed(&records[0]), untimed(&records[1]));

    // shutdown -k: the same wall text and the same farewell.
    let mut terminal = UserTerminal::new(&root);
    let mut walls = Vec::new();
    for dir in ["real", "sbin"] {
        let out = root
            .command_in_root(
                &terminal.setup,
                &[
                    &format!("/{dir}/shutdown"),
                    "-k",
                    "-h",
                    "now",
                    "tea",
                    "time",
                ],
            )
            .output()
            .expect("shutdown -k");
        assert_eq!(text(&out.stdout), "\r\nShutdown cancelled.\r\n", "{dir}");
        walls.push(without_wall_date(&terminal.read_until("NOW!\r\n")));
    }
    assert_eq!(walls[0], walls[1]);
}

#[test]
fn halt_i_takes_interfaces_down_but_loopback() {
    let root = TestRoot::new();
    // A network namespace of its own, with a bridge to take down.
    let script = r#"set -e
ip link add br0 type bridge
ip link set br0 up
ip link set lo up
mount -t sysfs sysfs "$ROOT/sys"
chroot "$ROOT" /sbin/halt -w -d -i
echo "halt: $?"
ip -o link show
"#;
    let out = tied_to_test(&host_tool("unshare"))
        .args(["--net", "--mount", "--propagation", "private", "--"])
        .arg(host_tool("sh"))
        .arg("-c")
        .arg(script)
        .env("ROOT", root.path())
        .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
        .output()
        .expect("run in a network namespace");
    let log = text(&out.stdout);
    assert!(out.status.success(), "{log}{}", text(&out.stderr));
    assert!(log.contains("halt: 0\n"), "{log}");
    let flags = |name: &str| {
        log.lines()
            .find(|l| l.contains(&format!(": {name}:")))
            .and_then(|l| Some(l[l.find('<')?..=l.find('>')?].to_string()))
            .unwrap_or_default()
    };
    assert!(flags("lo").contains(",UP"), "{log}");
    assert!(!flags("br0").contains("UP"), "{log}");
    assert!(!flags("br0").is_empty(), "{log}");
}

#[test]
fn vm_shutdown_h_h_reaches_the_final_step_as_a_halt() {
    // shutdown → INIT_HALT=HALT in init → level 0 children → halt --final.
    let initramfs = common::vm::Initramfs::new();
    initramfs.write(
        "etc/inittab",
        final_step_inittab("/sbin/shutdown -H -h now"),
    );
    let vm = common::vm::Vm::boot(&initramfs, "");
    vm.expect("LEVEL-0-SCRIPTS-DONE", VM_WAIT).unwrap();
    vm.expect("halt: halting", VM_WAIT).unwrap();
    // The kernel halts without switching off: QEMU stays until dropped.
    vm.expect("reboot: System halted", VM_WAIT).unwrap();
}
