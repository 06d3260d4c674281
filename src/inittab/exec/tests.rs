//! Tests of the process-field planner (docs/compatibility.md §1.7, §1.8). Cases marked
//! (observed) were run with Debian's sysvinit 3.06 as PID 1 of a PID
//! namespace: `/bin/echo FROM-a #x` printed `FROM-a ` (an empty last
//! argument), `@+x` logged `cannot execute "+x"`, 16 words printed 14,
//! `@/bin/echo "x;y" $HOME` printed `"x;y" $HOME` literally, `\tFROM-g#a b`
//! printed `FROM-g`.

use super::*;
use crate::inittab::{Action, Location};
use crate::runlevel::at;
use std::path::PathBuf;

fn entry(id: &str, runlevels: &str, action: Action, process: &str) -> Entry {
    Entry {
        id: id.to_string(),
        runlevels: runlevels.to_string(),
        action,
        process: process.to_string(),
        location: Location {
            file: PathBuf::from("/etc/inittab"),
            line: 1,
            sysv_line: 1,
        },
        grammar: Grammar::Sysvinit,
    }
}

fn argv(process: &str) -> Vec<String> {
    plan_exec(&entry("x", "2", Action::Respawn, process), false, at('2')).argv
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn plain_commands_are_split_on_blanks() {
    assert_eq!(
        argv("/sbin/getty 38400 tty1"),
        strings(&["/sbin/getty", "38400", "tty1"])
    );
    assert_eq!(
        argv("  /sbin/getty \t 38400\t\ttty1  "),
        strings(&["/sbin/getty", "38400", "tty1"])
    );
    // A CR from a CRLF file stays in the last word.
    assert_eq!(
        argv("/sbin/getty tty1\r"),
        strings(&["/sbin/getty", "tty1\r"])
    );
    // Nothing to run: sysvinit fails to exec and logs `cannot execute`.
    assert!(argv("").is_empty());
    assert!(argv(" \t ").is_empty());
}

#[test]
fn at_most_fourteen_words() {
    let words: Vec<String> = (0..16).map(|n| format!("w{n}")).collect();
    let planned = argv(&words.join(" "));
    assert_eq!(planned, words[..14].to_vec());
}

#[test]
fn a_hash_ends_the_command_even_inside_a_word() {
    assert_eq!(argv("/bin/foo#bar baz"), strings(&["/bin/foo"]));
    // A word starting with '#' becomes one empty argument, as in sysvinit.
    assert_eq!(argv("/bin/foo #comment"), strings(&["/bin/foo", ""]));
    assert_eq!(argv("#x"), strings(&[""]));
    assert_eq!(argv("/bin/foo a#b c"), strings(&["/bin/foo", "a"]));
}

#[test]
fn shell_metacharacters_run_through_the_shell() {
    for meta in "~`!$^&*()=|\\{}[];\"'<>?".chars() {
        let process = format!("/bin/echo a{meta}b");
        assert_eq!(
            argv(&process),
            strings(&["/bin/sh", "-c", &format!("exec {process}")]),
            "{meta}"
        );
    }
    // Quotes are not interpreted by init: with '@' the words stay literal.
    assert_eq!(
        argv("@/bin/echo \"x;y\""),
        strings(&["/bin/echo", "\"x;y\""])
    );
    // '#' and '%' are not metacharacters.
    assert_eq!(argv("/bin/echo 50%"), strings(&["/bin/echo", "50%"]));
}

#[test]
fn the_shell_command_is_cut_to_130_bytes() {
    let process = format!("/bin/echo {};", "z".repeat(200));
    let planned = argv(&process);
    assert_eq!(planned[2].len(), 135);
    assert_eq!(planned[2], format!("exec {}", &process[..130]));
    // Up to 130 bytes are kept whole.
    let process = format!("/bin/echo {}", "$".repeat(120));
    assert_eq!(process.len(), 130);
    assert_eq!(argv(&process)[2], format!("exec {process}"));
}

#[test]
fn plus_and_at_prefixes() {
    let plus = plan_exec(
        &entry("x", "2", Action::Wait, "+/sbin/getty tty1"),
        false,
        at('2'),
    );
    assert_eq!(plus.argv, strings(&["/sbin/getty", "tty1"]));
    assert!(!plus.utmp);
    let plain = plan_exec(
        &entry("x", "2", Action::Wait, "/sbin/getty tty1"),
        false,
        at('2'),
    );
    assert!(plain.utmp);
    // '@' skips the shell detection.
    assert_eq!(argv("@/bin/echo $HOME"), strings(&["/bin/echo", "$HOME"]));
    // '+' before '@'.
    let both = plan_exec(
        &entry("x", "2", Action::Wait, "+@/bin/echo a;b"),
        false,
        at('2'),
    );
    assert_eq!(both.argv, strings(&["/bin/echo", "a;b"]));
    assert!(!both.utmp);
    // '@' before '+': a program named "+cmd", and utmp records.
    let reversed = plan_exec(&entry("x", "2", Action::Wait, "@+cmd x"), false, at('2'));
    assert_eq!(reversed.argv, strings(&["+cmd", "x"]));
    assert!(reversed.utmp);
    // Only one '@' is removed.
    assert_eq!(argv("@@x"), strings(&["@x"]));
}

#[test]
fn initscript_wraps_everything_but_single_user() {
    let rc = entry("l2", "2", Action::Wait, "+@/etc/init.d/rc 2; echo");
    assert_eq!(
        plan_exec(&rc, true, at('2')).argv,
        strings(&[
            "/bin/sh",
            "/etc/initscript",
            "l2",
            "2",
            "wait",
            "/etc/init.d/rc 2; echo"
        ])
    );
    assert_eq!(
        plan_exec(&rc, true, at('S')).argv,
        strings(&["/etc/init.d/rc", "2;", "echo"])
    );
    // Boot phases are wrapped too, with the runlevels sysvinit stores.
    let sysinit = entry("si", "", Action::Sysinit, "/etc/init.d/rcS");
    assert_eq!(
        plan_exec(&sysinit, true, at('#')).argv,
        strings(&[
            "/bin/sh",
            "/etc/initscript",
            "si",
            "#",
            "sysinit",
            "/etc/init.d/rcS"
        ])
    );
    let getty = entry("1", "", Action::Respawn, "/sbin/getty tty1");
    assert_eq!(plan_exec(&getty, true, at('3')).argv[3], "0123456789");
}

#[test]
fn enoexec_fallback_uses_the_shell() {
    assert_eq!(
        shell_fallback("+@/usr/local/bin/script arg"),
        strings(&["/bin/sh", "-c", "exec /usr/local/bin/script arg"])
    );
    assert_eq!(shell_fallback("/x"), strings(&["/bin/sh", "-c", "exec /x"]));
    let long = "y".repeat(300);
    assert_eq!(shell_fallback(&long)[2], format!("exec {}", &long[..130]));
}

#[test]
fn a_nul_ends_the_process() {
    assert_eq!(argv("/bin/a\0;b"), strings(&["/bin/a"]));
}
