//! `halt`, `reboot`, `poweroff` (docs/compatibility.md §7.2), as sysvinit 3.06's `halt.c`:
//! outside runlevels 0 and 6 they ask `shutdown` to do the work; in them (or
//! with `-f`) they write the wtmp `shutdown` record, sync and call
//! `reboot(2)`.
//!
//! Also the last step of a level-0/6 transition, `halt --final` (vinit's
//! own, see halt(8)): when the rc scripts are done and did not take the
//! machine down themselves, it stops every process, unmounts or
//! write-protects the filesystems, turns swap off and calls `reboot(2)`.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::reboot::{RebootMode, reboot, set_cad_enabled};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, chdir, dup2, geteuid, getpid, isatty, sync};

use crate::getopt::{self, Opt};
use crate::sys::power::{interface_down, swapoff};
use crate::utmp::{self, read_runlevel, read_runlevel_file, write_shutdown_record};

/// What `reboot(2)` is asked for in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Reboot,
    Halt,
    PowerOff,
}

/// The program name as sysvinit's halt sees it: basename, leading `-` gone.
fn program_name(argv0: Option<&String>) -> String {
    let argv0 = argv0.map(String::as_str).unwrap_or("halt");
    let argv0 = argv0.strip_prefix('-').unwrap_or(argv0);
    argv0.rsplit('/').next().unwrap_or(argv0).to_string()
}

/// What the usage says of `-h`: sysvinit's line, to the byte, where the usage answers a
/// bad command line (tools and tests compare it); vinit's, which ignores `-h` (halt(8)),
/// where `--help` asks for it.
const SYSVINIT_H_LINE: &str = "put harddisks in standby mode.";
const VINIT_H_LINE: &str = "ignored (the kernel flushes and stops the disks).";

fn usage_text(prog: &str, h_line: &str) -> String {
    let p_flag = if prog == "halt" { " [-p]" } else { "" };
    let mut text = format!(
        "usage: {prog} [-n] [-w] [-d] [-f] [-h] [-i]{p_flag}\n\
         \t-n: don't sync before halting the system\n\
         \t-w: only write a wtmp reboot record and exit.\n\
         \t-d: don't write a wtmp record.\n\
         \t-f: force halt/reboot, don't call shutdown.\n\
         \t-h: {h_line}\n\
         \t-i: shut down all network interfaces.\n"
    );
    if prog == "halt" {
        text.push_str("\t-p: power down the system (if possible, otherwise halt).\n");
    }
    text
}

fn usage(prog: &str) -> i32 {
    eprint!("{}", usage_text(prog, SYSVINIT_H_LINE));
    1
}

/// The parsed command line of halt/reboot/poweroff.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    mode: Mode,
    sync: bool,
    wtmp: bool,
    wtmp_only: bool,
    force: bool,
    interfaces_down: bool,
    disks_standby: bool,
    sleep_time: Option<String>,
}

fn parse_options(prog: &str, args: &[String]) -> Option<Options> {
    let mut o = Options {
        mode: match prog {
            "reboot" => Mode::Reboot,
            "poweroff" => Mode::PowerOff,
            _ => Mode::Halt,
        },
        sync: true,
        wtmp: true,
        wtmp_only: false,
        force: false,
        interfaces_down: false,
        disks_standby: false,
        sleep_time: None,
    };
    let parsed = getopt::parse(args, "ihdfnpwt:");
    if !parsed.operands.is_empty() {
        return None;
    }
    for opt in parsed.opts {
        // halt's getopt string starts with ':': no messages, just usage.
        let Opt::Flag(c, value) = opt else {
            return None;
        };
        match c {
            'n' => {
                o.sync = false;
                o.wtmp = false;
            }
            'w' => o.wtmp_only = true,
            'd' => o.wtmp = false,
            'f' => o.force = true,
            'i' => o.interfaces_down = true,
            'h' => o.disks_standby = true,
            // -p only matters for halt; reboot keeps rebooting.
            'p' if o.mode == Mode::Halt => o.mode = Mode::PowerOff,
            't' => o.sleep_time = value,
            _ => {}
        }
    }
    Some(o)
}

/// The current runlevel as halt finds it (docs/compatibility.md §5.6): `$RUNLEVEL` if init
/// started us (`INIT_VERSION` set), else utmp's RUN_LVL, else
/// `/var/run/runlevel`.
fn current_level(prog: &str) -> Option<u8> {
    if std::env::var_os("INIT_VERSION").is_some()
        && let Some(level) = std::env::var_os("RUNLEVEL")
    {
        return Some(level.as_encoded_bytes().first().copied().unwrap_or(0));
    }
    if let Some((_, level)) = read_runlevel(Path::new(utmp::UTMP_PATH)) {
        return Some(level);
    }
    if let Some(level) = read_runlevel_file(Path::new(utmp::RUNLEVEL_PATH)) {
        return Some(level);
    }
    eprintln!("WARNING: could not determine runlevel - doing soft {prog}");
    eprintln!("  (it's better to use shutdown instead of {prog} from the command line)");
    None
}

/// Not in 0 or 6: let shutdown bring the system down properly.
fn exec_shutdown(o: &Options) -> i32 {
    let mut args = vec![if o.mode == Mode::Reboot { "-r" } else { "-h" }];
    if o.mode == Mode::PowerOff {
        args.push("-P");
    }
    if let Some(t) = &o.sleep_time {
        args.extend(["-t", t]);
    }
    args.push("now");
    let mut last_error = None;
    for path in ["/sbin/shutdown", "/etc/shutdown", "/bin/shutdown"] {
        last_error = Some(Command::new(path).arg0("shutdown").args(&args).exec());
    }
    if let Some(e) = last_error {
        eprintln!("shutdown: {e}");
    }
    1
}

pub fn main(args: Vec<String>) -> i32 {
    let prog = program_name(args.first());
    let rest = args.get(1..).unwrap_or_default();
    if rest.first().map(String::as_str) == Some("--final") {
        return final_step(&prog, rest.get(1..).unwrap_or_default());
    }
    match rest {
        [only] if only == "--help" => {
            print!("{}", usage_text(&prog, VINIT_H_LINE));
            println!("\t--final: the last step of runlevels 0 and 6 (see halt(8)).");
            return 0;
        }
        [only] if only == "--version" => {
            println!("{prog} (vinit) {}", env!("CARGO_PKG_VERSION"));
            return 0;
        }
        _ => {}
    }
    let Some(o) = parse_options(&prog, rest) else {
        return usage(&prog);
    };
    if !geteuid().is_root() {
        eprintln!("{prog}: must be superuser.");
        return 1;
    }
    if let Err(e) = chdir("/") {
        eprintln!("{prog}: chdir(/): {}", e.desc());
        return 1;
    }
    if !o.force && !o.wtmp_only {
        let level = current_level(&prog);
        if level != Some(b'0') && level != Some(b'6') {
            return exec_shutdown(&o);
        }
    }
    if o.wtmp {
        write_shutdown_record(Path::new(utmp::WTMP_PATH));
    }
    if o.wtmp_only && !o.disks_standby && !o.interfaces_down {
        return 0;
    }
    if o.sync {
        sync();
    }
    if o.interfaces_down {
        all_interfaces_down();
    }
    // Disk standby (-h) and cache flushes are left to the kernel: at
    // reboot(2) the SCSI/ATA disk driver flushes write caches and stops the
    // disks on power-off, which is what sysvinit's hddown/hdflush did by hand.
    if o.wtmp_only {
        return 0;
    }
    reboot_system(o.mode)
}

/// `-i`: every network interface down except loopback, traffic shapers
/// first (docs/compatibility.md §7.2). Aliases (`eth0:1`) are not separate interfaces in
/// `/sys/class/net`.
fn all_interfaces_down() {
    let mut names: Vec<String> = fs::read_dir("/sys/class/net")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with("lo") && !n.contains(':'))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| !n.starts_with("shaper"));
    for name in names {
        let _ = interface_down(&name);
    }
}

/// sysvinit's final `reboot(2)` sequence. Returns (0) only if the kernel
/// refused, after re-enabling init.
fn reboot_system(mode: Mode) -> i32 {
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
    std::thread::sleep(Duration::from_secs(seconds));
    eprint!("shutdown: sending all processes the KILL signal.\r\n");
    let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
    write_shutdown_record(Path::new(utmp::WTMP_PATH));
    super::shutdown::run_helper(true, "accton", &[]);
    super::shutdown::run_helper(true, "quotaoff", &["-a"]);
    sync();
    eprint!("shutdown: turning off swap\r\n");
    super::shutdown::run_helper(false, "swapoff", &["-a"]);
    eprint!("shutdown: unmounting all file systems\r\n");
    super::shutdown::run_helper(false, "umount", &["-a"]);
    if halt {
        eprint!("The system is halted. Press CTRL-ALT-DEL or turn off power\r\n");
        let _ = reboot(RebootMode::RB_HALT_SYSTEM);
    } else {
        eprint!("Please stand by while rebooting the system.\r\n");
        let _ = reboot(RebootMode::RB_AUTOBOOT);
    }
    0
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

/// `NSpid:` in `/proc/self/status` lists one PID per nested namespace.
fn scope() -> Scope {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let nested = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|pids| pids.split_whitespace().count() > 1)
        .unwrap_or(false);
    if nested {
        Scope::Container
    } else {
        Scope::Machine
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

/// `\040`-style escapes of `/proc/self/mountinfo` decoded.
fn unescape_mount_path(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match octal {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The steps for the mounts in `mountinfo`, innermost (last mounted) first,
/// the root last. In a container, mounts shared with other namespaces are
/// left alone.
fn plan_unmounts(mountinfo: &str, scope: Scope) -> Vec<MountStep> {
    let mut steps = Vec::new();
    let mut root_seen = false;
    for line in mountinfo.lines().rev() {
        let Some((before, after)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = before.split_whitespace().collect();
        let (Some(mount_point), Some(fs_type)) = (fields.get(4), after.split_whitespace().next())
        else {
            continue;
        };
        let shared = fields.iter().skip(6).any(|f| f.starts_with("shared:"));
        if KERNEL_FILESYSTEMS.contains(&fs_type) || (scope == Scope::Container && shared) {
            continue;
        }
        let path = unescape_mount_path(mount_point);
        if path == "/" {
            root_seen = true;
        } else {
            steps.push(MountStep::Unmount(PathBuf::from(path)));
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
    for step in plan_unmounts(&mountinfo, scope) {
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
        .map(|p| PathBuf::from(unescape_mount_path(p)))
        .collect()
}

/// PIDs other than init, ourselves, kernel threads and zombies.
fn other_processes() -> Vec<i32> {
    const PF_KTHREAD: u64 = 0x0020_0000;
    let me = getpid().as_raw();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != 1 && pid != me)
        .filter(|pid| {
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            let zombie = fields.first() == Some(&"Z");
            // Field 9 (flags) is the 7th after the command name.
            let kernel_thread = fields
                .get(6)
                .and_then(|f| f.parse::<u64>().ok())
                .is_some_and(|flags| flags & PF_KTHREAD != 0);
            !zombie && !kernel_thread
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

/// The mode the final step of a level asks for, from init's environment:
/// level 6 reboots; level 0 powers off unless `INIT_HALT=HALT` (as Debian's
/// halt script decides when `INIT_HALT` is unset).
fn final_mode(runlevel: Option<&str>, init_halt: Option<&str>) -> Option<Mode> {
    match runlevel? {
        "6" => Some(Mode::Reboot),
        "0" if init_halt == Some("HALT") => Some(Mode::Halt),
        "0" => Some(Mode::PowerOff),
        _ => None,
    }
}

/// `halt --final`: the end of a level-0/6 transition.
fn final_step(prog: &str, args: &[String]) -> i32 {
    if !args.is_empty() {
        eprintln!("usage: {prog} --final");
        return 1;
    }
    let runlevel = std::env::var("RUNLEVEL").ok();
    let init_halt = std::env::var("INIT_HALT").ok();
    let Some(mode) = final_mode(runlevel.as_deref(), init_halt.as_deref()) else {
        eprintln!(
            "{prog} --final: only init runs this, at runlevel 0 or 6 (RUNLEVEL={})",
            runlevel.as_deref().unwrap_or("")
        );
        return 1;
    };
    if !geteuid().is_root() {
        eprintln!("{prog}: must be superuser.");
        return 1;
    }
    let _ = chdir("/");
    let scope = scope();
    write_shutdown_record(Path::new(utmp::WTMP_PATH));

    eprintln!("halt: sending all processes the TERM signal...");
    let _ = kill(Pid::from_raw(-1), Signal::SIGTERM);
    if !wait_for_others(FINAL_GRACE) {
        eprintln!("halt: sending all processes the KILL signal...");
        let _ = kill(Pid::from_raw(-1), Signal::SIGKILL);
        wait_for_others(KILL_WAIT);
    }
    sync();

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

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn names_and_modes() {
        assert_eq!(program_name(Some(&"-/sbin/reboot".to_string())), "reboot");
        assert_eq!(program_name(Some(&"poweroff".to_string())), "poweroff");
        assert_eq!(program_name(None), "halt");
        let o = parse_options("halt", &args("-p -d -f")).unwrap();
        assert_eq!(o.mode, Mode::PowerOff);
        assert!(!o.wtmp && o.sync && o.force);
        assert_eq!(parse_options("reboot", &[]).unwrap().mode, Mode::Reboot);
        assert_eq!(
            parse_options("reboot", &args("-p")).unwrap().mode,
            Mode::Reboot
        );
        assert_eq!(parse_options("poweroff", &[]).unwrap().mode, Mode::PowerOff);
        let o = parse_options("halt", &args("-n -t 7 -w -i -h")).unwrap();
        assert!(!o.sync && !o.wtmp && o.wtmp_only && o.interfaces_down && o.disks_standby);
        assert_eq!(o.sleep_time.as_deref(), Some("7"));
    }

    #[test]
    fn bad_command_lines() {
        assert_eq!(parse_options("halt", &args("-x")), None);
        assert_eq!(parse_options("halt", &args("now")), None);
        assert_eq!(parse_options("halt", &args("-t")), None);
    }

    #[test]
    fn final_modes() {
        assert_eq!(final_mode(Some("6"), None), Some(Mode::Reboot));
        assert_eq!(final_mode(Some("6"), Some("HALT")), Some(Mode::Reboot));
        assert_eq!(final_mode(Some("0"), None), Some(Mode::PowerOff));
        assert_eq!(
            final_mode(Some("0"), Some("POWEROFF")),
            Some(Mode::PowerOff)
        );
        assert_eq!(final_mode(Some("0"), Some("HALT")), Some(Mode::Halt));
        assert_eq!(final_mode(Some("2"), None), None);
        assert_eq!(final_mode(None, None), None);
    }

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
        assert_eq!(unescape_mount_path("a\\134b\\04"), "a\\b\\04");
    }
}
