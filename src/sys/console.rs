//! Terminal ioctls the console code needs and nix does not wrap safely.

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// `ioctl(fd, TIOCSCTTY, steal)`: make the terminal the caller's controlling
/// tty; with `steal` it is taken away from another session (root only), as
/// sysvinit does for boot-phase waited children (docs/compatibility.md §1.9).
pub(crate) fn set_controlling_tty(fd: impl AsFd, steal: bool) -> io::Result<()> {
    // SAFETY: TIOCSCTTY takes an int by value; the fd is borrowed and open.
    let rc = unsafe {
        libc::ioctl(
            fd.as_fd().as_raw_fd(),
            libc::TIOCSCTTY as _,
            libc::c_int::from(steal),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `ioctl(fd, KDSIGACCEPT, signal)`: ask the kernel to send `signal` to this
/// process for the keyboard request key (Alt-Up), as init does with SIGWINCH.
pub(crate) fn accept_keyboard_signal(fd: impl AsFd, signal: libc::c_int) -> io::Result<()> {
    // KDSIGACCEPT from <linux/kd.h>; libc does not export it.
    const KDSIGACCEPT: libc::c_ulong = 0x4B4E;
    // SAFETY: KDSIGACCEPT takes the signal number as an int by value.
    let rc = unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), KDSIGACCEPT as _, signal) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
