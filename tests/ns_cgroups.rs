//! Every service in a cgroup of its own, with our `init` as PID 1 of a namespace (which the
//! harness gives a cgroup namespace of its own, so that the cgroup2 init mounts shows a
//! subtree of the test's): scripts run by rc, `service` and by hand (through the LSB hook)
//! land in `vinit/NAME` with the daemons they start; a supervised daemon without a pid file
//! comes back after a crash; a stop leaves nothing behind; a hung stop on the way to 0 is
//! killed at its `stop_timeout`; without cgroup2 everything works untracked, and says so.
//! Timeouts are safety nets only.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::poll_until;
use vinit::services::{Tracking, state};

const WAIT: Duration = Duration::from_secs(30);

const INITTAB: &str = "\
id:2:initdefault:
l0:0:wait:/sbin/rc 0
l1:1:wait:/sbin/rc 1
l2:2:wait:/sbin/rc 2
";

/// An LSB script whose `start` runs `start` (a daemon that detaches by itself) and whose
/// `stop` runs `stop`.
fn script(name: &str, start: &str, stop: &str) -> String {
    format!(
        r#"{head}[ -r /lib/lsb/init-functions ] && . /lib/lsb/init-functions
case "$1" in
start) {start} ;;
stop) {stop} ;;
restart) "$0" stop; "$0" start ;;
*) echo "Usage: $0 {{start|stop|restart}}" >&2; exit 3 ;;
esac
"#,
        head = common::lsb_script_head(name)
    )
}

/// A daemon that double-forks and writes no pid file: `sleep ID`, ID telling the test's
/// daemons apart.
fn detach(id: u32) -> String {
    format!("( setsid sh -c 'exec sleep {id}' </dev/null >/dev/null 2>&1 & )")
}

/// A daemon `sleep ID` with a child `sleep ID1` that ignores SIGTERM, both detached.
fn stubborn(id: u32) -> String {
    format!(
        "( setsid sh -c 'trap \"\" TERM; sleep {id}1 & trap - TERM; exec sleep {id}' </dev/null >/dev/null 2>&1 & )"
    )
}

/// A stop that sends SIGTERM to the daemon `sleep ID` only.
fn stop(id: u32) -> String {
    format!(
        "for p in /proc/[0-9]*; do [ \"$(tr '\\0' ' ' <$p/cmdline 2>/dev/null)\" = 'sleep {id} ' ] && kill ${{p#/proc/}}; done; true"
    )
}

fn root_with(services: &[(&str, String)], settings: &[(&str, &str)]) -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    // What Debian's lsb-base does with its hooks (the test root has no lsb-base).
    root.write(
        "lib/lsb/init-functions",
        "for hook in /lib/lsb/init-functions.d/*; do [ -r \"$hook\" ] && . \"$hook\"; done\n",
    );
    for (name, text) in services {
        root.write_exec(&format!("etc/init.d/{name}"), text);
        root.enable_service(name);
    }
    for (name, text) in settings {
        root.write(&format!("etc/vinit/supervise.d/{name}"), text);
    }
    root
}

/// A root with `nopid`, a supervised service whose daemon writes no pid file.
fn nopid_root() -> TestRoot {
    root_with(
        &[("nopid", script("nopid", &detach(100004), &stop(100004)))],
        &[("nopid", "")],
    )
}

/// The cgroup `pid` is in, as `/proc/PID/cgroup` says to a command the test runs (which
/// is not in the namespace's cgroup namespace: the path goes from the host's root).
fn cgroup_of(pid1: &Pid1, pid: i32) -> String {
    let text = pid1.run_ok(&["cat", &format!("/proc/{pid}/cgroup")]);
    text.lines()
        .find_map(|line| line.strip_prefix("0::"))
        .unwrap_or_default()
        .to_string()
}

/// The PIDs in service `name`'s cgroup.
fn processes(pid1: &Pid1, name: &str) -> Vec<i32> {
    let out = pid1.run(&["cat", &format!("/sys/fs/cgroup/vinit/{name}/cgroup.procs")]);
    common::text(&out.stdout)
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

fn wait_processes(pid1: &Pid1, name: &str, done: impl Fn(&[i32]) -> bool) -> Vec<i32> {
    poll_until(WAIT, || {
        let pids = processes(pid1, name);
        done(&pids).then_some(pids)
    })
    .unwrap_or_else(|| {
        panic!(
            "{name}'s cgroup never settled: {:?}\n{}",
            processes(pid1, name),
            pid1.console()
        )
    })
}

/// The process `sleep ID` in service `name`'s cgroup once it is the only one there (the
/// daemon, its script gone), other than `old`.
fn daemon(pid1: &Pid1, name: &str, id: u32, old: Option<i32>) -> i32 {
    let pids = wait_processes(pid1, name, |pids| {
        matches!(pids, [pid] if Some(*pid) != old
            && common::text(&pid1.run(&["cat", &format!("/proc/{pid}/cmdline")]).stdout)
                == format!("sleep\0{id}\0"))
    });
    pids[0]
}

fn tracking(root: &TestRoot) -> Option<Tracking> {
    let text = std::fs::read_to_string(root.join("run/vinit/supervise/state")).ok()?;
    state::parse(&text).0.tracking
}

#[test]
fn scripts_run_by_rc_service_and_by_hand_land_in_their_cgroups() {
    let root = root_with(
        &[
            ("alpha", script("alpha", &detach(100001), &stop(100001))),
            ("beta", script("beta", &detach(100002), &stop(100002))),
        ],
        &[],
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    let state = poll_until(WAIT, || tracking(&root)).expect("tracking recorded");
    assert!(
        matches!(&state, Tracking::On { dir, .. } if dir == "/sys/fs/cgroup/vinit"),
        "{state:?}"
    );
    // rc started both: each daemon in its own cgroup.
    let alpha = wait_processes(&pid1, "alpha", |pids| !pids.is_empty());
    assert!(cgroup_of(&pid1, alpha[0]).ends_with("/vinit/alpha"));
    wait_processes(&pid1, "beta", |pids| !pids.is_empty());
    // service: the stop runs in the cgroup, the start too.
    pid1.run_ok(&["service", "beta", "stop"]);
    wait_processes(&pid1, "beta", <[i32]>::is_empty);
    pid1.run_ok(&["service", "beta", "start"]);
    wait_processes(&pid1, "beta", |pids| !pids.is_empty());
    // By hand, from outside any service's cgroup: the LSB hook places it.
    root.write_exec(
        "etc/init.d/gamma",
        script("gamma", &detach(100003), &stop(100003)),
    );
    assert!(!cgroup_of(&pid1, 1).contains("/vinit/"));
    pid1.run_ok(&["/etc/init.d/gamma", "start"]);
    let gamma = wait_processes(&pid1, "gamma", |pids| !pids.is_empty());
    assert!(cgroup_of(&pid1, gamma[0]).ends_with("/vinit/gamma"));
}

#[test]
fn a_supervised_daemon_without_a_pid_file_comes_back_after_a_crash() {
    let root = nopid_root();
    let pid1 = root.boot(&[]);
    let first = daemon(&pid1, "nopid", 100004, None);
    pid1.run_ok(&["kill", "-SEGV", &first.to_string()]);
    pid1.expect_console(
        &format!("INIT: service nopid (pid {first}) killed by SIGSEGV: restarting it (restart 1)"),
        WAIT,
    );
    let second = daemon(&pid1, "nopid", 100004, Some(first));
    // A stop on purpose stays down.
    pid1.run_ok(&["service", "nopid", "stop"]);
    wait_processes(&pid1, "nopid", <[i32]>::is_empty);
    pid1.run_ok(&["/sbin/telinit", "1"]);
    pid1.expect_console("INIT: Switching to runlevel: 1", WAIT);
    let console = pid1.console();
    assert!(!console.contains("(restart 2)"), "{console}");
    assert!(!console.contains(&format!("pid {second}")), "{console}");
}

#[test]
fn a_stop_leaves_nothing_behind() {
    let root = root_with(
        &[
            (
                "stubborn",
                script("stubborn", &stubborn(100005), &stop(100005)),
            ),
            ("keeper", script("keeper", &stubborn(100006), &stop(100006))),
        ],
        &[
            ("stubborn", "stop_timeout=1\nrestart=no\n"),
            ("keeper", "kill_leftovers=no\nrestart=no\n"),
        ],
    );
    let pid1 = root.boot(&[]);
    wait_processes(&pid1, "stubborn", |pids| pids.len() == 2);
    wait_processes(&pid1, "keeper", |pids| pids.len() == 2);
    let out = pid1.run(&["service", "stubborn", "stop"]);
    let said = common::text(&out.stderr);
    assert!(said.contains("service: stubborn: left behind: "), "{said}");
    assert!(said.contains("SIGKILL"), "{said}");
    assert!(processes(&pid1, "stubborn").is_empty());
    // kill_leftovers=no: what the stop left stays.
    pid1.run_ok(&["service", "keeper", "stop"]);
    wait_processes(&pid1, "keeper", |pids| pids.len() == 1);
    // What the stop killed was part of the stop, not a failure (a level
    // change is the barrier: the deaths reaped before it are judged).
    pid1.run_ok(&["/sbin/telinit", "1"]);
    pid1.expect_console("INIT: Switching to runlevel: 1", WAIT);
    assert!(
        !pid1.console().contains("service stubborn"),
        "{}",
        pid1.console()
    );
}

#[test]
fn a_hung_stop_on_the_way_down_is_killed_at_its_stop_timeout() {
    let root = root_with(
        &[("hang", script("hang", &detach(100007), "sleep 100000"))],
        &[("hang", "stop_timeout=2\nrestart=no\n")],
    );
    let pid1 = root.boot(&[]);
    wait_processes(&pid1, "hang", |pids| pids.len() == 1);
    pid1.run_ok(&["/sbin/telinit", "0"]);
    pid1.expect_console(
        "still running at the stop timeout, killed with its processes: ",
        WAIT,
    );
    pid1.expect_console("[FAIL] Stopping hang failed (timed out", WAIT);
    wait_processes(&pid1, "hang", <[i32]>::is_empty);
    let blame = poll_until(WAIT, || {
        let out = pid1.run(&["/lib/vinit/vinit", "blame", "--level", "0"]);
        let text = common::text(&out.stdout);
        text.contains("hang stop: killed").then_some(text)
    })
    .unwrap_or_else(|| panic!("blame shows no kill:\n{}", pid1.console()));
    assert!(blame.contains("(sleep, waiting in "), "{blame}");
}

#[test]
fn without_cgroup2_services_run_untracked_and_status_says_why() {
    let root = nopid_root();
    let pid1 = root.boot_without_cgroups(&[]);
    pid1.expect_console("INIT: services are not tracked by cgroup: ", WAIT);
    let state = poll_until(WAIT, || tracking(&root)).expect("tracking recorded");
    assert!(matches!(state, Tracking::Off(_)), "{state:?}");
    pid1.expect_console("INIT: Entering runlevel: 2", WAIT);
    pid1.run_ok(&["service", "nopid", "stop"]);
    pid1.run_ok(&["service", "nopid", "start"]);
}
