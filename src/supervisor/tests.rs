//! The policy driven by scripted events; every decision is recorded as a
//! line of text, so each test reads as the transcript it expects.

use super::*;
use crate::initctl::{self, Request};
use crate::inittab::{self, Loaded};
use crate::reexec_state::SavedState;
use crate::runlevel::{at, level, previous_char};
use nix::sys::signal::Signal;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;

/// An [`Effects`] that records decisions. Spawned children get PIDs 100,
/// 101, …; the inittab is read from a temporary root with the real loader.
struct Fake {
    root: tempfile::TempDir,
    next_pid: i32,
    log: Vec<String>,
    /// Requests of the spawns, as (id, pid, controlling tty, env levels, extra env).
    spawns: Vec<(String, i32, bool, ChildLevels, Vec<OsString>)>,
    answers: VecDeque<Runlevel>,
    fork_fails: bool,
    /// The `level` of each spawn request.
    levels: Vec<Phase>,
    /// What [`Effects::restart_is_reexec`] answers.
    restart_reexecs: bool,
    /// The states handed to [`Effects::reexec`].
    reexec_states: Vec<SavedState>,
}

impl Fake {
    fn new(inittab: &str) -> Fake {
        let root = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(root.path().join("etc")).expect("etc");
        let fake = Fake {
            root,
            next_pid: 100,
            log: Vec::new(),
            spawns: Vec::new(),
            answers: VecDeque::new(),
            fork_fails: false,
            levels: Vec::new(),
            restart_reexecs: false,
            reexec_states: Vec::new(),
        };
        fake.set_inittab(inittab);
        fake
    }

    fn inittab_path(&self) -> PathBuf {
        self.root.path().join("etc/inittab")
    }

    fn set_inittab(&self, text: &str) {
        fs::write(self.inittab_path(), text).expect("write inittab");
    }

    /// The recorded lines since the last call.
    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// The PID of the last spawn of entry `id`.
    fn pid_of(&self, id: &str) -> i32 {
        self.spawns
            .iter()
            .rev()
            .find(|spawn| spawn.0 == id)
            .map(|spawn| spawn.1)
            .unwrap_or_else(|| panic!("{id} never spawned"))
    }

    fn spawn_count(&self, id: &str) -> usize {
        self.spawns.iter().filter(|spawn| spawn.0 == id).count()
    }
}

impl Effects for Fake {
    fn load_inittab(&mut self) -> Loaded {
        self.log.push("load".into());
        inittab::load(&crate::filesystem::FileSystem, self.root.path())
    }

    fn release_memory(&mut self) {}

    fn spawn(&mut self, request: &SpawnRequest<'_>) -> Option<i32> {
        if self.fork_fails {
            return None;
        }
        let pid = self.next_pid;
        self.next_pid += 1;
        // A BusyBox entry's id is its tty, often empty: its command says
        // more.
        let name = match request.entry.grammar {
            inittab::Grammar::Sysvinit => request.entry.id.clone(),
            inittab::Grammar::BusyBox => request.entry.process.clone(),
        };
        self.log.push(format!("spawn {name} {pid}"));
        self.levels.push(request.level);
        self.spawns.push((
            name,
            pid,
            request.controlling_tty,
            request.levels,
            request.extra_env.vars().to_vec(),
        ));
        Some(pid)
    }

    fn kill_group(&mut self, pid: i32, signal: Signal) {
        self.log.push(format!("kill -{pid} {}", signal.as_str()));
    }

    fn log(&mut self, dest: Dest, message: &str) {
        let dest = match dest {
            Dest::Console => "C",
            Dest::Syslog => "S",
            Dest::Both => "CS",
        };
        // The file name of rejected lines depends on the temp dir.
        let message = message.replace(&self.root.path().display().to_string(), "");
        self.log.push(format!("{dest}: {message}"));
    }

    fn record(&mut self, record: Record) {
        self.log.push(match record {
            Record::Boot => "utmp boot".to_string(),
            Record::Runlevel { new, old } => {
                format!("utmp runlevel {new} {}", previous_char(old))
            }
            Record::Dead { id, pid } => format!("utmp dead {id} {pid}"),
            Record::Redo => "utmp redo".to_string(),
        });
    }

    fn set_title(&mut self, title: &str) {
        self.log.push(format!("title {title}"));
    }

    fn write_runlevel_file(&mut self, level: Phase) {
        self.log.push(format!("runlevel-file {level}"));
    }

    fn console_stty(&mut self) {
        self.log.push("stty".into());
    }

    fn ask_runlevel(&mut self) -> Runlevel {
        self.log.push("ask".into());
        self.answers.pop_front().unwrap_or(Runlevel::SINGLE)
    }

    fn reexec(&mut self, state: &SavedState, extra_env: &[OsString]) {
        self.log.push(format!(
            "reexec {} entries, env {extra_env:?}",
            state.entries.len()
        ));
        self.reexec_states.push(state.clone());
    }

    fn bring_down(&mut self, mode: DownMode) {
        self.log.push(format!("bring down {mode:?}"));
    }

    fn restart_is_reexec(&mut self, entry: &crate::inittab::Entry) -> bool {
        self.log.push(format!("is reexec? {}", entry.process));
        self.restart_reexecs
    }

    fn restart(&mut self, entry: &crate::inittab::Entry) {
        self.log.push(format!("restart {}", entry.process));
    }
}

const T0: Duration = Duration::from_secs(1000);

fn secs(s: u64) -> Duration {
    T0 + Duration::from_secs(s)
}

fn level_request(level: u8, sleeptime: i32) -> Event {
    Event::Request(Box::new(Request::runlevel(level, sleeptime)))
}

/// Boots with `inittab` and returns the supervisor after everything up to
/// the first waited-for process has been decided.
fn booted(inittab: &str) -> (Supervisor, Fake) {
    let mut fx = Fake::new(inittab);
    let mut sup = Supervisor::new(BootOptions::default());
    sup.boot(&mut fx, T0);
    (sup, fx)
}

const NO_TABD: &str = "CS: No inittab.d directory found";

#[test]
fn boot_runs_sysinit_then_bootwait_then_the_default_level_in_file_order() {
    let inittab = "\
id:2:initdefault:
si::sysinit:/etc/init.d/rcS
bw::bootwait:/bin/bootwait
b::boot:/bin/boot
l2:2:wait:/etc/init.d/rc 2
o2:2:once:/bin/once
r2:2:respawn:/sbin/getty tty1
l3:3:wait:/etc/init.d/rc 3
";
    let (mut sup, mut fx) = booted(inittab);
    assert_eq!(fx.take(), ["load", NO_TABD, "spawn si 100"]);
    assert_eq!(sup.runlevel(), at('#'));

    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(
        fx.take(),
        [
            "utmp dead si 100",
            "utmp boot",
            "runlevel-file *",
            "spawn bw 101",
        ]
    );
    // `boot` is not started while the bootwait entry before it runs.
    sup.child_exited(101, 0, &mut fx, secs(2));
    assert_eq!(
        fx.take(),
        [
            "utmp dead bw 101",
            "spawn b 102",
            "utmp runlevel 2 N",
            "CS: Entering runlevel: 2",
            "title init [2]",
            "runlevel-file 2",
            "spawn l2 103",
        ]
    );
    sup.child_exited(103, 0, &mut fx, secs(3));
    assert_eq!(
        fx.take(),
        ["utmp dead l2 103", "spawn o2 104", "spawn r2 105"]
    );
    // The boot entry exiting changes nothing; nothing waited for is left.
    sup.child_exited(102, 0, &mut fx, secs(4));
    assert_eq!(fx.take(), ["utmp dead b 102"]);

    // sysinit/bootwait: console as controlling tty, RUNLEVEL=S PREVLEVEL=N.
    let levels = |id: &str| {
        let spawn = fx.spawns.iter().find(|s| s.0 == id).expect("spawned");
        (spawn.2, spawn.3.this.char(), previous_char(spawn.3.prev))
    };
    assert_eq!(levels("si"), (true, 'S', 'N'));
    assert_eq!(levels("bw"), (true, 'S', 'N'));
    assert_eq!(levels("b"), (false, 'S', 'N'));
    assert_eq!(levels("l2"), (false, '2', 'N'));
    assert_eq!(levels("r2"), (false, '2', 'N'));
}

#[test]
fn respawn_limiter_allows_ten_starts_in_120_s_then_disables_for_5_minutes() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nf1:2:respawn:/bin/false\n");
    fx.take();
    for _ in 0..9 {
        let pid = fx.pid_of("f1");
        sup.child_exited(pid, 256, &mut fx, secs(10));
    }
    assert_eq!(fx.spawn_count("f1"), 10);
    fx.take();
    let pid = fx.pid_of("f1");
    sup.child_exited(pid, 256, &mut fx, secs(10));
    assert_eq!(
        fx.take(),
        [
            format!("utmp dead f1 {pid}"),
            "CS: Id \"f1\" respawning too fast: disabled for 5 minutes".to_string(),
            "CS: no more processes left in this runlevel".to_string(),
        ]
    );
    assert_eq!(fx.spawn_count("f1"), 10);
    assert_eq!(sup.next_deadline(), Some(secs(10 + 301)));

    // Not yet at 300 s, then re-enabled.
    sup.tick(&mut fx, secs(10 + 300));
    assert_eq!(fx.spawn_count("f1"), 10);
    sup.tick(&mut fx, secs(10 + 301));
    assert_eq!(fx.spawn_count("f1"), 11);
    assert_eq!(sup.next_deadline(), None);
}

#[test]
fn respawn_window_is_fixed_not_sliding() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nf1:2:respawn:/bin/false\n");
    // 9 quick exits, then a pause past the window: the count restarts.
    for _ in 0..9 {
        let pid = fx.pid_of("f1");
        sup.child_exited(pid, 256, &mut fx, secs(0));
    }
    let pid = fx.pid_of("f1");
    sup.child_exited(pid, 256, &mut fx, secs(121));
    for _ in 0..9 {
        let pid = fx.pid_of("f1");
        sup.child_exited(pid, 256, &mut fx, secs(122));
    }
    assert_eq!(fx.spawn_count("f1"), 20);
    assert!(!fx.take().iter().any(|l| l.contains("too fast")));
}

#[test]
fn telinit_q_clears_respawn_failures() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nf1:2:respawn:/bin/false\n");
    for _ in 0..10 {
        let pid = fx.pid_of("f1");
        sup.child_exited(pid, 256, &mut fx, secs(1));
    }
    assert_eq!(fx.spawn_count("f1"), 10);
    fx.take();
    sup.handle(level_request(b'q', 3), &mut fx, secs(2));
    assert_eq!(
        fx.take(),
        [
            "S: Re-reading inittab",
            "load",
            NO_TABD,
            "title init [2]",
            "runlevel-file 2",
            "spawn f1 110",
        ]
    );
}

#[test]
fn level_change_terms_the_process_group_then_kills_after_sleep_time() {
    let inittab = "\
id:2:initdefault:
a:2:respawn:/bin/a
b:2:respawn:/bin/b
both:23:respawn:/bin/both
c:3:respawn:/bin/c
";
    let (mut sup, mut fx) = booted(inittab);
    assert_eq!(fx.pid_of("a"), 100);
    fx.take();
    sup.handle(level_request(b'3', 1), &mut fx, secs(0));
    assert_eq!(
        fx.take(),
        [
            "utmp runlevel 3 2",
            "CS: Switching to runlevel: 3",
            "utmp redo",
            "load",
            NO_TABD,
            "C: Sending processes configured via /etc/inittab the TERM signal",
            "kill -100 SIGTERM",
            "kill -101 SIGTERM",
            "title init [3]",
            "runlevel-file 3",
        ]
    );
    assert!(!sup.accepts_requests());
    assert_eq!(sup.next_deadline(), Some(secs(1)));
    // `a` obeys; a request arriving meanwhile waits for the kill rounds.
    sup.child_exited(100, 15, &mut fx, secs(0));
    sup.handle(level_request(b'q', 1), &mut fx, secs(0));
    assert_eq!(fx.take(), ["utmp dead a 100"]);
    // `b` ignores TERM: KILL after sleep_time, then it is reaped.
    sup.tick(&mut fx, secs(1));
    assert_eq!(
        fx.take(),
        [
            "C: Sending processes configured via /etc/inittab the KILL signal",
            "kill -101 SIGKILL",
        ]
    );
    sup.child_exited(101, 9, &mut fx, secs(1));
    let log = fx.take();
    assert_eq!(log[..2], ["utmp dead b 101", "S: Re-reading inittab"]);
    // The new level's entry starts; `both` was never touched.
    assert_eq!(fx.spawn_count("c"), 1);
    assert_eq!(fx.spawn_count("both"), 1);
    assert!(sup.accepts_requests());
}

#[test]
fn a_process_that_survives_kill_is_reported_as_hanging() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\na:2:respawn:/bin/a\n");
    fx.take();
    sup.handle(level_request(b'3', 0), &mut fx, secs(0));
    let log = fx.take();
    assert!(log.contains(&"kill -100 SIGTERM".to_string()));
    // sleep_time 0: KILL right away.
    assert!(log.contains(&"kill -100 SIGKILL".to_string()));
    sup.tick(&mut fx, secs(0) + KILL_GRACE);
    assert_eq!(
        fx.take(),
        [
            "C: Pid 100 [id a] seems to hang",
            "CS: no more processes left in this runlevel"
        ]
    );
    // Its late exit is just an orphan's.
    sup.child_exited(100, 9, &mut fx, secs(5));
    assert_eq!(fx.take(), Vec::<String>::new());
}

#[test]
fn telinit_current_level_is_a_no_op() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\na:2:respawn:/bin/a\n");
    fx.take();
    sup.handle(level_request(b'2', 3), &mut fx, secs(0));
    assert_eq!(fx.take(), Vec::<String>::new());
}

#[test]
fn bad_level_is_logged_but_still_rereads_and_clears_failures() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nf1:2:respawn:/bin/false\n");
    for _ in 0..10 {
        let pid = fx.pid_of("f1");
        sup.child_exited(pid, 256, &mut fx, secs(1));
    }
    fx.take();
    sup.handle(level_request(b'x', 3), &mut fx, secs(2));
    let log = fx.take();
    assert_eq!(log[..3], ["CS: bad runlevel: X", "load", NO_TABD]);
    assert!(log.contains(&"spawn f1 110".to_string()));
    assert_eq!(sup.runlevel(), at('2'));
}

#[test]
fn entries_left_out_of_a_level_run_again_when_it_is_reentered() {
    let inittab = "id:3:initdefault:\nl3:3:wait:/etc/init.d/rc 3\no3:3:once:/bin/once\n";
    let (mut sup, mut fx) = booted(inittab);
    sup.child_exited(fx.pid_of("l3"), 0, &mut fx, secs(0));
    sup.child_exited(fx.pid_of("o3"), 0, &mut fx, secs(0));
    sup.handle(level_request(b'7', 3), &mut fx, secs(1));
    assert!(
        fx.take()
            .contains(&"CS: no more processes left in this runlevel".to_string())
    );
    sup.handle(level_request(b'3', 3), &mut fx, secs(2));
    assert_eq!(fx.spawn_count("l3"), 2);
    // o3 waits behind l3 again.
    assert_eq!(fx.spawn_count("o3"), 1);
    sup.child_exited(fx.pid_of("l3"), 0, &mut fx, secs(3));
    assert_eq!(fx.spawn_count("o3"), 2);
}

#[test]
fn boot_entries_are_never_killed_by_a_level_change() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nb::boot:/bin/daemon\n");
    assert_eq!(fx.pid_of("b"), 100);
    fx.take();
    sup.handle(level_request(b'3', 3), &mut fx, secs(0));
    assert!(!fx.take().iter().any(|l| l.starts_with("kill")));
}

#[test]
fn changed_action_kills_but_changed_command_does_not() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\na:2:respawn:/bin/a\nb:2:respawn:/bin/b\n");
    fx.take();
    fx.set_inittab("id:2:initdefault:\na:2:respawn:/bin/a --new\nb:2:once:/bin/b\n");
    sup.handle(Event::Reload, &mut fx, secs(0));
    let log = fx.take();
    assert!(!log.contains(&"kill -100 SIGTERM".to_string()));
    assert!(log.contains(&"kill -101 SIGTERM".to_string()));
    // The new command is used at the next start.
    sup.child_exited(100, 0, &mut fx, secs(0));
    sup.child_exited(101, 0, &mut fx, secs(0));
    let log = fx.take();
    assert!(log.contains(&"spawn a 102".to_string()), "{log:?}");
}

#[test]
fn reload_with_a_broken_inittab_keeps_the_running_configuration() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\na:2:respawn:/bin/a\n");
    fx.take();
    fx.set_inittab("id:2:initdefault:\nb:2:respawn:/bin/b\nbad line\nc:2:frobnicate:/bin/c\n");
    sup.handle(Event::Reload, &mut fx, secs(0));
    assert_eq!(
        fx.take(),
        [
            "load",
            NO_TABD,
            "CS: /etc/inittab:3:1: id field too long (max 4 characters)",
            "CS: /etc/inittab:4:5: frobnicate: unknown action field",
            "CS: configuration not applied: keeping the previous one",
            "title init [2]",
        ]
    );
    // `a` is still supervised.
    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(fx.take(), ["utmp dead a 100", "spawn a 101"]);
    // Fixed: applied.
    fx.set_inittab("id:2:initdefault:\nb:2:respawn:/bin/b\n");
    sup.handle(Event::Reload, &mut fx, secs(2));
    let log = fx.take();
    assert!(log.contains(&"kill -101 SIGTERM".to_string()), "{log:?}");
}

#[test]
fn at_boot_bad_lines_are_skipped_with_sysvinit_messages() {
    let (_sup, mut fx) = booted("id:2:initdefault:\nbad line\na:2:respawn:/bin/a\n");
    assert_eq!(
        fx.take(),
        [
            "load",
            NO_TABD,
            "CS: /etc/inittab[2]: id field too long (max 4 characters)",
            "utmp boot",
            "runlevel-file *",
            "utmp runlevel 2 N",
            "CS: Entering runlevel: 2",
            "title init [2]",
            "runlevel-file 2",
            "spawn a 100",
        ]
    );
}

#[test]
fn missing_inittab_prompts_and_runs_sulogin_in_s() {
    let mut fx = Fake::new("");
    fs::remove_file(fx.inittab_path()).expect("rm");
    fx.answers.push_back(level('S'));
    fx.answers.push_back(level('3'));
    let mut sup = Supervisor::new(BootOptions::default());
    sup.boot(&mut fx, T0);
    assert_eq!(
        fx.take(),
        [
            "load",
            "CS: No inittab file found",
            NO_TABD,
            "utmp boot",
            "ask",
            "title init [S]",
            "runlevel-file S",
            "spawn ~~ 100",
        ]
    );
    assert!(
        fx.spawns[0].2,
        "sulogin gets the console as controlling tty"
    );
    // sulogin ends: ask again; 3 goes through the boot phase first.
    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(
        fx.take(),
        [
            "utmp dead ~~ 100",
            "ask",
            "runlevel-file *",
            "utmp runlevel 3 N",
            "CS: Entering runlevel: 3",
            "title init [3]",
            "runlevel-file 3",
            "CS: no more processes left in this runlevel",
        ]
    );
}

#[test]
fn command_line_level_overrides_initdefault() {
    let mut fx = Fake::new("id:2:initdefault:\nl5:5:wait:/bin/l5\n");
    let mut sup = Supervisor::new(BootOptions {
        level: Some(level('5')),
        emergency: false,
    });
    sup.boot(&mut fx, T0);
    assert_eq!(fx.pid_of("l5"), 100);
}

#[test]
fn invalid_initdefault_is_logged_and_prompts() {
    let mut fx = Fake::new("id:x:initdefault:\n");
    fx.answers.push_back(level('4'));
    let mut sup = Supervisor::new(BootOptions::default());
    sup.boot(&mut fx, T0);
    let log = fx.take();
    assert!(
        log.contains(&"CS: Initdefault level 'X' is invalid".to_string()),
        "{log:?}"
    );
    assert!(log.contains(&"CS: Entering runlevel: 4".to_string()));
}

#[test]
fn single_user_at_boot_skips_boot_entries_until_it_ends() {
    let inittab = "\
id:2:initdefault:
bw::bootwait:/bin/bw
~~:S:wait:/sbin/sulogin
l2:2:wait:/etc/init.d/rc 2
";
    let mut fx = Fake::new(inittab);
    let mut sup = Supervisor::new(BootOptions {
        level: Some(level('S')),
        emergency: false,
    });
    sup.boot(&mut fx, T0);
    assert_eq!(fx.pid_of("~~"), 100);
    assert_eq!(fx.spawn_count("bw"), 0);
    fx.take();
    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(
        fx.take(),
        ["utmp dead ~~ 100", "runlevel-file *", "spawn bw 101"]
    );
    sup.child_exited(101, 0, &mut fx, secs(2));
    let log = fx.take();
    assert!(log.contains(&"utmp runlevel 2 N".to_string()), "{log:?}");
    assert_eq!(fx.pid_of("l2"), 102);
}

#[test]
fn telinit_s_after_boot_goes_single_user_and_back_to_initdefault() {
    let inittab = "id:2:initdefault:\n~~:S:wait:/sbin/sulogin\nr:2:respawn:/bin/r\n";
    let (mut sup, mut fx) = booted(inittab);
    fx.take();
    sup.handle(level_request(b's', 3), &mut fx, secs(0));
    let log = fx.take();
    assert_eq!(
        log[..5],
        [
            "utmp runlevel S 2",
            "CS: Going single user",
            "stty",
            "load",
            NO_TABD
        ]
    );
    sup.child_exited(100, 15, &mut fx, secs(0));
    let sulogin = fx.pid_of("~~");
    let spawn = fx.spawns.last().expect("spawn");
    assert_eq!(
        (spawn.2, spawn.3.this, spawn.3.prev),
        (true, Runlevel::SINGLE, Some(at('2')))
    );
    fx.take();
    sup.child_exited(sulogin, 0, &mut fx, secs(1));
    let log = fx.take();
    assert!(log.contains(&"utmp runlevel 2 S".to_string()), "{log:?}");
    assert_eq!(fx.spawn_count("r"), 2);
}

#[test]
fn power_and_ctrlaltdel_entries_run_first_and_block_the_rest() {
    let inittab = "\
id:2:initdefault:
r:2:respawn:/bin/r
pw::powerwait:/bin/pw
pf::powerfail:/bin/pf
ca::ctrlaltdel:/sbin/shutdown -r now
kb::kbrequest:/bin/kb
pn::powerfailnow:/bin/pn
po::powerokwait:/bin/po
";
    let (mut sup, mut fx) = booted(inittab);
    assert_eq!(fx.spawn_count("r"), 1);
    fx.take();
    sup.handle(Event::Power(PowerEvent::Fail), &mut fx, secs(0));
    // powerwait waits: powerfail after it is not started yet.
    assert_eq!(fx.take(), ["spawn pw 101"]);
    // While it runs, the respawn entry is not restarted.
    sup.child_exited(100, 0, &mut fx, secs(0));
    assert_eq!(fx.take(), ["utmp dead r 100"]);
    sup.child_exited(101, 0, &mut fx, secs(1));
    assert_eq!(
        fx.take(),
        ["utmp dead pw 101", "spawn pf 102", "spawn r 103"]
    );
    sup.handle(Event::CtrlAltDel, &mut fx, secs(2));
    assert_eq!(fx.take(), ["spawn ca 104"]);
    // kbrequest sits in file order, behind the waited-for ctrlaltdel.
    sup.handle(Event::KbRequest, &mut fx, secs(2));
    sup.handle(Event::Power(PowerEvent::FailNow), &mut fx, secs(2));
    assert_eq!(
        fx.take(),
        Vec::<String>::new(),
        "ctrlaltdel is still waited for"
    );
    sup.child_exited(104, 0, &mut fx, secs(3));
    assert_eq!(fx.take(), ["utmp dead ca 104", "spawn pn 105"]);
    sup.child_exited(105, 0, &mut fx, secs(3));
    assert_eq!(fx.take(), ["utmp dead pn 105", "spawn kb 106"]);
    sup.handle(
        Event::Request(Box::new(Request {
            cmd: initctl::CMD_POWEROK,
            runlevel: 0,
            sleeptime: 5,
            data: [0; initctl::DATA_LEN],
        })),
        &mut fx,
        secs(4),
    );
    assert_eq!(fx.take(), ["spawn po 107"]);
}

#[test]
fn power_events_during_boot_wait_for_the_first_level() {
    let inittab = "id:2:initdefault:\nsi::sysinit:/bin/si\npf::powerfail:/bin/pf\n";
    let (mut sup, mut fx) = booted(inittab);
    sup.handle(Event::Power(PowerEvent::Fail), &mut fx, secs(0));
    assert_eq!(fx.spawn_count("pf"), 0);
    sup.child_exited(fx.pid_of("si"), 0, &mut fx, secs(1));
    assert_eq!(fx.spawn_count("pf"), 1);
}

#[test]
fn demand_entries_start_on_telinit_letter_and_respawn() {
    let inittab = "id:2:initdefault:\nod:a:ondemand:/bin/od\nob:B:once:/bin/ob\n";
    let (mut sup, mut fx) = booted(inittab);
    assert_eq!(fx.spawn_count("od"), 0);
    fx.take();
    sup.handle(level_request(b'a', 3), &mut fx, secs(0));
    let log = fx.take();
    assert_eq!(
        log[..5],
        [
            "S: Activating demand-procedures for 'A'",
            "load",
            NO_TABD,
            "load",
            NO_TABD
        ]
    );
    assert!(log.contains(&"spawn od 100".to_string()));
    assert!(!log.iter().any(|l| l.starts_with("utmp runlevel")));
    assert_eq!(sup.runlevel(), at('2'));
    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(fx.spawn_count("od"), 2);
    // Upper-case field, lower-case request: marked too.
    sup.handle(level_request(b'b', 3), &mut fx, secs(1));
    assert_eq!(fx.spawn_count("ob"), 1);
    // Demand entries survive a level change, except to S.
    sup.handle(level_request(b'3', 3), &mut fx, secs(2));
    assert!(!fx.take().iter().any(|l| l == "kill -101 SIGTERM"));
    sup.handle(level_request(b'S', 0), &mut fx, secs(3));
    assert!(fx.take().contains(&"kill -101 SIGTERM".to_string()));
}

#[test]
fn setenv_reaches_later_children_and_unimplemented_requests_are_logged() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    let set = Request::setenv(&["INIT_HALT=POWEROFF", "NOTINIT=x", "INIT_GONE"]).expect("fits");
    sup.handle(Event::Request(Box::new(set)), &mut fx, secs(0));
    sup.child_exited(100, 0, &mut fx, secs(0));
    assert_eq!(fx.spawns.last().expect("spawn").4, ["INIT_HALT=POWEROFF"]);
    fx.take();
    let mut odd = Request::runlevel(b'3', 0);
    odd.cmd = 9;
    sup.handle(Event::Request(Box::new(odd)), &mut fx, secs(0));
    assert_eq!(fx.take(), ["CS: got unimplemented initrequest."]);
}

#[test]
fn a_flood_of_unimplemented_requests_is_logged_a_few_times_then_counted() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    fx.take();
    let mut odd = Request::runlevel(0, 0);
    odd.cmd = 9;
    for _ in 0..1000 {
        sup.handle(Event::Request(Box::new(odd.clone())), &mut fx, secs(10));
    }
    assert_eq!(fx.take(), ["CS: got unimplemented initrequest."; 5]);
    // The count comes when the second is over, without another request.
    assert_eq!(sup.next_deadline(), Some(secs(11)));
    sup.tick(&mut fx, secs(11));
    assert_eq!(
        fx.take(),
        ["CS: got unimplemented initrequest: 995 more ignored without a message"]
    );
    assert_eq!(sup.next_deadline(), None);
}

#[test]
fn stop_defers_everything_but_reaping_until_continue() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    fx.take();
    sup.handle(Event::Stop, &mut fx, secs(0));
    sup.child_exited(100, 0, &mut fx, secs(0));
    sup.handle(level_request(b'3', 3), &mut fx, secs(0));
    assert_eq!(fx.take(), ["utmp dead r 100"]);
    for _ in 0..3 {
        sup.handle(Event::Reload, &mut fx, secs(0));
    }
    sup.handle(Event::Continue, &mut fx, secs(1));
    let log = fx.take();
    // The three SIGHUPs count once: one read for the level change, one for
    // the reload.
    assert_eq!(log.iter().filter(|line| *line == "load").count(), 2);
    assert_eq!(
        log[..2],
        ["utmp runlevel 3 2", "CS: Switching to runlevel: 3"]
    );
}

#[test]
fn emergency_shell_runs_before_the_boot() {
    let mut fx = Fake::new("id:2:initdefault:\nsi::sysinit:/bin/si\n");
    let mut sup = Supervisor::new(BootOptions {
        level: None,
        emergency: true,
    });
    sup.boot(&mut fx, T0);
    assert_eq!(fx.take(), ["spawn ~~ 100"]);
    assert!(fx.spawns[0].2);
    assert_eq!(fx.levels[0], Phase::SINGLE);
    sup.handle(level_request(b'3', 3), &mut fx, secs(0));
    assert_eq!(fx.take(), Vec::<String>::new());
    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(fx.take()[..3], ["load", NO_TABD, "spawn si 101"]);
}

#[test]
fn fork_failure_is_retried_later() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    fx.fork_fails = true;
    sup.child_exited(100, 0, &mut fx, secs(0));
    assert!(fx.take().contains(&"CS: cannot fork, retry..".to_string()));
    assert_eq!(sup.next_deadline(), Some(secs(0) + FORK_RETRY_FIRST));
    fx.fork_fails = false;
    sup.tick(&mut fx, secs(0) + FORK_RETRY_FIRST);
    assert_eq!(fx.spawn_count("r"), 2);
    assert_eq!(sup.next_deadline(), None);
}

/// A minute-long PID shortage: the retries back off, are logged once, do
/// not count as starts (the entry is not disabled), and the entry is back
/// as soon as a fork works.
#[test]
fn failed_forks_are_not_starts_and_back_off() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\nl:2:respawn:/bin/l\n");
    assert_eq!(fx.spawn_count("r"), 1);
    fx.take();
    fx.fork_fails = true;
    let r = fx.pid_of("r");
    sup.child_exited(r, 0, &mut fx, secs(1));
    assert_eq!(
        fx.take(),
        [
            format!("utmp dead r {r}"),
            "CS: cannot fork, retry..".into()
        ]
    );
    let mut now = secs(1);
    let mut waits = Vec::new();
    let mut attempts = 0;
    while now < secs(61) {
        let deadline = sup.next_deadline().expect("a retry is due");
        waits.push(deadline - now);
        now = deadline;
        sup.tick(&mut fx, now);
        attempts += 1;
        // Events in between (a SIGHUP, a request) do not fork before the
        // retry is due.
        sup.handle(Event::CtrlAltDel, &mut fx, now);
    }
    assert!(attempts > 20, "retried {attempts} times in a minute");
    assert_eq!(waits[..4], [100, 200, 400, 800].map(Duration::from_millis));
    assert!(waits.iter().all(|wait| *wait <= FORK_RETRY_MAX));
    assert_eq!(fx.take(), Vec::<String>::new(), "logged once per shortage");
    // Forks work again: the next retry starts the entry, not disabled.
    fx.fork_fails = false;
    sup.tick(&mut fx, sup.next_deadline().expect("retry"));
    assert_eq!(fx.take(), [format!("spawn r {}", fx.next_pid - 1)]);
    // A process that exits during a shortage makes the retry immediate.
    fx.fork_fails = true;
    let r = fx.pid_of("r");
    sup.child_exited(r, 0, &mut fx, now);
    assert_eq!(
        fx.take(),
        [
            format!("utmp dead r {r}"),
            "CS: cannot fork, retry..".into()
        ]
    );
    fx.fork_fails = false;
    sup.child_exited(999, 0, &mut fx, now);
    assert_eq!(fx.take(), [format!("spawn r {}", fx.next_pid - 1)]);
    // And only real starts count: nine more exits within the window are
    // still allowed (two starts so far after the boot's).
    for _ in 0..7 {
        sup.child_exited(fx.pid_of("r"), 0, &mut fx, now);
    }
    assert!(
        !fx.take().iter().any(|line| line.contains("too fast")),
        "failed forks were counted"
    );
}

/// A `wait` entry that cannot be forked holds back what comes after it.
#[test]
fn nothing_starts_past_an_entry_that_could_not_be_forked() {
    let mut fx = Fake::new("id:2:initdefault:\nsi::sysinit:/bin/si\nl2:2:wait:/bin/rc\n");
    fx.fork_fails = true;
    let mut sup = Supervisor::new(BootOptions::default());
    sup.boot(&mut fx, T0);
    assert_eq!(sup.runlevel(), at('#'), "sysinit not skipped");
    fx.fork_fails = false;
    sup.tick(&mut fx, sup.next_deadline().expect("retry"));
    assert_eq!(fx.spawn_count("si"), 1);
    assert_eq!(fx.spawn_count("l2"), 0);
}

#[test]
fn reexec_hands_over_state_that_restores_supervision() {
    let inittab =
        "id:2:initdefault:\nr:2:respawn:/bin/r\no:2:once:/bin/o\nca::ctrlaltdel:/bin/ca\n";
    let (mut sup, mut fx) = booted(inittab);
    sup.handle(
        Event::Request(Box::new(Request::setenv(&["INIT_X=1"]).expect("fits"))),
        &mut fx,
        secs(0),
    );
    fx.take();
    sup.handle(level_request(b'u', 3), &mut fx, secs(0));
    assert_eq!(
        fx.take(),
        [
            "S: Trying to re-exec init",
            "reexec 4 entries, env [\"INIT_X=1\"]",
            "C: Attempt to re-exec failed",
        ]
    );

    let state = sup.snapshot();
    let text = crate::reexec_state::serialize(&state);
    let parsed = crate::reexec_state::parse(text.as_bytes()).expect("parses");
    let mut restored = Supervisor::restore(
        &parsed,
        ExtraEnv::from_environment([std::ffi::OsStr::new("INIT_X=1")]),
    );
    restored.resume(&mut fx, secs(1));
    // Nothing restarted: `r` still runs, `o` already ran, ctrlaltdel disarmed.
    assert_eq!(fx.take(), Vec::<String>::new());
    assert_eq!(
        restored.running_pids(),
        [("r".to_string(), 100), ("o".to_string(), 101)]
    );
    restored.child_exited(100, 0, &mut fx, secs(2));
    assert_eq!(fx.take(), ["utmp dead r 100", "spawn r 102"]);
    assert_eq!(fx.spawns.last().expect("spawn").4, ["INIT_X=1"]);
    restored.child_exited(101, 0, &mut fx, secs(2));
    assert_eq!(fx.take(), ["utmp dead o 101"]);
    restored.handle(Event::CtrlAltDel, &mut fx, secs(3));
    assert_eq!(fx.take(), ["spawn ca 103"]);
}

#[test]
fn restored_respawn_counters_at_their_limits_do_not_overflow() {
    let (sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    fx.take();
    let mut state = sup.snapshot();
    for entry in &mut state.entries {
        entry.respawn = Some(crate::reexec_state::RespawnCounter {
            count: u32::MAX,
            window_start: Some(u64::MAX),
            failing: false,
        });
    }
    let mut restored = Supervisor::restore(&state, ExtraEnv::from_environment([]));
    restored.resume(&mut fx, secs(1));
    assert_eq!(fx.take(), Vec::<String>::new());
    // The window never ends, so the next start is one too many.
    restored.child_exited(100, 0, &mut fx, secs(2));
    assert_eq!(
        fx.take(),
        [
            "utmp dead r 100",
            "CS: Id \"r\" respawning too fast: disabled for 5 minutes",
            "CS: no more processes left in this runlevel",
        ]
    );
    assert_eq!(restored.next_deadline(), Some(secs(2 + 301)));
    restored.tick(&mut fx, secs(2 + 301));
    assert_eq!(fx.take(), ["spawn r 101"]);
}

#[test]
fn reexec_is_ignored_outside_s_and_0_to_6() {
    let (mut sup, mut fx) = booted("id:8:initdefault:\n");
    fx.take();
    sup.handle(level_request(b'U', 3), &mut fx, secs(0));
    assert_eq!(fx.take(), ["S: Trying to re-exec init"]);
}

#[test]
fn container_stop_signal_runs_shutdown_once_in_the_current_level() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\n");
    fx.take();
    sup.handle(Event::PowerOff, &mut fx, secs(0));
    assert_eq!(fx.take(), ["spawn ~~ 100"]);
    let shutdown = sup.slots.iter().find(|s| s.pid == 100).expect("slot");
    assert_eq!(shutdown.entry.process, POWEROFF_COMMAND);
    sup.child_exited(100, 0, &mut fx, secs(1));
    sup.handle(Event::PowerOff, &mut fx, secs(2));
    assert_eq!(fx.take(), ["utmp dead ~~ 100", "spawn ~~ 101"]);
}

#[test]
fn plus_prefix_means_no_dead_process_record() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:+/bin/r\n");
    fx.take();
    sup.child_exited(100, 0, &mut fx, secs(0));
    assert_eq!(fx.take(), ["spawn r 101"]);
}

#[test]
fn orphans_are_ignored() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    fx.take();
    sup.child_exited(4242, 0, &mut fx, secs(0));
    assert_eq!(fx.take(), Vec::<String>::new());
}

#[test]
fn reexec_keeps_respawn_counters_and_a_disabled_entry_stays_disabled() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\nf1:2:respawn:/bin/false\n");
    for _ in 0..10 {
        let pid = fx.pid_of("f1");
        sup.child_exited(pid, 256, &mut fx, secs(10));
    }
    assert_eq!(fx.spawn_count("f1"), 10);
    fx.take();
    sup.handle(level_request(b'u', 3), &mut fx, secs(20));
    // `u` does not clear the limiter, unlike sysvinit.
    sup.tick(&mut fx, secs(30));
    assert_eq!(fx.spawn_count("f1"), 10);

    let text = crate::reexec_state::serialize(&sup.snapshot());
    let parsed = crate::reexec_state::parse(text.as_bytes()).expect("parses");
    assert!(text.contains("\nVRC10:1010:1\nEOR\n"), "{text}");
    let mut restored = Supervisor::restore(&parsed, ExtraEnv::default());
    restored.resume(&mut fx, secs(40));
    assert_eq!(
        fx.spawn_count("f1"),
        10,
        "still disabled after the hand-over"
    );
    assert_eq!(restored.next_deadline(), Some(secs(10 + 301)));
    restored.tick(&mut fx, secs(10 + 301));
    assert_eq!(
        fx.spawn_count("f1"),
        11,
        "re-enabled 5 minutes after it was disabled"
    );
}

#[test]
fn reload_of_an_empty_inittab_keeps_the_running_configuration() {
    let (mut sup, mut fx) = booted("id:2:initdefault:\na:2:respawn:/bin/a\n");
    fx.take();
    // Empty, then only comments and blank lines: both have no entries.
    for text in ["", "# nothing here\n\n   \n"] {
        fx.set_inittab(text);
        sup.handle(level_request(b'Q', 3), &mut fx, secs(0));
        assert_eq!(
            fx.take(),
            [
                "S: Re-reading inittab",
                "load",
                NO_TABD,
                "CS: no entries in /etc/inittab or /etc/inittab.d",
                "CS: configuration not applied: keeping the previous one",
                "title init [2]",
                "runlevel-file 2",
            ]
        );
    }
    // A level change too: `a` is killed for leaving the level, not for
    // leaving the configuration, and level 2 brings it back.
    sup.handle(level_request(b'3', 3), &mut fx, secs(1));
    let log = fx.take();
    assert!(log.contains(&"kill -100 SIGTERM".to_string()), "{log:?}");
    sup.child_exited(100, 0, &mut fx, secs(1));
    fx.take();
    sup.handle(level_request(b'2', 3), &mut fx, secs(2));
    let log = fx.take();
    assert!(
        log.contains(&"CS: configuration not applied: keeping the previous one".to_string())
            && log.contains(&"spawn a 101".to_string()),
        "{log:?}"
    );
    // The previous one stays in force until a file with entries comes.
    sup.child_exited(101, 0, &mut fx, secs(3));
    assert_eq!(fx.take(), ["utmp dead a 101", "spawn a 102"]);
    fx.set_inittab("id:2:initdefault:\nb:2:respawn:/bin/b\n");
    sup.handle(Event::Reload, &mut fx, secs(4));
    let log = fx.take();
    assert!(log.contains(&"kill -102 SIGTERM".to_string()), "{log:?}");
}

#[test]
fn an_empty_inittab_at_boot_is_applied_as_before() {
    let mut fx = Fake::new("");
    fx.answers.push_back(level('S'));
    let mut sup = Supervisor::new(BootOptions::default());
    sup.boot(&mut fx, T0);
    let log = fx.take();
    assert!(
        !log.iter().any(|line| line.contains("not applied")),
        "{log:?}"
    );
    // The default sulogin entry runs in S.
    assert!(log.contains(&"spawn ~~ 100".to_string()), "{log:?}");
}

#[test]
fn setenv_bytes_reach_children_unchanged_and_stay_bounded() {
    use std::os::unix::ffi::OsStrExt;
    let (mut sup, mut fx) = booted("id:2:initdefault:\nr:2:respawn:/bin/r\n");
    // Not UTF-8, as a raw request may carry: passed on byte for byte.
    let mut raw = Request::setenv(&[]).expect("fits");
    let data = b"INIT_RAW=\xff\xfe a\x80b\0INIT_\xe9T\xe9=\xc3\0\0";
    raw.data[..data.len()].copy_from_slice(data);
    sup.handle(Event::Request(Box::new(raw)), &mut fx, secs(0));
    // Twenty more variables in full requests: at most 16 are kept in all,
    // each at most what the 368-byte data area holds.
    for batch in 0..4 {
        let names: Vec<String> = (0..5)
            .map(|i| format!("INIT_V{}={}", batch * 5 + i, "v".repeat(60)))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let set = Request::setenv(&names).expect("fits");
        sup.handle(Event::Request(Box::new(set)), &mut fx, secs(0));
    }
    sup.child_exited(100, 0, &mut fx, secs(0));
    let env = &fx.spawns.last().expect("spawn").4;
    assert_eq!(env.len(), super::env::MAX_EXTRA_VARS);
    assert_eq!(env[0].as_bytes(), b"INIT_RAW=\xff\xfe a\x80b");
    assert_eq!(env[1].as_bytes(), b"INIT_\xe9T\xe9=\xc3");
    assert!(env.iter().all(|var| var.len() <= initctl::DATA_LEN - 2));
    assert_eq!(sup.extra_env().vars(), env.as_slice());
}

/// A Buildroot-style inittab in BusyBox's grammar (docs/compatibility.md §11).
const BUSYBOX_INITTAB: &str = "\
::sysinit:/bin/si1
::shutdown:/bin/down1
::sysinit:/bin/si2
console::respawn:/sbin/getty -L console 0 vt100
::once:/bin/once
::wait:/bin/wait
tty2::askfirst:-/bin/sh
::ctrlaltdel:/bin/cad
::shutdown:/bin/down2
::restart:/sbin/init
";

#[test]
fn busybox_boot_runs_sysinit_then_wait_then_once_then_respawn_in_busyboxs_order() {
    let (mut sup, mut fx) = booted(BUSYBOX_INITTAB);
    assert_eq!(sup.grammar(), inittab::Grammar::BusyBox);
    assert_eq!(fx.take(), ["load", "spawn /bin/si1 100"]);
    sup.child_exited(100, 0, &mut fx, secs(1));
    assert_eq!(fx.take(), ["spawn /bin/si2 101"]);
    // No runlevel to enter: no RUN_LVL record, message or /run/runlevel.
    sup.child_exited(101, 0, &mut fx, secs(2));
    assert_eq!(
        fx.take(),
        ["utmp boot", "title init", "spawn /bin/wait 102"]
    );
    assert_eq!(sup.runlevel(), Phase::BusyBox);
    sup.child_exited(102, 0, &mut fx, secs(3));
    assert_eq!(
        fx.take(),
        [
            "spawn /bin/once 103",
            "spawn /sbin/getty -L console 0 vt100 104",
            "spawn -/bin/sh 105",
        ]
    );
    // Respawn and askfirst entries come back; once does not.
    sup.child_exited(103, 0, &mut fx, secs(4));
    sup.child_exited(105, 0, &mut fx, secs(4));
    assert_eq!(fx.take(), ["spawn -/bin/sh 106"]);
}

/// [`BUSYBOX_INITTAB`] booted to its one level, getty 104 and shell 105
/// running.
fn busybox_running() -> (Supervisor, Fake) {
    let (mut sup, mut fx) = booted(BUSYBOX_INITTAB);
    for (pid, at) in [(100, 1), (101, 2), (102, 3)] {
        sup.child_exited(pid, 0, &mut fx, secs(at));
    }
    fx.take();
    (sup, fx)
}

#[test]
fn busybox_way_down_runs_the_shutdown_entries_in_order_then_brings_the_system_down() {
    let (mut sup, mut fx) = busybox_running();
    sup.handle(Event::Down(DownMode::PowerOff), &mut fx, secs(10));
    assert_eq!(fx.take(), ["title init", "spawn /bin/down1 106"]);
    // Nothing respawns on the way down, and nothing else is taken.
    sup.child_exited(104, 15, &mut fx, secs(11));
    sup.handle(Event::Down(DownMode::Reboot), &mut fx, secs(11));
    sup.handle(Event::CtrlAltDel, &mut fx, secs(11));
    sup.handle(level_request(b'6', 3), &mut fx, secs(11));
    assert_eq!(fx.take(), Vec::<String>::new());
    sup.child_exited(106, 0, &mut fx, secs(12));
    assert_eq!(fx.take(), ["spawn /bin/down2 107"]);
    sup.child_exited(107, 0, &mut fx, secs(13));
    assert_eq!(
        fx.take(),
        ["CS: The system is going down NOW!", "bring down PowerOff"]
    );
    // Once only.
    sup.tick(&mut fx, secs(14));
    assert_eq!(fx.take(), Vec::<String>::new());
}

#[test]
fn busybox_level_requests_halt_power_off_reboot_reread_or_are_refused() {
    let (mut sup, mut fx) = busybox_running();
    sup.handle(level_request(b'3', 3), &mut fx, secs(10));
    assert_eq!(
        fx.take(),
        [
            "CS: runlevel 3 ignored: /etc/inittab is in BusyBox's grammar, which has no \
             runlevels (0 halts or powers off, 6 reboots, q re-reads, u re-executes init)"
        ]
    );
    sup.handle(level_request(b'q', 3), &mut fx, secs(10));
    assert_eq!(fx.take(), ["S: Re-reading inittab", "load"]);

    // `shutdown -h -H` sets INIT_HALT=HALT before asking for level 0.
    let setenv = Request::setenv(&["INIT_HALT=HALT"]).expect("fits");
    sup.handle(Event::Request(Box::new(setenv)), &mut fx, secs(11));
    sup.handle(level_request(b'0', 3), &mut fx, secs(11));
    sup.child_exited(fx.pid_of("/bin/down1"), 0, &mut fx, secs(12));
    sup.child_exited(fx.pid_of("/bin/down2"), 0, &mut fx, secs(12));
    assert!(fx.take().contains(&"bring down Halt".to_string()));

    let (mut sup, mut fx) = busybox_running();
    sup.handle(level_request(b'0', 3), &mut fx, secs(11));
    sup.child_exited(fx.pid_of("/bin/down1"), 0, &mut fx, secs(12));
    sup.child_exited(fx.pid_of("/bin/down2"), 0, &mut fx, secs(12));
    assert!(fx.take().contains(&"bring down PowerOff".to_string()));

    let (mut sup, mut fx) = busybox_running();
    sup.handle(level_request(b'6', 3), &mut fx, secs(11));
    sup.child_exited(fx.pid_of("/bin/down1"), 0, &mut fx, secs(12));
    sup.child_exited(fx.pid_of("/bin/down2"), 0, &mut fx, secs(12));
    assert!(fx.take().contains(&"bring down Reboot".to_string()));
}

#[test]
fn busybox_ctrl_alt_del_runs_its_entries_while_nothing_else_starts() {
    let (mut sup, mut fx) = busybox_running();
    sup.handle(Event::CtrlAltDel, &mut fx, secs(10));
    assert_eq!(fx.take(), ["spawn /bin/cad 106"]);
    sup.child_exited(104, 0, &mut fx, secs(11));
    assert_eq!(fx.take(), Vec::<String>::new());
    sup.child_exited(106, 0, &mut fx, secs(12));
    assert_eq!(fx.take(), ["spawn /sbin/getty -L console 0 vt100 107"]);
}

#[test]
fn busybox_restart_reexecutes_this_init_or_runs_after_the_way_down() {
    let (mut sup, mut fx) = busybox_running();
    fx.restart_reexecs = true;
    sup.handle(Event::Restart, &mut fx, secs(10));
    assert_eq!(
        fx.take(),
        [
            "is reexec? /sbin/init",
            "S: Trying to re-exec init",
            "reexec 10 entries, env []",
            "C: Attempt to re-exec failed",
        ]
    );
    let state = fx.reexec_states.pop().expect("a state");
    assert_eq!(state.grammar, inittab::Grammar::BusyBox);
    assert_eq!(state.runlevel, '-');

    let (mut sup, mut fx) = busybox_running();
    sup.handle(Event::Restart, &mut fx, secs(10));
    assert_eq!(
        fx.take(),
        [
            "is reexec? /sbin/init",
            "title init",
            "spawn /bin/down1 106"
        ]
    );
    sup.child_exited(106, 0, &mut fx, secs(11));
    sup.child_exited(107, 0, &mut fx, secs(11));
    assert_eq!(
        fx.take(),
        [
            "spawn /bin/down2 107",
            "CS: The system is going down NOW!",
            "restart /sbin/init",
            "CS: cannot execute the restart entry \"/sbin/init\": halting",
            "bring down Halt",
        ]
    );

    // Without a restart entry, SIGQUIT does nothing.
    let (mut sup, mut fx) = booted("::respawn:/bin/sh\n");
    fx.take();
    sup.handle(Event::Restart, &mut fx, secs(10));
    assert_eq!(fx.take(), Vec::<String>::new());
}

#[test]
fn busybox_reload_matches_entries_by_tty_and_command() {
    let (mut sup, mut fx) = busybox_running();
    // The getty stays (same tty and command, now written /dev/console), the
    // once and askfirst entries go, a new respawn entry comes.
    fx.set_inittab(
        "::sysinit:/bin/si1\n/dev/console::respawn:/sbin/getty -L console 0 vt100\n\
         tty3::respawn:/bin/new\n",
    );
    sup.handle(Event::Reload, &mut fx, secs(10));
    assert_eq!(
        fx.take(),
        [
            "load",
            "C: Sending processes configured via /etc/inittab the TERM signal",
            "kill -103 SIGTERM",
            "kill -105 SIGTERM",
            "title init",
        ]
    );
    sup.child_exited(103, 15, &mut fx, secs(11));
    sup.child_exited(105, 15, &mut fx, secs(11));
    assert_eq!(fx.take(), ["spawn /bin/new 106"]);
    assert_eq!(
        sup.running_pids()
            .into_iter()
            .map(|(_, pid)| pid)
            .collect::<Vec<_>>(),
        [104, 106]
    );

    // A file now in sysvinit's grammar is not applied.
    fx.set_inittab("id:2:initdefault:\nl2:2:wait:/etc/init.d/rc 2\n");
    sup.handle(Event::Reload, &mut fx, secs(12));
    assert_eq!(
        fx.take(),
        [
            "load",
            "CS: No inittab.d directory found",
            "CS: /etc/inittab is now in sysvinit's grammar, init runs BusyBox's: it changes \
             grammar only when it starts",
            "CS: configuration not applied: keeping the previous one",
            "title init",
        ]
    );
    assert_eq!(sup.grammar(), inittab::Grammar::BusyBox);
}

#[test]
fn busybox_state_hands_over_and_restores() {
    let (sup, _fx) = busybox_running();
    let state = sup.snapshot();
    let text = crate::reexec_state::serialize(&state);
    let read = crate::reexec_state::parse(text.as_bytes()).expect("reads back");
    let mut restored = Supervisor::restore(&read, ExtraEnv::default());
    assert_eq!(restored.grammar(), inittab::Grammar::BusyBox);
    assert_eq!(restored.runlevel(), Phase::BusyBox);
    assert_eq!(restored.running_pids(), sup.running_pids());
    let mut fx = Fake::new(BUSYBOX_INITTAB);
    restored.resume(&mut fx, secs(20));
    assert_eq!(fx.take(), Vec::<String>::new());
    // The getty still respawns, and the way down still works.
    restored.child_exited(104, 0, &mut fx, secs(21));
    assert_eq!(fx.take(), ["spawn /sbin/getty -L console 0 vt100 100"]);
    restored.handle(Event::Down(DownMode::Reboot), &mut fx, secs(22));
    assert_eq!(fx.take(), ["title init", "spawn /bin/down1 101"]);
}
