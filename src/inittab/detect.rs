//! Which grammar an inittab is in (docs/compatibility.md §11.1), decided
//! per file from its text, so that a BusyBox system needs no setting:
//!
//! * a comment line `# vinit: busybox` or `# vinit: sysvinit` decides (the
//!   first one; for a file that shows no sign of either grammar);
//! * otherwise a file is BusyBox's when some line shows a sign only BusyBox's
//!   grammar has (an empty id field, an id longer than sysvinit's four
//!   characters, the action `askfirst`, `shutdown` or `restart`) and no line
//!   shows one only sysvinit's has (`initdefault`, `boot`, `bootwait`,
//!   `off`, `ondemand`, the power actions, `kbrequest`);
//! * every other file is sysvinit's, as it always was: a file with signs of
//!   both is read as sysvinit's, whose checks then name the BusyBox lines.
//!
//! Only the first [`LOOKED_AT`] bytes of each line are looked at.

use std::io::{self, BufRead};

use super::busybox::PhysicalLines;
use super::load::MAX_FILE_BYTES;
use super::parse::{c_string, leading_blanks};
use super::{Action, Grammar};

/// How much of each line detection looks at: far more than an id and an
/// action need, unless the runlevels field is absurdly long.
const LOOKED_AT: usize = 512;
/// sysvinit's longest id.
const SYSVINIT_ID_MAX: usize = 4;

/// A line that shows which grammar it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sign {
    /// 1-based physical line and byte column.
    pub line: usize,
    pub column: usize,
    /// What shows it, e.g. `an empty id field`.
    pub what: String,
}

/// The grammar a file is in, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    pub grammar: Grammar,
    /// The line that decided; `None` for a sysvinit file without a sign
    /// of either grammar.
    pub reason: Option<Sign>,
    /// For a file read as sysvinit's: the first line that looks like
    /// BusyBox's grammar, which sysvinit's checks will reject.
    pub busybox_line: Option<Sign>,
}

impl Detection {
    /// `BusyBox's grammar (line 1, column 1: an empty id field)`.
    pub fn describe(&self) -> String {
        let grammar = format!("{}'s grammar", self.grammar.name());
        match &self.reason {
            Some(sign) => format!(
                "{grammar} (line {}, column {}: {})",
                sign.line, sign.column, sign.what
            ),
            None => format!("{grammar} (no line is in BusyBox's)"),
        }
    }
}

/// Reads the text and decides (module doc). An error is the reader's, or a
/// text larger than [`MAX_FILE_BYTES`].
pub fn detect(reader: impl BufRead) -> io::Result<Detection> {
    let mut lines = PhysicalLines::new(reader, LOOKED_AT, MAX_FILE_BYTES);
    let mut marker: Option<(Grammar, Sign)> = None;
    let mut busybox: Option<Sign> = None;
    let mut sysvinit: Option<Sign> = None;
    while let Some(line) = lines.next_line()? {
        let text = c_string(line.bytes);
        let blanks = leading_blanks(text);
        let content = text.get(blanks..).unwrap_or_default();
        if content.first() == Some(&b'#') {
            if marker.is_none()
                && let Some(grammar) = marker_grammar(content)
            {
                let sign = Sign {
                    line: line.number,
                    column: blanks + 1,
                    what: format!("the comment \"{}\"", String::from_utf8_lossy(content)),
                };
                marker = Some((grammar, sign));
            }
            continue;
        }
        if content.is_empty() {
            continue;
        }
        let mut fields = content.splitn(4, |&b| b == b':');
        // A line without its four fields is no entry in either grammar.
        let (Some(id), Some(_), Some(action), Some(_)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        // Where the action field starts: after the id, the runlevels and
        // their colons.
        let action_column = blanks
            + content
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b':')
                .nth(1)
                .map_or(0, |(at, _)| at + 1)
            + 1;
        let action_name = String::from_utf8_lossy(action);
        if sysvinit.is_none() && is_sysvinit_only(&action_name) {
            sysvinit = Some(Sign {
                line: line.number,
                column: action_column,
                what: format!("the action \"{action_name}\", which only sysvinit has"),
            });
        }
        if busybox.is_none() {
            let what = if id.is_empty() {
                Some("an empty id field (BusyBox's console)".to_string())
            } else if id.len() > SYSVINIT_ID_MAX {
                Some(format!(
                    "the id \"{}\", longer than sysvinit's 4 characters (BusyBox's tty)",
                    String::from_utf8_lossy(id)
                ))
            } else if matches!(
                Action::from_busybox_name(action),
                Some(Action::Askfirst | Action::Shutdown | Action::Restart)
            ) {
                Some(format!(
                    "the action \"{action_name}\", which only BusyBox has"
                ))
            } else {
                None
            };
            let column = if id.is_empty() || id.len() > SYSVINIT_ID_MAX {
                blanks + 1
            } else {
                action_column
            };
            busybox = what.map(|what| Sign {
                line: line.number,
                column,
                what,
            });
        }
    }
    Ok(match (marker, busybox, sysvinit) {
        (Some((grammar, sign)), busybox, _) => Detection {
            grammar,
            reason: Some(sign),
            busybox_line: busybox.filter(|_| grammar == Grammar::Sysvinit),
        },
        (None, Some(sign), None) => Detection {
            grammar: Grammar::BusyBox,
            reason: Some(sign),
            busybox_line: None,
        },
        (None, busybox, sysvinit) => Detection {
            grammar: Grammar::Sysvinit,
            reason: sysvinit,
            busybox_line: busybox,
        },
    })
}

/// `# vinit: busybox` or `# vinit: sysvinit` (blanks around the words
/// optional).
fn marker_grammar(comment: &[u8]) -> Option<Grammar> {
    let text = std::str::from_utf8(comment.strip_prefix(b"#")?).ok()?;
    let value = text.trim().strip_prefix("vinit:")?.trim();
    match value {
        "busybox" => Some(Grammar::BusyBox),
        "sysvinit" => Some(Grammar::Sysvinit),
        _ => None,
    }
}

/// An action name only sysvinit knows (compared as sysvinit does).
fn is_sysvinit_only(name: &str) -> bool {
    Action::from_name(name).is_some_and(|action| !Action::BUSYBOX.contains(&action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_text(text: &str) -> Detection {
        detect(text.as_bytes()).expect("in memory")
    }

    #[test]
    fn buildroot_and_alpine_files_are_busybox() {
        let buildroot = "\
# /etc/inittab
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/etc/init.d/rcS
console::respawn:/sbin/getty -L  console 0 vt100
::shutdown:/etc/init.d/rcK
::restart:/sbin/init
";
        let detected = detect_text(buildroot);
        assert_eq!(detected.grammar, Grammar::BusyBox);
        assert_eq!(
            detected.describe(),
            "BusyBox's grammar (line 2, column 1: an empty id field (BusyBox's console))"
        );
        let alpine = "tty1::respawn:/sbin/getty 38400 tty1\n::sysinit:/sbin/openrc sysinit\n";
        assert_eq!(detect_text(alpine).grammar, Grammar::BusyBox);
        let tty_only = "ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n";
        assert_eq!(detect_text(tty_only).grammar, Grammar::BusyBox);
        let askfirst = "tty2::askfirst:-/bin/sh\n";
        let detected = detect_text(askfirst);
        assert_eq!(detected.grammar, Grammar::BusyBox);
        assert_eq!(detected.reason.map(|s| s.column), Some(7));
    }

    #[test]
    fn sysvinit_files_stay_sysvinit() {
        let debian =
            "id:2:initdefault:\nsi::sysinit:/etc/init.d/rcS\n1:2345:respawn:/sbin/getty tty1\n";
        let detected = detect_text(debian);
        assert_eq!(detected.grammar, Grammar::Sysvinit);
        assert_eq!(
            detected.describe(),
            "sysvinit's grammar (line 1, column 6: the action \"initdefault\", which only sysvinit has)"
        );
        // No sign of either: sysvinit's, as always.
        let plain = "t1::respawn:/sbin/getty tty1\n";
        let detected = detect_text(plain);
        assert_eq!(
            (detected.grammar, detected.reason),
            (Grammar::Sysvinit, None)
        );
        assert_eq!(detect_text("").grammar, Grammar::Sysvinit);
    }

    #[test]
    fn a_file_with_signs_of_both_is_sysvinits_and_names_the_busybox_line() {
        let mixed = "id:2:initdefault:\n::sysinit:/etc/init.d/rcS\n";
        let detected = detect_text(mixed);
        assert_eq!(detected.grammar, Grammar::Sysvinit);
        assert_eq!(
            detected.busybox_line.map(|s| (s.line, s.column)),
            Some((2, 1))
        );
    }

    #[test]
    fn the_marker_comment_decides() {
        let text = "# vinit: busybox\nt1::respawn:/sbin/getty tty1\n";
        let detected = detect_text(text);
        assert_eq!(detected.grammar, Grammar::BusyBox);
        assert_eq!(
            detected.describe(),
            "BusyBox's grammar (line 1, column 1: the comment \"# vinit: busybox\")"
        );
        let text = "  #vinit:sysvinit\n::sysinit:/x\n";
        let detected = detect_text(text);
        assert_eq!(detected.grammar, Grammar::Sysvinit);
        assert_eq!(detected.busybox_line.map(|s| s.line), Some(2));
        assert_eq!(
            detect_text("# vinit: other\n::sysinit:/x\n").grammar,
            Grammar::BusyBox
        );
    }

    #[test]
    fn comments_blank_and_short_lines_show_nothing() {
        let text = "# ::askfirst:-/bin/sh\n\n   \nno colons here\n::\n";
        assert_eq!(detect_text(text).grammar, Grammar::Sysvinit);
    }
}
