//! One inittab entry as init tracks it: sysvinit's `CHILD` (flags, PID,
//! exit status, respawn limiter). sysvinit's RUNNING, WAITING and FAILING
//! flags are one [`RunState`] here; they become flags again only in the
//! re-exec state text (`super::handover`).

use std::time::Duration;

use crate::inittab::{Action, Entry};

/// sysvinit's `TESTTIME`: the respawn counting window (fixed, not sliding).
pub(crate) const RESPAWN_WINDOW_SECS: u64 = 120;
/// sysvinit's `MAXSPAWN`: the 11th start within the window is refused.
pub(crate) const RESPAWN_MAX: u32 = 10;
/// sysvinit's `SLEEPTIME`: how long a too-fast entry stays disabled.
pub(crate) const FAILING_SECS: u64 = 300;

/// Where an entry is in its life: sysvinit's RUNNING, WAITING and FAILING
/// flags, of which only these combinations occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// Not running: not started yet, exited, or not wanted in this level.
    Idle,
    /// RUNNING: started and not yet reaped.
    Running,
    /// RUNNING and WAITING: a waited-for entry, started and not yet reaped;
    /// later entries wait until it exits.
    WaitedFor,
    /// FAILING: respawned too fast, disabled for a while (not running).
    Failing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub entry: Entry,
    /// The PID last started (kept after exit, as sysvinit does; only
    /// meaningful while running).
    pub pid: i32,
    pub state: RunState,
    /// XECUTED: ran already in this level (for once/wait/boot/power types).
    /// Apart from `state`: an entry is re-armed (ctrlaltdel, a demand
    /// level) while it still runs.
    pub executed: bool,
    /// DEMAND: activated by `telinit a|b|c`.
    pub demand: bool,
    /// The raw wait status of the last exit.
    pub exit_status: i32,
    /// sysvinit's `tm`: the start of the respawn window, or when the entry
    /// was disabled (whole seconds of the monotonic clock).
    pub window_start: Option<u64>,
    /// sysvinit's `count`.
    pub count: u32,
}

/// What the respawn limiter says about a start attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Allowed,
    /// The entry is now FAILING.
    TooFast,
}

impl Slot {
    /// A freshly read entry: power types and kbrequest start disarmed.
    pub(crate) fn new(entry: Entry) -> Slot {
        let executed = entry.action.starts_disarmed();
        Slot {
            entry,
            pid: 0,
            state: RunState::Idle,
            executed,
            demand: false,
            exit_status: 0,
            window_start: None,
            count: 0,
        }
    }

    /// After a re-read: an entry that may keep living takes over the old
    /// one's flags, PID and exit status (not the respawn counters, which a
    /// re-read clears anyway).
    pub(crate) fn carry_over(&mut self, old: &Slot) {
        self.pid = old.pid;
        self.state = old.state;
        self.executed = old.executed;
        self.demand = old.demand;
        self.exit_status = old.exit_status;
    }

    /// Started and not yet reaped (waited for or not).
    pub(crate) fn is_running(&self) -> bool {
        matches!(self.state, RunState::Running | RunState::WaitedFor)
    }

    pub(crate) fn is_failing(&self) -> bool {
        self.state == RunState::Failing
    }

    pub(crate) fn is_waited_for(&self) -> bool {
        self.state == RunState::WaitedFor
    }

    pub(crate) fn is_boot(&self) -> bool {
        self.entry.action == Action::Boot
    }

    /// sysvinit's respawn check in `spawn()`: counts starts in a fixed
    /// 120 s window; the 11th start inside one window disables the entry.
    pub(crate) fn count_start(&mut self, now: Duration) -> Limit {
        let t = now.as_secs();
        match self.window_start {
            Some(start) if start.saturating_add(RESPAWN_WINDOW_SECS) > t => {
                self.count = self.count.saturating_add(1);
            }
            _ => {
                self.count = 0;
                self.window_start = Some(t);
            }
        }
        if self.count >= RESPAWN_MAX {
            self.state = RunState::Failing;
            self.window_start = Some(t);
            Limit::TooFast
        } else {
            Limit::Allowed
        }
    }

    /// sysvinit's `fail_check` for one entry: re-enables it once it has been
    /// disabled for more than 300 s, else says when to look again.
    pub(crate) fn fail_check(&mut self, now: Duration) -> Option<Duration> {
        if !self.is_failing() {
            return None;
        }
        let since = self.window_start.unwrap_or(0);
        if since.saturating_add(FAILING_SECS) < now.as_secs() {
            self.clear_failure();
            None
        } else {
            Some(Duration::from_secs(since.saturating_add(FAILING_SECS + 1)))
        }
    }

    /// sysvinit's `fail_cancel` for one entry.
    pub(crate) fn clear_failure(&mut self) {
        if self.is_failing() {
            self.state = RunState::Idle;
        }
        self.count = 0;
        self.window_start = None;
    }

    /// Entering a level from `S`: the WAITING and FAILING marks of the `S`
    /// entries go (not the respawn counters).
    pub(crate) fn clear_wait_and_failure(&mut self) {
        self.state = match self.state {
            RunState::WaitedFor => RunState::Running,
            RunState::Failing => RunState::Idle,
            other => other,
        };
    }
}
