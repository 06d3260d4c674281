//! The file system as the configuration readers see it: [`FileSystem`] is
//! the mechanism behind [`inittab::Source`], so that `inittab` parses and
//! validates text and does no I/O of its own.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use crate::inittab::{self, Unreadable};
use crate::untrusted::{self, Refused};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;

/// The real files, at the paths asked for (a test root is a path prefix).
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSystem;

impl inittab::Source for FileSystem {
    type File = fs::File;

    /// Only a regular file is opened, the way [`crate::untrusted`] opens
    /// one (sysvinit would block on a FIFO, and take a terminal for its
    /// own), and one whose size is over `limit` is refused before reading
    /// it. A symbolic link is followed (`/etc/inittab` may be one).
    fn open(&self, path: &Path, limit: u64) -> Result<fs::File, Unreadable> {
        match untrusted::open_capped(path, limit, true) {
            Ok(opened) => Ok(opened.file),
            Err(Refused::Missing) => Err(Unreadable::Missing(io::Error::from_raw_os_error(
                libc::ENOENT,
            ))),
            Err(Refused::Io(error)) => Err(Unreadable::OpenFailed(error)),
            Err(Refused::TooLarge { cap }) => Err(Unreadable::ReadFailed(inittab::too_large(cap))),
            Err(refused) => Err(Unreadable::ReadFailed(io::Error::other(
                refused.to_string(),
            ))),
        }
    }

    fn names(&self, path: &Path) -> io::Result<Vec<OsString>> {
        Ok(fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect())
    }
}
