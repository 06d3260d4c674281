//! Writes the status file ([`crate::status`]) after the passes that changed
//! something, at most once per pass: a hash of the supervisor's view is
//! compared with the last one written (no allocation per entry), and only a
//! change costs an encode and a write. The file is written whole to a
//! temporary name and renamed over the old one; nothing here waits on a
//! reader.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::status::{InitStatus, STATUS_PATH, encode, start_ticks_of};
use crate::supervisor::Supervisor;

pub struct StatusWriter {
    path: PathBuf,
    pid: i32,
    start_ticks: u64,
    /// The hash of what was last written (or last failed to be written:
    /// the next change tries again).
    last: Option<u64>,
}

impl StatusWriter {
    pub fn new() -> StatusWriter {
        StatusWriter {
            path: PathBuf::from(STATUS_PATH),
            pid: std::process::id() as i32,
            start_ticks: own_start_ticks().unwrap_or(0),
            last: None,
        }
    }

    /// Writes the file if the supervisor's view changed since the last write.
    pub fn update(&mut self, supervisor: &Supervisor) {
        let fingerprint = fingerprint(supervisor);
        if self.last == Some(fingerprint) {
            return;
        }
        self.last = Some(fingerprint);
        let status = InitStatus {
            pid: self.pid,
            start_ticks: self.start_ticks,
            runlevel: char::from(supervisor.runlevel()),
            previous: char::from(supervisor.previous_level()),
            changing: supervisor.is_changing_level(),
            entries: supervisor.entry_statuses().collect(),
        };
        let _ = write_atomically(&self.path, encode(&status).as_bytes());
    }
}

fn fingerprint(supervisor: &Supervisor) -> u64 {
    let mut hasher = DefaultHasher::new();
    supervisor.runlevel().hash(&mut hasher);
    supervisor.previous_level().hash(&mut hasher);
    supervisor.is_changing_level().hash(&mut hasher);
    for entry in supervisor.entry_statuses() {
        entry.hash(&mut hasher);
    }
    hasher.finish()
}

/// `path.tmp` written and renamed over `path` (the directory made first).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&temporary)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// Field 22 of `/proc/self/stat`: when this process started, in clock ticks
/// after boot (kept across exec, so across `telinit u`).
fn own_start_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    start_ticks_of(&stat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_by_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/vinit/status");
        write_atomically(&path, b"one\n").unwrap();
        write_atomically(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        assert!(!path.with_extension("tmp").exists());
    }
}
