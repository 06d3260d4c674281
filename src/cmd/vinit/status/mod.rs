//! `vinit status [--json]`: the levels, the boot time, a pending shutdown,
//! every inittab entry's state (from the status file PID 1 writes, see
//! [`crate::status`]), every init.d service (its state, processes, memory,
//! CPU time, supervision: [`service`]) and the last rc run of every script
//! (from rc's run records); `vinit status NAME`, one service in full.
//! Gathering ([`gather`]) is apart from rendering ([`render`],
//! [`to_json`], [`service::render_one`]), which are pure.

// /proc and the files under /run are read through crate::untrusted,
// crate::procfs and crate::cgroup only (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

pub mod service;

use crate::getopt::LongOpt;
use std::ffi::OsString;
use std::path::Path;

use chrono::{DateTime, FixedOffset, Local, TimeZone};
use serde_json::{Value, json};

use super::table::{Cell, Table};
use super::{
    Colour, Parsed, json_error, paint, parse_options_and_operands, seconds, text_value,
    usage_error, use_colour,
};
use crate::procfs::{self, BootClock};
use crate::rc::record::{self, Line, RECORD_DIR, Run};
use crate::services::Tracking;
use crate::status::client::{self, Unavailable};
use crate::status::{EntryState, InitStatus, describe_wait_status};
use crate::untrusted::{self, Kind};
use service::{ServiceReport, ServiceStatus};

pub(crate) const USAGE: &str = "\
Usage: vinit status [--json [--schema 2]]
       vinit status NAME [--json [--schema 2]]

Shows the current and previous runlevel, when init started, a pending
shutdown, every inittab entry (state, PID, respawns, last exit status),
every service of /etc/init.d (state, main PID, processes, memory, CPU
time, uptime, restarts) and the last rc run of every script.

With NAME, shows that service in full: its processes as a tree with their
command lines, its cgroup's limits, its last failure and last rc run, and
the last lines its script printed when rc last ran it.

  --json      machine-readable output (schema vinit-status/2, see
              vinit(8)); when there is nothing to report, a vinit-error/1
              document
  --schema N  the schema version the reader expects: 2; 1 is no longer
              written, and asking for it fails with a message that says so
  --help      this text

Exit status: 0 when shown; 1 when init's status cannot be read (the file
is damaged, or init could not write it) or there is no service NAME; 2 on
a usage error or a --schema that is not written; 3 when PID 1 is not vinit
(or not the vinit that wrote the file).
";

/// The `schema` value of the JSON output.
pub const JSON_SCHEMA: &str = "vinit-status/2";
/// The schema of the output before every init.d service was listed.
const OLD_SCHEMA: &str = "vinit-status/1";

/// Why the limiter disables an entry (sysvinit's only reason).
pub(crate) const LIMITER_REASON: &str = "respawning too fast: 10 starts within 120 s";

/// A `shutdown` waiting for its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingShutdown {
    pub pid: i32,
    /// Its command line.
    pub command: String,
    /// From `/run/nologin` once written (the last 5 minutes):
    /// `The system is going down on …`.
    pub notice: Option<String>,
}

/// Everything `vinit status` shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub init: InitStatus<'static>,
    /// When PID 1 started (the boot, for a real init).
    pub booted: Option<DateTime<FixedOffset>>,
    pub now: DateTime<FixedOffset>,
    /// CLOCK_MONOTONIC now, in seconds (the limiter's clock).
    pub now_monotonic_s: u64,
    pub shutdown: Option<PendingShutdown>,
    /// Whether init tracks the services by cgroup, as it says.
    pub tracking: Tracking,
    /// Every init.d service, by name.
    pub services: Vec<ServiceStatus>,
    /// rc's run records, oldest first.
    pub runs: Vec<Run>,
}

/// When PID 1 started: the kernel's boot time plus its start ticks.
fn init_start_time(start_ticks: u64) -> Option<DateTime<FixedOffset>> {
    let secs = BootClock::read()?.wall_seconds(start_ticks);
    Local
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.fixed_offset())
}

/// `shutdown`'s PID file names a live process.
fn pending_shutdown() -> Option<PendingShutdown> {
    let text = untrusted::read_text(Path::new("/var/run/shutdown.pid"), Kind::PidFile).ok()?;
    let pid: i32 = text.split_whitespace().next()?.parse().ok()?;
    let command = procfs::command_line(pid)?;
    let notice = untrusted::read_text(Path::new("/run/nologin"), Kind::RunState)
        .ok()
        .and_then(|t| {
            t.lines()
                .map(|l| l.trim_matches(['\r', '\n', ' ']))
                .find(|l| l.starts_with("The system is going down"))
                .map(str::to_string)
        });
    Some(PendingShutdown {
        pid,
        command,
        notice,
    })
}

fn monotonic_seconds() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| u64::try_from(t.tv_sec()).unwrap_or(0))
        .unwrap_or(0)
}

/// Reads everything the report needs.
pub(crate) fn gather() -> Result<Report, Unavailable> {
    let (init, _) = client::read()?.ok_or_else(Unavailable::missing)?;
    let (runs, _) = record::read_dir(Path::new(RECORD_DIR));
    let shutdown = pending_shutdown();
    log::debug!(
        "pending shutdown (/var/run/shutdown.pid names a live process): {}",
        shutdown
            .as_ref()
            .map_or("none".to_string(), |s| format!("PID {}", s.pid))
    );
    let (tracking, services) = service::gather(&runs);
    Ok(Report {
        booted: init_start_time(init.start_ticks),
        now: Local::now().fixed_offset(),
        now_monotonic_s: monotonic_seconds(),
        shutdown,
        tracking,
        services,
        runs,
        init,
    })
}

pub(crate) fn main(args: &[OsString]) -> i32 {
    let mut json_output = false;
    let mut schema = None;
    let operands = match parse_options_and_operands(
        args,
        USAGE,
        &[LongOpt::flag("json"), LongOpt::value("schema")],
        1,
        |name, value| match name {
            "json" => {
                json_output = true;
                Ok(())
            }
            "schema" => {
                schema = Some(text_value(name, value)?);
                Ok(())
            }
            _ => Err(format!("unknown option '--{name}'")),
        },
    ) {
        Parsed::Exit(code) => return usage_error(args, code),
        Parsed::Run(operands) => operands,
    };
    if let Some(schema) = schema {
        if !json_output {
            eprintln!("vinit status: --schema goes with --json");
            eprint!("{USAGE}");
            return 2;
        }
        if let Err((error, message)) = check_schema(&schema) {
            eprintln!("vinit status: {message}");
            println!("{}", json_error("status", error, &message, 2));
            return 2;
        }
    }
    let name = match operands.first().map(|name| crate::cmd::text_arg(name)) {
        Some(Ok(name)) => Some(name.to_string()),
        Some(Err(message)) => {
            eprintln!("vinit status: {message}");
            return usage_error(args, 2);
        }
        None => None,
    };
    match name {
        Some(name) => show_service(&name, json_output),
        None => show_all(json_output),
    }
}

/// Whether `--schema VALUE` is what this vinit writes (`2` or
/// `vinit-status/2`); else the error word and message of the refusal.
fn check_schema(value: &str) -> Result<(), (&'static str, String)> {
    let full = if value.contains('/') {
        value.to_string()
    } else {
        format!("vinit-status/{value}")
    };
    if full == JSON_SCHEMA {
        Ok(())
    } else if full == OLD_SCHEMA {
        Err((
            "schema-gone",
            format!(
                "{OLD_SCHEMA} is no longer written: --json writes {JSON_SCHEMA}, whose \
                 services list every init.d service, with a supervised object where /1 \
                 had the service itself; vinit(8), JSON OUTPUT, says how each field of \
                 /1 maps"
            ),
        ))
    } else {
        Err((
            "usage",
            format!("--schema {value:?}: this vinit writes {JSON_SCHEMA} only"),
        ))
    }
}

/// Prints why there is nothing to show (and its JSON document), returns
/// the exit status.
fn unavailable(why: &Unavailable, json_output: bool) -> i32 {
    let exit_status = why.report("vinit status");
    if json_output {
        println!(
            "{}",
            json_error("status", why.error_word(), why.reason(), exit_status)
        );
    }
    exit_status
}

fn show_all(json_output: bool) -> i32 {
    let report = match gather() {
        Ok(report) => report,
        Err(why) => return unavailable(&why, json_output),
    };
    if json_output {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&report)).unwrap_or_default()
        );
    } else {
        print!("{}", render(&report, use_colour()));
    }
    0
}

/// `vinit status NAME`. It needs PID 1 to be vinit, not its status file:
/// a service's files are there while init cannot write that one.
fn show_service(name: &str, json_output: bool) -> i32 {
    if let Err(why @ Unavailable::NotVinit(_)) = client::read() {
        return unavailable(&why, json_output);
    }
    let (runs, _) = record::read_dir(Path::new(RECORD_DIR));
    let Some(report) = service::gather_one(name, &runs) else {
        let message = format!(
            "no service {name:?}: no /etc/init.d/{name}, no settings for it in {} and no cgroup",
            crate::services::CONFIG_DIR
        );
        eprintln!("vinit status: {message}");
        if json_output {
            println!("{}", json_error("status", "no-service", &message, 1));
        }
        return 1;
    };
    if json_output {
        println!(
            "{}",
            serde_json::to_string_pretty(&service_to_json(&report)).unwrap_or_default()
        );
    } else {
        print!("{}", service::render_one(&report, use_colour()));
    }
    0
}

/// The last line of every script over all runs (the latest run wins), by name.
pub fn last_runs(runs: &[Run]) -> Vec<&Line> {
    let mut last: std::collections::BTreeMap<&str, &Line> = std::collections::BTreeMap::new();
    for line in runs.iter().flat_map(|r| &r.lines) {
        last.insert(line.script.as_str(), line);
    }
    last.into_values().collect()
}

/// A monotonic second as wall time, by its distance from now.
fn wall_of(report: &Report, monotonic_s: u64) -> DateTime<FixedOffset> {
    let ahead = i64::try_from(monotonic_s).unwrap_or(i64::MAX)
        - i64::try_from(report.now_monotonic_s).unwrap_or(i64::MAX);
    report.now + chrono::Duration::seconds(ahead)
}

fn level_name(level: char) -> String {
    match level {
        '#' => "sysinit (#)".to_string(),
        '*' => "boot (*)".to_string(),
        '-' => "none: a BusyBox inittab has no runlevels".to_string(),
        '!' => "none, going down: a BusyBox inittab has no runlevels".to_string(),
        other => other.to_string(),
    }
}

fn uptime_text(seconds: i64) -> String {
    let (days, hours, minutes) = (seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h {minutes} min"),
    }
}

fn state_colour(state: EntryState) -> Option<Colour> {
    match state {
        EntryState::Running => Some(Colour::Green),
        EntryState::Waiting => Some(Colour::Yellow),
        EntryState::Disabled => Some(Colour::Red),
        EntryState::Done => None,
        EntryState::NotInLevel | EntryState::Off => Some(Colour::Dim),
    }
}

pub(crate) fn result_colour(result: &str) -> Option<Colour> {
    match result {
        "ok" => Some(Colour::Green),
        "failed" | "timeout" => Some(Colour::Red),
        _ => Some(Colour::Yellow),
    }
}

fn cell(text: impl Into<String>, colour: Option<Colour>) -> Cell {
    match colour {
        Some(c) => Cell::coloured(text, c),
        None => Cell::plain(text),
    }
}

/// The human output.
pub fn render(report: &Report, colour: bool) -> String {
    let init = &report.init;
    let mut out = String::new();
    let label = |name: &str| paint(&format!("{name:<10}"), Colour::Bold, colour);
    let previous = match init.runlevel {
        // A BusyBox inittab has no levels to have come from.
        '-' | '!' => String::new(),
        _ => format!(" (previous {})", init.previous),
    };
    out.push_str(&format!(
        "{}{}{previous}{}\n",
        label("Runlevel"),
        level_name(init.runlevel),
        if init.changing {
            ", changing: stopping the old level's processes"
        } else {
            ""
        }
    ));
    if let Some(booted) = report.booted {
        out.push_str(&format!(
            "{}{}, up {}\n",
            label("Booted"),
            booted.format("%Y-%m-%d %H:%M:%S"),
            uptime_text((report.now - booted).num_seconds().max(0))
        ));
    }
    let shutdown = match &report.shutdown {
        None => "none pending".to_string(),
        Some(s) => {
            let mut text = format!("pending: {} (pid {})", s.command, s.pid);
            if let Some(notice) = &s.notice {
                text.push_str(&format!("; {notice}"));
            }
            text
        }
    };
    out.push_str(&format!("{}{shutdown}\n\n", label("Shutdown")));

    let mut entries = Table::new(
        &[
            "ID",
            "LEVELS",
            "ACTION",
            "STATE",
            "PID",
            "RESPAWNS",
            "LAST EXIT",
            "PROCESS",
        ],
        &[false, false, false, false, true, true, false, false],
    );
    let mut any_disabled = false;
    for entry in &init.entries {
        let state = match entry.disabled_until {
            Some(until) if entry.state == EntryState::Disabled => {
                any_disabled = true;
                format!(
                    "disabled until {}",
                    wall_of(report, until).format("%H:%M:%S")
                )
            }
            _ => entry.state.name().to_string(),
        };
        let shows_pid = matches!(entry.state, EntryState::Running);
        entries.push(vec![
            Cell::plain(entry.id.as_ref()),
            Cell::plain(if entry.levels.is_empty() {
                "-"
            } else {
                entry.levels.as_ref()
            }),
            Cell::plain(entry.action.as_ref()),
            cell(state, state_colour(entry.state)),
            Cell::plain(if shows_pid {
                entry.pid.to_string()
            } else {
                "-".to_string()
            }),
            Cell::plain(entry.respawns.to_string()),
            Cell::plain(
                entry
                    .last_status
                    .map_or("-".to_string(), describe_wait_status),
            ),
            Cell::plain(entry.process.as_ref()),
        ]);
    }
    out.push_str(&entries.render(colour));
    if any_disabled {
        out.push_str(&format!(
            "disabled: {LIMITER_REASON}; init tries again at the time shown\n"
        ));
    }

    out.push('\n');
    out.push_str(&service::render_all(
        &report.services,
        &report.tracking,
        report.now,
        colour,
    ));

    let lines = last_runs(&report.runs);
    out.push('\n');
    if lines.is_empty() {
        out.push_str("No rc run recorded in /run/vinit/rc.\n");
        return out;
    }
    out.push_str(&paint("Last rc run of each script", Colour::Bold, colour));
    out.push('\n');
    let mut scripts = Table::new(
        &[
            "SCRIPT", "LEVEL", "ACTION", "RESULT", "EXIT", "DURATION", "STARTED",
        ],
        &[false, false, false, false, false, true, false],
    );
    for line in lines {
        scripts.push(vec![
            Cell::plain(&line.script),
            Cell::plain(format!("{} -> {}", line.previous, line.level)),
            Cell::plain(&line.action),
            cell(&line.result, result_colour(&line.result)),
            Cell::plain(&line.status),
            Cell::plain(line.duration_ns().map_or("-".to_string(), seconds)),
            Cell::plain(
                DateTime::parse_from_rfc3339(&line.start_wall)
                    .map(|t| t.format("%H:%M:%S").to_string())
                    .unwrap_or_else(|_| "-".to_string()),
            ),
        ]);
    }
    out.push_str(&scripts.render(colour));
    out
}

/// `{"code": N}` or `{"signal": N, "core_dumped": bool}` for a wait status.
fn exit_json(status: i32) -> Value {
    if status & 0x7f == 0 {
        json!({ "code": (status >> 8) & 0xff })
    } else {
        json!({ "signal": status & 0x7f, "core_dumped": status & 0x80 != 0 })
    }
}

/// An rc record line as JSON (shared with `blame --json`).
pub(crate) fn line_json(line: &Line) -> Value {
    json!({
        "script": line.script,
        "action": line.action,
        "level": line.level,
        "previous": line.previous,
        "result": line.result,
        "exit_status": line.status,
        "duration_ms": line.duration_ns().map(|ns| ns / 1_000_000),
        "started": (line.start_wall != "-").then_some(&line.start_wall),
        "after": line.after,
        "killed": line.killed,
    })
}

/// The `--json` output, schema [`JSON_SCHEMA`] (documented in vinit.8).
pub fn to_json(report: &Report) -> Value {
    let init = &report.init;
    let entries: Vec<Value> = init
        .entries
        .iter()
        .map(|entry| {
            let disabled = entry.state == EntryState::Disabled;
            json!({
                "id": entry.id,
                "levels": entry.levels,
                "action": entry.action,
                "state": entry.state.name(),
                "pid": (entry.state == EntryState::Running).then_some(entry.pid),
                "respawns": entry.respawns,
                "last_exit": entry.last_status.map(exit_json),
                "disabled_until": entry
                    .disabled_until
                    .filter(|_| disabled)
                    .map(|until| wall_of(report, until).to_rfc3339()),
                "disabled_reason": disabled.then_some(LIMITER_REASON),
                "file": (!entry.file.is_empty()).then_some(&entry.file),
                "line": (entry.line > 0).then_some(entry.line),
                "process": entry.process,
            })
        })
        .collect();
    json!({
        "schema": JSON_SCHEMA,
        "runlevel": init.runlevel.to_string(),
        "previous": init.previous.to_string(),
        "changing": init.changing,
        "booted": report.booted.map(|t| t.to_rfc3339()),
        "shutdown": report.shutdown.as_ref().map(|s| json!({
            "pid": s.pid,
            "command": s.command,
            "notice": s.notice,
        })),
        "entries": entries,
        "tracking": service::tracking_json(&report.tracking),
        "services": report
            .services
            .iter()
            .map(|one| service::service_json(one, report.now, false))
            .collect::<Vec<_>>(),
        "scripts": last_runs(&report.runs).into_iter().map(line_json).collect::<Vec<_>>(),
    })
}

/// `vinit status NAME --json`, schema [`JSON_SCHEMA`]: the service's object
/// with its processes, limits and last output.
pub fn service_to_json(report: &ServiceReport) -> Value {
    json!({
        "schema": JSON_SCHEMA,
        "tracking": service::tracking_json(&report.tracking),
        "service": service::service_json(&report.service, report.now, true),
    })
}
