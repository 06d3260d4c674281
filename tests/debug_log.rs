//! The tools' debug output (`VINIT_LOG=debug`, else `RUST_LOG`): `rc`, `service` and
//! `vinit` say on stderr what they decided and why, and print exactly what they printed
//! before when the variable is unset. PID 1 ignores the variable: its console lines stay
//! sysvinit's.
//!
//! `rc` runs on a fixture tree (`rc --root DIR`, levels 2 and 3 only); `service` in a
//! chroot inside a PID namespace; init as PID 1 of a namespace.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::ns::TestRoot;
use common::{describe, poll_until, text};

const WAIT: Duration = Duration::from_secs(30);

/// An rc fixture: `/etc/init.d` scripts with LSB headers, links in `rc2.d` and `rc3.d`.
/// Going from 2 to 3: `old` is stopped (K link in 3 only), `a` is left alone (S link
/// in both), `b` and `c` start, `c` after `b`.
fn rc_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["etc/init.d", "etc/rc2.d", "etc/rc3.d", "proc"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    // No facilities but those defined here: none.
    std::fs::write(root.join("etc/insserv.conf"), "").unwrap();
    for (name, requires) in [("a", ""), ("b", ""), ("c", "b"), ("old", "")] {
        let path = root.join("etc/init.d").join(name);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n# Required-Start: {requires}\n\
                 ### END INIT INFO\necho \"{name} $1\"\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    for (level, links) in [("2", ["S01a", "S01old"]), ("3", ["S01a", "K01old"])] {
        for link in links {
            std::os::unix::fs::symlink(
                format!("../init.d/{}", &link[3..]),
                root.join(format!("etc/rc{level}.d/{link}")),
            )
            .unwrap();
        }
    }
    for link in ["S02b", "S03c"] {
        std::os::unix::fs::symlink(
            format!("../init.d/{}", &link[3..]),
            root.join(format!("etc/rc3.d/{link}")),
        )
        .unwrap();
    }
    dir
}

/// `rc --root ROOT ARGS` from level 2, with only `env` of the variables rc and the
/// logger read.
fn rc(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vinit"));
    cmd.arg0("rc").arg("--root").arg(root).args(args);
    for name in [
        "RUNLEVEL",
        "PREVLEVEL",
        "VINIT_RC_JOBS",
        "VINIT_RC_TIMEOUT",
        "VINIT_ROOT",
        "VINIT_LOG",
        "RUST_LOG",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("PREVLEVEL", "2").envs(env.iter().copied());
    cmd.output().unwrap()
}

/// The lines of `stderr` that start with `prefix`.
fn lines_with<'a>(stderr: &'a str, prefix: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// Fails unless `stderr` has a line equal to each of `wanted`.
fn assert_lines(stderr: &str, wanted: &[&str]) {
    for line in wanted {
        assert!(
            stderr.lines().any(|l| l == *line),
            "no line {line:?} in:\n{stderr}"
        );
    }
}

#[test]
fn rc_says_what_it_selected_and_in_which_order() {
    let tree = rc_tree();
    let root = tree.path().display().to_string();
    let out = rc(
        tree.path(),
        &["-j", "2", "3"],
        &[("VINIT_LOG", "debug"), ("VINIT_RC_TIMEOUT", "7")],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert_lines(
        &stderr,
        &[
            "rc: debug: level 3 (from the command line), previous 2 (from $PREVLEVEL)",
            "rc: debug: jobs 2 (from the command line)",
            "rc: debug: timeout 7 s per script (from VINIT_RC_TIMEOUT in the environment)",
            &format!("rc: debug: {root}/etc/rc3.d: 4 link(s)"),
            &format!("rc: debug: {root}/etc/rc2.d: 2 link(s), of the previous level"),
            "rc: debug: up to 2 scripts at once, timeout 7 s per script",
            "rc: debug: stop phase (K links of rc3.d without a K link in rc2.d): K01old",
            "rc: debug: S01a not run: rc2.d has an S link for a too",
            "rc: debug: start phase (S links of rc3.d without an S link in rc2.d): S02b S03c",
            "rc: debug: start phase: ordered by the LSB headers' start dependencies",
            "rc: debug: b start: after none",
            "rc: debug: c start: after b",
            "rc: debug: start phase, wave 1: b",
            "rc: debug: start phase, wave 2: c",
            "rc: debug: done: 0 script(s) failed",
        ],
    );
    // Each script: started (with the concurrency), then its result.
    for (link, name, action) in [
        ("K01old", "old", "stop"),
        ("S02b", "b", "start"),
        ("S03c", "c", "start"),
    ] {
        let started = format!("rc: debug: started {root}/etc/rc3.d/{link} {action} (pid ");
        let lines = lines_with(&stderr, &started);
        assert_eq!(lines.len(), 1, "{started:?} in:\n{stderr}");
        assert!(lines[0].ends_with(", 1 running, at most 2)"), "{stderr}");
        let finished = lines_with(&stderr, &format!("rc: debug: {name} {action} (pid "));
        assert_eq!(finished.len(), 1, "{stderr}");
        assert!(
            finished[0].contains("): exit status 0 (ok), after "),
            "{stderr}"
        );
    }
    // Only debug lines on stderr; the console lines are stdout's as ever.
    assert!(
        stderr.lines().all(|l| l.starts_with("rc: debug: ")),
        "{stderr}"
    );
    assert!(
        text(&out.stdout).contains("[ ok ] Starting c."),
        "{}",
        describe(&out)
    );
}

#[test]
fn rc_without_the_variable_prints_what_it_printed_before() {
    // A bad setting, so that stderr has one of rc's own messages to keep.
    let env = [("VINIT_RC_JOBS", "many"), ("VINIT_RC_TIMEOUT", "0")];
    let quiet = rc(rc_tree().path(), &["3"], &env);
    assert!(quiet.status.success(), "{}", describe(&quiet));
    assert_eq!(
        text(&quiet.stderr),
        "rc: ignoring jobs value \"many\" (want a number above 0)\n"
    );

    let tree = rc_tree();
    let mut env_debug = env.to_vec();
    env_debug.push(("VINIT_LOG", "debug"));
    let loud = rc(tree.path(), &["3"], &env_debug);
    assert!(loud.status.success(), "{}", describe(&loud));
    assert_eq!(loud.stdout, quiet.stdout);
    let loud_stderr = text(&loud.stderr);
    assert_lines(
        &loud_stderr,
        &["rc: debug: no timeout (0 from VINIT_RC_TIMEOUT in the environment)"],
    );
    let without_debug: String = loud_stderr
        .lines()
        .filter(|l| !l.starts_with("rc: debug: "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without_debug, text(&quiet.stderr));

    // A level other than debug hides the debug lines.
    let warn = rc(
        rc_tree().path(),
        &["3"],
        &[("VINIT_RC_JOBS", "many"), ("VINIT_LOG", "warn")],
    );
    assert_eq!(warn.stderr, quiet.stderr, "{}", describe(&warn));
}

#[test]
fn rust_log_counts_only_when_vinit_log_is_unset() {
    let by_rust_log = rc(rc_tree().path(), &["3"], &[("RUST_LOG", "debug")]);
    assert!(by_rust_log.status.success(), "{}", describe(&by_rust_log));
    assert_lines(
        &text(&by_rust_log.stderr),
        &["rc: debug: level 3 (from the command line), previous 2 (from $PREVLEVEL)"],
    );
    let overruled = rc(
        rc_tree().path(),
        &["3"],
        &[("RUST_LOG", "debug"), ("VINIT_LOG", "off")],
    );
    assert!(overruled.stderr.is_empty(), "{}", describe(&overruled));
}

#[test]
fn rc_says_when_a_script_is_killed_at_its_timeout() {
    let tree = rc_tree();
    std::fs::write(
        tree.path().join("etc/init.d/b"),
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: b\n### END INIT INFO\nexec sleep 600\n",
    )
    .unwrap();
    let out = rc(tree.path(), &["-t", "1", "3"], &[("VINIT_LOG", "debug")]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert_lines(
        &stderr,
        &["rc: debug: timeout 1 s per script (from the command line)"],
    );
    let killed = lines_with(
        &stderr,
        "rc: debug: b start: still running at its timeout: SIGKILL to its process group ",
    );
    assert_eq!(killed.len(), 1, "{stderr}");
    let result = lines_with(&stderr, "rc: debug: b start (pid ");
    assert_eq!(result.len(), 1, "{stderr}");
    assert!(
        result[0].contains("): timed out after 1 s (timeout), after "),
        "{stderr}"
    );
    assert_lines(&stderr, &["rc: debug: done: 1 script(s) failed"]);
}

/// Runs `script` with the root's /bin/sh in a chroot of `root`, in a PID namespace of
/// its own, with exactly the environment `env`.
fn sh_in_root(root: &TestRoot, env: &[(&str, &str)], script: &str) -> Output {
    let mut cmd = Command::new(common::host_tool("unshare"));
    cmd.args(["--pid", "--fork", "--kill-child", "--"])
        .arg(common::host_tool("chroot"))
        .arg(root.path())
        .args(["/bin/sh", "-c", script])
        .env_clear()
        .env("PATH", "/usr/sbin:/sbin:/bin:/usr/bin")
        .envs(env.iter().copied());
    cmd.output().expect("run unshare chroot")
}

#[test]
fn service_says_which_script_runs_how_and_with_what_environment() {
    let root = TestRoot::new();
    root.write_exec(
        "etc/init.d/envdump",
        "#!/bin/sh\nenv | sort\necho \"args: $*\"\n",
    );
    // No `#!`: the kernel refuses it and /bin/sh runs it (for the actions service
    // waits for; an exec'd script gets the same from glibc's execvp).
    root.write_exec("etc/init.d/bare", "echo bare \"$1\"\n");
    let quiet = sh_in_root(&root, &[("LANG", "C")], "service envdump start now");
    let loud = sh_in_root(
        &root,
        &[("LANG", "C"), ("VINIT_LOG", "debug")],
        "service envdump start now",
    );
    assert!(quiet.status.success(), "{}", describe(&quiet));
    assert!(quiet.stderr.is_empty(), "{}", describe(&quiet));
    // The script's environment is the scrubbed one: VINIT_LOG does not reach it.
    assert_eq!(loud.stdout, quiet.stdout, "{}", describe(&loud));
    assert_eq!(
        text(&loud.stderr),
        "service: debug: envdump is not supervised: the script replaces service (exec), no invoke-rc.d\n\
         service: debug: running /etc/init.d/envdump start now\n\
         service: debug: environment: LANG=C PATH=/usr/sbin:/sbin:/bin:/usr/bin; passed empty: \
         LANGUAGE LC_CTYPE LC_NUMERIC LC_TIME LC_COLLATE LC_MONETARY LC_MESSAGES LC_PAPER \
         LC_NAME LC_ADDRESS LC_TELEPHONE LC_MEASUREMENT LC_IDENTIFICATION LC_ALL TERM; nothing else\n"
    );

    let bare = sh_in_root(
        &root,
        &[("VINIT_LOG", "debug")],
        "service bare --full-restart",
    );
    assert_eq!(
        text(&bare.stdout),
        "bare stop\nbare start\n",
        "{}",
        describe(&bare)
    );
    let stderr = text(&bare.stderr);
    assert_lines(
        &stderr,
        &[
            "service: debug: --full-restart: /etc/init.d/bare stop, then start (the status is start's)",
            "service: debug: running /etc/init.d/bare start",
            "service: debug: /etc/init.d/bare: not a program the kernel runs (no #! line): given to /bin/sh",
            "service: debug: running /bin/sh /etc/init.d/bare start",
        ],
    );

    let missing = sh_in_root(&root, &[("VINIT_LOG", "debug")], "service nosuch start");
    assert_eq!(
        text(&missing.stderr),
        "service: debug: /etc/init.d/nosuch: not executable or missing\nnosuch: unrecognized service\n"
    );
}

#[test]
fn vinit_check_says_what_it_read() {
    let tree = rc_tree();
    let root = tree.path().display().to_string();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vinit"));
        cmd.arg0("vinit")
            .args(["check", "--root"])
            .arg(tree.path())
            .env_remove("VINIT_LOG")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied());
        cmd.output().unwrap()
    };
    let quiet = run(&[]);
    let loud = run(&[("VINIT_LOG", "debug")]);
    assert!(quiet.stderr.is_empty(), "{}", describe(&quiet));
    assert_eq!(loud.stdout, quiet.stdout);
    assert_lines(
        &text(&loud.stderr),
        &[
            &format!("vinit: debug: facilities from {root}/etc/insserv.conf"),
            &format!("vinit: debug: {root}/etc/init.d: 4 script(s); rc directories of levels 2 3"),
            "vinit: debug: pass graph: 0 problem(s)",
        ],
    );
}

/// Init ignores `VINIT_LOG` (its console lines stay sysvinit's) but passes it on: rc,
/// run from inittab, logs to the console. `vinit status` says why PID 1 is vinit.
#[test]
fn init_keeps_its_lines_and_vinit_status_says_why_pid1_is_vinit() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nl2:2:wait:/sbin/rc 2\nt1:2:respawn:/bin/sleep 1000\n",
    );
    root.write_exec(
        "etc/init.d/hello",
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: hello\n### END INIT INFO\necho HELLO-RAN\n",
    );
    root.mkdir("etc/rc2.d");
    root.symlink("../init.d/hello", "etc/rc2.d/S01hello");
    let pid1 = root.boot_with_env(&["/sbin/init"], &["VINIT_LOG=debug"]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    pid1.expect_console(
        "rc: debug: start phase (every S link of rc2.d: no previous level): S01hello",
        WAIT,
    );
    pid1.expect_console("HELLO-RAN", WAIT);
    let status = poll_until(WAIT, || {
        let out = pid1
            .command(&["/sbin/vinit", "status"])
            .env("VINIT_LOG", "debug")
            .output()
            .unwrap();
        out.status.success().then_some(out)
    })
    .expect("vinit status succeeds once init has written its status");
    let stderr = text(&status.stderr);
    assert_lines(
        &stderr,
        &["vinit: debug: PID 1 is vinit: the file was written by the PID 1 running now"],
    );
    assert_eq!(
        lines_with(
            &stderr,
            "vinit: debug: /run/vinit/status: written by PID 1, program "
        )
        .len(),
        1,
        "{stderr}"
    );
    let console = pid1.console();
    assert!(console.contains("INIT: version vinit-"), "{console}");
    assert!(!console.contains("init: debug"), "{console}");
}
