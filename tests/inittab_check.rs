//! `init --check`: the real binary validating inittab files.

mod common;

use std::fs;
use std::process::{Command, Output};

use common::{ALPINE_INITTAB, text};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vinit"))
        .arg("init")
        .arg("--check")
        .args(args)
        .output()
        .expect("run vinit")
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
        format!(
            "{}\n{}: OK, 2 entries\n",
            sysvinit_because_of_initdefault(&file, 1),
            file.display()
        )
    );
    assert_eq!(text(&output.stderr), "");
}

/// The line that says a file is read in sysvinit's grammar because line `line` is an
/// `initdefault` entry with a two-character id.
fn sysvinit_because_of_initdefault(file: &std::path::Path, line: usize) -> String {
    format!(
        "{}: sysvinit's grammar (line {line}, column 6: the action \"initdefault\", which only \
         sysvinit has)",
        file.display()
    )
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
    assert_eq!(
        text(&output.stdout),
        format!("{}\n", sysvinit_because_of_initdefault(&file, 1))
    );
}

#[test]
fn an_unreadable_file_is_named_with_the_systems_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("missing");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "init: cannot read {}: No such file or directory\n",
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

#[test]
fn one_entry_is_counted_in_the_singular() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inittab");
    fs::write(&file, "id:2:initdefault:\n").expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(
        text(&output.stdout),
        format!(
            "{}\n{}: OK, 1 entry\n",
            sysvinit_because_of_initdefault(&file, 1),
            file.display()
        )
    );
}

/// Lines init accepts but that cannot be what was meant: a warning each, with the file, line
/// and column of the field concerned; the check still passes.
#[test]
fn suspicious_lines_are_warned_about_with_their_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inittab");
    fs::write(
        &file,
        "# from a DOS editor\r\n\
         id:6:initdefault:\r\n\
         si::sysinit:/etc/init.d/rcS\r\n\
         l2:2:wait:/etc/init.d/rc 2\r\n\
         1:2x45:respawn:/sbin/getty 38400 tty1\r\n\
         2:23:respawn:\n\
         su:s:wait:/sbin/sulogin\n",
    )
    .expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let name = file.display();
    assert_eq!(
        text(&output.stderr),
        format!(
            "{name}:1:20: warning: CRLF line ending (the first of 5 in this file): init reads \
             the carriage return as part of the last field; convert the file to LF line endings\n\
             {name}:2:4: warning: the default runlevel is 6: the machine reboots over and over\n\
             {name}:5:4: warning: unknown runlevel 'x' in the runlevels field: no level matches \
             it (levels are 0-9 and S, ondemand letters A-C)\n\
             {name}:6:14: warning: empty process field: the entry has no program to run\n\
             {name}:7:4: warning: lowercase 's' in the runlevels field never matches \
             single-user mode; write 'S'\n"
        )
    );
    assert_eq!(
        text(&output.stdout),
        format!(
            "{}\n{name}: OK, 6 entries\n",
            sysvinit_because_of_initdefault(&file, 2)
        )
    );
}

#[test]
fn no_initdefault_and_default_level_0_are_warned_about() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inittab");
    fs::write(&file, "l2:2:wait:/sbin/rc 2\n").expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        text(&output.stderr),
        format!(
            "{}:1:1: warning: no initdefault entry: at boot init asks for the runlevel on the \
             console (\"Enter runlevel:\") and waits for an answer\n",
            file.display()
        )
    );
    fs::write(&file, "\n  id:0:initdefault:\n").expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(
        text(&output.stderr),
        format!(
            "{}:2:6: warning: the default runlevel is 0: the machine halts right after every boot\n",
            file.display()
        )
    );
}

/// Alpine's inittab (OpenRC started by BusyBox's init), as `init --check` reads it: in
/// BusyBox's grammar, which it says, with nothing to reject or warn about.
#[test]
fn an_alpine_inittab_is_checked_in_busyboxs_grammar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("inittab");
    fs::write(&file, ALPINE_INITTAB).expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let name = file.display();
    assert_eq!(
        text(&output.stdout),
        format!(
            "{name}: BusyBox's grammar (line 3, column 1: an empty id field (BusyBox's \
             console))\n{name}: OK, 11 entries\n"
        )
    );
    assert_eq!(text(&output.stderr), "");

    // A mistake is named with its line and column, in BusyBox's terms.
    fs::write(&file, ALPINE_INITTAB.replace("::wait:", "::wiat:")).expect("write");
    let output = check(&[&file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "{name}:5:3: unknown action \"wiat\" (BusyBox's are sysinit, wait, once, respawn, \
             askfirst, ctrlaltdel, shutdown, restart)\n"
        )
    );
}
