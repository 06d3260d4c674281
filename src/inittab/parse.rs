//! The line parser: sysvinit 3.06's `read_inittab` loop body, fields split
//! with nom.
//!
//! sysvinit reads with `fgets(buf, 256, fp)`, so a physical line longer than
//! 255 bytes arrives as several pieces, each parsed as a line of its own, and
//! its line counter (`/etc/inittab[N]`) advances once per piece. We do the
//! same: [`Location::sysv_line`]/[`Diagnostic::sysv_line`] follow sysvinit's
//! counter, while `line`/`column` give the physical position in the file so
//! that `FILE:LINE:COL` points at the right place (a piece's columns continue
//! from the previous piece of the same physical line).
//!
//! Each piece is a C string: bytes after a NUL are ignored. Leading blanks
//! are skipped (they are not part of the id, as in sysvinit: `strsep` starts
//! after them); a piece whose first non-blank byte is `#` or `\n` is skipped.
//! Fields are then split like `strsep`: id, runlevels and action end at the
//! next `:`, the process at `\n`. A field without its terminator runs to the
//! end of the piece (newline included, which counts in the length checks,
//! exactly as in C), and the fields after it are missing.
//!
//! [`PieceReader`] reads a stream as `fgets` does, in time linear in its
//! length and holding one piece at a time; a caller reading a file gives it
//! a size limit (see [`super::MAX_FILE_BYTES`]). At most
//! [`MAX_DIAGNOSTICS`] rejected lines are kept per read.

use super::{Action, Diagnostic, Entry, Location};
use nom::IResult;
use nom::bytes::complete::take_till;
use nom::character::complete::char;
use nom::combinator::opt;
use std::collections::HashSet;
use std::io::{self, BufRead};
use std::path::Path;

/// sysvinit's line buffer: `fgets` returns at most 255 bytes at a time.
pub(crate) const LINE_BUFFER: usize = 256;
const PIECE_MAX: usize = LINE_BUFFER - 1;

/// sysvinit's field limits (docs/compatibility.md §1.2).
const ID_MAX: usize = 4;
const RUNLEVELS_MAX: usize = 11;
const PROCESS_MAX: usize = 127;
const ACTION_MAX: usize = 32;

/// At most this many rejected lines are kept (and logged) per read; the
/// rest are only counted ([`Parsed::omitted`]). A file of junk would
/// otherwise cost PID 1 memory and console time for every line of it.
pub(crate) const MAX_DIAGNOSTICS: usize = 100;

/// The result of parsing one file's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
    /// sysvinit's counter value of the last piece read (`first_line - 1`
    /// for empty text), so the next file continues at `last_line + 1`.
    pub last_line: usize,
    /// Rejected lines beyond the first [`MAX_DIAGNOSTICS`], not kept.
    pub omitted: usize,
}

/// Parses the text of one inittab file. `first_line` is sysvinit's counter
/// value for the first piece (1 for `/etc/inittab`). Duplicate ids are
/// checked within `text`.
pub fn parse(text: &[u8], file: &Path, first_line: usize) -> Parsed {
    let mut collector = Collector::default();
    // Reading from memory cannot fail, and the text is in memory already:
    // no size limit.
    let last_line = collector
        .read_from(text, file, first_line, u64::MAX)
        .unwrap_or(first_line.saturating_sub(1));
    Parsed {
        entries: collector.entries,
        diagnostics: collector.diagnostics,
        last_line,
        omitted: collector.omitted,
    }
}

/// One `fgets` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece<'a> {
    pub bytes: &'a [u8],
    /// Physical line (1-based) the piece belongs to.
    pub line: usize,
    /// 0-based byte offset of the piece inside its physical line.
    pub column_base: usize,
}

/// sysvinit's `fgets(buf, 256, fp)` loop over a byte stream: pieces of at
/// most 255 bytes, each up to and including a newline. Reading is linear,
/// as `fgets` is: each byte is looked at once, and only one piece is held
/// besides the reader's own buffer, whatever the size of the input. More
/// than `limit` bytes in all is an error ([`too_large`]).
pub(crate) struct PieceReader<R> {
    input: Bounded<R>,
    piece: Vec<u8>,
    /// Position of the next piece.
    line: usize,
    column_base: usize,
}

impl<R: BufRead> PieceReader<R> {
    pub(crate) fn new(reader: R, limit: u64) -> PieceReader<R> {
        PieceReader {
            input: Bounded::new(reader, limit),
            piece: Vec::with_capacity(PIECE_MAX),
            line: 1,
            column_base: 0,
        }
    }

    /// The next piece, `None` at the end of the input.
    pub(crate) fn next_piece(&mut self) -> io::Result<Option<Piece<'_>>> {
        self.piece.clear();
        while self.piece.len() < PIECE_MAX {
            let available = match self.input.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            let room = PIECE_MAX - self.piece.len();
            let window = available.get(..room).unwrap_or(available);
            if window.is_empty() {
                break;
            }
            let (taken, ended) = match window.iter().position(|&b| b == b'\n') {
                Some(newline) => (newline + 1, true),
                None => (window.len(), false),
            };
            self.piece
                .extend_from_slice(window.get(..taken).unwrap_or(window));
            self.input.consume(taken)?;
            if ended {
                break;
            }
        }
        if self.piece.is_empty() {
            return Ok(None);
        }
        let (line, column_base) = (self.line, self.column_base);
        if self.piece.last() == Some(&b'\n') {
            self.line = self.line.saturating_add(1);
            self.column_base = 0;
        } else {
            self.column_base = self.column_base.saturating_add(self.piece.len());
        }
        Ok(Some(Piece {
            bytes: &self.piece,
            line,
            column_base,
        }))
    }
}

/// A stream of which at most `limit` bytes are read: consuming more is an
/// error ([`too_large`]).
pub(crate) struct Bounded<R> {
    reader: R,
    read: u64,
    limit: u64,
}

impl<R: BufRead> Bounded<R> {
    pub(crate) fn new(reader: R, limit: u64) -> Bounded<R> {
        Bounded {
            reader,
            read: 0,
            limit,
        }
    }

    /// What the reader holds (empty at the end of the stream).
    pub(crate) fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reader.fill_buf()
    }

    /// Consumes `n` bytes of what [`Bounded::fill_buf`] gave.
    pub(crate) fn consume(&mut self, n: usize) -> io::Result<()> {
        self.reader.consume(n);
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.limit {
            return Err(too_large(self.limit));
        }
        Ok(())
    }
}

/// The error for input longer than `limit` bytes.
pub(crate) fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "larger than {} bytes ({} MiB), the most init reads of a configuration file",
            limit,
            limit >> 20
        ),
    )
}

/// The bytes C string functions see: everything before the first NUL.
pub(crate) fn c_string(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(nul) => bytes.get(..nul).unwrap_or(bytes),
        None => bytes,
    }
}

/// Number of leading spaces and tabs.
pub(crate) fn leading_blanks(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// Whether sysvinit skips the piece as a comment or blank line: its first
/// non-blank byte is `#` or `\n`.
pub(crate) fn is_comment_or_blank(bytes: &[u8]) -> bool {
    let content = c_string(bytes);
    matches!(
        content.get(leading_blanks(content)),
        Some(b'#') | Some(b'\n')
    )
}

/// A field found by `strsep`, with its 0-based offset in the parsed text.
#[derive(Debug, Clone, Copy)]
struct Field<'a> {
    bytes: &'a [u8],
    offset: usize,
}

/// The four `strsep` results; `None` where sysvinit gets a NULL pointer.
#[derive(Debug)]
struct Fields<'a> {
    id: Field<'a>,
    runlevels: Option<Field<'a>>,
    action: Option<Field<'a>>,
    process: Option<Field<'a>>,
}

/// nom: a field up to `delimiter`, and whether the delimiter was there.
fn strsep_field(delimiter: char) -> impl Fn(&[u8]) -> IResult<&[u8], (&[u8], bool)> {
    move |input| {
        let (rest, field) = take_till(|b| char::from(b) == delimiter)(input)?;
        let (rest, found) = opt(char(delimiter))(rest)?;
        Ok((rest, (field, found.is_some())))
    }
}

/// Splits `line` (a NUL-free piece after its leading blanks) like
/// sysvinit's four `strsep` calls.
fn split_fields(line: &[u8]) -> Fields<'_> {
    // `strsep` on a NULL pointer returns NULL; on a string without the
    // delimiter it returns the whole string and sets the pointer to NULL.
    let mut rest = Some(line);
    let mut next = |delimiter: char| -> Option<Field<'_>> {
        let input = rest?;
        let offset = line.len().saturating_sub(input.len());
        match strsep_field(delimiter)(input) {
            Ok((after, (bytes, found))) => {
                rest = found.then_some(after);
                Some(Field { bytes, offset })
            }
            // take_till/opt cannot fail on complete input; treat it as
            // "no delimiter" to stay total.
            Err(_) => {
                rest = None;
                Some(Field {
                    bytes: input,
                    offset,
                })
            }
        }
    };
    let id = next(':').unwrap_or(Field {
        bytes: line,
        offset: 0,
    });
    let runlevels = next(':');
    let action = next(':');
    let process = next('\n');
    Fields {
        id,
        runlevels,
        action,
        process,
    }
}

/// `… and N more rejected lines not shown`, for `omitted` > 0.
pub(crate) fn omitted_message(omitted: usize) -> Option<String> {
    (omitted > 0).then(|| format!("... and {omitted} more rejected line(s), not shown"))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Accumulates entries and diagnostics over one or more files, checking
/// duplicate ids across all of them (sysvinit compares against the whole
/// new list).
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
    /// What sysvinit logs: each diagnostic's `/etc/inittab[N]: …` text, plus
    /// whatever the caller adds in between (notices).
    pub log: Vec<String>,
    /// Rejected lines beyond the first [`MAX_DIAGNOSTICS`].
    pub omitted: usize,
    /// The raw id of each entry of `entries` ([`id_key`]), in order…
    ids: Vec<u64>,
    /// …and as a set, for byte-exact duplicate detection in constant time.
    id_set: HashSet<u64>,
}

/// How far a [`Collector`] had got, to undo a file that could not be read
/// to its end.
pub(crate) struct Mark {
    entries: usize,
    diagnostics: usize,
    log: usize,
    omitted: usize,
}

/// An accepted id (1–4 bytes, as validated) as a number: its bytes and
/// its length.
fn id_key(id: &[u8]) -> u64 {
    let mut key = [0u8; 8];
    for (slot, byte) in key.iter_mut().zip(id.iter().take(ID_MAX)) {
        *slot = *byte;
    }
    key[7] = u8::try_from(id.len()).unwrap_or(u8::MAX);
    u64::from_le_bytes(key)
}

impl Collector {
    /// Parses every piece read from `reader`, at most `limit` bytes of it;
    /// returns sysvinit's counter value of the last piece. On an error the
    /// pieces read so far stay recorded (see [`Collector::mark`]).
    pub(crate) fn read_from(
        &mut self,
        reader: impl BufRead,
        file: &Path,
        first_line: usize,
        limit: u64,
    ) -> io::Result<usize> {
        let mut pieces = PieceReader::new(reader, limit);
        let mut sysv_line = first_line.saturating_sub(1);
        while let Some(piece) = pieces.next_piece()? {
            sysv_line = sysv_line.saturating_add(1);
            self.record(&piece, file, sysv_line);
        }
        Ok(sysv_line)
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            entries: self.entries.len(),
            diagnostics: self.diagnostics.len(),
            log: self.log.len(),
            omitted: self.omitted,
        }
    }

    /// Forgets everything recorded since `mark`.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        for key in self.ids.drain(mark.entries.min(self.ids.len())..) {
            self.id_set.remove(&key);
        }
        self.entries.truncate(mark.entries);
        self.diagnostics.truncate(mark.diagnostics);
        self.log.truncate(mark.log);
        self.omitted = mark.omitted;
    }

    /// sysvinit's loop body for one piece that has been counted as line
    /// `sysv_line`: skip comments, split, validate, add.
    pub(crate) fn record(&mut self, piece: &Piece<'_>, file: &Path, sysv_line: usize) {
        if let Err(diagnostic) = self.accept(piece, file, sysv_line) {
            if self.diagnostics.len() < MAX_DIAGNOSTICS {
                self.log.push(diagnostic.sysvinit_text());
                self.diagnostics.push(diagnostic);
            } else {
                self.omitted = self.omitted.saturating_add(1);
            }
        }
    }

    /// The line that says how many rejected lines were not kept, if any.
    pub(crate) fn omitted_message(&self) -> Option<String> {
        omitted_message(self.omitted)
    }

    /// Adds the piece's entry, or says why it is rejected.
    fn accept(
        &mut self,
        piece: &Piece<'_>,
        file: &Path,
        sysv_line: usize,
    ) -> Result<(), Diagnostic> {
        let content = c_string(piece.bytes);
        if is_comment_or_blank(content) {
            return Ok(());
        }
        let blanks = leading_blanks(content);
        let line = content.get(blanks..).unwrap_or_default();
        let fields = split_fields(line);
        let column = |offset: usize| {
            piece
                .column_base
                .saturating_add(blanks)
                .saturating_add(offset)
                .saturating_add(1)
        };
        let diagnostic = |message: String, offset: usize| Diagnostic {
            file: file.to_path_buf(),
            line: piece.line,
            column: column(offset),
            message,
            sysv_line,
        };

        if let Some((message, offset)) = validate(&fields, line) {
            return Err(diagnostic(message, offset));
        }
        // validate() returned None, so all four fields are present.
        let (Some(runlevels), Some(action_field), Some(process)) =
            (fields.runlevels, fields.action, fields.process)
        else {
            return Ok(());
        };
        let action_name = lossy(action_field.bytes);
        let Some(action) = Action::from_name(&action_name) else {
            return Err(diagnostic(
                format!("{action_name}: unknown action field"),
                action_field.offset,
            ));
        };
        let id = fields.id.bytes;
        let key = id_key(id);
        if id != b"~~" && !self.id_set.insert(key) {
            return Err(diagnostic(
                format!("duplicate ID field \"{}\"", lossy(id)),
                fields.id.offset,
            ));
        }
        self.ids.push(key);
        self.entries.push(Entry {
            id: lossy(id),
            runlevels: lossy(runlevels.bytes),
            action,
            process: lossy(process.bytes),
            location: Location {
                file: file.to_path_buf(),
                line: piece.line,
                sysv_line,
            },
            grammar: super::Grammar::Sysvinit,
        });
        Ok(())
    }
}

/// sysvinit's syntax checks, in its order; a later failing check overwrites
/// an earlier one (docs/compatibility.md §1.2). Returns the message and the 0-based offset
/// (in `line`) of the field it concerns.
fn validate(fields: &Fields<'_>, line: &[u8]) -> Option<(String, usize)> {
    // Where a missing field was expected: the end of the text, before the
    // newline.
    let end = line.len() - usize::from(line.last() == Some(&b'\n'));
    let mut error: Option<(String, usize)> = None;
    let mut fail = |message: &str, offset: usize| error = Some((message.to_string(), offset));

    if fields.id.bytes.is_empty() {
        fail("missing id field", fields.id.offset);
    }
    if fields.runlevels.is_none() {
        fail("missing runlevel field", end);
    }
    if fields.process.is_none() {
        fail("missing process field", end);
    }
    match fields.action {
        None => fail("missing action field", end),
        Some(action) if action.bytes.is_empty() => fail("missing action field", action.offset),
        Some(_) => {}
    }
    if fields.id.bytes.len() > ID_MAX {
        fail("id field too long (max 4 characters)", fields.id.offset);
    }
    if let Some(runlevels) = fields.runlevels.filter(|f| f.bytes.len() > RUNLEVELS_MAX) {
        fail(
            "rlevel field too long (max 11 characters)",
            runlevels.offset,
        );
    }
    if let Some(process) = fields.process.filter(|f| f.bytes.len() > PROCESS_MAX) {
        fail(
            "process field too long (max 127 characters)",
            process.offset,
        );
    }
    if let Some(action) = fields.action.filter(|f| f.bytes.len() > ACTION_MAX) {
        fail("action field too long", action.offset);
    }
    error
}

#[cfg(test)]
mod tests;
