//! `vinit supervise NAME [--pidfile PATH]`, `vinit unsupervise NAME`,
//! `vinit supervise --list`, `vinit supervise --reload`: the files of
//! supervise.d(5), and telling init about them (`vinit check` validates the
//! files: `cmd::vinit::check`).

use std::path::{Path, PathBuf};

use crate::supervise::config::{self, Config};
use crate::supervise::files::{self, under};
use crate::supervise::{CONFIG_DIR, Phase, RELOAD_SIGNAL_OFFSET, STATE_FILE, state, valid_name};

const USAGE: &str = "\
Usage: vinit supervise NAME [--pidfile PATH]
       vinit supervise --list
       vinit supervise --reload
       vinit unsupervise NAME";

pub fn main(args: Vec<String>) -> i32 {
    let command = args.first().map(String::as_str).unwrap_or("supervise");
    let words: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let root = Path::new("/");
    match (command, words.as_slice()) {
        (_, ["--help" | "-h"]) => {
            println!("{USAGE}");
            0
        }
        ("supervise", ["--list"]) => {
            print!("{}", list(root));
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
            eprintln!("{USAGE}");
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
    let mut config = match std::fs::read_to_string(&path) {
        Ok(text) => match config::parse(&text) {
            Ok(config) => config,
            Err(problems) => {
                for problem in problems {
                    eprintln!("{}:{problem}", path.display());
                }
                return 1;
            }
        },
        Err(_) => Config::default(),
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
/// PID 1 is vinit: another init may give that signal another meaning.
pub fn tell_init() {
    let init = std::fs::read_link("/proc/1/exe").unwrap_or_default();
    let is_vinit = init
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with("vinit"));
    if is_vinit {
        let signal = libc::SIGRTMIN() + RELOAD_SIGNAL_OFFSET;
        let _ = crate::sys::process::send_signal_number(1, signal);
    }
}

/// The table of `vinit supervise --list`.
pub fn list(root: &Path) -> String {
    let configs = files::read_configs(root);
    let mut saved = std::fs::read_to_string(under(root, STATE_FILE))
        .map(|text| state::parse(&text).0)
        .unwrap_or_default();
    let mut rows = vec![[
        "SERVICE".to_string(),
        "PID".to_string(),
        "STATE".to_string(),
        "RESTARTS".to_string(),
        "LAST FAILURE".to_string(),
    ]];
    for (name, file) in &configs {
        let config = file.parsed.clone().unwrap_or_default();
        let pid = files::read_pid(root, &files::pidfile_of(root, name, &config))
            .filter(|&pid| files::is_alive(pid));
        // A daemon started again since it stopped is supervised again,
        // whether or not init has looked at its pid file yet.
        if let Some(pid) = pid {
            saved.seen(name, pid);
        }
        let service = saved.services.get(name);
        let state = match service.map(|service| &service.phase) {
            None => "not yet known to init",
            Some(_) if saved.shutting_down => "shutting down",
            Some(Phase::Watching) => "supervised",
            Some(Phase::Stopped { .. }) => "stopped",
            Some(Phase::Waiting { .. } | Phase::Restarting { .. }) => "restarting",
            Some(Phase::GivenUp { .. }) => "given up",
        };
        let state = if file.parsed.is_err() {
            format!("{state} (file has errors)")
        } else {
            state.to_string()
        };
        let failure = service
            .and_then(|service| service.last_failure.as_ref())
            .map_or_else(
                || "-".to_string(),
                |failure| format!("{} {}", local_time(failure.at), failure.cause),
            );
        rows.push([
            name.clone(),
            pid.map_or_else(|| "-".to_string(), |pid| pid.to_string()),
            state,
            service.map_or(0, |service| service.restarts).to_string(),
            failure,
        ]);
    }
    if configs.is_empty() {
        return format!("no supervised services ({CONFIG_DIR} is empty)\n");
    }
    let widths: Vec<usize> = (0..4)
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in &rows {
        for (cell, width) in row.iter().zip(&widths) {
            text.push_str(&format!("{cell:<width$}  "));
        }
        text.push_str(&row[4]);
        text.push('\n');
    }
    text
}

fn local_time(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(
            || "?".to_string(),
            |time| {
                time.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
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
        let table = list(root);
        assert!(table.starts_with("SERVICE  PID  STATE"), "{table}");
        assert!(
            table.contains("web      -    not yet known to init  0"),
            "{table}"
        );
        assert_eq!(unsupervise(root, "web"), 0);
        assert_eq!(files::supervised(root, "web"), None);
        assert_eq!(unsupervise(root, "web"), 1);
    }
}
