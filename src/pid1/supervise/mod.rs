//! Supervised services, PID 1's side (the policy is [`crate::supervise`]).
//!
//! A daemon started by an init script double-forks and is re-parented to
//! init, so init reaps it and gets its wait status for free. Which reaped
//! process was a service's daemon comes from its pid file, a claim judged
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
use std::ffi::{CString, OsString};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::{ForkResult, Pid, execve, setsid};

use super::System;
use super::console::{DEV_NULL, to};
use crate::defaults::SERVICE_ENVIRONMENT;
use crate::procfs;
use crate::supervise::files::{self, ConfigFile};
use crate::supervise::{CONFIG_DIR, Config, RUN_DIR, STATE_FILE, Tracker, Verdict, state};
use crate::supervisor::{Dest, Effects};
use crate::sys::process::{exit_now, fork_single_threaded, reset_signal_dispositions};
use crate::sys::spawn::reset_all_signals;
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
    tracker: Tracker,
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
    /// The state file is behind the tracker.
    unsaved: bool,
    /// Passes of init's loop, and the last one in which the files that
    /// cannot be watched were looked at (at most once a pass).
    pass: u64,
    looked_in_pass: Option<u64>,
    /// Init's level when last observed.
    level: u8,
}

impl Supervision {
    /// At boot (`restored == false`) supervision starts from nothing; after
    /// a re-exec it carries on from the state file the old init wrote.
    /// `level` is init's level now.
    pub(super) fn start(restored: bool, level: u8, sys: &mut System, now: Duration) -> Supervision {
        let root = PathBuf::from("/");
        let mut tracker = Tracker::default();
        if restored
            && let Ok(text) = untrusted::read_text(&files::under(&root, STATE_FILE), Kind::RunState)
        {
            let (saved, problems) = state::parse(&text);
            for problem in problems {
                sys.log(Dest::Both, &format!("{STATE_FILE}:{problem}"));
            }
            tracker = saved;
        }
        let mut supervision = Supervision {
            root,
            tracker,
            claims: Claims::default(),
            changes: Changes::new(),
            dir_stamp: None,
            stamps: BTreeMap::new(),
            good: BTreeMap::new(),
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
        [self.tracker.next_deadline(), self.claims.next_recheck()]
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
        self.changes = Changes::new();
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
    /// script runs, disarm what it will stop (everything for 0 and 6).
    pub(super) fn observe_level(&mut self, level: u8, sys: &mut System, now: Duration) {
        if level == self.level {
            return;
        }
        self.level = level;
        if !b"S0123456789".contains(&level) {
            return;
        }
        self.catch_up(sys, now);
        let dir = files::under(
            &self.root,
            &format!("/etc/rc{}.d", char::from(level.to_ascii_uppercase())),
        );
        let stopping: Vec<String> = self
            .tracker
            .services
            .keys()
            .filter(|name| has_kill_link(&dir, name))
            .cloned()
            .collect();
        self.tracker.level_change(level, &stopping);
        self.unsaved = true;
        self.save();
    }

    /// Init is about to reap `pid`, dead with wait status `status` (every
    /// child and orphan comes through here, after the inittab policy has
    /// seen it, while it is still a zombie).
    pub(super) fn reaped(&mut self, pid: i32, status: i32, sys: &mut System, now: Duration) {
        if self.tracker.restarting(pid).is_some() {
            let verdict = self
                .tracker
                .restart_finished(pid, status, now, wall_clock());
            self.act(verdict, false, sys);
            self.unsaved = true;
            self.catch_up(sys, now);
            self.save();
            return;
        }
        if self.tracker.services.is_empty() {
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
        let Some((daemon, zombie)) = daemon else {
            self.save();
            return;
        };
        let name = daemon.service;
        let mark = files::read_mark(&self.root, &name);
        let marked = mark.contains(&pid);
        if marked {
            let rest: Vec<i32> = mark.into_iter().filter(|&p| p != pid).collect();
            let _ = files::write_mark(&self.root, &name, &rest);
        }
        let verdict = self
            .tracker
            .died(&name, pid, status, marked, now, wall_clock());
        // Its process group is the service's only if it led it.
        let leader = zombie.is_some_and(|stat| stat.group == pid);
        self.act(verdict, leader, sys);
        self.unsaved = true;
        self.save();
    }

    /// Time passed (or a watched file changed): look at what changed, kill
    /// restart scripts past the timeout, start the restarts that are due.
    pub(super) fn tick(&mut self, sys: &mut System, now: Duration) {
        self.catch_up(sys, now);
        for (name, outcome) in self.claims.recheck(now) {
            self.apply(&name, outcome, sys);
        }
        let overdue = self.tracker.overdue(now);
        let due = self.tracker.due(now);
        for child in overdue {
            if let Some(name) = self.tracker.restarting(child) {
                sys.log(
                    Dest::Both,
                    &format!(
                        "service {name}: restart script (pid {child}) still running after the rc timeout, killing it"
                    ),
                );
            }
            // init's own child, leader of its own session and group.
            if child > 1 {
                let _ = killpg(Pid::from_raw(child), Signal::SIGKILL);
            }
            self.unsaved = true;
        }
        for name in due {
            let child = self.spawn_restart(&name, sys);
            let timeout = self.rc_timeout(sys);
            self.tracker.restart_started(&name, child, now, timeout);
            self.unsaved = true;
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
        scripts.retain(|name| self.tracker.services.contains_key(name));
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
                self.tracker.seen(name, pid);
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
                all = self.tracker.services.keys().cloned().collect();
                &all
            }
        };
        for name in names {
            if files::take_start_mark(&self.root, name) {
                self.tracker.rearm(name);
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
        let Some(config) = self.tracker.services.get(name).map(|s| s.config.clone()) else {
            return;
        };
        let daemon = files::daemon_of(&self.root, name, &config);
        let path = files::under(&self.root, &daemon.pidfile.to_string_lossy());
        self.claims.set(name, path, daemon.program);
        self.watch_pid_file(name);
    }

    /// rc's per-script timeout, from where rc reads it (init's own
    /// environment, then `/etc/default/vinit-rc`); `None` for no timeout.
    fn rc_timeout(&self, sys: &System) -> Option<Duration> {
        const NAME: &str = "VINIT_RC_TIMEOUT";
        let from_env =
            env_value(&sys.base_env, NAME).map(|value| String::from_utf8_lossy(value).into_owned());
        let value = from_env.or_else(|| {
            crate::rc::read_defaults(&files::under(&self.root, "/etc/default/vinit-rc"))
                .remove(NAME)
        });
        match value.map(|value| value.trim().parse::<u64>()) {
            Some(Ok(0)) => None,
            Some(Ok(secs)) => Some(Duration::from_secs(secs)),
            None | Some(Err(_)) => Some(crate::rc::DEFAULT_TIMEOUT),
        }
    }

    /// Carries out a verdict. `leader`: the dead daemon led its process
    /// group, which is still there (init has not reaped it yet).
    fn act(&mut self, verdict: Verdict, leader: bool, sys: &mut System) {
        let (message, group) = match verdict {
            Verdict::Ignore | Verdict::Stopped => return,
            Verdict::Restart { message, group } | Verdict::GiveUp { message, group } => {
                (message, group)
            }
        };
        sys.log(Dest::Both, &message);
        // What is left of the dead daemon's process group (nginx's workers
        // still hold its ports) gets what a stop would have sent. The
        // group is the service's: the daemon (checked by PID and start
        // time) led it, and its zombie keeps the group's ID from reuse.
        if leader && let Some(group) = group.filter(|&group| group > 1) {
            let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
        }
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
            match parsed {
                Ok(config) => {
                    self.good.insert(name.clone(), config.clone());
                }
                Err(_) => {
                    if known != Some(stamp) {
                        for line in files::problem_lines(file) {
                            sys.log(Dest::Both, &line);
                        }
                    }
                }
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
        self.tracker.configure(configs, &rearm);
        let removed: Vec<String> = self
            .claims
            .names()
            .filter(|name| !self.tracker.services.contains_key(*name))
            .cloned()
            .collect();
        for name in removed {
            self.changes.unregister(&Target::PidFile(name));
        }
        let tracker = &self.tracker;
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
        let text = state::serialize(&self.tracker);
        let path = files::under(&self.root, STATE_FILE);
        let _ = std::fs::create_dir_all(files::under(&self.root, RUN_DIR));
        if files::write_atomic(&path, &text).is_ok() {
            self.unsaved = false;
        }
    }

    /// Forks the service's `restart` (or `stop` then `start` for a script
    /// without one) in a session of its own, output on the console, in the
    /// environment `service` gives scripts.
    fn spawn_restart(&self, name: &str, sys: &System) -> Option<i32> {
        let script = format!("/etc/init.d/{name}");
        let text = untrusted::read_text(&files::under(&self.root, &script), Kind::Script)
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
        let env: Vec<CString> = SERVICE_ENVIRONMENT
            .iter()
            .filter_map(|name| {
                let mut var = format!("{name}=").into_bytes();
                var.extend_from_slice(env_value(&sys.base_env, name).unwrap_or_default());
                CString::new(var).ok()
            })
            .collect();
        let c = |strings: &[String]| -> Vec<CString> {
            strings
                .iter()
                .filter_map(|s| CString::new(s.as_bytes()).ok())
                .collect()
        };
        let argv = c(&argv);
        let fallback = c(&["/bin/sh".to_string(), script, "restart".to_string()]);
        let console = sys.console.clone();
        match fork_single_threaded() {
            Ok(ForkResult::Parent { child }) => Some(child.as_raw()),
            Ok(ForkResult::Child) => {
                if reset_all_signals().is_err() {
                    reset_signal_dispositions();
                }
                let _ = setsid();
                let output = console
                    .open()
                    .or_else(|_| untrusted::open_device(Path::new(DEV_NULL), Access::ReadWrite));
                let input = untrusted::open_device(Path::new(DEV_NULL), Access::Read);
                if let (Ok(input), Ok(output)) = (input, output) {
                    use std::os::fd::AsRawFd;
                    let _ = nix::unistd::dup2(input.as_raw_fd(), 0);
                    let _ = nix::unistd::dup2(output.as_raw_fd(), 1);
                    let _ = nix::unistd::dup2(output.as_raw_fd(), 2);
                }
                if let Some(program) = argv.first()
                    && execve(program, &argv, &env) == Err(Errno::ENOEXEC)
                    && let Some(shell) = fallback.first()
                {
                    let _ = execve(shell, &fallback, &env);
                }
                exit_now(127)
            }
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
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let link = entry.file_name();
        let link = link.to_string_lossy();
        link.strip_prefix('K')
            .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
            .is_some_and(|rest| rest == name)
    })
}
