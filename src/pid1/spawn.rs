//! Starting an inittab entry (docs/compatibility.md §1.7–§1.9): fork; in the child reset
//! signals, start a session, put the console on fds 0–2, write the
//! INIT_PROCESS record, exec the planned argv with the built environment.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::wait::waitpid;
use nix::unistd::{AccessFlags, ForkResult, Pid, access, dup2, execve, getpid, setsid, tcgetpgrp};

use crate::inittab::{self, INITSCRIPT};
use crate::pid1::console::{Console, DEV_NULL, to};
use crate::supervisor::{SpawnRequest, child_environment, split_var};
use crate::sys::console::set_controlling_tty;
use crate::sys::process::{exit_now, fork_single_threaded, reset_signal_dispositions};
use crate::sys::spawn::reset_all_signals;
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
    argv: Vec<CString>,
    fallback: Vec<CString>,
    env: Vec<CString>,
    /// The child's `PATH`, for the `execvp` search.
    path: Vec<u8>,
    controlling_tty: bool,
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

/// Forks and starts the entry; the child's PID, or `None` if `fork` failed.
pub(crate) fn spawn(request: &SpawnRequest<'_>, ctx: &SpawnContext<'_>) -> Option<i32> {
    let initscript = access(INITSCRIPT, AccessFlags::R_OK).is_ok();
    let plan = inittab::plan_exec(request.entry, initscript, request.level);
    let console = ctx.console.device().as_os_str();
    let env = child_environment(ctx.base_env, request.extra_env, request.levels, console);
    let path = env
        .iter()
        .find_map(|var| split_var(var).filter(|(name, _)| *name == b"PATH"))
        .map_or(crate::defaults::DEFAULT_PATH.as_bytes(), |(_, value)| value)
        .to_vec();
    let prepared = Prepared {
        id: request.entry.id.clone(),
        utmp: plan.utmp,
        argv: c_strings(&plan.argv),
        fallback: c_strings(&inittab::shell_fallback(&request.entry.process)),
        env: c_strings(&env),
        path,
        controlling_tty: request.controlling_tty,
    };
    match fork_single_threaded() {
        Ok(ForkResult::Parent { child }) => Some(child.as_raw()),
        Ok(ForkResult::Child) => {
            // Never return into PID 1's code, whatever happens.
            let code = catch_unwind(AssertUnwindSafe(|| child(&prepared, ctx))).unwrap_or(1);
            exit_now(code)
        }
        Err(_) => None,
    }
}

/// The child's side; returns only the exit code for a failure.
fn child(prepared: &Prepared, ctx: &SpawnContext<'_>) -> i32 {
    // All 64 signals, glibc's internal 32 and 33 included (init may have
    // inherited them ignored from whatever started it with posix_spawn).
    if reset_all_signals().is_err() {
        reset_signal_dispositions();
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    }
    let _ = setsid();
    if prepared.controlling_tty {
        if let Some(code) = console_session(ctx) {
            return code;
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
    let pid = getpid().as_raw();
    if prepared.utmp {
        ctx.recorder.init_process(&prepared.id, pid);
    }
    if exec_search(&prepared.argv, &prepared.env, &prepared.path) == Errno::ENOEXEC {
        exec_search(&prepared.fallback, &prepared.env, &prepared.path);
    }
    let word0 = prepared
        .argv
        .first()
        .map(|word| word.to_string_lossy().into_owned())
        .unwrap_or_default();
    log::info!(target: to::BOTH, "cannot execute \"{word0}\"");
    if prepared.utmp {
        ctx.recorder.clone().dead_process(&prepared.id, pid);
    }
    1
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

/// `execvp` with the child's own `PATH` (sysvinit sets `environ` to the
/// child's environment before calling `execvp`). Returns only on failure:
/// `ENOEXEC` as soon as a found file is not executable as a program, else
/// `EACCES` if some candidate was not accessible, else the last error.
fn exec_search(argv: &[CString], env: &[CString], path: &[u8]) -> Errno {
    let Some(program) = argv.first() else {
        return Errno::ENOENT;
    };
    let name = program.as_bytes();
    if name.is_empty() {
        return Errno::ENOENT;
    }
    if name.contains(&b'/') {
        return execve(program, argv, env).err().unwrap_or(Errno::ENOENT);
    }
    let mut result = Errno::ENOENT;
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let mut full = dir.to_vec();
        full.push(b'/');
        full.extend_from_slice(name);
        let Ok(full) = CString::new(full) else {
            continue;
        };
        match execve(&full, argv, env).err().unwrap_or(Errno::ENOENT) {
            Errno::ENOEXEC => return Errno::ENOEXEC,
            Errno::EACCES => result = Errno::EACCES,
            Errno::ENOENT | Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT => {}
            other => return other,
        }
    }
    result
}
