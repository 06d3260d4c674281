//! The read-only view of the supervisor's entries that PID 1 writes to the
//! status file ([`crate::status`]). Borrowed, so that looking costs no
//! allocation per entry.

use std::borrow::Cow;

use super::Supervisor;
use super::slot::{FAILING_SECS, Slot};
use crate::inittab::Action;
use crate::status::{EntryState, EntryStatus};

impl Supervisor {
    /// `PREVLEVEL` as children see it.
    pub fn previous_level(&self) -> u8 {
        self.prevlevel
    }

    /// A level change is still killing the old level's processes.
    pub fn is_changing_level(&self) -> bool {
        self.kill.is_some()
    }

    /// Every entry as the status file shows it, in sysvinit's list order.
    pub fn entry_statuses(&self) -> impl Iterator<Item = EntryStatus<'_>> {
        self.slots.iter().map(|slot| EntryStatus {
            id: Cow::Borrowed(&slot.entry.id),
            levels: Cow::Borrowed(&slot.entry.runlevels),
            action: Cow::Borrowed(slot.entry.action.name()),
            state: self.entry_state(slot),
            pid: slot.pid,
            respawns: slot.count,
            last_status: (slot.executed && !slot.running && slot.pid != 0)
                .then_some(slot.exit_status),
            disabled_until: slot
                .failing
                .then(|| slot.window_start.unwrap_or(0) + FAILING_SECS + 1),
            file: if slot.entry.location.line == 0 {
                Cow::Borrowed("")
            } else {
                slot.entry.location.file.to_string_lossy()
            },
            line: slot.entry.location.line,
            process: Cow::Borrowed(&slot.entry.process),
        })
    }

    fn entry_state(&self, slot: &Slot) -> EntryState {
        let action = slot.entry.action;
        let level = self.runlevel;
        if matches!(action, Action::Off | Action::Initdefault) {
            EntryState::Off
        } else if slot.failing {
            EntryState::Disabled
        } else if slot.running {
            EntryState::Running
        } else if matches!(action, Action::Sysinit | Action::Boot | Action::Bootwait) {
            // Past its phase, a boot entry has run (its flags are cleared
            // when the level starts).
            let in_its_phase = slot.entry.runs_in(level);
            if slot.executed || !in_its_phase {
                EntryState::Done
            } else {
                EntryState::Waiting
            }
        } else if !(slot.entry.runs_in(level) || (slot.demand && !b"#*Ss".contains(&level))) {
            EntryState::NotInLevel
        } else if slot.executed && !action.respawns() && !action.starts_disarmed() {
            EntryState::Done
        } else {
            EntryState::Waiting
        }
    }
}
