//! The command-line tools against hostile input: arguments that are not
//! UTF-8, numbers too large for anything, `telinit --wait` on a level the
//! status file never shows reached or on a status file init could not
//! rewrite, a misleading warning after a refused inittab, and
//! `vinit check --root` on a tree full of FIFOs, devices, link loops and
//! huge files. Every command must finish, say why, and pass bytes on where
//! sysvinit passes them.
//!
//! Whatever could reach init or take a system down runs in a namespace
//! (`common::ns`) or with a private `/run`; `vinit check` only reads its
//! tree. Timeouts are safety nets: each test waits for what proves its
//! point.

mod common;

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::ns::{Pid1, TestRoot};
use common::{describe, poll_until, text, vinit_bin};

/// A safety net for one command; none of them should take a second.
const LIMIT: Duration = Duration::from_secs(120);
/// A safety net for what happens in a namespace.
const WAIT: Duration = Duration::from_secs(30);

fn bytes(b: &[u8]) -> OsString {
    OsStr::from_bytes(b).to_os_string()
}

/// Runs `cmd` to its end, reading its output as it comes; a command still
/// running after [`LIMIT`] is killed and fails the test: it hung.
fn finish(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {LIMIT:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o755))
        .unwrap_or_else(|e| panic!("mkfifo {}: {e}", path.display()));
}

fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>, mode: u32) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, contents).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn lsb(name: &str, requires: &str) -> String {
    format!(
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n# Required-Start: {requires}\n\
         # Required-Stop:\n# Default-Start: 2\n# Default-Stop:\n### END INIT INFO\nexit 0\n"
    )
}

/// `vinit check --root` on a tree where every file it reads is something
/// else: a FIFO in init.d (with no rc link), in insserv.conf(.d), in
/// supervise.d and among the rc links; a link to /dev/zero; a 1 GiB sparse
/// script; a loop of symbolic links behind an rc link; lines of hundreds
/// of kilobytes. It finishes, names each path, and quotes a bounded piece.
#[test]
fn check_root_finishes_and_names_fifos_devices_loops_and_huge_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "etc/inittab", "id:2:initdefault:\n", 0o644);
    std::fs::create_dir_all(root.join("etc/inittab.d")).expect("mkdir");
    std::fs::create_dir_all(root.join("etc/init.d")).expect("mkdir");
    std::fs::create_dir_all(root.join("etc/rc2.d")).expect("mkdir");
    std::fs::create_dir_all(root.join("etc/insserv.conf.d")).expect("mkdir");
    std::fs::create_dir_all(root.join("etc/vinit/supervise.d")).expect("mkdir");
    mkfifo(&root.join("etc/init.d/fifo"));
    symlink("/dev/zero", root.join("etc/init.d/zero")).expect("symlink");
    let huge = File::create(root.join("etc/init.d/huge")).expect("create");
    huge.set_len(1 << 30).expect("sparse 1 GiB");
    std::fs::set_permissions(
        root.join("etc/init.d/huge"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    symlink("loopb", root.join("etc/init.d/loopa")).expect("symlink");
    symlink("loopa", root.join("etc/init.d/loopb")).expect("symlink");
    symlink("../init.d/loopa", root.join("etc/rc2.d/S01loopa")).expect("symlink");
    mkfifo(&root.join("etc/rc2.d/S02fifo"));
    mkfifo(&root.join("etc/insserv.conf"));
    mkfifo(&root.join("etc/insserv.conf.d/fifo"));
    mkfifo(&root.join("etc/vinit/supervise.d/fifo"));
    let long = "q".repeat(500_000);
    write(root, "etc/init.d/needy", lsb("needy", &long), 0o755);
    symlink("../init.d/needy", root.join("etc/rc2.d/S03needy")).expect("symlink");
    write(
        root,
        "etc/vinit/supervise.d/needy",
        format!("bad {}\n", "v".repeat(60_000)),
        0o644,
    );

    let mut cmd = Command::new(vinit_bin());
    cmd.args(["check", "--root"]).arg(root);
    let out = finish(cmd);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let said = text(&out.stdout);
    let r = root.display();
    for expected in [
        format!("{r}/etc/init.d/fifo: cannot read: is a FIFO"),
        format!("{r}/etc/init.d/zero: cannot read: is a character device"),
        format!("{r}/etc/init.d/huge: cannot read: is larger than"),
        format!("{r}/etc/init.d/loopa: cannot read: is a loop of symbolic links"),
        format!("{r}/etc/rc2.d/S01loopa: links to ../init.d/loopa, a loop of symbolic links"),
        format!("{r}/etc/rc2.d/S02fifo: is a FIFO, not a script"),
        format!("{r}/etc/insserv.conf: is a FIFO"),
        format!("{r}/etc/insserv.conf.d/fifo: is a FIFO"),
        format!("{r}/etc/vinit/supervise.d/fifo: is a FIFO, not a settings file"),
        format!("{r}/etc/init.d/needy:4: service qqqq"),
        format!("{r}/etc/vinit/supervise.d/needy:1: "),
    ] {
        assert!(said.contains(&expected), "no {expected:?} in:\n{said}");
    }
    for line in said.lines() {
        assert!(
            line.len() < 600,
            "a line of {} bytes: {}…",
            line.len(),
            line.chars().take(200).collect::<String>()
        );
    }
}

/// Runs our `telinit` (as `argv0`) with `args` in a private mount namespace
/// whose `/run` is a temporary directory holding a FIFO `initctl` we read:
/// the host's init never sees anything. Returns the output and the bytes
/// written to the FIFO.
fn telinit_in_private_run(args: &[OsString]) -> (Output, Vec<u8>) {
    let run = tempfile::tempdir().expect("tempdir");
    let fifo = run.path().join("initctl");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let mut reader = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .expect("open the FIFO");
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg(r#"mount --bind "$1" /run || exit 99; shift; exec -a telinit "$@""#)
        .arg("bash")
        .arg(run.path())
        .arg(vinit_bin())
        .args(args);
    let out = finish(cmd);
    assert_ne!(out.status.code(), Some(99), "bind mount failed");
    let mut written = Vec::new();
    let _ = reader.read_to_end(&mut written);
    (out, written)
}

/// Numbers too large for anything are usage errors, not a panic (exit 101)
/// nor a wrapped value sent to init.
#[test]
fn telinit_refuses_huge_numbers() {
    let (out, written) = telinit_in_private_run(&[
        "--wait".into(),
        "--timeout".into(),
        "99999999999999999999999".into(),
        "3".into(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("bad --timeout value '99999999999999999999999': too large"),
        "{}",
        describe(&out)
    );
    assert!(written.is_empty());

    let (out, written) =
        telinit_in_private_run(&["-t".into(), "99999999999999999999".into(), "3".into()]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).starts_with("telinit: -t 99999999999999999999: out of range"),
        "{}",
        describe(&out)
    );
    assert!(written.is_empty(), "sent {} bytes", written.len());

    // A level that is not one byte of the list, as bytes, is the usage.
    let (out, written) = telinit_in_private_run(&[bytes(b"\xff")]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).starts_with("Usage: telinit"),
        "{}",
        describe(&out)
    );
    assert!(written.is_empty());
}

/// `telinit -e` sends its string's bytes, not U+FFFD in their place.
#[test]
fn telinit_setenv_sends_the_bytes_given() {
    let (out, written) = telinit_in_private_run(&["-e".into(), bytes(b"INIT_X=a\xffb")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let request = vinit::initctl::Request::decode(&written).expect("one request");
    assert_eq!(request.cmd, 6, "INIT_CMD_SETENV");
    assert!(
        request.data.starts_with(b"INIT_X=a\xffb\0\0"),
        "{:?}",
        &request.data[..16]
    );
}

const INITTAB: &str = "\
id:2:initdefault:
si::sysinit:/bin/true
~~:S:wait:/bin/sleep 1000
l2:2:wait:/bin/true
l3:3:wait:/bin/true
t2:23:respawn:/bin/sleep 1002
t3:3:respawn:/bin/sleep 1003
";

fn boot() -> (TestRoot, Pid1) {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    root.mkdir("etc/inittab.d");
    let pid1 = root.boot(&[]);
    pid1.expect_console("Entering runlevel: 2", WAIT);
    // init writes its status at the end of the pass that finished rc.
    poll_until(WAIT, || {
        let status = std::fs::read_to_string(root.join("run/vinit/status")).ok()?;
        (status.contains("runlevel 2\n") && status.contains("\tl2\t2\twait\tdone\t")).then_some(())
    })
    .unwrap_or_else(|| panic!("level 2 never reached:\n{}", pid1.console()));
    (root, pid1)
}

fn telinit(pid1: &Pid1, args: &[&str]) -> Output {
    let mut cmd = pid1.command(&["/sbin/telinit"]);
    cmd.args(args);
    finish(cmd)
}

/// S is reached once its entries have started: its `wait` entry (sulogin,
/// here a sleep) ends only when its user leaves single-user mode, so
/// waiting for it to end never returned.
#[test]
fn telinit_wait_s_returns_once_single_user_mode_is_up() {
    let (_root, pid1) = boot();
    let out = telinit(&pid1, &["--wait", "--timeout", "60", "S"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("runlevel S reached"),
        "{}",
        describe(&out)
    );
}

/// 0 and 6 take the system down, this command with it: refused, and
/// nothing is sent.
#[test]
fn telinit_wait_refuses_the_levels_that_end_the_system() {
    let (_root, pid1) = boot();
    for level in ["0", "6"] {
        let out = telinit(&pid1, &["--wait", level]);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(
            text(&out.stderr).contains("is never reported reached"),
            "{}",
            describe(&out)
        );
    }
    // Still in 2: both were refused before anything was sent.
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");
    // A request for the level init is in: reached at once, although init
    // does not rewrite its status for it.
    let out = telinit(&pid1, &["--wait", "--timeout", "60", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

/// When init cannot write its status (here: /run/vinit is a file), the
/// file is missing: `--wait` waits for it and says at its timeout that
/// init's status could not be read, and `vinit status` that it is unknown,
/// instead of calling init "not vinit".
#[test]
fn telinit_wait_takes_a_missing_status_for_unknown() {
    let (root, pid1) = boot();
    std::fs::remove_dir_all(root.join("run/vinit")).expect("rm /run/vinit");
    std::fs::write(root.join("run/vinit"), "").expect("a file in its place");
    let out = telinit(&pid1, &["--wait", "--timeout", "2", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let said = text(&out.stderr);
    assert!(
        said.contains("init's status could not be read") && said.contains("missing"),
        "{}",
        describe(&out)
    );
    assert!(!said.contains("not reached"), "{said}");
    pid1.expect_console("Switching to runlevel: 3", WAIT);
    // vinit status says the same, rather than "not vinit" (exit 3).
    let out = finish(pid1.command(&["/sbin/vinit", "status"]));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("init could not write its status"),
        "{}",
        describe(&out)
    );
}

/// When init cannot rewrite its status (a read-only /run/vinit), the file
/// left is older than the request: `--wait` does not take it for the
/// truth, and at its timeout says so rather than claiming a level.
#[test]
fn telinit_wait_does_not_believe_a_status_older_than_its_request() {
    let (_root, pid1) = boot();
    pid1.run_ok(&[
        "/bin/sh",
        "-c",
        // init rewrites its status when the mounts change: the read-only
        // remount is busy while that write is open, so it is tried again.
        "mount --bind /run/vinit /run/vinit && \
         for try in 1 2 3 4 5 6 7 8 9 10; do \
             mount -o remount,bind,ro /run/vinit 2>/dev/null && exit 0; sleep 0.2; \
         done; exit 1",
    ]);
    let out = telinit(&pid1, &["--wait", "--timeout", "2", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let said = text(&out.stderr);
    assert!(
        said.contains("init's status could not be read")
            && said.contains("has not been written since the request"),
        "{}",
        describe(&out)
    );
    assert!(!said.contains("not reached"), "{said}");
}

/// After the files turned bad, init keeps the configuration it runs: the
/// warning says so, and does not claim that init would start nothing in a
/// level the bad files no longer mention.
#[test]
fn telinit_warns_about_what_init_will_run_after_a_refused_inittab() {
    let (root, pid1) = boot();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nl2:2:wait:/bin/true\nzz:2:sometimes:/bin/true\n",
    );
    let out = telinit(&pid1, &["3"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let said = text(&out.stderr);
    assert!(
        said.contains("has lines init rejects: init will keep its current configuration"),
        "{}",
        describe(&out)
    );
    // Level 3 runs l3 and t3 in the configuration init keeps.
    assert!(!said.contains("start nothing"), "{said}");
    pid1.expect_console("Switching to runlevel: 3", WAIT);
    pid1.expect_console("configuration not applied", WAIT);
}

/// shutdown's message keeps its bytes, as sysvinit's does: `/run/nologin`
/// (written at once for a shutdown in 5 minutes or less) holds them.
/// `-k` only warns, and the countdown is cancelled in the namespace.
#[test]
fn shutdown_message_keeps_its_bytes() {
    let (root, pid1) = boot();
    let mut cmd = pid1.command(&["/sbin/shutdown", "-k", "+1"]);
    cmd.arg(bytes(b"caf\xe9"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut countdown = cmd.spawn().expect("spawn shutdown");
    let nologin = poll_until(WAIT, || {
        let text = std::fs::read(root.join("run/nologin")).ok()?;
        (!text.is_empty()).then_some(text)
    })
    .unwrap_or_else(|| panic!("no /run/nologin:\n{}", pid1.console()));
    assert!(
        nologin.ends_with(b"\r\ncaf\xe9 \r\n"),
        "{}",
        String::from_utf8_lossy(&nologin)
    );
    let cancel = pid1.run(&["/sbin/shutdown", "-c"]);
    assert!(cancel.status.success(), "{}", describe(&cancel));
    let _ = countdown.wait();
}

/// `service` hands its command and options to the script as bytes, and
/// refuses a service name that is not text; so does `update-rc.d`.
#[test]
fn service_and_update_rc_d_with_bytes() {
    let root = TestRoot::new();
    root.write_exec(
        "etc/init.d/echoer",
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\"; done > /tmp/args\n",
    );
    let run = |argv: &[OsString]| {
        let mut cmd = root.command_in_root("", &[]);
        cmd.args(argv);
        finish(cmd)
    };
    let out = run(&[
        "/usr/sbin/service".into(),
        "echoer".into(),
        bytes(b"st\xffart"),
        bytes(b"x\xfe"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(root.read_bytes("tmp/args"), b"st\xffart|x\xfe|");

    let out = run(&[
        "/usr/sbin/service".into(),
        bytes(b"echo\xffer"),
        "start".into(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        text(&out.stderr),
        "service: service name \"echo\\xFFer\" is not UTF-8 text\n"
    );

    let out = run(&[
        "/usr/sbin/update-rc.d".into(),
        bytes(b"echo\xffer"),
        "defaults".into(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        text(&out.stderr),
        "update-rc.d: error: argument \"echo\\xFFer\" is not UTF-8 text\n"
    );
}

/// No command panics on an argument that is not UTF-8, in any place.
/// (In a namespace: a command that went further than it should could only
/// take the namespace down.)
#[test]
fn no_command_panics_on_bytes() {
    let (_root, pid1) = boot();
    let bad = bytes(b"\xff\xfe");
    let dashed = bytes(b"-\xff");
    let long = bytes(b"--\xff");
    let lines: Vec<Vec<OsString>> = vec![
        vec!["/sbin/telinit".into(), bad.clone()],
        vec!["/sbin/telinit".into(), dashed.clone()],
        vec!["/sbin/telinit".into(), "-t".into(), bad.clone(), "q".into()],
        vec![
            "/sbin/telinit".into(),
            "--wait".into(),
            "--timeout".into(),
            bad.clone(),
            "3".into(),
        ],
        vec!["/sbin/init".into(), bad.clone()],
        vec!["/sbin/init".into(), "--check".into(), bad.clone()],
        vec!["/sbin/runlevel".into(), bad.clone()],
        vec!["/sbin/rc".into(), bad.clone()],
        vec!["/sbin/rc".into(), "-j".into(), bad.clone(), "2".into()],
        vec!["/sbin/rc".into(), long.clone()],
        vec!["/usr/sbin/service".into(), bad.clone()],
        vec!["/usr/sbin/service".into(), dashed.clone()],
        vec!["/usr/sbin/update-rc.d".into(), bad.clone(), "remove".into()],
        vec!["/sbin/shutdown".into(), bad.clone()],
        vec!["/sbin/shutdown".into(), dashed.clone()],
        vec!["/sbin/shutdown".into(), "-t".into(), bad.clone()],
        vec![
            "/sbin/shutdown".into(),
            "-i".into(),
            bad.clone(),
            "now".into(),
        ],
        vec!["/sbin/halt".into(), bad.clone()],
        vec!["/sbin/reboot".into(), dashed.clone()],
        vec![
            "/sbin/poweroff".into(),
            "-t".into(),
            bad.clone(),
            bad.clone(),
        ],
        vec!["/sbin/vinit".into(), bad.clone()],
        vec!["/sbin/vinit".into(), "status".into(), long.clone()],
        vec![
            "/sbin/vinit".into(),
            "blame".into(),
            "--level".into(),
            bad.clone(),
        ],
        vec![
            "/sbin/vinit".into(),
            "plot".into(),
            "--record".into(),
            bad.clone(),
        ],
        vec![
            "/sbin/vinit".into(),
            "check".into(),
            "--root".into(),
            bad.clone(),
        ],
        vec!["/sbin/vinit".into(), "supervise".into(), bad.clone()],
        vec!["/sbin/vinit".into(), "telinit".into(), bad.clone()],
    ];
    for line in lines {
        let mut cmd = pid1.command(&[]);
        cmd.args(&line);
        let out = finish(cmd);
        assert_ne!(out.status.code(), Some(101), "{line:?}: {}", describe(&out));
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{line:?}: {}",
            describe(&out)
        );
    }
    // init is still in 2: none of them asked it for anything.
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "N 2\n");
}
