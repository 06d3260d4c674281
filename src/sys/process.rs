//! The unsafe parts of starting processes from PID 1: `fork` and resetting
//! signal dispositions.

use nix::unistd::ForkResult;

/// `fork(2)`.
pub fn fork() -> nix::Result<ForkResult> {
    // SAFETY: vinit's PID 1 (and everything else that calls this) is
    // single-threaded, so the child cannot inherit a lock held by another
    // thread; the child only sets up file descriptors, writes a utmp record
    // and execs (or exits with `_exit`).
    unsafe { nix::unistd::fork() }
}

/// Sets every signal's disposition to `SIG_DFL`. A child of init must not
/// inherit ignored signals (they survive `exec`); PID 1 itself does this at
/// start because an init it replaced (sysvinit sets everything to
/// `SIG_IGN`) may have left them ignored.
pub fn reset_signal_dispositions() {
    for signal in 1..=libc::SIGRTMAX() {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        // SAFETY: installing SIG_DFL runs no code of ours in signal context;
        // failures (signals the C library reserves) are harmless.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
}

/// `_exit(2)`: ends a forked child without running the parent's exit
/// handlers or flushing its buffers.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` has no preconditions.
    unsafe { libc::_exit(code) }
}

/// `kill(pid, signal)` for any signal number, real-time ones included
/// (nix's `Signal` has no real-time signals).
pub fn send_signal_number(pid: i32, signal: i32) -> std::io::Result<()> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
