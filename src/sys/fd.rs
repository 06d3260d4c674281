//! Taking ownership of file descriptors inherited across `exec`.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::fcntl::{FcntlArg, fcntl};

/// Takes ownership of `fd` if it is open. Only for descriptors a previous
/// program deliberately left open for us (the re-exec state pipe on fd 11);
/// call it once per descriptor, before anything else can have opened it.
pub(crate) fn take_inherited_fd(fd: RawFd) -> Option<OwnedFd> {
    fcntl(fd, FcntlArg::F_GETFD).ok()?;
    // SAFETY: the descriptor is open (F_GETFD succeeded) and, per the
    // contract above, nothing else in this process owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}
