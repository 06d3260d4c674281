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
//! * `bench tracking ROUNDS`: what tracking services by cgroup (issue 14) costs PID 1: two
//!   namespaces booted alike through Debian's inittab and vinit's rc into
//!   [`TRACKED_SERVICES`] supervised LSB services, one with cgroup2 and one without (as in a
//!   container without a delegated tree); in turn, ROUNDS times, every service is stopped
//!   and then started with `service`: PID 1's CPU per service start (median and range), and
//!   its memory once they run again (`tracking:VmRSS`, `tracking:RssAnon`).
//! * `bench boot ROUNDS`: vinit's init and rc booting a namespace ROUNDS times, through
//!   Debian's inittab and rcS into a tree of scripts that sleep (levels S, 2, and 3 after
//!   `telinit 3`), timed on the machine's monotonic clock: PID 1's exec (taken by the
//!   shell that execs it) to rc's first fork in level S, the request for level 3 to rc's
//!   first fork there, and rc's wall time minus the scripts' critical path per level, from
//!   rc's run records. The same figures as the VM's, at the machine's own speed.
//! * `bench ns-busybox BINARY`: a BusyBox inittab ([`BUSYBOX_INITTAB`]) with BINARY (vinit's
//!   small build) as `/sbin/init`, and with BusyBox's own init: PID 1's memory once idle,
//!   as `ns` measures it, the figures named `*_busybox_inittab`.
//! * `bench vm BOOTS`: the Debian root of the VM tests booted BOOTS times with sysvinit +
//!   startpar and BOOTS times with vinit's init + rc, alternating: seconds of uptime when
//!   the serial getty starts (after `rc 2` ends), and for vinit the scripts' own critical
//!   path in rc's run record. scripts/bench.sh holds the VM lock around it.
//!
//! * `bench pid1-layout`: vinit's init as PID 1 of a namespace under callgrind, through
//!   a boot with Debian's inittab, a supervised service's crash and restart, orphans,
//!   level changes, a respawn and a re-read; prints the linker script that gathers every
//!   function it ran (src/pid1/layout.ld, see build.rs). Needs a binary with its symbols
//!   and valgrind: `make pid1-layout` builds one and writes the file.
//!
//! Run with `cargo run --release --example bench -- ns`: it installs the `vinit` binary next
//! to it (target/release/vinit), the one whose size the table shows. `bench ns vinit` boots
//! only the inits named; with `BENCH_SMAPS=1`, each PID 1's mappings are listed on stderr (in the
//! VM too; `BENCH_DMESG=1` prints the guest's kernel log from PID 1's exec on and rc's run
//! records);
//! with `BENCH_HOLD=SECONDS`, each PID 1 is kept that long after it was measured, its host
//! PID on stderr, to be looked at (`/proc/PID/smaps`, strace, perf).

#[path = "../tests/common/mod.rs"]
mod common;
use common::debian_pkg;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime};
use common::debian::{PROMPT, RootCopy, debian_root, install_vinit};
use common::ns::{Pid1, TestRoot, is_fifo};
use common::poll_until;
use common::procfs;
use common::vm::Vm;
use vinit::initctl::{self, Request};
use vinit::rc::record;
use vinit::services::{Tracking, state};
use vinit::utmp;

/// The same for the three inits: sysvinit and vinit read every line; BusyBox, which has no
/// runlevels, skips `initdefault` with a message and runs the `sysinit` entry.
const INITTAB: &str = "id:2:initdefault:\nsi::sysinit:/bin/true\n";
/// The same for both inits, in BusyBox's grammar (which vinit reads as BusyBox does).
const BUSYBOX_INITTAB: &str = "::sysinit:/bin/true\n";
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
/// Services of the tracking row (issue 14).
const TRACKED_SERVICES: usize = 20;
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
        Some("ns-busybox") => {
            let Some(binary) = args.get(2) else {
                eprintln!("usage: bench ns-busybox BINARY");
                return ExitCode::from(2);
            };
            bench_busybox_inittab(Init::Vinit, Some(Path::new(binary)));
            bench_busybox_inittab(Init::Busybox, None);
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
        Some("tracking") => {
            bench_tracking(rounds());
            ExitCode::SUCCESS
        }
        Some("boot") => {
            bench_boot(rounds());
            ExitCode::SUCCESS
        }
        Some("pid1-layout") => {
            print!("{}", pid1_layout());
            ExitCode::SUCCESS
        }
        Some("vm") => {
            let boots = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(3);
            bench_vm(boots);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: bench ns [vinit|sysvinit|busybox...] | bench ns-busybox BINARY \
                 | bench reap [ROUNDS] | bench supervise [ROUNDS] | bench tracking [ROUNDS] | bench boot [ROUNDS] \
                 | bench vm [BOOTS] | bench pid1-layout"
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
    report_memory(init, &pid1, |key| format!("{}{key}", inittab.prefix()));
    if let Some(seconds) = std::env::var("BENCH_HOLD")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        eprintln!(
            "{} is PID {} on the host, root {}: held {seconds} s",
            init.name(),
            pid1.host_pid(),
            root.path().display()
        );
        std::thread::sleep(Duration::from_secs(seconds));
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

/// A root that boots as Debian does, vinit's rc in place of Debian's: Debian's inittab,
/// its rcS, a stand-in for getty; no scripts yet.
fn debian_boot_root() -> TestRoot {
    let root = TestRoot::new();
    root.write("etc/inittab", Inittab::Debian.text(Init::Vinit));
    root.write_exec("sbin/getty", GETTY_STAND_IN);
    root.write_exec("etc/init.d/rcS", DEBIAN_RCS);
    root.symlink("/lib/vinit/vinit", "etc/init.d/rc");
    root.write("etc/insserv.conf", "");
    root
}

/// A root booting through Debian's inittab and vinit's rc into [`TRACKED_SERVICES`]
/// supervised services, each a daemon (`sleep`) that detaches and writes its pid file.
fn tracking_root() -> TestRoot {
    let root = debian_boot_root();
    for n in 0..TRACKED_SERVICES {
        let name = format!("svc{n}");
        root.write_exec(
            &format!("etc/init.d/{name}"),
            common::detaching_daemon_script(&name, &format!("10000{n}")),
        );
        root.enable_service(&name);
        root.write(&format!("etc/vinit/supervise.d/{name}"), "");
    }
    root
}

/// The services PID 1's state file shows running under watch, with their daemon's pid.
fn services_watched(root: &TestRoot) -> usize {
    fs::read_to_string(root.join("run/vinit/supervise/state"))
        .unwrap_or_default()
        .lines()
        .filter(|line| {
            line.contains("\tphase=watching\t")
                && line
                    .split_once("\tpid=")
                    .is_some_and(|(_, pid)| pid.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count()
}

/// `service NAME ACTION` for every service of [`tracking_root`], from one shell in the
/// namespace.
fn every_service(pid1: &Pid1, action: &str) {
    let status = pid1
        .command(&[
            "/bin/sh",
            "-c",
            "i=0; while [ $i -lt $1 ]; do service svc$i $2 >/dev/null || exit 1; i=$((i + 1)); done",
            "sh",
            &TRACKED_SERVICES.to_string(),
            action,
        ])
        .status()
        .expect("run service");
    assert!(status.success(), "service ... {action} failed");
}

fn bench_tracking(rounds: usize) {
    let tracked_root = tracking_root();
    let untracked_root = tracking_root();
    let booted = [
        ("tracked", &tracked_root, tracked_root.boot(&[])),
        (
            "untracked",
            &untracked_root,
            untracked_root.boot_without_cgroups(&[]),
        ),
    ];
    let gettys = Inittab::Debian.staying();
    for (subject, root, pid1) in &booted {
        wait_idle(Init::Vinit, root, pid1, gettys + TRACKED_SERVICES);
        let state = fs::read_to_string(root.join("run/vinit/supervise/state")).unwrap_or_default();
        let tracking = state::parse(&state).0.tracking;
        assert_eq!(
            matches!(tracking, Some(Tracking::On { .. })),
            *subject == "tracked",
            "{subject}: tracking is {tracking:?}"
        );
    }
    let mut per_start: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for round in 0..rounds {
        for (subject, root, pid1) in &booted {
            every_service(pid1, "stop");
            poll_until(TIMEOUT, || {
                (services_watched(root) == 0 && children(pid1.host_pid()).len() == gettys)
                    .then_some(())
            })
            .unwrap_or_else(|| panic!("{subject}: the services never stopped"));
            // PID 1's work for a start ends with its last look at a pid file (0.1, 0.5
            // and 2 s after it changed: docs/supervision.md): measured past it.
            std::thread::sleep(Duration::from_secs(3));
            let before = cpu_ns(pid1.host_pid());
            every_service(pid1, "start");
            poll_until(TIMEOUT, || {
                (services_watched(root) == TRACKED_SERVICES).then_some(())
            })
            .unwrap_or_else(|| {
                panic!(
                    "{subject}: init never watched every service again; console:\n{}",
                    pid1.console()
                )
            });
            std::thread::sleep(Duration::from_secs(3));
            let ms = (cpu_ns(pid1.host_pid()) - before) as f64 / 1e6 / TRACKED_SERVICES as f64;
            eprintln!("round {round}: {subject}: PID 1 CPU per service start {ms:.3} ms");
            per_start.entry(subject).or_default().push(ms);
        }
    }
    for (subject, values) in &per_start {
        figures("start_cpu_ms", subject, values, 3);
    }
    for (subject, _, pid1) in &booted {
        for (key, kb) in memory(pid1.host_pid()) {
            figure(&format!("tracking:{key}"), subject, kb);
        }
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
    let pid1 = boot(init, &root);
    wait_idle(init, &root, &pid1, 0);
    report_memory(init, &pid1, |key| format!("{key}_busybox_inittab"));
}

/// The figures of `memory` for an idle `pid1`, each named by `name_of` (with its
/// mappings on stderr under `BENCH_SMAPS`).
fn report_memory(init: Init, pid1: &Pid1, name_of: impl Fn(&str) -> String) {
    if std::env::var_os("BENCH_SMAPS").is_some() {
        print_mappings(pid1.host_pid());
    }
    for (key, kb) in memory(pid1.host_pid()) {
        figure(&name_of(key), init.name(), kb);
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
/// record shows the new level: the median of TRIPS_PER_ROUND changes between 2 and 3,
/// each sent to an idle init (20 ms after the last: init writes the record first and
/// finishes the change, the re-read and its messages, after it).
fn telinit_round_trip(root: &TestRoot) -> f64 {
    let fifo = root.join("run/initctl");
    let utmp = root.join("run/utmp");
    let mut times = Vec::new();
    for _ in 0..TRIPS_PER_ROUND {
        std::thread::sleep(Duration::from_millis(20));
        let now = utmp::read_runlevel(&utmp).map_or(b'2', |(_, now)| now);
        let level = if now == b'3' { b'2' } else { b'3' };
        let started = Instant::now();
        initctl::send(&fifo, &[Request::runlevel(level, 0)]).expect("write to /run/initctl");
        // Read again and again (a read of utmp takes microseconds; a sleep between them,
        // at least 50 µs and its timer slack, was most of what was measured).
        let deadline = Instant::now() + TIMEOUT;
        while utmp::read_runlevel(&utmp).is_none_or(|(_, now)| now != level) {
            assert!(Instant::now() < deadline, "the RUN_LVL record never came");
            std::thread::yield_now();
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    median(&mut times)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Added to both Debian roots, linked by Debian's own `update-rc.d`: a script among the
/// first of level S and one that only level 3 starts (it runs for a second, as a daemon's
/// start might), each saying on the kernel log when it runs, so that the same clock
/// times both inits from PID 1's exec and from `telinit 3`.
const BENCH_SCRIPTS: [(&str, &str); 2] = [
    (
        "bench-first",
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: bench-first\n# Required-Start:\n\
         # Required-Stop:\n# Default-Start: S\n# Default-Stop:\n### END INIT INFO\n\
         [ \"$1\" = start ] && echo \"vinit-bench: first script\" >/dev/kmsg\nexit 0\n",
    ),
    (
        "bench-level3",
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: bench-level3\n# Required-Start:\n\
         # Required-Stop:\n# Default-Start: 3\n# Default-Stop:\n### END INIT INFO\n\
         [ \"$1\" = start ] || exit 0\necho \"vinit-bench: level 3 script\" >/dev/kmsg\n\
         sleep 1\nexit 0\n",
    ),
];

/// What one boot measured.
#[derive(Default)]
struct Boot {
    /// Uptime (s) when init started the serial getty.
    up: f64,
    /// PID 1's VmRSS, RssFile, RssAnon (kB) once booted.
    memory: Vec<(&'static str, u64)>,
    /// From PID 1's exec to the first script of level S writing its line (ms).
    exec_to_script_ms: f64,
    /// From `telinit 3` to the level-3 script writing its line (ms).
    telinit_to_script_ms: f64,
    /// vinit only, from rc's run records.
    rc: Option<RcFigures>,
}

/// What rc's run records say of one boot and the change to level 3.
struct RcFigures {
    /// The scripts' critical path in levels S and 2 (s).
    critical_s: f64,
    /// From PID 1's exec to rc's first fork in level S (ms).
    exec_to_fork_ms: f64,
    /// From `telinit 3` to rc's first fork in level 3 (ms).
    telinit_to_fork_ms: f64,
    /// Per level (S, 2, 3): rc's wall time and the scripts' critical path (ms).
    levels: Vec<(String, f64, f64)>,
}

/// Alternating boots of the Debian root: sysvinit + startpar, then vinit's init + rc.
fn bench_vm(boots: usize) {
    let debian = debian_root();
    let theirs = RootCopy::of(&debian);
    for (name, text) in BENCH_SCRIPTS {
        let script = theirs.path().join("etc/init.d").join(name);
        fs::write(&script, text).expect("write a bench script");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod a script");
        // Debian's update-rc.d, chrooted: it only makes links and insserv's makefiles.
        let linked = std::process::Command::new("chroot")
            .arg(theirs.path())
            .args(["/usr/sbin/update-rc.d", name, "defaults"])
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
            .expect("run update-rc.d in the Debian root");
        assert!(
            linked.status.success(),
            "update-rc.d {name}: {}",
            String::from_utf8_lossy(&linked.stderr)
        );
    }
    let ours = RootCopy::of(&theirs.path());
    install_vinit(&ours.path());
    // vinit's rc in place of Debian's /etc/init.d/rc (rcS execs it for level S too).
    let rc = ours.path().join("etc/init.d/rc");
    fs::remove_file(&rc).expect("remove Debian's /etc/init.d/rc");
    std::os::unix::fs::symlink("/lib/vinit/vinit", &rc).expect("link /etc/init.d/rc");
    let mut ratios = Vec::new();
    for n in 0..boots {
        let sysvinit = boot_and_measure(&theirs.path(), false);
        report_boot(n, "sysvinit", &sysvinit);
        let vinit = boot_and_measure(&ours.path(), true);
        report_boot(n, "vinit", &vinit);
        ratios.push(vinit.up / sysvinit.up);
        eprintln!("boot {n}: vinit / sysvinit {:.3}", vinit.up / sysvinit.up);
    }
    let mut sorted = ratios.clone();
    let (low, high) = bootstrap_median_interval(&ratios, 0.90);
    figure("vm_ratio", "vinit", format!("{:.3}", median(&mut sorted)));
    figure("vm_ratio_interval", "vinit", format!("{low:.3}-{high:.3}"));
}

/// Prints one boot's figures (each a line per boot: the script takes medians).
fn report_boot(n: usize, init: &str, boot: &Boot) {
    eprintln!(
        "boot {n}: {init} getty at {:.2} s, PID 1 exec to the first script {:.1} ms, \
         telinit 3 to the level-3 script {:.1} ms",
        boot.up, boot.exec_to_script_ms, boot.telinit_to_script_ms
    );
    let ms = |name: &str, value: f64| figure(name, init, format!("{value:.1}"));
    figure("vm_getty_s", init, format!("{:.2}", boot.up));
    for (key, kb) in &boot.memory {
        figure(&format!("vm_{key}"), init, kb);
    }
    ms("vm_exec_to_script_ms", boot.exec_to_script_ms);
    ms("vm_telinit_to_script_ms", boot.telinit_to_script_ms);
    if let Some(rc) = &boot.rc {
        figure("vm_critical_path_s", init, format!("{:.2}", rc.critical_s));
        ms("vm_exec_to_fork_ms", rc.exec_to_fork_ms);
        ms("vm_telinit_to_fork_ms", rc.telinit_to_fork_ms);
        for (level, wall, critical) in &rc.levels {
            let percent = 100.0 * (wall - critical) / critical;
            eprintln!(
                "boot {n}: rc {level}: {wall:.1} ms, critical path {critical:.1} ms, \
                 overhead {:.1} ms ({percent:.2} %)",
                wall - critical,
            );
            ms(&format!("vm_rc_overhead_ms_{level}"), wall - critical);
            figure(
                &format!("vm_rc_overhead_pct_{level}"),
                init,
                format!("{percent:.2}"),
            );
        }
    }
}

/// The `fraction` interval (e.g. 0.90: 5th to 95th percentile) of the median of `values`,
/// by the bootstrap: 10,000 resamples with replacement, drawn by a SplitMix64 generator
/// with a fixed seed, so that the same boots give the same interval.
fn bootstrap_median_interval(values: &[f64], fraction: f64) -> (f64, f64) {
    const RESAMPLES: usize = 10_000;
    let mut state: u64 = 0x5eed_b007_5eed_0f15;
    let mut next = move || {
        // SplitMix64 (Steele, Lea, Flood 2014).
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let n = values.len() as u64;
    let mut medians: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let mut sample: Vec<f64> = (0..n).map(|_| values[(next() % n) as usize]).collect();
            median(&mut sample)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - fraction) / 2.0;
    let at = |q: f64| medians[((RESAMPLES - 1) as f64 * q).round() as usize];
    (at(tail), at(1.0 - tail))
}

/// Boots `root`, logs in on the serial console, and measures (see [`Boot`]); `vinit`: the
/// root runs vinit's rc, whose run records are read too.
fn boot_and_measure(root: &Path, vinit: bool) -> Boot {
    // The bench's lines on the kernel log must not be lost to its rate limit.
    let vm = Vm::boot_root_dir(root, "printk.devkmsg=on");
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    check(vm.expect("vinit-debian login: ", VM_TIMEOUT));
    vm.send_line("root");
    check(vm.expect(PROMPT, VM_TIMEOUT));
    let mut boot = Boot::default();
    // The login shell's parent is login, which is the getty init started (same PID).
    let started = shell(
        &vm,
        "echo $(( $(cut -d' ' -f22 /proc/$PPID/stat) * 100 / $(getconf CLK_TCK) ))",
    );
    boot.up = started.trim().parse::<f64>().unwrap_or(f64::NAN) / 100.0;
    let status = shell(&vm, "grep -E '^(VmRSS|RssFile|RssAnon):' /proc/1/status");
    for key in ["VmRSS", "RssFile", "RssAnon"] {
        let kb = status
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in PID 1's status:\n{status}"));
        boot.memory.push((key, kb));
    }
    // The kernel log's clock against CLOCK_MONOTONIC (rc's run record): /proc/timer_list
    // says the monotonic time, read by the shell itself just before it writes the line.
    shell(
        &vm,
        "for i in 1 2 3; do { read -r a; read -r b; read -r now; } </proc/timer_list; \
         echo \"vinit-bench: calibrate $now\" >/dev/kmsg; done",
    );
    shell(
        &vm,
        "echo 'vinit-bench: telinit 3' >/dev/kmsg; telinit 3; \
         until dmesg | grep -q 'vinit-bench: level 3 script'; do sleep 0.2; done; sleep 2",
    );
    if std::env::var_os("BENCH_SMAPS").is_some() {
        eprintln!(
            "PID 1's mappings (resident kB):\n{}",
            shell(
                &vm,
                "awk '/^[0-9a-f]+-/ { m = $6 \" \" $2 } /^Rss:/ { print $2, m }' /proc/1/smaps"
            )
        );
    }
    if std::env::var_os("BENCH_DMESG").is_some() {
        eprintln!("{}", shell(&vm, "dmesg | sed -n '/Run \\/sbin\\/init/,$p'"));
    }
    let log = shell(&vm, "dmesg | grep -E 'Run /sbin/init|vinit-bench'");
    let kernel_log = KernelLog::parse(&log);
    let exec = kernel_log.at("Run /sbin/init as init process");
    let telinit = kernel_log.at("vinit-bench: telinit 3");
    boot.exec_to_script_ms = (kernel_log.at("vinit-bench: first script") - exec) / 1e6;
    boot.telinit_to_script_ms = (kernel_log.at("vinit-bench: level 3 script") - telinit) / 1e6;
    if vinit {
        let records = shell(
            &vm,
            "for f in /run/vinit/rc/*.tsv; do echo \"== ${f##*/}\"; cat \"$f\"; done",
        );
        if std::env::var_os("BENCH_DMESG").is_some() {
            eprintln!("{records}");
        }
        let interactive = interactive_scripts(root);
        boot.rc = Some(rc_figures(
            &records,
            &kernel_log,
            exec,
            telinit,
            &interactive,
        ));
    }
    vm.send_line("poweroff");
    check(vm.expect("reboot: Power down", VM_TIMEOUT));
    let _ = vm.wait_exit(VM_TIMEOUT);
    boot
}

/// The guest's kernel log lines the bench needs, with their times (ns of the kernel
/// log's clock), and that clock's offset from CLOCK_MONOTONIC.
struct KernelLog {
    lines: Vec<(f64, String)>,
    /// Kernel log time minus monotonic time (ns): the least of the calibration lines,
    /// each written just after the monotonic time it carries was read.
    offset_ns: f64,
}

impl KernelLog {
    fn parse(text: &str) -> KernelLog {
        let lines: Vec<(f64, String)> = text
            .lines()
            .filter_map(|line| {
                let (time, message) = line.trim_start_matches('[').split_once(']')?;
                let seconds: f64 = time.trim().parse().ok()?;
                Some((seconds * 1e9, message.trim().to_string()))
            })
            .collect();
        let offset_ns = lines
            .iter()
            .filter_map(|(at, message)| {
                // "vinit-bench: calibrate now at 12345 nsecs"
                let now: f64 = message
                    .strip_prefix("vinit-bench: calibrate now at ")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()?;
                Some(at - now)
            })
            .fold(f64::INFINITY, f64::min);
        assert!(
            offset_ns.is_finite(),
            "no calibration line in the kernel log:\n{text}"
        );
        KernelLog { lines, offset_ns }
    }

    /// The time of the first line that starts with `message`.
    fn at(&self, message: &str) -> f64 {
        self.lines
            .iter()
            .find(|(_, line)| line.starts_with(message))
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("{message:?} is not in the kernel log: {:?}", self.lines))
    }

    /// A CLOCK_MONOTONIC time (ns) on the kernel log's clock.
    fn on_log_clock(&self, ns: u64) -> f64 {
        ns as f64 + self.offset_ns
    }
}

/// rc's figures from its run records (`records`: each file's text after a line
/// `== NAME`), timed against PID 1's exec and `telinit 3` on the kernel log's clock.
fn rc_figures(
    records: &str,
    log: &KernelLog,
    exec: f64,
    telinit: f64,
    interactive: &BTreeSet<String>,
) -> RcFigures {
    let mut runs = Vec::new();
    let mut current: Option<(String, String)> = None;
    let finish = |current: Option<(String, String)>, runs: &mut Vec<record::Run>| {
        if let Some((name, text)) = current {
            let run = record::parse(&name, &text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
            runs.push(run);
        }
    };
    for line in records.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            finish(current.take(), &mut runs);
            current = Some((name.to_string(), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    finish(current.take(), &mut runs);
    let first_fork = |level: &str| -> f64 {
        let run = runs
            .iter()
            .find(|run| run.level == level)
            .unwrap_or_else(|| panic!("no run record of level {level}"));
        let start = run.lines.iter().filter_map(|l| l.start_ns).min();
        log.on_log_clock(start.unwrap_or_else(|| panic!("no script ran in level {level}")))
    };
    for run in &runs {
        let start = log.on_log_clock(rc_start_ns(run) as u64);
        let fork = first_fork(&run.level);
        eprintln!(
            "rc {}: started {:.1} ms after PID 1's exec, {:.1} ms after telinit 3; \
             first fork {:.1} ms after its start (kernel log - monotonic: {:.3} ms)",
            run.level,
            (start - exec) / 1e6,
            (start - telinit) / 1e6,
            (fork - start) / 1e6,
            log.offset_ns / 1e6
        );
    }
    let mut levels = Vec::new();
    let mut boot_critical = 0.0;
    for run in &runs {
        let critical = critical_path_ns(run, interactive) / 1e6;
        let wall = (run_end_ns(run) - rc_start_ns(run)) / 1e6;
        // Entered from N: part of the boot.
        if run.previous == "N" {
            boot_critical += critical / 1e3;
        }
        levels.push((run.level.clone(), wall, critical));
    }
    RcFigures {
        critical_s: boot_critical,
        exec_to_fork_ms: (first_fork("S") - exec) / 1e6,
        telinit_to_fork_ms: (first_fork("3") - telinit) / 1e6,
        levels,
    }
}

/// The scripts of `root`'s /etc/init.d whose LSB header says `X-Interactive: true`.
fn interactive_scripts(root: &Path) -> BTreeSet<String> {
    let dir = root.join("etc/init.d");
    fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let text = fs::read_to_string(entry.path()).ok()?;
            let header = vinit::rc::lsb::parse(&text, &entry.path()).ok()??;
            header
                .interactive
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

/// The longest chain of scripts in `run`, each waiting for those in its `after` column
/// (what rc resolved from the LSB headers), weighted by how long each ran: stops, then
/// starts, one phase after the other. A script of `interactive` runs alone (as startpar
/// runs it, on the console): in the order rc ran them, it waits for every script started
/// before it, and every script started after it waits for it. ns.
fn critical_path_ns(run: &record::Run, interactive: &BTreeSet<String>) -> f64 {
    let mut total = 0.0;
    for action in ["stop", "start"] {
        let lines: BTreeMap<&str, &record::Line> = run
            .lines
            .iter()
            .filter(|line| line.action == action && duration_ns(line).is_some())
            .map(|line| (line.script.as_str(), line))
            .collect();
        let mut finish: BTreeMap<&str, f64> = BTreeMap::new();
        while finish.len() < lines.len() {
            let before = finish.len();
            for (name, line) in &lines {
                if finish.contains_key(name) {
                    continue;
                }
                let alone = |other: &record::Line| {
                    interactive.contains(&line.script) || interactive.contains(&other.script)
                };
                let waits: Vec<&str> = line
                    .after
                    .iter()
                    .map(String::as_str)
                    .filter(|after| lines.contains_key(after))
                    .chain(
                        lines
                            .iter()
                            .filter(|(_, other)| other.start_ns < line.start_ns && alone(other))
                            .map(|(name, _)| *name),
                    )
                    .collect();
                if waits.iter().all(|after| finish.contains_key(after)) {
                    let start = waits.iter().map(|after| finish[after]).fold(0.0, f64::max);
                    let took = duration_ns(line).unwrap_or(0) as f64;
                    finish.insert(name, start + took);
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

fn duration_ns(line: &record::Line) -> Option<u64> {
    Some(line.end_ns?.saturating_sub(line.start_ns?))
}

/// When the last script of `run` ended (CLOCK_MONOTONIC, ns).
fn run_end_ns(run: &record::Run) -> f64 {
    run.lines.iter().filter_map(|l| l.end_ns).max().unwrap_or(0) as f64
}

/// When rc started (CLOCK_MONOTONIC, ns): the record's name is rc's local wall time as it
/// began (`20261201T112903.123456789-N-S.tsv`), put on the monotonic clock by a line that
/// has both times.
fn rc_start_ns(run: &record::Run) -> f64 {
    let started = run
        .name
        .split('-')
        .next()
        .and_then(|stamp| NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.f").ok())
        .unwrap_or_else(|| panic!("no start time in the record's name {}", run.name));
    let line = run
        .lines
        .iter()
        .find(|line| line.start_ns.is_some())
        .unwrap_or_else(|| panic!("no script ran in {}", run.name));
    let wall = DateTime::parse_from_rfc3339(&line.start_wall)
        .unwrap_or_else(|e| panic!("{}: {e}", line.start_wall))
        .naive_local();
    let before = (wall - started).num_nanoseconds().unwrap_or(0) as f64;
    line.start_ns.unwrap_or(0) as f64 - before
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

/// Valgrind's files that callgrind needs in the namespace's root.
const VALGRIND_FILES: [&str; 3] = [
    "/usr/libexec/valgrind/callgrind-amd64-linux",
    "/usr/libexec/valgrind/vgpreload_core-amd64-linux.so",
    "/usr/libexec/valgrind/default.supp",
];

/// The linker script of src/pid1/layout.ld, from a profile of PID 1 (see [`profile_pid1`]):
/// each function it ran, as an input-section pattern: Rust's by their mangled name without
/// its hash (so that the file outlives a new compiler or a changed dependency), the C
/// library's by the archive member that defines them (all of a string function's CPU
/// variants: valgrind's CPU is not the machine's).
fn pid1_layout() -> String {
    let bin = common::vinit_bin();
    let symbols = std::process::Command::new("nm")
        .arg(&bin)
        .output()
        .expect("run nm");
    assert!(
        String::from_utf8_lossy(&symbols.stdout).contains("_ZN5vinit4pid14main"),
        "{} has no symbols: build it with CARGO_PROFILE_RELEASE_STRIP=false (make pid1-layout does)",
        bin.display()
    );
    // A system without supervised services and one with a service that crashes.
    let mut ran = profile_pid1(false);
    ran.extend(profile_pid1(true));
    let members = archive_members();
    let mut rust = BTreeSet::new();
    let mut c = BTreeSet::new();
    for name in &ran {
        if name.starts_with("_ZN") {
            let base = strip_legacy_hash(name);
            rust.insert(format!("*(.text.{base}* .text.unlikely.{base}*)"));
        } else if name.starts_with("_R") {
            let base = v0_pattern(name);
            rust.insert(format!("*(.text.{base} .text.unlikely.{base})"));
        } else if let Some((archive, member)) = members.get(name.as_str()) {
            match string_variant_family(member) {
                Some(family) => {
                    c.insert(format!("*{archive}:{family}.o(.text .text.*)"));
                    c.insert(format!("*{archive}:{family}-*.o(.text .text.*)"));
                }
                None => {
                    c.insert(format!("*{archive}:{member}(.text .text.*)"));
                }
            }
        } else if !name.starts_with("0x") && !name.contains(' ') {
            // A plain name in Rust's object (`main`).
            rust.insert(format!("*(.text.{name})"));
        }
    }
    // Run natively but not under valgrind: glibc takes the loader's lock at start.
    for member in ["pthread_mutex_lock.o", "pthread_mutex_unlock.o"] {
        c.insert(format!("*libc.a:{member}(.text .text.*)"));
    }
    let mut script = String::from(
        "/* The code vinit's PID 1 runs, in one output section after the others' code, so that
   PID 1 maps only these pages of the binary (build.rs links the vinit binary with this
   script; README.md, Benchmarks). Written by `make pid1-layout` from a profile of
   vinit's init as PID 1 under callgrind (examples/bench.rs, `bench pid1-layout`); write
   it again when PID 1's code changes. Rust functions are named by their mangled name
   without its hash; C library functions by their archive member. */
SECTIONS
{
  .init : { KEEP (*(SORT_NONE(.init))) }
  .text.pid1 : {
    /* The program's entry and start-up hooks. */
    *crt1.o(.text)
    *crtbegin*.o(.text)
",
    );
    for pattern in rust.iter().chain(&c) {
        script.push_str(&format!("    {pattern}\n"));
    }
    script.push_str("  }\n}\nINSERT AFTER .text;\n");
    script
}

/// `_ZN...17h0123456789abcdefE` without the hash at its end, which changes with the
/// compiler and the crate's metadata.
fn strip_legacy_hash(name: &str) -> &str {
    match name.rsplit_once("17h") {
        Some((base, hash))
            if hash.len() == 17
                && hash.ends_with('E')
                && hash[..16].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            base
        }
        _ => name,
    }
}

/// A v0-mangled name (`_R...`) with a `*` for each crate disambiguator (`Cs<base 62>_`)
/// and back-reference (`B<base 62>_`), which change with the compiler.
fn v0_pattern(name: &str) -> String {
    let mut out = String::new();
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let marker = if bytes[i] == b'C' && bytes.get(i + 1) == Some(&b's') {
            Some(2)
        } else if bytes[i] == b'B' {
            Some(1)
        } else {
            None
        };
        if let Some(skip) = marker {
            let digits = bytes[i + skip..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if bytes.get(i + skip + digits) == Some(&b'_') {
                out.push_str(&name[i..i + skip]);
                out.push_str("*_");
                i += skip + digits + 1;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

/// The family of a string function's CPU variant (`memmove-avx-unaligned-erms.o` →
/// `memmove`), `None` for any other member.
fn string_variant_family(member: &str) -> Option<&str> {
    let (family, variant) = member.split_once('-')?;
    ["sse", "ssse", "avx", "evex"]
        .iter()
        .any(|isa| variant.starts_with(isa))
        .then_some(family)
}

/// Each C function of the static libraries the binary links (libc.a, libm.a, libgcc.a,
/// libgcc_eh.a): `name -> (archive pattern, member)`. libm.a is a linker script naming
/// libm-VERSION.a, hence a pattern.
fn archive_members() -> BTreeMap<String, (String, String)> {
    let mut members = BTreeMap::new();
    for archive in ["libc.a", "libm.a", "libgcc.a", "libgcc_eh.a"] {
        let path = std::process::Command::new("cc")
            .arg(format!("-print-file-name={archive}"))
            .output()
            .expect("run cc -print-file-name");
        let mut path = std::path::PathBuf::from(String::from_utf8_lossy(&path.stdout).trim());
        let mut pattern = archive.to_string();
        if archive == "libm.a"
            && let Some(versioned) = fs::read_dir(path.parent().unwrap_or(Path::new("/")))
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .find(|file| {
                    let name = file.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with("libm-") && name.ends_with(".a")
                })
        {
            path = versioned;
            pattern = "libm*.a".to_string();
        }
        let listing = std::process::Command::new("nm")
            .args(["-A", "--defined-only"])
            .arg(&path)
            .output()
            .expect("run nm");
        // `/usr/lib/.../libc.a:memcpy.o:0000000000000000 T memcpy`
        for line in String::from_utf8_lossy(&listing.stdout).lines() {
            let Some((place, symbol)) = line.rsplit_once(' ') else {
                continue;
            };
            let mut parts = place.split(':');
            let (Some(_), Some(member)) = (parts.next(), parts.next()) else {
                continue;
            };
            members
                .entry(symbol.to_string())
                .or_insert_with(|| (pattern.clone(), member.to_string()));
        }
    }
    members
}

/// The functions (mangled names) vinit's init runs as PID 1 under callgrind, from its
/// boot to the end of a workload that takes it through what it does on a running system;
/// `supervised`: with a supervised service, whose daemon crashes once.
fn profile_pid1(supervised: bool) -> BTreeSet<String> {
    let root = root_for(Init::Vinit, Inittab::Debian);
    // As on a real boot: rcS mounts a tmpfs on /run (init makes its FIFO and files there
    // again) where bootmisc makes utmp, and init's messages go to the kernel log (here a
    // null device named so: the host's kernel log is left alone).
    root.write_exec(
        "etc/init.d/rcS",
        "#!/bin/sh\nmount -t tmpfs run /run && : >/run/utmp\nexit 0\n",
    );
    let null = std::process::Command::new("mknod")
        .arg(root.join("dev/kmsg"))
        .args(["c", "1", "3"])
        .status()
        .expect("run mknod");
    assert!(null.success(), "mknod /dev/kmsg");
    if supervised {
        root.write_exec(
            "etc/init.d/profiled",
            common::detaching_daemon_script("profiled", "100000"),
        );
        root.write("etc/vinit/supervise.d/profiled", "");
    }
    root.install_host_program("/usr/bin/valgrind.bin");
    root.install_host_program("/usr/bin/vgdb");
    root.mkdir("usr/libexec/valgrind");
    for file in VALGRIND_FILES {
        fs::copy(file, root.join(file))
            .unwrap_or_else(|e| panic!("copy {file}: {e} (install valgrind)"));
    }
    let pid1 = root.boot_program(&[
        "/usr/bin/valgrind.bin",
        "--tool=callgrind",
        "--callgrind-out-file=/tmp/callgrind.%p",
        "--demangle=no",
        "/sbin/init",
    ]);
    wait_idle(Init::Vinit, &root, &pid1, Inittab::Debian.staying());
    // /run is the namespace's own tmpfs now: read it from inside.
    let daemon = || -> Option<String> {
        let text = pid1.run(&["cat", "/run/vinit/supervise/state"]).stdout;
        let text = String::from_utf8_lossy(&text);
        let pid = text.split("\tpid=").nth(1)?.split('\t').next()?.trim();
        pid.parse::<i32>().is_ok().then(|| pid.to_string())
    };
    if supervised {
        pid1.run_ok(&["/etc/init.d/profiled", "start"]);
        let first =
            poll_until(TIMEOUT, daemon).expect("init never took the daemon for the service's");
        // A crash: init restarts the service.
        pid1.run_ok(&["kill", "-SEGV", &first]);
        poll_until(TIMEOUT, || daemon().filter(|pid| *pid != first))
            .expect("init never restarted the service");
    }
    let orphans = pid1
        .command(&["/bin/sh", "-c", ORPHAN_MAKER, "sh", "200"])
        .stdin(std::process::Stdio::null())
        .status()
        .expect("make orphans");
    assert!(orphans.success());
    // Requests in a row (those that come during a level change wait for its end), then
    // one at a time.
    pid1.run_ok(&["/bin/sh", "-c", "telinit 3; telinit 2; telinit 3"]);
    for level in ["2", "3", "2"] {
        pid1.run_ok(&["/sbin/telinit", level]);
        poll_until(TIMEOUT, || {
            let now = pid1.run(&["/sbin/runlevel"]).stdout;
            String::from_utf8_lossy(&now)
                .trim()
                .ends_with(level)
                .then_some(())
        })
        .unwrap_or_else(|| panic!("init never reached level {level}"));
    }
    // A getty dies: init starts another.
    let getty = children(pid1.host_pid())
        .into_iter()
        .find(|&child| comm(child) == "sleep")
        .expect("a getty");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(getty),
        nix::sys::signal::Signal::SIGTERM,
    );
    pid1.run_ok(&["/sbin/telinit", "q"]);
    wait_idle(
        Init::Vinit,
        &root,
        &pid1,
        Inittab::Debian.staying() + usize::from(supervised),
    );
    // vgdb asks callgrind to write its profile; init must run a little to take the
    // request, so children come and go meanwhile.
    let mut vgdb = pid1
        .command(&["/usr/bin/vgdb", "--pid=1", "dump"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run vgdb");
    let dumped = poll_until(TIMEOUT, || {
        let _ = pid1.run(&["/bin/sh", "-c", "(true &)"]);
        vgdb.try_wait().ok().flatten()
    });
    assert!(
        dumped.is_some_and(|status| status.success()),
        "callgrind never wrote its profile"
    );
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(root.join("tmp")).expect("read /tmp").flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("callgrind.")
        {
            continue;
        }
        let text = fs::read_to_string(entry.path()).unwrap_or_default();
        // `fn=(12) name` or `cfn=(12) name` (a name is given once, then only its number).
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("fn=(").or(line.strip_prefix("cfn=(")) else {
                continue;
            };
            if let Some((_, name)) = rest.split_once(") ") {
                // callgrind marks recursion depth as `name'2`.
                let name = name.split('\'').next().unwrap_or(name);
                names.insert(name.to_string());
            }
        }
    }
    assert!(
        names.iter().any(|name| name.starts_with("_ZN5vinit4pid1")),
        "no profile of PID 1 in its /tmp"
    );
    names
}

/// The scripts of `bench boot`: name, level, what it waits for, seconds it sleeps. Level S
/// is a DAG four deep (as Debian's rcS.d: mounts, then devices, then the rest), level 2 a
/// dozen daemons, level 3 one script of its own.
const BOOT_SCRIPTS: &[(&str, &str, &str, &str)] = &[
    ("mountkernfs", "S", "", "0.05"),
    ("udev", "S", "mountkernfs", "0.2"),
    ("mountdevsubfs", "S", "mountkernfs", "0.05"),
    ("checkroot", "S", "udev mountdevsubfs", "0.1"),
    ("hostname", "S", "", "0.02"),
    ("mountall", "S", "checkroot", "0.1"),
    ("procps", "S", "mountall", "0.05"),
    ("urandom", "S", "mountall", "0.05"),
    ("networking", "S", "mountall urandom", "0.2"),
    ("bootmisc", "S", "mountall", "0.02"),
    ("rsyslog", "2", "", "0.1"),
    ("cron", "2", "rsyslog", "0.05"),
    ("ssh", "2", "rsyslog", "0.1"),
    ("nginx", "2", "rsyslog", "0.15"),
    ("dbus", "2", "", "0.1"),
    ("exim4", "2", "rsyslog", "0.2"),
    ("atd", "2", "", "0.05"),
    ("rc.local", "2", "cron ssh nginx", "0.05"),
    ("level3only", "3", "", "0.2"),
];

/// Debian's /etc/init.d/rcS (initscripts).
const DEBIAN_RCS: &str = "#! /bin/sh\nPATH=/sbin:/bin:/usr/sbin:/usr/bin\nexec /etc/init.d/rc S\n";

/// `bench boot`: see the module's documentation.
fn bench_boot(rounds: usize) {
    let mut figures_by_name: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for round in 0..rounds {
        let root = debian_boot_root();
        for (name, level, after, seconds) in BOOT_SCRIPTS {
            let default_start = if *level == "2" { "2 3 4 5" } else { level };
            root.write_exec(
                &format!("etc/init.d/{name}"),
                format!(
                    "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {name}\n# Required-Start: {after}\n\
                     # Default-Start: {default_start}\n### END INIT INFO\n\
                     [ \"$1\" = start ] && sleep {seconds}\nexit 0\n"
                ),
            );
            for level in default_start.split(' ') {
                root.symlink(
                    &format!("../init.d/{name}"),
                    &format!("etc/rc{level}.d/S01{name}"),
                );
            }
        }
        // The shell that becomes PID 1 takes the monotonic time just before its exec.
        let pid1 = root.boot_program(&[
            "/bin/sh",
            "-c",
            "{ read -r a; read -r b; read -r now; } </proc/timer_list; \
             echo \"$now\" >/run/bench-exec; exec /sbin/init",
        ]);
        wait_idle(Init::Vinit, &root, &pid1, Inittab::Debian.staying());
        let exec: f64 = fs::read_to_string(root.join("run/bench-exec"))
            .ok()
            .and_then(|line| line.split_whitespace().nth(2)?.parse().ok())
            .expect("the exec's time in /run/bench-exec");
        let requested = monotonic_ns();
        initctl::send(&root.join("run/initctl"), &[Request::runlevel(b'3', 0)])
            .expect("write to /run/initctl");
        let runs = poll_until(TIMEOUT, || {
            let runs = run_records(&root.join("run/vinit/rc"));
            let level3 = runs.iter().find(|run| run.level == "3")?;
            let done = !level3.lines.is_empty() && level3.lines.iter().all(|l| l.end_ns.is_some());
            done.then_some(runs)
        })
        .expect("rc 3 never finished");
        let first_fork = |level: &str| -> f64 {
            runs.iter()
                .find(|run| run.level == level)
                .and_then(|run| run.lines.iter().filter_map(|line| line.start_ns).min())
                .unwrap_or_else(|| panic!("no script ran in level {level}")) as f64
        };
        let mut add = |name: String, value: f64| {
            figures_by_name.entry(name).or_default().push(value);
        };
        let exec_to_fork = (first_fork("S") - exec) / 1e6;
        let telinit_to_fork = (first_fork("3") - requested) / 1e6;
        eprintln!(
            "round {round}: exec to rc's first fork {exec_to_fork:.2} ms, \
             level 3 requested to its first fork {telinit_to_fork:.2} ms"
        );
        add("boot_exec_to_fork_ms".into(), exec_to_fork);
        add("boot_telinit_to_fork_ms".into(), telinit_to_fork);
        for run in &runs {
            let critical = critical_path_ns(run, &BTreeSet::new()) / 1e6;
            let wall = (run_end_ns(run) - rc_start_ns(run)) / 1e6;
            eprintln!(
                "round {round}: rc {}: {wall:.1} ms, critical path {critical:.1} ms",
                run.level
            );
            add(
                format!("boot_rc_overhead_ms_{}", run.level),
                wall - critical,
            );
            add(
                format!("boot_rc_overhead_pct_{}", run.level),
                100.0 * (wall - critical) / critical,
            );
        }
    }
    for (name, values) in &figures_by_name {
        figures(name, "vinit", values, 2);
    }
}

/// CLOCK_MONOTONIC now, in ns (the clock rc's run records use).
fn monotonic_ns() -> f64 {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock_gettime");
    now.tv_sec() as f64 * 1e9 + now.tv_nsec() as f64
}

/// The run records rc wrote in `dir`, oldest first (unreadable ones left out).
fn run_records(dir: &Path) -> Vec<record::Run> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tsv"))
        .collect();
    names.sort();
    names
        .iter()
        .filter_map(|name| {
            let text = fs::read_to_string(dir.join(name)).ok()?;
            record::parse(name, &text).ok()
        })
        .collect()
}
