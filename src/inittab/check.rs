//! `init --check [FILE]`: validate an inittab without touching the running
//! system (no FIFO, no signals, no utmp). A vinit extension; `cmd::init`
//! prints the [`Report`]. A file is checked in the grammar init would read
//! it in ([`detect`]), and the report says which and why.
//!
//! Rejected lines are the parser's diagnostics. Warnings are for lines init
//! accepts but that are probably not what was meant; each names
//! `FILE:LINE:COLUMN` of the field concerned (the columns come from the
//! file's text, read again here).

use super::detect::{Detection, detect};
use super::exec::SHELL_METACHARACTERS;
use super::load::{MAX_FILE_BYTES, Source, Unreadable, os_message, read_file};
use super::{
    Action, DefaultLevel, Diagnostic, Entry, Grammar, LINE_BUFFER, busybox, default_level, load,
    parse,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::defaults::SULOGIN;
use crate::runlevel::Runlevel;

/// What a check found. Each rejected line prints as `FILE:LINE:COL:
/// message`, each warning as `FILE:LINE:COL: warning: message`; the summary
/// is for a check that rejected nothing.
pub(crate) struct Report {
    /// `FILE: BusyBox's grammar (line 1, column 1: an empty id field)`:
    /// which grammar the file was checked in, and why.
    pub grammar: String,
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

impl Warning {
    /// A warning about `entry`'s line, at `column`.
    fn on(entry: &Entry, column: usize, message: String) -> Warning {
        Warning {
            file: entry.location.file.clone(),
            line: entry.location.line,
            column,
            message,
        }
    }
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
    let detection = sources.detection(&inittab);
    Report {
        grammar: grammar_line(&inittab, &detection),
        warnings: grammar_warnings(&loaded.entries, &inittab, &sources, &detection),
        diagnostics: loaded.diagnostics,
        omitted: loaded.omitted,
        errors,
        summary,
    }
}

/// `FILE: GRAMMAR (why)`.
fn grammar_line(file: &Path, detection: &Detection) -> String {
    format!("{}: {}", file.display(), detection.describe())
}

/// The warnings of the grammar the file is in.
fn grammar_warnings(
    entries: &[Entry],
    main_file: &Path,
    sources: &Sources,
    detection: &Detection,
) -> Vec<Warning> {
    match detection.grammar {
        Grammar::Sysvinit => {
            let mut found = warnings(entries, main_file, sources);
            if let Some(sign) = &detection.busybox_line {
                found.push(Warning {
                    file: main_file.to_path_buf(),
                    line: sign.line,
                    column: sign.column,
                    message: format!(
                        "{}: this line is in BusyBox's grammar, but the file is read as \
                         sysvinit's ({})",
                        sign.what,
                        detection.describe()
                    ),
                });
                sort_warnings(&mut found);
            }
            found
        }
        Grammar::BusyBox => busybox_warnings(entries, sources),
    }
}

/// One file on its own (no `inittab.d`, no default sulogin entry).
pub(crate) fn check_file(source: &impl Source, path: &Path) -> Report {
    let mut report = check_file_text(source, path);
    if !report.errors.is_empty() {
        report.warnings.clear();
    }
    report
}

fn check_file_text(source: &impl Source, path: &Path) -> Report {
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
    let mut sources = Sources::default();
    sources.files.insert(path.to_path_buf(), text);
    let detection = sources.detection(path);
    let text = sources.files.get(path).map_or(&[][..], Vec::as_slice);
    let parsed = match detection.grammar {
        Grammar::Sysvinit => parse(text, path, 1),
        Grammar::BusyBox => busybox::parse(text, path, MAX_FILE_BYTES).unwrap_or_default(),
    };
    Report {
        grammar: grammar_line(path, &detection),
        summary: format!("{}: OK, {}", path.display(), count(parsed.entries.len())),
        warnings: grammar_warnings(&parsed.entries, path, &sources, &detection),
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

    /// The grammar of `file`'s text (sysvinit's if it was not read).
    fn detection(&self, file: &Path) -> Detection {
        self.files
            .get(file)
            .and_then(|text| detect(text.as_slice()).ok())
            .unwrap_or_default()
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
    columns_after_colons(blanks + 1, line)
}

/// The columns of a line's four fields when the first starts at column
/// `first`: each of the others just after one of the first three colons (past
/// the line's end when it has fewer).
fn columns_after_colons(first: usize, line: &[u8]) -> [usize; 4] {
    let mut columns = [first; 4];
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

/// Whether `c` means something in an entry's runlevels field: a level
/// (`s` included: it has a warning of its own), or, but in an
/// `initdefault` field, an ondemand letter (either case).
fn is_known_level(c: char, initdefault: bool) -> bool {
    Runlevel::from_char(c).is_some() || (!initdefault && "ABCabc".contains(c))
}

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
        let mut warn =
            |column: usize, message: String| warnings.push(Warning::on(entry, column, message));
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
                DefaultLevel::Level(Runlevel::HALT) => warn(
                    level_column('0'),
                    "the default runlevel is 0: the machine halts right after every boot"
                        .to_string(),
                ),
                DefaultLevel::Level(Runlevel::REBOOT) => warn(
                    level_column('6'),
                    "the default runlevel is 6: the machine reboots over and over".to_string(),
                ),
                _ => {}
            },
            _ => {}
        }
        let initdefault = entry.action == Action::Initdefault;
        if let Some((at, level)) = entry
            .runlevels
            .char_indices()
            .find(|(_, c)| !is_known_level(*c, initdefault))
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
    sort_warnings(&mut warnings);
    warnings
}

fn sort_warnings(warnings: &mut [Warning]) {
    warnings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
}

/// The columns of the four fields of a BusyBox line: the id from the first
/// column (BusyBox skips no blanks), the others after the first three
/// colons.
fn busybox_field_columns(line: Option<&[u8]>) -> [usize; 4] {
    line.map_or([1; 4], |line| columns_after_colons(1, line))
}

/// Accepted by BusyBox's rules but probably not meant (docs/compatibility.md
/// §11.2, §11.3): CRLF line endings, a runlevels field (ignored), a command
/// that starts with a blank (BusyBox takes the empty word before it for
/// the program), a tty longer than BusyBox keeps, a second `restart` entry
/// (only the first is used).
fn busybox_warnings(entries: &[Entry], sources: &Sources) -> Vec<Warning> {
    let mut warnings = crlf_warnings(sources);
    let mut restart_seen = false;
    for entry in entries {
        let line = sources.line(&entry.location.file, entry.location.line);
        let [_, levels_column, action_column, process_column] = busybox_field_columns(line);
        let mut warn =
            |column: usize, message: String| warnings.push(Warning::on(entry, column, message));
        if !entry.runlevels.is_empty() {
            warn(
                levels_column,
                "the runlevels field is ignored: BusyBox's grammar has no runlevels".to_string(),
            );
        }
        let command = entry.process.strip_prefix('-').unwrap_or(&entry.process);
        let through_shell = command.bytes().any(|b| SHELL_METACHARACTERS.contains(&b));
        if !through_shell && command.starts_with([' ', '\t']) {
            warn(
                process_column,
                "the command starts with a blank: init takes the empty word before it for \
                 the program, and cannot run it (as BusyBox's init)"
                    .to_string(),
            );
        }
        let tty = entry.id.strip_prefix("/dev/").unwrap_or(&entry.id);
        if "/dev/".len() + tty.len() > 31 {
            warn(
                1,
                format!("the tty /dev/{tty} is longer than 31 bytes: init cuts it, as BusyBox's"),
            );
        }
        if entry.action == Action::Restart {
            if restart_seen {
                warn(
                    action_column,
                    "a second restart entry: only the first is used".to_string(),
                );
            }
            restart_seen = true;
        }
    }
    sort_warnings(&mut warnings);
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
