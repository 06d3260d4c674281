//! Writes the status file ([`crate::status`]) after the passes that changed
//! something, at most once per pass: a hash of the supervisor's view is
//! compared with the last one written (no allocation per entry), and only a
//! change costs an encode and a write. The file is written whole to a
//! temporary name and renamed over the old one; nothing here waits on a
//! reader.
//!
//! A write that fails (`/run` full or read-only) is retried until one
//! succeeds, and meanwhile the old file is removed (unlinking needs no free
//! space), so that no reader takes an older state for the current one: a
//! missing file means "unknown". The retries come on the passes that
//! change the state anyway, and otherwise at a deadline that joins poll's
//! timeout: 1 second after the failure, then twice as long after each
//! failure up to a minute. Not on every pass: a flood of events that change
//! nothing (junk on the FIFO, orphans) would cost an encode each, and an
//! idle init with a `/run` that stays full wakes at most once a minute.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::status::{InitStatus, STATUS_PATH, encode, program_path, start_ticks_of};
use crate::supervisor::Supervisor;
use crate::untrusted::{self, Kind};

/// The wait before the first retry of a failed write.
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two retries.
const RETRY_MAX: Duration = Duration::from_secs(60);

pub(crate) struct StatusWriter {
    path: PathBuf,
    pid: i32,
    /// Read from `/proc/self/stat` once `/proc` is there (at boot it may be
    /// mounted only by the first scripts); 0 in the file until then.
    start_ticks: Option<u64>,
    /// `/proc/self/exe`, read with `start_ticks`; empty until then.
    exe: String,
    /// The hash of what the file holds; `None` when that is not known to
    /// be the current state (nothing written yet, a write failed, the
    /// mount table changed).
    written: Option<u64>,
    /// While writes fail: when to try again.
    failing: Option<Failing>,
}

/// The last failed write, and when to retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failing {
    /// The state that could not be written: the same one is retried only
    /// at `retry_at`, a new one at once.
    fingerprint: u64,
    retry_at: Duration,
    /// The wait after the next failure.
    backoff: Duration,
}

impl StatusWriter {
    pub(crate) fn new() -> StatusWriter {
        StatusWriter {
            path: PathBuf::from(STATUS_PATH),
            pid: std::process::id() as i32,
            start_ticks: own_start_ticks(),
            exe: own_program(),
            written: None,
            failing: None,
        }
    }

    /// Writes the file if the supervisor's view is not what it holds: it
    /// changed since the last write, or the last write failed and its
    /// retry is due at `now`.
    pub(crate) fn update(&mut self, supervisor: &Supervisor, now: Duration) {
        if self.start_ticks.is_none() {
            self.start_ticks = own_start_ticks();
            if self.start_ticks.is_some() {
                self.exe = own_program();
                // Say it even if nothing else changed.
                self.written = None;
            }
        }
        let fingerprint = fingerprint(supervisor);
        if self.written == Some(fingerprint) {
            return;
        }
        if self
            .failing
            .is_some_and(|failing| failing.fingerprint == fingerprint && now < failing.retry_at)
        {
            return;
        }
        let status = InitStatus {
            pid: self.pid,
            start_ticks: self.start_ticks.unwrap_or(0),
            exe: std::borrow::Cow::Borrowed(&self.exe),
            runlevel: supervisor.runlevel().char(),
            previous: crate::runlevel::previous_char(supervisor.previous_level()),
            changing: supervisor.is_changing_level(),
            entries: supervisor.entry_statuses().collect(),
        };
        if write_atomically(&self.path, encode(&status).as_bytes()).is_ok() {
            self.written = Some(fingerprint);
            self.failing = None;
            return;
        }
        self.written = None;
        // Whatever the file holds is an older state.
        let _ = std::fs::remove_file(&self.path);
        let wait = self.failing.map_or(RETRY_FIRST, |failing| failing.backoff);
        self.failing = Some(Failing {
            fingerprint,
            retry_at: now.saturating_add(wait),
            backoff: (wait * 2).min(RETRY_MAX),
        });
    }

    /// When a failed write is to be retried, if one failed.
    pub(crate) fn retry_deadline(&self) -> Option<Duration> {
        self.failing.map(|failing| failing.retry_at)
    }

    /// The mount table changed: `/run` may be another file system now,
    /// without the file, or writable again. The next pass writes it.
    pub(crate) fn mounts_changed(&mut self) {
        self.written = None;
        self.failing = None;
    }
}

fn fingerprint(supervisor: &Supervisor) -> u64 {
    let mut hasher = DefaultHasher::new();
    supervisor.hash_status(&mut hasher);
    hasher.finish()
}

/// `path.tmp` written and renamed over `path` (the directory made first);
/// if that fails, the temporary is removed, to give back its space.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("tmp");
    let written = write_new(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
        .open(path)?;
    file.write_all(bytes)
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
            written: None,
            failing: None,
        };
        let started = std::time::Instant::now();
        writer.update(&b, Duration::ZERO);
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
            written: None,
            failing: None,
        };
        let one = supervisor(3, 5);
        writer.update(&one, Duration::ZERO);
        let text = std::fs::read_to_string(&writer.path).unwrap();
        let status = crate::status::decode(&text).unwrap();
        assert_eq!(
            (status.pid, status.start_ticks, status.entries.len()),
            (1, 42, 3)
        );
        std::fs::remove_file(&writer.path).unwrap();
        writer.update(&one, Duration::ZERO);
        assert!(!writer.path.exists());
        writer.update(&supervisor(3, 6), Duration::ZERO);
        assert!(writer.path.exists());
    }

    fn writer_in(dir: &Path) -> StatusWriter {
        StatusWriter {
            path: dir.join("vinit/status"),
            pid: 1,
            start_ticks: Some(42),
            exe: "/lib/vinit/vinit".into(),
            written: None,
            failing: None,
        }
    }

    fn pid_in_file(writer: &StatusWriter) -> Option<i32> {
        let text = std::fs::read_to_string(&writer.path).ok()?;
        let status = crate::status::decode(&text).unwrap();
        Some(status.entries[1].pid)
    }

    #[test]
    fn a_failed_write_removes_the_old_file_and_is_retried_until_it_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = writer_in(dir.path());
        let secs = Duration::from_secs_f64;
        writer.update(&supervisor(3, 5), secs(0.0));
        assert_eq!(pid_in_file(&writer), Some(5));
        assert_eq!(writer.retry_deadline(), None);

        // The temporary cannot be made (a directory in its way, as good as
        // a full /run): the old state is not left for readers.
        let blocker = writer.path.with_extension("tmp");
        std::fs::create_dir(&blocker).unwrap();
        writer.update(&supervisor(3, 6), secs(10.0));
        assert!(!writer.path.exists());
        assert_eq!(writer.retry_deadline(), Some(secs(11.0)));
        // Not before the deadline, not on passes that change nothing...
        std::fs::remove_dir(&blocker).unwrap();
        writer.update(&supervisor(3, 6), secs(10.5));
        assert!(!writer.path.exists());
        // ...but at it, with nothing else happening.
        writer.update(&supervisor(3, 6), secs(11.0));
        assert_eq!(pid_in_file(&writer), Some(6));
        assert_eq!(writer.retry_deadline(), None);
        writer.update(&supervisor(3, 6), secs(11.5));
        assert_eq!(pid_in_file(&writer), Some(6));
    }

    #[test]
    fn retries_back_off_to_a_minute_and_a_new_state_is_tried_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = writer_in(dir.path());
        let secs = Duration::from_secs;
        std::fs::create_dir_all(writer.path.with_extension("tmp")).unwrap();
        let one = supervisor(3, 5);
        writer.update(&one, secs(100));
        let mut deadlines = vec![];
        for _ in 0..9 {
            let due = writer.retry_deadline().unwrap();
            deadlines.push(due.as_secs() - 100);
            writer.update(&one, due);
        }
        assert_eq!(deadlines, [1, 3, 7, 15, 31, 63, 123, 183, 243]);
        // A pass with a new state tries it at once; the wait keeps growing.
        std::fs::remove_dir(writer.path.with_extension("tmp")).unwrap();
        writer.update(&supervisor(3, 6), secs(400));
        assert_eq!(pid_in_file(&writer), Some(6));
        assert_eq!(writer.retry_deadline(), None);
    }

    #[test]
    fn a_change_of_the_mount_table_writes_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = writer_in(dir.path());
        let one = supervisor(3, 5);
        writer.update(&one, Duration::ZERO);
        // A new tmpfs on /run hides the file.
        std::fs::remove_file(&writer.path).unwrap();
        writer.update(&one, Duration::ZERO);
        assert!(!writer.path.exists());
        writer.mounts_changed();
        writer.update(&one, Duration::ZERO);
        assert_eq!(pid_in_file(&writer), Some(5));
    }

    #[test]
    fn a_failed_write_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status");
        // The rename fails: a directory with something in it is in the way.
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), b"").unwrap();
        assert!(write_atomically(&path, b"state\n").is_err());
        assert!(!path.with_extension("tmp").exists());
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
