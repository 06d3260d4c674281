//! Starting a child: [`Child`], the one description of a process that init,
//! rc and supervision's restart start (inittab entries in `pid1::spawn`, a
//! supervised service's restart in `pid1::services`, rc's scripts in
//! `rc::run`), prepared before the fork so that the child only makes
//! system calls on what is ready.
//!
//! The child, in this order: enters its cgroup (so that everything after
//! counts in it); gets every signal's disposition `SIG_DFL` and an empty
//! mask, as a program started by the kernel has (init blocks every signal
//! and may have inherited some ignored); starts a session or a process
//! group of its own, or stays in the parent's; puts the prepared
//! descriptors on 0, 1 and 2; runs the caller's [`InChild`] hook, if any;
//! sets its process attributes ([`Attributes`]: resource limits, niceness,
//! OOM score), which the daemons it starts inherit; changes directory; and
//! executes the program, searching a `PATH` if asked, with a shell as the
//! fallback for a file the kernel does not run (`ENOEXEC`). A failure
//! before or at the exec goes to the caller's hook, or, if asked for,
//! back to the parent as an errno on a close-on-exec pipe ([`Spawned`]).
//!
//! The hook is where PID 1's inittab entries keep what only they do, with
//! the state only PID 1 has: the console opened in the child (a console
//! can take its time to open, which must not stall init), made the
//! controlling tty of a boot-phase session with its intermediate process,
//! a BusyBox entry's own tty and `askfirst` prompt, the INIT_PROCESS utmp
//! record written by the child itself, and the log line and DEAD_PROCESS
//! record when the exec fails. Everything every child needs is a field;
//! what needs PID 1's console or utmp is the hook's.
//!
//! Without a hook, the child allocates nothing and makes only
//! async-signal-safe calls, so rc's unit tests may spawn beside libtest's
//! threads.
//!
//! Why raw system calls for the signals: glibc's `posix_spawn` (which
//! `std::process::Command` uses when it can) sets glibc's two internal
//! signals, 32 (SIGCANCEL) and 33 (SIGSETXID), to `SIG_IGN` in the child
//! (glibc 2.36 `sysdeps/unix/sysv/linux/spawni.c`), and an ignored signal
//! stays ignored across `exec`. So a process started that way (rc under a
//! test runner, or from a shell) has them ignored, and everything it
//! starts inherits that. glibc's `sigaction` refuses to touch those two
//! signals (`EINVAL`), so the reset goes to the kernel directly.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::resource::Resource;
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::{ForkResult, Pid};

use super::process::{exit_now, fork_single_threaded, reset_signal_dispositions};

/// The kernel's signal set size (`_NSIG / 8`) for `rt_sig*` calls.
#[cfg(not(any(target_arch = "mips", target_arch = "mips64")))]
const KERNEL_SIGSET_SIZE: usize = 8;
#[cfg(any(target_arch = "mips", target_arch = "mips64"))]
const KERNEL_SIGSET_SIZE: usize = 16;

/// The highest signal number the kernel has (`_NSIG - 1`).
const LAST_SIGNAL: libc::c_int = (KERNEL_SIGSET_SIZE * 8) as libc::c_int;

/// Sets every signal (1 to 64) to `SIG_DFL` and unblocks them all, with raw
/// `rt_sigaction`/`rt_sigprocmask` calls. Async-signal-safe: meant for a
/// forked child just before `exec`; in any other process it would drop the
/// handlers the C library relies on.
pub(crate) fn reset_all_signals() -> io::Result<()> {
    // A kernel `struct sigaction` of zeroes is { SIG_DFL, no flags, no
    // restorer, empty mask } whatever the architecture's field order; 64
    // bytes are more than any architecture's struct.
    let default_action = [0u64; 8];
    let empty_set = [0u64; 2];
    for signal in 1..=LAST_SIGNAL {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        // SAFETY: rt_sigaction reads a kernel sigaction from a live buffer
        // big enough for it and writes nothing (old action pointer is null).
        // It installs no handler, so no code of ours can run in signal context.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                signal,
                default_action.as_ptr(),
                std::ptr::null_mut::<libc::c_void>(),
                KERNEL_SIGSET_SIZE,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: rt_sigprocmask reads KERNEL_SIGSET_SIZE bytes from a live
    // zeroed buffer and writes nothing (old set pointer is null).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            empty_set.as_ptr(),
            std::ptr::null_mut::<libc::c_void>(),
            KERNEL_SIGSET_SIZE,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A clean signal state for a child: [`reset_all_signals`], or where the
/// raw calls fail, the C library's reset of what it lets us touch, and
/// the mask emptied all the same (the parent may block every signal, as
/// init does, and a blocked signal stays blocked across `exec`).
pub(crate) fn reset_signals() {
    reset_signals_with(reset_all_signals);
}

fn reset_signals_with(raw: fn() -> io::Result<()>) {
    if raw().is_err() {
        reset_signal_dispositions();
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    }
}

/// Where the child stands among sessions and process groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Session {
    /// The parent's session and group (an interactive rc script).
    Parent,
    /// A process group of its own in the parent's session (rc's scripts,
    /// which a timeout kills as a group).
    OwnGroup,
    /// A session of its own (`setsid`): init's children.
    New,
}

/// A process attribute the child sets on itself before `exec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attribute {
    /// `setrlimit`: soft and hard, `None` for unlimited.
    Rlimit {
        resource: Resource,
        soft: Option<u64>,
        hard: Option<u64>,
    },
    /// `setpriority(PRIO_PROCESS)`.
    Nice(i32),
    /// `/proc/self/oom_score_adj`.
    OomScoreAdj(i32),
}

const OOM_SCORE_ADJ: &CStr = c"/proc/self/oom_score_adj";

impl Attribute {
    /// Sets it on the calling process; `text` is the value as decimal text
    /// (for `oom_score_adj`). Async-signal-safe.
    fn set_on_self(&self, text: &[u8]) -> Result<(), Errno> {
        match *self {
            Attribute::Rlimit {
                resource,
                soft,
                hard,
            } => set_rlimit(0, resource, soft, hard),
            Attribute::Nice(nice) => set_priority(0, nice),
            Attribute::OomScoreAdj(_) => {
                let fd = nix::fcntl::open(
                    OOM_SCORE_ADJ,
                    OFlag::O_WRONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY,
                    nix::sys::stat::Mode::empty(),
                )?;
                // SAFETY: `open` just returned this descriptor, which
                // nothing else owns; the OwnedFd closes it.
                let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                nix::unistd::write(&fd, text).map(drop)
            }
        }
    }

    /// Sets it on another process, `pid` (`vinit place`, for a script that
    /// is already running).
    pub(crate) fn set_on(&self, pid: i32) -> io::Result<()> {
        match *self {
            Attribute::Rlimit {
                resource,
                soft,
                hard,
            } => Ok(set_rlimit(pid, resource, soft, hard)?),
            Attribute::Nice(nice) => Ok(set_priority(pid, nice)?),
            Attribute::OomScoreAdj(score) => {
                use std::io::Write;
                #[allow(
                    clippy::disallowed_methods,
                    reason = "a file of /proc, opened to write"
                )]
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(format!("/proc/{pid}/oom_score_adj"))?;
                file.write_all(score.to_string().as_bytes())
            }
        }
    }
}

/// `prlimit(pid, resource)` with soft and hard limits, `None` for unlimited
/// (0: the caller, the call glibc's and musl's `setrlimit` make).
/// Async-signal-safe.
fn set_rlimit(
    pid: i32,
    resource: Resource,
    soft: Option<u64>,
    hard: Option<u64>,
) -> Result<(), Errno> {
    let limit = libc::rlimit {
        rlim_cur: soft.unwrap_or(libc::RLIM_INFINITY),
        rlim_max: hard.unwrap_or(libc::RLIM_INFINITY),
    };
    // SAFETY: prlimit reads the struct we pass and writes nothing (the
    // old-limit pointer is null).
    let rc = unsafe { libc::prlimit(pid, resource as _, &limit, std::ptr::null_mut()) };
    if rc == 0 { Ok(()) } else { Err(Errno::last()) }
}

/// `setpriority(PRIO_PROCESS, pid, nice)` (0: the caller).
fn set_priority(pid: i32, nice: i32) -> Result<(), Errno> {
    let who = libc::id_t::try_from(pid).map_err(|_| Errno::ESRCH)?;
    // SAFETY: setpriority takes plain integers and touches no memory.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, who, nice) };
    if rc == 0 { Ok(()) } else { Err(Errno::last()) }
}

/// The attributes a child sets on itself, each with the line to write on
/// its standard error if the kernel refuses it (prepared, so that the
/// child allocates nothing).
#[derive(Debug, Default, Clone)]
pub(crate) struct Attributes {
    items: Vec<PreparedAttribute>,
}

#[derive(Debug, Clone)]
struct PreparedAttribute {
    attribute: Attribute,
    /// The value as text, for `oom_score_adj`'s file.
    text: Vec<u8>,
    /// Written on failure, then `: `, the kernel's reason and a newline.
    failure: Vec<u8>,
}

impl Attributes {
    /// Whether there is none to set.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds `attribute`; if the child cannot set it, it writes `failure`,
    /// `: ` and the kernel's reason on its standard error, and goes on.
    pub(crate) fn add(&mut self, attribute: Attribute, failure: String) {
        let text = match attribute {
            Attribute::OomScoreAdj(score) => score.to_string(),
            Attribute::Nice(_) | Attribute::Rlimit { .. } => String::new(),
        };
        self.items.push(PreparedAttribute {
            attribute,
            text: text.into_bytes(),
            failure: failure.into_bytes(),
        });
    }

    /// Each attribute with its failure line (without the reason).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Attribute, String)> {
        self.items.iter().map(|item| {
            (
                &item.attribute,
                String::from_utf8_lossy(&item.failure).into_owned(),
            )
        })
    }

    /// Sets every attribute on the calling process, writing the failure
    /// lines on fd 2. Async-signal-safe.
    fn apply(&self) {
        for item in &self.items {
            if let Err(errno) = item.attribute.set_on_self(&item.text) {
                let stderr = raw_fd(2);
                let _ = nix::unistd::write(stderr, &item.failure);
                let _ = nix::unistd::write(stderr, b": ");
                let _ = nix::unistd::write(stderr, errno.desc().as_bytes());
                let _ = nix::unistd::write(stderr, b"\n");
            }
        }
    }
}

fn raw_fd(fd: RawFd) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: only for 0, 1 and 2, which stay open for the process's life
    // (a failed write to a closed one is an error, not undefined behavior).
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// The cgroup and the attributes of a [`Child`] for a program started
/// with `std::process::Command` (`service`, which waits for its script or
/// becomes it): `command`'s child moves itself into the cgroup whose
/// directory is open as `cgroup` (close-on-exec), and sets `attributes` on
/// itself just before it execs.
pub(crate) fn on_exec(
    command: &mut std::process::Command,
    cgroup: Option<OwnedFd>,
    attributes: Attributes,
) {
    use std::os::unix::process::CommandExt;
    // Nothing to do in the child: the standard library may then spawn it
    // without a fork of its own, and report a program the kernel does not
    // execute to the caller (whose /bin/sh fallback says so), where a
    // forked child's execvp would hand it to /bin/sh silently.
    if cgroup.is_none() && attributes.is_empty() {
        return;
    }
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are allowed: it makes system calls on
    // what was prepared (a descriptor and buffers it owns) and allocates
    // nothing.
    unsafe {
        command.pre_exec(move || {
            if let Some(directory) = &cgroup {
                enter_cgroup(directory);
            }
            attributes.apply();
            Ok(())
        });
    }
}

/// What only some children do between their set-up and `exec`, with
/// state the description does not hold (see the module's comment).
pub(crate) trait InChild {
    /// After the signals, the session and the descriptors; before the
    /// attributes and `exec`. `Err(code)`: the child exits with it.
    fn before_exec(&mut self) -> Result<(), i32>;
    /// The exec (or a step before it) failed with `errno`: the exit code.
    fn exec_failed(&mut self, errno: Errno) -> i32;
}

/// A child, prepared before the fork.
#[derive(Debug)]
pub(crate) struct Child {
    /// The paths to try for the program, in order (one for a path with a
    /// `/`; the directories of a `PATH` otherwise, as `execvp` does).
    program: Vec<CString>,
    argv: Vec<CString>,
    env: Vec<CString>,
    /// Tried when the program is not one the kernel executes (`ENOEXEC`):
    /// a shell's paths and argv.
    fallback: Option<(Vec<CString>, Vec<CString>)>,
    /// Descriptors to put on 0, 1 and 2 (`None`: left as inherited).
    stdio: [Option<OwnedFd>; 3],
    session: Session,
    /// The directory of the cgroup to start the child in.
    cgroup: Option<OwnedFd>,
    attributes: Attributes,
    directory: Option<CString>,
    /// Whether the parent gets the errno of a failed exec on a pipe.
    report_exec_error: bool,
    /// The raw reset of the signals ([`reset_all_signals`]), a seam for the
    /// tests of its fallback.
    raw_signal_reset: fn() -> io::Result<()>,
}

/// The bytes of the stack a child of [`Child::spawn_sharing_memory`] runs
/// on until it execs (it only makes system calls).
pub(crate) const CHILD_STACK_SIZE: usize = 64 * 1024;

/// A started child.
#[derive(Debug)]
pub(crate) struct Spawned {
    pub(crate) pid: Pid,
    /// With [`Child::report_exec_error`]: end of file once the exec
    /// succeeded, else the errno, 4 bytes in native order.
    pub(crate) exec_error: Option<File>,
}

fn c_string(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// The candidates `execvp` tries for `program` in `path`.
fn candidates(program: &[u8], path: Option<&[u8]>) -> Vec<CString> {
    match path {
        Some(path) if !program.is_empty() && !program.contains(&b'/') => path
            .split(|&b| b == b':')
            .filter_map(|dir| {
                let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
                let mut full = dir.to_vec();
                full.push(b'/');
                full.extend_from_slice(program);
                CString::new(full).ok()
            })
            .collect(),
        _ => CString::new(program).into_iter().collect(),
    }
}

impl Child {
    /// `program` run with `argv` (its first word included) in exactly the
    /// environment `env` (`NAME=VALUE`), nothing else changed: stdio
    /// inherited, the parent's session, the caller's directory.
    pub(crate) fn new<A: AsRef<[u8]>, E: AsRef<[u8]>>(
        program: &[u8],
        argv: &[A],
        env: &[E],
    ) -> io::Result<Child> {
        Ok(Child {
            program: vec![c_string(program)?],
            argv: argv
                .iter()
                .map(|word| c_string(word.as_ref()))
                .collect::<io::Result<_>>()?,
            // A NUL cannot be in the environment of a process; a variable
            // with one is dropped rather than fail the start.
            env: env
                .iter()
                .filter_map(|var| CString::new(var.as_ref()).ok())
                .collect(),
            fallback: None,
            stdio: [None, None, None],
            session: Session::Parent,
            cgroup: None,
            attributes: Attributes::default(),
            directory: None,
            report_exec_error: false,
            raw_signal_reset: reset_all_signals,
        })
    }

    /// Looks a program name without a `/` up in `path`, as `execvp` does.
    pub(crate) fn search(mut self, path: &[u8]) -> Child {
        if let Some(program) = self.program.first() {
            self.program = candidates(program.as_bytes(), Some(path));
        }
        self
    }

    /// When the program is a file the kernel does not execute (no `#!`),
    /// runs `argv` instead (a shell given the file), searched in `path` if
    /// its first word has no `/`.
    pub(crate) fn fallback<A: AsRef<[u8]>>(mut self, argv: &[A], path: Option<&[u8]>) -> Child {
        let argv: Vec<CString> = argv
            .iter()
            .filter_map(|word| CString::new(word.as_ref()).ok())
            .collect();
        if let Some(first) = argv.first() {
            self.fallback = Some((candidates(first.as_bytes(), path), argv));
        }
        self
    }

    /// Puts `fd` on the child's descriptor `target` (0, 1 or 2).
    pub(crate) fn stdio(mut self, target: usize, fd: OwnedFd) -> Child {
        if let Some(slot) = self.stdio.get_mut(target) {
            *slot = Some(fd);
        }
        self
    }

    pub(crate) fn session(mut self, session: Session) -> Child {
        self.session = session;
        self
    }

    /// Puts the child in the cgroup whose directory is open as `directory`
    /// (close-on-exec: the program never sees it): started right in it by
    /// [`Child::spawn_sharing_memory`] where the kernel can (`clone3` with
    /// `CLONE_INTO_CGROUP`, Linux 5.7), else moving itself in through
    /// `cgroup.procs` before it execs.
    pub(crate) fn cgroup(mut self, directory: Option<OwnedFd>) -> Child {
        self.cgroup = directory;
        self
    }

    pub(crate) fn attributes(mut self, attributes: Attributes) -> Child {
        self.attributes = attributes;
        self
    }

    pub(crate) fn directory(mut self, directory: &[u8]) -> io::Result<Child> {
        self.directory = Some(c_string(directory)?);
        Ok(self)
    }

    /// Gives the parent the errno of a failed exec ([`Spawned::exec_error`]).
    pub(crate) fn report_exec_error(mut self) -> Child {
        self.report_exec_error = true;
        self
    }

    /// Forks and starts the child; `hook` runs in it (see [`InChild`]).
    /// For the programs that never start a thread, or (without a hook)
    /// those whose other threads cannot matter to a child that only makes
    /// system calls ([`fork_single_threaded`]).
    pub(crate) fn spawn(&self, hook: Option<&mut dyn InChild>) -> io::Result<Spawned> {
        let pipe = self.exec_error_pipe()?;
        let exec = ExecArgs::new(self);
        match fork_single_threaded()? {
            ForkResult::Parent { child } => Ok(Spawned {
                pid: child,
                exec_error: pipe.map(|(reader, _)| File::from(reader)),
            }),
            ForkResult::Child => {
                let writer = pipe.as_ref().map(|(_, writer)| writer);
                // Never return into the parent's code, whatever happens.
                let code = catch_unwind(AssertUnwindSafe(|| {
                    self.start(hook, &exec, writer, Cgroup::Enter)
                }))
                .unwrap_or(1);
                exit_now(code)
            }
        }
    }

    /// Starts the child the way posix_spawn does: `clone` with `CLONE_VM |
    /// CLONE_VFORK`, so that it runs on this process's memory, on `stack`,
    /// while this thread waits for its `exec` or exit. No page tables are
    /// copied and neither process takes copy-on-write faults afterwards,
    /// which a `fork` costs rc for every script. Without a hook: the child
    /// only makes system calls on what was prepared before (no allocation,
    /// no lock), so sharing our memory leaves it unchanged.
    ///
    /// A child with a [`Child::cgroup`] is started in that cgroup
    /// instead, where the kernel can ([`Child::spawn_into_cgroup`]).
    pub(crate) fn spawn_sharing_memory(&self, stack: &mut [u8]) -> io::Result<Spawned> {
        let pipe = self.exec_error_pipe()?;
        let exec = ExecArgs::new(self);
        let writer = pipe.as_ref().map(|(_, writer)| writer);
        let into_cgroup = self
            .cgroup
            .as_ref()
            .and_then(|directory| self.clone_into_cgroup(directory, &exec, writer).ok());
        // Else (no cgroup, a kernel before 5.7, a cgroup that will not take
        // it) the child shares our memory and moves itself in.
        let pid = match into_cgroup {
            Some(pid) => pid,
            None => self.clone_sharing_memory(stack, &exec, writer)?,
        };
        Ok(Spawned {
            pid,
            exec_error: pipe.map(|(reader, _)| File::from(reader)),
        })
    }

    /// `clone(CLONE_VM | CLONE_VFORK)` of the child onto `stack`.
    fn clone_sharing_memory(
        &self,
        stack: &mut [u8],
        exec: &ExecArgs,
        exec_error: Option<&OwnedFd>,
    ) -> io::Result<Pid> {
        let start = SharedStart {
            child: self,
            exec,
            exec_error,
        };
        // The stack grows down from its top, 16-byte aligned as the ABI wants.
        let Some(top) = stack
            .len()
            .checked_sub(64)
            .and_then(|top| stack.get_mut(top..))
        else {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        };
        let top = top.as_mut_ptr();
        let top = top.wrapping_sub(top as usize % 16);
        // Until the child has reset its signals, none of our handlers may
        // run in it, on our memory: every signal is blocked around the
        // clone, as glibc's posix_spawn does (the child unblocks them).
        let mask = block_all_signals()?;
        // SAFETY: the child runs `start_shared` on `stack`, which nothing
        // else uses until clone returns (CLONE_VFORK suspends this thread
        // until the child has exec'd or exited), with `start` borrowed for
        // the whole call. Without CLONE_SIGHAND its signal dispositions are
        // its own, so its reset leaves ours alone.
        let pid = unsafe {
            libc::clone(
                start_shared,
                top.cast::<libc::c_void>(),
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                std::ptr::from_ref(&start).cast_mut().cast::<libc::c_void>(),
            )
        };
        let clone_error = io::Error::last_os_error();
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None);
        if pid < 0 {
            return Err(clone_error);
        }
        Ok(Pid::from_raw(pid))
    }

    /// `clone3` of the child right into the cgroup `directory`
    /// (`CLONE_INTO_CGROUP`), on a copy of our memory as after a fork,
    /// while this thread waits for its `exec` or exit (`CLONE_VFORK`).
    /// A process moved by a write to `cgroup.procs` takes the cgroup
    /// hierarchy's write lock, which waits for an RCU grace period when no
    /// move came just before: 10-15 ms for many of rc's scripts at boot,
    /// the first one started after a pause. A child started in its cgroup
    /// takes no such lock.
    fn clone_into_cgroup(
        &self,
        directory: &OwnedFd,
        exec: &ExecArgs,
        exec_error: Option<&OwnedFd>,
    ) -> io::Result<Pid> {
        let args = CloneArgs {
            flags: libc::CLONE_VFORK as u64 | CLONE_INTO_CGROUP,
            exit_signal: libc::SIGCHLD as u64,
            cgroup: directory.as_raw_fd() as u64,
            ..CloneArgs::default()
        };
        // Blocked as in clone_sharing_memory: the child resets them first.
        let mask = block_all_signals()?;
        // SAFETY: clone3 without CLONE_VM is a fork: the child runs on its
        // own copy of our memory and stack, and returns here with 0. It
        // only makes system calls (`start`) until it execs or exits, and
        // never returns into the caller's code.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone3,
                std::ptr::from_ref(&args),
                std::mem::size_of::<CloneArgs>(),
            )
        };
        if pid == 0 {
            let code = catch_unwind(AssertUnwindSafe(|| {
                self.start(None, exec, exec_error, Cgroup::AlreadyIn)
            }))
            .unwrap_or(1);
            exit_now(code)
        }
        let clone_error = io::Error::last_os_error();
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None);
        if pid < 0 {
            return Err(clone_error);
        }
        Ok(Pid::from_raw(pid as i32))
    }

    fn exec_error_pipe(&self) -> io::Result<Option<(OwnedFd, OwnedFd)>> {
        if self.report_exec_error {
            Ok(Some(nix::unistd::pipe2(OFlag::O_CLOEXEC)?))
        } else {
            Ok(None)
        }
    }

    /// The child's side; returns only the exit code of a failure.
    fn start(
        &self,
        mut hook: Option<&mut dyn InChild>,
        exec: &ExecArgs,
        exec_error: Option<&OwnedFd>,
        cgroup: Cgroup,
    ) -> i32 {
        let errno = match self.prepare(&mut hook, cgroup) {
            Err(Failed::Code(code)) => return code,
            Err(Failed::Errno(errno)) => errno,
            Ok(()) => self.exec(exec),
        };
        if let Some(pipe) = exec_error {
            let _ = nix::unistd::write(pipe, &(errno as i32).to_ne_bytes());
        }
        match hook {
            Some(hook) => hook.exec_failed(errno),
            None => 127,
        }
    }

    fn prepare(&self, hook: &mut Option<&mut dyn InChild>, cgroup: Cgroup) -> Result<(), Failed> {
        if let (Some(directory), Cgroup::Enter) = (&self.cgroup, cgroup) {
            enter_cgroup(directory);
        }
        reset_signals_with(self.raw_signal_reset);
        match self.session {
            Session::Parent => {}
            Session::OwnGroup => nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?,
            Session::New => {
                let _ = nix::unistd::setsid();
            }
        }
        for (target, fd) in (0..).zip(&self.stdio) {
            let Some(fd) = fd else { continue };
            if fd.as_raw_fd() == target {
                // Already there: it only has to survive the exec.
                nix::fcntl::fcntl(
                    target,
                    nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
                )?;
            } else {
                nix::unistd::dup2(fd.as_raw_fd(), target)?;
            }
        }
        if let Some(hook) = hook {
            hook.before_exec().map_err(Failed::Code)?;
        }
        self.attributes.apply();
        if let Some(directory) = &self.directory {
            nix::unistd::chdir(directory.as_c_str())?;
        }
        Ok(())
    }

    /// Executes the program, or the fallback; returns the reason it failed.
    fn exec(&self, exec: &ExecArgs) -> Errno {
        let errno = exec_search(&self.program, &exec.argv, &exec.env);
        match (&self.fallback, &exec.fallback) {
            (Some((shell, _)), Some(argv)) if errno == Errno::ENOEXEC => {
                exec_search(shell, argv, &exec.env)
            }
            _ => errno,
        }
    }
}

/// Whether the child still has to move into its cgroup.
#[derive(Clone, Copy)]
enum Cgroup {
    Enter,
    /// Started there (`CLONE_INTO_CGROUP`).
    AlreadyIn,
}

/// `clone3`'s argument (linux/sched.h), up to `cgroup` (Linux 5.7).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// linux/sched.h's flag, beyond `int` (the C library's constants are).
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Moves the calling process into the cgroup whose directory is open as
/// `directory`, in a child between fork and exec: system calls only.
/// Not in the cgroup is not fatal: the program runs untracked.
fn enter_cgroup(directory: &OwnedFd) {
    let procs = nix::fcntl::openat(
        Some(directory.as_raw_fd()),
        c"cgroup.procs",
        OFlag::O_WRONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY,
        nix::sys::stat::Mode::empty(),
    );
    if let Ok(procs) = procs {
        // SAFETY: openat just returned this descriptor, owned by nothing else.
        let procs = unsafe { OwnedFd::from_raw_fd(procs) };
        let _ = nix::unistd::write(&procs, b"0");
    }
}

/// Blocks every signal; returns the mask before.
fn block_all_signals() -> io::Result<SigSet> {
    let mut mask = SigSet::empty();
    sigprocmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut mask),
    )?;
    Ok(mask)
}

/// What [`Child::spawn_sharing_memory`]'s child gets.
struct SharedStart<'a> {
    child: &'a Child,
    exec: &'a ExecArgs,
    exec_error: Option<&'a OwnedFd>,
}

/// The child of [`Child::spawn_sharing_memory`], on its own stack and our
/// memory.
extern "C" fn start_shared(start: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `spawn_sharing_memory` passes a live `SharedStart`, which it
    // keeps borrowed until this child has exec'd or exited.
    let start = unsafe { &*start.cast_const().cast::<SharedStart<'_>>() };
    exit_now(
        start
            .child
            .start(None, start.exec, start.exec_error, Cgroup::Enter),
    )
}

/// A list of strings as `execve` takes it: pointers to them, then a null
/// pointer. Built before the child exists, so that the child allocates
/// nothing; valid while the strings live.
struct ExecList(Vec<*const libc::c_char>);

impl ExecList {
    fn new(strings: &[CString]) -> ExecList {
        ExecList(
            strings
                .iter()
                .map(|string| string.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect(),
        )
    }
}

/// A [`Child`]'s `argv`, environment and fallback `argv` as [`ExecList`]s.
struct ExecArgs {
    argv: ExecList,
    env: ExecList,
    fallback: Option<ExecList>,
}

impl ExecArgs {
    fn new(child: &Child) -> ExecArgs {
        ExecArgs {
            argv: ExecList::new(&child.argv),
            env: ExecList::new(&child.env),
            fallback: child.fallback.as_ref().map(|(_, argv)| ExecList::new(argv)),
        }
    }
}

/// Why the child did not get to `exec`.
enum Failed {
    /// The hook's exit code.
    Code(i32),
    Errno(Errno),
}

impl From<Errno> for Failed {
    fn from(errno: Errno) -> Failed {
        Failed::Errno(errno)
    }
}

/// `execve` of each candidate in turn, as `execvp` goes through `PATH`.
/// Returns only on failure: `ENOEXEC` as soon as a found file is not
/// executable as a program, else `EACCES` if some candidate was not
/// accessible, else the last error.
fn exec_search(candidates: &[CString], argv: &ExecList, env: &ExecList) -> Errno {
    let mut result = Errno::ENOENT;
    for candidate in candidates {
        // SAFETY: a C string and two null-terminated lists of pointers to
        // C strings, all alive for the call (ExecList's contract); execve
        // only returns on failure.
        unsafe { libc::execve(candidate.as_ptr(), argv.0.as_ptr(), env.0.as_ptr()) };
        match Errno::last() {
            Errno::ENOEXEC => return Errno::ENOEXEC,
            Errno::EACCES => result = Errno::EACCES,
            Errno::ENOENT | Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT => {}
            other => return other,
        }
    }
    result
}

/// `execvp` of `program` with `argv` and `env`, searching `path`, with
/// `fallback` on `ENOEXEC`, in the calling process (BusyBox's restart
/// entry, which init executes in place). Returns only on failure.
pub(crate) fn exec_in_place(
    program: &[u8],
    argv: &[CString],
    env: &[CString],
    path: &[u8],
    fallback: &[CString],
) -> Errno {
    let env_list = ExecList::new(env);
    let errno = exec_search(
        &candidates(program, Some(path)),
        &ExecList::new(argv),
        &env_list,
    );
    match fallback.first() {
        Some(shell) if errno == Errno::ENOEXEC => exec_search(
            &candidates(shell.as_bytes(), Some(path)),
            &ExecList::new(fallback),
            &env_list,
        ),
        _ => errno,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{WaitStatus, waitpid};
    use std::io::Read;

    /// Runs `child` (its stdout on a pipe) and returns what it wrote.
    fn output_of(child: Child) -> String {
        output_of_spawned(child, |child| child.spawn(None).expect("spawn"))
    }

    /// [`output_of`], the child started by `spawn`.
    fn output_of_spawned(child: Child, spawn: impl FnOnce(&Child) -> Spawned) -> String {
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        let child = child.stdio(1, writer.into());
        let spawned = spawn(&child);
        drop(child);
        let mut text = String::new();
        reader.read_to_string(&mut text).expect("read");
        assert_eq!(
            waitpid(spawned.pid, None).expect("wait"),
            WaitStatus::Exited(spawned.pid, 0)
        );
        text
    }

    /// A new cgroup under this process's own in the cgroup2 hierarchy, or
    /// `None` where there is none to write (no cgroup2, not root).
    fn scratch_cgroup() -> Option<(std::path::PathBuf, String)> {
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let own = own.lines().find_map(|line| line.strip_prefix("0::"))?;
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let mount = mounts.lines().find_map(|line| {
            let (fields, source) = line.split_once(" - ")?;
            source
                .starts_with("cgroup2 ")
                .then(|| fields.split(' ').nth(4))
                .flatten()
        })?;
        let name = format!(
            "{}/vinit-spawn-test-{}",
            own.trim_end_matches('/'),
            std::process::id()
        );
        let dir = std::path::Path::new(mount).join(name.trim_start_matches('/'));
        std::fs::create_dir(&dir).ok()?;
        Some((dir, name))
    }

    /// rc's way into a script's cgroup: the child starts there, not moved.
    #[test]
    fn a_child_with_a_cgroup_directory_starts_in_that_cgroup() {
        let Some((dir, name)) = scratch_cgroup() else {
            eprintln!("no cgroup2 hierarchy to write here: not tested");
            return;
        };
        let child = Child::new(b"/bin/cat", &["cat", "/proc/self/cgroup"], &[] as &[&str])
            .expect("child")
            .cgroup(Some(
                std::fs::File::open(&dir)
                    .expect("open the cgroup's directory")
                    .into(),
            ));
        // clone3 itself, not spawn_sharing_memory, which falls back to a move.
        let text = output_of_spawned(child, |child| {
            let directory = child.cgroup.as_ref().expect("directory");
            let pid = child
                .clone_into_cgroup(directory, &ExecArgs::new(child), None)
                .expect("clone3 into the cgroup");
            Spawned {
                pid,
                exec_error: None,
            }
        });
        std::fs::remove_dir(&dir).expect("remove the cgroup");
        // Under a hybrid hierarchy, v1's lines come first.
        let unified = text.lines().find(|line| line.starts_with("0::"));
        assert_eq!(unified, Some(format!("0::{name}").as_str()), "{text}");
    }

    fn status_field(status: &str, field: &str) -> String {
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .unwrap_or_else(|| panic!("no {field} in {status}"))
            .trim()
            .to_string()
    }

    fn failing_reset() -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::EINVAL))
    }

    /// The restart path's case: the parent (init) blocks every signal and
    /// the raw reset fails; the program must still start with none blocked.
    #[test]
    fn the_fallback_signal_reset_empties_the_mask_too() {
        let everything = SigSet::all();
        let mut before = SigSet::empty();
        // Only this test thread's mask: the child inherits it.
        sigprocmask(
            SigmaskHow::SIG_SETMASK,
            Some(&everything),
            Some(&mut before),
        )
        .expect("block");
        let mut child = Child::new(b"/bin/cat", &["cat", "/proc/self/status"], &[] as &[&str])
            .expect("child")
            .session(Session::New);
        child.raw_signal_reset = failing_reset;
        let status = output_of(child);
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&before), None).expect("restore");
        // The C library's fallback cannot touch its own signals, 32 and 33:
        // this test process may have them ignored (cargo starts it with
        // posix_spawn), which the program inherits, and then its C library
        // blocks 32. Every other signal is unblocked and at its default.
        let others = |field: &str| {
            u64::from_str_radix(&status_field(&status, field), 16).expect("hex") & !(0b11 << 31)
        };
        assert_eq!(others("SigBlk:"), 0, "{status}");
        assert_eq!(others("SigIgn:"), 0, "{status}");
    }

    #[test]
    fn attributes_reach_the_program_and_a_refused_one_is_said() {
        let mut attributes = Attributes::default();
        attributes.add(
            Attribute::Rlimit {
                resource: Resource::RLIMIT_NOFILE,
                soft: Some(123),
                hard: Some(456),
            },
            "nofile".to_string(),
        );
        attributes.add(
            Attribute::Rlimit {
                resource: Resource::RLIMIT_CORE,
                soft: Some(0),
                hard: None,
            },
            "core".to_string(),
        );
        attributes.add(Attribute::Nice(7), "nice".to_string());
        attributes.add(Attribute::OomScoreAdj(321), "oom".to_string());
        // More open files than the kernel allows anyone (fs.nr_open).
        attributes.add(
            Attribute::Rlimit {
                resource: Resource::RLIMIT_NOFILE,
                soft: Some(u64::MAX - 1),
                hard: Some(u64::MAX - 1),
            },
            "file:3: rlimit_nofile=too many: not set".to_string(),
        );
        let (mut errors, writer) = std::io::pipe().expect("pipe");
        let script = "cat /proc/self/limits; cut -d' ' -f19 /proc/self/stat; cat /proc/self/oom_score_adj; pwd";
        let child = Child::new(b"/bin/sh", &["sh", "-c", script], &["PATH=/bin:/usr/bin"])
            .expect("child")
            .attributes(attributes)
            .directory(b"/")
            .expect("directory")
            .stdio(2, writer.into());
        let out = output_of(child);
        let mut said = String::new();
        errors.read_to_string(&mut said).expect("stderr");
        let limits = |name: &str| -> Vec<String> {
            let line = out
                .lines()
                .find(|line| line.starts_with(name))
                .unwrap_or_else(|| panic!("{name} in {out}"));
            line.get(26..)
                .unwrap_or_default()
                .split_whitespace()
                .take(2)
                .map(str::to_string)
                .collect()
        };
        assert_eq!(limits("Max open files"), ["123", "456"]);
        assert_eq!(limits("Max core file size"), ["0", "unlimited"]);
        let tail: Vec<&str> = out.lines().rev().take(3).collect();
        assert_eq!(tail, ["/", "321", "7"]);
        assert_eq!(
            said,
            "file:3: rlimit_nofile=too many: not set: Operation not permitted\n"
        );
    }

    #[test]
    fn a_failed_exec_is_reported_and_a_script_without_interpreter_falls_back() {
        let missing = Child::new(b"/nonexistent/x", &["x"], &[] as &[&str])
            .expect("child")
            .report_exec_error();
        let spawned = missing.spawn(None).expect("spawn");
        let mut errno = [0u8; 4];
        spawned
            .exec_error
            .expect("pipe")
            .read_exact(&mut errno)
            .expect("errno");
        assert_eq!(i32::from_ne_bytes(errno), libc::ENOENT);
        assert_eq!(
            waitpid(spawned.pid, None).expect("wait"),
            WaitStatus::Exited(spawned.pid, 127)
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("no-shebang");
        std::fs::write(&script, "echo fell back to \"$0\"\n").expect("script");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let path = script.as_os_str().as_encoded_bytes();
        let child = Child::new(path, &[path], &[] as &[&str])
            .expect("child")
            .fallback(&[b"sh".as_slice(), path], Some(b"/nonexistent:/bin"));
        assert_eq!(
            output_of(child),
            format!("fell back to {}\n", script.display())
        );
        // A name without a slash is searched in PATH's directories.
        let searched = Child::new(b"echo", &["echo", "found"], &[] as &[&str])
            .expect("child")
            .search(b"/nonexistent::/bin");
        assert_eq!(output_of(searched), "found\n");
    }
}
