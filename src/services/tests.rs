use super::config::Limit;
use super::*;

const SEGV: i32 = libc::SIGSEGV | 0x80;
const KILL: i32 = libc::SIGKILL;
const TERM: i32 = libc::SIGTERM;
const TIMEOUT: Duration = Duration::from_secs(300);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn tracker(config: Config) -> Tracker {
    let mut tracker = Tracker::default();
    tracker.configure(BTreeMap::from([("web".to_string(), config)]), &[]);
    tracker.seen("web", 100);
    tracker
}

fn phase(tracker: &Tracker) -> Phase {
    tracker.services["web"].phase.clone()
}

#[test]
fn the_failure_rule() {
    for failure in [
        libc::SIGSEGV,
        libc::SIGABRT | 0x80,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGKILL,
        1 << 8,
        255 << 8,
    ] {
        assert!(Death::from_status(failure).is_failure(), "{failure:#x}");
    }
    for stop in [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP, 0] {
        assert!(!Death::from_status(stop).is_failure(), "{stop:#x}");
    }
    assert_eq!(
        Death::from_status(SEGV).describe(),
        "killed by SIGSEGV (core dumped)"
    );
    assert_eq!(
        Death::from_status(3 << 8).describe(),
        "exited with status 3"
    );
}

#[test]
fn an_unrepresentable_rc_timeout_is_no_deadline_overflow() {
    // VINIT_RC_TIMEOUT comes from a file; u64::MAX seconds must not panic.
    let mut tracker = tracker(Config::default());
    tracker.died("web", 100, SEGV, false, secs(10), 1000);
    let due = tracker.next_deadline().expect("restart pending");
    assert_eq!(tracker.due(due), ["web"]);
    tracker.restart_started("web", Some(555), due, Some(Duration::MAX));
    assert_eq!(tracker.next_deadline(), Some(Duration::MAX));
    assert!(tracker.overdue(due + secs(1_000_000)).is_empty());
}

#[test]
fn a_crash_is_restarted_after_the_delay() {
    let mut tracker = tracker(Config {
        delay: secs(2),
        ..Config::default()
    });
    let verdict = tracker.died("web", 100, SEGV, false, secs(10), 1000);
    assert_eq!(
        verdict,
        Verdict::Restart {
            message:
                "service web (pid 100) killed by SIGSEGV (core dumped): restarting it (restart 1)"
                    .to_string(),
            group: Some(100),
        }
    );
    assert_eq!(tracker.next_deadline(), Some(secs(12)));
    assert!(tracker.due(secs(11)).is_empty());
    assert_eq!(tracker.due(secs(12)), ["web"]);
    tracker.restart_started("web", Some(555), secs(12), Some(TIMEOUT));
    assert_eq!(tracker.restarting(555), Some("web"));
    assert_eq!(tracker.next_deadline(), Some(secs(12) + TIMEOUT));
    // The daemon's death while its restart runs is the restart's business.
    assert_eq!(
        tracker.died("web", 100, SEGV, false, secs(12), 0),
        Verdict::Ignore
    );
    assert_eq!(
        tracker.restart_finished(555, 0, false, secs(13), 1013),
        Verdict::Ignore
    );
    assert_eq!(phase(&tracker), Phase::Watching);
    tracker.seen("web", 101);
    let failure = tracker.services["web"].last_failure.clone();
    assert_eq!(
        failure,
        Some(Failure {
            at: 1000,
            cause: "killed by SIGSEGV (core dumped)".to_string()
        })
    );
    assert!(matches!(
        tracker.died("web", 101, KILL, false, secs(20), 0),
        Verdict::Restart { .. }
    ));
    assert_eq!(tracker.services["web"].restarts, 2);
}

#[test]
fn intended_stops_stay_down_until_started_again() {
    let mut tracker = tracker(Config::default());
    // TERM from start-stop-daemon: intended, even without a mark.
    assert_eq!(
        tracker.died("web", 100, TERM, false, secs(1), 0),
        Verdict::Stopped
    );
    assert_eq!(phase(&tracker), Phase::Stopped { pid: Some(100) });
    // The same PID again (a stale pid file) changes nothing.
    tracker.seen("web", 100);
    assert_eq!(
        tracker.died("web", 100, SEGV, false, secs(2), 0),
        Verdict::Ignore
    );
    // Started by hand: a new PID, supervised again.
    tracker.seen("web", 200);
    assert_eq!(phase(&tracker), Phase::Watching);
    // A stop mark makes even a KILL (a stop schedule's last step) intended.
    assert_eq!(
        tracker.died("web", 200, KILL, true, secs(3), 0),
        Verdict::Stopped
    );
    // A new daemon dying unseen (started by hand, crashed before any
    // refresh) is judged too.
    assert!(matches!(
        tracker.died("web", 300, SEGV, false, secs(4), 0),
        Verdict::Restart { .. }
    ));
}

#[test]
fn restart_always_restarts_unmarked_clean_deaths() {
    let mut tracker = tracker(Config {
        restart: Restart::Always,
        ..Config::default()
    });
    assert!(matches!(
        tracker.died("web", 100, 0, false, secs(1), 0),
        Verdict::Restart { .. }
    ));
    let mut tracker = self::tracker(Config {
        restart: Restart::Always,
        ..Config::default()
    });
    assert_eq!(
        tracker.died("web", 100, TERM, true, secs(1), 0),
        Verdict::Stopped
    );
}

#[test]
fn a_crash_loop_is_given_up_and_re_armed() {
    let mut tracker = tracker(Config {
        limit: Limit {
            count: 3,
            window: secs(60),
        },
        ..Config::default()
    });
    let mut pid = 100;
    for round in 0..3u64 {
        let verdict = tracker.died("web", pid, SEGV, false, secs(round), 0);
        assert!(matches!(verdict, Verdict::Restart { .. }), "{verdict:?}");
        let child = 1000 + round as i32;
        tracker.restart_started("web", Some(child), secs(round), Some(TIMEOUT));
        tracker.restart_finished(child, 0, false, secs(round), 0);
        pid += 1;
        tracker.seen("web", pid);
    }
    let Verdict::GiveUp { message, group } = tracker.died("web", pid, SEGV, false, secs(3), 0)
    else {
        panic!("not given up: {:?}", tracker.services["web"]);
    };
    assert_eq!(group, Some(pid));
    assert_eq!(
        message,
        "service web (pid 103) killed by SIGSEGV (core dumped): 3 restarts within 60 s, \
         giving up; re-arm with 'vinit supervise web' or 'service web start'"
    );
    assert_eq!(tracker.next_deadline(), None);
    // The old pid file still names the crashed daemon: nothing changes.
    tracker.seen("web", pid);
    assert_eq!(phase(&tracker), Phase::GivenUp { pid: Some(pid) });
    // Nor does a new PID, a crash of it, or a fresh one after that: only
    // root re-arms (a user who can write the pid file cannot).
    tracker.seen("web", pid + 1);
    assert_eq!(phase(&tracker), Phase::GivenUp { pid: Some(pid) });
    assert_eq!(
        tracker.died("web", pid + 1, SEGV, false, secs(4), 0),
        Verdict::Ignore
    );
    assert_eq!(tracker.services["web"].recent.len(), 3);
    // `service web start`: re-armed, limiter cleared.
    tracker.rearm("web");
    assert_eq!(phase(&tracker), Phase::Watching);
    assert!(tracker.services["web"].recent.is_empty());
    let Verdict::Restart { .. } = tracker.died("web", pid + 2, SEGV, false, secs(5), 0) else {
        panic!(
            "re-armed service not restarted: {:?}",
            tracker.services["web"]
        );
    };
    for round in 6..9 {
        tracker.restart_started("web", Some(9), secs(round), Some(TIMEOUT));
        tracker.restart_finished(9, 0, false, secs(round), 0);
        tracker.died("web", 200 + round as i32, SEGV, false, secs(round), 0);
    }
    assert!(matches!(phase(&tracker), Phase::GivenUp { .. }));
    // `vinit supervise web` rewrites the file: re-armed, limiter cleared.
    tracker.configure(
        BTreeMap::from([("web".to_string(), tracker.services["web"].config.clone())]),
        &["web".to_string()],
    );
    assert_eq!(phase(&tracker), Phase::Watching);
    assert!(tracker.services["web"].recent.is_empty());
}

#[test]
fn old_restarts_leave_the_window() {
    let mut tracker = tracker(Config {
        limit: Limit {
            count: 2,
            window: secs(10),
        },
        ..Config::default()
    });
    for (round, at) in [0u64, 5, 15, 20].into_iter().enumerate() {
        let pid = 100 + round as i32;
        tracker.seen("web", pid);
        let verdict = tracker.died("web", pid, SEGV, false, secs(at), 0);
        assert!(
            matches!(verdict, Verdict::Restart { .. }),
            "{at}: {verdict:?}"
        );
        tracker.restart_started("web", Some(9), secs(at), Some(TIMEOUT));
        tracker.restart_finished(9, 0, false, secs(at), 0);
    }
}

#[test]
fn a_hanging_or_failing_restart_is_a_failure() {
    let mut tracker = tracker(Config::default());
    tracker.died("web", 100, SEGV, false, secs(0), 0);
    tracker.restart_started("web", Some(50), secs(0), Some(TIMEOUT));
    assert!(tracker.overdue(TIMEOUT - secs(1)).is_empty());
    assert_eq!(tracker.overdue(TIMEOUT), [50]);
    // Killed once only, and no longer a deadline.
    assert!(tracker.overdue(TIMEOUT * 2).is_empty());
    assert_eq!(tracker.next_deadline(), None);
    let verdict = tracker.restart_finished(50, KILL, false, TIMEOUT, 7);
    assert_eq!(
        verdict,
        Verdict::Restart {
            message: "service web restart script hung, killed after the rc timeout: restarting it (restart 2)".to_string(),
            group: None,
        }
    );
    tracker.restart_started("web", Some(51), TIMEOUT, Some(TIMEOUT));
    assert!(matches!(
        tracker.restart_finished(51, 1 << 8, false, TIMEOUT, 8),
        Verdict::Restart { .. }
    ));
    assert_eq!(
        tracker.services["web"].last_failure,
        Some(Failure {
            at: 8,
            cause: "restart script exited with status 1".to_string()
        })
    );
    // rc without a timeout: the script may run for ever.
    tracker.restart_started("web", Some(52), secs(999), None);
    assert_eq!(tracker.next_deadline(), None);
    assert!(tracker.overdue(secs(1_000_000)).is_empty());
    // A failed fork is retried later.
    tracker.restart_started("web", None, secs(1000), Some(TIMEOUT));
    assert_eq!(tracker.next_deadline(), Some(secs(1000) + FORK_RETRY));
}

#[test]
fn level_changes_disarm() {
    let mut tracker = Tracker::default();
    let configs = BTreeMap::from([
        ("web".to_string(), Config::default()),
        ("cron".to_string(), Config::default()),
    ]);
    tracker.configure(configs, &[]);
    tracker.seen("web", 100);
    tracker.seen("cron", 200);
    tracker.level_change(Runlevel::from_byte(b'3').unwrap(), &["web".to_string()]);
    assert_eq!(
        tracker.died("web", 100, KILL, false, secs(1), 0),
        Verdict::Ignore
    );
    assert!(matches!(
        tracker.died("cron", 200, KILL, false, secs(1), 0),
        Verdict::Restart { .. }
    ));
    tracker.level_change(Runlevel::from_byte(b'0').unwrap(), &[]);
    assert!(tracker.shutting_down);
    assert_eq!(tracker.next_deadline(), None);
    tracker.seen("web", 300);
    assert_eq!(
        tracker.died("web", 300, SEGV, false, secs(2), 0),
        Verdict::Stopped
    );
    tracker.level_change(Runlevel::from_byte(b'2').unwrap(), &[]);
    assert!(!tracker.shutting_down);
}

#[test]
fn configure_adds_replaces_and_drops() {
    let mut tracker = tracker(Config::default());
    tracker.died("web", 100, SEGV, false, secs(0), 0);
    let delayed = Config {
        delay: secs(5),
        ..Config::default()
    };
    tracker.configure(
        BTreeMap::from([
            ("web".to_string(), delayed.clone()),
            ("db".to_string(), Config::default()),
        ]),
        &[],
    );
    assert_eq!(tracker.services["web"].config, delayed);
    assert_eq!(tracker.services["web"].restarts, 1);
    assert_eq!(tracker.services["db"].phase, Phase::Watching);
    tracker.configure(BTreeMap::new(), &[]);
    assert!(tracker.services.is_empty());
}

#[test]
fn names() {
    for good in ["nginx", "ssh", "rc.local", "a-b_c"] {
        assert!(valid_name(good), "{good}");
    }
    for bad in ["", ".hidden", "a/b", "x.dpkg-old", "a b"] {
        assert!(!valid_name(bad), "{bad}");
    }
}
