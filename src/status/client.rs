//! The status file's one reader, for `vinit status` and `telinit` (its
//! `--wait` and its level warnings): reads `/run/vinit/status` and decides
//! whether it is the running init's. It is when it was written by PID 1,
//! by the PID 1 running now (its start time matches: a re-exec keeps it)
//! and by the program PID 1 runs now (`telinit u` may have handed PID 1 to
//! sysvinit, which keeps the start time but writes no such file).

use std::path::Path;
use std::time::SystemTime;

use super::{InitStatus, STATUS_PATH, decode};
use crate::procfs;
use crate::untrusted::{self, Kind};

/// Exit status of the commands when PID 1 is not vinit (`vinit status`,
/// `telinit --wait`).
pub(crate) const EXIT_NOT_VINIT: i32 = 3;

/// Why there is no status to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// PID 1 is not vinit (or not this boot's): exit 3.
    NotVinit(String),
    /// The file is there but unreadable or damaged, or missing while PID 1
    /// runs vinit: exit 1.
    Broken(String),
}

impl Unavailable {
    /// Why the status is unknown when [`read`] found no file although PID 1
    /// runs vinit: init removes the file when it cannot write it, so that
    /// nobody takes an outdated one for its state.
    pub(crate) fn missing() -> Unavailable {
        Unavailable::Broken(format!(
            "no {STATUS_PATH}: init could not write its status (is /run full?); it is unknown for now"
        ))
    }

    /// The word for it in a `vinit-error/1` document.
    pub(crate) fn error_word(&self) -> &'static str {
        match self {
            Unavailable::NotVinit(_) => "not-vinit",
            Unavailable::Broken(_) => "unreadable",
        }
    }

    /// The one-line reason.
    pub(crate) fn reason(&self) -> &str {
        match self {
            Unavailable::NotVinit(why) | Unavailable::Broken(why) => why,
        }
    }

    pub(crate) fn exit_status(&self) -> i32 {
        match self {
            Unavailable::NotVinit(_) => EXIT_NOT_VINIT,
            Unavailable::Broken(_) => 1,
        }
    }

    /// Prints `command: reason` on standard error, returns the exit status.
    pub(crate) fn report(&self, command: &str) -> i32 {
        eprintln!("{command}: {}", self.reason());
        self.exit_status()
    }
}

/// The running init's status with the time it was written; `Ok(None)` when
/// PID 1 runs vinit but the file is missing (init could not write it: its
/// state is unknown until it can). A missing file while PID 1 runs another
/// program, and a file some other process wrote, are
/// [`Unavailable::NotVinit`].
pub(crate) fn read() -> Result<Option<(InitStatus<'static>, SystemTime)>, Unavailable> {
    let (bytes, metadata) =
        match untrusted::read_with_metadata(Path::new(STATUS_PATH), Kind::Status) {
            Ok(read) => read,
            Err(refused) if refused.is_missing() => {
                return if super::pid1_runs_vinit() == Some(true) {
                    log::debug!(
                        "no {STATUS_PATH}, and PID 1 runs this program: init could not write it"
                    );
                    Ok(None)
                } else {
                    log::debug!("no {STATUS_PATH}: PID 1 is not vinit (vinit's init writes it)");
                    Err(Unavailable::NotVinit(format!(
                        "init (PID 1, {}) is not vinit: no {STATUS_PATH}",
                        pid1_program()
                    )))
                };
            }
            Err(refused) => {
                return Err(Unavailable::Broken(format!(
                    "cannot read {STATUS_PATH}: {refused}"
                )));
            }
        };
    let written = metadata.modified().unwrap_or(std::time::UNIX_EPOCH);
    let text = String::from_utf8_lossy(&bytes);
    let status = decode(&text).map_err(|e| Unavailable::Broken(format!("{STATUS_PATH}: {e}")))?;
    let pid1_start = procfs::stat(1).map(|stat| stat.start_ticks);
    // start-ticks 0: init could not read /proc yet when it last wrote; then
    // PID 1 must at least be this program.
    let same_start = match (status.start_ticks, pid1_start) {
        (0, _) => super::pid1_runs_vinit().unwrap_or(true),
        (written, Some(running)) => written == running,
        (_, None) => true,
    };
    let pid1_exe = pid1_program_path();
    let same_program =
        status.exe.is_empty() || pid1_exe.as_ref().is_none_or(|exe| *exe == status.exe);
    log::debug!(
        "{STATUS_PATH}: written by PID {}, program {}, start ticks {}; PID 1 now: program {}, start ticks {}",
        status.pid,
        if status.exe.is_empty() {
            "not named"
        } else {
            &status.exe
        },
        status.start_ticks,
        pid1_exe.as_deref().unwrap_or("unknown"),
        pid1_start.map_or("unknown".to_string(), |ticks| ticks.to_string())
    );
    let verdict = if status.pid != 1 {
        Some("the file was not written by PID 1")
    } else if !same_start {
        Some("PID 1 started after the file was written (another boot or another init)")
    } else if !same_program {
        Some("PID 1 runs another program now (replaced by telinit u)")
    } else {
        None
    };
    log::debug!(
        "PID 1 is {}",
        verdict.map_or(
            "vinit: the file was written by the PID 1 running now".to_string(),
            |why| { format!("not vinit: {why}") }
        )
    );
    if verdict.is_some() {
        return Err(Unavailable::NotVinit(format!(
            "init (PID 1, {}) is not vinit: {STATUS_PATH} was written by another process",
            pid1_program()
        )));
    }
    Ok(Some((status, written)))
}

/// What PID 1 runs, for the message when it is not vinit.
fn pid1_program() -> String {
    pid1_program_path()
        .or_else(|| procfs::name(1))
        .unwrap_or_else(|| "unknown".to_string())
}

/// PID 1's program (without the ` (deleted)` of a replaced file).
fn pid1_program_path() -> Option<String> {
    procfs::program(1).map(|path| path.to_string_lossy().into_owned())
}
