//! The services of `vinit status`: every init.d service with what its
//! cgroup says (its processes, memory, CPU time, how long it has run) and
//! what init knows of its supervision; and `vinit status NAME`, one service
//! in full: its processes as a tree, its limits, its last exit, what its
//! script printed. [`gather`] and [`gather_one`] read the files (`/proc`
//! and the cgroups through `procfs` and `cgroup`); the rendering is pure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, FixedOffset, Local, TimeZone};
use serde_json::{Value, json};

use super::super::supervise::failure_datetime;
use super::super::table::{Cell, Table};
use super::super::{Colour, paint, seconds};
use super::{line_json, result_colour};
use crate::cgroup::Tree;
use crate::procfs::{self, BootClock};
use crate::rc::boot_log::{self, ScriptOutput};
use crate::rc::record::{Line, Run};
use crate::services::overview::{ServiceState, ServiceView};
use crate::services::{CONFIG_DIR, STATE_FILE, Tracking, files, valid_name};

/// The cgroup files `vinit status NAME` shows as the service's limits.
pub const LIMIT_FILES: [&str; 5] = [
    "memory.max",
    "memory.high",
    "cpu.weight",
    "pids.max",
    "io.weight",
];

/// How many of the lines a script printed `vinit status NAME` shows.
pub const OUTPUT_LINES: usize = 10;

/// One process of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    pub parent: i32,
    /// When it started, in clock ticks after boot (the tree's order).
    pub start_ticks: u64,
    /// Its command line, or `[NAME]` when it has none.
    pub command: String,
}

/// One init.d service as `vinit status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    pub name: String,
    /// `/etc/init.d/NAME` exists.
    pub has_script: bool,
    /// Its supervision, when it is supervised.
    pub supervised: Option<ServiceView>,
    /// Its cgroup's directory (`/sys/fs/cgroup/vinit/NAME`); `None` where
    /// services are not tracked by cgroup.
    pub cgroup: Option<String>,
    /// The cgroup is there: the service has run since boot.
    pub cgroup_exists: bool,
    /// The processes in its cgroup; untracked, the daemon init believes in.
    pub processes: Vec<Process>,
    /// The daemon init believes in (a supervised service's pid file), else
    /// the oldest process of its cgroup.
    pub main_pid: Option<i32>,
    /// When the oldest of its processes started.
    pub started: Option<DateTime<FixedOffset>>,
    /// `memory.current`, bytes (`None`: not available).
    pub memory_current: Option<u64>,
    /// `usage_usec` of `cpu.stat`: CPU time since its cgroup was made.
    pub cpu_usage_usec: Option<u64>,
    /// Its limit files as the kernel has them (`vinit status NAME` only).
    pub limits: Vec<(String, String)>,
    /// rc's last run of its script.
    pub last_run: Option<Line>,
    /// What its script printed in its last run by rc (`vinit status NAME`
    /// only; `None`: the boot log shows no run of it).
    pub output: Option<ScriptOutput>,
}

/// Where a service stands, as `vinit status` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Processes in its cgroup.
    Running,
    /// None in its cgroup.
    Stopped,
    /// Services are not tracked by cgroup, and it is not supervised.
    NotTracked,
    /// A supervised service: its supervision's state.
    Supervision(ServiceState),
}

impl State {
    /// For people.
    pub fn describe(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Stopped => "stopped",
            State::NotTracked => "not tracked",
            State::Supervision(state) => state.describe(),
        }
    }

    /// For `--json`.
    pub fn name(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Stopped => "stopped",
            State::NotTracked => "untracked",
            State::Supervision(state) => state.name(),
        }
    }

    fn colour(self) -> Colour {
        match self {
            State::Running | State::Supervision(ServiceState::Supervised) => Colour::Green,
            State::Supervision(ServiceState::Restarting | ServiceState::ShuttingDown) => {
                Colour::Yellow
            }
            State::Supervision(ServiceState::GivenUp) => Colour::Red,
            _ => Colour::Dim,
        }
    }
}

impl ServiceStatus {
    pub fn state(&self) -> State {
        match (&self.supervised, &self.cgroup) {
            // Watched, but nothing of it runs (not started in this level).
            (Some(view), Some(_))
                if view.state == ServiceState::Supervised && self.processes.is_empty() =>
            {
                State::Stopped
            }
            (Some(view), _) => State::Supervision(view.state),
            (None, Some(_)) if self.processes.is_empty() => State::Stopped,
            (None, Some(_)) => State::Running,
            (None, None) => State::NotTracked,
        }
    }

    /// How long it has run at `now`, in seconds.
    pub fn uptime_s(&self, now: DateTime<FixedOffset>) -> Option<i64> {
        Some((now - self.started?).num_seconds().max(0))
    }
}

/// One service in full, for `vinit status NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceReport {
    pub service: ServiceStatus,
    pub tracking: Tracking,
    pub now: DateTime<FixedOffset>,
}

/// The daemon init believes in, else the oldest process (the first
/// started; of two started in the same tick, the lower PID).
pub fn main_pid(believed: Option<i32>, processes: &[Process]) -> Option<i32> {
    believed.or_else(|| oldest(processes).map(|process| process.pid))
}

fn oldest(processes: &[Process]) -> Option<&Process> {
    processes
        .iter()
        .min_by_key(|process| (process.start_ticks, process.pid))
}

// ---- Gathering ----

/// What is read once for all services.
struct Sources {
    views: BTreeMap<String, ServiceView>,
    tracking: Tracking,
    tree: Option<Tree>,
    clock: Option<BootClock>,
    last_runs: BTreeMap<String, Line>,
}

impl Sources {
    fn read(runs: &[Run]) -> Sources {
        let root = Path::new("/");
        let (views, tracking) = files::read_overview_and_tracking(root);
        let found = match tracking {
            Some(Tracking::Off(_)) => None,
            _ => Tree::find(),
        };
        // The state file decides; without it, the tree init made does.
        let (tracking, tree) = match (tracking, found) {
            (Some(Tracking::On { dir, .. }), None) => (
                Tracking::Off(format!("vinit's cgroup tree {dir} is not visible here")),
                None,
            ),
            (Some(tracking), tree) => (tracking, tree),
            (None, Some(tree)) => (
                Tracking::On {
                    dir: tree.dir().display().to_string(),
                    limits: Ok(tree.controllers()),
                },
                Some(tree),
            ),
            (None, None) => (
                Tracking::Off(format!(
                    "init does not say why ({STATE_FILE} has no tracking line)"
                )),
                None,
            ),
        };
        log::debug!("services tracked by cgroup: {tracking:?}");
        Sources {
            views: views
                .into_iter()
                .map(|view| (view.name.clone(), view))
                .collect(),
            tracking,
            tree,
            clock: BootClock::read(),
            last_runs: super::last_runs(runs)
                .into_iter()
                .map(|line| (line.script.clone(), line.clone()))
                .collect(),
        }
    }

    /// Every service: the scripts of `/etc/init.d` that rc would run, the
    /// supervised services, and the cgroups with processes in them (a
    /// script removed while its daemon runs).
    fn names(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = crate::rc::script_names(Path::new("/etc/init.d"))
            .into_iter()
            .collect();
        names.extend(self.views.keys().cloned());
        if let Some(tree) = &self.tree {
            names.extend(tree.leaves().into_iter().filter(|name| {
                tree.leaf(name)
                    .is_some_and(|leaf| !leaf.processes().is_empty())
            }));
        }
        names.into_iter().filter(|name| valid_name(name)).collect()
    }

    /// Whether `name` is a service here (see [`Sources::names`]).
    fn knows(&self, name: &str) -> bool {
        valid_name(name)
            && ((script_exists(name) && !crate::rc::skipped::is_skipped_script(name))
                || self.views.contains_key(name)
                || self
                    .tree
                    .as_ref()
                    .and_then(|tree| tree.leaf(name))
                    .is_some_and(|leaf| leaf.exists()))
    }

    fn service(&self, name: &str, detail: bool) -> ServiceStatus {
        let supervised = self.views.get(name).cloned();
        let believed = supervised.as_ref().and_then(|view| view.pid);
        let leaf = self.tree.as_ref().and_then(|tree| tree.leaf(name));
        // A process gone between the reads is simply not there.
        let processes: Vec<Process> = match &leaf {
            Some(leaf) => leaf.processes().into_iter().filter_map(process).collect(),
            None => believed.and_then(process).into_iter().collect(),
        };
        let started = oldest(&processes).and_then(|process| {
            let clock = self.clock?;
            let local = Local
                .timestamp_opt(clock.wall_seconds(process.start_ticks), 0)
                .single()?;
            Some(local.fixed_offset())
        });
        let limits = match (&leaf, detail) {
            (Some(leaf), true) => LIMIT_FILES
                .iter()
                .filter_map(|file| Some((file.to_string(), leaf.setting(file)?)))
                .collect(),
            _ => Vec::new(),
        };
        let output = if detail {
            boot_log::read(Path::new("/")).and_then(|log| boot_log::last_output(&log, name))
        } else {
            None
        };
        ServiceStatus {
            name: name.to_string(),
            has_script: script_exists(name),
            main_pid: main_pid(believed, &processes),
            cgroup: leaf.as_ref().map(|leaf| leaf.dir.display().to_string()),
            cgroup_exists: leaf.as_ref().is_some_and(|leaf| leaf.exists()),
            memory_current: leaf.as_ref().and_then(|leaf| leaf.memory_current()),
            cpu_usage_usec: leaf.as_ref().and_then(|leaf| leaf.cpu_usage_usec()),
            processes,
            started,
            limits,
            last_run: self.last_runs.get(name).cloned(),
            output,
            supervised,
        }
    }
}

fn script_exists(name: &str) -> bool {
    Path::new("/etc/init.d").join(name).is_file()
}

/// A live process as the tree shows it (`None`: it is gone, or a zombie).
fn process(pid: i32) -> Option<Process> {
    let stat = procfs::stat(pid).filter(|stat| !stat.is_dead())?;
    let command = procfs::command_line(pid)
        .or_else(|| procfs::name(pid).map(|name| format!("[{name}]")))
        .unwrap_or_else(|| "?".to_string());
    Some(Process {
        pid,
        parent: stat.parent,
        start_ticks: stat.start_ticks,
        command,
    })
}

/// Every service, for `vinit status`, and whether they are tracked.
pub(crate) fn gather(runs: &[Run]) -> (Tracking, Vec<ServiceStatus>) {
    let sources = Sources::read(runs);
    let services = sources
        .names()
        .iter()
        .map(|name| sources.service(name, false))
        .collect();
    (sources.tracking, services)
}

/// One service in full, for `vinit status NAME`; `None` when there is no
/// such service (no script, no settings, no cgroup).
pub(crate) fn gather_one(name: &str, runs: &[Run]) -> Option<ServiceReport> {
    let sources = Sources::read(runs);
    if !sources.knows(name) {
        return None;
    }
    Some(ServiceReport {
        service: sources.service(name, true),
        tracking: sources.tracking,
        now: Local::now().fixed_offset(),
    })
}

// ---- Text ----

/// `812 KiB`, `8.4 MiB`: IEC units, one decimal below 10.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let name = UNITS.get(unit).copied().unwrap_or("PiB");
    if value < 10.0 {
        format!("{value:.1} {name}")
    } else {
        format!("{value:.0} {name}")
    }
}

/// CPU time in seconds: `0.05 s`, `1234.50 s`.
pub fn cpu_text(usec: u64) -> String {
    format!("{}.{:02} s", usec / 1_000_000, usec % 1_000_000 / 10_000)
}

/// `45 s`, `3 min`, `2 h 3 min`, `4 d 2 h`.
pub fn duration_text(seconds: i64) -> String {
    let (days, hours, minutes) = (seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, _) => format!("{minutes} min"),
        (0, _, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

fn dash() -> String {
    "-".to_string()
}

/// Why memory is not shown, if the tracking says (no memory controller).
fn memory_unavailable(tracking: &Tracking) -> Option<String> {
    match tracking {
        Tracking::On {
            limits: Ok(controllers),
            dir,
        } if !controllers.iter().any(|controller| controller == "memory") => Some(format!(
            "the memory controller is not delegated to {dir} (the cgroup2 hierarchy does not offer it)"
        )),
        Tracking::On {
            limits: Err(why),
            dir,
        } => Some(format!("no controller is delegated to {dir} ({why})")),
        _ => None,
    }
}

/// The heading of the services' table, saying how they are tracked.
fn heading(tracking: &Tracking) -> String {
    match tracking {
        Tracking::On { dir, .. } => format!("Services (each in its cgroup under {dir})"),
        Tracking::Off(_) => "Services (not tracked by cgroup)".to_string(),
    }
}

/// The services' section of `vinit status`.
pub fn render_all(
    services: &[ServiceStatus],
    tracking: &Tracking,
    now: DateTime<FixedOffset>,
    colour: bool,
) -> String {
    let mut out = paint(&heading(tracking), Colour::Bold, colour);
    out.push('\n');
    if services.is_empty() {
        out.push_str("none: /etc/init.d has no scripts\n");
        return out;
    }
    let mut table = Table::new(
        &[
            "SERVICE", "STATE", "PID", "PROCS", "MEMORY", "CPU", "UP", "RESTARTS",
        ],
        &[false, false, true, true, true, true, false, true],
    );
    for service in services {
        let state = service.state();
        let mut state_text = state.describe().to_string();
        if service
            .supervised
            .as_ref()
            .is_some_and(|view| view.settings_rejected)
        {
            state_text.push('*');
        }
        let tracked = service.cgroup.is_some();
        table.push(vec![
            Cell::plain(&service.name),
            Cell::coloured(state_text, state.colour()),
            Cell::plain(service.main_pid.map_or_else(dash, |pid| pid.to_string())),
            Cell::plain(if tracked {
                service.processes.len().to_string()
            } else {
                dash()
            }),
            Cell::plain(service.memory_current.map_or_else(dash, bytes_text)),
            Cell::plain(service.cpu_usage_usec.map_or_else(dash, cpu_text)),
            Cell::plain(service.uptime_s(now).map_or_else(dash, duration_text)),
            Cell::plain(
                service
                    .supervised
                    .as_ref()
                    .map_or_else(dash, |view| view.restarts.to_string()),
            ),
        ]);
    }
    out.push_str(&table.render(colour));
    if let Tracking::Off(why) = tracking {
        out.push_str(&format!(
            "not tracked: {why}; their processes, memory and CPU time are not known\n"
        ));
    }
    if let Some(why) = memory_unavailable(tracking) {
        out.push_str(&format!("MEMORY -: {why}\n"));
    }
    let supervision = |state| {
        services
            .iter()
            .any(|service| service.state() == State::Supervision(state))
    };
    if supervision(ServiceState::GivenUp) {
        out.push_str(
            "given up: too many restarts within its limit; re-arm with \
             'vinit supervise NAME' or 'service NAME start'\n",
        );
    }
    if services.iter().any(|service| {
        service
            .supervised
            .as_ref()
            .is_some_and(|view| view.settings_rejected)
    }) {
        out.push_str(&format!(
            "*: its file in {CONFIG_DIR} has errors ('vinit check' lists them); \
             init keeps the last good settings\n"
        ));
    }
    out.push_str(
        "CPU: seconds used since boot; UP: since its oldest process started. \
         'vinit status NAME' shows one in full.\n",
    );
    out
}

/// `start ok (exit 0), N -> 2, 2026-11-30 10:00:01, 0.050 s`.
fn rc_run_text(line: &Line) -> String {
    let mut text = format!("{} {}", line.action, line.result);
    match line.status.strip_prefix("signal:") {
        Some(signal) => text.push_str(&format!(" (killed by signal {signal})")),
        None if line.status != "-" => text.push_str(&format!(" (exit {})", line.status)),
        None => {}
    }
    text.push_str(&format!(", runlevel {} -> {}", line.previous, line.level));
    if let Ok(started) = DateTime::parse_from_rfc3339(&line.start_wall) {
        text.push_str(&format!(", {}", started.format("%Y-%m-%d %H:%M:%S")));
    }
    if let Some(ns) = line.duration_ns() {
        text.push_str(&format!(", {}", seconds(ns)));
    }
    text
}

/// A memory limit in bytes gets its size in IEC units too.
fn limit_text(file: &str, value: &str) -> String {
    match value.parse::<u64>() {
        Ok(bytes) if file.starts_with("memory.") => format!("{value} ({})", bytes_text(bytes)),
        _ => value.to_string(),
    }
}

/// The processes as a tree: each with the prefix that draws its branch
/// (`├─ `, `└─ `, under `│  `), children under their parent, oldest first.
/// A process whose parent is not among them is a root.
pub fn process_tree(processes: &[Process]) -> Vec<(i32, String)> {
    let pids: BTreeSet<i32> = processes.iter().map(|process| process.pid).collect();
    let mut children: BTreeMap<i32, Vec<&Process>> = BTreeMap::new();
    let mut roots: Vec<&Process> = Vec::new();
    for process in processes {
        if process.parent != process.pid && pids.contains(&process.parent) {
            children.entry(process.parent).or_default().push(process);
        } else {
            roots.push(process);
        }
    }
    let order = |list: &mut Vec<&Process>| list.sort_by_key(|p| (p.start_ticks, p.pid));
    order(&mut roots);
    children.values_mut().for_each(order);
    let mut rows = Vec::new();
    let mut shown = BTreeSet::new();
    // (process, the prefix of its line, the prefix under it)
    let mut stack: Vec<(&Process, String, String)> = roots
        .iter()
        .rev()
        .map(|root| (*root, String::new(), String::new()))
        .collect();
    loop {
        let Some((process, prefix, under)) = stack.pop() else {
            // What a loop of parent links (PIDs reused between two reads)
            // kept from every root is shown as roots of its own.
            match processes.iter().find(|p| !shown.contains(&p.pid)) {
                Some(left) => {
                    stack.push((left, String::new(), String::new()));
                    continue;
                }
                None => break,
            }
        };
        if !shown.insert(process.pid) {
            continue;
        }
        rows.push((process.pid, format!("{prefix}{}", process.command)));
        let kids = children.get(&process.pid).map_or(&[][..], Vec::as_slice);
        for (index, child) in kids.iter().enumerate().rev() {
            let last = index + 1 == kids.len();
            stack.push((
                child,
                format!("{under}{}", if last { "└─ " } else { "├─ " }),
                format!("{under}{}", if last { "   " } else { "│  " }),
            ));
        }
    }
    rows
}

/// `vinit status NAME`.
pub fn render_one(report: &ServiceReport, colour: bool) -> String {
    let service = &report.service;
    let state = service.state();
    let mut out = String::new();
    let label = |name: &str| paint(&format!("{name:<13}"), Colour::Bold, colour);
    let mut field = |name: &str, value: String| {
        out.push_str(&format!("{}{value}\n", label(name)));
    };
    let mut state_text = paint(state.describe(), state.colour(), colour);
    if service.supervised.is_none() {
        state_text.push_str(", not supervised");
    }
    field("Service", format!("{} ({state_text})", service.name));
    field(
        "Script",
        if service.has_script {
            format!("/etc/init.d/{}", service.name)
        } else {
            format!("none: /etc/init.d/{} is not there", service.name)
        },
    );
    let tracked = match (&service.cgroup, &report.tracking) {
        (Some(path), _) if service.cgroup_exists => {
            field("Cgroup", path.clone());
            true
        }
        (Some(path), _) => {
            field(
                "Cgroup",
                format!("{path}, not made yet: it has not run since boot"),
            );
            true
        }
        (None, Tracking::Off(why)) => {
            field("Cgroup", format!("none: services are not tracked ({why})"));
            false
        }
        (None, Tracking::On { .. }) => {
            field("Cgroup", dash());
            false
        }
    };
    let not_known = || "not known (not tracked)".to_string();
    field(
        "Main PID",
        service.main_pid.map_or_else(dash, |pid| pid.to_string()),
    );
    field(
        "Processes",
        if tracked {
            service.processes.len().to_string()
        } else {
            not_known()
        },
    );
    field(
        "Memory",
        match (service.memory_current, memory_unavailable(&report.tracking)) {
            (Some(bytes), _) => format!("{} ({bytes} bytes)", bytes_text(bytes)),
            (None, _) if !tracked => not_known(),
            (None, Some(why)) => format!("not available: {why}"),
            (None, None) => dash(),
        },
    );
    field(
        "CPU",
        match service.cpu_usage_usec {
            Some(usec) => format!("{} since boot", cpu_text(usec)),
            None if !tracked => not_known(),
            None => dash(),
        },
    );
    field(
        "Up",
        match (service.uptime_s(report.now), service.started) {
            (Some(up), Some(started)) => format!(
                "{}, since {}",
                duration_text(up),
                started.format("%Y-%m-%d %H:%M:%S")
            ),
            _ => dash(),
        },
    );
    match &service.supervised {
        Some(view) => {
            field("Restarts", view.restarts.to_string());
            field(
                "Last failure",
                view.last_failure.as_ref().map_or_else(dash, |failure| {
                    let time = failure_datetime(failure.at, report.now.offset()).map_or_else(
                        || "?".to_string(),
                        |time| time.format("%Y-%m-%d %H:%M:%S").to_string(),
                    );
                    format!("{time} {}", failure.cause)
                }),
            );
        }
        None => field("Restarts", "- (not supervised)".to_string()),
    }
    field(
        "Last rc run",
        service
            .last_run
            .as_ref()
            .map_or_else(|| "none recorded".to_string(), rc_run_text),
    );
    if let Some(line) = &service.last_run {
        for killed in &line.killed {
            field("", format!("killed: {}", crate::cmd::bounded(killed)));
        }
    }

    out.push('\n');
    out.push_str(&paint("Limits", Colour::Bold, colour));
    out.push('\n');
    if service.limits.is_empty() {
        out.push_str(if !tracked {
            "not known: services are not tracked by cgroup\n"
        } else if !service.cgroup_exists {
            "none yet: its cgroup is made when it first runs\n"
        } else if matches!(&report.tracking, Tracking::On { limits: Ok(list), .. } if !list.is_empty())
        {
            "none of its limit files is there\n"
        } else {
            "none: no controller is delegated to its cgroup\n"
        });
    }
    let width = service
        .limits
        .iter()
        .map(|(file, _)| file.len())
        .max()
        .unwrap_or(0);
    for (file, value) in &service.limits {
        out.push_str(&format!(
            "{file:<width$}  {}\n",
            crate::cmd::bounded(&limit_text(file, value))
        ));
    }

    out.push('\n');
    out.push_str(&paint("Processes", Colour::Bold, colour));
    out.push('\n');
    if service.processes.is_empty() {
        out.push_str(if tracked {
            "none\n"
        } else {
            "not known: services are not tracked by cgroup\n"
        });
    } else {
        let mut table = Table::new(&["PID", "COMMAND"], &[true, false]);
        for (pid, line) in process_tree(&service.processes) {
            table.push(vec![
                Cell::plain(pid.to_string()),
                Cell::plain(crate::cmd::bounded(&line)),
            ]);
        }
        out.push_str(&table.render(colour));
        if !tracked {
            out.push_str("only the daemon init believes in: services are not tracked by cgroup\n");
        }
    }

    out.push('\n');
    out.push_str(&output_section(service.output.as_ref(), colour));
    out
}

/// The last lines a script printed, with the time rc read each.
fn output_section(output: Option<&ScriptOutput>, colour: bool) -> String {
    let heading = |text: &str| format!("{}\n", paint(text, Colour::Bold, colour));
    let Some(output) = output else {
        return format!(
            "{}none: rc's boot log ({}) shows no run of it\n",
            heading("Last output"),
            boot_log::BOOT_LOG
        );
    };
    let shown = output.lines.len().min(OUTPUT_LINES);
    let mut out = heading(&match output.lines.len() {
        0 => "Last output (its last run by rc printed nothing)".to_string(),
        n if n > shown => {
            format!("Last output (its last run by rc: the last {shown} of {n} lines)")
        }
        _ => "Last output (its last run by rc)".to_string(),
    });
    let clock = |time: &str| time.get(11..19).unwrap_or(time).to_string();
    for line in output.lines.iter().skip(output.lines.len() - shown) {
        out.push_str(&format!(
            "{}  {}\n",
            clock(&line.time),
            crate::cmd::bounded(&line.text)
        ));
    }
    match &output.result {
        Some(result) => {
            let text = crate::cmd::bounded(&result.text).into_owned();
            let verdict = result_colour(if text.starts_with("[ ok ]") {
                "ok"
            } else if text.starts_with("[FAIL]") {
                "failed"
            } else {
                "warn"
            });
            let text = match verdict {
                Some(c) => paint(&text, c, colour),
                None => text,
            };
            out.push_str(&format!("{}  {text}\n", clock(&result.time)));
        }
        None => out.push_str("(no end of this run in the log: still running, or rc was stopped)\n"),
    }
    out
}

// ---- JSON ----

/// `tracking` of the JSON documents.
pub fn tracking_json(tracking: &Tracking) -> Value {
    match tracking {
        Tracking::On { dir, limits } => json!({
            "on": true,
            "dir": dir,
            "controllers": limits.as_ref().map_or(&[][..], Vec::as_slice),
            "reason": limits.as_ref().err(),
        }),
        Tracking::Off(why) => json!({
            "on": false,
            "dir": null,
            "controllers": [],
            "reason": why,
        }),
    }
}

/// One service; with `detail` (`vinit status NAME`) also its processes,
/// limits and last output.
pub fn service_json(service: &ServiceStatus, now: DateTime<FixedOffset>, detail: bool) -> Value {
    let supervised = service.supervised.as_ref().map(|view| {
        json!({
            "state": view.state.name(),
            "pid": view.pid,
            "restarts": view.restarts,
            "last_failure": view.last_failure.as_ref().map(|failure| json!({
                "time": failure_datetime(failure.at, now.offset()).map(|time| time.to_rfc3339()),
                "cause": failure.cause,
            })),
            "settings_rejected": view.settings_rejected,
        })
    });
    let mut object = json!({
        "name": service.name,
        "state": service.state().name(),
        "script": service.has_script,
        "cgroup": service.cgroup,
        "pids": service.cgroup.as_ref().map(|_| {
            service.processes.iter().map(|process| process.pid).collect::<Vec<_>>()
        }),
        "main_pid": service.main_pid,
        "memory_current": service.memory_current,
        "cpu_usage_usec": service.cpu_usage_usec,
        "started": service.started.map(|time| time.to_rfc3339()),
        "uptime_s": service.uptime_s(now),
        "supervised": supervised,
        "last_rc_run": service.last_run.as_ref().map(line_json),
    });
    if detail && let Some(fields) = object.as_object_mut() {
        fields.insert(
            "processes".to_string(),
            service
                .processes
                .iter()
                .map(|process| {
                    json!({
                        "pid": process.pid,
                        "parent": process.parent,
                        "command": process.command,
                    })
                })
                .collect(),
        );
        fields.insert(
            "limits".to_string(),
            service
                .limits
                .iter()
                .map(|(file, value)| (file.clone(), Value::from(value.as_str())))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        );
        fields.insert(
            "output".to_string(),
            service.output.as_ref().map_or(Value::Null, |output| {
                let line =
                    |line: &boot_log::LogLine| json!({ "time": line.time, "text": line.text });
                json!({
                    "lines": output.lines.iter().map(line).collect::<Vec<_>>(),
                    "result": output.result.as_ref().map(line),
                })
            }),
        );
    }
    object
}
