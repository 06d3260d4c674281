//! Services, PID 1's side: it finds the facts and carries out what the
//! policy ([`crate::services::policy`]) decides.
//!
//! At boot it sets up the services' cgroup tree ([`crate::cgroup`]); rc,
//! `service` and the LSB hook put every script they run, and so its
//! daemons, in the service's cgroup, and so does the restart forked here.
//! A daemon started by an init script double-forks and is re-parented to
//! init, so init reaps it and gets its wait status for free: the zombie's
//! cgroup says whose it was. Which reaped process was a service's main
//! daemon comes from its pid file, a claim judged
//! before it is believed ([`claims`]: read the safe way, checked against
//! the process it names, known by PID and start time), and read again only
//! when it changed ([`changes`]: inotify), so that reaping an orphan costs
//! the same with a thousand services as with none. init looks at a reaped
//! process before it is reaped: the zombie still holds its PID, so its
//! start time and process group can be checked, and what is left of its
//! group signalled, without a PID being reused in between. The restart
//! script is a child of init like any other: forked here, reaped by the
//! event loop, killed after the rc timeout. Nothing here blocks.

mod changes;
mod claims;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::System;
use super::console::{Console, DEV_NULL, to};
use crate::cgroup::{self, Tree};
use crate::defaults::SERVICE_ENVIRONMENT;
use crate::procfs;
use crate::runlevel::{Phase, Runlevel};
use crate::services::apply::{self, Cgroup};
use crate::services::files::{self, ConfigFile};
use crate::services::limits::Limits;
use crate::services::policy::{self, Reaped, Services};
use crate::services::{CONFIG_DIR, Config, RUN_DIR, STATE_FILE, Tracker, Tracking, state};
use crate::supervisor::{Dest, Effects};
use crate::sys::spawn::{Child, InChild, Session};
use crate::untrusted::{self, Access, Kind};
use changes::{Changes, Target};
use claims::{Claims, Outcome};

/// Where init scripts are.
const SCRIPTS_DIR: &str = "/etc/init.d";

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

pub(super) struct Supervision {
    root: PathBuf,
    /// The policy, with each service's phase and limiter.
    services: Services,
    /// The services' cgroups (`None`: tracking is off).
    tree: Option<Tree>,
    /// Each service's pid file and believed daemon.
    claims: Claims,
    /// What changed on disk since the last look.
    changes: Changes,
    /// The settings directory's time at the last read (where it cannot be
    /// watched, its change is noticed by this).
    dir_stamp: Option<SystemTime>,
    /// Each file's time at the last read (a newer one re-arms).
    stamps: BTreeMap<String, Option<SystemTime>>,
    /// The last good settings of each service.
    good: BTreeMap<String, Config>,
    /// Each service's limits (the last good value of each key) and the
    /// file they are from, applied before its restart.
    limits: BTreeMap<String, ServiceLimits>,
    /// Why there is no tracking, for the limits' messages.
    tracking_off: Option<String>,
    /// The state file is behind the tracker.
    unsaved: bool,
    /// Passes of init's loop, and the last one in which the files that
    /// cannot be watched were looked at (at most once a pass).
    pass: u64,
    looked_in_pass: Option<u64>,
    /// Init's level (or phase) when last observed.
    level: Phase,
}

impl Supervision {
    /// At boot (`restored == false`) supervision starts from nothing; after
    /// a re-exec it carries on from the state file the old init wrote.
    /// `level` is init's level now.
    pub(super) fn start(
        restored: bool,
        level: Phase,
        sys: &mut System,
        now: Duration,
    ) -> Supervision {
        let root = PathBuf::from("/");
        let mut tracker = Tracker::default();
        let mut tracking_off = None;
        let (tree, tracking) = match cgroup::setup() {
            Ok(setup) => {
                let tracking = Tracking::On {
                    dir: setup.tree.dir().display().to_string(),
                    limits: setup.controllers.clone(),
                };
                (Some(setup.tree), tracking)
            }
            Err(off) => {
                sys.log(
                    Dest::Both,
                    &format!("services are not tracked by cgroup: {}", off.0),
                );
                tracking_off = Some(off.0.clone());
                (None, Tracking::Off(off.0))
            }
        };
        if restored
            && let Ok(text) = untrusted::read_text(&files::under(&root, STATE_FILE), Kind::RunState)
        {
            let (saved, problems) = state::parse(&text);
            for problem in problems {
                sys.log(Dest::Both, &format!("{STATE_FILE}:{problem}"));
            }
            tracker = saved;
        }
        tracker.tracking = Some(tracking);
        let mut supervision = Supervision {
            root,
            services: Services::new(tracker, tree.is_some()),
            claims: Claims::new(tree.clone()),
            tree,
            changes: Changes::new(),
            dir_stamp: None,
            stamps: BTreeMap::new(),
            good: BTreeMap::new(),
            limits: BTreeMap::new(),
            tracking_off,
            unsaved: true,
            pass: 0,
            looked_in_pass: None,
            level,
        };
        supervision.watch_directories();
        supervision.read_settings(sys, true);
        supervision.catch_up(sys, now);
        supervision.take_start_marks(None);
        supervision.save();
        supervision
    }

    /// The descriptor to poll: readable when a watched file changed.
    pub(super) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.changes.fd()
    }

    /// A new pass of init's loop begins.
    pub(super) fn begin_pass(&mut self) {
        self.pass = self.pass.wrapping_add(1);
    }

    /// When [`Supervision::tick`] must run next.
    pub(super) fn next_deadline(&self) -> Option<Duration> {
        [self.services.next_deadline(), self.claims.next_recheck()]
            .into_iter()
            .flatten()
            .min()
    }

    /// `vinit supervise`/`unsupervise` or `service` signalled: something
    /// changed.
    pub(super) fn reload(&mut self, sys: &mut System, now: Duration) {
        self.read_settings(sys, true);
        self.catch_up(sys, now);
        self.take_start_marks(None);
        self.save();
    }

    /// The mounts changed (a tmpfs on `/run` at boot hides what was
    /// there): watch where the files are now, and read them again. Every
    /// watch is made anew: one on a directory a mount has hidden under
    /// another of the same path sees nothing, and its path alone cannot
    /// tell.
    pub(super) fn remounted(&mut self, sys: &mut System, now: Duration) {
        self.changes.forget_all();
        self.watch_directories();
        let names: Vec<String> = self.claims.names().cloned().collect();
        for name in &names {
            self.watch_pid_file(name);
            let outcome = self.claims.read(name, now);
            self.apply(name, outcome, sys);
        }
        // A tmpfs on /run hid the state file written before it.
        if !files::under(&self.root, STATE_FILE).exists() {
            self.unsaved = true;
        }
        self.save();
    }

    /// Called with init's level after anything that may change it. A new
    /// level (`S`, `0`–`9`) means a level change begins: before any K
    /// script runs, disarm what it will stop (everything for 0 and 6, and
    /// for a BusyBox system's way down).
    pub(super) fn observe_level(&mut self, phase: Phase, sys: &mut System, now: Duration) {
        if phase == self.level {
            return;
        }
        self.level = phase;
        let level = match phase {
            Phase::Level(level) => level,
            // A BusyBox inittab has no levels, but a way down: as 0 and 6.
            Phase::BusyBoxDown => Runlevel::HALT,
            Phase::Sysinit | Phase::Boot | Phase::BusyBox => return,
        };
        self.catch_up(sys, now);
        let dir = files::under(&self.root, &format!("/etc/rc{level}.d"));
        let stopping: Vec<String> = self
            .services
            .tracker
            .services
            .keys()
            .filter(|name| has_kill_link(&dir, name))
            .cloned()
            .collect();
        self.services.level_change(level, &stopping);
        self.unsaved = true;
        self.save();
    }

    /// Whether [`Supervision::reaped`] reads the dead process's `/proc`
    /// entry (a believed daemon's start time, the cgroup of any process),
    /// so that init must leave it a zombie until then: only while some
    /// service is supervised.
    pub(super) fn reads_zombies(&self) -> bool {
        !self.services.tracker.services.is_empty()
    }

    /// Init is about to reap `pid`, dead with wait status `status` (every
    /// child and orphan comes through here, after the inittab policy has
    /// seen it, while it is still a zombie).
    pub(super) fn reaped(&mut self, pid: i32, status: i32, sys: &mut System, now: Duration) {
        if let Some(name) = self.services.restart_script_of(pid).map(str::to_string) {
            let marked = files::take_from_mark(&self.root, &name, pid);
            self.with_mechanism(sys, |services, fx| {
                services.restart_ended(pid, status, marked, fx, now, wall_clock());
            });
            self.unsaved = true;
            self.catch_up(sys, now);
            self.save();
            return;
        }
        if self.services.tracker.services.is_empty() {
            return;
        }
        self.catch_up(sys, now);
        let daemon = if self.claims.is_daemon(pid) {
            let zombie = procfs::stat(pid);
            self.claims
                .take_daemon(pid, zombie.as_ref())
                .map(|daemon| (daemon, zombie))
        } else {
            None
        };
        let service = match &daemon {
            Some((daemon, _)) => Some(daemon.service.clone()),
            None => self
                .tree
                .as_ref()
                .and_then(|tree| tree.service_of(pid))
                .filter(|name| self.services.tracker.services.contains_key(name)),
        };
        let Some(service) = service else {
            self.save();
            return;
        };
        let marked = files::take_from_mark(&self.root, &service, pid);
        let reaped = match &daemon {
            Some((_, zombie)) => Reaped::Daemon {
                service: &service,
                pid,
                status,
                marked,
                // Its process group is the service's only if it led it.
                leader: zombie.is_some_and(|stat| stat.group == pid),
            },
            None => Reaped::InCgroup {
                service: &service,
                pid,
                status,
                marked,
                emptied: self.is_empty(&service),
            },
        };
        self.with_mechanism(sys, |services, fx| {
            services.reaped(reaped, fx, now, wall_clock());
        });
        self.unsaved = true;
        self.save();
    }

    /// Calls the policy with its effects carried out on the system: the
    /// mechanism borrows the fields it needs, the policy the services.
    fn with_mechanism<R>(
        &mut self,
        sys: &mut System,
        call: impl FnOnce(&mut Services, &mut Mechanism<'_>) -> R,
    ) -> R {
        let mut fx = Mechanism {
            root: &self.root,
            tree: self.tree.as_ref(),
            limits: &mut self.limits,
            tracking_off: self.tracking_off.as_deref(),
            sys,
        };
        call(&mut self.services, &mut fx)
    }

    /// Whether no live process is left in `name`'s cgroup.
    fn is_empty(&self, name: &str) -> bool {
        self.tree
            .as_ref()
            .and_then(|tree| tree.leaf(name))
            .is_none_or(|leaf| leaf.populated() != Some(true))
    }

    /// Time passed (or a watched file changed): look at what changed, kill
    /// restart scripts past the timeout, start the restarts that are due.
    pub(super) fn tick(&mut self, sys: &mut System, now: Duration) {
        self.catch_up(sys, now);
        for (name, outcome) in self.claims.recheck(now) {
            self.apply(&name, outcome, sys);
        }
        if self.services.next_deadline().is_some_and(|at| at <= now) {
            let timeout = self.rc_timeout(sys);
            if self.with_mechanism(sys, |services, fx| services.tick(fx, now, timeout)) {
                self.unsaved = true;
            }
        }
        self.save();
    }

    /// Reads what changed since the last look: the settings, scripts, pid
    /// files and start marks inotify reported, and (at most once a pass)
    /// those it cannot watch.
    fn catch_up(&mut self, sys: &mut System, now: Duration) {
        let changed = self.changes.take();
        let all_services = || -> Vec<String> { self.claims.names().cloned().collect() };
        let mut settings = changed.everything
            || changed.targets.contains(&Target::Settings)
            || changed.names.contains_key(&Target::Settings);
        let mut scripts: Vec<String> =
            if changed.everything || changed.targets.contains(&Target::Scripts) {
                all_services()
            } else {
                changed
                    .names
                    .get(&Target::Scripts)
                    .into_iter()
                    .flatten()
                    .map(|name| name.to_string_lossy().into_owned())
                    .collect()
            };
        let mut marks = changed.everything || changed.targets.contains(&Target::Marks);
        let mut pid_files: Vec<String> = if changed.everything {
            all_services()
        } else {
            changed
                .targets
                .iter()
                .filter_map(|target| match target {
                    Target::PidFile(name) => Some(name.clone()),
                    _ => None,
                })
                .collect()
        };
        let mark_names: Vec<String> = changed
            .names
            .get(&Target::Marks)
            .into_iter()
            .flatten()
            .filter_map(|name| name.to_str()?.strip_suffix(".start").map(str::to_string))
            .collect();
        if !self.changes.unwatched().is_empty() && self.looked_in_pass != Some(self.pass) {
            self.looked_in_pass = Some(self.pass);
            for target in self.changes.unwatched().clone() {
                match target {
                    Target::Settings => settings |= files::dir_stamp(&self.root) != self.dir_stamp,
                    Target::Scripts => {}
                    Target::Marks => marks = true,
                    Target::PidFile(name) => {
                        if self.claims.looks_changed(&name) {
                            pid_files.push(name);
                        }
                    }
                }
            }
        }
        if changed.everything {
            self.watch_directories();
        } else {
            for target in &changed.targets {
                self.rewatch(target);
            }
        }
        if settings {
            self.read_settings(sys, false);
        }
        scripts.retain(|name| self.services.tracker.services.contains_key(name));
        for name in &scripts {
            self.discover(name);
        }
        pid_files.extend(scripts);
        pid_files.extend(self.claims.unread());
        pid_files.sort();
        pid_files.dedup();
        for name in pid_files {
            let outcome = self.claims.read(&name, now);
            self.apply(&name, outcome, sys);
        }
        if marks {
            self.take_start_marks(None);
        } else if !mark_names.is_empty() {
            self.take_start_marks(Some(&mark_names));
        }
    }

    fn apply(&mut self, name: &str, outcome: Outcome, sys: &mut System) {
        match outcome {
            Outcome::Unchanged => {}
            Outcome::Running(pid) => {
                self.services.daemon_running(name, pid);
                self.unsaved = true;
            }
            Outcome::Report(line) => sys.log(Dest::Both, &line),
        }
    }

    /// Re-arms the services whose start mark root left (`service NAME
    /// start`, rc): all of them, or those of `names`. Each mark is removed.
    fn take_start_marks(&mut self, names: Option<&[String]>) {
        let all: Vec<String>;
        let names = match names {
            Some(names) => names,
            None => {
                all = self.services.tracker.services.keys().cloned().collect();
                &all
            }
        };
        for name in names {
            if files::take_start_mark(&self.root, name) {
                self.services.rearm(name);
                self.unsaved = true;
            }
        }
    }

    /// Watches the settings, the scripts and the marks' directories.
    fn watch_directories(&mut self) {
        let at = |path: &str| files::under(&self.root, path);
        let (settings, scripts, marks) = (at(CONFIG_DIR), at(SCRIPTS_DIR), at(RUN_DIR));
        self.changes.register(Target::Settings, &settings, true);
        self.changes.register(Target::Scripts, &scripts, true);
        self.changes.register(Target::Marks, &marks, true);
    }

    fn rewatch(&mut self, target: &Target) {
        match target {
            Target::PidFile(name) => self.watch_pid_file(name),
            _ => self.watch_directories(),
        }
    }

    fn watch_pid_file(&mut self, name: &str) {
        if let Some(path) = self.claims.pidfile(name).map(Path::to_path_buf) {
            self.changes
                .register(Target::PidFile(name.to_string()), &path, false);
        }
    }

    /// Finds `name`'s pid file and program from its settings and script.
    fn discover(&mut self, name: &str) {
        let Some(config) = self
            .services
            .tracker
            .services
            .get(name)
            .map(|s| s.config.clone())
        else {
            return;
        };
        let daemon = files::daemon_of(&self.root, name, &config);
        let path = files::under(&self.root, &daemon.pidfile.to_string_lossy());
        self.claims.set(name, path, daemon.program);
        self.watch_pid_file(name);
    }

    /// rc's per-script timeout, as rc resolves it from init's own
    /// environment and rc's defaults file; `None` for no timeout.
    fn rc_timeout(&self, sys: &System) -> Option<Duration> {
        use crate::rc::settings;
        let env = env_value(&sys.base_env, settings::TIMEOUT)
            .map(|value| String::from_utf8_lossy(value).into_owned());
        let defaults = settings::read_defaults(&files::under(&self.root, settings::DEFAULTS_FILE));
        settings::timeout(None, env, &defaults).value
    }

    /// Reads the settings directory: problems are logged with file:line
    /// and the service keeps its last good settings; a rewritten file
    /// re-arms a service that was given up. New and rewritten services'
    /// files are found again (every service's, with `rediscover_all`).
    fn read_settings(&mut self, sys: &mut System, rediscover_all: bool) {
        self.dir_stamp = files::dir_stamp(&self.root);
        let found = files::read_configs(&self.root);
        let mut rearm = Vec::new();
        let mut configs = BTreeMap::new();
        let mut rediscover = Vec::new();
        for (name, file) in &found {
            let ConfigFile { parsed, stamp, .. } = file;
            let known = self.stamps.get(name);
            if known.is_some_and(|known| known != stamp) {
                rearm.push(name.clone());
            }
            if known != Some(stamp) || rediscover_all {
                rediscover.push(name.clone());
            }
            if let Ok(config) = parsed {
                self.good.insert(name.clone(), config.clone());
            }
            if known != Some(stamp) {
                for line in files::problem_lines(file) {
                    sys.log(Dest::Both, &line);
                }
                let kept = self.limits.remove(name).unwrap_or_default();
                self.limits.insert(
                    name.clone(),
                    ServiceLimits {
                        path: file.path.clone(),
                        limits: kept.limits.updated(file.limits.clone(), &file.dropped),
                        said: false,
                    },
                );
            }
            if let Some(config) = self.good.get(name) {
                configs.insert(name.clone(), config.clone());
            }
        }
        self.stamps = found
            .iter()
            .map(|(name, file)| (name.clone(), file.stamp))
            .collect();
        self.good.retain(|name, _| found.contains_key(name));
        self.limits.retain(|name, _| found.contains_key(name));
        self.services.configure(configs, &rearm);
        let removed: Vec<String> = self
            .claims
            .names()
            .filter(|name| !self.services.tracker.services.contains_key(*name))
            .cloned()
            .collect();
        for name in removed {
            self.changes.unregister(&Target::PidFile(name));
        }
        let tracker = &self.services.tracker;
        self.claims
            .retain(|name| tracker.services.contains_key(name));
        for name in rediscover {
            self.discover(&name);
        }
        self.unsaved = true;
    }

    /// Writes the state file if the tracker changed since it was written.
    fn save(&mut self) {
        if !self.unsaved {
            return;
        }
        let text = state::serialize(&self.services.tracker);
        let path = files::under(&self.root, STATE_FILE);
        let _ = std::fs::create_dir_all(files::under(&self.root, RUN_DIR));
        if files::write_atomic(&path, &text).is_ok() {
            self.unsaved = false;
        }
    }
}

/// A service's limits as init applies them.
#[derive(Debug, Default)]
struct ServiceLimits {
    /// Its settings file, for messages.
    path: PathBuf,
    limits: Limits,
    /// What could not be set has been logged since the file last changed
    /// (each restart would say it again).
    said: bool,
}

/// The services' policy's effects, carried out on the system.
struct Mechanism<'a> {
    root: &'a Path,
    tree: Option<&'a Tree>,
    limits: &'a mut BTreeMap<String, ServiceLimits>,
    tracking_off: Option<&'a str>,
    sys: &'a mut System,
}

impl policy::Effects for Mechanism<'_> {
    fn log(&mut self, line: &str) {
        self.sys.log(Dest::Both, line);
    }

    fn spawn_restart(&mut self, name: &str) -> Option<i32> {
        Mechanism::spawn_restart(self, name)
    }

    fn kill_restart(&mut self, child: i32) {
        // init's own child, leader of its own session and group.
        if child > 1 {
            let _ = killpg(Pid::from_raw(child), Signal::SIGKILL);
        }
    }

    fn signal_group(&mut self, group: i32, signal: Signal) {
        if group > 1 {
            let _ = killpg(Pid::from_raw(group), signal);
        }
    }

    fn signal_cgroup(&mut self, name: &str, signal: Signal) {
        if let Some(leaf) = self.tree.and_then(|tree| tree.leaf(name)) {
            leaf.signal(signal);
        }
    }
}

impl Mechanism<'_> {
    /// Forks the service's `restart` (or `stop` then `start` for a script
    /// without one) in a session of its own, output on the console, in the
    /// environment `service` gives scripts, in its cgroup with its limits.
    fn spawn_restart(&mut self, name: &str) -> Option<i32> {
        let script = format!("/etc/init.d/{name}");
        let text = untrusted::read_text(&files::under(self.root, &script), Kind::Script)
            .unwrap_or_default();
        let has_restart = text.contains("restart");
        let argv: Vec<String> = if has_restart {
            vec![script.clone(), "restart".to_string()]
        } else {
            ["/bin/sh", "-c", "\"$0\" stop; exec \"$0\" start", &script]
                .map(String::from)
                .to_vec()
        };
        // Each one, empty if init does not have it, as `service` does.
        let env: Vec<Vec<u8>> = SERVICE_ENVIRONMENT
            .iter()
            .map(|name| {
                let mut var = format!("{name}=").into_bytes();
                var.extend_from_slice(env_value(&self.sys.base_env, name).unwrap_or_default());
                var
            })
            .collect();
        let leaf = self.tree.and_then(|tree| tree.leaf(name));
        let attributes = match self.limits.get_mut(name) {
            Some(service) => {
                let controllers = self.tree.map(Tree::controllers).unwrap_or_default();
                let cgroup = match &leaf {
                    Some(leaf) => Cgroup::Leaf(leaf, &controllers),
                    None => Cgroup::Off(self.tracking_off.unwrap_or("no cgroup for it")),
                };
                let (attributes, reports) =
                    apply::apply(&service.path, &service.limits, cgroup, "INIT: ");
                if !service.said {
                    service.said = true;
                    for line in reports {
                        self.sys.log(Dest::Both, &line);
                    }
                }
                attributes
            }
            None => Default::default(),
        };
        let program = argv
            .first()
            .map_or(script.as_bytes(), |first| first.as_bytes());
        let prepared = Child::new(program, &argv, &env).map(|child| {
            child
                .fallback(&["/bin/sh", script.as_str(), "restart"], None)
                .session(Session::New)
                // Opened before the fork: the child only writes to it.
                .cgroup(leaf.and_then(|leaf| leaf.directory().ok()))
                .attributes(attributes)
        });
        let null = untrusted::open_device(Path::new(DEV_NULL), Access::Read).map(OwnedFd::from);
        let child = match (prepared, null) {
            (Ok(child), Ok(null)) => child.stdio(0, null),
            (Ok(child), Err(_)) => child,
            (Err(_), _) => return None,
        };
        let mut hook = ConsoleOutput(self.sys.console.clone());
        match child.spawn(Some(&mut hook)) {
            Ok(spawned) => Some(spawned.pid.as_raw()),
            Err(_) => {
                log::info!(
                    target: to::BOTH,
                    "service {name}: cannot fork its restart, retrying"
                );
                None
            }
        }
    }
}

/// A restart's output: the console, opened in the child (opening it may
/// take a while, which must not stall init), else `/dev/null`.
struct ConsoleOutput(Console);

impl InChild for ConsoleOutput {
    fn before_exec(&mut self) -> Result<(), i32> {
        use std::os::fd::AsRawFd;
        let output = self
            .0
            .open()
            .or_else(|_| untrusted::open_device(Path::new(DEV_NULL), Access::ReadWrite));
        if let Ok(output) = output {
            let _ = nix::unistd::dup2(output.as_raw_fd(), 1);
            let _ = nix::unistd::dup2(output.as_raw_fd(), 2);
        }
        Ok(())
    }

    fn exec_failed(&mut self, _: Errno) -> i32 {
        127
    }
}

/// The value of `NAME=value` in an environment list.
fn env_value<'a>(env: &'a [OsString], name: &str) -> Option<&'a [u8]> {
    env.iter().find_map(|var| {
        var.as_bytes()
            .strip_prefix(name.as_bytes())?
            .strip_prefix(b"=")
    })
}

/// Whether `dir` (an `/etc/rcN.d`) has a `K<nn>NAME` link.
fn has_kill_link(dir: &Path, name: &str) -> bool {
    use crate::rc::link::{Link, LinkKind};
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries
        .flatten()
        .any(|entry| Link::names(&entry.file_name().to_string_lossy(), LinkKind::Kill, name))
}
