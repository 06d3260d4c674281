//! Our `init` as PID 1 of a namespace with an inittab in BusyBox's grammar
//! (docs/compatibility.md §11): Alpine's inittab with stand-ins for OpenRC
//! and getty, BusyBox's signals and its own `poweroff`, vinit's `telinit`
//! and `poweroff`, `askfirst`, entries on their own tty, the restart entry
//! (in init's place, or a hand-over when it names init). Timeouts are
//! safety nets only.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::ALPINE_INITTAB;
use common::ns::{Pid1, TestRoot};
use nix::sys::signal::Signal;

const WAIT: Duration = Duration::from_secs(30);

/// A root with Alpine's inittab, OpenRC and getty replaced by scripts that
/// say they ran (in /tmp/order, then on the console: a line on the console
/// means the file has it), and tty1-6 leading to the console.
fn alpine_root() -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", ALPINE_INITTAB);
    root.write_exec(
        "sbin/openrc",
        "#!/bin/sh\necho \"openrc $1\" >> /tmp/order\necho \"OPENRC $1\"\n",
    );
    root.write_exec(
        "sbin/getty",
        "#!/bin/sh\necho \"getty $2\" >> /tmp/order\n\
         echo \"GETTY $2 USER=$USER RUNLEVEL=${RUNLEVEL-unset}\"\nexec sleep 1000\n",
    );
    for n in 1..=6 {
        root.symlink("console", &format!("dev/tty{n}"));
    }
    root
}

/// Waits for PID 1 to end, and says by which signal (a `reboot(2)` in a
/// namespace ends its init with SIGINT for halt and power off, SIGHUP for
/// reboot).
fn ended_by(pid1: &Pid1) -> Option<i32> {
    let status = pid1
        .wait_exit(WAIT)
        .unwrap_or_else(|| panic!("PID 1 did not end; console:\n{}", pid1.console()));
    status.signal()
}

#[test]
fn alpines_inittab_boots_in_busyboxs_order_and_busyboxs_poweroff_runs_its_shutdown() {
    let root = alpine_root();
    let pid1 = root.boot(&[]);
    for _ in 1..=6 {
        pid1.expect_console("GETTY tty", WAIT);
    }
    let order = root.read("tmp/order");
    let lines: Vec<&str> = order.lines().collect();
    assert_eq!(
        lines.get(..3),
        Some(&["openrc sysinit", "openrc boot", "openrc default"][..]),
        "{order}"
    );
    let mut gettys = lines.get(3..).unwrap_or_default().to_vec();
    gettys.sort_unstable();
    assert_eq!(
        gettys,
        [
            "getty tty1",
            "getty tty2",
            "getty tty3",
            "getty tty4",
            "getty tty5",
            "getty tty6"
        ]
    );
    // BusyBox's environment: USER, no RUNLEVEL.
    assert!(
        pid1.console().contains("USER=root RUNLEVEL=unset"),
        "{}",
        pid1.console()
    );
    // No runlevel: none in utmp, none in /run/runlevel.
    assert!(!root.join("run/runlevel").exists());
    let title = pid1.run_ok(&["/bin/cat", "/proc/1/cmdline"]);
    assert_eq!(title.trim_end_matches('\0'), "init");

    let status = pid1.run_ok(&["/sbin/vinit", "status"]);
    assert!(
        status.starts_with("Runlevel  none: a BusyBox inittab has no runlevels\n"),
        "{status}"
    );
    for row in [
        "sysinit   done",
        "wait      done",
        "respawn   running",
        "ctrlaltdel  waiting",
        "shutdown  waiting",
    ] {
        let words: Vec<&str> = row.split_whitespace().collect();
        assert!(
            status.lines().any(|line| line
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w == words)),
            "no {row:?} in:\n{status}"
        );
    }

    // BusyBox's own poweroff signals PID 1 (SIGUSR2).
    let out = pid1.run(&["/bin/busybox", "poweroff"]);
    assert!(out.status.success(), "{}", common::describe(&out));
    pid1.expect_console("OPENRC shutdown", WAIT);
    pid1.expect_console("The system is going down NOW!", WAIT);
    assert_eq!(ended_by(&pid1), Some(Signal::SIGINT as i32));
    assert!(root.read("tmp/order").ends_with("openrc shutdown\n"));
}

/// A Buildroot-style inittab with entries that say when they run.
const SIGNALS_INITTAB: &str = "\
::sysinit:/bin/sh -c 'env > /tmp/env; echo SYSINIT-RAN'
::respawn:/bin/sh -c 'echo RESPAWN-UP $$; exec sleep 1000'
::ctrlaltdel:/bin/echo CAD-RAN
::shutdown:/bin/echo SHUTDOWN-ONE
::shutdown:/bin/echo SHUTDOWN-TWO
";

fn signals_root() -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", SIGNALS_INITTAB);
    root
}

#[test]
fn busybox_signals_ctrlaltdel_reload_and_reboot() {
    let root = signals_root();
    let pid1 = root.boot(&[]);
    pid1.expect_console("SYSINIT-RAN", WAIT);
    pid1.expect_console("RESPAWN-UP", WAIT);
    let env = root.read("tmp/env");
    for var in [
        "USER=root",
        "SHELL=/bin/sh",
        "PATH=/sbin:/usr/sbin:/bin:/usr/bin",
    ] {
        assert!(env.lines().any(|line| line == var), "{var} not in:\n{env}");
    }
    for name in ["RUNLEVEL", "PREVLEVEL", "INIT_VERSION", "CONSOLE"] {
        assert!(
            !env.lines()
                .any(|line| line.starts_with(&format!("{name}="))),
            "{name} in:\n{env}"
        );
    }

    pid1.signal(Signal::SIGINT);
    pid1.expect_console("CAD-RAN", WAIT);

    root.write(
        "etc/inittab",
        format!("{SIGNALS_INITTAB}::once:/bin/echo ADDED-BY-HUP\n"),
    );
    pid1.signal(Signal::SIGHUP);
    pid1.expect_console("ADDED-BY-HUP", WAIT);

    // SIGTERM is BusyBox's reboot: the shutdown entries in order, then
    // every process is stopped and reboot(2) ends the namespace.
    pid1.signal(Signal::SIGTERM);
    pid1.expect_console("SHUTDOWN-ONE", WAIT);
    pid1.expect_console("SHUTDOWN-TWO", WAIT);
    pid1.expect_console("The system is going down NOW!", WAIT);
    pid1.expect_console("sending all processes the TERM signal", WAIT);
    assert_eq!(ended_by(&pid1), Some(Signal::SIGHUP as i32));
}

#[test]
fn busybox_sigusr1_halts() {
    let root = signals_root();
    let pid1 = root.boot(&[]);
    pid1.expect_console("RESPAWN-UP", WAIT);
    pid1.signal(Signal::SIGUSR1);
    pid1.expect_console("SHUTDOWN-TWO", WAIT);
    assert_eq!(ended_by(&pid1), Some(Signal::SIGINT as i32));
}

#[test]
fn vinits_telinit_refuses_runlevels_and_vinits_poweroff_goes_busyboxs_way_down() {
    let root = signals_root();
    let pid1 = root.boot(&[]);
    pid1.expect_console("RESPAWN-UP", WAIT);
    let out = pid1.run(&["/sbin/telinit", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::describe(&out));
    assert_eq!(
        common::text(&out.stderr),
        "telinit: /etc/inittab is in BusyBox's grammar, which has no runlevels: only 0 \
         (halt or power off), 6 (reboot), q (re-read) and u (re-execute init) mean something \
         to init\n"
    );
    pid1.run_ok(&["/sbin/telinit", "q"]);
    // vinit's poweroff hands over to vinit's shutdown, which asks init for
    // level 0: BusyBox's way down.
    let out = pid1.run(&["/sbin/poweroff"]);
    assert!(out.status.success(), "{}", common::describe(&out));
    pid1.expect_console("SHUTDOWN-ONE", WAIT);
    pid1.expect_console("SHUTDOWN-TWO", WAIT);
    assert_eq!(ended_by(&pid1), Some(Signal::SIGINT as i32));
}

#[test]
fn askfirst_waits_for_enter_and_an_entry_on_its_own_tty_writes_there() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "::askfirst:/bin/sh -c 'echo ASKED; exec sleep 1000'\ntty5::once:/bin/echo ON-TTY5\n",
    );
    // A plain file stands for tty5: what the entry writes lands in it.
    root.write("dev/tty5", "");
    let pid1 = root.boot(&[]);
    pid1.expect_console("Please press Enter to activate this console. ", WAIT);
    assert!(!pid1.console().contains("ASKED"));
    pid1.type_console("\n");
    pid1.expect_console("ASKED", WAIT);
    let written = common::poll_until(WAIT, || {
        (root.read("dev/tty5") == "ON-TTY5\n").then_some(())
    });
    assert!(written.is_some(), "tty5 has {:?}", root.read("dev/tty5"));
}

#[test]
fn sigquit_executes_the_restart_entry_in_inits_place_after_the_shutdown_entries() {
    let root = signals_root();
    root.write(
        "etc/inittab",
        format!(
            "{SIGNALS_INITTAB}::restart:/bin/sh -c 'echo RESTARTED-AS-PID-$$; exec sleep 1000'\n"
        ),
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("RESPAWN-UP", WAIT);
    pid1.signal(Signal::SIGQUIT);
    pid1.expect_console("SHUTDOWN-TWO", WAIT);
    pid1.expect_console("RESTARTED-AS-PID-1", WAIT);
    // The shell then executes sleep, as process 1.
    let sleeping = common::poll_until(WAIT, || {
        (pid1.run_ok(&["/bin/cat", "/proc/1/cmdline"]) == "sleep\x001000\x00").then_some(())
    });
    assert!(sleeping.is_some(), "{}", pid1.console());
}

/// `::restart:/sbin/init` with `/sbin/init` vinit: the restart is a
/// re-exec that hands the running system over (`telinit u`), not the way
/// down; the respawn entry's process lives on, supervised.
#[test]
fn sigquit_with_init_as_the_restart_entry_hands_the_system_over() {
    let root = signals_root();
    root.write(
        "etc/inittab",
        format!("{SIGNALS_INITTAB}::restart:/sbin/init\n"),
    );
    let pid1 = root.boot(&[]);
    let seen = pid1.expect_console("RESPAWN-UP ", WAIT);
    assert!(!seen.is_empty());
    let status = pid1.run_ok(&["/sbin/vinit", "status", "--json"]);
    pid1.signal(Signal::SIGQUIT);
    pid1.expect_console("reloading", WAIT);
    assert!(!pid1.console().contains("SHUTDOWN-ONE"));
    let after = pid1.run_ok(&["/sbin/vinit", "status", "--json"]);
    let pid_of_respawn = |json: &str| -> i64 {
        let value: serde_json::Value = serde_json::from_str(json).expect("status JSON");
        value["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|entry| entry["action"] == "respawn")
            .and_then(|entry| entry["pid"].as_i64())
            .expect("the respawn entry's pid")
    };
    assert_eq!(pid_of_respawn(&status), pid_of_respawn(&after));
    // And the hand-over kept BusyBox's meanings: SIGUSR2 powers off.
    pid1.signal(Signal::SIGUSR2);
    pid1.expect_console("SHUTDOWN-ONE", WAIT);
    assert_eq!(ended_by(&pid1), Some(Signal::SIGINT as i32));
}

/// `telinit u` re-executes init with BusyBox's grammar and entries kept.
#[test]
fn telinit_u_keeps_busybox_mode() {
    let root = signals_root();
    let pid1 = root.boot(&[]);
    pid1.expect_console("RESPAWN-UP", WAIT);
    pid1.run_ok(&["/sbin/telinit", "u"]);
    pid1.expect_console("reloading", WAIT);
    let title = pid1.run_ok(&["/bin/cat", "/proc/1/cmdline"]);
    assert_eq!(title.trim_end_matches('\0'), "init");
    pid1.signal(Signal::SIGINT);
    pid1.expect_console("CAD-RAN", WAIT);
    pid1.signal(Signal::SIGTERM);
    pid1.expect_console("SHUTDOWN-TWO", WAIT);
    assert_eq!(ended_by(&pid1), Some(Signal::SIGHUP as i32));
}

/// What README.md describes: a BusyBox system switched to vinit and back without a
/// reboot, by pointing /sbin/init at the other init and sending SIGQUIT, which runs the
/// `::restart:/sbin/init` entry after the way down. Each init then boots afresh.
#[test]
fn switching_from_busybox_to_vinit_and_back_through_the_restart_entry() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "::sysinit:/bin/sh -c 'echo BOOTED-BY-$(readlink /proc/1/exe)'\n\
         ::respawn:/bin/sh -c 'exec sleep 1000'\n\
         ::shutdown:/bin/echo SHUTDOWN-RAN\n\
         ::restart:/sbin/init\n",
    );
    root.symlink("/bin/busybox", "sbin/init");
    let pid1 = root.boot_program(&["/sbin/init"]);
    pid1.expect_console("BOOTED-BY-/bin/busybox", WAIT);

    // To vinit: BusyBox's init stops everything and executes /sbin/init, now vinit.
    root.symlink("../lib/vinit/vinit", "sbin/init");
    pid1.signal(Signal::SIGQUIT);
    pid1.expect_console("SHUTDOWN-RAN", WAIT);
    pid1.expect_console("INIT: version vinit-", WAIT);
    pid1.expect_console("BOOTED-BY-/lib/vinit/vinit", WAIT);

    // And back: /sbin/init is no longer vinit, so its restart entry is not a re-exec
    // of itself: the way down, then BusyBox's init in its place.
    root.symlink("/bin/busybox", "sbin/init");
    pid1.signal(Signal::SIGQUIT);
    pid1.expect_console("SHUTDOWN-RAN", WAIT);
    pid1.expect_console("BOOTED-BY-/bin/busybox", WAIT);
}

#[test]
fn a_supervised_service_stopped_on_busyboxs_way_down_is_not_restarted() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "::sysinit:/etc/init.d/keep start\n::shutdown:/etc/init.d/keep stop\n",
    );
    // A daemon that writes its pid file, and a stop that kills it with a
    // signal that looks like a crash.
    root.write_exec(
        "etc/init.d/keep",
        "#!/bin/sh\ncase \"$1\" in\n\
         start) ( setsid sh -c 'echo $$ >/run/keep.pid; exec sleep 100000' </dev/null >/dev/null 2>&1 & ) ;;\n\
         stop) kill -KILL \"$(cat /run/keep.pid)\"; echo KEEP STOPPED ;;\nesac\n",
    );
    root.write("etc/vinit/supervise.d/keep", "");
    let pid1 = root.boot(&[]);
    // init believes its daemon once the state file names it.
    common::poll_until(WAIT, || {
        let text = std::fs::read_to_string(root.join("run/vinit/supervise/state")).ok()?;
        vinit::services::state::parse(&text)
            .0
            .services
            .get("keep")?
            .pid
    })
    .unwrap_or_else(|| panic!("keep's daemon never believed:\n{}", pid1.console()));
    pid1.signal(Signal::SIGUSR2);
    pid1.expect_console("KEEP STOPPED", WAIT);
    assert!(ended_by(&pid1).is_some(), "{}", pid1.console());
    assert!(
        !pid1.console().contains("restarting it"),
        "{}",
        pid1.console()
    );
}
