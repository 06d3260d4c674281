//! `update-rc.d`: install and remove the `/etc/rc?.d` links of an init script
//! (docs/compatibility.md §8.5; Debian init-system-helpers 1.65.2 with insserv 1.24).
//!
//! The command line, messages and exit codes are those of Debian's Perl
//! script; the link numbering is insserv's, computed in [`crate::rc::numbering`] from the LSB
//! headers of every script in `/etc/init.d` (there is no separate insserv).
//! Everything is computed before anything is written, so a refused header
//! (missing required service, dependency loop) changes nothing on disk.
//!
//! `DPKG_ROOT`, which Debian's script honours for its link globs, is honoured
//! for every path here (scripts, links, insserv.conf).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::rc::graph::Script;
use crate::rc::insserv_conf::Facilities;
use crate::rc::numbering::{self, LEVELS, Link, Outcome, Request};
use crate::rc::{link, lsb};
use crate::untrusted::{self, Kind};

const USAGE: &str = "\
usage: update-rc.d [-f] <basename> remove
       update-rc.d [-f] <basename> defaults
       update-rc.d [-f] <basename> defaults-disabled
       update-rc.d <basename> disable|enable [S|2|3|4|5]
\t\t-f: force

The disable|enable API is not stable and might change in the future.
";

/// What `--help` adds to the usage.
const EXIT_STATUS: &str = "\
Exit status: 0 on success; 1 on an error (update-rc.d: error: ...) or a
usage error.
";

/// How the command ends early: the exit status, its message already printed.
struct Exit(i32);

fn usage(message: Option<&str>) -> Exit {
    if let Some(m) = message {
        eprintln!("update-rc.d: error: {m}");
    }
    eprint!("{USAGE}");
    Exit(1)
}

/// Messages may quote a line of an init script or of insserv.conf:
/// [`super::bounded`].
fn error(message: &str) -> Exit {
    eprintln!("update-rc.d: error: {}", super::bounded(message));
    Exit(1)
}

/// Debian's last word when insserv refused: after insserv's own messages.
fn rejected(_: Exit) -> Exit {
    error("insserv rejected the script header")
}

fn warning(message: &str) {
    eprintln!("update-rc.d: warning: {}", super::bounded(message));
}

pub(crate) fn main(args: Vec<std::ffi::OsString>) -> i32 {
    // A script's name, an action, levels: all text.
    let args = match super::text_args(&args) {
        Ok(args) => args,
        Err(e) => return error(&format!("argument {e}")).0,
    };
    let root = std::env::var_os("DPKG_ROOT")
        .filter(|r| !r.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"));
    match run(&root, args.get(1..).unwrap_or_default()) {
        Ok(()) => 0,
        Err(Exit(code)) => code,
    }
}

fn run(root: &Path, mut words: &[String]) -> Result<(), Exit> {
    let mut force = false;
    while let Some(word) = words.first().filter(|w| w.starts_with('-')) {
        words = words.get(1..).unwrap_or_default();
        if word == "-f" {
            force = true;
            continue;
        }
        // Perl's /^-h|--help$/: starts with -h, or ends with --help. Debian's exits 1 with
        // the usage on stderr; asked for, the usage goes to stdout with status 0.
        if word.starts_with("-h") || word.ends_with("--help") {
            print!("{USAGE}\n{EXIT_STATUS}");
            return Err(Exit(0));
        }
        if word == "--version" {
            println!("update-rc.d (vinit) {}", env!("CARGO_PKG_VERSION"));
            return Err(Exit(0));
        }
        return Err(usage(Some("unknown option")));
    }
    let [name, action, rest @ ..] = words else {
        return Err(usage(Some("not enough arguments")));
    };
    let system = System { root };
    // Debian adds -f when initscripts is not installed, so that a system
    // without mountkernfs.sh & co. does not fail on their facilities.
    let implied_force = !force && !system.has_initscripts();
    log::debug!(
        "{action} {name} under {}{}",
        root.display(),
        match (force, implied_force) {
            (true, _) => ", required services not checked (-f)",
            (false, true) => ", required services not checked (-f implied: no mountkernfs.sh link)",
            (false, false) => "",
        }
    );
    let force = force || implied_force;
    match action.as_str() {
        "remove" => system.remove(name, force),
        "defaults" | "start" | "stop" => {
            if action != "defaults" {
                system.warn_legacy_arguments(name, action, rest)?;
            }
            system.defaults(name, force)
        }
        "defaults-disabled" => system.defaults_disabled(name, force),
        "disable" | "enable" => system.toggle(name, action, rest, force),
        _ => Err(usage(None)),
    }
}

/// The file system update-rc.d works on (`/`, or `$DPKG_ROOT`).
struct System<'a> {
    root: &'a Path,
}

/// The current links: the live ones, and the dangling ones insserv deletes.
struct CurrentLinks {
    live: BTreeSet<Link>,
    dangling: Vec<PathBuf>,
}

impl System<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    fn rc_dir(&self, level: char) -> PathBuf {
        self.path(&format!("etc/rc{level}.d"))
    }

    fn init_script(&self, name: &str) -> PathBuf {
        self.path(&format!("etc/init.d/{name}"))
    }

    /// An `S` link to `mountkernfs.sh` in `/etc/rcS.d` (Debian's glob is
    /// `S??mountkernfs.sh`; links are read by one rule, `rc::link`).
    fn has_initscripts(&self) -> bool {
        self.dir_names(&self.rc_dir('S'))
            .iter()
            .any(|n| link::Link::names(n, link::LinkKind::Start, "mountkernfs.sh"))
    }

    fn dir_names(&self, dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// `[SK][0-9][0-9]NAME` links in the given levels, dangling or not (Perl's glob).
    fn links_of(&self, name: &str, levels: &[char]) -> Vec<Link> {
        levels
            .iter()
            .flat_map(|&level| {
                self.dir_names(&self.rc_dir(level))
                    .into_iter()
                    .filter_map(move |n| Link::parse(level, &n))
            })
            .filter(|l| l.script == name)
            .collect()
    }

    fn current_links(&self) -> CurrentLinks {
        let mut current = CurrentLinks {
            live: BTreeSet::new(),
            dangling: Vec::new(),
        };
        for level in LEVELS {
            let dir = self.rc_dir(level);
            for file in self.dir_names(&dir) {
                let Some(link) = Link::parse(level, &file) else {
                    continue;
                };
                if fs::metadata(dir.join(&file)).is_ok() {
                    current.live.insert(link);
                } else {
                    current.dangling.push(dir.join(&file));
                }
            }
        }
        current
    }

    /// The scripts of `/etc/init.d` insserv reads, with their headers.
    fn scripts(&self, arg: Option<&str>, force: bool) -> Result<Vec<Script>, Exit> {
        let dir = self.path("etc/init.d");
        let mut scripts = Vec::new();
        for name in self.dir_names(&dir) {
            let path = dir.join(&name);
            if !is_candidate_script(&path, &name) {
                if arg == Some(name.as_str()) && !path.is_dir() {
                    warning(&format!(
                        "script {name} is not an executable regular file, skipped!"
                    ));
                }
                continue;
            }
            match Script::read(&path) {
                Ok(script) => {
                    if script.header.is_none() && arg == Some(name.as_str()) {
                        warning(&format!("script '{name}' missing LSB tags and overrides"));
                    }
                    scripts.push(script);
                }
                Err(e) if force => {
                    warning(&format!("script {name} is broken: {e}"));
                    scripts.push(Script { name, header: None });
                }
                Err(e) => {
                    return Err(error(&format!("script {name} is broken: {e}")));
                }
            }
        }
        Ok(scripts)
    }

    fn facilities(&self) -> Facilities {
        let (facilities, warnings) = Facilities::load(self.root);
        for w in warnings {
            warning(&w);
        }
        facilities
    }

    /// insserv's run: the links after `request`, or its refusal reported
    /// (callers add Debian's last line with [`rejected`]).
    fn resequence(
        &self,
        links: &BTreeSet<Link>,
        request: Request,
        force: bool,
    ) -> Result<Outcome, Exit> {
        let arg = match request {
            Request::Install(n) | Request::Remove(n) => Some(n),
            Request::Renumber => None,
        };
        let scripts = self.scripts(arg, force)?;
        match numbering::resequence(&scripts, &self.facilities(), links, request, force) {
            Ok(outcome) => {
                for w in &outcome.warnings {
                    eprintln!("update-rc.d: {}", super::bounded(w));
                }
                Ok(outcome)
            }
            Err(refusal) => Err(error(&refusal.to_string())),
        }
    }

    /// Makes the disk match: every rc directory exists (as insserv makes
    /// them), dangling and replaced links go, new ones point to `../init.d/`.
    fn apply(&self, current: &CurrentLinks, wanted: &BTreeSet<Link>) -> Result<(), Exit> {
        for level in LEVELS {
            let dir = self.rc_dir(level);
            if !dir.is_dir() {
                fs::create_dir_all(&dir)
                    .and_then(|()| fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)))
                    .map_err(|e| error(&format!("mkdir {}: {e}", dir.display())))?;
            }
        }
        let stale = current.live.difference(wanted).map(|l| self.link_path(l));
        for path in current.dangling.iter().cloned().chain(stale) {
            log::debug!("removing {}", path.display());
            fs::remove_file(&path)
                .map_err(|e| error(&format!("remove {}: {e}", path.display())))?;
        }
        for link in wanted.difference(&current.live) {
            let path = self.link_path(link);
            log::debug!("adding {} -> ../init.d/{}", path.display(), link.script);
            symlink(format!("../init.d/{}", link.script), &path)
                .map_err(|e| error(&format!("symlink {}: {e}", path.display())))?;
        }
        Ok(())
    }

    fn link_path(&self, link: &Link) -> PathBuf {
        self.rc_dir(link.level).join(link.file_name())
    }

    fn require_script(&self, name: &str) -> Result<(), Exit> {
        if self.init_script(name).is_file() {
            Ok(())
        } else {
            Err(error(&format!(
                "initscript does not exist: /etc/init.d/{name}"
            )))
        }
    }

    fn defaults(&self, name: &str, force: bool) -> Result<(), Exit> {
        self.require_script(name)?;
        let current = self.current_links();
        let outcome = self
            .resequence(&current.live, Request::Install(name), force)
            .map_err(rejected)?;
        self.apply(&current, &outcome.links)
    }

    fn remove(&self, name: &str, force: bool) -> Result<(), Exit> {
        let current = self.current_links();
        // Without the script, insserv is run plain: it drops the dangling links.
        let request = if self.init_script(name).is_file() {
            Request::Remove(name)
        } else {
            Request::Renumber
        };
        match self.resequence(&current.live, request, force) {
            Ok(outcome) => self.apply(&current, &outcome.links),
            // Debian ignores the status of `insserv -r` (postrm scripts rely on
            // it), but not that of a plain insserv.
            Err(_) if matches!(request, Request::Remove(_)) => Ok(()),
            Err(e) => Err(rejected(e)),
        }
    }

    fn defaults_disabled(&self, name: &str, force: bool) -> Result<(), Exit> {
        if !self.links_of(name, &LEVELS).is_empty() {
            return Ok(());
        }
        self.require_script(name)?;
        let current = self.current_links();
        let outcome = self
            .resequence(&current.live, Request::Install(name), force)
            .map_err(rejected)?;
        // Debian toggles after insserv has written its links, without renumbering.
        let levels = self.toggle_levels(name, "disable", &[])?;
        let toggled = toggle(&outcome.links, name, "disable", &levels);
        self.apply(&current, &toggled)?;
        if !outcome
            .links
            .iter()
            .any(|l| l.script == name && levels.contains(&l.level))
        {
            return Err(error("no runlevel symlinks to modify, aborting!"));
        }
        Ok(())
    }

    fn toggle(&self, name: &str, action: &str, args: &[String], force: bool) -> Result<(), Exit> {
        let levels = self.toggle_levels(name, action, args)?;
        if self.links_of(name, &levels).is_empty() {
            return Err(error("no runlevel symlinks to modify, aborting!"));
        }
        let current = self.current_links();
        let toggled = toggle(&current.live, name, action, &levels);
        let outcome = self
            .resequence(&toggled, Request::Install(name), force)
            .map_err(rejected)?;
        self.apply(&current, &outcome.links)
    }

    /// The levels `enable`/`disable` act on: the arguments, else the script's
    /// Default-Start; those outside S 2 3 4 5 are dropped with a warning.
    fn toggle_levels(&self, name: &str, action: &str, args: &[String]) -> Result<Vec<char>, Exit> {
        let header_file = [
            format!("etc/insserv/overrides/{name}"),
            format!("etc/init.d/{name}"),
            format!("usr/share/insserv/overrides/{name}"),
        ]
        .into_iter()
        .map(|rel| self.path(&rel))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .ok_or_else(|| error(&format!("cannot find a LSB script for {name}")))?;
        let requested: Vec<String> = if args.is_empty() {
            let header = lsb::read(&header_file).map_err(|e| error(&e.to_string()))?;
            let defaults = header.map(|h| h.default_start).unwrap_or_default();
            if defaults.is_empty() {
                return Err(error(&format!(
                    "{name} Default-Start contains no runlevels, aborting."
                )));
            }
            defaults
        } else {
            args.to_vec()
        };
        let mut levels = Vec::new();
        for level in requested {
            match level.as_str() {
                "S" | "2" | "3" | "4" | "5" => {
                    let c = level.chars().next().unwrap_or('S');
                    if !levels.contains(&c) {
                        levels.push(c);
                    }
                }
                _ => warning(&format!(
                    "{action} action will have no effect on runlevel {level}"
                )),
            }
        }
        Ok(levels)
    }

    /// Debian's cmp_args_with_defaults: the old `start NN levels . stop NN levels .`
    /// arguments are ignored, with a warning where they disagree with the header.
    fn warn_legacy_arguments(&self, name: &str, action: &str, args: &[String]) -> Result<(), Exit> {
        let path = self.init_script(name);
        let text = untrusted::read(&path, Kind::Script)
            .map_err(|_| error(&format!("unable to read /etc/init.d/{name}")))?;
        let header = lsb::parse(&String::from_utf8_lossy(&text), &path)
            .ok()
            .flatten()
            .unwrap_or_default();
        let lsb_start = header.default_start;
        let lsb_stop = header.default_stop;
        if lsb_start.is_empty() && lsb_stop.is_empty() {
            return Ok(());
        }
        warning("start and stop actions are no longer supported; falling back to defaults");
        let (arg_start, arg_stop) = legacy_levels(action, args);
        for (what, given, header_levels) in [
            ("start", &arg_start, &lsb_start),
            ("stop", &arg_stop, &lsb_stop),
        ] {
            let sorted = |v: &Vec<String>| {
                let mut v = v.clone();
                v.sort();
                v
            };
            if sorted(given) != sorted(header_levels) {
                let field = if what == "start" {
                    "Default-Start"
                } else {
                    "Default-Stop"
                };
                let show = |v: &Vec<String>| {
                    if v.is_empty() {
                        "none".to_string()
                    } else {
                        v.join(" ")
                    }
                };
                warning(&format!(
                    "{what} runlevel arguments ({}) do not match {name} {field} values ({})",
                    show(given),
                    show(header_levels)
                ));
            }
        }
        Ok(())
    }
}

/// The start and stop levels of legacy arguments `NN l l . [start|stop] NN l .`
/// (the first sequence number is skipped; 0 and 6 always count as stop levels).
fn legacy_levels(action: &str, args: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut start, mut stop) = (action == "start", action == "stop");
    let mut starts = Vec::new();
    let mut stops = Vec::new();
    let mut i = if args.first().map(String::as_str) == Some(action) {
        2
    } else {
        1
    };
    while let Some(arg) = args.get(i) {
        i += 1;
        match arg.as_str() {
            "0" | "6" => {
                start = false;
                stop = true;
            }
            "start" => {
                (start, stop) = (true, false);
                i += 1; // and its sequence number
                continue;
            }
            "stop" => {
                (start, stop) = (false, true);
                i += 1;
                continue;
            }
            "." => continue,
            _ => {}
        }
        if start {
            starts.push(arg.clone());
        }
        if stop {
            stops.push(arg.clone());
        }
    }
    (starts, stops)
}

/// Renames `S`↔`K` links of `name` in `levels` (Debian's sysv_toggle).
fn toggle(links: &BTreeSet<Link>, name: &str, action: &str, levels: &[char]) -> BTreeSet<Link> {
    let (from, to) = if action == "disable" {
        ('S', 'K')
    } else {
        ('K', 'S')
    };
    links
        .iter()
        .cloned()
        .map(|mut l| {
            if l.script == name && l.kind == from && levels.contains(&l.level) {
                l.kind = to;
            }
            l
        })
        .collect()
}

/// insserv's filter for `/etc/init.d` entries: executable regular files (or
/// links to one elsewhere), minus documentation, helpers and leftovers
/// ([`crate::rc::skipped`]).
fn is_candidate_script(path: &Path, name: &str) -> bool {
    if crate::rc::skipped::is_skipped_script(name) {
        return false;
    }
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if meta.file_type().is_symlink() {
        // A link to another script of the same directory is an alias, not a script.
        match fs::read_link(path) {
            Ok(target) if target.to_string_lossy().contains('/') => {}
            _ => return false,
        }
    }
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o100 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn legacy_arguments_become_levels() {
        let (start, stop) = legacy_levels("start", &words("20 2 3 4 5 . stop 20 0 1 6 ."));
        assert_eq!((start, stop), (words("2 3 4 5"), words("0 1 6")));
        // 0 and 6 after "start" are stop levels.
        let (start, stop) = legacy_levels("start", &words("start 20 2 0 6 ."));
        assert_eq!((start, stop), (words("2"), words("0 6")));
    }

    #[test]
    fn toggle_renames_only_the_named_levels() {
        let links: BTreeSet<Link> = ["S01a", "S01b"]
            .iter()
            .flat_map(|n| ['2', '3'].map(|l| Link::parse(l, n).unwrap()))
            .collect();
        let out = toggle(&links, "a", "disable", &['2']);
        let names: Vec<String> = out
            .iter()
            .map(|l| format!("{}/{}", l.level, l.file_name()))
            .collect();
        assert_eq!(names, ["2/K01a", "2/S01b", "3/S01a", "3/S01b"]);
    }
}
