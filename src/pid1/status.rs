//! Writes the status file ([`crate::status`]) after the passes that changed
//! something, at most once per pass: a hash of the supervisor's view is
//! compared with the last one written (no allocation per entry), and only a
//! change costs an encode and a write. The file is written whole to a
//! temporary name and renamed over the old one; nothing here waits on a
//! reader.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::status::{InitStatus, STATUS_PATH, encode, program_path, start_ticks_of};
use crate::supervisor::Supervisor;
use crate::untrusted::{self, Kind};

pub(crate) struct StatusWriter {
    path: PathBuf,
    pid: i32,
    /// Read from `/proc/self/stat` once `/proc` is there (at boot it may be
    /// mounted only by the first scripts); 0 in the file until then.
    start_ticks: Option<u64>,
    /// `/proc/self/exe`, read with `start_ticks`; empty until then.
    exe: String,
    /// The hash of what was last written (or last failed to be written:
    /// the next change tries again).
    last: Option<u64>,
}

impl StatusWriter {
    pub(crate) fn new() -> StatusWriter {
        StatusWriter {
            path: PathBuf::from(STATUS_PATH),
            pid: std::process::id() as i32,
            start_ticks: own_start_ticks(),
            exe: own_program(),
            last: None,
        }
    }

    /// Writes the file if the supervisor's view changed since the last write.
    pub(crate) fn update(&mut self, supervisor: &Supervisor) {
        if self.start_ticks.is_none() {
            self.start_ticks = own_start_ticks();
            if self.start_ticks.is_some() {
                self.exe = own_program();
                // Say it even if nothing else changed.
                self.last = None;
            }
        }
        let fingerprint = fingerprint(supervisor);
        if self.last == Some(fingerprint) {
            return;
        }
        self.last = Some(fingerprint);
        let status = InitStatus {
            pid: self.pid,
            start_ticks: self.start_ticks.unwrap_or(0),
            exe: std::borrow::Cow::Borrowed(&self.exe),
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
    supervisor.hash_status(&mut hasher);
    hasher.finish()
}

/// `path.tmp` written and renamed over `path` (the directory made first).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("tmp");
    #[allow(
        clippy::disallowed_methods,
        reason = "init's own file under /run/vinit, never through a link"
    )]
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&temporary)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// This program's path, empty while `/proc` is not mounted.
fn own_program() -> String {
    std::fs::read_link("/proc/self/exe")
        .map(|link| program_path(&link))
        .unwrap_or_default()
}

/// Field 22 of `/proc/self/stat`: when this process started, in clock ticks
/// after boot (kept across exec, so across `telinit u`).
fn own_start_ticks() -> Option<u64> {
    let stat = untrusted::read_text(Path::new("/proc/self/stat"), Kind::Kernel).ok()?;
    start_ticks_of(&stat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reexec_state::{EntryFlags, SavedEntry};

    fn supervisor(entries: usize, changed_pid: i32) -> Supervisor {
        let entries = (0..entries)
            .map(|i| SavedEntry {
                id: format!("{i:x}"),
                runlevels: "2345".into(),
                flags: EntryFlags {
                    running: true,
                    executed: true,
                    ..EntryFlags::default()
                },
                pid: if i == 1 { changed_pid } else { 1000 + i as i32 },
                action: "respawn".into(),
                process: format!("/sbin/getty 38400 tty{i}"),
                ..SavedEntry::default()
            })
            .collect();
        Supervisor::restored_in_level_2(entries)
    }

    #[test]
    fn one_changed_entry_in_ten_thousand_changes_the_fingerprint() {
        let a = supervisor(10_000, 5);
        let started = std::time::Instant::now();
        let first = fingerprint(&a);
        let took = started.elapsed();
        assert_eq!(first, fingerprint(&a));
        let b = supervisor(10_000, 6);
        assert_ne!(first, fingerprint(&b));
        let dir = tempfile::tempdir().unwrap();
        let mut writer = StatusWriter {
            path: dir.path().join("status"),
            pid: 1,
            start_ticks: Some(1),
            exe: String::new(),
            last: None,
        };
        let started = std::time::Instant::now();
        writer.update(&b);
        eprintln!(
            "10,000 entries: fingerprint {took:?}, encode and write {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_pass_that_changed_nothing_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = StatusWriter {
            path: dir.path().join("status"),
            pid: 1,
            start_ticks: Some(42),
            exe: "/lib/vinit/vinit".into(),
            last: None,
        };
        let one = supervisor(3, 5);
        writer.update(&one);
        let text = std::fs::read_to_string(&writer.path).unwrap();
        let status = crate::status::decode(&text).unwrap();
        assert_eq!(
            (status.pid, status.start_ticks, status.entries.len()),
            (1, 42, 3)
        );
        std::fs::remove_file(&writer.path).unwrap();
        writer.update(&one);
        assert!(!writer.path.exists());
        writer.update(&supervisor(3, 6));
        assert!(writer.path.exists());
    }

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
