//! Which of supervision's files changed since init last looked, from one
//! inotify instance, so that reaping an orphan costs one `read` that finds
//! nothing, whatever the number of services, instead of a look at every
//! pid file.
//!
//! Each thing to watch (a pid file, the settings directory, the scripts'
//! directory, the marks' directory) is registered under the nearest of its
//! directories that exists (a daemon's run directory appears when its
//! script first runs: until then its parent is watched for it), with the
//! name that matters there. An event for that name marks it changed, and
//! the caller registers it again (deeper, if the directory appeared). A
//! full queue, a removed directory or a new mount marks everything. Where
//! inotify is unavailable (or out of watches), the caller looks at those
//! things itself, at most once per pass of init's loop.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};

/// What a registration is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Target {
    /// The settings directory itself.
    Settings,
    /// The directory of init scripts.
    Scripts,
    /// The directory of stop and start marks.
    Marks,
    /// A service's pid file.
    PidFile(String),
}

/// What [`Changes::take`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Changed {
    /// Everything may have changed (a full queue, a removed directory).
    pub(super) everything: bool,
    /// The targets an event named.
    pub(super) targets: BTreeSet<Target>,
    /// Names of files created or changed in a watched directory that is
    /// itself a target's directory (the scripts', the marks').
    pub(super) names: BTreeMap<Target, BTreeSet<OsString>>,
}

#[derive(Debug)]
pub(super) struct Changes {
    inotify: Option<Inotify>,
    /// Each watched directory: its descriptor, and who waits there for
    /// which name (`None`: any name, for a directory target).
    dirs: BTreeMap<PathBuf, Watched>,
    by_descriptor: HashMap<WatchDescriptor, PathBuf>,
    /// Targets that could not be watched (no inotify, no watches left).
    unwatched: BTreeSet<Target>,
}

#[derive(Debug)]
struct Watched {
    descriptor: WatchDescriptor,
    waiting: BTreeMap<Target, Option<OsString>>,
}

/// What makes a watched name changed. IN_MODIFY as well as IN_CLOSE_WRITE:
/// cron writes its pid file and keeps it open (it holds a lock on it), so
/// a restarted cron's new PID never comes with a close.
const DIR_EVENTS: AddWatchFlags = AddWatchFlags::IN_CLOSE_WRITE
    .union(AddWatchFlags::IN_MODIFY)
    .union(AddWatchFlags::IN_CREATE)
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_MOVED_TO)
    .union(AddWatchFlags::IN_ATTRIB)
    .union(AddWatchFlags::IN_DELETE_SELF)
    .union(AddWatchFlags::IN_MOVE_SELF)
    .union(AddWatchFlags::IN_ONLYDIR);

impl Changes {
    pub(super) fn new() -> Changes {
        Changes {
            inotify: Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok(),
            dirs: BTreeMap::new(),
            by_descriptor: HashMap::new(),
            unwatched: BTreeSet::new(),
        }
    }

    /// The descriptor init polls (readable when something changed).
    pub(super) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(AsFd::as_fd)
    }

    /// Targets the caller must look at itself.
    pub(super) fn unwatched(&self) -> &BTreeSet<Target> {
        &self.unwatched
    }

    /// Watches `path` for `target`: a file (`directory == false`: events
    /// for its name in its directory) or a directory (any name in it).
    /// Replaces an earlier registration of `target`.
    pub(super) fn register(&mut self, target: Target, path: &Path, directory: bool) {
        // The nearest existing directory, and the name of the next step
        // down from it (for a directory target that exists: none).
        let nearest = nearest_dir(path, directory);
        if let Some((dir, name)) = &nearest
            && self
                .dirs
                .get(dir)
                .is_some_and(|watched| watched.waiting.get(&target) == Some(name))
        {
            return;
        }
        self.unregister(&target);
        let (Some(inotify), Some((dir, name))) = (&self.inotify, nearest) else {
            self.unwatched.insert(target);
            return;
        };
        if !self.dirs.contains_key(&dir) {
            match inotify.add_watch(&dir, DIR_EVENTS) {
                Ok(descriptor) => {
                    self.by_descriptor.insert(descriptor, dir.clone());
                    self.dirs.insert(
                        dir.clone(),
                        Watched {
                            descriptor,
                            waiting: BTreeMap::new(),
                        },
                    );
                }
                Err(_) => {
                    self.unwatched.insert(target);
                    return;
                }
            }
        }
        if let Some(watched) = self.dirs.get_mut(&dir) {
            watched.waiting.insert(target, name);
        }
    }

    /// Drops every watch (the caller registers its targets again: after a
    /// mount, a watched directory may be hidden under another file system).
    pub(super) fn forget_all(&mut self) {
        if let Some(inotify) = &self.inotify {
            for watched in self.dirs.values() {
                let _ = inotify.rm_watch(watched.descriptor);
            }
        }
        self.dirs.clear();
        self.by_descriptor.clear();
        self.unwatched.clear();
    }

    /// Stops watching for `target`; a directory nobody waits in any more
    /// is no longer watched.
    pub(super) fn unregister(&mut self, target: &Target) {
        self.unwatched.remove(target);
        let mut emptied = Vec::new();
        for (dir, watched) in &mut self.dirs {
            if watched.waiting.remove(target).is_some() && watched.waiting.is_empty() {
                emptied.push(dir.clone());
            }
        }
        for dir in emptied {
            if let Some(watched) = self.dirs.remove(&dir) {
                self.by_descriptor.remove(&watched.descriptor);
                if let Some(inotify) = &self.inotify {
                    let _ = inotify.rm_watch(watched.descriptor);
                }
            }
        }
    }

    /// Drains the queued events (never blocks).
    pub(super) fn take(&mut self) -> Changed {
        let mut changed = Changed::default();
        let Some(inotify) = &self.inotify else {
            return changed;
        };
        let mut gone = Vec::new();
        while let Ok(events) = inotify.read_events() {
            if events.is_empty() {
                break;
            }
            for event in events {
                if event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                    changed.everything = true;
                    continue;
                }
                let Some(dir) = self.by_descriptor.get(&event.wd) else {
                    continue;
                };
                let Some(watched) = self.dirs.get(dir) else {
                    continue;
                };
                // The directory itself went away or moved: what waited in
                // it must look again (and watch elsewhere).
                if event.mask.intersects(
                    AddWatchFlags::IN_IGNORED
                        | AddWatchFlags::IN_DELETE_SELF
                        | AddWatchFlags::IN_MOVE_SELF,
                ) {
                    changed.targets.extend(watched.waiting.keys().cloned());
                    gone.push(dir.clone());
                    continue;
                }
                let Some(name) = &event.name else {
                    continue;
                };
                for (target, waited) in &watched.waiting {
                    match waited {
                        Some(waited) if waited == name => {
                            changed.targets.insert(target.clone());
                        }
                        Some(_) => {}
                        None => {
                            changed
                                .names
                                .entry(target.clone())
                                .or_default()
                                .insert(name.clone());
                        }
                    }
                }
            }
        }
        for dir in gone {
            if let Some(watched) = self.dirs.remove(&dir) {
                self.by_descriptor.remove(&watched.descriptor);
                if let Some(inotify) = &self.inotify {
                    let _ = inotify.rm_watch(watched.descriptor);
                }
            }
        }
        changed
    }
}

/// The nearest existing directory for `path`, and the name to wait for in
/// it: for a file, its directory and its name; for a directory that
/// exists, itself and no name; otherwise the nearest existing ancestor and
/// the name of the next component down.
fn nearest_dir(path: &Path, directory: bool) -> Option<(PathBuf, Option<OsString>)> {
    // By its real path: inotify watches an inode, and gives `/var/run` and
    // `/run` one watch descriptor, so they must be one directory here too.
    let real = |dir: &Path| dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if directory && path.is_dir() {
        return Some((real(path), None));
    }
    let mut child = path;
    for dir in path.ancestors().skip(1) {
        if dir.is_dir() {
            return Some((real(dir), child.file_name().map(OsString::from)));
        }
        child = dir;
    }
    None
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests {
    use super::*;

    fn pid_file(name: &str) -> Target {
        Target::PidFile(name.to_string())
    }

    #[test]
    fn a_pid_file_written_renamed_or_removed_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut changes = Changes::new();
        let path = dir.path().join("web.pid");
        changes.register(pid_file("web"), &path, false);
        changes.register(pid_file("db"), &dir.path().join("db.pid"), false);
        assert_eq!(changes.take(), Changed::default());
        std::fs::write(&path, "12\n").expect("write");
        std::fs::write(dir.path().join("other"), "x").expect("write");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("web")]));
        std::fs::write(dir.path().join("new"), "13\n").expect("write");
        std::fs::rename(dir.path().join("new"), &path).expect("rename");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("web")]));
        std::fs::remove_file(&path).expect("remove");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("web")]));
        assert!(changes.unwatched().is_empty());
    }

    #[test]
    fn a_pid_file_rewritten_and_kept_open_is_reported() {
        use std::io::{Seek, Write};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("crond.pid");
        std::fs::write(&path, "1\n").expect("write");
        let mut changes = Changes::new();
        changes.register(pid_file("cron"), &path, false);
        // As cron does: open, truncate, write, and keep it open.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        file.set_len(0).expect("truncate");
        file.rewind().expect("rewind");
        file.write_all(b"42\n").expect("write");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("cron")]));
        drop(file);
    }

    #[test]
    fn one_directory_by_two_names_is_one_watch() {
        // Debian's /var/run is a link to /run: cron's pid file is under one
        // name, nginx's under the other.
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path().join("run");
        std::fs::create_dir(&run).expect("mkdir");
        std::os::unix::fs::symlink(&run, dir.path().join("var-run")).expect("symlink");
        let mut changes = Changes::new();
        changes.register(
            pid_file("cron"),
            &dir.path().join("var-run/crond.pid"),
            false,
        );
        changes.register(pid_file("nginx"), &run.join("nginx.pid"), false);
        std::fs::write(run.join("crond.pid"), "1\n").expect("write");
        std::fs::write(run.join("nginx.pid"), "2\n").expect("write");
        assert_eq!(
            changes.take().targets,
            BTreeSet::from([pid_file("cron"), pid_file("nginx")])
        );
        // Dropping one keeps the other's watch.
        changes.unregister(&pid_file("nginx"));
        std::fs::write(run.join("crond.pid"), "3\n").expect("write");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("cron")]));
    }

    #[test]
    fn a_run_directory_made_later_is_waited_for_in_its_parent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut changes = Changes::new();
        let path = dir.path().join("redis/redis.pid");
        changes.register(pid_file("redis"), &path, false);
        std::fs::create_dir(dir.path().join("redis")).expect("mkdir");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("redis")]));
        // Registered again, now in the new directory.
        changes.register(pid_file("redis"), &path, false);
        std::fs::write(&path, "5\n").expect("write");
        assert_eq!(changes.take().targets, BTreeSet::from([pid_file("redis")]));
        // The directory removed: look again.
        std::fs::remove_file(&path).expect("rm");
        changes.take();
        std::fs::remove_dir(dir.path().join("redis")).expect("rmdir");
        assert!(changes.take().targets.contains(&pid_file("redis")));
    }

    #[test]
    fn a_directory_target_reports_the_names_in_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut changes = Changes::new();
        changes.register(Target::Marks, dir.path(), true);
        std::fs::write(dir.path().join("web.start"), "").expect("write");
        let changed = changes.take();
        assert_eq!(
            changed.names.get(&Target::Marks),
            Some(&BTreeSet::from([OsString::from("web.start")]))
        );
        changes.unregister(&Target::Marks);
        std::fs::write(dir.path().join("db.start"), "").expect("write");
        assert_eq!(changes.take(), Changed::default());
        // Forgotten, and registered again: reported again.
        changes.register(Target::Marks, dir.path(), true);
        changes.forget_all();
        std::fs::write(dir.path().join("x.start"), "").expect("write");
        assert_eq!(changes.take(), Changed::default());
        changes.register(Target::Marks, dir.path(), true);
        std::fs::write(dir.path().join("y.start"), "").expect("write");
        assert!(changes.take().names.contains_key(&Target::Marks));
    }
}
