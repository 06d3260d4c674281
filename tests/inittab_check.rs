//! `init --check`: the real binary validating inittab files.

use std::fs;
use std::process::{Command, Output};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vinit"))
        .arg("init")
        .arg("--check")
        .args(args)
        .output()
        .expect("run vinit")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_valid_file_prints_a_summary_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inittab");
    fs::write(&file, "id:2:initdefault:\nl2:2:wait:/sbin/rc 2\n").expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{}: OK, 2 entries\n", file.display())
    );
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn bad_lines_are_listed_with_line_and_column_and_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inittab");
    fs::write(
        &file,
        "id:2:initdefault:\nbad line without colons\nx:2:Respawnn:/bin/x\nid:3:wait:/x\n",
    )
    .expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(1));
    let name = file.display();
    assert_eq!(
        text(&output.stderr),
        format!(
            "{name}:2:1: id field too long (max 4 characters)\n\
             {name}:3:5: Respawnn: unknown action field\n\
             {name}:4:1: duplicate ID field \"id\"\n"
        )
    );
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn an_unreadable_file_is_named_with_the_os_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("missing");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "init: cannot read {}: No such file or directory (os error 2)\n",
            file.display()
        )
    );
}

#[test]
fn extra_arguments_are_a_usage_error() {
    let output = check(&["a", "b"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stderr), "Usage: init --check [FILE]\n");
}
