//! Snapshot tests of `vinit status` and `vinit blame` human output (fixed
//! inputs, expected text), schema tests of their `--json`, and `vinit
//! check` over a tree with one problem of each kind.

mod common;

use std::process::Command;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use vinit::cmd::vinit::status::service::{
    Process, ServiceReport, ServiceStatus, bytes_text, cpu_text, duration_text, main_pid,
    process_tree, render_all, render_one, service_json,
};
use vinit::cmd::vinit::status::{PendingShutdown, Report, render, service_to_json, to_json};
use vinit::cmd::vinit::{blame, status};
use vinit::rc::boot_log::{LogLine, ScriptOutput};
use vinit::rc::record::{Run, parse};
use vinit::services::files::ConfigFile;
use vinit::services::overview::{ServiceView, overview};
use vinit::services::{Tracking, state};
use vinit::status::decode;

const STATUS_FILE: &str = "vinit-status 1
pid 1
start-ticks 120
runlevel 2
previous N
changing no
entry\tid\t2\tinitdefault\toff\t0\t0\t-\t-\t/etc/inittab:1\t
entry\tsi\t\tsysinit\tdone\t12\t0\t0\t-\t/etc/inittab:2\t/etc/init.d/rcS
entry\tl2\t2\twait\tdone\t40\t0\t0\t-\t/etc/inittab:4\t/etc/init.d/rc 2
entry\t1\t2345\trespawn\trunning\t412\t1\t-\t-\t/etc/inittab:9\t/sbin/getty 38400 tty1
entry\tS0\t2345\trespawn\tdisabled\t530\t10\t256\t1300\t/etc/inittab.d/serial.tab:1\t/sbin/getty -L ttyS9
entry\tl3\t3\twait\tnot-in-level\t0\t0\t-\t-\t/etc/inittab:5\t/etc/init.d/rc 3
";

/// init's supervision state file: services are tracked by cgroup, with
/// the cpu, io and pids controllers (no memory); cron crashed and came
/// back, nginx crash looped and was given up, web was stopped on purpose,
/// mail restarts.
const SUPERVISE_STATE: &str = "# vinit supervision state (written by init)
tracking\ton\t/sys/fs/cgroup/vinit\tcontrollers=cpu,io,pids
service\tcron\tphase=watching\tpid=732\trestarts=1\trecent=7000\tfailed=1796039882\tcause=killed by SIGKILL
service\tmail\tphase=waiting:9000\tpid=-\trestarts=1\trecent=8000\tfailed=1796040107\tcause=killed by SIGSEGV (core dumped)
service\tnginx\tphase=given-up:815\tpid=815\trestarts=10\trecent=1,2,3,4,5,6,7,8,9,10\tfailed=1796040107\tcause=exited with status 1
service\tweb\tphase=stopped:640\tpid=640\trestarts=0\trecent=
";

/// The settings files (mail's has an error) and init's state, with the
/// daemons found running.
fn supervised() -> Vec<ServiceView> {
    let settings = [
        ("cron", ""),
        ("mail", "delay=soon\n"),
        ("nginx", "limit=10/120\n"),
        ("web", ""),
    ];
    let files = settings
        .iter()
        .map(|(name, text)| {
            let file =
                ConfigFile::parse(format!("/etc/vinit/supervise.d/{name}").into(), None, text);
            (name.to_string(), file)
        })
        .collect();
    let (saved, problems) = state::parse(SUPERVISE_STATE);
    assert!(problems.is_empty(), "{problems:?}");
    let running = [("cron".to_string(), 732)].into();
    overview(&files, saved, &running)
}

const HEADER: &str = "#level\tprevious\tscript\taction\tlink\tstart_monotonic_ns\tend_monotonic_ns\tstart_wall\tend_wall\tstatus\tresult\tafter";

fn boot_record() -> Run {
    let lines = [
        "2\tN\tmountall\tstart\t/etc/rc2.d/S01mountall\t1000000000\t1400000000\t2026-11-30T10:00:01.000000000+00:00\t2026-11-30T10:00:01.400000000+00:00\t0\tok\t-",
        "2\tN\tnetworking\tstart\t/etc/rc2.d/S02networking\t1401000000\t3100000000\t2026-11-30T10:00:01.401000000+00:00\t2026-11-30T10:00:03.100000000+00:00\t0\tok\tmountall",
        "2\tN\tcron\tstart\t/etc/rc2.d/S02cron\t1402000000\t1452000000\t2026-11-30T10:00:01.402000000+00:00\t2026-11-30T10:00:01.452000000+00:00\t1\tfailed\tmountall",
        "2\tN\tnfs\tstart\t/etc/rc2.d/S03nfs\t3101000000\t3300000000\t2026-11-30T10:00:03.101000000+00:00\t2026-11-30T10:00:03.300000000+00:00\t0\tok\tcron,networking",
        "2\tN\tgone\tstart\t/etc/rc2.d/S03gone\t-\t-\t-\t-\t-\tskipped\t-",
    ];
    parse(
        "20261130T100001.000000000-N-2.tsv",
        &format!("{HEADER}\n{}\n", lines.join("\n")),
    )
    .unwrap()
}

fn time(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn tracking() -> Tracking {
    state::parse(SUPERVISE_STATE).0.tracking.unwrap()
}

fn process(pid: i32, parent: i32, start_ticks: u64, command: &str) -> Process {
    Process {
        pid,
        parent,
        start_ticks,
        command: command.to_string(),
    }
}

/// A service's row as gathering would make it: `processes` in its cgroup,
/// started at `started` (the oldest of them).
fn service(name: &str, processes: Vec<Process>, started: Option<&str>) -> ServiceStatus {
    ServiceStatus {
        name: name.to_string(),
        has_script: true,
        supervised: None,
        cgroup: Some(format!("/sys/fs/cgroup/vinit/{name}")),
        cgroup_exists: true,
        main_pid: main_pid(None, &processes),
        processes,
        started: started.map(time),
        memory_current: None,
        cpu_usage_usec: Some(0),
        limits: Vec::new(),
        last_run: None,
        output: None,
    }
}

/// Every init.d service: the supervised ones (cron runs, the others do
/// not), db with a master and two workers, mountall that ran and ended,
/// never that never ran, with their last rc runs.
fn services() -> Vec<ServiceStatus> {
    let last_runs: Vec<_> = status::last_runs(&[boot_record()])
        .into_iter()
        .cloned()
        .collect();
    let mut services: Vec<ServiceStatus> = supervised()
        .into_iter()
        .map(|view| {
            let mut one = if view.name == "cron" {
                let mut cron = service(
                    "cron",
                    vec![process(732, 1, 9000, "/usr/sbin/cron -f")],
                    Some("2026-11-30T11:58:02+00:00"),
                );
                cron.cpu_usage_usec = Some(48_210);
                cron.main_pid = Some(732);
                cron
            } else {
                service(&view.name, Vec::new(), None)
            };
            one.supervised = Some(view);
            one
        })
        .collect();
    let mut db = service(
        "db",
        vec![
            process(812, 1, 180, "/usr/sbin/db --config /etc/db.conf"),
            process(815, 812, 181, "db: writer"),
            process(816, 812, 182, "db: checkpointer"),
        ],
        Some("2026-11-30T10:00:01+00:00"),
    );
    db.cpu_usage_usec = Some(1_204_345);
    let mut mountall = service("mountall", Vec::new(), None);
    mountall.cpu_usage_usec = Some(12_000);
    let mut never = service("never", Vec::new(), None);
    never.cgroup_exists = false;
    never.cpu_usage_usec = None;
    services.extend([db, mountall, never]);
    for one in &mut services {
        one.last_run = last_runs.iter().find(|l| l.script == one.name).cloned();
    }
    services.sort_by(|a, b| a.name.cmp(&b.name));
    services
}

fn report() -> Report {
    Report {
        init: decode(STATUS_FILE).unwrap(),
        booted: Some(time("2026-11-30T10:00:00+00:00")),
        now: time("2026-11-30T12:03:20+00:00"),
        now_monotonic_s: 1000,
        shutdown: Some(PendingShutdown {
            pid: 777,
            command: "shutdown -r +5".to_string(),
            notice: None,
        }),
        tracking: tracking(),
        services: services(),
        runs: vec![boot_record()],
    }
}

#[test]
fn status_human_snapshot() {
    assert_eq!(
        render(&report(), false),
        "\
Runlevel  2 (previous N)
Booted    2026-11-30 10:00:00, up 2 h 3 min
Shutdown  pending: shutdown -r +5 (pid 777)

ID  LEVELS  ACTION       STATE                    PID  RESPAWNS  LAST EXIT  PROCESS
id  2       initdefault  off                        -         0  -
si  -       sysinit      done                       -         0  exit 0     /etc/init.d/rcS
l2  2       wait         done                       -         0  exit 0     /etc/init.d/rc 2
1   2345    respawn      running                  412         1  -          /sbin/getty 38400 tty1
S0  2345    respawn      disabled until 12:08:20    -        10  exit 1     /sbin/getty -L ttyS9
l3  3       wait         not-in-level               -         0  -          /etc/init.d/rc 3
disabled: respawning too fast: 10 starts within 120 s; init tries again at the time shown

Services (each in its cgroup under /sys/fs/cgroup/vinit)
SERVICE   STATE        PID  PROCS  MEMORY     CPU  UP         RESTARTS
cron      supervised   732      1       -  0.04 s  5 min             1
db        running      812      3       -  1.20 s  2 h 3 min         -
mail      restarting*    -      0       -  0.00 s  -                 1
mountall  stopped        -      0       -  0.01 s  -                 -
never     stopped        -      0       -       -  -                 -
nginx     given up       -      0       -  0.00 s  -                10
web       stopped        -      0       -  0.00 s  -                 0
MEMORY -: the memory controller is not delegated to /sys/fs/cgroup/vinit (the cgroup2 hierarchy does not offer it)
given up: too many restarts within its limit; re-arm with 'vinit supervise NAME' or 'service NAME start'
*: its file in /etc/vinit/supervise.d has errors ('vinit check' lists them); init keeps the last good settings
CPU: seconds used since boot; UP: since its oldest process started. 'vinit status NAME' shows one in full.

Last rc run of each script
SCRIPT      LEVEL   ACTION  RESULT   EXIT  DURATION  STARTED
cron        N -> 2  start   failed   1      0.050 s  10:00:01
gone        N -> 2  start   skipped  -            -  -
mountall    N -> 2  start   ok       0      0.400 s  10:00:01
networking  N -> 2  start   ok       0      1.699 s  10:00:01
nfs         N -> 2  start   ok       0      0.199 s  10:00:03
"
    );
}

#[test]
fn status_colours_only_when_asked() {
    let coloured = render(&report(), true);
    assert!(coloured.contains("\x1b[32mrunning\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31mfailed\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31mgiven up\x1b[0m"), "{coloured}");
    // Colour never shifts the columns: without escapes it is the plain text.
    let stripped = regex_free_strip(&coloured);
    assert_eq!(stripped, render(&report(), false));
    let coloured = render_one(&db_report(), true);
    assert!(coloured.contains("\x1b[32mrunning\x1b[0m"), "{coloured}");
    assert!(
        coloured.contains("\x1b[32m[ ok ] Starting db.\x1b[0m"),
        "{coloured}"
    );
    assert_eq!(regex_free_strip(&coloured), render_one(&db_report(), false));
}

#[test]
fn status_without_services_says_so_in_one_line() {
    let mut report = report();
    report.services.clear();
    let text = render(&report, false);
    assert!(
        text.contains(
            "\n\nServices (each in its cgroup under /sys/fs/cgroup/vinit)\nnone: /etc/init.d has no scripts\n\nLast rc run of each script\n"
        ),
        "{text}"
    );
    assert_eq!(to_json(&report)["services"], serde_json::json!([]));
}

#[test]
fn services_untracked_snapshot() {
    let mut services = services();
    // What gathering finds without tracking: no cgroups; cron's daemon, the
    // one init believes in, is all that is known of its processes.
    for one in &mut services {
        one.cgroup = None;
        one.cgroup_exists = false;
        one.cpu_usage_usec = None;
        if one.supervised.as_ref().and_then(|view| view.pid).is_none() {
            one.processes.clear();
            one.main_pid = None;
            one.started = None;
        }
    }
    let off =
        Tracking::Off("the kernel has no cgroup v2 (cgroup2 file system unknown)".to_string());
    assert_eq!(
        render_all(&services, &off, report().now, false),
        "\
Services (not tracked by cgroup)
SERVICE   STATE        PID  PROCS  MEMORY  CPU  UP     RESTARTS
cron      supervised   732      -       -    -  5 min         1
db        not tracked    -      -       -    -  -             -
mail      restarting*    -      -       -    -  -             1
mountall  not tracked    -      -       -    -  -             -
never     not tracked    -      -       -    -  -             -
nginx     given up       -      -       -    -  -            10
web       stopped        -      -       -    -  -             0
not tracked: the kernel has no cgroup v2 (cgroup2 file system unknown); their processes, memory and CPU time are not known
given up: too many restarts within its limit; re-arm with 'vinit supervise NAME' or 'service NAME start'
*: its file in /etc/vinit/supervise.d has errors ('vinit check' lists them); init keeps the last good settings
CPU: seconds used since boot; UP: since its oldest process started. 'vinit status NAME' shows one in full.
"
    );
}

/// db in full, as `vinit status db` shows it: memory delegated, limits set.
fn db_report() -> ServiceReport {
    let mut db = services().into_iter().find(|s| s.name == "db").unwrap();
    db.memory_current = Some(88_080_384);
    db.limits = vec![
        ("memory.max".to_string(), "268435456".to_string()),
        ("memory.high".to_string(), "max".to_string()),
        ("cpu.weight".to_string(), "100".to_string()),
        ("pids.max".to_string(), "max".to_string()),
        ("io.weight".to_string(), "default 100".to_string()),
    ];
    let line = |time: &str, text: &str| LogLine {
        time: format!("2026-11-30 {time}"),
        text: text.to_string(),
    };
    let mut lines: Vec<LogLine> = (1..=11)
        .map(|n| {
            line(
                &format!("10:00:01.{n:06}"),
                &format!("db: recovery step {n}"),
            )
        })
        .collect();
    lines.push(line("10:00:01.500000", "db: ready \x1b[32mok\x1b[0m"));
    db.output = Some(ScriptOutput {
        lines,
        result: Some(line("10:00:01.600000", "[ ok ] Starting db.")),
    });
    ServiceReport {
        service: db,
        tracking: Tracking::On {
            dir: "/sys/fs/cgroup/vinit".to_string(),
            limits: Ok(vec!["memory".to_string(), "cpu".to_string()]),
        },
        now: report().now,
    }
}

#[test]
fn service_in_full_snapshot() {
    assert_eq!(
        render_one(&db_report(), false),
        "\
Service      db (running, not supervised)
Script       /etc/init.d/db
Cgroup       /sys/fs/cgroup/vinit/db
Main PID     812
Processes    3
Memory       84 MiB (88080384 bytes)
CPU          1.20 s since boot
Up           2 h 3 min, since 2026-11-30 10:00:01
Restarts     - (not supervised)
Last rc run  none recorded

Limits
memory.max   268435456 (256 MiB)
memory.high  max
cpu.weight   100
pids.max     max
io.weight    default 100

Processes
PID  COMMAND
812  /usr/sbin/db --config /etc/db.conf
815  ├─ db: writer
816  └─ db: checkpointer

Last output (its last run by rc: the last 10 of 12 lines)
10:00:01  db: recovery step 3
10:00:01  db: recovery step 4
10:00:01  db: recovery step 5
10:00:01  db: recovery step 6
10:00:01  db: recovery step 7
10:00:01  db: recovery step 8
10:00:01  db: recovery step 9
10:00:01  db: recovery step 10
10:00:01  db: recovery step 11
10:00:01  db: ready \\u{1b}[32mok\\u{1b}[0m
10:00:01  [ ok ] Starting db.
"
    );
}

#[test]
fn a_supervised_service_in_full_snapshot() {
    let mut cron = services().into_iter().find(|s| s.name == "cron").unwrap();
    cron.limits = vec![
        ("cpu.weight".to_string(), "100".to_string()),
        ("pids.max".to_string(), "max".to_string()),
        ("io.weight".to_string(), "default 100; 8:0 200".to_string()),
    ];
    let report = ServiceReport {
        service: cron,
        tracking: tracking(),
        now: report().now,
    };
    assert_eq!(
        render_one(&report, false),
        "\
Service      cron (supervised)
Script       /etc/init.d/cron
Cgroup       /sys/fs/cgroup/vinit/cron
Main PID     732
Processes    1
Memory       not available: the memory controller is not delegated to /sys/fs/cgroup/vinit (the cgroup2 hierarchy does not offer it)
CPU          0.04 s since boot
Up           5 min, since 2026-11-30 11:58:02
Restarts     1
Last failure 2026-11-30 11:58:02 killed by SIGKILL
Last rc run  start failed (exit 1), runlevel N -> 2, 2026-11-30 10:00:01, 0.050 s

Limits
cpu.weight  100
pids.max    max
io.weight   default 100; 8:0 200

Processes
PID  COMMAND
732  /usr/sbin/cron -f

Last output
none: rc's boot log (/var/log/vinit/rc.log) shows no run of it
"
    );
}

#[test]
fn process_trees_draw_their_branches() {
    let processes = [
        process(20, 10, 5, "worker b"),
        process(10, 1, 1, "master"),
        process(11, 10, 2, "worker a"),
        process(12, 11, 3, "helper of a"),
        process(30, 999, 4, "another root, its parent elsewhere"),
        // A loop of parent links (PIDs reused between two reads) shows too.
        process(40, 41, 6, "loop a"),
        process(41, 40, 7, "loop b"),
    ];
    let rows: Vec<String> = process_tree(&processes)
        .into_iter()
        .map(|(pid, line)| format!("{pid} {line}"))
        .collect();
    assert_eq!(
        rows,
        [
            "10 master",
            "11 ├─ worker a",
            "12 │  └─ helper of a",
            "20 └─ worker b",
            "30 another root, its parent elsewhere",
            "40 loop a",
            "41 └─ loop b",
        ]
    );
    assert_eq!(main_pid(None, &processes), Some(10));
    assert_eq!(main_pid(Some(20), &processes), Some(20));
    assert_eq!(main_pid(None, &[]), None);
}

#[test]
fn sizes_and_durations_read_at_a_glance() {
    assert_eq!(bytes_text(0), "0 B");
    assert_eq!(bytes_text(1023), "1023 B");
    assert_eq!(bytes_text(1024), "1.0 KiB");
    assert_eq!(bytes_text(831_488), "812 KiB");
    assert_eq!(bytes_text(8_806_400), "8.4 MiB");
    assert_eq!(bytes_text(268_435_456), "256 MiB");
    assert_eq!(bytes_text(3 << 40), "3.0 TiB");
    assert_eq!(cpu_text(0), "0.00 s");
    assert_eq!(cpu_text(48_210), "0.04 s");
    assert_eq!(cpu_text(1_234_567_890), "1234.56 s");
    assert_eq!(duration_text(0), "0 s");
    assert_eq!(duration_text(59), "59 s");
    assert_eq!(duration_text(60), "1 min");
    assert_eq!(duration_text(7380), "2 h 3 min");
    assert_eq!(duration_text(4 * 86400 + 7380), "4 d 2 h");
}

/// Removes `ESC [ … m` sequences.
fn regex_free_strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn blame_human_snapshot() {
    let later = parse("20261130T110000.000000000-2-3.tsv", &format!("{HEADER}\n")).unwrap();
    assert_eq!(
        blame::render(&[boot_record(), later], false),
        "\
Runlevel 2 (from N, boot) at 2026-11-30 10:00:01: 5 scripts, 2.300 s, 1 failed
   DURATION  SCRIPT      ACTION  RESULT
*   1.699 s  networking  start   ok
*   0.400 s  mountall    start   ok
*   0.199 s  nfs         start   ok
    0.050 s  cron        start   failed (1)
          -  gone        start   skipped

Runlevel 3 (from 2): 0 scripts

* on the critical path
"
    );
}

/// The type of each key, `null` allowed where noted: the schema pinned.
fn assert_shape(value: &Value, shape: &[(&str, &str)]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> = shape.iter().map(|(k, _)| *k).collect();
    expected.sort_unstable();
    assert_eq!(keys, expected, "keys of {value}");
    for (key, kind) in shape {
        let v = &object[*key];
        let ok = kind.split('|').any(|k| match k {
            "string" => v.is_string(),
            "number" => v.is_number(),
            "bool" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            "null" => v.is_null(),
            other => panic!("unknown kind {other}"),
        });
        assert!(ok, "{key} should be {kind}: {v}");
    }
}

const LINE_SHAPE: &[(&str, &str)] = &[
    ("script", "string"),
    ("action", "string"),
    ("level", "string"),
    ("previous", "string"),
    ("result", "string"),
    ("exit_status", "string"),
    ("duration_ms", "number|null"),
    ("started", "string|null"),
    ("after", "array"),
    ("killed", "array"),
];

const SERVICE_SHAPE: &[(&str, &str)] = &[
    ("name", "string"),
    ("state", "string"),
    ("script", "bool"),
    ("cgroup", "string|null"),
    ("pids", "array|null"),
    ("main_pid", "number|null"),
    ("memory_current", "number|null"),
    ("cpu_usage_usec", "number|null"),
    ("started", "string|null"),
    ("uptime_s", "number|null"),
    ("supervised", "object|null"),
    ("last_rc_run", "object|null"),
];

const SUPERVISED_SHAPE: &[(&str, &str)] = &[
    ("state", "string"),
    ("pid", "number|null"),
    ("restarts", "number"),
    ("last_failure", "object|null"),
    ("settings_rejected", "bool"),
];

#[test]
fn status_json_schema() {
    let json = to_json(&report());
    assert_shape(
        &json,
        &[
            ("schema", "string"),
            ("runlevel", "string"),
            ("previous", "string"),
            ("changing", "bool"),
            ("booted", "string|null"),
            ("shutdown", "object|null"),
            ("entries", "array"),
            ("tracking", "object"),
            ("services", "array"),
            ("scripts", "array"),
        ],
    );
    assert_eq!(json["schema"], status::JSON_SCHEMA);
    assert_eq!(json["schema"], "vinit-status/2");
    assert_shape(
        &json["shutdown"],
        &[
            ("pid", "number"),
            ("command", "string"),
            ("notice", "string|null"),
        ],
    );
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    for entry in entries {
        assert_shape(
            entry,
            &[
                ("id", "string"),
                ("levels", "string"),
                ("action", "string"),
                ("state", "string"),
                ("pid", "number|null"),
                ("respawns", "number"),
                ("last_exit", "object|null"),
                ("disabled_until", "string|null"),
                ("disabled_reason", "string|null"),
                ("file", "string|null"),
                ("line", "number|null"),
                ("process", "string"),
            ],
        );
        let state = entry["state"].as_str().unwrap();
        assert!(
            [
                "running",
                "waiting",
                "done",
                "disabled",
                "not-in-level",
                "off"
            ]
            .contains(&state),
            "{state}"
        );
    }
    let getty = &entries[3];
    assert_eq!(
        (&getty["state"], &getty["pid"]),
        (&"running".into(), &412.into())
    );
    let disabled = &entries[4];
    assert_eq!(disabled["disabled_until"], "2026-11-30T12:08:20+00:00");
    assert_eq!(disabled["last_exit"], serde_json::json!({ "code": 1 }));
    assert_eq!(disabled["file"], "/etc/inittab.d/serial.tab");
    assert_eq!(
        json["tracking"],
        serde_json::json!({
            "on": true,
            "dir": "/sys/fs/cgroup/vinit",
            "controllers": ["cpu", "io", "pids"],
            "reason": null,
        })
    );
    let services = json["services"].as_array().unwrap();
    let names: Vec<&str> = services
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["cron", "db", "mail", "mountall", "never", "nginx", "web"]
    );
    for service in services {
        assert_shape(service, SERVICE_SHAPE);
        let state = service["state"].as_str().unwrap();
        assert!(
            [
                "running",
                "stopped",
                "untracked",
                "supervised",
                "restarting",
                "given-up",
                "shutting-down",
                "unknown"
            ]
            .contains(&state),
            "{state}"
        );
        if !service["supervised"].is_null() {
            // vinit-status/1's service, less its name.
            assert_shape(&service["supervised"], SUPERVISED_SHAPE);
        }
        if !service["last_rc_run"].is_null() {
            assert_shape(&service["last_rc_run"], LINE_SHAPE);
        }
    }
    assert_eq!(
        services[0],
        serde_json::json!({
            "name": "cron",
            "state": "supervised",
            "script": true,
            "cgroup": "/sys/fs/cgroup/vinit/cron",
            "pids": [732],
            "main_pid": 732,
            "memory_current": null,
            "cpu_usage_usec": 48210,
            "started": "2026-11-30T11:58:02+00:00",
            "uptime_s": 318,
            "supervised": {
                "state": "supervised",
                "pid": 732,
                "restarts": 1,
                "last_failure": {"time": "2026-11-30T11:58:02+00:00", "cause": "killed by SIGKILL"},
                "settings_rejected": false,
            },
            "last_rc_run": json["scripts"][0],
        })
    );
    let db = &services[1];
    assert_eq!(
        (
            &db["state"],
            &db["pids"],
            &db["main_pid"],
            &db["supervised"]
        ),
        (
            &"running".into(),
            &serde_json::json!([812, 815, 816]),
            &812.into(),
            &Value::Null
        )
    );
    assert_eq!(
        (
            &services[2]["state"],
            &services[2]["supervised"]["settings_rejected"]
        ),
        (&"restarting".into(), &true.into())
    );
    let never = &services[4];
    assert_eq!(
        (&never["state"], &never["pids"], &never["cpu_usage_usec"]),
        (&"stopped".into(), &serde_json::json!([]), &Value::Null)
    );
    assert_eq!(
        (
            &services[5]["state"],
            &services[5]["supervised"]["restarts"]
        ),
        (&"given-up".into(), &10.into())
    );
    assert_eq!(services[6]["supervised"]["last_failure"], Value::Null);
    for script in json["scripts"].as_array().unwrap() {
        assert_shape(script, LINE_SHAPE);
    }
    assert_eq!(
        json["scripts"][4]["after"],
        serde_json::json!(["cron", "networking"])
    );
}

#[test]
fn service_json_schema() {
    let json = service_to_json(&db_report());
    assert_shape(
        &json,
        &[
            ("schema", "string"),
            ("tracking", "object"),
            ("service", "object"),
        ],
    );
    assert_eq!(json["schema"], "vinit-status/2");
    let mut shape = SERVICE_SHAPE.to_vec();
    shape.extend([
        ("processes", "array"),
        ("limits", "object"),
        ("output", "object|null"),
    ]);
    let db = &json["service"];
    assert_shape(db, &shape);
    assert_eq!(
        db["processes"][1],
        serde_json::json!({"pid": 815, "parent": 812, "command": "db: writer"})
    );
    assert_eq!(db["limits"]["memory.max"], "268435456");
    assert_eq!(db["limits"]["io.weight"], "default 100");
    assert_eq!(db["memory_current"], 88_080_384);
    // Every line, as printed (the text output escapes and cuts them).
    assert_eq!(db["output"]["lines"].as_array().unwrap().len(), 12);
    assert_eq!(
        db["output"]["lines"][11],
        serde_json::json!({"time": "2026-11-30 10:00:01.500000", "text": "db: ready \x1b[32mok\x1b[0m"})
    );
    assert_eq!(db["output"]["result"]["text"], "[ ok ] Starting db.");
    // The list's object is the same, without the details.
    let listed = service_json(&db_report().service, report().now, false);
    let detail: Vec<&String> = db.as_object().unwrap().keys().collect();
    let summary: Vec<&String> = listed.as_object().unwrap().keys().collect();
    assert_eq!(detail.len(), summary.len() + 3);
    assert!(summary.iter().all(|key| detail.contains(key)));
}

/// With `--json`, a JSON document on stdout even when there is nothing to report: the
/// error's, saying what went wrong and with which exit status.
#[test]
fn json_output_is_a_document_even_on_errors() {
    let run = |args: &[&str]| {
        let out = Command::new(common::vinit_bin())
            .args(args)
            .output()
            .unwrap();
        let document: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", common::describe(&out)));
        assert_eq!(document["schema"], "vinit-error/1", "{args:?}: {document}");
        assert_eq!(
            document["exit_status"],
            out.status.code().unwrap(),
            "{args:?}: {document}"
        );
        assert!(
            !out.stderr.is_empty(),
            "{args:?}: and a line on stderr: {}",
            common::describe(&out)
        );
        document
    };
    let usage = run(&["status", "--json", "--bogus"]);
    assert_eq!(
        (&usage["command"], &usage["error"]),
        (&"status".into(), &"usage".into())
    );
    assert_eq!(usage["exit_status"], 2);
    // A reader that pins the old schema is told it is gone.
    let gone = run(&["status", "--json", "--schema", "1"]);
    assert_eq!(gone["error"], "schema-gone", "{gone}");
    assert_eq!(gone["exit_status"], 2);
    assert!(
        gone["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("vinit-status/1 is no longer written")),
        "{gone}"
    );
    let unknown = run(&["status", "--json", "--schema", "vinit-status/3"]);
    assert_eq!(unknown["error"], "usage", "{unknown}");
    let usage = run(&["blame", "--json", "--level"]);
    assert_eq!(usage["error"], "usage", "{usage}");
    // No run is ever recorded into a level Z.
    let none = run(&["blame", "--json", "--level", "Z"]);
    assert_eq!(
        (&none["command"], &none["error"]),
        (&"blame".into(), &"no-record".into())
    );
    assert_eq!(none["exit_status"], 1);
}

#[test]
fn blame_json_schema() {
    let json = blame::to_json(&[boot_record()]);
    assert_shape(&json, &[("schema", "string"), ("runs", "array")]);
    assert_eq!(json["schema"], "vinit-blame/1");
    let run = &json["runs"][0];
    assert_shape(
        run,
        &[
            ("record", "string"),
            ("level", "string"),
            ("previous", "string"),
            ("boot", "bool"),
            ("duration_ms", "number|null"),
            ("scripts", "array"),
        ],
    );
    let mut shape = LINE_SHAPE.to_vec();
    shape.push(("critical", "bool"));
    let scripts = run["scripts"].as_array().unwrap();
    for script in scripts {
        assert_shape(script, &shape);
    }
    let critical: Vec<&str> = scripts
        .iter()
        .filter(|s| s["critical"] == true)
        .map(|s| s["script"].as_str().unwrap())
        .collect();
    assert_eq!(critical, ["networking", "mountall", "nfs"]);
}

fn lsb(provides: &str, requires: &str, stop: &str) -> String {
    format!(
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: {provides}\n# Required-Start: {requires}\n\
         # Required-Stop:\n# Default-Start: 2 3 4 5\n# Default-Stop: {stop}\n\
         ### END INIT INFO\nexit 0\n"
    )
}

#[test]
fn check_reports_each_kind_of_problem_with_its_place() {
    let root = tempfile::tempdir().unwrap();
    let at = |rel: &str| root.path().join(rel);
    let write = |rel: &str, text: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(at(rel).parent().unwrap()).unwrap();
        std::fs::write(at(rel), text).unwrap();
        std::fs::set_permissions(at(rel), std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let link = |target: &str, rel: &str| {
        std::fs::create_dir_all(at(rel).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, at(rel)).unwrap();
    };
    write(
        "etc/inittab",
        "id:2:initdefault:\nl2:2:wait:/etc/init.d/rc 2\nxx:2:bogus:/bin/true\n",
        0o644,
    );
    std::fs::create_dir_all(at("etc/inittab.d")).unwrap();
    write("etc/init.d/good", &lsb("good", "", "0 6"), 0o755);
    write("etc/init.d/needy", &lsb("needy", "nosuch", ""), 0o755);
    write("etc/init.d/loopa", &lsb("loopa", "loopb", ""), 0o755);
    write("etc/init.d/loopb", &lsb("loopb", "loopa", ""), 0o755);
    write("etc/init.d/plain", "#!/bin/sh\nexit 0\n", 0o755);
    write(
        "etc/init.d/half",
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: half\nexit 0\n",
        0o755,
    );
    write("etc/init.d/noexec", &lsb("noexec", "", ""), 0o644);
    for name in ["good", "needy", "loopa", "loopb", "plain", "noexec"] {
        link(
            &format!("../init.d/{name}"),
            &format!("etc/rc2.d/S01{name}"),
        );
    }
    // A problem of the graph is one problem, whatever the number of levels it shows in.
    for name in ["needy", "loopa", "loopb"] {
        link(
            &format!("../init.d/{name}"),
            &format!("etc/rc3.d/S01{name}"),
        );
    }
    link("../init.d/missing", "etc/rc2.d/S01missing");
    link("../init.d/good", "etc/rc6.d/K01good");
    std::fs::create_dir_all(at("etc/rc0.d")).unwrap();
    write(
        "etc/vinit/supervise.d/good",
        "# comment\nrestart=sometimes\n",
        0o644,
    );
    write("etc/vinit/supervise.d/gone", "", 0o644);

    let out = Command::new(common::vinit_bin())
        .args(["check", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    let r = root.path().display().to_string();
    let expected = format!(
        "\
{r}/etc/inittab:3:6: bogus: unknown action field
{r}/etc/rc2.d/S01missing: dangling link to ../init.d/missing
{r}/etc/rc2.d/S01noexec: links to ../init.d/noexec, which is not executable
{r}/etc/init.d/half:4: missing \"### END INIT INFO\" (header begun at line 2)
{r}/etc/init.d/plain: no LSB header (### BEGIN INIT INFO … ### END INIT INFO)
{r}/etc/init.d/loopa:2: There is a loop between service loopa and loopb if started (in /etc/rc2.d, /etc/rc3.d)
{r}/etc/init.d/needy:4: service nosuch has to be enabled to use service needy (in /etc/rc2.d, /etc/rc3.d)
{r}/etc/init.d/good:7: Default-Stop lists 0, but /etc/rc0.d has no K link for it: it is started and never stopped on the way to runlevel 0
{r}/etc/vinit/supervise.d/gone: no /etc/init.d/gone to supervise
{r}/etc/vinit/supervise.d/good:2: restart must be on-failure, always or no, not \"sometimes\"
vinit check: 10 problems (inittab 1, links 2, headers 2, graph 2, shutdown 1, supervise 2)
"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        expected,
        "{}",
        common::describe(&out)
    );
    assert_eq!(out.status.code(), Some(1));

    // A clean tree passes.
    let clean = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(clean.path().join("etc/inittab.d")).unwrap();
    std::fs::write(clean.path().join("etc/inittab"), "id:2:initdefault:\n").unwrap();
    let out = Command::new(common::vinit_bin())
        .args(["check", "--root"])
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "vinit check: no problems (inittab 0, links 0, headers 0, graph 0, shutdown 0, supervise 0)\n"
    );

    // Without /etc/inittab, init boots asking for the runlevel: check says so.
    std::fs::remove_file(clean.path().join("etc/inittab")).unwrap();
    let out = Command::new(common::vinit_bin())
        .args(["check", "--root"])
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::describe(&out));
    let r = clean.path().display();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{r}/etc/inittab: missing: init would say \"No inittab file found\" and, without an \
             initdefault entry, ask for the runlevel on the console at boot\n\
             vinit check: 1 problem (inittab 1, links 0, headers 0, graph 0, shutdown 0, supervise 0)\n"
        )
    );
}

#[test]
fn every_subcommand_has_help_and_vinit_its_version() {
    for sub in [
        "status",
        "blame",
        "plot",
        "check",
        "supervise",
        "unsupervise",
    ] {
        let out = Command::new(common::vinit_bin())
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{sub}: {}",
            common::describe(&out)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(&format!("Usage: vinit {sub}")),
            "{}",
            common::describe(&out)
        );
    }
    let out = Command::new(common::vinit_bin())
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("vinit {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(common::vinit_bin())
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.starts_with(&format!("vinit {}", env!("CARGO_PKG_VERSION"))),
        "{help}"
    );
    for sub in ["status", "blame", "plot", "check", "telinit"] {
        assert!(help.contains(sub), "{help}");
    }
    let out = Command::new(common::vinit_bin())
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(common::vinit_bin())
        .args(["status", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn telinit_help() {
    let out = Command::new(common::vinit_bin())
        .args(["telinit", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.starts_with("Usage: telinit {-e VAR[=VAL]"), "{help}");
    assert!(
        help.contains("--wait") && help.contains("--timeout"),
        "{help}"
    );
}
