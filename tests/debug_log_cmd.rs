//! The debug log of `update-rc.d`, `shutdown` and `halt` (`VINIT_LOG=debug`):
//! the real binary says what it decided and why, on stderr as
//! `NAME: debug: …` lines, and without the variable its stderr is what it
//! was.
//!
//! Safety: `update-rc.d` works on a scratch tree through `DPKG_ROOT`;
//! `shutdown` runs chrooted in a throw-away root whose `/run/initctl` is a
//! FIFO of the test; `halt --final` runs as PID 1 of a fresh PID namespace,
//! where `reboot(2)` only ends the namespace.

mod common;
use common::text;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::ns::TestRoot;
use nix::sys::stat::Mode;
use nix::unistd::mkfifo;

const DEBUG_MARK: &str = ": debug: ";

/// The lines of `stderr` that are not debug lines.
fn without_debug_lines(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.contains(DEBUG_MARK))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn assert_lines(stderr: &str, wanted: &[&str]) {
    for line in wanted {
        assert!(
            stderr.lines().any(|l| l == *line),
            "missing {line:?} in\n{stderr}"
        );
    }
}

/// A scratch root with the init scripts of docs/compatibility.md §8.4's example.
fn init_d_root() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("debug-log-")
        .tempdir_in(common::work_dir("test-roots"))
        .expect("tempdir");
    let init_d = dir.path().join("etc/init.d");
    fs::create_dir_all(&init_d).unwrap();
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rc/insserv-example/init.d");
    for entry in fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        let target = init_d.join(path.file_name().unwrap());
        fs::copy(&path, &target).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

fn update_rc_d(root: &Path, args: &[&str], log: Option<&str>) -> Output {
    let mut cmd = Command::new(common::vinit_bin());
    cmd.arg0("update-rc.d")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/sbin:/usr/bin:/bin")
        .env("DPKG_ROOT", root);
    if let Some(spec) = log {
        cmd.env("VINIT_LOG", spec);
    }
    cmd.output().expect("run update-rc.d")
}

/// Every link under `root`'s rc directories, sorted.
fn links(root: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut all = Vec::new();
    for level in "0123456S".chars() {
        let dir = root.join(format!("etc/rc{level}.d"));
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let target = fs::read_link(entry.path()).unwrap_or_default();
            all.push((
                entry.path().strip_prefix(root).unwrap().to_path_buf(),
                target,
            ));
        }
    }
    all.sort();
    all
}

#[test]
fn update_rc_d_says_which_links_and_why() {
    let (quiet, verbose) = (init_d_root(), init_d_root());
    for name in ["mountkernfs.sh", "hostname.sh", "mountall.sh", "rsyslog"] {
        let plain = update_rc_d(quiet.path(), &[name, "defaults"], None);
        let logged = update_rc_d(verbose.path(), &[name, "defaults"], Some("debug"));
        if name == "mountkernfs.sh" {
            // Before its link exists, Debian's update-rc.d passes -f to insserv.
            assert!(
                text(&logged.stderr).lines().any(|l| l.ends_with(
                    "required services not checked (-f implied: no mountkernfs.sh link)"
                )),
                "{}",
                text(&logged.stderr)
            );
        }
        assert_eq!(plain.status.code(), logged.status.code(), "{name}");
        let (plain_err, logged_err) = (text(&plain.stderr), text(&logged.stderr));
        assert!(!plain_err.contains(DEBUG_MARK), "{plain_err}");
        assert_eq!(
            without_debug_lines(&logged_err),
            plain_err,
            "{name}: stderr besides the debug lines"
        );
        assert_eq!(plain.stdout, logged.stdout, "{name}");
    }
    assert_eq!(links(quiet.path()), links(verbose.path()));

    let out = update_rc_d(verbose.path(), &["networking", "defaults"], Some("debug"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert_lines(
        &stderr,
        &[
            &format!(
                "update-rc.d: debug: defaults networking under {}",
                verbose.path().display()
            ),
            "update-rc.d: debug: networking: start levels S, stop levels 0 6 (from Default-Start and Default-Stop)",
            "update-rc.d: debug: mountall.sh: start levels S, stop levels empty (from its links)",
            "update-rc.d: debug: mountkernfs.sh: start number 01, nothing before it in its levels",
            "update-rc.d: debug: mountall.sh: start number 02, after mountkernfs.sh",
            "update-rc.d: debug: networking: start number 03, after mountall.sh mountkernfs.sh",
            "update-rc.d: debug: rcS.d/S03networking: start level S of networking",
            &format!(
                "update-rc.d: debug: adding {}/etc/rcS.d/S03networking -> ../init.d/networking",
                verbose.path().display()
            ),
        ],
    );
    // RUST_LOG is the fallback, with env_logger's filter syntax.
    let out = Command::new(common::vinit_bin())
        .arg0("update-rc.d")
        .args(["networking", "remove"])
        .env_clear()
        .env("DPKG_ROOT", verbose.path())
        .env("RUST_LOG", "vinit::cmd=debug")
        .output()
        .expect("run update-rc.d");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("update-rc.d: debug: removing "), "{stderr}");
    // rc::numbering's lines are outside the filter.
    assert!(!stderr.contains("start number"), "{stderr}");
}

/// `argv` run chrooted in `root`, in a private mount namespace.
fn run_in_root(root: &TestRoot, argv: &[&str], log: Option<&str>) -> Output {
    let mut cmd = root.command_in_root("", argv);
    cmd.env_remove("VINIT_LOG").env_remove("RUST_LOG");
    if let Some(spec) = log {
        cmd.env("VINIT_LOG", spec);
    }
    cmd.output().expect("run in root")
}

#[test]
fn shutdown_says_what_it_asks_of_init() {
    let root = TestRoot::new();
    // init's FIFO, held open for reading so that the requests go through.
    let fifo = root.join("run/initctl");
    mkfifo(&fifo, Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let _reader = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .expect("open the FIFO");
    let argv = ["/sbin/shutdown", "-h", "-P", "-t", "5", "now"];
    let plain = run_in_root(&root, &argv, None);
    let logged = run_in_root(&root, &argv, Some("debug"));
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    assert!(logged.status.success(), "{}", text(&logged.stderr));
    let stderr = text(&logged.stderr);
    assert_eq!(without_debug_lines(&stderr), text(&plain.stderr));
    assert_lines(
        &stderr,
        &[
            "shutdown: debug: asked for runlevel 0 (for system halt), INIT_HALT POWEROFF, time now",
            "shutdown: debug: setting INIT_HALT=POWEROFF in init, then running /sbin/init -t 5 0",
        ],
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("shutdown: debug: time now read at ")
                && l.ends_with(": going down in 0 minutes")),
        "{stderr}"
    );

    // A bad time: the usage, as without the log, after the reason.
    let argv = ["/sbin/shutdown", "-r", "soon"];
    let plain = run_in_root(&root, &argv, None);
    let logged = run_in_root(&root, &argv, Some("debug"));
    assert_eq!(plain.status.code(), Some(1));
    assert_eq!(logged.status.code(), Some(1));
    let stderr = text(&logged.stderr);
    assert_eq!(without_debug_lines(&stderr), text(&plain.stderr));
    assert_lines(
        &stderr,
        &[
            "shutdown: debug: asked for runlevel 6 (for reboot), INIT_HALT unset, time soon",
            "shutdown: debug: time \"soon\" is not now, +M, M, +H:MM or HH:MM",
        ],
    );
}

#[test]
fn halt_final_says_each_step_of_the_teardown() {
    let root = TestRoot::new();
    let out =
        root.as_namespace_init("RUNLEVEL=6 VINIT_LOG=debug /sbin/halt --final; echo returned $?");
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.signal(), Some(libc::SIGHUP), "{log}");
    assert_lines(
        &log,
        &[
            "halt: debug: final step: RUNLEVEL=6, INIT_HALT=(unset): Reboot",
            "halt: debug: every other process is gone",
            "halt: debug: reboot(2) for Reboot",
        ],
    );
    assert!(
        log.lines()
            .any(|l| l.starts_with("halt: debug: unmount plan: [") && l.contains("ReadOnly(\"/\")")),
        "{log}"
    );
    // A PID namespace of its own: the host's swap and superblocks are left alone.
    assert!(
        log.lines()
            .any(|l| l.starts_with("halt: debug: Reboot of a container")),
        "{log}"
    );

    // Not at the end of level 0 or 6: refused, and the log says why.
    let refused = |log_spec: &str| {
        let out = root.as_namespace_init(&format!(
            "RUNLEVEL=2 {log_spec} /sbin/halt --final; echo returned $?"
        ));
        assert!(text(&out.stdout).contains("returned 1"), "{out:?}");
        text(&out.stderr)
    };
    let plain = refused("");
    let logged = refused("VINIT_LOG=debug");
    assert_eq!(without_debug_lines(&logged), plain);
    assert_lines(
        &logged,
        &["halt: debug: final step: RUNLEVEL=2, INIT_HALT=(unset): not the end of runlevel 0 or 6"],
    );
}
