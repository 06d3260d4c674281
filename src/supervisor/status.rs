//! The read-only view of the supervisor's entries that PID 1 writes to the
//! status file ([`crate::status`]). Borrowed, so that looking costs no
//! allocation per entry.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use super::Supervisor;
use super::slot::{FAILING_SECS, Slot};
use crate::inittab::Action;
use crate::runlevel::Phase;
use crate::status::{EntryState, EntryStatus};

impl Supervisor {
    /// `PREVLEVEL` as children see it (`None`: `N`).
    pub(crate) fn previous_level(&self) -> Option<Phase> {
        self.prevlevel
    }

    /// A level change is still killing the old level's processes.
    pub(crate) fn is_changing_level(&self) -> bool {
        self.kill.is_some()
    }

    /// Feeds `hasher` with everything [`Supervisor::entry_statuses`] shows
    /// that can change between re-reads (the entries' texts change only
    /// with one, which is counted): cheap enough for every pass.
    pub(crate) fn hash_status(&self, hasher: &mut impl Hasher) {
        (
            self.generation,
            self.runlevel,
            self.prevlevel,
            self.kill.is_some(),
        )
            .hash(hasher);
        for slot in &self.slots {
            (
                self.entry_state(slot),
                slot.pid,
                slot.count,
                slot.exit_status,
                slot.executed,
                slot.window_start,
            )
                .hash(hasher);
        }
    }

    /// Every entry as the status file shows it, in sysvinit's list order.
    pub(crate) fn entry_statuses(&self) -> impl Iterator<Item = EntryStatus<'_>> {
        self.slots.iter().map(|slot| {
            let state = self.entry_state(slot);
            // A done entry has exited (a boot entry's PID is forgotten when
            // the level starts, its status is not); another only if it ran.
            let exited =
                state == EntryState::Done || (slot.executed && !slot.is_running() && slot.pid != 0);
            EntryStatus {
                id: Cow::Borrowed(&slot.entry.id),
                levels: Cow::Borrowed(&slot.entry.runlevels),
                action: Cow::Borrowed(slot.entry.action.name()),
                state,
                pid: slot.pid,
                respawns: slot.count,
                last_status: exited.then_some(slot.exit_status),
                disabled_until: slot.is_failing().then(|| {
                    slot.window_start
                        .unwrap_or(0)
                        .saturating_add(FAILING_SECS + 1)
                }),
                file: if slot.entry.location.line == 0 {
                    Cow::Borrowed("")
                } else {
                    slot.entry.location.file.to_string_lossy()
                },
                line: slot.entry.location.line,
                process: Cow::Borrowed(&slot.entry.process),
            }
        })
    }

    fn entry_state(&self, slot: &Slot) -> EntryState {
        let action = slot.entry.action;
        let level = self.runlevel;
        if matches!(action, Action::Off | Action::Initdefault) {
            EntryState::Off
        } else if slot.is_failing() {
            EntryState::Disabled
        } else if slot.is_running() {
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
        } else if !(slot.entry.runs_in(level) || (slot.demand && !level.is_boot_or_single_user())) {
            EntryState::NotInLevel
        } else if slot.executed && !action.respawns() && !action.starts_disarmed() {
            EntryState::Done
        } else {
            EntryState::Waiting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reexec_state::{EntryFlags, RespawnCounter, SavedEntry};

    fn saved(id: &str, levels: &str, action: &str, flags: EntryFlags, pid: i32) -> SavedEntry {
        SavedEntry {
            id: id.into(),
            runlevels: levels.into(),
            flags,
            pid,
            action: action.into(),
            process: format!("/bin/{id}"),
            ..SavedEntry::default()
        }
    }

    #[test]
    fn each_state_from_the_slots_flags() {
        let running = EntryFlags {
            running: true,
            executed: true,
            ..EntryFlags::default()
        };
        let ran = EntryFlags {
            executed: true,
            ..EntryFlags::default()
        };
        let mut failing = saved("ff", "2", "respawn", ran, 40);
        failing.respawn = Some(RespawnCounter {
            count: 10,
            window_start: Some(500),
            failing: true,
        });
        failing.exit_status = 1 << 8;
        let supervisor = Supervisor::restored_in_level_2(vec![
            saved("id", "2", "initdefault", EntryFlags::default(), 0),
            saved("si", "#", "sysinit", EntryFlags::default(), 0),
            saved("l2", "2", "wait", ran, 30),
            saved("t1", "23", "respawn", running, 31),
            saved("t3", "3", "respawn", EntryFlags::default(), 0),
            saved("o2", "2", "once", EntryFlags::default(), 0),
            saved("pf", "", "powerwait", ran, 0),
            failing,
        ]);
        let states: Vec<(String, &str, Option<i32>, Option<u64>)> = supervisor
            .entry_statuses()
            .map(|e| {
                (
                    e.id.into_owned(),
                    e.state.name(),
                    e.last_status,
                    e.disabled_until,
                )
            })
            .collect();
        let expected = [
            ("id", "off", None, None),
            ("si", "done", Some(0), None),
            ("l2", "done", Some(0), None),
            ("t1", "running", None, None),
            ("t3", "not-in-level", None, None),
            ("o2", "waiting", None, None),
            ("pf", "waiting", None, None),
            ("ff", "disabled", Some(256), Some(801)),
        ];
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(id, state, last, until)| (id.to_string(), state, last, until))
            .collect();
        assert_eq!(states, expected);
    }
}
