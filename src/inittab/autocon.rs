//! `init.autocon=1` on the kernel command line: sysvinit 3.06's
//! `check_kernel_console()`, run at the end of every inittab read (docs/compatibility.md §6).

use super::parse::c_string;
use super::{Action, Entry, Grammar, Location};
use std::path::Path;

const AUTOCON: &[u8] = b"init.autocon=1";
const CONSOLE: &[u8] = b"console=";
/// sysvinit reads the command line with `fgets(buf, 4096)`.
const CMDLINE_BUFFER: usize = 4096;
/// sysvinit copies the name into `char dev[32]` and the id into `char
/// id[8]` without room for the terminator when full; we keep one byte for
/// it instead of reading past the arrays.
const DEVICE_MAX: usize = 31;
const ID_MAX: usize = 7;

/// Bytes sysvinit accepts in a console name: `-./0-9A-Za-z_`.
fn is_device_byte(byte: u8) -> bool {
    matches!(byte, b'-'..=b'9' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// The respawning agetty entries sysvinit adds for each `console=NAME` of
/// `cmdline` when it contains `init.autocon=1`, skipping ids already in
/// `existing` (or added before): id = NAME without a leading `tty`,
/// runlevels `2345`, process `/sbin/agetty -L -s 115200,38400,9600 NAME
/// vt102`. Each comes with sysvinit's log line `added agetty on NAME with id
/// ID`. Note the id can be longer than 4 bytes (e.g. `hvc_c0`); utmp keeps
/// the first 4, as sysvinit does.
pub fn kernel_console_entries(
    cmdline: &[u8],
    cmdline_path: &Path,
    existing: &[Entry],
) -> Vec<(Entry, String)> {
    let first_line = cmdline.get(..CMDLINE_BUFFER - 1).unwrap_or(cmdline);
    let first_line = match first_line.iter().position(|&b| b == b'\n') {
        Some(newline) => first_line.get(..=newline).unwrap_or(first_line),
        None => first_line,
    };
    let line = c_string(first_line);
    if !contains(line, AUTOCON) {
        return Vec::new();
    }
    let mut added: Vec<(Entry, String)> = Vec::new();
    let mut rest = line;
    while let Some(start) = find(rest, CONSOLE) {
        rest = rest.get(start + CONSOLE.len()..).unwrap_or_default();
        let length = rest.iter().take_while(|&&b| is_device_byte(b)).count();
        let Some(name) = rest.get(..length.min(DEVICE_MAX)).filter(|n| !n.is_empty()) else {
            continue;
        };
        let id_bytes = name.strip_prefix(b"tty").unwrap_or(name);
        let id_bytes = id_bytes.get(..ID_MAX).unwrap_or(id_bytes);
        // Only the bytes above are possible, all ASCII.
        let device = String::from_utf8_lossy(name).into_owned();
        let id = String::from_utf8_lossy(id_bytes).into_owned();
        let taken = existing
            .iter()
            .chain(added.iter().map(|(entry, _)| entry))
            .any(|entry| entry.id == id);
        if taken {
            continue;
        }
        let message = format!("added agetty on {device} with id {id}");
        let entry = Entry {
            id,
            runlevels: "2345".to_string(),
            action: Action::Respawn,
            process: format!("/sbin/agetty -L -s 115200,38400,9600 {device} vt102"),
            location: Location {
                file: cmdline_path.to_path_buf(),
                line: 1,
                sysv_line: 0,
            },
            grammar: Grammar::Sysvinit,
        };
        added.push((entry, message));
    }
    added
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(cmdline: &str, existing: &[Entry]) -> Vec<(String, String, String)> {
        kernel_console_entries(cmdline.as_bytes(), Path::new("/proc/cmdline"), existing)
            .into_iter()
            .map(|(entry, message)| (entry.id, entry.process, message))
            .collect()
    }

    #[test]
    fn nothing_without_init_autocon() {
        assert!(added("console=ttyS0,115200 quiet\n", &[]).is_empty());
        assert!(added("init.autocon=0 console=ttyS0\n", &[]).is_empty());
    }

    #[test]
    fn one_agetty_per_console() {
        let found = added(
            "BOOT_IMAGE=/vmlinuz console=tty0 console=ttyS0,115200n8 init.autocon=1 console=hvc0\n",
            &[],
        );
        let ids: Vec<&str> = found.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(ids, ["0", "S0", "hvc0"]);
        assert_eq!(
            found[1].1,
            "/sbin/agetty -L -s 115200,38400,9600 ttyS0 vt102"
        );
        assert_eq!(found[1].2, "added agetty on ttyS0 with id S0");
        let (entry, _) = &kernel_console_entries(
            b"init.autocon=1 console=ttyS1",
            Path::new("/proc/cmdline"),
            &[],
        )[0];
        assert_eq!(
            (entry.runlevels.as_str(), entry.action),
            ("2345", Action::Respawn)
        );
    }

    #[test]
    fn existing_and_repeated_ids_are_skipped() {
        let existing =
            crate::inittab::parse(b"S0:2345:respawn:/sbin/getty ttyS0\n", Path::new("t"), 1);
        let found = added(
            "init.autocon=1 console=ttyS0 console=ttyS1 console=ttyS1",
            &existing.entries,
        );
        let ids: Vec<&str> = found.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(ids, ["S1"]);
    }

    #[test]
    fn names_stop_at_other_bytes_and_are_bounded() {
        assert!(added("init.autocon=1 console=,x console=", &[]).is_empty());
        let found = added(&format!("init.autocon=1 console={}", "a".repeat(50)), &[]);
        assert_eq!(found[0].0, "aaaaaaa");
        assert_eq!(
            found[0].1,
            format!(
                "/sbin/agetty -L -s 115200,38400,9600 {} vt102",
                "a".repeat(31)
            )
        );
        // Only the first line counts.
        assert!(added("quiet\ninit.autocon=1 console=ttyS0", &[]).is_empty());
    }
}
