//! Reading the whole configuration: `/etc/inittab`, the default sulogin
//! entry, then `/etc/inittab.d/*.tab` — in sysvinit 3.06's order; or, for
//! an `/etc/inittab` in BusyBox's grammar, that file alone, as BusyBox
//! reads it.

use super::parse::{
    Collector, Piece, PieceReader, c_string, is_comment_or_blank, leading_blanks, too_large,
};
use super::{Diagnostic, Entry, Grammar, busybox, detect, kernel_console_entries};
use std::ffi::OsString;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::defaults::SULOGIN;
use crate::runlevel::Phase;

/// The most bytes init reads from one configuration file: 4 MiB, more than
/// a thousand times a typical inittab (sysvinit has no limit). A larger
/// file is not read at all, as if it could not be read: init says so, with
/// its name, and keeps its last good configuration. Reading is streamed, so
/// even a file at the limit is never held in memory whole.
pub(crate) const MAX_FILE_BYTES: u64 = 4 << 20;

/// Everything [`load`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The grammar `/etc/inittab` is in ([`detect`]); sysvinit's when
    /// there is none. Everything else here was read in it.
    pub grammar: Grammar,
    /// Accepted entries in file order: `/etc/inittab`, the default sulogin
    /// entry if added, then one per `inittab.d` file. (sysvinit's list puts
    /// power-type entries first: see [`super::start_order`].)
    pub entries: Vec<Entry>,
    /// Rejected lines, in reading order (at most
    /// [`super::MAX_DIAGNOSTICS`]).
    pub diagnostics: Vec<Diagnostic>,
    /// Rejected lines beyond those, only counted.
    pub omitted: usize,
    /// How many of `entries` were read from the files (`/etc/inittab`,
    /// `inittab.d`): not the default sulogin entry, not the kernel console
    /// gettys. vinit's PID 1 does not apply a re-read that found none.
    pub entries_read: usize,
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
    /// `/etc/inittab` does not exist (legal: init then prompts, docs/compatibility.md §6).
    pub inittab_missing: bool,
    /// The first file that exists but could not be read, naming the file and
    /// the OS error. sysvinit skips such files silently (an unreadable
    /// `inittab.d` file) or treats them as missing/empty (`/etc/inittab`); we
    /// read the rest the same way and report it here.
    pub read_error: Option<String>,
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
            self.read_error = Some(format!(
                "cannot read {}: {}",
                path.display(),
                os_message(error)
            ));
        }
    }
}

/// Where [`load`] and `init --check` read the configuration: the file
/// system for init and the commands (`crate::filesystem::FileSystem`). The
/// reading itself — 255-byte `fgets` pieces, at most [`MAX_FILE_BYTES`] — is
/// done here, on the reader the source opens.
pub trait Source {
    /// Read twice over: once to tell the grammar, once to parse it.
    type File: Read + Seek;

    /// Opens `path` as init may read it: a regular file of at most `limit`
    /// bytes as far as its size says (reading checks again).
    fn open(&self, path: &Path, limit: u64) -> Result<Self::File, Unreadable>;

    /// The names in the directory `path`, in any order.
    fn names(&self, path: &Path) -> io::Result<Vec<OsString>>;
}

/// Why a configuration file is not read.
#[derive(Debug)]
pub enum Unreadable {
    Missing(io::Error),
    /// `fopen` would fail: sysvinit logs "No inittab file found".
    OpenFailed(io::Error),
    /// Opened but not readable as a file (a directory, a FIFO — which
    /// sysvinit would block on — one larger than the limit, an I/O error).
    ReadFailed(io::Error),
}

/// The system's message for an I/O error, as C's `strerror` gives it ("No
/// such file or directory"), without the "(os error 2)" Rust's `Display` adds.
pub(crate) fn os_message(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => error.to_string(),
    }
}

/// The whole text of a configuration file, at most [`MAX_FILE_BYTES`].
pub(crate) fn read_file(source: &impl Source, path: &Path) -> Result<Vec<u8>, Unreadable> {
    let file = source.open(path, MAX_FILE_BYTES)?;
    let mut text = Vec::new();
    match file.take(MAX_FILE_BYTES + 1).read_to_end(&mut text) {
        Ok(_) if text.len() as u64 > MAX_FILE_BYTES => {
            Err(Unreadable::ReadFailed(too_large(MAX_FILE_BYTES)))
        }
        Ok(_) => Ok(text),
        Err(error) => Err(Unreadable::ReadFailed(error)),
    }
}

/// Parses an opened configuration file into `collector`, streamed. A file
/// that cannot be read to its end (an I/O error, more than
/// [`MAX_FILE_BYTES`]) leaves nothing behind, as if it were empty.
fn parse_file(
    collector: &mut Collector,
    file: impl Read,
    path: &Path,
    first_line: usize,
) -> io::Result<usize> {
    let mark = collector.mark();
    let read = collector.read_from(BufReader::new(file), path, first_line, MAX_FILE_BYTES);
    if read.is_err() {
        collector.rollback(mark);
    }
    read
}

/// The piece sysvinit takes from an `inittab.d` file: the first one that is
/// not a comment or blank line. If all are, sysvinit parses the last one
/// again (it counts a line and is skipped as a comment). A chosen piece with
/// nothing left after its blanks makes sysvinit skip the file (`strlen(p) ==
/// 0`), as does an empty file. Returns the piece's bytes, line and column
/// base.
fn first_tab_piece(file: impl Read) -> io::Result<Option<(Vec<u8>, usize, usize)>> {
    let mut pieces = PieceReader::new(BufReader::new(file), MAX_FILE_BYTES);
    let mut last = None;
    while let Some(piece) = pieces.next_piece()? {
        if !is_comment_or_blank(piece.bytes) {
            let content = c_string(piece.bytes);
            let chosen = (leading_blanks(content) < content.len())
                .then(|| (piece.bytes.to_vec(), piece.line, piece.column_base));
            return Ok(chosen);
        }
        last = Some((piece.bytes.to_vec(), piece.line, piece.column_base));
    }
    Ok(last)
}

/// The `.tab` names sysvinit accepts: ending in `.tab`, at least 5 bytes.
fn is_tab_name(name: &[u8]) -> bool {
    name.len() >= 5 && name.ends_with(b".tab")
}

/// Reads `root/etc/inittab` and `root/etc/inittab.d` from `source` like sysvinit 3.06's
/// `read_inittab` (docs/compatibility.md §1.1, §1.6, §3.8):
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
pub fn load(source: &impl Source, root: &Path) -> Loaded {
    let mut loader = Loader::default();
    let inittab = root.join("etc/inittab");
    let tab_dir = root.join("etc/inittab.d");

    let file = match source.open(&inittab, MAX_FILE_BYTES) {
        Ok(file) => Some(file),
        Err(Unreadable::Missing(_)) => {
            loader.inittab_missing = true;
            loader.notice("No inittab file found".to_string());
            None
        }
        Err(Unreadable::OpenFailed(error)) => {
            loader.notice("No inittab file found".to_string());
            loader.read_failed(&inittab, &error);
            None
        }
        Err(Unreadable::ReadFailed(error)) => {
            loader.read_failed(&inittab, &error);
            None
        }
    };
    // sysvinit opens the directory before reading any line.
    let tab_names = match source.names(&tab_dir) {
        Ok(names) => {
            let mut names: Vec<OsString> = names
                .into_iter()
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

    let mut sysv_line = 0;
    if let Some(mut file) = file {
        match grammar_of(&mut file) {
            Ok(Grammar::BusyBox) => return load_busybox(file, &inittab),
            Ok(Grammar::Sysvinit) => match parse_file(&mut loader.collector, file, &inittab, 1) {
                Ok(last_line) => sysv_line = last_line,
                Err(error) => loader.read_failed(&inittab, &error),
            },
            Err(error) => loader.read_failed(&inittab, &error),
        }
    }
    let collector = &mut loader.collector;

    if !collector
        .entries
        .iter()
        .any(|entry| entry.runs_in(Phase::SINGLE))
    {
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
        let file = match source.open(&path, MAX_FILE_BYTES) {
            Ok(file) => file,
            Err(Unreadable::Missing(_)) => continue,
            Err(Unreadable::OpenFailed(error) | Unreadable::ReadFailed(error)) => {
                loader.read_failed(&path, &error);
                continue;
            }
        };
        let (bytes, line, column_base) = match first_tab_piece(file) {
            Ok(Some(chosen)) => chosen,
            Ok(None) => continue,
            Err(error) => {
                loader.read_failed(&path, &error);
                continue;
            }
        };
        let piece = Piece {
            bytes: &bytes,
            line,
            column_base,
        };
        sysv_line = sysv_line.saturating_add(1);
        loader.collector.record(&piece, &path, sysv_line);
    }

    let entries_read = loader
        .collector
        .entries
        .len()
        .saturating_sub(usize::from(loader.sulogin_added));
    // sysvinit's check_kernel_console() runs at the end of every read.
    let cmdline_path = root.join("proc/cmdline");
    if let Ok(cmdline) = read_file(source, &cmdline_path) {
        let consoles = kernel_console_entries(&cmdline, &cmdline_path, &loader.collector.entries);
        for (entry, message) in consoles {
            loader.notice(message);
            loader.collector.entries.push(entry);
        }
    }

    if let Some(message) = loader.collector.omitted_message() {
        loader.collector.log.push(message);
    }
    Loaded {
        grammar: Grammar::Sysvinit,
        entries: loader.collector.entries,
        diagnostics: loader.collector.diagnostics,
        omitted: loader.collector.omitted,
        entries_read,
        notices: loader.notices,
        log: loader.collector.log,
        sulogin_added: loader.sulogin_added,
        inittab_missing: loader.inittab_missing,
        read_error: loader.read_error,
    }
}

/// The grammar of an opened file ([`detect`]), which is then rewound.
fn grammar_of<F: Read + Seek>(file: &mut F) -> io::Result<Grammar> {
    let detection = detect(BufReader::new(&mut *file))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(detection.grammar)
}

/// `/etc/inittab` in BusyBox's grammar ([`busybox::parse`]): no
/// `/etc/inittab.d`, no default sulogin entry, no console gettys from the
/// kernel's command line, which BusyBox's init has none of either. Each
/// rejected line is logged as `FILE:LINE:COL: message`.
fn load_busybox(file: impl Read, inittab: &Path) -> Loaded {
    let parsed = match busybox::parse(BufReader::new(file), inittab, MAX_FILE_BYTES) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Loaded {
                grammar: Grammar::BusyBox,
                read_error: Some(format!(
                    "cannot read {}: {}",
                    inittab.display(),
                    os_message(&error)
                )),
                ..Loaded::default()
            };
        }
    };
    let mut log: Vec<String> = parsed.diagnostics.iter().map(ToString::to_string).collect();
    log.extend(super::omitted_message(parsed.omitted));
    Loaded {
        grammar: Grammar::BusyBox,
        entries_read: parsed.entries.len(),
        entries: parsed.entries,
        diagnostics: parsed.diagnostics,
        omitted: parsed.omitted,
        log,
        ..Loaded::default()
    }
}

#[cfg(test)]
mod tests;
