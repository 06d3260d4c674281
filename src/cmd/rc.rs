//! `rc [-j JOBS] [-t SECONDS] [--root DIR] [LEVEL]`: runs `/etc/rc<LEVEL>.d`
//! as Debian's `/etc/init.d/rc` does, in parallel (see `crate::rc`, rc.8).
//!
//! Each setting comes from, in order of precedence: the option, the
//! environment (`VINIT_RC_JOBS`, `VINIT_RC_TIMEOUT`, `VINIT_ROOT`),
//! `/etc/default/vinit-rc` (same names), the default. LEVEL defaults to
//! `$RUNLEVEL`; the previous level is `$PREVLEVEL`, else `N`.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::OsString;
use std::path::PathBuf;

use crate::defaults::DEFAULT_PATH;
use crate::getopt::{self, LongError, LongOpt, Mode, Opt};
use crate::rc::{self, Config, settings};
use crate::runlevel::{Phase, Runlevel, previous_char};

const USAGE: &str = "Usage: rc [-j jobs] [-t seconds] [--root dir] <runlevel>";

/// Parsed command line; `None` fields were not given.
#[derive(Default)]
struct Options {
    jobs: Option<String>,
    timeout: Option<String>,
    /// A path: any bytes.
    root: Option<OsString>,
    level: Option<String>,
}

const LONG_OPTIONS: &[LongOpt] = &[
    LongOpt::value("jobs").for_letter('j'),
    LongOpt::value("timeout").for_letter('t'),
    LongOpt::value("root"),
];

/// The value of an option that must be text.
fn text(option: &str, value: Option<OsString>) -> Result<Option<String>, String> {
    value
        .map(|value| {
            super::text_arg(&value)
                .map(str::to_string)
                .map_err(|e| format!("{option}: {e}"))
        })
        .transpose()
}

fn parse(args: &[OsString]) -> Result<Options, String> {
    let parsed = getopt::parse_long(Mode::Gnu, args, "j:t:", LONG_OPTIONS);
    let mut o = Options::default();
    for opt in parsed.opts {
        match opt {
            Opt::Flag('j', value) => o.jobs = text("-j", value)?,
            Opt::Flag('t', value) => o.timeout = text("-t", value)?,
            Opt::Long("root", value) => o.root = value,
            Opt::Flag(letter, _) | Opt::Unknown(letter) => {
                return Err(format!("unknown option -{letter}"));
            }
            Opt::MissingArgument(letter) => {
                return Err(format!("option -{letter} needs an argument"));
            }
            Opt::Long(name, _) => return Err(format!("unknown option --{name}")),
            Opt::BadLong(LongError::UnexpectedValue(name)) => {
                return Err(format!("option --{name} takes no value"));
            }
            Opt::BadLong(LongError::MissingValue(name)) => {
                return Err(format!("option --{name} needs an argument"));
            }
            Opt::BadLong(LongError::Unknown(name)) => {
                return Err(format!("unknown option --{name}"));
            }
        }
    }
    // On the command line a bad number is a usage error; from the
    // environment or the defaults file it is ignored with a message (a
    // boot goes on).
    if let Some(jobs) = &o.jobs
        && jobs_value(jobs).is_none()
    {
        return Err(format!("-j {jobs}: want a number of scripts above 0"));
    }
    if let Some(timeout) = &o.timeout
        && settings::timeout_value(timeout).is_none()
    {
        return Err(format!("-t {timeout}: want seconds, 0 for none"));
    }
    let mut operands = parsed.operands.into_iter();
    o.level = text("runlevel", operands.next())?;
    match operands.next() {
        Some(extra) => Err(format!("unexpected argument {}", extra.to_string_lossy())),
        None => Ok(o),
    }
}

/// Scripts at a time: above 0 (and within `usize`).
fn jobs_value(text: &str) -> Option<usize> {
    text.trim().parse().ok().filter(|&n| n > 0)
}

const HELP: &str = "\
Runs the init scripts of /etc/rc<LEVEL>.d as Debian's /etc/init.d/rc does, in parallel,
in the order of their LSB headers' dependencies.

  LEVEL               0-9 or S (default: $RUNLEVEL); the previous level is $PREVLEVEL
  -j, --jobs N        scripts at a time (VINIT_RC_JOBS)
  -t, --timeout SEC   seconds a script may run, 0 for no limit (VINIT_RC_TIMEOUT)
  --root DIR          run the scripts of DIR/etc (VINIT_ROOT)
Settings also come from /etc/default/vinit-rc.

Exit status: 0 when no script failed; 1 when a script failed or timed out, or on
a usage error.
See rc(8).
";

pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let rest = args.get(1..).unwrap_or_default();
    if let Some(code) = super::help_or_version("rc", rest, || format!("{USAGE}\n{HELP}")) {
        return code;
    }
    let options = match parse(args.get(1..).unwrap_or(&[])) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rc: {e}\n{USAGE}");
            return 1;
        }
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let level_given = options.level.is_some();
    let Some(level) = options.level.or_else(|| env("RUNLEVEL")) else {
        eprintln!("{USAGE}");
        return 1;
    };
    let previous_text = env("PREVLEVEL");
    log::debug!(
        "level {level} ({}), previous {} ({})",
        if level_given {
            "from the command line"
        } else {
            "from $RUNLEVEL"
        },
        previous_text.as_deref().unwrap_or("N"),
        if previous_text.is_some() {
            "from $PREVLEVEL"
        } else {
            "$PREVLEVEL unset: a boot"
        }
    );
    // Debian's rc does nothing without /etc/rc<level>.d: nothing that is
    // not a level has one.
    let Some(level) = Runlevel::from_text(&level) else {
        log::debug!("{level:?} is not a runlevel (0-9, S): nothing to run");
        return 0;
    };
    let previous = match previous_text.as_deref() {
        None | Some("N") => None,
        Some(text) => {
            let mut chars = text.chars();
            match (chars.next().and_then(Phase::from_char), chars.next()) {
                (Some(phase @ (Phase::Level(_) | Phase::Sysinit | Phase::Boot)), None) => {
                    Some(phase)
                }
                _ => {
                    eprintln!("rc: ignoring PREVLEVEL \"{text}\" (not a runlevel): as at boot");
                    None
                }
            }
        }
    };
    let root = PathBuf::from(
        options
            .root
            .or_else(|| std::env::var_os("VINIT_ROOT").filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "/".into()),
    );
    log::debug!("root {}", root.display());
    let defaults_file = root.join(settings::DEFAULTS_FILE.trim_start_matches('/'));
    let defaults = settings::read_defaults(&defaults_file);
    log::debug!("{}: {} setting(s)", defaults_file.display(), defaults.len());

    let jobs = match settings::lookup(
        "VINIT_RC_JOBS",
        options.jobs,
        env("VINIT_RC_JOBS"),
        &defaults,
    ) {
        None => {
            log::debug!(
                "jobs {} (the default: 4 per CPU, at least 8)",
                rc::default_jobs()
            );
            rc::default_jobs()
        }
        Some((v, from)) => match jobs_value(&v) {
            Some(n) => {
                log::debug!("jobs {n} (from {})", from.describe("VINIT_RC_JOBS"));
                n
            }
            None => {
                eprintln!("rc: ignoring jobs value \"{v}\" (want a number above 0)");
                rc::default_jobs()
            }
        },
    };
    let timeout = settings::timeout(options.timeout, env(settings::TIMEOUT), &defaults);
    if let Some(v) = &timeout.ignored {
        eprintln!("rc: ignoring timeout value \"{v}\" (want seconds, 0 for none)");
    }
    let from = timeout.from.map_or_else(
        || "the default".to_string(),
        |from| format!("from {}", from.describe(settings::TIMEOUT)),
    );
    match timeout.value {
        Some(limit) => log::debug!("timeout {} s per script ({from})", limit.as_secs()),
        None => log::debug!("no timeout (0 {from})"),
    }
    let timeout = timeout.value;
    let cmdline =
        crate::untrusted::read_text(&root.join("proc/cmdline"), crate::untrusted::Kind::Kernel)
            .unwrap_or_default();
    let sequential = rc::cmdline_wants_sequential(&cmdline);
    if sequential {
        log::debug!(
            "one script at a time, in link order: concurrency=none on the kernel command line"
        );
    }

    // sysv-rc's environment for the scripts: fixed PATH, the levels, and
    // what init passed for the console.
    let mut script_env = vec![
        ("PATH".to_string(), DEFAULT_PATH.to_string()),
        ("runlevel".to_string(), level.to_string()),
        ("previous".to_string(), previous_char(previous).to_string()),
        ("RUNLEVEL".to_string(), level.to_string()),
        ("PREVLEVEL".to_string(), previous_char(previous).to_string()),
        (
            "VERBOSE".to_string(),
            env("VERBOSE").unwrap_or_else(|| "no".to_string()),
        ),
    ];
    for name in ["CONSOLE", "TERM", "INIT_VERSION"] {
        if let Some(v) = env(name) {
            script_env.push((name.to_string(), v));
        }
    }
    rc::execute(&Config {
        root,
        level,
        previous,
        jobs,
        sequential,
        timeout,
        env: script_env,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn options() {
        let o = parse(&args("-j 3 --timeout=9 --root /tmp/x 2")).unwrap();
        assert_eq!(
            (
                o.jobs.as_deref(),
                o.timeout.as_deref(),
                o.root.as_deref().and_then(|r| r.to_str()),
                o.level.as_deref()
            ),
            (Some("3"), Some("9"), Some("/tmp/x"), Some("2"))
        );
        let o = parse(&args("-j4 -t5 S")).unwrap();
        assert_eq!(
            (o.jobs.as_deref(), o.timeout.as_deref()),
            (Some("4"), Some("5"))
        );
        assert!(parse(&args("-x 2")).is_err());
        assert!(parse(&args("2 3")).is_err());
        assert!(parse(&args("-j")).is_err());
    }

    #[test]
    fn bad_numbers_and_bytes_on_the_command_line() {
        use std::os::unix::ffi::OsStrExt;
        for line in [
            "-j 0 2",
            "-j 99999999999999999999999 2",
            "-t 99999999999999999999999 2",
            "-t -1 2",
            "--jobs=x 2",
        ] {
            assert!(parse(&args(line)).is_err(), "{line}");
        }
        assert!(parse(&args("-t 0 -j 1 2")).is_ok());
        let level = std::ffi::OsStr::from_bytes(b"2\xff").to_os_string();
        assert_eq!(
            parse(&[level]).err().as_deref(),
            Some(r#"runlevel: "2\xFF" is not UTF-8 text"#)
        );
        // A root is a path: its bytes are kept.
        let root = std::ffi::OsStr::from_bytes(b"/tmp/\xff").to_os_string();
        let o = parse(&["--root".into(), root.clone(), "2".into()]).unwrap();
        assert_eq!(o.root, Some(root));
    }
}
