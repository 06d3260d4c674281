//! A service's limits (supervise.d(5)) with our `init` as PID 1 of a namespace: `nice`,
//! `oom_score_adj`, `rlimit_nofile` and `rlimit_core` reach the daemon that rc, `service` and a
//! supervised restart start; a bad value is reported with file and line (by rc, `service`,
//! init and `vinit check`) and the service starts without it; init keeps a key's last good
//! value. The namespace's cgroup2 has no controller to give the services (this host's memory,
//! cpu and pids are on cgroup v1), so the cgroup settings are reported unavailable, once.
//! Timeouts are safety nets only.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::poll_until;

const WAIT: Duration = Duration::from_secs(30);

const INITTAB: &str = "\
id:2:initdefault:
l2:2:wait:/sbin/rc 2
";

/// An LSB script whose daemon is `sleep ID`, detached and without a pid file.
fn script(name: &str, id: u32) -> String {
    format!(
        r#"{head}[ -r /lib/lsb/init-functions ] && . /lib/lsb/init-functions
case "$1" in
start) ( setsid sh -c 'exec sleep {id}' </dev/null >/dev/null 2>&1 & ) ;;
stop) for p in /proc/[0-9]*; do [ "$(tr '\0' ' ' <$p/cmdline 2>/dev/null)" = 'sleep {id} ' ] && kill ${{p#/proc/}}; done; true ;;
restart) "$0" stop; "$0" start ;;
*) echo "Usage: $0 {{start|stop|restart}}" >&2; exit 3 ;;
esac
"#,
        head = common::lsb_script_head(name)
    )
}

fn root_with(name: &str, id: u32, settings: &str) -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    // What Debian's lsb-base does with its hooks (the test root has no lsb-base).
    root.write(
        "lib/lsb/init-functions",
        "for hook in /lib/lsb/init-functions.d/*; do [ -r \"$hook\" ] && . \"$hook\"; done\n",
    );
    root.write_exec(&format!("etc/init.d/{name}"), script(name, id));
    root.write(&format!("etc/vinit/supervise.d/{name}"), settings);
    root
}

fn read(pid1: &Pid1, path: &str) -> String {
    common::text(&pid1.run(&["cat", path]).stdout)
}

/// The live process `sleep ID`, other than `old`.
fn daemon(pid1: &Pid1, id: u32, old: Option<i32>) -> i32 {
    poll_until(WAIT, || {
        let out = pid1.run(&["sh", "-c", "ls -d /proc/[0-9]*"]);
        common::text(&out.stdout)
            .split_whitespace()
            .find_map(|dir| {
                let pid: i32 = dir.strip_prefix("/proc/")?.parse().ok()?;
                let alive = !read(pid1, &format!("{dir}/stat")).contains(") Z ");
                (Some(pid) != old
                    && alive
                    && read(pid1, &format!("{dir}/cmdline")) == format!("sleep\0{id}\0"))
                .then_some(pid)
            })
    })
    .unwrap_or_else(|| panic!("no daemon sleep {id}:\n{}", pid1.console()))
}

/// What the daemon `pid` got: its open files and core limits (soft, hard), its nice value,
/// its OOM score adjustment, its blocked signals.
#[derive(Debug, PartialEq, Eq)]
struct Got {
    nofile: (String, String),
    core: (String, String),
    nice: String,
    oom_score_adj: String,
    blocked: String,
}

fn got(pid1: &Pid1, pid: i32) -> Got {
    let limits = read(pid1, &format!("/proc/{pid}/limits"));
    let limit = |name: &str| {
        let line = limits
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {limits}"));
        let words: Vec<String> = line
            .get(26..)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        (words[0].clone(), words[1].clone())
    };
    let stat = read(pid1, &format!("/proc/{pid}/stat"));
    // The fields after `(comm)`: state is the 3rd field, nice the 19th.
    let after = stat.rsplit_once(") ").expect("stat").1;
    let nice = after.split_whitespace().nth(16).expect("nice").to_string();
    let status = read(pid1, &format!("/proc/{pid}/status"));
    let blocked = status
        .lines()
        .find_map(|line| line.strip_prefix("SigBlk:"))
        .expect("SigBlk")
        .trim()
        .to_string();
    Got {
        nofile: limit("Max open files"),
        core: limit("Max core file size"),
        nice,
        oom_score_adj: read(pid1, &format!("/proc/{pid}/oom_score_adj"))
            .trim()
            .to_string(),
        blocked,
    }
}

fn expected(nice: &str) -> Got {
    Got {
        nofile: ("1000".to_string(), "2000".to_string()),
        core: ("0".to_string(), "unlimited".to_string()),
        nice: nice.to_string(),
        oom_score_adj: "300".to_string(),
        blocked: "0000000000000000".to_string(),
    }
}

const LIMITS: &str = "\
nice=5
oom_score_adj=300
rlimit_nofile=1000:2000
rlimit_core=0:unlimited
memory.max=64M
pids.max=50
";

const UNAVAILABLE: &str = "/etc/vinit/supervise.d/lim: memory.max, pids.max not set: \
the cgroup2 hierarchy gives vinit's services no memory, pids controller (they have: none)";

#[test]
fn limits_reach_the_daemons_of_rc_service_and_a_restart() {
    let root = root_with("lim", 200001, LIMITS);
    root.enable_service("lim");
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    // rc started it: the script's attributes are its daemon's.
    let first = daemon(&pid1, 200001, None);
    assert_eq!(got(&pid1, first), expected("5"));
    // rc says, with the script's output, what no cgroup can take.
    pid1.expect_console(UNAVAILABLE, WAIT);
    // service.
    let out = pid1.run(&["service", "lim", "restart"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        common::text(&out.stderr),
        format!("service: {UNAVAILABLE}\n")
    );
    let second = daemon(&pid1, 200001, Some(first));
    assert_eq!(got(&pid1, second), expected("5"));
    // init's restart after a crash: said once, in init's log.
    pid1.run_ok(&["kill", "-SEGV", &second.to_string()]);
    let third = daemon(&pid1, 200001, Some(second));
    assert_eq!(got(&pid1, third), expected("5"));
    pid1.expect_console(&format!("INIT: {UNAVAILABLE}"), WAIT);
    pid1.run_ok(&["kill", "-SEGV", &third.to_string()]);
    let fourth = daemon(&pid1, 200001, Some(third));
    assert_eq!(got(&pid1, fourth), expected("5"));
    let console = pid1.console();
    assert_eq!(
        console.matches(&format!("INIT: {UNAVAILABLE}")).count(),
        1,
        "{console}"
    );
    // A bad value in a rewritten file: init logs it with file and line and keeps the last
    // good value of that key; the other keys take their new values.
    // Written whole (a new file renamed over the old one): init may read the file at any
    // moment, and a half-written one is a file without those lines.
    root.write(
        "etc/vinit/supervise.d/.lim.new",
        LIMITS
            .replace("nice=5", "nice=lots")
            .replace("pids.max=50\n", ""),
    );
    std::fs::rename(
        root.join("etc/vinit/supervise.d/.lim.new"),
        root.join("etc/vinit/supervise.d/lim"),
    )
    .expect("rename the settings");
    pid1.run_ok(&["/lib/vinit/vinit", "supervise", "--reload"]);
    pid1.expect_console(
        "INIT: /etc/vinit/supervise.d/lim:1: nice must be a niceness from -20 to 19, \
         not \"lots\" (only this line is ignored)",
        WAIT,
    );
    pid1.run_ok(&["kill", "-SEGV", &fourth.to_string()]);
    let fifth = daemon(&pid1, 200001, Some(fourth));
    assert_eq!(got(&pid1, fifth), expected("5"));
    pid1.expect_console(
        "INIT: /etc/vinit/supervise.d/lim: memory.max not set: the cgroup2 hierarchy gives \
         vinit's services no memory controller (they have: none)",
        WAIT,
    );
}

#[test]
fn a_bad_value_is_reported_with_its_line_and_the_service_starts_without_it() {
    let root = root_with(
        "bad",
        200002,
        "restart=no\nnice=99\noom_score_adj=300\nrlimit_nofile=1000:2000\n\
         rlimit_core=0:unlimited\nrlimit_core=2000000000000000000000\n",
    );
    root.enable_service("bad");
    let pid1 = root.boot(&[]);
    let nice = "/etc/vinit/supervise.d/bad:2: nice must be a niceness from -20 to 19, \
                not \"99\" (only this line is ignored)";
    let core = "/etc/vinit/supervise.d/bad:6: rlimit_core must be SOFT[:HARD], each unlimited \
                or a number of bytes with an optional K, M, G or T suffix, \
                not \"2000000000000000000000\" (only this line is ignored)";
    // init, reading the settings; rc, starting the service.
    pid1.expect_console(&format!("INIT: {nice}"), WAIT);
    pid1.expect_console(&format!("INIT: {core}"), WAIT);
    pid1.expect_console(&format!("{nice}\r\n{core}\r\n"), WAIT);
    pid1.expect_console("Starting bad", WAIT);
    let first = daemon(&pid1, 200002, None);
    assert_eq!(got(&pid1, first), expected("0"));
    let out = pid1.run(&["service", "bad", "restart"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        common::text(&out.stderr),
        format!("service: {nice}\nservice: {core}\n")
    );
    let second = daemon(&pid1, 200002, Some(first));
    assert_eq!(got(&pid1, second), expected("0"));
    let check = pid1.run(&["/lib/vinit/vinit", "check"]);
    let said = common::text(&check.stdout);
    assert!(said.contains(nice), "{said}");
    assert!(said.contains(core), "{said}");
}

#[test]
fn a_value_the_kernel_refuses_is_said_with_its_reason_and_the_rest_applies() {
    // More open files than fs.nr_open allows: only the kernel knows.
    let root = root_with(
        "huge",
        200003,
        "restart=no\nrlimit_nofile=2000000000\noom_score_adj=300\n",
    );
    root.enable_service("huge");
    let pid1 = root.boot(&[]);
    pid1.expect_console(
        "/etc/vinit/supervise.d/huge:2: rlimit_nofile=2000000000: not set: Operation not permitted",
        WAIT,
    );
    let first = daemon(&pid1, 200003, None);
    assert_eq!(
        read(&pid1, &format!("/proc/{first}/oom_score_adj")).trim(),
        "300"
    );
    let out = pid1.run(&["service", "huge", "restart"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        common::text(&out.stderr),
        "service: /etc/vinit/supervise.d/huge:2: rlimit_nofile=2000000000: not set: \
         Operation not permitted\n"
    );
}

#[test]
fn a_script_started_by_hand_gets_its_limits_through_the_lsb_hook() {
    let root = root_with("hand", 200004, &format!("restart=no\n{LIMITS}"));
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    let out = pid1.run(&["/etc/init.d/hand", "start"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        common::text(&out.stderr),
        format!(
            "vinit place: {}\n",
            UNAVAILABLE.replace("supervise.d/lim", "supervise.d/hand")
        )
    );
    let first = daemon(&pid1, 200004, None);
    assert_eq!(got(&pid1, first), expected("5"));
    // Not an action that starts it: placed, nothing applied, nothing said.
    let out = pid1.run(&["/etc/init.d/hand", "stop"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(common::text(&out.stderr), "");
}

#[test]
fn init_restarts_a_script_without_a_restart_action_with_its_limits() {
    // init runs `stop` then `start` through /bin/sh for a script that has no such action.
    let root = root_with("plain", 200005, "nice=5\noom_score_adj=300\n");
    let text = script("plain", 200005)
        .replace("restart) \"$0\" stop; \"$0\" start ;;\n", "")
        .replace("{start|stop|restart}", "{start|stop}");
    assert!(!text.contains("restart"), "{text}");
    root.write_exec("etc/init.d/plain", text);
    root.enable_service("plain");
    let pid1 = root.boot(&[]);
    let first = daemon(&pid1, 200005, None);
    pid1.run_ok(&["kill", "-SEGV", &first.to_string()]);
    let second = daemon(&pid1, 200005, Some(first));
    let got = got(&pid1, second);
    assert_eq!(
        (got.nice.as_str(), got.oom_score_adj.as_str()),
        ("5", "300")
    );
}
