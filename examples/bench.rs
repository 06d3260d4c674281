//! The measurements of `make bench` (scripts/bench.sh) that need PID 1 of a namespace or a
//! VM, built on the test harness (tests/common) so that they boot exactly as the tests do.
//! Every figure is printed as one tab-separated line, `figure<TAB>subject<TAB>value`, for
//! the script to put in its table:
//!
//! * `bench ns`: vinit's `init`, Debian's sysvinit `init` and BusyBox `init` in turn as
//!   PID 1 of a namespace with the same small inittab: PID 1's memory once it is idle
//!   (VmRSS, RssFile, RssAnon), the time to reap 2,000 orphans that exit at once (best
//!   of three), and the `telinit` round trip (request written to `/run/initctl` →
//!   RUN_LVL record in utmp), for the inits that have them.
//! * `bench ns-busybox BINARY`: a BusyBox inittab ([`BUSYBOX_INITTAB`]) with BINARY (vinit's
//!   small build) as `/sbin/init`, and with BusyBox's own init: PID 1's memory once idle,
//!   as `ns` measures it, the figures named `*_busybox_inittab`.
//! * `bench vm BOOTS`: the Debian root of the VM tests booted BOOTS times with sysvinit +
//!   startpar and BOOTS times with vinit's init + rc, alternating: seconds of uptime when
//!   the serial getty starts (after `rc 2` ends), and for vinit the scripts' own critical
//!   path in rc's run record. scripts/bench.sh holds the VM lock around it.
//!
//! Run with `cargo run --release --example bench -- ns`: it installs the `vinit` binary next
//! to it (target/release/vinit), the one whose size the table shows. `bench ns vinit` boots
//! only the inits named; with `BENCH_SMAPS=1`, each PID 1's mappings are listed on stderr.

#[path = "../tests/common/mod.rs"]
mod common;
use common::debian_pkg;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::debian::{PROMPT, RootCopy, debian_root, install_vinit};
use common::ns::{Pid1, TestRoot, is_fifo};
use common::poll_until;
use common::procfs;
use common::vm::Vm;
use vinit::initctl::{self, Request};
use vinit::rc::graph::{self, Direction, Script};
use vinit::rc::insserv_conf::Facilities;
use vinit::utmp;

/// The same for the three inits: sysvinit and vinit read every line; BusyBox, which has no
/// runlevels, skips `initdefault` with a message and runs the `sysinit` entry.
const INITTAB: &str = "id:2:initdefault:\nsi::sysinit:/bin/true\n";
/// The same for both inits, in BusyBox's grammar (which vinit reads as BusyBox does).
const BUSYBOX_INITTAB: &str = "::sysinit:/bin/true\n";
const ORPHANS: usize = 2000;
const ORPHAN_ROUNDS: usize = 3;
const ROUND_TRIPS: usize = 20;
/// Safety nets only.
const TIMEOUT: Duration = Duration::from_secs(120);
const VM_TIMEOUT: Duration = Duration::from_secs(900);
/// Makes $1 orphans that wait on the shell's stdin: each `( … & )` subshell leaves its
/// background `read` to PID 1 as it exits.
const ORPHAN_MAKER: &str =
    "exec 3<&0; i=0; while [ $i -lt $1 ]; do (read x <&3 &); i=$((i + 1)); done";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Init {
    Vinit,
    Sysvinit,
    Busybox,
}

impl Init {
    fn name(self) -> &'static str {
        match self {
            Init::Vinit => "vinit",
            Init::Sysvinit => "sysvinit",
            Init::Busybox => "busybox",
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("ns") => {
            let all = [Init::Vinit, Init::Sysvinit, Init::Busybox];
            // `bench ns vinit`: only the inits named.
            let named: Vec<&String> = args.get(2..).unwrap_or_default().iter().collect();
            for init in all {
                if named.is_empty() || named.iter().any(|n| *n == init.name()) {
                    bench_namespace(init);
                }
            }
            ExitCode::SUCCESS
        }
        Some("ns-busybox") => {
            let Some(binary) = args.get(2) else {
                eprintln!("usage: bench ns-busybox BINARY");
                return ExitCode::from(2);
            };
            bench_busybox_inittab(Init::Vinit, Some(Path::new(binary)));
            bench_busybox_inittab(Init::Busybox, None);
            ExitCode::SUCCESS
        }
        Some("vm") => {
            let boots = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(3);
            bench_vm(boots);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: bench ns [vinit|sysvinit|busybox...] | bench ns-busybox BINARY | bench vm [BOOTS]"
            );
            ExitCode::from(2)
        }
    }
}

fn figure(name: &str, subject: &str, value: impl std::fmt::Display) {
    println!("{name}\t{subject}\t{value}");
}

/// A namespace root whose `/sbin/init` is `init`.
fn root_for(init: Init) -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    if init == Init::Sysvinit {
        debian_pkg::install_real(&root, "init", "sbin/init");
    }
    root
}

fn bench_namespace(init: Init) {
    let root = root_for(init);
    let pid1 = match init {
        Init::Busybox => root.boot_program(&["/bin/busybox", "init"]),
        _ => root.boot(&[]),
    };
    let name = init.name();
    // Idle: the sysinit entry has run and been reaped, and (but for BusyBox) the FIFO is
    // open, so what is resident is what an idle init keeps.
    poll_until(TIMEOUT, || {
        let idle = children(pid1.host_pid()).is_empty()
            && (init == Init::Busybox || is_fifo(&root, "run/initctl"));
        idle.then_some(())
    })
    .unwrap_or_else(|| panic!("{name} never became idle; console:\n{}", pid1.console()));
    std::thread::sleep(Duration::from_millis(500));
    if std::env::var_os("BENCH_SMAPS").is_some() {
        print_mappings(pid1.host_pid());
    }
    for (key, kb) in memory(pid1.host_pid()) {
        figure(key, name, kb);
    }

    // The best of a few storms: other work on the machine only ever adds time.
    let (seconds, cpu_ms) = (0..ORPHAN_ROUNDS)
        .map(|_| reap_orphans(&pid1))
        .fold((f64::MAX, f64::MAX), |(s, c), (s2, c2)| {
            (s.min(s2), c.min(c2))
        });
    figure(
        "orphans_per_s",
        name,
        format!("{:.0}", ORPHANS as f64 / seconds),
    );
    figure("orphans_cpu_ms", name, format!("{cpu_ms:.1}"));

    if init != Init::Busybox {
        figure(
            "telinit_ms",
            name,
            format!("{:.2}", telinit_round_trip(&root)),
        );
    }
}

/// PID 1's memory with [`BUSYBOX_INITTAB`]: vinit (`binary` as its `/sbin/init`) or BusyBox's
/// init, once idle (the sysinit entry reaped and, for vinit, the FIFO open).
fn bench_busybox_inittab(init: Init, binary: Option<&Path>) {
    let root = TestRoot::new();
    root.write("etc/inittab", BUSYBOX_INITTAB);
    if let Some(binary) = binary {
        // The staged binary is hard-linked into the root: replace the link, not its file.
        let installed = root.join("lib/vinit/vinit");
        fs::remove_file(&installed).expect("remove the staged vinit");
        fs::copy(binary, &installed).expect("install the binary measured");
    }
    let pid1 = match init {
        Init::Busybox => root.boot_program(&["/bin/busybox", "init"]),
        _ => root.boot(&[]),
    };
    let name = init.name();
    poll_until(TIMEOUT, || {
        let idle = children(pid1.host_pid()).is_empty()
            && (init == Init::Busybox || is_fifo(&root, "run/initctl"));
        idle.then_some(())
    })
    .unwrap_or_else(|| panic!("{name} never became idle; console:\n{}", pid1.console()));
    std::thread::sleep(Duration::from_millis(500));
    if std::env::var_os("BENCH_SMAPS").is_some() {
        print_mappings(pid1.host_pid());
    }
    for (key, kb) in memory(pid1.host_pid()) {
        figure(&format!("{key}_busybox_inittab"), name, kb);
    }
}

/// PID 1's memory in kB (/proc/PID/status): VmRSS, and of it RssFile (pages of the
/// binary and its libraries) and RssAnon (heap, stack, written data: its private memory).
fn memory(pid: i32) -> Vec<(&'static str, u64)> {
    ["VmRSS", "RssFile", "RssAnon"]
        .into_iter()
        .map(|key| (key, procfs::status_field(pid, key)))
        .collect()
}

/// `BENCH_SMAPS=1`: the resident kB of each of PID 1's mappings, on stderr, to see
/// where its memory is (the binary, the C library, the loader, the heap).
fn print_mappings(pid: i32) {
    let smaps = fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut mapping = String::new();
    for line in smaps.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first().is_some_and(|w| w.contains('-')) {
            // `start-end perms offset dev inode [path]`
            let path = words.get(5).copied().unwrap_or("[anonymous]");
            mapping = format!("{path} {}", words.get(1).copied().unwrap_or(""));
        } else if let Some(kb) = line.strip_prefix("Rss:") {
            eprintln!("{:>8} {mapping}", kb.trim());
        }
    }
}

/// Host PIDs of the children of `pid`.
fn children(pid: i32) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// CPU time `pid` has used, in ns (/proc/PID/schedstat).
fn cpu_ns(pid: i32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Like [`poll_until`], every millisecond, for what is timed.
fn poll_fast(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// Runs [`ORPHAN_MAKER`] in the namespace: ORPHANS processes that PID 1 inherits, all
/// waiting on one pipe; then the pipe closes, they all exit at once, and the seconds until
/// PID 1 has reaped the last one are returned with PID 1's CPU time (ms) for the storm.
fn reap_orphans(pid1: &Pid1) -> (f64, f64) {
    let mut maker = pid1
        .command(&["/bin/sh", "-c", ORPHAN_MAKER, "sh", &ORPHANS.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the orphan maker");
    let orphans_adopted = || children(pid1.host_pid()).len() >= ORPHANS;
    poll_until(TIMEOUT, || orphans_adopted().then_some(()))
        .expect("PID 1 never adopted every orphan");
    let cpu_before = cpu_ns(pid1.host_pid());
    let started = Instant::now();
    // Closing the maker's stdin ends the pipe its orphans read.
    drop(maker.stdin.take());
    let reaped = poll_fast(|| children(pid1.host_pid()).is_empty());
    assert!(reaped, "PID 1 never reaped every orphan");
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_ns(pid1.host_pid()) - cpu_before;
    let _ = maker.wait();
    (seconds, cpu as f64 / 1e6)
}

/// Milliseconds from writing a runlevel request to `/run/initctl` until utmp's RUN_LVL
/// record shows the new level: the median of ROUND_TRIPS changes between 2 and 3.
fn telinit_round_trip(root: &TestRoot) -> f64 {
    let fifo = root.join("run/initctl");
    let utmp = root.join("run/utmp");
    let mut times = Vec::new();
    for n in 0..ROUND_TRIPS {
        let level = if n % 2 == 0 { b'3' } else { b'2' };
        let started = Instant::now();
        initctl::send(&fifo, &[Request::runlevel(level, 0)]).expect("write to /run/initctl");
        let reached = poll_fast(|| utmp::read_runlevel(&utmp).is_some_and(|(_, now)| now == level));
        assert!(reached, "the RUN_LVL record never came");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    median(&mut times)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Alternating boots of the Debian root: sysvinit + startpar, then vinit's init + rc.
fn bench_vm(boots: usize) {
    let debian = debian_root();
    let ours = RootCopy::of(&debian);
    install_vinit(&ours.path());
    // vinit's rc in place of Debian's /etc/init.d/rc (rcS execs it for level S too).
    let rc = ours.path().join("etc/init.d/rc");
    fs::remove_file(&rc).expect("remove Debian's /etc/init.d/rc");
    std::os::unix::fs::symlink("/lib/vinit/vinit", &rc).expect("link /etc/init.d/rc");
    for n in 0..boots {
        let (up, _) = boot_to_getty(&debian, false);
        figure("vm_getty_s", "sysvinit", format!("{up:.2}"));
        eprintln!("boot {n}: sysvinit+startpar {up:.2} s");
        let (up, critical) = boot_to_getty(&ours.path(), true);
        figure("vm_getty_s", "vinit", format!("{up:.2}"));
        figure("vm_critical_path_s", "vinit", format!("{critical:.2}"));
        eprintln!("boot {n}: vinit init+rc {up:.2} s (scripts' critical path {critical:.2} s)");
    }
}

/// Boots `root`, logs in on the serial console and returns the uptime (s) at which init
/// started the serial getty, which the inittab starts once `rc 2` has ended; with
/// `record`, also the scripts' critical path (s) in rc's run records of levels S and 2.
fn boot_to_getty(root: &Path, record: bool) -> (f64, f64) {
    let vm = Vm::boot_root_dir(root, "");
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    check(vm.expect("vinit-debian login: ", VM_TIMEOUT));
    vm.send_line("root");
    check(vm.expect(PROMPT, VM_TIMEOUT));
    // The login shell's parent is login, which is the getty init started (same PID).
    let started = shell(
        &vm,
        "echo $(( $(cut -d' ' -f22 /proc/$PPID/stat) * 100 / $(getconf CLK_TCK) ))",
    );
    let up = started.trim().parse::<f64>().unwrap_or(f64::NAN) / 100.0;
    let critical = if record {
        // One boot: the records of rc S and rc 2 are all there is.
        let rows = shell(&vm, "cat /run/vinit/rc/*.tsv");
        critical_path(root, &rows)
    } else {
        0.0
    };
    vm.send_line("poweroff");
    check(vm.expect("reboot: Power down", VM_TIMEOUT));
    let _ = vm.wait_exit(VM_TIMEOUT);
    (up, critical)
}

/// Runs `command` in the guest's root shell; its output, carriage returns removed.
fn shell(vm: &Vm, command: &str) -> String {
    vm.send_line(&format!("echo '::'begin; {command}; echo '::'end"));
    check_expect(vm, "::begin");
    let seen = check_expect(vm, "::end");
    check_expect(vm, PROMPT);
    seen.replace('\r', "")
        .trim_end()
        .strip_suffix("::end")
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn check_expect(vm: &Vm, needle: &str) -> String {
    vm.expect(needle, VM_TIMEOUT)
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}"))
}

/// The longest chain of scripts, each needing the one before (by their LSB headers, as
/// rc orders them), weighted by how long each ran in the run record `rows` (rc.8's
/// format); levels run one after the other, so theirs add up.
fn critical_path(root: &Path, rows: &str) -> f64 {
    // level -> script -> seconds
    let mut runs: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for line in rows.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(level), Some(script), Some(start), Some(end)) =
            (f.first(), f.get(2), f.get(5), f.get(6))
        else {
            continue;
        };
        let (Ok(start), Ok(end)) = (start.parse::<f64>(), end.parse::<f64>()) else {
            continue;
        };
        runs.entry(level.to_string())
            .or_default()
            .insert(script.to_string(), (end - start) / 1e9);
    }
    let scripts: Vec<Script> = fs::read_dir(root.join("etc/init.d"))
        .expect("read /etc/init.d")
        .flatten()
        .filter_map(|e| Script::read(&e.path()).ok())
        .collect();
    let (facilities, _) = Facilities::load(root);
    let mut total = 0.0;
    for durations in runs.values() {
        let set: BTreeSet<String> = durations.keys().cloned().collect();
        let Ok(graph) = graph::build(&scripts, &facilities, &set, Direction::Start) else {
            continue;
        };
        // Longest path ending at each script, in an order where predecessors come first.
        let mut finish: BTreeMap<usize, f64> = BTreeMap::new();
        while finish.len() < graph.names().len() {
            let before = finish.len();
            for i in 0..graph.names().len() {
                if finish.contains_key(&i) {
                    continue;
                }
                let preds = graph.predecessors(i);
                if preds.iter().all(|p| finish.contains_key(p)) {
                    let start = preds.iter().map(|p| finish[p]).fold(0.0, f64::max);
                    finish.insert(i, start + durations[&graph.names()[i]]);
                }
            }
            if finish.len() == before {
                break;
            }
        }
        total += finish.values().copied().fold(0.0, f64::max);
    }
    total
}
