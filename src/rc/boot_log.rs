//! Reading rc's boot log back (`/var/log/vinit/rc.log`, written by
//! [`super::output`]: `<local time> <script>: <line>` for each line a script
//! printed, `<local time> rc: [ ok ] Starting NAME.` when it ended): what a
//! script printed the last time rc ran it, for `vinit status NAME`. Pure
//! except [`read`].

use std::path::Path;

use crate::untrusted::{self, Kind};

/// Where rc writes its boot log.
pub(crate) const BOOT_LOG: &str = "/var/log/vinit/rc.log";

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When rc read it, local time as written (`2026-11-30 10:00:01.123456`).
    pub time: String,
    /// The line as the script printed it (control characters and all).
    pub text: String,
}

/// What a script printed in its last run by rc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptOutput {
    /// Its lines, oldest first (none: it printed nothing).
    pub lines: Vec<LogLine>,
    /// rc's line on how the run ended (`[ ok ] Starting cron.`); `None`
    /// when the log has none after the lines (the run is still going, or
    /// rc was killed).
    pub result: Option<LogLine>,
}

/// The end of the boot log: its last 1 MiB, which holds many runs of
/// every script (`None`: there is no log, or it cannot be read).
pub(crate) fn read(root: &Path) -> Option<String> {
    let path = root.join(BOOT_LOG.trim_start_matches('/'));
    let bytes = untrusted::read_tail(&path, Kind::Log).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A log line's time, source and text.
fn parse_line(line: &str) -> Option<(&str, &str, &str)> {
    // `YYYY-MM-DD HH:MM:SS.ffffff SOURCE: TEXT`: the time is two words.
    let date_end = line.find(' ')?;
    let time_end = date_end + 1 + line.get(date_end + 1..)?.find(' ')?;
    let (source, text) = line.get(time_end + 1..)?.split_once(": ")?;
    Some((line.get(..time_end)?, source, text))
}

/// Whether `text`, a line of rc's own, is the end of a run of `script`:
/// `[ ok ] Starting NAME.`, `[FAIL] Stopping NAME failed (…).`,
/// `[warn] Starting NAME: not installed.` (see `output::status_line`).
fn ends_run_of(text: &str, script: &str) -> bool {
    ["Starting", "Stopping"].iter().any(|verb| {
        let what = format!("{verb} {script}");
        text.strip_prefix("[ ok ] ")
            .is_some_and(|rest| rest.strip_prefix(&what) == Some("."))
            || text
                .strip_prefix("[FAIL] ")
                .and_then(|rest| rest.strip_prefix(&what))
                .is_some_and(|rest| rest.starts_with(" failed ("))
            || text
                .strip_prefix("[warn] ")
                .and_then(|rest| rest.strip_prefix(&what))
                .is_some_and(|rest| rest.starts_with(": not "))
    })
}

/// What `script` printed in its last run found in `log` (the lines after
/// its previous run's end), or `None` when the log shows no run of it.
pub fn last_output(log: &str, script: &str) -> Option<ScriptOutput> {
    let mut current: Vec<LogLine> = Vec::new();
    let mut last_finished: Option<ScriptOutput> = None;
    for line in log.lines() {
        let Some((time, source, text)) = parse_line(line) else {
            continue;
        };
        let entry = || LogLine {
            time: time.to_string(),
            text: text.to_string(),
        };
        if source == script {
            current.push(entry());
        } else if source == "rc" && ends_run_of(text, script) {
            last_finished = Some(ScriptOutput {
                lines: std::mem::take(&mut current),
                result: Some(entry()),
            });
        }
    }
    if current.is_empty() {
        last_finished
    } else {
        Some(ScriptOutput {
            lines: current,
            result: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026-11-30 10:00:01.000100 nginx: Starting nginx: old run
2026-11-30 10:00:01.000200 rc: [ ok ] Starting nginx.
2026-11-30 10:00:01.100000 rc: [warn] Skipping /etc/rc2.d/S01gone: not executable.
2026-11-30 11:00:00.000100 nginx: Stopping nginx: ok
2026-11-30 11:00:00.000150 nginx.sh: not nginx's
2026-11-30 11:00:00.000160 cron: Starting cron
2026-11-30 11:00:00.000170 nginx: nginx: [emerg] bind() to 0.0.0.0:80 failed
2026-11-30 11:00:00.000200 rc: [FAIL] Stopping nginx failed (exit status 1).
2026-11-30 11:00:00.000300 rc: [ ok ] Starting nginx.sh.
2026-11-30 11:00:00.000400 rc: [ ok ] Starting cron.
2026-11-30 11:00:00.000500 rc: [warn] Starting quiet: not installed.
2026-11-30 11:00:01.000000 slow: still going
";

    #[test]
    fn the_last_run_of_a_script_is_its_lines_since_the_previous_end() {
        let nginx = last_output(LOG, "nginx").expect("nginx ran");
        let texts: Vec<&str> = nginx.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Stopping nginx: ok",
                "nginx: [emerg] bind() to 0.0.0.0:80 failed"
            ]
        );
        assert_eq!(nginx.lines[0].time, "2026-11-30 11:00:00.000100");
        assert_eq!(
            nginx.result.map(|r| r.text),
            Some("[FAIL] Stopping nginx failed (exit status 1).".to_string())
        );
        // A name that another begins with is not that one.
        let sh = last_output(LOG, "nginx.sh").expect("nginx.sh ran");
        assert_eq!(sh.lines.len(), 1);
        // A run that printed nothing shows as such, not as an older run.
        let quiet = last_output(LOG, "quiet").expect("quiet ran");
        assert!(quiet.lines.is_empty());
        assert!(quiet.result.is_some());
        // Lines without an end yet: the run still going.
        let slow = last_output(LOG, "slow").expect("slow runs");
        assert_eq!((slow.lines.len(), slow.result), (1, None));
        assert_eq!(last_output(LOG, "never"), None);
        assert_eq!(last_output("garbage\n\n: x\n", "x"), None);
    }

    #[test]
    fn lines_split_into_time_source_and_text() {
        assert_eq!(
            parse_line("2026-11-30 10:00:01.000100 a:: b: c"),
            Some(("2026-11-30 10:00:01.000100", "a:", "b: c"))
        );
        assert_eq!(parse_line("2026-11-30"), None);
        assert_eq!(parse_line("2026-11-30 10:00:01 no colon"), None);
    }
}
