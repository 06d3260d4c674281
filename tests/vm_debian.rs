//! A real distribution boots: a Debian bookworm minbase root made by debootstrap
//! (`scripts/debian-root.sh`: sysvinit-core, sysv-rc, insserv, startpar, initscripts, cron,
//! openssh-server, nginx), booted under QEMU from an NVMe disk with Debian's cloud kernel.
//!
//! Debian's /etc/inittab, /etc/init.d/rc, startpar, insserv and init scripts are used as the
//! packages ship them (`dpkg --verify` and a `cmp` of the inittab in the guest prove it). The
//! only additions are a getty on the serial console in /etc/inittab.d/ and an empty root
//! password, so the test can log in. Each scenario logs in, checks `runlevel`, `who -r`, that cron and sshd run, `service
//! --status-all`, and powers off with `poweroff`: QEMU must exit after the kernel's
//! "reboot: Power down".
//!
//! `vm_debian_sysvinit_baseline` boots Debian's own sysvinit: it proves the root, the kernel
//! and the console flow. `vm_debian_vinit` boots the same root with our binaries in place of
//! sysvinit's `/sbin/{init,telinit,runlevel,shutdown,halt,reboot,poweroff}`.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::vm::Vm;
use common::{host_tool, stage, work_dir};

/// Safety nets only (TCG on a busy 2-core machine): a boot to the login prompt took 20-40 s.
const BOOT_TIMEOUT: Duration = Duration::from_secs(600);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(300);

/// The shell prompt of root on the guest (hostname set by scripts/debian-root.sh).
const PROMPT: &str = "root@vinit-debian:~# ";

/// sysvinit's programs that vinit replaces; Debian's rc, startpar, insserv, service and
/// init scripts stay.
const REPLACED: &[&str] = &[
    "init", "telinit", "runlevel", "shutdown", "halt", "reboot", "poweroff",
];

/// The Debian packages whose files must be exactly as shipped (`dpkg --verify`), conffiles
/// such as /etc/init.d/* included.
const VERIFIED_PACKAGES: &[&str] = &[
    "sysvinit-core",
    "sysvinit-utils",
    "sysv-rc",
    "initscripts",
    "insserv",
    "startpar",
    "init-system-helpers",
    "cron",
    "openssh-server",
];

#[test]
fn vm_debian_sysvinit_baseline() {
    let root = debian_root();
    let pid1 = boot_and_check(&root);
    assert_eq!(
        pid1, "/usr/sbin/init",
        "PID 1 is Debian's sysvinit (/sbin -> usr/sbin)"
    );
}

#[test]
fn vm_debian_vinit() {
    let root = RootCopy::of(&debian_root());
    install_vinit(&root.path());
    let pid1 = boot_and_check(&root.path());
    assert_eq!(
        pid1, "/usr/lib/vinit/vinit",
        "PID 1 is our binary (/lib -> usr/lib)"
    );
}

/// The cached Debian root, built by `scripts/debian-root.sh` under `target/vm/debian-root/`
/// the first time (debootstrap: 35-95 s measured with deb.debian.org); the script's lock
/// makes parallel callers wait for one build.
fn debian_root() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/debian-root.sh");
    let started = Instant::now();
    let out = Command::new(host_tool("bash"))
        .arg(&script)
        .arg(work_dir("vm").join("debian-root"))
        // debootstrap and chroot live in sbin, which a test runner's PATH may lack.
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .output()
        .expect("run scripts/debian-root.sh");
    assert!(
        out.status.success(),
        "scripts/debian-root.sh failed ({}); `make test` installs debootstrap:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("Debian root ready in {:.1?}", started.elapsed());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A private copy of the cached root (`cp -a`, so owners, modes, links and device nodes
/// stay), removed on drop.
struct RootCopy {
    dir: tempfile::TempDir,
}

impl RootCopy {
    fn of(root: &Path) -> RootCopy {
        let dir = tempfile::Builder::new()
            .prefix("debian-")
            .tempdir_in(work_dir("test-roots"))
            .expect("tempdir for a copy of the Debian root");
        let out = Command::new(host_tool("cp"))
            .arg("-a")
            .arg(root)
            .arg(dir.path().join("root"))
            .output()
            .expect("run cp");
        assert!(
            out.status.success(),
            "cp -a {}: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        RootCopy { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("root")
    }
}

/// Puts our staged install's binary at /lib/vinit/vinit and its links in place of
/// sysvinit's programs (removing Debian's files there), as `make install` would.
fn install_vinit(root: &Path) {
    let stage = stage();
    let binary = root.join("lib/vinit/vinit");
    fs::create_dir_all(root.join("lib/vinit")).expect("mkdir /lib/vinit in the Debian root");
    fs::copy(stage.join("lib/vinit/vinit"), &binary).expect("copy our binary into the root");
    for name in REPLACED {
        let target = fs::read_link(stage.join("sbin").join(name))
            .unwrap_or_else(|e| panic!("the stage has no link sbin/{name}: {e}"));
        let link = root.join("sbin").join(name);
        fs::remove_file(&link)
            .unwrap_or_else(|e| panic!("remove Debian's /sbin/{name} from the root: {e}"));
        symlink(&target, &link).unwrap_or_else(|e| panic!("link /sbin/{name}: {e}"));
    }
}

/// Boots `root`, logs in on the serial console and checks the booted system, then powers it
/// off. Returns the path of PID 1's executable as the guest sees it.
fn boot_and_check(root: &Path) -> String {
    let started = Instant::now();
    let vm = Vm::boot_root_dir(root, "");
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));

    check(vm.expect("Entering runlevel: 2", BOOT_TIMEOUT));
    // The serial getty is respawned in 2 and 3 only, after `l2` (Debian's `rc 2`) is done.
    check(vm.expect("vinit-debian login: ", BOOT_TIMEOUT));
    eprintln!("login prompt after {:.1?}", started.elapsed());
    vm.send_line("root");
    check(vm.expect(PROMPT, COMMAND_TIMEOUT));

    let mut shell = Shell { vm: &vm, count: 0 };
    let pid1 = shell.run("readlink /proc/1/exe");
    assert_eq!(shell.ok("runlevel"), "N 2", "runlevel after boot");
    let who = shell.ok("who -r");
    assert!(
        who.contains("run-level 2"),
        "Debian's `who -r` reads our utmp: {who:?}"
    );
    for daemon in ["cron", "sshd"] {
        let pids = shell.ok(&format!("pidof {daemon}"));
        assert!(!pids.is_empty(), "{daemon} runs");
    }
    let status = shell.ok("service --status-all");
    for service in ["cron", "ssh"] {
        assert!(
            status
                .lines()
                .any(|l| l.trim_start().starts_with("[ + ]") && l.ends_with(service)),
            "service --status-all shows {service} running:\n{status}"
        );
    }
    // Lists every file that differs from its package: only the programs we replaced may.
    let changed = shell.run(&format!("dpkg --verify {}", VERIFIED_PACKAGES.join(" ")));
    for line in changed.lines() {
        assert!(
            REPLACED
                .iter()
                .any(|name| line.ends_with(&format!("/sbin/{name}"))),
            "only the replaced programs may differ from Debian's packages:\n{changed}"
        );
    }
    // Debian's mountkernfs.sh mounts securityfs before /sys: it relies on init having
    // mounted sysfs, as Debian's sysvinit does (through libselinux) and so does vinit.
    shell.ok("grep -q ' /sys/kernel/security securityfs ' /proc/mounts");
    // /etc/inittab is no conffile: sysvinit-core's postinst copies it from here.
    shell.ok("cmp /usr/share/sysvinit/inittab /etc/inittab");
    eprintln!("checks done after {:.1?}", started.elapsed());

    vm.send_line("poweroff");
    // Debian's /etc/init.d/halt, run by `rc 0`, says this just before `halt -d -f -i -p`.
    check(vm.expect("Will now halt.", POWEROFF_TIMEOUT));
    check(vm.expect("reboot: Power down", POWEROFF_TIMEOUT));
    let exit = vm.wait_exit(POWEROFF_TIMEOUT);
    assert!(
        exit.is_some_and(|s| s.success()),
        "QEMU exits after poweroff ({exit:?}); transcript:\n{}",
        vm.transcript()
    );
    eprintln!("powered off after {:.1?}", started.elapsed());
    // Shown by the test runner with --nocapture or when a later assertion fails.
    eprintln!("transcript:\n{}", vm.transcript());
    pid1
}

/// Runs commands in the root shell on the serial console.
struct Shell<'a> {
    vm: &'a Vm,
    count: u32,
}

impl Shell<'_> {
    /// Runs `command` and returns its output (stdout and stderr, carriage returns and
    /// terminal escapes removed, trimmed); panics with the transcript unless it exits 0.
    fn ok(&mut self, command: &str) -> String {
        let (output, status) = self.run_with_status(command);
        assert_eq!(
            status,
            "0",
            "`{command}` failed with {status}: {output}\ntranscript:\n{}",
            self.vm.transcript()
        );
        output
    }

    /// Like [`Shell::ok`], for commands whose output is all that matters.
    fn run(&mut self, command: &str) -> String {
        self.run_with_status(command).0
    }

    fn run_with_status(&mut self, command: &str) -> (String, String) {
        self.count += 1;
        let n = self.count;
        // The quotes keep the typed line (echoed by the terminal) from matching the markers.
        self.vm.send_line(&format!(
            "echo '::'begin{n}; {command} 2>&1; echo status=$? '::'end{n}"
        ));
        let wait = |needle: &str| {
            self.vm
                .expect(needle, COMMAND_TIMEOUT)
                .unwrap_or_else(|e| panic!("running `{command}`: {e}"))
        };
        wait(&format!("::begin{n}"));
        let seen = wait(&format!("::end{n}"));
        wait(PROMPT);
        let text = strip_terminal(&seen);
        let body = text
            .strip_suffix(&format!("::end{n}"))
            .unwrap_or(&text)
            .trim_end();
        let (output, status) = body.rsplit_once("status=").unwrap_or((body, "?"));
        (output.trim().to_string(), status.trim().to_string())
    }
}

/// Removes carriage returns and ANSI escape sequences (bash's bracketed-paste toggles).
fn strip_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {}
            '\x1b' => {
                // CSI: ESC [ parameters... final byte in @..~
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}
