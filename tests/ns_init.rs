//! Our `init` as PID 1 of a fresh PID namespace, chrooted into a BusyBox
//! root, its console a pty: boot, levels, respawn, reaping, signals, the
//! FIFO, re-exec. Timeouts are safety nets only; every assertion waits for
//! the console line or file that proves the step happened.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};

const WAIT: Duration = Duration::from_secs(30);

fn expect(pid1: &Pid1, needle: &str) -> String {
    pid1.wait_console(needle, WAIT)
        .unwrap_or_else(|transcript| panic!("console never showed {needle:?}:\n{transcript}"))
}

fn run_ok(pid1: &Pid1, argv: &[&str]) -> String {
    let output = pid1.run(argv);
    assert!(
        output.status.success(),
        "{argv:?} failed: {}{}\nconsole:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        pid1.console()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn boots_to_initdefault_with_the_sysvinit_environment() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
si::sysinit:/bin/sh -c 'echo SYSINIT RUNLEVEL=$RUNLEVEL PREVLEVEL=$PREVLEVEL'
o2:2:once:/bin/sh -c 'env > /tmp/env.txt; echo ONCE-DONE'
",
    );
    let pid1 = root.boot(&[]);
    expect(&pid1, "booting");
    expect(&pid1, "SYSINIT RUNLEVEL=S PREVLEVEL=N");
    expect(&pid1, "INIT: Entering runlevel: 2");
    expect(&pid1, "ONCE-DONE");
    assert_eq!(run_ok(&pid1, &["/sbin/runlevel"]), "N 2\n");
    assert_eq!(root.read("run/runlevel"), "2");
    let env = root.read("tmp/env.txt");
    for var in [
        "RUNLEVEL=2",
        "PREVLEVEL=N",
        "CONSOLE=/dev/console",
        "INIT_VERSION=sysvinit-3.06",
        "SHELL=/bin/sh",
        "PATH=/sbin:/usr/sbin:/bin:/usr/bin",
        "HOME=/",
        "TERM=linux",
    ] {
        assert!(
            env.lines().any(|line| line == var),
            "{var} missing in:\n{env}"
        );
    }
    // The process title that invoke-rc.d looks for.
    let ps = run_ok(&pid1, &["/bin/cat", "/proc/1/cmdline"]);
    assert_eq!(ps.trim_end_matches('\0'), "init [2]");
}

/// The INIT_PROCESS records wtmp has for entry `id`.
fn starts_in_wtmp(root: &TestRoot, id: &str) -> usize {
    vinit::utmp::Record::read_all(&root.join("var/log/wtmp"))
        .expect("read wtmp")
        .iter()
        .filter(|record| record.ut_type == vinit::utmp::INIT_PROCESS && record.id == id)
        .count()
}

#[test]
fn respawn_limiter_disables_after_ten_runs_until_telinit_q() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nf1:2:respawn:/bin/false\n",
    );
    let pid1 = root.boot(&[]);
    let too_fast = "INIT: Id \"f1\" respawning too fast: disabled for 5 minutes";
    expect(&pid1, too_fast);
    assert_eq!(starts_in_wtmp(&root, "f1"), 10);
    run_ok(&pid1, &["/sbin/telinit", "q"]);
    expect(&pid1, too_fast);
    assert_eq!(starts_in_wtmp(&root, "f1"), 20);
}

#[test]
fn level_change_kills_a_term_ignoring_child_after_sleep_time() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
t2:2:respawn:/bin/sh -c 'trap \"\" TERM; echo STUBBORN-UP; while :; do sleep 1; done'
l3:3:wait:/bin/echo LEVEL-3-RUNS
",
    );
    let pid1 = root.boot(&[]);
    expect(&pid1, "STUBBORN-UP");
    run_ok(&pid1, &["/sbin/telinit", "-t", "1", "3"]);
    expect(&pid1, "INIT: Switching to runlevel: 3");
    expect(
        &pid1,
        "INIT: Sending processes configured via /etc/inittab the TERM signal",
    );
    expect(
        &pid1,
        "INIT: Sending processes configured via /etc/inittab the KILL signal",
    );
    let transcript = expect(&pid1, "LEVEL-3-RUNS");
    assert!(!transcript.contains("seems to hang"), "{transcript}");
    assert_eq!(run_ok(&pid1, &["/sbin/runlevel"]), "2 3\n");
    let ps = run_ok(&pid1, &["/bin/ps", "-o", "args"]);
    assert!(!ps.contains("trap"), "the stubborn shell survived:\n{ps}");
}

/// The status files of the namespace's processes, read from its /proc
/// (through PID 1's root, which is in the namespace's mounts).
fn process_states(pid1: &Pid1) -> Vec<String> {
    let proc = format!("/proc/{}/root/proc", pid1.host_pid());
    let entries = std::fs::read_dir(&proc).unwrap_or_else(|e| panic!("{proc}: {e}"));
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("status")).ok())
        .collect()
}

fn zombies(pid1: &Pid1) -> Vec<String> {
    let states = process_states(pid1);
    assert!(
        states.iter().any(|status| status.contains("\nPid:\t1\n")),
        "not the namespace's /proc"
    );
    states
        .into_iter()
        .filter(|status| status.lines().any(|line| line.starts_with("State:\tZ")))
        .collect()
}

#[test]
fn a_thousand_orphans_are_reaped() {
    let root = TestRoot::new();
    root.write_exec(
        "bin/orphans",
        "#!/bin/sh\ni=0\nwhile [ $i -lt 1000 ]; do (/bin/true &); i=$((i+1)); done\necho FORKED-ALL\n",
    );
    root.write("etc/inittab", "id:2:initdefault:\nz:2:once:/bin/orphans\n");
    let pid1 = root.boot(&[]);
    expect(&pid1, "FORKED-ALL");
    let clean = common::poll_until(WAIT, || zombies(&pid1).is_empty().then_some(()));
    assert!(clean.is_some(), "zombies left: {:?}", zombies(&pid1));
}
