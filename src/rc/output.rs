//! What rc tells people and tools: LSB-style console lines, the boot log
//! and the run record (formats documented in rc.8).
//!
//! * Console: a script's captured output is written whole when it finishes,
//!   followed by `[ ok ] Starting NAME.`, `[FAIL] Starting NAME failed (…).`
//!   or `[warn] …` (Debian's `log_*_msg` texts without colour). Only this
//!   single-threaded code writes, so lines never interleave.
//! * Boot log (`/var/log/vinit/rc.log`): every output line of every script,
//!   as it is read, as `<local time> <script>: <line>`, plus rc's own lines
//!   as `<time> rc: …`. Lines are held in memory (up to 4 MiB) until the
//!   file can be opened — at boot `/var/log` may become writable only after
//!   `mountall` — and the open is retried after each script.
//! * Run record (`/run/vinit/rc/<start>-<previous>-<level>.tsv`, and the
//!   symlink `last`): one tab-separated line per script.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Local, SecondsFormat};

use super::run::{Class, Events, Finished, Outcome, Task, describe};
use super::select::Action;
use crate::runlevel::{Phase, Runlevel, previous_char};

/// Record column names, the record's first line.
pub(crate) const RECORD_HEADER: &str = "#level\tprevious\tscript\taction\tlink\tstart_monotonic_ns\tend_monotonic_ns\tstart_wall\tend_wall\tstatus\tresult\tafter\tkilled";

const PENDING_LIMIT: usize = 4 << 20;

/// A file opened when it can be: until then (a read-only or not yet mounted
/// `/var` or `/run` at boot) what is written is held in memory, up to 4 MiB.
struct LazyFile {
    path: PathBuf,
    file: Option<File>,
    pending: Vec<u8>,
    /// Point `<dir>/last` at the file once it exists (the run record).
    link_last: bool,
}

impl LazyFile {
    fn new(path: PathBuf, link_last: bool) -> LazyFile {
        let mut f = LazyFile {
            path,
            file: None,
            pending: Vec::new(),
            link_last,
        };
        f.try_open();
        if f.file.is_none() {
            log::debug!(
                "{}: cannot be opened yet, held in memory until it can",
                f.path.display()
            );
        }
        f
    }

    fn write(&mut self, bytes: &[u8]) {
        match &mut self.file {
            Some(f) => {
                let _ = f.write_all(bytes);
            }
            None if self.pending.len() + bytes.len() <= PENDING_LIMIT => {
                self.pending.extend_from_slice(bytes)
            }
            None => {}
        }
    }

    /// Opens the file (creating its directory) if it is not open yet, and
    /// writes what was held back.
    fn try_open(&mut self) {
        if self.file.is_some() {
            return;
        }
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        #[allow(
            clippy::disallowed_methods,
            reason = "rc's own boot log, appended to: never blocks, never a terminal, never through a link"
        )]
        let Ok(mut f) = OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&self.path)
        else {
            return;
        };
        log::debug!(
            "{}: writing ({} byte(s) held before)",
            self.path.display(),
            self.pending.len()
        );
        let _ = f.write_all(&std::mem::take(&mut self.pending));
        self.file = Some(f);
        if self.link_last
            && let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name())
        {
            let last = dir.join("last");
            let _ = std::fs::remove_file(&last);
            let _ = std::os::unix::fs::symlink(name, &last);
        }
    }
}

/// `<local time> <source>: <line>` for the boot log.
fn log_entry(source: &str, line: &[u8]) -> Vec<u8> {
    let mut entry = format!(
        "{} {source}: ",
        Local::now().format("%Y-%m-%d %H:%M:%S%.6f")
    )
    .into_bytes();
    entry.extend_from_slice(line);
    entry.push(b'\n');
    entry
}

/// Console, boot log and run record of one `rc` run.
pub(crate) struct Output {
    log: LazyFile,
    record: LazyFile,
    level: Runlevel,
    previous: Option<Phase>,
    timeout: Option<Duration>,
    /// The names of the current phase's tasks, by index (for `after`).
    phase: Vec<String>,
}

impl Output {
    /// `log` is the boot log file, `record_dir` the run-record directory.
    pub(crate) fn new(
        log: &Path,
        record_dir: &Path,
        level: Runlevel,
        previous: Option<Phase>,
        timeout: Option<Duration>,
    ) -> Output {
        let record_name = format!(
            "{}-{}-{}.tsv",
            Local::now().format("%Y%m%dT%H%M%S%.9f"),
            file_safe(previous_char(previous)),
            file_safe(level.char())
        );
        let mut record = LazyFile::new(record_dir.join(record_name), true);
        record.write(format!("{RECORD_HEADER}\n").as_bytes());
        Output {
            log: LazyFile::new(log.to_path_buf(), false),
            record,
            level,
            previous,
            timeout,
            phase: Vec::new(),
        }
    }

    /// The tasks about to run, so that each record line can name the
    /// scripts it waited for.
    pub(crate) fn begin_phase(&mut self, tasks: &[Task]) {
        self.phase = tasks.iter().map(|task| task.name.clone()).collect();
    }

    /// Writes to the boot log only.
    pub(crate) fn note(&mut self, text: &str) {
        self.log.write(&log_entry("rc", text.as_bytes()));
    }

    /// `[warn] text` on the console and in the log.
    pub(crate) fn warn(&mut self, text: &str) {
        self.console(&format!("[warn] {text}\n"));
        self.log
            .write(&log_entry("rc", format!("[warn] {text}").as_bytes()));
    }

    /// A link that was not run: warned about and recorded as `skipped`.
    pub(crate) fn skipped(&mut self, script: &str, action: Action, link: &str, reason: &str) {
        self.warn(&format!("Skipping {link}: {reason}."));
        self.record_line(&[
            script,
            action.as_str(),
            link,
            "-",
            "-",
            "-",
            "-",
            "-",
            "skipped",
            "-",
            "-",
        ]);
    }

    fn console(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn record_line(&mut self, fields: &[&str]) {
        let mut line = format!("{}\t{}", self.level, previous_char(self.previous));
        for field in fields {
            line.push('\t');
            // Tabs and newlines would break the columns.
            line.extend(field.chars().map(|c| if c.is_control() { ' ' } else { c }));
        }
        line.push('\n');
        self.record.write(line.as_bytes());
    }
}

/// `[ ok ] Starting cron.` and the like.
pub(crate) fn status_line(
    name: &str,
    action: Action,
    result: &Finished,
    timeout: Option<Duration>,
) -> String {
    let verb = match action {
        Action::Start => "Starting",
        Action::Stop => "Stopping",
    };
    match result.class {
        Class::Ok => format!("[ ok ] {verb} {name}."),
        Class::Failed | Class::TimedOut => {
            format!(
                "[FAIL] {verb} {name} failed ({}).",
                describe(&result.outcome, timeout)
            )
        }
        Class::NotInstalled => format!("[warn] {verb} {name}: not installed."),
        Class::NotConfigured => format!("[warn] {verb} {name}: not configured."),
    }
}

fn wall(t: &DateTime<Local>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, false)
}

impl Events for Output {
    fn output_line(&mut self, task: &Task, line: &[u8]) {
        self.log.write(&log_entry(&task.name, line));
    }

    fn finished(&mut self, task: &Task, result: &Finished) {
        let line = status_line(
            &task.name,
            task.action,
            result,
            task.hang_timeout.or(self.timeout),
        );
        let mut block = String::from_utf8_lossy(&result.output).into_owned();
        block.push_str(&line);
        block.push('\n');
        self.console(&block);
        self.log.write(&log_entry("rc", line.as_bytes()));
        self.log.try_open();
        let status = match &result.outcome {
            Outcome::Exited(code) => code.to_string(),
            Outcome::Signaled(sig) => format!("signal:{sig}"),
            Outcome::TimedOut | Outcome::SpawnFailed(_) => "-".to_string(),
        };
        let fields = [
            task.name.clone(),
            task.action.as_str().to_string(),
            task.argv0.clone(),
            result.started.monotonic_ns.to_string(),
            result.ended.monotonic_ns.to_string(),
            wall(&result.started.wall),
            wall(&result.ended.wall),
            status,
            result.class.as_str().to_string(),
            after_field(&task.after, &self.phase),
            if result.killed.is_empty() {
                "-".to_string()
            } else {
                result.killed.join("; ")
            },
        ];
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        self.record_line(&fields);
        self.record.try_open();
    }
}

/// The `after` column: the names of the scripts a task waited for, comma
/// separated, in name order; `-` for none.
fn after_field(after: &[usize], phase: &[String]) -> String {
    let mut names: Vec<&str> = after
        .iter()
        .filter_map(|&i| phase.get(i))
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(",")
    }
}

/// A level's character in a file name: `#` and `*` (init's boot phases)
/// become `_`.
fn file_safe(c: char) -> char {
    if c.is_ascii_alphanumeric() { c } else { '_' }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rc::run::Stamp;

    fn finished(outcome: Outcome, class: Class) -> Finished {
        let now = Stamp::now();
        Finished {
            outcome,
            class,
            started: now,
            ended: now,
            output: Vec::new(),
            killed: Vec::new(),
        }
    }

    #[test]
    fn debian_style_lines() {
        let t = Some(Duration::from_secs(300));
        assert_eq!(
            status_line(
                "cron",
                Action::Start,
                &finished(Outcome::Exited(0), Class::Ok),
                t
            ),
            "[ ok ] Starting cron."
        );
        assert_eq!(
            status_line(
                "cron",
                Action::Stop,
                &finished(Outcome::Exited(1), Class::Failed),
                t
            ),
            "[FAIL] Stopping cron failed (exit status 1)."
        );
        assert_eq!(
            status_line(
                "x",
                Action::Start,
                &finished(Outcome::TimedOut, Class::TimedOut),
                t
            ),
            "[FAIL] Starting x failed (timed out after 300 s)."
        );
        assert_eq!(
            status_line(
                "x",
                Action::Start,
                &finished(Outcome::Exited(5), Class::NotInstalled),
                t
            ),
            "[warn] Starting x: not installed."
        );
    }

    #[test]
    fn after_names_the_scripts_waited_for() {
        let phase = ["mountall", "cron", "rsyslog"].map(String::from);
        assert_eq!(after_field(&[2, 0], &phase), "mountall,rsyslog");
        assert_eq!(after_field(&[], &phase), "-");
        assert_eq!(after_field(&[9], &phase), "-");
    }

    #[test]
    fn files_wait_for_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("run");
        std::fs::write(&blocker, "a file where the directory should be").unwrap();
        let mut record = LazyFile::new(dir.path().join("run/vinit/rc/x.tsv"), true);
        record.write(&log_entry("a", b"held back"));
        assert!(record.file.is_none());
        std::fs::remove_file(&blocker).unwrap();
        record.try_open();
        record.write(&log_entry("b", b"direct"));
        let text = std::fs::read_to_string(dir.path().join("run/vinit/rc/last")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].ends_with(" a: held back") && lines[1].ends_with(" b: direct"),
            "{text}"
        );
    }
}
