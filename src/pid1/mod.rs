//! PID 1 mechanism: the signalfd + poll event loop, spawning, the FIFO, the console.
//!
//! Single-threaded and event-driven. Every signal init handles is blocked
//! and read from a signalfd (nothing is ever set to `SIG_IGN`: that would
//! survive `exec` into children; signals sysvinit ignores, such as SIGTERM,
//! are read and dropped). `poll` waits on the signalfd and `/run/initctl`,
//! with a timeout only when the policy ([`crate::supervisor`]) has a
//! deadline (a kill grace period, a disabled respawn entry): an idle init
//! sleeps until something happens.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

pub mod cmdline;
pub(crate) mod console;
mod fifo;
pub(crate) mod power;
mod services;
mod spawn;
pub(crate) mod state;
mod status;
mod system;

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::time::{ClockId, clock_gettime};
use nix::unistd::chdir;

use crate::initctl::FIFO_PATH;
use crate::inittab::Grammar;
use crate::report_limit::ReportLimit;
use crate::supervisor::{DownMode, Effects, Event, Supervisor, join_var, split_var, var_name};
use crate::sys::process::reset_signal_dispositions;
use crate::utmp::Recorder;
use console::{Console, to};
use fifo::{FIFO_FD, Fifo, Received, Watch, bogus_report};
use power::read_powerstatus;
use status::StatusWriter;
use system::System;

/// The monotonic clock (it keeps counting across a re-exec).
fn now() -> Duration {
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(Duration::ZERO, Duration::from)
}

/// Runs init as PID 1 (or with `--init`). Never returns.
pub(crate) fn main(args: Vec<std::ffi::OsString>) -> i32 {
    let init_args = cmdline::parse_init_args(args.get(1..).unwrap_or_default());
    reset_signal_dispositions();
    let signals = block_signals();
    let inherited = state::read_inherited_state();
    let console = Console::select();
    console::install_logger(console.clone());
    let mut system = System {
        console,
        recorder: Recorder::default(),
        base_env: std::env::vars_os()
            .map(|(name, value)| join_var(&name, &value))
            .collect(),
        fifo: Fifo::new(Path::new(FIFO_PATH), Some(FIFO_FD)),
        spawned: false,
    };
    let last_recovery = take_recovery_mark(&mut system.base_env);
    install_panic_hook();
    let _ = chdir("/");
    let restored = inherited.is_some();
    let mut pending_signals = 0;
    let supervisor = match inherited {
        Some(result) => {
            let state = result.unwrap_or_else(|error| {
                log::info!(
                    target: to::CONSOLE,
                    "re-exec state damaged at line {}: {}",
                    error.line,
                    error.reason
                );
                *error.partial
            });
            pending_signals = state.pending_signals;
            system.reload(&state)
        }
        None => system.boot(&init_args),
    };
    let supervision =
        services::Supervision::start(restored, supervisor.runlevel(), &mut system, now());
    let mut init = Init {
        supervisor,
        system,
        signals,
        watch: Watch::new(Path::new(FIFO_PATH)),
        status: StatusWriter::new(),
        supervision,
        bogus: bogus_report(),
        fifo_ready: false,
    };
    // Open /run/initctl before the first entry starts, so that a `telinit`
    // from a boot script, or right after "Entering runlevel", finds it.
    // (A /run mounted later is noticed by `watch`, and the FIFO recreated.)
    if let Some(message) = init.system.fifo.ensure_open() {
        log::info!(target: to::BOTH, "{message}");
    }
    let start = catch_unwind(AssertUnwindSafe(|| {
        if restored {
            init.supervisor.resume(&mut init.system, now());
            // Signals the old init had received but not handled yet
            // (sysvinit's bitmask: bit N = signal N).
            let pending: Vec<i32> = (1..32)
                .filter(|signal| pending_signals & (1u32 << signal) != 0)
                .collect();
            init.handle_signals(&pending);
        } else {
            init.supervisor.boot(&mut init.system, now());
        }
    }));
    if start.is_err() {
        init.recover(last_recovery);
    }
    loop {
        let pass = catch_unwind(AssertUnwindSafe(|| init.pass()));
        if pass.is_err() {
            // The panic hook has logged it.
            init.recover(last_recovery);
        }
    }
}

/// Set in the environment of a re-exec done to recover from an internal
/// error: the monotonic second it happened, so that a new image that fails
/// the same way soon after does not re-exec in a loop.
const RECOVERY_MARK: &str = "VINIT_PANIC_REEXEC";
/// A second recovery re-exec within this many seconds is not attempted.
const RECOVERY_INTERVAL_SECS: u64 = 60;

/// Removes the recovery mark from init's environment (children must not
/// see it) and returns its time.
fn take_recovery_mark(env: &mut Vec<OsString>) -> Option<u64> {
    let mark = env
        .iter()
        .find_map(|var| split_var(var).filter(|(name, _)| *name == RECOVERY_MARK.as_bytes()))
        .and_then(|(_, secs)| std::str::from_utf8(secs).ok()?.parse().ok());
    env.retain(|var| var_name(var) != RECOVERY_MARK.as_bytes());
    mark
}

/// Whether to re-exec after an internal error, given the last recovery.
fn may_recover(last_recovery: Option<u64>, now_secs: u64) -> bool {
    last_recovery.is_none_or(|last| now_secs >= last.saturating_add(RECOVERY_INTERVAL_SECS))
}

/// Logs panics on the console (PID 1's stderr is /dev/null).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        log::error!(target: to::BOTH, "PANIC: {info}");
    }));
}

/// Blocks every signal except the synchronous fault signals and returns a
/// signalfd reading them. `None` only if the kernel refuses a signalfd;
/// init then polls for children once a second.
fn block_signals() -> Option<SignalFd> {
    let mut mask = SigSet::all();
    for fault in [
        Signal::SIGSEGV,
        Signal::SIGBUS,
        Signal::SIGFPE,
        Signal::SIGILL,
        Signal::SIGTRAP,
        Signal::SIGABRT,
        Signal::SIGSYS,
    ] {
        mask.remove(fault);
    }
    // SETMASK, not BLOCK: an init we replaced (sysvinit blocks everything
    // before re-executing) must not leave the fault signals blocked.
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None);
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok()
}

struct Init {
    supervisor: Supervisor,
    system: System,
    signals: Option<SignalFd>,
    /// Wakes us when the FIFO is removed, replaced or hidden by a mount.
    watch: Watch,
    /// `/run/vinit/status`, for `vinit status` and `telinit --wait`.
    status: StatusWriter,
    /// Supervised services (`/etc/vinit/supervise.d`).
    supervision: services::Supervision,
    bogus: ReportLimit,
    /// The last poll found something to read in the FIFO.
    fifo_ready: bool,
}

/// At most this many things are read from the FIFO in one pass, so that a
/// flood of it cannot keep init from reaping and handling signals.
const FIFO_READS_PER_PASS: usize = 256;

impl Init {
    /// After a panic in a pass: re-execute `/sbin/init` with the current
    /// state (a fresh image, the children kept), unless that was already
    /// tried in the last minute; if the re-exec is not possible, go on with
    /// the state as it is. PID 1 never exits.
    fn recover(&mut self, last_recovery: Option<u64>) {
        let now_secs = now().as_secs();
        // The boot phases (`#`, `*`) are not in the state text's vocabulary
        // of a running system: only recover by re-exec in a real level.
        if self.supervisor.in_a_level() && may_recover(last_recovery, now_secs) {
            log::error!(
                target: to::BOTH,
                "internal error: re-executing /sbin/init with the current state"
            );
            // Returns only if the re-exec failed (or panicked).
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let state = self.supervisor.snapshot();
                let mut env = self.supervisor.extra_env().vars().to_vec();
                env.push(format!("{RECOVERY_MARK}={now_secs}").into());
                self.system.reexec(&state, &env);
            }));
        }
        log::error!(
            target: to::BOTH,
            "internal error: continuing with the current state"
        );
    }

    /// One turn of the event loop.
    fn pass(&mut self) {
        self.supervision.begin_pass();
        let accepting = self.supervisor.accepts_requests();
        if accepting && let Some(message) = self.system.fifo.ensure_open() {
            log::info!(target: to::BOTH, "{message}");
        }
        // What the last pass (or the boot) changed, or a failed write due
        // again, before sleeping.
        self.status.update(&self.supervisor, now());
        // Passes that start processes (the boot, a level change, a respawn)
        // free what they built: give the heap's free pages back, so that
        // an idle init keeps only what it uses.
        if std::mem::take(&mut self.system.spawned) {
            crate::sys::release_free_memory();
        }
        self.wait(accepting);
        let signals = self.read_signals();
        self.handle_signals(&signals);
        self.read_requests();
        if let Some(message) = self.bogus.flush(now()) {
            log::info!(target: to::BOTH, "{message}");
        }
        self.supervisor.tick(&mut self.system, now());
        self.observe_level();
        self.supervision.tick(&mut self.system, now());
    }

    /// Handles what the FIFO holds, one request at a time: a request that
    /// re-executes init leaves those behind it in the FIFO for the new
    /// image, and one that stops the supervisor (a level change's kill
    /// rounds, SIGTSTP) leaves them there until it accepts requests again.
    fn read_requests(&mut self) {
        // Nothing came (poll said so): no read that would only say EAGAIN.
        if !std::mem::take(&mut self.fifo_ready) {
            return;
        }
        for _ in 0..FIFO_READS_PER_PASS {
            if !self.supervisor.accepts_requests() {
                break;
            }
            let Some(received) = self.system.fifo.read_one() else {
                break;
            };
            self.received(received);
        }
    }

    /// Sleeps until a signal, a request or the policy's next deadline.
    fn wait(&mut self, accepting: bool) {
        let deadline = [
            self.supervisor.next_deadline(),
            self.supervision.next_deadline(),
            self.bogus.deadline(),
            self.status.retry_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        let timeout = match (deadline, &self.signals) {
            (Some(deadline), _) => {
                let left = deadline.saturating_sub(now());
                // Round up, so the deadline has passed when we wake.
                let millis = left.as_micros().div_ceil(1000);
                PollTimeout::try_from(millis.min(i32::MAX as u128) as i32)
                    .unwrap_or(PollTimeout::MAX)
            }
            (None, Some(_)) => PollTimeout::NONE,
            (None, None) => PollTimeout::from(1000u16),
        };
        let mut fds = Vec::with_capacity(6);
        if let Some(signals) = &self.signals {
            fds.push(PollFd::new(signals.as_fd(), PollFlags::POLLIN));
        }
        let fifo_at = match self.system.fifo.fd() {
            Some(fd) if accepting => {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
                Some(fds.len() - 1)
            }
            _ => None,
        };
        // A supervised service's file changed: read at the pass's tick.
        if let Some(fd) = self.supervision.fd() {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        let watched = fds.len();
        for (fd, events) in self.watch.poll_fds() {
            fds.push(PollFd::new(fd, events));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            // Cannot happen with valid descriptors; do not spin if it does.
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
        let has =
            |fd: &PollFd, events: PollFlags| fd.revents().is_some_and(|got| got.intersects(events));
        let watch_fds = fds.get(watched..).unwrap_or_default();
        let mounts_changed = watch_fds
            .iter()
            .any(|fd| has(fd, PollFlags::POLLPRI | PollFlags::POLLERR));
        let watch_events = watch_fds.iter().any(|fd| has(fd, PollFlags::POLLIN));
        // A FIFO that was not polled (init does not accept requests, or it
        // has none open) is read when it is: `read_requests` stops at once.
        self.fifo_ready = fifo_at.and_then(|at| fds.get(at)).is_some_and(|fd| {
            has(
                fd,
                PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR,
            )
        });
        drop(fds);
        let mounts_changed = self.watch.mounts_appeared() || mounts_changed;
        self.watch.consume(watch_events, mounts_changed);
        if mounts_changed {
            self.supervision.remounted(&mut self.system, now());
            self.status.mounts_changed();
        }
    }

    fn read_signals(&mut self) -> Vec<i32> {
        let mut received = Vec::new();
        let Some(signals) = self.signals.as_mut() else {
            return received;
        };
        while let Ok(Some(info)) = signals.read_signal() {
            let signo = i32::try_from(info.ssi_signo).unwrap_or(0);
            if !received.contains(&signo) {
                received.push(signo);
            }
        }
        received
    }

    /// In sysvinit's order: PWR, INT, WINCH, CHLD (and reaping on every
    /// pass), HUP, USR1/USR2; then TSTP/CONT and the container stop
    /// signals: SIGRTMIN+3/+4, and SIGTERM when init is PID 1 of a
    /// container (see [`in_a_container`]). Everything else (SIGTERM on the
    /// host, QUIT, ALRM, …) is dropped. A BusyBox inittab's signals are
    /// BusyBox's ([`Init::handle_busybox_signals`]).
    fn handle_signals(&mut self, signals: &[i32]) {
        if self.supervisor.grammar() == Grammar::BusyBox {
            self.handle_busybox_signals(signals);
            return;
        }
        let has = |signal: Signal| signals.contains(&(signal as i32));
        if has(Signal::SIGPWR) {
            let status = read_powerstatus();
            if let Some(warning) = &status.warning {
                log::info!(target: to::BOTH, "{warning}");
            }
            self.event(Event::Power(status.event));
        }
        if has(Signal::SIGINT) {
            self.event(Event::CtrlAltDel);
        }
        if has(Signal::SIGWINCH) {
            self.event(Event::KbRequest);
        }
        self.reap();
        if has(Signal::SIGHUP) {
            self.event(Event::Reload);
        }
        if has(Signal::SIGUSR1) {
            self.system.fifo.reopen();
        }
        if has(Signal::SIGUSR2) {
            self.system.fifo.close();
        }
        for &signal in signals {
            if signal == Signal::SIGTSTP as i32 {
                self.event(Event::Stop);
            } else if signal == Signal::SIGCONT as i32 {
                self.event(Event::Continue);
            } else if CONTAINER_STOP_SIGNALS.contains(&signal)
                || (signal == Signal::SIGTERM as i32 && in_a_container())
            {
                self.event(Event::PowerOff);
            } else if signal == libc::SIGRTMIN() + crate::services::RELOAD_SIGNAL_OFFSET {
                self.supervision.reload(&mut self.system, now());
            }
        }
    }

    /// BusyBox's meanings (docs/compatibility.md §11.4), CHLD first and the
    /// rest in BusyBox's order (by number): HUP re-reads, INT runs the
    /// `ctrlaltdel` entries, QUIT the `restart` entry, USR1 and PWR halt,
    /// USR2 powers off, TERM reboots; TSTP/CONT as ever; a container
    /// manager's SIGRTMIN+3/+4 power off. Everything else is dropped.
    fn handle_busybox_signals(&mut self, signals: &[i32]) {
        self.reap();
        let mut sorted = signals.to_vec();
        sorted.sort_unstable();
        for signal in sorted {
            let event = match Signal::try_from(signal) {
                Ok(Signal::SIGHUP) => Event::Reload,
                Ok(Signal::SIGINT) => Event::CtrlAltDel,
                Ok(Signal::SIGQUIT) => Event::Restart,
                Ok(Signal::SIGUSR1 | Signal::SIGPWR) => Event::Down(DownMode::Halt),
                Ok(Signal::SIGUSR2) => Event::Down(DownMode::PowerOff),
                Ok(Signal::SIGTERM) => Event::Down(DownMode::Reboot),
                Ok(Signal::SIGTSTP) => Event::Stop,
                Ok(Signal::SIGCONT) => Event::Continue,
                _ if CONTAINER_STOP_SIGNALS.contains(&signal) => Event::Down(DownMode::PowerOff),
                _ if signal == libc::SIGRTMIN() + crate::services::RELOAD_SIGNAL_OFFSET => {
                    self.supervision.reload(&mut self.system, now());
                    continue;
                }
                _ => continue,
            };
            self.event(event);
        }
    }

    fn event(&mut self, event: Event) {
        self.supervisor.handle(event, &mut self.system, now());
        self.observe_level();
    }

    /// Tells supervision when a level change has begun: its rc is forked
    /// but cannot have stopped anything yet (deaths are reaped later).
    fn observe_level(&mut self) {
        self.supervision
            .observe_level(self.supervisor.runlevel(), &mut self.system, now());
    }

    /// Reaps every child that has exited, known or orphaned, so no zombie
    /// outlives a pass. While services are supervised, each is looked at
    /// first and reaped after: while its zombie stands, its PID (and the
    /// process group it may lead) cannot be anyone else's, so supervision
    /// can check that it was a service's daemon and signal what is left of
    /// its group. Without, one wait reaps it (an orphan storm costs half
    /// the system calls).
    fn reap(&mut self) {
        loop {
            // One wait reaps, unless supervision reads the zombie first.
            let keep_zombie = self.supervision.reads_zombies();
            let mut flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG;
            if keep_zombie {
                flags |= WaitPidFlag::WNOWAIT;
            }
            match waitid(Id::All, flags) {
                Ok(WaitStatus::StillAlive) => break,
                Ok(status) => {
                    let Some(pid) = status.pid() else {
                        break;
                    };
                    let raw = raw_wait_status(status);
                    self.supervisor
                        .child_exited(pid.as_raw(), raw, &mut self.system, now());
                    self.observe_level();
                    self.supervision
                        .reaped(pid.as_raw(), raw, &mut self.system, now());
                    if !keep_zombie {
                        continue;
                    }
                    // Never look at the same zombie twice: if it cannot be
                    // reaped (it cannot happen), stop for this pass.
                    let reaped = loop {
                        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                            Err(Errno::EINTR) => {}
                            result => break result.is_ok(),
                        }
                    };
                    if !reaped {
                        break;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
    }

    fn received(&mut self, received: Received) {
        match received {
            Received::Request(request) => {
                #[cfg(feature = "fault-injection")]
                inject_fault(&request);
                // sysvinit looks for the console again on every request.
                let console = Console::select();
                console::set_logger_console(console.clone());
                self.system.console = console;
                self.event(Event::Request(request));
            }
            Received::Junk(bytes) => {
                if let Some(message) = self.bogus.occurred(bytes, now()) {
                    log::info!(target: to::BOTH, "{message}");
                }
            }
            Received::ReadError => log::info!(target: to::BOTH, "error reading initrequest"),
        }
    }
}

/// SIGRTMIN+3 and SIGRTMIN+4 as container managers send them: programs
/// linked with glibc, whose SIGRTMIN is 34 (musl's, in the small build, is
/// 35, which would make them other signals).
const CONTAINER_STOP_SIGNALS: [i32; 2] = [34 + 3, 34 + 4];

/// Whether init is PID 1 of a PID namespace other than the host's (a
/// container). There `docker stop` and other managers send SIGTERM and
/// expect it to stop the container, which sysvinit ignores (so the manager
/// kills it after a grace period). Looked at when SIGTERM comes, not at
/// start: the host's `/proc` may be mounted only by a boot script. Without
/// `/proc`, the answer is no, and SIGTERM is ignored as sysvinit does.
fn in_a_container() -> bool {
    nix::unistd::getpid().as_raw() == 1 && crate::container::in_child_pid_namespace() == Some(true)
}

/// Test builds only (the `fault-injection` feature): an initctl request
/// whose command is [`crate::initctl::CMD_FAULT`] makes the main loop panic,
/// so the tests can see init recover. If its runlevel field holds a PID,
/// that process is killed first and left unreaped, so that it exits during
/// the recovery's re-exec.
#[cfg(feature = "fault-injection")]
#[allow(
    clippy::panic,
    reason = "test builds only: the panic is what the recovery tests need"
)]
fn inject_fault(request: &crate::initctl::Request) {
    use nix::unistd::Pid;
    if request.cmd != crate::initctl::CMD_FAULT {
        return;
    }
    if request.runlevel > 1 {
        let pid = Pid::from_raw(request.runlevel);
        if nix::sys::signal::kill(pid, Signal::SIGKILL).is_ok() {
            let _ = waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT);
        }
    }
    panic!("fault injection: initctl request {:#x}", request.cmd);
}

/// The C `wait` status word for a reaped child.
fn raw_wait_status(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(_, code) => (code & 0xff) << 8,
        WaitStatus::Signaled(_, signal, core) => signal as i32 | if core { 0x80 } else { 0 },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_mark_is_taken_out_of_the_environment() {
        let mut env: Vec<OsString> = ["HOME=/", "VINIT_PANIC_REEXEC=1234", "TERM=linux"]
            .map(OsString::from)
            .to_vec();
        assert_eq!(take_recovery_mark(&mut env), Some(1234));
        assert_eq!(env, ["HOME=/", "TERM=linux"]);
        assert_eq!(take_recovery_mark(&mut env), None);
    }

    #[test]
    #[cfg(target_env = "gnu")]
    fn container_stop_signals_are_glibcs_sigrtmin_plus_3_and_4() {
        assert_eq!(
            CONTAINER_STOP_SIGNALS,
            [libc::SIGRTMIN() + 3, libc::SIGRTMIN() + 4]
        );
    }

    #[test]
    fn a_process_that_is_not_pid_1_is_no_containers_init() {
        assert!(!in_a_container());
    }

    #[test]
    fn recovery_reexec_at_most_once_a_minute() {
        assert!(may_recover(None, 5));
        assert!(!may_recover(Some(100), 100));
        assert!(!may_recover(Some(100), 159));
        assert!(may_recover(Some(100), 160));
        assert!(!may_recover(Some(u64::MAX), 0));
    }
}
