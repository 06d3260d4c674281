//! Every `unsafe` of the crate lives below this module.

pub mod console;
pub mod fd;
pub mod power;
pub mod process;
pub mod proctitle;
pub mod pty;
pub mod spawn;
pub mod utmpx;

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
