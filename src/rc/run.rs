//! The parallel scheduler: runs a phase's scripts as soon as everything they
//! need has finished, at most `jobs` at a time.
//!
//! Single-threaded: `SIGCHLD` is blocked and read from a signalfd, the
//! scripts' output is polled, and children are reaped with `waitpid(-1)`
//! (rc is its own process; its only children are scripts).
//!
//! As with startpar, a script's stdout and stderr are a pseudo-terminal of
//! its own (a pipe only if no pty can be had), not a pipe: a daemon the
//! script leaves behind with that output still open gets `EIO` for what it
//! writes after rc has moved on, where a closed pipe would kill it with
//! SIGPIPE. The pty is nobody's controlling terminal (scripts stay in rc's
//! session, so no SIGHUP comes when it closes). A script is finished when
//! its process exits, not at end of output (`EIO` from the master once the
//! last slave is closed), so a daemon holding the terminal does not hold
//! the run up.
//! Each non-interactive script is its own process group, which a timeout
//! kills with `SIGKILL`. Interactive scripts wait until nothing else runs,
//! keep rc's console and process group, and have no timeout.
//!
//! Where services are tracked by cgroup ([`crate::cgroup`]), each script
//! runs in its service's cgroup, and so do the daemons it starts. A `stop`
//! is finished only when nothing of its service is left: what its script
//! left gets SIGTERM, and SIGKILL after the service's `stop_timeout`, each
//! process named. A task with a hang timeout (a `stop` on the way to 0 or
//! 6) still running then is killed with its whole cgroup, its processes
//! named with where they waited.
//!
//! Before a script runs, its service's limits (supervise.d(5)) are applied
//! (`services::apply`): the cgroup settings written into its cgroup, the
//! process attributes given to the script, which its daemon inherits. What
//! cannot be set is said with the output of a `start`, which prints it.

// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local};
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, Signal, killpg};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::time::{ClockId, clock_gettime};
use nix::unistd::Pid;

use super::select::Action;
use crate::cgroup::{self, Leaf};
use crate::services::apply::{self, Cgroup};
use crate::services::files::ConfigFile;
use crate::sys::pty::open_capture_pty;
use crate::sys::spawn::{Attributes, CHILD_STACK_SIZE, Child, Session};
use crate::untrusted::{self, Access};

/// One script to run.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub name: String,
    /// `/etc/init.d/<name>`.
    pub program: PathBuf,
    /// The link path, e.g. `/etc/rc2.d/S02rsyslog`, given as `argv[0]`.
    pub argv0: String,
    pub action: Action,
    pub interactive: bool,
    /// Indexes of the tasks that must finish first.
    pub after: Vec<usize>,
    /// The service's cgroup, where the script runs (tracking on).
    pub cgroup: Option<Leaf>,
    /// After the script ends, what it left in its cgroup gets SIGTERM, and
    /// SIGKILL after this long (a `stop`, unless `kill_leftovers=no`).
    pub leftovers_timeout: Option<Duration>,
    /// The script's own timeout instead of rc's (a `stop` on the way to 0
    /// or 6: the service's `stop_timeout`); at it, its cgroup is killed.
    pub hang_timeout: Option<Duration>,
    /// The service's settings file, whose limits are applied.
    pub settings: Option<ConfigFile>,
}

/// How to run a phase.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// At most this many scripts at once (at least 1).
    pub jobs: usize,
    /// Per-script limit; `None` = unlimited.
    pub timeout: Option<Duration>,
    /// The scripts' whole environment.
    pub env: Vec<(String, String)>,
    /// The cgroup controllers delegated to the services (tracking on).
    pub controllers: Vec<String>,
}

/// How a script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    /// Killed by rc after the timeout.
    TimedOut,
    /// Could not be executed (the error).
    SpawnFailed(String),
}

/// LSB result classes (docs/compatibility.md §8.3, §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Ok,
    Failed,
    TimedOut,
    /// Exit 5.
    NotInstalled,
    /// Exit 6.
    NotConfigured,
}

impl Class {
    pub(crate) fn is_failure(self) -> bool {
        matches!(self, Class::Failed | Class::TimedOut)
    }

    /// The name used in the run record.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Class::Ok => "ok",
            Class::Failed => "failed",
            Class::TimedOut => "timeout",
            Class::NotInstalled => "not-installed",
            Class::NotConfigured => "not-configured",
        }
    }
}

/// startpar's classes: 5 and 6 are skips, 7 ("not running") is only a
/// failure when starting.
pub(crate) fn classify(outcome: &Outcome, action: Action) -> Class {
    match outcome {
        Outcome::Exited(0) => Class::Ok,
        Outcome::Exited(5) => Class::NotInstalled,
        Outcome::Exited(6) => Class::NotConfigured,
        Outcome::Exited(7) if action == Action::Stop => Class::Ok,
        Outcome::TimedOut => Class::TimedOut,
        _ => Class::Failed,
    }
}

/// A point in time on both clocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    pub monotonic_ns: u128,
    pub wall: DateTime<Local>,
}

impl Stamp {
    pub(crate) fn now() -> Stamp {
        let monotonic_ns = clock_gettime(ClockId::CLOCK_MONOTONIC)
            .map(|t| {
                u128::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000
                    + u128::try_from(t.tv_nsec()).unwrap_or(0)
            })
            .unwrap_or(0);
        Stamp {
            monotonic_ns,
            wall: Local::now(),
        }
    }
}

/// A finished script.
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub outcome: Outcome,
    pub class: Class,
    pub started: Stamp,
    pub ended: Stamp,
    /// Everything it wrote (stdout and stderr), complete lines.
    pub output: Vec<u8>,
    /// The processes of its service that were killed with SIGKILL (a hung
    /// `stop`, or leftovers that outlived the `stop_timeout`), described.
    pub killed: Vec<String>,
}

/// What the scheduler reports while it runs.
pub(crate) trait Events {
    /// A complete line (without its newline) from a running script.
    fn output_line(&mut self, task: &Task, line: &[u8]);
    fn finished(&mut self, task: &Task, result: &Finished);
}

/// Blocks the console's job-control signals for rc itself, so ^C, ^\ or ^Z on
/// the console does not stop the run. Debian's rc ignores them; we block
/// instead, because `spawn` gives the scripts an empty mask, while an
/// ignored disposition would be inherited.
pub(crate) fn block_console_signals() -> nix::Result<()> {
    let mut set = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGQUIT, Signal::SIGTSTP] {
        set.add(s);
    }
    set.thread_block()
}

struct Running {
    pid: Pid,
    /// The read end of the script's output (pty master or pipe) until its end.
    capture: Option<File>,
    /// Gets the errno if the script could not be executed (see [`spawn`]).
    exec_error: File,
    partial: Vec<u8>,
    output: Vec<u8>,
    started: Stamp,
    deadline: Option<Instant>,
    timed_out: bool,
    /// The script has ended; its leftovers are being stopped.
    draining: Option<Draining>,
    killed: Vec<String>,
}

/// A `stop` whose script has ended, with processes of its service left.
struct Draining {
    outcome: Outcome,
    /// `cgroup.events`, which polls "priority" when it changes.
    events: File,
    /// When the leftovers get SIGKILL (`killed`: they have; after this,
    /// the task ends whatever is left).
    deadline: Instant,
    killed: bool,
}

enum State {
    Waiting,
    Running(Box<Running>),
    Done,
}

/// Runs `tasks`, returning each one's result (same order). A task whose
/// `after` names itself or a later unreachable task still runs once the
/// others are done, so a bad graph can never hang the run.
pub(crate) fn run(tasks: &[Task], settings: &Settings, events: &mut dyn Events) -> Vec<Finished> {
    let mut scheduler = Scheduler {
        tasks,
        settings,
        states: tasks.iter().map(|_| State::Waiting).collect(),
        results: tasks.iter().map(|_| None).collect(),
        sigchld: sigchld_fd(),
        child_stack: vec![0; CHILD_STACK_SIZE],
    };
    scheduler.run(events);
    scheduler
        .results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                let now = Stamp::now();
                Finished {
                    outcome: Outcome::SpawnFailed("not run".into()),
                    class: Class::Failed,
                    started: now,
                    ended: now,
                    output: Vec::new(),
                    killed: Vec::new(),
                }
            })
        })
        .collect()
}

/// Blocks SIGCHLD (`spawn` unblocks it in the scripts) and reads it from a signalfd.
fn sigchld_fd() -> Option<SignalFd> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGCHLD);
    set.thread_block().ok()?;
    SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok()
}

struct Scheduler<'a> {
    tasks: &'a [Task],
    settings: &'a Settings,
    states: Vec<State>,
    results: Vec<Option<Finished>>,
    /// `None` only if the signalfd cannot be made; then poll wakes every 20 ms.
    sigchld: Option<SignalFd>,
    /// Where each script's process runs until it execs (see [`spawn`]).
    child_stack: Vec<u8>,
}

impl Scheduler<'_> {
    fn is_done(&self, i: usize) -> bool {
        matches!(self.states.get(i), Some(State::Done))
    }

    fn running(&self) -> impl Iterator<Item = (usize, &Running)> {
        self.states.iter().enumerate().filter_map(|(i, s)| match s {
            State::Running(r) => Some((i, r.as_ref())),
            _ => None,
        })
    }

    fn ready(&self) -> Vec<usize> {
        let waiting: Vec<usize> = (0..self.tasks.len())
            .filter(|i| matches!(self.states[*i], State::Waiting))
            .collect();
        let ready: Vec<usize> = waiting
            .iter()
            .copied()
            .filter(|&i| {
                self.tasks[i]
                    .after
                    .iter()
                    .all(|&d| d == i || d >= self.tasks.len() || self.is_done(d))
            })
            .collect();
        // Defensive: with nothing running and nothing ready, the graph must
        // have a loop; release the first waiting task rather than hang.
        if ready.is_empty() && self.running().next().is_none() {
            if let Some(&first) = waiting.first() {
                log::debug!(
                    "{}: no script is ready and none runs (a dependency loop): starting it anyway",
                    self.tasks[first].name
                );
            }
            return waiting.into_iter().take(1).collect();
        }
        ready
    }

    fn run(&mut self, events: &mut dyn Events) {
        loop {
            self.launch(events);
            if self.states.iter().all(|s| matches!(s, State::Done)) {
                return;
            }
            self.wait_for_events(events);
            self.reap(events);
            self.enforce_deadlines(events);
        }
    }

    fn launch(&mut self, events: &mut dyn Events) {
        loop {
            let running = self.running().count();
            if self.running().any(|(i, _)| self.tasks[i].interactive) {
                return;
            }
            let ready = self.ready();
            let next = match ready.iter().find(|&&i| self.tasks[i].interactive) {
                // Interactive scripts run alone: let the others drain first.
                Some(&i) if running == 0 => i,
                Some(_) => return,
                None if running < self.settings.jobs.max(1) => match ready.first() {
                    Some(&i) => i,
                    None => return,
                },
                None => return,
            };
            self.start(next, events);
        }
    }

    fn start(&mut self, i: usize, events: &mut dyn Events) {
        let task = &self.tasks[i];
        let started = Stamp::now();
        let (attributes, reports) = self.apply_limits(task);
        match spawn(task, self.settings, attributes, &mut self.child_stack) {
            Ok(Spawned {
                pid,
                capture,
                exec_error,
            }) => {
                let deadline = if task.interactive {
                    None
                } else {
                    // A timeout too far away to represent is none.
                    task.hang_timeout
                        .or(self.settings.timeout)
                        .and_then(|t| Instant::now().checked_add(t))
                };
                log::debug!(
                    "started {} {} (pid {pid}, {} running, at most {}){}",
                    task.argv0,
                    task.action.as_str(),
                    self.running().count() + 1,
                    self.settings.jobs.max(1),
                    if task.interactive {
                        ": interactive, so alone and without a timeout"
                    } else {
                        ""
                    }
                );
                let mut output = Vec::new();
                for line in &reports {
                    events.output_line(task, line.as_bytes());
                    output.extend_from_slice(line.as_bytes());
                    output.push(b'\n');
                }
                self.states[i] = State::Running(Box::new(Running {
                    pid,
                    capture,
                    exec_error,
                    partial: Vec::new(),
                    output,
                    started,
                    deadline,
                    timed_out: false,
                    draining: None,
                    killed: Vec::new(),
                }));
            }
            Err(e) => {
                log::debug!("{} {}: cannot start: {e}", task.argv0, task.action.as_str());
                let outcome = Outcome::SpawnFailed(e.to_string());
                let result = Finished {
                    class: classify(&outcome, task.action),
                    outcome,
                    started,
                    ended: Stamp::now(),
                    output: Vec::new(),
                    killed: Vec::new(),
                };
                events.finished(task, &result);
                self.results[i] = Some(result);
                self.states[i] = State::Done;
            }
        }
    }

    /// Applies the limits of `task`'s service: its cgroup settings written,
    /// the attributes for its script; the lines saying what could not be
    /// set, for a `start` (a `stop` applies them without a word).
    fn apply_limits(&self, task: &Task) -> (Attributes, Vec<String>) {
        let Some(file) = &task.settings else {
            return (Attributes::default(), Vec::new());
        };
        let cgroup = match &task.cgroup {
            Some(leaf) => Cgroup::Leaf(leaf, &self.settings.controllers),
            None => Cgroup::Off("vinit's init has set up no cgroup tree"),
        };
        let (attributes, mut reports) = apply::apply(&file.path, &file.limits, cgroup, "");
        if task.action != Action::Start {
            return (attributes, Vec::new());
        }
        let mut lines = file.dropped_lines();
        lines.append(&mut reports);
        (attributes, lines)
    }

    fn wait_for_events(&mut self, events: &mut dyn Events) {
        let now = Instant::now();
        let nearest = self
            .running()
            .filter_map(|(_, r)| match &r.draining {
                Some(draining) => Some(draining.deadline),
                None => r.deadline,
            })
            .min();
        let mut timeout_ms: i64 = match nearest {
            Some(d) => {
                i64::try_from(d.saturating_duration_since(now).as_millis()).unwrap_or(i64::MAX) + 1
            }
            None => -1,
        };
        if self.sigchld.is_none() {
            timeout_ms = if timeout_ms < 0 {
                20
            } else {
                timeout_ms.min(20)
            };
        }
        let timeout =
            PollTimeout::try_from(timeout_ms.min(i64::from(i32::MAX))).unwrap_or(PollTimeout::NONE);

        let readable: Vec<usize> = {
            let captures: Vec<(usize, &File)> = self
                .states
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s {
                    State::Running(r) => r.capture.as_ref().map(|c| (i, c)),
                    _ => None,
                })
                .collect();
            let mut fds: Vec<PollFd> = captures
                .iter()
                .map(|(_, c)| PollFd::new(c.as_fd(), PollFlags::POLLIN))
                .collect();
            // A draining stop's cgroup.events: it changes when its last
            // process goes (checked after the poll, whatever woke it).
            for state in &self.states {
                if let State::Running(r) = state
                    && let Some(draining) = &r.draining
                {
                    fds.push(PollFd::new(draining.events.as_fd(), PollFlags::POLLPRI));
                }
            }
            if let Some(sfd) = &self.sigchld {
                fds.push(PollFd::new(sfd.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, timeout) {
                Ok(_) => captures
                    .iter()
                    .zip(&fds)
                    .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
                    .map(|((i, _), _)| *i)
                    .collect(),
                Err(_) => Vec::new(), // EINTR: go round again
            }
        };
        for i in readable {
            self.read_output(i, events);
        }
        self.finish_drained(events);
        if let Some(sfd) = &self.sigchld {
            while let Ok(Some(_)) = sfd.read_signal() {}
        }
    }

    /// Reads what is available from task `i`'s output, passing on whole lines.
    fn read_output(&mut self, i: usize, events: &mut dyn Events) {
        let task = &self.tasks[i];
        let State::Running(r) = &mut self.states[i] else {
            return;
        };
        let mut buf = [0u8; 8192];
        while let Some(capture) = r.capture.as_mut() {
            match capture.read(&mut buf) {
                Ok(0) => r.capture = None,
                Ok(n) => {
                    r.partial.extend_from_slice(&buf[..n]);
                    while let Some(pos) = r.partial.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = r.partial.drain(..=pos).collect();
                        events.output_line(task, &line[..line.len() - 1]);
                        r.output.extend_from_slice(&line);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // EIO: a pty master whose last slave is closed, i.e. the end.
                Err(_) => r.capture = None,
            }
        }
    }

    fn reap(&mut self, events: &mut dyn Events) {
        loop {
            let status = match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                Err(Errno::EINTR) => continue,
                Err(_) => return,
                Ok(s) => s,
            };
            let (pid, outcome) = match status {
                WaitStatus::Exited(pid, code) => (pid, Outcome::Exited(code)),
                WaitStatus::Signaled(pid, sig, _) => (pid, Outcome::Signaled(sig as i32)),
                _ => continue,
            };
            let Some(i) = self
                .running()
                .find(|(_, r)| r.pid == pid && r.draining.is_none())
                .map(|(i, _)| i)
            else {
                continue; // not ours (cannot happen: rc's children are its scripts)
            };
            self.ended(i, outcome, events);
        }
    }

    /// Task `i`'s script ended: finished, unless it was a `stop` whose
    /// service left processes, which get SIGTERM first.
    fn ended(&mut self, i: usize, outcome: Outcome, events: &mut dyn Events) {
        let task = &self.tasks[i];
        // A stop killed at its timeout was killed with its cgroup already.
        let killed = matches!(&self.states[i], State::Running(r) if r.timed_out);
        let (Some(leaf), Some(timeout), false) = (&task.cgroup, task.leftovers_timeout, killed)
        else {
            return self.finish(i, outcome, events);
        };
        let events_file = untrusted::open(&leaf.events_path(), untrusted::Kind::Kernel);
        let left = leaf.signal(Signal::SIGTERM);
        let (Ok(opened), false) = (events_file, left.is_empty()) else {
            return self.finish(i, outcome, events);
        };
        self.read_output(i, events);
        for pid in &left {
            let line = format!(
                "left behind: {}: SIGTERM",
                crate::procfs::describe(*pid, false)
            );
            events.output_line(task, line.as_bytes());
            if let State::Running(r) = &mut self.states[i] {
                r.output.extend_from_slice(line.as_bytes());
                r.output.push(b'\n');
            }
        }
        if let State::Running(r) = &mut self.states[i] {
            r.draining = Some(Draining {
                outcome,
                events: opened.file,
                deadline: Instant::now() + timeout,
                killed: false,
            });
        }
        self.finish_drained(events);
    }

    /// Finishes the draining stops whose cgroups are empty now.
    fn finish_drained(&mut self, events: &mut dyn Events) {
        let drained: Vec<usize> = self
            .running()
            .filter(|(i, r)| {
                r.draining.is_some()
                    && self.tasks[*i]
                        .cgroup
                        .as_ref()
                        .is_none_or(|leaf| leaf.populated() != Some(true))
            })
            .map(|(i, _)| i)
            .collect();
        for i in drained {
            if let State::Running(r) = &mut self.states[i]
                && let Some(draining) = r.draining.take()
            {
                self.finish(i, draining.outcome, events);
            }
        }
    }

    fn finish(&mut self, i: usize, outcome: Outcome, events: &mut dyn Events) {
        // Take what the script wrote before it exited; whatever a daemon it
        // left behind writes later is not waited for (dropping the capture
        // closes it: such writes then fail with EIO on a pty).
        self.read_output(i, events);
        let task = &self.tasks[i];
        let State::Running(mut r) = std::mem::replace(&mut self.states[i], State::Done) else {
            return;
        };
        if !r.partial.is_empty() {
            events.output_line(task, &r.partial);
            r.partial.push(b'\n');
            r.output.append(&mut r.partial);
        }
        let mut errno = [0u8; 4];
        let outcome = if r.timed_out {
            Outcome::TimedOut
        } else if r.exec_error.read_exact(&mut errno).is_ok() {
            let error = std::io::Error::from_raw_os_error(i32::from_ne_bytes(errno));
            Outcome::SpawnFailed(error.to_string())
        } else {
            outcome
        };
        let result = Finished {
            class: classify(&outcome, task.action),
            outcome,
            started: r.started,
            ended: Stamp::now(),
            output: std::mem::take(&mut r.output),
            killed: std::mem::take(&mut r.killed),
        };
        log::debug!(
            "{} {} (pid {}): {} ({}), after {:.3} s",
            task.name,
            task.action.as_str(),
            r.pid,
            describe(&result.outcome, task.hang_timeout.or(self.settings.timeout)),
            result.class.as_str(),
            result
                .ended
                .monotonic_ns
                .saturating_sub(result.started.monotonic_ns) as f64
                / 1e9
        );
        events.finished(task, &result);
        self.results[i] = Some(result);
    }

    fn enforce_deadlines(&mut self, events: &mut dyn Events) {
        let now = Instant::now();
        for i in 0..self.tasks.len() {
            let task = &self.tasks[i];
            let State::Running(r) = &mut self.states[i] else {
                continue;
            };
            match &mut r.draining {
                Some(draining) if draining.deadline <= now && !draining.killed => {
                    // Leftovers past the stop timeout: SIGKILL, each named.
                    let left = task
                        .cgroup
                        .as_ref()
                        .map(Leaf::processes)
                        .unwrap_or_default();
                    let named: Vec<String> = left
                        .iter()
                        .map(|&pid| crate::procfs::describe(pid, true))
                        .collect();
                    if let Some(leaf) = &task.cgroup {
                        leaf.kill_all();
                    }
                    draining.killed = true;
                    draining.deadline = now + cgroup::AFTER_KILL;
                    for described in &named {
                        let line =
                            format!("left behind after the stop timeout: {described}: SIGKILL");
                        events.output_line(task, line.as_bytes());
                        r.output.extend_from_slice(line.as_bytes());
                        r.output.push(b'\n');
                    }
                    r.killed.extend(named);
                }
                Some(draining) if draining.deadline <= now => {
                    log::debug!(
                        "{}: processes still there after SIGKILL; going on",
                        task.name
                    );
                    if let Some(draining) = r.draining.take() {
                        self.finish(i, draining.outcome, events);
                    }
                }
                Some(_) => {}
                None if !r.timed_out && r.deadline.is_some_and(|d| d <= now) => {
                    r.timed_out = true;
                    match &task.cgroup {
                        Some(leaf) if task.hang_timeout.is_some() => {
                            // A hung stop on the way down: its whole service goes.
                            let named: Vec<String> = leaf
                                .processes()
                                .iter()
                                .map(|&pid| crate::procfs::describe(pid, true))
                                .collect();
                            log::debug!(
                                "{} {}: still running at its stop timeout: killing its cgroup",
                                task.name,
                                task.action.as_str()
                            );
                            let line = format!(
                                "still running at the stop timeout, killed with its processes: {}",
                                named.join(", ")
                            );
                            events.output_line(task, line.as_bytes());
                            r.output.extend_from_slice(line.as_bytes());
                            r.output.push(b'\n');
                            r.killed.extend(named);
                            leaf.kill_all();
                        }
                        _ => log::debug!(
                            "{} {}: still running at its timeout: SIGKILL to its process group {}",
                            task.name,
                            task.action.as_str(),
                            r.pid
                        ),
                    }
                    // The group may already be gone; the reap reports the exit.
                    let _ = killpg(r.pid, Signal::SIGKILL);
                }
                None => {}
            }
        }
    }
}

/// A started script: its process, the read end of its output, and the
/// pipe on which the child reports a failed `exec` (end of file once the
/// exec succeeded, as the pipe is close-on-exec).
struct Spawned {
    pid: Pid,
    capture: Option<File>,
    exec_error: File,
}

/// Starts one script: `program action` with `argv[0]` = the link, the given
/// environment only, in `/`, default signal dispositions and an empty
/// mask, in its service's cgroup with its limits' `attributes`, stdin from
/// /dev/null and stdout+stderr on a pty of its own, in a process group of
/// its own (interactive scripts keep rc's stdio and process group).
///
/// rc starts it itself rather than through `Command`, which waits for each
/// child's `exec` to finish: not waiting lets the next script start while
/// the last one's shell is still loading (as startpar does). The child
/// shares rc's memory until it execs, on `stack`, as posix_spawn's does
/// (`Child::spawn_sharing_memory`): a `fork` copied rc's page tables and
/// left both processes copy-on-write faults, for every script. Where the
/// kernel can, a script with a cgroup is started right in it instead
/// (`clone3` with `CLONE_INTO_CGROUP`): moving it there through
/// `cgroup.procs` held rc 10-15 ms for many scripts at boot, waiting for
/// the cgroup lock's RCU grace period.
fn spawn(
    task: &Task,
    settings: &Settings,
    attributes: Attributes,
    stack: &mut [u8],
) -> std::io::Result<Spawned> {
    let env: Vec<String> = settings
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let argv = [task.argv0.as_bytes(), task.action.as_str().as_bytes()];
    // A cgroup that cannot be had leaves the script where rc is, untracked.
    let cgroup = task.cgroup.as_ref().and_then(|leaf| leaf.directory().ok());
    let mut child = Child::new(task.program.as_os_str().as_bytes(), &argv, &env)?
        .directory(b"/")?
        .cgroup(cgroup)
        .attributes(attributes)
        .report_exec_error();
    let mut capture = None;
    if !task.interactive {
        let (reader, writer) = output_channel()?;
        fcntl(reader.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        let null = OwnedFd::from(untrusted::open_device(
            Path::new("/dev/null"),
            Access::Read,
        )?);
        let output = writer.try_clone()?;
        child = child
            .session(Session::OwnGroup)
            .stdio(0, null)
            .stdio(1, writer)
            .stdio(2, output);
        capture = Some(File::from(reader));
    }
    let spawned = child.spawn_sharing_memory(stack)?;
    Ok(Spawned {
        pid: spawned.pid,
        capture,
        exec_error: spawned
            .exec_error
            .ok_or_else(|| std::io::Error::from(ErrorKind::BrokenPipe))?,
    })
}

/// A pty (with the console's window size when rc's output is a terminal),
/// or a pipe when no pty can be had, as startpar falls back: `(read, write)`.
fn output_channel() -> std::io::Result<(OwnedFd, OwnedFd)> {
    match open_capture_pty(Some(std::io::stdout().as_fd())) {
        Ok(pty) => Ok((pty.master, pty.slave)),
        Err(_) => {
            let (reader, writer) = std::io::pipe()?;
            Ok((reader.into(), writer.into()))
        }
    }
}

/// Describes an outcome for people: "exit status 1", "timed out after 300 s"…
pub(crate) fn describe(outcome: &Outcome, timeout: Option<Duration>) -> String {
    match outcome {
        Outcome::Exited(code) => format!("exit status {code}"),
        Outcome::Signaled(sig) => format!(
            "killed by signal {sig} ({})",
            Signal::try_from(*sig).map(|s| s.as_str()).unwrap_or("?")
        ),
        Outcome::TimedOut => match timeout {
            Some(t) => format!("timed out after {} s", t.as_secs()),
            None => "timed out".to_string(),
        },
        Outcome::SpawnFailed(e) => format!("cannot execute: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_startpar() {
        use Action::*;
        let c = |code, action| classify(&Outcome::Exited(code), action);
        assert_eq!(c(0, Start), Class::Ok);
        for code in 1..=4 {
            assert_eq!(c(code, Start), Class::Failed);
            assert_eq!(c(code, Stop), Class::Failed);
        }
        assert_eq!(c(5, Start), Class::NotInstalled);
        assert_eq!(c(6, Stop), Class::NotConfigured);
        assert_eq!(c(7, Start), Class::Failed);
        assert_eq!(c(7, Stop), Class::Ok);
        assert_eq!(classify(&Outcome::TimedOut, Start), Class::TimedOut);
        assert_eq!(classify(&Outcome::Signaled(9), Stop), Class::Failed);
        assert!(!Class::NotInstalled.is_failure() && Class::TimedOut.is_failure());
    }
}
