//! `/run/vinit/status` when `/run` is full, with our `init` as PID 1 of a
//! namespace (`common::ns`) and a small tmpfs mounted on its `/run`: PID 1
//! removes the file it cannot bring up to date, so that no reader takes
//! the old level for the current one, and rewrites it by itself once there
//! is room. (The retry rules are unit-tested in src/pid1/status.rs.)

mod common;

use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::ns::{Pid1, TestRoot, is_fifo};
use common::{poll_until, procfs};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// A safety net for each wait; nothing here depends on how fast things happen.
const WAIT: Duration = Duration::from_secs(60);

const INITTAB: &str = "id:2:initdefault:\n\
                       l2:2:wait:/bin/echo LEVEL-2-UP\n\
                       l3:3:wait:/bin/echo LEVEL-3-UP\n";

/// The level and whether a change is under way, as the status file says.
fn status(path: &Path) -> Option<(char, bool)> {
    let text = std::fs::read_to_string(path).ok()?;
    let status = vinit::status::decode(&text).expect("a status file init wrote");
    Some((status.runlevel, status.changing))
}

/// Writes zeros to `path` until the file system is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).expect("create the filler");
    let block = [0u8; 4096];
    loop {
        match file.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) if error.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(error) => panic!("fill {}: {error}", path.display()),
        }
    }
}

/// The names and kinds of the events queued on `inotify` so far.
fn events(inotify: &Inotify) -> Vec<(String, AddWatchFlags)> {
    inotify
        .read_events()
        .unwrap_or_default()
        .into_iter()
        .map(|event| {
            let name = event.name.unwrap_or_default();
            (name.to_string_lossy().into_owned(), event.mask)
        })
        .collect()
}

/// `/run` full at a level change: the old file goes (no reader sees level
/// 2 as current), and once there is room again the file comes back with
/// level 3, with nothing else happening. (Before: the failed write was not
/// retried, the old file stayed, and `telinit --wait 3` timed out.)
#[test]
fn a_full_run_removes_the_stale_status_file_and_init_rewrites_it_when_there_is_room() {
    let root = TestRoot::new();
    root.write("etc/inittab", INITTAB);
    let pid1: Pid1 = root.boot(&[]);
    pid1.expect_console("LEVEL-2-UP", WAIT);
    assert!(poll_until(WAIT, || is_fifo(&root, "run/initctl").then_some(())).is_some());

    // A small /run, as a boot script mounts one; init sees the mount table
    // change and writes its FIFO and its status file there.
    pid1.run_ok(&["/bin/mount", "-t", "tmpfs", "-o", "size=64k", "run", "/run"]);
    let run = PathBuf::from(format!("/proc/{}/root/run", pid1.host_pid()));
    let file = run.join("vinit/status");
    let written = poll_until(WAIT, || {
        let fifo = std::fs::metadata(run.join("initctl")).is_ok_and(|m| m.file_type().is_fifo());
        (fifo && status(&file) == Some(('2', false))).then_some(())
    });
    assert!(written.is_some(), "no status file in the new /run");

    // The next state will not fit where the old one was: a re-read inittab
    // with many more entries (each is in the file).
    let mut inittab = INITTAB.to_string();
    for i in 0..60 {
        inittab += &format!("x{i}:4:respawn:/bin/sleep 1000 {}\n", "padding ".repeat(12));
    }
    root.write("etc/inittab", &inittab);
    fill(&run.join("fill"));
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK).expect("inotify");
    inotify
        .add_watch(
            &run.join("vinit"),
            AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_TO,
        )
        .expect("watch /run/vinit");
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    pid1.expect_console("LEVEL-3-UP", WAIT);
    // Once level 3's process is reaped, init's state stays as it is.
    let settled = poll_until(WAIT, || {
        (procfs::namespace_processes(pid1.host_pid()).len() == 1).then_some(())
    });
    assert!(
        settled.is_some(),
        "{:?}",
        procfs::namespace_processes(pid1.host_pid())
    );

    // The old file went before anything else happened to it.
    let so_far = events(&inotify);
    let first = so_far.iter().find(|(name, _)| name == "status");
    assert_eq!(
        first.map(|(_, mask)| *mask),
        Some(AddWatchFlags::IN_DELETE),
        "the old status file was not removed first: {so_far:?}"
    );
    assert_eq!(status(&file), None, "written in a full /run?");

    // Two more failed tries (each makes its temporary and removes it): at
    // most one of them is the last pass of the level change (the reaping
    // of level 3's process), so the other came with nothing happening.
    let mut tries = 0;
    let retried = poll_until(WAIT, || {
        tries += events(&inotify)
            .iter()
            .filter(|(name, mask)| name == "status.tmp" && *mask == AddWatchFlags::IN_DELETE)
            .count();
        (tries >= 2).then_some(())
    });
    assert!(retried.is_some(), "{tries} tries in a full /run");
    assert_eq!(status(&file), None, "written in a full /run?");

    std::fs::remove_file(run.join("fill")).expect("make room");
    let rewritten = poll_until(WAIT, || (status(&file) == Some(('3', false))).then_some(()));
    assert!(
        rewritten.is_some(),
        "status after making room: {:?}\n{}",
        status(&file),
        pid1.console()
    );
}
