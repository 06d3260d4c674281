//! Supervised services (policy): a daemon started by an unmodified
//! `/etc/init.d` script is restarted when it dies of a failure.
//!
//! No I/O here. [`crate::pid1`] (the mechanism) reads the files, maps the
//! PIDs it reaps to services through their pid files, and feeds the
//! [`Tracker`] with what happened: a daemon seen running, a daemon dead
//! with its wait status, a restart script finished, a level change, time.
//! The tracker answers with [`Verdict`]s (log this, restart that, give up)
//! and says when it wants to be woken. docs/supervision.md has the design,
//! supervise.d(5) the rules as users see them.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

pub(crate) mod apply;
pub(crate) mod claim;
pub mod config;
pub mod files;
pub mod limits;
pub mod overview;
pub(crate) mod pidfile;
pub(crate) mod policy;
pub mod state;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::runlevel::Runlevel;

pub(crate) use config::{Config, Restart};

/// Where the per-service files are.
pub(crate) const CONFIG_DIR: &str = "/etc/vinit/supervise.d";
/// init's state file and the stop marks (`NAME.stopping`).
pub(crate) const RUN_DIR: &str = "/run/vinit/supervise";
/// The state file PID 1 writes (see [`state`]).
pub(crate) const STATE_FILE: &str = "/run/vinit/supervise/state";
/// The signal `vinit supervise` sends init after changing a file:
/// SIGRTMIN+5 (sysvinit ignores it; vinit checks PID 1 is vinit first).
pub(crate) const RELOAD_SIGNAL_OFFSET: i32 = 5;
/// A restart whose fork failed is tried again after this long.
pub(crate) const FORK_RETRY: Duration = Duration::from_secs(5);

/// The stop mark of a service: `service` writes the PIDs it is about to
/// stop there; init reads it when one of them dies.
pub(crate) fn stop_mark(name: &str) -> String {
    format!("{RUN_DIR}/{name}.stopping")
}

/// The start mark of a service: `service NAME start` and rc leave it for
/// init, which re-arms the service and removes it.
pub(crate) fn start_mark(name: &str) -> String {
    format!("{RUN_DIR}/{name}.start")
}

/// Whether `name` can be a service name (an `/etc/init.d` entry, and a
/// file name here): no `/`, not hidden, not empty.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains('/')
        && !name.contains(char::is_whitespace)
        && !name.contains(".dpkg-")
}

/// How a process ended, from its wait status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Death {
    Exited(i32),
    Signaled { signal: i32, core: bool },
}

impl Death {
    /// From a C wait status word.
    pub(crate) fn from_status(status: i32) -> Death {
        if status & 0x7f == 0 {
            Death::Exited((status >> 8) & 0xff)
        } else {
            Death::Signaled {
                signal: status & 0x7f,
                core: status & 0x80 != 0,
            }
        }
    }

    /// A death by a signal the stop path does not send, or a non-zero
    /// exit. TERM, INT, QUIT and HUP are what `stop` actions send
    /// (start-stop-daemon, killproc, nginx's QUIT schedule); exit 0 is a
    /// daemon that shut itself down.
    pub(crate) fn is_failure(self) -> bool {
        match self {
            Death::Exited(code) => code != 0,
            Death::Signaled { signal, .. } => {
                ![libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP].contains(&signal)
            }
        }
    }

    /// "killed by SIGSEGV (core dumped)", "exited with status 1".
    pub(crate) fn describe(self) -> String {
        match self {
            Death::Exited(code) => format!("exited with status {code}"),
            Death::Signaled { signal, core } => {
                let name = nix::sys::signal::Signal::try_from(signal)
                    .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string());
                let core = if core { " (core dumped)" } else { "" };
                format!("killed by {name}{core}")
            }
        }
    }
}

/// Where a supervised service stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Running, or not known to be stopped: a death is judged.
    Watching,
    /// Stopped on purpose (a stop mark, a clean death, a level change):
    /// the death of `pid` is expected and the service stays down. A death
    /// of any other PID from its pid file means it was started again.
    Stopped { pid: Option<i32> },
    /// Failed; restart once `at` has come.
    Waiting { at: Duration },
    /// Init's restart script `child` runs; killed if still running at
    /// `deadline` (rc's timeout; `None` if rc has none).
    Restarting {
        child: i32,
        deadline: Option<Duration>,
        killed: bool,
    },
    /// Too many restarts: left down until re-armed (`pid` as in `Stopped`).
    GivenUp { pid: Option<i32> },
}

impl Phase {
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Watching => "watching",
            Phase::Stopped { .. } => "stopped",
            Phase::Waiting { .. } => "waiting",
            Phase::Restarting { .. } => "restarting",
            Phase::GivenUp { .. } => "given-up",
        }
    }
}

/// The last failure, for `vinit supervise --list` and `vinit status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Wall-clock time, seconds since the epoch.
    pub at: u64,
    pub cause: String,
}

/// One supervised service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub config: Config,
    /// The daemon's PID as last seen in its pid file.
    pub pid: Option<i32>,
    /// Restarts since init started supervising it (or re-armed it).
    pub restarts: u32,
    /// Monotonic times of the restarts within the limit's window.
    pub recent: VecDeque<Duration>,
    pub last_failure: Option<Failure>,
    pub phase: Phase,
}

impl Service {
    pub(crate) fn new(config: Config) -> Service {
        Service {
            config,
            pid: None,
            restarts: 0,
            recent: VecDeque::new(),
            last_failure: None,
            phase: Phase::Watching,
        }
    }
}

/// What the mechanism must do about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing (an expected death, or one already being handled).
    Ignore,
    /// A stop on purpose: log nothing, the service stays down.
    Stopped,
    /// A failure: log `message`, send SIGTERM to what is left of the dead
    /// daemon's process group (`group`, e.g. nginx's workers), restart at
    /// the service's next deadline.
    Restart { message: String, group: Option<i32> },
    /// Too many restarts: log `message`, clean up `group`, leave it down.
    GiveUp { message: String, group: Option<i32> },
    /// A failure of a service that is not restarted (`restart=no`): log
    /// `message`, nothing else.
    NotRestarted { message: String },
}

/// Whether init tracks services by cgroup, as it found out at boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracking {
    /// Each service's processes are in `dir/NAME`; `limits` are the
    /// controllers delegated to them, or why there are none.
    On {
        dir: String,
        limits: Result<Vec<String>, String>,
    },
    /// Why not (no cgroup v2, a read-only hierarchy, …).
    Off(String),
}

/// All supervised services and the system-wide state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracker {
    pub services: BTreeMap<String, Service>,
    /// A level change to 0 or 6 is under way: no death is a failure.
    pub shutting_down: bool,
    /// Tracking by cgroup (`None`: not known, an older init wrote the file).
    pub tracking: Option<Tracking>,
}

impl Tracker {
    /// Applies the files read from the configuration directory: new names
    /// start being watched, missing ones are dropped, settings are
    /// replaced. A name in `rearm` (its file was rewritten) that was given
    /// up is watched again with its limiter cleared.
    pub(crate) fn configure(&mut self, configs: BTreeMap<String, Config>, rearm: &[String]) {
        self.services.retain(|name, _| configs.contains_key(name));
        for (name, config) in configs {
            let service = self
                .services
                .entry(name.clone())
                .or_insert_with(|| Service::new(config.clone()));
            service.config = config;
            if rearm.contains(&name) && matches!(service.phase, Phase::GivenUp { .. }) {
                service.phase = Phase::Watching;
                service.recent.clear();
            }
        }
    }

    /// The service's daemon is `pid`, a live process (its pid file's claim,
    /// believed). A PID other than the one that stopped means someone
    /// started the service again: it is supervised again. A service given
    /// up stays given up, and no new PID clears the limiter's history:
    /// only [`Tracker::rearm`] does (an intended start by root), or a
    /// rewritten settings file.
    pub(crate) fn seen(&mut self, name: &str, pid: i32) {
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        service.pid = Some(pid);
        if matches!(service.phase, Phase::Stopped { pid: old } if old != Some(pid)) {
            service.phase = Phase::Watching;
        }
    }

    /// Root started the service on purpose (`service NAME start`, rc): it
    /// is watched again with its limiter cleared, given up or not.
    pub(crate) fn rearm(&mut self, name: &str) {
        let Some(service) = self.services.get_mut(name) else {
            return;
        };
        service.recent.clear();
        if matches!(service.phase, Phase::GivenUp { .. } | Phase::Stopped { .. }) {
            service.phase = Phase::Watching;
        }
    }

    /// The daemon `pid` of `name` was reaped with wait status `status`.
    /// `marked`: a stop mark names it. `wall` is the wall-clock second.
    pub(crate) fn died(
        &mut self,
        name: &str,
        pid: i32,
        status: i32,
        marked: bool,
        now: Duration,
        wall: u64,
    ) -> Verdict {
        let shutting_down = self.shutting_down;
        let Some(service) = self.services.get_mut(name) else {
            return Verdict::Ignore;
        };
        match service.phase {
            Phase::Stopped { pid: old } if old == Some(pid) => return Verdict::Ignore,
            // Given up until root re-arms it, whatever runs meanwhile.
            Phase::GivenUp { .. } | Phase::Waiting { .. } | Phase::Restarting { .. } => {
                return Verdict::Ignore;
            }
            _ => {}
        }
        let death = Death::from_status(status);
        let intended = shutting_down
            || marked
            || (service.config.restart != Restart::Always && !death.is_failure());
        if intended {
            service.phase = Phase::Stopped { pid: Some(pid) };
            return Verdict::Stopped;
        }
        service.last_failure = Some(Failure {
            at: wall,
            cause: death.describe(),
        });
        if service.config.restart == Restart::No {
            service.phase = Phase::Stopped { pid: Some(pid) };
            return Verdict::NotRestarted {
                message: format!(
                    "service {name} (pid {pid}) {}: not restarted (restart=no)",
                    death.describe()
                ),
            };
        }
        failed(
            name,
            service,
            &format!("(pid {pid}) {}", death.describe()),
            Some(pid),
            now,
        )
    }

    /// Services whose restart is due: the mechanism runs their scripts and
    /// reports each with [`Tracker::restart_started`].
    pub(crate) fn due(&self, now: Duration) -> Vec<String> {
        self.services
            .iter()
            .filter(|(_, service)| matches!(service.phase, Phase::Waiting { at } if at <= now))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The restart script of `name` runs as `child` (`None`: fork failed,
    /// try again later), to be killed after `timeout` (rc's).
    pub(crate) fn restart_started(
        &mut self,
        name: &str,
        child: Option<i32>,
        now: Duration,
        timeout: Option<Duration>,
    ) {
        if let Some(service) = self.services.get_mut(name) {
            service.phase = match child {
                Some(child) => Phase::Restarting {
                    child,
                    deadline: timeout.map(|timeout| now.saturating_add(timeout)),
                    killed: false,
                },
                None => Phase::Waiting {
                    at: now.saturating_add(FORK_RETRY),
                },
            };
        }
    }

    /// The service whose restart script is `child`, if any.
    pub(crate) fn restarting(&self, child: i32) -> Option<&str> {
        self.services.iter().find_map(|(name, service)| {
            matches!(service.phase, Phase::Restarting { child: c, .. } if c == child)
                .then_some(name.as_str())
        })
    }

    /// A restart script ended. Success: watch the new daemon. Failure (or
    /// killed after the timeout): counts as another failure.
    /// `marked`: a stop mark names it (`service NAME stop` stopped the
    /// service while it restarted): the service is stopped.
    pub(crate) fn restart_finished(
        &mut self,
        child: i32,
        status: i32,
        marked: bool,
        now: Duration,
        wall: u64,
    ) -> Verdict {
        let Some(name) = self.restarting(child).map(str::to_string) else {
            return Verdict::Ignore;
        };
        let Some(service) = self.services.get_mut(&name) else {
            return Verdict::Ignore;
        };
        let killed = matches!(service.phase, Phase::Restarting { killed: true, .. });
        let death = Death::from_status(status);
        if marked {
            service.phase = Phase::Stopped { pid: None };
            return Verdict::Stopped;
        }
        if death == Death::Exited(0) {
            service.phase = Phase::Watching;
            return Verdict::Ignore;
        }
        let cause = if killed {
            "restart script hung, killed after the rc timeout".to_string()
        } else {
            format!("restart script {}", death.describe())
        };
        service.last_failure = Some(Failure {
            at: wall,
            cause: cause.clone(),
        });
        failed(&name, service, &cause, None, now)
    }

    /// Restart scripts past their deadline: the mechanism kills each
    /// one's process group with SIGKILL.
    pub(crate) fn overdue(&mut self, now: Duration) -> Vec<i32> {
        let mut overdue = Vec::new();
        for service in self.services.values_mut() {
            if let Phase::Restarting {
                child,
                deadline,
                killed,
            } = &mut service.phase
                && !*killed
                && deadline.is_some_and(|deadline| deadline <= now)
            {
                *killed = true;
                overdue.push(*child);
            }
        }
        overdue
    }

    /// When [`Tracker::due`] or [`Tracker::overdue`] has something next.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.services
            .values()
            .filter_map(|service| match service.phase {
                Phase::Waiting { at } => Some(at),
                Phase::Restarting {
                    deadline,
                    killed: false,
                    ..
                } => deadline,
                _ => None,
            })
            .min()
    }

    /// A level change begins. To 0 or 6: nothing is restarted any more.
    /// To another level: the services in `stopping` (those with a K link
    /// there) are expected to stop. A running restart script is left to
    /// finish.
    pub(crate) fn level_change(&mut self, level: Runlevel, stopping: &[String]) {
        self.shutting_down = level.is_halt_or_reboot();
        for (name, service) in &mut self.services {
            if !(self.shutting_down || stopping.contains(name)) {
                continue;
            }
            if !matches!(service.phase, Phase::Restarting { .. }) {
                service.phase = Phase::Stopped { pid: service.pid };
            }
        }
    }
}

/// A failure of `name`: restart, or give up past the limit.
fn failed(
    name: &str,
    service: &mut Service,
    what: &str,
    group: Option<i32>,
    now: Duration,
) -> Verdict {
    let limit = service.config.limit;
    while service
        .recent
        .front()
        .is_some_and(|&at| now.saturating_sub(at) >= limit.window)
    {
        service.recent.pop_front();
    }
    if service.recent.len() >= limit.count as usize {
        service.phase = Phase::GivenUp { pid: service.pid };
        return Verdict::GiveUp {
            message: format!(
                "service {name} {what}: {} restarts within {} s, giving up; \
                 re-arm with 'vinit supervise {name}' or 'service {name} start'",
                service.recent.len(),
                limit.window.as_secs()
            ),
            group,
        };
    }
    service.recent.push_back(now);
    service.restarts = service.restarts.saturating_add(1);
    service.phase = Phase::Waiting {
        at: now.saturating_add(service.config.delay),
    };
    Verdict::Restart {
        message: format!(
            "service {name} {what}: restarting it (restart {})",
            service.restarts
        ),
        group,
    }
}

#[cfg(test)]
mod tests;
