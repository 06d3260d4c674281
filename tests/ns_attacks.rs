//! What a user can write cannot hurt PID 1. Each test boots our `init` as
//! PID 1 of a fresh namespace with a supervised service whose pid file
//! lives in a directory its own unprivileged user owns (as redis,
//! postgresql, mysqld and tor have it), and plays that user (`nobody`,
//! 65534) attacking through the pid file: a FIFO, a link to the user's own
//! terminal or to `/dev/zero`, a huge file, a PID of another process
//! group, fake crashes. Each asserts that PID 1 stays responsive and that
//! nothing is killed, restarted or read that should not be.
//!
//! Timeouts are safety nets only; "nothing happened" is read after a
//! barrier: a `telinit` request init acts on after the attack's events
//! (signals and reaped children come before requests in init's loop).

mod common;

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::poll_until;
use vinit::services::state;

const WAIT: Duration = Duration::from_secs(30);

/// The attacker: `nobody`.
const USER: u32 = 65534;

const INITTAB: &str = "\
id:2:initdefault:
ca:12345:ctrlaltdel:/bin/echo CTRL-ALT-DEL WAS RUN
l2:2:wait:/sbin/rc 2
l3:3:wait:/sbin/rc 3
";

/// A daemon run as `nobody`, its pid file in `/run/userd`, a directory
/// `nobody` owns. The daemon is a real program (coreutils' sleep, copied
/// in as `/usr/sbin/userdaemon`), so that init can check what a pid file names.
/// Its `stop` does not read the pid file: start-stop-daemon itself would
/// block on a FIFO there, and this is about what init and our tools do.
const USERD_SCRIPT: &str = r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          userd
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: a daemon whose pid file its own user can write
### END INIT INFO
DAEMON=/usr/sbin/userdaemon
PIDFILE=/run/userd/userd.pid
case "$1" in
start)
    mkdir -p /run/userd && chown 65534:65534 /run/userd
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE \
        --chuid 65534:65534 --exec $DAEMON -- 100000 ;;
stop) killall -q userdaemon; rm -f $PIDFILE ;;
restart) "$0" stop; "$0" start ;;
*) echo "Usage: $0 {start|stop|restart}" >&2; exit 3 ;;
esac
"#;

const PID_FILE: &str = "/run/userd/userd.pid";

/// Boots a root with `userd` supervised (`settings` in its supervise.d
/// file) and waits until init believes its daemon; returns its PID.
fn booted(settings: &str) -> (TestRoot, Pid1, i32) {
    booted_with(settings, true)
}

/// [`booted`], where services are tracked by cgroup or (`tracked: false`)
/// not: no cgroup2, as in a container without a delegated tree.
fn booted_with(settings: &str, tracked: bool) -> (TestRoot, Pid1, i32) {
    let root = TestRoot::new();
    root.install_host_program("/usr/sbin/start-stop-daemon");
    root.symlink("/usr/sbin/start-stop-daemon", "sbin/start-stop-daemon");
    root.install_host_program("/usr/bin/sleep");
    std::fs::copy(root.join("usr/bin/sleep"), root.join("usr/sbin/userdaemon")).expect("userd");
    root.write(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    );
    root.write("etc/group", "root:x:0:\nnogroup:x:65534:\n");
    root.write("etc/inittab", INITTAB);
    root.write_exec("etc/init.d/userd", USERD_SCRIPT);
    root.enable_service("userd");
    root.write("etc/vinit/supervise.d/userd", settings);
    let pid1 = if tracked {
        root.boot(&[])
    } else {
        root.boot_without_cgroups(&[])
    };
    pid1.expect_console("[ ok ] Starting userd", WAIT);
    let daemon = believed(&root, None);
    (root, pid1, daemon)
}

/// The daemon init believes `userd` runs, once it is not `old`.
fn believed(root: &TestRoot, old: Option<i32>) -> i32 {
    poll_until(WAIT, || {
        let text = std::fs::read_to_string(root.join("run/vinit/supervise/state")).ok()?;
        let pid = state::parse(&text).0.services.get("userd")?.pid?;
        (Some(pid) != old).then_some(pid)
    })
    .unwrap_or_else(|| panic!("init never believed a userd daemon other than {old:?}"))
}

fn restarts(root: &TestRoot) -> u32 {
    let text = root.read("run/vinit/supervise/state");
    state::parse(&text).0.services["userd"].restarts
}

/// Runs a shell command as the attacker, failing the test if it fails.
fn as_attacker(pid1: &Pid1, script: &str) -> String {
    let output = pid1.run_as(USER, &["/bin/sh", "-c", script]);
    assert!(
        output.status.success(),
        "as uid {USER}: {script}: {}",
        common::describe(&output)
    );
    common::text(&output.stdout)
}

/// Runs a shell command as the attacker that prints a PID (of a process
/// it left behind), and returns that PID.
fn as_attacker_pid(pid1: &Pid1, script: &str) -> i32 {
    as_attacker(pid1, script)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{script}: no PID printed: {e}"))
}

/// The attacker starts a copy of the daemon's own program and names it in
/// the service's pid file; returns its PID.
fn fake_daemon_in_pid_file(pid1: &Pid1) -> i32 {
    as_attacker_pid(
        pid1,
        &format!(
            "(/usr/sbin/userdaemon 100000 </dev/null >/dev/null 2>&1 & rm -f {PID_FILE}; echo $! >{PID_FILE}; echo $!)"
        ),
    )
}

fn wait_until_dead(pid1: &Pid1, fake: i32) {
    poll_until(WAIT, || (!alive(pid1, fake)).then_some(()))
        .unwrap_or_else(|| panic!("the fake {fake} never died"));
}

/// Once init has answered a request (so it has handled what came before),
/// it has restarted nothing and the real `daemon` still runs.
fn nothing_restarted(root: &TestRoot, pid1: &Pid1, daemon: i32) {
    init_answers(pid1, "3");
    let console = pid1.console();
    assert!(!console.contains("restarting it"), "{console}");
    assert_eq!(restarts(root), 0, "{console}");
    assert!(alive(pid1, daemon));
}

/// The attacker leaves an orphan for init to reap, which used to make
/// init read every supervised pid file.
fn orphan(pid1: &Pid1) {
    as_attacker(pid1, "(true &)");
}

/// Barrier: init acts on a `telinit` request, so everything queued before
/// it (signals, dead children, changed files) has been handled.
fn init_answers(pid1: &Pid1, level: &str) {
    let output = pid1.run(&["timeout", "20", "/sbin/telinit", level]);
    assert!(output.status.success(), "{}", common::describe(&output));
    pid1.expect_console(&format!("INIT: Switching to runlevel: {level}"), WAIT);
}

/// Processes running `/usr/sbin/userdaemon` in the namespace.
fn userd_processes(pid1: &Pid1) -> usize {
    let out = pid1.run_ok(&[
        "sh",
        "-c",
        "for p in /proc/[0-9]*; do [ \"$(readlink $p/exe)\" = /usr/sbin/userdaemon ] && echo x; done; true",
    ]);
    out.lines().count()
}

fn alive(pid1: &Pid1, pid: i32) -> bool {
    pid1.run(&["kill", "-0", &pid.to_string()]).status.success()
}

/// A field of PID 1's `/proc/PID/status` (as the host sees it), in kB.
fn pid1_status_kb(pid1: &Pid1, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid1.host_pid()))
        .expect("PID 1's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in\n{status}"))
}

#[test]
fn a_fifo_for_a_pid_file_never_blocks_init() {
    let (_root, pid1, _daemon) = booted("");
    as_attacker(&pid1, &format!("rm -f {PID_FILE} && mkfifo {PID_FILE}"));
    orphan(&pid1);
    orphan(&pid1);
    init_answers(&pid1, "3");
    // The tools that read pid files as root finish too.
    for argv in [
        &["timeout", "20", "/lib/vinit/vinit", "status"][..],
        &["timeout", "20", "/lib/vinit/vinit", "supervise", "--list"][..],
        &["timeout", "20", "service", "userd", "stop"][..],
    ] {
        let output = pid1.run(argv);
        assert_ne!(
            output.status.code(),
            Some(124),
            "{argv:?} hung: {}",
            common::describe(&output)
        );
    }
    let line =
        format!("INIT: service userd: pid file {PID_FILE} is a FIFO, not a regular file; not read");
    init_answers(&pid1, "2");
    assert_eq!(
        pid1.console().matches(&line).count(),
        1,
        "{}",
        pid1.console()
    );
}

#[test]
fn a_pid_file_linked_to_a_users_terminal_never_becomes_inits() {
    let (_root, pid1, _daemon) = booted("");
    // The attacker's terminal: a pty of the namespace's own devpts.
    let ptmx = format!("/proc/{}/root/dev/ptmx", pid1.host_pid());
    let master = File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&ptmx)
        .unwrap_or_else(|e| panic!("{ptmx}: {e}"));
    let mut number: libc::c_uint = 0;
    let mut unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK and TIOCGPTN take a pointer to an int on a ptmx
    // descriptor, which `master` is for the duration of the calls.
    let (unlocked, numbered) = unsafe {
        (
            libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &mut unlock),
            libc::ioctl(master.as_raw_fd(), libc::TIOCGPTN, &mut number),
        )
    };
    assert!(unlocked == 0 && numbered == 0, "pty setup failed");
    as_attacker(&pid1, &format!("ln -sf /dev/pts/{number} {PID_FILE}"));
    orphan(&pid1);
    init_answers(&pid1, "3");
    // Field 7 of /proc/1/stat: the controlling terminal (0: none).
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid1.host_pid())).expect("stat");
    let tty = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(4))
        .expect("tty_nr");
    assert_eq!(tty, "0", "init took a controlling terminal: {stat}");
    // ^C and a hang-up on the attacker's terminal reach nobody in init.
    (&master).write_all(b"\x03").expect("^C");
    drop(master);
    init_answers(&pid1, "2");
    assert!(
        !pid1.console().contains("CTRL-ALT-DEL WAS RUN"),
        "{}",
        pid1.console()
    );
    let line = format!("INIT: service userd: pid file {PID_FILE} is a symbolic link, not read");
    assert!(pid1.console().contains(&line), "{}", pid1.console());
}

#[test]
fn dev_zero_or_a_huge_pid_file_costs_init_no_memory() {
    let (_root, pid1, _daemon) = booted("");
    as_attacker(&pid1, &format!("ln -sf /dev/zero {PID_FILE}"));
    orphan(&pid1);
    init_answers(&pid1, "3");
    as_attacker(
        &pid1,
        &format!(
            "rm -f {PID_FILE}; dd if=/dev/zero of={PID_FILE} bs=1 count=1 seek=1073741824 2>/dev/null"
        ),
    );
    orphan(&pid1);
    init_answers(&pid1, "2");
    let line =
        format!("INIT: service userd: pid file {PID_FILE} is larger than 4096 bytes; not read");
    assert!(pid1.console().contains(&line), "{}", pid1.console());
    // Peak resident memory: a read of /dev/zero or of the file would
    // have taken hundreds of megabytes.
    let peak = pid1_status_kb(&pid1, "VmHWM:");
    assert!(peak < 64 * 1024, "PID 1's peak memory is {peak} kB");
}

#[test]
fn a_pid_file_naming_another_process_group_gets_it_no_signal() {
    let (_root, pid1, daemon) = booted("");
    // Root's unrelated work: a session and group led by a shell that
    // exits with a failure when told to, with a member that must live.
    pid1.run_ok(&[
        "sh",
        "-c",
        "(setsid sh -c 'echo $$ >/tmp/leader; sleep 100000 & echo $! >/tmp/member; \
         while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 1' </dev/null >/dev/null 2>&1 &)",
    ]);
    let read_pid = |name: &str| -> i32 {
        poll_until(WAIT, || {
            common::text(&pid1.run(&["cat", name]).stdout)
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {name}"))
    };
    let leader = read_pid("/tmp/leader");
    let member = read_pid("/tmp/member");
    // The attacker claims root's group leader is the service's daemon.
    as_attacker(
        &pid1,
        &format!("rm -f {PID_FILE}; echo {leader} >{PID_FILE}"),
    );
    orphan(&pid1);
    init_answers(&pid1, "3");
    pid1.run_ok(&["touch", "/tmp/go"]);
    poll_until(WAIT, || (!alive(&pid1, leader)).then_some(()))
        .unwrap_or_else(|| panic!("the leader never exited"));
    init_answers(&pid1, "2");
    assert!(alive(&pid1, member), "root's process was signalled");
    assert!(alive(&pid1, daemon), "the real daemon was stopped");
    let console = pid1.console();
    assert!(!console.contains("restarting it"), "{console}");
    assert_eq!(userd_processes(&pid1), 1, "{console}");
}

#[test]
fn fake_crashes_through_a_pid_file_restart_nothing() {
    let (root, pid1, daemon) = booted("");
    for _ in 0..5 {
        // A process of the attacker's own, orphaned to init, named in the
        // pid file, crashing.
        let fake = as_attacker_pid(
            &pid1,
            &format!(
                "(sh -c 'rm -f {PID_FILE}; echo $$ >{PID_FILE}; sleep 0.3; kill -SEGV $$' </dev/null >/dev/null 2>&1 & echo $!)"
            ),
        );
        wait_until_dead(&pid1, fake);
    }
    nothing_restarted(&root, &pid1, daemon);
    assert_eq!(userd_processes(&pid1), 1, "{}", pid1.console());
}

#[test]
fn copies_of_the_daemons_own_program_are_not_the_service_in_its_cgroup() {
    let (root, pid1, daemon) = booted("");
    for _ in 0..3 {
        let fake = fake_daemon_in_pid_file(&pid1);
        as_attacker(&pid1, &format!("kill -SEGV {fake}"));
        wait_until_dead(&pid1, fake);
    }
    nothing_restarted(&root, &pid1, daemon);
}

#[test]
fn the_limiter_holds_against_a_user_running_the_daemons_own_program() {
    // Without a cgroup to tell them apart, a copy of the daemon's own
    // program the attacker runs passes for the daemon; the limiter bounds
    // what that buys, and a fresh PID does not re-arm it.
    let (root, pid1, _daemon) = booted_with("limit=2/600\n", false);
    let mut crashes = 0;
    for round in 0..5 {
        // Wait until a restart (if any) is over, then crash a fake.
        poll_until(WAIT, || {
            let text = root.read("run/vinit/supervise/state");
            let phase = state::parse(&text).0.services["userd"].phase.name();
            matches!(phase, "watching" | "given-up").then_some(())
        })
        .expect("userd settles");
        let fake = fake_daemon_in_pid_file(&pid1);
        // Init believes it once it has seen it (the file is watched).
        poll_until(WAIT, || {
            let text = root.read("run/vinit/supervise/state");
            let service = &state::parse(&text).0.services["userd"];
            (service.pid == Some(fake) || service.phase.name() == "given-up").then_some(())
        })
        .unwrap_or_else(|| panic!("round {round}: init never looked at {fake}"));
        as_attacker(&pid1, &format!("kill -SEGV {fake}"));
        crashes += 1;
        init_answers(&pid1, if round % 2 == 0 { "3" } else { "2" });
    }
    let console = pid1.console();
    assert_eq!(crashes, 5);
    assert!(restarts(&root) <= 2, "{console}");
    assert_eq!(console.matches("giving up").count(), 1, "{console}");
    // Root re-arms it on purpose.
    pid1.run_ok(&["service", "userd", "start"]);
    poll_until(WAIT, || {
        let text = root.read("run/vinit/supervise/state");
        (state::parse(&text).0.services["userd"].phase.name() == "watching").then_some(())
    })
    .expect("service userd start re-arms it");
}
