//! Which scripts `rc LEVEL` runs, with which action (docs/compatibility.md §8.2–8.3).
//!
//! This follows Debian's parallel ("makefile") mode, i.e. startpar's `-M`
//! selection, on going from level P (`N` at boot) to level L:
//! * stop phase (when L is 0 or 6, or when P is not `N`): every `K` link of
//!   `rcL.d` whose script has no `K` link in `rcP.d`, run with `stop`;
//! * then, for L = `S` (boot): every `S` link of `rcS.d`, run with `start`;
//!   for L = 0 or 6: every `S` link of `rcL.d`, run with `stop` (sysv-rc's
//!   sequential rule; insserv creates none there);
//!   otherwise: every `S` link of `rcL.d` whose script has no `S` link in
//!   `rcP.d`, run with `start`.
//!
//! Pure: the caller lists the directories ([`Link::parse`] each name).

use std::collections::{BTreeMap, BTreeSet};

use super::link::{Link, LinkKind};
use crate::runlevel::{self, Runlevel, previous_char};

/// What a script is called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
        }
    }
}

/// One script to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub name: String,
    /// The level whose directory holds the link (`rc<level>.d`).
    pub level: Runlevel,
    pub link: Link,
    pub action: Action,
}

/// Scripts run together; a phase ends before the next begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Phase {
    pub action: Action,
    /// In link (glob) order.
    pub jobs: Vec<Job>,
}

/// The phases for going from `previous` (`None`: `N`, at boot) to
/// `level`; `links` maps a level to its `rc<level>.d` entries in name order
/// (absent = no directory).
pub(crate) fn plan(
    level: Runlevel,
    previous: Option<runlevel::Phase>,
    links: &BTreeMap<Runlevel, Vec<Link>>,
) -> Vec<Phase> {
    let none = Vec::new();
    let here = links.get(&level).unwrap_or(&none);
    // A previous phase that is no level (init's `#`, `*`) has no directory.
    let before = previous
        .and_then(runlevel::Phase::level)
        .and_then(|previous| links.get(&previous))
        .unwrap_or(&none);
    let previous = previous_char(previous);
    let names_in = |list: &Vec<Link>, kind: LinkKind| -> BTreeSet<String> {
        list.iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.name.clone())
            .collect()
    };
    let pick = |kind: LinkKind, exclude: &BTreeSet<String>, action: Action, why: &str| -> Phase {
        let mut seen = BTreeSet::new();
        let jobs: Vec<Job> = here
            .iter()
            .filter(|l| l.kind == kind)
            .filter(|l| {
                let already = exclude.contains(&l.name);
                if already {
                    log::debug!(
                        "{} not run: rc{previous}.d has {} for {} too",
                        l.file_name,
                        a_link(kind),
                        l.name
                    );
                }
                !already
            })
            .filter(|l| {
                let first = seen.insert(l.name.clone());
                if !first {
                    log::debug!("{} not run: {} has an earlier link", l.file_name, l.name);
                }
                first
            })
            .map(|l| Job {
                name: l.name.clone(),
                level,
                link: l.clone(),
                action,
            })
            .collect();
        let links: Vec<&str> = jobs.iter().map(|j| j.link.file_name.as_str()).collect();
        log::debug!(
            "{} phase ({why}): {}",
            action.as_str(),
            if links.is_empty() {
                "nothing".to_string()
            } else {
                links.join(" ")
            }
        );
        Phase { action, jobs }
    };

    let halting = level.is_halt_or_reboot();
    let mut phases = Vec::new();
    if halting || previous != 'N' {
        phases.push(pick(
            LinkKind::Kill,
            &names_in(before, LinkKind::Kill),
            Action::Stop,
            &if previous == 'N' {
                format!("every K link of rc{level}.d")
            } else {
                format!("K links of rc{level}.d without a K link in rc{previous}.d")
            },
        ));
    }
    phases.push(if level == Runlevel::SINGLE {
        pick(
            LinkKind::Start,
            &BTreeSet::new(),
            Action::Start,
            "every S link of rcS.d",
        )
    } else if halting {
        pick(
            LinkKind::Start,
            &BTreeSet::new(),
            Action::Stop,
            &format!("every S link of rc{level}.d, run with stop on halt and reboot"),
        )
    } else {
        pick(
            LinkKind::Start,
            &names_in(before, LinkKind::Start),
            Action::Start,
            &if previous == 'N' {
                format!("every S link of rc{level}.d: no previous level")
            } else {
                format!("S links of rc{level}.d without an S link in rc{previous}.d")
            },
        )
    });
    phases.retain(|p| !p.jobs.is_empty());
    phases
}

/// `an S link` or `a K link`, for the debug log.
fn a_link(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Start => "an S link",
        LinkKind::Kill => "a K link",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runlevel::{at, level};

    /// A previous level as `$PREVLEVEL` gives it: `N` for none.
    fn previous(text: &str) -> Option<runlevel::Phase> {
        (text != "N").then(|| at(text.chars().next().unwrap()))
    }

    fn level_of(text: &str) -> Runlevel {
        level(text.chars().next().unwrap())
    }

    /// A Debian-like layout: `web` runs in 3 only (K link in 0 1 2 6).
    fn layout() -> BTreeMap<Runlevel, Vec<Link>> {
        let dirs: &[(&str, &str)] = &[
            (
                "S",
                "S01hostname.sh S01mountkernfs.sh S02mountall.sh S03networking",
            ),
            (
                "0",
                "K01cron K01halt K01networking K01ssh K01web K02rsyslog K03sendsigs K03umountfs",
            ),
            ("1", "K01cron K01ssh K01web K02rsyslog S01killprocs"),
            ("2", "K01web S01early S02rsyslog S03cron S03ssh S04rc.local"),
            ("3", "S01early S02rsyslog S03cron S03ssh S03web S04rc.local"),
            (
                "6",
                "K01cron K01networking K01reboot K01ssh K01web K02rsyslog K03sendsigs K03umountfs",
            ),
        ];
        dirs.iter()
            .map(|(l, names)| {
                (
                    level_of(l),
                    names.split(' ').filter_map(Link::parse).collect(),
                )
            })
            .collect()
    }

    /// Renders the plan as "action:name…|action:name…".
    fn show(level: &str, before: &str) -> String {
        plan(level_of(level), previous(before), &layout())
            .iter()
            .map(|p| {
                p.jobs
                    .iter()
                    .map(|j| format!("{}:{}", j.action.as_str(), j.name))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn transitions_follow_startpar() {
        let table = [
            (
                "S",
                "N",
                "start:hostname.sh start:mountkernfs.sh start:mountall.sh start:networking",
            ),
            (
                "2",
                "S",
                "stop:web | start:early start:rsyslog start:cron start:ssh start:rc.local",
            ),
            (
                "2",
                "N",
                "start:early start:rsyslog start:cron start:ssh start:rc.local",
            ),
            ("3", "2", "start:web"),
            ("2", "3", "stop:web"),
            (
                "1",
                "2",
                "stop:cron stop:ssh stop:rsyslog | start:killprocs",
            ),
            // web has a K link in rc2.d too, so it is not stopped again.
            (
                "0",
                "2",
                "stop:cron stop:halt stop:networking stop:ssh stop:rsyslog stop:sendsigs stop:umountfs",
            ),
            (
                "6",
                "2",
                "stop:cron stop:networking stop:reboot stop:ssh stop:rsyslog stop:sendsigs stop:umountfs",
            ),
            (
                "0",
                "3",
                "stop:cron stop:halt stop:networking stop:ssh stop:web stop:rsyslog stop:sendsigs stop:umountfs",
            ),
            ("4", "2", ""),
        ];
        for (level, previous, want) in table {
            assert_eq!(show(level, previous), want, "{previous} -> {level}");
        }
    }

    #[test]
    fn a_previous_phase_without_links_is_no_boot() {
        // `telinit 2` during init's sysinit: PREVLEVEL is `#`, which has no
        // directory, so every K link runs, as Debian's rc runs them.
        assert_eq!(
            show("2", "#"),
            "stop:web | start:early start:rsyslog start:cron start:ssh start:rc.local"
        );
    }

    #[test]
    fn s_links_in_halt_levels_get_stop() {
        let mut links = layout();
        links.insert(
            Runlevel::HALT,
            ["K01a", "S90halt"]
                .iter()
                .filter_map(|n| Link::parse(n))
                .collect(),
        );
        let phases = plan(Runlevel::HALT, None, &links);
        assert_eq!(phases.len(), 2);
        assert_eq!(
            (phases[1].action, phases[1].jobs[0].name.as_str()),
            (Action::Stop, "halt")
        );
    }

    #[test]
    fn duplicate_links_run_once() {
        let mut links = BTreeMap::new();
        links.insert(
            level('2'),
            ["S01a", "S05a", "S03b"]
                .iter()
                .filter_map(|n| Link::parse(n))
                .collect(),
        );
        let phases = plan(level('2'), None, &links);
        let names: Vec<&str> = phases[0]
            .jobs
            .iter()
            .map(|j| j.link.file_name.as_str())
            .collect();
        assert_eq!(names, ["S01a", "S03b"]);
    }
}
