//! rc's settings (rc.8): where each comes from and what its value may be.
//! A setting comes from rc's option, else the environment, else
//! `/etc/default/vinit-rc`, else its default.
//!
//! PID 1 reads the timeout too: a supervised service's restart runs its
//! script under the timeout rc would give it ([`timeout`], the one rule for
//! both).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// rc's defaults file (`KEY=value` lines, the settings' own names).
pub(crate) const DEFAULTS_FILE: &str = "/etc/default/vinit-rc";

/// The name of the per-script timeout setting, in the environment and the
/// defaults file.
pub(crate) const TIMEOUT: &str = "VINIT_RC_TIMEOUT";

/// Default per-script timeout; a script still running after it is killed.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    CommandLine,
    Environment,
    DefaultsFile,
}

impl Source {
    /// For the debug log: `VINIT_RC_TIMEOUT in the environment`.
    pub(crate) fn describe(self, name: &str) -> String {
        match self {
            Source::CommandLine => "the command line".to_string(),
            Source::Environment => format!("{name} in the environment"),
            Source::DefaultsFile => format!("{name} in {DEFAULTS_FILE}"),
        }
    }
}

/// A setting's value as given, and where it came from: the option's
/// (`option`), else the environment's (`env`; empty counts as unset),
/// else the defaults file's.
pub(crate) fn lookup(
    name: &str,
    option: Option<String>,
    env: Option<String>,
    defaults: &BTreeMap<String, String>,
) -> Option<(String, Source)> {
    option
        .map(|value| (value, Source::CommandLine))
        .or_else(|| {
            env.filter(|value| !value.is_empty())
                .map(|value| (value, Source::Environment))
        })
        .or_else(|| {
            defaults
                .get(name)
                .map(|value| (value.clone(), Source::DefaultsFile))
        })
}

/// A timeout's text: seconds, 0 for none (`Some(None)`); `None` when it is
/// not a number of seconds.
pub(crate) fn timeout_value(text: &str) -> Option<Option<Duration>> {
    let seconds: u64 = text.trim().parse().ok()?;
    Some((seconds > 0).then(|| Duration::from_secs(seconds)))
}

/// A setting once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved<T> {
    pub value: T,
    /// Where the value came from; `None`: it is the default.
    pub from: Option<Source>,
    /// A value that was given but is no value of the setting: ignored for
    /// the default, with a message from the caller.
    pub ignored: Option<String>,
}

/// rc's per-script timeout (`None`: no limit), from `-t` (`option`),
/// `VINIT_RC_TIMEOUT` in the environment (`env`) or in the defaults file,
/// as [`lookup`] finds it; [`DEFAULT_TIMEOUT`] when none is given or the
/// one given is not a number of seconds.
pub(crate) fn timeout(
    option: Option<String>,
    env: Option<String>,
    defaults: &BTreeMap<String, String>,
) -> Resolved<Option<Duration>> {
    let default = Resolved {
        value: Some(DEFAULT_TIMEOUT),
        from: None,
        ignored: None,
    };
    match lookup(TIMEOUT, option, env, defaults) {
        None => default,
        Some((text, from)) => match timeout_value(&text) {
            Some(value) => Resolved {
                value,
                from: Some(from),
                ignored: None,
            },
            None => Resolved {
                ignored: Some(text),
                ..default
            },
        },
    }
}

/// `KEY=value` lines of a shell-style defaults file such as
/// [`DEFAULTS_FILE`] (comments, `export` and simple quotes allowed).
pub(crate) fn read_defaults(path: &Path) -> BTreeMap<String, String> {
    let text =
        crate::untrusted::read_text(path, crate::untrusted::Kind::Settings).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            if line.starts_with('#') {
                return None;
            }
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some((key.trim().to_string(), value.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(timeout: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(TIMEOUT.to_string(), timeout.to_string())])
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    #[test]
    fn the_option_then_the_environment_then_the_file() {
        let file = defaults("7");
        let timeout = |option, env| {
            let resolved = super::timeout(option, env, &file);
            (resolved.value.map(|t| t.as_secs()), resolved.from)
        };
        assert_eq!(
            timeout(some("5"), some("6")),
            (Some(5), Some(Source::CommandLine))
        );
        assert_eq!(
            timeout(None, some("6")),
            (Some(6), Some(Source::Environment))
        );
        assert_eq!(timeout(None, None), (Some(7), Some(Source::DefaultsFile)));
        // An empty variable is unset, as for the shell's `[ "$X" ]`.
        assert_eq!(
            timeout(None, some("")),
            (Some(7), Some(Source::DefaultsFile))
        );
    }

    #[test]
    fn zero_is_no_limit_and_a_bad_value_the_default() {
        let none = BTreeMap::new();
        assert_eq!(
            timeout(None, None, &none),
            Resolved {
                value: Some(DEFAULT_TIMEOUT),
                from: None,
                ignored: None
            }
        );
        assert_eq!(timeout(None, some(" 0 "), &none).value, None);
        assert_eq!(
            timeout(None, some("60"), &none).value,
            Some(Duration::from_secs(60))
        );
        for bad in ["-1", "1.5", "x", "99999999999999999999999"] {
            let resolved = timeout(None, None, &defaults(bad));
            assert_eq!(
                (resolved.value, resolved.ignored.as_deref()),
                (Some(DEFAULT_TIMEOUT), Some(bad)),
                "{bad}"
            );
        }
        // The largest number of seconds is a deadline PID 1 must not
        // overflow (services' `an_unrepresentable_rc_timeout…` test).
        assert_eq!(
            timeout(None, some(&u64::MAX.to_string()), &none).value,
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn defaults_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vinit-rc");
        std::fs::write(
            &path,
            "# c\nVINIT_RC_JOBS=3\nexport VINIT_RC_TIMEOUT=\"60\"\nX='a b'\n",
        )
        .unwrap();
        let d = read_defaults(&path);
        assert_eq!(d["VINIT_RC_JOBS"], "3");
        assert_eq!(d[TIMEOUT], "60");
        assert_eq!(d["X"], "a b");
        assert!(read_defaults(&dir.path().join("absent")).is_empty());
    }
}
