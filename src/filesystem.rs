//! The file system as the configuration readers see it: [`FileSystem`] is
//! the mechanism behind [`inittab::Source`], so that `inittab` parses and
//! validates text and does no I/O of its own.

use crate::inittab::{self, Unreadable};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;

/// The real files, at the paths asked for (a test root is a path prefix).
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSystem;

impl inittab::Source for FileSystem {
    type File = fs::File;

    /// Only a regular file is opened: sysvinit would block on a FIFO, and
    /// one whose size is over `limit` is refused before reading it.
    fn open(&self, path: &Path, limit: u64) -> Result<fs::File, Unreadable> {
        let not_found = |error: &io::Error| error.kind() == io::ErrorKind::NotFound;
        match fs::metadata(path) {
            Err(error) if not_found(&error) => return Err(Unreadable::Missing(error)),
            Err(error) => return Err(Unreadable::OpenFailed(error)),
            Ok(metadata) if !metadata.is_file() => {
                return Err(Unreadable::ReadFailed(io::Error::other(
                    "not a regular file",
                )));
            }
            Ok(metadata) if metadata.len() > limit => {
                return Err(Unreadable::ReadFailed(inittab::too_large(limit)));
            }
            Ok(_) => {}
        }
        match fs::File::open(path) {
            Ok(file) => Ok(file),
            Err(error) if not_found(&error) => Err(Unreadable::Missing(error)),
            Err(error) => Err(Unreadable::OpenFailed(error)),
        }
    }

    fn names(&self, path: &Path) -> io::Result<Vec<OsString>> {
        Ok(fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect())
    }
}
