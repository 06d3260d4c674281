//! The hand-over at `telinit u` (docs/compatibility.md §3.7): the
//! supervisor's state as sysvinit's re-exec state text
//! ([`crate::reexec_state`]), and a supervisor restored from one, written
//! by vinit or by sysvinit.

use std::time::Duration;

use super::slot::{RunState, Slot};
use super::{BootOptions, Effects, ExtraEnv, Supervisor, builtin_location};
use crate::inittab::{Action, Entry, Grammar};
use crate::reexec_state::{EntryFlags, RespawnCounter, SavedEntry, SavedState};
use crate::runlevel::{Phase, Runlevel, previous_char};

impl Supervisor {
    /// A supervisor that took over `entries` in runlevel 2 (from N), as after
    /// a `telinit u`: the fixture of tests that need slots in given states.
    #[cfg(test)]
    pub(crate) fn restored_in_level_2(entries: Vec<SavedEntry>) -> Supervisor {
        let state = SavedState {
            version: String::new(),
            runlevel: '2',
            thislevel: '2',
            prevlevel: 'N',
            pending_signals: 0,
            wrote_wtmp_boot: true,
            wrote_utmp_boot: true,
            sleep_time: crate::defaults::DEFAULT_SLEEP_TIME as i32,
            did_boot: true,
            grammar: Grammar::Sysvinit,
            entries,
        };
        Supervisor::restore(&state, ExtraEnv::default())
    }

    /// Continues after a re-exec from the state the old init handed over
    /// (ours or sysvinit's): no boot actions, the inittab is not re-read.
    pub fn restore(state: &SavedState, extra_env: ExtraEnv) -> Supervisor {
        let mut supervisor = Supervisor::new(BootOptions::default());
        // What is no phase (or level) falls back to S (and N): a state
        // written by another init, or damaged.
        supervisor.runlevel = Phase::from_char(state.runlevel).unwrap_or(Phase::SINGLE);
        supervisor.thislevel = Runlevel::from_char(state.thislevel).unwrap_or(Runlevel::SINGLE);
        supervisor.prevlevel = Phase::from_char(state.prevlevel);
        supervisor.target = supervisor.runlevel.level().unwrap_or(Runlevel::SINGLE);
        supervisor.did_boot = state.did_boot;
        supervisor.sleep_time = u32::try_from(state.sleep_time).unwrap_or(0);
        supervisor.extra_env = extra_env;
        supervisor.configured = true;
        supervisor.last_runlevel_file = Some(supervisor.runlevel);
        supervisor.grammar = state.grammar;
        supervisor.slots = state
            .entries
            .iter()
            .map(|saved| restore_slot(saved, state.grammar))
            .collect();
        supervisor
    }

    /// Runs the first pass after [`Supervisor::restore`].
    pub(crate) fn resume(&mut self, fx: &mut dyn Effects, now: Duration) {
        self.run(fx, now);
    }

    /// The state to hand to a re-executed init (sysvinit's `send_state`).
    /// The utmp flags are the mechanism's to fill in.
    pub fn snapshot(&self) -> SavedState {
        SavedState {
            version: crate::reexec_state::vinit_version_line(),
            runlevel: self.runlevel.char(),
            thislevel: self.thislevel.char(),
            prevlevel: previous_char(self.prevlevel),
            pending_signals: 0,
            wrote_wtmp_boot: true,
            wrote_utmp_boot: true,
            sleep_time: i32::try_from(self.sleep_time).unwrap_or(i32::MAX),
            did_boot: self.did_boot,
            grammar: self.grammar,
            entries: self
                .slots
                .iter()
                .map(|slot| SavedEntry {
                    id: slot.entry.id.clone(),
                    runlevels: slot.entry.effective_runlevels().into_owned(),
                    flags: EntryFlags {
                        running: slot.is_running(),
                        demand: slot.demand,
                        executed: slot.executed,
                        waiting: slot.is_waited_for(),
                    },
                    pid: slot.pid,
                    exit_status: slot.exit_status as u32,
                    action: slot.entry.action.name().to_string(),
                    process: slot.entry.process.clone(),
                    respawn: (slot.count > 0 || slot.window_start.is_some() || slot.is_failing())
                        .then_some(RespawnCounter {
                            count: slot.count,
                            window_start: slot.window_start,
                            failing: slot.is_failing(),
                        }),
                })
                .collect(),
        }
    }
}

/// An entry from a re-exec state text. Its runlevels are the effective ones
/// sysvinit stored (e.g. `#` for sysinit), which [`Entry::runs_in`] reads
/// the same way (a BusyBox entry's come from its action, and its field is
/// left empty); an unknown action becomes `off`, as in sysvinit. FAILING
/// (in vinit's `VRC` line) wins over RUNNING; WAITING without RUNNING,
/// which neither init writes, is read as not running.
fn restore_slot(saved: &SavedEntry, grammar: Grammar) -> Slot {
    let entry = Entry {
        id: saved.id.clone(),
        runlevels: match grammar {
            Grammar::Sysvinit => saved.runlevels.clone(),
            Grammar::BusyBox => String::new(),
        },
        action: Action::from_state_name(&saved.action, grammar).unwrap_or(Action::Off),
        process: saved.process.clone(),
        location: builtin_location(),
        grammar,
    };
    let mut slot = Slot::new(entry);
    slot.pid = saved.pid;
    slot.demand = saved.flags.demand;
    slot.executed = saved.flags.executed;
    slot.exit_status = saved.exit_status as i32;
    let mut failing = false;
    if let Some(counter) = saved.respawn {
        slot.count = counter.count;
        slot.window_start = counter.window_start;
        failing = counter.failing;
    }
    slot.state = match (failing, saved.flags.running, saved.flags.waiting) {
        (true, _, _) => RunState::Failing,
        (false, true, true) => RunState::WaitedFor,
        (false, true, false) => RunState::Running,
        (false, false, _) => RunState::Idle,
    };
    slot
}
