//! `init --check [FILE]`: validate an inittab without touching the running
//! system (no FIFO, no signals, no utmp). A vinit extension; `cmd::init`
//! prints the [`Report`].
//!
//! Rejected lines are the parser's diagnostics. Warnings are for lines init
//! accepts but that are probably not what was meant; each names
//! `FILE:LINE:COLUMN` of the field concerned (the columns come from the
//! file's text, read again here).

use super::load::{Source, Unreadable, os_message, read_file};
use super::{Action, DefaultLevel, Diagnostic, Entry, LINE_BUFFER, default_level, load, parse};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::defaults::SULOGIN;

/// What a check found. Each rejected line prints as `FILE:LINE:COL:
/// message`, each warning as `FILE:LINE:COL: warning: message`; the summary
/// is for a check that rejected nothing.
pub(crate) struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Rejected lines beyond those in `diagnostics`.
    pub omitted: usize,
    /// Unreadable files.
    pub errors: Vec<String>,
    /// Things init accepts but that are probably not meant (they do not fail
    /// the check).
    pub warnings: Vec<Warning>,
    pub summary: String,
}

/// An accepted but suspicious line, or a missing `initdefault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    pub file: PathBuf,
    pub line: usize,
    /// 1-based byte column.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: warning: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// `/etc/inittab` plus `/etc/inittab.d` under `root`, read by [`load`]
/// exactly as init would read them.
pub(crate) fn check_system(source: &impl Source, root: &Path) -> Report {
    let loaded = load(source, root);
    let inittab = root.join("etc/inittab");
    let mut errors: Vec<String> = loaded.read_error.into_iter().collect();
    if loaded.inittab_missing {
        errors.insert(
            0,
            format!(
                "cannot read {}: {}",
                inittab.display(),
                os_message(&std::io::Error::from_raw_os_error(libc::ENOENT))
            ),
        );
    }
    let tab_files = loaded
        .notices
        .iter()
        .filter(|notice| notice.starts_with("Reading: "))
        .count();
    let mut summary = format!("{}: OK, {}", inittab.display(), count(loaded.entries.len()));
    if tab_files > 0 {
        let files = if tab_files == 1 { "file" } else { "files" };
        summary.push_str(&format!(" (with {tab_files} {files} from /etc/inittab.d)"));
    }
    if loaded.sulogin_added {
        summary.push_str(&format!(", default ~~:S:wait:{} added", SULOGIN));
    }
    let sources = Sources::read(
        source,
        std::iter::once(&inittab)
            .chain(loaded.entries.iter().map(|entry| &entry.location.file))
            .chain(loaded.diagnostics.iter().map(|diagnostic| &diagnostic.file)),
    );
    Report {
        warnings: warnings(&loaded.entries, &inittab, &sources),
        diagnostics: loaded.diagnostics,
        omitted: loaded.omitted,
        errors,
        summary,
    }
}

/// One file on its own (no `inittab.d`, no default sulogin entry).
pub(crate) fn check_file(source: &impl Source, path: &Path) -> Report {
    let (text, errors) = match read_file(source, path) {
        Ok(text) => (text, Vec::new()),
        Err(
            Unreadable::Missing(error)
            | Unreadable::OpenFailed(error)
            | Unreadable::ReadFailed(error),
        ) => (
            Vec::new(),
            vec![format!(
                "cannot read {}: {}",
                path.display(),
                os_message(&error)
            )],
        ),
    };
    let parsed = parse(&text, path, 1);
    let mut sources = Sources::default();
    sources.files.insert(path.to_path_buf(), text);
    Report {
        summary: format!("{}: OK, {}", path.display(), count(parsed.entries.len())),
        warnings: if errors.is_empty() {
            warnings(&parsed.entries, path, &sources)
        } else {
            Vec::new()
        },
        diagnostics: parsed.diagnostics,
        omitted: parsed.omitted,
        errors,
    }
}

/// `1 entry`, `2 entries`.
fn count(entries: usize) -> String {
    match entries {
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    }
}

/// The text of each file read, for the columns of the warnings.
#[derive(Default)]
struct Sources {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Sources {
    fn read<'a>(source: &impl Source, paths: impl Iterator<Item = &'a PathBuf>) -> Sources {
        let mut sources = Sources::default();
        for path in paths {
            if sources.files.contains_key(path) {
                continue;
            }
            if let Ok(text) = read_file(source, path) {
                sources.files.insert(path.clone(), text);
            }
        }
        sources
    }

    /// Physical line `line` (1-based) of `file`, without its newline.
    fn line(&self, file: &Path, line: usize) -> Option<&[u8]> {
        let text = self.files.get(file)?;
        text.split(|&b| b == b'\n').nth(line.checked_sub(1)?)
    }
}

/// The 1-based columns of the four fields of a physical line, as the parser
/// split them: after the leading blanks, at the first three colons. A line
/// longer than sysvinit's buffer was parsed in pieces, and a built-in entry
/// has no line: then every field is reported at column 1.
fn field_columns(line: Option<&[u8]>) -> [usize; 4] {
    let Some(line) = line.filter(|line| line.len() < LINE_BUFFER) else {
        return [1; 4];
    };
    let blanks = line
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let mut columns = [blanks + 1; 4];
    let mut colons = line
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b':')
        .map(|(at, _)| at + 2);
    for column in columns.iter_mut().skip(1) {
        *column = colons.next().unwrap_or(line.len() + 1);
    }
    columns
}

/// The runlevel characters that mean something in an entry's runlevels
/// field: the levels, and the ondemand letters (either case). A lowercase
/// `s` has a warning of its own.
const KNOWN_LEVELS: &str = "0123456789SsABCabc";
/// In an `initdefault` field: the levels (`s` is read as `S`).
const KNOWN_DEFAULT_LEVELS: &str = "0123456789Ss";

/// Accepted but suspicious: CRLF line endings, no `initdefault` in
/// `main_file`'s configuration, an invalid or a 0/6 initdefault, runlevel
/// characters init never matches (an unknown one, a lowercase `s`),
/// runlevels given for sysinit/boot/bootwait (ignored), an empty process
/// field.
fn warnings(entries: &[Entry], main_file: &Path, sources: &Sources) -> Vec<Warning> {
    let mut warnings = crlf_warnings(sources);
    let default = default_level(entries);
    let first_default = entries
        .iter()
        .position(|entry| entry.action == Action::Initdefault);
    if first_default.is_none() {
        warnings.push(Warning {
            file: main_file.to_path_buf(),
            line: 1,
            column: 1,
            message: "no initdefault entry: at boot init asks for the runlevel on the console \
                      (\"Enter runlevel:\") and waits for an answer"
                .to_string(),
        });
    }
    for (index, entry) in entries.iter().enumerate() {
        let line = sources.line(&entry.location.file, entry.location.line);
        let [_, levels_column, _, process_column] = field_columns(line);
        let mut warn = |column: usize, message: String| {
            warnings.push(Warning {
                file: entry.location.file.clone(),
                line: entry.location.line,
                column,
                message,
            })
        };
        let level_column =
            |level: char| levels_column + entry.runlevels.find(level).unwrap_or_default();
        match entry.action {
            Action::Sysinit | Action::Boot | Action::Bootwait => {
                if !entry.runlevels.is_empty() {
                    warn(
                        levels_column,
                        format!("the runlevels field of a {} entry is ignored", entry.action),
                    );
                }
                continue;
            }
            Action::Initdefault if Some(index) == first_default => match default {
                DefaultLevel::Invalid(level) => {
                    let column = entry
                        .runlevels
                        .char_indices()
                        .find(|(_, c)| c.to_ascii_uppercase() == level)
                        .map_or(levels_column, |(at, _)| levels_column + at);
                    warn(column, format!("Initdefault level '{level}' is invalid"));
                    continue;
                }
                DefaultLevel::Level(b'0') => warn(
                    level_column('0'),
                    "the default runlevel is 0: the machine halts right after every boot"
                        .to_string(),
                ),
                DefaultLevel::Level(b'6') => warn(
                    level_column('6'),
                    "the default runlevel is 6: the machine reboots over and over".to_string(),
                ),
                _ => {}
            },
            _ => {}
        }
        let known = if entry.action == Action::Initdefault {
            KNOWN_DEFAULT_LEVELS
        } else {
            KNOWN_LEVELS
        };
        if let Some((at, level)) = entry
            .runlevels
            .char_indices()
            .find(|(_, c)| !known.contains(*c))
        {
            warn(
                levels_column + at,
                format!(
                    "unknown runlevel {level:?} in the runlevels field: no level matches it \
                     (levels are 0-9 and S, ondemand letters A-C)"
                ),
            );
        }
        if entry.action != Action::Initdefault && entry.runlevels.contains('s') {
            warn(
                level_column('s'),
                "lowercase 's' in the runlevels field never matches single-user mode; write 'S'"
                    .to_string(),
            );
        }
        let runs_a_program = !matches!(entry.action, Action::Initdefault | Action::Off);
        let process = entry.process.trim_start_matches('+');
        if runs_a_program && process.trim().is_empty() {
            warn(
                process_column,
                "empty process field: the entry has no program to run".to_string(),
            );
        }
    }
    warnings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    warnings
}

/// A warning for the first line of each file that ends in CR LF: init reads
/// the carriage return as part of the last field.
fn crlf_warnings(sources: &Sources) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (file, text) in &sources.files {
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        // The last piece has no newline after it.
        let ended = lines.len().saturating_sub(1);
        let crlf_lines: Vec<usize> = lines
            .iter()
            .take(ended)
            .enumerate()
            .filter(|(_, line)| line.ends_with(b"\r"))
            .map(|(index, _)| index + 1)
            .collect();
        let Some(&first) = crlf_lines.first() else {
            continue;
        };
        let column = sources.line(file, first).map_or(1, <[u8]>::len);
        let how_many = match crlf_lines.len() {
            1 => String::new(),
            n => format!(" (the first of {n} in this file)"),
        };
        warnings.push(Warning {
            file: file.clone(),
            line: first,
            column,
            message: format!(
                "CRLF line ending{how_many}: init reads the carriage return as part of \
                 the last field; convert the file to LF line endings"
            ),
        });
    }
    warnings
}

#[cfg(test)]
mod tests;
