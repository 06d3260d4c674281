//! `/etc/inittab` and `/etc/inittab.d/*.tab`: the data model and the parser
//! (nom), with sysvinit 3.06's validation rules (SPEC §1).
//!
//! Owned by the inittab work: the parser, `load`, `check_main` and the
//! process-field planner are still to be written here.

use std::fmt;
use std::path::PathBuf;

/// The fifteen sysvinit actions, in sysvinit's internal numbering (used by the
/// re-exec state protocol, SPEC §1.5 and §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Respawn = 1,
    Wait = 2,
    Once = 3,
    Boot = 4,
    Bootwait = 5,
    Powerfail = 6,
    Powerwait = 7,
    Powerokwait = 8,
    Ctrlaltdel = 9,
    Off = 10,
    Ondemand = 11,
    Initdefault = 12,
    Sysinit = 13,
    Powerfailnow = 14,
    Kbrequest = 15,
}

/// Where a line came from. `line` counts physical lines across
/// `/etc/inittab` and then the `inittab.d` files, as sysvinit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

/// One accepted inittab line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1–4 bytes, unique except `~~`.
    pub id: String,
    /// The runlevels field exactly as written (may be empty).
    pub runlevels: String,
    pub action: Action,
    /// The process field exactly as written, prefixes included.
    pub process: String,
    pub location: Location,
}

/// A rejected line: file, line, 1-based column and sysvinit's reason text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}
