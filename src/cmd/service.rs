//! `service`: run an `/etc/init.d` script in a predictable environment
//! (docs/compatibility.md §9; Debian init-system-helpers 1.65.2 `/usr/sbin/service`).
//!
//! The argument loop is a literal port of Debian's shell script, quirks
//! included: `--help`/`--version` are honoured anywhere on the line,
//! `--status-all` only as the sole argument, and `NAME --full-restart` only as
//! the last two words. Deliberate differences, documented in service(8):
//! * no systemd mapping: this is the `service` of a SysV init, so
//!   `/run/systemd/system` is neither consulted nor created;
//! * COMMAND and OPTIONS are word-split as the script does with `${ACTION}
//!   ${OPTIONS}`, but not pathname-expanded (the shell would glob them in `/`).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::cgroup::{Leaf, Tree};
use crate::defaults::SERVICE_ENVIRONMENT;
use crate::services::apply::{self, Cgroup};
use crate::sys::spawn::Attributes;

/// Where the init scripts live.
const SERVICE_DIR: &str = "/etc/init.d";

/// Debian's version string, kept so that scripts parsing it keep working.
const DEBIAN_VERSION: &str = "1.65.2+deb12u1";

/// What `--help` adds to Debian's usage line (on standard error, as Debian's prints it).
const EXIT_STATUS: &str = "\
Exit status: the script's; 1 without arguments, or when /etc/init.d has no
executable script of that name; 126 when the script cannot be executed, 127
when it or its interpreter does not exist; 0 for --status-all.";

/// `/etc/init.d` entries `--status-all` never runs (Debian's two skip lists
/// merged), and the suffixes of package-manager leftovers it skips too.
const STATUS_ALL_SKIPPED: [&str; 12] = [
    "functions",
    "halt",
    "killall",
    "single",
    "linuxconf",
    "kudzu",
    "skeleton",
    "README",
    "rc",
    "rcS",
    "reboot",
    "bootclean.sh",
];
const STATUS_ALL_SKIPPED_SUFFIXES: [&str; 2] = [".dpkg-dist", ".dpkg-old"];

pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let me = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "service".to_string());
    let usage = format!(
        "Usage: {me} < option > | --status-all | [ service_name [ command | --full-restart ] ]"
    );
    let words = args.get(1..).unwrap_or_default();
    if words.is_empty() {
        eprintln!("{usage}");
        return 1;
    }
    if let Err(e) = std::env::set_current_dir("/") {
        eprintln!("{me}: cannot change directory to /: {e}");
    }

    let mut service: Option<&OsStr> = None;
    let mut action: Option<&OsStr> = None;
    // The command and its options are passed to the script as the bytes
    // they are, as the shell script passes them.
    let mut options: Vec<u8> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let remaining = words.len() - i;
        if word == "--help" || word == "-h" || word.as_bytes().starts_with(b"--h") {
            eprintln!("{usage}\n\n{EXIT_STATUS}");
            return 0;
        }
        if word == "--version" || word == "-V" {
            eprintln!("{me} ver. {DEBIAN_VERSION}");
            return 0;
        }
        // The script tests `-z "$SERVICE"`, so an empty word leaves it unset.
        let unset = |v: Option<&OsStr>| v.is_none_or(OsStr::is_empty);
        if unset(service) && remaining == 1 && word == "--status-all" {
            status_all(&me);
            return 0;
        } else if remaining == 2 && words.get(i + 1).is_some_and(|w| w == "--full-restart") {
            service = Some(word);
            let Some(name) = service_name(&me, word) else {
                return 1;
            };
            let script = script_path(name);
            if is_executable(&script) {
                log::debug!(
                    "--full-restart: {} stop, then start (the status is start's)",
                    script.display()
                );
                let supervised = crate::services::files::supervised(Path::new("/"), name);
                if let Some(config) = &supervised {
                    crate::services::files::mark_stop(Path::new("/"), name, config);
                    let _ = crate::services::files::mark_start(Path::new("/"), name);
                }
                // Debian ignores stop's status and exits with start's.
                let placement = placement(&me, name, true);
                run_and_wait(&me, &script, &[OsStr::new("stop")], &placement);
                let status = run_and_wait(&me, &script, &[OsStr::new("start")], &placement);
                if supervised.is_some() {
                    after_supervised(name);
                }
                return status;
            }
        } else if unset(service) {
            service = Some(word);
        } else if unset(action) {
            action = Some(word);
        } else {
            options.push(b' ');
            options.extend_from_slice(word.as_bytes());
        }
    }

    let Some(name) = service_name(&me, service.unwrap_or_default()) else {
        return 1;
    };
    let script = script_path(name);
    if !is_executable(&script) {
        log::debug!("{}: not executable or missing", script.display());
        eprintln!("{name}: unrecognized service");
        return 1;
    }
    // `${ACTION} ${OPTIONS}` unquoted: split at the default IFS characters.
    let is_ifs = |b: &u8| b" \t\n".contains(b);
    let action = action.unwrap_or_default().as_bytes();
    let argv: Vec<&OsStr> = action
        .split(is_ifs)
        .chain(options.split(is_ifs))
        .filter(|word| !word.is_empty())
        .map(OsStr::from_bytes)
        .collect();
    let starting = argv.first().is_some_and(|action| {
        ["start", "restart", "force-reload", "try-restart"].contains(&action.to_str().unwrap_or(""))
    });
    let placement = placement(&me, name, starting);
    let cgroup = placement.leaf.as_ref();
    if let Some(leaf) = cgroup {
        log::debug!("the script runs in {}", leaf.dir.display());
    }
    let supervised = crate::services::files::supervised(Path::new("/"), name);
    let stopping = argv.first().is_some_and(|action| *action == "stop");
    let settings = supervised.clone().unwrap_or_default();
    let leftovers = cgroup.filter(|_| stopping && settings.kills_leftovers(name));
    let stop_leftovers = || {
        if let Some(leaf) = leftovers {
            crate::cgroup::stop_leftovers(leaf, settings.stop_timeout, &mut |line| {
                eprintln!("{me}: {name}: {line}");
            });
        }
    };
    if let Some(config) = &supervised {
        log::debug!(
            "{name} is supervised by init: the script runs as a child, then init rereads its pid files"
        );
        run_supervised(
            &me,
            &script,
            name,
            config,
            &argv,
            &placement,
            stop_leftovers,
        )
    } else if leftovers.is_some() {
        log::debug!(
            "{name}: the script runs as a child, then what it left in its cgroup is stopped"
        );
        let status = run_and_wait(&me, &script, &argv, &placement);
        stop_leftovers();
        status
    } else {
        log::debug!("{name} is not supervised: the script replaces service (exec), no invoke-rc.d");
        exec_script(&me, &script, &argv, &placement)
    }
}

/// Where a script runs and with what: its service's cgroup, and its
/// limits (supervise.d(5)), whose cgroup settings are written now and
/// whose process attributes the script gets.
#[derive(Default)]
struct Placement {
    leaf: Option<Leaf>,
    attributes: Attributes,
}

/// The placement of a script of `name`; for an action that starts it
/// (`say`), what cannot be set is said on standard error.
fn placement(me: &str, name: &str, say: bool) -> Placement {
    let tree = Tree::find();
    let leaf = tree.as_ref().and_then(|tree| tree.leaf(name));
    let file = crate::services::files::settings_file(Path::new("/"), name);
    let controllers = tree.as_ref().map(Tree::controllers).unwrap_or_default();
    let cgroup = match &leaf {
        Some(leaf) => Cgroup::Leaf(leaf, &controllers),
        None => Cgroup::Off("vinit's init has set up no cgroup tree"),
    };
    let (attributes, reports) = apply::apply(&file.path, &file.limits, cgroup, &format!("{me}: "));
    if say {
        for line in file.dropped_lines().iter().chain(&reports) {
            eprintln!("{me}: {line}");
        }
    }
    Placement { leaf, attributes }
}

/// A service's name as text; one that is not UTF-8 is refused (it names
/// no script that `update-rc.d` or supervision could have set up).
fn service_name<'a>(me: &str, name: &'a OsStr) -> Option<&'a str> {
    match super::text_arg(name) {
        Ok(name) => Some(name),
        Err(e) => {
            eprintln!("{me}: service name {e}");
            None
        }
    }
}

/// A supervised service's script runs as a child rather than by `exec`:
/// any action but `start` and `status` first marks the running daemon as
/// stopped on purpose, and an action that starts it leaves init a start
/// mark, which re-arms the service (see supervise.d(5)); after it (and
/// `stop_leftovers`, for a stop) init is told to look at the files again.
fn run_supervised(
    me: &str,
    script: &Path,
    name: &str,
    config: &crate::services::Config,
    argv: &[&OsStr],
    placement: &Placement,
    stop_leftovers: impl FnOnce(),
) -> i32 {
    if !argv
        .first()
        .is_some_and(|action| *action == "start" || *action == "status")
    {
        log::debug!("{name}: its daemon is marked as stopped on purpose before the script runs");
        crate::services::files::mark_stop(Path::new("/"), name, config);
    }
    if argv.first().is_some_and(|action| {
        ["start", "restart", "force-reload", "try-restart"].contains(&action.to_str().unwrap_or(""))
    }) {
        log::debug!("{name}: started on purpose by root: init re-arms it");
        let _ = crate::services::files::mark_start(Path::new("/"), name);
    }
    let status = run_and_wait(me, script, argv, placement);
    // While the stop marks still name what it stops: a leftover killed is
    // part of the stop, not a crash.
    stop_leftovers();
    after_supervised(name);
    status
}

fn after_supervised(name: &str) {
    crate::services::files::unmark_alive(Path::new("/"), name);
    super::vinit::supervise::tell_init();
}

fn script_path(name: impl AsRef<OsStr>) -> PathBuf {
    // String concatenation, as the shell does: `service ''` names the directory.
    let mut path = OsString::from(SERVICE_DIR);
    path.push("/");
    path.push(name);
    PathBuf::from(path)
}

/// `[ -x FILE ]`: the caller may execute it (for root: any x bit, or a directory).
fn is_executable(path: &Path) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}

/// `env -i LANG="$LANG" … TERM="$TERM" PROGRAM ARGS`, not yet run.
fn scrubbed_command<I, A>(program: &Path, args: I) -> Command
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command.args(args).env_clear();
    let mut passed = Vec::new();
    let mut empty = Vec::new();
    for name in SERVICE_ENVIRONMENT {
        let value = std::env::var_os(name).unwrap_or_default();
        if value.is_empty() {
            empty.push(name);
        } else {
            passed.push(format!("{name}={}", value.to_string_lossy()));
        }
        command.env(name, value);
    }
    if log::log_enabled!(log::Level::Debug) {
        let words: Vec<String> = std::iter::once(program.as_os_str())
            .chain(command.get_args())
            .map(|word| word.to_string_lossy().into_owned())
            .collect();
        log::debug!("running {}", words.join(" "));
        log::debug!(
            "environment: {}; passed empty: {}; nothing else",
            if passed.is_empty() {
                "none".to_string()
            } else {
                passed.join(" ")
            },
            if empty.is_empty() {
                "none".to_string()
            } else {
                empty.join(" ")
            }
        );
    }
    command
}

/// Runs `run` on the scrubbed command for `script`; like env(1)'s execvp, a
/// file the kernel cannot execute (no `#!`) is then given to /bin/sh. The
/// commands (and any pipe ends they hold) are dropped when this returns.
fn with_shell_fallback<T>(
    script: &Path,
    args: &[&OsStr],
    placement: &Placement,
    mut run: impl FnMut(&mut Command) -> io::Result<T>,
) -> io::Result<T> {
    let in_cgroup = |mut command: Command| {
        let cgroup = placement
            .leaf
            .as_ref()
            .and_then(|leaf| leaf.directory().ok());
        crate::sys::spawn::on_exec(&mut command, cgroup, placement.attributes.clone());
        command
    };
    match run(&mut in_cgroup(scrubbed_command(script, args))) {
        Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => {
            log::debug!(
                "{}: not a program the kernel runs (no #! line): given to /bin/sh",
                script.display()
            );
            let words = std::iter::once(script.as_os_str()).chain(args.iter().copied());
            run(&mut in_cgroup(scrubbed_command(
                Path::new("/bin/sh"),
                words,
            )))
        }
        other => other,
    }
}

/// env(1)'s exit codes when it cannot run the program.
fn exec_failure_status(e: &io::Error) -> i32 {
    if e.kind() == io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}

/// Replaces this process with the script; returns only if that fails.
fn exec_script(me: &str, script: &Path, args: &[&OsStr], placement: &Placement) -> i32 {
    let err = match with_shell_fallback(script, args, placement, |c| Err::<(), _>(c.exec())) {
        Err(e) => e,
        Ok(()) => return 0,
    };
    eprintln!("{me}: {}: {err}", script.display());
    exec_failure_status(&err)
}

/// Runs the script to completion with the caller's stdio; the shell's `$?`.
fn run_and_wait(me: &str, script: &Path, args: &[&OsStr], placement: &Placement) -> i32 {
    match with_shell_fallback(script, args, placement, |c| c.status()) {
        Ok(status) => shell_status(status),
        Err(e) => {
            eprintln!("{me}: {}: {e}", script.display());
            exec_failure_status(&e)
        }
    }
}

/// The shell's view of an exit status: the code, or 128 + the signal.
fn shell_status(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

fn is_skipped_for_status_all(name: &OsStr) -> bool {
    let name = name.as_bytes();
    STATUS_ALL_SKIPPED
        .iter()
        .any(|skipped| skipped.as_bytes() == name)
        || STATUS_ALL_SKIPPED_SUFFIXES
            .iter()
            .any(|suffix| name.ends_with(suffix.as_bytes()))
}

/// `service --status-all`: one line per script, in the shell's glob order.
fn status_all(me: &str) {
    let tree = Tree::find();
    let mut names: Vec<OsString> = match std::fs::read_dir(SERVICE_DIR) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .filter(|n| !n.as_bytes().starts_with(b"."))
            .collect(),
        Err(e) => {
            eprintln!("{me}: cannot read {SERVICE_DIR}: {e}");
            return;
        }
    };
    // dash sorts glob results bytewise, whatever the locale.
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for file_name in names {
        let script = script_path(&file_name);
        if is_skipped_for_status_all(&file_name) {
            log::debug!(
                "--status-all: {} skipped, as Debian's service skips it",
                file_name.to_string_lossy()
            );
            continue;
        }
        let name = file_name.to_string_lossy();
        if !is_executable(&script) {
            log::debug!("--status-all: {name} skipped: not executable");
            continue;
        }
        let placement = Placement {
            leaf: tree.as_ref().and_then(|tree| tree.leaf(&name)),
            attributes: Attributes::default(),
        };
        let (status, output) = capture_status(&script, &placement);
        log::debug!(
            "--status-all: {name} status: exit status {status}, {} byte(s) of output",
            output.len()
        );
        let line = status_all_line(&name, status, &output);
        // Flush each line so stdout and stderr lines interleave as they happen.
        let written = match line {
            StatusLine::Unknown(text) => writeln!(io::stderr(), "{text}"),
            StatusLine::Known(text) => {
                writeln!(io::stdout(), "{text}").and_then(|()| io::stdout().flush())
            }
        };
        if written.is_err() {
            return;
        }
    }
}

enum StatusLine {
    /// ` [ ? ]  NAME`, on stderr.
    Unknown(String),
    /// ` [ + ]  NAME` or ` [ - ]  NAME`, on stdout.
    Known(String),
}

/// Debian's verdict on one `SCRIPT status`: `out=$(… 2>&1)` keeps the output
/// without its trailing newlines; "usage:" anywhere (any case) means the script
/// has no status action; else running needs exit 0 and some output.
fn status_all_line(name: &str, status: i32, output: &[u8]) -> StatusLine {
    let text = String::from_utf8_lossy(output);
    let text = text.trim_end_matches('\n');
    if text.to_ascii_lowercase().contains("usage:") {
        StatusLine::Unknown(format!(" [ ? ]  {name}"))
    } else if status == 0 && !text.is_empty() {
        StatusLine::Known(format!(" [ + ]  {name}"))
    } else {
        StatusLine::Known(format!(" [ - ]  {name}"))
    }
}

/// Runs `SCRIPT status` with stdout and stderr on one pipe, as `$(… 2>&1)`
/// does, and returns its status and everything it wrote.
fn capture_status(script: &Path, placement: &Placement) -> (i32, Vec<u8>) {
    let spawned = with_shell_fallback(script, &[OsStr::new("status")], placement, |command| {
        let (reader, writer) = io::pipe()?;
        command
            .stdout(Stdio::from(writer.try_clone()?))
            .stderr(Stdio::from(writer));
        Ok((command.spawn()?, reader))
    });
    match spawned {
        Ok((mut child, mut reader)) => {
            let mut output = Vec::new();
            // A read error just ends the output early; the status still counts.
            let _ = reader.read_to_end(&mut output);
            match child.wait() {
                Ok(status) => (shell_status(status), output),
                Err(e) => (1, e.to_string().into_bytes()),
            }
        }
        // env(1) would have printed its complaint into the captured output.
        Err(e) => (
            exec_failure_status(&e),
            format!("env: '{}': {e}", script.display()).into_bytes(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(status: i32, output: &str) -> String {
        match status_all_line("x", status, output.as_bytes()) {
            StatusLine::Unknown(l) => format!("stderr:{l}"),
            StatusLine::Known(l) => format!("stdout:{l}"),
        }
    }

    #[test]
    fn status_all_verdicts_follow_debian() {
        assert_eq!(verdict(0, "x is running\n"), "stdout: [ + ]  x");
        assert_eq!(verdict(3, "x is not running\n"), "stdout: [ - ]  x");
        // Exit 0 but nothing said (newlines only) is not "running".
        assert_eq!(verdict(0, "\n\n"), "stdout: [ - ]  x");
        assert_eq!(verdict(1, ""), "stdout: [ - ]  x");
        // Any case, any exit status, anywhere in the output.
        assert_eq!(verdict(0, "ok\nUSAGE: x {start}\n"), "stderr: [ ? ]  x");
        assert_eq!(
            verdict(3, "Usage: /etc/init.d/x {start|stop}"),
            "stderr: [ ? ]  x"
        );
    }

    #[test]
    fn status_all_skip_list() {
        for skipped in [
            "README",
            "rc",
            "rcS",
            "skeleton",
            "halt",
            "functions",
            "x.dpkg-old",
            "y.dpkg-dist",
        ] {
            assert!(is_skipped_for_status_all(OsStr::new(skipped)), "{skipped}");
        }
        for kept in ["ssh", "rc.local", "halt2", "dpkg-old", "x.dpkg-new"] {
            assert!(!is_skipped_for_status_all(OsStr::new(kept)), "{kept}");
        }
    }

    #[test]
    fn shell_status_of_signals() {
        assert_eq!(shell_status(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(shell_status(ExitStatus::from_raw(15)), 128 + 15);
    }
}
