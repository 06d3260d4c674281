//! Tests of `init --check`.

use super::*;
use std::fs;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

fn check(args: &[&str]) -> i32 {
    check_main(args.iter().map(|a| a.to_string()).collect())
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
    assert_eq!(check(&["init", "--check", &good]), 0);
    assert_eq!(check(&["init", "--check", &bad]), 1);
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
    assert_eq!(check(&["init", "--check", &missing.to_string_lossy()]), 1);
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
fn usage_errors_exit_2() {
    assert_eq!(check(&["init", "--check", "a", "b"]), 2);
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
            "{}: OK, 3 entries (with 1 file(s) from /etc/inittab.d), default ~~:S:wait:/sbin/sulogin added",
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

#[test]
fn suspicious_but_valid_lines_give_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "t",
        "id:x:initdefault:\nsu:s:wait:/sbin/sulogin\nsi:2:sysinit:/x\n",
    );
    let report = check_file(Path::new(&file));
    assert!(report.diagnostics.is_empty());
    assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
    assert_eq!(report.warnings[0], "Initdefault level 'X' is invalid");
    assert!(report.warnings[1].contains(":2: lowercase 's'"));
    assert!(report.warnings[2].contains(":3: the runlevels field of a sysinit entry is ignored"));
    assert_eq!(check(&["init", "--check", &file]), 0);
}
