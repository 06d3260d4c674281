//! Which live process is each supervised service's daemon: the pid files
//! read the safe way ([`crate::untrusted`]), judged by
//! [`crate::services::claim`], and the believed daemons kept by PID and
//! start time.
//!
//! A pid file is read again only when [`super::changes`] says it changed
//! (or, where it cannot be watched, when its size, time or inode did, at
//! most once per pass of init's loop). A claim about a live process that
//! is not believed yet is looked at again a few times (start-stop-daemon
//! writes the pid file of a child that has not yet run the daemon's
//! program) before it is logged, once.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cgroup::Tree;
use crate::procfs;
use crate::services::claim::{self, Claim, Judgement, Membership, Program, Seen, parse_pid};
use crate::untrusted::{self, Kind, Refused};

/// When a claim that is not believed is looked at again, after it was
/// first read: start-stop-daemon's child runs the daemon's program within
/// microseconds; a slow machine gets a few seconds.
const RECHECKS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// What identifies a pid file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileKey {
    device: u64,
    inode: u64,
    size: u64,
    modified_ns: i128,
}

impl FileKey {
    fn of(metadata: &std::fs::Metadata) -> FileKey {
        FileKey {
            device: metadata.dev(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified_ns: i128::from(metadata.mtime())
                .saturating_mul(1_000_000_000)
                .saturating_add(i128::from(metadata.mtime_nsec())),
        }
    }
}

/// One service's files, as last read.
#[derive(Debug)]
struct Files {
    /// The pid file, under the root.
    pidfile: PathBuf,
    /// The program its script starts, if the script says.
    program: Option<Program>,
    /// Read since it was set.
    read: bool,
    /// The pid file as last read (`None`: missing).
    key: Option<FileKey>,
    /// A claim about a live process not believed yet: looked at again at
    /// `at` (the `attempt`-th time).
    doubt: Option<Doubt>,
    /// What was last logged about this service's pid file, to log it once.
    reported: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Doubt {
    claim: Claim,
    attempt: usize,
    at: Duration,
}

/// A believed daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Daemon {
    pub(super) service: String,
    start_ticks: u64,
}

/// What happened to a service's daemon when its pid file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Nothing new.
    Unchanged,
    /// `pid`, a live process, is now the service's daemon.
    Running(i32),
    /// A line to log (once).
    Report(String),
}

#[derive(Debug, Default)]
pub(super) struct Claims {
    files: BTreeMap<String, Files>,
    /// Believed daemons by PID: at most one per service.
    daemons: HashMap<i32, Daemon>,
    /// The services' cgroups, where tracking is on.
    tree: Option<Tree>,
}

impl Claims {
    pub(super) fn new(tree: Option<Tree>) -> Claims {
        Claims {
            tree,
            ..Claims::default()
        }
    }

    /// Where process `pid` is, for service `name`'s claim.
    fn membership(&self, name: &str, pid: i32) -> Membership {
        let Some(tree) = &self.tree else {
            return Membership::Unknown;
        };
        match tree.service_of(pid) {
            Some(service) if service == name => Membership::InService,
            Some(_) => Membership::Elsewhere,
            // Outside every service's cgroup: not this service's if its own
            // cgroup holds it, else (started before tracking) not known.
            None if tree
                .leaf(name)
                .is_some_and(|leaf| leaf.populated() == Some(true)) =>
            {
                Membership::Elsewhere
            }
            None => Membership::Unknown,
        }
    }

    /// Sets (or replaces) the files of `name`: its pid file and program,
    /// as found from its settings and script. Read at the next
    /// [`Claims::read`].
    pub(super) fn set(&mut self, name: &str, pidfile: PathBuf, program: Option<PathBuf>) {
        let program = program.map(|written| Program {
            resolved: written.canonicalize().ok(),
            written,
        });
        let same = self
            .files
            .get(name)
            .is_some_and(|files| files.pidfile == pidfile && files.program == program);
        if same {
            return;
        }
        self.files.insert(
            name.to_string(),
            Files {
                pidfile,
                program,
                read: false,
                key: None,
                doubt: None,
                reported: None,
            },
        );
        self.forget_daemon_of(name);
    }

    /// Drops services no longer supervised.
    pub(super) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.files.retain(|name, _| keep(name));
        self.daemons.retain(|_, daemon| keep(&daemon.service));
    }

    pub(super) fn pidfile(&self, name: &str) -> Option<&Path> {
        self.files.get(name).map(|files| files.pidfile.as_path())
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &String> {
        self.files.keys()
    }

    /// The services whose pid file has not been read since it was set.
    pub(super) fn unread(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|(_, files)| !files.read)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Whether `name`'s pid file differs from when it was last read (for a
    /// file that cannot be watched): its inode, size or time.
    pub(super) fn looks_changed(&self, name: &str) -> bool {
        let Some(files) = self.files.get(name) else {
            return false;
        };
        let now = std::fs::symlink_metadata(&files.pidfile)
            .ok()
            .map(|metadata| FileKey::of(&metadata));
        now != files.key
    }

    /// Reads `name`'s pid file and judges its claim.
    pub(super) fn read(&mut self, name: &str, now: Duration) -> Outcome {
        let Some(files) = self.files.get_mut(name) else {
            return Outcome::Unchanged;
        };
        files.doubt = None;
        files.read = true;
        files.key = std::fs::symlink_metadata(&files.pidfile)
            .ok()
            .map(|metadata| FileKey::of(&metadata));
        let claim = match untrusted::read_with_metadata(&files.pidfile, Kind::PidFile) {
            Ok((bytes, metadata)) => parse_pid(&bytes).map(|pid| Claim {
                pid,
                written_by_root_only: untrusted::written_by_root_only(&files.pidfile, &metadata),
            }),
            Err(refused) => {
                if !refused.is_missing() {
                    let report = format!(
                        "service {name}: pid file {} {}",
                        files.pidfile.display(),
                        describe_refusal(&refused)
                    );
                    self.forget_daemon_of(name);
                    return self.report(name, report);
                }
                None
            }
        };
        match claim {
            Some(claim) => self.judge(name, claim, now),
            None => Outcome::Unchanged,
        }
    }

    /// Judges `claim` about `name` now.
    fn judge(&mut self, name: &str, claim: Claim, now: Duration) -> Outcome {
        let pid = claim.pid;
        if self
            .daemons
            .get(&pid)
            .is_some_and(|daemon| daemon.service == name)
        {
            return Outcome::Unchanged;
        }
        let stat = procfs::stat(pid);
        let seen = match stat {
            None => Seen::Gone,
            Some(stat) if stat.is_dead() => Seen::Zombie,
            Some(_) => Seen::Alive {
                program: procfs::program(pid),
            },
        };
        let membership = self.membership(name, pid);
        let Some(files) = self.files.get_mut(name) else {
            return Outcome::Unchanged;
        };
        let doubt = files.doubt.take();
        match claim::judge(claim, &seen, membership, files.program.as_ref()) {
            Judgement::Believed => {
                files.reported = None;
                let Some(stat) = stat else {
                    return Outcome::Unchanged;
                };
                self.forget_daemon_of(name);
                self.daemons.insert(
                    pid,
                    Daemon {
                        service: name.to_string(),
                        start_ticks: stat.start_ticks,
                    },
                );
                if stat.is_dead() {
                    Outcome::Unchanged
                } else {
                    Outcome::Running(pid)
                }
            }
            Judgement::Stale => {
                self.forget_daemon_of(name);
                Outcome::Unchanged
            }
            Judgement::Distrusted(reason) => {
                let attempt = match &seen {
                    Seen::Alive { .. } => doubt.map_or(0, |doubt| doubt.attempt),
                    _ => RECHECKS.len(),
                };
                if let Some(delay) = RECHECKS.get(attempt) {
                    files.doubt = Some(Doubt {
                        claim,
                        attempt: attempt + 1,
                        at: now.saturating_add(*delay),
                    });
                    self.forget_daemon_of(name);
                    return Outcome::Unchanged;
                }
                let whose = if claim.written_by_root_only {
                    ""
                } else {
                    " (a file another user than root can write)"
                };
                let report = format!(
                    "service {name}: pid file {}{whose}: {reason}; not taken for the service's daemon",
                    files.pidfile.display()
                );
                self.forget_daemon_of(name);
                self.report(name, report)
            }
        }
    }

    /// When the next doubtful claim is due to be looked at again.
    pub(super) fn next_recheck(&self) -> Option<Duration> {
        self.files
            .values()
            .filter_map(|files| files.doubt.map(|doubt| doubt.at))
            .min()
    }

    /// Looks again at the doubtful claims that are due.
    pub(super) fn recheck(&mut self, now: Duration) -> Vec<(String, Outcome)> {
        let due: Vec<(String, Doubt)> = self
            .files
            .iter()
            .filter_map(|(name, files)| {
                files
                    .doubt
                    .filter(|doubt| doubt.at <= now)
                    .map(|doubt| (name.clone(), doubt))
            })
            .collect();
        due.into_iter()
            .map(|(name, doubt)| {
                let outcome = self.judge(&name, doubt.claim, now);
                (name, outcome)
            })
            .collect()
    }

    /// Whether `pid` is a believed daemon's PID.
    pub(super) fn is_daemon(&self, pid: i32) -> bool {
        self.daemons.contains_key(&pid)
    }

    /// The believed daemon `pid`, if the process being reaped is it: the
    /// same PID *and* start time (a reused PID is another process).
    pub(super) fn take_daemon(&mut self, pid: i32, stat: Option<&procfs::Stat>) -> Option<Daemon> {
        let daemon = self.daemons.get(&pid)?;
        if stat.map(|stat| stat.start_ticks) != Some(daemon.start_ticks) {
            self.daemons.remove(&pid);
            return None;
        }
        self.daemons.remove(&pid)
    }

    fn forget_daemon_of(&mut self, name: &str) {
        self.daemons.retain(|_, daemon| daemon.service != name);
    }

    fn report(&mut self, name: &str, report: String) -> Outcome {
        let Some(files) = self.files.get_mut(name) else {
            return Outcome::Unchanged;
        };
        if files.reported.as_ref() == Some(&report) {
            return Outcome::Unchanged;
        }
        files.reported = Some(report.clone());
        Outcome::Report(report)
    }
}

/// "is a FIFO, not a regular file; not read", "cannot be read: …".
fn describe_refusal(refused: &Refused) -> String {
    match refused {
        Refused::Io(_) => format!("cannot be read: {refused}"),
        _ => refused.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests {
    use super::*;

    fn own_program() -> PathBuf {
        std::env::current_exe().expect("current_exe")
    }

    #[test]
    fn a_pid_file_naming_this_process_is_believed_and_known_by_start_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.pid");
        let me = std::process::id() as i32;
        std::fs::write(&path, format!("{me}\n")).expect("write");
        let mut claims = Claims::default();
        claims.set("t", path.clone(), Some(own_program()));
        assert_eq!(claims.read("t", Duration::ZERO), Outcome::Running(me));
        assert_eq!(claims.read("t", Duration::ZERO), Outcome::Unchanged);
        // Reaped with another start time: a reused PID, not the daemon.
        let mut other = procfs::stat(me).expect("stat");
        other.start_ticks += 1;
        assert_eq!(claims.take_daemon(me, Some(&other)), None);
        assert_eq!(claims.read("t", Duration::ZERO), Outcome::Running(me));
        let daemon = claims
            .take_daemon(me, procfs::stat(me).as_ref())
            .expect("the daemon");
        assert_eq!(daemon.service, "t");
    }

    #[test]
    fn another_program_is_doubted_then_reported_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.pid");
        let me = std::process::id() as i32;
        std::fs::write(&path, format!("{me}\n")).expect("write");
        // A file a user wrote (the tests run as root).
        nix::unistd::chown(&path, Some(nix::unistd::Uid::from_raw(65534)), None).expect("chown");
        let mut claims = Claims::default();
        claims.set("t", path, Some(PathBuf::from("/usr/sbin/not-this")));
        assert_eq!(claims.read("t", Duration::ZERO), Outcome::Unchanged);
        let mut now = Duration::ZERO;
        let mut reports = Vec::new();
        while let Some(at) = claims.next_recheck() {
            assert!(at > now);
            now = at;
            for (_, outcome) in claims.recheck(now) {
                reports.push(outcome);
            }
        }
        assert_eq!(reports.len(), RECHECKS.len());
        let Some(Outcome::Report(line)) = reports.last() else {
            panic!("no report: {reports:?}");
        };
        assert!(line.contains("not /usr/sbin/not-this"), "{line}");
        // Read again, unchanged: not reported twice.
        claims.read("t", now);
        while let Some(at) = claims.next_recheck() {
            for (_, outcome) in claims.recheck(at) {
                assert_eq!(outcome, Outcome::Unchanged);
            }
        }
    }

    #[test]
    fn a_fifo_or_a_huge_file_is_reported_unread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.pid");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o666))
            .expect("mkfifo");
        let mut claims = Claims::default();
        claims.set("t", path.clone(), None);
        let Outcome::Report(line) = claims.read("t", Duration::ZERO) else {
            panic!("a FIFO was not reported");
        };
        assert!(
            line.ends_with("t.pid is a FIFO, not a regular file; not read"),
            "{line}"
        );
        assert_eq!(claims.read("t", Duration::ZERO), Outcome::Unchanged);
        assert!(!claims.looks_changed("t"));
        std::fs::remove_file(&path).expect("rm");
        assert!(claims.looks_changed("t"));
    }
}
