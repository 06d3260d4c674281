//! `vinit plot [--level L] > boot.svg`: one bar per script on a time axis,
//! coloured by result, labelled, with the dependency edges and the critical
//! path. [`svg`] is pure; [`Geometry`] says where each bar is (the
//! rendering test samples those places).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]
// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use crate::getopt::LongOpt;
use crate::untrusted::{self, Kind};
use std::fmt::Write as _;
use std::path::Path;

use crate::rc::record::{self, Line, RECORD_DIR, Run, critical_path};

pub(crate) const USAGE: &str = "\
Usage: vinit plot [--level LEVEL | --record FILE...] > boot.svg

Draws the boot's scripts (the rc runs entered from N: rcS, then the default
level) as SVG on standard output: one bar per script on a time axis in
seconds, coloured by result, labelled with the script's name and duration,
with its dependencies drawn as blue arrows and the critical path outlined.

  --level LEVEL   the last run into LEVEL instead of the boot
  --record FILE   draw this run record (a copy from /run/vinit/rc) instead;
                  may be given more than once
  --help          this text

Exit status: 0 when drawn; 1 when there is no run record to draw or a
--record FILE cannot be read; 2 on a usage error.
";

/// Bar colours by result, also used in the legend.
pub(crate) const RESULT_COLOURS: &[(&str, &str)] = &[
    ("ok", "#2e9e44"),
    ("failed", "#d62728"),
    ("timeout", "#ff7f0e"),
    ("not-installed", "#8c8c8c"),
    ("not-configured", "#8c8c8c"),
];

/// The colour of a result's bar.
pub fn result_colour(result: &str) -> &'static str {
    RESULT_COLOURS
        .iter()
        .find(|(name, _)| *name == result)
        .map_or("#8c8c8c", |(_, colour)| colour)
}

pub(crate) fn main(args: &[std::ffi::OsString]) -> i32 {
    let mut level: Option<String> = None;
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    match super::parse_options(
        args,
        USAGE,
        &[LongOpt::value("level"), LongOpt::value("record")],
        |name, value| match name {
            "level" => {
                level = Some(super::text_value(name, value)?.to_ascii_uppercase());
                Ok(())
            }
            "record" => {
                files.extend(value.map(std::path::PathBuf::from));
                Ok(())
            }
            _ => Err(format!("unknown option '--{name}'")),
        },
    ) {
        super::Parsed::Exit(code) => return code,
        super::Parsed::Run(()) => {}
    }
    let chosen = if files.is_empty() {
        let (runs, problems) = record::read_dir(Path::new(RECORD_DIR));
        for problem in problems {
            eprintln!("vinit plot: {problem}");
        }
        select(runs, level.as_deref())
    } else {
        let mut runs = Vec::new();
        for file in &files {
            let file = file.display().to_string();
            log::debug!("reading the run record {file}");
            // The file is the user's choice, but it may be a FIFO or a
            // device all the same.
            let parsed = untrusted::read_text(Path::new(&file), Kind::Given)
                .map_err(|e| format!("{file}: {e}"))
                .and_then(|text| record::parse(&file, &text));
            match parsed {
                Ok(run) => runs.push(run),
                Err(e) => {
                    eprintln!("vinit plot: {e}");
                    return 1;
                }
            }
        }
        runs
    };
    if chosen.iter().all(|r| r.span_ns().is_none()) {
        eprintln!(
            "vinit plot: no rc run {} recorded in {RECORD_DIR}",
            level.map_or("of the boot".to_string(), |l| format!("into runlevel {l}"))
        );
        return 1;
    }
    print!("{}", svg(&chosen));
    0
}

/// The boot's runs (entered from `N`), or the last run into `level`.
pub(crate) fn select(runs: Vec<Run>, level: Option<&str>) -> Vec<Run> {
    match level {
        Some(level) => runs
            .into_iter()
            .rev()
            .find(|r| r.level == level)
            .into_iter()
            .collect(),
        None => runs.into_iter().filter(Run::is_boot).collect(),
    }
}

/// A bar: x, y, width, height.
pub(crate) type Bar = (f64, f64, f64, f64);

/// Where things are drawn, in SVG user units (= CSS pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// x of time 0 (the first script's start).
    pub left: f64,
    /// Pixels per second.
    pub scale: f64,
    /// y of the first row's top.
    pub top: f64,
    pub row_height: f64,
    pub bar_height: f64,
    /// The monotonic ns drawn at `left`.
    pub origin_ns: u64,
    pub width: f64,
    pub height: f64,
    /// The rows: (run index, line index) in drawing order, `None` for a
    /// run's heading row.
    pub rows: Vec<(usize, Option<usize>)>,
}

/// Average advance of DejaVu Sans at 12 px, regular and bold (generous).
const CHAR_WIDTH: f64 = 7.2;
const BOLD_CHAR_WIDTH: f64 = 8.2;
const PLOT_WIDTH: f64 = 900.0;
const MIN_BAR: f64 = 2.0;

impl Geometry {
    pub fn new(runs: &[Run]) -> Geometry {
        let origin_ns = runs
            .iter()
            .filter_map(Run::span_ns)
            .map(|s| s.0)
            .min()
            .unwrap_or(0);
        let end_ns = runs
            .iter()
            .filter_map(Run::span_ns)
            .map(|s| s.1)
            .max()
            .unwrap_or(origin_ns);
        let span_s = ((end_ns - origin_ns) as f64 / 1e9).max(0.001);
        let longest_name = runs
            .iter()
            .flat_map(|r| &r.lines)
            .map(|l| l.script.chars().count())
            .max()
            .unwrap_or(8);
        // Names on the critical path are bold, and bold glyphs are wider.
        let left = 20.0 + (longest_name as f64 * BOLD_CHAR_WIDTH).max(80.0) + 12.0;
        let mut rows = Vec::new();
        for (r, run) in runs.iter().enumerate() {
            rows.push((r, None));
            let mut order: Vec<usize> = (0..run.lines.len()).collect();
            order.sort_by_key(|&i| (run.lines[i].start_ns.is_none(), run.lines[i].start_ns));
            rows.extend(order.into_iter().map(|i| (r, Some(i))));
        }
        // The widest "1.234 s not-configured" after a bar.
        let longest_note = runs
            .iter()
            .flat_map(|r| &r.lines)
            .map(|l| {
                9 + if l.result == "ok" {
                    0
                } else {
                    l.result.len() + 1
                }
            })
            .max()
            .unwrap_or(9);
        let row_height = 22.0;
        let top = 78.0;
        Geometry {
            left,
            scale: PLOT_WIDTH / span_s,
            top,
            row_height,
            bar_height: 14.0,
            origin_ns,
            // Room for the last bar's duration label.
            width: left + PLOT_WIDTH + 16.0 + longest_note as f64 * CHAR_WIDTH,
            height: top + rows.len() as f64 * row_height + 50.0,
            rows,
        }
    }

    pub(crate) fn x_of(&self, ns: u64) -> f64 {
        self.left + ns.saturating_sub(self.origin_ns) as f64 / 1e9 * self.scale
    }

    /// The bar of a line: x, y, width (at least 2 px), height.
    pub(crate) fn bar(&self, row: usize, line: &Line) -> Option<Bar> {
        let (start, end) = (line.start_ns?, line.end_ns?);
        let x = self.x_of(start);
        let width = (self.x_of(end) - x).max(MIN_BAR);
        let y = self.top + row as f64 * self.row_height + (self.row_height - self.bar_height) / 2.0;
        Some((x, y, width, self.bar_height))
    }

    fn row_middle(&self, row: usize) -> f64 {
        self.top + row as f64 * self.row_height + self.row_height / 2.0
    }
}

/// A tick step of 1, 2 or 5 × 10^k seconds giving at most ~12 ticks.
pub(crate) fn tick_step(span_s: f64) -> f64 {
    let raw = (span_s / 12.0).max(0.001);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn seconds_label(s: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else if step >= 0.01 {
        2
    } else {
        3
    };
    format!("{s:.decimals$} s")
}

/// The SVG document.
pub(crate) fn svg(runs: &[Run]) -> String {
    let g = Geometry::new(runs);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">"##,
        w = g.width,
        h = g.height
    );
    let _ = writeln!(
        out,
        r##"<defs><marker id="arrow" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#6f8fc0"/></marker></defs>"##
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    // Title and legend.
    let span_s = runs
        .iter()
        .filter_map(Run::span_ns)
        .map(|(_, e)| e.saturating_sub(g.origin_ns))
        .max()
        .unwrap_or(0) as f64
        / 1e9;
    let scripts = runs.iter().map(|r| r.lines.len()).sum::<usize>();
    let _ = writeln!(
        out,
        r##"<text x="20" y="24" font-size="16" font-weight="bold">rc scripts: {scripts} in {span_s:.2} s</text>"##
    );
    let mut x = 20.0;
    let legend: Vec<(&str, &str)> = vec![
        ("ok", result_colour("ok")),
        ("failed", result_colour("failed")),
        ("timed out", result_colour("timeout")),
        ("not installed / configured", result_colour("not-installed")),
    ];
    for (label, colour) in legend {
        let _ = writeln!(
            out,
            r##"<rect x="{x:.1}" y="36" width="14" height="14" fill="{colour}"/><text x="{:.1}" y="47">{label}</text>"##,
            x + 19.0
        );
        x += 19.0 + label.len() as f64 * CHAR_WIDTH + 18.0;
    }
    let _ = writeln!(
        out,
        r##"<rect x="{x:.1}" y="36" width="14" height="14" fill="#ffffff" stroke="#000000" stroke-width="2"/><text x="{:.1}" y="47">critical path</text>"##,
        x + 19.0
    );
    x += 19.0 + 13.0 * CHAR_WIDTH + 18.0;
    let _ = writeln!(
        out,
        r##"<line x1="{x:.1}" y1="43" x2="{:.1}" y2="43" stroke="#6f8fc0" marker-end="url(#arrow)"/><text x="{:.1}" y="47">waits for</text>"##,
        x + 24.0,
        x + 30.0
    );

    // Axis: grid lines and tick labels above and below the rows.
    let step = tick_step(span_s.max(0.001));
    let bottom = g.top + g.rows.len() as f64 * g.row_height;
    let mut tick = 0.0;
    while tick <= span_s + step * 0.001 {
        let tx = g.left + tick * g.scale;
        let label = seconds_label(tick, step);
        let _ = writeln!(
            out,
            r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{bottom:.1}" stroke="#e4e4e4"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#555555">{label}</text><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#555555">{label}</text>"##,
            g.top - 4.0,
            g.top - 8.0,
            bottom + 16.0
        );
        tick += step;
    }

    // Where each script's bar is, for the edges.
    let mut bars: Vec<Vec<Option<Bar>>> = runs.iter().map(|r| vec![None; r.lines.len()]).collect();
    for (row, &(r, line)) in g.rows.iter().enumerate() {
        if let Some(i) = line {
            bars[r][i] = g.bar(row, &runs[r].lines[i]);
        }
    }
    // Edges behind the bars: from the end of a dependency to the start of
    // the script that waited for it.
    for (r, run) in runs.iter().enumerate() {
        for (i, line) in run.lines.iter().enumerate() {
            let Some((x, y, _, h)) = bars[r][i] else {
                continue;
            };
            for dep in &line.after {
                let found = run
                    .lines
                    .iter()
                    .position(|l| &l.script == dep && l.action == line.action);
                if let Some((dx, dy, dw, dh)) = found.and_then(|d| bars[r][d]) {
                    let _ = writeln!(
                        out,
                        r##"<path d="M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {x:.1},{:.1}" fill="none" stroke="#6f8fc0" stroke-opacity="0.7" marker-end="url(#arrow)"/>"##,
                        dx + dw,
                        dy + dh / 2.0,
                        dx + dw + 12.0,
                        dy + dh / 2.0,
                        x - 12.0,
                        y + h / 2.0,
                        y + h / 2.0
                    );
                }
            }
        }
    }
    // Rows: run headings, then one labelled bar per script.
    for (row, &(r, line)) in g.rows.iter().enumerate() {
        let run = &runs[r];
        let middle = g.row_middle(row);
        let Some(i) = line else {
            let title = format!(
                "rc {} (from {}){}",
                run.level,
                run.previous,
                run.span_ns()
                    .map(|(s, e)| format!(": {:.2} s", (e - s) as f64 / 1e9))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                out,
                r##"<rect x="0" y="{:.1}" width="{:.0}" height="{:.1}" fill="#f0f0f0"/><text x="20" y="{:.1}" font-weight="bold">{}</text>"##,
                middle - g.row_height / 2.0,
                g.width,
                g.row_height,
                middle + 4.0,
                escape(&title)
            );
            continue;
        };
        let line_data = &run.lines[i];
        let critical = critical_path(run)[i];
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end"{}>{}</text>"##,
            g.left - 10.0,
            middle + 4.0,
            if critical {
                r#" font-weight="bold""#
            } else {
                ""
            },
            escape(&line_data.script)
        );
        match bars[r][i] {
            Some((x, y, w, h)) => {
                let stroke = if critical {
                    r##" stroke="#000000" stroke-width="2""##
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}"{stroke}><title>{} {}: {} ({})</title></rect>"##,
                    result_colour(&line_data.result),
                    escape(&line_data.script),
                    escape(&line_data.action),
                    escape(&line_data.result),
                    super::seconds(line_data.duration_ns().unwrap_or(0))
                );
                let note = match line_data.result.as_str() {
                    "ok" => String::new(),
                    other => format!(" {other}"),
                };
                let _ = writeln!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" fill="#333333" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}{}</text>"##,
                    x + w + 5.0,
                    middle + 4.0,
                    super::seconds(line_data.duration_ns().unwrap_or(0)),
                    escape(&note)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" fill="#8c8c8c">{} (not run)</text>"##,
                    g.left + 4.0,
                    middle + 4.0,
                    escape(&line_data.result)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(10.0), 1.0);
        assert_eq!(tick_step(3.0), 0.5);
        assert_eq!(tick_step(100.0), 10.0);
        assert_eq!(tick_step(0.05), 0.005);
        assert_eq!(seconds_label(1.5, 0.5), "1.5 s");
        assert_eq!(seconds_label(2.0, 1.0), "2 s");
    }

    #[test]
    fn the_boot_or_the_last_run_into_a_level() {
        let header = "#level\tprevious\tscript\taction\tresult\n";
        let runs: Vec<Run> = [
            "1-N-S.tsv",
            "2-N-2.tsv",
            "3-2-3.tsv",
            "4-3-2.tsv",
            "5-2-3.tsv",
        ]
        .iter()
        .map(|name| record::parse(name, header).unwrap())
        .collect();
        let names =
            |chosen: Vec<Run>| -> Vec<String> { chosen.into_iter().map(|r| r.name).collect() };
        assert_eq!(
            names(select(runs.clone(), None)),
            ["1-N-S.tsv", "2-N-2.tsv"]
        );
        assert_eq!(names(select(runs.clone(), Some("3"))), ["5-2-3.tsv"]);
        assert!(select(runs, Some("4")).is_empty());
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape("a<b>&\""), "a&lt;b&gt;&amp;&quot;");
    }
}
