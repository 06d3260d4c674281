//! The rc runner: LSB headers, the dependency graph, selection and the parallel scheduler (docs/compatibility.md §8).
//!
//! * [`lsb`]: `### BEGIN INIT INFO` header parser.
//! * [`insserv_conf`]: system facilities from `/etc/insserv.conf{,.d}`.
//! * [`graph`]: start/stop dependency graphs and insserv's link numbering
//!   (used by `update-rc.d` too).
//! * [`link`]: the names of the `rc<L>.d` links.
//! * [`select`]: which links run with which action on a level change.
//! * [`run`]: the parallel scheduler; [`output`]: console, boot log, record;
//!   [`record`] and [`boot_log`] read the record and the log back.
//! * [`settings`]: where each setting comes from, and its rule (the
//!   timeout's is PID 1's too).
//!
//! [`execute`] ties them together for `rc LEVEL` (`src/cmd/rc.rs` parses the
//! command line).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

pub mod boot_log;
pub mod graph;
pub mod insserv_conf;
pub(crate) mod link;
pub mod lsb;
pub mod numbering;
pub(crate) mod output;
pub mod record;
pub(crate) mod run;
pub(crate) mod select;
pub(crate) mod settings;
pub(crate) mod skipped;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use graph::{Direction, Script};
use insserv_conf::Facilities;
use link::Link;
use output::Output;
use run::{Settings, Task};
use select::{Action, Job, Phase};

use crate::runlevel::{self, Runlevel, previous_char};

/// Default concurrency: startpar uses 4 per CPU (`-p 4`); we never go below 8
/// because most init scripts sleep or wait on I/O rather than compute.
pub(crate) fn default_jobs() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cpus).max(8)
}

/// One `rc` run, fully resolved (see `cmd::rc` for where each value comes from).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Prefix for every path rc uses (`/` normally; a test tree otherwise).
    /// It is not a chroot: scripts run on the real root with this prefix in
    /// their paths.
    pub root: PathBuf,
    pub level: Runlevel,
    /// init's level (or phase) before, `$PREVLEVEL`; `None` (`N`) at boot.
    pub previous: Option<runlevel::Phase>,
    /// Concurrency limit; 1 with `sequential`.
    pub jobs: usize,
    /// Run in link order, one at a time (`concurrency=none`).
    pub sequential: bool,
    pub timeout: Option<Duration>,
    /// The scripts' environment.
    pub env: Vec<(String, String)>,
}

/// True if the kernel command line asks for sequential boot (as Debian's rc).
pub fn cmdline_wants_sequential(cmdline: &str) -> bool {
    cmdline.split_whitespace().any(|w| w == "concurrency=none")
}

/// The `rc<level>.d` directory under `root`.
pub(crate) fn rc_dir(root: &Path, level: Runlevel) -> PathBuf {
    root.join(format!("etc/rc{level}.d"))
}

/// The parsable links of a directory, in name (glob) order.
pub(crate) fn list_links(dir: &Path) -> Option<Vec<Link>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Some(names.iter().filter_map(|n| Link::parse(n)).collect())
}

/// The names in `/etc/init.d` that are init scripts, sorted: those insserv
/// reads ([`skipped`]), less Red Hat's `functions` library.
pub(crate) fn script_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !skipped::is_skipped_script(n) && n != "functions")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every script of `/etc/init.d` that could be a dependency. A bad header is
/// reported and the script treated as header-less.
fn read_scripts(dir: &Path, out: &mut Output) -> Vec<Script> {
    let scripts: Vec<Script> = script_names(dir)
        .into_iter()
        .map(|name| match Script::read(&dir.join(&name)) {
            Ok(script) => script,
            Err(e) => {
                out.warn(&format!("{e}; ordering {name} by its link number"));
                Script { name, header: None }
            }
        })
        .collect();
    let headerless: Vec<&str> = scripts
        .iter()
        .filter(|script| script.header.is_none())
        .map(|script| script.name.as_str())
        .collect();
    log::debug!(
        "{}: {} script(s); without an LSB header (ordered by link number): {}",
        dir.display(),
        scripts.len(),
        names_or_none(&headerless)
    );
    scripts
}

/// `a b c`, or `none`, for the debug log.
fn names_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(" ")
    }
}

/// As Debian's rc (`stty onlcr`): a console left without NL -> CR-NL
/// translation would print our lines as a staircase.
fn set_onlcr() {
    use nix::sys::termios::{OutputFlags, SetArg, tcgetattr, tcsetattr};
    let stdout = std::io::stdout();
    if let Ok(mut t) = tcgetattr(&stdout)
        && !t.output_flags.contains(OutputFlags::ONLCR)
    {
        t.output_flags.insert(OutputFlags::ONLCR);
        let _ = tcsetattr(&stdout, SetArg::TCSADRAIN, &t);
    }
}

/// Runs `rc LEVEL`; returns 0 if no script failed, 1 otherwise.
pub(crate) fn execute(config: &Config) -> i32 {
    // Debian's rc runs with umask 022; the scripts inherit it.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let _ = run::block_console_signals();
    set_onlcr();
    let root = &config.root;
    let Some(here) = list_links(&rc_dir(root, config.level)) else {
        log::debug!(
            "no {}: nothing to run",
            rc_dir(root, config.level).display()
        );
        return 0; // Like Debian: nothing happens without /etc/rc<level>.d.
    };
    log::debug!(
        "{}: {} link(s)",
        rc_dir(root, config.level).display(),
        here.len()
    );
    let mut out = Output::new(
        &root.join(boot_log::BOOT_LOG.trim_start_matches('/')),
        &root.join("run/vinit/rc"),
        config.level,
        config.previous,
        config.timeout,
    );
    out.note(&format!(
        "runlevel {} (previous {}), {}",
        config.level,
        previous_char(config.previous),
        if config.sequential {
            "sequential".to_string()
        } else {
            format!("up to {} scripts at once", config.jobs)
        }
    ));
    let mut links = BTreeMap::new();
    links.insert(config.level, here);
    if let Some(previous) = config.previous.and_then(runlevel::Phase::level)
        && let Some(before) = list_links(&rc_dir(root, previous))
    {
        log::debug!(
            "{}: {} link(s), of the previous level",
            rc_dir(root, previous).display(),
            before.len()
        );
        links.insert(previous, before);
    }
    let scripts = read_scripts(&root.join("etc/init.d"), &mut out);
    let (facilities, warnings) = Facilities::load(root);
    for w in warnings {
        out.warn(&w);
    }
    // Each script in its service's cgroup, where init tracks services (and
    // rc runs the system itself, not a tree under --root).
    let tree = (config.root == Path::new("/"))
        .then(crate::cgroup::Tree::find)
        .flatten();
    let settings = Settings {
        controllers: tree
            .as_ref()
            .map(crate::cgroup::Tree::controllers)
            .unwrap_or_default(),
        jobs: if config.sequential {
            1
        } else {
            config.jobs.max(1)
        },
        timeout: config.timeout,
        env: config.env.clone(),
    };
    log::debug!(
        "{}, timeout {}",
        if settings.jobs == 1 {
            "one script at a time".to_string()
        } else {
            format!("up to {} scripts at once", settings.jobs)
        },
        settings.timeout.map_or("none".to_string(), |t| format!(
            "{} s per script",
            t.as_secs()
        ))
    );
    log::debug!(
        "{}",
        match &tree {
            Some(tree) => format!(
                "scripts run in their services' cgroups under {}",
                tree.dir().display()
            ),
            None => "services are not tracked by cgroup: scripts run in rc's".to_string(),
        }
    );
    let mut failed = 0;
    for phase in select::plan(config.level, config.previous, &links) {
        let tasks = tasks_for(
            &phase,
            config,
            &scripts,
            &facilities,
            tree.as_ref(),
            &mut out,
        );
        if log::log_enabled!(log::Level::Debug) {
            for (number, wave) in waves(&tasks).iter().enumerate() {
                log::debug!(
                    "{} phase, wave {}: {}",
                    phase.action.as_str(),
                    number + 1,
                    wave.join(" ")
                );
            }
        }
        out.begin_phase(&tasks);
        let stopping = mark_supervised_stops(root, &tasks);
        mark_supervised_starts(root, &tasks);
        let results = run::run(&tasks, &settings, &mut out);
        for name in stopping {
            crate::services::files::unmark_alive(root, &name);
        }
        failed += results.iter().filter(|r| r.class.is_failure()).count();
    }
    log::debug!("done: {failed} script(s) failed");
    if failed > 0 {
        out.note(&format!("{failed} script(s) failed"));
        1
    } else {
        0
    }
}

/// Marks the daemons of the supervised services this phase stops, so
/// that init takes their deaths for stops (see supervise.d(5)); returns
/// their names. (init also disarms them when a level change begins: this
/// covers rc run by hand.)
fn mark_supervised_stops(root: &Path, tasks: &[Task]) -> Vec<String> {
    use crate::services::files;
    tasks
        .iter()
        .filter(|task| task.action == Action::Stop)
        .filter_map(|task| {
            let config = files::supervised(root, &task.name)?;
            files::mark_stop(root, &task.name, &config);
            Some(task.name.clone())
        })
        .collect()
}

/// Leaves a start mark for each supervised service this phase starts: a
/// start by rc is a start on purpose, which re-arms it (supervise.d(5)).
fn mark_supervised_starts(root: &Path, tasks: &[Task]) {
    use crate::services::files;
    for task in tasks.iter().filter(|task| task.action == Action::Start) {
        if files::supervised(root, &task.name).is_some() {
            let _ = files::mark_start(root, &task.name);
        }
    }
}

/// The runnable tasks of a phase with their ordering; links that cannot run
/// are reported and left out.
fn tasks_for(
    phase: &Phase,
    config: &Config,
    scripts: &[Script],
    facilities: &Facilities,
    tree: Option<&crate::cgroup::Tree>,
    out: &mut Output,
) -> Vec<Task> {
    let by_name: BTreeMap<&str, &Script> = scripts.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut jobs: Vec<(&Job, Task)> = Vec::new();
    for job in &phase.jobs {
        let link = rc_dir(&config.root, job.level).join(&job.link.file_name);
        let program = config.root.join("etc/init.d").join(&job.name);
        let argv0 = link.display().to_string();
        let problem = match (std::fs::metadata(&link), std::fs::metadata(&program)) {
            (Err(_), _) => Some("dangling link"),
            (_, Err(_)) => Some("no such script in /etc/init.d"),
            (_, Ok(m)) if !m.is_file() || m.permissions().mode() & 0o111 == 0 => {
                Some("not executable")
            }
            _ => None,
        };
        if let Some(reason) = problem {
            out.skipped(&job.name, job.action, &argv0, reason);
            continue;
        }
        let interactive = match by_name.get(job.name.as_str()) {
            Some(s) => s.is_interactive(facilities),
            None => facilities.interactive.contains(&job.name),
        };
        let file = crate::services::files::settings_file(&config.root, &job.name);
        // A file whose supervision settings are rejected still has its
        // limits, and the defaults for the rest (as `service` reads it).
        let settings = file.parsed.clone().unwrap_or_default();
        let cgroup = tree.and_then(|tree| tree.leaf(&job.name));
        let stopping = job.action == Action::Stop;
        let leftovers_timeout =
            (stopping && cgroup.is_some() && settings.kills_leftovers(&job.name))
                .then_some(settings.stop_timeout);
        // On the way down a hung stop must not hold the power-off.
        let hang_timeout =
            (stopping && config.level.is_halt_or_reboot()).then_some(settings.stop_timeout);
        jobs.push((
            job,
            Task {
                name: job.name.clone(),
                program,
                argv0,
                action: job.action,
                interactive,
                after: Vec::new(),
                cgroup,
                leftovers_timeout,
                hang_timeout,
                settings: Some(file),
            },
        ));
    }
    let order = if config.sequential {
        log::debug!(
            "{} phase: in link order (sequential)",
            phase.action.as_str()
        );
        Err(None)
    } else {
        log::debug!(
            "{} phase: ordered by the LSB headers' {} dependencies",
            phase.action.as_str(),
            phase.action.as_str()
        );
        dependencies(&jobs, scripts, facilities, phase.action).map_err(Some)
    };
    let after = match order {
        Ok(after) => after,
        Err(reason) => {
            if let Some(e) = reason {
                out.warn(&format!("{e}; running rc{}.d in link order", config.level));
            }
            (0..jobs.len())
                .map(|i| i.checked_sub(1).into_iter().collect())
                .collect()
        }
    };
    let tasks: Vec<Task> = jobs
        .into_iter()
        .zip(after)
        .map(|((_, mut task), after)| {
            task.after = after;
            task
        })
        .collect();
    if log::log_enabled!(log::Level::Debug) {
        for task in &tasks {
            let waits_for: Vec<&str> = task
                .after
                .iter()
                .filter_map(|&i| tasks.get(i))
                .map(|other| other.name.as_str())
                .collect();
            log::debug!(
                "{} {}: after {}",
                task.name,
                task.action.as_str(),
                names_or_none(&waits_for)
            );
        }
    }
    tasks
}

/// The tasks' names in waves, for the debug log: a task is in the wave
/// after the last of those it waits for, so each wave could start when the
/// one before has finished, were there no limit on concurrency. Tasks that
/// wait on themselves or on a loop (which the scheduler releases last) make
/// the last wave.
fn waves(tasks: &[Task]) -> Vec<Vec<&str>> {
    let mut wave_of: Vec<Option<usize>> = vec![None; tasks.len()];
    loop {
        let mut placed = false;
        for (i, task) in tasks.iter().enumerate() {
            if wave_of.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let before: Option<Vec<usize>> = task
                .after
                .iter()
                .filter(|&&d| d != i && d < tasks.len())
                .map(|&d| wave_of.get(d).copied().flatten())
                .collect();
            if let (Some(before), Some(wave)) = (before, wave_of.get_mut(i)) {
                *wave = Some(before.iter().max().map_or(0, |last| last + 1));
                placed = true;
            }
        }
        if !placed {
            break;
        }
    }
    let last = wave_of.iter().flatten().max().map_or(0, |last| last + 1);
    let mut waves: Vec<Vec<&str>> = Vec::new();
    for (task, wave) in tasks.iter().zip(&wave_of) {
        let wave = wave.unwrap_or(last);
        if waves.len() <= wave {
            waves.resize(wave + 1, Vec::new());
        }
        if let Some(names) = waves.get_mut(wave) {
            names.push(task.name.as_str());
        }
    }
    waves
}

/// For each job, the indexes of the jobs that must finish first: the LSB
/// graph of the phase's direction, and for header-less scripts their link
/// number (a header-less script comes after every lower number and before
/// every higher one; equal numbers may run together).
fn dependencies(
    jobs: &[(&Job, Task)],
    scripts: &[Script],
    facilities: &Facilities,
    action: Action,
) -> Result<Vec<Vec<usize>>, graph::GraphError> {
    let direction = match action {
        Action::Start => Direction::Start,
        Action::Stop => Direction::Stop,
    };
    let set: BTreeSet<String> = jobs.iter().map(|(j, _)| j.name.clone()).collect();
    let headerless: BTreeSet<&str> = scripts
        .iter()
        .filter(|s| s.header.is_none())
        .map(|s| s.name.as_str())
        .collect();
    let mut edges = Vec::new();
    for (h, _) in jobs
        .iter()
        .filter(|(j, _)| headerless.contains(j.name.as_str()))
    {
        for (other, _) in jobs {
            if other.link.number < h.link.number {
                edges.push((other.name.as_str(), h.name.as_str()));
            } else if other.link.number > h.link.number {
                edges.push((h.name.as_str(), other.name.as_str()));
            }
        }
    }
    let graph = graph::build(scripts, facilities, &set, direction)?.with_edges(edges)?;
    let position: BTreeMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, (j, _))| (j.name.as_str(), i))
        .collect();
    Ok(jobs
        .iter()
        .map(|(j, _)| {
            graph
                .index_of(&j.name)
                .map(|g| {
                    graph
                        .predecessors(g)
                        .iter()
                        .filter_map(|p| graph.names().get(*p))
                        .filter_map(|n| position.get(n.as_str()).copied())
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, after: &[usize]) -> Task {
        Task {
            name: name.to_string(),
            program: PathBuf::from("/etc/init.d").join(name),
            argv0: format!("/etc/rc2.d/S01{name}"),
            action: Action::Start,
            interactive: false,
            after: after.to_vec(),
            cgroup: None,
            leftovers_timeout: None,
            hang_timeout: None,
            settings: None,
        }
    }

    #[test]
    fn waves_follow_the_dependencies() {
        let tasks = [
            task("mountall", &[]),
            task("rsyslog", &[0]),
            task("hostname", &[]),
            task("cron", &[1, 2]),
            task("ssh", &[1]),
        ];
        assert_eq!(
            waves(&tasks),
            [
                vec!["mountall", "hostname"],
                vec!["rsyslog"],
                vec!["cron", "ssh"]
            ]
        );
    }

    #[test]
    fn tasks_in_a_loop_make_the_last_wave() {
        let tasks = [
            task("a", &[1]),
            task("b", &[0]),
            task("c", &[]),
            task("d", &[3, 9]),
        ];
        assert_eq!(waves(&tasks), [vec!["c", "d"], vec!["a", "b"]]);
    }

    #[test]
    fn cmdline_and_jobs() {
        assert!(cmdline_wants_sequential(
            "BOOT_IMAGE=x ro concurrency=none quiet"
        ));
        assert!(!cmdline_wants_sequential("concurrency=shell"));
        assert!(default_jobs() >= 8);
    }
}
