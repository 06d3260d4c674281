//! Applying a service's limits ([`super::limits`]) before a script of it
//! runs: the cgroup settings written into its cgroup, the process
//! attributes prepared for the child ([`crate::sys::spawn::Attributes`]),
//! and the lines that say what could not be set, for whoever applies them
//! (rc prints them with the script's output, `service` on its standard
//! error, init logs them, `vinit place` on the script's standard error).
//!
//! A cgroup file is written before every run of a script, so that the
//! file's settings hold whatever the action; one the settings do not name
//! (or every one, for a service without a settings file) gets the
//! kernel's default, so that a removed line or file takes effect.
//! Defaults that cannot be written (a controller that is not there) are
//! no news; a setting that cannot is said.

use std::io;
use std::path::Path;

use nix::sys::resource::Resource;

use super::limits::{Key, Limits, Value};
use crate::cgroup::Leaf;
use crate::sys::spawn::{Attribute, Attributes};

/// Where a service's cgroup settings go.
pub(crate) enum Cgroup<'a> {
    /// Its cgroup, and the controllers delegated to the services.
    Leaf(&'a Leaf, &'a [String]),
    /// No tracking: why, for the message.
    Off(&'a str),
}

/// The limits of the settings file at `path`, applied: the cgroup files
/// written (see the module's comment), the attributes for the child (whose
/// failure lines start with `child_prefix`), and `reports` for the caller.
pub(crate) fn apply(
    path: &Path,
    limits: &Limits,
    cgroup: Cgroup<'_>,
    child_prefix: &str,
) -> (Attributes, Vec<String>) {
    let file = path.display();
    let mut reports = Vec::new();
    let mut unavailable = Vec::new();
    if let Cgroup::Leaf(leaf, _) = cgroup {
        // Before the first run of its script, the service has no cgroup yet.
        let _ = leaf.create();
    }
    for (key, value, setting) in limits.cgroup_files() {
        let Cgroup::Leaf(leaf, delegated) = cgroup else {
            if setting.is_some() {
                unavailable.push(key);
            }
            continue;
        };
        let controller = key.controller().unwrap_or_default();
        if !delegated.iter().any(|name| name == controller) {
            if setting.is_some() {
                unavailable.push(key);
            }
            continue;
        }
        match (leaf.write(key.name(), &value), setting) {
            (Ok(()), _) | (Err(_), None) => {}
            (Err(error), Some(setting)) if error.kind() == io::ErrorKind::NotFound => {
                reports.push(format!(
                    "{file}:{}: {key}={}: not set: this kernel has no {key}",
                    setting.line, setting.text
                ));
            }
            (Err(error), Some(setting)) => reports.push(format!(
                "{file}:{}: {key}={}: not set: the kernel refused it: {}",
                setting.line,
                setting.text,
                crate::untrusted::Refused::Io(error)
            )),
        }
    }
    if !unavailable.is_empty() {
        reports.push(unavailable_line(&file.to_string(), &unavailable, &cgroup));
    }
    let mut attributes = Attributes::default();
    for (key, setting) in &limits.settings {
        let attribute = match (key, &setting.value) {
            (Key::Nice, Value::Number(nice)) => Attribute::Nice(*nice),
            (Key::OomScoreAdj, Value::Number(score)) => Attribute::OomScoreAdj(*score),
            (Key::RlimitNofile | Key::RlimitCore, Value::Rlimit(limit)) => Attribute::Rlimit {
                resource: if *key == Key::RlimitNofile {
                    Resource::RLIMIT_NOFILE
                } else {
                    Resource::RLIMIT_CORE
                },
                soft: limit.soft,
                hard: limit.hard,
            },
            _ => continue,
        };
        attributes.add(
            attribute,
            format!(
                "{child_prefix}{file}:{}: {key}={}: not set",
                setting.line, setting.text
            ),
        );
    }
    (attributes, reports)
}

/// One line for the settings that no cgroup can take, with why.
fn unavailable_line(file: &str, keys: &[Key], cgroup: &Cgroup<'_>) -> String {
    let names: Vec<&str> = keys.iter().map(|key| key.name()).collect();
    let why = match cgroup {
        Cgroup::Off(why) => format!("services are not tracked by cgroup ({why})"),
        Cgroup::Leaf(_, delegated) => {
            let mut missing: Vec<&str> = keys.iter().filter_map(|key| key.controller()).collect();
            missing.dedup();
            format!(
                "the cgroup2 hierarchy gives vinit's services no {} controller (they have: {})",
                missing.join(", "),
                if delegated.is_empty() {
                    "none".to_string()
                } else {
                    delegated.join(", ")
                }
            )
        }
    };
    format!("{file}: {} not set: {why}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::limits;

    #[test]
    fn settings_without_a_controller_are_said_in_one_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leaf = Leaf {
            name: "web".to_string(),
            dir: dir.path().to_path_buf(),
        };
        // A plain directory plays the cgroup: its files are the ones
        // "delegated" and present.
        std::fs::write(dir.path().join("pids.max"), "").expect("pids.max");
        let (limits, _) =
            limits::parse("memory.max=1G\nmemory.high=512M\npids.max=64\ncpu.weight=50\nnice=3\n");
        let delegated = ["pids".to_string()];
        let path = Path::new("/etc/vinit/supervise.d/web");
        let (attributes, reports) = apply(path, &limits, Cgroup::Leaf(&leaf, &delegated), "INIT: ");
        assert_eq!(
            reports,
            [
                "/etc/vinit/supervise.d/web: memory.max, memory.high, cpu.weight not set: \
              the cgroup2 hierarchy gives vinit's services no memory, cpu controller (they have: pids)"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pids.max")).expect("written"),
            "64"
        );
        let lines: Vec<String> = attributes.iter().map(|(_, line)| line).collect();
        assert_eq!(
            lines,
            ["INIT: /etc/vinit/supervise.d/web:5: nice=3: not set"]
        );
        let (_, reports) = apply(path, &limits, Cgroup::Off("no cgroup2"), "");
        assert_eq!(
            reports,
            [
                "/etc/vinit/supervise.d/web: memory.max, memory.high, cpu.weight, pids.max not set: \
              services are not tracked by cgroup (no cgroup2)"
            ]
        );
        // Nothing set, nothing said, even where nothing can be written; what
        // can be is put back to the kernel's default.
        let (_, reports) = apply(path, &Limits::default(), Cgroup::Off("no cgroup2"), "");
        assert!(reports.is_empty());
        let (_, reports) = apply(
            path,
            &Limits::default(),
            Cgroup::Leaf(&leaf, &delegated),
            "",
        );
        assert!(reports.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pids.max")).expect("written"),
            "max"
        );
    }

    #[test]
    fn a_setting_the_kernel_has_no_file_for_is_said() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leaf = Leaf {
            name: "web".to_string(),
            dir: dir.path().to_path_buf(),
        };
        let (limits, _) = limits::parse("\nio.weight=300\n");
        let delegated = ["io".to_string()];
        let (_, reports) = apply(
            Path::new("/s/web"),
            &limits,
            Cgroup::Leaf(&leaf, &delegated),
            "",
        );
        assert_eq!(
            reports,
            ["/s/web:2: io.weight=300: not set: this kernel has no io.weight"]
        );
    }
}
