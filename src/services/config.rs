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
}

impl Restart {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Restart::OnFailure => "on-failure",
            Restart::Always => "always",
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

/// The settings of one supervised service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `pidfile=`; `None`: found from the init script.
    pub pidfile: Option<PathBuf>,
    pub restart: Restart,
    pub limit: Limit,
    /// Wait this long after a failure before restarting.
    pub delay: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            pidfile: None,
            restart: Restart::OnFailure,
            limit: DEFAULT_LIMIT,
            delay: Duration::ZERO,
        }
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
const KEYS: &str = "pidfile, restart, limit, delay";

/// Parses a file. Blank lines and `#` comments are skipped; any bad line
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
                _ => problem(format!(
                    "restart must be on-failure or always, not {value:?}"
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
        let config = parse("pidfile=/run/x.pid\nrestart=always\nlimit=3/60\n delay = 2 \n");
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
            "1: restart must be on-failure or always, not \"sometimes\""
        );
        assert!(problems[2].message.contains("unknown key \"foo\""));
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
