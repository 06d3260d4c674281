//! `vinit status` and `telinit --wait` against the real `init` as PID 1 of
//! a namespace: the status across a level change and across `telinit u`,
//! the respawn limiter's disabled entry, `--wait`'s exit codes (0 done,
//! 1 scripts failed, 2 timed out), and exit 3 when PID 1 is BusyBox init.
//! Timeouts are safety nets; each step waits for what proves it happened.

mod common;
use common::debian_pkg;

use std::process::Output;
use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::{describe, poll_until, text};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

const INITTAB: &str = "\
id:2:initdefault:
si::sysinit:/bin/true
l2:2:wait:/sbin/rc 2
l3:3:wait:/sbin/rc 3
l4:4:wait:/sbin/rc 4
l5:5:wait:/bin/sleep 1000
t1:2345:respawn:/bin/sleep 1001
t3:3:respawn:/bin/sleep 1003
ff:2:respawn:/bin/false
";

fn script(provides: &str, requires: &str, body: &str) -> String {
    format!(
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {provides}\n# Required-Start: {requires}\n\
         # Required-Stop:\n# Default-Start: 2 3 4 5\n# Default-Stop:\n\
         # Short-Description: test\n### END INIT INFO\n{body}\n"
    )
}

/// Levels 2, 3 and 4 with their scripts; in 3, `late` waits for `slow`
/// and `broken` fails.
fn root() -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    root.mkdir("etc/inittab.d");
    root.write_exec("etc/init.d/hello", script("hello", "", "echo hello"));
    root.write_exec("etc/init.d/slow", script("slow", "", "sleep 0.3"));
    root.write_exec("etc/init.d/late", script("late", "slow", "true"));
    root.write_exec("etc/init.d/broken", script("broken", "", "exit 1"));
    for (level, links) in [
        ("2", &["S01hello"][..]),
        ("3", &["S01slow", "S02late", "S01broken"][..]),
        ("4", &["S01hello"][..]),
    ] {
        root.mkdir(&format!("etc/rc{level}.d"));
        for link in links {
            root.symlink(
                &format!("../init.d/{}", &link[3..]),
                &format!("etc/rc{level}.d/{link}"),
            );
        }
    }
    root
}

fn status_json(pid1: &Pid1) -> Value {
    let out = pid1.run(&["/sbin/vinit", "status", "--json"]);
    assert!(
        out.status.success(),
        "vinit status --json: {}",
        describe(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn entry<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["entries"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["id"] == id))
        .unwrap_or_else(|| panic!("no entry {id} in {status:#}"))
}

/// Polls `vinit status --json` until `done` says yes.
/// Polls `vinit status --json` until `done`. Until init's first pass has
/// written /run/vinit/status (a moment after "Entering runlevel"), status
/// fails, and is asked again.
fn status_until(pid1: &Pid1, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    poll_until(WAIT, || {
        let out = pid1.run(&["/sbin/vinit", "status", "--json"]);
        last = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.success() && done(&last)).then_some(())
    })
    .unwrap_or_else(|| panic!("status never showed {what}:\n{last:#}\n{}", pid1.console()));
    last
}

fn telinit(pid1: &Pid1, args: &[&str]) -> Output {
    let mut argv = vec!["/sbin/telinit"];
    argv.extend_from_slice(args);
    pid1.run(&argv)
}

#[test]
fn status_across_a_level_change_and_a_reexec() {
    let root = root();
    let pid1 = root.boot(&[]);
    pid1.wait_console("Entering runlevel: 2", WAIT).unwrap();
    let status = status_until(&pid1, "level 2 with rc done and ff disabled", |s| {
        s["runlevel"] == "2"
            && entry(s, "l2")["state"] == "done"
            && entry(s, "ff")["state"] == "disabled"
    });
    assert_eq!(status["schema"], "vinit-status/2");
    assert_eq!(status["previous"], "N");
    let t1 = entry(&status, "t1");
    assert_eq!(t1["state"], "running");
    let t1_pid = t1["pid"].as_i64().expect("t1 has a pid");
    assert!(t1_pid > 1, "{t1}");
    assert_eq!(entry(&status, "t3")["state"], "not-in-level");
    assert_eq!(entry(&status, "si")["state"], "done");
    assert_eq!(entry(&status, "id")["state"], "off");
    assert_eq!(entry(&status, "l2")["last_exit"]["code"], 0);
    assert_eq!(entry(&status, "l2")["file"], "/etc/inittab");
    assert_eq!(entry(&status, "l2")["line"], 3);
    let ff = entry(&status, "ff");
    assert_eq!(ff["respawns"], 10, "{ff}");
    assert_eq!(ff["last_exit"]["code"], 1, "{ff}");
    assert!(
        ff["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("too fast")),
        "{ff}"
    );
    assert!(ff["disabled_until"].is_string(), "{ff}");
    let hello = &status["scripts"][0];
    assert_eq!(
        (&hello["script"], &hello["result"], &hello["level"]),
        (&"hello".into(), &"ok".into(), &"2".into())
    );

    // The human view says the same, aligned.
    let out = pid1.run(&["/sbin/vinit", "status"]);
    assert!(out.status.success(), "{}", describe(&out));
    let human = text(&out.stdout);
    assert!(human.starts_with("Runlevel  2 (previous N)\n"), "{human}");
    assert!(human.contains("Shutdown  none pending\n"), "{human}");
    assert!(
        !human.contains('\x1b'),
        "colour without a terminal: {human}"
    );
    let t1_line = human
        .lines()
        .find(|l| l.starts_with("t1 "))
        .unwrap_or_else(|| panic!("no t1 line: {human}"));
    assert!(
        t1_line.contains("running") && t1_line.contains(&t1_pid.to_string()),
        "{human}"
    );
    assert!(
        human.contains("disabled: respawning too fast: 10 starts within 120 s"),
        "{human}"
    );

    // A pending shutdown: its process and command line.
    let mut pending = pid1
        .command(&["/sbin/shutdown", "-r", "+10", "maintenance"])
        .spawn()
        .expect("start shutdown in the namespace");
    let status = status_until(&pid1, "the pending shutdown", |s| s["shutdown"].is_object());
    assert_eq!(
        status["shutdown"]["command"], "/sbin/shutdown -r +10 maintenance",
        "{status:#}"
    );
    let shutdown_pid = status["shutdown"]["pid"].as_i64().expect("a pid");
    assert_eq!(
        root.read("run/shutdown.pid").trim(),
        shutdown_pid.to_string()
    );
    let out = pid1.run(&["/sbin/vinit", "status"]);
    assert!(
        text(&out.stdout).contains(&format!(
            "Shutdown  pending: /sbin/shutdown -r +10 maintenance (pid {shutdown_pid})\n"
        )),
        "{}",
        describe(&out)
    );
    let cancel = pid1.run(&["/sbin/shutdown", "-c"]);
    assert!(cancel.status.success(), "{}", describe(&cancel));
    let _ = pending.wait();
    status_until(&pid1, "no pending shutdown", |s| s["shutdown"].is_null());

    // To level 3 and wait: broken fails, so --wait exits 1 and names it.
    let out = telinit(&pid1, &["--wait", "--timeout", "25", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let said = text(&out.stdout);
    assert!(
        said.contains("runlevel 3 reached") && said.contains("1 script failed"),
        "{said}"
    );
    assert!(
        said.contains("  start broken: exit status 1 after "),
        "{said}"
    );
    assert!(!said.contains("late"), "{said}");
    let status = status_json(&pid1);
    assert_eq!(
        (&status["runlevel"], &status["previous"]),
        (&"3".into(), &"2".into())
    );
    assert_eq!(entry(&status, "l3")["state"], "done");
    assert_eq!(entry(&status, "ff")["state"], "not-in-level");
    let t3 = entry(&status, "t3");
    assert_eq!(t3["state"], "running");
    let t3_pid = t3["pid"].clone();
    assert_eq!(entry(&status, "t1")["pid"], t1_pid);

    // Across a re-exec the new image writes the same view.
    let reexec = root.join("run/vinit/status");
    let before = std::fs::metadata(&reexec).and_then(|m| m.modified()).ok();
    assert!(telinit(&pid1, &["u"]).status.success());
    pid1.wait_console("reloading", WAIT).unwrap();
    poll_until(WAIT, || {
        let now = std::fs::metadata(&reexec).and_then(|m| m.modified()).ok();
        (now != before).then_some(())
    })
    .expect("the re-executed init rewrites the status file");
    let after = status_json(&pid1);
    assert_eq!(
        (&after["runlevel"], &after["previous"]),
        (&"3".into(), &"2".into())
    );
    assert_eq!(entry(&after, "t1")["pid"], t1_pid);
    assert_eq!(entry(&after, "t3")["pid"], t3_pid);
    assert_eq!(entry(&after, "t3")["state"], "running");
    assert_eq!(entry(&after, "l3")["state"], "done");
    // The state handed over does not carry file:line.
    assert!(entry(&after, "t3")["file"].is_null());
}

#[test]
fn telinit_wait_exits_0_when_done_and_2_on_timeout() {
    let root = root();
    let pid1 = root.boot(&[]);
    pid1.wait_console("Entering runlevel: 2", WAIT).unwrap();
    status_until(&pid1, "level 2 reached", |s| {
        s["runlevel"] == "2" && entry(s, "l2")["state"] == "done"
    });
    let out = telinit(&pid1, &["--wait", "4"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("runlevel 4 reached"),
        "{}",
        describe(&out)
    );
    // Level 5's wait entry never ends.
    let out = telinit(&pid1, &["--wait", "--timeout=1", "5"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("runlevel 5 not reached after"),
        "{}",
        describe(&out)
    );
    // A level without entries gets a warning, and the same request.
    let out = telinit(&pid1, &["9"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr)
            .contains("warning: no entry of /etc/inittab or /etc/inittab.d runs in runlevel 9"),
        "{}",
        describe(&out)
    );
    pid1.wait_console("Switching to runlevel: 9", WAIT).unwrap();
    // Before `q`, telinit shows what init will reject.
    root.write(
        "etc/inittab",
        format!("{INITTAB}zz:2:sometimes:/bin/true\n"),
    );
    let out = telinit(&pid1, &["q"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        text(&out.stderr),
        "telinit: /etc/inittab:10:6: sometimes: unknown action field\n\
         telinit: init will keep its last good configuration\n"
    );
    pid1.wait_console("keeping the previous one", WAIT).unwrap();
}

#[test]
fn status_says_so_when_pid1_is_not_vinit() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "::sysinit:/bin/echo BUSYBOX-UP\n::respawn:/bin/sleep 1000\n",
    );
    // A status file left by some other boot does not make BusyBox vinit.
    root.write(
        "run/vinit/status",
        "vinit-status 1\npid 1\nstart-ticks 1\nrunlevel 2\nprevious N\nchanging no\n",
    );
    let pid1 = root.boot_program(&["/bin/busybox", "init"]);
    pid1.wait_console("BUSYBOX-UP", WAIT).unwrap();
    let out = pid1.run(&["/sbin/vinit", "status"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let said = text(&out.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("is not vinit"), "{said}");
    assert!(out.stdout.is_empty());
    let out = pid1.run(&["/sbin/telinit", "--wait", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    // Without the file too; --json still prints a document, the error's.
    std::fs::remove_file(root.join("run/vinit/status")).unwrap();
    let out = pid1.run(&["/sbin/vinit", "status", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("no /run/vinit/status"),
        "{}",
        describe(&out)
    );
    let error: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(&out)));
    assert_eq!(error["schema"], "vinit-error/1");
    assert_eq!(error["command"], "status");
    assert_eq!(error["error"], "not-vinit");
    assert_eq!(error["exit_status"], 3);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("no /run/vinit/status")),
        "{error}"
    );
}

/// After `telinit u` hands PID 1 to Debian's sysvinit (the same process, so the same
/// start time), the status file left behind is not taken for the running init's.
#[test]
fn status_says_so_after_handing_over_to_sysvinit() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nt1:2:respawn:/bin/sleep 1001\n",
    );
    root.mkdir("etc/inittab.d");
    debian_pkg::install_real(&root, "init", "debian/sbin/init");
    let pid1 = root.boot(&[]);
    pid1.wait_console("Entering runlevel: 2", WAIT).unwrap();
    status_until(&pid1, "t1 running", |s| {
        entry(s, "t1")["state"] == "running"
    });

    // As a package upgrade would: a new /sbin/init renamed over the old link.
    std::fs::copy(root.join("debian/sbin/init"), root.join("sbin/init.new")).unwrap();
    std::fs::rename(root.join("sbin/init.new"), root.join("sbin/init")).unwrap();
    assert!(telinit(&pid1, &["u"]).status.success());
    let exe = |pid: i32| std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    poll_until(WAIT, || {
        (exe(pid1.host_pid()) == root.join("sbin/init")).then_some(())
    })
    .unwrap_or_else(|| panic!("PID 1 did not become sysvinit:\n{}", pid1.console()));
    let out = pid1.run(&["/sbin/vinit", "status"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert!(
        text(&out.stderr)
            .contains("is not vinit: /run/vinit/status was written by another process"),
        "{}",
        describe(&out)
    );
}
