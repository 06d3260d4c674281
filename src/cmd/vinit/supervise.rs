//! `vinit supervise NAME [--pidfile PATH]`, `vinit unsupervise NAME`,
//! `vinit supervise --list`, `vinit supervise --reload`: the files of
//! supervise.d(5), and telling init about them (`vinit check` validates the
//! files: `cmd::vinit::check`).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone};

use super::table::{Cell, Table};
use super::{Colour, use_colour};
use crate::services::config::{self, Config};
use crate::services::files::{self, under};
use crate::services::overview::{ServiceState, ServiceView};
use crate::services::{CONFIG_DIR, RELOAD_SIGNAL_OFFSET, valid_name};
use crate::untrusted::{self, Kind};

const SUPERVISE_HELP: &str = "\
Usage: vinit supervise NAME [--pidfile PATH]
       vinit supervise --list
       vinit supervise --reload

Makes the service NAME of /etc/init.d supervised: writes its settings file
/etc/vinit/supervise.d/NAME (keeping what it holds) and tells init, which
from then on runs the script's restart when its daemon fails. Run again, it
re-arms a service that init gave up on.

  --pidfile PATH  the daemon's pid file, where the script does not name it
  --list          the supervised services: pid, state, restarts, last failure
  --reload        tell init to read the settings and pid files again
  --help          this text

Exit status: 0 when done; 1 when /etc/init.d/NAME does not exist, or its
settings file has errors or cannot be written; 2 on a usage error, a NAME
that is not a service name or a --pidfile PATH that is not absolute.
See supervise.d(5).
";

const UNSUPERVISE_HELP: &str = "\
Usage: vinit unsupervise NAME

Stops supervising the service NAME: removes /etc/vinit/supervise.d/NAME and
tells init. The service itself is neither stopped nor started.

  --help  this text

Exit status: 0 when done; 1 when NAME is not supervised or its settings
file cannot be removed; 2 on a usage error or a NAME that is not a service
name.
See supervise.d(5).
";

/// The usage lines of a help text (up to its first blank line), for a usage error.
fn synopsis(help: &str) -> &str {
    help.split("\n\n").next().unwrap_or(help)
}

pub(crate) fn main(args: Vec<OsString>) -> i32 {
    // Names and the settings file are text (supervise.d(5)).
    let args = match crate::cmd::text_args(&args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("vinit supervise: {e}");
            return 2;
        }
    };
    let command = args.first().map(String::as_str).unwrap_or("supervise");
    let words: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let root = Path::new("/");
    let help = if command == "unsupervise" {
        UNSUPERVISE_HELP
    } else {
        SUPERVISE_HELP
    };
    match (command, words.as_slice()) {
        (_, ["--help" | "-h"]) => {
            print!("{help}");
            0
        }
        ("supervise", ["--list"]) => {
            print!("{}", list(root, use_colour()));
            0
        }
        ("supervise", ["--reload"]) => {
            tell_init();
            0
        }
        ("supervise", [name]) => supervise(root, name, None),
        ("supervise", [name, "--pidfile", path]) | ("supervise", ["--pidfile", path, name]) => {
            supervise(root, name, Some(path))
        }
        ("unsupervise", [name]) => unsupervise(root, name),
        _ => {
            eprintln!("{}", synopsis(help));
            2
        }
    }
}

fn settings_path(root: &Path, name: &str) -> PathBuf {
    under(root, &format!("{CONFIG_DIR}/{name}"))
}

/// Writes (or rewrites, which re-arms a service given up) the settings
/// file of `name`, keeping what it held.
fn supervise(root: &Path, name: &str, pidfile: Option<&str>) -> i32 {
    if !valid_name(name) {
        eprintln!("vinit supervise: {name:?} is not a service name");
        return 2;
    }
    if !under(root, &format!("/etc/init.d/{name}")).is_file() {
        eprintln!("vinit supervise: /etc/init.d/{name} does not exist");
        return 1;
    }
    let path = settings_path(root, name);
    let mut config = match untrusted::read_text(&path, Kind::Settings) {
        Ok(text) => match config::parse(&text) {
            Ok(config) => config,
            Err(problems) => {
                for problem in problems {
                    eprintln!("{}:{problem}", path.display());
                }
                return 1;
            }
        },
        Err(refused) if refused.is_missing() => Config::default(),
        Err(refused) => {
            eprintln!("vinit supervise: {}: {refused}", path.display());
            return 1;
        }
    };
    if let Some(pidfile) = pidfile {
        if !pidfile.starts_with('/') {
            eprintln!("vinit supervise: --pidfile needs an absolute path, not {pidfile:?}");
            return 2;
        }
        config.pidfile = Some(PathBuf::from(pidfile));
    }
    if let Err(error) = files::write_atomic(&path, &config::render(&config)) {
        eprintln!("vinit supervise: {}: {error}", path.display());
        return 1;
    }
    tell_init();
    println!(
        "supervising {name} (pid file {})",
        files::pidfile_of(root, name, &config).display()
    );
    0
}

fn unsupervise(root: &Path, name: &str) -> i32 {
    if !valid_name(name) {
        eprintln!("vinit unsupervise: {name:?} is not a service name");
        return 2;
    }
    let path = settings_path(root, name);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("vinit unsupervise: {name} is not supervised");
            return 1;
        }
        Err(error) => {
            eprintln!("vinit unsupervise: {}: {error}", path.display());
            return 1;
        }
    }
    let _ = files::write_mark(root, name, &[]);
    tell_init();
    0
}

/// Asks init to read the settings and pid files again (SIGRTMIN+5), if
/// PID 1 is vinit: another init may give that signal another meaning
/// (systemd reboots).
pub(crate) fn tell_init() {
    if crate::status::pid1_runs_vinit() == Some(true) {
        let signal = libc::SIGRTMIN() + RELOAD_SIGNAL_OFFSET;
        let _ = crate::sys::process::send_signal_number(1, signal);
    }
}

/// `vinit supervise --list`.
pub(crate) fn list(root: &Path, colour: bool) -> String {
    let services = files::read_overview(root);
    if services.is_empty() {
        return format!("no supervised services ({CONFIG_DIR} is empty)\n");
    }
    services_table(&services, &chrono::Local, colour)
}

fn state_colour(state: ServiceState) -> Option<Colour> {
    match state {
        ServiceState::Supervised => Some(Colour::Green),
        ServiceState::Restarting | ServiceState::ShuttingDown => Some(Colour::Yellow),
        ServiceState::GivenUp => Some(Colour::Red),
        ServiceState::Stopped | ServiceState::Unknown => Some(Colour::Dim),
    }
}

/// The supervised services as a table (`--list`), failure times in the
/// time zone `zone`, then a line on what to do for each mark that appears.
fn services_table<Zone: TimeZone>(services: &[ServiceView], zone: &Zone, colour: bool) -> String
where
    Zone::Offset: std::fmt::Display,
{
    let mut table = Table::new(
        &["SERVICE", "PID", "STATE", "RESTARTS", "LAST FAILURE"],
        &[false, true, false, true, false],
    );
    for service in services {
        let mut state = service.state.describe().to_string();
        if service.settings_rejected {
            state.push('*');
        }
        let failure = service.last_failure.as_ref().map_or_else(
            || "-".to_string(),
            |failure| format!("{} {}", failure_time(failure.at, zone), failure.cause),
        );
        let state = match state_colour(service.state) {
            Some(c) => Cell::coloured(state, c),
            None => Cell::plain(state),
        };
        table.push(vec![
            Cell::plain(&service.name),
            Cell::plain(
                service
                    .pid
                    .map_or_else(|| "-".to_string(), |pid| pid.to_string()),
            ),
            state,
            Cell::plain(service.restarts.to_string()),
            Cell::plain(failure),
        ]);
    }
    let mut text = table.render(colour);
    if services.iter().any(|s| s.state == ServiceState::GivenUp) {
        text.push_str(
            "given up: too many restarts within its limit; re-arm with \
             'vinit supervise NAME' or 'service NAME start'\n",
        );
    }
    if services.iter().any(|s| s.settings_rejected) {
        text.push_str(&format!(
            "*: its file in {CONFIG_DIR} has errors ('vinit check' lists them); \
             init keeps the last good settings\n"
        ));
    }
    text
}

/// A failure's wall-clock second in the time zone `zone`.
fn failure_time<Zone: TimeZone>(secs: u64, zone: &Zone) -> String
where
    Zone::Offset: std::fmt::Display,
{
    failure_datetime(secs, zone).map_or_else(
        || "?".to_string(),
        |time| time.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// A failure's wall-clock second (seconds since the epoch) as a time in
/// the zone `zone`.
pub(crate) fn failure_datetime<Zone: TimeZone>(secs: u64, zone: &Zone) -> Option<DateTime<Zone>> {
    let time = DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)?;
    Some(time.with_timezone(zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervise_writes_and_list_shows() {
        let root = tempfile::tempdir().expect("tempdir");
        let root = root.path();
        std::fs::create_dir_all(under(root, "/etc/init.d")).expect("mkdir");
        std::fs::write(under(root, "/etc/init.d/web"), "PIDFILE=/run/w.pid\n").expect("script");
        assert_eq!(supervise(root, "nope", None), 1);
        assert_eq!(supervise(root, "web", Some("relative")), 2);
        assert_eq!(supervise(root, "web", Some("/run/web/web.pid")), 0);
        assert_eq!(
            std::fs::read_to_string(settings_path(root, "web")).expect("written"),
            "pidfile=/run/web/web.pid\n"
        );
        // Rewriting keeps the settings.
        assert_eq!(supervise(root, "web", None), 0);
        assert_eq!(
            files::supervised(root, "web").and_then(|config| config.pidfile),
            Some(PathBuf::from("/run/web/web.pid"))
        );
        let table = list(root, false);
        assert_eq!(
            table,
            "SERVICE  PID  STATE                  RESTARTS  LAST FAILURE\n\
             web        -  not yet known to init         0  -\n"
        );
        assert_eq!(unsupervise(root, "web"), 0);
        assert_eq!(files::supervised(root, "web"), None);
        assert_eq!(unsupervise(root, "web"), 1);
        assert_eq!(
            list(root, false),
            "no supervised services (/etc/vinit/supervise.d is empty)\n"
        );
    }
}
