//! What init does about its services, pure: events in (a daemon seen, a
//! process reaped, a restart script ended, a level change, time), decisions
//! out through [`Effects`]. PID 1 ([`crate::pid1`]) finds the facts (pid
//! files, cgroups, stop marks) and carries the decisions out; this module
//! decides, with [`Tracker`] keeping each service's phase and limiter.
//!
//! A service's daemon is known two ways. With a pid file whose claim init
//! believes, the daemon is that process, and its death is judged at once.
//! Without one, but with the service's processes in its cgroup (tracking
//! on), the service ends when its cgroup does: the death of its last live
//! process is judged, as a failure if any of its processes init reaped
//! since it was last judged died of one.

use std::collections::BTreeMap;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::{Config, Death, Phase, Tracker, Verdict};
use crate::runlevel::Runlevel;

/// The outside world of the services' policy.
pub(crate) trait Effects {
    /// One line for the console and syslog.
    fn log(&mut self, line: &str);
    /// Forks `name`'s restart script (in the service's cgroup); its PID,
    /// `None` if the fork failed.
    fn spawn_restart(&mut self, name: &str) -> Option<i32>;
    /// SIGKILL to a restart script's process group (init's child, leader
    /// of its own session).
    fn kill_restart(&mut self, child: i32);
    /// `signal` to process group `group` (the dead daemon led it, and its
    /// zombie keeps the group's ID from reuse).
    fn signal_group(&mut self, group: i32, signal: Signal);
    /// `signal` to every process left in `name`'s cgroup.
    fn signal_cgroup(&mut self, name: &str, signal: Signal);
}

/// A process init is about to reap that was one of a service's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reaped<'a> {
    /// The daemon a believed pid file named. `leader`: it led its process
    /// group.
    Daemon {
        service: &'a str,
        pid: i32,
        status: i32,
        marked: bool,
        leader: bool,
    },
    /// Another process of the service's cgroup. `emptied`: none of the
    /// cgroup's processes is alive any more.
    InCgroup {
        service: &'a str,
        pid: i32,
        status: i32,
        marked: bool,
        emptied: bool,
    },
}

/// What init has seen of a service's cgroup since it last judged it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CgroupDeaths {
    /// The first failure among the processes reaped.
    failure: Option<(i32, i32)>,
    /// Its end was judged; nothing more until it runs again.
    judged: bool,
}

/// All services, as init's policy sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Services {
    pub(crate) tracker: Tracker,
    /// The services' processes are tracked by cgroup.
    tracking: bool,
    cgroup_deaths: BTreeMap<String, CgroupDeaths>,
}

impl Services {
    pub(crate) fn new(tracker: Tracker, tracking: bool) -> Services {
        Services {
            tracker,
            tracking,
            cgroup_deaths: BTreeMap::new(),
        }
    }

    /// The settings files were read (`rearm`: those rewritten).
    pub(crate) fn configure(&mut self, configs: BTreeMap<String, Config>, rearm: &[String]) {
        self.tracker.configure(configs, rearm);
        let tracker = &self.tracker;
        self.cgroup_deaths
            .retain(|name, _| tracker.services.contains_key(name));
    }

    /// A level change begins (see [`Tracker::level_change`]).
    pub(crate) fn level_change(&mut self, level: Runlevel, stopping: &[String]) {
        self.tracker.level_change(level, stopping);
    }

    /// `pid`, alive, is `name`'s daemon (a believed pid file).
    pub(crate) fn daemon_running(&mut self, name: &str, pid: i32) {
        self.tracker.seen(name, pid);
        self.cgroup_deaths.remove(name);
    }

    /// Root started `name` on purpose: watched again, limiter cleared.
    pub(crate) fn rearm(&mut self, name: &str) {
        self.tracker.rearm(name);
        self.cgroup_deaths.remove(name);
    }

    /// One of a service's processes ended.
    pub(crate) fn reaped(
        &mut self,
        reaped: Reaped<'_>,
        fx: &mut impl Effects,
        now: Duration,
        wall: u64,
    ) {
        match reaped {
            Reaped::Daemon {
                service,
                pid,
                status,
                marked,
                leader,
            } => {
                self.cgroup_deaths.remove(service);
                let verdict = self.tracker.died(service, pid, status, marked, now, wall);
                self.act(service, verdict, leader.then_some(pid), fx);
            }
            Reaped::InCgroup {
                service,
                pid,
                status,
                marked,
                emptied,
            } => {
                // A service with a believed daemon ends when it does.
                let Some(state) = self.tracker.services.get(service) else {
                    return;
                };
                if state.pid.is_some() && state.phase == Phase::Watching {
                    return;
                }
                let deaths = self.cgroup_deaths.entry(service.to_string()).or_default();
                if deaths.judged {
                    return;
                }
                if deaths.failure.is_none() && Death::from_status(status).is_failure() {
                    deaths.failure = Some((pid, status));
                }
                if !emptied {
                    return;
                }
                deaths.judged = true;
                let (pid, status) = deaths.failure.unwrap_or((pid, status));
                if matches!(state.phase, Phase::Stopped { .. }) {
                    return;
                }
                let verdict = self.tracker.died(service, pid, status, marked, now, wall);
                self.act(service, verdict, None, fx);
            }
        }
    }

    /// The service whose restart script `child` is, if it is one.
    pub(crate) fn restart_script_of(&self, child: i32) -> Option<&str> {
        self.tracker.restarting(child)
    }

    /// A restart script ended with wait status `status` (`marked`: a
    /// stop mark names it, the service was stopped meanwhile).
    pub(crate) fn restart_ended(
        &mut self,
        child: i32,
        status: i32,
        marked: bool,
        fx: &mut impl Effects,
        now: Duration,
        wall: u64,
    ) {
        let Some(name) = self.tracker.restarting(child).map(str::to_string) else {
            return;
        };
        self.cgroup_deaths.remove(&name);
        let verdict = self
            .tracker
            .restart_finished(child, status, marked, now, wall);
        self.act(&name, verdict, None, fx);
    }

    /// Time passed: kill restart scripts past `timeout` (rc's per-script
    /// timeout), start the restarts that are due.
    pub(crate) fn tick(
        &mut self,
        fx: &mut impl Effects,
        now: Duration,
        timeout: Option<Duration>,
    ) -> bool {
        let overdue = self.tracker.overdue(now);
        let due = self.tracker.due(now);
        let changed = !overdue.is_empty() || !due.is_empty();
        for child in overdue {
            if let Some(name) = self.tracker.restarting(child) {
                fx.log(&format!(
                    "service {name}: restart script (pid {child}) still running after the rc timeout, killing it"
                ));
            }
            fx.kill_restart(child);
        }
        for name in due {
            // What the failure's SIGTERM left gets SIGKILL: the restart
            // starts in an empty cgroup.
            if self.tracking {
                fx.signal_cgroup(&name, Signal::SIGKILL);
            }
            let child = fx.spawn_restart(&name);
            self.tracker.restart_started(&name, child, now, timeout);
        }
        changed
    }

    /// When [`Services::tick`] must run next.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.tracker.next_deadline()
    }

    /// Carries out a verdict about `name`; `group`: the dead daemon's
    /// process group, when it led one.
    fn act(&mut self, name: &str, verdict: Verdict, group: Option<i32>, fx: &mut impl Effects) {
        let message = match verdict {
            Verdict::Ignore | Verdict::Stopped => return,
            Verdict::NotRestarted { message } => return fx.log(&message),
            Verdict::Restart { message, .. } | Verdict::GiveUp { message, .. } => message,
        };
        fx.log(&message);
        // What is left of the dead daemon (nginx's workers hold its ports)
        // gets what a stop would have sent: all of its cgroup, or without
        // one, the process group the daemon led.
        if self.tracking {
            fx.signal_cgroup(name, Signal::SIGTERM);
        } else if let Some(group) = group.filter(|&group| group > 1) {
            fx.signal_group(group, Signal::SIGTERM);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEGV: i32 = libc::SIGSEGV | 0x80;
    const TERM: i32 = libc::SIGTERM;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// The effects, recorded.
    #[derive(Default)]
    struct Recorder {
        done: Vec<String>,
        next_child: i32,
    }

    impl Effects for Recorder {
        fn log(&mut self, line: &str) {
            self.done.push(format!("log {line}"));
        }
        fn spawn_restart(&mut self, name: &str) -> Option<i32> {
            self.next_child += 1;
            self.done.push(format!("restart {name}"));
            Some(1000 + self.next_child)
        }
        fn kill_restart(&mut self, child: i32) {
            self.done.push(format!("kill restart {child}"));
        }
        fn signal_group(&mut self, group: i32, signal: Signal) {
            self.done.push(format!("{signal} group {group}"));
        }
        fn signal_cgroup(&mut self, name: &str, signal: Signal) {
            self.done.push(format!("{signal} cgroup {name}"));
        }
    }

    fn services(tracking: bool) -> Services {
        let mut services = Services::new(Tracker::default(), tracking);
        services.configure(
            BTreeMap::from([("web".to_string(), Config::default())]),
            &[],
        );
        services
    }

    fn in_cgroup(pid: i32, status: i32, emptied: bool) -> Reaped<'static> {
        Reaped::InCgroup {
            service: "web",
            pid,
            status,
            marked: false,
            emptied,
        }
    }

    #[test]
    fn a_believed_daemon_is_judged_at_once_and_its_cgroup_cleaned() {
        let mut services = services(true);
        let mut fx = Recorder::default();
        services.daemon_running("web", 100);
        // Its worker, killed with it, is left to the cleanup.
        services.reaped(in_cgroup(101, libc::SIGKILL, false), &mut fx, secs(1), 0);
        assert!(fx.done.is_empty());
        services.reaped(
            Reaped::Daemon {
                service: "web",
                pid: 100,
                status: SEGV,
                marked: false,
                leader: true,
            },
            &mut fx,
            secs(1),
            0,
        );
        assert_eq!(
            fx.done,
            [
                "log service web (pid 100) killed by SIGSEGV (core dumped): restarting it (restart 1)",
                "SIGTERM cgroup web",
            ]
        );
        fx.done.clear();
        assert!(services.tick(&mut fx, secs(1), Some(secs(300))));
        assert_eq!(fx.done, ["SIGKILL cgroup web", "restart web"]);
        assert_eq!(services.restart_script_of(1001), Some("web"));
        services.restart_ended(1001, 0, false, &mut fx, secs(2), 0);
        assert_eq!(services.restart_script_of(1001), None);
    }

    #[test]
    fn without_a_pid_file_the_last_process_of_the_cgroup_is_judged() {
        let mut services = services(true);
        let mut fx = Recorder::default();
        // A helper crashed, the rest went on: nothing yet.
        services.reaped(in_cgroup(200, SEGV, false), &mut fx, secs(1), 0);
        assert!(fx.done.is_empty());
        // The last one ends cleanly: the earlier failure decides.
        services.reaped(in_cgroup(201, 0, true), &mut fx, secs(2), 0);
        assert_eq!(
            fx.done,
            [
                "log service web (pid 200) killed by SIGSEGV (core dumped): restarting it (restart 1)",
                "SIGTERM cgroup web",
            ]
        );
        // Other zombies of the same end are not judged again.
        fx.done.clear();
        services.reaped(in_cgroup(202, SEGV, true), &mut fx, secs(2), 0);
        assert!(fx.done.is_empty());
    }

    #[test]
    fn a_clean_end_of_the_cgroup_is_a_stop_and_a_stopped_service_stays_down() {
        let mut services = services(true);
        let mut fx = Recorder::default();
        services.reaped(in_cgroup(300, TERM, true), &mut fx, secs(1), 0);
        assert!(fx.done.is_empty());
        assert_eq!(
            services.tracker.services["web"].phase,
            Phase::Stopped { pid: Some(300) }
        );
        // Root starts it again (a start mark): judged again.
        services.rearm("web");
        services.reaped(in_cgroup(301, SEGV, true), &mut fx, secs(2), 0);
        assert_eq!(fx.done.len(), 2, "{:?}", fx.done);
        // Disarmed by a level change: its end is a stop.
        let mut services = self::services(true);
        services.level_change(Runlevel::from_byte(b'3').unwrap(), &["web".to_string()]);
        services.reaped(in_cgroup(400, SEGV, true), &mut fx, secs(3), 0);
        assert_eq!(fx.done.len(), 2);
    }

    #[test]
    fn without_tracking_the_group_the_daemon_led_is_signalled() {
        let mut services = services(false);
        let mut fx = Recorder::default();
        services.daemon_running("web", 100);
        let died = |leader| Reaped::Daemon {
            service: "web",
            pid: 100,
            status: SEGV,
            marked: false,
            leader,
        };
        services.reaped(died(true), &mut fx, secs(1), 0);
        assert_eq!(
            fx.done.last().map(String::as_str),
            Some("SIGTERM group 100")
        );
        services.tick(&mut fx, secs(1), None);
        assert_eq!(fx.done.last().map(String::as_str), Some("restart web"));
        services.restart_ended(1001, 0, false, &mut fx, secs(1), 0);
        // A daemon that did not lead its group: no group is signalled.
        fx.done.clear();
        services.daemon_running("web", 100);
        services.reaped(died(false), &mut fx, secs(5), 0);
        assert_eq!(fx.done.len(), 1, "{:?}", fx.done);
    }

    #[test]
    fn a_hung_restart_script_is_killed_and_counts_as_a_failure() {
        let mut services = services(true);
        let mut fx = Recorder::default();
        services.reaped(in_cgroup(500, SEGV, true), &mut fx, secs(0), 0);
        services.tick(&mut fx, secs(0), Some(secs(10)));
        fx.done.clear();
        assert_eq!(services.next_deadline(), Some(secs(10)));
        services.tick(&mut fx, secs(10), Some(secs(10)));
        assert_eq!(
            fx.done,
            [
                "log service web: restart script (pid 1001) still running after the rc timeout, killing it",
                "kill restart 1001",
            ]
        );
        fx.done.clear();
        services.restart_ended(1001, libc::SIGKILL, false, &mut fx, secs(11), 0);
        assert_eq!(
            fx.done,
            [
                "log service web restart script hung, killed after the rc timeout: restarting it (restart 2)",
                "SIGTERM cgroup web",
            ]
        );
    }
}
