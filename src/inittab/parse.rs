//! The line parser: sysvinit 3.06's `read_inittab` loop body, in nom.
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

use super::{Action, Diagnostic, Entry, Location};
use nom::IResult;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_while_m_n};
use nom::character::complete::char;
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use std::path::Path;

/// sysvinit's line buffer: `fgets` returns at most 255 bytes at a time.
pub const LINE_BUFFER: usize = 256;
const PIECE_MAX: usize = LINE_BUFFER - 1;

/// sysvinit's field limits (SPEC §1.2).
const ID_MAX: usize = 4;
const RUNLEVELS_MAX: usize = 11;
const PROCESS_MAX: usize = 127;
const ACTION_MAX: usize = 32;

/// The result of parsing one file's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
    /// sysvinit's counter value of the last piece read (`first_line - 1`
    /// for empty text), so the next file continues at `last_line + 1`.
    pub last_line: usize,
}

/// Parses the text of one inittab file. `first_line` is sysvinit's counter
/// value for the first piece (1 for `/etc/inittab`). Duplicate ids are
/// checked within `text`.
pub fn parse(text: &[u8], file: &Path, first_line: usize) -> Parsed {
    let mut collector = Collector::default();
    let last_line = collector.read_all(text, file, first_line);
    Parsed {
        entries: collector.entries,
        diagnostics: collector.diagnostics,
        last_line,
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

/// nom: one `fgets(buf, 256)` worth of input — up to and including the first
/// newline, at most 255 bytes.
fn fgets_piece(input: &[u8]) -> IResult<&[u8], &[u8]> {
    alt((
        recognize(pair(
            take_while_m_n(0, PIECE_MAX - 1, |b| b != b'\n'),
            tag(&b"\n"[..]),
        )),
        take_while_m_n(1, PIECE_MAX, |b| b != b'\n'),
    ))(input)
}

/// The pieces `fgets` would return for `text`, with their physical position.
pub(crate) fn pieces(text: &[u8]) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text;
    let mut line = 1usize;
    let mut column_base = 0usize;
    std::iter::from_fn(move || {
        let (after, bytes) = fgets_piece(rest).ok()?;
        rest = after;
        let piece = Piece {
            bytes,
            line,
            column_base,
        };
        if bytes.last() == Some(&b'\n') {
            line = line.saturating_add(1);
            column_base = 0;
        } else {
            column_base = column_base.saturating_add(bytes.len());
        }
        Some(piece)
    })
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
    /// Raw id bytes of `entries`, for byte-exact duplicate detection.
    ids: Vec<Vec<u8>>,
}

impl Collector {
    /// Parses every piece of `text`; returns sysvinit's counter value of
    /// the last piece.
    pub fn read_all(&mut self, text: &[u8], file: &Path, first_line: usize) -> usize {
        let mut sysv_line = first_line.saturating_sub(1);
        for (index, piece) in pieces(text).enumerate() {
            sysv_line = first_line.saturating_add(index);
            self.record(&piece, file, sysv_line);
        }
        sysv_line
    }

    /// sysvinit's loop body for one piece that has been counted as line
    /// `sysv_line`: skip comments, split, validate, add.
    pub fn record(&mut self, piece: &Piece<'_>, file: &Path, sysv_line: usize) {
        if let Err(diagnostic) = self.accept(piece, file, sysv_line) {
            self.log.push(diagnostic.sysvinit_text());
            self.diagnostics.push(diagnostic);
        }
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
        if id != b"~~" && self.ids.iter().any(|known| known == id) {
            return Err(diagnostic(
                format!("duplicate ID field \"{}\"", lossy(id)),
                fields.id.offset,
            ));
        }
        self.ids.push(id.to_vec());
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
        });
        Ok(())
    }
}

/// sysvinit's syntax checks, in its order; a later failing check overwrites
/// an earlier one (SPEC §1.2). Returns the message and the 0-based offset
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
