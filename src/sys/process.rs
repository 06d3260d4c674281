//! The unsafe parts of starting processes from PID 1: `fork` and resetting
//! signal dispositions.

use nix::unistd::ForkResult;

/// `fork(2)`.
///
/// # Safety
///
/// The child has only the calling thread. If the process has others, a
/// lock one of them held at the fork (in the allocator, stdio, the
/// environment, a `Mutex` of ours) stays locked in the child forever, so
/// the child must keep to async-signal-safe calls until it execs or
/// `_exit`s. In a process with a single thread the child may do anything.
pub(crate) unsafe fn fork() -> nix::Result<ForkResult> {
    // SAFETY: the caller keeps the contract above, which is nix's.
    unsafe { nix::unistd::fork() }
}

/// [`fork`] for the program that never starts a thread: PID 1 (`pid1`,
/// whose children write a utmp record and build their environment before
/// `exec`). Its one thread is a property of the whole program, which no
/// call can check cheaply (a thread count needs `/proc`, which PID 1 may
/// start without): no code under `src/` outside tests starts a thread, and
/// PID 1 stays that way by design (signalfd + poll, no threads). rc starts
/// its scripts with [`super::spawn::spawn_script`] instead, whose child
/// makes raw system calls on arguments built before (so unit tests may run
/// it beside libtest's threads).
pub(crate) fn fork_single_threaded() -> nix::Result<ForkResult> {
    // SAFETY: the caller's process is single-threaded, as documented above,
    // so the child inherits no lock held by another thread.
    unsafe { fork() }
}

/// Sets every signal's disposition to `SIG_DFL`. A child of init must not
/// inherit ignored signals (they survive `exec`); PID 1 itself does this at
/// start because an init it replaced (sysvinit sets everything to
/// `SIG_IGN`) may have left them ignored.
pub(crate) fn reset_signal_dispositions() {
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
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` has no preconditions.
    unsafe { libc::_exit(code) }
}

/// `kill(pid, signal)` for any signal number, real-time ones included
/// (nix's `Signal` has no real-time signals).
pub(crate) fn send_signal_number(pid: i32, signal: i32) -> std::io::Result<()> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
