//! `telinit`: ask init for a runlevel change or environment change through
//! `/run/initctl` (SPEC §4.1, §4.3).
//!
//! sysvinit has one binary for both roles; [`preamble`] is the part of its
//! `main` common to both (`--version`, umask, superuser check) and
//! [`is_init_role`] its test for which role to play. `cmd/init.rs` calls
//! them, and [`telinit`] when the process is not PID 1.

use std::path::Path;

use nix::sys::stat::{Mode, umask};
use nix::unistd::{Pid, chdir, geteuid, getpid};

use crate::initctl::{self, DEFAULT_SLEEPTIME, FIFO_PATH, Request};

/// The version sysvinit's `--version` reports; peers compare it.
pub const VERSION_TEXT: &str = "SysV init version: 3.06\n\n";

/// The level characters telinit accepts; each is sent verbatim.
const LEVELS: &str = "0123456789SsQqAaBbCcUu";

/// The command as run directly (`telinit …`): the common checks, then the
/// telinit role whatever the process is.
pub fn main(args: Vec<String>) -> i32 {
    if let Some(code) = preamble(&args) {
        return code;
    }
    telinit(&args)
}

/// The checks sysvinit's `main` makes before choosing a role: `--version`
/// as the only argument prints the version (any user), the umask gains
/// 022, and anyone but root is refused. `Some(code)` means exit with it.
pub fn preamble(args: &[String]) -> Option<i32> {
    if args.len() == 2 && args[1] == "--version" {
        print!("{VERSION_TEXT}");
        return Some(0);
    }
    let old = umask(Mode::empty());
    umask(old | Mode::from_bits_truncate(0o022));
    if !geteuid().is_root() {
        eprintln!("{}: must be superuser.", prog_name(args));
        return Some(1);
    }
    None
}

/// sysvinit's rule: the process is init if it is PID 1 or any argument is
/// `-i` or `--init`; otherwise it is telinit, whatever its name.
pub fn is_init_role(args: &[String]) -> bool {
    getpid() == Pid::from_raw(1) || args.iter().skip(1).any(|a| a == "-i" || a == "--init")
}

/// The basename of `argv[0]`, as sysvinit names itself in messages.
fn prog_name(args: &[String]) -> String {
    args.first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "telinit".to_string())
}

/// The telinit role: parse the command line, write one request to
/// `/run/initctl`. Returns the exit status.
pub fn telinit(args: &[String]) -> i32 {
    let prog = prog_name(args);
    let request = match parse(args) {
        Ok(request) => request,
        Err(BadArgs::TooLarge) => {
            eprintln!("{prog}: -e option data too large");
            return 1;
        }
        Err(BadArgs::Usage(getopt_message)) => {
            if let Some(message) = getopt_message {
                eprintln!("{message}");
            }
            eprintln!(
                "Usage: {prog} {{-e VAR[=VAL] | [-t SECONDS] {{0|1|2|3|4|5|6|S|s|Q|q|A|a|B|b|C|c|U|u}}}}"
            );
            return 1;
        }
    };
    // As sysvinit does, so the FIFO open never holds a mount busy; failure
    // does not matter.
    let _ = chdir("/");
    match initctl::send(Path::new(FIFO_PATH), &[request]) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{prog}: {e}");
            1
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum BadArgs {
    /// Print the usage text, after getopt's own message if any (which names
    /// the full `argv[0]`, as glibc's does).
    Usage(Option<String>),
    /// `-e` strings overflow the request's data.
    TooLarge,
}

/// Parses telinit's arguments the way glibc's `getopt(argc, argv, "t:e:")`
/// does (GNU mode: options may follow operands, `--` ends options; the
/// first error ends parsing) and builds the request. The project's
/// `getopt` module is POSIX-mode only, hence this loop.
fn parse(args: &[String]) -> Result<Request, BadArgs> {
    let argv0 = args.first().map(String::as_str).unwrap_or("telinit");
    let mut sleeptime = DEFAULT_SLEEPTIME;
    let mut env: Vec<&str> = Vec::new();
    let mut operands: Vec<&str> = Vec::new();
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.by_ref().map(String::as_str));
            break;
        }
        let Some(letters) = word.strip_prefix('-').filter(|l| !l.is_empty()) else {
            operands.push(word);
            continue;
        };
        // Both options take an argument, so a word holds exactly one option:
        // its first letter, with the argument attached or in the next word.
        let mut chars = letters.chars();
        let letter = chars.next().unwrap_or('-');
        if letter != 't' && letter != 'e' {
            return Err(BadArgs::Usage(Some(format!(
                "{argv0}: invalid option -- '{letter}'"
            ))));
        }
        let attached = chars.as_str();
        let value = if attached.is_empty() {
            words.next().map(String::as_str).ok_or_else(|| {
                BadArgs::Usage(Some(format!(
                    "{argv0}: option requires an argument -- '{letter}'"
                )))
            })?
        } else {
            attached
        };
        if letter == 't' {
            sleeptime = atoi(value);
        } else {
            env.push(value);
            Request::setenv(&env).map_err(|_| BadArgs::TooLarge)?;
        }
    }
    if !env.is_empty() {
        if !operands.is_empty() {
            return Err(BadArgs::Usage(None));
        }
        return Request::setenv(&env).map_err(|_| BadArgs::TooLarge);
    }
    match operands[..] {
        [level] if level.len() == 1 && LEVELS.contains(level) => {
            Ok(Request::runlevel(level.as_bytes()[0], sleeptime))
        }
        _ => Err(BadArgs::Usage(None)),
    }
}

/// C's `atoi`: leading blanks, an optional sign, digits; anything else ends
/// the number (`atoi("abc")` is 0). Out-of-range values wrap as glibc's
/// `(int) strtol` does after clamping to a 64-bit long.
fn atoi(text: &str) -> i32 {
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for d in digits.bytes().take_while(u8::is_ascii_digit) {
        let digit = i64::from(d - b'0');
        value = value
            .saturating_mul(10)
            .saturating_add(if negative { -digit } else { digit });
    }
    value as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::initctl::CMD_SETENV;

    fn parse_line(line: &str) -> Result<Request, BadArgs> {
        let args: Vec<String> = std::iter::once("/sbin/telinit")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        parse(&args)
    }

    #[test]
    fn levels_are_sent_verbatim_with_sleeptime() {
        assert_eq!(parse_line("3"), Ok(Request::runlevel(b'3', 3)));
        assert_eq!(parse_line("-t 7 s"), Ok(Request::runlevel(b's', 7)));
        assert_eq!(parse_line("-t7 q"), Ok(Request::runlevel(b'q', 7)));
        for level in LEVELS.chars() {
            let r = parse_line(&level.to_string()).unwrap();
            assert_eq!(r.runlevel, level as i32);
        }
    }

    #[test]
    fn options_may_follow_the_level_as_with_glibc_getopt() {
        assert_eq!(parse_line("3 -t 5"), Ok(Request::runlevel(b'3', 5)));
        assert_eq!(parse_line("-- 3"), Ok(Request::runlevel(b'3', 3)));
        assert_eq!(parse_line("-t -- 3"), Ok(Request::runlevel(b'3', 0)));
        assert_eq!(parse_line("-t 5 -- -t"), Err(BadArgs::Usage(None)));
    }

    #[test]
    fn usage_errors() {
        for line in [
            "",
            "33",
            "x",
            "3 4",
            "-t 5",
            "-e INIT_A 3",
            "-t 5 -e A 3",
            "-",
        ] {
            assert_eq!(parse_line(line), Err(BadArgs::Usage(None)), "{line:?}");
        }
        assert_eq!(
            parse_line("-x 3"),
            Err(BadArgs::Usage(Some(
                "/sbin/telinit: invalid option -- 'x'".into()
            )))
        );
        assert_eq!(
            parse_line("--version 3"),
            Err(BadArgs::Usage(Some(
                "/sbin/telinit: invalid option -- '-'".into()
            )))
        );
        assert_eq!(
            parse_line("3 -t"),
            Err(BadArgs::Usage(Some(
                "/sbin/telinit: option requires an argument -- 't'".into()
            )))
        );
        assert_eq!(
            parse_line("-e"),
            Err(BadArgs::Usage(Some(
                "/sbin/telinit: option requires an argument -- 'e'".into()
            )))
        );
    }

    #[test]
    fn setenv_requests() {
        assert_eq!(
            parse_line("-e INIT_FOO=bar -e INIT_BAZ"),
            Ok(Request::setenv(&["INIT_FOO=bar", "INIT_BAZ"]).unwrap())
        );
        // -t is accepted but a SETENV carries no sleeptime.
        let r = parse_line("-t 9 -eINIT_X=1").unwrap();
        assert_eq!((r.cmd, r.runlevel, r.sleeptime), (CMD_SETENV, 0, 0));
        let big = "A".repeat(367);
        assert_eq!(parse_line(&format!("-e {big}")), Err(BadArgs::TooLarge));
        // The size error wins over a later bad option, as it comes first.
        assert_eq!(parse_line(&format!("-e {big} -x")), Err(BadArgs::TooLarge));
    }

    #[test]
    fn atoi_like_c() {
        for (text, value) in [
            ("7", 7),
            ("  -12x", -12),
            ("+4", 4),
            ("abc", 0),
            ("", 0),
            ("4294967297", 1),
            ("99999999999999999999", -1),
        ] {
            assert_eq!(atoi(text), value, "{text:?}");
        }
    }
}
