//! `getopt(3)` and `getopt_long(3)` for every command: the classic ones,
//! whose usage messages and exit codes must match sysvinit's to the letter
//! (clap's would not), and vinit's own (`rc`, `vinit SUBCOMMAND`).
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
    Flag(char, Option<String>),
    /// A letter not in `spec`.
    Unknown(char),
    /// An option that needs an argument but was last on the line.
    MissingArgument(char),
    /// A long option with no letter, with its value if it takes one.
    Long(&'static str, Option<String>),
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
    /// `--NAME`, not among the long options.
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
    pub operands: Vec<String>,
}

/// Parses `args` (without `argv[0]`) against `spec`, e.g. `"t:e:"`, in
/// POSIX mode.
pub(crate) fn parse(args: &[String], spec: &str) -> Parsed {
    parse_in(Mode::Posix, args, spec)
}

/// Parses `args` (without `argv[0]`) against `spec` in `mode`. Every
/// option is returned in order, errors included: a caller that stops at the
/// first error sees what glibc's getopt loop would.
pub(crate) fn parse_in(mode: Mode, args: &[String], spec: &str) -> Parsed {
    parse_long(mode, args, spec, &[])
}

/// [`parse_in`] with GNU long options as well.
pub(crate) fn parse_long(mode: Mode, args: &[String], spec: &str, longs: &[LongOpt]) -> Parsed {
    let takes_arg = |c: char| -> Option<bool> {
        let i = spec.find(c)?;
        Some(spec[i + c.len_utf8()..].starts_with(':'))
    };
    let mut parsed = Parsed::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(long) = word.strip_prefix("--").filter(|_| !longs.is_empty()) {
            parsed.opts.push(long_option(long, longs, &mut words));
            continue;
        }
        let Some(letters) = word.strip_prefix('-').filter(|l| !l.is_empty()) else {
            parsed.operands.push(word.clone());
            match mode {
                Mode::Posix => break,
                Mode::Gnu => continue,
            }
        };
        for (i, c) in letters.char_indices() {
            match takes_arg(c) {
                None => parsed.opts.push(Opt::Unknown(c)),
                Some(false) => parsed.opts.push(Opt::Flag(c, None)),
                Some(true) => {
                    let rest = &letters[i + c.len_utf8()..];
                    let value = if rest.is_empty() {
                        words.next().cloned()
                    } else {
                        Some(rest.to_string())
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

/// One long option, `NAME` or `NAME=VALUE` after the `--`; a value it needs
/// and lacks is the next word.
fn long_option<'a>(
    word: &str,
    longs: &[LongOpt],
    words: &mut impl Iterator<Item = &'a String>,
) -> Opt {
    let (name, attached) = match word.split_once('=') {
        Some((name, value)) => (name, Some(value.to_string())),
        None => (word, None),
    };
    let Some(long) = longs.iter().find(|l| l.name == name) else {
        return Opt::BadLong(LongError::Unknown(name.to_string()));
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

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
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
        assert_eq!(p.opts, vec![Opt::Long("root", Some(String::new()))]);
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
}
