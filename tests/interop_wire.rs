//! Interop of the wire contracts with Debian's real sysvinit 3.06 binaries
//! (fetched by `tests/common/debian_pkg.rs`, never installed) and with
//! the host's coreutils `who` and util-linux `last` (docs/compatibility.md §4, §5, §13).
//!
//! Anything that touches `/run` runs in a private mount namespace with a
//! temp dir bind-mounted over `/run`, so the host's `/run/initctl` and
//! `/run/runlevel` are never read or written. The real `init` runs only in
//! its telinit role (not PID 1, never with `-i`/`--init`) or as PID 1 of a
//! fresh PID namespace ([`RealInit`]). Needs root (as the suite runs).

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vinit::initctl::{self, Request};
use vinit::utmp::{self, Recorder};

mod common;
use common::debian_pkg::real;
use common::{initctl_vector, text};

fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vinit"))
}

/// Runs `program` as `argv0 args…` in a private mount namespace whose `/run`
/// is `run_dir`.
fn run_with_private_run<A: AsRef<OsStr>>(
    run_dir: &Path,
    program: &Path,
    argv0: &str,
    args: &[A],
) -> Output {
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg(r#"mount --bind "$1" /run || exit 99; shift; exec -a "$@""#)
        .arg("bash")
        .arg(run_dir)
        .arg(argv0)
        .arg(program)
        .args(args)
        .output()
        .expect("run unshare")
}

/// What a command did: exit code, stdout, stderr, and the bytes it wrote
/// to `/run/initctl` (a FIFO we hold open for reading), if asked for.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    fifo: Vec<u8>,
}

/// Runs `program` as `telinit args…` with a `/run` holding a FIFO
/// `initctl` (or nothing, or a FIFO nobody reads) and captures what it wrote.
fn telinit_outcome(program: &Path, args: &[&str], fifo: FifoSetup) -> Outcome {
    outcome_as(program, "telinit", args, fifo)
}

/// [`telinit_outcome`] with another `argv[0]`.
fn outcome_as<A: AsRef<OsStr>>(
    program: &Path,
    argv0: &str,
    args: &[A],
    fifo: FifoSetup,
) -> Outcome {
    let run = tempfile::tempdir().unwrap();
    let path = run.path().join("initctl");
    let mut reader = None;
    if fifo != FifoSetup::Missing {
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    }
    if fifo == FifoSetup::Read {
        // Non-blocking, so the open does not wait for a writer and the read
        // below ends at EOF once the writer has exited.
        reader = Some(
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)
                .unwrap(),
        );
    }
    let output = run_with_private_run(run.path(), program, argv0, args);
    assert_ne!(output.status.code(), Some(99), "bind mount failed");
    let mut bytes = Vec::new();
    if let Some(mut reader) = reader {
        reader.read_to_end(&mut bytes).unwrap();
    }
    Outcome {
        code: output.status.code(),
        stdout: text(&output.stdout),
        stderr: text(&output.stderr),
        fifo: bytes,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FifoSetup {
    Read,
    NoReader,
    Missing,
}

/// (d) The real telinit and ours write byte-identical requests for the same
/// command lines, matching the golden captures and our decoder.
#[test]
fn telinit_requests_match_debian_byte_for_byte() {
    let cases: &[(&[&str], Option<&str>, Vec<Request>)] = &[
        (
            &["3"],
            Some("telinit-3.bin"),
            vec![Request::runlevel(b'3', 3)],
        ),
        (
            &["-t", "7", "s"],
            Some("telinit-t7-s.bin"),
            vec![Request::runlevel(b's', 7)],
        ),
        (
            &["q"],
            Some("telinit-q.bin"),
            vec![Request::runlevel(b'q', 3)],
        ),
        (
            &["u"],
            Some("telinit-u.bin"),
            vec![Request::runlevel(b'u', 3)],
        ),
        (&["a"], None, vec![Request::runlevel(b'a', 3)]),
        (&["-t5", "S"], None, vec![Request::runlevel(b'S', 5)]),
        (&["3", "-t", "9"], None, vec![Request::runlevel(b'3', 9)]),
        (&["-t", "abc", "5"], None, vec![Request::runlevel(b'5', 0)]),
        (&["--", "6"], None, vec![Request::runlevel(b'6', 3)]),
        (
            &["-e", "INIT_FOO=bar", "-e", "INIT_BAZ"],
            Some("telinit-e-env.bin"),
            vec![Request::setenv(&["INIT_FOO=bar", "INIT_BAZ"]).unwrap()],
        ),
        (
            &["-t", "4", "-eNOTINIT=x"],
            None,
            vec![Request::setenv(&["NOTINIT=x"]).unwrap()],
        ),
    ];
    for (args, golden, expected) in cases {
        let theirs = telinit_outcome(&real("telinit"), args, FifoSetup::Read);
        let mine = telinit_outcome(&ours(), args, FifoSetup::Read);
        assert_eq!(theirs.code, Some(0), "real telinit {args:?}: {theirs:?}");
        assert_eq!(mine, theirs, "telinit {args:?}");
        let decoded: Vec<Request> = theirs
            .fifo
            .chunks(initctl::REQUEST_LEN)
            .map(|c| Request::decode(c).unwrap())
            .collect();
        assert_eq!(&decoded, expected, "telinit {args:?}");
        if let Some(golden) = golden {
            assert_eq!(
                theirs.fifo,
                initctl_vector(golden),
                "telinit {args:?} vs {golden}"
            );
        }
    }
}

/// Arguments are bytes: `-e` strings that are not UTF-8 reach the FIFO as
/// Debian's telinit sends them, byte for byte.
#[test]
fn telinit_setenv_bytes_match_debian() {
    use std::os::unix::ffi::OsStrExt;
    let args = [
        OsStr::new("-e"),
        OsStr::from_bytes(b"INIT_X=a\xffb"),
        OsStr::from_bytes(b"-eINIT_\xe9=\x80"),
    ];
    let theirs = outcome_as(&real("telinit"), "telinit", &args, FifoSetup::Read);
    let mine = outcome_as(&ours(), "telinit", &args, FifoSetup::Read);
    assert_eq!(theirs.code, Some(0), "real telinit: {theirs:?}");
    assert_eq!(mine, theirs);
    let request = Request::decode(&mine.fifo).expect("one request");
    assert!(
        request
            .data
            .starts_with(b"INIT_X=a\xffb\0INIT_\xe9=\x80\0\0"),
        "{:?}",
        &request.data[..24]
    );
}

/// `/sbin/init LEVEL` outside PID 1 (without `-i`) is telinit: `shutdown`
/// relies on it. Messages name the program as called.
#[test]
fn init_outside_pid1_acts_as_telinit_like_debian() {
    for args in [&["-t", "0", "0"][..], &["6"][..], &["33"][..], &["-x"][..]] {
        let theirs = outcome_as(&real("init"), "/sbin/init", args, FifoSetup::Read);
        let mine = outcome_as(&ours(), "/sbin/init", args, FifoSetup::Read);
        assert_eq!(mine, theirs, "init {args:?}");
    }
    let mine = outcome_as(&ours(), "/sbin/init", &["-t", "0", "0"], FifoSetup::Read);
    assert_eq!(mine.fifo, Request::runlevel(b'0', 0).encode());
    let mine = outcome_as(&ours(), "/sbin/init", &["33"], FifoSetup::Read);
    assert!(mine.stderr.starts_with("Usage: init {"), "{mine:?}");
}

/// (d) Errors: same messages, same exit codes, nothing written.
#[test]
fn telinit_errors_match_debian() {
    let too_big = "A".repeat(367);
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["33"],
        vec!["x"],
        vec!["3", "4"],
        vec!["-x", "3"],
        vec!["-t"],
        vec!["3", "-e"],
        vec!["-e", "INIT_A", "3"],
        vec!["-e", &too_big],
        vec!["-e", &too_big, "-x"],
        vec!["--version", "3"],
        vec!["-i3"],
    ];
    for args in &cases {
        let theirs = telinit_outcome(&real("telinit"), args, FifoSetup::Read);
        let mine = telinit_outcome(&ours(), args, FifoSetup::Read);
        assert_eq!(theirs.code, Some(1), "real telinit {args:?}: {theirs:?}");
        assert!(theirs.fifo.is_empty());
        assert_eq!(mine, theirs, "telinit {args:?}");
    }
}

/// (d) No FIFO, and a FIFO nobody reads (the 3-second timeout).
#[test]
fn telinit_channel_failures_match_debian() {
    for setup in [FifoSetup::Missing, FifoSetup::NoReader] {
        let theirs = telinit_outcome(&real("telinit"), &["5"], setup);
        let mine = telinit_outcome(&ours(), &["5"], setup);
        assert_eq!(theirs.code, Some(1), "{setup:?}: {theirs:?}");
        assert_eq!(mine, theirs, "{setup:?}");
    }
    let missing = telinit_outcome(&ours(), &["5"], FifoSetup::Missing);
    assert_eq!(
        missing.stderr,
        "telinit: /run/initctl: No such file or directory\n"
    );
    let unread = telinit_outcome(&ours(), &["5"], FifoSetup::NoReader);
    assert_eq!(
        unread.stderr,
        "telinit: timeout opening/writing control channel /run/initctl\n"
    );
}

/// `--version` (any user) and the superuser check.
#[test]
fn telinit_version_and_superuser_match_debian() {
    let theirs = telinit_outcome(&real("telinit"), &["--version"], FifoSetup::Read);
    let mine = telinit_outcome(&ours(), &["--version"], FifoSetup::Read);
    assert_eq!(theirs.stdout, "SysV init version: 3.06\n\n");
    assert_eq!(mine, theirs);

    let as_nobody = |program: &Path, args: &[&str]| {
        let output = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .args(["bash", "-c", r#"exec -a "$@""#, "bash", "telinit"])
            .arg(program)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    for args in [&["3"][..], &["--version"][..]] {
        let theirs = as_nobody(&real("telinit"), args);
        assert_eq!(as_nobody(&ours(), args), theirs, "{args:?}");
    }
    assert_eq!(
        as_nobody(&ours(), &["3"]),
        (
            Some(1),
            String::new(),
            "telinit: must be superuser.\n".to_string()
        )
    );
}

/// Writes a utmp (and wtmp) with our Recorder for the level history `path`,
/// e.g. `[N, 3, 5]` = boot into 3, then 3 -> 5.
fn recorded(dir: &Path, levels: &[u8]) -> (PathBuf, PathBuf) {
    let utmp = dir.join("utmp");
    let wtmp = dir.join("wtmp");
    File::create(&wtmp).unwrap();
    let mut recorder = Recorder::new(&utmp, &wtmp);
    recorder.reset_utmp().unwrap();
    recorder.boot();
    for pair in levels.windows(2) {
        recorder.runlevel(pair[1], pair[0]);
    }
    (utmp, wtmp)
}

/// Runs `runlevel [args]` (real or ours) with `/run` = `run_dir`.
fn runlevel_outcome(program: &Path, run_dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = run_with_private_run(run_dir, program, "runlevel", args);
    assert_ne!(output.status.code(), Some(99), "bind mount failed");
    assert_eq!(text(&output.stderr), "");
    (output.status.code(), text(&output.stdout))
}

/// (a) + (e) The real `runlevel` reads our utmp as we mean it, and ours
/// agrees with it on the same files, including the `/run/runlevel` fallback.
#[test]
fn runlevel_reads_our_utmp_like_debian() {
    let cases: &[(&[u8], &str)] = &[
        (b"N3", "N 3\n"),
        (b"N35", "3 5\n"),
        (b"N35S3", "S 3\n"),
        (b"N2S", "2 S\n"),
        (b"NS", "N S\n"),
    ];
    for (levels, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (utmp, _) = recorded(dir.path(), levels);
        let run = tempfile::tempdir().unwrap();
        let utmp = utmp.to_str().unwrap();
        let theirs = runlevel_outcome(&real("runlevel"), run.path(), &[utmp]);
        assert_eq!(theirs, (Some(0), expected.to_string()), "levels {levels:?}");
        assert_eq!(runlevel_outcome(&ours(), run.path(), &[utmp]), theirs);
    }

    // No RUN_LVL record: /run/runlevel, then "unknown".
    let dir = tempfile::tempdir().unwrap();
    let (utmp, _) = recorded(dir.path(), b"");
    let utmp = utmp.to_str().unwrap();
    let run = tempfile::tempdir().unwrap();
    for args in [&[utmp][..], &["/nonexistent/utmp"][..], &[][..]] {
        let theirs = runlevel_outcome(&real("runlevel"), run.path(), args);
        assert_eq!(theirs, (Some(1), "unknown\n".to_string()), "{args:?}");
        assert_eq!(runlevel_outcome(&ours(), run.path(), args), theirs);
    }
    utmp::write_runlevel_file(&run.path().join("runlevel"), b'*').unwrap();
    for args in [&[utmp][..], &[][..]] {
        let theirs = runlevel_outcome(&real("runlevel"), run.path(), args);
        assert_eq!(theirs, (Some(0), "N *\n".to_string()), "{args:?}");
        assert_eq!(runlevel_outcome(&ours(), run.path(), args), theirs);
    }
    // Without an argument both read /var/run/utmp (= /run/utmp here).
    recorded(run.path(), b"N5");
    let theirs = runlevel_outcome(&real("runlevel"), run.path(), &[]);
    assert_eq!(theirs, (Some(0), "N 5\n".to_string()));
    assert_eq!(runlevel_outcome(&ours(), run.path(), &[]), theirs);
}

fn host_tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(output.status.success(), "{program} {args:?}: {output:?}");
    text(&output.stdout)
}

/// (b) coreutils `who -r` / `who -b` read our utmp.
#[test]
fn who_reads_our_utmp() {
    let dir = tempfile::tempdir().unwrap();
    let (utmp, _) = recorded(dir.path(), b"NS3");
    let utmp = utmp.to_str().unwrap();
    let level = host_tool("who", &["-r", utmp]);
    assert!(
        level.contains("run-level 3") && level.trim_end().ends_with("last=S"),
        "who -r: {level:?}"
    );
    let boot = host_tool("who", &["-b", utmp]);
    assert!(boot.contains("system boot"), "who -b: {boot:?}");
    // Previous level N is shown as S by who.
    let dir = tempfile::tempdir().unwrap();
    let (utmp, _) = recorded(dir.path(), b"N5");
    let level = host_tool("who", &["-r", utmp.to_str().unwrap()]);
    assert!(
        level.contains("run-level 5") && level.contains("last=S"),
        "who -r: {level:?}"
    );
}

/// (c) util-linux `last -x` reads our wtmp: boot, level changes, shutdown.
#[test]
fn last_reads_our_wtmp() {
    let dir = tempfile::tempdir().unwrap();
    let (_, wtmp) = recorded(dir.path(), b"N30");
    utmp::write_shutdown_record(&wtmp);
    let release = nix::sys::utsname::uname()
        .unwrap()
        .release()
        .to_string_lossy()
        .into_owned();
    let out = host_tool("last", &["-x", "-f", wtmp.to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    let find = |prefix: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in last -x output:\n{out}"))
    };
    assert!(find("reboot   system boot").contains(&release[..release.len().min(16)]));
    assert!(find("runlevel (to lvl 3)").contains(&release[..release.len().min(16)]));
    find("runlevel (to lvl 0)");
    find("shutdown system down");
    // Newest first: shutdown, lvl 0, lvl 3, boot.
    let order: Vec<usize> = [
        "shutdown",
        "runlevel (to lvl 0)",
        "runlevel (to lvl 3)",
        "reboot",
    ]
    .iter()
    .map(|p| lines.iter().position(|l| l.starts_with(p)).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "order in:\n{out}");
}

/// utmpdump (util-linux) sees the fields of docs/compatibility.md §5.2 in our records.
#[test]
fn utmpdump_shows_our_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (utmp, wtmp) = recorded(dir.path(), b"N3");
    Recorder::new(&utmp, &wtmp).init_process("t1", 4242);
    let out = host_tool("utmpdump", &[utmp.to_str().unwrap()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with(
            "[2] [00000] [~~  ] [reboot  ] [~           ] [                    ] [0.0.0.0        ]"
        ),
        "{out}"
    );
    assert!(
        lines[1].starts_with(
            "[1] [20019] [~~  ] [runlevel] [~           ] [                    ] [0.0.0.0        ]"
        ),
        "{out}"
    );
    assert!(
        lines[2].starts_with(
            "[5] [04242] [t1  ] [        ] [            ] [                    ] [0.0.0.0        ]"
        ),
        "{out}"
    );
}

/// Debian's real `/sbin/init` as PID 1 of a fresh PID + mount namespace,
/// chrooted into a temp root that shares the host's `/usr` read-only. Its
/// `/run` is a plain directory of that root, so the test reaches
/// `/run/initctl`, utmp and `/run/runlevel` from outside. Drop kills the
/// namespace (unshare's `--kill-child` SIGKILLs init, which takes every
/// process of the namespace with it).
struct RealInit {
    root: tempfile::TempDir,
    unshare: std::process::Child,
}

impl RealInit {
    fn boot(inittab: &str) -> RealInit {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for dir in ["usr", "sbin", "etc", "run", "var/log", "tmp", "dev", "proc"] {
            std::fs::create_dir_all(r.join(dir)).unwrap();
        }
        for (link, target) in [
            ("bin", "usr/bin"),
            ("lib", "usr/lib"),
            ("lib64", "usr/lib64"),
            ("var/run", "../run"),
            ("sbin/telinit", "init"),
        ] {
            std::os::unix::fs::symlink(target, r.join(link)).unwrap();
        }
        std::fs::copy(real("init"), r.join("sbin/init")).unwrap();
        for file in ["var/log/wtmp", "dev/null", "dev/console"] {
            File::create(r.join(file)).unwrap();
        }
        std::fs::write(r.join("etc/inittab"), inittab).unwrap();
        let unshare = Command::new("/usr/bin/unshare")
            .args([
                "--pid",
                "--mount",
                "--propagation",
                "private",
                "--kill-child",
            ])
            .args(["--", "/usr/bin/bash", "-c"])
            .arg(concat!(
                r#"r=$1; mount --bind /usr "$r/usr" && mount -o remount,bind,ro "$r/usr" && "#,
                r#"mount --bind /dev/null "$r/dev/null" && mount -t proc proc "$r/proc" && "#,
                r#"exec /usr/sbin/chroot "$r" /sbin/init"#
            ))
            .arg("bash")
            .arg(r)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin")
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("start unshare");
        RealInit { root, unshare }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Polls `done` until it holds; the timeout is only a safety net.
    fn wait_for(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !done() {
            assert!(
                std::time::Instant::now() < deadline,
                "real init: gave up waiting for {what}; console:\n{}",
                String::from_utf8_lossy(
                    &std::fs::read(self.path("dev/console")).unwrap_or_default()
                )
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn utmp_has(&self, ut_type: i16, pid_or_id: impl Fn(&utmp::Record) -> bool) -> bool {
        utmp::Record::read_all(&self.path("run/utmp"))
            .map(|records| records.iter().any(|r| r.ut_type == ut_type && pid_or_id(r)))
            .unwrap_or(false)
    }
}

impl Drop for RealInit {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

/// Records with the time zeroed, for comparing two runs.
fn timeless(path: &Path) -> Vec<utmp::Record> {
    utmp::Record::read_all(path)
        .unwrap()
        .into_iter()
        .map(|r| utmp::Record {
            tv_sec: 0,
            tv_usec: 0,
            ..r
        })
        .collect()
}

/// docs/compatibility.md §13.2: our telinit drives the real init (SETENV filtering and a
/// level change), both runlevels read its utmp alike, and our Recorder,
/// replaying the events the real init logged in wtmp, produces the same
/// utmp and wtmp records (times aside).
#[test]
fn real_init_obeys_our_telinit_and_our_recorder_matches_its_records() {
    let init = RealInit::boot(concat!(
        "id:3:initdefault:\n",
        "si::sysinit:/bin/true\n",
        "l3:3:wait:/bin/sh -c 'echo 3 > /tmp/l3'\n",
        "l5:5:wait:/bin/sh -c 'env > /tmp/env5'\n",
        "t1:35:respawn:/bin/sleep 1000\n",
    ));
    init.wait_for("runlevel 3 and its t1 entry", || {
        init.utmp_has(utmp::RUN_LVL, |r| r.pid == 0x4E33)
            && init.utmp_has(utmp::INIT_PROCESS, |r| r.id == "t1")
    });

    let run = init.path("run");
    for args in [&["-e", "INIT_FOO=bar", "-e", "NOTINIT=x"][..], &["5"][..]] {
        let output = run_with_private_run(&run, &ours(), "telinit", args);
        assert!(output.status.success(), "our telinit {args:?}: {output:?}");
    }
    init.wait_for("entry l5 to finish", || {
        init.utmp_has(utmp::DEAD_PROCESS, |r| r.id == "l5")
    });
    let env = std::fs::read_to_string(init.path("tmp/env5")).unwrap();
    let env: Vec<&str> = env.lines().collect();
    for expected in ["INIT_FOO=bar", "RUNLEVEL=5", "PREVLEVEL=3"] {
        assert!(env.contains(&expected), "{expected} not in {env:?}");
    }
    assert!(!env.iter().any(|v| v.starts_with("NOTINIT")), "{env:?}");

    let utmp_path = init.path("run/utmp");
    let utmp_arg = utmp_path.to_str().unwrap();
    for args in [&[utmp_arg][..], &[][..]] {
        let theirs = runlevel_outcome(&real("runlevel"), &run, args);
        assert_eq!(theirs, (Some(0), "3 5\n".to_string()), "{args:?}");
        assert_eq!(runlevel_outcome(&ours(), &run, args), theirs, "{args:?}");
    }
    assert_eq!(
        utmp::read_runlevel_file(&init.path("run/runlevel")),
        Some(b'5')
    );

    // Replay what the real init logged through our Recorder.
    let real_wtmp = timeless(&init.path("var/log/wtmp"));
    let real_utmp = timeless(&utmp_path);
    drop(init);
    let dir = tempfile::tempdir().unwrap();
    let (utmp, wtmp) = (dir.path().join("utmp"), dir.path().join("wtmp"));
    File::create(&utmp).unwrap();
    File::create(&wtmp).unwrap();
    let mut recorder = Recorder::new(&utmp, &wtmp);
    for r in &real_wtmp {
        match r.ut_type {
            utmp::BOOT_TIME => recorder.boot(),
            utmp::RUN_LVL => {
                let [new, old, ..] = r.pid.to_le_bytes();
                recorder.runlevel(new, old)
            }
            utmp::INIT_PROCESS => recorder.init_process(&r.id, r.pid),
            utmp::DEAD_PROCESS => recorder.dead_process(&r.id, r.pid),
            other => panic!("unexpected record type {other} from the real init: {r:?}"),
        }
    }
    assert!(real_wtmp.iter().any(|r| r.ut_type == utmp::BOOT_TIME));
    assert_eq!(timeless(&wtmp), real_wtmp);
    assert_eq!(timeless(&utmp), real_utmp);
}
