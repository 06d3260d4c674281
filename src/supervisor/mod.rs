//! PID 1 policy: what to run, keep or kill, for each event. No I/O here.
//!
//! [`Supervisor`] is sysvinit 3.06's `init.c` state machine (docs/compatibility.md §1.5, §2,
//! §3, §4.4–§4.7) with the I/O taken out: events come in as method calls
//! (a child exited, an initctl request or a signal arrived, time passed) and
//! every decision goes out through the [`Effects`] trait (spawn an entry,
//! signal a process group, write a utmp record, log a message, …). PID 1's
//! event loop implements `Effects` with real processes; the unit tests
//! implement it with a recorder. Time is passed in (the
//! monotonic clock), never read here.
//!
//! Where sysvinit blocks (the TERM→KILL grace period of a level change,
//! SIGTSTP) the supervisor instead enters a state in which it only reaps
//! children and queues other events, and says through
//! [`Supervisor::next_deadline`] when it wants to be woken.
//!
//! A configuration in BusyBox's grammar (docs/compatibility.md §11) runs on
//! the same machine: its entries come in BusyBox's order and with their
//! own levels (`inittab::start_order`, `Entry::effective_runlevels`), so
//! that starting in list order is BusyBox's order; what differs is the way
//! through the phases and down (`busybox`), and what a level request means.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

mod boot;
mod busybox;
mod effects;
mod env;
mod handover;
mod kill;
mod requests;
mod slot;
mod status;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::Duration;

pub(crate) use effects::{Dest, Effects, Record, SpawnRequest};
pub use env::ExtraEnv;
pub(crate) use env::{ChildLevels, child_environment, join_var, split_var, var_name};
use slot::{Limit, RunState, Slot};

use crate::defaults::{DEFAULT_SLEEP_TIME, INITTAB};
use crate::initctl::Request;
use crate::inittab::{Action, Grammar, Location};
use crate::report_limit::ReportLimit;
use crate::runlevel::{Phase, Runlevel};
use busybox::GoingDown;
use kill::KillPhase;

/// After the KILL round: how long to wait for the killed processes to be
/// reaped before reporting `seems to hang`. sysvinit 3.06 sleeps 10 ms;
/// we wait up to 1 s but go on as soon as all are reaped, so a loaded
/// machine does not get spurious messages.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(1);
/// After a failed `fork`, the first retry comes this much later, and each
/// further failure doubles the wait up to [`FORK_RETRY_MAX`] (sysvinit
/// blocks and retries every 5 s). A failed fork is not a start: it does not
/// count toward the respawn limiter.
pub(crate) const FORK_RETRY_FIRST: Duration = Duration::from_millis(100);
pub(crate) const FORK_RETRY_MAX: Duration = Duration::from_secs(2);
/// What sysvinit 3.10+ runs when a container manager asks it to stop.
pub(crate) const POWEROFF_COMMAND: &str = "/sbin/shutdown -hP now";

/// Something that happened, other than a child exiting or time passing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A valid initctl request from `/run/initctl`.
    Request(Box<Request>),
    /// SIGHUP: like `telinit q` without the log line.
    Reload,
    /// SIGINT (Ctrl-Alt-Del): arm `ctrlaltdel` entries.
    CtrlAltDel,
    /// SIGWINCH (keyboard request): arm `kbrequest` entries.
    KbRequest,
    /// SIGPWR, with what `/var/run/powerstatus` said.
    Power(PowerEvent),
    /// SIGTSTP: stop starting anything until [`Event::Continue`].
    Stop,
    /// SIGCONT.
    Continue,
    /// SIGRTMIN+3/SIGRTMIN+4 from a container manager: power off cleanly,
    /// as sysvinit 3.10+ does for SIGRTMIN+4.
    PowerOff,
    /// BusyBox's SIGUSR1, SIGUSR2, SIGTERM (and SIGPWR): its way down.
    Down(DownMode),
    /// BusyBox's SIGQUIT: its `restart` entry in init's place.
    Restart,
}

/// What the end of a BusyBox system's way down asks `reboot(2)` for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DownMode {
    Halt,
    PowerOff,
    Reboot,
}

/// Which inittab power entries a SIGPWR arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PowerEvent {
    /// `O`: power is back → `powerokwait` entries.
    Ok,
    /// `L`: battery low → `powerfailnow` entries.
    FailNow,
    /// `F`, anything else, or no file → `powerfail` and `powerwait` entries.
    Fail,
}

/// How init was started (docs/compatibility.md §4.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BootOptions {
    /// A level from the command line, overriding initdefault.
    pub level: Option<Runlevel>,
    /// `-b`/`emergency`: run sulogin before anything else.
    pub emergency: bool,
}

#[derive(Debug)]
pub struct Supervisor {
    /// sysvinit's `family`, power-type entries first.
    slots: Vec<Slot>,
    /// sysvinit's `runlevel`: `#` (sysinit), `*` (boot), `S`, `0`–`9`; for
    /// a BusyBox inittab, after `#`, its one state or its way down.
    runlevel: Phase,
    /// What children see as `RUNLEVEL`.
    thislevel: Runlevel,
    /// What children see as `PREVLEVEL`: sysvinit's `runlevel` before the
    /// last change (`None`: `N`, there was none).
    prevlevel: Option<Phase>,
    /// `boot_transitions`' target level (its static `newlevel`).
    target: Runlevel,
    options: BootOptions,
    /// The boot/bootwait phase has run.
    did_boot: bool,
    /// Log `no more processes left in this runlevel` at the next chance.
    warn_idle: bool,
    /// Seconds between TERM and KILL (`telinit -t`).
    sleep_time: u32,
    extra_env: ExtraEnv,
    /// A configuration has been read (so later reads may be rejected).
    configured: bool,
    kill: Option<KillPhase>,
    /// Stopped by SIGTSTP.
    stopped: bool,
    /// The `-b` sulogin, before the boot proper.
    emergency_pid: Option<i32>,
    /// Events that arrived while stopped or killing, in order.
    deferred: VecDeque<Event>,
    /// While forks fail: nothing is started before this time.
    fork_retry_at: Option<Duration>,
    /// The wait after the next failed fork (zero: the last one worked).
    fork_backoff: Duration,
    last_runlevel_file: Option<Phase>,
    /// Counts the times `slots` was replaced by a re-read (for the status
    /// file: entries' texts change only then).
    generation: u64,
    /// `got unimplemented initrequest.`, which a flood of requests could
    /// repeat at will: a few a second, then a count.
    unimplemented: ReportLimit,
    /// The grammar of the configuration, from its first read: a re-read in
    /// the other one is not applied.
    grammar: Grammar,
    /// A BusyBox system on its way down.
    down: Option<GoingDown>,
}

impl Supervisor {
    pub(crate) fn new(options: BootOptions) -> Supervisor {
        Supervisor {
            slots: Vec::new(),
            runlevel: Phase::Sysinit,
            thislevel: Runlevel::SINGLE,
            prevlevel: None,
            target: Runlevel::SINGLE,
            options,
            did_boot: false,
            warn_idle: true,
            sleep_time: DEFAULT_SLEEP_TIME,
            extra_env: ExtraEnv::default(),
            configured: false,
            kill: None,
            stopped: false,
            emergency_pid: None,
            deferred: VecDeque::new(),
            fork_retry_at: None,
            fork_backoff: Duration::ZERO,
            last_runlevel_file: None,
            generation: 0,
            unimplemented: requests::unimplemented_report(),
            grammar: Grammar::Sysvinit,
            down: None,
        }
    }

    /// The grammar of the configuration init runs.
    pub(crate) fn grammar(&self) -> Grammar {
        self.grammar
    }

    /// In a level a re-exec may hand over (not in a boot phase, not on a
    /// BusyBox system's way down): `S`, `0`–`9`, a BusyBox inittab's one
    /// level.
    pub(crate) fn in_a_level(&self) -> bool {
        matches!(self.runlevel, Phase::Level(_) | Phase::BusyBox)
    }

    /// sysvinit's `runlevel` (`#`, `*`, `S`, `0`–`9`), or a BusyBox
    /// inittab's `-` and `!`.
    pub(crate) fn runlevel(&self) -> Phase {
        self.runlevel
    }

    pub(crate) fn extra_env(&self) -> &ExtraEnv {
        &self.extra_env
    }

    /// False while stopped or in a kill round: the mechanism may leave the
    /// FIFO unread then (requests would only be queued).
    pub(crate) fn accepts_requests(&self) -> bool {
        !self.blocked()
    }

    /// The PIDs of running entries.
    #[cfg(test)]
    pub(crate) fn running_pids(&self) -> Vec<(String, i32)> {
        self.slots
            .iter()
            .filter(|slot| slot.is_running())
            .map(|slot| (slot.entry.id.clone(), slot.pid))
            .collect()
    }

    /// When [`Supervisor::tick`] must be called next, if ever.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        let failing = self
            .slots
            .iter()
            .filter(|slot| slot.is_failing())
            .map(|slot| {
                Duration::from_secs(
                    slot.window_start
                        .unwrap_or(0)
                        .saturating_add(slot::FAILING_SECS + 1),
                )
            });
        let kill = self.kill.as_ref().map(|kill| kill.deadline);
        failing
            .chain(kill)
            .chain(self.fork_retry_at)
            .chain(self.unimplemented.deadline())
            .min()
    }

    /// Time passed: finish kill rounds, re-enable failing entries, retry
    /// failed forks, sum up unimplemented requests.
    pub(crate) fn tick(&mut self, fx: &mut dyn Effects, now: Duration) {
        if self.fork_retry_at.is_some_and(|at| at <= now) {
            self.fork_retry_at = None;
        }
        if let Some(summary) = self.unimplemented.flush(now) {
            fx.log(Dest::Both, &summary);
        }
        self.advance_kill(fx, now);
        self.run(fx, now);
    }

    /// A child was reaped with wait status `status` (orphans included).
    pub(crate) fn child_exited(
        &mut self,
        pid: i32,
        status: i32,
        fx: &mut dyn Effects,
        now: Duration,
    ) {
        if pid <= 0 {
            return;
        }
        // A process fewer: if forks were failing (a PID limit), they may
        // work now; try at once rather than at the end of the backoff.
        self.fork_retry_at = None;
        if self.emergency_pid == Some(pid) {
            self.emergency_pid = None;
            self.start_boot(fx, now);
            return;
        }
        if let Some(slot) = self
            .slots
            .iter_mut()
            .find(|slot| slot.is_running() && slot.pid == pid)
        {
            slot.state = RunState::Idle;
            slot.exit_status = status;
            if slot.entry.writes_utmp() {
                fx.record(Record::Dead {
                    id: slot.entry.id.clone(),
                    pid,
                });
            }
        } else if let Some(dying) = self
            .kill
            .as_mut()
            .and_then(|kill| kill.dying.iter_mut().find(|d| d.pid == pid && !d.reaped))
        {
            dying.reaped = true;
            if dying.utmp {
                fx.record(Record::Dead {
                    id: dying.id.clone(),
                    pid,
                });
            }
            self.advance_kill(fx, now);
        }
        self.run(fx, now);
    }

    /// sysvinit's `fail_cancel`.
    fn fail_cancel(&mut self) {
        for slot in &mut self.slots {
            slot.clear_failure();
        }
    }

    /// `init [2]`; `init` for a BusyBox inittab, which has no levels.
    fn set_title(&self, fx: &mut dyn Effects) {
        match self.grammar {
            Grammar::Sysvinit => fx.set_title(&format!("init [{}]", self.runlevel)),
            Grammar::BusyBox => fx.set_title("init"),
        }
    }

    fn write_runlevel_file(&mut self, fx: &mut dyn Effects, always: bool) {
        if always || self.last_runlevel_file != Some(self.runlevel) {
            fx.write_runlevel_file(self.runlevel);
            self.last_runlevel_file = Some(self.runlevel);
        }
    }

    fn child_levels(&self) -> ChildLevels {
        ChildLevels {
            this: self.thislevel,
            prev: self.prevlevel,
        }
    }

    /// One pass of sysvinit's main loop, repeated while the boot phases
    /// move on: boot transitions, failing-entry check, start entries.
    fn run(&mut self, fx: &mut dyn Effects, now: Duration) {
        if self.blocked() || self.fork_retry_at.is_some_and(|at| now < at) {
            return;
        }
        self.fork_retry_at = None;
        // sysvinit's loop handles events, starts entries, and only then
        // looks at the boot transitions (so a respawning entry is running
        // again before "nothing left to run" is considered). Each transition
        // either starts something or moves to the next phase; the bound only
        // guards against a fork that keeps failing.
        self.start_pass(fx, now);
        for _ in 0..16 {
            // A fork that failed leaves the phase unfinished: no transition.
            if self.blocked() || self.fork_retry_at.is_some() || !self.boot_transitions(fx) {
                break;
            }
            self.start_pass(fx, now);
        }
    }

    fn start_pass(&mut self, fx: &mut dyn Effects, now: Duration) {
        for slot in &mut self.slots {
            slot.fail_check(now);
        }
        self.start_if_needed(fx, now);
    }

    /// sysvinit's `start_if_needed`: file order (power entries first),
    /// stopping at the first entry still waited for.
    fn start_if_needed(&mut self, fx: &mut dyn Effects, now: Duration) {
        let level = self.runlevel;
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(index) else {
                break;
            };
            if slot.is_waited_for() {
                break;
            }
            if slot.is_running() {
                continue;
            }
            let wanted =
                slot.entry.runs_in(level) || (slot.demand && !level.is_boot_or_single_user());
            if wanted {
                self.startup(index, fx, now);
                // Nothing after an entry that could not be forked starts
                // before it (file order, and a `wait` entry first).
                if self.fork_retry_at.is_some()
                    || self.slots.get(index).is_some_and(Slot::is_waited_for)
                {
                    break;
                }
            } else {
                if !slot.entry.action.starts_disarmed() {
                    slot.executed = false;
                }
                slot.pid = 0;
            }
        }
    }

    /// sysvinit's `startup`.
    fn startup(&mut self, index: usize, fx: &mut dyn Effects, now: Duration) {
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.is_failing() {
            return;
        }
        let action = slot.entry.action;
        if action.respawns() {
            self.spawn(index, RunState::Running, fx, now);
            return;
        }
        if matches!(action, Action::Off | Action::Initdefault) {
            return;
        }
        if !slot.executed {
            let state = if action.waits() {
                RunState::WaitedFor
            } else {
                RunState::Running
            };
            self.spawn(index, state, fx, now);
        }
    }

    /// sysvinit's `spawn` bookkeeping around the mechanism's fork/exec;
    /// `state` is what the entry is once started, waited for or not.
    fn spawn(&mut self, index: usize, state: RunState, fx: &mut dyn Effects, now: Duration) {
        let level = self.runlevel;
        let levels = self.child_levels();
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        slot.executed = true;
        let counted = (slot.count, slot.window_start);
        if slot.entry.action.respawns() && slot.count_start(now) == Limit::TooFast {
            fx.log(
                Dest::Both,
                &format!(
                    "Id \"{}\" respawning too fast: disabled for {} minutes",
                    slot.entry.id,
                    slot::FAILING_SECS / 60
                ),
            );
            return;
        }
        slot.state = state;
        let request = SpawnRequest {
            entry: &slot.entry,
            level,
            levels,
            controlling_tty: level.is_boot_or_single_user() && slot.is_waited_for(),
            extra_env: &self.extra_env,
        };
        match fx.spawn(&request) {
            Some(pid) => {
                slot.pid = pid;
                self.fork_backoff = Duration::ZERO;
            }
            None => {
                // Not a start: the limiter forgets it.
                (slot.count, slot.window_start) = counted;
                slot.state = RunState::Idle;
                slot.executed = false;
                // Once per shortage, not on every retry.
                if self.fork_backoff.is_zero() {
                    fx.log(Dest::Both, "cannot fork, retry..");
                }
                self.fork_backoff = (self.fork_backoff * 2).clamp(FORK_RETRY_FIRST, FORK_RETRY_MAX);
                self.fork_retry_at = Some(now + self.fork_backoff);
            }
        }
    }
}

/// Where built-in entries (emergency sulogin, the power-off entry) "come
/// from" in messages.
fn builtin_location() -> Location {
    Location {
        file: INITTAB.into(),
        line: 0,
        sysv_line: 0,
    }
}
