//! LSB init-script headers (`### BEGIN INIT INFO` … `### END INIT INFO`, docs/compatibility.md §8.4).
//!
//! Keywords are matched case-insensitively and may carry an `X-<vendor>-`
//! prefix, as insserv allows (`# X-UnitedLinux-Should-Start:` is
//! `Should-Start`). A header without its END line is an error, as it is fatal
//! for insserv. A file without any header is not an error: `parse` returns
//! `Ok(None)` and callers treat the script as "legacy" (ordered by link number).

// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use crate::untrusted::{self, Kind};
use std::fmt;
use std::path::{Path, PathBuf};

/// The parsed header of one init script. Lists keep the header's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LsbHeader {
    pub provides: Vec<String>,
    pub required_start: Vec<String>,
    pub required_stop: Vec<String>,
    pub should_start: Vec<String>,
    pub should_stop: Vec<String>,
    /// `X-Start-Before`: the named scripts start after this one.
    pub start_before: Vec<String>,
    /// `X-Stop-After`: the named scripts stop before this one.
    pub stop_after: Vec<String>,
    /// Runlevels as written, upper-cased (`S`, `2`…).
    pub default_start: Vec<String>,
    pub default_stop: Vec<String>,
    /// `X-Interactive: true`.
    pub interactive: bool,
    pub short_description: String,
    /// Continuation lines are joined with a newline.
    pub description: String,
    /// Where the header is in the script, for messages.
    pub lines: HeaderLines,
}

/// 1-based line numbers in the script; 0 for a keyword the header lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderLines {
    /// `### BEGIN INIT INFO`.
    pub begin: usize,
    pub required_start: usize,
    pub required_stop: usize,
}

/// A header that cannot be used; names the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsbError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LsbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for LsbError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Provides,
    RequiredStart,
    RequiredStop,
    ShouldStart,
    ShouldStop,
    StartBefore,
    StopAfter,
    DefaultStart,
    DefaultStop,
    Interactive,
    ShortDescription,
    Description,
}

fn keyword(lower: &str) -> Option<Keyword> {
    Some(match lower {
        "provides" => Keyword::Provides,
        "required-start" => Keyword::RequiredStart,
        "required-stop" => Keyword::RequiredStop,
        "should-start" => Keyword::ShouldStart,
        "should-stop" => Keyword::ShouldStop,
        "x-start-before" | "start-before" => Keyword::StartBefore,
        "x-stop-after" | "stop-after" => Keyword::StopAfter,
        "default-start" => Keyword::DefaultStart,
        "default-stop" => Keyword::DefaultStop,
        "x-interactive" | "interactive" => Keyword::Interactive,
        "short-description" => Keyword::ShortDescription,
        "description" => Keyword::Description,
        _ => return None,
    })
}

/// Recognises a keyword, with or without an `X-<vendor>-` prefix.
fn parse_keyword(word: &str) -> Option<Keyword> {
    let lower = word.to_ascii_lowercase();
    if let Some(k) = keyword(&lower) {
        return Some(k);
    }
    let rest = lower.strip_prefix("x-")?;
    let (vendor, tail) = rest.split_once('-')?;
    if vendor.is_empty() || !vendor.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    keyword(tail)
}

/// `### BEGIN INIT INFO`, with insserv's tolerance for spacing and case.
fn is_marker(line: &str, word: &str) -> bool {
    let Some(rest) = line.strip_prefix("###") else {
        return false;
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    words.len() == 3
        && words[0].eq_ignore_ascii_case(word)
        && words[1].eq_ignore_ascii_case("init")
        && words[2].eq_ignore_ascii_case("info")
}

fn words(value: &str) -> Vec<String> {
    value.split_whitespace().map(str::to_string).collect()
}

/// Parses the header in `text`; `file` is used in error messages only.
pub fn parse(text: &str, file: &Path) -> Result<Option<LsbHeader>, LsbError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let Some((begin_line, _)) = lines.find(|(_, l)| is_marker(l.trim_end(), "BEGIN")) else {
        return Ok(None);
    };
    let mut header = LsbHeader::default();
    header.lines.begin = begin_line;
    let mut in_description = false;
    for (number, line) in lines {
        let line = line.trim_end();
        if is_marker(line, "END") {
            return Ok(Some(header));
        }
        let Some(body) = line.strip_prefix('#') else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(LsbError {
                file: file.to_path_buf(),
                line: number,
                message: format!(
                    "missing \"### END INIT INFO\" (header begun at line {begin_line})"
                ),
            });
        };
        // Description continuation: "#<TAB>text" or "#  text".
        if in_description && (body.starts_with('\t') || body.starts_with("  ")) {
            let more = body.trim();
            if !more.is_empty() {
                if !header.description.is_empty() {
                    header.description.push('\n');
                }
                header.description.push_str(more);
            }
            continue;
        }
        in_description = false;
        let Some((name, value)) = body.trim_start().split_once(':') else {
            continue;
        };
        let Some(kw) = parse_keyword(name.trim_end()) else {
            continue; // insserv ignores unknown keywords
        };
        let value = value.trim();
        match kw {
            Keyword::Provides => header.provides = words(value),
            Keyword::RequiredStart => {
                header.required_start = words(value);
                header.lines.required_start = number;
            }
            Keyword::RequiredStop => {
                header.required_stop = words(value);
                header.lines.required_stop = number;
            }
            Keyword::ShouldStart => header.should_start = words(value),
            Keyword::ShouldStop => header.should_stop = words(value),
            Keyword::StartBefore => header.start_before = words(value),
            Keyword::StopAfter => header.stop_after = words(value),
            Keyword::DefaultStart => {
                header.default_start = value.split_whitespace().map(str::to_uppercase).collect()
            }
            Keyword::DefaultStop => {
                header.default_stop = value.split_whitespace().map(str::to_uppercase).collect()
            }
            Keyword::Interactive => header.interactive = value.eq_ignore_ascii_case("true"),
            Keyword::ShortDescription => header.short_description = value.to_string(),
            Keyword::Description => {
                header.description = value.to_string();
                in_description = true;
            }
        }
    }
    Err(LsbError {
        file: file.to_path_buf(),
        line: begin_line,
        message: "missing \"### END INIT INFO\" before end of file".to_string(),
    })
}

/// Reads and parses the header of the script at `path`. Non-UTF-8 bytes
/// (binary init "scripts") are replaced rather than rejected.
pub(crate) fn read(path: &Path) -> Result<Option<LsbHeader>, LsbError> {
    let bytes = untrusted::read(path, Kind::Script).map_err(|e| LsbError {
        file: path.to_path_buf(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    let header = parse(&String::from_utf8_lossy(&bytes), path);
    if let Ok(None) = header {
        log::debug!("{}: no LSB header", path.display());
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Option<LsbHeader>, LsbError> {
        parse(text, Path::new("/etc/init.d/x"))
    }

    const FULL: &str = "#!/bin/sh
# comment before
### BEGIN INIT INFO
# Provides:          rsyslog syslogd
# Required-Start:    $remote_fs $time
# Required-Stop:     umountnfs $time
# Should-Start:      $network
# Should-Stop:       $network
# X-Start-Before:    cron
# X-Stop-After:      sendsigs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# X-Interactive:     TRUE
# Short-Description: enhanced syslogd
# Description:       Rsyslog is an enhanced multi-threaded syslogd.
#\tIt is quite compatible to stock sysklogd
#  and can be used as a drop-in replacement.
### END INIT INFO
echo hi
";

    #[test]
    fn all_keywords() {
        let h = p(FULL).unwrap().unwrap();
        assert_eq!(h.provides, ["rsyslog", "syslogd"]);
        assert_eq!(h.required_start, ["$remote_fs", "$time"]);
        assert_eq!(h.required_stop, ["umountnfs", "$time"]);
        assert_eq!(h.should_start, ["$network"]);
        assert_eq!(h.should_stop, ["$network"]);
        assert_eq!(h.start_before, ["cron"]);
        assert_eq!(h.stop_after, ["sendsigs"]);
        assert_eq!(h.default_start, ["2", "3", "4", "5"]);
        assert_eq!(h.default_stop, ["0", "1", "6"]);
        assert!(h.interactive);
        assert_eq!(h.short_description, "enhanced syslogd");
        assert_eq!(
            h.description,
            "Rsyslog is an enhanced multi-threaded syslogd.\n\
             It is quite compatible to stock sysklogd\n\
             and can be used as a drop-in replacement."
        );
        let lines = HeaderLines {
            begin: 3,
            required_start: 5,
            required_stop: 6,
        };
        assert_eq!(h.lines, lines);
        let h = p("### BEGIN INIT INFO\n# Provides: x\n### END INIT INFO\n")
            .unwrap()
            .unwrap();
        assert_eq!((h.lines.begin, h.lines.required_start), (1, 0));
    }

    #[test]
    fn case_insensitive_and_vendor_prefix() {
        let h = p("### begin init info\n\
                   #provides: a\n\
                   # REQUIRED-START: b\n\
                   # X-UnitedLinux-Should-Start: c\n\
                   # x-debian-default-start: s 2\n\
                   # X-Foo-Bar: ignored\n\
                   ###   END  INIT   INFO  \n")
        .unwrap()
        .unwrap();
        assert_eq!(h.provides, ["a"]);
        assert_eq!(h.required_start, ["b"]);
        assert_eq!(h.should_start, ["c"]);
        assert_eq!(h.default_start, ["S", "2"]);
        assert!(!h.interactive);
    }

    #[test]
    fn no_header_is_none() {
        assert_eq!(p("#!/bin/sh\necho legacy\n").unwrap(), None);
    }

    #[test]
    fn missing_end_names_file_and_line() {
        let e = p("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: a\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(
            e.to_string(),
            "/etc/init.d/x:2: missing \"### END INIT INFO\" before end of file"
        );
        let e = p("### BEGIN INIT INFO\n# Provides: a\necho x\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().contains("begun at line 1"), "{e}");
    }

    #[test]
    fn empty_values_and_blank_lines() {
        let h = p("### BEGIN INIT INFO\n# Provides: a\n# Required-Start:\n\n# Default-Stop:\n### END INIT INFO\n")
            .unwrap()
            .unwrap();
        assert!(h.required_start.is_empty() && h.default_stop.is_empty());
    }
}
