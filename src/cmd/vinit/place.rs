//! `vinit place NAME [ACTION] [PID]`: puts a process (an init script run by
//! hand, `invoke-rc.d` or Debian's `service`) in its service's cgroup,
//! where init tracks services. The LSB hook that vinit installs in
//! `/lib/lsb/init-functions.d`, which every Debian init script sources
//! through `/lib/lsb/init-functions`, runs it for scripts that are not in
//! their cgroup yet; rc and vinit's `service` place their scripts
//! themselves. For an action that starts the service it also applies the
//! service's limits (supervise.d(5)): the cgroup settings, and the process
//! attributes set on the script, which the daemon it starts inherits.

use std::ffi::OsString;
use std::path::Path;

use crate::cgroup::{Leaf, Tree};
use crate::services::apply::{self, Cgroup};
use crate::services::files::{self, ConfigFile};

pub(crate) const USAGE: &str = "\
Usage: vinit place NAME [ACTION] [PID]

Moves process PID (by default, the caller's parent: the script that ran it)
into the cgroup of service NAME, where init tracks each service's processes
(/sys/fs/cgroup/vinit/NAME). For an ACTION that starts the service (start,
restart, force-reload, try-restart) it applies the limits of its settings
file, /etc/vinit/supervise.d/NAME (cgroup settings, and nice, oom_score_adj
and resource limits set on process PID), and for a supervised service it
re-arms it, as 'service NAME start' does. The LSB hook
/lib/lsb/init-functions.d/20-vinit runs it for init scripts started by
other means than rc and service. Without tracking (another init, no cgroup
v2), or run by another user than root, it does nothing.

Exit status: 0 when placed, or nothing to do; 1 when the process could not
be moved; 2 on a usage error.
";

/// The actions that start a service.
const STARTING: [&str; 4] = ["start", "restart", "force-reload", "try-restart"];

pub(crate) fn main(args: &[OsString]) -> i32 {
    let args = match crate::cmd::text_args(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("vinit place: {e}");
            return 2;
        }
    };
    let words: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    if words.first() == Some(&"--help") {
        print!("{USAGE}");
        return 0;
    }
    let (name, action, pid) = match words.as_slice() {
        [name] => (*name, None, None),
        [name, action] => (*name, Some(*action), None),
        [name, action, pid] => match pid.parse::<i32>() {
            Ok(pid) if pid > 1 => (*name, Some(*action), Some(pid)),
            _ => return usage(&format!("not a process ID: {pid:?}")),
        },
        _ => return usage("expected NAME [ACTION] [PID]"),
    };
    if !crate::services::valid_name(name) {
        return usage(&format!("not a service name: {name:?}"));
    }
    if !nix::unistd::geteuid().is_root() {
        log::debug!("only root can move a process into a service's cgroup: nothing to do");
        return 0;
    }
    let Some(tree) = Tree::find() else {
        log::debug!("no cgroup tree of vinit's: nothing to do");
        return 0;
    };
    let Some(leaf) = tree.leaf(name) else {
        log::debug!("no cgroup for {name:?}: nothing to do");
        return 0;
    };
    let pid = pid.unwrap_or_else(|| nix::unistd::getppid().as_raw());
    if let Err(e) = leaf.adopt(pid) {
        eprintln!(
            "vinit place: cannot move process {pid} into {}: {}",
            leaf.dir.display(),
            crate::untrusted::Refused::Io(e)
        );
        return 1;
    }
    log::debug!("process {pid} is in {}", leaf.dir.display());
    let root = Path::new("/");
    let starting = action.is_some_and(|action| STARTING.contains(&action));
    if starting {
        apply_limits(&files::settings_file(root, name), &tree, &leaf, pid);
    }
    if starting && files::supervised(root, name).is_some() {
        log::debug!("{name}: started on purpose by root: init re-arms it");
        let _ = files::mark_start(root, name);
        super::supervise::tell_init();
    }
    0
}

/// Applies the limits of `file` for the script `pid`, already running:
/// its cgroup settings, and its process attributes set on it; what cannot
/// be set is said on standard error (the script's).
fn apply_limits(file: &ConfigFile, tree: &Tree, leaf: &Leaf, pid: i32) {
    let controllers = tree.controllers();
    let (attributes, reports) = apply::apply(
        &file.path,
        &file.limits,
        Cgroup::Leaf(leaf, &controllers),
        "vinit place: ",
    );
    for line in file.dropped_lines().iter().chain(&reports) {
        eprintln!("vinit place: {line}");
    }
    for (attribute, failure) in attributes.iter() {
        if let Err(error) = attribute.set_on(pid) {
            eprintln!("{failure}: {}", crate::untrusted::Refused::Io(error));
        }
    }
}

fn usage(why: &str) -> i32 {
    eprintln!("vinit place: {why}\n{USAGE}");
    2
}
