//! Supervised services, PID 1's side (the policy is [`crate::supervise`]).
//!
//! A daemon started by an init script double-forks and is re-parented to
//! init, so init reaps it and gets its wait status for free. This maps the
//! reaped PIDs to services through their pid files: a cache PID → service,
//! rebuilt from the pid files whenever an unknown PID is reaped (a crashed
//! daemon leaves its pid file behind), when `vinit supervise` signals, and
//! when a level change begins. The restart script is a child of init like
//! any other: forked here, reaped by the event loop, killed after the rc
//! timeout. Nothing here blocks.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::{ForkResult, Pid, execve, setsid};

use super::System;
use super::console::{DEV_NULL, to};
use crate::defaults::SERVICE_ENVIRONMENT;
use crate::supervise::files::{self, ConfigFile};
use crate::supervise::{Config, RUN_DIR, STATE_FILE, Tracker, Verdict, state};
use crate::supervisor::{Dest, Effects};
use crate::sys::process::{exit_now, fork_single_threaded, reset_signal_dispositions};
use crate::sys::spawn::reset_all_signals;
use crate::untrusted::{self, Access, Kind};

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

pub(super) struct Supervision {
    root: PathBuf,
    tracker: Tracker,
    /// PID → service, from the pid files at the last refresh.
    pids: HashMap<i32, String>,
    /// The settings directory's time at the last read.
    dir_stamp: Option<SystemTime>,
    /// Each file's time at the last read (a newer one re-arms).
    stamps: BTreeMap<String, Option<SystemTime>>,
    /// The last good settings of each service.
    good: BTreeMap<String, Config>,
    /// The state text last written.
    written: String,
    /// Init's level when last observed.
    level: u8,
}

impl Supervision {
    /// At boot (`restored == false`) supervision starts from nothing; after
    /// a re-exec it carries on from the state file the old init wrote.
    /// `level` is init's level now.
    pub(super) fn start(restored: bool, level: u8, sys: &mut System) -> Supervision {
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
            pids: HashMap::new(),
            dir_stamp: None,
            stamps: BTreeMap::new(),
            good: BTreeMap::new(),
            written: String::new(),
            level,
        };
        supervision.read_settings(sys, false);
        supervision.refresh(sys);
        supervision.save();
        supervision
    }

    /// When [`Supervision::tick`] must run next.
    pub(super) fn next_deadline(&self) -> Option<Duration> {
        self.tracker.next_deadline()
    }

    /// `vinit supervise`/`unsupervise` changed a file.
    pub(super) fn reload(&mut self, sys: &mut System) {
        self.read_settings(sys, true);
        self.refresh(sys);
        self.save();
    }

    /// Called with init's level after anything that may change it. A new
    /// level (`S`, `0`–`9`) means a level change begins: before any K
    /// script runs, disarm what it will stop (everything for 0 and 6).
    pub(super) fn observe_level(&mut self, level: u8, sys: &mut System) {
        if level == self.level {
            return;
        }
        self.level = level;
        if !b"S0123456789".contains(&level) {
            return;
        }
        self.refresh(sys);
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
        self.save();
    }

    /// Init reaped `pid` with wait status `status` (every child and orphan
    /// comes through here, after the inittab policy has seen it).
    pub(super) fn reaped(&mut self, pid: i32, status: i32, sys: &mut System, now: Duration) {
        if self.tracker.restarting(pid).is_some() {
            let verdict = self
                .tracker
                .restart_finished(pid, status, now, wall_clock());
            self.act(verdict, sys);
            self.refresh(sys);
            self.save();
            return;
        }
        if !self.pids.contains_key(&pid) {
            // Most reaped PIDs are orphans of no service: with nothing
            // supervised, reading pid files for each would be wasted work
            // on PID 1's reaping path (an orphan storm reaps thousands).
            self.read_settings(sys, false);
            if self.tracker.services.is_empty() {
                return;
            }
            self.refresh(sys);
        }
        let Some(name) = self.pids.remove(&pid) else {
            // The refresh may have seen daemons start.
            self.save();
            return;
        };
        let mark = files::read_mark(&self.root, &name);
        let marked = mark.contains(&pid);
        if marked {
            let rest: Vec<i32> = mark.into_iter().filter(|&p| p != pid).collect();
            let _ = files::write_mark(&self.root, &name, &rest);
        }
        let verdict = self
            .tracker
            .died(&name, pid, status, marked, now, wall_clock());
        self.act(verdict, sys);
        self.save();
    }

    /// Time passed: kill restart scripts past the timeout, start the
    /// restarts that are due.
    pub(super) fn tick(&mut self, sys: &mut System, now: Duration) {
        let overdue = self.tracker.overdue(now);
        let due = self.tracker.due(now);
        if overdue.is_empty() && due.is_empty() {
            return;
        }
        for child in overdue {
            if let Some(name) = self.tracker.restarting(child) {
                sys.log(
                    Dest::Both,
                    &format!(
                        "service {name}: restart script (pid {child}) still running after the rc timeout, killing it"
                    ),
                );
            }
            if child > 1 {
                let _ = killpg(Pid::from_raw(child), Signal::SIGKILL);
            }
        }
        for name in due {
            let child = self.spawn_restart(&name, sys);
            let timeout = self.rc_timeout(sys);
            self.tracker.restart_started(&name, child, now, timeout);
        }
        self.save();
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

    fn act(&mut self, verdict: Verdict, sys: &mut System) {
        let (message, group) = match verdict {
            Verdict::Ignore | Verdict::Stopped => return,
            Verdict::Restart { message, group } | Verdict::GiveUp { message, group } => {
                (message, group)
            }
        };
        sys.log(Dest::Both, &message);
        // What is left of the dead daemon's process group (nginx's workers
        // still hold its ports) gets what a stop would have sent. The
        // group cannot be anyone else's: its ID is the dead daemon's PID,
        // which the kernel does not reuse while the group exists.
        if let Some(group) = group.filter(|&group| group > 1) {
            let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
        }
    }

    /// Reads the settings directory (if it changed, or `force`): problems
    /// are logged with file:line and the service keeps its last good
    /// settings; a rewritten file re-arms a service that was given up.
    fn read_settings(&mut self, sys: &mut System, force: bool) {
        let stamp = files::dir_stamp(&self.root);
        if !force && stamp == self.dir_stamp && !self.stamps.is_empty() {
            return;
        }
        self.dir_stamp = stamp;
        let found = files::read_configs(&self.root);
        let mut rearm = Vec::new();
        let mut configs = BTreeMap::new();
        for (name, file) in &found {
            let ConfigFile { parsed, stamp, .. } = file;
            let known = self.stamps.get(name);
            if known.is_some_and(|known| known != stamp) {
                rearm.push(name.clone());
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
    }

    /// Rebuilds the PID → service cache from the pid files, and tells the
    /// policy which daemons are alive.
    fn refresh(&mut self, sys: &mut System) {
        self.read_settings(sys, false);
        self.pids.clear();
        let names: Vec<(String, Config)> = self
            .tracker
            .services
            .iter()
            .map(|(name, service)| (name.clone(), service.config.clone()))
            .collect();
        for (name, config) in names {
            let pidfile = files::pidfile_of(&self.root, &name, &config);
            let Some(pid) = files::read_pid(&self.root, &pidfile) else {
                continue;
            };
            if files::is_alive(pid) {
                self.tracker.seen(&name, pid);
            }
            self.pids.insert(pid, name);
        }
    }

    /// Writes the state file if it changed, or is not there any more (a
    /// tmpfs mounted on /run at boot hides the one written before).
    fn save(&mut self) {
        let text = state::serialize(&self.tracker);
        let path = files::under(&self.root, STATE_FILE);
        if text == self.written && path.exists() {
            return;
        }
        let _ = std::fs::create_dir_all(files::under(&self.root, RUN_DIR));
        if files::write_atomic(&path, &text).is_ok() {
            self.written = text;
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
