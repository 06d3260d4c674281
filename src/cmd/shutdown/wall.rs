//! sysvinit's `wall()` for `shutdown`'s warnings: a header naming the
//! sender, then the message, written to the terminal of every logged-in user.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Local, TimeZone};
use nix::unistd::{User, gethostname, getuid, isatty};

use crate::utmp::{self, Record, USER_PROCESS};

/// `ctime(3)` without the newline.
pub(super) fn ctime(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match Local.timestamp_opt(i64::try_from(secs).unwrap_or(0), 0) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%a %b %e %H:%M:%S %Y").to_string()
        }
        chrono::LocalResult::None => String::from(" "),
    }
}

/// Who is sending: the user name of the real uid, `root`, or `uid N`.
fn sender_name() -> String {
    let uid = getuid();
    match User::from_uid(uid) {
        Ok(Some(user)) => user.name.chars().take(31).collect(),
        _ if uid.is_root() => "root".into(),
        _ => format!("uid {uid}"),
    }
}

/// `(tty) ` for the terminal on stdin, or nothing.
fn sender_tty() -> String {
    match nix::unistd::ttyname(io::stdin()) {
        Ok(path) => {
            let path = path.to_string_lossy().into_owned();
            let tty = path.strip_prefix("/dev/").unwrap_or(&path);
            let tty = tty.strip_prefix('/').unwrap_or(tty);
            format!("({}) ", tty.chars().take(32).collect::<String>())
        }
        Err(_) => String::new(),
    }
}

/// Control characters other than tab, CR and LF shown as `^X`, as wall does.
fn escape_for_terminal(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for &b in text {
        if b"\t\r\n".contains(&b) || (32..=127).contains(&b) || b >= 160 {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'^', (b & 0x1f) + b'A' - 1]);
        }
    }
    out
}

/// The terminal device of a utmp line, unless it tries to leave `/dev`.
fn terminal_path(line: &str) -> Option<String> {
    let path = if line.starts_with("/dev/") {
        line.to_string()
    } else {
        format!("/dev/{line}")
    };
    (!path.contains("/../")).then_some(path)
}

/// Writes `text` to the terminal of every logged-in user (USER_PROCESS
/// records of utmp), as sysvinit's `wall()`. Opens are non-blocking, so a
/// stuck terminal cannot stop the shutdown.
pub(super) fn wall(text: &[u8]) {
    let hostname = gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "[unknown]".into());
    let header = format!(
        "\r\nBroadcast message from {}@{} {}({}):\r\n\r\n",
        sender_name(),
        hostname,
        sender_tty(),
        ctime(SystemTime::now())
    );
    let body = escape_for_terminal(text);
    let records = Record::read_all(Path::new(utmp::UTMP_PATH)).unwrap_or_default();
    for record in records
        .iter()
        .filter(|r| r.ut_type == USER_PROCESS && !r.user.is_empty())
    {
        let Some(path) = terminal_path(&record.line) else {
            continue;
        };
        let is_char_device = fs::metadata(&path)
            .map(|m| m.file_type().is_char_device())
            .unwrap_or(false);
        if !is_char_device {
            continue;
        }
        #[allow(
            clippy::disallowed_methods,
            reason = "a terminal written on purpose: non-blocking, O_NOCTTY, checked to be one"
        )]
        let Ok(mut tty) = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&path)
        else {
            continue;
        };
        if isatty(std::os::fd::AsRawFd::as_raw_fd(&tty)).unwrap_or(false) {
            let _ = tty.write_all(header.as_bytes());
            let _ = tty.write_all(&body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn terminal_text_and_paths() {
        assert_eq!(
            escape_for_terminal("a\tb\r\n\x07é".as_bytes()),
            b"a\tb\r\n^G\xc3\xa9"
        );
        // Bytes that are not UTF-8 go out as they are, as sysvinit's wall
        // sends them.
        assert_eq!(escape_for_terminal(b"a\xffb"), b"a\xffb");
        assert_eq!(terminal_path("pts/3").as_deref(), Some("/dev/pts/3"));
        assert_eq!(terminal_path("/dev/tty1").as_deref(), Some("/dev/tty1"));
        assert_eq!(terminal_path("../../etc/passwd/../x"), None);
        assert_eq!(terminal_path("pts/../../etc"), None);
    }

    #[test]
    fn ctime_shape() {
        let text = ctime(UNIX_EPOCH + Duration::from_secs(86_400 * 3));
        // "Sun Jan  4 00:00:00 1970" in UTC; the zone may shift the day.
        assert_eq!(text.len(), 24, "{text}");
        assert!(text.ends_with("1970"), "{text}");
    }
}
