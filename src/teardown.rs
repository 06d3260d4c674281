//! The end of runlevels 0 and 6, for `halt --final` ([`final_teardown`]),
//! `shutdown -n` ([`fast_down`]) and a BusyBox inittab's way down (init
//! runs [`final_teardown`] in a child, and [`stop_all_processes`] before
//! executing its `restart` entry): every process gets TERM, then KILL; the
//! filesystems are synced, swap is turned off, the filesystems are unmounted
//! (or made read-only) and `reboot(2)` halts, powers off or reboots the
//! machine ([`reboot_system`], which `halt`/`reboot`/`poweroff` also call in
//! levels 0 and 6 or with `-f`).
//!
//! Nothing here may run on a live system outside a PID namespace or a VM.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::reboot::{RebootMode, reboot, set_cad_enabled};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, chdir, dup2, getpid, isatty, sync};

use crate::defaults::DEFAULT_PATH;
use crate::sys::power::swapoff;
use crate::utmp::{self, write_shutdown_record};

/// What `reboot(2)` is asked for in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Reboot,
    Halt,
    PowerOff,
}

/// sysvinit's final `reboot(2)` sequence. Returns (0) only if the kernel
/// refused, after re-enabling init.
pub(crate) fn reboot_system(mode: Mode) -> i32 {
    log::debug!("reboot(2) for {mode:?}");
    if mode == Mode::Reboot {
        let _ = reboot(RebootMode::RB_AUTOBOOT);
    } else {
        // Ctrl-Alt-Del reboots at once from now on.
        let _ = set_cad_enabled(true);
        // Stop init, so nothing respawns while the system halts.
        let _ = kill(Pid::from_raw(1), Signal::SIGTSTP);
        if mode == Mode::PowerOff {
            let _ = reboot(RebootMode::RB_POWER_OFF);
        }
        let _ = reboot(RebootMode::RB_HALT_SYSTEM);
    }
    // Back from the kernel monitor, or reboot(2) was refused.
    log::debug!("back from reboot(2): init continues");
    let _ = set_cad_enabled(false);
    let _ = kill(Pid::from_raw(1), Signal::SIGCONT);
    0
}

/// `shutdown -n` (docs/compatibility.md §7.3): take the system down without init.
pub(crate) fn fast_down(halt: bool, sleep_time: Option<&str>) -> i32 {
    // Don't keep files open on filesystems about to be unmounted.
    if let Ok(null) = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for fd in 0..3 {
            if !isatty(fd).unwrap_or(false) {
                let _ = dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd);
            }
        }
    }
    for fd in (3..20).chain([255]) {
        let _ = nix::unistd::close(fd);
    }
    if let Err(e) = kill(Pid::from_raw(1), Signal::SIGTSTP) {
        eprint!("shutdown: can't idle init: {}.\r\n", e.desc());
        return 1;
    }
    eprint!("shutdown: sending all processes the TERM signal...\r\n");
    let _ = kill(Pid::from_raw(-1), Signal::SIGTERM);
    let seconds = sleep_time
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(3);
    log::debug!("{seconds} s between TERM and KILL");
    std::thread::sleep(Duration::from_secs(seconds));
    eprint!("shutdown: sending all processes the KILL signal.\r\n");
    let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
    write_shutdown_record(Path::new(utmp::WTMP_PATH));
    run_helper(true, "accton", &[]);
    run_helper(true, "quotaoff", &["-a"]);
    sync();
    eprint!("shutdown: turning off swap\r\n");
    run_helper(false, "swapoff", &["-a"]);
    eprint!("shutdown: unmounting all file systems\r\n");
    run_helper(false, "umount", &["-a"]);
    if halt {
        eprint!("The system is halted. Press CTRL-ALT-DEL or turn off power\r\n");
        let _ = reboot(RebootMode::RB_HALT_SYSTEM);
    } else {
        eprint!("Please stand by while rebooting the system.\r\n");
        let _ = reboot(RebootMode::RB_AUTOBOOT);
    }
    0
}

/// Runs a helper of `shutdown -n` with the clean environment sysvinit uses;
/// its stderr is dropped when `quiet`.
fn run_helper(quiet: bool, program: &str, args: &[&str]) {
    log::debug!("running {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir("/").env_clear().envs([
        ("HOME", "/"),
        ("PATH", DEFAULT_PATH),
        ("TERM", "dumb"),
        ("SHELL", "/bin/sh"),
    ]);
    if quiet {
        cmd.stderr(Stdio::null());
    }
    match cmd.status() {
        Ok(_) => {}
        Err(e) if !quiet => eprintln!("{program}: {e}"),
        Err(_) => {}
    }
}

/// How long processes get between SIGTERM and SIGKILL in the final step.
const FINAL_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for SIGKILLed processes to be gone.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// Filesystem types that hold no data to protect, or that the kernel needs
/// until the end: left mounted.
const KERNEL_FILESYSTEMS: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "pstore",
    "efivarfs",
    "bpf",
    "mqueue",
    "hugetlbfs",
    "configfs",
    "fusectl",
    "binfmt_misc",
    "autofs",
    "rpc_pipefs",
    "nsfs",
    "selinuxfs",
];

/// Where the final step may act. In a container (a PID namespace other than
/// the first), swap and the filesystems' superblocks belong to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Machine,
    Container,
}

/// A container when `/proc` says so, and also when there is no `/proc` to
/// ask: then there is no mount table or swap list to act on either, and
/// doing less can never touch the host's swap or superblocks.
fn scope() -> Scope {
    if crate::container::in_child_pid_namespace() == Some(false) {
        Scope::Machine
    } else {
        Scope::Container
    }
}

/// One step of taking the filesystems down.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MountStep {
    /// Unmount; if that fails, make it read-only.
    Unmount(PathBuf),
    /// Only make it read-only (the root).
    ReadOnly(PathBuf),
}

/// The steps for the mounts in `mountinfo`, innermost (last mounted) first,
/// the root last. In a container, mounts shared with other namespaces are
/// left alone.
fn plan_unmounts(mountinfo: &str, scope: Scope) -> Vec<MountStep> {
    let mut steps = Vec::new();
    let mut root_seen = false;
    for mount in crate::mountinfo::parse(mountinfo).into_iter().rev() {
        if KERNEL_FILESYSTEMS.contains(&mount.fs_type.as_str())
            || (scope == Scope::Container && mount.shared)
        {
            continue;
        }
        if mount.point == Path::new("/") {
            root_seen = true;
        } else {
            steps.push(MountStep::Unmount(mount.point));
        }
    }
    if root_seen {
        steps.push(MountStep::ReadOnly(PathBuf::from("/")));
    }
    steps
}

fn make_read_only(path: &Path, scope: Scope) -> nix::Result<()> {
    // In a container only this mount is made read-only (MS_BIND), never the
    // filesystem itself, which the host may still be using.
    let mut flags = MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    if scope == Scope::Container {
        flags |= MsFlags::MS_BIND;
    }
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>)
}

fn take_filesystems_down(scope: Scope) {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let steps = plan_unmounts(&mountinfo, scope);
    log::debug!("unmount plan: {steps:?}");
    for step in steps {
        match step {
            MountStep::Unmount(path) => match umount2(&path, MntFlags::empty()) {
                Ok(()) => eprintln!("halt: unmounted {}", path.display()),
                Err(e) => match make_read_only(&path, scope) {
                    Ok(()) => eprintln!(
                        "halt: {} busy ({}), remounted read-only",
                        path.display(),
                        e.desc()
                    ),
                    Err(e2) => eprintln!(
                        "halt: cannot unmount {} ({}) nor make it read-only ({})",
                        path.display(),
                        e.desc(),
                        e2.desc()
                    ),
                },
            },
            MountStep::ReadOnly(path) => match make_read_only(&path, scope) {
                Ok(()) => eprintln!("halt: remounted {} read-only", path.display()),
                Err(e) => eprintln!(
                    "halt: cannot remount {} read-only: {}",
                    path.display(),
                    e.desc()
                ),
            },
        }
    }
}

/// Swap areas from `/proc/swaps` (first column, header skipped).
fn swap_areas(proc_swaps: &str) -> Vec<PathBuf> {
    proc_swaps
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(|p| PathBuf::from(crate::mountinfo::unescape(p)))
        .collect()
}

/// PIDs other than init, ourselves, kernel threads and zombies.
fn other_processes() -> Vec<i32> {
    let me = getpid().as_raw();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != 1 && pid != me)
        .filter(|&pid| {
            crate::procfs::stat(pid).is_some_and(|stat| !stat.is_dead() && !stat.is_kernel_thread())
        })
        .collect()
}

/// Waits until no other process is left, at most `limit`.
fn wait_for_others(limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if other_processes().is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every process but init and the caller gets TERM; those still there after
/// [`FINAL_GRACE`] get KILL; then the file systems are synced. `say` tells
/// each signal sent.
pub(crate) fn stop_all_processes(say: &mut dyn FnMut(&str)) {
    say("sending all processes the TERM signal...");
    let _ = kill(Pid::from_raw(-1), Signal::SIGTERM);
    if wait_for_others(FINAL_GRACE) {
        log::debug!("every other process is gone");
    } else {
        log::debug!(
            "{} processes left after {} s",
            other_processes().len(),
            FINAL_GRACE.as_secs()
        );
        say("sending all processes the KILL signal...");
        let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
        wait_for_others(KILL_WAIT);
    }
    sync();
}

/// The final step of a level-0/6 transition (`halt --final`), once init's
/// environment asked for `mode`: stops every other process, takes swap and
/// the filesystems down and calls `reboot(2)`. Returns only if the kernel
/// refused.
pub(crate) fn final_teardown(mode: Mode) -> i32 {
    let _ = chdir("/");
    let scope = scope();
    log::debug!(
        "{mode:?} of a {}",
        match scope {
            Scope::Machine => "machine",
            Scope::Container => "container: swap and shared mounts are the host's",
        }
    );
    write_shutdown_record(Path::new(utmp::WTMP_PATH));
    stop_all_processes(&mut |message| eprintln!("halt: {message}"));

    if scope == Scope::Machine {
        let swaps = fs::read_to_string("/proc/swaps").unwrap_or_default();
        for area in swap_areas(&swaps) {
            match swapoff(&area) {
                Ok(()) => eprintln!("halt: swap off on {}", area.display()),
                Err(e) => eprintln!("halt: swapoff {}: {e}", area.display()),
            }
        }
    }
    take_filesystems_down(scope);
    sync();

    eprintln!(
        "halt: {}",
        match mode {
            Mode::Reboot => "rebooting",
            Mode::Halt => "halting",
            Mode::PowerOff => "powering off",
        }
    );
    reboot_system(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
21 20 0:5 / /proc rw - proc proc rw
22 20 0:6 / /dev rw shared:2 - devtmpfs udev rw
23 20 0:24 / /run rw - tmpfs tmpfs rw
24 20 8:2 / /home rw shared:3 - ext4 /dev/sda2 rw
25 24 8:3 / /home/my\\040disk rw - xfs /dev/sda3 rw
26 20 0:40 / /sys rw - sysfs sysfs rw
";

    #[test]
    fn unmount_plan_on_a_machine() {
        assert_eq!(
            plan_unmounts(MOUNTINFO, Scope::Machine),
            vec![
                MountStep::Unmount("/home/my disk".into()),
                MountStep::Unmount("/home".into()),
                MountStep::Unmount("/run".into()),
                MountStep::ReadOnly("/".into()),
            ]
        );
    }

    #[test]
    fn unmount_plan_in_a_container_skips_shared_mounts() {
        assert_eq!(
            plan_unmounts(MOUNTINFO, Scope::Container),
            vec![
                MountStep::Unmount("/home/my disk".into()),
                MountStep::Unmount("/run".into()),
            ]
        );
        assert!(plan_unmounts("garbage\n\n - \n1 2 3 - x", Scope::Machine).is_empty());
    }

    #[test]
    fn swaps_and_escapes() {
        let swaps = "Filename\tType\tSize\tUsed\tPriority\n\
                     /dev/sda5 partition 1 0 -2\n/swap\\040file file 1 0 -3\n";
        assert_eq!(
            swap_areas(swaps),
            vec![PathBuf::from("/dev/sda5"), PathBuf::from("/swap file")]
        );
        assert_eq!(crate::mountinfo::unescape("a\\134b\\04"), "a\\b\\04");
    }
}
