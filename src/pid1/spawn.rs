//! Starting an inittab entry (docs/compatibility.md §1.7–§1.9): a
//! [`Child`] (the one description of a child, in `sys::spawn`: signals
//! reset, a session of its own, exec of the planned argv with the built
//! environment, searched in its `PATH`, `/bin/sh` for a file the kernel
//! does not run) with PID 1's own steps as its [`InChild`] hook: the
//! console on fds 0–2 (or a BusyBox entry's own tty, §11.3, with a sane
//! terminal and, for `askfirst`, Enter awaited first), the INIT_PROCESS
//! record, and on a failed exec the log line and the DEAD_PROCESS record.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::wait::waitpid;
use nix::unistd::{AccessFlags, ForkResult, Pid, access, dup2, getpid, setsid, tcgetpgrp};

use crate::inittab::{self, INITSCRIPT, Terminal};
use crate::pid1::console::{self, Console, DEV_NULL, to};
use crate::supervisor::{SpawnRequest, child_environment, split_var};
use crate::sys::console::set_controlling_tty;
use crate::sys::process::{exit_now, fork_single_threaded};
use crate::sys::spawn::{self, Child, InChild, Session, reset_signals};
use crate::untrusted::{self, Access};
use crate::utmp::Recorder;

/// What a child needs from PID 1 besides the request.
pub(crate) struct SpawnContext<'a> {
    pub console: &'a Console,
    pub recorder: &'a Recorder,
    /// init's own environment (`PATH` already set), `NAME=VALUE` bytes.
    pub base_env: &'a [OsString],
}

/// Everything the child uses, prepared before `fork`.
struct Prepared {
    id: String,
    utmp: bool,
    program: CString,
    argv: Vec<CString>,
    fallback: Vec<CString>,
    env: Vec<CString>,
    /// The child's `PATH`, for the `execvp` search.
    path: Vec<u8>,
    controlling_tty: bool,
    terminal: Terminal,
    ask_first: bool,
    login: bool,
}

fn c_strings<S: AsRef<OsStr>>(strings: &[S]) -> Vec<CString> {
    // A NUL cannot come from an inittab line (the parser stops at one), nor
    // from the environment or a SETENV request (split at NULs); drop such a
    // string rather than fail.
    strings
        .iter()
        .filter_map(|s| CString::new(s.as_ref().as_bytes()).ok())
        .collect()
}

/// What the child of `request` runs, prepared before `fork`.
fn prepare(request: &SpawnRequest<'_>, ctx: &SpawnContext<'_>) -> Prepared {
    let initscript = access(INITSCRIPT, AccessFlags::R_OK).is_ok();
    let plan = inittab::plan_exec(request.entry, initscript, request.level);
    let console = ctx.console.device().as_os_str();
    let env = child_environment(
        ctx.base_env,
        request.extra_env,
        request.levels,
        console,
        request.entry.grammar,
    );
    let path = env
        .iter()
        .find_map(|var| split_var(var).filter(|(name, _)| *name == b"PATH"))
        .map_or(crate::defaults::DEFAULT_PATH.as_bytes(), |(_, value)| value)
        .to_vec();
    Prepared {
        id: request.entry.id.clone(),
        utmp: plan.utmp,
        program: CString::new(plan.program).unwrap_or_default(),
        argv: c_strings(&plan.argv),
        fallback: c_strings(&plan.fallback),
        env: c_strings(&env),
        path,
        controlling_tty: request.controlling_tty,
        terminal: plan.terminal,
        ask_first: plan.ask_first,
        login: plan.login,
    }
}

/// Forks and starts the entry; the child's PID, or `None` if `fork` failed.
pub(crate) fn spawn(request: &SpawnRequest<'_>, ctx: &SpawnContext<'_>) -> Option<i32> {
    let prepared = prepare(request, ctx);
    let bytes = |strings: &[CString]| -> Vec<Vec<u8>> {
        strings.iter().map(|s| s.as_bytes().to_vec()).collect()
    };
    let child = Child::new(
        prepared.program.as_bytes(),
        &bytes(&prepared.argv),
        &bytes(&prepared.env),
    )
    .ok()?
    .search(&prepared.path)
    .fallback(&bytes(&prepared.fallback), Some(&prepared.path))
    .session(Session::New);
    let mut hook = EntryHook {
        prepared: &prepared,
        ctx,
        pid: 0,
    };
    child
        .spawn(Some(&mut hook))
        .ok()
        .map(|spawned| spawned.pid.as_raw())
}

/// Runs `job` in a child of init with every signal reset, a session of its
/// own and the console on fds 0-2 (a BusyBox system's end, `teardown`).
/// The child's PID, or `None` if `fork` failed.
pub(crate) fn run_in_child(console: &Console, job: impl FnOnce() -> i32) -> Option<i32> {
    match fork_single_threaded() {
        Ok(ForkResult::Parent { child }) => Some(child.as_raw()),
        Ok(ForkResult::Child) => {
            let code = catch_unwind(AssertUnwindSafe(|| {
                reset_signals();
                let _ = setsid();
                let stdio = console
                    .open()
                    .or_else(|_| untrusted::open_device(Path::new(DEV_NULL), Access::ReadWrite));
                if let Ok(file) = stdio {
                    onto_stdio(file);
                }
                job()
            }))
            .unwrap_or(1);
            exit_now(code)
        }
        Err(_) => None,
    }
}

/// BusyBox's restart (docs/compatibility.md §11.4): init's own process
/// executes `request`'s entry, on its tty, with no signal blocked. Returns
/// only if that failed, init's standard streams on `/dev/null` and its
/// signals blocked again.
pub(crate) fn exec_in_place(request: &SpawnRequest<'_>, ctx: &SpawnContext<'_>) {
    let prepared = prepare(request, ctx);
    let terminal = match &prepared.terminal {
        Terminal::Device(device) => Console::at(device).open(),
        Terminal::Console => ctx.console.open(),
    };
    if let Ok(tty) = terminal {
        if prepared.login || matches!(prepared.terminal, Terminal::Device(_)) {
            let _ = set_controlling_tty(tty.as_fd(), false);
        }
        onto_stdio(tty);
        let _ = console::sane_stdin();
    }
    let mut blocked = SigSet::empty();
    let _ = sigprocmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::empty()),
        Some(&mut blocked),
    );
    let program = &prepared.program;
    spawn::exec_in_place(
        program.as_bytes(),
        &prepared.argv,
        &prepared.env,
        &prepared.path,
        &prepared.fallback,
    );
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&blocked), None);
    if let Ok(null) = untrusted::open_device(Path::new(DEV_NULL), Access::ReadWrite) {
        onto_stdio(null);
    }
    log::info!(
        target: to::BOTH,
        "cannot execute \"{}\"",
        program.to_string_lossy()
    );
}

/// PID 1's steps in an entry's child (see the module's comment).
struct EntryHook<'a> {
    prepared: &'a Prepared,
    ctx: &'a SpawnContext<'a>,
    /// The child's PID, for its utmp records.
    pid: i32,
}

impl InChild for EntryHook<'_> {
    fn before_exec(&mut self) -> Result<(), i32> {
        let (prepared, ctx) = (self.prepared, self.ctx);
        if let Terminal::Device(device) = &prepared.terminal {
            if let Some(code) = own_tty(Path::new(device)) {
                return Err(code);
            }
        } else if prepared.controlling_tty {
            if let Some(code) = console_session(ctx) {
                return Err(code);
            }
        } else {
            let console = match ctx.console.open() {
                Ok(file) => Some(file),
                Err(error) => {
                    log::info!(
                        target: to::BOTH,
                        "open({}): {error}",
                        ctx.console.device().display()
                    );
                    untrusted::open_device(Path::new(DEV_NULL), Access::ReadWrite).ok()
                }
            };
            if let Some(file) = console {
                onto_stdio(file);
            }
        }
        if prepared.login {
            // Only if no other session has it, as BusyBox does.
            let _ = set_controlling_tty(std::io::stdin().as_fd(), false);
        }
        if prepared.ask_first {
            ask_first();
        }
        self.pid = getpid().as_raw();
        if prepared.utmp {
            ctx.recorder.init_process(&prepared.id, self.pid);
        }
        Ok(())
    }

    fn exec_failed(&mut self, _: Errno) -> i32 {
        log::info!(
            target: to::BOTH,
            "cannot execute \"{}\"",
            self.prepared.program.to_string_lossy()
        );
        if self.prepared.utmp {
            self.ctx
                .recorder
                .clone()
                .dead_process(&self.prepared.id, self.pid);
        }
        1
    }
}

/// A BusyBox entry's own tty (docs/compatibility.md §11.3) on fds 0-2, as
/// the controlling tty of the new session when no other has it (BusyBox
/// opens it without `O_NOCTTY`), with sane settings. Returns an exit code
/// if it cannot be opened.
fn own_tty(device: &Path) -> Option<i32> {
    match Console::at(device).open() {
        Ok(tty) => {
            let _ = set_controlling_tty(tty.as_fd(), false);
            onto_stdio(tty);
            let _ = console::sane_stdin();
            None
        }
        Err(error) => {
            log::info!(target: to::BOTH, "can't open {}: {error}", device.display());
            Some(1)
        }
    }
}

/// BusyBox's `askfirst`: the prompt, then standard input read a byte at a
/// time (nothing beyond the line is taken from what follows) up to a
/// newline or its end.
fn ask_first() {
    let mut out = std::io::stdout();
    let _ = out.write_all(inittab::ASKFIRST_PROMPT.as_bytes());
    let _ = out.flush();
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(0, &mut byte) {
            Ok(1) if byte != [b'\n'] => {}
            Err(Errno::EINTR) => {}
            _ => break,
        }
    }
}

/// Puts `file` on fds 0, 1 and 2.
fn onto_stdio(file: File) {
    let fd = file.as_raw_fd();
    for target in 0..=2 {
        if fd != target {
            let _ = dup2(fd, target);
        }
    }
    if fd <= 2 {
        // It is one of 0–2 now: keep it open.
        let _ = file.into_raw_fd();
    }
}

/// Boot-phase waited entries (docs/compatibility.md §1.9): the console becomes the
/// controlling tty of a new session; an intermediate process waits for the
/// real child and takes the tty back from whatever is left in the
/// foreground. Returns in the real child (`None`), or an exit code if the
/// second fork failed.
fn console_session(ctx: &SpawnContext<'_>) -> Option<i32> {
    let console = match ctx.console.open() {
        Ok(file) => {
            let _ = set_controlling_tty(file.as_fd(), true);
            let copy = file.try_clone().ok();
            onto_stdio(file);
            copy
        }
        Err(_) => None,
    };
    match fork_single_threaded() {
        Ok(ForkResult::Child) => {
            let _ = ctx.console.stty();
            None
        }
        Ok(ForkResult::Parent { child }) => {
            intermediate(child, console.as_ref());
            Some(0)
        }
        Err(error) => {
            log::info!(target: to::BOTH, "cannot fork: {}", error.desc());
            Some(1)
        }
    }
}

/// The intermediate of [`console_session`]: keyboard signals must not end
/// it (they are blocked rather than ignored: nothing here execs), it waits
/// for `child`, then steals the console back with a throw-away session if
/// its own group is still in the foreground.
fn intermediate(child: Pid, console: Option<&File>) {
    let mut keyboard = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTSTP, Signal::SIGQUIT] {
        keyboard.add(signal);
    }
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&keyboard), None);
    wait_for(child);
    let Some(console) = console else {
        return;
    };
    if tcgetpgrp(console.as_fd()).ok() != Some(getpid()) {
        return;
    }
    match fork_single_threaded() {
        Ok(ForkResult::Child) => {
            let _ = setsid();
            let _ = set_controlling_tty(console.as_fd(), true);
            exit_now(0)
        }
        Ok(ForkResult::Parent { child }) => wait_for(child),
        Err(_) => {}
    }
}

fn wait_for(child: Pid) {
    while waitpid(child, None) == Err(Errno::EINTR) {}
}
