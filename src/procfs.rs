//! What `/proc` says of a process: its state, parent, group, session and
//! start time (`/proc/PID/stat`), its program (`/proc/PID/exe`) and command
//! line (`/proc/PID/cmdline`); and when the system booted (`btime` of
//! `/proc/stat`), to turn start times into wall-clock times. Read the
//! bounded way ([`crate::untrusted`]); a process that is gone reads as
//! `None`. A zombie still has its `stat` (state `Z`), but no
//! program any more: init looks at a child it has not yet reaped this way.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use crate::untrusted::{self, Kind};

/// The fields of `/proc/PID/stat` init uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// `R`, `S`, `D`, `Z`, …
    pub(crate) state: u8,
    pub(crate) parent: i32,
    pub(crate) group: i32,
    pub(crate) session: i32,
    /// The kernel's `PF_*` flags.
    pub(crate) flags: u64,
    /// When the process started, in clock ticks after boot: with the PID,
    /// it names one process for good (a PID is reused, this pair is not).
    pub(crate) start_ticks: u64,
}

impl Stat {
    /// A zombie or a process on its way out.
    pub(crate) fn is_dead(&self) -> bool {
        matches!(self.state, b'Z' | b'X' | b'x')
    }

    pub(crate) fn is_kernel_thread(&self) -> bool {
        const PF_KTHREAD: u64 = 0x0020_0000;
        self.flags & PF_KTHREAD != 0
    }
}

/// Parses the text of `/proc/PID/stat`: `pid (comm) state ppid pgrp
/// session …`, where `comm` may itself hold spaces and parentheses, so the
/// fields are counted from its last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let (_, after_name) = text.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is the first after the name, field N the (N-2)th.
    let field = |n: usize| fields.get(n - 3).copied();
    let number = |n: usize| field(n)?.parse::<i64>().ok();
    Some(Stat {
        state: *field(3)?.as_bytes().first()?,
        parent: i32::try_from(number(4)?).ok()?,
        group: i32::try_from(number(5)?).ok()?,
        session: i32::try_from(number(6)?).ok()?,
        flags: field(9)?.parse().ok()?,
        start_ticks: field(22)?.parse().ok()?,
    })
}

/// `/proc/PID/stat`, if there is such a process.
pub(crate) fn stat(pid: i32) -> Option<Stat> {
    let text = untrusted::read_text(&proc_path(pid, "stat"), Kind::Kernel).ok()?;
    parse_stat(&text)
}

/// The program a live process runs (a zombie has none). The kernel adds
/// " (deleted)" to a program replaced since it started (a package
/// upgrade): that suffix is taken off.
pub(crate) fn program(pid: i32) -> Option<PathBuf> {
    let link = std::fs::read_link(proc_path(pid, "exe")).ok()?;
    let bytes = link.into_os_string().into_vec();
    let bytes = bytes
        .strip_suffix(b" (deleted)")
        .map_or(bytes.clone(), <[u8]>::to_vec);
    Some(PathBuf::from(OsString::from_vec(bytes)))
}

/// A process's name (`/proc/PID/comm`, at most 15 bytes).
pub(crate) fn name(pid: i32) -> Option<String> {
    let text = untrusted::read_text(&proc_path(pid, "comm"), Kind::Kernel).ok()?;
    Some(text.trim_end().to_string())
}

/// Where a process sleeps in the kernel (`/proc/PID/wchan`: `do_wait`,
/// `hrtimer_nanosleep`, …); `None` when it runs or is not known.
pub(crate) fn waiting_in(pid: i32) -> Option<String> {
    let text = untrusted::read_text(&proc_path(pid, "wchan"), Kind::Kernel).ok()?;
    let text = text.trim();
    (!text.is_empty() && text != "0").then(|| text.to_string())
}

/// `1234 (sleep)`, or `1234 (sleep, waiting in do_wait)` with `wchan`.
pub(crate) fn describe(pid: i32, wchan: bool) -> String {
    let name = name(pid).unwrap_or_else(|| "?".to_string());
    match wchan.then(|| waiting_in(pid)).flatten() {
        Some(wait) => format!("{pid} ({name}, waiting in {wait})"),
        None => format!("{pid} ({name})"),
    }
}

/// A process's command line (`/proc/PID/cmdline`), its arguments joined
/// by spaces; `None` when it is gone or has none (a zombie, a kernel
/// thread). Only its first 64 KiB are read: a longer one is cut there.
pub(crate) fn command_line(pid: i32) -> Option<String> {
    let bytes = untrusted::read_head(&proc_path(pid, "cmdline"), Kind::Kernel).ok()?;
    parse_command_line(&bytes)
}

/// The arguments of a `cmdline` text (NUL-separated, NUL-terminated) joined
/// by spaces. A process that rewrote its title (`nginx: worker process`)
/// may have left one string with spaces, or trailing NULs: both read
/// naturally.
pub(crate) fn parse_command_line(bytes: &[u8]) -> Option<String> {
    let words: Vec<String> = bytes
        .split(|&byte| byte == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The clock a process's start time (`Stat::start_ticks`, clock ticks
/// after boot) is counted on, to tell it as wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BootClock {
    /// When the system booted, seconds since the epoch (`btime`).
    pub(crate) boot_time: i64,
    /// `sysconf(_SC_CLK_TCK)`.
    pub(crate) ticks_per_second: u64,
}

impl BootClock {
    /// Reads `/proc/stat`'s `btime`.
    pub(crate) fn read() -> Option<BootClock> {
        let text = untrusted::read_text(Path::new("/proc/stat"), Kind::Kernel).ok()?;
        Some(BootClock {
            boot_time: parse_boot_time(&text)?,
            ticks_per_second: clock_ticks_per_second(),
        })
    }

    /// The wall-clock second (since the epoch) of `start_ticks` after boot.
    pub(crate) fn wall_seconds(&self, start_ticks: u64) -> i64 {
        let seconds = start_ticks / self.ticks_per_second.max(1);
        self.boot_time
            .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
    }
}

/// The `btime` line of a `/proc/stat` text.
pub(crate) fn parse_boot_time(text: &str) -> Option<i64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// Clock ticks per second (100 where the system does not say).
pub(crate) fn clock_ticks_per_second() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|ticks| u64::try_from(ticks).ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

fn proc_path(pid: i32, file: &str) -> PathBuf {
    Path::new("/proc").join(pid.to_string()).join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_counted_after_the_last_parenthesis() {
        let text = "42 (a) b (c)) S 1 42 42 0 -1 4194560 2190 1203 5 0 3 12 0 0 20 0 1 0 987 1 2";
        let stat = parse_stat(text).expect("parsed");
        assert_eq!(
            stat,
            Stat {
                state: b'S',
                parent: 1,
                group: 42,
                session: 42,
                flags: 4194560,
                start_ticks: 987,
            }
        );
        assert!(!stat.is_dead() && !stat.is_kernel_thread());
        assert_eq!(parse_stat("1 (init) S 0"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_reads_back() {
        let me = std::process::id() as i32;
        let own = stat(me).expect("own stat");
        assert!(!own.is_dead());
        assert_eq!(
            program(me),
            std::env::current_exe()
                .ok()
                .and_then(|p| p.canonicalize().ok())
        );
        assert_eq!(stat(i32::MAX), None);
        let described = describe(me, false);
        assert!(described.starts_with(&format!("{me} (")), "{described}");
        assert_eq!(describe(i32::MAX, true), format!("{} (?)", i32::MAX));
    }

    #[test]
    fn command_lines_join_their_arguments() {
        assert_eq!(
            parse_command_line(b"/usr/sbin/nginx\0-g\0daemon on;\0"),
            Some("/usr/sbin/nginx -g daemon on;".to_string())
        );
        // A title rewritten in place, the rest of the space left as NULs.
        assert_eq!(
            parse_command_line(b"nginx: worker process\0\0\0\0"),
            Some("nginx: worker process".to_string())
        );
        assert_eq!(parse_command_line(b""), None);
        assert_eq!(parse_command_line(b"\0\0"), None);
        assert_eq!(
            parse_command_line(b"a\xffb\0"),
            Some("a\u{fffd}b".to_string())
        );
        let me = std::process::id() as i32;
        let own = command_line(me).expect("own command line");
        assert!(own.contains("vinit"), "{own}");
        assert_eq!(command_line(i32::MAX), None);
    }

    #[test]
    fn start_ticks_become_wall_clock_seconds() {
        let proc_stat = "cpu  1 2 3\nintr 5\nbtime 1764590000\nprocesses 9\n";
        assert_eq!(parse_boot_time(proc_stat), Some(1_764_590_000));
        assert_eq!(parse_boot_time("cpu 1\n"), None);
        let clock = BootClock {
            boot_time: 1_764_590_000,
            ticks_per_second: 100,
        };
        assert_eq!(clock.wall_seconds(0), 1_764_590_000);
        assert_eq!(clock.wall_seconds(12_345), 1_764_590_123);
        let clock = BootClock::read().expect("this system's /proc/stat");
        let me = stat(std::process::id() as i32).expect("own stat");
        let started = clock.wall_seconds(me.start_ticks);
        let now = chrono::Utc::now().timestamp();
        // This test process started a moment ago (btime is whole seconds).
        assert!(
            (now - 3600..=now + 1).contains(&started),
            "{started} vs {now}"
        );
    }
}
