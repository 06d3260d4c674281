//! `vinit status` and `vinit status NAME`, text and JSON, on real services with our `init`
//! as PID 1 of a namespace (which the harness gives a cgroup namespace of its own): a
//! supervised daemon with two workers and a pid file, a daemon without one, a service
//! stopped by `service`, one never started, and the same without cgroup2, where tracking is
//! off and status says why. Timeouts are safety nets; each step waits for what proves it.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::{describe, poll_until, text};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

const INITTAB: &str = "\
id:2:initdefault:
l2:2:wait:/sbin/rc 2
";

/// An LSB script whose `start` runs `start` and prints `Starting NAME: …`.
fn script(name: &str, start: &str, stop: &str) -> String {
    format!(
        r#"{head}case "$1" in
start) echo "Starting {name}: three lines"; echo "the second"; printf 'a bell \a and an escape \033[31m\n'; {start} ;;
stop) {stop} ;;
*) echo "Usage: $0 {{start|stop}}" >&2; exit 3 ;;
esac
"#,
        head = common::lsb_script_head(name)
    )
}

/// `web`: a master `sleep 300000` with two workers, `sleep 300001` and `sleep 300002`,
/// detached, its pid in /run/web.pid; supervised.
const WEB_START: &str = "( setsid sh -c 'echo $$ >/run/web.pid; sleep 300001 & sleep 300002 & exec sleep 300000' </dev/null >/dev/null 2>&1 & )";
const WEB_STOP: &str = "kill $(cat /run/web.pid); rm -f /run/web.pid";
/// `cache`: `sleep 300010`, detached, no pid file.
const CACHE_START: &str = "( setsid sh -c 'exec sleep 300010' </dev/null >/dev/null 2>&1 & )";
const CACHE_STOP: &str = "true";

fn root() -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    for (name, start, stop) in [
        ("web", WEB_START, WEB_STOP),
        ("cache", CACHE_START, CACHE_STOP),
        (
            "old",
            CACHE_START.replace("300010", "300020").as_str(),
            "true",
        ),
    ] {
        root.write_exec(&format!("etc/init.d/{name}"), script(name, start, stop));
        root.enable_service(name);
    }
    // Installed, never enabled: never started.
    root.write_exec("etc/init.d/never", script("never", "true", "true"));
    // Not a service: a backup rc skips.
    root.write_exec("etc/init.d/web.dpkg-old", script("web", "true", "true"));
    root.write(
        "etc/vinit/supervise.d/web",
        "pidfile=/run/web.pid\nrestart=no\n",
    );
    root
}

fn run_json(pid1: &Pid1, args: &[&str]) -> Value {
    let mut argv = vec!["/sbin/vinit", "status"];
    argv.extend_from_slice(args);
    argv.push("--json");
    let out = pid1.run(&argv);
    assert!(out.status.success(), "{argv:?}: {}", describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{argv:?}: not JSON ({e}): {}", text(&out.stdout)))
}

fn service<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["services"]
        .as_array()
        .and_then(|services| services.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no service {name} in {status:#}"))
}

/// Polls `vinit status --json` until `done`.
fn status_until(pid1: &Pid1, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    poll_until(WAIT, || {
        let out = pid1.run(&["/sbin/vinit", "status", "--json"]);
        last = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.success() && last["services"].is_array() && done(&last)).then_some(())
    })
    .unwrap_or_else(|| panic!("status never showed {what}:\n{last:#}\n{}", pid1.console()));
    last
}

/// The PID of the process of `pids` whose command line is `command`.
fn pid_of(pid1: &Pid1, pids: &Value, command: &str) -> i64 {
    pids.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .find(|pid| {
            text(&pid1.run(&["cat", &format!("/proc/{pid}/cmdline")]).stdout)
                == command.replace(' ', "\0") + "\0"
        })
        .unwrap_or_else(|| panic!("no {command:?} among {pids}"))
}

#[test]
fn status_lists_every_service_with_its_cgroup_and_shows_one_in_full() {
    let root = root();
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    pid1.expect_console("Starting old.", WAIT);
    pid1.run_ok(&["service", "old", "stop"]);
    let status = status_until(
        &pid1,
        "web's three processes, believed, and old stopped",
        |s| {
            let web = service(s, "web");
            web["pids"].as_array().is_some_and(|pids| pids.len() == 3)
                && web["supervised"]["pid"].is_i64()
                && service(s, "cache")["state"] == "running"
                && service(s, "old")["state"] == "stopped"
        },
    );
    assert_eq!(status["schema"], "vinit-status/2");
    let tracking = &status["tracking"];
    assert_eq!(
        (&tracking["on"], &tracking["dir"]),
        (&true.into(), &"/sys/fs/cgroup/vinit".into()),
        "{tracking}"
    );
    let names: Vec<&str> = status["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cache", "never", "old", "web"]);
    let memory_delegated = tracking["controllers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "memory");

    // web: supervised, its master the daemon init believes in, with two workers.
    let web = service(&status, "web");
    assert_eq!(web["state"], "supervised", "{web}");
    assert_eq!(web["cgroup"], "/sys/fs/cgroup/vinit/web");
    let master = pid_of(&pid1, &web["pids"], "sleep 300000");
    assert_eq!(web["main_pid"], master, "{web}");
    assert_eq!(web["supervised"]["pid"], master, "{web}");
    assert_eq!(web["supervised"]["state"], "supervised", "{web}");
    assert!(web["cpu_usage_usec"].is_u64(), "{web}");
    assert_eq!(web["memory_current"].is_u64(), memory_delegated, "{web}");
    assert!(
        web["uptime_s"].is_i64() && web["started"].is_string(),
        "{web}"
    );
    assert_eq!(
        (&web["last_rc_run"]["action"], &web["last_rc_run"]["result"]),
        (&"start".into(), &"ok".into())
    );
    // cache: not supervised; its main PID is the oldest (and only) process.
    let cache = service(&status, "cache");
    let daemon = pid_of(&pid1, &cache["pids"], "sleep 300010");
    assert_eq!(cache["main_pid"], daemon, "{cache}");
    assert_eq!(cache["supervised"], Value::Null);
    // old: stopped by service, its cgroup still there, empty.
    let old = service(&status, "old");
    assert_eq!(old["pids"], serde_json::json!([]), "{old}");
    assert_eq!(
        (&old["main_pid"], &old["uptime_s"]),
        (&Value::Null, &Value::Null)
    );
    assert!(old["cpu_usage_usec"].is_u64(), "{old}");
    // never: no cgroup made, no run recorded.
    let never = service(&status, "never");
    assert_eq!(never["state"], "stopped", "{never}");
    assert_eq!(never["cgroup"], "/sys/fs/cgroup/vinit/never");
    assert_eq!(
        (&never["cpu_usage_usec"], &never["last_rc_run"]),
        (&Value::Null, &Value::Null),
        "{never}"
    );

    // The table: one aligned row per service.
    let table = pid1.run_ok(&["/sbin/vinit", "status"]);
    let heading = "Services (each in its cgroup under /sys/fs/cgroup/vinit)\n";
    let section = table
        .split_once(heading)
        .unwrap_or_else(|| panic!("no services' heading in:\n{table}"))
        .1;
    let rows: Vec<&str> = section.lines().take(5).collect();
    assert!(
        rows[0].starts_with("SERVICE  STATE       PID  PROCS"),
        "{table}"
    );
    // Each row's PID ends under the heading's (right-aligned), then two spaces.
    let pid_end = rows[0].find("PID").unwrap() + "PID".len();
    let row_of = |name: &str| -> (Vec<&str>, &str) {
        let row = rows
            .iter()
            .find(|row| row.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name} in:\n{table}"));
        (row.split_whitespace().collect(), row)
    };
    for (name, state, pid, procs) in [
        ("cache", "running", daemon.to_string(), "1"),
        ("never", "stopped", "-".to_string(), "0"),
        ("old", "stopped", "-".to_string(), "0"),
        ("web", "supervised", master.to_string(), "3"),
    ] {
        let (words, row) = row_of(name);
        assert_eq!(words[..4], [name, state, &pid, procs], "{table}");
        assert!(
            row[..pid_end].ends_with(&format!(" {pid}")) && row[pid_end..].starts_with("  "),
            "{table}"
        );
    }

    // One service in full: the tree, the limits, the last output.
    let full = pid1.run_ok(&["/sbin/vinit", "status", "web"]);
    assert!(
        full.starts_with("Service      web (supervised)\n"),
        "{full}"
    );
    assert!(
        full.contains("Cgroup       /sys/fs/cgroup/vinit/web\n"),
        "{full}"
    );
    assert!(full.contains(&format!("Main PID     {master}\n")), "{full}");
    let workers: Vec<i64> = ["sleep 300001", "sleep 300002"]
        .iter()
        .map(|command| pid_of(&pid1, &web["pids"], command))
        .collect();
    let tree_lines: Vec<&str> = full
        .lines()
        .skip_while(|line| *line != "Processes")
        .skip(1)
        .take(4)
        .collect();
    let pid_width = tree_lines[1..]
        .iter()
        .map(|line| line.split_whitespace().next().unwrap().len())
        .max()
        .unwrap()
        .max(3);
    // Children under their parent, the first started first.
    assert_eq!(
        tree_lines,
        [
            format!("{:>pid_width$}  COMMAND", "PID"),
            format!("{master:>pid_width$}  sleep 300000"),
            format!("{:>pid_width$}  ├─ sleep 300001", workers[0]),
            format!("{:>pid_width$}  └─ sleep 300002", workers[1]),
        ],
        "{full}"
    );
    assert!(full.contains("\nLimits\n"), "{full}");
    assert!(
        full.contains("Starting web: three lines\n") && full.contains("the second\n"),
        "{full}"
    );
    // What a script printed cannot drive the terminal.
    assert!(
        full.contains("a bell \\u{7} and an escape \\u{1b}[31m"),
        "{full}"
    );
    assert!(!full.contains('\x07') && !full.contains('\x1b'), "{full}");
    assert!(full.contains("[ ok ] Starting web."), "{full}");

    let one = run_json(&pid1, &["web"]);
    assert_eq!(one["schema"], "vinit-status/2");
    let detail = &one["service"];
    assert_eq!(detail["name"], "web");
    let processes = detail["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 3, "{detail}");
    for process in processes {
        let expected_parent = if process["pid"] == master {
            process["parent"].clone()
        } else {
            master.into()
        };
        assert_eq!(process["parent"], expected_parent, "{detail}");
    }
    let lines: Vec<&str> = detail["output"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["text"].as_str().unwrap())
        .collect();
    assert_eq!(lines[..2], ["Starting web: three lines", "the second"]);
    assert_eq!(detail["output"]["result"]["text"], "[ ok ] Starting web.");
    assert!(detail["limits"].is_object(), "{detail}");
    for (file, value) in detail["limits"].as_object().unwrap() {
        let kernel = pid1.run_ok(&["cat", &format!("/sys/fs/cgroup/vinit/web/{file}")]);
        assert_eq!(value, kernel.trim().replace('\n', "; ").as_str(), "{file}");
    }

    // A name that is no service, and a reader of the old schema.
    let out = pid1.run(&["/sbin/vinit", "status", "nosuch"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("no service \"nosuch\""));
    let out = pid1.run(&["/sbin/vinit", "status", "--json", "--schema", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let error: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error["error"], "schema-gone", "{error}");
    assert!(text(&out.stderr).contains("vinit-status/1 is no longer written"));
    run_json(&pid1, &["--schema", "2"]);
}

#[test]
fn without_cgroup2_status_says_tracking_is_off_and_shows_what_it_knows() {
    let root = root();
    let pid1 = root.boot_without_cgroups(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    let status = status_until(&pid1, "web's daemon believed", |s| {
        service(s, "web")["main_pid"].is_i64()
    });
    let tracking = &status["tracking"];
    assert_eq!(tracking["on"], false, "{tracking}");
    assert!(tracking["reason"].is_string(), "{tracking}");
    let web = service(&status, "web");
    assert_eq!(web["state"], "supervised", "{web}");
    assert_eq!(
        (&web["cgroup"], &web["pids"], &web["memory_current"]),
        (&Value::Null, &Value::Null, &Value::Null),
        "{web}"
    );
    assert!(web["uptime_s"].is_i64(), "{web}");
    let cache = service(&status, "cache");
    assert_eq!(
        (&cache["state"], &cache["main_pid"]),
        (&"untracked".into(), &Value::Null),
        "{cache}"
    );

    let table = pid1.run_ok(&["/sbin/vinit", "status"]);
    let reason = tracking["reason"].as_str().unwrap();
    assert!(
        table.contains("\nServices (not tracked by cgroup)\n")
            && table.contains(&format!(
                "\nnot tracked: {reason}; their processes, memory and CPU time are not known\n"
            )),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|row| row.starts_with("cache ") && row.contains(" not tracked ")),
        "{table}"
    );
    let full = pid1.run_ok(&["/sbin/vinit", "status", "web"]);
    assert!(
        full.contains(&format!(
            "Cgroup       none: services are not tracked ({reason})\n"
        )),
        "{full}"
    );
    assert!(
        full.contains("Processes    not known (not tracked)\n"),
        "{full}"
    );
    assert!(
        full.contains(&format!("{}  sleep 300000\n", web["main_pid"])),
        "{full}"
    );
    assert!(full.contains("Starting web: three lines\n"), "{full}");
}
