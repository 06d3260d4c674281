//! Reading rc's run records back (`/run/vinit/rc/*.tsv`, written by
//! [`super::output`], format in rc.8) and finding a run's critical path,
//! for `vinit status`, `blame`, `plot` and `telinit --wait`. Pure except
//! [`read_dir`].

// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::Path;

/// Where rc writes its run records.
pub(crate) const RECORD_DIR: &str = "/run/vinit/rc";

/// One script of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub level: String,
    pub previous: String,
    pub script: String,
    /// `start` or `stop`.
    pub action: String,
    pub link: String,
    /// CLOCK_MONOTONIC, ns; `None` for a skipped link.
    pub start_ns: Option<u64>,
    pub end_ns: Option<u64>,
    /// RFC 3339, `-` for a skipped link.
    pub start_wall: String,
    /// Exit status, `signal:N` or `-`.
    pub status: String,
    /// ok, failed, timeout, not-installed, not-configured, skipped.
    pub result: String,
    /// The scripts of the same run and action it waited for (empty in
    /// records written before the column existed).
    pub after: Vec<String>,
    /// The processes of its service rc killed with SIGKILL (a hung stop,
    /// or leftovers past the stop timeout), each `PID (NAME, waiting in
    /// WCHAN)`.
    pub killed: Vec<String>,
}

impl Line {
    pub(crate) fn duration_ns(&self) -> Option<u64> {
        Some(self.end_ns?.saturating_sub(self.start_ns?))
    }

    pub(crate) fn failed(&self) -> bool {
        matches!(self.result.as_str(), "failed" | "timeout")
    }
}

/// One run record file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The file name (`START-PREVIOUS-LEVEL.tsv`): runs sort by it in time order.
    pub name: String,
    pub level: String,
    pub previous: String,
    pub lines: Vec<Line>,
}

impl Run {
    /// The first start and last end of the scripts that ran.
    pub(crate) fn span_ns(&self) -> Option<(u64, u64)> {
        let start = self.lines.iter().filter_map(|l| l.start_ns).min()?;
        let end = self.lines.iter().filter_map(|l| l.end_ns).max()?;
        Some((start, end))
    }

    /// Whether this run was part of the boot (entered from `N`).
    pub(crate) fn is_boot(&self) -> bool {
        self.previous == "N"
    }
}

/// Parses a record's text. Columns are found by the header's names, so
/// records with fewer (older) or more (newer) columns read the same.
pub fn parse(name: &str, text: &str) -> Result<Run, String> {
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix('#'))
        .ok_or_else(|| format!("{name}: no header line"))?;
    let columns: BTreeMap<&str, usize> = header.split('\t').zip(0..).collect();
    for needed in ["level", "previous", "script", "action", "result"] {
        if !columns.contains_key(needed) {
            return Err(format!("{name}: no {needed} column"));
        }
    }
    let mut run = Run {
        name: name.to_string(),
        level: String::new(),
        previous: String::new(),
        lines: Vec::new(),
    };
    for (number, text) in lines.enumerate() {
        if text.is_empty() {
            continue;
        }
        let fields: Vec<&str> = text.split('\t').collect();
        let field = |column: &str| -> &str {
            columns
                .get(column)
                .and_then(|&i| fields.get(i))
                .copied()
                .unwrap_or("-")
        };
        if fields.len() < 5 {
            return Err(format!("{name}:{}: too few fields", number + 2));
        }
        let time = |column: &str| field(column).parse::<u64>().ok();
        let after = field("after");
        let killed = field("killed");
        run.lines.push(Line {
            level: field("level").to_string(),
            previous: field("previous").to_string(),
            script: field("script").to_string(),
            action: field("action").to_string(),
            link: field("link").to_string(),
            start_ns: time("start_monotonic_ns"),
            end_ns: time("end_monotonic_ns"),
            start_wall: field("start_wall").to_string(),
            status: field("status").to_string(),
            result: field("result").to_string(),
            after: if after == "-" || after.is_empty() {
                Vec::new()
            } else {
                after.split(',').map(str::to_string).collect()
            },
            killed: if killed == "-" || killed.is_empty() {
                Vec::new()
            } else {
                killed.split("; ").map(str::to_string).collect()
            },
        });
    }
    // The name says it when no script ran: START-PREVIOUS-LEVEL.tsv.
    let mut parts = name.trim_end_matches(".tsv").rsplitn(3, '-');
    let (level, previous) = (parts.next(), parts.next());
    run.level = run
        .lines
        .first()
        .map(|l| l.level.clone())
        .or(level.map(str::to_string))
        .unwrap_or_default();
    run.previous = run
        .lines
        .first()
        .map(|l| l.previous.clone())
        .or(previous.map(str::to_string))
        .unwrap_or_default();
    Ok(run)
}

/// Every readable record of `dir`, oldest first; files that cannot be
/// parsed are reported in the second list.
pub(crate) fn read_dir(dir: &Path) -> (Vec<Run>, Vec<String>) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tsv"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for name in names {
        match crate::untrusted::read_text(&dir.join(&name), crate::untrusted::Kind::RunState) {
            Ok(text) => match parse(&name, &text) {
                Ok(run) => runs.push(run),
                Err(e) => problems.push(e),
            },
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    log::debug!(
        "{}: {} run record(s), {} unreadable",
        dir.display(),
        runs.len(),
        problems.len()
    );
    (runs, problems)
}

/// Which lines of `run` are on its critical path: the chain that decided
/// when the run ended. In each phase (stop, then start) the chain starts at
/// the script that ended last and steps to the dependency that ended last,
/// as long as that one ended when the script started; a script that started
/// well after all its dependencies ended was held up by the concurrency
/// limit instead, and the chain stops there.
pub(crate) fn critical_path(run: &Run) -> Vec<bool> {
    let mut on_path = vec![false; run.lines.len()];
    for action in ["stop", "start"] {
        let timed: Vec<usize> = (0..run.lines.len())
            .filter(|&i| {
                let line = &run.lines[i];
                line.action == action && line.start_ns.is_some() && line.end_ns.is_some()
            })
            .collect();
        let by_name: BTreeMap<&str, usize> = timed
            .iter()
            .map(|&i| (run.lines[i].script.as_str(), i))
            .collect();
        let Some(mut current) = timed.iter().copied().max_by_key(|&i| run.lines[i].end_ns) else {
            continue;
        };
        loop {
            on_path[current] = true;
            let line = &run.lines[current];
            let gate = line
                .after
                .iter()
                .filter_map(|name| by_name.get(name.as_str()).copied())
                .filter(|&p| !on_path[p])
                .max_by_key(|&p| run.lines[p].end_ns);
            let started = line.start_ns.unwrap_or(0);
            match gate {
                Some(p) if run.lines[p].end_ns.unwrap_or(0) + GATE_SLACK_NS >= started => {
                    current = p
                }
                _ => break,
            }
        }
    }
    on_path
}

/// How long after a dependency ended its dependent may start and still
/// count as held up by it (rc notices an exit through SIGCHLD and poll).
const GATE_SLACK_NS: u64 = 50_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#level\tprevious\tscript\taction\tlink\tstart_monotonic_ns\tend_monotonic_ns\tstart_wall\tend_wall\tstatus\tresult\tafter";

    fn line(script: &str, action: &str, start_ms: u64, end_ms: u64, after: &str) -> String {
        format!(
            "2\tN\t{script}\t{action}\t/etc/rc2.d/S01{script}\t{}\t{}\tw\tw\t0\tok\t{after}",
            start_ms * 1_000_000,
            end_ms * 1_000_000
        )
    }

    fn run(lines: &[String]) -> Run {
        let text = format!("{HEADER}\n{}\n", lines.join("\n"));
        parse("20261130T100000.000000000-N-2.tsv", &text).unwrap()
    }

    fn path_of(run: &Run) -> Vec<&str> {
        critical_path(run)
            .iter()
            .zip(&run.lines)
            .filter(|(on, _)| **on)
            .map(|(_, l)| l.script.as_str())
            .collect()
    }

    #[test]
    fn the_chain_that_ended_last() {
        // mountall → networking → nfs (ends last); cron ran beside them.
        let r = run(&[
            line("mountall", "start", 0, 100, "-"),
            line("cron", "start", 100, 150, "mountall"),
            line("networking", "start", 101, 900, "mountall"),
            line("nfs", "start", 902, 1000, "cron,networking"),
        ]);
        assert_eq!(path_of(&r), ["mountall", "networking", "nfs"]);
    }

    #[test]
    fn a_script_held_up_by_the_concurrency_limit_ends_the_chain() {
        let r = run(&[
            line("a", "start", 0, 100, "-"),
            line("b", "start", 500, 600, "a"),
        ]);
        assert_eq!(path_of(&r), ["b"]);
    }

    #[test]
    fn each_phase_has_its_chain() {
        let r = run(&[
            line("x", "stop", 0, 50, "-"),
            line("y", "stop", 51, 80, "x"),
            line("z", "start", 90, 95, "-"),
        ]);
        assert_eq!(path_of(&r), ["x", "y", "z"]);
    }

    #[test]
    fn old_records_without_after_and_skipped_lines() {
        let old = "#level\tprevious\tscript\taction\tlink\tstart_monotonic_ns\tend_monotonic_ns\tstart_wall\tend_wall\tstatus\tresult\n\
                   2\tN\tcron\tstart\t/etc/rc2.d/S01cron\t5\t9\tw\tw\t0\tok\n\
                   2\tN\tgone\tstart\t/etc/rc2.d/S01gone\t-\t-\t-\t-\t-\tskipped\n";
        let r = parse("x-N-2.tsv", old).unwrap();
        assert_eq!((r.level.as_str(), r.previous.as_str()), ("2", "N"));
        assert_eq!(r.lines[0].duration_ns(), Some(4));
        assert_eq!(r.lines[1].duration_ns(), None);
        assert!(r.lines[0].after.is_empty());
        assert_eq!(critical_path(&r), [true, false]);
        assert_eq!(r.span_ns(), Some((5, 9)));
    }

    #[test]
    fn a_run_with_no_scripts_takes_its_levels_from_the_name() {
        let r = parse("20261130T100000.000000000-2-3.tsv", &format!("{HEADER}\n")).unwrap();
        assert_eq!((r.level.as_str(), r.previous.as_str()), ("3", "2"));
        assert!(parse("x.tsv", "").is_err());
        assert!(parse("x.tsv", "#a\tb\n").is_err());
    }
}
