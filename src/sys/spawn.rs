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

use std::io;

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
