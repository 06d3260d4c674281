//! Our `init` as PID 1 of a fresh PID namespace, fed what it must survive:
//! an inittab too large to read, an empty one on reload, SETENV bytes that
//! are not UTF-8, and a 10,000-line inittab reloaded again and again.
//! Timeouts are safety nets only; nothing here passes or fails on time.

mod common;

use std::time::Duration;

use common::ns::{Pid1, TestRoot};
use common::procfs;

const WAIT: Duration = Duration::from_secs(60);

/// How many processes run `sleep <arg>` (`/bin/sleep` or `sleep`), read
/// from the host: the namespace's processes are the host's too, and each
/// test uses its own `arg`.
fn sleepers(arg: &str) -> usize {
    let wanted = format!("sleep\0{arg}\0");
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read(entry.path().join("cmdline")).is_ok_and(|cmdline| {
                cmdline.ends_with(wanted.as_bytes())
                    && (cmdline.len() == wanted.len()
                        || cmdline.ends_with(format!("/{wanted}").as_bytes()))
            })
        })
        .count()
}

/// Waits until `count` processes run `/bin/sleep <arg>`.
fn wait_sleepers(pid1: &Pid1, arg: &str, count: usize) {
    let done = common::poll_until(WAIT * 5, || (sleepers(arg) == count).then_some(()));
    assert!(
        done.is_some(),
        "{} sleepers ({arg}) instead of {count}; console:\n{}",
        sleepers(arg),
        pid1.console()
    );
}

/// Asks for `request` (`q`, a level) and waits until init has handled it:
/// every handled request rewrites `/run/runlevel`, which is removed first.
fn telinit_and_wait(pid1: &Pid1, root: &TestRoot, request: &str) {
    let _ = std::fs::remove_file(root.join("run/runlevel"));
    pid1.run_ok(&["/sbin/telinit", request]);
    let done = common::poll_until(WAIT, || root.join("run/runlevel").exists().then_some(()));
    assert!(done.is_some(), "telinit {request} was never handled");
}

/// `init --check` of a file of zeros: at the size limit it is read (each
/// 255-byte piece is a rejected line, the first 100 shown), above it the
/// file is refused with its name, however large it claims to be.
#[test]
fn check_reads_up_to_the_size_limit_and_refuses_more() {
    let dir = tempfile::tempdir().expect("temp dir");
    let check = |name: &str, size: u64| {
        let file = dir.path().join(name);
        std::fs::File::create(&file)
            .and_then(|f| f.set_len(size))
            .expect("file of zeros");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_vinit"))
            .args(["init", "--check"])
            .arg(&file)
            .output()
            .expect("run init --check");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            common::describe(&output)
        );
        (file, common::text(&output.stderr))
    };
    let (file, stderr) = check("z4.tab", 4 << 20);
    // 100 rejected lines, the count of the others, then the file-wide warning
    // that there is no initdefault.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 102, "{stderr}");
    assert_eq!(
        lines.first().copied(),
        Some(format!("{}:1:1: missing action field", file.display()).as_str())
    );
    assert_eq!(
        lines.get(100).copied(),
        Some("... and 16349 more rejected line(s), not shown")
    );
    assert!(
        lines
            .get(101)
            .is_some_and(|line| line.contains("warning: no initdefault entry")),
        "{stderr}"
    );
    for (name, size) in [("z8.tab", 8 << 20), ("sparse.tab", 1 << 30)] {
        let (file, stderr) = check(name, size);
        assert_eq!(
            stderr,
            format!(
                "init: cannot read {}: larger than 4194304 bytes (4 MiB), the most init reads of a configuration file\n",
                file.display()
            )
        );
    }
}

/// PID 1 refuses an inittab above the size limit at once (a sparse 1 GiB
/// file) and keeps its configuration: the respawn entry is not stopped.
#[test]
fn reload_of_an_oversized_inittab_keeps_the_configuration() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nr:2:respawn:/bin/sh -c 'echo $$ > /tmp/r.pid; exec sleep 99993'\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("Entering runlevel: 2", WAIT);
    wait_sleepers(&pid1, "99993", 1);
    let pid = root.read("tmp/r.pid");
    std::fs::File::create(root.join("etc/inittab"))
        .and_then(|file| file.set_len(1 << 30))
        .expect("sparse inittab");
    telinit_and_wait(&pid1, &root, "q");
    pid1.expect_console("INIT: cannot read /etc/inittab: larger than 4194304 bytes (4 MiB), the most init reads of a configuration file", WAIT);
    pid1.expect_console(
        "INIT: configuration not applied: keeping the previous one",
        WAIT,
    );
    // A level change re-reads it too, still without harm.
    telinit_and_wait(&pid1, &root, "4");
    pid1.expect_console(
        "INIT: configuration not applied: keeping the previous one",
        WAIT,
    );
    telinit_and_wait(&pid1, &root, "2");
    pid1.expect_console(
        "INIT: configuration not applied: keeping the previous one",
        WAIT,
    );
    wait_sleepers(&pid1, "99993", 1);
    assert_eq!(pid1.run_ok(&["/sbin/runlevel"]), "4 2\n");
    // The entry was stopped by leaving level 2 and started again, from the
    // configuration kept.
    assert_ne!(root.read("tmp/r.pid"), pid);
}

/// An inittab emptied on a running system (a full disk, an editor caught
/// half-way) is not applied on reload: the running entries stay.
#[test]
fn reload_of_an_empty_inittab_keeps_the_configuration() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "id:2:initdefault:\nr:2:respawn:/bin/sh -c 'echo $$ > /tmp/r.pid; exec sleep 99994'\n",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("Entering runlevel: 2", WAIT);
    wait_sleepers(&pid1, "99994", 1);
    let pid = root.read("tmp/r.pid");
    root.write("etc/inittab", "");
    telinit_and_wait(&pid1, &root, "q");
    pid1.expect_console("INIT: no entries in /etc/inittab or /etc/inittab.d", WAIT);
    pid1.expect_console(
        "INIT: configuration not applied: keeping the previous one",
        WAIT,
    );
    // A later request is handled after the reload: the entry still runs,
    // the same process.
    telinit_and_wait(&pid1, &root, "q");
    assert_eq!(sleepers("99994"), 1);
    assert_eq!(root.read("tmp/r.pid"), pid);
    assert!(
        !pid1.console().contains("Sending processes"),
        "{}",
        pid1.console()
    );
}

/// SETENV values that are not UTF-8 reach children byte for byte, before
/// and after a re-exec (the `INIT_*` variables travel in the environment
/// of the exec), as sysvinit passes them.
#[test]
fn setenv_bytes_reach_children_exactly_across_a_reexec() {
    let root = TestRoot::new();
    root.write(
        "etc/inittab",
        "\
id:2:initdefault:
e3:3:once:/bin/cp /proc/self/environ /tmp/env3
e4:4:once:/bin/cp /proc/self/environ /tmp/env4
",
    );
    let pid1 = root.boot(&[]);
    pid1.expect_console("Entering runlevel: 2", WAIT);
    let fifo_ready = common::poll_until(WAIT, || {
        common::ns::is_fifo(&root, "run/initctl").then_some(())
    });
    assert!(fifo_ready.is_some(), "no /run/initctl");
    // A raw request, as any program may write one.
    let mut request = vinit::initctl::Request::setenv(&[]).expect("fits");
    let data = b"INIT_RAW=\xff\xfe a\x80b\x01\0INIT_\xe9=caf\xc3\xa9\0NOTINIT=\xff\0\0";
    request.data[..data.len()].copy_from_slice(data);
    common::ns::write_initctl(&root, &request.encode());
    telinit_and_wait(&pid1, &root, "3");
    let has = |env: &[u8], var: &[u8]| env.split(|&b| b == 0).any(|item| item == var);
    let wait_env = |rel: &str| {
        let env = common::poll_until(WAIT, || {
            std::fs::read(root.join(rel))
                .ok()
                .filter(|env| has(env, b"RUNLEVEL=3") || has(env, b"RUNLEVEL=4"))
        });
        env.unwrap_or_else(|| panic!("{rel} never written; console:\n{}", pid1.console()))
    };
    let env3 = wait_env("tmp/env3");
    pid1.run_ok(&["/sbin/telinit", "u"]);
    pid1.expect_console("reloading", WAIT);
    telinit_and_wait(&pid1, &root, "4");
    let env4 = wait_env("tmp/env4");
    for env in [&env3, &env4] {
        let shown = String::from_utf8_lossy(env).replace('\0', "\n");
        assert!(has(env, b"INIT_RAW=\xff\xfe a\x80b\x01"), "{shown}");
        assert!(has(env, b"INIT_\xe9=caf\xc3\xa9"), "{shown}");
        assert!(!env.windows(8).any(|w| w == b"NOTINIT="), "{shown}");
        assert!(
            !env.windows(3).any(|w| w == "\u{fffd}".as_bytes()),
            "{shown}"
        );
    }
    assert!(has(&env4, b"RUNLEVEL=4"));
}

/// A 10,000-line inittab: 2,000 `respawn` sleepers in level 2, 8,000 entries
/// of level 5 (read on every reload, never started).
fn large_inittab() -> String {
    let mut text = String::from("id:2:initdefault:\n");
    for id in 0..2000 {
        text.push_str(&format!("{id}:2:respawn:/bin/sleep 99991\n"));
    }
    for id in 2000..10_000 {
        text.push_str(&format!("{id}:5:respawn:/bin/sleep 99992\n"));
    }
    text
}

/// Twenty reloads of a 10,000-line inittab leave PID 1's memory where the
/// boot (which read the same file) left it: each reload's peak is given
/// back. (Before, VmRSS grew by half over the reloads before it levelled
/// off.) Memory only: nothing here depends on time.
#[test]
fn reloads_of_a_large_inittab_keep_memory_flat() {
    let root = TestRoot::new();
    let mut inittab = String::from("id:2:initdefault:\nr:2:respawn:/bin/sleep 99995\n");
    for id in 0..10_000 {
        inittab.push_str(&format!("{id}:5:respawn:/bin/sleep 99996\n"));
    }
    root.write("etc/inittab", inittab);
    let pid1 = root.boot(&[]);
    pid1.expect_console("Entering runlevel: 2", WAIT);
    wait_sleepers(&pid1, "99995", 1);
    let after_boot = procfs::status_field(pid1.host_pid(), "VmRSS");
    let mut after_reloads = Vec::new();
    for _ in 0..20 {
        telinit_and_wait(&pid1, &root, "q");
        after_reloads.push(procfs::status_field(pid1.host_pid(), "VmRSS"));
    }
    let last = after_reloads.last().copied().unwrap_or_default();
    assert!(
        last * 4 <= after_boot * 5,
        "VmRSS grew from {after_boot} kB after boot to {last} kB: {after_reloads:?}"
    );
}

/// The cost of a 10,000-line inittab, printed (`scripts/bench-scale.sh`):
/// PID 1's VmRSS over 20 reloads, and its CPU time for a reload and for
/// stopping 2,000 respawn entries. A measurement, not a check: it only
/// makes sure every step happened.
#[test]
#[ignore = "a measurement: run by scripts/bench-scale.sh"]
fn scale_measurement() {
    let root = TestRoot::new();
    root.write("etc/inittab", large_inittab());
    let pid1 = root.boot(&[]);
    pid1.expect_console("Entering runlevel: 2", WAIT);
    wait_sleepers(&pid1, "99991", 2000);
    let ticks_per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    let ms = |ticks: u64| ticks as f64 * 1000.0 / ticks_per_second;

    let rss_start = procfs::status_field(pid1.host_pid(), "VmRSS");
    let mut rss = Vec::new();
    let cpu_before = procfs::cpu_ticks(pid1.host_pid());
    for _ in 0..20 {
        telinit_and_wait(&pid1, &root, "q");
        rss.push(procfs::status_field(pid1.host_pid(), "VmRSS"));
    }
    let reload_ms = ms(procfs::cpu_ticks(pid1.host_pid()) - cpu_before) / 20.0;
    println!("VmRSS after boot: {rss_start} kB; after each of 20 reloads (kB): {rss:?}");
    println!("CPU per reload of 10,000 lines: {reload_ms:.1} ms");

    let cpu_before = procfs::cpu_ticks(pid1.host_pid());
    telinit_and_wait(&pid1, &root, "3");
    wait_sleepers(&pid1, "99991", 0);
    // The kill round is over once init has reaped them all; one more
    // request is handled only after that.
    telinit_and_wait(&pid1, &root, "q");
    let stop_ms = ms(procfs::cpu_ticks(pid1.host_pid()) - cpu_before) - reload_ms * 2.0;
    println!(
        "CPU to stop 2,000 respawn entries: {stop_ms:.1} ms ({:.3} ms each, two reloads subtracted)",
        stop_ms / 2000.0
    );
    println!(
        "VmRSS at the end: {} kB",
        procfs::status_field(pid1.host_pid(), "VmRSS")
    );
}
