//! `vinit`, the operator's command: what init is doing (`status`), which
//! scripts made a level change slow (`blame`, `plot`), whether the
//! configuration is sound (`check`), which services it supervises
//! (`supervise`, `unsupervise`). Called as `vinit NAME …` with the name
//! of a classic command (`vinit telinit 3`), it runs that command, as
//! before.
//!
//! Each subcommand is a file with `pub fn main(args: &[OsString]) -> i32`
//! (`args[0]` is the subcommand's name) and a `USAGE` text; adding one is
//! a line in [`SUBCOMMANDS`].

#[cfg(feature = "rc")]
pub mod blame;
pub(crate) mod check;
pub(crate) mod place;
#[cfg(feature = "rc")]
pub mod plot;
pub mod status;
pub(crate) mod supervise;
pub(crate) mod table;

use crate::getopt::{self, LongError, LongOpt, Mode, Opt};
use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;

/// A `vinit` subcommand.
struct Subcommand {
    name: &'static str,
    summary: &'static str,
    main: fn(&[OsString]) -> i32,
}

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "status",
        summary: "what init is running: levels, inittab entries, services, the last rc runs",
        main: status::main,
    },
    #[cfg(feature = "rc")]
    Subcommand {
        name: "blame",
        summary: "the scripts of the boot and of each level change, slowest first",
        main: blame::main,
    },
    #[cfg(feature = "rc")]
    Subcommand {
        name: "plot",
        summary: "the boot's scripts on a time line, as SVG on standard output",
        main: plot::main,
    },
    #[cfg(feature = "rc")]
    Subcommand {
        name: "check",
        summary: "check inittab, the rc links and the init scripts' headers",
        main: check::main,
    },
    Subcommand {
        name: "supervise",
        summary: "supervise a service of /etc/init.d (--list: the supervised services)",
        main: |args| supervise::main(args.to_vec()),
    },
    Subcommand {
        name: "unsupervise",
        summary: "stop supervising a service",
        main: |args| supervise::main(args.to_vec()),
    },
    Subcommand {
        name: "place",
        summary: "put an init script run by hand in its service's cgroup (for the LSB hook)",
        main: place::main,
    },
];

/// The schema of what `--json` prints when there is nothing to report.
pub const ERROR_SCHEMA: &str = "vinit-error/1";

/// What `--json` prints instead of its document when there is nothing to report, so that
/// a reader of standard output always gets one: the subcommand, a word for what went wrong
/// (`error`), the line also printed on standard error, and the exit status.
pub(crate) fn json_error(command: &str, error: &str, message: &str, exit_status: i32) -> String {
    let document = serde_json::json!({
        "schema": ERROR_SCHEMA,
        "command": command,
        "error": error,
        "message": message,
        "exit_status": exit_status,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// `--json` among a subcommand's arguments, even where a bad option stopped the parsing.
pub(crate) fn asks_for_json(args: &[OsString]) -> bool {
    args.iter().skip(1).any(|arg| arg == "--json")
}

/// A usage error: with `--json`, its error document (the message is on standard error).
pub(crate) fn usage_error(args: &[OsString], exit_status: i32) -> i32 {
    if exit_status == 2 && asks_for_json(args) {
        let command = args
            .first()
            .map_or_else(|| "vinit".into(), |name| name.to_string_lossy());
        let message = format!("bad command line: see vinit {command} --help");
        println!("{}", json_error(&command, "usage", &message, exit_status));
    }
    exit_status
}

/// `vinit 0.1.0`.
pub(crate) fn version_line() -> String {
    format!("vinit {}", env!("CARGO_PKG_VERSION"))
}

fn usage() -> String {
    let mut text = format!(
        "{}: a SysV-compatible init system\n\n\
         Usage: vinit COMMAND [OPTIONS]\n       vinit --help | --version\n\nCommands:\n",
        version_line()
    );
    let width = SUBCOMMANDS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for sub in SUBCOMMANDS {
        text.push_str(&format!("  {:width$}  {}\n", sub.name, sub.summary));
    }
    text.push_str(&format!(
        "\nvinit NAME ARGS... runs the classic command NAME, one of:\n  {}\n\n\
         Exit status: the command's; 2 when none is given or it is unknown.\n\
         'vinit COMMAND --help' describes a command; see vinit(8).\n",
        super::COMMANDS
            .iter()
            .map(|command| command.name)
            .collect::<Vec<_>>()
            .join(" ")
    ));
    text
}

/// `vinit …` (`args[0]` is `vinit`).
pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let Some(first) = args.get(1) else {
        eprint!("{}", usage());
        return 2;
    };
    match first.to_string_lossy().as_ref() {
        "--help" | "-h" | "help" => {
            print!("{}", usage());
            0
        }
        "--version" | "-V" => {
            println!("{}", version_line());
            0
        }
        name => {
            if let Some(sub) = SUBCOMMANDS.iter().find(|s| s.name == name) {
                (sub.main)(args.get(1..).unwrap_or_default())
            } else if super::command(name).is_some() {
                super::dispatch(args.into_iter().skip(1).collect())
            } else {
                eprintln!("vinit: unknown command '{name}'\n");
                eprint!("{}", usage());
                2
            }
        }
    }
}

/// What a subcommand's options parser found.
pub enum Parsed<T> {
    Run(T),
    /// Exit at once with this status (after `--help` or a usage error).
    Exit(i32),
}

/// Parses a subcommand's long `options` (`--name`, `--name VALUE`,
/// `--name=VALUE`) with the shared getopt, `--help`/`-h` printing `usage`.
/// `on_option` gets each option in order (`None` value for flags) and may
/// refuse a value; a value is bytes (a path, say), and [`text_value`]
/// takes one that must be text.
pub(crate) fn parse_options(
    args: &[OsString],
    usage: &str,
    options: &[LongOpt],
    on_option: impl FnMut(&str, Option<&OsStr>) -> Result<(), String>,
) -> Parsed<()> {
    match parse_options_and_operands(args, usage, options, 0, on_option) {
        Parsed::Run(_) => Parsed::Run(()),
        Parsed::Exit(code) => Parsed::Exit(code),
    }
}

/// [`parse_options`] for a subcommand that also takes up to `most`
/// operands (`vinit status NAME`), which it returns.
pub(crate) fn parse_options_and_operands(
    args: &[OsString],
    usage: &str,
    options: &[LongOpt],
    most: usize,
    mut on_option: impl FnMut(&str, Option<&OsStr>) -> Result<(), String>,
) -> Parsed<Vec<OsString>> {
    let command = args.first().map_or("vinit".into(), |a| a.to_string_lossy());
    let fail = |message: String| {
        eprintln!("vinit {command}: {message}");
        eprint!("{usage}");
        Parsed::Exit(2)
    };
    let mut longs = options.to_vec();
    longs.push(LongOpt::flag("help").for_letter('h'));
    let parsed = getopt::parse_long(Mode::Gnu, args.get(1..).unwrap_or_default(), "h", &longs);
    for opt in parsed.opts {
        let refused = match opt {
            Opt::Flag('h', _) => {
                print!("{usage}");
                return Parsed::Exit(0);
            }
            Opt::Long(name, value) => on_option(name, value.as_deref()).err(),
            Opt::Flag(letter, _) | Opt::Unknown(letter) | Opt::MissingArgument(letter) => {
                Some(format!("unknown option '-{letter}'"))
            }
            Opt::BadLong(LongError::Unknown(name)) => Some(format!("unknown option '--{name}'")),
            Opt::BadLong(LongError::MissingValue(name)) => {
                Some(format!("option '--{name}' needs a value"))
            }
            Opt::BadLong(LongError::UnexpectedValue(name)) => {
                Some(format!("option '--{name}' takes no value"))
            }
        };
        if let Some(message) = refused {
            return fail(message);
        }
    }
    match parsed.operands.get(most) {
        Some(word) => fail(format!("unexpected argument '{}'", word.to_string_lossy())),
        None => Parsed::Run(parsed.operands),
    }
}

/// The value of option `--name` as text, or the message refusing it.
pub(crate) fn text_value(name: &str, value: Option<&OsStr>) -> Result<String, String> {
    let value = value.unwrap_or_default();
    super::text_arg(value)
        .map(str::to_string)
        .map_err(|e| format!("--{name}: {e}"))
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to
/// something (no-color.org).
pub(crate) fn use_colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The SGR colours the human output uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Colour {
    Green,
    Red,
    Yellow,
    Dim,
    Bold,
}

/// `text` in `colour` when `on`, else as is.
pub(crate) fn paint(text: &str, colour: Colour, on: bool) -> String {
    if !on {
        return text.to_string();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Red => "31",
        Colour::Yellow => "33",
        Colour::Dim => "2",
        Colour::Bold => "1",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `1.234 s` (ms precision) for a duration in ns.
pub(crate) fn seconds(ns: u64) -> String {
    format!(
        "{}.{:03} s",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 1_000_000
    )
}
