//! BusyBox's grammar of `/etc/inittab` (docs/compatibility.md §11.2), read
//! as BusyBox 1.35's `parse_inittab` reads it, with `config_read`'s rules:
//!
//! * a line ending in `\` goes on on the next one (the backslash and the
//!   newline are dropped);
//! * a line is skipped when it is empty or its first byte is `#`; a `#`
//!   anywhere else ends the line (so `#` cannot appear in a command), and
//!   an indented `#` is no comment: the line is a bad entry;
//! * the fields are `tty:runlevels:action:command`, split at the first
//!   three colons; the command is the rest of the line, colons included,
//!   blanks kept; a line without four fields, with an empty command or
//!   an action other than BusyBox's eight (exact, lowercase) is a bad
//!   entry, which BusyBox reports as `Bad inittab entry at line N`;
//! * the runlevels field is ignored; the tty may be empty (the console);
//! * an entry with the same tty and command as an earlier one replaces it,
//!   at the later position and with the later action.
//!
//! Each entry's [`Entry::id`] is its tty field as written, its
//! [`Entry::grammar`] [`Grammar::BusyBox`]. Unlike BusyBox, a line longer
//! than [`MAX_LINE`] bytes is rejected, so that no file can make init hold
//! an unbounded command.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::Path;

use super::parse::{Bounded, MAX_DIAGNOSTICS, Parsed, c_string};
use super::{Action, Diagnostic, Entry, Grammar, Location};

/// The longest line (continuations joined) vinit takes from a BusyBox
/// inittab; BusyBox has no limit.
pub const MAX_LINE: usize = 4096;

/// The fields after the first, as messages name them.
const LATER_FIELDS: [&str; 3] = ["runlevels", "action", "process"];

/// One physical line of a stream, without its newline.
pub(crate) struct PhysicalLine<'a> {
    /// 1-based.
    pub number: usize,
    /// The first bytes of the line (as many as the reader keeps).
    pub bytes: &'a [u8],
    /// The whole line was longer than what `bytes` holds.
    pub cut: bool,
    /// The last byte of the whole line (before its newline).
    pub last: Option<u8>,
}

/// Reads a stream line by line, keeping at most `keep` bytes of each and
/// skipping the rest, and at most `limit` bytes in all ([`Bounded`]).
pub(crate) struct PhysicalLines<R> {
    input: Bounded<R>,
    line: Vec<u8>,
    number: usize,
    keep: usize,
}

impl<R: BufRead> PhysicalLines<R> {
    pub(crate) fn new(reader: R, keep: usize, limit: u64) -> PhysicalLines<R> {
        PhysicalLines {
            input: Bounded::new(reader, limit),
            line: Vec::new(),
            number: 0,
            keep,
        }
    }

    /// The next line, `None` at the end of the stream.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<PhysicalLine<'_>>> {
        self.line.clear();
        let mut cut = false;
        let mut seen_any = false;
        let mut last = None;
        loop {
            let available = match self.input.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                break;
            }
            seen_any = true;
            let (taken, ended) = match available.iter().position(|&b| b == b'\n') {
                Some(newline) => (newline + 1, true),
                None => (available.len(), false),
            };
            let content = available
                .get(..taken - usize::from(ended))
                .unwrap_or_default();
            if let Some(&byte) = content.last() {
                last = Some(byte);
            }
            let room = self.keep.saturating_sub(self.line.len());
            if content.len() > room {
                cut = true;
            }
            self.line
                .extend_from_slice(content.get(..room.min(content.len())).unwrap_or_default());
            self.input.consume(taken)?;
            if ended {
                break;
            }
        }
        if !seen_any {
            return Ok(None);
        }
        self.number = self.number.saturating_add(1);
        Ok(Some(PhysicalLine {
            number: self.number,
            bytes: &self.line,
            cut,
            last,
        }))
    }
}

/// A line with its continuations joined, and where each physical line of
/// it starts, for the columns of messages.
struct LogicalLine {
    text: Vec<u8>,
    /// (offset in `text`, physical line, column of that offset), in order.
    starts: Vec<(usize, usize, usize)>,
    too_long: bool,
}

impl LogicalLine {
    /// The physical line and 1-based column of byte `offset` of the text.
    fn position(&self, offset: usize) -> (usize, usize) {
        let (start, line, column) = self
            .starts
            .iter()
            .rev()
            .find(|(start, _, _)| *start <= offset)
            .or(self.starts.first())
            .copied()
            .unwrap_or((0, 1, 1));
        (line, column + offset.saturating_sub(start))
    }

    fn first_line(&self) -> usize {
        self.starts.first().map_or(1, |(_, line, _)| *line)
    }
}

/// Reads the next line as `get_line_with_continuation` does.
fn next_logical<R: BufRead>(lines: &mut PhysicalLines<R>) -> io::Result<Option<LogicalLine>> {
    let Some(first) = lines.next_line()? else {
        return Ok(None);
    };
    let mut logical = LogicalLine {
        text: first.bytes.to_vec(),
        starts: vec![(0, first.number, 1)],
        too_long: first.cut || first.bytes.len() > MAX_LINE,
    };
    // A line too long is still read to its end (and rejected whole).
    let mut continues = first.last == Some(b'\\');
    while continues {
        if !logical.too_long {
            logical.text.pop();
        }
        let Some(next) = lines.next_line()? else {
            break;
        };
        continues = next.last == Some(b'\\');
        let room = (MAX_LINE + 1).saturating_sub(logical.text.len());
        logical.starts.push((logical.text.len(), next.number, 1));
        logical.text.extend_from_slice(
            next.bytes
                .get(..room.min(next.bytes.len()))
                .unwrap_or_default(),
        );
        logical.too_long |= next.cut || next.bytes.len() > room || logical.text.len() > MAX_LINE;
    }
    Ok(Some(logical))
}

/// The byte ranges of the four `config_read` tokens of a line (fewer when
/// the line has fewer), with the offset where a missing one was expected.
fn tokens(line: &[u8]) -> (Vec<(usize, usize)>, usize) {
    let mut found = Vec::with_capacity(4);
    let mut at = 0;
    while found.len() < 4 {
        let rest = line.get(at..).unwrap_or_default();
        let last = found.len() == 3;
        let length = rest
            .iter()
            .position(|&b| b == b'#' || (!last && b == b':'))
            .unwrap_or(rest.len());
        let end = at + length;
        found.push((at, end));
        match line.get(end) {
            // A `#` ends the line; a `:` ends the token.
            Some(b':') => at = end + 1,
            _ => return (found, end),
        }
        if matches!(line.get(at), None | Some(b'#')) {
            return (found, at);
        }
    }
    (found, line.len())
}

/// What one line gave.
enum Line {
    Skipped,
    Entry(Entry),
    Bad(Diagnostic),
}

fn parse_line(logical: &LogicalLine, file: &Path) -> Line {
    let bad = |offset: usize, message: String| {
        let (line, column) = logical.position(offset);
        Line::Bad(Diagnostic {
            file: file.to_path_buf(),
            line,
            column,
            message,
            sysv_line: line,
        })
    };
    if logical.too_long {
        return bad(0, format!("line longer than {MAX_LINE} bytes"));
    }
    let text = c_string(&logical.text);
    if matches!(text.first(), None | Some(b'#')) {
        return Line::Skipped;
    }
    let (fields, missing_at) = tokens(text);
    let field = |index: usize| {
        fields
            .get(index)
            .and_then(|&(start, end)| text.get(start..end))
    };
    // BusyBox says only "Bad inittab entry"; an unknown action is named
    // first, as the likelier mistake (`initdefault` in a converted file).
    let action = match (field(2), fields.get(2)) {
        (Some(name), Some(&(offset, _))) => match Action::from_busybox_name(name) {
            Some(action) => Some(action),
            None => {
                return bad(
                    offset,
                    format!(
                        "unknown action \"{}\" (BusyBox's are sysinit, wait, once, respawn, \
                         askfirst, ctrlaltdel, shutdown, restart)",
                        String::from_utf8_lossy(name)
                    ),
                );
            }
        },
        _ => None,
    };
    let (Some(tty), Some(runlevels), Some(action), Some(command)) =
        (field(0), field(1), action, field(3))
    else {
        let name = LATER_FIELDS
            .get(fields.len().saturating_sub(1))
            .copied()
            .unwrap_or("process");
        let blanks = text
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let hint = if text.get(blanks) == Some(&b'#') {
            ": a comment must start in the first column"
        } else if blanks == text.len() {
            ": a line of blanks is no comment"
        } else {
            ""
        };
        return bad(missing_at, format!("missing {name} field{hint}"));
    };
    let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Line::Entry(Entry {
        id: lossy(tty),
        runlevels: lossy(runlevels),
        action,
        process: lossy(command),
        location: Location {
            file: file.to_path_buf(),
            line: logical.first_line(),
            sysv_line: logical.first_line(),
        },
        grammar: Grammar::BusyBox,
    })
}

/// Whether a `restart` entry's command only executes init again:
/// `/sbin/init` or `init` (on the `PATH`) and nothing else, as in BusyBox's
/// own `::restart:/sbin/init`.
pub(crate) fn names_init(process: &str) -> bool {
    let command = process.strip_prefix('-').unwrap_or(process);
    matches!(command.trim_end_matches([' ', '\t']), "/sbin/init" | "init")
}

/// The tty an id names, as BusyBox compares them (`tty2` and `/dev/tty2`
/// are the same).
fn tty_key(id: &str) -> &str {
    id.strip_prefix("/dev/").unwrap_or(id)
}

/// Reads a BusyBox inittab (module doc), at most `limit` bytes of it.
/// `last_line` of the result is the number of physical lines.
pub fn parse(reader: impl BufRead, file: &Path, limit: u64) -> io::Result<Parsed> {
    let mut lines = PhysicalLines::new(reader, MAX_LINE + 1, limit);
    let mut kept: Vec<Option<Entry>> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut parsed = Parsed::default();
    while let Some(logical) = next_logical(&mut lines)? {
        parsed.last_line = logical.starts.last().map_or(0, |(_, line, _)| *line);
        match parse_line(&logical, file) {
            Line::Skipped => {}
            Line::Entry(entry) => {
                let key = (tty_key(&entry.id).to_string(), entry.process.clone());
                if let Some(earlier) = index.insert(key, kept.len())
                    && let Some(slot) = kept.get_mut(earlier)
                {
                    *slot = None;
                }
                kept.push(Some(entry));
            }
            Line::Bad(diagnostic) => {
                if parsed.diagnostics.len() < MAX_DIAGNOSTICS {
                    parsed.diagnostics.push(diagnostic);
                } else {
                    parsed.omitted = parsed.omitted.saturating_add(1);
                }
            }
        }
    }
    parsed.entries = kept.into_iter().flatten().collect();
    Ok(parsed)
}

#[cfg(test)]
mod tests;
