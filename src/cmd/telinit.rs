//! `telinit`: ask init for a runlevel change or environment change through
//! `/run/initctl` (docs/compatibility.md §4.1, §4.3).
//!
//! sysvinit has one binary for both roles; [`preamble`] is the part of its
//! `main` common to both (`--version`, umask, superuser check) and
//! [`is_init_role`] its test for which role to play. `cmd/init.rs` calls
//! them, and [`telinit`] when the process is not PID 1.
//!
//! vinit adds, without changing the bytes sent: `--wait [--timeout SEC]`
//! (return once the level is reached, [`wait_for_level`]), a warning when
//! the target level starts nothing, the inittab's problems before `q`, and
//! `--help`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::stat::{Mode, umask};
use nix::unistd::{Pid, chdir, geteuid, getpid};

use crate::defaults::DEFAULT_SLEEP_TIME;
use crate::getopt::{self, Opt};
use crate::initctl::{self, FIFO_PATH, Request};

/// The version sysvinit's `--version` reports; peers compare it.
pub(crate) const VERSION_TEXT: &str = "SysV init version: 3.06\n\n";

/// The level characters telinit accepts; each is sent verbatim.
const LEVELS: &str = "0123456789SsQqAaBbCcUu";

/// The checks sysvinit's `main` makes before choosing a role: `--version`
/// as the only argument prints the version (any user), the umask gains
/// 022, and anyone but root is refused. `Some(code)` means exit with it.
pub(crate) fn preamble(args: &[String]) -> Option<i32> {
    if args.len() == 2 && args[1] == "--version" {
        print!("{VERSION_TEXT}");
        return Some(0);
    }
    if prog_name(args) == "telinit" && args.iter().skip(1).any(|a| a == "--help") {
        print!("{}", usage_text("telinit"));
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
pub(crate) fn is_init_role(args: &[String]) -> bool {
    getpid() == Pid::from_raw(1) || args.iter().skip(1).any(|a| a == "-i" || a == "--init")
}

/// The basename of `argv[0]`, as sysvinit names itself in messages.
fn prog_name(args: &[String]) -> String {
    args.first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "telinit".to_string())
}

/// The usage line sysvinit prints (after a bad command line).
fn usage_line(prog: &str) -> String {
    format!(
        "Usage: {prog} {{-e VAR[=VAL] | [-t SECONDS] {{0|1|2|3|4|5|6|S|s|Q|q|A|a|B|b|C|c|U|u}}}}"
    )
}

/// `telinit --help`.
fn usage_text(prog: &str) -> String {
    format!(
        "{}\n       {prog} --wait [--timeout SECONDS] [-t SECONDS] {{0-9|S|s}}\n\n\
         Asks init, through /run/initctl, to:\n\
         \x20 0-9, S, s   switch to this runlevel\n\
         \x20 Q, q        re-read /etc/inittab (its problems are printed first)\n\
         \x20 U, u        re-execute itself, keeping its state\n\
         \x20 A-C, a-c    start the ondemand entries with this letter\n\
         \x20 -e VAR[=VAL]  set (or unset) VAR for the processes init starts\n\
         \x20 -t SECONDS  seconds between TERM and KILL on a level change (default 3)\n\
         \x20 --wait      return once the level is reached: its wait entries and rc\n\
         \x20             have finished; print the scripts that failed or timed out.\n\
         \x20             Exit 0 done, 1 scripts failed, 2 timed out, 3 init is not vinit\n\
         \x20 --timeout SECONDS  give up waiting after this long (default: never)\n\
         \x20 --help      this text\n\
         See telinit(8), init(8), vinit(8).\n",
        usage_line(prog)
    )
}

/// What `--wait` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wait {
    timeout: Option<Duration>,
}

/// Takes vinit's long options (`--wait`, `--timeout SEC`,
/// `--timeout=SEC`) out of the command line, before sysvinit's parsing
/// (which they would fail). `Err` is a message for a bad one.
fn take_wait_options(args: &[String]) -> Result<(Vec<String>, Option<Wait>), String> {
    let mut rest = Vec::with_capacity(args.len());
    let mut wait = false;
    let mut timeout = None;
    let mut words = args.iter();
    rest.extend(words.next().cloned());
    while let Some(word) = words.next() {
        let value = if word == "--wait" {
            wait = true;
            continue;
        } else if word == "--timeout" {
            words
                .next()
                .ok_or_else(|| "option '--timeout' needs a value".to_string())?
        } else if let Some(value) = word.strip_prefix("--timeout=") {
            value
        } else {
            rest.push(word.clone());
            continue;
        };
        let seconds: f64 = value
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("bad --timeout value '{value}'"))?;
        timeout = Some(Duration::from_secs_f64(seconds));
    }
    if timeout.is_some() && !wait {
        return Err("--timeout goes with --wait".to_string());
    }
    Ok((rest, wait.then_some(Wait { timeout })))
}

/// The telinit role: parse the command line, write one request to
/// `/run/initctl`. Returns the exit status.
pub(crate) fn telinit(args: &[String]) -> i32 {
    let prog = prog_name(args);
    let (args, wait) = match take_wait_options(args) {
        Ok(taken) => taken,
        Err(message) => {
            eprintln!("{prog}: {message}");
            eprintln!("{}", usage_line(&prog));
            return 1;
        }
    };
    let args = &args[..];
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
            eprintln!("{}", usage_line(&prog));
            return 1;
        }
    };
    let level = (request.cmd == initctl::CMD_RUNLVL)
        .then(|| u8::try_from(request.runlevel).ok())
        .flatten();
    let target = level
        .map(|l| l.to_ascii_uppercase())
        .filter(|l| b"0123456789S".contains(l));
    if wait.is_some() {
        if target.is_none() {
            eprintln!("{prog}: --wait needs a runlevel (0-9, S)");
            return 1;
        }
        // Refuse before sending anything: there would be nothing to wait on.
        if let Err(why) = crate::cmd::vinit::status::read_init_status() {
            return why.report(&prog);
        }
    }
    let loaded =
        level.map(|_| crate::inittab::load(&crate::filesystem::FileSystem, Path::new("/")));
    if let (Some(level), Some(loaded)) = (level, &loaded)
        && loaded.grammar == crate::inittab::Grammar::BusyBox
    {
        if !b"06QqUu".contains(&level) {
            eprintln!(
                "{prog}: /etc/inittab is in BusyBox's grammar, which has no runlevels: \
                 only 0 (halt or power off), 6 (reboot), q (re-read) and u (re-execute init) \
                 mean something to init"
            );
            return 1;
        }
    } else if let (Some(target), Some(loaded)) = (target, &loaded)
        && let Some(warning) = level_warning(loaded, target)
    {
        eprintln!("{prog}: warning: {warning}");
    }
    if matches!(level, Some(b'q' | b'Q')) {
        let problems = crate::cmd::vinit::check::inittab_problems(Path::new("/"));
        for problem in &problems {
            eprintln!("{prog}: {problem}");
        }
        if !problems.is_empty() {
            eprintln!("{prog}: init will keep its last good configuration");
        }
    }
    // As sysvinit does, so the FIFO open never holds a mount busy; failure
    // does not matter.
    let _ = chdir("/");
    let sent = SystemTime::now();
    if let Err(e) = initctl::send(Path::new(FIFO_PATH), &[request]) {
        eprintln!("{prog}: {e}");
        return 1;
    }
    match (wait, target) {
        (Some(wait), Some(target)) => wait_for_level(&prog, target, wait.timeout, sent),
        _ => 0,
    }
}

/// Why switching to `level` would leave nobody at the console, if it
/// would: no entry of the configuration runs there, or (in a multi-user
/// level) none stays running, such as a getty.
fn level_warning(loaded: &crate::inittab::Loaded, level: u8) -> Option<String> {
    use crate::inittab::Action;
    if loaded.inittab_missing {
        return None;
    }
    let starts: Vec<_> = loaded
        .entries
        .iter()
        .filter(|e| e.runs_in(level))
        .filter(|e| !matches!(e.action, Action::Off | Action::Initdefault))
        .filter(|e| !e.action.starts_disarmed())
        .collect();
    let name = char::from(level);
    if starts.is_empty() {
        return Some(format!(
            "no entry of /etc/inittab or /etc/inittab.d runs in runlevel {name}: \
             init will start nothing there, not even a getty on the console"
        ));
    }
    let multi_user = b"2345789".contains(&level);
    if multi_user && !starts.iter().any(|e| e.action.respawns()) {
        return Some(format!(
            "no respawn entry (such as a getty) runs in runlevel {name}: \
             once its scripts have run, nothing offers a login"
        ));
    }
    None
}

/// Whether the status says `level` is reached: init is in it, not still
/// stopping the old level's processes, and none of its `wait` entries
/// (rc) is running or still to start.
fn level_reached(status: &crate::status::InitStatus<'_>, level: u8) -> bool {
    use crate::status::EntryState;
    status.runlevel == char::from(level)
        && !status.changing
        && !status.entries.iter().any(|e| {
            e.action == "wait" && matches!(e.state, EntryState::Running | EntryState::Waiting)
        })
}

/// How often `--wait` looks at the status file (PID 1 is never asked).
const WAIT_POLL: Duration = Duration::from_millis(100);

/// `--wait`: polls init's status file until `level` is reached or the
/// timeout passes, then reports the scripts that failed in the runs into
/// `level` recorded since `sent`. Exit 0 done, 1 scripts failed, 2 timeout,
/// 3 init is not vinit.
fn wait_for_level(prog: &str, level: u8, timeout: Option<Duration>, sent: SystemTime) -> i32 {
    use crate::cmd::vinit::status::read_init_status;
    let begun = Instant::now();
    let name = char::from(level);
    loop {
        match read_init_status() {
            Ok(status) if level_reached(&status, level) => break,
            Ok(_) => {}
            Err(why) => return why.report(prog),
        }
        if timeout.is_some_and(|t| begun.elapsed() >= t) {
            eprintln!(
                "{prog}: runlevel {name} not reached after {:.1} s",
                begun.elapsed().as_secs_f64()
            );
            return 2;
        }
        std::thread::sleep(WAIT_POLL);
    }
    let failed = failed_scripts(Path::new(crate::rc::record::RECORD_DIR), level, sent);
    if failed.is_empty() {
        println!(
            "{prog}: runlevel {name} reached in {:.1} s",
            begun.elapsed().as_secs_f64()
        );
        return 0;
    }
    println!(
        "{prog}: runlevel {name} reached in {:.1} s; {} script{} failed:",
        begun.elapsed().as_secs_f64(),
        failed.len(),
        if failed.len() == 1 { "" } else { "s" }
    );
    for line in failed {
        println!("{line}");
    }
    1
}

/// One line per script that failed or timed out in the runs into `level`
/// whose record was written since `since`.
fn failed_scripts(dir: &Path, level: u8, since: SystemTime) -> Vec<String> {
    let level = char::from(level).to_string();
    // The record's file is created when rc starts, which is after the
    // request was sent; a second of slack for coarse file times.
    let since = since - Duration::from_secs(1);
    let (runs, _) = crate::rc::record::read_dir(dir);
    runs.iter()
        .filter(|run| run.level == level)
        .filter(|run| {
            std::fs::metadata(dir.join(&run.name))
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= since)
        })
        .flat_map(|run| run.lines.iter().filter(|l| l.failed()))
        .map(|l| {
            let how = match (l.result.as_str(), l.status.as_str()) {
                ("timeout", _) => "timed out".to_string(),
                (_, status) if status.starts_with("signal:") => {
                    format!("killed by signal {}", &status["signal:".len()..])
                }
                (_, status) => format!("exit status {status}"),
            };
            format!(
                "  {} {}: {how} after {}",
                l.action,
                l.script,
                crate::cmd::vinit::seconds(l.duration_ns().unwrap_or(0))
            )
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
enum BadArgs {
    /// Print the usage text, after getopt's own message if any (which names
    /// the full `argv[0]`, as glibc's does).
    Usage(Option<String>),
    /// `-e` strings overflow the request's data.
    TooLarge,
}

/// Parses telinit's arguments as sysvinit's `getopt(argc, argv, "t:e:")`
/// does, in glibc's GNU mode (options may follow operands, `--` ends
/// options; the first error ends parsing), and builds the request.
fn parse(args: &[String]) -> Result<Request, BadArgs> {
    let argv0 = args.first().map(String::as_str).unwrap_or("telinit");
    let parsed = getopt::parse_in(getopt::Mode::Gnu, args.get(1..).unwrap_or_default(), "t:e:");
    let mut sleeptime = DEFAULT_SLEEP_TIME as i32;
    let mut env: Vec<&str> = Vec::new();
    for opt in &parsed.opts {
        match opt {
            Opt::Flag('t', Some(value)) => sleeptime = atoi(value),
            Opt::Flag(_, Some(value)) => {
                env.push(value);
                Request::setenv(&env).map_err(|_| BadArgs::TooLarge)?;
            }
            Opt::Flag(letter, None) | Opt::Unknown(letter) => {
                return Err(BadArgs::Usage(Some(format!(
                    "{argv0}: invalid option -- '{letter}'"
                ))));
            }
            Opt::MissingArgument(letter) => {
                return Err(BadArgs::Usage(Some(format!(
                    "{argv0}: option requires an argument -- '{letter}'"
                ))));
            }
            // telinit has no long options.
            Opt::Long(..) | Opt::BadLong(_) => {}
        }
    }
    let operands: Vec<&str> = parsed.operands.iter().map(String::as_str).collect();
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
