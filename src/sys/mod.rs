//! Every `unsafe` of the crate lives below this module.

pub(crate) mod console;
pub(crate) mod fd;
pub(crate) mod power;
pub(crate) mod process;
pub(crate) mod proctitle;
pub(crate) mod pty;
pub(crate) mod spawn;
pub(crate) mod utmpx;

/// Puts SIGPIPE back to its default action. The Rust runtime starts every
/// program with SIGPIPE ignored, and an ignored disposition survives `exec`:
/// left alone, every script init or rc starts would inherit it, and our
/// commands would print "Broken pipe" where the C tools die quietly.
pub fn restore_default_sigpipe() {
    // SAFETY: signal(2) with SIG_DFL installs no handler; it only resets
    // the disposition, and runs before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Gives the memory malloc holds free back to the kernel (glibc's
/// `malloc_trim`: the top of the heap, and whole free pages inside it).
/// PID 1 calls it after replacing its configuration, so a large inittab
/// re-read again and again does not leave its peak resident for good.
/// musl (the small build's C library) has no `malloc_trim`; its allocator
/// gives freed pages back by itself.
pub(crate) fn release_free_memory() {
    // SAFETY: malloc_trim only walks and shrinks malloc's own free lists;
    // it takes malloc's locks like any allocation.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::malloc_trim(0);
    }
}
