//! One inittab entry as init tracks it: sysvinit's `CHILD` (flags, PID,
//! exit status, respawn limiter).

use std::time::Duration;

use crate::inittab::{Action, Entry};

/// sysvinit's `TESTTIME`: the respawn counting window (fixed, not sliding).
pub const RESPAWN_WINDOW_SECS: u64 = 120;
/// sysvinit's `MAXSPAWN`: the 11th start within the window is refused.
pub const RESPAWN_MAX: u32 = 10;
/// sysvinit's `SLEEPTIME`: how long a too-fast entry stays disabled.
pub const FAILING_SECS: u64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub entry: Entry,
    /// The PID last started (kept after exit, as sysvinit does; only
    /// meaningful while `running`).
    pub pid: i32,
    /// RUNNING: started and not yet reaped.
    pub running: bool,
    /// WAITING: a waited-for entry; later entries wait until it exits.
    pub waiting: bool,
    /// XECUTED: ran already in this level (for once/wait/boot/power types).
    pub executed: bool,
    /// DEMAND: activated by `telinit a|b|c`.
    pub demand: bool,
    /// FAILING: respawning too fast, disabled for a while.
    pub failing: bool,
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
pub enum Limit {
    Allowed,
    /// The entry is now FAILING.
    TooFast,
}

impl Slot {
    /// A freshly read entry: power types and kbrequest start disarmed.
    pub fn new(entry: Entry) -> Slot {
        let executed = entry.action.starts_disarmed();
        Slot {
            entry,
            pid: 0,
            running: false,
            waiting: false,
            executed,
            demand: false,
            failing: false,
            exit_status: 0,
            window_start: None,
            count: 0,
        }
    }

    /// After a re-read: an entry that may keep living takes over the old
    /// one's flags, PID and exit status (not the respawn counters, which a
    /// re-read clears anyway).
    pub fn carry_over(&mut self, old: &Slot) {
        self.pid = old.pid;
        self.running = old.running;
        self.waiting = old.waiting;
        self.executed = old.executed;
        self.demand = old.demand;
        self.failing = old.failing;
        self.exit_status = old.exit_status;
    }

    pub fn is_boot(&self) -> bool {
        self.entry.action == Action::Boot
    }

    /// sysvinit's respawn check in `spawn()`: counts starts in a fixed
    /// 120 s window; the 11th start inside one window disables the entry.
    pub fn count_start(&mut self, now: Duration) -> Limit {
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
            self.failing = true;
            self.running = false;
            self.window_start = Some(t);
            Limit::TooFast
        } else {
            Limit::Allowed
        }
    }

    /// sysvinit's `fail_check` for one entry: re-enables it once it has been
    /// disabled for more than 300 s, else says when to look again.
    pub fn fail_check(&mut self, now: Duration) -> Option<Duration> {
        if !self.failing {
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
    pub fn clear_failure(&mut self) {
        self.failing = false;
        self.count = 0;
        self.window_start = None;
    }
}
