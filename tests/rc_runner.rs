//! `rc` run as a process on fixture trees (`rc --root DIR LEVEL`; no PID 1 needed).
//!
//! Each fixture script appends `name action start_ns end_ns` to `<root>/log`;
//! ordering and parallelism are asserted from those logged times, never from
//! how long a test took.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

struct Tree {
    dir: TempDir,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    action: String,
    start: u128,
    end: u128,
}

impl Tree {
    fn new() -> Tree {
        let tree = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["etc/init.d", "var/log", "run", "proc"] {
            std::fs::create_dir_all(tree.path().join(d)).unwrap();
        }
        // An empty insserv.conf: only the facilities a test defines exist.
        tree.write("etc/insserv.conf", "");
        tree
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `/etc/init.d/<name>` with the given header lines (`None`: no header),
    /// running `body` between its logged start and end; `body` may set `rc`.
    fn script(&self, name: &str, header: Option<&str>, body: &str) {
        let mut text = String::from("#!/bin/sh\n");
        if let Some(fields) = header {
            text.push_str("### BEGIN INIT INFO\n");
            if !fields.contains("Provides:") {
                text.push_str(&format!("# Provides: {name}\n"));
            }
            for f in fields.split(';').map(str::trim).filter(|f| !f.is_empty()) {
                text.push_str(&format!("# {f}\n"));
            }
            text.push_str("### END INIT INFO\n");
        }
        text.push_str(&format!(
            "rc=0\ns=$(date +%s%N)\n{body}\ne=$(date +%s%N)\necho \"{name} $1 $s $e\" >> {log}\nexit $rc\n",
            log = self.path().join("log").display()
        ));
        let path = self.path().join("etc/init.d").join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }

    /// Links `etc/rc<level>.d/<link>` to `../init.d/<script>`.
    fn link(&self, level: &str, link: &str) {
        let dir = self.path().join(format!("etc/rc{level}.d"));
        std::fs::create_dir_all(&dir).unwrap();
        let script = link.get(3..).unwrap();
        std::os::unix::fs::symlink(format!("../init.d/{script}"), dir.join(link)).unwrap();
    }

    fn rc(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vinit"));
        cmd.arg0("rc")
            .arg("--root")
            .arg(self.path())
            .args(args)
            .env_remove("RUNLEVEL")
            .env_remove("PREVLEVEL")
            .env_remove("VINIT_RC_JOBS")
            .env_remove("VINIT_RC_TIMEOUT")
            .envs(env.iter().copied());
        cmd.output().unwrap()
    }

    fn log(&self) -> Vec<Entry> {
        let text = std::fs::read_to_string(self.path().join("log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                Entry {
                    name: f[0].to_string(),
                    action: f[1].to_string(),
                    start: f[2].parse().unwrap(),
                    end: f[3].parse().unwrap(),
                }
            })
            .collect()
    }

    fn record(&self) -> String {
        std::fs::read_to_string(self.path().join("run/vinit/rc/last")).unwrap()
    }
}

fn entry<'a>(log: &'a [Entry], name: &str) -> &'a Entry {
    log.iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} did not run: {log:?}"))
}

fn before(log: &[Entry], first: &str, then: &str) -> bool {
    entry(log, first).end <= entry(log, then).start
}

fn overlap(log: &[Entry], a: &str, b: &str) -> bool {
    let (a, b) = (entry(log, a), entry(log, b));
    a.start < b.end && b.start < a.end
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn rc_dependencies_order_and_parallelism() {
    let t = Tree::new();
    t.script("a", Some("Default-Start: 2"), "sleep 0.2");
    t.script("b", Some("Default-Start: 2"), "sleep 0.2");
    t.script("c", Some("Required-Start: a; Should-Start: b absent"), "");
    t.script("d", Some("Required-Start: $all"), "");
    t.script("e", Some("X-Start-Before: a"), "");
    for l in ["S01a", "S01b", "S02c", "S03d", "S01e"] {
        t.link("2", l);
    }
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let log = t.log();
    assert_eq!(log.len(), 5, "{log:?}");
    assert!(before(&log, "e", "a"), "X-Start-Before: {log:?}");
    assert!(before(&log, "a", "c") && before(&log, "b", "c"), "{log:?}");
    for other in ["a", "b", "c", "e"] {
        assert!(before(&log, other, "d"), "$all: {log:?}");
    }
    assert!(
        overlap(&log, "a", "b"),
        "independent scripts must overlap: {log:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in ["a", "b", "c", "d", "e"] {
        assert!(
            stdout.contains(&format!("[ ok ] Starting {name}.\n")),
            "{stdout}"
        );
    }
    // Every script got start, with the environment of sysv-rc.
    assert!(log.iter().all(|e| e.action == "start"));
}

#[test]
fn rc_scripts_get_sysv_rc_environment() {
    let t = Tree::new();
    t.script(
        "env",
        Some("Default-Start: 2"),
        &format!(
            "env | sort > {0}; umask >> {0}; grep -E '^Sig(Blk|Ign)' /proc/self/status >> {0}
            [ -t 1 ] && [ -t 2 ] && echo 'stdout and stderr: a terminal' >> {0}
            [ -t 0 ] || echo 'stdin: not a terminal' >> {0}",
            t.path().join("env.txt").display()
        ),
    );
    t.link("2", "S01env");
    let out = t.rc(
        &["2"],
        &[("PREVLEVEL", "1"), ("TERM", "vt102"), ("SECRET", "x")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let env = std::fs::read_to_string(t.path().join("env.txt")).unwrap();
    for want in [
        "PATH=/sbin:/usr/sbin:/bin:/usr/bin",
        "runlevel=2",
        "previous=1",
        "RUNLEVEL=2",
        "PREVLEVEL=1",
        "TERM=vt102",
        "0022",
        // rc blocks SIGCHLD, SIGINT, SIGQUIT, SIGTSTP; the scripts must not inherit that.
        "SigBlk:\t0000000000000000",
        // Nothing ignored, not even glibc's signals 32 and 33, which glibc's
        // posix_spawn sets to SIG_IGN (this test starts rc that way).
        "SigIgn:\t0000000000000000",
        // Output on a pty as with startpar; stdin is /dev/null.
        "stdout and stderr: a terminal",
        "stdin: not a terminal",
    ] {
        assert!(env.lines().any(|l| l == want), "{want} missing in:\n{env}");
    }
    assert!(!env.contains("SECRET"), "{env}");
}

/// A daemon a script leaves behind, still writing to the output it got from
/// the script, survives rc: it writes to a pty whose master rc has closed
/// (EIO), where with a pipe it would die of SIGPIPE.
#[test]
fn rc_daemon_outlives_rc_and_writes_late() {
    let t = Tree::new();
    let (pidfile, marker) = (t.path().join("daemon.pid"), t.path().join("wrote"));
    t.script(
        "daemon",
        Some("Default-Start: 2"),
        &format!(
            "sh -c 'sleep 1; echo late; echo $? > {}; sleep 30' & echo $! > {}",
            marker.display(),
            pidfile.display()
        ),
    );
    t.link("2", "S01daemon");
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout_has(&out, "[ ok ] Starting daemon."),
        "{}",
        text(&out)
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let pid = nix::unistd::Pid::from_raw(pid);
    // rc has exited; wait until the daemon has written (or died trying).
    let alive = || nix::sys::signal::kill(pid, None).is_ok();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !marker.exists() && alive() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::fs::read_to_string(&marker).unwrap_or_default();
    let survived = alive();
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    assert!(
        survived && !status.is_empty(),
        "the daemon died after rc exited (alive: {survived}, echo status: {status:?})"
    );
    // echo failed (EIO on the closed pty), and the daemon went on.
    assert_ne!(status.trim(), "0", "rc's end of the output was still open?");
}

#[test]
fn rc_headerless_scripts_keep_link_order() {
    let t = Tree::new();
    t.script("a", Some("Default-Start: 2"), "sleep 0.1");
    t.script("legacy", None, "sleep 0.1");
    t.script("b", Some("Default-Start: 2"), "");
    t.script("same", Some("Default-Start: 2"), "sleep 0.1");
    for l in ["S05a", "S10legacy", "S10same", "S20b"] {
        t.link("2", l);
    }
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let log = t.log();
    assert!(
        before(&log, "a", "legacy") && before(&log, "legacy", "b"),
        "{log:?}"
    );
    // `same` has a header and no dependencies: it may start at once.
    assert!(
        overlap(&log, "same", "a") || overlap(&log, "same", "legacy"),
        "{log:?}"
    );
}

#[test]
fn rc_timeout_kills_the_process_group() {
    let t = Tree::new();
    let pidfile = t.path().join("child.pid");
    t.script(
        "hang",
        Some("Default-Start: 2"),
        &format!("sleep 300 & echo $! > {}; sleep 300", pidfile.display()),
    );
    t.script("fine", Some("Default-Start: 2"), "");
    t.link("2", "S01hang");
    t.link("2", "S01fine");
    let out = t.rc(&["-t", "1", "2"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[FAIL] Starting hang failed (timed out after 1 s)."),
        "{stdout}"
    );
    assert!(stdout.contains("[ ok ] Starting fine."), "{stdout}");
    let record = t.record();
    assert!(
        record
            .lines()
            .any(|l| l.contains("\thang\t") && l.contains("\t-\ttimeout\t")),
        "{record}"
    );
    // The script's background child was in its process group and died too
    // (it may linger as a zombie until its new parent reaps it). SIGKILL
    // takes effect asynchronously: on a busy machine the child may still be
    // on its way out when rc has exited, so wait for it (20 s at most; alive,
    // it would sleep 300 s).
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let stat = || std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut last = stat();
    while !(last.is_empty() || last.contains(") Z ")) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        last = stat();
    }
    assert!(
        last.is_empty() || last.contains(") Z "),
        "background child still alive: {last}"
    );
}

#[test]
fn rc_loop_falls_back_to_link_order() {
    let t = Tree::new();
    t.script("a", Some("Required-Start: b"), "sleep 0.05");
    t.script("b", Some("Required-Start: a"), "sleep 0.05");
    t.script("c", Some(""), "sleep 0.05");
    for l in ["S01a", "S02b", "S03c"] {
        t.link("2", l);
    }
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "[warn] There is a loop between service a and b if started; running rc2.d in link order"
        ),
        "{stdout}"
    );
    let log = t.log();
    assert!(before(&log, "a", "b") && before(&log, "b", "c"), "{log:?}");
}

#[test]
fn rc_missing_required_falls_back_to_link_order() {
    let t = Tree::new();
    t.script("a", Some("Required-Start: $network"), "sleep 0.05");
    t.script("b", Some(""), "");
    t.link("2", "S01a");
    t.link("2", "S02b");
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[warn] service $network has to be enabled to use service a; running rc2.d in link order"),
        "{stdout}"
    );
    assert!(before(&t.log(), "a", "b"));
}

#[test]
fn rc_interactive_scripts_run_alone() {
    let t = Tree::new();
    t.script("x", Some("Default-Start: 2"), "sleep 0.2");
    t.script("y", Some("Default-Start: 2"), "sleep 0.2");
    t.script("ask", Some("X-Interactive: true"), "sleep 0.1");
    t.script("z", Some("Default-Start: 2"), "sleep 0.2");
    for l in ["S01x", "S01y", "S01ask", "S01z"] {
        t.link("2", l);
    }
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let log = t.log();
    for other in ["x", "y", "z"] {
        assert!(!overlap(&log, "ask", other), "{log:?}");
    }
    assert!(stdout_has(&out, "[ ok ] Starting ask."));
}

fn stdout_has(out: &Output, needle: &str) -> bool {
    String::from_utf8_lossy(&out.stdout).contains(needle)
}

#[test]
fn rc_exit_codes_5_6_7() {
    let t = Tree::new();
    t.script("five", Some("Default-Start: 2"), "rc=5");
    t.script("six", Some("Default-Start: 2"), "rc=6");
    t.link("2", "S01five");
    t.link("2", "S01six");
    let out = t.rc(&["2"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "5 and 6 are not failures: {}",
        text(&out)
    );
    assert!(
        stdout_has(&out, "[warn] Starting five: not installed."),
        "{}",
        text(&out)
    );
    assert!(
        stdout_has(&out, "[warn] Starting six: not configured."),
        "{}",
        text(&out)
    );

    // 7 fails a start…
    t.script("seven", Some("Default-Start: 3"), "rc=7");
    t.link("3", "S01seven");
    let out = t.rc(&["3"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout_has(&out, "[FAIL] Starting seven failed (exit status 7)."),
        "{}",
        text(&out)
    );

    // …but not a stop (3 -> 1 stops it: K link in rc1.d, none in rc3.d).
    t.link("1", "K01seven");
    let out = t.rc(&["1"], &[("PREVLEVEL", "3")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout_has(&out, "[ ok ] Stopping seven."), "{}", text(&out));

    // And an ordinary failure is one.
    t.script("bad", Some("Default-Start: 4"), "rc=1");
    t.link("4", "S01bad");
    assert_eq!(t.rc(&["4"], &[]).status.code(), Some(1));
}

#[test]
fn rc_boot_log_and_run_record() {
    let t = Tree::new();
    t.script(
        "talk",
        Some("Default-Start: 2"),
        "echo first line; echo second >&2; printf 'no newline'",
    );
    t.script("quiet", Some("Required-Start: talk"), "");
    t.link("2", "S01talk");
    t.link("2", "S02quiet");
    t.link("2", "S03gone"); // dangling
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("first line\nsecond\nno newline\n[ ok ] Starting talk.\n"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!(
        "[warn] Skipping {}/etc/rc2.d/S03gone: dangling link.",
        t.path().display()
    )));

    let log = std::fs::read_to_string(t.path().join("var/log/vinit/rc.log")).unwrap();
    let stamp = |l: &str| {
        // "YYYY-MM-DD HH:MM:SS.ffffff "
        l.len() > 27
            && l.as_bytes()[4] == b'-'
            && l.as_bytes()[10] == b' '
            && l.as_bytes()[19] == b'.'
    };
    assert!(log.lines().all(stamp), "{log}");
    assert!(!log.contains('\r'), "pty output must not add CRs: {log:?}");
    for want in [
        " talk: first line",
        " talk: second",
        " talk: no newline",
        " rc: [ ok ] Starting talk.",
    ] {
        assert!(
            log.lines().any(|l| l.ends_with(want)),
            "{want} missing in\n{log}"
        );
    }

    let record = t.record();
    let lines: Vec<Vec<&str>> = record.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines[0][0], "#level");
    assert!(lines.iter().all(|f| f.len() == 13), "{record}");
    let talk = lines.iter().find(|f| f[2] == "talk").unwrap();
    let quiet = lines.iter().find(|f| f[2] == "quiet").unwrap();
    assert_eq!((talk[0], talk[1], talk[3]), ("2", "N", "start"));
    assert!(talk[4].ends_with("/etc/rc2.d/S01talk"));
    assert_eq!((talk[9], talk[10]), ("0", "ok"));
    let mono = |f: &Vec<&str>, i: usize| f[i].parse::<u128>().unwrap();
    assert!(
        mono(talk, 5) <= mono(talk, 6) && mono(talk, 6) <= mono(quiet, 5),
        "{record}"
    );
    assert!(talk[7].contains('T') && talk[8].contains('T'));
    assert!(
        lines.iter().any(|f| f[2] == "gone" && f[10] == "skipped"),
        "{record}"
    );
}

#[test]
fn rc_output_is_not_interleaved() {
    let t = Tree::new();
    let body =
        |tag: &str| format!("for i in 1 2 3 4 5 6 7 8 9 10; do echo {tag}$i; sleep 0.01; done");
    t.script("p", Some("Default-Start: 2"), &body("p"));
    t.script("q", Some("Default-Start: 2"), &body("q"));
    t.link("2", "S01p");
    t.link("2", "S01q");
    let out = t.rc(&["2"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(overlap(&t.log(), "p", "q"));
    for tag in ["p", "q"] {
        let block: String = (1..=10).map(|i| format!("{tag}{i}\n")).collect();
        assert!(
            stdout.contains(&format!("{block}[ ok ] Starting {tag}.\n")),
            "{stdout}"
        );
    }
}

#[test]
fn rc_sequential_with_concurrency_none_or_one_job() {
    let t = Tree::new();
    t.script("a", Some("Default-Start: 2"), "sleep 0.1");
    t.script("b", Some("Default-Start: 2"), "sleep 0.1");
    t.link("2", "S02a");
    t.link("2", "S01b");
    t.write("proc/cmdline", "ro quiet concurrency=none\n");
    assert_eq!(t.rc(&["2"], &[]).status.code(), Some(0));
    assert!(before(&t.log(), "b", "a"), "link order: {:?}", t.log());

    let t = Tree::new();
    t.script("a", Some("Default-Start: 2"), "sleep 0.1");
    t.script("b", Some("Default-Start: 2"), "sleep 0.1");
    t.link("2", "S01a");
    t.link("2", "S01b");
    assert_eq!(
        t.rc(&[], &[("RUNLEVEL", "2"), ("VINIT_RC_JOBS", "1")])
            .status
            .code(),
        Some(0)
    );
    assert!(!overlap(&t.log(), "a", "b"), "{:?}", t.log());
}

#[test]
fn rc_usage_and_missing_directory() {
    let t = Tree::new();
    let out = t.rc(&[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: rc"));
    let out = t.rc(&["-x", "2"], &[]);
    assert_eq!(out.status.code(), Some(1));
    // No /etc/rc5.d: nothing to do, like Debian.
    let out = t.rc(&["5"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty());
}

fn transitions_fixture(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rc/transitions")
        .join(file);
    std::fs::read_to_string(path).unwrap()
}

/// Lines of a fixture file that are not comments: "key: rest".
fn fixture_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// The Debian-like tree of tests/fixtures/rc/transitions/: scripts from
/// `layout`, links as Debian's insserv made them (`links`, by regenerate.sh).
fn transitions_tree() -> Tree {
    let t = Tree::new();
    // Debian's insserv.conf: the built-in defaults.
    std::fs::remove_file(t.path().join("etc/insserv.conf")).unwrap();
    for (name, fields) in fixture_lines(&transitions_fixture("layout")) {
        t.script(&name, Some(&fields), "");
    }
    for (dir, links) in fixture_lines(&transitions_fixture("links")) {
        let level = dir
            .strip_prefix("rc")
            .and_then(|d| d.strip_suffix(".d"))
            .unwrap();
        std::fs::create_dir_all(t.path().join(format!("etc/{dir}"))).unwrap();
        for l in links.split_whitespace() {
            t.link(level, l);
        }
    }
    t
}

/// What Debian's rc + startpar ran (fixture `debian-runs`, recorded by
/// regenerate.sh) is what our rc runs, for every recorded transition.
#[test]
fn rc_transitions_match_debian() {
    for (levels, want) in fixture_lines(&transitions_fixture("debian-runs")) {
        let (previous, level) = levels.split_once(' ').unwrap();
        let t = transitions_tree();
        let out = if level == "0" || level == "6" {
            // Only the fixture's logging scripts run, but levels 0 and 6 are
            // still kept off the host: a PID + mount namespace of their own.
            let mut cmd = Command::new("unshare");
            cmd.args(["--pid", "--mount", "--fork", "--"])
                .arg(env!("CARGO_BIN_EXE_vinit"))
                .args(["rc", "--root"])
                .arg(t.path())
                .arg(level)
                .env("PREVLEVEL", previous)
                .env_remove("RUNLEVEL");
            cmd.output().unwrap()
        } else {
            t.rc(&[level], &[("PREVLEVEL", previous)])
        };
        assert_eq!(
            out.status.code(),
            Some(0),
            "{previous}->{level}: {}",
            text(&out)
        );
        let mut got: Vec<String> = t
            .log()
            .iter()
            .map(|e| format!("{}:{}", e.action, e.name))
            .collect();
        got.sort();
        let want: Vec<String> = want.split_whitespace().map(String::from).collect();
        assert_eq!(got, want, "{previous} -> {level}");
    }
}

/// vinit's numbering (what update-rc.d uses) gives the links Debian's insserv
/// made: every link of the fixture, handed over numbered 01, comes back with
/// insserv's number.
#[test]
fn rc_numbering_matches_debian_insserv() {
    use std::collections::BTreeSet;
    use vinit::rc::graph::Script;
    use vinit::rc::insserv_conf::Facilities;
    use vinit::rc::numbering::{self, Link, Request};
    let t = transitions_tree();
    let scripts: Vec<Script> = fixture_lines(&transitions_fixture("layout"))
        .iter()
        .map(|(name, _)| Script::read(&t.path().join("etc/init.d").join(name)).unwrap())
        .collect();
    let mut insserv = BTreeSet::new();
    for (dir, links) in fixture_lines(&transitions_fixture("links")) {
        let level = dir.trim_start_matches("rc").chars().next().unwrap();
        for name in links.split_whitespace() {
            insserv.insert(Link::parse(level, name).unwrap());
        }
    }
    let unnumbered: BTreeSet<Link> = insserv
        .iter()
        .map(|link| Link {
            number: 1,
            ..link.clone()
        })
        .collect();
    let outcome = numbering::resequence(
        &scripts,
        &Facilities::debian_defaults(),
        &unnumbered,
        Request::Renumber,
        false,
    )
    .unwrap();
    assert_eq!(outcome.links, insserv, "{:?}", outcome.warnings);
}

/// Called as Debian's `/etc/init.d/rcS` (a link to vinit), rc runs level S
/// and ignores its arguments, as `/lib/init/rcS` (`exec /etc/init.d/rc S`).
#[test]
fn rc_called_as_rcs_runs_level_s() {
    let t = Tree::new();
    t.script("early", Some("Default-Start: S"), "");
    t.link("S", "S01early");
    let out = Command::new(env!("CARGO_BIN_EXE_vinit"))
        .arg0("/etc/init.d/rcS")
        .arg("2")
        .env("VINIT_ROOT", t.path())
        .env_remove("RUNLEVEL")
        .env_remove("PREVLEVEL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout_has(&out, "[ ok ] Starting early."), "{}", text(&out));
    let log = t.log();
    assert_eq!((log.len(), log[0].action.as_str()), (1, "start"), "{log:?}");
    assert!(t.record().lines().any(|l| l.starts_with("S\tN\tearly\t")));
}

/// A script that cannot be executed (its interpreter is missing) fails with
/// the reason, and the others run.
#[test]
fn rc_unexecutable_script_fails_with_the_reason() {
    let t = Tree::new();
    t.script("fine", Some("Default-Start: 2"), "");
    let bad = t.path().join("etc/init.d/bad");
    std::fs::write(&bad, "#!/nonexistent/interpreter\n").unwrap();
    std::fs::set_permissions(&bad, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    t.link("2", "S01bad");
    t.link("2", "S01fine");
    let out = t.rc(&["2"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout_has(
            &out,
            "[FAIL] Starting bad failed (cannot execute: No such file or directory (os error 2))."
        ),
        "{}",
        text(&out)
    );
    assert!(stdout_has(&out, "[ ok ] Starting fine."), "{}", text(&out));
    assert!(
        t.record()
            .lines()
            .any(|l| l.contains("\tbad\t") && l.contains("\t-\tfailed\t")),
        "{}",
        t.record()
    );
}

/// Without a devpts at /dev/pts (early boot), no pty can be had: scripts get
/// a pipe instead, and their output still comes through whole.
#[test]
fn rc_falls_back_to_a_pipe_without_ptys() {
    let t = Tree::new();
    t.script(
        "early",
        Some("Default-Start: 2"),
        "[ -t 1 ] && echo 'on a terminal' || echo 'on a pipe'",
    );
    t.link("2", "S01early");
    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    // A mount namespace of its own, so the host's /dev/pts is left alone.
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(r#"mount --bind "$1" /dev/pts && exec "$2" rc --root "$3" 2"#)
        .args(["sh"])
        .arg(&empty)
        .arg(env!("CARGO_BIN_EXE_vinit"))
        .arg(t.path())
        .env_remove("RUNLEVEL")
        .env_remove("PREVLEVEL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout_has(&out, "on a pipe\n[ ok ] Starting early.\n"),
        "{}",
        text(&out)
    );
}
