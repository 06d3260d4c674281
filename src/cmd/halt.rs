//! `halt`, `reboot`, `poweroff` (docs/compatibility.md §7.2), as sysvinit 3.06's `halt.c`:
//! outside runlevels 0 and 6 they ask `shutdown` to do the work; in them (or
//! with `-f`) they write the wtmp `shutdown` record, sync and call
//! `reboot(2)`.
//!
//! Also the last step of a level-0/6 transition, `halt --final` (vinit's
//! own, see halt(8)): when the rc scripts are done and did not take the
//! machine down themselves, it checks that init asked for it and hands over
//! to [`crate::teardown`], which stops every process, unmounts or
//! write-protects the filesystems, turns swap off and calls `reboot(2)`.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use nix::unistd::{chdir, geteuid, sync};

use crate::getopt::{self, Opt};
use crate::sys::power::interface_down;
use crate::teardown::{self, Mode, reboot_system};
use crate::utmp::{self, read_runlevel, read_runlevel_file, write_shutdown_record};

/// The program name as sysvinit's halt sees it: basename, leading `-` gone.
fn program_name(argv0: Option<&OsString>) -> String {
    let argv0 = argv0.map_or(Cow::Borrowed("halt"), |a| a.to_string_lossy());
    let argv0 = argv0.strip_prefix('-').unwrap_or(&argv0);
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
    /// `-t`'s argument, passed on to `shutdown` as given.
    sleep_time: Option<OsString>,
}

fn parse_options(prog: &str, args: &[OsString]) -> Option<Options> {
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
    let mut args = vec![OsStr::new(if o.mode == Mode::Reboot { "-r" } else { "-h" })];
    if o.mode == Mode::PowerOff {
        args.push(OsStr::new("-P"));
    }
    if let Some(t) = &o.sleep_time {
        args.extend([OsStr::new("-t"), t]);
    }
    args.push(OsStr::new("now"));
    log::debug!(
        "running shutdown {}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut last_error = None;
    for path in ["/sbin/shutdown", "/etc/shutdown", "/bin/shutdown"] {
        last_error = Some(Command::new(path).arg0("shutdown").args(&args).exec());
    }
    if let Some(e) = last_error {
        eprintln!("shutdown: {e}");
    }
    1
}

pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let prog = program_name(args.first());
    let rest = args.get(1..).unwrap_or_default();
    if rest.first().is_some_and(|a| a == "--final") {
        return final_step(&prog, rest.get(1..).unwrap_or_default());
    }
    let help = || {
        format!(
            "{}\t--final: the last step of runlevels 0 and 6 (see halt(8)).\n\n\
             Exit status: outside runlevels 0 and 6 (without -f), that of shutdown,\n\
             which takes the system down; otherwise 0 (after -w, or should reboot(2)\n\
             return); 1 on a usage error, when not run by root, when shutdown cannot\n\
             be run, or for --final outside runlevels 0 and 6.\n",
            usage_text(&prog, VINIT_H_LINE)
        )
    };
    if let Some(code) = super::help_or_version(&prog, rest, help) {
        return code;
    }
    let Some(o) = parse_options(&prog, rest) else {
        return usage(&prog);
    };
    // shutdown would refuse it, after this command had gone.
    if let Some(t) = &o.sleep_time
        && super::telinit::atoi(t.as_bytes()).is_none()
    {
        eprintln!(
            "{prog}: -t {}: out of range (at most {} seconds)",
            t.to_string_lossy(),
            i32::MAX
        );
        return usage(&prog);
    }
    log::debug!(
        "{:?}{}{}{}{}{}",
        o.mode,
        if o.sync { "" } else { ", no sync (-n)" },
        if o.wtmp { "" } else { ", no wtmp record" },
        if o.wtmp_only {
            ", wtmp record only (-w)"
        } else {
            ""
        },
        if o.force {
            ", without shutdown (-f)"
        } else {
            ""
        },
        if o.interfaces_down {
            ", interfaces down (-i)"
        } else {
            ""
        }
    );
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
            log::debug!(
                "runlevel {}: not 0 or 6, so shutdown takes the system down",
                level.map(char::from).unwrap_or('?')
            );
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
fn final_step(prog: &str, args: &[OsString]) -> i32 {
    if !args.is_empty() {
        eprintln!("usage: {prog} --final");
        return 1;
    }
    let runlevel = std::env::var("RUNLEVEL").ok();
    let init_halt = std::env::var("INIT_HALT").ok();
    let mode = final_mode(runlevel.as_deref(), init_halt.as_deref());
    log::debug!(
        "final step: RUNLEVEL={}, INIT_HALT={}: {}",
        runlevel.as_deref().unwrap_or("(unset)"),
        init_halt.as_deref().unwrap_or("(unset)"),
        match mode {
            Some(mode) => format!("{mode:?}"),
            None => "not the end of runlevel 0 or 6".to_string(),
        }
    );
    let Some(mode) = mode else {
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
    teardown::final_teardown(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn names_and_modes() {
        assert_eq!(program_name(Some(&"-/sbin/reboot".into())), "reboot");
        assert_eq!(program_name(Some(&"poweroff".into())), "poweroff");
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
        assert_eq!(o.sleep_time.as_deref(), Some(OsStr::new("7")));
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
}
