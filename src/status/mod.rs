//! The status file PID 1 keeps in `/run/vinit/status` for `vinit status`
//! and `telinit --wait`: init's levels and every inittab entry's state.
//!
//! A text format, versioned by its first line (`vinit-status 1`), then
//! `key value` lines, then one tab-separated line per entry (documented in
//! vinit.8, FILES). PID 1 writes it whole to a temporary name and renames it,
//! so a reader sees one complete version or the previous one and never
//! holds PID 1 up. [`encode`] and [`decode`] are pure; [`client`] reads
//! the file for the commands and decides whether it is the running init's.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

pub(crate) mod client;

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Where PID 1 keeps the file.
pub(crate) const STATUS_PATH: &str = "/run/vinit/status";
/// The first line of the current format.
pub(crate) const MAGIC: &str = "vinit-status 1";

/// What init's policy says about one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryState {
    /// Its process is alive.
    Running,
    /// In this level but not started yet: behind a `wait` entry, between two
    /// respawns, or armed for an event (power, ctrlaltdel, kbrequest).
    Waiting,
    /// Ran in this level (or at boot) and has exited.
    Done,
    /// Disabled by the respawn limiter until a given time.
    Disabled,
    /// Not an entry of the current level.
    NotInLevel,
    /// `off` and `initdefault` entries: nothing to run.
    Off,
}

impl EntryState {
    pub(crate) const ALL: [EntryState; 6] = [
        EntryState::Running,
        EntryState::Waiting,
        EntryState::Done,
        EntryState::Disabled,
        EntryState::NotInLevel,
        EntryState::Off,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            EntryState::Running => "running",
            EntryState::Waiting => "waiting",
            EntryState::Done => "done",
            EntryState::Disabled => "disabled",
            EntryState::NotInLevel => "not-in-level",
            EntryState::Off => "off",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<EntryState> {
        EntryState::ALL
            .into_iter()
            .find(|state| state.name() == name)
    }
}

/// One inittab entry as init sees it. Borrowed when PID 1 writes (no
/// allocation per entry), owned when read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryStatus<'a> {
    pub id: Cow<'a, str>,
    /// The runlevels field as written.
    pub levels: Cow<'a, str>,
    pub action: Cow<'a, str>,
    pub state: EntryState,
    /// The PID last started, 0 if none.
    pub pid: i32,
    /// Starts counted by the respawn limiter in its current 120 s window.
    pub respawns: u32,
    /// The raw wait status of the last exit, if it has exited.
    pub last_status: Option<i32>,
    /// For [`EntryState::Disabled`]: the monotonic second it is enabled again.
    pub disabled_until: Option<u64>,
    /// The file and 1-based line of the inittab line; an empty file and
    /// line 0 when not known (after a re-exec: the state handed over does
    /// not carry it).
    pub file: Cow<'a, str>,
    pub line: usize,
    pub process: Cow<'a, str>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitStatus<'a> {
    /// The writer's PID (1 for a real init).
    pub pid: i32,
    /// The writer's start time in clock ticks after boot (`/proc/PID/stat`
    /// field 22): a reader compares it with PID 1's to know the file is the
    /// running init's. A re-exec keeps it.
    pub start_ticks: u64,
    /// The writer's program (`/proc/self/exe`), empty when not known: a
    /// reader compares it with PID 1's, which tells when a re-exec handed
    /// PID 1 to another init (sysvinit) that keeps no such file.
    pub exe: Cow<'a, str>,
    /// sysvinit's `runlevel`: `#` (sysinit), `*` (boot), `S`, `0`–`9`.
    pub runlevel: char,
    /// `PREVLEVEL` as children see it (`N` at boot).
    pub previous: char,
    /// A level change is killing the old level's processes.
    pub changing: bool,
    pub entries: Vec<EntryStatus<'a>>,
}

/// Control characters become spaces, so a field never breaks the format.
fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

fn optional<T: fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The file's text.
pub(crate) fn encode(status: &InitStatus<'_>) -> String {
    let mut text = String::with_capacity(128 + status.entries.len() * 96);
    let _ = writeln!(text, "{MAGIC}");
    let _ = writeln!(text, "pid {}", status.pid);
    let _ = writeln!(text, "start-ticks {}", status.start_ticks);
    if !status.exe.is_empty() {
        let _ = writeln!(text, "exe {}", clean(&status.exe));
    }
    let _ = writeln!(text, "runlevel {}", status.runlevel);
    let _ = writeln!(text, "previous {}", status.previous);
    let _ = writeln!(
        text,
        "changing {}",
        if status.changing { "yes" } else { "no" }
    );
    for entry in &status.entries {
        let _ = writeln!(
            text,
            "entry\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            clean(&entry.id),
            clean(&entry.levels),
            clean(&entry.action),
            entry.state.name(),
            entry.pid,
            entry.respawns,
            optional(entry.last_status),
            optional(entry.disabled_until),
            if entry.file.is_empty() {
                Cow::Borrowed("-")
            } else {
                Cow::Owned(format!("{}:{}", clean(&entry.file), entry.line))
            },
            clean(&entry.process),
        );
    }
    text
}

/// Why a status file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// 1-based line of the file.
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

fn single_char(value: &str) -> Option<char> {
    let mut chars = value.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// Reads the file's text. Unknown `key value` lines are skipped (a later
/// version 1 writer may add keys); unknown entry states are errors.
pub fn decode(text: &str) -> Result<InitStatus<'static>, DecodeError> {
    let error = |line: usize, reason: String| DecodeError { line, reason };
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    match lines.next() {
        Some((_, first)) if first == MAGIC => {}
        Some((_, first)) if first.starts_with("vinit-status ") => {
            return Err(error(1, format!("unsupported format {first:?}")));
        }
        _ => return Err(error(1, "not a vinit status file".to_string())),
    }
    let mut status = InitStatus {
        pid: 0,
        start_ticks: 0,
        exe: Cow::Borrowed(""),
        runlevel: '?',
        previous: '?',
        changing: false,
        entries: Vec::new(),
    };
    let (mut have_pid, mut have_level) = (false, false);
    for (number, line) in lines {
        if let Some(fields) = line.strip_prefix("entry\t") {
            status
                .entries
                .push(decode_entry(fields).map_err(|reason| error(number, reason))?);
            continue;
        }
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let bad = |what: &str| error(number, format!("bad {what} {value:?}"));
        match key {
            "pid" => {
                status.pid = value.parse().map_err(|_| bad("pid"))?;
                have_pid = true;
            }
            "start-ticks" => status.start_ticks = value.parse().map_err(|_| bad("start-ticks"))?,
            "exe" => status.exe = Cow::Owned(value.to_string()),
            "runlevel" => {
                status.runlevel = single_char(value).ok_or_else(|| bad("runlevel"))?;
                have_level = true;
            }
            "previous" => status.previous = single_char(value).ok_or_else(|| bad("previous"))?,
            "changing" => status.changing = value == "yes",
            _ => {}
        }
    }
    if !have_pid || !have_level {
        return Err(error(0, "truncated: no pid or runlevel line".to_string()));
    }
    Ok(status)
}

fn decode_entry(fields: &str) -> Result<EntryStatus<'static>, String> {
    let parts: Vec<&str> = fields.splitn(10, '\t').collect();
    let [
        id,
        levels,
        action,
        state,
        pid,
        respawns,
        last,
        until,
        location,
        process,
    ] = parts[..]
    else {
        return Err(format!("entry with {} fields, expected 10", parts.len()));
    };
    let number = |what: &str, value: &str| -> Result<Option<i64>, String> {
        if value == "-" {
            return Ok(None);
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| format!("bad {what} {value:?}"))
    };
    let owned = |s: &str| Cow::Owned(s.to_string());
    let (file, line) = match location.rsplit_once(':') {
        Some((file, line)) if location != "-" => (
            file,
            line.parse()
                .map_err(|_| format!("bad location {location:?}"))?,
        ),
        _ => ("", 0),
    };
    Ok(EntryStatus {
        id: owned(id),
        levels: owned(levels),
        action: owned(action),
        state: EntryState::from_name(state).ok_or_else(|| format!("unknown state {state:?}"))?,
        pid: pid.parse().map_err(|_| format!("bad pid {pid:?}"))?,
        respawns: respawns
            .parse()
            .map_err(|_| format!("bad respawn count {respawns:?}"))?,
        last_status: number("exit status", last)?.and_then(|v| i32::try_from(v).ok()),
        disabled_until: number("disabled-until", until)?.and_then(|v| u64::try_from(v).ok()),
        file: owned(file),
        line,
        process: owned(process),
    })
}

/// `exit 0`, `exit 3`, `signal 9` (`signal 6, core dumped`) for a raw wait status.
pub(crate) fn describe_wait_status(status: i32) -> String {
    let signal = status & 0x7f;
    if signal == 0 {
        format!("exit {}", (status >> 8) & 0xff)
    } else if status & 0x80 != 0 {
        format!("signal {signal}, core dumped")
    } else {
        format!("signal {signal}")
    }
}

/// A `/proc/PID/exe` link's target without the ` (deleted)` the kernel adds
/// once the file was replaced (a package upgrade before `telinit u`).
pub(crate) fn program_path(link: &std::path::Path) -> String {
    let text = link.to_string_lossy();
    text.strip_suffix(" (deleted)").unwrap_or(&text).to_string()
}

/// Whether PID 1 runs vinit: the one answer for every command that asks
/// (`vinit supervise` before it signals init, `telinit --wait`, `vinit
/// status`). It does when PID 1's program (`/proc/1/exe`) is the same file
/// as this process's, or a file of the same path: a package upgrade that
/// replaced the file since PID 1 started leaves PID 1 running the old one,
/// which the kernel names with ` (deleted)` after its path. `None` when
/// that cannot be told: only root (or PID 1's owner) may read
/// `/proc/1/exe`.
pub(crate) fn pid1_runs_vinit() -> Option<bool> {
    runs_this_program(std::path::Path::new("/proc/1/exe"))
}

/// Whether the `/proc/PID/exe` link `exe` names this process's program by
/// [`pid1_runs_vinit`]'s rule; `None` when the link cannot be read.
fn runs_this_program(exe: &std::path::Path) -> Option<bool> {
    use std::os::unix::fs::MetadataExt;
    const MINE: &str = "/proc/self/exe";
    let target = std::fs::read_link(exe).ok()?;
    let same_file = match (std::fs::metadata(exe), std::fs::metadata(MINE)) {
        (Ok(theirs), Ok(mine)) => (theirs.dev(), theirs.ino()) == (mine.dev(), mine.ino()),
        _ => false,
    };
    let same_path =
        std::fs::read_link(MINE).is_ok_and(|mine| program_path(&mine) == program_path(&target));
    Some(same_file || same_path)
}

/// The start time in a `/proc/PID/stat` text. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last `)`.
pub(crate) fn start_ticks_of(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // Field 3 is the first after the name; field 22 is the 20th.
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_ticks_after_a_name_with_spaces_and_parens() {
        let stat = "1 (init (x) y) S 0 1 1 0 -1 4194560 2190 1203 5 0 3 12 0 0 20 0 1 0 987 1 2";
        assert_eq!(start_ticks_of(stat), Some(987));
        assert_eq!(start_ticks_of("1 (init) S 0"), None);
    }

    fn sample() -> InitStatus<'static> {
        InitStatus {
            pid: 1,
            start_ticks: 42,
            exe: "/lib/vinit/vinit".into(),
            runlevel: '2',
            previous: 'N',
            changing: false,
            entries: vec![
                EntryStatus {
                    id: "l2".into(),
                    levels: "2".into(),
                    action: "wait".into(),
                    state: EntryState::Done,
                    pid: 0,
                    respawns: 0,
                    last_status: Some(0),
                    disabled_until: None,
                    file: "/etc/inittab".into(),
                    line: 3,
                    process: "/etc/init.d/rc 2".into(),
                },
                EntryStatus {
                    id: "t1".into(),
                    levels: "2345".into(),
                    action: "respawn".into(),
                    state: EntryState::Disabled,
                    pid: 77,
                    respawns: 10,
                    last_status: Some(1 << 8),
                    disabled_until: Some(1234),
                    file: String::new().into(),
                    line: 0,
                    process: "/bin/false\twith a tab".into(),
                },
            ],
        }
    }

    #[test]
    fn encodes_the_documented_lines() {
        let text = encode(&sample());
        assert_eq!(
            text,
            "vinit-status 1\npid 1\nstart-ticks 42\nexe /lib/vinit/vinit\nrunlevel 2\nprevious N\nchanging no\n\
             entry\tl2\t2\twait\tdone\t0\t0\t0\t-\t/etc/inittab:3\t/etc/init.d/rc 2\n\
             entry\tt1\t2345\trespawn\tdisabled\t77\t10\t256\t1234\t-\t/bin/false with a tab\n"
        );
    }

    #[test]
    fn decodes_what_it_encodes() {
        let mut expected = sample();
        expected.entries[1].process = "/bin/false with a tab".into();
        assert_eq!(decode(&encode(&sample())), Ok(expected));
    }

    #[test]
    fn rejects_other_files_with_the_line() {
        assert_eq!(decode("").unwrap_err().line, 1);
        assert!(
            decode("vinit-status 2\n")
                .unwrap_err()
                .reason
                .contains("unsupported")
        );
        let bad = "vinit-status 1\npid 1\nrunlevel 2\nentry\ta\tb\n";
        assert_eq!(decode(bad).unwrap_err().line, 4);
        let bad_state = encode(&sample()).replace("\tdone\t", "\tsleeping\t");
        assert!(decode(&bad_state).unwrap_err().reason.contains("sleeping"));
        assert!(decode("vinit-status 1\npid 1\n").is_err());
        // Unknown keys of a later writer are skipped.
        let extra = encode(&sample()).replace("changing no\n", "changing no\nfuture 7\n");
        assert!(decode(&extra).is_ok());
    }

    #[test]
    fn program_paths_lose_the_deleted_mark() {
        use std::path::Path;
        assert_eq!(
            program_path(Path::new("/usr/lib/vinit/vinit (deleted)")),
            "/usr/lib/vinit/vinit"
        );
        assert_eq!(program_path(Path::new("/usr/sbin/init")), "/usr/sbin/init");
    }

    #[test]
    fn a_program_is_known_by_its_file_or_its_path() {
        use std::os::unix::fs::symlink;
        use std::path::Path;
        let dir = tempfile::tempdir().unwrap();
        let me = std::fs::read_link("/proc/self/exe").unwrap();
        let link = |name: &str, target: &Path| {
            let path = dir.path().join(name);
            symlink(target, &path).unwrap();
            path
        };
        assert_eq!(runs_this_program(Path::new("/proc/self/exe")), Some(true));
        assert_eq!(runs_this_program(&link("same", &me)), Some(true));
        // Replaced since it started: the kernel's link names the old path.
        let deleted = format!("{} (deleted)", me.display());
        assert_eq!(
            runs_this_program(&link("deleted", Path::new(&deleted))),
            Some(true)
        );
        assert_eq!(
            runs_this_program(&link("other", Path::new("/bin/sh"))),
            Some(false)
        );
        assert_eq!(runs_this_program(&dir.path().join("unreadable")), None);
    }

    #[test]
    fn wait_statuses() {
        assert_eq!(describe_wait_status(0), "exit 0");
        assert_eq!(describe_wait_status(3 << 8), "exit 3");
        assert_eq!(describe_wait_status(9), "signal 9");
        assert_eq!(describe_wait_status(6 | 0x80), "signal 6, core dumped");
    }
}
