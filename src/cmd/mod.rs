//! Command front ends. Each submodule has `pub fn main(args: Vec<OsString>) -> i32`
//! where `args[0]` is the name the command was called by.
//!
//! Arguments stay bytes, as the kernel passes them, until a command needs
//! text: what sysvinit passes on unchanged (`telinit -e`, `shutdown`'s
//! message, `service`'s action and options, paths) keeps its bytes; what
//! must be text (a level, a number, a service name) is refused with a
//! message by [`text_arg`] when it is not UTF-8.

pub(crate) mod halt;
pub(crate) mod init;
#[cfg(feature = "rc")]
pub(crate) mod rc;
pub(crate) mod runlevel;
#[cfg(feature = "rc")]
pub(crate) mod service;
pub mod shutdown;
pub(crate) mod telinit;
#[cfg(feature = "rc")]
pub(crate) mod update_rc_d;
pub mod vinit;

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::path::Path;

/// Where `make install` links a command's name to the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// `/sbin/NAME` (the Makefile's `SBIN_LINKS`).
    Sbin,
    /// `/usr/sbin/NAME` (the Makefile's `USR_SBIN_LINKS`).
    UsrSbin,
    /// Nowhere: the administrator links it by hand (`/etc/init.d/rcS`, rc.8).
    ByHand,
}

/// A classic command of the multi-call binary.
pub struct Command {
    /// The name it answers to (`argv[0]`'s basename, or `vinit NAME`).
    pub name: &'static str,
    pub installed: Installed,
    main: fn(Vec<OsString>) -> i32,
}

/// The classic commands, the one list that [`dispatch`], `vinit NAME` and
/// `vinit --help` go by; the Makefile's links are checked against it (a
/// unit test). Every other name runs `vinit`.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "init",
        installed: Installed::Sbin,
        main: init::main,
    },
    Command {
        name: "telinit",
        installed: Installed::Sbin,
        main: init::main,
    },
    Command {
        name: "runlevel",
        installed: Installed::Sbin,
        main: runlevel::main,
    },
    #[cfg(feature = "rc")]
    Command {
        name: "rc",
        installed: Installed::Sbin,
        main: rc::main,
    },
    // Debian's /etc/init.d/rcS is `exec /etc/init.d/rc S`; it ignores its arguments.
    #[cfg(feature = "rc")]
    Command {
        name: "rcS",
        installed: Installed::ByHand,
        main: |args| rc::main(args.into_iter().take(1).chain(["S".into()]).collect()),
    },
    #[cfg(feature = "rc")]
    Command {
        name: "service",
        installed: Installed::UsrSbin,
        main: service::main,
    },
    #[cfg(feature = "rc")]
    Command {
        name: "update-rc.d",
        installed: Installed::UsrSbin,
        main: update_rc_d::main,
    },
    Command {
        name: "shutdown",
        installed: Installed::Sbin,
        main: shutdown::main,
    },
    Command {
        name: "halt",
        installed: Installed::Sbin,
        main: halt::main,
    },
    Command {
        name: "reboot",
        installed: Installed::Sbin,
        main: halt::main,
    },
    Command {
        name: "poweroff",
        installed: Installed::Sbin,
        main: halt::main,
    },
];

/// The classic command called `name`.
pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|command| command.name == name)
}

/// `--help` or `--version` as the only argument (`rest` is the line after
/// the command's name): prints `help`, or `NAME (vinit) VERSION`, and
/// gives the exit status, 0. Any user may ask.
fn help_or_version(name: &str, rest: &[OsString], help: impl FnOnce() -> String) -> Option<i32> {
    match rest {
        [only] if only == "--help" => print!("{}", help()),
        [only] if only == "--version" => println!("{name} (vinit) {}", env!("CARGO_PKG_VERSION")),
        _ => return None,
    }
    Some(0)
}

/// An argument that must be text (a level, a number, a service name), or
/// the message that says it is not: `"a\xFFb" is not UTF-8 text`.
pub(crate) fn text_arg(arg: &OsStr) -> Result<&str, String> {
    arg.to_str()
        .ok_or_else(|| format!("{arg:?} is not UTF-8 text"))
}

/// Every argument as text, for a command none of whose arguments can be
/// anything else; `Err` is the message for the first one that is not.
pub(crate) fn text_args(args: &[OsString]) -> Result<Vec<String>, String> {
    args.iter()
        .map(|arg| text_arg(arg).map(str::to_string))
        .collect()
}

/// The most characters of a file's text a message repeats ([`bounded`]).
const ECHO_LIMIT: usize = 240;

/// `text` (a message that may quote a line of a file someone else wrote)
/// as it may be printed: control characters escaped, so that the file
/// cannot drive the terminal, and at most about [`ECHO_LIMIT`]
/// characters: the beginning and the end, with how much was left out.
pub(crate) fn bounded(text: &str) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= ECHO_LIMIT && !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let escape = |part: &mut String, c: char| {
        if c.is_control() {
            part.extend(c.escape_debug());
        } else {
            part.push(c);
        }
    };
    let mut out = String::new();
    if count <= ECHO_LIMIT {
        text.chars().for_each(|c| escape(&mut out, c));
        return Cow::Owned(out);
    }
    // The end of a message often names where (`(in /etc/rc2.d)`).
    let (head, tail) = (ECHO_LIMIT * 3 / 4, ECHO_LIMIT / 4);
    text.chars().take(head).for_each(|c| escape(&mut out, c));
    out.push_str(&format!(
        "[… {} characters left out …]",
        count - head - tail
    ));
    text.chars()
        .skip(count - tail)
        .for_each(|c| escape(&mut out, c));
    Cow::Owned(out)
}

/// Runs the command named by `argv[0]` (a leading `-`, as login shells and
/// sysvinit's halt allow, is ignored); called as `vinit`, runs a `vinit`
/// subcommand or the command named by `argv[1]`.
pub fn dispatch(args: Vec<OsString>) -> i32 {
    let name = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().trim_start_matches('-').to_string())
        .unwrap_or_default();
    // PID 1 (or `init --init`) installs its own `log` backend, the console
    // and syslog as sysvinit's (`pid1::console`); every other caller gets
    // the tools' debug log. `vinit NAME …` comes back here as NAME.
    let runs_init = name == "init" && telinit::is_init_role(&args);
    let redispatched = command(&name).is_none()
        && args
            .get(1)
            .and_then(|first| first.to_str())
            .is_some_and(|first| command(first).is_some());
    if !runs_init && !redispatched {
        crate::logging::init_tool_logging(&name);
    }
    match command(&name) {
        Some(command) => (command.main)(args),
        // `vinit` (or any other name): the operator's command, which also
        // runs the classic commands by name (`vinit telinit 3`).
        None => vinit::main(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::os::unix::ffi::OsStrExt;

    /// The names a Makefile variable lists (`NAME := a b`, `NAME ?= a b`).
    fn makefile_names(variable: &str) -> BTreeSet<&'static str> {
        include_str!("../../Makefile")
            .lines()
            .find_map(|line| {
                let rest = line.strip_prefix(variable)?.trim_start();
                rest.strip_prefix(":=").or_else(|| rest.strip_prefix("?="))
            })
            .unwrap_or_else(|| panic!("no {variable} in the Makefile"))
            .split_whitespace()
            .collect()
    }

    fn installed(place: Installed) -> BTreeSet<&'static str> {
        COMMANDS
            .iter()
            .filter(|command| command.installed == place)
            .map(|command| command.name)
            .collect()
    }

    #[cfg(feature = "rc")]
    #[test]
    fn the_makefile_links_the_commands() {
        let mut sbin = installed(Installed::Sbin);
        // The operator's command, which is no classic one.
        sbin.insert("vinit");
        assert_eq!(makefile_names("SBIN_LINKS"), sbin);
        assert_eq!(
            makefile_names("USR_SBIN_LINKS"),
            installed(Installed::UsrSbin)
        );
    }

    /// The small build's names must be its commands: this holds in the
    /// default build, and fails in a build without the `rc` feature
    /// (`cargo test --lib --no-default-features`) when one is an rc command.
    #[test]
    fn the_small_builds_names_are_its_commands() {
        let mut names: BTreeSet<&str> = COMMANDS.iter().map(|command| command.name).collect();
        names.insert("vinit");
        let small = makefile_names("SMALL_LINKS");
        assert!(small.is_subset(&names), "{small:?} not all in {names:?}");
    }

    #[test]
    fn text_arguments() {
        assert_eq!(text_arg(OsStr::new("2")), Ok("2"));
        assert_eq!(
            text_arg(OsStr::from_bytes(b"a\xffb")),
            Err(r#""a\xFFb" is not UTF-8 text"#.to_string())
        );
        let args = [OsString::from("x"), OsStr::from_bytes(b"\xfe").into()];
        assert_eq!(
            text_args(&args),
            Err(r#""\xFE" is not UTF-8 text"#.to_string())
        );
    }

    #[test]
    fn echoed_text_is_bounded_and_escaped() {
        assert_eq!(bounded("short"), "short");
        assert_eq!(bounded("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        let long = format!("found \"{}\" (in /etc/rc2.d)", "x".repeat(1 << 20));
        let shown = bounded(&long);
        assert!(shown.chars().count() < ECHO_LIMIT + 40, "{shown}");
        assert!(shown.starts_with("found \"xxx"));
        assert!(shown.ends_with("xxx\" (in /etc/rc2.d)"));
        assert!(shown.contains("characters left out"));
    }
}
