//! Pseudo-terminals for capturing a child's output, as startpar does for
//! init scripts (the rc runner).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

use nix::fcntl::OFlag;
use nix::pty::{PtyMaster, grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::termios::{LocalFlags, OutputFlags, SetArg, tcgetattr, tcsetattr};

/// Both ends of a new pseudo-terminal, close-on-exec.
pub(crate) struct Pty {
    /// What the child writes comes out here.
    pub master: OwnedFd,
    /// The terminal the child gets; nobody's controlling terminal.
    pub slave: OwnedFd,
}

/// Opens a pseudo-terminal whose slave passes output through unchanged:
/// no echo, and `\n` not turned into `\r\n` (`onlcr` off), so captured text
/// has clean lines. `window_of`, when it is a terminal, lends its window
/// size (so programs that ask for the width get the console's).
pub(crate) fn open_capture_pty(window_of: Option<BorrowedFd<'_>>) -> io::Result<Pty> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let slave = match open_peer(&master) {
        Ok(slave) => slave,
        // Kernels before 4.13 have no TIOCGPTPEER: open the slave by name.
        Err(_) => {
            let name = ptsname_r(&master)?;
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NOCTTY)
                .open(name)?
                .into()
        }
    };
    let mut settings = tcgetattr(&slave)?;
    settings
        .local_flags
        .remove(LocalFlags::ECHO | LocalFlags::ECHOE | LocalFlags::ECHOK | LocalFlags::ECHONL);
    settings.output_flags.remove(OutputFlags::ONLCR);
    tcsetattr(&slave, SetArg::TCSANOW, &settings)?;
    if let Some(terminal) = window_of {
        copy_window_size(terminal, slave.as_fd());
    }
    // SAFETY: into_raw_fd hands over the open descriptor PtyMaster owned.
    let master = unsafe { OwnedFd::from_raw_fd(master.into_raw_fd()) };
    Ok(Pty { master, slave })
}

/// `ioctl(master, TIOCGPTPEER, flags)`: the slave without going through a
/// path, which in a chroot or a mount namespace may name another devpts
/// instance's terminal, or none.
fn open_peer(master: &PtyMaster) -> io::Result<OwnedFd> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER takes the open flags as an int by value and
    // returns a new descriptor, which we own from here on.
    let fd = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER as _, flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Gives `to` the window size of terminal `from`, if it has one.
fn copy_window_size(from: BorrowedFd<'_>, to: BorrowedFd<'_>) {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into the live struct we pass;
    // TIOCSWINSZ reads one from it.
    unsafe {
        if libc::ioctl(from.as_raw_fd(), libc::TIOCGWINSZ as _, &mut size) == 0 && size.ws_col > 0 {
            libc::ioctl(to.as_raw_fd(), libc::TIOCSWINSZ as _, &size);
        }
    }
}
