//! `vinit blame [--level L] [--json]`: the scripts of the boot and of each
//! later level change, slowest first, the critical path marked.

use crate::getopt::LongOpt;
use std::path::Path;

use serde_json::{Value, json};

use super::status::{line_json, result_colour};
use super::table::{Cell, Table};
use super::{Colour, Parsed, json_error, paint, parse_options, seconds, usage_error, use_colour};
use crate::rc::record::{self, RECORD_DIR, Run, critical_path};

pub(crate) const USAGE: &str = "\
Usage: vinit blame [--level LEVEL] [--json]

Lists the scripts of the boot and of each later level change (rc's run
records in /run/vinit/rc), slowest first. A '*' marks the scripts on the
critical path: the chain of dependencies that decided when the run ended.

  --level LEVEL   only the runs into LEVEL (S, 0-9)
  --json          machine-readable output (schema vinit-blame/1, see vinit(8));
                  when there is no run to show, a vinit-error/1 document
  --help          this text

Exit status: 0 when shown; 1 when there is no run record to show; 2 on a
usage error.
";

pub(crate) const JSON_SCHEMA: &str = "vinit-blame/1";

pub(crate) fn main(args: &[std::ffi::OsString]) -> i32 {
    let mut level: Option<String> = None;
    let mut json_output = false;
    match parse_options(
        args,
        USAGE,
        &[LongOpt::value("level"), LongOpt::flag("json")],
        |name, value| match name {
            "level" => {
                level = Some(super::text_value(name, value)?.to_ascii_uppercase());
                Ok(())
            }
            "json" => {
                json_output = true;
                Ok(())
            }
            _ => Err(format!("unknown option '--{name}'")),
        },
    ) {
        Parsed::Exit(code) => return usage_error(args, code),
        Parsed::Run(()) => {}
    }
    let (runs, problems) = record::read_dir(Path::new(RECORD_DIR));
    for problem in problems {
        eprintln!("vinit blame: {problem}");
    }
    let runs: Vec<Run> = runs
        .into_iter()
        .filter(|r| level.as_ref().is_none_or(|l| &r.level == l))
        .collect();
    if runs.is_empty() {
        let message = format!(
            "no rc run recorded in {RECORD_DIR}{}",
            level.map_or(String::new(), |l| format!(" for runlevel {l}"))
        );
        eprintln!("vinit blame: {message}");
        if json_output {
            println!("{}", json_error("blame", "no-record", &message, 1));
        }
        return 1;
    }
    if json_output {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&runs)).unwrap_or_default()
        );
    } else {
        print!("{}", render(&runs, use_colour()));
    }
    0
}

/// The lines of a run by duration, longest first (skipped links last), each
/// with whether it is on the critical path.
fn ranked(run: &Run) -> Vec<(&record::Line, bool)> {
    let critical = critical_path(run);
    let mut lines: Vec<_> = run.lines.iter().zip(critical).collect();
    lines.sort_by_key(|(line, _)| std::cmp::Reverse(line.duration_ns()));
    lines
}

fn heading(run: &Run) -> String {
    let started = run
        .lines
        .iter()
        .find(|l| l.start_wall != "-")
        .and_then(|l| chrono::DateTime::parse_from_rfc3339(&l.start_wall).ok())
        .map(|t| format!(" at {}", t.format("%Y-%m-%d %H:%M:%S")))
        .unwrap_or_default();
    let took = run
        .span_ns()
        .map(|(start, end)| format!(", {}", seconds(end - start)))
        .unwrap_or_default();
    let failed = run.lines.iter().filter(|l| l.failed()).count();
    format!(
        "Runlevel {} (from {}{}){started}: {} script{}{took}{}",
        run.level,
        run.previous,
        if run.is_boot() { ", boot" } else { "" },
        run.lines.len(),
        if run.lines.len() == 1 { "" } else { "s" },
        if failed > 0 {
            format!(", {failed} failed")
        } else {
            String::new()
        }
    )
}

/// The human output.
pub fn render(runs: &[Run], colour: bool) -> String {
    let mut out = String::new();
    for (i, run) in runs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&paint(&heading(run), Colour::Bold, colour));
        out.push('\n');
        let mut table = Table::new(
            &["", "DURATION", "SCRIPT", "ACTION", "RESULT"],
            &[false, true, false, false, false],
        );
        for (line, critical) in ranked(run) {
            let result = match line.status.as_str() {
                "-" | "0" => line.result.clone(),
                status => format!("{} ({status})", line.result),
            };
            table.push(vec![
                if critical {
                    Cell::coloured("*", Colour::Yellow)
                } else {
                    Cell::plain("")
                },
                Cell::plain(line.duration_ns().map_or("-".to_string(), seconds)),
                Cell::plain(&line.script),
                Cell::plain(&line.action),
                match result_colour(&line.result) {
                    Some(c) => Cell::coloured(result, c),
                    None => Cell::plain(result),
                },
            ]);
        }
        if !table.is_empty() {
            out.push_str(&table.render(colour));
        }
        for line in run.lines.iter().filter(|line| !line.killed.is_empty()) {
            out.push_str(&format!(
                "  {} {}: killed {}\n",
                line.script,
                line.action,
                line.killed.join(", ")
            ));
        }
    }
    out.push_str("\n* on the critical path\n");
    out
}

/// The `--json` output, schema [`JSON_SCHEMA`].
pub fn to_json(runs: &[Run]) -> Value {
    let runs: Vec<Value> = runs
        .iter()
        .map(|run| {
            let scripts: Vec<Value> = ranked(run)
                .into_iter()
                .map(|(line, critical)| {
                    let mut value = line_json(line);
                    if let Some(fields) = value.as_object_mut() {
                        fields.insert("critical".to_string(), json!(critical));
                    }
                    value
                })
                .collect();
            json!({
                "record": run.name,
                "level": run.level,
                "previous": run.previous,
                "boot": run.is_boot(),
                "duration_ms": run.span_ns().map(|(s, e)| (e - s) / 1_000_000),
                "scripts": scripts,
            })
        })
        .collect();
    json!({ "schema": JSON_SCHEMA, "runs": runs })
}
