//! Our PID 1 against Debian's real sysvinit 3.06 (docs/compatibility.md §13.1, §13.3, §13.7, §13.10):
//! Debian's real `telinit` drives our init; the same inittab and script of events run
//! against Debian's real `/sbin/init` and ours, each as PID 1 of its own namespace, must
//! give the same console lines, utmp/wtmp records, child environments, `/run/runlevel`,
//! process titles and process groups; `telinit u` hands over from the real init to ours
//! and back.
//!
//! The real binaries come from `tests/common/debian_pkg.rs` (never installed on the
//! host) and are copied into the namespace root under `/debian/sbin` with the libraries
//! they link. Every init here runs only as PID 1 of a namespace (`common::ns`).
//!
//! Each scenario runs against both inits: the `debian_*` tests check that the test's
//! expectations are sysvinit's (as docs/compatibility.md states them); the others hold our init to them, most by
//! comparing a whole run of each (`*_matches_debian`).
//!
//! What is compared, and why not more: init's messages through a syslog socket in the
//! root (console and syslog lines, in order), the console lines that go to the console
//! only (the console itself can lose lines: see [`Logs::console_only`]), `utmpdump` of
//! utmp and wtmp without times and PIDs, each child's environment, process group,
//! session, and view of PID 1 (title, `runlevel`, `/run/runlevel`).
//!
//! Deliberate differences of our init, left out of the comparisons where they show:
//! * the boot and reload banners name vinit and its version (`INIT: version 3.06 booting`
//!   for sysvinit);
//! * sysvinit writes a second DEAD_PROCESS record, with PID 0, for an entry it kills on a
//!   re-read ([`without_second_dead_records`]); ours writes one;
//! * once running, ours does not apply a re-read inittab with rejected lines and says so
//!   ([`ours_keeps_the_previous_inittab_when_a_reread_has_errors`]); sysvinit applies the
//!   valid lines.

mod common;
use common::debian_pkg;

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::ns::{Pid1, TestRoot, is_fifo, write_initctl};
use common::{host_tool, poll_until};
use nix::sys::signal::Signal;
use vinit::initctl;
use vinit::utmp::{self, Record};

/// A safety net for each wait; nothing here depends on how fast things happen.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Which init is PID 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Init {
    Debian,
    Ours,
}

/// Where the real sysvinit programs live inside a root.
const DEBIAN_SBIN: &str = "/debian/sbin";
const REAL_TELINIT: &str = "/debian/sbin/telinit";
const REAL_RUNLEVEL: &str = "/debian/sbin/runlevel";

/// A namespace root (see `common::ns`) holding Debian's real `init`, `telinit` (a link to
/// `init`, which acts as telinit when it is not PID 1) and `runlevel` under `/debian/sbin`,
/// with the shared libraries they link, and `/sbin/init` = `init`'s binary. Our own
/// install stays in `/sbin` (`/sbin/runlevel`, `/sbin/telinit` are ours).
fn root_with(init: Init, inittab: &str) -> TestRoot {
    let root = TestRoot::new();
    for name in ["init", "runlevel"] {
        debian_pkg::install_real(&root, name, &format!("{DEBIAN_SBIN}/{name}"));
    }
    root.symlink("init", &format!("{DEBIAN_SBIN}/telinit"));
    root.write("etc/inittab", inittab);
    root.mkdir("tmp/probe");
    root.write_exec("etc/probe", PROBE);
    root.write_exec("etc/hold", HOLD);
    root.write_exec("etc/stubborn", STUBBORN);
    set_sbin_init(&root, init);
    root
}

/// Makes `/sbin/init` in the root Debian's binary or ours, as a package upgrade would
/// (a new file renamed over the old one, so a running init keeps its own).
fn set_sbin_init(root: &TestRoot, init: Init) {
    let new = root.join("sbin/init.new");
    let _ = std::fs::remove_file(&new);
    match init {
        Init::Debian => {
            root.write_exec("sbin/init.new", read(&debian_pkg::real("init")));
        }
        Init::Ours => {
            std::os::unix::fs::symlink("../lib/vinit/vinit", &new).expect("symlink init.new")
        }
    }
    std::fs::rename(&new, root.join("sbin/init")).expect("rename init.new over /sbin/init");
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `/etc/probe ID [PROGRAM ARGS...]`: records its environment (sorted), how its process,
/// group and session ids relate, and what it sees of init (PID 1's process title, what
/// our `runlevel` and Debian's print, `/run/runlevel`) in `/tmp/probe/ID.N.{ids,env}`
/// (N counts the runs of ID), then execs PROGRAM if given. The `.env` file comes last
/// and appears whole (written, then renamed).
const PROBE: &str = r#"#!/bin/sh
id=$1
shift
n=0
while [ -e "/tmp/probe/$id.$n.env" ]; do n=$((n + 1)); done
# /proc/PID/stat: pid (comm) state ppid pgrp session ... (comm is "probe", no spaces)
ids() { pid=$1 ppid=$4 pgid=$5 sid=$6; }
ids $(cat /proc/$$/stat)
yn() { if [ "$1" = "$2" ]; then echo yes; else echo no; fi; }
title=$(tr '\0' ' ' < /proc/1/cmdline | sed 's/ *$//')
{
	echo "pgid=pid:$(yn $pgid $pid) sid=pid:$(yn $sid $pid) ppid=1:$(yn $ppid 1)"
	echo "title=$title"
	echo "runlevel: ours=$(/sbin/runlevel) debian=$(/debian/sbin/runlevel) file=$(cat /run/runlevel 2>/dev/null)"
} > "/tmp/probe/$id.$n.ids"
env | sort > "/tmp/probe/$id.$n.tmp"
mv "/tmp/probe/$id.$n.tmp" "/tmp/probe/$id.$n.env"
[ $# -gt 0 ] && exec "$@"
exit 0
"#;

/// `/etc/hold NAME`: waits until the test creates `/tmp/release-NAME`.
const HOLD: &str = r#"#!/bin/sh
while [ ! -e "/tmp/release-$1" ]; do sleep 0.05; done
"#;

/// `/etc/stubborn`: a program that ignores SIGTERM (its `sleep` inherits that), so only
/// the KILL round of a level change ends it.
const STUBBORN: &str = "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n";

/// A syslog daemon's `/dev/log` in a root: a datagram socket whose messages a thread
/// collects, as glibc's syslog(3) sends them (`<30>Nov 23 13:10:00 init: text`), with the
/// time cut out (`<30>init: text`). Unlike the console, nothing flushes these.
struct Syslog {
    messages: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl Syslog {
    fn listen(root: &TestRoot) -> Syslog {
        let socket = UnixDatagram::bind(root.join("dev/log")).expect("bind /dev/log");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("socket timeout");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (messages, stop) = (Arc::clone(&messages), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !stop.load(Ordering::SeqCst) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        let message = String::from_utf8_lossy(&buf[..n]);
                        messages
                            .lock()
                            .expect("syslog lock")
                            .push(timeless(&message));
                    }
                }
            })
        };
        Syslog {
            messages,
            stop,
            reader: Some(reader),
        }
    }

    fn messages(&self) -> Vec<String> {
        self.messages.lock().expect("syslog lock").clone()
    }
}

impl Drop for Syslog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// `<30>Nov 23 13:10:00 init: text` -> `<30>init: text`.
fn timeless(message: &str) -> String {
    let message = message.trim_end_matches(['\n', '\0']);
    match message.split_once('>') {
        Some((priority, rest)) if rest.len() > 16 && rest.as_bytes()[15] == b' ' => {
            format!("{priority}>{}", &rest[16..])
        }
        _ => message.to_string(),
    }
}

/// PID 1 of a namespace booted from a [`root_with`] root, with the helpers the scenarios
/// share.
struct Booted {
    root: TestRoot,
    pid1: Pid1,
    init: Init,
    syslog: Syslog,
}

impl Booted {
    fn boot(init: Init, inittab: &str) -> Booted {
        Booted::boot_with_args(init, inittab, &[])
    }

    /// Boots `/sbin/init ARGS` (the words the kernel passes on, e.g. `S`).
    fn boot_with_args(init: Init, inittab: &str, args: &[&str]) -> Booted {
        let root = root_with(init, inittab);
        let syslog = Syslog::listen(&root);
        let pid1 = root.boot(args);
        Booted {
            root,
            pid1,
            init,
            syslog,
        }
    }

    /// Runs a program in the namespace; it must succeed.
    fn run(&self, argv: &[&str]) -> String {
        let out = self.pid1.run(argv);
        assert!(
            out.status.success(),
            "{argv:?} in the namespace of {:?}: {out:?}\nconsole:\n{}",
            self.init,
            self.pid1.console()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until init has made its FIFO (on its first main-loop pass after boot, which
    /// a test may outrun).
    fn wait_fifo(&self) {
        let made = poll_until(TIMEOUT, || is_fifo(&self.root, "run/initctl").then_some(()));
        assert!(
            made.is_some(),
            "{:?} init never made /run/initctl",
            self.init
        );
    }

    /// Debian's real telinit.
    fn telinit(&self, args: &[&str]) {
        self.wait_fifo();
        let mut argv = vec![REAL_TELINIT];
        argv.extend_from_slice(args);
        self.run(&argv);
    }

    /// `runlevel` as Debian's and ours print it (they must agree).
    fn runlevel(&self) -> String {
        let theirs = self.run(&[REAL_RUNLEVEL]);
        let ours = self.run(&["/sbin/runlevel"]);
        assert_eq!(
            ours, theirs,
            "our runlevel vs Debian's under {:?}",
            self.init
        );
        theirs.trim_end().to_string()
    }

    fn wait_console(&self, needle: &str) {
        if let Err(transcript) = self.pid1.wait_console(needle, TIMEOUT) {
            panic!("{:?} init: {transcript}", self.init);
        }
    }

    /// Waits until wtmp holds `count` records of `ut_type` for entry `id`.
    fn wait_records(&self, ut_type: i16, id: &str, count: usize) {
        let wtmp = self.root.join("var/log/wtmp");
        let done = poll_until(TIMEOUT, || {
            let records = Record::read_all(&wtmp).ok()?;
            let n = records
                .iter()
                .filter(|r| r.ut_type == ut_type && r.id == id)
                .count();
            (n >= count).then_some(())
        });
        if done.is_none() {
            panic!(
                "{:?} init: wtmp never got {count} records of type {ut_type} for id {id:?}; \
                 wtmp:\n{}\nconsole:\n{}",
                self.init,
                utmpdump(&wtmp).join("\n"),
                self.pid1.console()
            );
        }
    }

    /// Waits for an entry's `n`th run (from 0) to have ended: its `n + 1`th DEAD_PROCESS
    /// record in wtmp.
    fn wait_done(&self, id: &str, n: usize) {
        self.wait_records(utmp::DEAD_PROCESS, id, n + 1);
    }

    /// Waits for a file in the root.
    fn wait_file(&self, rel: &str) {
        let path = self.root.join(rel);
        if poll_until(TIMEOUT, || path.exists().then_some(())).is_none() {
            panic!(
                "{:?} init: {rel} never appeared; console:\n{}",
                self.init,
                self.pid1.console()
            );
        }
    }

    /// PID 1's process title, `/proc/1/cmdline` in the namespace.
    fn title(&self) -> String {
        let bytes = read(Path::new(&format!(
            "/proc/{}/cmdline",
            self.pid1.host_pid()
        )));
        String::from_utf8_lossy(&bytes)
            .replace('\0', " ")
            .trim_end()
            .to_string()
    }

    /// `/run/runlevel`, or "-" if it does not exist. init rewrites it (truncate, then
    /// write) after each request, so an empty file is a moment to wait out.
    fn runlevel_file(&self) -> String {
        let path = self.root.join("run/runlevel");
        poll_until(TIMEOUT, || match std::fs::read(&path) {
            Ok(bytes) if bytes.is_empty() => None,
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(_) => Some("-".to_string()),
        })
        .unwrap_or_default()
    }

    /// What init logged to the console and the system log, all of it that init wrote
    /// before the call: a marker written to the console and to syslog, then read back,
    /// proves it has arrived.
    fn logs(&self) -> Logs {
        self.run(&["/bin/sh", "-c", "echo END-OF-TRANSCRIPT > /dev/console"]);
        self.wait_console("END-OF-TRANSCRIPT");
        self.run(&["/usr/bin/logger", "END-OF-TRANSCRIPT"]);
        let syslog = poll_until(TIMEOUT, || {
            let messages = self.syslog.messages();
            messages
                .iter()
                .any(|m| m.ends_with("END-OF-TRANSCRIPT"))
                .then_some(messages)
        })
        .unwrap_or_else(|| panic!("{:?} init: the syslog marker never arrived", self.init));
        let syslog: Vec<String> = syslog
            .into_iter()
            .filter(|m| !m.ends_with("END-OF-TRANSCRIPT"))
            .collect();
        let console = self
            .pid1
            .console()
            .replace('\r', "")
            .lines()
            // A message cut short by a flush runs into the next one: keep the last.
            .filter_map(|line| line.rfind("INIT: ").map(|at| line[at..].to_string()))
            .collect();
        Logs { console, syslog }
    }

    /// The probes' findings: file name -> contents.
    fn probes(&self) -> BTreeMap<String, String> {
        let mut found = BTreeMap::new();
        let dir = self.root.join("tmp/probe");
        for entry in std::fs::read_dir(&dir).expect("read /tmp/probe").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            found.insert(
                name,
                String::from_utf8_lossy(&read(&entry.path())).into_owned(),
            );
        }
        found
    }
}

/// What init logged: the `INIT: ` lines of the console (without carriage returns) and the
/// syslog messages (without their time).
#[derive(Debug)]
struct Logs {
    console: Vec<String>,
    syslog: Vec<String>,
}

impl Logs {
    /// The console lines that are not also in the system log (the "C" messages of docs/compatibility.md §1.10), and
    /// not the boot or reload banner, which names the init and its version.
    ///
    /// Console lines that also went to syslog are compared there, because the console may
    /// lose them: sysvinit resets the console's termios, ending with `tcflush(TCIOFLUSH)`
    /// (docs/compatibility.md §1.10), when it enters S and in the intermediate process of each waited boot
    /// or single-user entry, and whatever the pty master had not read by then is gone (as
    /// on a real serial console). The lines kept here are written far from such a flush in
    /// these scenarios.
    fn console_only(&self) -> Vec<String> {
        self.console
            .iter()
            .filter(|line| {
                let text = &line["INIT: ".len()..];
                !self
                    .syslog
                    .iter()
                    .any(|m| m.ends_with(&format!("init: {text}")))
                    && !(text.starts_with("version ")
                        && (text.ends_with(" booting") || text.ends_with(" reloading")))
            })
            .cloned()
            .collect()
    }
}

/// util-linux `utmpdump` of a utmp or wtmp file, one line per record, without the time
/// and with the PID of process records (INIT_PROCESS, DEAD_PROCESS) replaced by `PID`
/// unless it is 0:
/// `[1] [20019] [~~  ] [runlevel] [~           ] [6.1.0-...  ] [0.0.0.0        ]`.
fn utmpdump(path: &Path) -> Vec<String> {
    let out = Command::new(host_tool("utmpdump"))
        .arg(path)
        .env("TZ", "UTC")
        .output()
        .expect("run utmpdump");
    assert!(out.status.success(), "utmpdump {}: {out:?}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split("] [").collect();
            fields.pop(); // the time
            if matches!(fields.first(), Some(&"[5") | Some(&"[8")) && fields[1] != "00000" {
                fields[1] = "PID";
            }
            fields.join("] [") + "]"
        })
        .collect()
}

/// Drops the second DEAD_PROCESS record, with PID 0, that sysvinit writes into wtmp after
/// the first for an entry it kills on a re-read (docs/compatibility.md §5.2 "quirks": the SIGCHLD path and
/// the kill loop of read_inittab both record the death). Peers do not depend on it and
/// our init writes one record per death: a deliberate difference.
fn without_second_dead_records(records: &[String]) -> Vec<String> {
    // The fields after type and PID ("[id  ] [user...] ...") name the entry.
    let rest = |record: &str| record.splitn(3, "] [").nth(2).map(str::to_string);
    let mut dead = std::collections::HashSet::new();
    let mut kept = Vec::new();
    for record in records {
        let entry = rest(record);
        if record.starts_with("[8] [00000] ") && dead.contains(&entry) {
            // The first record came before: the child of another entry may have
            // written its INIT_PROCESS record in between.
            continue;
        }
        if record.starts_with("[8] ") {
            dead.insert(entry);
        } else {
            dead.remove(&entry);
        }
        kept.push(record.clone());
    }
    kept
}

/// The same for utmp, where the second record replaced the first (same `ut_id`).
fn utmp_without_second_dead_records(records: &[String]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.replacen("[8] [00000] ", "[8] [PID] ", 1))
        .collect()
}

/// The environment a probe recorded, as lines.
fn env_of(booted: &Booted, file: &str) -> Vec<String> {
    let path = booted.root.join(&format!("tmp/probe/{file}"));
    String::from_utf8_lossy(&read(&path))
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_env(booted: &Booted, file: &str, has: &[&str], lacks: &[&str]) {
    let env = env_of(booted, file);
    for var in has {
        assert!(
            env.iter().any(|v| v == var),
            "{:?} init: {var} not in {file}: {env:?}",
            booted.init
        );
    }
    for name in lacks {
        assert!(
            !env.iter().any(|v| v.split('=').next() == Some(name)),
            "{:?} init: {name} in {file}: {env:?}",
            booted.init
        );
    }
}

const TELINIT_INITTAB: &str = "\
id:2:initdefault:
l2:2:wait:/etc/probe l2
l3:3:wait:/etc/probe l3
da:a:once:/etc/probe da
s1:S:wait:/etc/probe s1 /etc/hold single
r1:23:respawn:/etc/probe r1 /bin/sleep 1000
";

/// docs/compatibility.md §13.1: Debian's real telinit drives the init: `-e`, a level, `q`, `a`, `-t 7 s`
/// and back to a level, each checked by its effect.
fn real_telinit_drives(init: Init) {
    let b = Booted::boot(init, TELINIT_INITTAB);
    b.wait_console("INIT: Entering runlevel: 2");
    b.wait_done("l2", 0);
    b.wait_file("tmp/probe/r1.0.env");
    assert_eq!(b.runlevel(), "N 2");
    assert_eq!(b.title(), "init [2]");
    assert_eq!(b.runlevel_file(), "2");

    // SETENV: only INIT_* names; a name without `=` removes the variable.
    b.telinit(&["-e", "INIT_BAZ=old", "-e", "NOTINIT=x"]);
    b.telinit(&["-e", "INIT_FOO=bar", "-e", "INIT_BAZ"]);
    b.telinit(&["3"]);
    b.wait_console("INIT: Switching to runlevel: 3");
    b.wait_done("l3", 0);
    assert_env(
        &b,
        "l3.0.env",
        &["INIT_FOO=bar", "RUNLEVEL=3", "PREVLEVEL=2"],
        &["INIT_BAZ", "NOTINIT"],
    );
    assert_eq!(b.runlevel(), "2 3");
    assert_eq!(b.title(), "init [3]");
    assert_eq!(b.runlevel_file(), "3");

    // `q` re-reads inittab: a new entry for this level runs.
    let mut inittab = TELINIT_INITTAB.to_string();
    inittab.push_str("q3:3:wait:/etc/probe q3\n");
    b.root.write("etc/inittab", &inittab);
    b.telinit(&["q"]);
    b.wait_done("q3", 0);
    assert_eq!(b.runlevel(), "2 3", "q is no level change");

    // `a` runs the demand entry, still in level 3.
    b.telinit(&["a"]);
    b.wait_done("da", 0);
    assert_env(&b, "da.0.env", &["RUNLEVEL=3", "INIT_FOO=bar"], &[]);
    assert_eq!(b.runlevel(), "2 3");
    assert_eq!(b.title(), "init [3]");

    // `-t 7 s` (lower case, as typed): single user; r1 is not in S and gets TERM. (The
    // console lines may be flushed away: see [`Logs::console_only`].)
    b.telinit(&["-t", "7", "s"]);
    b.wait_file("tmp/probe/s1.0.env");
    b.wait_done("r1", 0);
    assert_env(&b, "s1.0.env", &["RUNLEVEL=S", "PREVLEVEL=3"], &[]);
    assert_eq!(b.runlevel(), "3 S");
    assert_eq!(b.title(), "init [S]");
    assert_eq!(b.runlevel_file(), "S");

    // Back to 2 from single user: s1 is killed, l2 and r1 run again.
    b.telinit(&["2"]);
    b.wait_console("INIT: Switching to runlevel: 2");
    b.wait_done("s1", 0);
    b.wait_done("l2", 1);
    b.wait_file("tmp/probe/r1.1.env");
    assert_env(
        &b,
        "l2.1.env",
        &["RUNLEVEL=2", "PREVLEVEL=S", "INIT_FOO=bar"],
        &[],
    );
    assert_eq!(b.runlevel(), "S 2");
    assert_eq!(b.title(), "init [2]");
    assert_eq!(b.runlevel_file(), "2");

    // (How often `a` re-reads inittab is checked by demand_activation below.)
    let syslog: Vec<String> = b
        .logs()
        .syslog
        .into_iter()
        .filter(|m| m != NO_INITTAB_D)
        .collect();
    let expected = [
        "<30>init: Entering runlevel: 2",
        "<30>init: Switching to runlevel: 3",
        "<30>init: Re-reading inittab",
        "<30>init: Activating demand-procedures for 'A'",
        "<30>init: Going single user",
        "<30>init: Switching to runlevel: 2",
    ];
    assert_eq!(syslog, expected, "{init:?} init's syslog");
}

/// Logged (console and syslog) each time init reads inittab, as the roots have no
/// `/etc/inittab.d` (docs/compatibility.md §1.6).
const NO_INITTAB_D: &str = "<30>init: No inittab.d directory found";

/// docs/compatibility.md §3.6: `telinit a` runs the demand entry without a level change; sysvinit reads
/// inittab twice for it (once in read_level before marking the demand entries, then
/// again as for every request in fifo_new_level), which shows as two
/// `No inittab.d directory found` lines.
fn demand_activation(init: Init) {
    let b = Booted::boot(init, TELINIT_INITTAB);
    b.wait_done("l2", 0);
    b.telinit(&["a"]);
    b.wait_done("da", 0);
    assert_env(&b, "da.0.env", &["RUNLEVEL=2", "PREVLEVEL=N"], &[]);
    assert_eq!(b.runlevel(), "N 2");
    assert_eq!(b.title(), "init [2]");
    let expected = [
        NO_INITTAB_D,
        "<30>init: Entering runlevel: 2",
        "<30>init: Activating demand-procedures for 'A'",
        NO_INITTAB_D,
        NO_INITTAB_D,
    ];
    assert_eq!(b.logs().syslog, expected, "{init:?} init's syslog");
}

#[test]
fn debian_demand_activation() {
    demand_activation(Init::Debian);
}

#[test]
fn ours_demand_activation_like_sysvinit() {
    demand_activation(Init::Ours);
}

#[test]
fn debian_init_obeys_real_telinit() {
    real_telinit_drives(Init::Debian);
}

#[test]
fn ours_obeys_real_telinit() {
    real_telinit_drives(Init::Ours);
}

/// What a differential run saw, compared between the two inits.
#[derive(Debug)]
struct Observed {
    /// The console and syslog messages.
    logs: Logs,
    /// `utmpdump` of utmp and wtmp at the end, without times and process PIDs.
    utmp: Vec<String>,
    wtmp: Vec<String>,
    /// The probes' environment dumps and process/group/session relations.
    probes: BTreeMap<String, String>,
    /// At each step: `runlevel`, `/run/runlevel` and PID 1's process title.
    steps: Vec<String>,
}

const DIFFERENTIAL_INITTAB: &str = "\
id:2:initdefault:
si::sysinit:/etc/probe si
bw::bootwait:/etc/probe bw
l2:2:wait:/etc/probe l2
l3:3:wait:/etc/probe l3
l5:5:wait:/etc/probe l5
s1:S:wait:/etc/probe s1 /etc/hold single
r1:235:respawn:/etc/probe r1 /bin/sleep 1000
";

/// docs/compatibility.md §13.3: boot, `telinit 3`, `telinit 5`, `telinit q` after editing inittab, SIGHUP
/// after editing it again, `telinit S` and back by ending single user; returns what was
/// seen. The waits follow the records each step must leave in wtmp.
fn differential_run(init: Init) -> Observed {
    let b = Booted::boot(init, DIFFERENTIAL_INITTAB);
    let mut steps = Vec::new();
    let mut step = |b: &Booted, what: &str| {
        steps.push(format!(
            "{what}: runlevel {:?}, /run/runlevel {:?}, title {:?}",
            b.runlevel(),
            b.runlevel_file(),
            b.title()
        ));
    };

    b.wait_done("l2", 0);
    b.wait_records(utmp::INIT_PROCESS, "r1", 1);
    b.wait_file("tmp/probe/r1.0.env");
    step(&b, "boot");

    b.telinit(&["3"]);
    b.wait_done("l3", 0);
    step(&b, "telinit 3");

    b.telinit(&["5"]);
    b.wait_done("l5", 0);
    step(&b, "telinit 5");

    // r1 leaves level 5 and q1 is new in it. sysvinit decides what to kill from the
    // runlevels of the entry as it was (`ch->rlevel` of the old list in read_inittab), so
    // r1 survives this re-read and is killed only by the next one.
    let edited = DIFFERENTIAL_INITTAB.replace("r1:235:", "r1:23:") + "q1:5:wait:/etc/probe q1\n";
    b.root.write("etc/inittab", &edited);
    b.telinit(&["q"]);
    b.wait_done("q1", 0);
    step(&b, "telinit q");

    let edited = edited + "h1:5:wait:/etc/probe h1\n";
    b.root.write("etc/inittab", &edited);
    b.pid1.signal(Signal::SIGHUP);
    b.wait_done("h1", 0);
    b.wait_done("r1", 0);
    step(&b, "SIGHUP");

    b.telinit(&["S"]);
    b.wait_file("tmp/probe/s1.0.env");
    step(&b, "telinit S");

    // Ending single user goes back to the default level, 2.
    b.root.write("tmp/release-single", "");
    b.wait_done("s1", 0);
    b.wait_done("l2", 1);
    b.wait_file("tmp/probe/r1.1.env");
    step(&b, "single user ended");

    b.telinit(&["3"]);
    b.wait_done("l3", 1);
    step(&b, "telinit 3 again");

    Observed {
        logs: b.logs(),
        utmp: utmpdump(&b.root.join("run/utmp")),
        wtmp: utmpdump(&b.root.join("var/log/wtmp")),
        probes: b.probes(),
        steps,
    }
}

/// docs/compatibility.md §13.3: the same inittab and events against Debian's real init and ours.
#[test]
fn differential_run_matches_debian() {
    assert_same(differential_run(Init::Ours), differential_run(Init::Debian));
}

/// Our init's run against Debian's, with the deliberate differences left out.
fn assert_same(ours: Observed, theirs: Observed) {
    assert_eq!(ours.steps, theirs.steps, "runlevel, /run/runlevel, title");
    assert_eq!(
        ours.probes, theirs.probes,
        "children's env and process groups"
    );
    // Deliberate difference: the boot banner names vinit and its version
    // (`INIT: version 3.06 booting` for sysvinit), see Logs::console_only.
    assert_eq!(ours.logs.syslog, theirs.logs.syslog, "syslog");
    assert_eq!(
        ours.logs.console_only(),
        theirs.logs.console_only(),
        "console-only lines"
    );
    assert_eq!(
        ours.utmp,
        utmp_without_second_dead_records(&theirs.utmp),
        "utmp"
    );
    assert_eq!(ours.wtmp, without_second_dead_records(&theirs.wtmp), "wtmp");
}

/// The differential run against Debian's init alone, checked against docs/compatibility.md, so that the
/// comparison above compares something known to be right.
#[test]
fn debian_differential_run_is_as_spec_says() {
    let theirs = differential_run(Init::Debian);
    let expected_steps = [
        r#"boot: runlevel "N 2", /run/runlevel "2", title "init [2]""#,
        r#"telinit 3: runlevel "2 3", /run/runlevel "3", title "init [3]""#,
        r#"telinit 5: runlevel "3 5", /run/runlevel "5", title "init [5]""#,
        r#"telinit q: runlevel "3 5", /run/runlevel "5", title "init [5]""#,
        r#"SIGHUP: runlevel "3 5", /run/runlevel "5", title "init [5]""#,
        r#"telinit S: runlevel "5 S", /run/runlevel "S", title "init [S]""#,
        r#"single user ended: runlevel "S 2", /run/runlevel "2", title "init [2]""#,
        r#"telinit 3 again: runlevel "2 3", /run/runlevel "3", title "init [3]""#,
    ];
    assert_eq!(theirs.steps, expected_steps);
    let no_dir = "<30>init: No inittab.d directory found";
    let expected_syslog = [
        no_dir,
        "<30>init: Entering runlevel: 2",
        "<30>init: Switching to runlevel: 3",
        no_dir,
        "<30>init: Switching to runlevel: 5",
        no_dir,
        "<30>init: Re-reading inittab",
        no_dir,
        no_dir, // SIGHUP: no "Re-reading" line
        "<30>init: no more processes left in this runlevel",
        "<30>init: Going single user",
        no_dir,
        "<30>init: Entering runlevel: 2",
        "<30>init: Switching to runlevel: 3",
        no_dir,
    ];
    assert_eq!(theirs.logs.syslog, expected_syslog);
    // The second DEAD_PROCESS record (PID 0) for r1, killed by the SIGHUP re-read.
    let r1_second_dead = theirs
        .wtmp
        .iter()
        .filter(|r| r.starts_with("[8] [00000] [r1  ]"));
    assert_eq!(r1_second_dead.count(), 1, "{:#?}", theirs.wtmp);
    assert_eq!(
        theirs.logs.console_only(),
        ["INIT: Sending processes configured via /etc/inittab the TERM signal"]
    );
    // RUN_LVL records: N->2, 2->3, 3->5, 5->S, S->2, 2->3 (new + 256 * old).
    let levels: Vec<&str> = theirs
        .wtmp
        .iter()
        .filter(|r| r.starts_with("[1] "))
        .map(|r| &r[4..11])
        .collect();
    assert_eq!(
        levels,
        [
            "[20018]", "[12851]", "[13109]", "[13651]", "[21298]", "[12851]"
        ]
    );
    // Children are session leaders (§1.9), except waited entries in S and boot phases,
    // which run under an intermediate process that owns the console.
    for (file, ids) in theirs.probes.iter().filter(|(f, _)| f.ends_with(".ids")) {
        let expected = if ["si.", "bw.", "s1."].iter().any(|id| file.starts_with(id)) {
            "pgid=pid:no sid=pid:no ppid=1:no"
        } else {
            "pgid=pid:yes sid=pid:yes ppid=1:yes"
        };
        assert_eq!(ids.lines().next(), Some(expected), "{file}");
    }
    // During sysinit and bootwait (docs/compatibility.md §4.2, §5.4).
    let seen_by = |file: &str| theirs.probes[file].lines().skip(1).collect::<Vec<_>>();
    assert_eq!(
        seen_by("si.0.ids"),
        [
            "title=init boot",
            "runlevel: ours=unknown debian=unknown file="
        ]
    );
    assert_eq!(
        seen_by("bw.0.ids"),
        ["title=init boot", "runlevel: ours=N * debian=N * file=*"]
    );
    assert_eq!(
        seen_by("s1.0.ids"),
        ["title=init [S]", "runlevel: ours=5 S debian=5 S file=S"]
    );
    let l5 = &theirs.probes["l5.0.env"];
    for var in ["RUNLEVEL=5", "PREVLEVEL=3", "INIT_VERSION=sysvinit-3.06"] {
        assert!(l5.lines().any(|l| l == var), "{var} not in {l5}");
    }
}

/// Counts the records of `ut_type` for entry `id` in wtmp.
fn count_records(b: &Booted, ut_type: i16, id: &str) -> usize {
    Record::read_all(&b.root.join("var/log/wtmp"))
        .expect("read wtmp")
        .iter()
        .filter(|r| r.ut_type == ut_type && r.id == id)
        .count()
}

const TOO_FAST: &str = r#"INIT: Id "f1" respawning too fast: disabled for 5 minutes"#;

/// docs/compatibility.md §13.7: a `/bin/false` respawn entry runs 10 times, then the 11th start is refused
/// with sysvinit's message; `telinit q` clears the limit and it runs 10 times more.
/// Returns wtmp as utmpdump shows it.
fn respawn_limiter(init: Init) -> Vec<String> {
    let b = Booted::boot(init, "id:2:initdefault:\nf1:2:respawn:/bin/false\n");
    b.wait_console(TOO_FAST);
    b.wait_records(utmp::DEAD_PROCESS, "f1", 10);
    assert_eq!(count_records(&b, utmp::INIT_PROCESS, "f1"), 10, "{init:?}");
    b.telinit(&["q"]);
    b.wait_console(TOO_FAST);
    b.wait_records(utmp::DEAD_PROCESS, "f1", 20);
    assert_eq!(count_records(&b, utmp::INIT_PROCESS, "f1"), 20, "{init:?}");
    let syslog = b.logs().syslog;
    let too_fast = format!("<30>init: {}", &TOO_FAST["INIT: ".len()..]);
    assert_eq!(
        syslog.iter().filter(|m| **m == too_fast).count(),
        2,
        "{init:?}: {syslog:#?}"
    );
    utmpdump(&b.root.join("var/log/wtmp"))
}

#[test]
fn respawn_limiter_matches_debian() {
    let theirs = respawn_limiter(Init::Debian);
    let ours = respawn_limiter(Init::Ours);
    assert_eq!(ours, theirs, "wtmp");
}

#[test]
fn debian_respawn_limiter_is_as_spec_says() {
    respawn_limiter(Init::Debian);
}

const HANDOVER_INITTAB: &str = "\
id:3:initdefault:
l3:3:wait:/etc/probe l3
l5:5:wait:/etc/probe l5
r1:35:respawn:/etc/probe r1 /bin/sleep 1000
";

/// The host path of the program PID 1 runs (`/proc/PID/exe`).
fn pid1_exe(b: &Booted) -> String {
    std::fs::read_link(format!("/proc/{}/exe", b.pid1.host_pid()))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The binary `init` names in a root, as `/proc/PID/exe` shows it from the host.
fn exe_of(b: &Booted, init: Init) -> String {
    let rel = match init {
        Init::Debian => "sbin/init",
        Init::Ours => "lib/vinit/vinit",
    };
    b.root.join(rel).to_string_lossy().into_owned()
}

/// Replaces `/sbin/init` by `to` and runs the real `telinit u`, as Debian's postinst runs
/// `init u` after an upgrade; waits until PID 1 runs the new binary and says so.
fn hand_over(b: &Booted, to: Init) {
    set_sbin_init(&b.root, to);
    b.telinit(&["u"]);
    let expected = exe_of(b, to);
    if poll_until(TIMEOUT, || (pid1_exe(b) == expected).then_some(())).is_none() {
        panic!(
            "PID 1 still runs {:?}, not {expected:?} after telinit u; console:\n{}",
            pid1_exe(b),
            b.pid1.console()
        );
    }
    b.wait_console("reloading");
}

/// The PID (in the namespace) of entry `id`'s running process, from utmp.
fn utmp_pid(b: &Booted, id: &str) -> i32 {
    Record::read_all(&b.root.join("run/utmp"))
        .expect("read utmp")
        .iter()
        .find(|r| r.ut_type == utmp::INIT_PROCESS && r.id == id)
        .map(|r| r.pid)
        .unwrap_or_else(|| panic!("no INIT_PROCESS record for {id} in utmp"))
}

/// After a hand-over the new init keeps the level and supervises the old init's
/// children: a killed respawn entry comes back, and a level change works. `respawns`
/// is how many times r1 has run so far.
fn still_supervising(b: &Booted, level: &str, respawns: usize) {
    assert_eq!(b.runlevel(), level);
    let current = level.chars().last().unwrap_or('?');
    // The new init sets its title once it has read the state: wait for it.
    let title = format!("init [{current}]");
    if poll_until(TIMEOUT, || (b.title() == title).then_some(())).is_none() {
        assert_eq!(b.title(), title);
    }
    let pid = utmp_pid(b, "r1");
    b.run(&["/bin/kill", &pid.to_string()]);
    b.wait_file(&format!("tmp/probe/r1.{respawns}.env"));
    assert_ne!(utmp_pid(b, "r1"), pid, "r1 respawned");
}

/// docs/compatibility.md §13.10: boot `from`, hand over to `to` with `telinit u`, and on to `back` if given.
/// Returns what was seen, to compare with Debian's own re-exec.
fn takeover(from: Init, to: Init, back: Option<Init>) -> Observed {
    let b = Booted::boot(from, HANDOVER_INITTAB);
    b.wait_done("l3", 0);
    b.wait_file("tmp/probe/r1.0.env");
    assert_eq!(pid1_exe(&b), exe_of(&b, from));
    // INIT_* variables travel in the environment of the exec (docs/compatibility.md §3.7).
    b.telinit(&["-e", "INIT_KEPT=yes"]);

    hand_over(&b, to);
    still_supervising(&b, "N 3", 1);
    b.telinit(&["5"]);
    b.wait_console("INIT: Switching to runlevel: 5");
    b.wait_done("l5", 0);
    assert_env(
        &b,
        "l5.0.env",
        &["RUNLEVEL=5", "PREVLEVEL=3", "INIT_KEPT=yes"],
        &[],
    );
    assert_eq!(b.runlevel(), "3 5");

    if let Some(back) = back {
        hand_over(&b, back);
        still_supervising(&b, "3 5", 2);
        b.telinit(&["3"]);
        b.wait_console("INIT: Switching to runlevel: 3");
        b.wait_done("l3", 1);
        assert_env(
            &b,
            "l3.1.env",
            &["RUNLEVEL=3", "PREVLEVEL=5", "INIT_KEPT=yes"],
            &[],
        );
        assert_eq!(b.runlevel(), "5 3");
    }
    Observed {
        logs: b.logs(),
        utmp: utmpdump(&b.root.join("run/utmp")),
        wtmp: utmpdump(&b.root.join("var/log/wtmp")),
        probes: b.probes(),
        steps: Vec::new(),
    }
}

/// Debian's init re-executing itself: the baseline for the hand-overs below.
#[test]
fn debian_reexec_keeps_supervising() {
    let logs = takeover(Init::Debian, Init::Debian, Some(Init::Debian)).logs;
    let expected = [
        NO_INITTAB_D,
        "<30>init: Entering runlevel: 3",
        "<30>init: Trying to re-exec init",
        "<30>init: Switching to runlevel: 5",
        NO_INITTAB_D,
        "<30>init: Trying to re-exec init",
        "<30>init: Switching to runlevel: 3",
        NO_INITTAB_D,
    ];
    assert_eq!(logs.syslog, expected);
    assert_eq!(
        logs.console
            .iter()
            .filter(|l| l.ends_with(" reloading"))
            .count(),
        2,
        "{:#?}",
        logs.console
    );
}

/// `init u` after replacing sysvinit's binary on a live system hands over to vinit (which
/// reads sysvinit's fd-11 state), and vinit hands back the same way.
#[test]
fn ours_takes_over_from_debian_and_hands_back() {
    assert_same(
        takeover(Init::Debian, Init::Ours, Some(Init::Debian)),
        takeover(Init::Debian, Init::Debian, Some(Init::Debian)),
    );
}

/// Our init handing over to Debian's (its state text is sysvinit's). The variables our
/// init adds to the exec's environment are checked by the next test.
#[test]
fn ours_hands_over_to_debian() {
    let mut ours = takeover(Init::Ours, Init::Debian, None);
    for text in ours.probes.values_mut() {
        *text = without_vinit_variables(text);
    }
    assert_same(ours, takeover(Init::Debian, Init::Debian, None));
}

/// An environment dump without `VINIT_*` lines.
fn without_vinit_variables(env: &str) -> String {
    env.lines()
        .filter(|line| !line.starts_with("VINIT_"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Debian's init passes its own environment on to every child, so whatever our init adds
/// to the environment of the exec at `telinit u` reaches them all until the next boot.
#[test]
fn ours_hand_over_leaves_debian_children_no_vinit_variables() {
    let ours = takeover(Init::Ours, Init::Debian, None);
    for (file, text) in &ours.probes {
        assert_eq!(*text, without_vinit_variables(text), "{file}");
    }
}

/// The bad lines come out after boot: see [`rejected_reread`] for why.
const EVENTS_BAD_LINES: &str = "\
bad line without colons
l3:3:once:/etc/probe dup
x1:3:bogus:/bin/true
";

const EVENTS_INITTAB: &str = "\
id:3:initdefault:
l3:3:wait:/etc/probe l3
ca::ctrlaltdel:/etc/probe ca
kb::kbrequest:/etc/probe kb
pw::powerwait:/etc/probe pw
po::powerokwait:/etc/probe po
pn::powerfailnow:/etc/probe pn
st:3:respawn:/etc/probe st /etc/stubborn
l4:4:wait:/etc/probe l4
";

/// docs/compatibility.md §1.2, §3.4, §4.6, §13.8, §13.9: inittab errors, SIGINT (ctrlaltdel), SIGWINCH
/// (kbrequest), SIGPWR with `/run/powerstatus` = O, L and none, a level change that
/// needs the KILL round (`telinit -t 1 4` with a TERM-ignoring entry), and a level with
/// nothing to run (`telinit 7`), then `telinit q`.
fn events_run(init: Init) -> Observed {
    // Lines 3 to 5 are bad.
    let with_errors = EVENTS_INITTAB.replace("ca::", &format!("{EVENTS_BAD_LINES}ca::"));
    let b = Booted::boot(init, &with_errors);
    let mut steps = Vec::new();
    let mut step = |b: &Booted, what: &str| {
        steps.push(format!(
            "{what}: runlevel {:?}, /run/runlevel {:?}, title {:?}, powerstatus left: {}",
            b.runlevel(),
            b.runlevel_file(),
            b.title(),
            b.root.join("run/powerstatus").exists()
        ));
    };
    b.wait_done("l3", 0);
    b.wait_file("tmp/probe/st.0.env");
    step(&b, "boot");
    b.root.write("etc/inittab", EVENTS_INITTAB);

    b.pid1.signal(Signal::SIGINT);
    b.wait_done("ca", 0);
    step(&b, "SIGINT");
    b.pid1.signal(Signal::SIGWINCH);
    b.wait_done("kb", 0);
    step(&b, "SIGWINCH");
    for (status, id) in [(Some("O"), "po"), (Some("L"), "pn"), (None, "pw")] {
        if let Some(status) = status {
            b.root.write("run/powerstatus", status);
        }
        b.pid1.signal(Signal::SIGPWR);
        b.wait_done(id, 0);
        step(&b, &format!("SIGPWR with powerstatus {status:?}"));
    }

    // l4 starts once the kill rounds are over.
    b.telinit(&["-t", "1", "4"]);
    b.wait_done("l4", 0);
    if init == Init::Ours {
        b.wait_done("st", 0);
    }
    step(&b, "telinit -t 1 4");

    // Level 7 has no entries. `q` after it: init handles it only after the main-loop
    // pass that follows the change, so its messages come after any from level 7.
    b.telinit(&["7"]);
    b.telinit(&["q"]);
    let reads = |b: &Booted| {
        let messages = b.syslog.messages();
        messages.iter().filter(|m| *m == NO_INITTAB_D).count()
    };
    // inittab read at boot, for 4, 7 and q.
    if poll_until(TIMEOUT, || (reads(&b) == 4).then_some(())).is_none() {
        panic!("{init:?}: {:#?}", b.syslog.messages());
    }
    step(&b, "telinit 7, telinit q");

    let mut logs = b.logs();
    // sysvinit waits 10 ms after the KILL round and calls what is not reaped by then
    // "seems to hang", and then never writes its DEAD_PROCESS record (the entry is gone
    // from its list when the child is reaped): a race with the kernel, not behaviour to
    // compare. Ours always records st's death (waited for above).
    logs.console.retain(|line| !line.ends_with("seems to hang"));
    let st = "] [st  ] [";
    let mut wtmp = utmpdump(&b.root.join("var/log/wtmp"));
    wtmp.retain(|r| !(r.starts_with("[8] ") && r.contains(st)));
    // In utmp st's one record is INIT_PROCESS until (unless) its death is recorded.
    let utmp = utmpdump(&b.root.join("run/utmp"))
        .into_iter()
        .map(|r| match r.find(st) {
            Some(at) => format!("[st's record{}", &r[at..]),
            None => r,
        })
        .collect();
    Observed {
        logs,
        utmp,
        wtmp,
        probes: b.probes(),
        steps,
    }
}

#[test]
fn events_run_matches_debian() {
    assert_same(events_run(Init::Ours), events_run(Init::Debian));
}

#[test]
fn debian_events_run_is_as_spec_says() {
    let theirs = events_run(Init::Debian);
    let expected_syslog = [
        NO_INITTAB_D,
        "<30>init: /etc/inittab[3]: id field too long (max 4 characters)",
        "<30>init: /etc/inittab[4]: duplicate ID field \"l3\"",
        "<30>init: /etc/inittab[5]: bogus: unknown action field",
        "<30>init: Entering runlevel: 3",
        "<30>init: Switching to runlevel: 4",
        NO_INITTAB_D,
        // st killed and l4 done: level 4 has nothing left; said once, not again in 7.
        "<30>init: no more processes left in this runlevel",
        "<30>init: Switching to runlevel: 7",
        NO_INITTAB_D,
        "<30>init: Re-reading inittab",
        NO_INITTAB_D,
    ];
    assert_eq!(theirs.logs.syslog, expected_syslog);
    assert_eq!(
        theirs.logs.console_only(),
        [
            "INIT: Sending processes configured via /etc/inittab the TERM signal",
            "INIT: Sending processes configured via /etc/inittab the KILL signal",
        ]
    );
    assert!(
        theirs
            .steps
            .iter()
            .all(|s| s.ends_with("powerstatus left: false")),
        "{:#?}",
        theirs.steps
    );
    assert_eq!(
        theirs.steps.last().map(String::as_str),
        Some(
            r#"telinit 7, telinit q: runlevel "4 7", /run/runlevel "7", title "init [7]", powerstatus left: false"#
        )
    );
    for id in ["ca", "kb", "po", "pn", "pw"] {
        let env = &theirs.probes[&format!("{id}.0.env")];
        assert!(env.lines().any(|l| l == "RUNLEVEL=3"), "{id}: {env}");
    }
    assert!(
        !theirs.probes.contains_key("dup.0.env"),
        "the duplicate id never runs"
    );
}

/// `telinit q` with an inittab that adds a valid entry and a bad line.
fn rejected_reread(init: Init) -> Booted {
    let inittab = "id:3:initdefault:\nl3:3:wait:/etc/probe l3\n";
    let b = Booted::boot(init, inittab);
    b.wait_done("l3", 0);
    b.root.write(
        "etc/inittab",
        format!("{inittab}n3:3:wait:/etc/probe n3\nbad line\n"),
    );
    b.telinit(&["q"]);
    b
}

/// sysvinit applies the valid lines of an inittab with errors (docs/compatibility.md §1.2).
#[test]
fn debian_applies_valid_lines_of_a_bad_inittab() {
    let b = rejected_reread(Init::Debian);
    b.wait_done("n3", 0);
    let syslog = b.logs().syslog;
    assert_eq!(
        syslog[syslog.len() - 3..],
        [
            "<30>init: Re-reading inittab",
            NO_INITTAB_D,
            "<30>init: /etc/inittab[4]: id field too long (max 4 characters)",
        ]
    );
}

/// Deliberate difference (src/supervisor/mod.rs, `reread`): once running, our init does
/// not apply an inittab with rejected lines; it logs each problem as `FILE:LINE:COL:` and
/// keeps the previous entries (sysvinit would drop the bad line and apply the rest, which
/// can silently lose a getty or the rc entry to one typo). At boot it logs sysvinit's
/// `/etc/inittab[N]: ...` lines and applies the valid ones, as events_run shows.
#[test]
fn ours_keeps_the_previous_inittab_when_a_reread_has_errors() {
    let b = rejected_reread(Init::Ours);
    let refused = "<30>init: configuration not applied: keeping the previous one";
    let found = poll_until(TIMEOUT, || {
        b.syslog
            .messages()
            .iter()
            .any(|m| m == refused)
            .then_some(())
    });
    assert!(found.is_some(), "{:#?}", b.syslog.messages());
    assert_eq!(
        count_records(&b, utmp::INIT_PROCESS, "n3"),
        0,
        "n3 not started"
    );
    let syslog = b.syslog.messages();
    assert_eq!(
        syslog[syslog.len() - 4..],
        [
            "<30>init: Re-reading inittab",
            NO_INITTAB_D,
            "<30>init: /etc/inittab:4:1: id field too long (max 4 characters)",
            refused,
        ]
    );
    // Fixed, it is applied.
    b.root.write(
        "etc/inittab",
        "id:3:initdefault:\nl3:3:wait:/etc/probe l3\nn3:3:wait:/etc/probe n3\n",
    );
    b.telinit(&["q"]);
    b.wait_done("n3", 0);
}

/// A hand-over while a `wait` entry runs (as when `init u` comes while an rc script is
/// still running): the new init keeps waiting for it, records its end, and only then
/// starts the entries after it.
fn hand_over_during_wait(from: Init, to: Init) {
    let b = Booted::boot(
        from,
        "id:3:initdefault:\nl3:3:wait:/etc/probe l3 /etc/hold l3\nr1:3:respawn:/etc/probe r1 /bin/sleep 1000\n",
    );
    b.wait_file("tmp/probe/l3.0.env");
    hand_over(&b, to);
    b.root.write("tmp/release-l3", "");
    b.wait_done("l3", 0);
    b.wait_file("tmp/probe/r1.0.env");
    let wtmp: Vec<String> = utmpdump(&b.root.join("var/log/wtmp"))
        .into_iter()
        .filter(|r| r.starts_with("[5] ") || r.starts_with("[8] "))
        .map(|r| r[..16].to_string())
        .collect();
    assert_eq!(
        wtmp,
        ["[5] [PID] [l3  ]", "[8] [PID] [l3  ]", "[5] [PID] [r1  ]"],
        "{from:?} -> {to:?}"
    );
    assert_eq!(b.runlevel(), "N 3");
}

#[test]
fn debian_reexec_keeps_waiting() {
    hand_over_during_wait(Init::Debian, Init::Debian);
}

#[test]
fn ours_takes_over_a_wait_entry_from_debian() {
    hand_over_during_wait(Init::Debian, Init::Ours);
}

#[test]
fn ours_hands_over_a_wait_entry_to_debian() {
    hand_over_during_wait(Init::Ours, Init::Debian);
}

/// docs/compatibility.md §3.2 (5), §12.9: booting with `S` on the command line goes to single user and
/// skips bootwait entries until single user ends; then the default level is entered
/// through the boot phase.
fn single_user_boot_run(init: Init) -> Observed {
    let b = Booted::boot_with_args(
        init,
        "id:2:initdefault:\nsi::sysinit:/etc/probe si\nbw::bootwait:/etc/probe bw\n\
         s1:S:wait:/etc/probe s1 /etc/hold single\nl2:2:wait:/etc/probe l2\n",
        &["S"],
    );
    let mut steps = Vec::new();
    b.wait_file("tmp/probe/s1.0.env");
    steps.push(format!(
        "single user: runlevel {:?}, title {:?}",
        b.runlevel(),
        b.title()
    ));
    b.root.write("tmp/release-single", "");
    b.wait_done("l2", 0);
    steps.push(format!(
        "level 2: runlevel {:?}, title {:?}",
        b.runlevel(),
        b.title()
    ));
    Observed {
        logs: b.logs(),
        utmp: utmpdump(&b.root.join("run/utmp")),
        wtmp: utmpdump(&b.root.join("var/log/wtmp")),
        probes: b.probes(),
        steps,
    }
}

#[test]
fn single_user_boot_matches_debian() {
    assert_same(
        single_user_boot_run(Init::Ours),
        single_user_boot_run(Init::Debian),
    );
}

#[test]
fn debian_single_user_boot_is_as_spec_says() {
    let theirs = single_user_boot_run(Init::Debian);
    // No RUN_LVL record for S at boot (runlevel falls back on /run/runlevel), and the
    // one for 2 says N -> 2.
    assert_eq!(
        theirs.steps,
        [
            r#"single user: runlevel "N S", title "init [S]""#,
            r#"level 2: runlevel "N 2", title "init [2]""#,
        ]
    );
    let order: Vec<String> = theirs
        .wtmp
        .iter()
        .map(|r| {
            let fields: Vec<&str> = r.split("] [").collect();
            format!("{}] [{}] [{}", fields[0], fields[1], fields[2].trim_end())
        })
        .collect();
    assert_eq!(
        order,
        [
            "[5] [PID] [si",
            "[8] [PID] [si",
            "[2] [00000] [~~",
            "[5] [PID] [s1",
            "[8] [PID] [s1",
            "[5] [PID] [bw",
            "[8] [PID] [bw",
            "[1] [20018] [~~",
            "[5] [PID] [l2",
            "[8] [PID] [l2",
        ]
    );
    // bootwait ran only after single user, with the boot phase's view.
    assert_eq!(
        theirs.probes["bw.0.ids"]
            .lines()
            .skip(1)
            .collect::<Vec<_>>(),
        ["title=init [S]", "runlevel: ours=N * debian=N * file=*"]
    );
    assert_eq!(
        theirs.logs.syslog,
        [
            NO_INITTAB_D,
            "<30>init: Entering runlevel: 2",
            "<30>init: no more processes left in this runlevel",
        ]
    );
}

/// Writes raw bytes into the root's `/run/initctl` from the host (init holds the FIFO
/// open for reading, so the open does not block).
fn write_fifo(b: &Booted, bytes: &[u8]) {
    b.wait_fifo();
    write_initctl(&b.root, bytes);
}

/// Waits until the syslog holds `count` copies of `message`.
fn wait_syslog(b: &Booted, message: &str, count: usize) {
    let seen = || b.syslog.messages().iter().filter(|m| *m == message).count();
    if poll_until(TIMEOUT, || (seen() >= count).then_some(())).is_none() {
        panic!(
            "{:?} init: {count} x {message:?} never logged: {:#?}",
            b.init,
            b.syslog.messages()
        );
    }
}

/// A request for `cmd` (fields otherwise as telinit leaves them).
fn request(cmd: i32, level: u8) -> [u8; initctl::REQUEST_LEN] {
    let mut request = initctl::Request::runlevel(level, 3);
    request.cmd = cmd;
    request.encode()
}

/// docs/compatibility.md §3.3, §4.4, §4.5: requests telinit never sends, written to the FIFO: a bad level
/// (logged, inittab re-read anyway), the current level (ignored completely), unknown and
/// unimplemented commands, a short packet and a wrong magic; then `telinit q`.
fn fifo_requests_run(init: Init) -> Vec<String> {
    let b = Booted::boot(init, "id:3:initdefault:\nl3:3:wait:/etc/probe l3\n");
    b.wait_done("l3", 0);
    let unimplemented = "<30>init: got unimplemented initrequest.";
    let bogus = "<30>init: got bogus initrequest";

    write_fifo(&b, &request(initctl::CMD_RUNLVL, b'x'));
    wait_syslog(&b, NO_INITTAB_D, 2);
    write_fifo(&b, &request(initctl::CMD_RUNLVL, b'3'));
    write_fifo(&b, &request(9, 0));
    wait_syslog(&b, unimplemented, 1);
    write_fifo(&b, &[0x42; 100]);
    wait_syslog(&b, bogus, 1);
    let mut wrong_magic = request(initctl::CMD_RUNLVL, b'5');
    wrong_magic[0] ^= 0xff;
    write_fifo(&b, &wrong_magic);
    wait_syslog(&b, bogus, 2);
    write_fifo(&b, &request(initctl::CMD_START, 0));
    wait_syslog(&b, unimplemented, 2);
    b.telinit(&["q"]);
    wait_syslog(&b, "<30>init: Re-reading inittab", 1);
    wait_syslog(&b, NO_INITTAB_D, 3);
    assert_eq!(b.runlevel(), "N 3", "{init:?}");
    b.logs().syslog
}

#[test]
fn fifo_requests_match_debian() {
    assert_eq!(
        fifo_requests_run(Init::Ours),
        fifo_requests_run(Init::Debian)
    );
}

#[test]
fn debian_fifo_requests_are_as_spec_says() {
    let unimplemented = "<30>init: got unimplemented initrequest.";
    let bogus = "<30>init: got bogus initrequest";
    assert_eq!(
        fifo_requests_run(Init::Debian),
        [
            NO_INITTAB_D,
            "<30>init: Entering runlevel: 3",
            "<30>init: no more processes left in this runlevel",
            // Upper-cased before the check; inittab is re-read all the same.
            "<30>init: bad runlevel: X",
            NO_INITTAB_D,
            // '3' in level 3: nothing at all.
            unimplemented, // cmd 9
            bogus,         // 100 bytes
            bogus,         // wrong magic
            unimplemented, // INIT_CMD_START
            "<30>init: Re-reading inittab",
            NO_INITTAB_D,
        ]
    );
}

/// docs/compatibility.md §3.7: `telinit u` outside levels S0-6 is ignored (here in 7): the init keeps
/// running its own binary. Returns the syslog.
fn reexec_ignored_in_level_7(from: Init, to: Init) -> Vec<String> {
    let b = Booted::boot(from, "id:3:initdefault:\nl3:3:wait:/etc/probe l3\n");
    b.wait_done("l3", 0);
    b.telinit(&["7"]);
    wait_syslog(&b, NO_INITTAB_D, 2);
    set_sbin_init(&b.root, to);
    b.telinit(&["u"]);
    b.telinit(&["q"]);
    wait_syslog(&b, "<30>init: Re-reading inittab", 1);
    wait_syslog(&b, NO_INITTAB_D, 3);
    let logs = b.logs();
    assert!(
        !logs.console.iter().any(|l| l.ends_with(" reloading")),
        "{from:?}: {:#?}",
        logs.console
    );
    let exe = pid1_exe(&b);
    assert!(exe.starts_with(&exe_of(&b, from)), "{from:?} runs {exe}");
    assert_eq!(b.runlevel(), "3 7");
    logs.syslog
}

#[test]
fn reexec_in_level_7_is_ignored_like_debian() {
    assert_eq!(
        reexec_ignored_in_level_7(Init::Ours, Init::Debian),
        reexec_ignored_in_level_7(Init::Debian, Init::Ours)
    );
}

/// docs/compatibility.md §4.4 SETENV: at most 16 `INIT_*` variables; a name without `=` removes one (and
/// frees its place); `INIT_VERSION` from telinit against init's own. Returns l4's
/// environment.
fn setenv_run(init: Init) -> String {
    let b = Booted::boot(init, "id:3:initdefault:\nl4:4:wait:/etc/probe l4\n");
    wait_syslog(&b, "<30>init: Entering runlevel: 3", 1);
    let vars: Vec<String> = (1..=17).map(|i| format!("INIT_A{i}={i}")).collect();
    let mut args: Vec<&str> = Vec::new();
    for var in &vars {
        args.extend(["-e", var.as_str()]);
    }
    b.telinit(&args);
    b.telinit(&[
        "-e",
        "INIT_A3",
        "-e",
        "INIT_B=after",
        "-e",
        "INIT_VERSION=mine",
    ]);
    b.telinit(&["4"]);
    b.wait_done("l4", 0);
    b.probes()["l4.0.env"].clone()
}

#[test]
fn setenv_limits_match_debian() {
    assert_eq!(setenv_run(Init::Ours), setenv_run(Init::Debian));
}

#[test]
fn debian_setenv_limits_are_as_spec_says() {
    let env = setenv_run(Init::Debian);
    let mut names: Vec<&str> = env
        .lines()
        .filter(|l| l.starts_with("INIT_"))
        .filter_map(|l| l.split('=').next())
        .collect();
    names.sort();
    // A1..A16 took the 16 places (A17 was refused), A3's removal made room for B, and
    // init's own INIT_VERSION wins.
    let mut expected: Vec<String> = (1..=16)
        .filter(|i| *i != 3)
        .map(|i| format!("INIT_A{i}"))
        .collect();
    expected.extend(["INIT_B".to_string(), "INIT_VERSION".to_string()]);
    expected.sort();
    assert_eq!(names, expected, "{env}");
    assert!(
        env.lines().any(|l| l == "INIT_VERSION=sysvinit-3.06"),
        "{env}"
    );
}

/// docs/compatibility.md §4.4: the power requests a UPS daemon writes to the FIFO arm the same entries
/// as SIGPWR with `/run/powerstatus` (powerfail + powerwait, powerokwait, powerfailnow).
fn power_requests_run(init: Init) -> Observed {
    let b = Booted::boot(
        init,
        "id:3:initdefault:\nl3:3:wait:/etc/probe l3\npw::powerwait:/etc/probe pw\n\
         po::powerokwait:/etc/probe po\npn::powerfailnow:/etc/probe pn\n",
    );
    b.wait_done("l3", 0);
    for (cmd, id) in [
        (initctl::CMD_POWERFAIL, "pw"),
        (initctl::CMD_POWEROK, "po"),
        (initctl::CMD_POWERFAILNOW, "pn"),
    ] {
        write_fifo(&b, &request(cmd, 0));
        b.wait_done(id, 0);
    }
    Observed {
        logs: b.logs(),
        utmp: utmpdump(&b.root.join("run/utmp")),
        wtmp: utmpdump(&b.root.join("var/log/wtmp")),
        probes: b.probes(),
        steps: vec![b.runlevel()],
    }
}

#[test]
fn power_requests_match_debian() {
    let theirs = power_requests_run(Init::Debian);
    let ids: Vec<&String> = theirs.probes.keys().collect();
    assert_eq!(
        ids,
        [
            "l3.0.env", "l3.0.ids", "pn.0.env", "pn.0.ids", "po.0.env", "po.0.ids", "pw.0.env",
            "pw.0.ids"
        ]
    );
    assert_same(power_requests_run(Init::Ours), theirs);
}
