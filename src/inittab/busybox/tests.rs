//! Tests of BusyBox's grammar (docs/compatibility.md §11.2).

use super::*;
use crate::inittab::{Terminal, plan_exec};
use crate::runlevel::at;

fn parse_text(text: &str) -> Parsed {
    parse(text.as_bytes(), Path::new("/etc/inittab"), u64::MAX).expect("in memory")
}

/// (tty, action, command) of each entry.
fn entries(text: &str) -> Vec<(String, &'static str, String)> {
    parse_text(text)
        .entries
        .into_iter()
        .map(|e| (e.id, e.action.name(), e.process))
        .collect()
}

fn one(tty: &str, action: &'static str, command: &str) -> (String, &'static str, String) {
    (tty.to_string(), action, command.to_string())
}

/// `FILE:LINE:COL: message` of each rejected line.
fn rejected(text: &str) -> Vec<String> {
    parse_text(text)
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect()
}

const BUILDROOT: &str = "\
# Startup the system
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/mkdir -p /dev/pts /dev/shm
::sysinit:/etc/init.d/rcS

# Put a getty on the serial port
console::respawn:/sbin/getty -L  console 0 vt100 # GENERIC_SERIAL
tty2::askfirst:-/bin/sh

# Stuff to do for the 3-finger salute
#::ctrlaltdel:/sbin/reboot

# Stuff to do before rebooting
::shutdown:/etc/init.d/rcK
::shutdown:/bin/umount -a -r
::restart:/sbin/init
";

#[test]
fn buildroots_inittab_reads_as_busybox_reads_it() {
    assert_eq!(
        entries(BUILDROOT),
        [
            one("", "sysinit", "/bin/mount -t proc proc /proc"),
            one("", "sysinit", "/bin/mkdir -p /dev/pts /dev/shm"),
            one("", "sysinit", "/etc/init.d/rcS"),
            // The `#` ends the line; the blank before it stays.
            one("console", "respawn", "/sbin/getty -L  console 0 vt100 "),
            one("tty2", "askfirst", "-/bin/sh"),
            one("", "shutdown", "/etc/init.d/rcK"),
            one("", "shutdown", "/bin/umount -a -r"),
            one("", "restart", "/sbin/init"),
        ]
    );
    let parsed = parse_text(BUILDROOT);
    assert!(parsed.diagnostics.is_empty());
    assert_eq!(parsed.last_line, 16);
    let lines: Vec<usize> = parsed.entries.iter().map(|e| e.location.line).collect();
    assert_eq!(lines, [2, 3, 4, 7, 8, 14, 15, 16]);
    assert!(parsed.entries.iter().all(|e| e.grammar == Grammar::BusyBox));
}

#[test]
fn the_command_keeps_colons_and_the_runlevels_field_is_read_but_ignored() {
    assert_eq!(
        entries("tty1:2345:respawn:/sbin/getty -n -l /bin/login:x 38400 tty1\n"),
        [one(
            "tty1",
            "respawn",
            "/sbin/getty -n -l /bin/login:x 38400 tty1"
        )]
    );
    let parsed = parse_text("::once:/bin/true\n");
    assert_eq!(parsed.entries[0].runlevels, "");
}

#[test]
fn bad_entries_name_the_missing_field_or_the_action() {
    let text = "\
::sysinit
tty1::respawnn:/sbin/getty
id:2:initdefault:
::wait:
   # indented comment
   \n::once:/bin/true
tty3::Respawn:/bin/sh
";
    assert_eq!(
        rejected(text),
        [
            "/etc/inittab:1:10: missing process field",
            "/etc/inittab:2:7: unknown action \"respawnn\" (BusyBox's are sysinit, wait, \
             once, respawn, askfirst, ctrlaltdel, shutdown, restart)",
            "/etc/inittab:3:6: unknown action \"initdefault\" (BusyBox's are sysinit, wait, \
             once, respawn, askfirst, ctrlaltdel, shutdown, restart)",
            "/etc/inittab:4:8: missing process field",
            "/etc/inittab:5:4: missing runlevels field: a comment must start in the first column",
            "/etc/inittab:6:4: missing runlevels field: a line of blanks is no comment",
            "/etc/inittab:8:7: unknown action \"Respawn\" (BusyBox's are sysinit, wait, \
             once, respawn, askfirst, ctrlaltdel, shutdown, restart)",
        ]
    );
    assert_eq!(entries(text), [one("", "once", "/bin/true")]);
    // A `#` cuts a line short wherever it is.
    assert_eq!(
        rejected("::once#:/bin/true\n"),
        ["/etc/inittab:1:7: missing process field"]
    );
    assert_eq!(
        rejected("::once:#/bin/true\n"),
        ["/etc/inittab:1:8: missing process field"]
    );
}

#[test]
fn a_backslash_continues_the_line() {
    let text = "::sysinit:/bin/echo one \\\ntwo\n::once:/bin/true\n";
    assert_eq!(
        entries(text),
        [
            one("", "sysinit", "/bin/echo one two"),
            one("", "once", "/bin/true")
        ]
    );
    // A bad continued line is reported where its field is.
    assert_eq!(
        rejected("::sysinit:/bin/echo \\\n\\\nx\n:\\\n:once\n"),
        ["/etc/inittab:5:6: missing process field"]
    );
}

#[test]
fn a_later_entry_with_the_same_tty_and_command_replaces_the_earlier() {
    let text = "\
::shutdown:/bin/umount -a -r
::shutdown:/sbin/swapoff -a
tty2::respawn:/bin/sh
::shutdown:/bin/umount -a -r
/dev/tty2::once:/bin/sh
console::respawn:/bin/sh
";
    assert_eq!(
        entries(text),
        [
            one("", "shutdown", "/sbin/swapoff -a"),
            one("", "shutdown", "/bin/umount -a -r"),
            one("/dev/tty2", "once", "/bin/sh"),
            one("console", "respawn", "/bin/sh"),
        ]
    );
}

#[test]
fn lines_longer_than_the_limit_are_rejected_whole() {
    let long = format!(
        "::once:/bin/echo {}\n::once:/bin/true\n",
        "x".repeat(MAX_LINE)
    );
    assert_eq!(
        rejected(&long),
        [format!(
            "/etc/inittab:1:1: line longer than {MAX_LINE} bytes"
        )]
    );
    assert_eq!(entries(&long), [one("", "once", "/bin/true")]);
    // Continued, too: the continuation lines go with it.
    let continued = format!(
        "::once:/bin/echo {}\\\n::once:/bin/false\n::once:/bin/true\n",
        "x".repeat(MAX_LINE)
    );
    assert_eq!(entries(&continued), [one("", "once", "/bin/true")]);
    let exactly = format!("::once:{}\n", "x".repeat(MAX_LINE - 7));
    assert!(rejected(&exactly).is_empty());
}

#[test]
fn a_stream_larger_than_the_limit_is_an_error() {
    let text = "::once:/bin/true\n".repeat(10);
    let error = parse(text.as_bytes(), Path::new("/etc/inittab"), 20).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
}

#[test]
fn nul_bytes_end_the_line_as_in_c() {
    assert_eq!(
        entries("::once:/bin/echo a\0b\n"),
        [one("", "once", "/bin/echo a")]
    );
}

fn plan(tty: &str, action: &str, command: &str) -> crate::inittab::exec::ExecPlan {
    let parsed = parse_text(&format!("{tty}::{action}:{command}\n"));
    plan_exec(&parsed.entries[0], true, at('-'))
}

#[test]
fn commands_are_executed_as_busybox_does() {
    let getty = plan("ttyS0", "respawn", "/sbin/getty -L ttyS0  115200 vt100");
    assert_eq!(getty.program, "/sbin/getty");
    assert_eq!(
        getty.argv,
        ["/sbin/getty", "-L", "ttyS0", "115200", "vt100"]
    );
    assert_eq!(getty.terminal, Terminal::Device("/dev/ttyS0".into()));
    assert!(!getty.utmp && !getty.ask_first && !getty.login);
    // No /etc/initscript, no 14-word limit.
    let many: Vec<String> = (0..20).map(|n| format!("w{n}")).collect();
    assert_eq!(plan("", "once", &many.join(" ")).argv.len(), 20);

    let shell = plan("tty2", "askfirst", "-/bin/sh");
    assert_eq!(
        (shell.program.as_str(), shell.argv.as_slice()),
        ("/bin/sh", &["-/bin/sh".to_string()][..])
    );
    assert!(shell.ask_first && shell.login);
    assert_eq!(shell.fallback, ["/bin/sh", "/bin/sh"]);

    let piped = plan("", "sysinit", "-/bin/echo $HOME > /dev/null");
    assert_eq!(piped.program, "/bin/sh");
    assert_eq!(
        piped.argv,
        ["-/bin/sh", "-c", "exec /bin/echo $HOME > /dev/null"]
    );
    assert_eq!(piped.terminal, Terminal::Console);

    // A command that starts with a blank names no program, as in BusyBox.
    let blank = plan("", "once", " /bin/true");
    assert_eq!(
        (blank.program.as_str(), blank.argv.as_slice()),
        ("", &["/bin/true".to_string()][..])
    );

    // `/dev/` is not doubled, and the device is cut to BusyBox's 31 bytes.
    assert_eq!(
        plan("/dev/tty3", "respawn", "/bin/sh").terminal,
        Terminal::Device("/dev/tty3".into())
    );
    assert_eq!(
        plan(&"t".repeat(40), "respawn", "/bin/sh").terminal,
        Terminal::Device(format!("/dev/{}", "t".repeat(26)))
    );
}

#[test]
fn restart_entries_that_only_execute_init_again() {
    for command in ["/sbin/init", "init", "-/sbin/init", "/sbin/init  "] {
        assert!(names_init(command), "{command:?}");
    }
    for command in [
        "/sbin/init 2",
        "/bin/init",
        " /sbin/init",
        "/sbin/switch_root /new /sbin/init",
    ] {
        assert!(!names_init(command), "{command:?}");
    }
}

#[test]
fn garbage_never_panics() {
    for byte in 0..=255u8 {
        for text in [
            vec![byte],
            vec![byte, b'\n'],
            vec![b':', b':', byte, b':', byte],
            vec![b'\\', byte, b'\n', b'\\'],
        ] {
            let parsed = parse(text.as_slice(), Path::new("/x"), u64::MAX).expect("in memory");
            for entry in &parsed.entries {
                plan_exec(entry, false, at('-'));
            }
            for diagnostic in &parsed.diagnostics {
                assert!(diagnostic.line >= 1 && diagnostic.column >= 1);
            }
        }
    }
}
