//! `vinit check [--root DIR]`: the whole boot configuration in one run, as
//! a list of independent passes (inittab, rc links, LSB headers, the
//! dependency graph, stopping on the way down, supervise.d). Each pass reads what it
//! needs under the root and returns its problems; adding a check is adding
//! a pass to [`PASSES`].
//!
//! The tree checked may hold anything (`--root` names a tree someone else
//! made): every file is read through `crate::untrusted`, so a FIFO, a
//! device, a symbolic link loop or a huge file is a problem reported with
//! its path, never a hang or an endless read, and a message repeats at
//! most a bounded piece of a line (`cmd::bounded`).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use crate::getopt::LongOpt;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{Parsed, parse_options};
use crate::rc::graph::{self, Direction, GraphError, Script};
use crate::rc::insserv_conf::Facilities;
use crate::rc::link::{Link, LinkKind};
use crate::rc::lsb::HeaderLines;
use crate::rc::{list_links, lsb, rc_dir, script_names};
use crate::runlevel::Runlevel;
use crate::untrusted::{self, Kind, describe};

pub(crate) const USAGE: &str = "\
Usage: vinit check [--root DIR]

Checks the boot configuration in one run and prints each problem as
FILE:LINE:COLUMN: message (fewer fields where they do not apply):
  inittab   /etc/inittab and /etc/inittab.d lines init would reject, and
            a missing /etc/inittab
  links     dangling or non-executable /etc/rcN.d links
  headers   init scripts with a missing or malformed LSB header
  graph     dependency loops, required facilities nothing provides
  shutdown  scripts started in a level but not stopped in 0 or 6 where
            their header's Default-Stop asks for it
  supervise /etc/vinit/supervise.d lines init would reject, bad limits
            (each ignored alone), and files naming a service without an
            init script (supervise.d(5))

  --root DIR   check the configuration under DIR instead of /
  --help       this text

Exit status: 0 when there is no problem; 1 when there are problems; 2 on a
usage error or a --root that is not a directory.
";

/// One problem: where (a file, with a line when there is one) and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    /// 1-based; 0 when no line applies.
    pub line: usize,
    /// 1-based; 0 when none applies.
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    /// The message may quote a line of the file: only a bounded piece of it
    /// is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = crate::cmd::bounded(&self.message);
        match (self.line, self.column) {
            _ if self.file.is_empty() => write!(f, "{message}"),
            (0, _) => write!(f, "{}: {message}", self.file),
            (line, 0) => write!(f, "{}:{line}: {message}", self.file),
            (line, column) => write!(f, "{}:{line}:{column}: {message}", self.file),
        }
    }
}

fn problem(file: &Path, line: usize, message: impl Into<String>) -> Problem {
    Problem {
        file: file.display().to_string(),
        line,
        column: 0,
        message: message.into(),
    }
}

/// A named check over the configuration under a root.
pub(crate) struct Pass {
    pub name: &'static str,
    pub run: fn(&Config) -> Vec<Problem>,
}

pub(crate) const PASSES: &[Pass] = &[
    Pass {
        name: "inittab",
        run: inittab_pass,
    },
    Pass {
        name: "links",
        run: links_pass,
    },
    Pass {
        name: "headers",
        run: headers_pass,
    },
    Pass {
        name: "graph",
        run: graph_pass,
    },
    Pass {
        name: "shutdown",
        run: shutdown_pass,
    },
    Pass {
        name: "supervise",
        run: supervise_pass,
    },
];

/// The rc levels whose directories are looked at: `S`, `0`–`6`.
fn rc_levels() -> impl Iterator<Item = Runlevel> {
    b"S0123456"
        .iter()
        .filter_map(|&byte| Runlevel::from_byte(byte))
}

/// What the passes share, read once: the scripts and their headers, the
/// links of every level, the facilities.
pub(crate) struct Config {
    pub root: PathBuf,
    /// The scripts of /etc/init.d; a header that cannot be parsed counts as
    /// none here (the headers pass reports it).
    pub scripts: Vec<Script>,
    pub header_errors: Vec<lsb::LsbError>,
    /// Level → its links (levels without a directory are absent).
    pub links: BTreeMap<Runlevel, Vec<Link>>,
    pub facilities: Facilities,
    pub facility_warnings: Vec<String>,
}

impl Config {
    pub(crate) fn read(root: &Path) -> Config {
        let init_d = root.join("etc/init.d");
        let mut scripts = Vec::new();
        let mut header_errors = Vec::new();
        for name in script_names(&init_d) {
            match Script::read(&init_d.join(&name)) {
                Ok(script) => scripts.push(script),
                Err(e) => {
                    header_errors.push(e);
                    scripts.push(Script { name, header: None });
                }
            }
        }
        let links: BTreeMap<Runlevel, Vec<Link>> = rc_levels()
            .filter_map(|level| Some((level, list_links(&rc_dir(root, level))?)))
            .collect();
        let (facilities, facility_warnings) = Facilities::load(root);
        log::debug!(
            "{}: {} script(s); rc directories of levels {}",
            init_d.display(),
            scripts.len(),
            links
                .keys()
                .map(Runlevel::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        );
        Config {
            root: root.to_path_buf(),
            scripts,
            header_errors,
            links,
            facilities,
            facility_warnings,
        }
    }

    fn script_path(&self, name: &str) -> PathBuf {
        self.root.join("etc/init.d").join(name)
    }

    /// The scripts a level starts.
    fn started_in(&self, level: Runlevel) -> BTreeSet<String> {
        self.links
            .get(&level)
            .into_iter()
            .flatten()
            .filter(|l| l.kind == LinkKind::Start)
            .map(|l| l.name.clone())
            .collect()
    }
}

/// The inittab pass alone (`telinit q` runs it before asking init to reload).
pub(crate) fn inittab_problems(root: &Path) -> Vec<Problem> {
    let loaded = crate::inittab::load(&crate::filesystem::FileSystem, root);
    let mut problems: Vec<Problem> = loaded
        .diagnostics
        .iter()
        .map(|d| Problem {
            column: d.column,
            ..problem(&d.file, d.line, d.message.clone())
        })
        .collect();
    if let Some(error) = loaded.read_error {
        problems.push(problem(&root.join("etc/inittab"), 0, error));
    }
    problems
}

/// The inittab pass: its problems, and a missing `/etc/inittab` (which
/// `telinit q` leaves unsaid, as sysvinit's does: init keeps what it runs).
fn inittab_pass(config: &Config) -> Vec<Problem> {
    let mut problems = inittab_problems(&config.root);
    let inittab = config.root.join("etc/inittab");
    if std::fs::symlink_metadata(&inittab).is_err() {
        problems.push(problem(
            &inittab,
            0,
            "missing: init would say \"No inittab file found\" and, without an \
             initdefault entry, ask for the runlevel on the console at boot",
        ));
    }
    problems
}

fn links_pass(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (level, links) in &config.links {
        let dir = rc_dir(&config.root, *level);
        for link in links {
            let path = dir.join(&link.file_name);
            let Ok(target) = std::fs::read_link(&path) else {
                // A plain file in rcN.d runs like a link to itself.
                match std::fs::symlink_metadata(&path) {
                    Ok(meta) if !meta.is_file() => problems.push(problem(
                        &path,
                        0,
                        format!("is {}, not a script", describe(&meta.file_type())),
                    )),
                    Ok(meta) if meta.permissions().mode() & 0o111 == 0 => {
                        problems.push(problem(&path, 0, "not executable"));
                    }
                    _ => {}
                }
                continue;
            };
            match std::fs::metadata(&path) {
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) => problems.push(problem(
                    &path,
                    0,
                    format!(
                        "links to {}, a loop of symbolic links that leads to no file",
                        target.display()
                    ),
                )),
                Err(_) => problems.push(problem(
                    &path,
                    0,
                    format!("dangling link to {}", target.display()),
                )),
                Ok(meta) if !meta.is_file() => problems.push(problem(
                    &path,
                    0,
                    format!(
                        "links to {}, which is {}, not a file",
                        target.display(),
                        describe(&meta.file_type())
                    ),
                )),
                Ok(meta) if meta.permissions().mode() & 0o111 == 0 => problems.push(problem(
                    &path,
                    0,
                    format!("links to {}, which is not executable", target.display()),
                )),
                Ok(_) => {}
            }
        }
    }
    problems
}

fn headers_pass(config: &Config) -> Vec<Problem> {
    let mut problems: Vec<Problem> = config
        .header_errors
        .iter()
        .map(|e| problem(&e.file, e.line, e.message.clone()))
        .collect();
    let broken: BTreeSet<&Path> = config
        .header_errors
        .iter()
        .map(|e| e.file.as_path())
        .collect();
    for script in &config.scripts {
        let path = config.script_path(&script.name);
        if script.header.is_none() && !broken.contains(path.as_path()) {
            problems.push(problem(
                &path,
                0,
                "no LSB header (### BEGIN INIT INFO … ### END INIT INFO)",
            ));
        }
    }
    for warning in &config.facility_warnings {
        // Already "FILE:LINE: message".
        problems.push(problem(Path::new(""), 0, warning.clone()));
    }
    problems
}

/// A dependency problem of the graph, placed in the header it comes from: a missing
/// dependency at the script's `Required-Start:` (`Required-Stop:`) line, a loop at the
/// header of its first script.
fn graph_problem(config: &Config, error: &GraphError, dirs: &BTreeSet<String>) -> Problem {
    let (script, line_of): (&str, fn(&HeaderLines) -> usize) = match error {
        GraphError::MissingRequired {
            script,
            direction: Direction::Start,
            ..
        } => (script, |lines| lines.required_start),
        GraphError::MissingRequired {
            script,
            direction: Direction::Stop,
            ..
        } => (script, |lines| lines.required_stop),
        GraphError::Loop { cycle, .. } => (
            cycle.first().map(String::as_str).unwrap_or_default(),
            |lines| lines.begin,
        ),
    };
    let line = config
        .scripts
        .iter()
        .find(|s| s.name == script)
        .and_then(|s| s.header.as_ref())
        .map_or(0, |header| line_of(&header.lines));
    let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    problem(
        &config.script_path(script),
        line,
        format!(
            "{} (in {})",
            crate::cmd::bounded(&error.to_string()),
            dirs.join(", ")
        ),
    )
}

/// Each dependency problem once, with the rc directories it shows in: a missing
/// dependency of a script started in levels 2 to 5 is one problem, not four.
fn graph_pass(config: &Config) -> Vec<Problem> {
    let mut found: BTreeMap<String, (GraphError, BTreeSet<String>)> = BTreeMap::new();
    let mut record = |error: GraphError, level: Runlevel| {
        let dir = rc_dir(Path::new("/"), level).display().to_string();
        // A loop is the same loop whichever script it was found from.
        let key = match &error {
            GraphError::Loop { cycle, direction } => {
                let members: BTreeSet<&String> = cycle.iter().collect();
                format!("loop {direction:?} {members:?}")
            }
            GraphError::MissingRequired { direction, .. } => {
                format!("missing {direction:?} {error}")
            }
        };
        found
            .entry(key)
            .or_insert_with(|| (error, BTreeSet::new()))
            .1
            .insert(dir);
    };
    for (&level, links) in &config.links {
        for (direction, kind) in [
            (Direction::Start, LinkKind::Start),
            (Direction::Stop, LinkKind::Kill),
        ] {
            let set: BTreeSet<String> = links
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| l.name.clone())
                .filter(|name| config.scripts.iter().any(|s| &s.name == name))
                .collect();
            // Each script alone, for every missing facility; then the
            // others together, for loops.
            let mut orderable = set.clone();
            for name in &set {
                let one = BTreeSet::from([name.clone()]);
                if let Err(e @ GraphError::MissingRequired { .. }) =
                    graph::build(&config.scripts, &config.facilities, &one, direction)
                {
                    record(e, level);
                    orderable.remove(name);
                }
            }
            if let Err(e @ GraphError::Loop { .. }) =
                graph::build(&config.scripts, &config.facilities, &orderable, direction)
            {
                record(e, level);
            }
        }
    }
    let mut problems: Vec<Problem> = found
        .values()
        .map(|(error, dirs)| graph_problem(config, error, dirs))
        .collect();
    problems.sort();
    problems
}

/// The 1-based line of a script where `keyword` (e.g. `Default-Stop:`) is.
fn keyword_line(path: &Path, keyword: &str) -> usize {
    untrusted::read_text(path, Kind::Script)
        .map(|text| {
            text.lines()
                .position(|l| l.contains(keyword))
                .map_or(0, |i| i + 1)
        })
        .unwrap_or(0)
}

/// The settings files of supervised services (supervise.d(5)): each
/// rejected line (a limit's bad line too, which only leaves out its own
/// setting), settings for a service without an init script, and
/// what init skips there without a word (a FIFO, a directory, a link to
/// no file).
fn supervise_pass(config: &Config) -> Vec<Problem> {
    use crate::services::files::{read_configs, under};
    let mut problems = ignored_settings_files(&under(&config.root, crate::services::CONFIG_DIR));
    for (name, file) in read_configs(&config.root) {
        if let Err(rejected) = &file.parsed {
            problems.extend(
                rejected
                    .iter()
                    .map(|bad| problem(&file.path, bad.line, bad.message.clone())),
            );
        }
        problems.extend(file.dropped.iter().map(|bad| {
            problem(
                &file.path,
                bad.problem.line,
                format!("{} (only this line is ignored)", bad.problem.message),
            )
        }));
        if !under(&config.root, &format!("/etc/init.d/{name}")).is_file() {
            problems.push(problem(
                &file.path,
                0,
                format!("no /etc/init.d/{name} to supervise"),
            ));
        }
    }
    problems
}

/// The entries of the settings directory that name a service but are no
/// regular file, which init and `vinit supervise --list` skip.
fn ignored_settings_files(dir: &Path) -> Vec<Problem> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut problems: Vec<Problem> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            crate::services::valid_name(&name) && !name.ends_with('~')
        })
        .filter_map(|entry| {
            let path = entry.path();
            let what = match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => return None,
                Ok(meta) => describe(&meta.file_type()).to_string(),
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                    "a loop of symbolic links".to_string()
                }
                Err(_) => "a link to no file".to_string(),
            };
            Some(problem(
                &path,
                0,
                format!("is {what}, not a settings file: init ignores it"),
            ))
        })
        .collect();
    problems.sort();
    problems
}

fn shutdown_pass(config: &Config) -> Vec<Problem> {
    let started: BTreeSet<String> = rc_levels()
        .filter(|level| !level.is_halt_or_reboot())
        .flat_map(|level| config.started_in(level))
        .collect();
    let mut problems = Vec::new();
    for script in &config.scripts {
        let Some(header) = &script.header else {
            continue;
        };
        if !started.contains(&script.name) {
            continue;
        }
        for level in [Runlevel::HALT, Runlevel::REBOOT] {
            if !header
                .default_stop
                .iter()
                .any(|l| Runlevel::from_text(l) == Some(level))
            {
                continue;
            }
            let Some(links) = config.links.get(&level) else {
                continue;
            };
            let stopped = links
                .iter()
                .any(|l| l.kind == LinkKind::Kill && l.name == script.name);
            if !stopped {
                let path = config.script_path(&script.name);
                problems.push(problem(
                    &path,
                    keyword_line(&path, "Default-Stop:"),
                    format!(
                        "Default-Stop lists {level}, but {} has no K link for it: it is started and never stopped on the way to runlevel {level}",
                        rc_dir(Path::new("/"), level).display()
                    ),
                ));
            }
        }
    }
    problems
}

/// Every pass's problems, in pass order.
pub(crate) fn run_passes(root: &Path) -> Vec<(&'static str, Vec<Problem>)> {
    let config = Config::read(root);
    PASSES
        .iter()
        .map(|pass| {
            let problems = (pass.run)(&config);
            log::debug!("pass {}: {} problem(s)", pass.name, problems.len());
            (pass.name, problems)
        })
        .collect()
}

pub(crate) fn main(args: &[std::ffi::OsString]) -> i32 {
    let mut root = PathBuf::from("/");
    match parse_options(
        args,
        USAGE,
        &[LongOpt::value("root")],
        |name, value| match name {
            "root" => {
                root = value.map_or_else(|| PathBuf::from("/"), PathBuf::from);
                Ok(())
            }
            _ => Err(format!("unknown option '--{name}'")),
        },
    ) {
        Parsed::Exit(code) => return code,
        Parsed::Run(()) => {}
    }
    if !root.is_dir() {
        eprintln!("vinit check: {}: not a directory", root.display());
        return 2;
    }
    let results = run_passes(&root);
    let total: usize = results.iter().map(|(_, p)| p.len()).sum();
    for (_, problems) in &results {
        for p in problems {
            println!("{p}");
        }
    }
    let summary: Vec<String> = results
        .iter()
        .map(|(name, p)| format!("{name} {}", p.len()))
        .collect();
    if total == 0 {
        println!("vinit check: no problems ({})", summary.join(", "));
        0
    } else {
        println!(
            "vinit check: {total} problem{} ({})",
            if total == 1 { "" } else { "s" },
            summary.join(", ")
        );
        1
    }
}
