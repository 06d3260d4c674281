//! `vinit place NAME [ACTION] [PID]`: puts a process (an init script run by
//! hand, `invoke-rc.d` or Debian's `service`) in its service's cgroup,
//! where init tracks services. The LSB hook that vinit installs in
//! `/lib/lsb/init-functions.d`, which every Debian init script sources
//! through `/lib/lsb/init-functions`, runs it for scripts that are not in
//! their cgroup yet; rc and vinit's `service` place their scripts
//! themselves.

use std::ffi::OsString;
use std::path::Path;

use crate::cgroup::Tree;
use crate::services::files;

pub(crate) const USAGE: &str = "\
Usage: vinit place NAME [ACTION] [PID]

Moves process PID (by default, the caller's parent: the script that ran it)
into the cgroup of service NAME, where init tracks each service's processes
(/sys/fs/cgroup/vinit/NAME). For a supervised service, an ACTION that starts
it (start, restart, force-reload, try-restart) run by root re-arms it, as
'service NAME start' does. The LSB hook /lib/lsb/init-functions.d/20-vinit
runs it for init scripts started by other means than rc and service.
Without tracking (another init, no cgroup v2) it does nothing.

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
    let Some(leaf) = Tree::find().and_then(|tree| tree.leaf(name)) else {
        log::debug!("no cgroup tree of vinit's (or no cgroup for {name:?}): nothing to do");
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
    if action.is_some_and(|action| STARTING.contains(&action))
        && nix::unistd::geteuid().is_root()
        && files::supervised(root, name).is_some()
    {
        log::debug!("{name}: started on purpose by root: init re-arms it");
        let _ = files::mark_start(root, name);
        super::supervise::tell_init();
    }
    0
}

fn usage(why: &str) -> i32 {
    eprintln!("vinit place: {why}\n{USAGE}");
    2
}
