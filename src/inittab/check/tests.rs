//! Tests of `init --check`.

use super::*;
use crate::filesystem::FileSystem;
use std::fs;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

fn check_file(path: &Path) -> Report {
    super::check_file(&FileSystem, path)
}

fn check_system(root: &Path) -> Report {
    super::check_system(&FileSystem, root)
}

#[test]
fn a_valid_file_passes_and_a_bad_line_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = write(
        dir.path(),
        "good",
        "id:2:initdefault:\nl2:2:wait:/sbin/rc 2\n",
    );
    let bad = write(dir.path(), "bad", "l2:2:wait:/sbin/rc 2\nbad line\n");
    let report = check_file(Path::new(&bad));
    assert_eq!(
        report.diagnostics[0].to_string(),
        format!("{bad}:2:1: id field too long (max 4 characters)")
    );
    assert_eq!(
        check_file(Path::new(&good)).summary,
        format!("{good}: OK, 2 entries")
    );
}

#[test]
fn an_unreadable_file_fails_naming_the_file_and_the_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope");
    let report = check_file(&missing);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].contains("nope"), "{:?}", report.errors);
    assert!(
        report.errors[0].contains("No such file or directory"),
        "{:?}",
        report.errors
    );
    let report = check_file(dir.path());
    assert!(
        report.errors[0].contains("not a regular file"),
        "{:?}",
        report.errors
    );
}

#[test]
fn the_system_check_reads_inittab_d_and_reports_the_default_sulogin() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(dir.path().join("etc/inittab.d")).expect("dirs");
    write(dir.path(), "etc/inittab", "id:2:initdefault:\n");
    write(dir.path(), "etc/inittab.d/x.tab", "x:2:respawn:/x\n");
    let report = check_system(dir.path());
    assert!(report.diagnostics.is_empty() && report.errors.is_empty());
    assert_eq!(
        report.summary,
        format!(
            "{}: OK, 3 entries (with 1 file from /etc/inittab.d), default ~~:S:wait:/sbin/sulogin added",
            dir.path().join("etc/inittab").display()
        )
    );
    write(dir.path(), "etc/inittab.d/y.tab", "x:3:respawn:/dup\n");
    let report = check_system(dir.path());
    assert_eq!(report.diagnostics[0].message, "duplicate ID field \"x\"");
    fs::remove_file(dir.path().join("etc/inittab")).expect("rm");
    let report = check_system(dir.path());
    assert!(
        report.errors[0].contains("etc/inittab"),
        "{:?}",
        report.errors
    );
}

/// The warnings of `text` checked as a file of its own, as `LINE:COL: message`.
fn warnings_of(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "t", text);
    let report = check_file(Path::new(&file));
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    report
        .warnings
        .iter()
        .map(|w| {
            assert_eq!(w.file, Path::new(&file));
            format!("{}:{}: {}", w.line, w.column, w.message)
        })
        .collect()
}

#[test]
fn suspicious_but_valid_lines_give_warnings_at_their_field() {
    assert_eq!(
        warnings_of("id:x:initdefault:\nsu:s:wait:/sbin/sulogin\n  si:2:sysinit:/x\n"),
        [
            "1:4: Initdefault level 'X' is invalid",
            "2:4: lowercase 's' in the runlevels field never matches single-user mode; write 'S'",
            "3:6: the runlevels field of a sysinit entry is ignored",
        ]
    );
}

#[test]
fn a_missing_initdefault_is_a_warning_at_the_top_of_the_file() {
    assert_eq!(
        warnings_of("l2:2:wait:/sbin/rc 2\n"),
        [
            "1:1: no initdefault entry: at boot init asks for the runlevel on the console \
          (\"Enter runlevel:\") and waits for an answer"
        ]
    );
}

#[test]
fn a_default_level_of_0_or_6_is_a_warning() {
    assert_eq!(
        warnings_of("id:0:initdefault:\n"),
        ["1:4: the default runlevel is 0: the machine halts right after every boot"]
    );
    assert_eq!(
        warnings_of("id:6:initdefault:\n"),
        ["1:4: the default runlevel is 6: the machine reboots over and over"]
    );
    assert!(warnings_of("id:2:initdefault:\n").is_empty());
}

#[test]
fn unknown_runlevels_and_empty_processes_are_warnings() {
    assert_eq!(
        warnings_of(
            "id:2:initdefault:\nx:23z:respawn:/bin/x\ny:2:once:\nz:2:once:+ \nd:A:ondemand:/d\n"
        ),
        [
            "2:5: unknown runlevel 'z' in the runlevels field: no level matches it \
             (levels are 0-9 and S, ondemand letters A-C)",
            "3:10: empty process field: the entry has no program to run",
            "4:10: empty process field: the entry has no program to run",
        ]
    );
}

#[test]
fn crlf_line_endings_are_a_warning_at_the_first_carriage_return() {
    assert_eq!(
        warnings_of("# comment\r\nid:2:initdefault:\r\nl2:2:wait:/sbin/rc 2\r\n"),
        [
            "1:10: CRLF line ending (the first of 3 in this file): init reads the carriage \
          return as part of the last field; convert the file to LF line endings"
        ]
    );
    assert_eq!(
        warnings_of("id:2:initdefault:\nl2:2:wait:/sbin/rc 2\r\n"),
        [
            "2:21: CRLF line ending: init reads the carriage return as part of the last field; \
          convert the file to LF line endings"
        ]
    );
}

#[test]
fn warnings_in_inittab_d_name_their_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(dir.path().join("etc/inittab.d")).expect("dirs");
    write(dir.path(), "etc/inittab", "id:2:initdefault:\n");
    write(dir.path(), "etc/inittab.d/x.tab", "# x\nx:2q:respawn:/x\n");
    let report = check_system(dir.path());
    let shown: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [format!(
            "{}:2:4: warning: unknown runlevel 'q' in the runlevels field: no level matches it \
             (levels are 0-9 and S, ondemand letters A-C)",
            dir.path().join("etc/inittab.d/x.tab").display()
        )]
    );
}

#[test]
fn field_columns_follow_the_blanks_and_colons() {
    assert_eq!(field_columns(Some(b"id:2:initdefault:")), [1, 4, 6, 18]);
    assert_eq!(
        field_columns(Some(b"\t l2:2:wait:/sbin/rc 2")),
        [3, 6, 8, 13]
    );
    assert_eq!(field_columns(None), [1; 4]);
    assert_eq!(field_columns(Some(&[b'x'; 300])), [1; 4]);
}

#[test]
fn one_entry_is_one_entry() {
    assert_eq!(count(1), "1 entry");
    assert_eq!(count(0), "0 entries");
    assert_eq!(count(2), "2 entries");
}

#[test]
fn a_busybox_file_is_checked_in_busyboxs_grammar_and_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "inittab",
        "::sysinit:/etc/init.d/rcS\n\
         tty1:2345:respawn:/sbin/getty 38400 tty1\n\
         ::once: /bin/true\n\
         ::restart:/sbin/init\n\
         ::restart:/bin/other\n",
    );
    let report = check_file(Path::new(&file));
    assert_eq!(
        report.grammar,
        format!(
            "{file}: BusyBox's grammar (line 1, column 1: an empty id field (BusyBox's console))"
        )
    );
    assert!(report.diagnostics.is_empty());
    assert_eq!(report.summary, format!("{file}: OK, 5 entries"));
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            format!(
                "{file}:2:6: warning: the runlevels field is ignored: BusyBox's grammar has no \
                 runlevels"
            ),
            format!(
                "{file}:3:8: warning: the command starts with a blank: init takes the empty word \
                 before it for the program, and cannot run it (as BusyBox's init)"
            ),
            format!("{file}:5:3: warning: a second restart entry: only the first is used"),
        ]
    );

    let bad = write(dir.path(), "bad", "::sysinit:/x\nid:2:initdefault:\n");
    // `initdefault` makes it sysvinit's: the BusyBox line is named.
    let report = check_file(Path::new(&bad));
    assert!(
        report
            .grammar
            .contains("sysvinit's grammar (line 2, column 6"),
        "{}",
        report.grammar
    );
    assert_eq!(report.diagnostics[0].message, "missing id field");
    assert!(
        report.warnings.iter().any(|w| w.line == 1
            && w.message.starts_with(
                "an empty id field (BusyBox's console): this line is in BusyBox's grammar"
            )),
        "{:?}",
        report.warnings
    );
}

#[test]
fn the_system_check_of_a_busybox_inittab_leaves_inittab_d_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(dir.path().join("etc/inittab.d")).expect("dirs");
    write(
        dir.path(),
        "etc/inittab",
        "::sysinit:/etc/init.d/rcS\n::askfirst:-/bin/sh\n",
    );
    write(dir.path(), "etc/inittab.d/x.tab", "x:2:respawn:/x\n");
    let report = check_system(dir.path());
    assert!(
        report.diagnostics.is_empty() && report.errors.is_empty() && report.warnings.is_empty()
    );
    assert_eq!(
        report.summary,
        format!(
            "{}: OK, 2 entries",
            dir.path().join("etc/inittab").display()
        )
    );
}
