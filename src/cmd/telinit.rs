//! `telinit`: ask init for a runlevel change or environment change through
//! `/run/initctl` (docs/compatibility.md §4.1, §4.3).
//!
//! sysvinit has one binary for both roles; [`preamble`] is the part of its
//! `main` common to both (`--version`, umask, superuser check) and
//! [`is_init_role`] its test for which role to play. `cmd/init.rs` calls
//! them, and [`telinit`] when the process is not PID 1.
//!
//! vinit adds, without changing the bytes sent: `--wait [--timeout SEC]`
//! (return once the level is reached, [`wait_for_level`], believing only a
//! status file written since the request), a warning when the target level
//! starts nothing, the inittab's problems before `q`, and `--help`.
//!
//! Arguments are bytes: `-e` strings are sent as given, as sysvinit sends
//! them; a `-t` number beyond C's `int` is refused rather than wrapped.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::stat::{Mode, umask};
use nix::unistd::{Pid, chdir, geteuid, getpid};

use crate::defaults::DEFAULT_SLEEP_TIME;
use crate::getopt::{self, Opt};
use crate::initctl::{self, Asked, FIFO_PATH, Request};
use crate::runlevel::Runlevel;
use crate::status::client;
use crate::status::{EntryState, InitStatus};

/// The version sysvinit's `--version` reports; peers compare it.
pub(crate) const VERSION_TEXT: &str = "SysV init version: 3.06\n\n";

/// Whether telinit takes `byte` as its level argument, which it sends as
/// typed: a runlevel (`s` too), `Q` (re-read), `U` (re-execute) or a
/// demand letter `A`–`C`, either case.
fn is_level_argument(byte: u8) -> bool {
    Runlevel::from_byte(byte).is_some() || b"QqUuAaBbCc".contains(&byte)
}

/// `--wait`'s exit status when init left the level before reaching it.
const EXIT_LEFT: i32 = 4;

/// The checks sysvinit's `main` makes before choosing a role: `--version`
/// as the only argument prints the version (any user), the umask gains
/// 022, and anyone but root is refused. `Some(code)` means exit with it.
pub(crate) fn preamble(args: &[OsString]) -> Option<i32> {
    if let [_, only] = args
        && only == "--version"
    {
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
pub(crate) fn is_init_role(args: &[OsString]) -> bool {
    getpid() == Pid::from_raw(1) || args.iter().skip(1).any(|a| a == "-i" || a == "--init")
}

/// The basename of `argv[0]`, as sysvinit names itself in messages.
fn prog_name(args: &[OsString]) -> String {
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
        "{}\n       {prog} --wait [--timeout SECONDS] [-t SECONDS] {{1-5|7-9|S|s}}\n\n\
         Asks init, through /run/initctl, to:\n\
         \x20 0-9, S, s   switch to this runlevel\n\
         \x20 Q, q        re-read /etc/inittab (its problems are printed first)\n\
         \x20 U, u        re-execute itself, keeping its state\n\
         \x20 A-C, a-c    start the ondemand entries with this letter\n\
         \x20 -e VAR[=VAL]  set (or unset) VAR for the processes init starts\n\
         \x20 -t SECONDS  seconds between TERM and KILL on a level change (default 3)\n\
         \x20 --wait      return once the level is reached: its wait entries and rc\n\
         \x20             have finished (in S: started; sulogin waits for its user);\n\
         \x20             print the scripts that failed or timed out\n\
         \x20 --timeout SECONDS  give up waiting after this long (default: never)\n\
         \x20 --help      this text\n\n\
         Exit status: 0 when the request was written (with --wait: and the level\n\
         was reached, no script failing); 1 on a usage error, when not run by root,\n\
         or when the request could not be written (with --wait: also when scripts\n\
         failed or timed out, or /run/vinit/status is damaged); 2 when --timeout\n\
         passed, init's status still unknown or its level not reached; 3 when PID 1\n\
         is not vinit; 4 when init left the level before reaching it (--wait only).\n\
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
fn take_wait_options(args: &[OsString]) -> Result<(Vec<OsString>, Option<Wait>), String> {
    let mut rest = Vec::with_capacity(args.len());
    let mut wait = false;
    let mut timeout = None;
    let mut words = args.iter();
    rest.extend(words.next().cloned());
    while let Some(word) = words.next() {
        let value: &OsStr = if word == "--wait" {
            wait = true;
            continue;
        } else if word == "--timeout" {
            words
                .next()
                .ok_or_else(|| "option '--timeout' needs a value".to_string())?
        } else if let Some(value) = word.as_bytes().strip_prefix(b"--timeout=") {
            OsStr::from_bytes(value)
        } else {
            rest.push(word.clone());
            continue;
        };
        timeout = Some(timeout_value(value)?);
    }
    if timeout.is_some() && !wait {
        return Err("--timeout goes with --wait".to_string());
    }
    Ok((rest, wait.then_some(Wait { timeout })))
}

/// `--timeout`'s seconds: a number, 0 or more, that a `Duration` holds
/// (about 584 billion years; beyond, it is refused rather than wrapped).
fn timeout_value(value: &OsStr) -> Result<Duration, String> {
    let shown = value.to_string_lossy();
    let seconds: f64 = value
        .to_str()
        .and_then(|text| text.parse().ok())
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| format!("bad --timeout value '{shown}'"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("bad --timeout value '{shown}': too large"))
}

/// The telinit role: parse the command line, write one request to
/// `/run/initctl`. Returns the exit status.
pub(crate) fn telinit(args: &[OsString]) -> i32 {
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
        Err(BadArgs::OutOfRange(value)) => {
            eprintln!(
                "{prog}: -t {value}: out of range (at most {} seconds)",
                i32::MAX
            );
            eprintln!("{}", usage_line(&prog));
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
    let asked = (request.cmd == initctl::CMD_RUNLVL).then(|| request.asked());
    let target = match asked {
        Some(Asked::Level(level)) => Some(level),
        _ => None,
    };
    // What init's status said before the request, for `--wait`.
    let mut before = None;
    if wait.is_some() {
        let Some(target) = target else {
            eprintln!("{prog}: --wait needs a runlevel (1-5, 7-9, S)");
            return 1;
        };
        if let Some(why) = never_reached(target) {
            eprintln!("{prog}: --wait {target}: {why}");
            return 1;
        }
        // Refuse before sending anything: there would be nothing to wait on.
        match client::read() {
            Ok(Some((status, _))) => before = Some(status),
            // vinit's init removes the file when it cannot write it: its
            // status is unknown until it can.
            Ok(None) => {}
            Err(why) => return why.report(&prog),
        }
    }
    let loaded =
        asked.map(|_| crate::inittab::load(&crate::filesystem::FileSystem, Path::new("/")));
    if let (Some(asked), Some(loaded)) = (asked, &loaded)
        && loaded.grammar == crate::inittab::Grammar::BusyBox
    {
        let meant = matches!(
            asked,
            Asked::Level(Runlevel::HALT | Runlevel::REBOOT) | Asked::Reload | Asked::Reexec
        );
        if !meant {
            eprintln!(
                "{prog}: /etc/inittab is in BusyBox's grammar, which has no runlevels: \
                 only 0 (halt or power off), 6 (reboot), q (re-read) and u (re-execute init) \
                 mean something to init"
            );
            return 1;
        }
    } else if let (Some(target), Some(loaded)) = (target, &loaded) {
        for warning in level_warnings(loaded, target) {
            eprintln!("{prog}: warning: {warning}");
        }
    }
    if asked == Some(Asked::Reload) {
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
    // The clock file times are taken from: a status file written after the
    // request is never older than this.
    let sent_coarse = coarse_now();
    let requested = request.runlevel;
    if let Err(e) = initctl::send(Path::new(FIFO_PATH), &[request]) {
        eprintln!("{prog}: {e}");
        return 1;
    }
    match (wait, target) {
        (Some(wait), Some(target)) => {
            // init ignores a request for the level it is in.
            let ignored = before_is_level(before.as_ref(), requested);
            let request = Sent {
                level: target.byte(),
                at: sent,
                at_coarse: sent_coarse,
                before,
                ignored,
            };
            wait_for_level(&prog, &request, wait.timeout)
        }
        _ => 0,
    }
}

/// Whether `status` says init is settled in the level `requested` names
/// (byte for byte, as init compares it), so that it will ignore the request.
fn before_is_level(status: Option<&InitStatus<'_>>, requested: i32) -> bool {
    status.is_some_and(|status| {
        !status.changing && u32::try_from(requested).ok() == Some(u32::from(status.runlevel))
    })
}

/// Why `--wait` refuses `level`: 0 and 6 end with the system halted or
/// rebooted, and this command with it, so they are never reported reached.
fn never_reached(level: Runlevel) -> Option<&'static str> {
    match level {
        Runlevel::HALT => {
            Some("runlevel 0 halts the system: it is never reported reached; use telinit 0")
        }
        Runlevel::REBOOT => {
            Some("runlevel 6 reboots the system: it is never reported reached; use telinit 6")
        }
        _ => None,
    }
}

/// CLOCK_REALTIME_COARSE, the clock the kernel stamps file times with: a
/// file written after this call never has an older modification time,
/// which the precise clock does not promise.
fn coarse_now() -> SystemTime {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_REALTIME_COARSE)
        .ok()
        .and_then(|t| {
            Some(
                SystemTime::UNIX_EPOCH
                    + Duration::new(
                        u64::try_from(t.tv_sec()).ok()?,
                        u32::try_from(t.tv_nsec()).ok()?,
                    ),
            )
        })
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The warnings before a switch to `level`: the configuration init will
/// use there (the files, or the one it runs when it will refuse them), and
/// whether it leaves anybody at the console. Nothing without an inittab
/// (legal: init then asks for a level).
fn level_warnings(loaded: &crate::inittab::Loaded, level: Runlevel) -> Vec<String> {
    if loaded.inittab_missing {
        return Vec::new();
    }
    let from_files = || {
        level_warning(&loaded.entries, "/etc/inittab or /etc/inittab.d", level)
            .into_iter()
            .collect()
    };
    let Some(why) = refused_because(loaded) else {
        return from_files();
    };
    // vinit's init re-reads the files at the switch and, as they are, keeps
    // the configuration it runs, whose entries are in its status file.
    // (Another init may apply what it can of them.)
    let Ok(Some((status, _))) = client::read() else {
        return from_files();
    };
    let running: Vec<crate::inittab::Entry> =
        status.entries.iter().filter_map(entry_of_status).collect();
    std::iter::once(format!(
        "{why}: init will keep its current configuration ('vinit check' shows the problems)"
    ))
    .chain(level_warning(
        &running,
        "the configuration init runs",
        level,
    ))
    .collect()
}

/// Why vinit's init would refuse the files it re-reads at a level change
/// (the rule of `Supervisor::reread` for a running init), if it would.
fn refused_because(loaded: &crate::inittab::Loaded) -> Option<&'static str> {
    if loaded.read_error.is_some() {
        Some("/etc/inittab or /etc/inittab.d cannot be read")
    } else if !loaded.diagnostics.is_empty() {
        Some("/etc/inittab or /etc/inittab.d has lines init rejects")
    } else if loaded.entries_read == 0 {
        Some("/etc/inittab and /etc/inittab.d have no entries")
    } else {
        None
    }
}

/// A running entry as the status file shows it, as an inittab entry.
fn entry_of_status(entry: &crate::status::EntryStatus<'_>) -> Option<crate::inittab::Entry> {
    Some(crate::inittab::Entry {
        id: entry.id.to_string(),
        runlevels: entry.levels.to_string(),
        action: crate::inittab::Action::from_name(&entry.action)?,
        process: entry.process.to_string(),
        location: crate::inittab::Location {
            file: entry.file.to_string().into(),
            line: entry.line,
            sysv_line: 0,
        },
        // The status of a BusyBox inittab is never read for this: telinit
        // refuses levels there before.
        grammar: crate::inittab::Grammar::Sysvinit,
    })
}

/// Why switching to `level` would leave nobody at the console, if it
/// would: no entry of the configuration (`source`: where it is) runs
/// there, or (in a multi-user level) none stays running, such as a getty.
fn level_warning(
    entries: &[crate::inittab::Entry],
    source: &str,
    level: Runlevel,
) -> Option<String> {
    use crate::inittab::Action;
    let starts: Vec<_> = entries
        .iter()
        .filter(|e| e.runs_in(level.into()))
        .filter(|e| !matches!(e.action, Action::Off | Action::Initdefault))
        .filter(|e| !e.action.starts_disarmed())
        .collect();
    if starts.is_empty() {
        return Some(format!(
            "no entry of {source} runs in runlevel {level}: \
             init will start nothing there, not even a getty on the console"
        ));
    }
    let multi_user = !matches!(level.char(), 'S' | '0' | '1' | '6');
    if multi_user && !starts.iter().any(|e| e.action.respawns()) {
        return Some(format!(
            "no respawn entry (such as a getty) runs in runlevel {level}: \
             once its scripts have run, nothing offers a login"
        ));
    }
    None
}

/// Whether the status says `level` is reached: init is in it, not still
/// stopping the old level's processes, and none of its `wait` entries
/// (rc) is running or still to start. In S a `wait` entry may still run:
/// it is sulogin or the single-user shell, which ends only when its user
/// leaves.
fn level_reached(status: &InitStatus<'_>, level: u8) -> bool {
    status.runlevel == char::from(level)
        && !status.changing
        && !status.entries.iter().any(|e| {
            e.action == "wait"
                && match e.state {
                    EntryState::Waiting => true,
                    EntryState::Running => level != b'S',
                    _ => false,
                }
        })
}

/// How often `--wait` looks at the status file (PID 1 is never asked).
const WAIT_POLL: Duration = Duration::from_millis(100);

/// A level request `--wait` follows.
struct Sent {
    /// The level, upper case.
    level: u8,
    at: SystemTime,
    /// [`coarse_now`] just before the request was written.
    at_coarse: SystemTime,
    /// init's status before the request, if it could be read.
    before: Option<InitStatus<'static>>,
    /// init was settled in the requested level, and ignores the request:
    /// a status file from before it is still the truth.
    ignored: bool,
}

/// What the last look at the status file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// No file: init could not write its current status.
    Missing,
    /// A file written before the request, which may be outdated.
    Outdated,
    /// A file written since the request, with init not (yet) in the level.
    Current,
}

/// What one status file says of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Reached,
    /// init is now in another level, having left the requested one.
    Left(char),
    Pending(Seen),
}

/// Reads one version of the status file for `request`; `seen_level` is
/// whether an earlier version already showed init in the level.
fn progress(
    file: Option<(InitStatus<'_>, SystemTime)>,
    request: &Sent,
    seen_level: &mut bool,
) -> Progress {
    let Some((status, written)) = file else {
        return Progress::Pending(Seen::Missing);
    };
    if written < request.at_coarse && !request.ignored {
        return Progress::Pending(Seen::Outdated);
    }
    let name = char::from(request.level);
    if level_reached(&status, request.level) {
        return Progress::Reached;
    }
    if status.runlevel == name {
        *seen_level = true;
    } else if status.previous == name && (*seen_level || !left_before(request)) {
        // The level was entered and left again (Debian's level 1 ends with
        // `init S`), or another request came after this one.
        return Progress::Left(status.runlevel);
    }
    Progress::Pending(Seen::Current)
}

/// Whether init had already left the requested level before the request
/// (then only a status that shows it in the level again counts).
fn left_before(request: &Sent) -> bool {
    request
        .before
        .as_ref()
        .is_none_or(|b| b.previous == char::from(request.level))
}

/// `--wait`: polls init's status file until the level is reached, left,
/// or the timeout passes, then reports the scripts that failed in the runs
/// into the level recorded since the request. Exit 0 done, 1 scripts
/// failed, 2 timeout (or init's status unknown), 3 init is not vinit, 4
/// init left the level before reaching it.
fn wait_for_level(prog: &str, request: &Sent, timeout: Option<Duration>) -> i32 {
    let begun = Instant::now();
    let name = char::from(request.level);
    let mut seen_level = false;
    loop {
        let file = match client::read() {
            Ok(file) => file,
            Err(why) => return why.report(prog),
        };
        let seen = match progress(file, request, &mut seen_level) {
            Progress::Reached => break,
            Progress::Left(now) => {
                eprintln!(
                    "{prog}: init left runlevel {name} for runlevel {now} before reaching it \
                     (a script of runlevel {name} or another request changed the level)"
                );
                return EXIT_LEFT;
            }
            Progress::Pending(seen) => seen,
        };
        if timeout.is_some_and(|t| begun.elapsed() >= t) {
            let waited = begun.elapsed().as_secs_f64();
            match seen {
                Seen::Missing => eprintln!(
                    "{prog}: init's status could not be read after {waited:.1} s: \
                     {} is missing (init could not write it); runlevel {name} not confirmed",
                    crate::status::STATUS_PATH
                ),
                Seen::Outdated => eprintln!(
                    "{prog}: init's status could not be read after {waited:.1} s: \
                     {} has not been written since the request; runlevel {name} not confirmed",
                    crate::status::STATUS_PATH
                ),
                Seen::Current => {
                    eprintln!("{prog}: runlevel {name} not reached after {waited:.1} s")
                }
            }
            return 2;
        }
        std::thread::sleep(WAIT_POLL);
    }
    let failed = failed_scripts(
        Path::new(crate::rc::record::RECORD_DIR),
        request.level,
        request.at,
    );
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
            let how = match (l.result.as_str(), l.status.strip_prefix("signal:")) {
                ("timeout", _) => "timed out".to_string(),
                (_, Some(signal)) => format!("killed by signal {signal}"),
                (_, None) => format!("exit status {}", l.status),
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
    /// `-t`'s number does not fit C's `int` (sysvinit would send what
    /// `atoi` makes of it, e.g. -1).
    OutOfRange(String),
}

/// Parses telinit's arguments as sysvinit's `getopt(argc, argv, "t:e:")`
/// does, in glibc's GNU mode (options may follow operands, `--` ends
/// options; the first error ends parsing), and builds the request. `-e`
/// strings are sent as the bytes they are.
fn parse(args: &[OsString]) -> Result<Request, BadArgs> {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "telinit".to_string());
    let parsed = getopt::parse_in(getopt::Mode::Gnu, args.get(1..).unwrap_or_default(), "t:e:");
    let mut sleeptime = DEFAULT_SLEEP_TIME as i32;
    let mut env: Vec<&[u8]> = Vec::new();
    for opt in &parsed.opts {
        match opt {
            Opt::Flag('t', Some(value)) => {
                sleeptime = atoi(value.as_bytes())
                    .ok_or_else(|| BadArgs::OutOfRange(value.to_string_lossy().into_owned()))?;
            }
            Opt::Flag(_, Some(value)) => {
                env.push(value.as_bytes());
                Request::setenv_bytes(&env).map_err(|_| BadArgs::TooLarge)?;
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
    if !env.is_empty() {
        if !parsed.operands.is_empty() {
            return Err(BadArgs::Usage(None));
        }
        return Request::setenv_bytes(&env).map_err(|_| BadArgs::TooLarge);
    }
    match &parsed.operands[..] {
        [level] => match level.as_bytes() {
            &[byte] if is_level_argument(byte) => Ok(Request::runlevel(byte, sleeptime)),
            _ => Err(BadArgs::Usage(None)),
        },
        _ => Err(BadArgs::Usage(None)),
    }
}

/// C's `atoi`: leading blanks, an optional sign, digits; anything else ends
/// the number (`atoi("abc")` is 0). `None` for a number beyond C's `int`,
/// where glibc's `atoi` would give a wrapped value. (`shutdown` and `halt`
/// check their `-t` with it, since they pass it on to this command.)
pub(crate) fn atoi(text: &[u8]) -> Option<i32> {
    let start = text
        .iter()
        .position(|b| !b" \t\n\r\x0b\x0c".contains(b))
        .unwrap_or(text.len());
    let text = text.get(start..).unwrap_or_default();
    let (negative, digits) = match text.split_first() {
        Some((b'-', digits)) => (true, digits),
        Some((b'+', digits)) => (false, digits),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        let digit = i64::from(d - b'0');
        value = value
            .checked_mul(10)?
            .checked_add(if negative { -digit } else { digit })?;
        i32::try_from(value).ok()?;
    }
    i32::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::initctl::CMD_SETENV;

    fn parse_line(line: &str) -> Result<Request, BadArgs> {
        let args: Vec<OsString> = std::iter::once("/sbin/telinit")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect();
        parse(&args)
    }

    #[test]
    fn levels_are_sent_verbatim_with_sleeptime() {
        assert_eq!(parse_line("3"), Ok(Request::runlevel(b'3', 3)));
        assert_eq!(parse_line("-t 7 s"), Ok(Request::runlevel(b's', 7)));
        assert_eq!(parse_line("-t7 q"), Ok(Request::runlevel(b'q', 7)));
        for level in "0123456789SsQqAaBbCcUu".chars() {
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
    fn atoi_like_c_within_int() {
        for (text, value) in [
            ("7", Some(7)),
            ("  -12x", Some(-12)),
            ("+4", Some(4)),
            ("abc", Some(0)),
            ("", Some(0)),
            ("2147483647", Some(i32::MAX)),
            ("-2147483648", Some(i32::MIN)),
            ("2147483648", None),
            ("4294967297", None),
            ("99999999999999999999999", None),
            ("-99999999999999999999999", None),
        ] {
            assert_eq!(atoi(text.as_bytes()), value, "{text:?}");
        }
        assert_eq!(atoi(b"5\xff"), Some(5));
    }

    #[test]
    fn huge_sleep_times_are_refused() {
        assert_eq!(
            parse_line("-t 99999999999999999999 3"),
            Err(BadArgs::OutOfRange("99999999999999999999".into()))
        );
        assert_eq!(parse_line("-t -5 3"), Ok(Request::runlevel(b'3', -5)));
    }

    #[test]
    fn setenv_strings_are_sent_as_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let args: Vec<OsString> = [&b"telinit"[..], b"-e", b"INIT_X=a\xffb"]
            .iter()
            .map(|a| OsStr::from_bytes(a).to_os_string())
            .collect();
        let request = parse(&args).unwrap();
        assert!(request.data.starts_with(b"INIT_X=a\xffb\0\0"));
        // A level is one byte telinit knows; any other byte is a usage error.
        let args: Vec<OsString> = [&b"telinit"[..], b"\xff"]
            .iter()
            .map(|a| OsStr::from_bytes(a).to_os_string())
            .collect();
        assert_eq!(parse(&args), Err(BadArgs::Usage(None)));
    }

    #[test]
    fn wait_timeouts() {
        let wait = |line: &str| {
            let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
            take_wait_options(&args).map(|(_, wait)| wait.and_then(|w| w.timeout))
        };
        assert_eq!(
            wait("telinit --wait --timeout 2.5 3"),
            Ok(Some(Duration::from_millis(2500)))
        );
        assert_eq!(
            wait("telinit 3 --wait --timeout=0"),
            Ok(Some(Duration::ZERO))
        );
        for bad in ["99999999999999999999999", "1e300", "inf", "NaN", "-1", "x"] {
            assert!(
                wait(&format!("telinit --wait --timeout {bad} 3")).is_err(),
                "{bad}"
            );
        }
        assert!(wait("telinit --timeout 5 3").is_err());
    }

    fn status(
        level: char,
        previous: char,
        changing: bool,
        wait: EntryState,
    ) -> InitStatus<'static> {
        let entry = crate::status::EntryStatus {
            id: "l".into(),
            levels: level.to_string().into(),
            action: "wait".into(),
            state: wait,
            pid: 0,
            respawns: 0,
            last_status: None,
            disabled_until: None,
            file: "".into(),
            line: 0,
            process: "/sbin/rc".into(),
        };
        InitStatus {
            pid: 1,
            start_ticks: 1,
            exe: "".into(),
            runlevel: level,
            previous,
            changing,
            entries: vec![entry],
        }
    }

    #[test]
    fn levels_are_reached_when_their_wait_entries_are_done_and_s_when_started() {
        assert!(level_reached(
            &status('3', '2', false, EntryState::Done),
            b'3'
        ));
        assert!(!level_reached(
            &status('3', '2', true, EntryState::Done),
            b'3'
        ));
        assert!(!level_reached(
            &status('3', '2', false, EntryState::Running),
            b'3'
        ));
        assert!(!level_reached(
            &status('2', '3', false, EntryState::Done),
            b'3'
        ));
        // sulogin runs until its user leaves single-user mode.
        assert!(level_reached(
            &status('S', '2', false, EntryState::Running),
            b'S'
        ));
        assert!(!level_reached(
            &status('S', '2', false, EntryState::Waiting),
            b'S'
        ));
        assert!(!level_reached(
            &status('S', '2', true, EntryState::Running),
            b'S'
        ));
        assert!(never_reached(Runlevel::HALT).is_some());
        assert!(never_reached(Runlevel::REBOOT).is_some());
        assert_eq!(never_reached(Runlevel::SINGLE), None);
    }

    fn sent(level: u8, before: Option<InitStatus<'static>>) -> Sent {
        let ignored = before_is_level(before.as_ref(), i32::from(level));
        Sent {
            level,
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(100),
            at_coarse: SystemTime::UNIX_EPOCH + Duration::from_secs(100),
            before,
            ignored,
        }
    }

    #[test]
    fn a_status_older_than_the_request_or_missing_is_not_believed() {
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(99);
        let new = SystemTime::UNIX_EPOCH + Duration::from_secs(101);
        let request = sent(b'3', Some(status('2', 'N', false, EntryState::Done)));
        let mut seen = false;
        assert_eq!(
            progress(None, &request, &mut seen),
            Progress::Pending(Seen::Missing)
        );
        // Written before the request (init could not write since): even a
        // level 3 "reached" there is not believed.
        let reached = status('3', '2', false, EntryState::Done);
        assert_eq!(
            progress(Some((reached.clone(), old)), &request, &mut seen),
            Progress::Pending(Seen::Outdated)
        );
        assert_eq!(
            progress(Some((reached, new)), &request, &mut seen),
            Progress::Reached
        );
        // Already settled in the level: init ignores the request, and its
        // older status stays the truth.
        let request = sent(b'3', Some(status('3', '2', false, EntryState::Done)));
        assert!(request.ignored);
        assert_eq!(
            progress(
                Some((status('3', '2', false, EntryState::Done), old)),
                &request,
                &mut seen
            ),
            Progress::Reached
        );
    }

    #[test]
    fn a_level_left_before_it_was_reached_ends_the_wait() {
        let new = SystemTime::UNIX_EPOCH + Duration::from_secs(101);
        // From 2, asked for 1, whose scripts end with `init S`.
        let request = sent(b'1', Some(status('2', 'N', false, EntryState::Done)));
        let mut seen = false;
        assert_eq!(
            progress(
                Some((status('S', '1', false, EntryState::Running), new)),
                &request,
                &mut seen
            ),
            Progress::Left('S')
        );
        // Already in S from level 1 before: only after init was seen in 1 again.
        let request = sent(b'1', Some(status('S', '1', false, EntryState::Running)));
        let mut seen = false;
        let in_s = status('S', '1', false, EntryState::Running);
        assert_eq!(
            progress(Some((in_s.clone(), new)), &request, &mut seen),
            Progress::Pending(Seen::Current)
        );
        assert_eq!(
            progress(
                Some((status('1', 'S', false, EntryState::Running), new)),
                &request,
                &mut seen
            ),
            Progress::Pending(Seen::Current)
        );
        assert_eq!(
            progress(Some((in_s, new)), &request, &mut seen),
            Progress::Left('S')
        );
    }
}
