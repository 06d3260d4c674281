//! The measurements of `make bench` (scripts/bench.sh) that need PID 1 of a namespace or a
//! VM, built on the test harness (tests/common) so that they boot exactly as the tests do.
//! Every figure is printed as one tab-separated line, `figure<TAB>subject<TAB>value`, for
//! the script to put in its table:
//!
//! * `bench ns`: vinit's `init`, Debian's sysvinit `init` and BusyBox `init` in turn as
//!   PID 1 of a namespace, each with three inittabs: a small one (`VmRSS`), Debian's own
//!   from sysvinit-core (`debian:VmRSS`: the rc lines and six gettys, a harmless stand-in
//!   program for getty and for rc) and one with 50 respawn entries (`respawn50:VmRSS`);
//!   PID 1's memory once it is idle (VmRSS, RssFile, RssAnon).
//! * `bench reap ROUNDS`: the three inits booted side by side with the small inittab, then
//!   ROUNDS storms of 2,000 orphans that exit at once, taken in turn (vinit, sysvinit,
//!   busybox, vinit, …): orphans reaped per second and PID 1's CPU for them; and ROUNDS
//!   rounds of `telinit` round trips (request written to `/run/initctl` → RUN_LVL record
//!   in utmp), in turn between vinit and sysvinit. Each figure is the median of the
//!   rounds, with their range (`…_range`, `min-max`).
//! * `bench supervise ROUNDS`: vinit as PID 1 with 1,000 supervised services (issue 17)
//!   and without any, side by side: PID 1's CPU per orphan reaped, in turn, median and
//!   range of ROUNDS storms each.
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
/// Respawn entries in the third inittab.
const RESPAWNS: usize = 50;
/// Stands in for getty in the inittabs with respawn entries: it stays, as getty does,
/// and touches no terminal.
const GETTY_STAND_IN: &str = "#!/bin/sh\nexec sleep 100000000\n";
/// Stands in for Debian's rc and rcS: the measurement is of init, not of the scripts.
const RC_STAND_IN: &str = "#!/bin/sh\nexit 0\n";
const ORPHANS: usize = 2000;
/// `telinit` round trips in one round (the round's figure is their median).
const TRIPS_PER_ROUND: usize = 5;
/// Supervised services in the supervision row (issue 17).
const SERVICES: usize = 1000;
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

/// The inittabs PID 1's memory is measured with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inittab {
    /// [`INITTAB`]: PID 1 never forks once booted.
    Small,
    /// Debian's `/etc/inittab` (sysvinit-core's `/usr/share/sysvinit/inittab`).
    Debian,
    /// [`RESPAWNS`] respawn entries besides Debian's rc lines.
    Respawns,
}

impl Inittab {
    /// The prefix of its figures' names.
    fn prefix(self) -> &'static str {
        match self {
            Inittab::Small => "",
            Inittab::Debian => "debian:",
            Inittab::Respawns => "respawn50:",
        }
    }

    /// The children PID 1 keeps once idle (the gettys).
    fn staying(self) -> usize {
        match self {
            Inittab::Small => 0,
            Inittab::Debian => 6,
            Inittab::Respawns => RESPAWNS,
        }
    }

    /// The file's text for `init`. BusyBox has no runlevels and takes the first field for
    /// a terminal: its file has the same commands in BusyBox's words (`::sysinit:`,
    /// `::wait:` for rc 2, `::respawn:`, `::ctrlaltdel:`).
    fn text(self, init: Init) -> String {
        let debian = fs::read_to_string(
            debian_pkg::unpacked_together(&["sysvinit-core", "sysvinit-utils"])
                .join("usr/share/sysvinit/inittab"),
        )
        .expect("read Debian's inittab from sysvinit-core");
        match (self, init) {
            (Inittab::Small, _) => INITTAB.to_string(),
            (Inittab::Debian, Init::Busybox) => {
                let mut text = String::from(
                    "::sysinit:/etc/init.d/rcS\n::wait:/etc/init.d/rc 2\n\
                     ::ctrlaltdel:/sbin/shutdown -t1 -a -r now\n",
                );
                for line in debian
                    .lines()
                    .filter(|l| !l.starts_with('#') && l.contains(":respawn:/sbin/getty"))
                {
                    let command = line.rsplit_once(":respawn:").map_or("", |(_, c)| c);
                    text.push_str(&format!("::respawn:{command}\n"));
                }
                text
            }
            (Inittab::Debian, _) => debian,
            (Inittab::Respawns, init) => {
                let mut text = if init == Init::Busybox {
                    String::from("::sysinit:/etc/init.d/rcS\n::wait:/etc/init.d/rc 2\n")
                } else {
                    String::from(
                        "id:2:initdefault:\nsi::sysinit:/etc/init.d/rcS\nl2:2:wait:/etc/init.d/rc 2\n",
                    )
                };
                for n in 0..RESPAWNS {
                    if init == Init::Busybox {
                        text.push_str(&format!("::respawn:/sbin/getty 38400 r{n}\n"));
                    } else {
                        text.push_str(&format!("r{n}:2345:respawn:/sbin/getty 38400 r{n}\n"));
                    }
                }
                text
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let rounds = || args.get(2).and_then(|n| n.parse().ok()).unwrap_or(5);
    match args.get(1).map(String::as_str) {
        Some("ns") => {
            let all = [Init::Vinit, Init::Sysvinit, Init::Busybox];
            // `bench ns vinit`: only the inits named.
            let named: Vec<&String> = args.get(2..).unwrap_or_default().iter().collect();
            for inittab in [Inittab::Small, Inittab::Debian, Inittab::Respawns] {
                for init in all {
                    if named.is_empty() || named.iter().any(|n| *n == init.name()) {
                        bench_memory(init, inittab);
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Some("reap") => {
            bench_reap(rounds());
            ExitCode::SUCCESS
        }
        Some("supervise") => {
            bench_supervised(rounds());
            ExitCode::SUCCESS
        }
        Some("vm") => {
            let boots = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(3);
            bench_vm(boots);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: bench ns [vinit|sysvinit|busybox...] | bench reap [ROUNDS] \
                 | bench supervise [ROUNDS] | bench vm [BOOTS]"
            );
            ExitCode::from(2)
        }
    }
}

fn figure(name: &str, subject: &str, value: impl std::fmt::Display) {
    println!("{name}\t{subject}\t{value}");
}

/// The median of `values` and their range, `min-max`, each with `decimals` decimals.
fn figures(name: &str, subject: &str, values: &[f64], decimals: usize) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
        return;
    };
    figure(name, subject, format!("{:.decimals$}", median(&mut sorted)));
    figure(
        &format!("{name}_range"),
        subject,
        format!("{min:.decimals$}-{max:.decimals$}"),
    );
}

/// A namespace root whose `/sbin/init` is `init`, with `inittab` and the stand-ins it names.
fn root_for(init: Init, inittab: Inittab) -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", inittab.text(init));
    if inittab != Inittab::Small {
        root.write_exec("sbin/getty", GETTY_STAND_IN);
        root.write_exec("etc/init.d/rcS", RC_STAND_IN);
        root.write_exec("etc/init.d/rc", RC_STAND_IN);
    }
    if init == Init::Sysvinit {
        debian_pkg::install_real(&root, "init", "sbin/init");
    }
    root
}

fn boot(init: Init, root: &TestRoot) -> Pid1 {
    match init {
        Init::Busybox => root.boot_program(&["/bin/busybox", "init"]),
        _ => root.boot(&[]),
    }
}

/// Waits until `pid1` is idle: the boot's entries have run and been reaped, the `staying`
/// children (stand-in gettys) run, and (but for BusyBox) the FIFO is open, so that what is
/// resident is what an idle init keeps.
fn wait_idle(init: Init, root: &TestRoot, pid1: &Pid1, staying: usize) {
    poll_until(TIMEOUT, || {
        let children = children(pid1.host_pid());
        let idle = children.len() == staying
            && children.iter().all(|&child| comm(child) == "sleep")
            && (init == Init::Busybox || is_fifo(root, "run/initctl"));
        idle.then_some(())
    })
    .unwrap_or_else(|| {
        let children: Vec<String> = children(pid1.host_pid())
            .into_iter()
            .map(|child| format!("{child} {}", comm(child)))
            .collect();
        panic!(
            "{} never became idle (children: {children:?}); console:\n{}",
            init.name(),
            pid1.console()
        )
    });
    std::thread::sleep(Duration::from_millis(500));
}

/// The name the kernel gives `pid` (`/proc/PID/comm`).
fn comm(pid: i32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn bench_memory(init: Init, inittab: Inittab) {
    let root = root_for(init, inittab);
    let pid1 = boot(init, &root);
    wait_idle(init, &root, &pid1, inittab.staying());
    if std::env::var_os("BENCH_SMAPS").is_some() {
        print_mappings(pid1.host_pid());
    }
    for (key, kb) in memory(pid1.host_pid()) {
        figure(&format!("{}{key}", inittab.prefix()), init.name(), kb);
    }
}

/// Orphans and `telinit` round trips, the inits taking turns round by round, so that a
/// change in the machine's load falls on all of them.
fn bench_reap(rounds: usize) {
    let booted: Vec<(Init, TestRoot, Pid1)> = [Init::Vinit, Init::Sysvinit, Init::Busybox]
        .into_iter()
        .map(|init| {
            let root = root_for(init, Inittab::Small);
            let pid1 = boot(init, &root);
            wait_idle(init, &root, &pid1, 0);
            (init, root, pid1)
        })
        .collect();
    let mut rates: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut cpu: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for round in 0..rounds {
        for (init, _, pid1) in &booted {
            let (seconds, cpu_ms) = reap_orphans(pid1);
            eprintln!(
                "round {round}: {} reaped {ORPHANS} orphans in {:.1} ms",
                init.name(),
                seconds * 1e3
            );
            rates
                .entry(init.name())
                .or_default()
                .push(ORPHANS as f64 / seconds);
            cpu.entry(init.name()).or_default().push(cpu_ms);
        }
    }
    let mut trips: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for _ in 0..rounds {
        for (init, root, _) in booted.iter().filter(|(init, ..)| *init != Init::Busybox) {
            trips
                .entry(init.name())
                .or_default()
                .push(telinit_round_trip(root));
        }
    }
    for (init, ..) in &booted {
        let name = init.name();
        figures("orphans_per_s", name, &rates[name], 0);
        figures("orphans_cpu_ms", name, &cpu[name], 1);
        if let Some(trips) = trips.get(name) {
            figures("telinit_ms", name, trips, 3);
        }
    }
}

/// PID 1's CPU per orphan reaped with [`SERVICES`] supervised services and with none,
/// storms in turn. Each service is a copy of Debian's cron script (3 kB, its pid file in
/// /run, written by root) with a settings file of its own, and a live daemon of its own
/// (a `sleep`, one per service: init knows a daemon by its PID, so a PID named by two pid
/// files would be one service's only).
fn bench_supervised(rounds: usize) {
    let plain = root_for(Init::Vinit, Inittab::Small);
    let supervised = root_for(Init::Vinit, Inittab::Small);
    let template =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/initd/cron"))
            .expect("read tests/fixtures/initd/cron");
    for n in 0..SERVICES {
        let name = format!("bench{n}");
        let script = template
            .replace(
                "Provides:          cron",
                &format!("Provides:          {name}"),
            )
            .replace("DAEMON=/usr/sbin/cron", "DAEMON=/bin/sleep")
            .replace(
                "PIDFILE=/var/run/crond.pid",
                &format!("PIDFILE=/run/{name}.pid"),
            );
        supervised.write_exec(&format!("etc/init.d/{name}"), script);
        supervised.write(&format!("etc/vinit/supervise.d/{name}"), "");
    }
    let without = boot(Init::Vinit, &plain);
    wait_idle(Init::Vinit, &plain, &without, 0);
    let with = boot(Init::Vinit, &supervised);
    wait_idle(Init::Vinit, &supervised, &with, 0);
    // The daemons: each `sleep` is left to PID 1 when the shell that started it exits.
    let started = with
        .command(&[
            "/bin/sh",
            "-c",
            "i=0; while [ $i -lt $1 ]; do
                 sleep 100000000 </dev/null >/dev/null 2>&1 &
                 echo $! >/run/bench$i.pid
                 i=$((i + 1))
             done",
            "sh",
            &SERVICES.to_string(),
        ])
        .status()
        .expect("start the daemons");
    assert!(started.success(), "starting the daemons failed");
    // init believes each pid file (root's, in root's /run) once it has read it.
    let state = supervised.join("run/vinit/supervise/state");
    poll_until(TIMEOUT, || {
        let text = fs::read_to_string(&state).ok()?;
        let running = text.lines().filter(|l| l.contains("\tpid=")).count();
        (running == SERVICES).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "init never took every daemon for its service; console:\n{}",
            with.console()
        )
    });
    let mut per_orphan: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for round in 0..rounds {
        for (subject, pid1) in [("none", &without), ("services", &with)] {
            let (_, cpu_ms) = reap_orphans(pid1);
            let ms = cpu_ms / ORPHANS as f64;
            eprintln!("round {round}: PID 1 CPU per orphan, {subject}: {ms:.4} ms");
            per_orphan.entry(subject).or_default().push(ms);
        }
    }
    for (subject, values) in &per_orphan {
        figures("orphan_cpu_ms", subject, values, 4);
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

/// Like [`poll_until`], every 50 µs, for what is timed (a round trip takes well under
/// a millisecond).
fn poll_fast(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_micros(50));
    }
    false
}

/// Runs [`ORPHAN_MAKER`] in the namespace: ORPHANS processes that PID 1 inherits, all
/// waiting on one pipe; then the pipe closes, they all exit at once, and the seconds until
/// PID 1 has reaped the last one are returned with PID 1's CPU time (ms) for the storm.
fn reap_orphans(pid1: &Pid1) -> (f64, f64) {
    let before = children(pid1.host_pid()).len();
    let mut maker = pid1
        .command(&["/bin/sh", "-c", ORPHAN_MAKER, "sh", &ORPHANS.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the orphan maker");
    let orphans_adopted = || children(pid1.host_pid()).len() >= before + ORPHANS;
    poll_until(TIMEOUT, || orphans_adopted().then_some(()))
        .expect("PID 1 never adopted every orphan");
    let cpu_before = cpu_ns(pid1.host_pid());
    let started = Instant::now();
    // Closing the maker's stdin ends the pipe its orphans read.
    drop(maker.stdin.take());
    let reaped = poll_fast(|| children(pid1.host_pid()).len() <= before);
    assert!(reaped, "PID 1 never reaped every orphan");
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_ns(pid1.host_pid()) - cpu_before;
    let _ = maker.wait();
    (seconds, cpu as f64 / 1e6)
}

/// Milliseconds from writing a runlevel request to `/run/initctl` until utmp's RUN_LVL
/// record shows the new level: the median of TRIPS_PER_ROUND changes between 2 and 3.
fn telinit_round_trip(root: &TestRoot) -> f64 {
    let fifo = root.join("run/initctl");
    let utmp = root.join("run/utmp");
    let mut times = Vec::new();
    for _ in 0..TRIPS_PER_ROUND {
        let now = utmp::read_runlevel(&utmp).map_or(b'2', |(_, now)| now);
        let level = if now == b'3' { b'2' } else { b'3' };
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
