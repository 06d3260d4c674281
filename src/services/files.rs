//! The files of supervision, read and written the same way by init and by
//! the commands (`vinit supervise`, `service`): the settings directory,
//! pid files, stop marks, the state file. The only I/O of this module.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::claim;
use super::config::{self, Config, Problem};
use super::limits::{self, Dropped, Limits};
use super::overview::{ServiceView, overview};
use super::{CONFIG_DIR, STATE_FILE, Tracking, pidfile, start_mark, state, stop_mark, valid_name};
use crate::untrusted::{self, Kind};

/// One file of `/etc/vinit/supervise.d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Its modification time, to notice a rewrite.
    pub stamp: Option<SystemTime>,
    pub parsed: Result<Config, Vec<Problem>>,
    /// Its limits' good settings, whatever `parsed` is.
    pub limits: Limits,
    /// Its limits' bad lines, each leaving out only its own setting.
    pub dropped: Vec<Dropped>,
}

impl ConfigFile {
    /// Reads the settings and the limits of a file's text.
    pub fn parse(path: PathBuf, stamp: Option<SystemTime>, text: &str) -> ConfigFile {
        let (limits, dropped) = limits::parse(text);
        ConfigFile {
            path,
            stamp,
            parsed: config::parse(text),
            limits,
            dropped,
        }
    }

    /// `FILE:LINE: message` for each bad limit line.
    pub(crate) fn dropped_lines(&self) -> Vec<String> {
        self.dropped
            .iter()
            .map(|bad| {
                format!(
                    "{}:{} (only this line is ignored)",
                    self.path.display(),
                    bad.problem
                )
            })
            .collect()
    }
}

/// `root` + an absolute path.
pub(crate) fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// The modification time of the settings directory (it changes when
/// `vinit supervise` adds, replaces or removes a file).
pub(crate) fn dir_stamp(root: &Path) -> Option<SystemTime> {
    std::fs::metadata(under(root, CONFIG_DIR))
        .and_then(|meta| meta.modified())
        .ok()
}

/// Every file of the settings directory by service name (names that
/// cannot be services, such as editor backups `.x.swp`, are skipped).
pub(crate) fn read_configs(root: &Path) -> BTreeMap<String, ConfigFile> {
    let dir = under(root, CONFIG_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return BTreeMap::new();
    };
    let mut files = BTreeMap::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !valid_name(&name) || name.ends_with('~') || !entry.path().is_file() {
            continue;
        }
        let path = entry.path();
        let stamp = entry.metadata().and_then(|meta| meta.modified()).ok();
        let file = match untrusted::read_text(&path, Kind::Settings) {
            Ok(text) => ConfigFile::parse(path, stamp, &text),
            Err(error) => ConfigFile {
                path,
                stamp,
                parsed: Err(vec![Problem {
                    line: 0,
                    message: format!("cannot read: {error}"),
                }]),
                limits: Limits::default(),
                dropped: Vec::new(),
            },
        };
        files.insert(name, file);
    }
    files
}

/// `FILE:LINE: message` for each problem of a file: the lines that
/// reject its supervision settings, then its bad limit lines.
pub(crate) fn problem_lines(file: &ConfigFile) -> Vec<String> {
    let mut lines: Vec<String> = match &file.parsed {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .map(|problem| format!("{}:{problem}", file.path.display()))
            .collect(),
    };
    lines.extend(file.dropped_lines());
    lines
}

/// The settings file of service `name`, for the commands that run its
/// script (its limits) and for `vinit place`: a service without one has
/// no settings, and its cgroup's files get the kernel's defaults.
pub(crate) fn settings_file(root: &Path, name: &str) -> ConfigFile {
    let path = under(root, &format!("{CONFIG_DIR}/{name}"));
    let text = if valid_name(name) {
        untrusted::read_text(&path, Kind::Settings).unwrap_or_default()
    } else {
        String::new()
    };
    ConfigFile::parse(path, None, &text)
}

/// What a service's init script says of its daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DaemonFiles {
    /// Its pid file: the configured one, else found from the script.
    pub(crate) pidfile: PathBuf,
    /// The program the script starts, if it says (see
    /// [`pidfile::discover_program`]).
    pub(crate) program: Option<PathBuf>,
}

/// Reads `name`'s init script for its daemon's files.
pub(crate) fn daemon_of(root: &Path, name: &str, config: &Config) -> DaemonFiles {
    let script = untrusted::read_text(&under(root, &format!("/etc/init.d/{name}")), Kind::Script)
        .unwrap_or_default();
    DaemonFiles {
        pidfile: config
            .pidfile
            .clone()
            .unwrap_or_else(|| pidfile::discover(name, &script)),
        program: pidfile::discover_program(&script),
    }
}

/// The pid file of service `name` (see [`daemon_of`]).
pub(crate) fn pidfile_of(root: &Path, name: &str, config: &Config) -> PathBuf {
    daemon_of(root, name, config).pidfile
}

/// The PID a pid file holds (its first word), if it is one.
pub(crate) fn read_pid(root: &Path, pidfile: &Path) -> Option<i32> {
    let bytes = untrusted::read(&under(root, &pidfile.to_string_lossy()), Kind::PidFile).ok()?;
    claim::parse_pid(&bytes)
}

/// Whether `pid` is a process that has not died (a zombie has).
pub(crate) fn is_alive(pid: i32) -> bool {
    let Ok(stat) = untrusted::read_text(Path::new(&format!("/proc/{pid}/stat")), Kind::Kernel)
    else {
        return false;
    };
    // `pid (comm) S ...`: the state follows the last `)`.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

/// The PIDs a stop mark names.
pub(crate) fn read_mark(root: &Path, name: &str) -> Vec<i32> {
    untrusted::read_text(&under(root, &stop_mark(name)), Kind::PidFile)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

/// init's side: whether the stop mark of `name` names `pid`, which is
/// then taken out of it.
pub(crate) fn take_from_mark(root: &Path, name: &str, pid: i32) -> bool {
    let mark = read_mark(root, name);
    if !mark.contains(&pid) {
        return false;
    }
    let rest: Vec<i32> = mark.into_iter().filter(|&p| p != pid).collect();
    let _ = write_mark(root, name, &rest);
    true
}

/// Writes the stop mark of `name` naming `pids`, or removes it if there
/// are none.
pub(crate) fn write_mark(root: &Path, name: &str, pids: &[i32]) -> std::io::Result<()> {
    let path = under(root, &stop_mark(name));
    if pids.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        };
    }
    let text: Vec<String> = pids.iter().map(i32::to_string).collect();
    write_atomic(&path, &format!("{}\n", text.join(" ")))
}

/// Before `service` or rc starts a supervised service on purpose: leaves
/// the start mark that tells init to re-arm it (clear its limiter, watch
/// it again if it was given up). Only root can write there.
pub(crate) fn mark_start(root: &Path, name: &str) -> std::io::Result<()> {
    write_atomic(&under(root, &start_mark(name)), "")
}

/// init's side: whether root left `name` a start mark, which is removed.
pub(crate) fn take_start_mark(root: &Path, name: &str) -> bool {
    let path = under(root, &start_mark(name));
    let by_root = untrusted::read_with_metadata(&path, Kind::PidFile)
        .is_ok_and(|(_, metadata)| metadata.uid() == 0);
    let removed = std::fs::remove_file(&path).is_ok();
    by_root && removed
}

/// Writes a file through a temporary one and a rename, so that a reader
/// sees the old text or the new one, never a part.
pub(crate) fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.new"));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(text.as_bytes())?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// Each supervised service as `vinit supervise --list` and `vinit status`
/// show it: its settings file, init's state file (missing: init has not
/// written it yet; lines it cannot read are skipped) and its live daemon.
pub(crate) fn read_overview(root: &Path) -> Vec<ServiceView> {
    read_overview_and_tracking(root).0
}

/// [`read_overview`], and whether init tracks services by cgroup as its
/// state file says (`None`: it does not say).
pub(crate) fn read_overview_and_tracking(root: &Path) -> (Vec<ServiceView>, Option<Tracking>) {
    let configs = read_configs(root);
    let saved = untrusted::read_text(&under(root, STATE_FILE), Kind::RunState)
        .map(|text| state::parse(&text).0)
        .unwrap_or_default();
    let tracking = saved.tracking.clone();
    // The daemon init believes in (the pid files themselves are not
    // read: a user may have written them).
    let running: BTreeMap<String, i32> = saved
        .services
        .iter()
        .filter_map(|(name, service)| {
            let pid = service.pid.filter(|&pid| is_alive(pid))?;
            Some((name.clone(), pid))
        })
        .collect();
    (overview(&configs, saved, &running), tracking)
}

/// The settings of `name` if it is supervised.
pub(crate) fn supervised(root: &Path, name: &str) -> Option<Config> {
    if !valid_name(name) {
        return None;
    }
    let text = untrusted::read_text(
        &under(root, &format!("{CONFIG_DIR}/{name}")),
        Kind::Settings,
    )
    .ok()?;
    // A file init rejected still means "supervised": with the defaults.
    Some(config::parse(&text).unwrap_or_default())
}

/// Before `service` or rc runs an action that may stop a supervised daemon:
/// writes its stop mark naming the running daemon.
pub(crate) fn mark_stop(root: &Path, name: &str, config: &Config) {
    let pidfile = pidfile_of(root, name, config);
    let mut pids: Vec<i32> = read_pid(root, &pidfile)
        .filter(|&pid| is_alive(pid))
        .into_iter()
        .collect();
    // Where services are tracked, every process of its cgroup.
    if root == Path::new("/")
        && let Some(leaf) = crate::cgroup::Tree::find().and_then(|tree| tree.leaf(name))
    {
        pids.extend(leaf.processes());
    }
    if pids.is_empty() {
        return;
    }
    let mut marked = read_mark(root, name);
    marked.extend(pids);
    marked.sort_unstable();
    marked.dedup();
    let _ = write_mark(root, name, &marked);
}

/// After the action: daemons that are still alive were not stopped (a
/// `reload`), so their marks go; a dead one's mark stays until init reaps
/// it and removes it.
pub(crate) fn unmark_alive(root: &Path, name: &str) {
    let marked = read_mark(root, name);
    let dead: Vec<i32> = marked
        .iter()
        .copied()
        .filter(|&pid| !is_alive(pid))
        .collect();
    if dead != marked {
        let _ = write_mark(root, name, &dead);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_marks_and_pid_files() {
        let root = tempfile::tempdir().expect("tempdir");
        let root = root.path();
        let dir = under(root, CONFIG_DIR);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("web"), "delay=1\n").expect("write");
        std::fs::write(dir.join("bad"), "\nrestart=never\n").expect("write");
        std::fs::write(dir.join(".web.swp"), "junk").expect("write");
        let files = read_configs(root);
        assert_eq!(files.keys().collect::<Vec<_>>(), ["bad", "web"]);
        assert_eq!(
            problem_lines(&files["bad"]),
            [format!(
                "{}:2: restart must be on-failure, always or no, not \"never\"",
                dir.join("bad").display()
            )]
        );
        let web = files["web"].parsed.clone().expect("good file");
        // No init script: the default pid file.
        assert_eq!(pidfile_of(root, "web", &web), PathBuf::from("/run/web.pid"));
        write_atomic(&under(root, "/run/web.pid"), "1234\n").expect("pid file");
        assert_eq!(read_pid(root, Path::new("/run/web.pid")), Some(1234));
        write_atomic(&under(root, "/run/web.pid"), "1\n").expect("pid file");
        assert_eq!(read_pid(root, Path::new("/run/web.pid")), None);

        write_mark(root, "web", &[5, 6]).expect("mark");
        assert_eq!(read_mark(root, "web"), [5, 6]);
        write_mark(root, "web", &[]).expect("unmark");
        assert!(read_mark(root, "web").is_empty());
        write_mark(root, "web", &[]).expect("unmark twice");
    }

    #[test]
    fn stop_marks_name_the_running_daemon() {
        let root = tempfile::tempdir().expect("tempdir");
        let root = root.path();
        std::fs::create_dir_all(under(root, CONFIG_DIR)).expect("mkdir");
        std::fs::write(
            under(root, &format!("{CONFIG_DIR}/web")),
            "pidfile=/run/w.pid\n",
        )
        .expect("settings");
        let config = supervised(root, "web").expect("supervised");
        assert_eq!(supervised(root, "db"), None);
        // This test process plays the daemon.
        let me = std::process::id() as i32;
        write_atomic(&under(root, "/run/w.pid"), &format!("{me}\n")).expect("pid file");
        mark_stop(root, "web", &config);
        assert_eq!(read_mark(root, "web"), [me]);
        // Still alive after the action (a reload): the mark goes.
        unmark_alive(root, "web");
        assert!(read_mark(root, "web").is_empty());
        // A dead daemon is not marked, and a dead one's mark stays.
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let dead = child.id() as i32;
        child.wait().expect("wait");
        write_atomic(&under(root, "/run/w.pid"), &format!("{dead}\n")).expect("pid file");
        mark_stop(root, "web", &config);
        assert!(read_mark(root, "web").is_empty());
        write_mark(root, "web", &[dead]).expect("mark");
        unmark_alive(root, "web");
        assert_eq!(read_mark(root, "web"), [dead]);
    }

    #[test]
    fn overview_from_the_files() {
        use crate::services::overview::ServiceState;
        let root = tempfile::tempdir().expect("tempdir");
        let root = root.path();
        assert!(read_overview(root).is_empty());
        let dir = under(root, CONFIG_DIR);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("web"), "pidfile=/run/w.pid\n").expect("settings");
        std::fs::write(dir.join("db"), "").expect("settings");
        // This test process plays web's daemon as init believes it; db's
        // is gone. The pid files are not what counts (a user may write
        // them): this one names a process, and is not read.
        let me = std::process::id() as i32;
        write_atomic(&under(root, "/run/db.pid"), &format!("{me}\n")).expect("pid file");
        write_atomic(
            &under(root, STATE_FILE),
            &format!(
                "service\tweb\tphase=watching\tpid={me}\trestarts=3\trecent=\tfailed=5\tcause=killed by SIGKILL\n\
                 service\tdb\tphase=stopped:8\tpid={}\trestarts=0\trecent=\n",
                i32::MAX
            ),
        )
        .expect("state");
        let rows = read_overview(root);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].pid, rows[0].state), (None, ServiceState::Stopped));
        assert_eq!(
            (rows[1].pid, rows[1].state, rows[1].restarts),
            (Some(me), ServiceState::Supervised, 3)
        );
        assert_eq!(
            rows[1].last_failure.as_ref().map(|f| f.cause.as_str()),
            Some("killed by SIGKILL")
        );
    }

    #[test]
    fn liveness() {
        assert!(is_alive(std::process::id() as i32));
        assert!(!is_alive(i32::MAX));
    }
}
