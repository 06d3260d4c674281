//! Tests of the line parser against sysvinit 3.06's rules (docs/compatibility.md §1.1, §1.2).

use super::*;
use crate::inittab::{Action, plan_exec, shell_fallback};
use crate::runlevel::{at, level};
use std::path::Path;

fn parse_text(text: &[u8]) -> Parsed {
    parse(text, Path::new("/etc/inittab"), 1)
}

/// The single diagnostic of a one-line text: (message, column).
fn rejected(line: &str) -> (String, usize) {
    let parsed = parse_text(line.as_bytes());
    assert!(
        parsed.entries.is_empty(),
        "{line:?} was accepted: {parsed:?}"
    );
    match parsed.diagnostics.as_slice() {
        [diagnostic] => (diagnostic.message.clone(), diagnostic.column),
        other => panic!("{line:?}: expected one diagnostic, got {other:?}"),
    }
}

fn accepted(line: &str) -> Entry {
    let parsed = parse_text(line.as_bytes());
    assert!(
        parsed.diagnostics.is_empty(),
        "{line:?}: {:?}",
        parsed.diagnostics
    );
    match parsed.entries.as_slice() {
        [entry] => entry.clone(),
        other => panic!("{line:?}: expected one entry, got {other:?}"),
    }
}

#[test]
fn a_valid_line_keeps_its_fields_verbatim() {
    let entry = accepted("1:2345:respawn:/sbin/getty 38400 tty1\n");
    assert_eq!(entry.id, "1");
    assert_eq!(entry.runlevels, "2345");
    assert_eq!(entry.action, Action::Respawn);
    assert_eq!(entry.process, "/sbin/getty 38400 tty1");
    assert_eq!(entry.location.file, Path::new("/etc/inittab"));
    assert_eq!((entry.location.line, entry.location.sysv_line), (1, 1));
    // No trimming: spaces inside fields stay, the process may contain ':'.
    let entry = accepted("x: 2 :wait: /bin/a:b ");
    assert_eq!(entry.runlevels, " 2 ");
    assert_eq!(entry.process, " /bin/a:b ");
}

#[test]
fn every_action_name_is_accepted_in_any_case() {
    for action in Action::ALL {
        let line = format!("x:2:{}:/bin/true\n", action.name().to_uppercase());
        assert_eq!(accepted(&line).action, action);
    }
    assert_eq!(accepted("x:2:ReSpAwN:/bin/true").action, Action::Respawn);
}

#[test]
fn empty_runlevels_and_process_are_legal() {
    let entry = accepted("id:2:initdefault:\n");
    assert_eq!(entry.process, "");
    let entry = accepted("x::once:\n");
    assert_eq!(entry.runlevels, "");
}

#[test]
fn missing_field_messages_and_columns() {
    assert_eq!(rejected(":2:wait:/x\n"), ("missing id field".into(), 1));
    // Only an id: the runlevels, process and action are all missing; the
    // action check runs last and wins. The column is where ':' was expected.
    assert_eq!(rejected("abc\n"), ("missing action field".into(), 4));
    assert_eq!(rejected("abc"), ("missing action field".into(), 4));
    assert_eq!(rejected("x:2\n"), ("missing action field".into(), 4));
    assert_eq!(rejected("x:2:wait\n"), ("missing process field".into(), 9));
    assert_eq!(
        rejected("x:2::/bin/x\n"),
        ("missing action field".into(), 5)
    );
    assert_eq!(rejected(":2::/x\n"), ("missing action field".into(), 4));
}

#[test]
fn a_line_without_colons_reports_a_too_long_id() {
    // docs/compatibility.md §1.2 (observed): the whole line, newline included, is the id.
    assert_eq!(
        rejected("bad line without colons\n"),
        ("id field too long (max 4 characters)".into(), 1)
    );
    // strsep leaves the newline in the id: "abcd\n" is 5 bytes.
    assert_eq!(
        rejected("abcd\n"),
        ("id field too long (max 4 characters)".into(), 1)
    );
    assert_eq!(rejected("abcd"), ("missing action field".into(), 5));
}

#[test]
fn field_length_limits_at_the_boundaries() {
    accepted("abcd:2:wait:/x\n");
    assert_eq!(
        rejected("abcde:2:wait:/x\n"),
        ("id field too long (max 4 characters)".into(), 1)
    );
    accepted("x:12345678901:wait:/x\n");
    assert_eq!(
        rejected("x:123456789012:wait:/x\n"),
        ("rlevel field too long (max 11 characters)".into(), 3)
    );
    let process_127 = format!("/{}", "p".repeat(126));
    assert_eq!(
        accepted(&format!("x:2:wait:{process_127}\n")).process,
        process_127
    );
    assert_eq!(
        rejected(&format!("x:2:wait:{process_127}q\n")),
        ("process field too long (max 127 characters)".into(), 10)
    );
    // The newline is not part of the process, a CR is.
    assert_eq!(
        rejected(&format!("x:2:wait:{process_127}\r\n")),
        ("process field too long (max 127 characters)".into(), 10)
    );
    let action_32 = "a".repeat(32);
    assert_eq!(
        rejected(&format!("x:2:{action_32}:/x\n")),
        (format!("{action_32}: unknown action field"), 5)
    );
    assert_eq!(
        rejected(&format!("x:2:{action_32}a:/x\n")),
        ("action field too long".into(), 5)
    );
    // Without a following ':' the action runs to the end, newline included.
    assert_eq!(
        rejected(&format!("x:2:{}\n", "a".repeat(32))),
        ("action field too long".into(), 5)
    );
}

#[test]
fn the_last_failing_check_wins() {
    let long_process = "p".repeat(128);
    let long_action = "a".repeat(33);
    assert_eq!(
        rejected("12345::\n"),
        ("id field too long (max 4 characters)".into(), 1)
    );
    assert_eq!(
        rejected(":123456789012:wait:/x\n"),
        ("rlevel field too long (max 11 characters)".into(), 2)
    );
    assert_eq!(
        rejected(&format!("12345:123456789012:wait:{long_process}\n")),
        ("process field too long (max 127 characters)".into(), 25)
    );
    assert_eq!(
        rejected(&format!(
            "12345:123456789012:{long_action}:{long_process}\n"
        )),
        ("action field too long".into(), 20)
    );
    // A syntax error hides an unknown action.
    assert_eq!(
        rejected("12345:2:bogus:/x\n"),
        ("id field too long (max 4 characters)".into(), 1)
    );
}

#[test]
fn unknown_action_names_the_field_as_written() {
    assert_eq!(
        rejected("x:2:Bogus:/x\n"),
        ("Bogus: unknown action field".into(), 5)
    );
    assert_eq!(
        rejected("x:2:respawn :/x\n"),
        ("respawn : unknown action field".into(), 5)
    );
}

#[test]
fn duplicate_ids_drop_the_later_line() {
    let parsed = parse_text(b"a:2:wait:/x\na:3:once:/y\nA:3:once:/z\n");
    assert_eq!(parsed.entries.len(), 2);
    assert_eq!(parsed.entries[0].process, "/x");
    assert_eq!(parsed.entries[1].id, "A", "ids compare case-sensitively");
    assert_eq!(parsed.diagnostics.len(), 1);
    let duplicate = &parsed.diagnostics[0];
    assert_eq!(duplicate.message, "duplicate ID field \"a\"");
    assert_eq!((duplicate.line, duplicate.column), (2, 1));
    assert_eq!(
        duplicate.sysvinit_text(),
        "/etc/inittab[2]: duplicate ID field \"a\""
    );
    assert_eq!(
        duplicate.to_string(),
        "/etc/inittab:2:1: duplicate ID field \"a\""
    );

    // `~~` may repeat.
    let parsed = parse_text(b"~~:S:wait:/sbin/sulogin\n~~:1:wait:/x\n");
    assert_eq!(parsed.entries.len(), 2);
    assert!(parsed.diagnostics.is_empty());

    // A rejected line does not claim its id.
    let parsed = parse_text(b"a:2:bogus:/x\na:2:wait:/x\n");
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.diagnostics[0].message, "bogus: unknown action field");
}

#[test]
fn comments_and_blank_lines_are_skipped_but_counted() {
    let text =
        b"# comment\n\n   # indented\n\t#tab\n   \n \t \nx:2:wait:/bin/echo #not a comment\n";
    let parsed = parse_text(text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let entry = &parsed.entries[0];
    assert_eq!(entry.process, "/bin/echo #not a comment");
    assert_eq!((entry.location.line, entry.location.sysv_line), (7, 7));
    assert_eq!(parsed.last_line, 7);
}

#[test]
fn leading_blanks_are_not_part_of_the_id() {
    // sysvinit's strsep starts after the blanks it skipped.
    let entry = accepted("  \tab:2:wait:/x\n");
    assert_eq!(entry.id, "ab");
    assert_eq!(
        rejected("   abcde:2:wait:/x\n"),
        ("id field too long (max 4 characters)".into(), 4)
    );
    // Blanks only, without a newline (last line of a file): not a blank line.
    assert_eq!(rejected("   "), ("missing action field".into(), 4));
}

#[test]
fn crlf_leaves_a_carriage_return_in_the_process() {
    let entry = accepted("1:2345:respawn:/sbin/getty 38400 tty1\r\n");
    assert_eq!(entry.process, "/sbin/getty 38400 tty1\r");
    // A CRLF "blank" line is not blank for sysvinit.
    assert_eq!(rejected("\r\n"), ("missing action field".into(), 2));
}

#[test]
fn a_nul_byte_ends_the_line() {
    assert_eq!(accepted("x:2:wait:/x\0junk\n").process, "/x");
    assert_eq!(
        rejected("\0x:2:wait:/x\n"),
        ("missing action field".into(), 1)
    );
    // A NUL after blanks does not make a comment.
    assert_eq!(rejected("  \0#\n"), ("missing action field".into(), 3));
}

#[test]
fn lines_longer_than_255_bytes_are_split_into_pieces() {
    // 9 + 250 + newline: the first piece holds 255 bytes (process of 246).
    let long = format!("a:2:wait:{}\nb:2:wait:/x\n", "x".repeat(250));
    let parsed = parse_text(long.as_bytes());
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.entries[0].id, "b");
    // sysvinit counts each piece as a line: b is line 3 of its counter but
    // physical line 2.
    assert_eq!(
        (
            parsed.entries[0].location.line,
            parsed.entries[0].location.sysv_line
        ),
        (2, 3)
    );
    let [first, second] = parsed.diagnostics.as_slice() else {
        panic!("{:?}", parsed.diagnostics);
    };
    assert_eq!(first.message, "process field too long (max 127 characters)");
    assert_eq!((first.line, first.column, first.sysv_line), (1, 10, 1));
    // The rest "xxxx\n" is parsed as its own line: an id of 5 bytes.
    assert_eq!(second.message, "id field too long (max 4 characters)");
    assert_eq!((second.line, second.column, second.sysv_line), (1, 256, 2));
    assert_eq!(parsed.last_line, 3);
}

#[test]
fn a_newline_after_exactly_255_bytes_is_a_blank_piece() {
    let long = format!("x:2:wait:/{}", "p".repeat(245));
    assert_eq!(long.len(), 255);
    let parsed = parse_text(format!("{long}\ny:2:wait:/y\n").as_bytes());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.entries[0].location.sysv_line, 3);
    assert_eq!(parsed.last_line, 3);
    // 254 bytes plus the newline fit one piece.
    let fits = &long[..254];
    let parsed = parse_text(format!("{fits}\ny:2:wait:/y\n").as_bytes());
    assert_eq!(parsed.entries[0].location.sysv_line, 2);
}

#[test]
fn the_tail_of_a_long_comment_is_parsed_as_a_line() {
    // sysvinit 3.06 quirk, replicated: only the first 255-byte piece of a
    // comment starts with '#'.
    let text = format!("# {}a:2:wait:/bin/true\n", "c".repeat(253));
    let parsed = parse_text(text.as_bytes());
    assert!(parsed.diagnostics.is_empty());
    assert_eq!(parsed.entries[0].id, "a");
    assert_eq!(parsed.entries[0].location.line, 1);
    assert_eq!(parsed.entries[0].location.sysv_line, 2);
}

#[test]
fn last_line_follows_the_counter() {
    assert_eq!(parse(b"", Path::new("f"), 1).last_line, 0);
    assert_eq!(parse(b"a\nb\nc", Path::new("f"), 1).last_line, 3);
    let parsed = parse(b"# x\nz:2:wait:/x\n", Path::new("f"), 10);
    assert_eq!(parsed.last_line, 11);
    assert_eq!(parsed.entries[0].location.sysv_line, 11);
    assert_eq!(parsed.entries[0].location.line, 2);
}

#[test]
fn non_utf8_bytes_are_checked_raw_and_stored_lossily() {
    let parsed = parse_text(b"\xff:2:wait:/bin/\xfe\n\xfe:2:wait:/x\n\xff\xff\xff\xff:2:wait:/x\n");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(
        parsed.entries.len(),
        3,
        "distinct raw ids are not duplicates"
    );
    assert_eq!(parsed.entries[0].id, "\u{fffd}");
    assert_eq!(parsed.entries[0].process, "/bin/\u{fffd}");
    let parsed = parse_text(b"\xff:2:wait:/x\n\xff:2:wait:/y\n");
    assert_eq!(
        parsed.diagnostics[0].message,
        "duplicate ID field \"\u{fffd}\""
    );
}

/// A deterministic xorshift64* generator: no dependency, same inputs on
/// every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Bytes biased towards the ones that matter to the grammar.
    fn bytes(&mut self, length: usize) -> Vec<u8> {
        const INTERESTING: &[u8] = b"::::\n\n#  \t\r\0@+~;$S s0123456789abc/";
        (0..length)
            .map(|_| {
                let roll = self.next();
                if roll.is_multiple_of(3) {
                    (roll >> 8) as u8
                } else {
                    INTERESTING[(roll >> 8) as usize % INTERESTING.len()]
                }
            })
            .collect()
    }
}

/// Runs everything that consumes parsed text.
fn exercise(text: &[u8]) {
    let parsed = parse_text(text);
    for entry in &parsed.entries {
        for level in ['#', '*', 'S', '2', '-', '!'].map(at) {
            entry.runs_in(level);
            plan_exec(entry, true, level);
            plan_exec(entry, false, level);
        }
        entry.demand_marked_by(b'a');
        shell_fallback(&entry.process);
    }
    for diagnostic in &parsed.diagnostics {
        assert!(diagnostic.column >= 1);
        assert!(diagnostic.line >= 1);
        let _ = diagnostic.to_string();
    }
    crate::inittab::default_level(&parsed.entries);
}

#[test]
fn garbage_never_panics() {
    for byte in 0..=255u8 {
        exercise(&[byte]);
        exercise(&[byte, b'\n']);
        exercise(&[b'a', b':', b'2', b':', b'w', b'a', b'i', b't', b':', byte]);
    }
    exercise(&vec![b':'; 1000]);
    exercise(&b":\n".repeat(500));
    exercise(&vec![b'x'; 100_000]);
    exercise(&vec![b'\n'; 10_000]);
    exercise(&vec![0u8; 1000]);
    let mut long_line = b"a:2:respawn:".to_vec();
    long_line.extend(std::iter::repeat_n(b'$', 5000));
    exercise(&long_line);
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let length = (random.next() % 600) as usize;
        let text = random.bytes(length);
        exercise(&text);
    }
}

#[test]
fn the_shipped_example_is_valid() {
    let parsed = parse(
        include_bytes!("../../../etc/inittab.example"),
        Path::new("etc/inittab.example"),
        1,
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let ids: Vec<&str> = parsed.entries.iter().map(|e| e.id.as_str()).collect();
    for id in ["id", "si", "~~", "l0", "l6", "ca", "pf", "pn", "po", "co"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(
        crate::inittab::default_level(&parsed.entries),
        crate::inittab::DefaultLevel::Level(level('2'))
    );
}

#[test]
fn megabytes_without_a_newline_are_read_piece_by_piece() {
    // 4 MiB of NUL bytes: 16,449 pieces of 255 bytes (the last one short),
    // each an empty C string, so a missing id. Only the first
    // MAX_DIAGNOSTICS are kept; the others are counted.
    let zeros = vec![0u8; 4 << 20];
    let parsed = parse_text(&zeros);
    let pieces = zeros.len().div_ceil(PIECE_MAX);
    assert_eq!(parsed.last_line, pieces);
    assert!(parsed.entries.is_empty());
    assert_eq!(parsed.diagnostics.len(), MAX_DIAGNOSTICS);
    assert_eq!(parsed.omitted, pieces - MAX_DIAGNOSTICS);
    let last = parsed.diagnostics.last().expect("a diagnostic");
    assert_eq!(last.message, "missing action field");
    // All on physical line 1; the 100th piece starts at byte 99 * 255.
    assert_eq!((last.line, last.column), (1, 99 * PIECE_MAX + 1));
    assert_eq!(
        omitted_message(parsed.omitted).as_deref(),
        Some("... and 16349 more rejected line(s), not shown")
    );
    // The same bytes followed by a good line: the line is still found.
    let mut text = vec![b'x'; 3 << 20];
    text.extend_from_slice(b"\nok:2:once:/bin/true\n");
    let parsed = parse_text(&text);
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.entries[0].location.line, 2);
}

#[test]
fn many_distinct_ids_are_all_checked_for_duplicates() {
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!("{i:x}:2:off:\n"));
    }
    text.push_str("1f:3:off:\n");
    let parsed = parse_text(text.as_bytes());
    assert_eq!(parsed.entries.len(), 20_000);
    let [duplicate] = parsed.diagnostics.as_slice() else {
        panic!("{:?}", parsed.diagnostics);
    };
    assert_eq!(duplicate.message, "duplicate ID field \"1f\"");
    // "~~" may repeat; ids differing only in length or case do not clash.
    let parsed = parse_text(b"~~:S:off:\n~~:S:off:\na:2:off:\nA:2:off:\naa:2:off:\na\0:2:off:\n");
    assert_eq!(parsed.entries.len(), 5, "{:?}", parsed.diagnostics);
}

#[test]
fn a_reader_stops_at_its_limit_and_a_collector_can_forget_a_file() {
    let mut collector = Collector::default();
    let file = Path::new("/etc/inittab");
    let last = collector
        .read_from(&b"a:2:off:\nbad\n"[..], file, 1, 100)
        .expect("within the limit");
    assert_eq!(last, 2);
    let mark = collector.mark();
    let error = collector
        .read_from(&b"b:2:off:\nbad again\nc:2:off:\n"[..], file, 3, 12)
        .expect_err("over the limit");
    assert_eq!(error.kind(), std::io::ErrorKind::FileTooLarge);
    assert!(
        error.to_string().starts_with("larger than 12 bytes"),
        "{error}"
    );
    // The pieces before the limit were recorded; a rollback forgets them,
    // ids included.
    assert_eq!(collector.entries.len(), 2);
    collector.rollback(mark);
    assert_eq!(collector.entries.len(), 1);
    assert_eq!(collector.diagnostics.len(), 1);
    collector
        .read_from(&b"b:2:off:\n"[..], file, 3, 100)
        .expect("read");
    assert_eq!(collector.entries.len(), 2);
    assert!(
        collector.diagnostics.len() == 1,
        "{:?}",
        collector.diagnostics
    );
}
