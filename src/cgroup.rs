//! Services' cgroups (cgroup v2): every init script vinit runs, and the
//! daemons it leaves, live in `<cgroup2>/vinit/NAME`, so that init knows
//! all of a service's processes whatever they do (double forks, `setsid`).
//!
//! PID 1 sets the tree up at boot ([`setup`]): it finds the cgroup2
//! hierarchy (mounting it on `/sys/fs/cgroup` where nothing is mounted
//! there), makes `vinit/`, and delegates the controllers the kernel offers
//! (`memory`, `cpu`, `io`, `pids`) to it. The commands that run scripts
//! (rc, `service`, the LSB hook's `vinit place`) only use a tree that
//! exists ([`Tree::find`]): vinit's tree is there only under vinit's init.
//! A process enters its service's cgroup by writing `0` to the leaf's
//! `cgroup.procs`, which it opens before it forks ([`Leaf::entry`]) and
//! writes in the child before `exec` (`sys::spawn::Child::cgroup`).
//!
//! Where there is no usable cgroup2 (an old kernel, a container without a
//! delegated tree, a read-only hierarchy) [`setup`] says why, and
//! everything runs as before, untracked.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::mountinfo::{self, Mount};
use crate::procfs;
use crate::untrusted::{self, Kind};

/// The directory of vinit's tree under the cgroup2 mount.
pub(crate) const TREE: &str = "vinit";
/// Where cgroup2 is mounted when nothing is.
const DEFAULT_MOUNT: &str = "/sys/fs/cgroup";
/// The controllers delegated to the services, when the kernel has them.
const CONTROLLERS: [&str; 4] = ["memory", "cpu", "io", "pids"];

/// vinit's tree: `<mount>/vinit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tree {
    /// The mount point of the cgroup2 hierarchy.
    mount: PathBuf,
    /// The hierarchy's path at that mount point (`/` unless the mount
    /// shows a subtree), to turn `/proc/PID/cgroup` paths into files.
    mount_root: PathBuf,
}

/// Why there is no tracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Off(pub(crate) String);

/// What [`setup`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setup {
    pub(crate) tree: Tree,
    /// The controllers delegated to the services (none: limits cannot be
    /// set, tracking still works), or why none could be.
    pub(crate) controllers: Result<Vec<String>, String>,
}

impl Tree {
    /// vinit's tree if it exists (its init made it): for the commands.
    /// Without `/proc` (rc's first scripts run before a boot script
    /// mounts it) the mount is looked for where init mounts it.
    pub(crate) fn find() -> Option<Tree> {
        let tree = cgroup2_mount(&read_mountinfo()).or_else(cgroup2_at_a_usual_place)?;
        tree.dir().is_dir().then_some(tree)
    }

    /// `<mount>/vinit`.
    pub(crate) fn dir(&self) -> PathBuf {
        self.mount.join(TREE)
    }

    /// The cgroup of service `name` (a name that cannot be a cgroup's,
    /// such as `cgroup.procs` or one with a `/`, has none).
    pub(crate) fn leaf(&self, name: &str) -> Option<Leaf> {
        leaf_name_is_valid(name).then(|| Leaf {
            name: name.to_string(),
            dir: self.dir().join(name),
        })
    }

    /// The service whose cgroup process `pid` is in (a zombie's too, as
    /// long as it is not reaped).
    pub(crate) fn service_of(&self, pid: i32) -> Option<String> {
        let path = Path::new("/proc").join(pid.to_string()).join("cgroup");
        let text = untrusted::read_text(&path, Kind::Kernel).ok()?;
        self.service_in(&text)
    }

    /// The service a `/proc/PID/cgroup` text names: its v2 line `0::PATH`,
    /// with PATH `<mount root>/vinit/NAME` (or below it).
    pub(crate) fn service_in(&self, proc_cgroup: &str) -> Option<String> {
        let path = proc_cgroup
            .lines()
            .find_map(|line| line.strip_prefix("0::"))?;
        let relative = Path::new(path).strip_prefix(&self.mount_root).ok()?;
        let mut parts = relative.components();
        if parts.next()?.as_os_str() != TREE {
            return None;
        }
        let name = parts.next()?.as_os_str().to_str()?;
        leaf_name_is_valid(name).then(|| name.to_string())
    }

    /// The controllers delegated to the services.
    pub(crate) fn controllers(&self) -> Vec<String> {
        words(&self.dir().join("cgroup.subtree_control"))
    }

    /// The names of the services' cgroups there now, sorted.
    pub(crate) fn leaves(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| leaf_name_is_valid(name))
            .collect();
        names.sort();
        names
    }
}

/// One service's cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
}

impl Leaf {
    /// Makes the cgroup if it is not there.
    pub(crate) fn create(&self) -> io::Result<()> {
        match std::fs::create_dir(&self.dir) {
            Err(error) if error.kind() != io::ErrorKind::AlreadyExists => Err(error),
            _ => Ok(()),
        }
    }

    /// Its directory, made if needed and opened before a fork: a child is
    /// started right in it, or moves itself in by writing `0` to its
    /// `cgroup.procs` (`sys::spawn::Child::cgroup`, `sys::spawn::on_exec`).
    pub(crate) fn directory(&self) -> io::Result<OwnedFd> {
        self.create()?;
        #[allow(
            clippy::disallowed_methods,
            reason = "a directory of the cgroup file system, opened as a handle"
        )]
        let directory = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_DIRECTORY | libc::O_NOCTTY)
            .open(&self.dir)?;
        Ok(OwnedFd::from(directory))
    }

    /// Moves process `pid` into the cgroup.
    pub(crate) fn adopt(&self, pid: i32) -> io::Result<()> {
        self.create()?;
        self.write("cgroup.procs", &pid.to_string())
    }

    /// Writes `value` to one of its files (`memory.max`, …).
    pub(crate) fn write(&self, file: &str, value: &str) -> io::Result<()> {
        #[allow(
            clippy::disallowed_methods,
            reason = "a file of the cgroup file system, opened to write"
        )]
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOCTTY)
            .open(self.dir.join(file))?;
        handle.write_all(value.as_bytes())
    }

    /// The processes in it now.
    pub(crate) fn processes(&self) -> Vec<i32> {
        untrusted::read_text(&self.dir.join("cgroup.procs"), Kind::Cgroup)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect()
    }

    /// `populated` of `cgroup.events`: whether a live process is in it
    /// (`None`: the cgroup is gone).
    pub(crate) fn populated(&self) -> Option<bool> {
        let text = untrusted::read_text(&self.events_path(), Kind::Kernel).ok()?;
        Some(key_value(&text, "populated")? == 1)
    }

    /// Whether the cgroup is there (a service that never ran has none).
    pub(crate) fn exists(&self) -> bool {
        self.dir.is_dir()
    }

    /// `memory.current`: the memory its processes use now, in bytes
    /// (`None`: the memory controller is not delegated to it, or it is gone).
    pub(crate) fn memory_current(&self) -> Option<u64> {
        untrusted::read_text(&self.dir.join("memory.current"), Kind::Kernel)
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// `usage_usec` of `cpu.stat`: the CPU time its processes have used
    /// since the cgroup was made, in microseconds (cgroup v2 counts it
    /// without the cpu controller; `None`: it is gone).
    pub(crate) fn cpu_usage_usec(&self) -> Option<u64> {
        let text = untrusted::read_text(&self.dir.join("cpu.stat"), Kind::Kernel).ok()?;
        key_value(&text, "usage_usec")
    }

    /// One of its interface files (`memory.max`, `io.weight`, …) as the
    /// kernel has it: `max`, a number, `default 100`; a file of several
    /// lines (io.weight's per-device lines) as one, `; ` between them.
    /// `None` when it is not there (its controller is not delegated).
    pub(crate) fn setting(&self, file: &str) -> Option<String> {
        let text = untrusted::read_text(&self.dir.join(file), Kind::Kernel).ok()?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        Some(lines.join("; "))
    }

    /// `cgroup.events`, whose changes inotify and `poll` (POLLPRI) report.
    pub(crate) fn events_path(&self) -> PathBuf {
        self.dir.join("cgroup.events")
    }

    /// Sends `signal` to every process in it; returns those signalled.
    pub(crate) fn signal(&self, signal: Signal) -> Vec<i32> {
        self.processes()
            .into_iter()
            .filter(|&pid| pid > 1 && kill(Pid::from_raw(pid), signal).is_ok())
            .collect()
    }

    /// Kills every process in it with SIGKILL: `cgroup.kill` (Linux 5.14),
    /// else each process, again until none is left (one may fork meanwhile).
    pub(crate) fn kill_all(&self) {
        if self.write("cgroup.kill", "1").is_ok() {
            return;
        }
        for _ in 0..16 {
            if self.signal(Signal::SIGKILL).is_empty() {
                return;
            }
        }
    }
}

/// After a service's `stop`: SIGTERM to what is left in its cgroup, then
/// SIGKILL to what is still there after `timeout`; `report` gets a line
/// for each process (`1234 (sleep): SIGTERM`). For the commands: it waits.
pub(crate) fn stop_leftovers(leaf: &Leaf, timeout: Duration, report: &mut dyn FnMut(String)) {
    let Ok(opened) = untrusted::open(&leaf.events_path(), Kind::Kernel) else {
        return;
    };
    let left = leaf.signal(Signal::SIGTERM);
    for &pid in &left {
        report(format!(
            "left behind: {}: SIGTERM",
            procfs::describe(pid, false)
        ));
    }
    if left.is_empty() || wait_until_empty(leaf, &opened.file, timeout) {
        return;
    }
    for pid in leaf.processes() {
        report(format!(
            "left behind after the stop timeout: {}: SIGKILL",
            procfs::describe(pid, true)
        ));
    }
    leaf.kill_all();
    wait_until_empty(leaf, &opened.file, AFTER_KILL);
}

/// How long SIGKILLed processes get to be gone before the caller goes on
/// (one in uninterruptible sleep, on a dead NFS server, may never go).
pub(crate) const AFTER_KILL: Duration = Duration::from_secs(5);

/// Waits until no live process is in `leaf` (its `cgroup.events`, open as
/// `events`, polls "priority" when that changes), at most `timeout`.
fn wait_until_empty(leaf: &Leaf, events: &std::fs::File, timeout: Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if leaf.populated() != Some(true) {
            return true;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        let millis = u16::try_from(left.as_millis().min(1000)).unwrap_or(1000);
        let mut fds = [PollFd::new(events.as_fd(), PollFlags::POLLPRI)];
        let _ = poll(&mut fds, PollTimeout::from(millis.max(1)));
    }
}

/// PID 1 at boot: finds (or mounts) the cgroup2 hierarchy, makes vinit's
/// tree and delegates the controllers to it.
pub(crate) fn setup() -> Result<Setup, Off> {
    let tree = match cgroup2_mount(&read_mountinfo()) {
        Some(tree) => tree,
        None => mount_cgroup2()?,
    };
    let dir = tree.dir();
    match std::fs::create_dir(&dir) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
            return Err(Off(format!(
                "cannot make {}: {}",
                dir.display(),
                untrusted::Refused::Io(error)
            )));
        }
        _ => {}
    }
    let controllers = delegate_controllers(&tree);
    Ok(Setup { tree, controllers })
}

/// Turns on, in the hierarchy's root and in vinit's tree, the controllers
/// the kernel offers, so that the services' limits can be set.
fn delegate_controllers(tree: &Tree) -> Result<Vec<String>, String> {
    let offered = words(&tree.mount.join("cgroup.controllers"));
    let wanted: Vec<&str> = CONTROLLERS
        .into_iter()
        .filter(|controller| offered.iter().any(|offered| offered == controller))
        .collect();
    if wanted.is_empty() {
        return Err(format!(
            "the cgroup2 hierarchy offers none of {}",
            CONTROLLERS.join(", ")
        ));
    }
    let line: Vec<String> = wanted.iter().map(|name| format!("+{name}")).collect();
    let line = line.join(" ");
    for dir in [tree.mount.clone(), tree.dir()] {
        let control = Leaf {
            name: String::new(),
            dir,
        };
        if let Err(error) = control.write("cgroup.subtree_control", &line) {
            return Err(format!(
                "cannot delegate {line} in {}: {}",
                control.dir.display(),
                untrusted::Refused::Io(error)
            ));
        }
    }
    Ok(tree.controllers())
}

fn read_mountinfo() -> String {
    untrusted::read_text(Path::new("/proc/self/mountinfo"), Kind::Kernel).unwrap_or_default()
}

/// The cgroup2 mount to use: `/sys/fs/cgroup` if it is one, else the
/// first cgroup2 mount (`/sys/fs/cgroup/unified` of a hybrid layout).
fn cgroup2_mount(mountinfo: &str) -> Option<Tree> {
    let mounts: Vec<Mount> = mountinfo::parse(mountinfo)
        .into_iter()
        .filter(|mount| mount.fs_type == "cgroup2")
        .collect();
    let chosen = mounts
        .iter()
        .find(|mount| mount.point == Path::new(DEFAULT_MOUNT))
        .or_else(|| mounts.first())?;
    Some(Tree {
        mount: chosen.point.clone(),
        mount_root: chosen.root.clone(),
    })
}

/// `/sys/fs/cgroup`, or `/sys/fs/cgroup/unified`, if a cgroup2 file
/// system is mounted there (`statfs`), for when mountinfo cannot be read.
fn cgroup2_at_a_usual_place() -> Option<Tree> {
    use nix::sys::statfs::{CGROUP2_SUPER_MAGIC, statfs};
    let default = Path::new(DEFAULT_MOUNT);
    [default.to_path_buf(), default.join("unified")]
        .into_iter()
        .find(|dir| statfs(dir).is_ok_and(|fs| fs.filesystem_type() == CGROUP2_SUPER_MAGIC))
        .map(|mount| Tree {
            mount,
            mount_root: PathBuf::from("/"),
        })
}

/// Mounts cgroup2 on `/sys/fs/cgroup` (or, where a tmpfs of cgroup v1
/// hierarchies is there, on its `unified`).
fn mount_cgroup2() -> Result<Tree, Off> {
    use nix::mount::{MsFlags, mount};
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let default = Path::new(DEFAULT_MOUNT);
    let mounted_on_default = read_mountinfo_mounts()
        .iter()
        .any(|mount| mount.point == default);
    let target = if mounted_on_default {
        let unified = default.join("unified");
        let _ = std::fs::create_dir(&unified);
        unified
    } else {
        default.to_path_buf()
    };
    if !target.is_dir() {
        return Err(Off(format!(
            "no cgroup2 file system, and no {} to mount one on",
            target.display()
        )));
    }
    match mount(
        Some("cgroup2"),
        &target,
        Some("cgroup2"),
        flags,
        None::<&str>,
    ) {
        Ok(()) => Ok(Tree {
            mount: target,
            mount_root: PathBuf::from("/"),
        }),
        Err(nix::errno::Errno::ENODEV) => Err(Off(
            "the kernel has no cgroup v2 (cgroup2 file system unknown)".to_string(),
        )),
        Err(errno) => Err(Off(format!(
            "cannot mount cgroup2 on {}: {}",
            target.display(),
            errno.desc()
        ))),
    }
}

fn read_mountinfo_mounts() -> Vec<Mount> {
    mountinfo::parse(&read_mountinfo())
}

/// A name the kernel accepts for a cgroup of ours: one path component, not
/// one of the interface files' (`cgroup.*`), nothing odd.
fn leaf_name_is_valid(name: &str) -> bool {
    crate::services::valid_name(name)
        && !name.starts_with("cgroup.")
        && !name.chars().any(char::is_control)
}

/// The words of a small cgroup file (`cgroup.controllers`, …).
fn words(path: &Path) -> Vec<String> {
    untrusted::read_text(path, Kind::Kernel)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// `KEY VALUE` lines (`cgroup.events`, `cpu.stat`).
fn key_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_at_sys_fs_cgroup_wins() {
        let hybrid = "\
30 22 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro
31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";
        let tree = cgroup2_mount(hybrid).expect("hybrid");
        assert_eq!(tree.dir(), PathBuf::from("/sys/fs/cgroup/unified/vinit"));
        let unified = "\
31 22 0:27 / /mnt/cg rw - cgroup2 cgroup2 rw
32 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
";
        assert_eq!(
            cgroup2_mount(unified).expect("unified").dir(),
            PathBuf::from("/sys/fs/cgroup/vinit")
        );
        assert_eq!(cgroup2_mount("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"), None);
    }

    #[test]
    fn without_mountinfo_the_usual_places_give_the_same_mount() {
        let from_mountinfo = cgroup2_mount(&read_mountinfo())
            .filter(|tree| tree.mount.starts_with(DEFAULT_MOUNT))
            .map(|tree| tree.mount);
        assert_eq!(
            cgroup2_at_a_usual_place().map(|tree| tree.mount),
            from_mountinfo
        );
    }

    #[test]
    fn a_process_is_known_by_its_v2_line() {
        let tree = Tree {
            mount: PathBuf::from("/sys/fs/cgroup"),
            mount_root: PathBuf::from("/"),
        };
        assert_eq!(
            tree.service_in("1:name=systemd:/\n0::/vinit/nginx\n"),
            Some("nginx".to_string())
        );
        assert_eq!(
            tree.service_in("0::/vinit/cron/sub\n"),
            Some("cron".to_string())
        );
        assert_eq!(tree.service_in("0::/\n"), None);
        assert_eq!(tree.service_in("0::/vinit\n"), None);
        assert_eq!(tree.service_in("0::/other/nginx\n"), None);
        assert_eq!(tree.service_in("0::/vinit/cgroup.procs\n"), None);
        // A mount that shows a subtree (a bind mount of a delegated tree).
        let sub = Tree {
            mount: PathBuf::from("/sys/fs/cgroup"),
            mount_root: PathBuf::from("/box"),
        };
        assert_eq!(sub.service_in("0::/box/vinit/db\n"), Some("db".to_string()));
        assert_eq!(sub.service_in("0::/vinit/db\n"), None);
    }

    #[test]
    fn leaf_names() {
        let tree = Tree {
            mount: PathBuf::from("/sys/fs/cgroup"),
            mount_root: PathBuf::from("/"),
        };
        assert!(tree.leaf("nginx").is_some());
        assert!(tree.leaf("cgroup.procs").is_none());
        assert!(tree.leaf("a/b").is_none());
        assert!(tree.leaf("..").is_none());
        assert!(tree.leaf("").is_none());
        assert_eq!(
            tree.leaf("cron").map(|leaf| leaf.dir),
            Some(PathBuf::from("/sys/fs/cgroup/vinit/cron"))
        );
    }

    #[test]
    fn a_leaf_reads_its_files_as_the_kernel_has_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leaf = Leaf {
            name: "web".to_string(),
            dir: dir.path().join("web"),
        };
        assert!(!leaf.exists());
        assert_eq!((leaf.memory_current(), leaf.cpu_usage_usec()), (None, None));
        assert_eq!(leaf.setting("memory.max"), None);
        assert!(leaf.processes().is_empty());
        let write = |file: &str, text: &str| {
            std::fs::write(leaf.dir.join(file), text).expect("write");
        };
        leaf.create().expect("mkdir");
        write("memory.current", "8806400\n");
        write(
            "cpu.stat",
            "usage_usec 1200345\nuser_usec 1000000\nsystem_usec 200345\n",
        );
        write("memory.max", "max\n");
        write("io.weight", "default 100\n8:0 200\n");
        write("cgroup.procs", "815\n816\n");
        assert!(leaf.exists());
        assert_eq!(leaf.memory_current(), Some(8_806_400));
        assert_eq!(leaf.cpu_usage_usec(), Some(1_200_345));
        assert_eq!(leaf.setting("memory.max").as_deref(), Some("max"));
        assert_eq!(
            leaf.setting("io.weight").as_deref(),
            Some("default 100; 8:0 200")
        );
        assert_eq!(leaf.processes(), [815, 816]);
        write("memory.current", "garbage\n");
        assert_eq!(leaf.memory_current(), None);
    }

    #[test]
    fn leaves_are_the_services_cgroups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = Tree {
            mount: dir.path().to_path_buf(),
            mount_root: PathBuf::from("/"),
        };
        assert!(tree.leaves().is_empty());
        for name in ["nginx", "cron", ".hidden"] {
            std::fs::create_dir_all(tree.dir().join(name)).expect("mkdir");
        }
        std::fs::write(tree.dir().join("cgroup.procs"), "").expect("write");
        assert_eq!(tree.leaves(), ["cron", "nginx"]);
    }

    #[test]
    fn events_and_stats() {
        assert_eq!(key_value("populated 1\nfrozen 0\n", "populated"), Some(1));
        assert_eq!(
            key_value("usage_usec 4711\nuser_usec 1\n", "usage_usec"),
            Some(4711)
        );
        assert_eq!(key_value("populated x\n", "populated"), None);
    }
}
