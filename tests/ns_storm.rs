//! PID 1 under load, faults and hostile input: orphan, respawn, junk and
//! SIGHUP storms, requests queued behind a re-exec, a fork shortage, and
//! (with `--features fault-injection`) recovery from a panic in the main
//! loop. Each storm runs against our `init` and, as a reference in the same
//! harness, Debian's real sysvinit 3.06 (`common::debian_pkg`), each as PID 1 of
//! its own namespace (`common::ns`).
//!
//! Every storm reads init's VmRSS and CPU time before and after and prints
//! them (`cargo nextest run --test ns_storm --no-capture` shows them); ours
//! must keep its memory flat. Timeouts are safety nets only: what a test
//! asserts is what happened (honoured, reaped, not duplicated), never how
//! fast.

mod common;
use common::debian_pkg;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::ns::{Pid1, TestRoot, is_fifo, open_to_write, write_initctl};
use common::poll_until;
use common::procfs::{self, Process};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use vinit::initctl::Request;

/// A safety net for each wait; nothing here depends on how fast things happen.
const WAIT: Duration = Duration::from_secs(120);

/// How much init's VmRSS may grow over a storm and still count as flat.
const RSS_MARGIN_KB: u64 = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Init {
    Ours,
    Debian,
}

/// A root with `inittab`, and `init` as PID 1 of a namespace in it, once
/// its FIFO is there. For Debian's, `/sbin/init` is its binary (renamed
/// over ours, so `telinit u` re-executes it); the other tools are ours.
fn boot(init: Init, inittab: &str) -> (TestRoot, Pid1) {
    let root = TestRoot::new();
    root.write("etc/inittab", inittab);
    if init == Init::Debian {
        debian_pkg::install_real(&root, "init", "sbin/init");
    }
    let pid1 = root.boot_program(&["/sbin/init"]);
    let fifo = poll_until(WAIT, || is_fifo(&root, "run/initctl").then_some(()));
    assert!(fifo.is_some(), "no /run/initctl:\n{}", pid1.console());
    (root, pid1)
}

/// init's resident memory and CPU time (user + system).
#[derive(Clone, Copy, Debug)]
struct Usage {
    rss_kb: u64,
    cpu: Duration,
}

fn usage(pid1: &Pid1) -> Usage {
    let pid = pid1.host_pid();
    Usage {
        rss_kb: procfs::status_field(pid, "VmRSS"),
        cpu: procfs::cpu_time(pid),
    }
}

/// Prints a storm's figures, and holds ours to flat memory.
fn report(storm: &str, init: Init, before: Usage, after: Usage, extra: &str) {
    eprintln!(
        "storm {storm} [{init:?}]: VmRSS {} -> {} kB, CPU {} ms{extra}",
        before.rss_kb,
        after.rss_kb,
        (after.cpu - before.cpu).as_millis()
    );
    if init == Init::Ours {
        assert!(
            after.rss_kb <= before.rss_kb + RSS_MARGIN_KB,
            "{storm}: init's memory grew from {} to {} kB",
            before.rss_kb,
            after.rss_kb
        );
    }
}

fn processes(pid1: &Pid1) -> Vec<Process> {
    procfs::namespace_processes(pid1.host_pid())
}

fn zombies(pid1: &Pid1) -> usize {
    procfs::zombies(pid1.host_pid()).len()
}

/// How many of the namespace's live processes run exactly `cmdline`.
fn running(pid1: &Pid1, cmdline: &str) -> Vec<i32> {
    processes(pid1)
        .into_iter()
        .filter(|process| process.state != 'Z' && process.cmdline == cmdline)
        .map(|process| process.pid)
        .collect()
}

const LEVEL_2: &str = "id:2:initdefault:\nl2:2:wait:/bin/echo LEVEL-2-UP\n";

// ---------------------------------------------------------------- orphans

/// 10,000 orphans (100 shells that each start 100 short `sleep`s and exit
/// at once), and no zombie once they have ended.
fn ten_thousand_orphans(init: Init) {
    let (root, pid1) = boot(init, LEVEL_2);
    pid1.expect_console("LEVEL-2-UP", WAIT);
    root.write_exec(
        "bin/orphans",
        "#!/bin/sh\nb=0\nwhile [ $b -lt 100 ]; do\n\
         /bin/sh -c 'i=0; while [ $i -lt 100 ]; do sleep 0.1 & i=$((i+1)); done'\n\
         b=$((b+1))\ndone\n",
    );
    let before = usage(&pid1);
    pid1.run_ok(&["/bin/orphans"]);
    let started = Instant::now();
    let clean = poll_until(WAIT, || {
        let left = processes(&pid1)
            .iter()
            .filter(|process| process.state == 'Z' || process.cmdline.starts_with("sleep"))
            .count();
        (left == 0).then_some(())
    });
    assert!(clean.is_some(), "zombies left: {}", zombies(&pid1));
    let after = usage(&pid1);
    report(
        "10000-orphans",
        init,
        before,
        after,
        &format!(
            ", clean {} ms after the last fork",
            started.elapsed().as_millis()
        ),
    );
}

#[test]
fn storm_ten_thousand_orphans_leave_no_zombie() {
    ten_thousand_orphans(Init::Ours);
}

#[test]
fn storm_ten_thousand_orphans_debian_reference() {
    ten_thousand_orphans(Init::Debian);
}

/// 2,000 orphans alive at once (each blocked on a FIFO), then all released
/// together.
fn two_thousand_live_orphans(init: Init) {
    const COUNT: usize = 2000;
    let (root, pid1) = boot(init, LEVEL_2);
    pid1.expect_console("LEVEL-2-UP", WAIT);
    nix::unistd::mkfifo(
        &root.join("tmp/go"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("mkfifo");
    pid1.run_ok(&[
        "/bin/sh",
        "-c",
        &format!(
            "i=0; while [ $i -lt {COUNT} ]; do cat /tmp/go >/dev/null 2>&1 & i=$((i+1)); done"
        ),
    ]);
    let all_waiting = poll_until(WAIT, || {
        (running(&pid1, "cat /tmp/go").len() == COUNT).then_some(())
    });
    assert!(all_waiting.is_some(), "the orphans did not all start");
    let before = usage(&pid1);
    // Opening and closing the FIFO for writing ends every reader at once.
    drop(
        std::fs::OpenOptions::new()
            .write(true)
            .open(root.join("tmp/go")),
    );
    let clean = poll_until(WAIT, || {
        (running(&pid1, "cat /tmp/go").is_empty() && zombies(&pid1) == 0).then_some(())
    });
    assert!(clean.is_some(), "zombies left: {}", zombies(&pid1));
    report("2000-live-orphans", init, before, usage(&pid1), "");
}

#[test]
fn storm_two_thousand_live_orphans_exit_at_once() {
    two_thousand_live_orphans(Init::Ours);
}

#[test]
fn storm_two_thousand_live_orphans_debian_reference() {
    two_thousand_live_orphans(Init::Debian);
}

// ---------------------------------------------------------------- respawn

/// Five respawn entries that exit at once, again and again: the limiter
/// disables each after ten starts, and init then rests.
fn five_respawn_entries(init: Init) {
    let inittab: String = std::iter::once("id:2:initdefault:\n".to_string())
        .chain((1..=5).map(|n| format!("r{n}:2:respawn:/bin/false\n")))
        .collect();
    let (root, pid1) = boot(init, &inittab);
    let before = usage(&pid1);
    let all_disabled = poll_until(WAIT, || {
        let console = pid1.console();
        (1..=5)
            .all(|n| console.contains(&format!("Id \"r{n}\" respawning too fast")))
            .then_some(())
    });
    assert!(all_disabled.is_some(), "{}", pid1.console());
    let after = usage(&pid1);
    let starts: BTreeMap<String, usize> = vinit::utmp::Record::read_all(&root.join("var/log/wtmp"))
        .expect("wtmp")
        .iter()
        .filter(|record| record.ut_type == vinit::utmp::INIT_PROCESS)
        .fold(BTreeMap::new(), |mut starts, record| {
            *starts.entry(record.id.clone()).or_default() += 1;
            starts
        });
    // At rest: no CPU spent while the entries are disabled.
    std::thread::sleep(Duration::from_millis(500));
    let rest = usage(&pid1);
    report(
        "5-respawn",
        init,
        before,
        after,
        &format!(
            ", starts {starts:?}, CPU {} ms in the next 500 ms",
            (rest.cpu - after.cpu).as_millis()
        ),
    );
    if init == Init::Ours {
        for n in 1..=5 {
            assert_eq!(starts.get(&format!("r{n}")), Some(&10), "{starts:?}");
        }
        // Bounded, generously: a thousand times what fifty forks cost.
        assert!(after.cpu - before.cpu < Duration::from_secs(10));
    }
}

#[test]
fn storm_five_respawn_entries_are_stopped_by_the_limiter() {
    five_respawn_entries(Init::Ours);
}

#[test]
fn storm_five_respawn_entries_debian_reference() {
    five_respawn_entries(Init::Debian);
}

// ------------------------------------------------------------------- junk

/// Random junk for the FIFO, without the magic number's first byte (so
/// that no junk holds a magic number by chance, which would make it
/// indistinguishable from a request's start).
fn junk(state: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            match *state as u8 {
                0x69 => 0x6a,
                byte => byte,
            }
        })
        .collect()
}

/// 100,000 junk packets of random lengths from two writers at once, with a
/// valid SETENV request every 10,000 packets, then `telinit 5`: the level
/// change must be honoured; ours must also have honoured every SETENV in
/// the junk (see init(8), "The FIFO").
fn junk_flood(init: Init) {
    const PACKETS_PER_WRITER: usize = 50_000;
    const VALID_EVERY: usize = 10_000;
    let inittab = "id:2:initdefault:\nl2:2:wait:/bin/echo LEVEL-2-UP\n\
                   e5:5:wait:/bin/sh -c 'env | grep ^INIT_W | sort | tr \"\\n\" \" \"; echo END-OF-ENV'\n";
    let (root, pid1) = boot(init, inittab);
    pid1.expect_console("LEVEL-2-UP", WAIT);
    let before = usage(&pid1);
    let writers: Vec<_> = (0..2u64)
        .map(|writer| {
            let path = root.join("run/initctl");
            std::thread::spawn(move || {
                let mut fifo = open_to_write(&path);
                let mut state = 0x9e37_79b9_7f4a_7c15 ^ (writer + 1);
                let mut valid = 0;
                for packet in 0..PACKETS_PER_WRITER {
                    let len = 1 + (state % 1000) as usize;
                    fifo.write_all(&junk(&mut state, len)).expect("write junk");
                    if packet % VALID_EVERY == VALID_EVERY / 2 {
                        let var = format!("INIT_W{writer}{valid}=1");
                        let request = Request::setenv(&[&var]).expect("fits");
                        fifo.write_all(&request.encode()).expect("write a request");
                        valid += 1;
                    }
                }
                valid
            })
        })
        .collect();
    let valid: usize = writers
        .into_iter()
        .map(|writer| writer.join().expect("writer"))
        .sum();
    let sent = Instant::now();
    pid1.run_ok(&["/sbin/telinit", "5"]);
    let switched = "INIT: Switching to runlevel: 5";
    if init == Init::Debian
        && let Err(transcript) = pid1.wait_console(switched, Duration::from_secs(30))
    {
        // sysvinit reads 384 bytes at a time: after junk of other lengths
        // its reads no longer start where requests start.
        let bogus = transcript.matches("got bogus initrequest").count();
        report(
            "junk-flood",
            init,
            before,
            usage(&pid1),
            &format!(", telinit 5 not honoured within 30 s after the junk, {bogus} bogus messages"),
        );
        return;
    }
    if init == Init::Ours {
        pid1.expect_console(switched, WAIT);
    }
    let honoured_after = sent.elapsed();
    let env = pid1.expect_console("END-OF-ENV", WAIT);
    let seen = env
        .rsplit("Switching to runlevel: 5")
        .next()
        .unwrap_or_default()
        .matches("INIT_W")
        .count();
    report(
        "junk-flood",
        init,
        before,
        usage(&pid1),
        &format!(
            ", telinit 5 honoured {} ms after the junk, {seen} of {valid} requests in the junk honoured",
            honoured_after.as_millis()
        ),
    );
    if init == Init::Ours {
        assert_eq!(seen, valid, "requests inside the junk were lost:\n{env}");
    }
}

#[test]
fn storm_junk_flood_does_not_starve_requests() {
    junk_flood(Init::Ours);
}

#[test]
fn storm_junk_flood_debian_reference() {
    junk_flood(Init::Debian);
}

// ------------------------------------------------------------------ SIGHUP

const LEVELS_2_AND_3: &str = "\
id:2:initdefault:
a:23:respawn:/bin/sleep 10001
b:3:respawn:/bin/sleep 10002
c:2:respawn:/bin/sleep 10003
";

/// A storm of SIGHUPs while init changes from level 2 to 3: afterwards each
/// entry of level 3 runs exactly once, and nothing of level 2 only.
fn sighup_storm(init: Init) {
    let (_root, pid1) = boot(init, LEVELS_2_AND_3);
    let up = poll_until(WAIT, || {
        (running(&pid1, "/bin/sleep 10001").len() == 1
            && running(&pid1, "/bin/sleep 10003").len() == 1)
            .then_some(())
    });
    assert!(up.is_some(), "level 2 did not come up:\n{}", pid1.console());
    let before = usage(&pid1);
    let stop = Arc::new(AtomicBool::new(false));
    let storm = {
        let (stop, pid) = (Arc::clone(&stop), Pid::from_raw(pid1.host_pid()));
        std::thread::spawn(move || {
            let mut sent = 0u32;
            while !stop.load(Ordering::SeqCst) && sent < 20_000 {
                let _ = kill(pid, Signal::SIGHUP);
                sent += 1;
            }
            sent
        })
    };
    // Let the storm begin, then change level in the middle of it.
    std::thread::sleep(Duration::from_millis(50));
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    let mut worst: BTreeMap<&str, usize> = BTreeMap::new();
    let settled = poll_until(WAIT, || {
        let counts = [
            ("a", running(&pid1, "/bin/sleep 10001").len()),
            ("b", running(&pid1, "/bin/sleep 10002").len()),
            ("c", running(&pid1, "/bin/sleep 10003").len()),
        ];
        for (id, count) in counts {
            let worst = worst.entry(id).or_default();
            *worst = (*worst).max(count);
        }
        (counts == [("a", 1), ("b", 1), ("c", 0)]).then_some(())
    });
    stop.store(true, Ordering::SeqCst);
    let sent = storm.join().expect("storm");
    assert!(
        settled.is_some(),
        "never settled: {:?}\n{}",
        processes(&pid1),
        pid1.console()
    );
    // Still so once the storm is over and init has handled it all.
    pid1.run_ok(&["/sbin/telinit", "q"]);
    std::thread::sleep(Duration::from_millis(300));
    let after: Vec<usize> = ["/bin/sleep 10001", "/bin/sleep 10002", "/bin/sleep 10003"]
        .iter()
        .map(|line| running(&pid1, line).len())
        .collect();
    report(
        "sighup",
        init,
        before,
        usage(&pid1),
        &format!(", {sent} SIGHUPs, most processes seen per entry {worst:?}"),
    );
    assert_eq!(after, [1, 1, 0], "{:?}", processes(&pid1));
    assert!(
        worst.values().all(|&count| count <= 1),
        "duplicate respawn processes: {worst:?}"
    );
}

#[test]
fn storm_sighup_during_a_level_change_starts_no_duplicate() {
    sighup_storm(Init::Ours);
}

#[test]
fn storm_sighup_during_a_level_change_debian_reference() {
    sighup_storm(Init::Debian);
}

// ------------------------------------------------------ requests and u

/// `telinit u` and `telinit 5` in one write. Ours handles the 5 in the new
/// image (the FIFO stays open across the re-exec, the 5 still in it);
/// Debian's sysvinit closes the FIFO before re-executing, so the 5 is
/// lost with it: the reference run reports what it did.
fn request_behind_reexec_in_one_write(init: Init) {
    let (root, pid1) = boot(init, "id:3:initdefault:\nl3:3:wait:/bin/echo LEVEL-3-UP\n");
    pid1.expect_console("LEVEL-3-UP", WAIT);
    let mut both = Request::runlevel(b'u', 3).encode().to_vec();
    both.extend(Request::runlevel(b'5', 3).encode());
    write_initctl(&root, &both);
    pid1.expect_console("reloading", WAIT);
    if init == Init::Ours {
        pid1.expect_console("INIT: Switching to runlevel: 5", WAIT);
        assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "3 5\n");
        return;
    }
    // A request after the re-exec shows where the reference ended.
    std::thread::sleep(Duration::from_millis(500));
    pid1.run_ok(&["/sbin/telinit", "4"]);
    pid1.expect_console("INIT: Switching to runlevel: 4", WAIT);
    eprintln!(
        "reference [{init:?}]: after `u` and `5` in one write, runlevel says {}",
        pid1.run_ok(&["/sbin/runlevel"]).trim()
    );
}

#[test]
fn a_request_written_with_telinit_u_is_handled_after_the_reexec() {
    request_behind_reexec_in_one_write(Init::Ours);
}

#[test]
fn a_request_written_with_telinit_u_debian_reference() {
    request_behind_reexec_in_one_write(Init::Debian);
}

/// `telinit u; telinit N`, ten times: ours loses no request. The
/// reference run counts what Debian's sysvinit lost.
fn request_right_after_reexec(init: Init) {
    let (_root, pid1) = boot(init, "id:3:initdefault:\nl3:3:wait:/bin/echo LEVEL-3-UP\n");
    pid1.expect_console("LEVEL-3-UP", WAIT);
    let mut lost = 0;
    let mut level = '3';
    for _ in 0..10 {
        let next = if level == '3' { '5' } else { '3' };
        pid1.run_ok(&[
            "/bin/sh",
            "-c",
            &format!("/sbin/telinit u; /sbin/telinit {next}"),
        ]);
        pid1.expect_console("reloading", WAIT);
        let switched = format!("INIT: Switching to runlevel: {next}");
        if init == Init::Ours {
            pid1.expect_console(&switched, WAIT);
            level = next;
            continue;
        }
        // The reference: a lost request shows as no switch; a second
        // `telinit` of the same level is then honoured.
        match pid1.wait_console(&switched, Duration::from_secs(5)) {
            Ok(_) => level = next,
            Err(_) => lost += 1,
        }
    }
    if init == Init::Ours {
        assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "5 3\n");
    } else {
        eprintln!(
            "reference [{init:?}]: {lost} of 10 requests right after `telinit u` lost (ended in {level})"
        );
    }
}

#[test]
fn a_request_right_after_telinit_u_is_never_lost() {
    request_right_after_reexec(Init::Ours);
}

#[test]
fn a_request_right_after_telinit_u_debian_reference() {
    request_right_after_reexec(Init::Debian);
}

// ------------------------------------------------------------ fork shortage

/// A pids cgroup (v2, or v1's `pids` hierarchy) that PID 1 is moved into;
/// removed when dropped (once the namespace is gone).
struct PidsCgroup {
    dir: PathBuf,
    parent: PathBuf,
}

impl PidsCgroup {
    /// `None` if this machine offers no pids controller we can write.
    fn new(name: &str) -> Option<PidsCgroup> {
        let v2 = PathBuf::from("/sys/fs/cgroup");
        let v1 = PathBuf::from("/sys/fs/cgroup/pids");
        let v2_has_pids = std::fs::read_to_string(v2.join("cgroup.subtree_control"))
            .is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "pids"));
        let parent = if v2_has_pids {
            v2
        } else if v1.join("cgroup.procs").exists() {
            v1
        } else {
            return None;
        };
        let dir = parent.join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        Some(PidsCgroup { dir, parent })
    }

    fn set_max(&self, max: &str) {
        std::fs::write(self.dir.join("pids.max"), max).expect("write pids.max");
    }

    fn enter(&self, pid: i32) {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string()).expect("move to cgroup");
    }

    /// How many forks the limit refused.
    fn refused(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("pids.events"))
            .ok()
            .and_then(|events| {
                events
                    .lines()
                    .find_map(|line| line.strip_prefix("max "))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        if let Ok(procs) = std::fs::read_to_string(self.dir.join("cgroup.procs")) {
            for pid in procs.lines() {
                let _ = std::fs::write(self.parent.join("cgroup.procs"), pid);
            }
        }
        let _ = poll_until(Duration::from_secs(10), || {
            std::fs::remove_dir(&self.dir).ok()
        });
    }
}

/// A minute-like PID shortage: the getty entry cannot be forked many times
/// over, is not disabled for it, and is back as soon as forks work.
#[test]
fn a_fork_shortage_does_not_disable_a_respawn_entry() {
    let Some(cgroup) = PidsCgroup::new("vinit-fork-shortage") else {
        eprintln!("skipped: this machine offers no writable pids cgroup");
        return;
    };
    let (_root, pid1) = boot(
        Init::Ours,
        "id:2:initdefault:\ng:2:respawn:/bin/sh -c 'echo GETTY-UP; exec sleep 1000'\n",
    );
    pid1.expect_console("GETTY-UP", WAIT);
    // Only init in the cgroup, and room for nothing more.
    cgroup.set_max("1");
    cgroup.enter(pid1.host_pid());
    let getty = running(&pid1, "sleep 1000");
    assert_eq!(getty.len(), 1, "{:?}", processes(&pid1));
    kill(Pid::from_raw(getty[0]), Signal::SIGKILL).expect("kill the getty");
    pid1.expect_console("INIT: cannot fork, retry..", WAIT);
    // More failed forks than the limiter's ten starts.
    let refused = poll_until(WAIT, || (cgroup.refused() > 10).then_some(()));
    assert!(refused.is_some(), "only {} forks refused", cgroup.refused());
    cgroup.set_max("max");
    pid1.expect_console("GETTY-UP", WAIT);
    let console = pid1.console();
    assert!(!console.contains("respawning too fast"), "{console}");
    assert_eq!(console.matches("cannot fork").count(), 1, "{console}");
    drop(pid1);
}

// ----------------------------------------------------------- self-recovery

/// Sends the fault-injection request (test builds only): init kills `pid`
/// (if not 0), leaves it unreaped, and panics.
#[cfg(feature = "fault-injection")]
fn inject_fault(root: &TestRoot, pid: i32) {
    let mut request = Request::runlevel(0, 0);
    request.cmd = vinit::initctl::CMD_FAULT;
    request.runlevel = pid;
    write_initctl(root, &request.encode());
}

/// A panic in the main loop: init re-executes itself with its state, the
/// child that died meanwhile is reaped, recorded and respawned, and init
/// goes on serving requests.
#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs a build with --features fault-injection"
)]
fn a_panic_in_the_main_loop_is_recovered_by_reexec() {
    #[cfg(feature = "fault-injection")]
    {
        let (root, pid1) = boot(
            Init::Ours,
            "id:2:initdefault:\na:2:respawn:/bin/sh -c 'echo A-UP; exec sleep 1001'\n",
        );
        pid1.expect_console("A-UP", WAIT);
        let victim = poll_until(WAIT, || running(&pid1, "sleep 1001").first().copied())
            .expect("a's process");
        let victim = procfs::namespace_pid(victim).expect("NSpid");
        inject_fault(&root, victim);
        pid1.expect_console("INIT: PANIC: ", WAIT);
        pid1.expect_console(
            "INIT: internal error: re-executing /sbin/init with the current state",
            WAIT,
        );
        pid1.expect_console("reloading", WAIT);
        pid1.expect_console("A-UP", WAIT);
        let dead = vinit::utmp::Record::read_all(&root.join("var/log/wtmp"))
            .expect("wtmp")
            .iter()
            .any(|r| r.ut_type == vinit::utmp::DEAD_PROCESS && r.id == "a" && r.pid == victim);
        assert!(dead, "no DEAD_PROCESS record for {victim}");
        // Respawned once (its shell has exec'd sleep once it is seen).
        let respawned = poll_until(WAIT, || {
            (running(&pid1, "sleep 1001").len() == 1).then_some(())
        });
        assert!(respawned.is_some(), "{:?}", processes(&pid1));
        assert_eq!(zombies(&pid1), 0);
        pid1.run_ok(&["/sbin/telinit", "3"]);
        pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    }
}

/// 100 `telinit u` while entries are being killed: every death is reaped
/// and recorded, every entry respawned once, none twice.
#[test]
fn a_hundred_reexecs_under_load_lose_no_child_and_start_no_duplicate() {
    const ENTRIES: usize = 8;
    let inittab: String = std::iter::once("id:2:initdefault:\n".to_string())
        .chain((0..ENTRIES).map(|n| format!("s{n}:2:respawn:/bin/sleep 2000{n}\n")))
        .collect();
    let (root, pid1) = boot(Init::Ours, &inittab);
    let line = |n: usize| format!("/bin/sleep 2000{n}");
    let up = poll_until(WAIT, || {
        (0..ENTRIES)
            .all(|n| running(&pid1, &line(n)).len() == 1)
            .then_some(())
    });
    assert!(up.is_some(), "entries did not start:\n{}", pid1.console());
    let before = usage(&pid1);
    let stop = Arc::new(AtomicBool::new(false));
    // The load: each entry's process killed now and then (eight times at
    // most, under the respawn limit), by PIDs read from /proc.
    let killer = {
        let stop = Arc::clone(&stop);
        let root_link =
            std::fs::read_link(format!("/proc/{}/root", pid1.host_pid())).expect("root");
        std::thread::spawn(move || {
            let mut killed: Vec<i32> = Vec::new();
            let mut kills = [0u32; ENTRIES];
            let mut turn = 0;
            while !stop.load(Ordering::SeqCst) {
                let n = turn % ENTRIES;
                turn += 1;
                if kills[n] < 8
                    && let Some(pid) = procfs::processes_in(&root_link)
                        .into_iter()
                        .find(|process| process.cmdline == format!("/bin/sleep 2000{n}"))
                        .map(|process| process.pid)
                    && !killed.contains(&pid)
                    && kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok()
                {
                    killed.push(pid);
                    kills[n] += 1;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            killed.len()
        })
    };
    for _ in 0..100 {
        pid1.run_ok(&["/sbin/telinit", "u"]);
    }
    let reloads = poll_until(WAIT, || {
        (pid1.console().matches("reloading").count() >= 100).then_some(())
    });
    stop.store(true, Ordering::SeqCst);
    let killed = killer.join().expect("killer");
    assert!(reloads.is_some(), "not 100 re-execs:\n{}", pid1.console());
    let settled = poll_until(WAIT, || {
        (0..ENTRIES)
            .all(|n| running(&pid1, &line(n)).len() == 1)
            .then_some(())
    });
    assert!(
        settled.is_some(),
        "entries lost: {:?}\n{}",
        processes(&pid1),
        pid1.console()
    );
    std::thread::sleep(Duration::from_millis(300));
    for n in 0..ENTRIES {
        assert_eq!(
            running(&pid1, &line(n)).len(),
            1,
            "s{n}: {:?}",
            processes(&pid1)
        );
    }
    assert_eq!(zombies(&pid1), 0);
    let records = vinit::utmp::Record::read_all(&root.join("var/log/wtmp")).expect("wtmp");
    let count = |kind: i16| records.iter().filter(|r| r.ut_type == kind).count();
    let (starts, deaths) = (
        count(vinit::utmp::INIT_PROCESS),
        count(vinit::utmp::DEAD_PROCESS),
    );
    // Every start but the running ones has its death recorded.
    assert_eq!(starts, deaths + ENTRIES, "starts {starts}, deaths {deaths}");
    assert_eq!(deaths, killed, "deaths recorded vs processes killed");
    assert!(!pid1.console().contains("respawning too fast"));
    report(
        "100-reexecs",
        Init::Ours,
        before,
        usage(&pid1),
        &format!(", {killed} children killed meanwhile"),
    );
}
