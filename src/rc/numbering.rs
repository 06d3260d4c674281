//! What insserv would make of the runlevel links (docs/compatibility.md §8.4, insserv 1.24 as
//! Debian bookworm ships it), computed in memory so that `update-rc.d` can
//! refuse a bad header before touching the disk.
//!
//! The model, following insserv's main loop:
//! * every script of `/etc/init.d` takes part in the ordering, enabled or not:
//!   an enabled script (one with links) is ordered in the levels its links are
//!   in, the others in their `Default-Start`/`Default-Stop` levels;
//! * a script's start number is its depth in the start graph (1 + the largest
//!   number among the scripts it needs), where an edge counts only if the two
//!   scripts share a level, so rcS scripts do not push runlevel scripts up;
//!   stop numbers likewise from the stop graph;
//! * an interactive script (`X-Interactive: true` or `<interactive>`) gets its
//!   start number to itself: the others at its number move one up;
//! * in each `rcN.d`, a script is linked `K` if N is one of its stop levels
//!   (never in rcS.d), else `S` if a start level; existing links of that kind
//!   get the new number; links are added only for the script being installed.
//!
//! Where this differs from insserv (documented in update-rc.d(8)): scripts
//! without an LSB header keep their links as they are (insserv guesses
//! dependencies from the old numbers); a dependency loop is always refused (`-f`
//! makes insserv write an arbitrary order); the "missed in the runlevels"
//! check and the `.depend.*` files of startpar are not done.
//!
//! Example: `update-rc.d a defaults`, then `update-rc.d b defaults`, where
//! `b` needs `a`:
//! ```
//! use std::collections::BTreeSet;
//! use vinit::rc::graph::Script;
//! use vinit::rc::insserv_conf::Facilities;
//! use vinit::rc::numbering::{Request, resequence};
//! let scripts = vec![
//!     Script::from_text("a", "### BEGIN INIT INFO\n# Provides: a\n# Default-Start: 2\n### END INIT INFO\n").unwrap(),
//!     Script::from_text("b", "### BEGIN INIT INFO\n# Provides: b\n# Required-Start: a\n# Default-Start: 2\n### END INIT INFO\n").unwrap(),
//! ];
//! let f = Facilities::debian_defaults();
//! let a = resequence(&scripts, &f, &BTreeSet::new(), Request::Install("a"), false).unwrap();
//! let b = resequence(&scripts, &f, &a.links, Request::Install("b"), false).unwrap();
//! let links: Vec<String> = b.links.iter().map(|l| format!("rc{}.d/{}", l.level, l.file_name())).collect();
//! assert_eq!(links, ["rc2.d/S01a", "rc2.d/S02b"]);
//! ```

// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{self, Direction, Graph, GraphError, Script};
use super::insserv_conf::Facilities;

/// The link directories, in insserv's order: `rc0.d` … `rc6.d`, `rcS.d`.
pub(crate) const LEVELS: [char; 8] = ['0', '1', '2', '3', '4', '5', '6', 'S'];

/// Link numbers are two digits.
const MAX_NUMBER: u32 = 99;

/// One `/etc/rc<level>.d/<kind><NN><script>` link.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub level: char,
    /// `S` (start) or `K` (kill).
    pub kind: char,
    pub number: u32,
    pub script: String,
}

impl Link {
    /// Parses a directory entry such as `S02rsyslog` ([`super::link`]'s rule).
    pub fn parse(level: char, file_name: &str) -> Option<Link> {
        let link = super::link::Link::parse(file_name)?;
        Some(Link {
            level,
            kind: link.kind.letter(),
            number: u32::from(link.number),
            script: link.name,
        })
    }

    pub fn file_name(&self) -> String {
        format!("{}{:02}{}", self.kind, self.number, self.script)
    }
}

/// What the named script is getting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `insserv NAME`: keep its links (renumbered), or add them from its header.
    Install(&'a str),
    /// `insserv -r NAME`: drop its links.
    Remove(&'a str),
    /// plain `insserv`: renumber only.
    Renumber,
}

/// Why nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Graph(GraphError),
    TooDeep,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Graph(e) => write!(f, "{e}"),
            Refusal::TooDeep => write!(f, "Maximum of {MAX_NUMBER} in ordering reached"),
        }
    }
}

/// The result: the links there should be, and warnings for the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub links: BTreeSet<Link>,
    pub warnings: Vec<String>,
}

/// `levels` as insserv prints them (`0 1 6`, `S`), or `empty`.
pub(crate) fn levels_text(levels: &BTreeSet<char>) -> String {
    let text: Vec<String> = LEVELS
        .iter()
        .filter(|l| levels.contains(l))
        .map(char::to_string)
        .collect();
    if text.is_empty() {
        "empty".to_string()
    } else {
        text.join(" ")
    }
}

fn header_levels(words: &[String]) -> BTreeSet<char> {
    words
        .iter()
        .filter_map(|w| {
            let mut c = w.chars();
            match (c.next(), c.next()) {
                (Some(l), None) if LEVELS.contains(&l.to_ascii_uppercase()) => {
                    Some(l.to_ascii_uppercase())
                }
                _ => None,
            }
        })
        .collect()
}

/// Start and stop levels a script is ordered in.
#[derive(Debug, Clone, Default)]
struct Levels {
    start: BTreeSet<char>,
    stop: BTreeSet<char>,
}

/// Computes the links insserv would leave for `request`, from the current
/// (non-dangling) `links`. `force` (`-f`) skips the required-service checks.
pub fn resequence(
    scripts: &[Script],
    facilities: &Facilities,
    links: &BTreeSet<Link>,
    request: Request,
    force: bool,
) -> Result<Outcome, Refusal> {
    let mut warnings = Vec::new();
    let arg = match request {
        Request::Install(n) | Request::Remove(n) => Some(n),
        Request::Renumber => None,
    };
    let enabled: BTreeSet<&str> = links.iter().map(|l| l.script.as_str()).collect();
    let mut levels: BTreeMap<&str, Levels> = BTreeMap::new();
    for script in scripts {
        let name = script.name.as_str();
        let mut lv = Levels::default();
        if enabled.contains(name) {
            for link in links.iter().filter(|l| l.script == name) {
                match link.kind {
                    'S' => lv.start.insert(link.level),
                    _ => lv.stop.insert(link.level),
                };
            }
            if let (Some(h), true) = (&script.header, arg == Some(name)) {
                for (current, defaults, what) in [
                    (&lv.start, header_levels(&h.default_start), "start"),
                    (&lv.stop, header_levels(&h.default_stop), "stop"),
                ] {
                    if *current != defaults && matches!(request, Request::Install(_)) {
                        warnings.push(format!(
                            "warning: current {what} runlevel(s) ({}) of script `{name}' overwrites defaults ({}).",
                            levels_text(current),
                            levels_text(&defaults)
                        ));
                    }
                }
            }
        } else if let Some(h) = &script.header {
            lv.start = header_levels(&h.default_start);
            lv.stop = header_levels(&h.default_stop);
        }
        log::debug!(
            "{name}: start levels {}, stop levels {} ({})",
            levels_text(&lv.start),
            levels_text(&lv.stop),
            match (enabled.contains(name), script.header.is_some()) {
                (true, _) => "from its links",
                (false, true) => "from Default-Start and Default-Stop",
                (false, false) => "no LSB header: its links stay as they are",
            }
        );
        levels.insert(name, lv);
    }

    if !force {
        check_required(scripts, facilities, &enabled, request)?;
    }

    let sorder = numbers(scripts, facilities, &levels, Direction::Start)?;
    let korder = numbers(scripts, facilities, &levels, Direction::Stop)?;

    let mut result: BTreeSet<Link> = links.clone();
    for script in scripts.iter().filter(|s| s.header.is_some()) {
        let name = script.name.as_str();
        let Some(lv) = levels.get(name) else { continue };
        let this = arg == Some(name);
        let removing = this && matches!(request, Request::Remove(_));
        for level in LEVELS {
            let (kind, number) = if lv.stop.contains(&level) {
                if level == 'S' {
                    continue; // no kill links in rcS.d
                }
                ('K', korder.get(name))
            } else if lv.start.contains(&level) {
                ('S', sorder.get(name))
            } else {
                continue;
            };
            let Some(&number) = number else { continue };
            let wanted = Link {
                level,
                kind,
                number,
                script: name.to_string(),
            };
            let existing: Vec<Link> = links
                .iter()
                .filter(|l| l.level == level && l.kind == kind && l.script == name)
                .cloned()
                .collect();
            for old in &existing {
                result.remove(old);
            }
            if !removing && (!existing.is_empty() || this) {
                log::debug!(
                    "rc{level}.d/{}: {} level {level} of {name}{}",
                    wanted.file_name(),
                    if kind == 'K' { "stop" } else { "start" },
                    if this { "" } else { ", renumbered" }
                );
                result.insert(wanted);
            }
        }
    }
    Ok(Outcome {
        links: result,
        warnings,
    })
}

/// insserv's checks of `Required-Start`: a script being installed needs its
/// required services enabled (or being installed with it); a script being
/// removed must not be required by an enabled one.
fn check_required(
    scripts: &[Script],
    facilities: &Facilities,
    enabled: &BTreeSet<&str>,
    request: Request,
) -> Result<(), Refusal> {
    let only = |name: &str| -> BTreeSet<String> { [name.to_string()].into() };
    match request {
        Request::Install(name) => {
            let available: Vec<Script> = scripts
                .iter()
                .filter(|s| s.name == name || enabled.contains(s.name.as_str()))
                .cloned()
                .collect();
            if available.iter().any(|s| s.name == name) {
                graph::build(&available, facilities, &only(name), Direction::Start)
                    .map_err(Refusal::Graph)?;
            }
        }
        Request::Remove(name) => {
            let remaining: Vec<Script> =
                scripts.iter().filter(|s| s.name != name).cloned().collect();
            for user in scripts
                .iter()
                .filter(|s| s.name != name && enabled.contains(s.name.as_str()))
            {
                let set = only(&user.name);
                let before = graph::build(scripts, facilities, &set, Direction::Start);
                if let (Ok(_), Err(e)) = (
                    before,
                    graph::build(&remaining, facilities, &set, Direction::Start),
                ) {
                    return Err(Refusal::Graph(e));
                }
            }
        }
        Request::Renumber => {}
    }
    Ok(())
}

/// The scripts as the ordering sees them: a required service that is missing
/// orders nothing (that is [`check_required`]'s business), so every dependency
/// becomes a "should" one.
fn ordering_view(scripts: &[Script]) -> Vec<Script> {
    scripts
        .iter()
        .map(|s| {
            let mut s = s.clone();
            if let Some(h) = &mut s.header {
                let start = std::mem::take(&mut h.required_start);
                h.should_start.extend(start);
                let stop = std::mem::take(&mut h.required_stop);
                h.should_stop.extend(stop);
            }
            s
        })
        .collect()
}

/// insserv's start (or stop) numbers of every script ordered in some level.
fn numbers(
    scripts: &[Script],
    facilities: &Facilities,
    levels: &BTreeMap<&str, Levels>,
    direction: Direction,
) -> Result<BTreeMap<String, u32>, Refusal> {
    let of = |name: &str| -> BTreeSet<char> {
        levels
            .get(name)
            .map(|l| match direction {
                Direction::Start => l.start.clone(),
                Direction::Stop => l.stop.clone(),
            })
            .unwrap_or_default()
    };
    let members: BTreeSet<String> = scripts
        .iter()
        .filter(|s| s.header.is_some() && !of(&s.name).is_empty())
        .map(|s| s.name.clone())
        .collect();
    let view = ordering_view(scripts);
    let graph = graph::build(&view, facilities, &members, direction).map_err(Refusal::Graph)?;
    let node_levels: Vec<BTreeSet<char>> = graph.names().iter().map(|n| of(n)).collect();
    let mut min_depth = vec![1u32; graph.names().len()];
    let mut depth = level_depths(&graph, &node_levels, &min_depth);
    if direction == Direction::Start {
        let interactive: Vec<usize> = graph
            .names()
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                scripts
                    .iter()
                    .any(|s| &s.name == *n && s.is_interactive(facilities))
            })
            .map(|(i, _)| i)
            .collect();
        // insserv's active_script(): walk the numbers upwards; whoever shares a
        // number with an interactive script (in a common level) moves one up.
        for number in 1..=MAX_NUMBER {
            for &i in &interactive {
                if depth[i] != number {
                    continue;
                }
                let mut moved = false;
                for other in 0..depth.len() {
                    if other != i
                        && depth[other] == number
                        && !node_levels[i].is_disjoint(&node_levels[other])
                    {
                        min_depth[other] = number + 1;
                        moved = true;
                    }
                }
                if moved {
                    depth = level_depths(&graph, &node_levels, &min_depth);
                }
            }
        }
    }
    if depth.iter().any(|d| *d > MAX_NUMBER) {
        return Err(Refusal::TooDeep);
    }
    if log::log_enabled!(log::Level::Debug) {
        log_numbers(&graph, &node_levels, &depth);
    }
    Ok(graph.names().iter().cloned().zip(depth).collect())
}

/// Says for each script where its number comes from: the scripts before it
/// (sharing a level) in the dependency graph of the LSB headers.
fn log_numbers(graph: &Graph, levels: &[BTreeSet<char>], depth: &[u32]) {
    let what = match graph.direction() {
        Direction::Start => "start",
        Direction::Stop => "stop",
    };
    for (i, name) in graph.names().iter().enumerate() {
        let before: Vec<&str> = graph
            .predecessors(i)
            .iter()
            .filter(|&&p| matches!((levels.get(p), levels.get(i)), (Some(a), Some(b)) if !a.is_disjoint(b)))
            .filter_map(|&p| graph.names().get(p).map(String::as_str))
            .collect();
        let number = depth.get(i).copied().unwrap_or(0);
        if before.is_empty() {
            log::debug!("{name}: {what} number {number:02}, nothing before it in its levels");
        } else {
            log::debug!(
                "{name}: {what} number {number:02}, after {}",
                before.join(" ")
            );
        }
    }
}

/// Longest-path depths where an edge counts only between scripts that share a
/// level; `min_depth` raises a script's number (and so its successors').
fn level_depths(graph: &Graph, levels: &[BTreeSet<char>], min_depth: &[u32]) -> Vec<u32> {
    graph.depths_with(|p, v| !levels[p].is_disjoint(&levels[v]), min_depth)
}

#[cfg(test)]
mod tests {
    use super::graph::tests::{hdr, insserv_example};
    use super::*;

    fn listing(links: &BTreeSet<Link>, level: char) -> String {
        let mut names: Vec<String> = links
            .iter()
            .filter(|l| l.level == level)
            .map(Link::file_name)
            .collect();
        names.sort();
        names.join(" ")
    }

    /// Installs every script one by one, as `update-rc.d NAME defaults` would.
    fn install_all(scripts: &[Script], order: &[&str]) -> BTreeSet<Link> {
        let f = Facilities::debian_defaults();
        let mut links = BTreeSet::new();
        for name in order {
            links = resequence(scripts, &f, &links, Request::Install(name), false)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .links;
        }
        links
    }

    #[test]
    fn link_names_parse() {
        let l = Link::parse('2', "S02rsyslog").unwrap();
        assert_eq!((l.kind, l.number, l.script.as_str()), ('S', 2, "rsyslog"));
        assert_eq!(l.file_name(), "S02rsyslog");
        for bad in ["S2x", "X01a", "S01", "S123a", "README", "K1a"] {
            assert_eq!(Link::parse('2', bad), None, "{bad}");
        }
    }

    #[test]
    fn spec_example_matches_real_insserv() {
        let scripts = insserv_example();
        let links = install_all(
            &scripts,
            &[
                "mountkernfs.sh",
                "hostname.sh",
                "mountall.sh",
                "networking",
                "early",
                "rsyslog",
                "cron",
                "ssh",
                "rc.local",
                "halt",
                "sendsigs",
                "umountfs",
            ],
        );
        assert_eq!(
            listing(&links, 'S'),
            "S01hostname.sh S01mountkernfs.sh S02mountall.sh S03networking"
        );
        assert_eq!(
            listing(&links, '2'),
            "S01early S02rsyslog S03cron S03ssh S04rc.local"
        );
        assert_eq!(
            listing(&links, '0'),
            "K01cron K01halt K01networking K01ssh K02rsyslog K03sendsigs K03umountfs"
        );
        assert_eq!(listing(&links, '1'), "K01cron K01ssh K02rsyslog");
    }

    #[test]
    fn missing_required_service_is_refused_unless_forced() {
        let scripts = insserv_example();
        let f = Facilities::debian_defaults();
        // mountall requires mountkernfs, which is not enabled yet.
        let err = resequence(
            &scripts,
            &f,
            &BTreeSet::new(),
            Request::Install("mountall.sh"),
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("mountkernfs"), "{err}");
        let forced = resequence(
            &scripts,
            &f,
            &BTreeSet::new(),
            Request::Install("mountall.sh"),
            true,
        )
        .unwrap();
        assert_eq!(listing(&forced.links, 'S'), "S02mountall.sh");
    }

    #[test]
    fn loops_are_refused_even_forced() {
        let scripts = vec![
            hdr("a", "Required-Start: b; Default-Start: 2"),
            hdr("b", "Required-Start: a; Default-Start: 2"),
        ];
        let f = Facilities::debian_defaults();
        let err =
            resequence(&scripts, &f, &BTreeSet::new(), Request::Install("a"), true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "There is a loop between service a and b if started"
        );
    }

    #[test]
    fn others_are_renumbered_and_not_added() {
        let scripts = vec![
            hdr("base", "Default-Start: 2 3"),
            hdr("app", "Required-Start: base; Default-Start: 2 3"),
            hdr("idle", "Required-Start: app; Default-Start: 2 3"),
            hdr("early", "X-Start-Before: base; Default-Start: 2 3"),
        ];
        let f = Facilities::debian_defaults();
        // Scripts without links still take part in the ordering (early before
        // base), as with insserv; idle (not enabled) gets no link.
        let links = install_all(&scripts, &["base", "app"]);
        assert_eq!(listing(&links, '2'), "S02base S03app");
        let links = resequence(&scripts, &f, &links, Request::Install("early"), false)
            .unwrap()
            .links;
        assert_eq!(listing(&links, '2'), "S01early S02base S03app");
        assert_eq!(listing(&links, '3'), "S01early S02base S03app");
        let links = resequence(&scripts, &f, &links, Request::Remove("early"), false)
            .unwrap()
            .links;
        assert_eq!(listing(&links, '2'), "S02base S03app");
    }

    #[test]
    fn removing_a_required_service_is_refused() {
        let scripts = vec![
            hdr("base", "Default-Start: 2"),
            hdr("app", "Required-Start: base; Default-Start: 2"),
        ];
        let f = Facilities::debian_defaults();
        let links = install_all(&scripts, &["base", "app"]);
        assert!(resequence(&scripts, &f, &links, Request::Remove("base"), false).is_err());
        let forced = resequence(&scripts, &f, &links, Request::Remove("base"), true).unwrap();
        // base is still installed, so app still comes after it (real insserv: S02app).
        assert_eq!(listing(&forced.links, '2'), "S02app");
    }

    #[test]
    fn disabled_script_keeps_its_kill_links_and_warns() {
        let scripts = vec![hdr("d", "Default-Start: 2 3 4 5; Default-Stop: 0 1 6")];
        let f = Facilities::debian_defaults();
        let mut links = install_all(&scripts, &["d"]);
        // update-rc.d d disable: S -> K in 2 3 4 5.
        links = links
            .into_iter()
            .map(|mut l| {
                l.kind = 'K';
                l
            })
            .collect();
        let out = resequence(&scripts, &f, &links, Request::Install("d"), false).unwrap();
        assert_eq!(listing(&out.links, '2'), "K01d");
        assert_eq!(
            out.warnings,
            [
                "warning: current start runlevel(s) (empty) of script `d' overwrites defaults (2 3 4 5).",
                "warning: current stop runlevel(s) (0 1 2 3 4 5 6) of script `d' overwrites defaults (0 1 6)."
            ]
        );
    }

    #[test]
    fn interactive_scripts_get_a_number_of_their_own() {
        let scripts = vec![
            hdr("ask", "X-Interactive: true; Default-Start: S"),
            hdr("other", "Default-Start: S"),
            hdr("after", "Required-Start: other; Default-Start: S"),
        ];
        let links = install_all(&scripts, &["ask", "other", "after"]);
        assert_eq!(listing(&links, 'S'), "S01ask S02other S03after");
    }

    #[test]
    fn levels_text_is_insservs() {
        let l: BTreeSet<char> = ['S', '6', '0', '1'].into();
        assert_eq!(levels_text(&l), "0 1 6 S");
        assert_eq!(levels_text(&BTreeSet::new()), "empty");
    }
}
