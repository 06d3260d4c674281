//! Reading the whole configuration: `/etc/inittab`, the default sulogin
//! entry, then `/etc/inittab.d/*.tab` — in sysvinit 3.06's order.

use super::parse::{Collector, Piece, c_string, is_comment_or_blank, leading_blanks, pieces};
use super::{Diagnostic, Entry, kernel_console_entries};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The single-user program of the default `~~:S:wait:` entry.
pub const SULOGIN: &str = "/sbin/sulogin";

/// Everything [`load`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Accepted entries in file order: `/etc/inittab`, the default sulogin
    /// entry if added, then one per `inittab.d` file. (sysvinit's list puts
    /// power-type entries first: see [`super::start_order`].)
    pub entries: Vec<Entry>,
    /// Rejected lines, in reading order.
    pub diagnostics: Vec<Diagnostic>,
    /// sysvinit's informational messages, in order: `No inittab file found`,
    /// `No inittab.d directory found`, `Reading: /etc/inittab.d/NAME`,
    /// `added agetty on NAME with id ID`.
    pub notices: Vec<String>,
    /// Every line sysvinit would log (console and syslog) while reading, in
    /// its order: the notices interleaved with `/etc/inittab[N]: …` errors.
    pub log: Vec<String>,
    /// The default `~~:S:wait:/sbin/sulogin` entry was added (no entry of
    /// `/etc/inittab` runs in `S`).
    pub sulogin_added: bool,
    /// `/etc/inittab` does not exist (legal: init then prompts, SPEC §6).
    pub inittab_missing: bool,
    /// The first file that exists but could not be read, naming the file and
    /// the OS error. sysvinit skips such files silently (an unreadable
    /// `inittab.d` file) or treats them as missing/empty (`/etc/inittab`); we
    /// read the rest the same way and report it here.
    pub read_error: Option<String>,
}

impl Loaded {
    /// Every line was accepted and every file that exists could be read.
    /// (vinit's PID 1 keeps its last good configuration when a re-read is
    /// not clean.)
    pub fn is_clean(&self) -> bool {
        self.diagnostics.is_empty() && self.read_error.is_none()
    }
}

/// [`Loaded`] under construction: the collector keeps the entries, the
/// diagnostics and the ordered log.
#[derive(Default)]
struct Loader {
    collector: Collector,
    notices: Vec<String>,
    sulogin_added: bool,
    inittab_missing: bool,
    read_error: Option<String>,
}

impl Loader {
    fn notice(&mut self, text: String) {
        self.collector.log.push(text.clone());
        self.notices.push(text);
    }

    fn read_failed(&mut self, path: &Path, error: &io::Error) {
        if self.read_error.is_none() {
            self.read_error = Some(format!("cannot read {}: {error}", path.display()));
        }
    }
}

/// How reading a configuration file went.
pub(crate) enum FileText {
    Missing(io::Error),
    /// `fopen` would fail: sysvinit logs "No inittab file found".
    OpenFailed(io::Error),
    /// Opened but not readable as a file (a directory, a FIFO — which
    /// sysvinit would block on — an I/O error).
    ReadFailed(io::Error),
    Text(Vec<u8>),
}

pub(crate) fn read_file(path: &Path) -> FileText {
    let not_found = |error: &io::Error| error.kind() == io::ErrorKind::NotFound;
    match fs::metadata(path) {
        Err(error) if not_found(&error) => return FileText::Missing(error),
        Err(error) => return FileText::OpenFailed(error),
        Ok(metadata) if !metadata.is_file() => {
            return FileText::ReadFailed(io::Error::other("not a regular file"));
        }
        Ok(_) => {}
    }
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(error) if not_found(&error) => return FileText::Missing(error),
        Err(error) => return FileText::OpenFailed(error),
    };
    let mut text = Vec::new();
    match file.read_to_end(&mut text) {
        Ok(_) => FileText::Text(text),
        Err(error) => FileText::ReadFailed(error),
    }
}

/// The piece sysvinit takes from an `inittab.d` file: the first one that is
/// not a comment or blank line. If all are, sysvinit parses the last one
/// again (it counts a line and is skipped as a comment). A chosen piece with
/// nothing left after its blanks makes sysvinit skip the file (`strlen(p) ==
/// 0`), as does an empty file.
fn first_tab_piece(text: &[u8]) -> Option<Piece<'_>> {
    let mut last = None;
    for piece in pieces(text) {
        if !is_comment_or_blank(piece.bytes) {
            let content = c_string(piece.bytes);
            return (leading_blanks(content) < content.len()).then_some(piece);
        }
        last = Some(piece);
    }
    last
}

/// The `.tab` names sysvinit accepts: ending in `.tab`, at least 5 bytes.
fn is_tab_name(name: &[u8]) -> bool {
    name.len() >= 5 && name.ends_with(b".tab")
}

/// Reads `root/etc/inittab` and `root/etc/inittab.d` like sysvinit 3.06's
/// `read_inittab` (SPEC §1.1, §1.6, §3.8):
///
/// 1. `/etc/inittab`, every piece counted as a line;
/// 2. if no entry so far has `S` in its effective runlevels (uppercase only;
///    sysinit/boot entries have `#`/`*`, power entries default to
///    `S0123456789`), the line `~~:S:wait:/sbin/sulogin` is parsed as the
///    next line — this happens *before* `inittab.d` is read, as in sysvinit's
///    loop, so an `S` entry from `inittab.d` does not suppress it;
/// 3. each `inittab.d/*.tab` file: its first non-comment line, counted as
///    one line, duplicate ids checked against everything before;
/// 4. with `init.autocon=1` in `root/proc/cmdline`, an agetty entry per
///    `console=` ([`kernel_console_entries`]).
///
/// Deliberate difference: sysvinit reads `inittab.d` in `readdir` order; we
/// sort by file name (bytes) so the result does not depend on the file
/// system. Non-regular files are not opened (sysvinit would block on a FIFO).
pub fn load(root: &Path) -> Loaded {
    let mut loader = Loader::default();
    let inittab = root.join("etc/inittab");
    let tab_dir = root.join("etc/inittab.d");

    let text = match read_file(&inittab) {
        FileText::Text(text) => Some(text),
        FileText::Missing(_) => {
            loader.inittab_missing = true;
            loader.notice("No inittab file found".to_string());
            None
        }
        FileText::OpenFailed(error) => {
            loader.notice("No inittab file found".to_string());
            loader.read_failed(&inittab, &error);
            None
        }
        FileText::ReadFailed(error) => {
            loader.read_failed(&inittab, &error);
            None
        }
    };
    // sysvinit opens the directory before reading any line.
    let tab_names = match fs::read_dir(&tab_dir) {
        Ok(dir) => {
            let mut names: Vec<OsString> = dir
                .filter_map(Result::ok)
                .map(|entry| entry.file_name())
                .filter(|name| is_tab_name(name.as_bytes()))
                .collect();
            names.sort();
            names
        }
        Err(_) => {
            loader.notice("No inittab.d directory found".to_string());
            Vec::new()
        }
    };

    let collector = &mut loader.collector;
    let mut sysv_line = collector.read_all(text.as_deref().unwrap_or_default(), &inittab, 1);

    if !collector.entries.iter().any(|entry| entry.runs_in(b'S')) {
        sysv_line = sysv_line.saturating_add(1);
        let line = format!("~~:S:wait:{SULOGIN}\n");
        let piece = Piece {
            bytes: line.as_bytes(),
            line: sysv_line,
            column_base: 0,
        };
        collector.record(&piece, &inittab, sysv_line);
        loader.sulogin_added = true;
    }

    for name in tab_names {
        let path: PathBuf = tab_dir.join(&name);
        loader.notice(format!(
            "Reading: /etc/inittab.d/{}",
            name.to_string_lossy()
        ));
        let text = match read_file(&path) {
            FileText::Text(text) => text,
            FileText::Missing(_) => continue,
            FileText::OpenFailed(error) | FileText::ReadFailed(error) => {
                loader.read_failed(&path, &error);
                continue;
            }
        };
        let Some(piece) = first_tab_piece(&text) else {
            continue;
        };
        sysv_line = sysv_line.saturating_add(1);
        loader.collector.record(&piece, &path, sysv_line);
    }

    // sysvinit's check_kernel_console() runs at the end of every read.
    let cmdline_path = root.join("proc/cmdline");
    if let FileText::Text(cmdline) = read_file(&cmdline_path) {
        let consoles = kernel_console_entries(&cmdline, &cmdline_path, &loader.collector.entries);
        for (entry, message) in consoles {
            loader.notice(message);
            loader.collector.entries.push(entry);
        }
    }

    Loaded {
        entries: loader.collector.entries,
        diagnostics: loader.collector.diagnostics,
        notices: loader.notices,
        log: loader.collector.log,
        sulogin_added: loader.sulogin_added,
        inittab_missing: loader.inittab_missing,
        read_error: loader.read_error,
    }
}

#[cfg(test)]
mod tests;
