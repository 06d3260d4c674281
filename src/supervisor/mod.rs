//! PID 1 policy: what to run, keep or kill, for each event. No I/O here.
//!
//! [`Supervisor`] is sysvinit 3.06's `init.c` state machine (docs/compatibility.md §1.5, §2,
//! §3, §4.4–§4.7) with the I/O taken out: events come in as method calls
//! (a child exited, an initctl request or a signal arrived, time passed) and
//! every decision goes out through the [`Effects`] trait (spawn an entry,
//! signal a process group, write a utmp record, log a message, …). The
//! mechanism in [`crate::pid1`] implements `Effects` with real processes;
//! the unit tests implement it with a recorder. Time is passed in (the
//! monotonic clock), never read here.
//!
//! Where sysvinit blocks (the TERM→KILL grace period of a level change,
//! SIGTSTP) the supervisor instead enters a state in which it only reaps
//! children and queues other events, and says through
//! [`Supervisor::next_deadline`] when it wants to be woken.

// PID 1 never panics on outside input: no unwrap, expect, panic or
// unchecked indexing here (tests aside).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]

mod effects;
mod env;
mod slot;
mod status;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::Duration;

use nix::sys::signal::Signal;

pub use effects::{Dest, Effects, Record, SpawnRequest};
pub use env::{
    ChildLevels, ExtraEnv, INIT_VERSION, MAX_EXTRA_VARS, child_environment, join_var, split_var,
    var_name,
};
use slot::{Limit, Slot};

use crate::defaults::{DEFAULT_SLEEP_TIME, INITTAB, SULOGIN};
use crate::initctl::{self, Request};
use crate::inittab::{self, Action, DefaultLevel, Entry, Location};
use crate::reexec_state::{EntryFlags, RespawnCounter, SavedEntry, SavedState};

/// After the KILL round: how long to wait for the killed processes to be
/// reaped before reporting `seems to hang`. sysvinit 3.06 sleeps 10 ms;
/// we wait up to 1 s but go on as soon as all are reaped, so a loaded
/// machine does not get spurious messages.
pub const KILL_GRACE: Duration = Duration::from_secs(1);
/// After a failed `fork`, the first retry comes this much later, and each
/// further failure doubles the wait up to [`FORK_RETRY_MAX`] (sysvinit
/// blocks and retries every 5 s). A failed fork is not a start: it does not
/// count toward the respawn limiter.
pub const FORK_RETRY_FIRST: Duration = Duration::from_millis(100);
pub const FORK_RETRY_MAX: Duration = Duration::from_secs(2);
/// What sysvinit 3.10+ runs when a container manager asks it to stop.
pub const POWEROFF_COMMAND: &str = "/sbin/shutdown -hP now";

/// Something that happened, other than a child exiting or time passing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
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
}

/// Which inittab power entries a SIGPWR arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerEvent {
    /// `O`: power is back → `powerokwait` entries.
    Ok,
    /// `L`: battery low → `powerfailnow` entries.
    FailNow,
    /// `F`, anything else, or no file → `powerfail` and `powerwait` entries.
    Fail,
}

/// How init was started (docs/compatibility.md §4.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BootOptions {
    /// A level from the command line, overriding initdefault.
    pub level: Option<u8>,
    /// `-b`/`emergency`: run sulogin before anything else.
    pub emergency: bool,
}

/// A process being killed because its entry left the configuration or the
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dying {
    id: String,
    pid: i32,
    utmp: bool,
    reaped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillRound {
    Term,
    Kill,
}

/// sysvinit's `read_inittab` kill rounds, which it runs synchronously.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KillPhase {
    dying: Vec<Dying>,
    round: KillRound,
    deadline: Duration,
}

#[derive(Debug)]
pub struct Supervisor {
    /// sysvinit's `family`, power-type entries first.
    slots: Vec<Slot>,
    /// sysvinit's `runlevel`: `#` (sysinit), `*` (boot), `S`, `0`–`9`.
    runlevel: u8,
    /// What children see as `RUNLEVEL`.
    thislevel: u8,
    /// What children see as `PREVLEVEL`.
    prevlevel: u8,
    /// `boot_transitions`' target level (its static `newlevel`).
    target: u8,
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
    last_runlevel_file: Option<u8>,
    /// Counts the times `slots` was replaced by a re-read (for the status
    /// file: entries' texts change only then).
    generation: u64,
}

impl Supervisor {
    pub fn new(options: BootOptions) -> Supervisor {
        Supervisor {
            slots: Vec::new(),
            runlevel: b'#',
            thislevel: b'S',
            prevlevel: b'N',
            target: 0,
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
        }
    }

    /// Starts the boot: the emergency shell if asked for, else sysinit.
    pub fn boot(&mut self, fx: &mut dyn Effects, now: Duration) {
        if self.options.emergency {
            let sulogin = Entry {
                id: "~~".to_string(),
                runlevels: "S".to_string(),
                action: Action::Wait,
                process: SULOGIN.to_string(),
                location: builtin_location(),
            };
            let request = SpawnRequest {
                entry: &sulogin,
                // sysvinit's level before the boot starts is `S`: no
                // /etc/initscript for the emergency shell.
                level: b'S',
                levels: self.child_levels(),
                controlling_tty: true,
                extra_env: &self.extra_env,
            };
            if let Some(pid) = fx.spawn(&request) {
                self.emergency_pid = Some(pid);
                return;
            }
        }
        self.start_boot(fx, now);
    }

    fn start_boot(&mut self, fx: &mut dyn Effects, now: Duration) {
        self.runlevel = b'#';
        self.reread(fx, now);
        self.run(fx, now);
    }

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
            sleep_time: DEFAULT_SLEEP_TIME as i32,
            did_boot: true,
            entries,
        };
        Supervisor::restore(&state, ExtraEnv::default())
    }

    /// Continues after a re-exec from the state the old init handed over
    /// (ours or sysvinit's): no boot actions, the inittab is not re-read.
    pub fn restore(state: &SavedState, extra_env: ExtraEnv) -> Supervisor {
        let level = |c: char, fallback: u8| {
            u8::try_from(c)
                .ok()
                .filter(u8::is_ascii)
                .unwrap_or(fallback)
        };
        let mut supervisor = Supervisor::new(BootOptions::default());
        supervisor.runlevel = level(state.runlevel, b'S');
        supervisor.thislevel = level(state.thislevel, b'S');
        supervisor.prevlevel = level(state.prevlevel, b'N');
        supervisor.target = supervisor.runlevel;
        supervisor.did_boot = state.did_boot;
        supervisor.sleep_time = u32::try_from(state.sleep_time).unwrap_or(0);
        supervisor.extra_env = extra_env;
        supervisor.configured = true;
        supervisor.last_runlevel_file = Some(supervisor.runlevel);
        supervisor.slots = state.entries.iter().map(restore_slot).collect();
        supervisor
    }

    /// Runs the first pass after [`Supervisor::restore`].
    pub fn resume(&mut self, fx: &mut dyn Effects, now: Duration) {
        self.run(fx, now);
    }

    /// The state to hand to a re-executed init (sysvinit's `send_state`).
    /// The utmp flags are the mechanism's to fill in.
    pub fn snapshot(&self) -> SavedState {
        SavedState {
            version: crate::reexec_state::vinit_version_line(),
            runlevel: char::from(self.runlevel),
            thislevel: char::from(self.thislevel),
            prevlevel: char::from(self.prevlevel),
            pending_signals: 0,
            wrote_wtmp_boot: true,
            wrote_utmp_boot: true,
            sleep_time: i32::try_from(self.sleep_time).unwrap_or(i32::MAX),
            did_boot: self.did_boot,
            entries: self
                .slots
                .iter()
                .map(|slot| SavedEntry {
                    id: slot.entry.id.clone(),
                    runlevels: slot.entry.effective_runlevels().into_owned(),
                    flags: EntryFlags {
                        running: slot.running,
                        demand: slot.demand,
                        executed: slot.executed,
                        waiting: slot.waiting,
                    },
                    pid: slot.pid,
                    exit_status: slot.exit_status as u32,
                    action: slot.entry.action.name().to_string(),
                    process: slot.entry.process.clone(),
                    respawn: (slot.count > 0 || slot.window_start.is_some() || slot.failing)
                        .then_some(RespawnCounter {
                            count: slot.count,
                            window_start: slot.window_start,
                            failing: slot.failing,
                        }),
                })
                .collect(),
        }
    }

    /// sysvinit's `runlevel` (`#`, `*`, `S`, `0`–`9`).
    pub fn runlevel(&self) -> u8 {
        self.runlevel
    }

    pub fn extra_env(&self) -> &ExtraEnv {
        &self.extra_env
    }

    /// False while stopped or in a kill round: the mechanism may leave the
    /// FIFO unread then (requests would only be queued).
    pub fn accepts_requests(&self) -> bool {
        !self.blocked()
    }

    /// The PIDs of running entries (for tests and diagnostics).
    pub fn running_pids(&self) -> Vec<(String, i32)> {
        self.slots
            .iter()
            .filter(|slot| slot.running)
            .map(|slot| (slot.entry.id.clone(), slot.pid))
            .collect()
    }

    /// When [`Supervisor::tick`] must be called next, if ever.
    pub fn next_deadline(&self) -> Option<Duration> {
        let failing = self.slots.iter().filter(|slot| slot.failing).map(|slot| {
            Duration::from_secs(
                slot.window_start
                    .unwrap_or(0)
                    .saturating_add(slot::FAILING_SECS + 1),
            )
        });
        let kill = self.kill.as_ref().map(|kill| kill.deadline);
        failing.chain(kill).chain(self.fork_retry_at).min()
    }

    /// Time passed: finish kill rounds, re-enable failing entries, retry
    /// failed forks.
    pub fn tick(&mut self, fx: &mut dyn Effects, now: Duration) {
        if self.fork_retry_at.is_some_and(|at| at <= now) {
            self.fork_retry_at = None;
        }
        self.advance_kill(fx, now);
        self.run(fx, now);
    }

    /// A child was reaped with wait status `status` (orphans included).
    pub fn child_exited(&mut self, pid: i32, status: i32, fx: &mut dyn Effects, now: Duration) {
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
            .find(|slot| slot.running && slot.pid == pid)
        {
            slot.running = false;
            slot.waiting = false;
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

    /// An initctl request or a signal.
    pub fn handle(&mut self, event: Event, fx: &mut dyn Effects, now: Duration) {
        match event {
            Event::Continue => {
                self.stopped = false;
                self.drain_deferred(fx, now);
            }
            Event::Stop => self.stopped = true,
            event if self.blocked() => {
                // A signal repeated while stopped counts once (as a pending
                // signal does), so the queue cannot grow without bound.
                let repeated =
                    !matches!(event, Event::Request(_)) && self.deferred.contains(&event);
                if !repeated {
                    self.deferred.push_back(event);
                }
            }
            Event::Request(request) => self.request(&request, fx, now),
            Event::Reload => {
                self.reread(fx, now);
                self.fail_cancel();
                self.set_title(fx);
            }
            Event::CtrlAltDel => self.arm(|action| action == Action::Ctrlaltdel),
            Event::KbRequest => self.arm(|action| action == Action::Kbrequest),
            Event::Power(power) => self.power(power),
            Event::PowerOff => self.power_off(),
        }
        self.run(fx, now);
    }

    fn blocked(&self) -> bool {
        self.stopped || self.kill.is_some() || self.emergency_pid.is_some()
    }

    fn drain_deferred(&mut self, fx: &mut dyn Effects, now: Duration) {
        while !self.blocked() {
            let Some(event) = self.deferred.pop_front() else {
                break;
            };
            self.handle(event, fx, now);
        }
    }

    fn request(&mut self, request: &Request, fx: &mut dyn Effects, now: Duration) {
        let sleep_time = u32::try_from(request.sleeptime).unwrap_or(0);
        match request.cmd {
            initctl::CMD_RUNLVL => {
                self.sleep_time = sleep_time;
                self.new_level(request.runlevel, fx, now);
            }
            initctl::CMD_POWERFAIL => {
                self.sleep_time = sleep_time;
                self.power(PowerEvent::Fail);
            }
            initctl::CMD_POWERFAILNOW => {
                self.sleep_time = sleep_time;
                self.power(PowerEvent::FailNow);
            }
            initctl::CMD_POWEROK => {
                self.sleep_time = sleep_time;
                self.power(PowerEvent::Ok);
            }
            initctl::CMD_SETENV => {
                for change in request.env_changes() {
                    self.extra_env.apply(&change);
                }
            }
            _ => fx.log(Dest::Both, "got unimplemented initrequest."),
        }
    }

    /// sysvinit's `fifo_new_level` + `read_level` (docs/compatibility.md §3.3).
    fn new_level(&mut self, requested: i32, fx: &mut dyn Effects, now: Duration) {
        if requested == i32::from(self.runlevel) {
            return;
        }
        // sysvinit prints the request's level with %c: its low byte.
        let [raw, ..] = requested.to_le_bytes();
        let upper = raw.to_ascii_uppercase();
        let old = self.runlevel;
        let mut new = old;
        let mut demand = None;
        if !b"QS0123456789ABCU".contains(&upper) || u8::try_from(requested).is_err() {
            // Upper-cased first, as read_level does (`bad runlevel: X` for `x`).
            fx.log(Dest::Both, &format!("bad runlevel: {}", char::from(upper)));
        } else {
            // The record comes before the message (sysvinit logs first), so
            // whoever sees the message finds the record written.
            if !matches!(upper, b'Q' | b'A' | b'B' | b'C' | b'U') {
                fx.record(Record::Runlevel { new: upper, old });
                self.thislevel = upper;
                self.prevlevel = old;
                new = upper;
            }
            match upper {
                b'S' => fx.log(Dest::Both, "Going single user"),
                b'Q' => fx.log(Dest::Syslog, "Re-reading inittab"),
                b'A' | b'B' | b'C' => {
                    fx.log(
                        Dest::Syslog,
                        &format!("Activating demand-procedures for '{}'", char::from(upper)),
                    );
                    if old != b'S' {
                        demand = Some(upper);
                    }
                }
                b'U' => {
                    fx.log(Dest::Syslog, "Trying to re-exec init");
                    self.reexec(fx);
                    return;
                }
                _ => fx.log(
                    Dest::Both,
                    &format!("Switching to runlevel: {}", char::from(upper)),
                ),
            }
        }
        self.runlevel = new;
        if (old != b'S' && new == b'S') || b"016".contains(&new) {
            fx.console_stty();
        }
        if new != old && b"2345".contains(&new) {
            fx.record(Record::Redo);
        }
        self.reread(fx, now);
        if let Some(letter) = demand {
            for slot in &mut self.slots {
                if slot.entry.demand_marked_by(letter) {
                    slot.demand = true;
                    slot.executed = false;
                }
            }
            // sysvinit's `read_level` reads the inittab before marking and
            // `fifo_new_level` reads it again, as for every request: the
            // second read only repeats its messages (the marks carry over).
            self.reread(fx, now);
        }
        self.fail_cancel();
        self.set_title(fx);
        self.write_runlevel_file(fx, true);
    }

    /// sysvinit's `re_exec` (docs/compatibility.md §3.7): only from `S` and `0`–`6`.
    fn reexec(&mut self, fx: &mut dyn Effects) {
        if !b"S0123456".contains(&self.runlevel) {
            return;
        }
        // sysvinit clears the respawn counters here; the new image gets
        // them instead, in the state (`VRC` lines).
        let state = self.snapshot();
        fx.reexec(&state, self.extra_env.vars());
        fx.log(Dest::Console, "Attempt to re-exec failed");
    }

    fn arm(&mut self, which: impl Fn(Action) -> bool) {
        for slot in &mut self.slots {
            if which(slot.entry.action) {
                slot.executed = false;
            }
        }
    }

    /// sysvinit's `do_power_fail`.
    fn power(&mut self, power: PowerEvent) {
        self.arm(|action| match power {
            PowerEvent::Ok => action == Action::Powerokwait,
            PowerEvent::FailNow => action == Action::Powerfailnow,
            PowerEvent::Fail => matches!(action, Action::Powerfail | Action::Powerwait),
        });
    }

    /// SIGRTMIN+4 in sysvinit 3.10+: a `once` entry `~~` that runs
    /// `shutdown -hP now`, which then asks for level 0. A repeated signal
    /// re-arms the same entry.
    fn power_off(&mut self) {
        let existing = self
            .slots
            .iter_mut()
            .find(|slot| slot.entry.id == "~~" && slot.entry.process == POWEROFF_COMMAND);
        match existing {
            Some(slot) => slot.executed = false,
            None => self.slots.push(Slot::new(Entry {
                id: "~~".to_string(),
                runlevels: "S0123456789".to_string(),
                action: Action::Once,
                process: POWEROFF_COMMAND.to_string(),
                location: builtin_location(),
            })),
        }
    }

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
    fn reread(&mut self, fx: &mut dyn Effects, now: Duration) {
        let loaded = fx.load_inittab();
        let empty = loaded.entries_read == 0;
        let rejected = loaded.read_error.is_some()
            || !loaded.diagnostics.is_empty()
            || loaded.inittab_missing
            || empty;
        let keep = self.configured && rejected;
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
        // order not yet taken with the same id (ids are unique except `~~`).
        // Found by binary search over the new entries sorted by id (stable,
        // so list order among equal ids), not a scan of all of them for
        // each old one: 10,000 entries would be 50 million comparisons.
        let mut by_id: Vec<usize> = (0..fresh.len()).collect();
        by_id.sort_by(|&a, &b| slot_id(&fresh, a).cmp(slot_id(&fresh, b)));
        let mut taken = vec![false; fresh.len()];
        let mut dying = Vec::new();
        let level = self.runlevel;
        for old in self.slots.drain(..) {
            let id = old.entry.id.as_str();
            let first = by_id.partition_point(|&index| slot_id(&fresh, index) < id);
            let matched = by_id
                .get(first..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&index| slot_id(&fresh, index) == id)
                .find(|&&index| taken.get(index) == Some(&false))
                .copied();
            let out_of_level =
                !old.is_boot() && !old.entry.runs_in(level) && (level == b'S' || !old.demand);
            if let Some(index) = matched
                && let (Some(new), Some(taken)) = (fresh.get_mut(index), taken.get_mut(index))
            {
                *taken = true;
                if new.entry.action == old.entry.action && !out_of_level {
                    new.carry_over(&old);
                    continue;
                }
            }
            if old.running && old.pid > 1 {
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
    fn advance_kill(&mut self, fx: &mut dyn Effects, now: Duration) {
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

    /// sysvinit's `fail_cancel`.
    fn fail_cancel(&mut self) {
        for slot in &mut self.slots {
            slot.clear_failure();
        }
    }

    fn set_title(&self, fx: &mut dyn Effects) {
        fx.set_title(&format!("init [{}]", char::from(self.runlevel)));
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

    fn something_to_wait_for(&self) -> bool {
        self.slots
            .iter()
            .any(|slot| slot.running && !slot.is_boot())
    }

    /// sysvinit's `boot_transitions` (docs/compatibility.md §3.2). True if the phase moved.
    fn boot_transitions(&mut self, fx: &mut dyn Effects) -> bool {
        if self.something_to_wait_for() {
            return false;
        }
        let mut entered = None;
        let mut old = b'N';
        match self.runlevel {
            b'#' => {
                fx.record(Record::Boot);
                self.target = match self.options.level {
                    Some(level) => level,
                    None => self.initdefault(fx),
                };
                if self.target == b'S' {
                    self.runlevel = b'S';
                    fx.set_title("init [S]");
                } else {
                    self.runlevel = b'*';
                }
            }
            b'*' => {
                entered = Some(self.target);
                self.runlevel = self.target;
                self.did_boot = true;
                self.warn_idle = true;
            }
            b'S' => {
                let target = self.initdefault(fx);
                self.target = target;
                if !self.did_boot && target != b'S' {
                    self.runlevel = b'*';
                } else {
                    if target != b'S' {
                        entered = Some(target);
                    }
                    self.runlevel = target;
                    old = b'S';
                }
                self.warn_idle = true;
                for slot in &mut self.slots {
                    if slot.entry.effective_runlevels() == "S" {
                        slot.failing = false;
                        slot.waiting = false;
                        slot.executed = false;
                    }
                }
            }
            _ => {
                if self.warn_idle {
                    fx.log(Dest::Both, "no more processes left in this runlevel");
                }
                self.warn_idle = false;
                self.write_runlevel_file(fx, false);
                return false;
            }
        }
        if let Some(level) = entered {
            // Record first: whoever sees the message finds the record.
            fx.record(Record::Runlevel { new: level, old });
            fx.log(
                Dest::Both,
                &format!("Entering runlevel: {}", char::from(level)),
            );
            self.thislevel = level;
            self.prevlevel = old;
            self.set_title(fx);
        }
        self.write_runlevel_file(fx, false);
        true
    }

    /// sysvinit's `get_init_default`: the first initdefault entry's level,
    /// else the console prompt.
    fn initdefault(&mut self, fx: &mut dyn Effects) -> u8 {
        let level = self
            .slots
            .iter()
            .find(|slot| slot.entry.action == Action::Initdefault)
            .map_or(DefaultLevel::None, |slot| {
                inittab::default_level(std::slice::from_ref(&slot.entry))
            });
        match level {
            DefaultLevel::Level(level) => level,
            DefaultLevel::Invalid(_) => {
                if let Some(message) = level.message() {
                    fx.log(Dest::Both, &message);
                }
                fx.ask_runlevel()
            }
            DefaultLevel::None => fx.ask_runlevel(),
        }
    }

    /// sysvinit's `start_if_needed`: file order (power entries first),
    /// stopping at the first entry still waited for.
    fn start_if_needed(&mut self, fx: &mut dyn Effects, now: Duration) {
        let level = self.runlevel;
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots.get_mut(index) else {
                break;
            };
            if slot.waiting {
                break;
            }
            if slot.running {
                continue;
            }
            let wanted = slot.entry.runs_in(level) || (slot.demand && !b"#*Ss".contains(&level));
            if wanted {
                self.startup(index, fx, now);
                // Nothing after an entry that could not be forked starts
                // before it (file order, and a `wait` entry first).
                if self.fork_retry_at.is_some()
                    || self.slots.get(index).is_some_and(|slot| slot.waiting)
                {
                    break;
                }
            } else {
                slot.running = false;
                slot.waiting = false;
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
        if slot.failing {
            return;
        }
        let action = slot.entry.action;
        if action.respawns() {
            self.spawn(index, fx, now);
            return;
        }
        if matches!(action, Action::Off | Action::Initdefault) {
            return;
        }
        if action.waits() && !slot.executed {
            slot.waiting = true;
        }
        if !slot.executed {
            self.spawn(index, fx, now);
        }
    }

    /// sysvinit's `spawn` bookkeeping around the mechanism's fork/exec.
    fn spawn(&mut self, index: usize, fx: &mut dyn Effects, now: Duration) {
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
        slot.running = true;
        let request = SpawnRequest {
            entry: &slot.entry,
            level,
            levels,
            controlling_tty: b"#*S".contains(&level) && slot.waiting,
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
                slot.running = false;
                slot.waiting = false;
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

/// The id of `slots[index]` (empty for an index out of range).
fn slot_id(slots: &[Slot], index: usize) -> &str {
    slots.get(index).map_or("", |slot| slot.entry.id.as_str())
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

/// An entry from a re-exec state text. Its runlevels are the effective ones
/// sysvinit stored (e.g. `#` for sysinit), which [`Entry::runs_in`] reads
/// the same way; an unknown action becomes `off`, as in sysvinit.
fn restore_slot(saved: &SavedEntry) -> Slot {
    let entry = Entry {
        id: saved.id.clone(),
        runlevels: saved.runlevels.clone(),
        action: Action::from_name(&saved.action).unwrap_or(Action::Off),
        process: saved.process.clone(),
        location: builtin_location(),
    };
    let mut slot = Slot::new(entry);
    slot.pid = saved.pid;
    slot.running = saved.flags.running;
    slot.demand = saved.flags.demand;
    slot.executed = saved.flags.executed;
    slot.waiting = saved.flags.waiting;
    slot.exit_status = saved.exit_status as i32;
    if let Some(counter) = saved.respawn {
        slot.count = counter.count;
        slot.window_start = counter.window_start;
        slot.failing = counter.failing;
        slot.running &= !counter.failing;
    }
    slot
}
