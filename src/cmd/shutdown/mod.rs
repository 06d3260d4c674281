//! `shutdown [-akrhPHfFncqQ] [-t sec] time [warning message]` (docs/compatibility.md §7.1),
//! following sysvinit 3.06's `shutdown.c` with Debian's `/run/nologin`:
//! count down with wall warnings, then ask init for level 0, 1 or 6 by
//! setting `INIT_HALT` over `/run/initctl` and exec'ing `/sbin/init LEVEL`
//! (which acts as telinit). `-n` goes down without init (docs/compatibility.md §7.3).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use chrono::{Local, Timelike};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, pthread_sigmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::stat::{Mode, umask};
use nix::unistd::{Pid, chdir, geteuid, getpid, getuid, setuid, sync};

use crate::getopt::{self, Opt};
use crate::initctl::{self, FIFO_PATH, Request};
use crate::pid1::console::{Facility, Severity, syslog};
use crate::untrusted::{self, Kind};
use crate::utmp::{self, Record, USER_PROCESS};

mod wall;

use wall::{ctime, wall};

const PID_FILE: &str = "/var/run/shutdown.pid";
/// Debian's path; upstream uses `/etc/nologin`.
const NOLOGIN: &str = "/run/nologin";
const FASTBOOT: &str = "/fastboot";
const FORCEFSCK: &str = "/forcefsck";
const ALLOW_FILE: &str = "/etc/shutdown.allow";
const INIT: &str = "/sbin/init";
const CONSOLE: &str = "/dev/console";
/// sysvinit's message buffer.
const MESSAGE_LEN: usize = 256;

const USAGE: &str = "Usage:\t  shutdown [-akrhPHfFnc] [-t sec] time [warning message]
\t\t  -a:      use /etc/shutdown.allow
\t\t  -k:      don't really shutdown, only warn.
\t\t  -r:      reboot after shutdown.
\t\t  -h:      halt after shutdown.
\t\t  -P:      halt action is to turn off power.
\t\t           can only be used along with -h flag.
\t\t  -H:      halt action is to just halt.
\t\t           can only be used along with -h flag.
\t\t  -f:      do a 'fast' reboot (skip fsck).
\t\t  -F:      Force fsck on reboot.
\t\t  -n:      do not go through \"init\" but go down real fast.
\t\t  -c:      cancel a running shutdown.
\t\t  -q:      quiet mode - display fewer shutdown warnings.
\t\t  -Q:      full quiet mode - display only final shutdown warning.
\t\t  -t secs: delay between warning and kill signal.
\t\t  ** the \"time\" argument is mandatory! (try \"now\") **
";

/// What `--help` adds to the usage.
const EXIT_STATUS: &str = "\
Exit status: 0 when the system is going down (then that of /sbin/init, which
sends the request to init), or when a shutdown was cancelled (-c) or only
warned of (-k); 1 on a usage error, when not run by root, when no authorized
user is logged in (-a), when another shutdown is running or none is there to
cancel, or when /sbin/init cannot be executed.
";

/// The process ends with this status (messages already printed).
struct Exit(i32);

fn usage() -> Exit {
    eprint!("{USAGE}");
    Exit(1)
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    /// Target level: `1` by default, `6` for `-r`, `0` for `-h`, or `-i X`.
    level: char,
    /// `INIT_HALT` value: `HALT` (-H) or `POWEROFF` (-P).
    halt_type: Option<&'static str>,
    use_allow_file: bool,
    cancel: bool,
    warn_only: bool,
    fastboot: bool,
    forcefsck: bool,
    without_init: bool,
    /// `-t`'s argument, passed on to init as given (a number within C's
    /// `int`, checked here rather than after the countdown).
    sleep_time: Option<OsString>,
    /// 0 normal, 1 `-q`, 2 `-Q`.
    quiet: u8,
    /// Time given with `-g`.
    when: Option<String>,
    /// The time (without `-g`) and the words of the message: bytes, which
    /// the message keeps.
    operands: Vec<OsString>,
}

/// `argv0` is used as given in getopt's messages, as glibc does.
fn parse_options(argv0: &str, args: &[OsString]) -> Result<Options, Exit> {
    let parsed = getopt::parse(args, "HPacqQkrhnfFyt:g:i:");
    let mut o = Options {
        level: '1',
        halt_type: None,
        use_allow_file: false,
        cancel: false,
        warn_only: false,
        fastboot: false,
        forcefsck: false,
        without_init: false,
        sleep_time: None,
        quiet: 0,
        when: None,
        operands: parsed.operands,
    };
    for opt in parsed.opts {
        match opt {
            Opt::Flag(c, value) => match (c, value) {
                ('H', _) => o.halt_type = Some("HALT"),
                ('P', _) => o.halt_type = Some("POWEROFF"),
                ('a', _) => o.use_allow_file = true,
                ('c', _) => o.cancel = true,
                ('k', _) => o.warn_only = true,
                ('r', _) => o.level = '6',
                ('h', _) => o.level = '0',
                ('f', _) => o.fastboot = true,
                ('F', _) => o.forcefsck = true,
                ('n', _) => o.without_init = true,
                ('q', _) => o.quiet = 1,
                ('Q', _) => o.quiet = 2,
                ('t', Some(v)) => {
                    if super::telinit::atoi(v.as_bytes()).is_none() {
                        eprintln!(
                            "shutdown: -t {}: out of range (at most {} seconds)",
                            v.to_string_lossy(),
                            i32::MAX
                        );
                        return Err(usage());
                    }
                    o.sleep_time = Some(v);
                }
                ('g', v) => o.when = v.map(|w| time_text(&w)),
                ('i', Some(v)) => match v.as_bytes().first() {
                    Some(&c) if b"0156aAbBcCsS".contains(&c) => o.level = char::from(c),
                    // The real binary quotes with a backquote, as upstream's
                    // source does.
                    _ => {
                        eprintln!("shutdown: `{}': bad runlevel", v.to_string_lossy());
                        return Err(Exit(1));
                    }
                },
                _ => {}
            },
            Opt::Unknown(c) => {
                eprintln!("{argv0}: invalid option -- '{c}'");
                return Err(usage());
            }
            Opt::MissingArgument(c) => {
                eprintln!("{argv0}: option requires an argument -- '{c}'");
                return Err(usage());
            }
            // shutdown has no long options.
            Opt::Long(..) | Opt::BadLong(_) => {}
        }
    }
    if o.halt_type.is_some() && o.level != '0' {
        eprintln!("shutdown: -H and -P flags can only be used along with -h flag.");
        return Err(usage());
    }
    Ok(o)
}

/// The words of the warning message: the operands after the time (all of
/// them with `-c` or `-g TIME`).
fn message_words(o: &Options) -> &[OsString] {
    let time_in_operands = !o.cancel && o.when.is_none();
    o.operands
        .get(usize::from(time_in_operands)..)
        .unwrap_or_default()
}

/// The time: `-g TIME` or the first operand, cut to sysvinit's 63 bytes.
fn time_operand(o: &Options) -> Option<String> {
    match (&o.when, o.operands.first()) {
        (Some(when), _) => Some(when.clone()),
        (None, Some(when)) => Some(time_text(when)),
        (None, None) => None,
    }
}

/// A time argument as text, cut to 63 characters (one that is not UTF-8
/// is no time: its U+FFFD makes it a bad one).
fn time_text(arg: &OsStr) -> String {
    arg.to_string_lossy().chars().take(63).collect()
}

/// What a command line asks for, read as `shutdown` reads it but without
/// acting on it (for tests and the fuzz targets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The level init is asked for.
    pub level: char,
    /// Minutes until shutdown; `None` for `-c`, or for a time that
    /// `shutdown` refuses with its usage.
    pub minutes: Option<i64>,
    /// The warning message as broadcast (`\r\n`-terminated, or empty):
    /// the bytes of the arguments.
    pub message: Vec<u8>,
}

/// Reads `args` (`argv[0]` first) as `shutdown` does at `now_minutes`
/// (local minutes since midnight). `Err` carries the exit status of an
/// option error, whose message is printed as `shutdown` prints it.
pub fn read_command_line(args: &[OsString], now_minutes: i64) -> Result<Plan, i32> {
    let argv0 = args
        .first()
        .map_or(Cow::Borrowed("shutdown"), |a| a.to_string_lossy());
    let o = parse_options(&argv0, args.get(1..).unwrap_or_default()).map_err(|Exit(code)| code)?;
    let minutes = match time_operand(&o) {
        Some(when) if !o.cancel => minutes_until(&when, now_minutes),
        _ => None,
    };
    Ok(Plan {
        level: o.level,
        minutes,
        message: build_message(message_words(&o)),
    })
}

/// The warning message: words joined by spaces (each followed by one),
/// stopping before the 256-byte buffer would overflow, then `\r\n`. The
/// words' bytes are kept, as sysvinit's `strcat` keeps them.
fn build_message(words: &[OsString]) -> Vec<u8> {
    let mut message = Vec::new();
    for word in words {
        if message.len() + word.len() + 4 > MESSAGE_LEN {
            break;
        }
        message.extend_from_slice(word.as_bytes());
        message.push(b' ');
    }
    if !message.is_empty() {
        message.extend_from_slice(b"\r\n");
    }
    message
}

/// C's `atoi` prefix: optional sign, then digits; 0 if none.
fn leading_int(s: &str, max_chars: usize) -> Option<(i64, usize)> {
    let sign_len = usize::from(s.starts_with(['+', '-']));
    let digits = s
        .bytes()
        .skip(sign_len)
        .take(max_chars.saturating_sub(sign_len))
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 0 {
        return None;
    }
    let text = s.get(..sign_len + digits)?;
    let value = text.trim_start_matches('+').parse::<i64>().ok()?;
    Some((value, sign_len + digits))
}

/// Minutes until shutdown for `time` (`now`, `+M`, `M`, `+H:MM`, `HH:MM`),
/// or `None` for a bad time (usage). `now_minutes` is the local wall-clock
/// time as minutes since midnight.
fn minutes_until(time: &str, now_minutes: i64) -> Option<i64> {
    let time = if time == "now" { "0" } else { time };
    if !time
        .bytes()
        .all(|b| b == b'+' || b == b':' || b.is_ascii_digit())
    {
        return None;
    }
    let relative = time.starts_with('+');
    if !time.contains(':') {
        let minutes = time.strip_prefix('+').unwrap_or(time);
        // atoi, but an empty or sign-only number is refused, and so is one
        // beyond C's int (where atoi's result is undefined), which would
        // overflow the countdown's deadline.
        return leading_int(minutes, usize::MAX)
            .map(|(m, _)| m)
            .filter(|&m| m <= i64::from(i32::MAX));
    }
    // sscanf("%d:%2d")
    let (hours, used) = leading_int(time, usize::MAX)?;
    let rest = time.get(used..)?.strip_prefix(':')?;
    let (minutes, _) = leading_int(rest, 2)?;
    if relative {
        if hours > 99_999 || minutes > 59 {
            return None;
        }
        let total = 60 * hours + minutes;
        return (total >= 0).then_some(total);
    }
    if !(0..=23).contains(&hours) || !(0..=59).contains(&minutes) {
        return None;
    }
    let mut wait = 60 * hours + minutes - now_minutes;
    if wait < 0 {
        wait += 1440;
    }
    Some(wait)
}

/// Whether a warning is due with `minutes` left (sysvinit's `needwarning`).
fn needs_warning(minutes: i64, quiet: u8) -> bool {
    match quiet {
        2 => false,
        1 => minutes == 10 || minutes == 5 || minutes % 60 == 0,
        _ if minutes < 10 => true,
        _ if minutes < 60 => minutes % 15 == 0,
        _ if minutes < 180 => minutes % 30 == 0,
        _ => minutes % 60 == 0,
    }
}

/// "for system halt", "for reboot", … as in the warnings.
fn new_state(level: char) -> String {
    match level {
        '0' => "for system halt".into(),
        '6' => "for reboot".into(),
        '1' => "to maintenance mode".into(),
        other => format!("to runlevel {other}"),
    }
}

/// The text of a warning with `minutes` left (0: the final one).
fn warning_text(message: &[u8], state: &str, minutes: i64) -> Vec<u8> {
    let mut text = message.to_vec();
    let line = if minutes == 0 {
        format!("\rThe system is going down {state} NOW!\r\n")
    } else {
        let plural = if minutes == 1 { "" } else { "s" };
        format!("\rThe system is going DOWN {state} in {minutes} minute{plural}!\r\n")
    };
    text.extend_from_slice(line.as_bytes());
    text
}

/// `init_setenv`: sets (`Some`) or unsets `INIT_HALT` in init, reporting a
/// failure but carrying on, as sysvinit does.
fn set_init_halt(value: Option<&str>) {
    let var = match value {
        Some(v) => format!("INIT_HALT={v}"),
        None => "INIT_HALT".to_string(),
    };
    let Ok(request) = Request::setenv(&[&var]) else {
        return;
    };
    if let Err(e) = initctl::send(Path::new(FIFO_PATH), &[request]) {
        eprintln!("shutdown: {e}");
    }
}

/// `-a`: is root or a user from `/etc/shutdown.allow` logged in on a
/// virtual console? `None` if the file does not exist (no check).
fn authorized_user_present() -> Option<bool> {
    // As sysvinit, no check when the file cannot be read (here also when
    // it is no regular file: sysvinit's fopen would block on a FIFO).
    let allowed_text = untrusted::read(Path::new(ALLOW_FILE), Kind::Settings).ok()?;
    let allowed: Vec<String> = String::from_utf8_lossy(&allowed_text)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(32)
        .map(|l| l.chars().take(127).collect())
        .collect();
    let records = Record::read_all(Path::new(utmp::UTMP_PATH)).unwrap_or_default();
    let present = records.iter().any(|r| {
        if r.ut_type != USER_PROCESS {
            return false;
        }
        let on_virtual_console = fs::metadata(format!("/dev/{}", r.line))
            .map(|m| {
                let dev = m.rdev();
                libc::major(dev) == 4 && libc::minor(dev) <= 63
            })
            .unwrap_or(false);
        on_virtual_console && (r.user == "root" || allowed.contains(&r.user))
    });
    Some(present)
}

/// The PID in `/var/run/shutdown.pid`, 0 if none.
fn pending_pid() -> i32 {
    let Ok(text) = untrusted::read_text(Path::new(PID_FILE), Kind::PidFile) else {
        return 0;
    };
    text.split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0)
}

/// Removes the files a pending shutdown made.
fn remove_pending_files() {
    for path in [NOLOGIN, FASTBOOT, FORCEFSCK, PID_FILE] {
        let _ = fs::remove_file(path);
    }
}

/// The signals sysvinit's shutdown ignores, plus SIGINT which cancels it.
/// They are blocked and read from a signalfd instead of being set to
/// `SIG_IGN`, which would survive the `exec` of init and helpers.
fn watched_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGHUP,
        Signal::SIGTSTP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ] {
        set.add(signal);
    }
    set
}

/// The countdown's view of signals.
struct Signals {
    fd: Option<SignalFd>,
}

impl Signals {
    fn watch() -> Signals {
        let set = watched_signals();
        let fd = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
            .ok()
            .and_then(|()| {
                SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok()
            });
        Signals { fd }
    }

    /// Sleeps `duration` unless SIGINT arrives first (then cancels: exits).
    fn sleep(&self, duration: Duration) {
        let Some(fd) = &self.fd else {
            std::thread::sleep(duration);
            return;
        };
        let deadline = std::time::Instant::now() + duration;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            let millis = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
            let mut fds = [nix::poll::PollFd::new(
                std::os::fd::AsFd::as_fd(fd),
                nix::poll::PollFlags::POLLIN,
            )];
            let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(millis));
            self.check_cancel();
        }
    }

    /// Reads pending signals; SIGINT means "shutdown -c" asked us to stop.
    fn check_cancel(&self) {
        let Some(fd) = &self.fd else { return };
        while let Ok(Some(info)) = fd.read_signal() {
            if info.ssi_signo == Signal::SIGINT as u32 {
                cancelled();
            }
        }
    }

    /// Back to a clean signal state before `exec`.
    fn release(self) {
        self.check_cancel();
        let _ = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&watched_signals()), None);
    }
}

/// sysvinit's `stopit`.
fn cancelled() -> ! {
    remove_pending_files();
    print!("\r\nShutdown cancelled.\r\n");
    let _ = io::stdout().flush();
    std::process::exit(0);
}

pub(crate) fn main(args: Vec<OsString>) -> i32 {
    // Any user may ask; the usage is otherwise sysvinit's answer to a bad command line.
    let rest = args.get(1..).unwrap_or_default();
    if let Some(code) =
        super::help_or_version("shutdown", rest, || format!("{USAGE}\n{EXIT_STATUS}"))
    {
        return code;
    }
    match run(&args) {
        Ok(never) => match never {},
        Err(Exit(code)) => code,
    }
}

fn run(args: &[OsString]) -> Result<std::convert::Infallible, Exit> {
    // Installed setuid root for a group, shutdown acts with its euid.
    let _ = setuid(geteuid());
    if !getuid().is_root() {
        eprintln!("shutdown: you must be root to do that!");
        return Err(usage());
    }
    let argv0 = args
        .first()
        .map_or(Cow::Borrowed("shutdown"), |a| a.to_string_lossy());
    let o = parse_options(&argv0, args.get(1..).unwrap_or_default())?;
    log::debug!(
        "asked for runlevel {} ({}), INIT_HALT {}, time {}{}{}",
        o.level,
        new_state(o.level),
        o.halt_type.unwrap_or("unset"),
        time_operand(&o).as_deref().unwrap_or("not given"),
        if o.warn_only {
            ", warnings only (-k)"
        } else {
            ""
        },
        if o.without_init {
            ", without init (-n)"
        } else {
            ""
        }
    );

    if o.use_allow_file && authorized_user_present() == Some(false) {
        #[allow(
            clippy::disallowed_methods,
            reason = "the console, a device written on purpose (O_NOCTTY)"
        )]
        let console = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(CONSOLE);
        if let Ok(mut console) = console {
            let _ = console.write_all(b"\rshutdown: no authorized users logged in.\r\n");
        }
        return Err(Exit(1));
    }

    let pid = pending_pid();
    let message = build_message(message_words(&o));

    if o.cancel {
        if pid <= 0 {
            eprintln!("shutdown: cannot find pid of running shutdown.");
            return Err(Exit(1));
        }
        set_init_halt(None);
        if kill(Pid::from_raw(pid), Signal::SIGINT).is_err() {
            eprintln!("shutdown: not running.");
            return Err(Exit(1));
        }
        if !message.is_empty() {
            wall(&message);
        }
        return Err(Exit(0));
    }

    let Some(when) = time_operand(&o) else {
        return Err(usage());
    };
    if pid > 0 && kill(Pid::from_raw(pid), None).is_ok() {
        eprint!("\rshutdown: already running.\r\n");
        return Err(Exit(1));
    }
    if o.without_init && o.level != '0' && o.level != '6' {
        eprint!("shutdown: can use \"-n\" for halt or reboot only.\r\n");
        return Err(Exit(1));
    }
    let state = new_state(o.level);
    if let Err(e) = chdir("/") {
        eprintln!("shutdown: chdir(/): {}", e.desc());
        return Err(Exit(1));
    }

    let _ = fs::remove_file(PID_FILE);
    let old_umask = umask(Mode::empty());
    umask(old_umask | Mode::from_bits_truncate(0o022));
    if let Err(e) = fs::write(PID_FILE, format!("{}\n", getpid()))
        && e.raw_os_error() != Some(libc::EROFS)
    {
        eprintln!("shutdown: warning: cannot open {PID_FILE}");
    }
    let signals = Signals::watch();
    for (wanted, path) in [(o.fastboot, FASTBOOT), (o.forcefsck, FORCEFSCK)] {
        if wanted {
            #[allow(
                clippy::disallowed_methods,
                reason = "created in /, only root's to place, and never read"
            )]
            let _ = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .mode(0o644)
                .open(path);
        }
    }

    let now = Local::now();
    let now_minutes = i64::from(now.hour()) * 60 + i64::from(now.minute());
    let Some(mut minutes) = minutes_until(&when, now_minutes) else {
        log::debug!("time {when:?} is not now, +M, M, +H:MM or HH:MM");
        return Err(usage());
    };
    log::debug!(
        "time {when} read at {:02}:{:02}: going down in {minutes} minute{}",
        now.hour(),
        now.minute(),
        if minutes == 1 { "" } else { "s" }
    );

    if minutes > 0 {
        // A time too far away for the clock is as bad as an unparsable one.
        let Some(target) = minutes_from_now(minutes) else {
            return Err(usage());
        };
        if minutes < 15 && !needs_warning(minutes, o.quiet) {
            wall(&warning_text(&message, &state, minutes));
        }
        let mut wrote_nologin = false;
        while minutes > 0 {
            if minutes <= 5 && !wrote_nologin {
                write_nologin(&message, minutes);
                wrote_nologin = true;
            }
            if needs_warning(minutes, o.quiet) {
                wall(&warning_text(&message, &state, minutes));
            }
            signals.sleep(Duration::from_secs(60));
            // Count against the target, so a suspended machine catches up.
            let left = target
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            if left.is_zero() {
                minutes = 0;
            } else if left <= Duration::from_secs(60) {
                signals.sleep(left);
                minutes = 0;
            } else {
                minutes = i64::try_from(left.as_secs() / 60).unwrap_or(i64::MAX);
            }
        }
    }
    go_down(&o, &message, &state, signals)
}

/// The wall-clock time `minutes` from now, if the clock can hold it.
fn minutes_from_now(minutes: i64) -> Option<SystemTime> {
    let seconds = minutes.unsigned_abs().checked_mul(60)?;
    SystemTime::now().checked_add(Duration::from_secs(seconds))
}

/// `/run/nologin`: when the system goes down, then the message.
fn write_nologin(message: &[u8], minutes: i64) {
    let at = minutes_from_now(minutes).unwrap_or_else(SystemTime::now);
    // ctime() ends with a newline, which sysvinit keeps before "\r\n".
    let mut text = format!("\rThe system is going down on {}\n\r\n", ctime(at)).into_bytes();
    text.extend_from_slice(message);
    let _ = fs::write(NOLOGIN, text);
}

/// sysvinit's `issue_shutdown`: last warning, then init (or `-n`).
fn go_down(
    o: &Options,
    message: &[u8],
    state: &str,
    signals: Signals,
) -> Result<std::convert::Infallible, Exit> {
    wall(&warning_text(message, state, 0));
    if o.warn_only {
        signals.sleep(Duration::from_secs(1));
        cancelled();
    }
    let tag = format!("shutdown[{}]", getpid());
    let what = if o.level == '0' {
        "shutting down for system halt"
    } else {
        "shutting down for system reboot"
    };
    syslog(&tag, Facility::User, Severity::Notice, what);

    if o.without_init {
        log::debug!("-n: going down without init");
        signals.release();
        return Err(Exit(crate::teardown::fast_down(
            o.level == '0',
            o.sleep_time.as_deref().and_then(OsStr::to_str),
        )));
    }

    let mut init = Command::new(INIT);
    init.arg0(INIT);
    if let Some(t) = &o.sleep_time {
        init.arg("-t").arg(t);
    }
    init.arg(o.level.to_string());
    let _ = fs::remove_file(PID_FILE);
    let _ = fs::remove_file(NOLOGIN);
    sync();
    set_init_halt(o.halt_type);
    signals.release();
    log::debug!(
        "setting INIT_HALT={} in init, then running {INIT}{} {}",
        o.halt_type.unwrap_or("(unset)"),
        o.sleep_time
            .as_deref()
            .map(|t| format!(" -t {}", t.to_string_lossy()))
            .unwrap_or_default(),
        o.level
    );
    let _ = init.exec();

    eprint!("\rshutdown: cannot execute {INIT}\r\n");
    let _ = fs::remove_file(FASTBOOT);
    let _ = fs::remove_file(FORCEFSCK);
    set_init_halt(None);
    syslog(&tag, Facility::User, Severity::Notice, "shutdown failed");
    Err(Exit(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn options_and_levels() {
        let o = parse_options("shutdown", &args("-r now hello"))
            .ok()
            .unwrap();
        assert_eq!(o.level, '6');
        assert_eq!(o.operands, args("now hello"));
        let o = parse_options("shutdown", &args("-r -h -P -t 5 now"))
            .ok()
            .unwrap();
        assert_eq!((o.level, o.halt_type), ('0', Some("POWEROFF")));
        assert_eq!(o.sleep_time.as_deref(), Some(OsStr::new("5")));
        let o = parse_options("shutdown", &args("-y -i s -g +5 -q"))
            .ok()
            .unwrap();
        assert_eq!((o.level, o.when.as_deref(), o.quiet), ('s', Some("+5"), 1));
        assert_eq!(
            parse_options("shutdown", &args("now")).ok().unwrap().level,
            '1'
        );
    }

    #[test]
    fn option_errors() {
        assert!(parse_options("shutdown", &args("-H -r now")).is_err());
        assert!(parse_options("shutdown", &args("-P now")).is_err());
        assert!(parse_options("shutdown", &args("-i 3 now")).is_err());
        assert!(parse_options("shutdown", &args("-x now")).is_err());
        assert!(parse_options("shutdown", &args("-t")).is_err());
        // A -t init's telinit would refuse, refused before the countdown.
        assert!(parse_options("shutdown", &args("-t 99999999999999999999 now")).is_err());
        assert!(parse_options("shutdown", &args("-t 2147483647 now")).is_ok());
    }

    #[test]
    fn message_words() {
        assert_eq!(build_message(&[]), b"");
        assert_eq!(build_message(&args("test msg")), b"test msg \r\n");
        let long: Vec<OsString> = (0..100).map(|_| "abcdefgh".into()).collect();
        let message = build_message(&long);
        assert!(message.len() <= MESSAGE_LEN);
        assert!(message.ends_with(b" \r\n"));
    }

    #[test]
    fn message_bytes_are_kept() {
        use std::os::unix::ffi::OsStrExt;
        let words = [OsStr::from_bytes(b"caf\xe9").to_os_string(), "ok".into()];
        assert_eq!(build_message(&words), b"caf\xe9 ok \r\n");
        // A time that is not UTF-8 is a bad time, not a panic.
        let line = [
            "shutdown".into(),
            OsStr::from_bytes(b"+\xff").to_os_string(),
        ];
        assert_eq!(read_command_line(&line, 0).ok().unwrap().minutes, None);
    }

    #[test]
    fn time_formats() {
        let noon = 12 * 60;
        assert_eq!(minutes_until("now", noon), Some(0));
        assert_eq!(minutes_until("0", noon), Some(0));
        assert_eq!(minutes_until("+0", noon), Some(0));
        assert_eq!(minutes_until("5", noon), Some(5));
        assert_eq!(minutes_until("+5", noon), Some(5));
        assert_eq!(minutes_until("+1:30", noon), Some(90));
        assert_eq!(minutes_until("+99999:59", noon), Some(99_999 * 60 + 59));
        assert_eq!(minutes_until("13:15", noon), Some(75));
        assert_eq!(minutes_until("11:00", noon), Some(1440 - 60));
        assert_eq!(minutes_until("12:00", noon), Some(0));
        for bad in [
            "",
            "+",
            "soon",
            "-5",
            "5m",
            "24:00",
            "12:60",
            "+100000:00",
            "+1:60",
            ":30",
            "1:",
            "12 :00",
            "2147483648",
            "+9223372036854775807",
        ] {
            assert_eq!(minutes_until(bad, noon), None, "{bad:?}");
        }
        assert_eq!(minutes_until("+2147483647", noon), Some(2147483647));
    }

    /// Found by the shutdown_args fuzz target: a number of minutes too large
    /// for the countdown's deadline (60 × minutes seconds overflowed).
    #[test]
    fn huge_minutes_are_a_bad_time() {
        let args = args("shutdown 333333533333335555");
        let plan = read_command_line(&args, 208).ok().unwrap();
        assert_eq!(plan.minutes, None);
    }

    #[test]
    fn warning_schedule() {
        let marks: Vec<i64> = (1..=200).filter(|&m| needs_warning(m, 0)).collect();
        assert_eq!(
            marks,
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 30, 45, 60, 90, 120, 150, 180]
        );
        let quiet: Vec<i64> = (1..=200).filter(|&m| needs_warning(m, 1)).collect();
        assert_eq!(quiet, vec![5, 10, 60, 120, 180]);
        assert!((0..=200).all(|m| !needs_warning(m, 2)));
    }

    #[test]
    fn warning_texts() {
        assert_eq!(
            warning_text(b"bye \r\n", &new_state('6'), 0),
            b"bye \r\n\rThe system is going down for reboot NOW!\r\n"
        );
        assert_eq!(
            warning_text(b"", &new_state('0'), 1),
            b"\rThe system is going DOWN for system halt in 1 minute!\r\n"
        );
        assert_eq!(
            warning_text(b"", &new_state('1'), 5),
            b"\rThe system is going DOWN to maintenance mode in 5 minutes!\r\n"
        );
        assert_eq!(new_state('s'), "to runlevel s");
    }
}
