//! The console and init's log (docs/compatibility.md §1.10): which device is the console, how
//! it is opened, the termios reset ("console_stty"), and `initlog`, which
//! writes `"\rINIT: " + msg + "\r\n"` to the console and/or the system log.
//!
//! `initlog` is PID 1's backend of the `log` facade: [`install_logger`]
//! makes a [`Logger`] the process's logger, and PID 1's code logs with the
//! `log` macros. The record's *target* says where the message goes, as
//! sysvinit's `L_CO`/`L_SY`/`L_VB` flags do (a [`Dest`]; see [`to`]):
//!
//! ```text
//! log::info!(target: to::CONSOLE, "version {v} booting");      // console
//! log::info!(target: to::SYSLOG, "Re-reading inittab");        // syslog
//! log::info!(target: to::BOTH, "Switching to runlevel: {l}");  // both
//! ```
//!
//! The level does not change the output (sysvinit sends every message with
//! `LOG_INFO`); records at `debug` or `trace`, or with any other target,
//! are dropped, so debug lines in code PID 1 shares with the tools never
//! reach its console.
//!
//! Nothing here panics or fails loudly: a machine without a console (or
//! without a syslog daemon, as during boot) just loses the message.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::sleep;
use std::time::Duration;

use log::{Level, Log, Metadata, Record};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::termios::{
    self, ControlFlags, InputFlags, LocalFlags, OutputFlags, SetArg, SpecialCharacterIndices as Cc,
};

use crate::supervisor::Dest;
use crate::untrusted::{self, Access};

pub(crate) const DEV_CONSOLE: &str = "/dev/console";
/// The virtual-terminal master, sysvinit's second choice (`VT_MASTER`).
pub(crate) const DEV_TTY0: &str = "/dev/tty0";
pub(crate) const DEV_NULL: &str = "/dev/null";

/// sysvinit formats log messages into a 256-byte buffer.
const MAX_MESSAGE: usize = 255;

/// The console device init uses for its children and its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Console {
    device: PathBuf,
}

impl Console {
    /// `console_init`: `$CONSOLE` if set and openable, else `/dev/console`,
    /// else `/dev/tty0`, else `/dev/null`. sysvinit repeats this on every
    /// initctl request, so call it again then.
    pub(crate) fn select() -> Console {
        Console::select_from(std::env::var_os("CONSOLE").as_deref())
    }

    /// [`Console::select`] with the value of `$CONSOLE` given.
    pub(crate) fn select_from(env_console: Option<&OsStr>) -> Console {
        let candidates = env_console
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from(DEV_CONSOLE), PathBuf::from(DEV_TTY0)]);
        for device in candidates {
            // The probe open is read-only and non-blocking, as in sysvinit,
            // so a serial line without carrier cannot hang PID 1.
            #[allow(
                clippy::disallowed_methods,
                reason = "a console device, non-blocking, with O_NOCTTY"
            )]
            let probe = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(&device);
            if probe.is_ok() {
                return Console { device };
            }
        }
        Console {
            device: PathBuf::from(DEV_NULL),
        }
    }

    /// A console on a known device (no probing): a BusyBox entry's tty.
    pub(crate) fn at(device: impl Into<PathBuf>) -> Console {
        Console {
            device: device.into(),
        }
    }

    /// The device path, e.g. for the children's `CONSOLE=` variable.
    pub(crate) fn device(&self) -> &Path {
        &self.device
    }

    /// Opens the console read-write without making it the controlling tty:
    /// non-blocking, retried 5 times 10 ms apart, then switched back to
    /// blocking mode (sysvinit's `console_open(O_RDWR|O_NOCTTY)`).
    pub(crate) fn open(&self) -> io::Result<File> {
        let file = self.open_nonblocking(true, 0)?;
        fcntl(file.as_raw_fd(), FcntlArg::F_SETFL(OFlag::empty()))?;
        Ok(file)
    }

    /// Opens for writing and stays non-blocking, as sysvinit's `print()` does
    /// (a console stopped with ^S must not block PID 1).
    /// `O_APPEND` changes nothing on a terminal and keeps messages when the
    /// console is a plain file (tests, containers).
    fn open_for_message(&self) -> io::Result<File> {
        self.open_nonblocking(false, libc::O_APPEND)
    }

    fn open_nonblocking(&self, read: bool, extra_flags: libc::c_int) -> io::Result<File> {
        let mut last_error = io::Error::from(io::ErrorKind::NotFound);
        for attempt in 0..5 {
            if attempt > 0 {
                sleep(Duration::from_millis(10));
            }
            #[allow(
                clippy::disallowed_methods,
                reason = "a console device, non-blocking, with O_NOCTTY"
            )]
            match OpenOptions::new()
                .read(read)
                .write(true)
                .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | extra_flags)
                .open(&self.device)
            {
                Ok(file) => return Ok(file),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// Writes raw text to the console (opened for this write only). Errors
    /// are dropped: there is nowhere left to report them.
    pub(crate) fn print(&self, text: &str) {
        if let Ok(mut console) = self.open_for_message() {
            let _ = console.write_all(text.as_bytes());
        }
    }

    /// Resets the console's terminal settings ("console_stty",
    /// docs/compatibility.md §1.10). Pending output (boot messages) is
    /// drained, not discarded as sysvinit's `TCIOFLUSH` does (it would lose
    /// the `Switching to runlevel` line logged just before a reset); pending
    /// input is dropped (init.8 DIFFERENCES).
    pub(crate) fn stty(&self) -> io::Result<()> {
        let console = self.open()?;
        let mut tty = termios::tcgetattr(&console)?;
        sane_termios(&mut tty);
        termios::tcsetattr(&console, SetArg::TCSADRAIN, &tty)?;
        termios::tcflush(&console, termios::FlushArg::TCIFLUSH)?;
        Ok(())
    }
}

/// [`sane_termios`] on standard input, as BusyBox's init gives each child's
/// terminal (docs/compatibility.md §11.3); pending output is drained.
pub(crate) fn sane_stdin() -> io::Result<()> {
    let stdin = std::io::stdin();
    let mut tty = termios::tcgetattr(&stdin)?;
    sane_termios(&mut tty);
    termios::tcsetattr(&stdin, SetArg::TCSADRAIN, &tty)?;
    Ok(())
}

/// The settings sysvinit's `console_stty` applies: the line speed and
/// character format are kept, everything else becomes a sane cooked tty.
pub(crate) fn sane_termios(tty: &mut termios::Termios) {
    tty.control_flags &= ControlFlags::CBAUD
        | ControlFlags::CBAUDEX
        | ControlFlags::CSIZE
        | ControlFlags::CSTOPB
        | ControlFlags::PARENB
        | ControlFlags::PARODD;
    tty.control_flags |= ControlFlags::HUPCL | ControlFlags::CLOCAL | ControlFlags::CREAD;

    // glibc <sys/ttydefaults.h> values; _POSIX_VDISABLE is 0 on Linux.
    const fn ctrl(c: u8) -> u8 {
        c & 0x1f
    }
    let disabled = 0;
    let chars = [
        (Cc::VINTR, ctrl(b'c')),
        (Cc::VQUIT, 0o34),
        (Cc::VERASE, 0o177),
        (Cc::VKILL, ctrl(b'u')),
        (Cc::VEOF, ctrl(b'd')),
        (Cc::VTIME, 0),
        (Cc::VMIN, 1),
        (Cc::VSWTC, disabled),
        (Cc::VSTART, ctrl(b'q')),
        (Cc::VSTOP, ctrl(b's')),
        (Cc::VSUSP, ctrl(b'z')),
        (Cc::VEOL, disabled),
        (Cc::VREPRINT, ctrl(b'r')),
        (Cc::VDISCARD, ctrl(b'o')),
        (Cc::VWERASE, ctrl(b'w')),
        (Cc::VLNEXT, ctrl(b'v')),
        (Cc::VEOL2, disabled),
    ];
    for (index, value) in chars {
        if let Some(slot) = tty.control_chars.get_mut(index as usize) {
            *slot = value;
        }
    }

    let utf8 = tty.input_flags & InputFlags::IUTF8;
    tty.input_flags =
        InputFlags::IGNPAR | InputFlags::ICRNL | InputFlags::IXON | InputFlags::IXANY | utf8;
    tty.output_flags = OutputFlags::OPOST | OutputFlags::ONLCR;
    // ECHOE, not the ECHOPRT of some upstream init.c versions: Debian's
    // 3.06 binary leaves echoe -echoprt (tests/console_stty.rs compares).
    tty.local_flags = LocalFlags::ISIG
        | LocalFlags::ICANON
        | LocalFlags::ECHO
        | LocalFlags::ECHOCTL
        | LocalFlags::ECHOE
        | LocalFlags::ECHOKE;
}

/// syslog facilities used by the sysvinit tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Facility {
    /// `LOG_USER` (shutdown).
    User = 1,
    /// `LOG_DAEMON` (init).
    Daemon = 3,
}

/// syslog severities used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Notice = 5,
    Info = 6,
}

/// The `log` targets that carry a [`Dest`] (module doc).
pub(crate) mod to {
    /// [`Dest::Console`](super::Dest::Console): the console only.
    pub(crate) const CONSOLE: &str = "initlog::console";
    /// [`Dest::Syslog`](super::Dest::Syslog): the system log only.
    pub(crate) const SYSLOG: &str = "initlog::syslog";
    /// [`Dest::Both`](super::Dest::Both): the console and the system log.
    pub(crate) const BOTH: &str = "initlog::both";
}

/// The `log` target for messages to `dest`.
pub(crate) fn target(dest: Dest) -> &'static str {
    match dest {
        Dest::Console => to::CONSOLE,
        Dest::Syslog => to::SYSLOG,
        Dest::Both => to::BOTH,
    }
}

/// The destination a `log` target names; `None` for any other target.
fn dest_of(target: &str) -> Option<Dest> {
    match target {
        to::CONSOLE => Some(Dest::Console),
        to::SYSLOG => Some(Dest::Syslog),
        to::BOTH => Some(Dest::Both),
        _ => None,
    }
}

/// init's `initlog`: messages to the console, the system log, or both.
///
/// `log::Log` asks for `Sync`, so the console, which init selects again on
/// every initctl request, sits in a `Mutex`. PID 1 is single-threaded: the
/// lock is never contended, and it is free whenever init forks, so a child
/// that logs before its exec finds it unlocked. It is held only to copy
/// the console's path, never while writing, so a panic while a message is
/// written leaves it usable for the panic hook's own message.
#[derive(Debug)]
pub(crate) struct Logger {
    console: Mutex<Console>,
    syslog_socket: PathBuf,
    kmsg: PathBuf,
}

/// The logger [`install_logger`] installed.
static INSTALLED: OnceLock<Logger> = OnceLock::new();

/// Makes a [`Logger`] writing to `console` the process's `log` backend.
/// Called once, first thing, by PID 1 (`cmd::dispatch` installs the tools'
/// logger only in other processes).
pub(crate) fn install_logger(console: Console) {
    let logger = INSTALLED.get_or_init(|| Logger::new(console));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// Switches the installed logger to another console (after
/// [`Console::select`] ran again).
pub(crate) fn set_logger_console(console: Console) {
    if let Some(logger) = INSTALLED.get() {
        logger.set_console(console);
    }
}

impl Logger {
    fn new(console: Console) -> Logger {
        Logger {
            console: Mutex::new(console),
            syslog_socket: PathBuf::from(SYSLOG_SOCKET),
            kmsg: PathBuf::from(KMSG),
        }
    }

    /// A logger whose system-log side writes to other paths.
    #[cfg(test)]
    pub(crate) fn with_syslog_paths(console: Console, syslog_socket: &Path, kmsg: &Path) -> Logger {
        Logger {
            console: Mutex::new(console),
            syslog_socket: syslog_socket.to_path_buf(),
            kmsg: kmsg.to_path_buf(),
        }
    }

    fn set_console(&self, console: Console) {
        *self.console.lock().unwrap_or_else(PoisonError::into_inner) = console;
    }

    fn console(&self) -> Console {
        self.console
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Writes `msg` (truncated to 255 bytes, as sysvinit's buffer does).
    fn write(&self, dest: Dest, msg: &str) {
        let msg = truncate(msg, MAX_MESSAGE);
        if matches!(dest, Dest::Syslog | Dest::Both) {
            send_syslog(
                &self.syslog_socket,
                &self.kmsg,
                "init",
                Facility::Daemon,
                Severity::Info,
                msg,
            );
        }
        if matches!(dest, Dest::Console | Dest::Both) {
            self.console().print(&format!("\rINIT: {msg}\r\n"));
        }
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Info && dest_of(metadata.target()).is_some()
    }

    fn log(&self, record: &Record<'_>) {
        let Some(dest) = dest_of(record.target()) else {
            return;
        };
        if record.level() > Level::Info {
            return;
        }
        match record.args().as_str() {
            Some(text) => self.write(dest, text),
            None => self.write(dest, &record.args().to_string()),
        }
    }

    fn flush(&self) {}
}

pub(crate) const SYSLOG_SOCKET: &str = "/dev/log";
pub(crate) const KMSG: &str = "/dev/kmsg";

/// Sends one message to the system log: to syslogd's `/dev/log` socket if a
/// daemon listens there, else to the kernel log (`/dev/kmsg`), which keeps
/// messages from the boot phase when no syslogd runs yet. Failures are
/// silent, as with syslog(3).
pub(crate) fn syslog(ident: &str, facility: Facility, severity: Severity, msg: &str) {
    send_syslog(
        Path::new(SYSLOG_SOCKET),
        Path::new(KMSG),
        ident,
        facility,
        severity,
        msg,
    );
}

fn send_syslog(
    socket: &Path,
    kmsg: &Path,
    ident: &str,
    facility: Facility,
    severity: Severity,
    msg: &str,
) {
    let priority = (facility as u8) * 8 + severity as u8;
    // The BSD syslog format glibc's syslog(3) sends (no PID: init does not
    // use LOG_PID).
    let stamp = chrono::Local::now().format("%b %e %H:%M:%S");
    let line = format!("<{priority}>{stamp} {ident}: {msg}");
    if let Ok(sock) = UnixDatagram::unbound()
        && sock.send_to(line.as_bytes(), socket).is_ok()
    {
        return;
    }
    if let Ok(mut kernel_log) = untrusted::open_device(kmsg, Access::Append) {
        let _ = kernel_log.write_all(format!("<{priority}>{ident}: {msg}\n").as_bytes());
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn truncate(s: &str, max: usize) -> &str {
    s.get(..s.floor_char_boundary(max)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// What `log::log!(target: target, level, "{text}")` hands the backend.
    fn emit(logger: &Logger, target: &str, level: Level, text: &str) {
        logger.log(
            &Record::builder()
                .target(target)
                .level(level)
                .args(format_args!("{text}"))
                .build(),
        );
    }

    #[test]
    fn selection_prefers_openable_console_variable() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("ttyFAKE");
        std::fs::write(&dev, b"").unwrap();
        let console = Console::select_from(Some(dev.as_os_str()));
        assert_eq!(console.device(), dev);
    }

    #[test]
    fn selection_falls_back_when_console_variable_is_unusable() {
        let console = Console::select_from(Some(OsStr::new("/nonexistent/tty")));
        assert_ne!(console.device(), Path::new("/nonexistent/tty"));
        let fallbacks = [DEV_CONSOLE, DEV_TTY0, DEV_NULL];
        assert!(fallbacks.iter().any(|f| console.device() == Path::new(f)));
    }

    #[test]
    fn missing_console_does_not_panic() {
        let console = Console::at("/nonexistent/console");
        console.print("lost");
        assert!(console.stty().is_err());
        let dir = tempfile::tempdir().unwrap();
        let logger = Logger::with_syslog_paths(
            console,
            &dir.path().join("no-socket"),
            &dir.path().join("no-kmsg-dir/kmsg"),
        );
        emit(&logger, to::BOTH, Level::Info, "nobody hears this");
    }

    #[test]
    fn log_line_format_on_console_and_kernel_log() {
        let dir = tempfile::tempdir().unwrap();
        let console_file = dir.path().join("console");
        let kmsg = dir.path().join("kmsg");
        std::fs::write(&console_file, b"").unwrap();
        std::fs::write(&kmsg, b"").unwrap();
        let logger = Logger::with_syslog_paths(
            Console::at(&console_file),
            &dir.path().join("no-socket"),
            &kmsg,
        );
        emit(&logger, to::CONSOLE, Level::Info, "version 3.06 booting");
        emit(&logger, to::SYSLOG, Level::Info, "only in the log");
        emit(
            &logger,
            target(Dest::Both),
            Level::Error,
            "Switching to runlevel: 3",
        );
        // Not init's messages: debug lines, other targets.
        emit(&logger, to::BOTH, Level::Debug, "a debug line");
        emit(&logger, "vinit::rc::run", Level::Info, "a tool's line");
        let on_console = std::fs::read_to_string(&console_file).unwrap();
        assert_eq!(
            on_console,
            "\rINIT: version 3.06 booting\r\n\rINIT: Switching to runlevel: 3\r\n"
        );
        let in_kmsg = std::fs::read_to_string(&kmsg).unwrap();
        assert_eq!(
            in_kmsg,
            "<30>init: only in the log\n<30>init: Switching to runlevel: 3\n"
        );
    }

    #[test]
    fn a_console_selected_again_gets_the_next_messages() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first");
        let second = dir.path().join("second");
        std::fs::write(&first, b"").unwrap();
        std::fs::write(&second, b"").unwrap();
        let logger = Logger::with_syslog_paths(
            Console::at(&first),
            &dir.path().join("no-socket"),
            &dir.path().join("no-kmsg-dir/kmsg"),
        );
        emit(&logger, to::CONSOLE, Level::Info, "before");
        logger.set_console(Console::at(&second));
        let long = format!("after {}", "x".repeat(300));
        emit(&logger, to::CONSOLE, Level::Info, &long);
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            "\rINIT: before\r\n"
        );
        assert_eq!(
            std::fs::read_to_string(&second).unwrap(),
            format!("\rINIT: {}\r\n", &long[..MAX_MESSAGE])
        );
    }

    #[test]
    fn syslog_socket_gets_bsd_format() {
        let dir = tempfile::tempdir().unwrap();
        let socket_path = dir.path().join("log");
        let listener = UnixDatagram::bind(&socket_path).unwrap();
        send_syslog(
            &socket_path,
            &dir.path().join("kmsg"),
            "shutdown",
            Facility::User,
            Severity::Notice,
            "shutting down for system halt",
        );
        let mut buf = [0u8; 512];
        let n = listener.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("<13>"), "{got}");
        assert!(
            got.ends_with(" shutdown: shutting down for system halt"),
            "{got}"
        );
        assert!(!dir.path().join("kmsg").exists());
    }

    #[test]
    fn long_messages_are_cut_like_sysvinit() {
        let long = "é".repeat(200);
        let cut = truncate(&long, MAX_MESSAGE);
        assert!(cut.len() <= MAX_MESSAGE && cut.len() >= MAX_MESSAGE - 1);
        assert_eq!(truncate("short", MAX_MESSAGE), "short");
    }

    #[test]
    fn stty_resets_a_real_terminal() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let slave_path =
            std::fs::read_link(format!("/proc/self/fd/{}", pty.slave.as_fd().as_raw_fd())).unwrap();
        let mut tty = termios::tcgetattr(&pty.slave).unwrap();
        tty.local_flags = LocalFlags::empty();
        tty.input_flags = InputFlags::INLCR | InputFlags::IUTF8;
        tty.output_flags = OutputFlags::empty();
        tty.control_chars[Cc::VINTR as usize] = 1;
        termios::tcsetattr(&pty.slave, SetArg::TCSANOW, &tty).unwrap();

        Console::at(&slave_path).stty().unwrap();

        let after = termios::tcgetattr(&pty.slave).unwrap();
        assert_eq!(
            after.input_flags,
            InputFlags::IGNPAR
                | InputFlags::ICRNL
                | InputFlags::IXON
                | InputFlags::IXANY
                | InputFlags::IUTF8
        );
        assert_eq!(after.output_flags, OutputFlags::OPOST | OutputFlags::ONLCR);
        assert!(after.local_flags.contains(
            LocalFlags::ISIG | LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ECHOE
        ));
        assert_eq!(after.control_chars[Cc::VINTR as usize], 3);
        assert_eq!(after.control_chars[Cc::VERASE as usize], 0o177);
        assert_eq!(after.control_chars[Cc::VMIN as usize], 1);
        assert!(
            after
                .control_flags
                .contains(ControlFlags::CREAD | ControlFlags::CLOCAL)
        );
    }
}
