//! What `vinit supervise --list` and `vinit status` show of each supervised
//! service, from what the commands can read: the settings files, init's
//! state file and the daemons found running. Pure: [`files::read_overview`]
//! does the reading.
//!
//! [`files::read_overview`]: super::files::read_overview

use std::collections::BTreeMap;

use super::files::ConfigFile;
use super::{Failure, Phase, Tracker};

/// Where a supervised service stands, as shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceState {
    /// init's state file does not name it: init has not read its file yet.
    Unknown,
    /// A shutdown or reboot is under way: nothing is restarted any more.
    ShuttingDown,
    /// Watched: a failure will restart it.
    Supervised,
    /// Stopped on purpose; stays down until started again.
    Stopped,
    /// Failed; its restart is due or running.
    Restarting,
    /// Past its restart limit; left down until re-armed.
    GivenUp,
}

impl ServiceState {
    /// For people (`vinit supervise --list`, `vinit status`).
    pub(crate) fn describe(self) -> &'static str {
        match self {
            ServiceState::Unknown => "not yet known to init",
            ServiceState::ShuttingDown => "shutting down",
            ServiceState::Supervised => "supervised",
            ServiceState::Stopped => "stopped",
            ServiceState::Restarting => "restarting",
            ServiceState::GivenUp => "given up",
        }
    }

    /// For `vinit status --json`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ServiceState::Unknown => "unknown",
            ServiceState::ShuttingDown => "shutting-down",
            ServiceState::Supervised => "supervised",
            ServiceState::Stopped => "stopped",
            ServiceState::Restarting => "restarting",
            ServiceState::GivenUp => "given-up",
        }
    }
}

/// One supervised service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub name: String,
    /// The live daemon its pid file names.
    pub pid: Option<i32>,
    pub state: ServiceState,
    /// Restarts since init began supervising it.
    pub restarts: u32,
    pub last_failure: Option<Failure>,
    /// Its settings file has errors: init keeps the last good settings
    /// (or the defaults).
    pub settings_rejected: bool,
}

/// One row per settings file, by name. `saved` is init's state file as
/// read; `running` the live daemon of each service whose pid file names one.
pub fn overview(
    files: &BTreeMap<String, ConfigFile>,
    mut saved: Tracker,
    running: &BTreeMap<String, i32>,
) -> Vec<ServiceView> {
    files
        .iter()
        .map(|(name, file)| {
            let pid = running.get(name).copied();
            // A daemon started again since it stopped is supervised again,
            // whether or not init has looked at its pid file yet.
            if let Some(pid) = pid {
                saved.seen(name, pid);
            }
            let service = saved.services.get(name);
            let state = match service.map(|service| &service.phase) {
                None => ServiceState::Unknown,
                Some(_) if saved.shutting_down => ServiceState::ShuttingDown,
                Some(Phase::Watching) => ServiceState::Supervised,
                Some(Phase::Stopped { .. }) => ServiceState::Stopped,
                Some(Phase::Waiting { .. } | Phase::Restarting { .. }) => ServiceState::Restarting,
                Some(Phase::GivenUp { .. }) => ServiceState::GivenUp,
            };
            ServiceView {
                name: name.clone(),
                pid,
                state,
                restarts: service.map_or(0, |service| service.restarts),
                last_failure: service.and_then(|service| service.last_failure.clone()),
                settings_rejected: file.parsed.is_err(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::state;
    use std::path::PathBuf;

    fn file(name: &str, text: &str) -> (String, ConfigFile) {
        (
            name.to_string(),
            ConfigFile::parse(
                PathBuf::from(format!("/etc/vinit/supervise.d/{name}")),
                None,
                text,
            ),
        )
    }

    const STATE: &str = "\
service\tweb\tphase=watching\tpid=40\trestarts=2\trecent=\tfailed=1764590000\tcause=killed by SIGSEGV
service\tdb\tphase=stopped:50\tpid=50\trestarts=0\trecent=
service\tcron\tphase=given-up:60\tpid=60\trestarts=10\trecent=\tfailed=1764590100\tcause=exited with status 1
service\tmail\tphase=waiting:9000\tpid=70\trestarts=1\trecent=
service\tgone\tphase=watching\tpid=-\trestarts=0\trecent=
";

    #[test]
    fn one_row_per_settings_file_with_init_s_state() {
        let files = BTreeMap::from([
            file("web", ""),
            file("db", ""),
            file("cron", "delay=soon\n"),
            file("mail", ""),
            file("new", ""),
        ]);
        let (saved, problems) = state::parse(STATE);
        assert!(problems.is_empty(), "{problems:?}");
        // db was started again by hand (a new pid): supervised again.
        let running = BTreeMap::from([("web".to_string(), 41), ("db".to_string(), 51)]);
        let rows = overview(&files, saved.clone(), &running);
        let summary: Vec<(&str, Option<i32>, ServiceState, u32, bool)> = rows
            .iter()
            .map(|row| {
                (
                    row.name.as_str(),
                    row.pid,
                    row.state,
                    row.restarts,
                    row.settings_rejected,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("cron", None, ServiceState::GivenUp, 10, true),
                ("db", Some(51), ServiceState::Supervised, 0, false),
                ("mail", None, ServiceState::Restarting, 1, false),
                ("new", None, ServiceState::Unknown, 0, false),
                ("web", Some(41), ServiceState::Supervised, 2, false),
            ]
        );
        assert_eq!(
            rows[4].last_failure,
            Some(Failure {
                at: 1_764_590_000,
                cause: "killed by SIGSEGV".to_string()
            })
        );
        // The daemon that was stopped keeps its state while it stays down.
        let running = BTreeMap::from([("db".to_string(), 50)]);
        assert_eq!(
            overview(&files, saved.clone(), &running)[1].state,
            ServiceState::Stopped
        );
        let mut stopping = saved;
        stopping.shutting_down = true;
        assert!(
            overview(&files, stopping, &BTreeMap::new())
                .iter()
                .filter(|row| row.name != "new")
                .all(|row| row.state == ServiceState::ShuttingDown)
        );
        assert!(overview(&BTreeMap::new(), Tracker::default(), &running).is_empty());
    }
}
