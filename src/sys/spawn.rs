//! A clean signal state for programs we start: every disposition `SIG_DFL`
//! and nothing blocked, as a program started by the kernel has.
//!
//! Why raw system calls: glibc's `posix_spawn` (which `std::process::Command`
//! uses when it can) sets glibc's two internal signals, 32 (SIGCANCEL) and
//! 33 (SIGSETXID), to `SIG_IGN` in the child (glibc 2.36
//! `sysdeps/unix/sysv/linux/spawni.c`), and an ignored signal stays ignored
//! across `exec`. So a process started that way (rc under a test runner, or
//! from a shell) has them ignored, and everything it starts inherits that.
//! glibc's `sigaction` refuses to touch those two signals (`EINVAL`), so the
//! reset goes to the kernel directly.

use std::ffi::{CStr, CString, c_char};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

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

/// How [`spawn_script`]'s child becomes the script: everything the child
/// needs, built before it exists, so that it only makes system calls.
pub(crate) struct ScriptExec<'a> {
    program: &'a CStr,
    /// `argv` and `envp` as exec takes them: pointers into the caller's
    /// strings, each list ending with a null pointer.
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    /// Descriptors for 0, 1 and 2, in a process group of its own; `None`:
    /// rc's own, in rc's group (an interactive script).
    stdio: Option<[RawFd; 3]>,
    /// Gets the errno if the script could not be made to run.
    error: RawFd,
}

impl<'a> ScriptExec<'a> {
    pub(crate) fn new(
        program: &'a CStr,
        argv: &'a [CString],
        env: &'a [CString],
        stdio: Option<[BorrowedFd<'a>; 3]>,
        error: BorrowedFd<'a>,
    ) -> ScriptExec<'a> {
        let pointers = |strings: &'a [CString]| -> Vec<*const c_char> {
            strings
                .iter()
                .map(|string| string.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect()
        };
        ScriptExec {
            program,
            argv: pointers(argv),
            envp: pointers(env),
            stdio: stdio.map(|fds| fds.map(|fd| fd.as_raw_fd())),
            error: error.as_raw_fd(),
        }
    }
}

/// The bytes of the stack [`spawn_script`]'s child runs on (it only makes
/// system calls).
pub(crate) const CHILD_STACK_SIZE: usize = 64 * 1024;

/// Starts the process that becomes a script as `exec` says, the way
/// posix_spawn does: `clone` with `CLONE_VM | CLONE_VFORK`, so the child
/// runs on this process's memory (on `stack`) while this process waits for
/// its `execve` or exit. No page tables are copied and neither process
/// takes copy-on-write faults afterwards, which a `fork` of rc cost for
/// every script. The child sets every signal to its default and unblocks
/// them, takes its own process group and the given 0, 1 and 2 (if any),
/// goes to `/`, and execs; on a failure it writes the errno to
/// `exec.error` and exits 127.
pub(crate) fn spawn_script(
    exec: &ScriptExec<'_>,
    stack: &mut [u8],
) -> io::Result<nix::unistd::Pid> {
    let Some(top) = stack.len().checked_sub(64) else {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    };
    // The stack grows down from its top, 16-byte aligned as the ABI wants.
    let top = stack[top..].as_mut_ptr();
    let top = top.wrapping_sub(top as usize % 16);
    // SAFETY: the child runs `become_script` on `stack`, which nothing else
    // uses until clone returns (CLONE_VFORK suspends us until the child has
    // exec'd or exited), on a `ScriptExec` that outlives the call. The child
    // only makes system calls on memory built before (no allocation, no
    // lock, nothing that unwinds), so sharing our memory cannot leave it
    // changed; without CLONE_SIGHAND its signal dispositions are its own.
    let pid = unsafe {
        libc::clone(
            become_script,
            top.cast::<libc::c_void>(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::from_ref(exec).cast_mut().cast::<libc::c_void>(),
        )
    };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(nix::unistd::Pid::from_raw(pid))
}

/// The child of [`spawn_script`], on its own stack and our memory.
extern "C" fn become_script(exec: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `spawn_script` passes a live `ScriptExec`, which it keeps
    // borrowed until this child has exec'd or exited.
    let exec = unsafe { &*exec.cast_const().cast::<ScriptExec<'_>>() };
    let errno = exec_script(exec);
    // SAFETY: write(2) from a live 4-byte value, then _exit(2), which runs
    // nothing of ours (no exit handlers, no buffers flushed).
    unsafe {
        libc::write(
            exec.error,
            std::ptr::from_ref(&errno).cast::<libc::c_void>(),
            std::mem::size_of::<i32>(),
        );
        libc::_exit(127)
    }
}

/// Everything the child does until `execve`; returns only on a failure,
/// with its errno.
fn exec_script(exec: &ScriptExec<'_>) -> i32 {
    let errno = || {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL)
    };
    if reset_all_signals().is_err() {
        return errno();
    }
    // SAFETY: plain system calls on descriptors and C strings that live as
    // long as `exec`; the pointer lists end with a null pointer.
    unsafe {
        if let Some(fds) = exec.stdio {
            if libc::setpgid(0, 0) != 0 {
                return errno();
            }
            // The descriptors are above 2 (Rust's runtime opens /dev/null on
            // any of 0-2 that is closed at start), so dup2 always makes a
            // copy without close-on-exec.
            for (target, fd) in fds.into_iter().enumerate() {
                if libc::dup2(fd, target as libc::c_int) < 0 {
                    return errno();
                }
            }
        }
        if libc::chdir(c"/".as_ptr()) != 0 {
            return errno();
        }
        libc::execve(
            exec.program.as_ptr(),
            exec.argv.as_ptr(),
            exec.envp.as_ptr(),
        );
    }
    errno()
}
