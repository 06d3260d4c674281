//! `getopt(3)` and `getopt_long(3)` for every command: the classic ones,
//! whose usage messages and exit codes must match sysvinit's to the letter
//! (clap's would not), and vinit's own (`rc`, `vinit SUBCOMMAND`).
//!
//! Arguments are bytes (`OsString`), as the kernel passes them: option
//! values and operands come back unchanged, and each command decides where
//! it needs text (see `cmd::text_arg`). Option letters are characters; a
//! byte that is not UTF-8 in a cluster of letters is read as U+FFFD, which
//! no command takes, so it is an unknown option.
//!
//! Options are single letters; `spec` lists them, a letter followed by `:`
//! takes an argument (`-t 5` or `-t5`). `--` ends the options. Two modes, as
//! glibc's getopt has them:
//! * [`Mode::Posix`] (`POSIXLY_CORRECT`): parsing stops at the first word that is
//!   not an option (`shutdown`, `halt`);
//! * [`Mode::Gnu`] (glibc's default): options may follow operands, which are
//!   collected in order (`telinit 3 -t 5`).
//!
//! [`parse_long`] adds GNU long options ([`LongOpt`]): `--name`, and for one
//! that takes a value `--name=VALUE` or `--name VALUE`. Without long options,
//! `--name` is read as letters, as sysvinit's getopt strings read it.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// Where parsing stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// At the first operand: it and every word after it are operands.
    Posix,
    /// Only at `--`: operands and options may come in any order.
    Gnu,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// A flag, or an option with its argument.
    Flag(char, Option<OsString>),
    /// A letter not in `spec`.
    Unknown(char),
    /// An option that needs an argument but was last on the line.
    MissingArgument(char),
    /// A long option with no letter, with its value if it takes one.
    Long(&'static str, Option<OsString>),
    /// A long option that is not known, lacks its value or has one it does
    /// not take.
    BadLong(LongError),
}

/// A GNU long option. One with a `letter` is reported as that letter's
/// [`Opt::Flag`], so `-j 3` and `--jobs=3` read the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LongOpt {
    pub name: &'static str,
    pub takes_value: bool,
    pub letter: Option<char>,
}

impl LongOpt {
    /// `--name`, a flag.
    pub const fn flag(name: &'static str) -> LongOpt {
        LongOpt {
            name,
            takes_value: false,
            letter: None,
        }
    }

    /// `--name VALUE` or `--name=VALUE`.
    pub const fn value(name: &'static str) -> LongOpt {
        LongOpt {
            name,
            takes_value: true,
            letter: None,
        }
    }

    /// The long name of the option letter `letter`.
    pub const fn for_letter(self, letter: char) -> LongOpt {
        LongOpt {
            letter: Some(letter),
            ..self
        }
    }
}

/// What is wrong with a long option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LongError {
    /// `--NAME`, not among the long options (bytes that are not UTF-8
    /// shown as U+FFFD).
    Unknown(String),
    /// `--NAME` takes a value and was last on the line.
    MissingValue(&'static str),
    /// `--NAME=VALUE` for an option that takes none.
    UnexpectedValue(&'static str),
}

/// Parsed options in order, and the operands after them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub opts: Vec<Opt>,
    pub operands: Vec<OsString>,
}

/// Parses `args` (without `argv[0]`) against `spec`, e.g. `"t:e:"`, in
/// POSIX mode.
pub(crate) fn parse(args: &[OsString], spec: &str) -> Parsed {
    parse_in(Mode::Posix, args, spec)
}

/// Parses `args` (without `argv[0]`) against `spec` in `mode`. Every
/// option is returned in order, errors included: a caller that stops at the
/// first error sees what glibc's getopt loop would.
pub(crate) fn parse_in(mode: Mode, args: &[OsString], spec: &str) -> Parsed {
    parse_long(mode, args, spec, &[])
}

/// [`parse_in`] with GNU long options as well.
pub(crate) fn parse_long(mode: Mode, args: &[OsString], spec: &str, longs: &[LongOpt]) -> Parsed {
    let takes_arg = |c: char| -> Option<bool> {
        let i = spec.find(c)?;
        Some(
            spec.get(i + c.len_utf8()..)
                .is_some_and(|rest| rest.starts_with(':')),
        )
    };
    let mut parsed = Parsed::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let bytes = word.as_bytes();
        if bytes == b"--" {
            break;
        }
        if let Some(long) = bytes.strip_prefix(b"--").filter(|_| !longs.is_empty()) {
            parsed.opts.push(long_option(long, longs, &mut words));
            continue;
        }
        let Some(mut letters) = bytes.strip_prefix(b"-").filter(|l| !l.is_empty()) else {
            parsed.operands.push(word.clone());
            match mode {
                Mode::Posix => break,
                Mode::Gnu => continue,
            }
        };
        while let Some((c, rest)) = next_letter(letters) {
            letters = rest;
            match takes_arg(c) {
                None => parsed.opts.push(Opt::Unknown(c)),
                Some(false) => parsed.opts.push(Opt::Flag(c, None)),
                Some(true) => {
                    let value = if rest.is_empty() {
                        words.next().cloned()
                    } else {
                        Some(OsStr::from_bytes(rest).to_os_string())
                    };
                    parsed.opts.push(match value {
                        Some(v) => Opt::Flag(c, Some(v)),
                        None => Opt::MissingArgument(c),
                    });
                    break;
                }
            }
        }
    }
    parsed.operands.extend(words.cloned());
    parsed
}

/// The first letter of a cluster and what follows it: a UTF-8 character,
/// or U+FFFD for a byte that does not start one.
fn next_letter(bytes: &[u8]) -> Option<(char, &[u8])> {
    let rest = bytes.get(1..)?;
    let letter = (1..=bytes.len().min(4)).find_map(|len| {
        let text = std::str::from_utf8(bytes.get(..len)?).ok()?;
        Some((text.chars().next()?, bytes.get(len..)?))
    });
    Some(letter.unwrap_or((char::REPLACEMENT_CHARACTER, rest)))
}

/// One long option, `NAME` or `NAME=VALUE` after the `--`; a value it needs
/// and lacks is the next word.
fn long_option<'a>(
    word: &[u8],
    longs: &[LongOpt],
    words: &mut impl Iterator<Item = &'a OsString>,
) -> Opt {
    let split = word
        .iter()
        .position(|&b| b == b'=')
        .and_then(|at| word.split_at_checked(at));
    let (name, attached) = match split {
        // `value` begins with the `=`.
        Some((name, value)) => (
            name,
            Some(OsStr::from_bytes(value.get(1..).unwrap_or_default()).to_os_string()),
        ),
        None => (word, None),
    };
    let Some(long) = longs.iter().find(|l| l.name.as_bytes() == name) else {
        return Opt::BadLong(LongError::Unknown(
            String::from_utf8_lossy(name).into_owned(),
        ));
    };
    let value = match (long.takes_value, attached) {
        (true, Some(value)) => Some(value),
        (true, None) => match words.next() {
            Some(value) => Some(value.clone()),
            None => return Opt::BadLong(LongError::MissingValue(long.name)),
        },
        (false, Some(_)) => return Opt::BadLong(LongError::UnexpectedValue(long.name)),
        (false, None) => None,
    };
    match long.letter {
        Some(letter) => Opt::Flag(letter, value),
        None => Opt::Long(long.name, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn flags_arguments_and_operands() {
        let p = parse(&args("-t 7 -rf -t5 now msg -x"), "t:rfh");
        assert_eq!(
            p.opts,
            vec![
                Opt::Flag('t', Some("7".into())),
                Opt::Flag('r', None),
                Opt::Flag('f', None),
                Opt::Flag('t', Some("5".into())),
            ]
        );
        assert_eq!(p.operands, args("now msg -x"));
    }

    #[test]
    fn unknown_and_missing_argument() {
        let p = parse(&args("-z -t"), "t:");
        assert_eq!(p.opts, vec![Opt::Unknown('z'), Opt::MissingArgument('t')]);
    }

    #[test]
    fn double_dash_and_lone_dash() {
        let p = parse(&args("-r -- -h"), "rh");
        assert_eq!(p.opts, vec![Opt::Flag('r', None)]);
        assert_eq!(p.operands, args("-h"));
        let p = parse(&args("- -r"), "r");
        assert_eq!(p.operands, args("- -r"));
    }

    #[test]
    fn gnu_mode_takes_options_after_operands() {
        let p = parse_in(Mode::Gnu, &args("3 -t 5 x -e A -- -t y"), "t:e:");
        assert_eq!(
            p.opts,
            vec![
                Opt::Flag('t', Some("5".into())),
                Opt::Flag('e', Some("A".into())),
            ]
        );
        assert_eq!(p.operands, args("3 x -t y"));
        let p = parse_in(Mode::Gnu, &args("- -t -- 3"), "t:");
        assert_eq!(p.opts, vec![Opt::Flag('t', Some("--".into()))]);
        assert_eq!(p.operands, args("- 3"));
        let p = parse_in(Mode::Gnu, &args("3 --version -t"), "t:");
        assert_eq!(p.opts.first(), Some(&Opt::Unknown('-')));
        assert_eq!(p.opts.last(), Some(&Opt::MissingArgument('t')));
        // The same line in POSIX mode stops at the operand.
        let p = parse(&args("3 --version -t"), "t:");
        assert!(p.opts.is_empty());
        assert_eq!(p.operands, args("3 --version -t"));
    }

    const LONGS: &[LongOpt] = &[
        LongOpt::value("jobs").for_letter('j'),
        LongOpt::value("root"),
        LongOpt::flag("json"),
    ];

    #[test]
    fn long_options_with_and_without_letters() {
        let p = parse_long(
            Mode::Gnu,
            &args("2 --jobs=3 --root /x -j4 --json"),
            "j:",
            LONGS,
        );
        assert_eq!(
            p.opts,
            vec![
                Opt::Flag('j', Some("3".into())),
                Opt::Long("root", Some("/x".into())),
                Opt::Flag('j', Some("4".into())),
                Opt::Long("json", None),
            ]
        );
        assert_eq!(p.operands, args("2"));
        // `--root=` gives an empty value; after `--` nothing is an option.
        let p = parse_long(Mode::Gnu, &args("--root= -- --json"), "", LONGS);
        assert_eq!(p.opts, vec![Opt::Long("root", Some(OsString::new()))]);
        assert_eq!(p.operands, args("--json"));
    }

    #[test]
    fn long_option_errors() {
        let p = parse_long(Mode::Gnu, &args("--nope --json=1 --root"), "", LONGS);
        assert_eq!(
            p.opts,
            vec![
                Opt::BadLong(LongError::Unknown("nope".into())),
                Opt::BadLong(LongError::UnexpectedValue("json")),
                Opt::BadLong(LongError::MissingValue("root")),
            ]
        );
    }

    #[test]
    fn arguments_are_bytes() {
        let bytes = |b: &[u8]| OsStr::from_bytes(b).to_os_string();
        let line = [
            bytes(b"-e"),
            bytes(b"X=a\xffb"),
            bytes(b"-t\xfe"),
            bytes(b"op\xff"),
            bytes(b"-\xffr"),
        ];
        let p = parse_in(Mode::Gnu, &line, "e:t:r");
        assert_eq!(
            p.opts,
            vec![
                Opt::Flag('e', Some(bytes(b"X=a\xffb"))),
                Opt::Flag('t', Some(bytes(b"\xfe"))),
                Opt::Unknown(char::REPLACEMENT_CHARACTER),
                Opt::Flag('r', None),
            ]
        );
        assert_eq!(p.operands, vec![bytes(b"op\xff")]);
        // A UTF-8 letter is one option; a value after it keeps its bytes.
        let p = parse(&[bytes("-é".as_bytes()), bytes(b"-rx")], "r");
        assert_eq!(
            p.opts,
            vec![Opt::Unknown('é'), Opt::Flag('r', None), Opt::Unknown('x')]
        );
        let p = parse_long(
            Mode::Gnu,
            &[bytes(b"--root=/a\xff"), bytes(b"--n\xffpe")],
            "",
            LONGS,
        );
        assert_eq!(
            p.opts,
            vec![
                Opt::Long("root", Some(bytes(b"/a\xff"))),
                Opt::BadLong(LongError::Unknown("n\u{FFFD}pe".into())),
            ]
        );
    }
}
