//! `/etc/vinit/supervise.d/NAME`: empty, or `key=value` lines (see
//! supervise.d(5)). Pure: text in, settings or problems with line numbers out.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What counts as a reason to restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Only a failure (see [`super::is_failure`]).
    #[default]
    OnFailure,
    /// Any death that no stop mark or level change explains.
    Always,
    /// Never: the settings are for the service's limits and stop, and a
    /// failure is only logged.
    No,
}

impl Restart {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Restart::OnFailure => "on-failure",
            Restart::Always => "always",
            Restart::No => "no",
        }
    }
}

/// At most `count` restarts within `window`, else the service is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

/// sysvinit's respawn limit: 10 in 120 seconds.
pub(crate) const DEFAULT_LIMIT: Limit = Limit {
    count: 10,
    window: Duration::from_secs(120),
};

/// How long a service's processes get to end: after SIGTERM to what its
/// `stop` left, before SIGKILL; and a `stop` on the way to runlevel 0 or 6,
/// before it is killed with its cgroup. Longer than the longest stop
/// schedule of Debian's own scripts (nginx's QUIT/5/TERM/5/KILL/5, 15 s),
/// so that a script that escalates by itself always gets to; short enough
/// that a hung stop holds a power-off for 20 s, not minutes.
pub(crate) const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Services whose processes outlive their daemon on purpose, and whose
/// leftovers are therefore not killed after a stop unless their settings
/// say `kill_leftovers=yes`: the login sessions an ssh or inetd daemon
/// forks, the jobs cron and at run. Debian's own unit files give these
/// services `KillMode=process` for the same reason; killing them would cut
/// the session of the administrator who typed `service ssh restart`.
pub(crate) const KEEP_LEFTOVERS: [&str; 9] = [
    "ssh",
    "dropbear",
    "cron",
    "anacron",
    "atd",
    "openbsd-inetd",
    "inetutils-inetd",
    "xinetd",
    "screen-cleanup",
];

/// The settings of one supervised service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `pidfile=`; `None`: found from the init script.
    pub pidfile: Option<PathBuf>,
    pub restart: Restart,
    pub limit: Limit,
    /// Wait this long after a failure before restarting.
    pub delay: Duration,
    /// `stop_timeout=`, see [`DEFAULT_STOP_TIMEOUT`].
    pub stop_timeout: Duration,
    /// `kill_leftovers=`; `None`: the default (yes, but for
    /// [`KEEP_LEFTOVERS`]).
    pub kill_leftovers: Option<bool>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            pidfile: None,
            restart: Restart::OnFailure,
            limit: DEFAULT_LIMIT,
            delay: Duration::ZERO,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            kill_leftovers: None,
        }
    }
}

impl Config {
    /// Whether what service `name`'s `stop` leaves behind is killed.
    pub(crate) fn kills_leftovers(&self, name: &str) -> bool {
        self.kill_leftovers
            .unwrap_or_else(|| !KEEP_LEFTOVERS.contains(&name))
    }
}

/// A line of a file that was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

/// The keys a file may set, for messages.
const KEYS: &str = "pidfile, restart, limit, delay, stop_timeout, kill_leftovers, \
memory.max, memory.high, cpu.weight, pids.max, io.weight, nice, oom_score_adj, \
rlimit_nofile, rlimit_core";

/// Parses a file's supervision settings. Blank lines and `#` comments are
/// skipped, and so are the limits' keys, which [`super::limits::parse`]
/// reads (a bad one leaves out only its own setting); any other bad line
/// rejects the whole file (init then keeps the last good settings).
pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
    let mut config = Config::default();
    let mut problems = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        let mut problem = |message: String| {
            problems.push(Problem {
                line: number,
                message,
            })
        };
        let Some((key, value)) = line.split_once('=') else {
            problem(format!("expected key=value ({KEYS}), found {line:?}"));
            continue;
        };
        let value = value.trim();
        if super::limits::is_key(key.trim()) {
            continue;
        }
        match key.trim() {
            "pidfile" => {
                if value.starts_with('/') {
                    config.pidfile = Some(PathBuf::from(value));
                } else {
                    problem(format!("pidfile must be an absolute path, not {value:?}"));
                }
            }
            "restart" => match value {
                "on-failure" => config.restart = Restart::OnFailure,
                "always" => config.restart = Restart::Always,
                "no" => config.restart = Restart::No,
                _ => problem(format!(
                    "restart must be on-failure, always or no, not {value:?}"
                )),
            },
            "limit" => match parse_limit(value) {
                Some(limit) => config.limit = limit,
                None => problem(format!(
                    "limit must be COUNT/SECONDS with COUNT at least 1 (e.g. 10/120), not {value:?}"
                )),
            },
            "delay" => match value.parse::<u32>() {
                Ok(secs) => config.delay = Duration::from_secs(u64::from(secs)),
                Err(_) => problem(format!("delay must be a number of seconds, not {value:?}")),
            },
            "stop_timeout" => match value.parse::<u32>() {
                Ok(secs @ 1..=3600) => config.stop_timeout = Duration::from_secs(u64::from(secs)),
                _ => problem(format!(
                    "stop_timeout must be a number of seconds from 1 to 3600, not {value:?}"
                )),
            },
            "kill_leftovers" => match value {
                "yes" => config.kill_leftovers = Some(true),
                "no" => config.kill_leftovers = Some(false),
                _ => problem(format!("kill_leftovers must be yes or no, not {value:?}")),
            },
            other => problem(format!("unknown key {other:?} (known: {KEYS})")),
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

fn parse_limit(value: &str) -> Option<Limit> {
    let (count, secs) = value.split_once('/')?;
    let count: u32 = count.trim().parse().ok().filter(|&n| n >= 1)?;
    let secs: u32 = secs.trim().parse().ok().filter(|&s| s >= 1)?;
    Some(Limit {
        count,
        window: Duration::from_secs(u64::from(secs)),
    })
}

/// The file text `vinit supervise` writes for these settings.
pub(crate) fn render(config: &Config) -> String {
    let mut text = String::new();
    if let Some(pidfile) = &config.pidfile {
        text.push_str(&format!("pidfile={}\n", pidfile.display()));
    }
    if config.restart != Restart::OnFailure {
        text.push_str(&format!("restart={}\n", config.restart.name()));
    }
    if config.limit != DEFAULT_LIMIT {
        text.push_str(&format!(
            "limit={}/{}\n",
            config.limit.count,
            config.limit.window.as_secs()
        ));
    }
    if !config.delay.is_zero() {
        text.push_str(&format!("delay={}\n", config.delay.as_secs()));
    }
    if config.stop_timeout != DEFAULT_STOP_TIMEOUT {
        text.push_str(&format!("stop_timeout={}\n", config.stop_timeout.as_secs()));
    }
    if let Some(kill) = config.kill_leftovers {
        text.push_str(&format!(
            "kill_leftovers={}\n",
            if kill { "yes" } else { "no" }
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_means_the_defaults() {
        assert_eq!(parse(""), Ok(Config::default()));
        assert_eq!(parse("# nothing\n\n"), Ok(Config::default()));
    }

    #[test]
    fn every_key() {
        let config = parse(
            "pidfile=/run/x.pid\nrestart=always\nlimit=3/60\n delay = 2 \nstop_timeout=5\nkill_leftovers=no\n",
        );
        assert_eq!(
            config,
            Ok(Config {
                pidfile: Some(PathBuf::from("/run/x.pid")),
                restart: Restart::Always,
                limit: Limit {
                    count: 3,
                    window: Duration::from_secs(60)
                },
                delay: Duration::from_secs(2),
                stop_timeout: Duration::from_secs(5),
                kill_leftovers: Some(false),
            })
        );
        let config = config.expect("parsed");
        assert_eq!(parse(&render(&config)), Ok(config));
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let problems =
            parse("restart=sometimes\n# ok\nlimit=0/10\nfoo=1\npidfile=x.pid\njunk\ndelay=-1\n")
                .expect_err("rejected");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 3, 4, 5, 6, 7]);
        assert_eq!(
            problems[0].to_string(),
            "1: restart must be on-failure, always or no, not \"sometimes\""
        );
        assert!(problems[2].message.contains("unknown key \"foo\""));
    }

    #[test]
    fn limits_are_not_the_settings_parser_s() {
        assert_eq!(parse("memory.max=lots\nnice=5\n"), Ok(Config::default()));
        let problems = parse("memory.maxx=1G\n").expect_err("unknown key");
        assert!(problems[0].message.contains("memory.max, memory.high"));
    }

    #[test]
    fn leftovers_are_killed_but_for_session_holding_daemons() {
        let default = Config::default();
        assert!(default.kills_leftovers("nginx"));
        assert!(!default.kills_leftovers("ssh"));
        let forced = parse("kill_leftovers=yes\n").expect("parsed");
        assert!(forced.kills_leftovers("ssh"));
        for bad in [
            "stop_timeout=0\n",
            "stop_timeout=3601\n",
            "kill_leftovers=maybe\n",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits() {
        assert_eq!(
            parse_limit("5/30"),
            Some(Limit {
                count: 5,
                window: Duration::from_secs(30)
            })
        );
        for bad in ["5", "/30", "5/", "0/30", "5/0", "a/b", "5/30/1"] {
            assert_eq!(parse_limit(bad), None, "{bad}");
        }
    }
}
