//! System calls for taking the machine down that nix does not wrap:
//! `swapoff(2)` and switching a network interface off. (`reboot(2)`,
//! `kill(2)`, `sync(2)` and `umount2(2)` have safe wrappers in nix.)

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `swapoff(path)`.
pub(crate) fn swapoff(path: &Path) -> io::Result<()> {
    let path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `path` is a valid NUL-terminated string for the call's duration.
    if unsafe { libc::swapoff(path.as_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Clears `IFF_UP` on the network interface `name` (`ip link set NAME down`).
pub(crate) fn interface_down(name: &str) -> io::Result<()> {
    let mut request = interface_request(name)?;
    // SAFETY: plain socket(2); the result is checked and owned at once.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write the `ifreq` we own;
    // `ifru_flags` is the union member these two requests use.
    unsafe {
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS as _, &mut request) < 0 {
            return Err(io::Error::last_os_error());
        }
        request.ifr_ifru.ifru_flags &= !(libc::IFF_UP as libc::c_short);
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS as _, &request) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn interface_request(name: &str) -> io::Result<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(bytes) {
        *slot = *byte as libc::c_char;
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_refused_before_any_call() {
        assert!(interface_request("").is_err());
        assert!(interface_request(&"x".repeat(libc::IFNAMSIZ)).is_err());
        assert!(interface_request("a\0b").is_err());
        assert!(swapoff(Path::new("a\0b")).is_err());
    }

    #[test]
    fn unknown_interface_and_swap_fail_cleanly() {
        assert!(interface_down("vinit-nosuch0").is_err());
        // Not a swap area: EINVAL (or ENOENT), never a panic.
        assert!(swapoff(Path::new("/nonexistent-swap")).is_err());
    }
}
