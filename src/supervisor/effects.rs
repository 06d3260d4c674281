//! The seam between policy and mechanism: what the supervisor asks the
//! outside world to do. PID 1's event loop implements [`Effects`] with real
//! processes, the unit tests with a recorder. The supervisor depends on
//! nothing of the mechanism: only on `inittab`, `initctl` and plain data
//! (`defaults`, `reexec_state`, `status`).

use std::ffi::OsString;

use nix::sys::signal::Signal;

use super::{ChildLevels, DownMode, ExtraEnv};
use crate::inittab::{Entry, Loaded};
use crate::reexec_state::SavedState;
use crate::runlevel::{Phase, Runlevel};

/// What the supervisor asks the outside world to do.
pub(crate) trait Effects {
    /// Reads `/etc/inittab` and `/etc/inittab.d` (see [`inittab::load`]).
    fn load_inittab(&mut self) -> Loaded;
    /// Forks and execs an entry; the child's PID, or `None` if `fork`
    /// failed (the supervisor retries later).
    fn spawn(&mut self, request: &SpawnRequest<'_>) -> Option<i32>;
    /// `kill(-pid, signal)`: the entry's whole process group.
    fn kill_group(&mut self, pid: i32, signal: Signal);
    fn log(&mut self, dest: Dest, message: &str);
    fn record(&mut self, record: Record);
    /// The process title (`init boot`, `init [2]`).
    fn set_title(&mut self, title: &str);
    /// `/var/run/runlevel` (docs/compatibility.md §5.4).
    fn write_runlevel_file(&mut self, level: Phase);
    /// Resets the console's terminal settings (docs/compatibility.md §1.10).
    fn console_stty(&mut self);
    /// Prompts `Enter runlevel: ` on the console until a valid level is
    /// typed (`S` if there is no console).
    fn ask_runlevel(&mut self) -> Runlevel;
    /// The configuration was read and replaced: memory freed by the old
    /// one may go back to the system.
    fn release_memory(&mut self);
    /// Re-executes `/sbin/init`, handing over `state` and the `INIT_*`
    /// variables (`NAME=VALUE`, any bytes). Returns only if that failed.
    fn reexec(&mut self, state: &SavedState, extra_env: &[OsString]);
    /// The end of a BusyBox system's way down (docs/compatibility.md
    /// §11.4), its `shutdown` entries done: every other process gets TERM,
    /// then KILL, the file systems are synced (and unmounted or made
    /// read-only), and `reboot(2)` does what `mode` asks.
    fn bring_down(&mut self, mode: DownMode);
    /// Whether BusyBox's `restart` entry would only execute this init
    /// again (`/sbin/init`, which is this program): then the re-exec
    /// hands the running system over instead.
    fn restart_is_reexec(&mut self, entry: &Entry) -> bool;
    /// BusyBox's restart, its `shutdown` entries done: every other process
    /// gets TERM, then KILL, and `entry`'s command is executed in init's
    /// place on the entry's tty. Returns only if that failed.
    fn restart(&mut self, entry: &Entry);
}

/// A utmp/wtmp record to write (docs/compatibility.md §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// BOOT_TIME, at the end of sysinit.
    Boot,
    /// RUN_LVL `new + 256 * old` (`old`: `N` when `None`).
    Runlevel { new: Runlevel, old: Option<Phase> },
    /// DEAD_PROCESS for an entry's process.
    Dead { id: String, pid: i32 },
    /// Entering levels 2–5: write BOOT_TIME/RUN_LVL records still owed.
    Redo,
}

/// Everything the mechanism needs to start an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpawnRequest<'a> {
    pub entry: &'a Entry,
    /// sysvinit's `runlevel` at spawn time: decides whether
    /// `/etc/initscript` is used (not in `S`).
    pub level: Phase,
    /// `RUNLEVEL`/`PREVLEVEL` for the child's environment.
    pub levels: ChildLevels,
    /// Waited-for entries in `#`, `*` and `S` get the console as their
    /// controlling tty (docs/compatibility.md §1.9).
    pub controlling_tty: bool,
    pub extra_env: &'a ExtraEnv,
}

/// Where a log message goes; docs/compatibility.md §1.10 marks each message C, S or CS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dest {
    /// C: the console only.
    Console,
    /// S: the system log only.
    Syslog,
    /// CS: both.
    Both,
}
