//! What an init script's daemon is, found from the script's text without
//! running it.
//!
//! Its pid file, in order: a `PIDFILE=` assignment; the path given to
//! `--pidfile` (or to `-p` of start-stop-daemon and the LSB functions
//! `start_daemon`, `killproc`, `pidofproc`, `status_of_proc`), with
//! `$VAR`/`${VAR}` taken from the script's own plain assignments; else
//! `/run/NAME.pid`.
//!
//! Its program (to check the process a pid file names): a `DAEMON=`
//! assignment, else the path given to start-stop-daemon's `--exec`/`-x`
//! or `--startas`/`-a`; else none.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Commands whose `-p` option names the pid file.
const P_OPTION_COMMANDS: [&str; 5] = [
    "start-stop-daemon",
    "start_daemon",
    "killproc",
    "pidofproc",
    "status_of_proc",
];

/// An option whose value is a path: its long name, and its short one with
/// the commands that give the short one that meaning.
struct PathOption {
    long: &'static str,
    short: &'static str,
    short_for: &'static [&'static str],
}

const PIDFILE_OPTION: PathOption = PathOption {
    long: "--pidfile",
    short: "-p",
    short_for: &P_OPTION_COMMANDS,
};

const PROGRAM_OPTIONS: [PathOption; 2] = [
    PathOption {
        long: "--exec",
        short: "-x",
        short_for: &["start-stop-daemon"],
    },
    PathOption {
        long: "--startas",
        short: "-a",
        short_for: &["start-stop-daemon"],
    },
];

/// The pid file of service `name` whose init script is `script`.
pub(crate) fn discover(name: &str, script: &str) -> PathBuf {
    let vars = assignments(script);
    if let Some(path) = vars.get("PIDFILE").filter(|path| path.starts_with('/')) {
        return PathBuf::from(path);
    }
    script
        .lines()
        .filter_map(|line| option_value(code_of(line), &vars, &PIDFILE_OPTION))
        .next()
        .unwrap_or_else(|| PathBuf::from(format!("/run/{name}.pid")))
}

/// The program the script starts as its daemon, if the script says.
pub(crate) fn discover_program(script: &str) -> Option<PathBuf> {
    let vars = assignments(script);
    if let Some(path) = vars.get("DAEMON").filter(|path| path.starts_with('/')) {
        return Some(PathBuf::from(path));
    }
    script.lines().find_map(|line| {
        PROGRAM_OPTIONS
            .iter()
            .find_map(|option| option_value(code_of(line), &vars, option))
    })
}

/// A line without its comment (a `#` at the start of a word).
fn code_of(line: &str) -> &str {
    let mut previous = ' ';
    for (index, c) in line.char_indices() {
        if c == '#' && previous.is_whitespace() {
            return line.get(..index).unwrap_or(line);
        }
        previous = c;
    }
    line
}

/// Shell words, quotes dropped (enough for option values in init scripts).
fn words(code: &str) -> Vec<String> {
    code.split_whitespace()
        .map(|word| word.replace(['"', '\''], ""))
        .collect()
}

/// The path given to `option` on this line, if it expands to an absolute
/// path.
fn option_value(
    code: &str,
    vars: &BTreeMap<String, String>,
    option: &PathOption,
) -> Option<PathBuf> {
    let words = words(code);
    let mut short_allowed = false;
    let mut found = None;
    let long_with_value = format!("{}=", option.long);
    for (index, word) in words.iter().enumerate() {
        if option.short_for.contains(&word.as_str()) {
            short_allowed = true;
        }
        let value = if let Some(value) = word.strip_prefix(&long_with_value) {
            Some(value.to_string())
        } else if word == option.long || (word == option.short && short_allowed) {
            words.get(index + 1).cloned()
        } else {
            None
        };
        if let Some(path) = value.and_then(|value| expand(&value, vars)) {
            found = Some(path);
            break;
        }
    }
    found
        .filter(|path| path.starts_with('/'))
        .map(PathBuf::from)
}

/// `NAME=value` lines whose value is literal after expanding earlier ones
/// (`$(...)` and backquotes are not run: such values are skipped). A later
/// literal assignment wins, as it would when the script runs top to bottom.
fn assignments(script: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in script.lines() {
        let code = code_of(line).trim();
        let code = code.strip_prefix("export ").unwrap_or(code).trim_start();
        let Some((name, value)) = code.split_once('=') else {
            continue;
        };
        let is_name = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        // One word only: `A=1 command` sets A for that command alone.
        if !is_name || value.contains(['`', '(', ' ', '\t', ';']) {
            continue;
        }
        if let Some(value) = expand(&value.replace(['"', '\''], ""), &vars) {
            vars.insert(name.to_string(), value);
        }
    }
    vars
}

/// Expands `$VAR` and `${VAR}`; `None` if a variable is unknown or the
/// text uses another expansion.
fn expand(text: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some((before, after)) = rest.split_once('$') {
        out.push_str(before);
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            braced.split_once('}')?
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            after.split_at_checked(end)?
        };
        out.push_str(vars.get(name)?);
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/initd/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn debian_scripts() {
        // A PIDFILE= assignment.
        assert_eq!(
            discover("cron", &fixture("cron")),
            PathBuf::from("/var/run/crond.pid")
        );
        // A literal --pidfile path.
        assert_eq!(
            discover("ssh", &fixture("ssh")),
            PathBuf::from("/run/sshd.pid")
        );
        // `--pidfile $PID`, PID first set by `$(...)` then literally.
        assert_eq!(
            discover("nginx", &fixture("nginx")),
            PathBuf::from("/run/nginx.pid")
        );
    }

    #[test]
    fn variables_options_and_the_default() {
        let script = "NAME=foo\nRUNDIR=/run/$NAME\n# --pidfile /wrong\nstart-stop-daemon --start -p \"${RUNDIR}/$NAME.pid\" --exec /bin/foo\n";
        assert_eq!(discover("foo", script), PathBuf::from("/run/foo/foo.pid"));
        assert_eq!(
            discover("x", "daemon --pidfile=/var/run/x/x.pid\n"),
            PathBuf::from("/var/run/x/x.pid")
        );
        // `-p` of other commands is not a pid file; an unknown variable is skipped.
        assert_eq!(
            discover("bar", "mkdir -p /run/bar\nkillproc -p $UNSET /bin/bar\n"),
            PathBuf::from("/run/bar.pid")
        );
        // `PIDFILE=` wins over options; a relative value does not count.
        assert_eq!(
            discover("baz", "PIDFILE=/run/b.pid\nx --pidfile /run/other.pid\n"),
            PathBuf::from("/run/b.pid")
        );
        assert_eq!(
            discover("baz", "PIDFILE=b.pid\n"),
            PathBuf::from("/run/baz.pid")
        );
    }

    #[test]
    fn programs_of_debian_scripts_and_options() {
        let program = |script: &str| discover_program(script);
        assert_eq!(
            program(&fixture("cron")),
            Some(PathBuf::from("/usr/sbin/cron"))
        );
        assert_eq!(
            program(&fixture("nginx")),
            Some(PathBuf::from("/usr/sbin/nginx"))
        );
        // No DAEMON=: start-stop-daemon's --exec.
        assert_eq!(
            program(&fixture("ssh")),
            Some(PathBuf::from("/usr/sbin/sshd"))
        );
        assert_eq!(
            program("B=/opt/b\nstart-stop-daemon -S -a $B/run -p /run/b.pid\n"),
            Some(PathBuf::from("/opt/b/run"))
        );
        // `-x` of another command, a relative path, or nothing: none.
        assert_eq!(program("test -x /usr/sbin/foo || exit 0\n"), None);
        assert_eq!(program("DAEMON=foo\n"), None);
        assert_eq!(program("echo hello\n"), None);
    }

    #[test]
    fn expansion() {
        let vars: BTreeMap<String, String> = [("A".to_string(), "x".to_string())].into();
        assert_eq!(expand("/$A/${A}.pid", &vars).as_deref(), Some("/x/x.pid"));
        assert_eq!(expand("/$B", &vars), None);
        assert_eq!(expand("${A", &vars), None);
    }
}
