//! What a SIGPWR means (docs/compatibility.md §4.6): a UPS daemon writes one letter to
//! `/var/run/powerstatus` and signals init, which reads and deletes it.

use std::io::Read;
use std::path::Path;

use crate::supervisor::PowerEvent;
use crate::untrusted::{self, Kind};

pub(crate) const POWERSTATUS: &str = "/var/run/powerstatus";
/// The pre-2010 path, still honoured with a warning.
pub(crate) const POWERSTATUS_OLD: &str = "/etc/powerstatus";

impl PowerEvent {
    fn from_status(byte: Option<u8>) -> PowerEvent {
        match byte {
            Some(b'O') => PowerEvent::Ok,
            Some(b'L') => PowerEvent::FailNow,
            _ => PowerEvent::Fail,
        }
    }
}

/// The event and, if the obsolete file was used, the warning to log (CS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PowerStatus {
    pub event: PowerEvent,
    pub warning: Option<String>,
}

/// Reads and removes the power status file below `/`.
pub(crate) fn read_powerstatus() -> PowerStatus {
    read_powerstatus_at(Path::new(POWERSTATUS), Path::new(POWERSTATUS_OLD))
}

/// [`read_powerstatus`] with the two paths given.
pub(crate) fn read_powerstatus_at(current: &Path, old: &Path) -> PowerStatus {
    if let Some(byte) = take_first_byte(current) {
        return PowerStatus {
            event: PowerEvent::from_status(byte),
            warning: None,
        };
    }
    if let Some(byte) = take_first_byte(old) {
        return PowerStatus {
            event: PowerEvent::from_status(byte),
            warning: Some(format!(
                "warning: found obsolete path {}, use {} instead",
                old.display(),
                current.display()
            )),
        };
    }
    PowerStatus {
        event: PowerEvent::Fail,
        warning: None,
    }
}

/// `None` if the file cannot be opened; else its first byte (`None` inside
/// for an empty file), after which the file is removed.
fn take_first_byte(path: &Path) -> Option<Option<u8>> {
    let opened = untrusted::open(path, Kind::PidFile).ok()?;
    let mut byte = [0u8; 1];
    let first = match (&opened.file).read(&mut byte) {
        Ok(1) => Some(byte[0]),
        _ => None,
    };
    let _ = std::fs::remove_file(path);
    Some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_with(current: Option<&[u8]>, old: Option<&[u8]>) -> (PowerStatus, bool, bool) {
        let dir = tempfile::tempdir().unwrap();
        let (cur_path, old_path) = (dir.path().join("powerstatus"), dir.path().join("old"));
        if let Some(c) = current {
            std::fs::write(&cur_path, c).unwrap();
        }
        if let Some(o) = old {
            std::fs::write(&old_path, o).unwrap();
        }
        let status = read_powerstatus_at(&cur_path, &old_path);
        (status, cur_path.exists(), old_path.exists())
    }

    #[test]
    fn letters_map_to_events_and_the_file_is_removed() {
        for (content, event) in [
            (&b"O"[..], PowerEvent::Ok),
            (b"L\n", PowerEvent::FailNow),
            (b"F", PowerEvent::Fail),
            (b"x", PowerEvent::Fail),
            (b"", PowerEvent::Fail),
            (b"OK", PowerEvent::Ok),
        ] {
            let (status, cur_left, _) = read_with(Some(content), None);
            assert_eq!(status.event, event, "{content:?}");
            assert_eq!(status.warning, None);
            assert!(!cur_left);
        }
    }

    #[test]
    fn no_file_means_power_failure() {
        let (status, _, _) = read_with(None, None);
        assert_eq!(
            status,
            PowerStatus {
                event: PowerEvent::Fail,
                warning: None
            }
        );
    }

    #[test]
    fn obsolete_path_is_used_with_a_warning() {
        let (status, _, old_left) = read_with(None, Some(b"O"));
        assert_eq!(status.event, PowerEvent::Ok);
        let warning = status.warning.unwrap();
        assert!(
            warning.starts_with("warning: found obsolete path "),
            "{warning}"
        );
        assert!(warning.ends_with("powerstatus instead"), "{warning}");
        assert!(!old_left);
        // The current path wins and the old file stays.
        let (status, _, old_left) = read_with(Some(b"L"), Some(b"O"));
        assert_eq!(status.event, PowerEvent::FailNow);
        assert!(old_left);
    }
}
