//! Start and stop dependency graphs of init scripts, and insserv's numbering
//! (docs/compatibility.md §8.4).
//!
//! An edge `a → b` means "a must finish before b begins".
//! * Start: `Required-Start`/`Should-Start: d` on `s` gives `d → s`;
//!   `X-Start-Before: t` on `s` gives `s → t`.
//! * Stop: `Required-Stop`/`Should-Stop: d` on `s` gives `s → d` (d must still
//!   run while s stops); `X-Stop-After: t` on `s` gives `t → s`.
//! * `$all` makes the script come after every script of the set that does
//!   not itself use `$all` (in the stop graph: before every such script,
//!   since `Required-Stop` means "stop before"). `$null` is an explicit nothing.
//! * A `Should-*` or `X-*` name that no script provides is ignored; a
//!   `Required-*` one is an error, as is a non-optional member of a required
//!   facility. Dependencies outside the set being ordered add no edge (they
//!   belong to another phase, e.g. the boot scripts for a runlevel).

// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use super::insserv_conf::Facilities;
use super::lsb::{self, LsbError, LsbHeader};

/// An init script: its file name in `/etc/init.d` and its header, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub name: String,
    pub header: Option<LsbHeader>,
}

impl Script {
    /// Reads `/etc/init.d/<name>`'s header.
    pub fn read(path: &Path) -> Result<Script, LsbError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Script {
            name,
            header: lsb::read(path)?,
        })
    }

    /// Parses a script's text (for tests and callers that already read it).
    pub fn from_text(name: &str, text: &str) -> Result<Script, LsbError> {
        Ok(Script {
            name: name.to_string(),
            header: lsb::parse(text, &Path::new("/etc/init.d").join(name))?,
        })
    }

    /// The `Provides` names; the file name when the header has none.
    pub(crate) fn provides(&self) -> Vec<&str> {
        match &self.header {
            Some(h) if !h.provides.is_empty() => h.provides.iter().map(String::as_str).collect(),
            _ => vec![self.name.as_str()],
        }
    }

    /// `X-Interactive: true`, or listed in insserv.conf's `<interactive>`.
    pub(crate) fn is_interactive(&self, facilities: &Facilities) -> bool {
        self.header.as_ref().is_some_and(|h| h.interactive)
            || facilities.interactive.contains(&self.name)
            || self
                .provides()
                .iter()
                .any(|p| facilities.interactive.contains(*p))
    }
}

/// Which way the graph points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Start,
    Stop,
}

/// Why a set of scripts cannot be ordered. The messages follow insserv's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// `script` requires `facility`, which no script provides (`member` is
    /// the missing non-optional member when `facility` is a `$facility`).
    MissingRequired {
        script: String,
        facility: String,
        member: Option<String>,
        direction: Direction,
    },
    /// The scripts of a dependency cycle, in edge order (first = last's successor).
    Loop {
        cycle: Vec<String>,
        direction: Direction,
    },
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::MissingRequired {
                script,
                facility,
                member,
                ..
            } => {
                // insserv's words (for either direction).
                write!(
                    f,
                    "service {facility} has to be enabled to use service {script}"
                )?;
                if let Some(m) = member {
                    write!(f, " (its member {m} is not installed)")?;
                }
                Ok(())
            }
            GraphError::Loop { cycle, direction } => {
                let first = cycle.first().map(String::as_str).unwrap_or("?");
                let last = cycle.last().map(String::as_str).unwrap_or("?");
                write!(
                    f,
                    "There is a loop between service {first} and {last} if {}ed",
                    match direction {
                        Direction::Start => "start",
                        Direction::Stop => "stopp",
                    }
                )?;
                if cycle.len() > 2 {
                    write!(f, " ({} -> {first})", cycle.join(" -> "))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for GraphError {}

/// An acyclic "must finish before" graph over a set of scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    names: Vec<String>,
    index: BTreeMap<String, usize>,
    preds: Vec<BTreeSet<usize>>,
    direction: Direction,
}

/// Resolves dependency names to script names using `Provides` and facilities.
struct Resolver<'a> {
    by_provides: BTreeMap<&'a str, BTreeSet<&'a str>>,
    facilities: &'a Facilities,
}

enum Resolved<'a> {
    Scripts(BTreeSet<&'a str>),
    Missing { member: Option<String> },
}

impl<'a> Resolver<'a> {
    fn new(universe: &'a [Script], facilities: &'a Facilities) -> Resolver<'a> {
        let mut by_provides: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for s in universe {
            for p in s.provides() {
                by_provides.entry(p).or_default().insert(s.name.as_str());
            }
        }
        Resolver {
            by_provides,
            facilities,
        }
    }

    fn providers(&self, name: &str) -> BTreeSet<&'a str> {
        self.by_provides.get(name).cloned().unwrap_or_default()
    }

    fn resolve(&self, dep: &str) -> Resolved<'a> {
        let mut scripts = self.providers(dep);
        if dep.starts_with('$')
            && let Some(expansion) = self.facilities.expand(dep)
        {
            for m in &expansion.members {
                scripts.extend(self.providers(m));
            }
            if let Some(m) = expansion
                .required
                .iter()
                .find(|m| !self.by_provides.contains_key(m.as_str()))
            {
                return Resolved::Missing {
                    member: Some(m.clone()),
                };
            }
            return Resolved::Scripts(scripts);
        }
        if scripts.is_empty() {
            Resolved::Missing { member: None }
        } else {
            Resolved::Scripts(scripts)
        }
    }
}

/// Builds the graph of `direction` over the scripts named in `set`, resolving
/// names against every script of `universe` (normally all of `/etc/init.d`).
/// Fails on a missing required dependency of a script in `set` or on a loop.
pub fn build(
    universe: &[Script],
    facilities: &Facilities,
    set: &BTreeSet<String>,
    direction: Direction,
) -> Result<Graph, GraphError> {
    let resolver = Resolver::new(universe, facilities);
    let names: Vec<String> = set.iter().cloned().collect();
    let index: BTreeMap<String, usize> = names.iter().cloned().zip(0..).collect();
    let mut graph = Graph {
        preds: vec![BTreeSet::new(); names.len()],
        names,
        index,
        direction,
    };
    let mut uses_all = BTreeSet::new();
    for script in universe.iter().filter(|s| set.contains(&s.name)) {
        let Some(h) = &script.header else {
            continue;
        };
        let (required, should, reverse) = match direction {
            Direction::Start => (&h.required_start, &h.should_start, &h.start_before),
            Direction::Stop => (&h.required_stop, &h.should_stop, &h.stop_after),
        };
        let deps = required
            .iter()
            .map(|d| (d, true))
            .chain(should.iter().map(|d| (d, false)));
        for (dep, is_required) in deps {
            match dep.as_str() {
                "$null" => continue,
                "$all" => {
                    uses_all.insert(script.name.clone());
                    continue;
                }
                _ => {}
            }
            match resolver.resolve(dep) {
                Resolved::Scripts(found) => {
                    for other in found {
                        match direction {
                            Direction::Start => graph.add_edge_by_name(other, &script.name),
                            Direction::Stop => graph.add_edge_by_name(&script.name, other),
                        }
                    }
                }
                Resolved::Missing { member } if is_required => {
                    return Err(GraphError::MissingRequired {
                        script: script.name.clone(),
                        facility: dep.clone(),
                        member,
                        direction,
                    });
                }
                Resolved::Missing { .. } => {}
            }
        }
        for target in reverse {
            // Like Should-*: a name or facility that is not there adds nothing.
            let Resolved::Scripts(found) = resolver.resolve(target) else {
                continue;
            };
            for other in found {
                match direction {
                    Direction::Start => graph.add_edge_by_name(&script.name, other),
                    Direction::Stop => graph.add_edge_by_name(other, &script.name),
                }
            }
        }
    }
    let all_users: Vec<usize> = uses_all.iter().filter_map(|n| graph.index_of(n)).collect();
    for &a in &all_users {
        for other in 0..graph.names.len() {
            if !all_users.contains(&other) {
                match direction {
                    Direction::Start => graph.add_edge(other, a),
                    Direction::Stop => graph.add_edge(a, other),
                }
            }
        }
    }
    graph.check_acyclic()?;
    Ok(graph)
}

impl Graph {
    /// The scripts, in name order; indexes refer to this list.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The scripts that must finish before script `i` begins.
    pub fn predecessors(&self, i: usize) -> &BTreeSet<usize> {
        static EMPTY: BTreeSet<usize> = BTreeSet::new();
        self.preds.get(i).unwrap_or(&EMPTY)
    }

    pub(crate) fn direction(&self) -> Direction {
        self.direction
    }

    fn add_edge(&mut self, before: usize, after: usize) {
        if before != after
            && let Some(p) = self.preds.get_mut(after)
        {
            p.insert(before);
        }
    }

    fn add_edge_by_name(&mut self, before: &str, after: &str) {
        if let (Some(b), Some(a)) = (self.index_of(before), self.index_of(after)) {
            self.add_edge(b, a);
        }
    }

    /// Adds "before → after" edges (names outside the graph are ignored) and
    /// checks that the graph is still acyclic; the rc runner uses this to keep
    /// header-less scripts in link-number order.
    pub(crate) fn with_edges<'n>(
        mut self,
        edges: impl IntoIterator<Item = (&'n str, &'n str)>,
    ) -> Result<Graph, GraphError> {
        for (before, after) in edges {
            self.add_edge_by_name(before, after);
        }
        self.check_acyclic()?;
        Ok(self)
    }

    /// Finds a cycle by depth-first search, visiting scripts in name order so
    /// the reported loop is deterministic.
    fn check_acyclic(&self) -> Result<(), GraphError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let n = self.names.len();
        let mut mark = vec![Mark::New; n];
        for root in 0..n {
            if mark[root] != Mark::New {
                continue;
            }
            // Iterative DFS over predecessor edges: path holds (node, remaining preds).
            let mut path: Vec<(usize, Vec<usize>)> =
                vec![(root, self.preds[root].iter().copied().collect())];
            mark[root] = Mark::OnPath;
            while let Some((node, pending)) = path.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(next) => match mark[next] {
                        Mark::New => {
                            mark[next] = Mark::OnPath;
                            path.push((next, self.preds[next].iter().copied().collect()));
                        }
                        Mark::OnPath => {
                            // path walks predecessors, so reverse it to get edge order.
                            let start = path.iter().position(|(v, _)| *v == next).unwrap_or(0);
                            let mut cycle: Vec<String> = path[start..]
                                .iter()
                                .map(|(v, _)| self.names[*v].clone())
                                .collect();
                            cycle.reverse();
                            // Start the report at the smallest name, whatever the search order.
                            let smallest = (0..cycle.len()).min_by_key(|i| &cycle[*i]).unwrap_or(0);
                            cycle.rotate_left(smallest);
                            return Err(GraphError::Loop {
                                cycle,
                                direction: self.direction,
                            });
                        }
                        Mark::Done => {}
                    },
                    None => {
                        mark[node] = Mark::Done;
                        path.pop();
                    }
                }
            }
        }
        Ok(())
    }

    /// Every predecessor counted, by name (what `rc::numbering` computes
    /// with its level rule, in the shape the tests read best).
    #[cfg(test)]
    pub(crate) fn depths(&self) -> BTreeMap<String, u8> {
        let depths = self.depths_with(|_, _| true, &[]);
        self.names
            .iter()
            .cloned()
            .zip(depths.into_iter().map(|d| d.min(99) as u8))
            .collect()
    }

    /// Longest-path depths by node index (1 for a node with no counted
    /// predecessor), counting only the edges `counts(predecessor, node)`
    /// accepts, each node raised to at least `min_depth[node]` (if given).
    pub(crate) fn depths_with(
        &self,
        counts: impl Fn(usize, usize) -> bool,
        min_depth: &[u32],
    ) -> Vec<u32> {
        let n = self.names.len();
        let mut depth: Vec<Option<u32>> = vec![None; n];
        for root in 0..n {
            let mut stack = vec![root];
            while let Some(&v) = stack.last() {
                if depth[v].is_some() {
                    stack.pop();
                    continue;
                }
                let counted: Vec<usize> = self.preds[v]
                    .iter()
                    .copied()
                    .filter(|&p| counts(p, v))
                    .collect();
                let pending: Vec<usize> = counted
                    .iter()
                    .copied()
                    .filter(|&p| depth[p].is_none())
                    .collect();
                if pending.is_empty() {
                    let below = counted.iter().filter_map(|&p| depth[p]).max().unwrap_or(0);
                    let floor = min_depth.get(v).copied().unwrap_or(0);
                    depth[v] = Some(below.saturating_add(1).max(floor));
                    stack.pop();
                } else {
                    stack.extend(pending); // acyclic (checked by `build`), so this ends
                }
            }
        }
        depth.into_iter().map(|d| d.unwrap_or(1)).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A script from compact keyword lines, e.g. `hdr("a", "Required-Start: b")`.
    pub(crate) fn hdr(name: &str, fields: &str) -> Script {
        let mut text = format!("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n");
        for f in fields.split(';').filter(|f| !f.trim().is_empty()) {
            text.push_str(&format!("# {}\n", f.trim()));
        }
        text.push_str("### END INIT INFO\n");
        Script::from_text(name, &text).unwrap()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// The headers behind docs/compatibility.md §8.4's observed insserv example (also in
    /// tests/fixtures/rc/insserv-example/).
    pub(crate) fn insserv_example() -> Vec<Script> {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rc/insserv-example/init.d");
        let mut scripts: Vec<Script> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| Script::read(&e.unwrap().path()).unwrap())
            .collect();
        scripts.sort_by(|a, b| a.name.cmp(&b.name));
        scripts
    }

    #[test]
    fn required_should_and_start_before() {
        let scripts = vec![
            hdr("a", ""),
            hdr("b", "Required-Start: a"),
            hdr("c", "Should-Start: b absent"),
            hdr("d", "X-Start-Before: a absent $nofacility"),
        ];
        let g = build(
            &scripts,
            &Facilities::default(),
            &set(&["a", "b", "c", "d"]),
            Direction::Start,
        )
        .unwrap();
        let d = g.depths();
        assert_eq!((d["d"], d["a"], d["b"], d["c"]), (1, 2, 3, 4));
        // Out of the set: no edge.
        let g = build(
            &scripts,
            &Facilities::default(),
            &set(&["b", "c"]),
            Direction::Start,
        )
        .unwrap();
        assert_eq!(g.depths()["b"], 1);
        // X-Start-Before a facility: before its members.
        let mut f = Facilities::default();
        f.parse_into("$late +c\n", "t", &mut Vec::new());
        let scripts = vec![hdr("c", ""), hdr("e", "X-Start-Before: $late")];
        let g = build(&scripts, &f, &set(&["c", "e"]), Direction::Start).unwrap();
        assert_eq!(g.depths()["c"], 2);
    }

    #[test]
    fn stop_graph_is_reversed() {
        let scripts = vec![
            hdr("fs", ""),
            hdr("log", "Required-Stop: fs"),
            hdr("app", "Should-Stop: log"),
            hdr("late", "X-Stop-After: fs"),
        ];
        let g = build(
            &scripts,
            &Facilities::default(),
            &set(&["fs", "log", "app", "late"]),
            Direction::Stop,
        )
        .unwrap();
        let d = g.depths();
        assert_eq!((d["app"], d["log"], d["fs"], d["late"]), (1, 2, 3, 4));
    }

    #[test]
    fn missing_required_names_script_and_facility() {
        let scripts = vec![
            hdr("a", "Required-Start: nothere"),
            hdr("b", "Required-Start: $weird"),
        ];
        let err = build(
            &scripts,
            &Facilities::debian_defaults(),
            &set(&["a"]),
            Direction::Start,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "service nothere has to be enabled to use service a"
        );
        let err = build(
            &scripts,
            &Facilities::debian_defaults(),
            &set(&["b"]),
            Direction::Start,
        )
        .unwrap_err();
        assert!(err.to_string().contains("$weird") && err.to_string().ends_with("service b"));
        // A facility whose members are all optional and absent is satisfied.
        let scripts = vec![hdr("c", "Required-Start: $remote_fs $syslog")];
        assert!(
            build(
                &scripts,
                &Facilities::debian_defaults(),
                &set(&["c"]),
                Direction::Start
            )
            .is_ok()
        );
        // A non-optional member that is missing is reported.
        let mut f = Facilities::default();
        f.parse_into("$db postgres\n", "t", &mut Vec::new());
        let scripts = vec![hdr("web", "Required-Start: $db")];
        let err = build(&scripts, &f, &set(&["web"]), Direction::Start).unwrap_err();
        assert!(err.to_string().contains("member postgres"), "{err}");
    }

    #[test]
    fn loops_name_the_scripts() {
        let scripts = vec![
            hdr("a", "Required-Start: b"),
            hdr("b", "Should-Start: a"),
            hdr("c", ""),
        ];
        let err = build(
            &scripts,
            &Facilities::default(),
            &set(&["a", "b", "c"]),
            Direction::Start,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "There is a loop between service a and b if started"
        );
        let scripts = vec![
            hdr("a", "Required-Stop: b"),
            hdr("b", "Required-Stop: c"),
            hdr("c", "Required-Stop: a"),
        ];
        let err = build(
            &scripts,
            &Facilities::default(),
            &set(&["a", "b", "c"]),
            Direction::Stop,
        )
        .unwrap_err();
        match &err {
            GraphError::Loop { cycle, .. } => assert_eq!(cycle.len(), 3),
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().ends_with("if stopped (a -> b -> c -> a)"),
            "{err}"
        );
    }

    #[test]
    fn all_comes_after_everything() {
        let scripts = vec![
            hdr("x", ""),
            hdr("y", "Required-Start: x"),
            hdr("last1", "Required-Start: $all"),
            hdr("last2", "Required-Start: $all $null"),
        ];
        let g = build(
            &scripts,
            &Facilities::default(),
            &set(&["x", "y", "last1", "last2"]),
            Direction::Start,
        )
        .unwrap();
        let d = g.depths();
        assert_eq!((d["last1"], d["last2"]), (3, 3));
    }

    #[test]
    fn extra_edges_and_their_loops() {
        let scripts = vec![
            hdr("a", ""),
            hdr("b", "Required-Start: a"),
            Script {
                name: "legacy".into(),
                header: None,
            },
        ];
        let g = build(
            &scripts,
            &Facilities::default(),
            &set(&["a", "b", "legacy"]),
            Direction::Start,
        )
        .unwrap();
        let g2 = g.clone().with_edges([("b", "legacy")]).unwrap();
        assert_eq!(g2.depths()["legacy"], 3);
        let err = g
            .with_edges([("legacy", "a"), ("b", "legacy")])
            .unwrap_err();
        assert!(matches!(err, GraphError::Loop { .. }));
    }

    #[test]
    fn interactive_from_header_or_conf() {
        let f = Facilities::debian_defaults();
        assert!(hdr("x", "X-Interactive: true").is_interactive(&f));
        assert!(hdr("keyboard-setup", "").is_interactive(&f));
        assert!(!hdr("y", "").is_interactive(&f));
    }
}
