//! The state file PID 1 writes (atomically) after every change, under
//! `/run/vinit/supervise/state`: read by `vinit supervise --list`, and by
//! a re-executed init (`telinit u`) to carry on where the old one was.
//!
//! One line per service, tab-separated `key=value` fields after the name;
//! times are milliseconds of the monotonic clock (it keeps counting across
//! a re-exec), except `failed`, wall-clock seconds since the epoch:
//!
//! ```text
//! service<TAB>nginx<TAB>phase=waiting:81234<TAB>pid=812<TAB>restarts=1<TAB>recent=81234<TAB>failed=1764590000<TAB>cause=killed by SIGSEGV
//! ```
//!
//! Settings are not stored: they are read again from the files.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Config, Failure, Phase, Service, Tracker, Tracking};

const HEADER: &str = "# vinit supervision state (written by init)";

fn millis(at: Duration) -> u128 {
    at.as_millis()
}

fn from_millis(text: &str) -> Option<Duration> {
    text.parse().ok().map(Duration::from_millis)
}

fn opt_pid(pid: Option<i32>) -> String {
    pid.map_or_else(|| "-".to_string(), |pid| pid.to_string())
}

fn phase_text(phase: &Phase) -> String {
    match phase {
        Phase::Watching => "watching".to_string(),
        Phase::Stopped { pid } => format!("stopped:{}", opt_pid(*pid)),
        Phase::GivenUp { pid } => format!("given-up:{}", opt_pid(*pid)),
        Phase::Waiting { at } => format!("waiting:{}", millis(*at)),
        Phase::Restarting {
            child,
            deadline,
            killed,
        } => format!(
            "restarting:{child}:{}:{}",
            deadline.map_or_else(|| "-".to_string(), |at| millis(at).to_string()),
            u8::from(*killed)
        ),
    }
}

fn parse_phase(text: &str) -> Option<Phase> {
    let mut parts = text.split(':');
    let pid = |part: Option<&str>| -> Option<Option<i32>> {
        match part? {
            "-" => Some(None),
            pid => pid.parse().ok().map(Some),
        }
    };
    let phase = match parts.next()? {
        "watching" => Phase::Watching,
        "stopped" => Phase::Stopped {
            pid: pid(parts.next())?,
        },
        "given-up" => Phase::GivenUp {
            pid: pid(parts.next())?,
        },
        "waiting" => Phase::Waiting {
            at: from_millis(parts.next()?)?,
        },
        "restarting" => Phase::Restarting {
            child: parts.next()?.parse().ok()?,
            deadline: match parts.next()? {
                "-" => None,
                at => Some(from_millis(at)?),
            },
            killed: parts.next()? == "1",
        },
        _ => return None,
    };
    parts.next().is_none().then_some(phase)
}

/// The file's text.
pub(crate) fn serialize(tracker: &Tracker) -> String {
    let mut text = format!("{HEADER}\n");
    if tracker.shutting_down {
        text.push_str("shutting-down\n");
    }
    match &tracker.tracking {
        Some(Tracking::On { dir, limits }) => {
            let limits = match limits {
                Ok(controllers) => format!("controllers={}", controllers.join(",")),
                Err(why) => format!("limits-off={}", one_field(why)),
            };
            let _ = writeln!(text, "tracking\ton\t{}\t{limits}", one_field(dir));
        }
        Some(Tracking::Off(why)) => {
            let _ = writeln!(text, "tracking\toff\t{}", one_field(why));
        }
        None => {}
    }
    for (name, service) in &tracker.services {
        let recent: Vec<String> = service
            .recent
            .iter()
            .map(|at| millis(*at).to_string())
            .collect();
        let _ = write!(
            text,
            "service\t{name}\tphase={}\tpid={}\trestarts={}\trecent={}",
            phase_text(&service.phase),
            opt_pid(service.pid),
            service.restarts,
            recent.join(",")
        );
        if let Some(failure) = &service.last_failure {
            // A cause never holds a tab or newline (we format it).
            let _ = write!(
                text,
                "\tfailed={}\tcause={}",
                failure.at,
                failure.cause.replace(['\t', '\n'], " ")
            );
        }
        text.push('\n');
    }
    text
}

/// Reads the file's text; a line that cannot be read is reported with its
/// number and skipped. Services get default settings until configured.
pub fn parse(text: &str) -> (Tracker, Vec<String>) {
    let mut tracker = Tracker::default();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "shutting-down" {
            tracker.shutting_down = true;
            continue;
        }
        if let Some(fields) = line.strip_prefix("tracking\t") {
            match parse_tracking(fields) {
                Some(tracking) => tracker.tracking = Some(tracking),
                None => problems.push(format!("{}: cannot read {line:?}", index + 1)),
            }
            continue;
        }
        match parse_service(line) {
            Some((name, service)) => {
                tracker.services.insert(name, service);
            }
            None => problems.push(format!("{}: cannot read {line:?}", index + 1)),
        }
    }
    (tracker, problems)
}

/// A text that holds no tab or newline, for a field of the file.
fn one_field(text: &str) -> String {
    text.replace(['\t', '\n'], " ")
}

fn parse_tracking(fields: &str) -> Option<Tracking> {
    let mut fields = fields.split('\t');
    match fields.next()? {
        "on" => {
            let dir = fields.next()?.to_string();
            let limits = match fields.next()?.split_once('=')? {
                ("controllers", list) => Ok(list
                    .split(',')
                    .filter(|name| !name.is_empty())
                    .map(str::to_string)
                    .collect()),
                ("limits-off", why) => Err(why.to_string()),
                _ => return None,
            };
            Some(Tracking::On { dir, limits })
        }
        "off" => Some(Tracking::Off(fields.next()?.to_string())),
        _ => None,
    }
}

fn parse_service(line: &str) -> Option<(String, Service)> {
    let mut fields = line.split('\t');
    if fields.next()? != "service" {
        return None;
    }
    let name = fields.next()?.to_string();
    if !super::valid_name(&name) {
        return None;
    }
    let mut service = Service::new(Config::default());
    let mut failed_at = None;
    let mut cause = None;
    for field in fields {
        let (key, value) = field.split_once('=')?;
        match key {
            "phase" => service.phase = parse_phase(value)?,
            "pid" => {
                service.pid = match value {
                    "-" => None,
                    pid => Some(pid.parse().ok()?),
                }
            }
            "restarts" => service.restarts = value.parse().ok()?,
            "recent" => {
                service.recent = value
                    .split(',')
                    .filter(|at| !at.is_empty())
                    .map(from_millis)
                    .collect::<Option<_>>()?
            }
            "failed" => failed_at = Some(value.parse().ok()?),
            "cause" => cause = Some(value.to_string()),
            // Fields of a newer version are skipped.
            _ => {}
        }
    }
    if let (Some(at), Some(cause)) = (failed_at, cause) {
        service.last_failure = Some(Failure { at, cause });
    }
    Some((name, service))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn round_trip() {
        let mut tracker = Tracker {
            shutting_down: true,
            tracking: Some(Tracking::On {
                dir: "/sys/fs/cgroup/vinit".to_string(),
                limits: Ok(vec!["memory".to_string(), "pids".to_string()]),
            }),
            ..Tracker::default()
        };
        let phases = [
            Phase::Watching,
            Phase::Stopped { pid: Some(7) },
            Phase::Stopped { pid: None },
            Phase::GivenUp { pid: Some(9) },
            Phase::Waiting {
                at: Duration::from_millis(1500),
            },
            Phase::Restarting {
                child: 42,
                deadline: Some(Duration::from_secs(300)),
                killed: true,
            },
        ];
        for (index, phase) in phases.into_iter().enumerate() {
            let mut service = Service::new(Config::default());
            service.phase = phase;
            service.pid = Some(100 + index as i32);
            service.restarts = index as u32;
            service.recent = VecDeque::from([Duration::from_millis(5), Duration::from_secs(6)]);
            if index % 2 == 0 {
                service.last_failure = Some(Failure {
                    at: 1_764_590_000,
                    cause: "killed by SIGSEGV (core dumped)".to_string(),
                });
            }
            tracker.services.insert(format!("s{index}"), service);
        }
        let text = serialize(&tracker);
        assert_eq!(parse(&text), (tracker, Vec::new()));
    }

    #[test]
    fn tracking_lines() {
        for tracking in [
            Tracking::Off("the kernel has no cgroup v2".to_string()),
            Tracking::On {
                dir: "/sys/fs/cgroup/unified/vinit".to_string(),
                limits: Err("the cgroup2 hierarchy offers none".to_string()),
            },
            Tracking::On {
                dir: "/x".to_string(),
                limits: Ok(Vec::new()),
            },
        ] {
            let tracker = Tracker {
                tracking: Some(tracking),
                ..Tracker::default()
            };
            assert_eq!(parse(&serialize(&tracker)), (tracker, Vec::new()));
        }
    }

    #[test]
    fn bad_lines_are_skipped_and_reported() {
        let text = "# x\nservice\tok\tphase=watching\tpid=-\trestarts=0\trecent=\nservice\tbad\tphase=nonsense\ngarbage\n";
        let (tracker, problems) = parse(text);
        assert_eq!(tracker.services.keys().collect::<Vec<_>>(), ["ok"]);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("3: "), "{problems:?}");
    }
}
