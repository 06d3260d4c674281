//! Supervised services with our `init` as PID 1 of a PID namespace: small
//! LSB scripts whose daemons detach through `start-stop-daemon --background
//! --make-pidfile` (the host's, copied into the root) or a double fork,
//! crashed by hand or by themselves. Timeouts are safety nets only: every
//! step waits for the console line, pid file or state that proves it, and
//! "nothing was restarted" is read from init's own state once the death
//! has been accounted for.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::poll_until;
use vinit::services::state;

const WAIT: Duration = Duration::from_secs(30);

const INITTAB: &str = "\
id:2:initdefault:
l1:1:wait:/sbin/rc 1
l2:2:wait:/sbin/rc 2
";

/// An LSB script for a daemon started by start-stop-daemon, which makes
/// its pid file; `stop` sends `stop_signal`.
fn ssd_script(name: &str, daemon: &str, stop_signal: &str) -> String {
    format!(
        r#"{head}PIDFILE=/run/{name}.pid
case "$1" in
start) start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --startas {daemon} ;;
stop) start-stop-daemon --stop --quiet --signal {stop_signal} --retry 5 --pidfile $PIDFILE --remove-pidfile ;;
restart) "$0" stop; "$0" start ;;
*) echo "Usage: $0 {{start|stop|restart}}" >&2; exit 3 ;;
esac
"#,
        head = common::lsb_script_head(name)
    )
}

/// A root with start-stop-daemon, the test daemons and their scripts,
/// enabled in levels 2–5; `supervised` get a supervise.d file with `settings`.
fn root_with(services: &[(&str, String)], supervised: &[(&str, &str)]) -> TestRoot {
    let root = TestRoot::new();
    // dpkg's, not BusyBox's applet (which comes first in PATH).
    root.install_host_program("/usr/sbin/start-stop-daemon");
    root.symlink("/usr/sbin/start-stop-daemon", "sbin/start-stop-daemon");
    root.write("etc/inittab", INITTAB);
    root.write_exec("usr/sbin/sleepd", "#!/bin/sh\nexec sleep 100000\n");
    root.write_exec("usr/sbin/crashd", "#!/bin/sh\nsleep 1\nkill -SEGV $$\n");
    for (name, script) in services {
        root.write_exec(&format!("etc/init.d/{name}"), script);
        root.enable_service(name);
    }
    for (name, settings) in supervised {
        root.write(&format!("etc/vinit/supervise.d/{name}"), settings);
    }
    root
}

fn alive(pid1: &Pid1, pid: i32) -> bool {
    // busybox kill -0 inside the namespace; a zombie counts as dead.
    pid1.run(&["kill", "-0", &pid.to_string()]).status.success()
        && !pid1
            .run(&["grep", "-q", "^State:.Z", &format!("/proc/{pid}/status")])
            .status
            .success()
}

/// The live daemon named by `/run/NAME.pid`, once it is not `old`.
fn daemon_pid(pid1: &Pid1, root: &TestRoot, name: &str, old: Option<i32>) -> i32 {
    poll_until(WAIT, || {
        let text = std::fs::read_to_string(root.join(&format!("run/{name}.pid"))).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        (Some(pid) != old && alive(pid1, pid)).then_some(pid)
    })
    .unwrap_or_else(|| {
        panic!(
            "no live {name} other than {old:?}; console:\n{}",
            pid1.console()
        )
    })
}

/// The phase init's state file gives `name`, once `done` accepts it.
fn wait_phase(root: &TestRoot, name: &str, done: impl Fn(&str) -> bool) -> String {
    let phase = || {
        let text = std::fs::read_to_string(root.join("run/vinit/supervise/state")).ok()?;
        let (tracker, _) = state::parse(&text);
        Some(tracker.services.get(name)?.phase.name().to_string())
    };
    poll_until(WAIT, || phase().filter(|phase| done(phase)))
        .unwrap_or_else(|| panic!("{name} never left {:?}", phase()))
}

fn restarts(root: &TestRoot, name: &str) -> u32 {
    let text = root.read("run/vinit/supervise/state");
    state::parse(&text).0.services[name].restarts
}

#[test]
fn crashes_by_segv_and_kill_are_restarted() {
    let root = root_with(
        &[
            ("sleepd", ssd_script("sleepd", "/usr/sbin/sleepd", "TERM")),
            ("dfd", common::detaching_daemon_script("dfd", "100000")),
        ],
        &[("sleepd", "")],
    );
    let pid1 = root.boot(&[]);
    let first = daemon_pid(&pid1, &root, "sleepd", None);
    // The command writes the file and tells init.
    let said = pid1.run_ok(&["/lib/vinit/vinit", "supervise", "dfd"]);
    assert_eq!(said, "supervising dfd (pid file /run/dfd.pid)\n");
    assert_eq!(root.read("etc/vinit/supervise.d/dfd"), "");
    let forked = daemon_pid(&pid1, &root, "dfd", None);

    pid1.run_ok(&["kill", "-SEGV", &first.to_string()]);
    pid1.expect_console(
        &format!("INIT: service sleepd (pid {first}) killed by SIGSEGV"),
        WAIT,
    );
    pid1.expect_console("restarting it (restart 1)", WAIT);
    let second = daemon_pid(&pid1, &root, "sleepd", Some(first));

    pid1.run_ok(&["kill", "-KILL", &forked.to_string()]);
    pid1.expect_console(
        &format!("INIT: service dfd (pid {forked}) killed by SIGKILL: restarting it (restart 1)"),
        WAIT,
    );
    let reforked = daemon_pid(&pid1, &root, "dfd", Some(forked));
    assert_ne!(reforked, forked);

    // A broken file is reported with its line, and the last good
    // settings stay in force.
    root.replace("etc/vinit/supervise.d/sleepd", "# broken\ndelay=soon\n");
    pid1.run_ok(&["/lib/vinit/vinit", "supervise", "--reload"]);
    pid1.expect_console(
        "INIT: /etc/vinit/supervise.d/sleepd:2: delay must be a number of seconds, not \"soon\"",
        WAIT,
    );
    // Supervised again after the restart: a second crash, a second restart.
    pid1.run_ok(&["kill", "-SEGV", &second.to_string()]);
    pid1.expect_console("restarting it (restart 2)", WAIT);
    daemon_pid(&pid1, &root, "sleepd", Some(second));

    let list = pid1.run_ok(&["/lib/vinit/vinit", "supervise", "--list"]);
    let sleepd = list
        .lines()
        .find(|line| line.starts_with("sleepd"))
        .unwrap_or_else(|| panic!("no sleepd in\n{list}"));
    assert!(
        sleepd.contains("supervised")
            && sleepd.contains("  2  ")
            && sleepd.contains("killed by SIGSEGV"),
        "{list}"
    );
    // `vinit status` shows the same, from the same files.
    let status: serde_json::Value =
        serde_json::from_str(&pid1.run_ok(&["/lib/vinit/vinit", "status", "--json"]))
            .expect("vinit status --json is JSON");
    let services = status["services"].as_array().cloned().unwrap_or_default();
    let sleepd = services
        .iter()
        .find(|service| service["name"] == "sleepd")
        .unwrap_or_else(|| panic!("no sleepd in {status:#}"));
    let supervised = &sleepd["supervised"];
    assert!(
        supervised["state"] == "supervised"
            && supervised["restarts"].as_u64() >= Some(1)
            && supervised["last_failure"]["cause"]
                .as_str()
                .is_some_and(|cause| cause.starts_with("killed by SIGSEGV")),
        "{status:#}"
    );
}

#[test]
fn intended_stops_stay_down_until_started_again() {
    let root = root_with(
        &[
            ("sleepd", ssd_script("sleepd", "/usr/sbin/sleepd", "TERM")),
            (
                "killstop",
                ssd_script("killstop", "/usr/sbin/sleepd", "KILL"),
            ),
            ("dfd", common::detaching_daemon_script("dfd", "100000")),
        ],
        &[("sleepd", ""), ("killstop", ""), ("dfd", "")],
    );
    let pid1 = root.boot(&[]);
    let sleepd = daemon_pid(&pid1, &root, "sleepd", None);
    let killstop = daemon_pid(&pid1, &root, "killstop", None);
    daemon_pid(&pid1, &root, "dfd", None);

    // Through service: its stop sends KILL, but service marked the stop.
    pid1.run_ok(&["service", "killstop", "stop"]);
    assert_eq!(
        wait_phase(&root, "killstop", |p| p != "watching"),
        "stopped"
    );
    // invoke-rc.d style: the script called directly; TERM is a stop.
    pid1.run_ok(&["/etc/init.d/sleepd", "stop"]);
    assert_eq!(wait_phase(&root, "sleepd", |p| p != "watching"), "stopped");
    pid1.run_ok(&["/etc/init.d/dfd", "stop"]);
    assert_eq!(wait_phase(&root, "dfd", |p| p != "watching"), "stopped");
    assert!(
        !pid1.console().contains("INIT: service"),
        "{}",
        pid1.console()
    );
    assert!(!alive(&pid1, sleepd) && !alive(&pid1, killstop));

    // Started again by hand: supervised again.
    pid1.run_ok(&["service", "killstop", "start"]);
    let again = daemon_pid(&pid1, &root, "killstop", Some(killstop));
    pid1.run_ok(&["/etc/init.d/sleepd", "start"]);
    let sleepd_again = daemon_pid(&pid1, &root, "sleepd", Some(sleepd));
    pid1.run_ok(&["kill", "-SEGV", &again.to_string()]);
    pid1.expect_console(
        &format!("INIT: service killstop (pid {again}) killed by SIGSEGV"),
        WAIT,
    );
    daemon_pid(&pid1, &root, "killstop", Some(again));
    pid1.run_ok(&["kill", "-ABRT", &sleepd_again.to_string()]);
    pid1.expect_console(
        &format!("INIT: service sleepd (pid {sleepd_again}) killed by SIGABRT"),
        WAIT,
    );
    daemon_pid(&pid1, &root, "sleepd", Some(sleepd_again));
}

#[test]
fn a_level_change_that_stops_a_service_disarms_it() {
    // `barrier` keeps running in level 1 (no K link in rc1.d).
    let barrier = ssd_script("barrier", "/usr/sbin/sleepd", "TERM")
        .replace("Default-Stop:      0 1 6", "Default-Stop:      0 6");
    let root = root_with(
        &[
            (
                "killstop",
                ssd_script("killstop", "/usr/sbin/sleepd", "KILL"),
            ),
            ("barrier", barrier),
        ],
        &[("killstop", ""), ("barrier", "")],
    );
    let pid1 = root.boot(&[]);
    let first = daemon_pid(&pid1, &root, "killstop", None);
    let barrier = daemon_pid(&pid1, &root, "barrier", None);
    // rc 1 runs K01killstop, whose stop sends KILL: disarmed beforehand.
    // (Waited for: a level change while rc 1 still runs would leave its
    // stop to remove the pid file the next start writes.)
    pid1.run(&["/sbin/telinit", "--wait", "1"]);
    poll_until(WAIT, || (!alive(&pid1, first)).then_some(()))
        .unwrap_or_else(|| panic!("rc 1 did not stop killstop:\n{}", pid1.console()));
    // A crash after that one is judged after it: once it is reported,
    // killstop's death has been judged too.
    pid1.run_ok(&["kill", "-SEGV", &barrier.to_string()]);
    pid1.expect_console(
        &format!("INIT: service barrier (pid {barrier}) killed by SIGSEGV"),
        WAIT,
    );
    assert_eq!(wait_phase(&root, "killstop", |_| true), "stopped");
    assert!(
        !pid1.console().contains("service killstop"),
        "{}",
        pid1.console()
    );
    // Back to 2: rc starts it, and it is supervised again.
    pid1.run_ok(&["/sbin/telinit", "2"]);
    let second = daemon_pid(&pid1, &root, "killstop", Some(first));
    let list = pid1.run_ok(&["/lib/vinit/vinit", "supervise", "--list"]);
    let row: Vec<&str> = list
        .lines()
        .find(|line| line.starts_with("killstop"))
        .map(|line| line.split_whitespace().take(3).collect())
        .unwrap_or_default();
    assert_eq!(
        row,
        ["killstop", &second.to_string(), "supervised"],
        "{list}"
    );
    pid1.run_ok(&["kill", "-BUS", &second.to_string()]);
    pid1.expect_console(
        &format!("INIT: service killstop (pid {second}) killed by SIGBUS"),
        WAIT,
    );
    daemon_pid(&pid1, &root, "killstop", Some(second));
}

#[test]
fn a_crash_loop_is_given_up_after_the_limit() {
    let root = root_with(
        &[("crashd", ssd_script("crashd", "/usr/sbin/crashd", "TERM"))],
        &[("crashd", "limit=3/600\n")],
    );
    let pid1 = root.boot(&[]);
    for restart in 1..=3 {
        pid1.expect_console(&format!("restarting it (restart {restart})"), WAIT);
    }
    pid1.expect_console(
        "3 restarts within 600 s, giving up; \
         re-arm with 'vinit supervise crashd' or 'service crashd start'",
        WAIT,
    );
    assert_eq!(wait_phase(&root, "crashd", |p| p == "given-up"), "given-up");
    let list = pid1.run_ok(&["/lib/vinit/vinit", "supervise", "--list"]);
    assert!(list.contains("given up"), "{list}");
    // Re-armed by rewriting its file; started again, it crashes again.
    pid1.run_ok(&["/lib/vinit/vinit", "supervise", "crashd"]);
    assert_eq!(wait_phase(&root, "crashd", |p| p == "watching"), "watching");
    pid1.run_ok(&["service", "crashd", "start"]);
    pid1.expect_console("restarting it (restart 4)", WAIT);
}

#[test]
fn a_hanging_restart_script_is_killed_after_the_rc_timeout() {
    let mut script = ssd_script("hangd", "/usr/sbin/sleepd", "TERM");
    script = script.replace(
        "restart) \"$0\" stop; \"$0\" start ;;",
        "restart) echo hangd restart hangs; exec sleep 100000 ;;",
    );
    let root = root_with(&[("hangd", script)], &[("hangd", "limit=2/600\n")]);
    root.write("etc/default/vinit-rc", "VINIT_RC_TIMEOUT=2\n");
    let pid1 = root.boot(&[]);
    let first = daemon_pid(&pid1, &root, "hangd", None);
    pid1.run_ok(&["kill", "-SEGV", &first.to_string()]);
    pid1.expect_console("restarting it (restart 1)", WAIT);
    pid1.expect_console("hangd restart hangs", WAIT);
    pid1.expect_console("still running after the rc timeout, killing it", WAIT);
    pid1.expect_console("INIT: service hangd restart script hung, killed after the rc timeout: restarting it (restart 2)", WAIT);
    pid1.expect_console("still running after the rc timeout, killing it", WAIT);
    pid1.expect_console("giving up", WAIT);
    // PID 1 kept working all along: a level request is still answered.
    // telinit returns once the request is written; init applies it after.
    pid1.run_ok(&["/sbin/telinit", "1"]);
    poll_until(WAIT, || {
        (pid1.run_ok(&["/sbin/runlevel"]) == "2 1\n").then_some(())
    })
    .unwrap_or_else(|| panic!("level 1 not reached:\n{}", pid1.console()));
}

#[test]
fn supervision_survives_telinit_u() {
    let root = root_with(
        &[("sleepd", ssd_script("sleepd", "/usr/sbin/sleepd", "TERM"))],
        &[("sleepd", "")],
    );
    let pid1 = root.boot(&[]);
    let first = daemon_pid(&pid1, &root, "sleepd", None);
    pid1.run_ok(&["kill", "-SEGV", &first.to_string()]);
    pid1.expect_console("restarting it (restart 1)", WAIT);
    let second = daemon_pid(&pid1, &root, "sleepd", Some(first));
    pid1.run_ok(&["/sbin/telinit", "u"]);
    pid1.expect_console("reloading", WAIT);
    assert_eq!(restarts(&root, "sleepd"), 1);
    pid1.run_ok(&["kill", "-KILL", &second.to_string()]);
    pid1.expect_console(
        &format!(
            "INIT: service sleepd (pid {second}) killed by SIGKILL: restarting it (restart 2)"
        ),
        WAIT,
    );
    daemon_pid(&pid1, &root, "sleepd", Some(second));
}

#[test]
fn pid_files_are_watched_on_a_run_mounted_after_init_started() {
    // As Debian's mountkernfs.sh does: /proc, then a tmpfs on /run, at
    // sysinit, hiding the directory init first watched (init starts with
    // no /proc to see the mounts change by).
    let root = root_with(
        &[("sleepd", ssd_script("sleepd", "/usr/sbin/sleepd", "TERM"))],
        &[("sleepd", "")],
    );
    root.write(
        "etc/inittab",
        format!(
            "si::sysinit:/bin/sh -c 'mount -t proc proc /proc && mount -t tmpfs -o mode=755 run /run'\n{INITTAB}"
        ),
    );
    let pid1 = root.boot_without_proc(&[]);
    let first = poll_until(WAIT, || {
        let text = common::text(&pid1.run(&["cat", "/run/sleepd.pid"]).stdout);
        text.trim().parse::<i32>().ok()
    })
    .expect("sleepd's pid file on the new /run");
    // init believes the daemon it names (the state file is on the new /run too).
    poll_until(WAIT, || {
        let text = common::text(&pid1.run(&["cat", "/run/vinit/supervise/state"]).stdout);
        let (tracker, _) = state::parse(&text);
        (tracker.services.get("sleepd")?.pid == Some(first)).then_some(())
    })
    .unwrap_or_else(|| panic!("sleepd {first} never believed:\n{}", pid1.console()));
    pid1.run_ok(&["kill", "-SEGV", &first.to_string()]);
    pid1.expect_console(
        &format!("INIT: service sleepd (pid {first}) killed by SIGSEGV: restarting it"),
        WAIT,
    );
}
