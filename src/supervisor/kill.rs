//! sysvinit's `read_inittab` (docs/compatibility.md §3.4): a re-read of the
//! configuration, which carries over the entries that may keep running and
//! sends the others TERM, then KILL after the sleep time. sysvinit waits
//! for the kill rounds; the supervisor instead enters a state in which it
//! only reaps children and queues other events until they are over.

use std::time::Duration;

use nix::sys::signal::Signal;

use super::slot::Slot;
use super::{Dest, Effects, KILL_GRACE, Supervisor};
use crate::inittab::{self, Entry, Grammar};
use crate::runlevel::Phase;

/// A process being killed because its entry left the configuration or the
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dying {
    pub(super) id: String,
    pub(super) pid: i32,
    pub(super) utmp: bool,
    pub(super) reaped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillRound {
    Term,
    Kill,
}

/// sysvinit's `read_inittab` kill rounds, which it runs synchronously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KillPhase {
    pub(super) dying: Vec<Dying>,
    round: KillRound,
    pub(super) deadline: Duration,
}

impl Supervisor {
    /// sysvinit's `read_inittab`: read the configuration, carry over what
    /// may keep running, and start killing what must go (docs/compatibility.md §3.4).
    ///
    /// Deliberate difference: once a configuration is running, a new one
    /// with any rejected line, one that cannot be read (or is larger than
    /// [`inittab::MAX_FILE_BYTES`]) and one without a single entry is not
    /// applied; every problem is logged as `FILE:LINE:COL: message` and the
    /// last good entries stay in force (the kill rules still apply to them,
    /// e.g. for a level change). sysvinit applies the valid lines, which can
    /// silently drop a getty or the rc entry because of one typo, and an
    /// empty file (truncated by a full disk, or caught half-written by an
    /// editor) stops every process it started.
    ///
    /// The grammar is the first read's: a re-read that finds the file in the
    /// other grammar is not applied either (init takes it at its next
    /// start). Entries are matched by id, in BusyBox's grammar by tty and
    /// command, as BusyBox does ([`identity`]).
    pub(super) fn reread(&mut self, fx: &mut dyn Effects, now: Duration) {
        let loaded = fx.load_inittab();
        let empty = loaded.entries_read == 0;
        let other_grammar = self.configured && loaded.grammar != self.grammar;
        let rejected = loaded.read_error.is_some()
            || !loaded.diagnostics.is_empty()
            || loaded.inittab_missing
            || empty
            || other_grammar;
        let keep = self.configured && rejected;
        if !self.configured {
            self.grammar = loaded.grammar;
        }
        // At boot sysvinit's own lines (`/etc/inittab[N]: …`); when keeping
        // the old configuration, the notices and then each rejected line
        // with its position.
        let lines = if keep { &loaded.notices } else { &loaded.log };
        for line in lines {
            fx.log(Dest::Both, line);
        }
        if let Some(error) = &loaded.read_error {
            fx.log(Dest::Both, error);
        }
        let entries: Vec<Entry> = if keep {
            for diagnostic in &loaded.diagnostics {
                fx.log(Dest::Both, &diagnostic.to_string());
            }
            if let Some(message) = inittab::omitted_message(loaded.omitted) {
                fx.log(Dest::Both, &message);
            }
            if empty && loaded.read_error.is_none() && !loaded.inittab_missing {
                fx.log(Dest::Both, "no entries in /etc/inittab or /etc/inittab.d");
            }
            if other_grammar {
                fx.log(
                    Dest::Both,
                    &format!(
                        "/etc/inittab is now in {}'s grammar, init runs {}'s: \
                         it changes grammar only when it starts",
                        loaded.grammar.name(),
                        self.grammar.name()
                    ),
                );
            }
            fx.log(
                Dest::Both,
                "configuration not applied: keeping the previous one",
            );
            self.slots.iter().map(|slot| slot.entry.clone()).collect()
        } else {
            loaded.entries
        };
        self.configured = true;
        let mut fresh: Vec<Slot> = inittab::start_order(entries)
            .into_iter()
            .map(Slot::new)
            .collect();
        // Each new entry takes over at most one old one, the first in list
        // order not yet taken with the same identity (ids are unique except
        // `~~`). Found by binary search over the new entries sorted by
        // identity (stable, so list order among equal ones), not a scan of
        // all of them for each old one: 10,000 entries would be 50 million
        // comparisons.
        let mut by_id: Vec<usize> = (0..fresh.len()).collect();
        by_id.sort_by(|&a, &b| slot_identity(&fresh, a).cmp(&slot_identity(&fresh, b)));
        let mut taken = vec![false; fresh.len()];
        let mut dying = Vec::new();
        let level = self.runlevel;
        for old in self.slots.drain(..) {
            let id = identity(&old.entry);
            let first = by_id.partition_point(|&index| slot_identity(&fresh, index) < id);
            let matched = by_id
                .get(first..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&index| slot_identity(&fresh, index) == id)
                .find(|&&index| taken.get(index) == Some(&false))
                .copied();
            let out_of_level = !old.is_boot()
                && !old.entry.runs_in(level)
                && (level == Phase::SINGLE || !old.demand);
            if let Some(index) = matched
                && let (Some(new), Some(taken)) = (fresh.get_mut(index), taken.get_mut(index))
            {
                *taken = true;
                if new.entry.action == old.entry.action && !out_of_level {
                    new.carry_over(&old);
                    continue;
                }
            }
            if old.is_running() && old.pid > 1 {
                dying.push(Dying {
                    id: old.entry.id.clone(),
                    pid: old.pid,
                    utmp: old.entry.writes_utmp(),
                    reaped: false,
                });
            }
        }
        self.slots = fresh;
        fx.release_memory();
        self.generation = self.generation.wrapping_add(1);
        if !dying.is_empty() {
            fx.log(
                Dest::Console,
                "Sending processes configured via /etc/inittab the TERM signal",
            );
            for process in &dying {
                fx.kill_group(process.pid, Signal::SIGTERM);
            }
            self.kill = Some(KillPhase {
                dying,
                round: KillRound::Term,
                deadline: now.saturating_add(Duration::from_secs(u64::from(self.sleep_time))),
            });
            self.advance_kill(fx, now);
        }
    }

    /// Moves the kill rounds on: all reaped → done; TERM round over → KILL;
    /// KILL grace over → report what hangs. Then handles what was queued.
    pub(super) fn advance_kill(&mut self, fx: &mut dyn Effects, now: Duration) {
        let Some(kill) = self.kill.as_mut() else {
            return;
        };
        let all_reaped = kill.dying.iter().all(|d| d.reaped);
        if !all_reaped && now < kill.deadline {
            return;
        }
        if !all_reaped && kill.round == KillRound::Term {
            fx.log(
                Dest::Console,
                "Sending processes configured via /etc/inittab the KILL signal",
            );
            for process in kill.dying.iter().filter(|d| !d.reaped) {
                fx.kill_group(process.pid, Signal::SIGKILL);
            }
            kill.round = KillRound::Kill;
            kill.deadline = now + KILL_GRACE;
            return;
        }
        for process in kill.dying.iter().filter(|d| !d.reaped) {
            fx.log(
                Dest::Console,
                &format!("Pid {} [id {}] seems to hang", process.pid, process.id),
            );
        }
        self.kill = None;
        self.drain_deferred(fx, now);
    }
}

/// What makes two entries of successive reads the same: sysvinit's id; in
/// BusyBox's grammar the tty and the command (`tty2` and `/dev/tty2` are
/// one tty).
fn identity(entry: &Entry) -> (&str, &str) {
    match entry.grammar {
        Grammar::Sysvinit => (&entry.id, ""),
        Grammar::BusyBox => (
            entry.id.strip_prefix("/dev/").unwrap_or(&entry.id),
            &entry.process,
        ),
    }
}

/// The identity of `slots[index]` (empty for an index out of range).
fn slot_identity(slots: &[Slot], index: usize) -> (&str, &str) {
    slots
        .get(index)
        .map_or(("", ""), |slot| identity(&slot.entry))
}
