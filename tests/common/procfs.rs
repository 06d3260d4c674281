//! Reading `/proc` from the host: a process's status fields and CPU time, and the
//! processes of a namespace (those whose root is its PID 1's), for the namespace tests
//! and the benchmark.

use std::fs;
use std::path::Path;
use std::time::Duration;

/// A numeric field of `/proc/PID/status`, without its unit: `VmRSS`, `RssAnon` (kB),
/// `voluntary_ctxt_switches`.
pub fn status_field(pid: i32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("status of PID {pid}: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in:\n{status}"))
}

/// The user + system CPU time of `pid` so far, in clock ticks.
pub fn cpu_ticks(pid: i32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("stat of PID {pid}: {e}"));
    let after_comm = stat.rsplit_once(')').expect("stat").1;
    // Fields after the comm start at 3 (state); utime and stime are 14 and 15.
    after_comm
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|ticks| ticks.parse::<u64>().expect("ticks"))
        .sum()
}

/// [`cpu_ticks`] as a time (USER_HZ is 100 on Linux).
pub fn cpu_time(pid: i32) -> Duration {
    Duration::from_millis(cpu_ticks(pid) * 10)
}

/// The PID of `host_pid` inside its namespace (the last of its `NSpid` line).
pub fn namespace_pid(host_pid: i32) -> Option<i32> {
    fs::read_to_string(format!("/proc/{host_pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("NSpid:"))?
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

/// A process as the host's `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// As the host sees it (for `kill` from here).
    pub pid: i32,
    /// The state letter of `/proc/PID/stat` (`R`, `S`, `Z`…).
    pub state: char,
    /// The command line, its arguments joined with spaces.
    pub cmdline: String,
}

/// The processes whose root directory is `root` (those of a chrooted namespace).
pub fn processes_in(root: &Path) -> Vec<Process> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            if fs::read_link(entry.path().join("root")).ok()? != root {
                return None;
            }
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            let cmdline = fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline)
                .trim_end_matches('\0')
                .replace('\0', " ");
            Some(Process {
                pid,
                state,
                cmdline,
            })
        })
        .collect()
}

/// The processes of the namespace whose PID 1 is `pid1` (a host PID).
pub fn namespace_processes(pid1: i32) -> Vec<Process> {
    let root = fs::read_link(format!("/proc/{pid1}/root")).expect("root of PID 1");
    processes_in(&root)
}

/// The zombies among them.
pub fn zombies(pid1: i32) -> Vec<Process> {
    namespace_processes(pid1)
        .into_iter()
        .filter(|process| process.state == 'Z')
        .collect()
}
