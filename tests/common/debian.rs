//! The Debian bookworm root of the VM tests (`scripts/debian-root.sh`), copies of it with
//! our binaries installed, and a root shell on its serial console.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::vm::{Vm, without_kernel_messages};
use super::{host_tool, stage, work_dir};

/// Safety nets only (TCG on a busy 2-core machine): a boot to the login prompt took 20-40 s.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(600);
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);
pub const POWEROFF_TIMEOUT: Duration = Duration::from_secs(300);

/// The shell prompt of root on the guest (hostname set by scripts/debian-root.sh).
pub const PROMPT: &str = "root@vinit-debian:~# ";

/// sysvinit's programs that vinit replaces; Debian's rc, startpar, insserv, service and
/// init scripts stay.
pub const REPLACED: &[&str] = &[
    "init", "telinit", "runlevel", "shutdown", "halt", "reboot", "poweroff",
];

/// The cached Debian root, built by `scripts/debian-root.sh` under `target/vm/debian-root/`
/// the first time (debootstrap: 35-95 s measured with deb.debian.org); the script's lock
/// makes parallel callers wait for one build.
pub fn debian_root() -> PathBuf {
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
pub struct RootCopy {
    dir: tempfile::TempDir,
}

impl RootCopy {
    pub fn of(root: &Path) -> RootCopy {
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

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("root")
    }
}

/// Puts our staged install's binary at /lib/vinit/vinit and its links in place of
/// sysvinit's programs (removing Debian's files there), as `make install` would.
pub fn install_vinit(root: &Path) {
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
    // The LSB hook that puts scripts run by hand in their services' cgroups.
    let hook = "lib/lsb/init-functions.d/20-vinit";
    fs::copy(stage.join(hook), root.join(hook)).expect("copy the LSB hook into the root");
}

/// Our rc (Debian's /etc/init.d/rcS execs /etc/init.d/rc) and service, besides init, and
/// `/etc/vinit/supervise.d/NAME` with `settings` for each of `supervised`.
pub fn install_rc_and_service(root: &Path, supervised: &[(&str, &str)]) {
    for (link, target) in [
        ("etc/init.d/rc", "/lib/vinit/vinit"),
        ("usr/sbin/service", "../../lib/vinit/vinit"),
    ] {
        let path = root.join(link);
        fs::remove_file(&path).unwrap_or_else(|e| panic!("remove Debian's /{link}: {e}"));
        symlink(target, &path).unwrap_or_else(|e| panic!("link /{link}: {e}"));
    }
    fs::create_dir_all(root.join("etc/vinit/supervise.d")).expect("mkdir supervise.d");
    for (name, settings) in supervised {
        fs::write(root.join("etc/vinit/supervise.d").join(name), settings)
            .expect("supervise.d file");
    }
}

/// Boots `root` and logs in as root on the serial console, where Debian's getty runs in
/// runlevels 2 and 3 (after `l2`, Debian's `rc 2`, is done).
pub fn boot_and_log_in(root: &Path) -> Vm {
    let started = Instant::now();
    let vm = Vm::boot_root_dir(root, "");
    let check = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    check(vm.expect("Entering runlevel: 2", BOOT_TIMEOUT));
    check(vm.expect("vinit-debian login: ", BOOT_TIMEOUT));
    eprintln!("login prompt after {:.1?}", started.elapsed());
    vm.send_line("root");
    check(vm.expect(PROMPT, COMMAND_TIMEOUT));
    vm
}

/// Runs commands in the root shell on the serial console.
pub struct Shell<'a> {
    vm: &'a Vm,
    prompt: &'a str,
    count: u32,
}

impl<'a> Shell<'a> {
    /// A shell already logged in on `vm`'s serial console (at [`PROMPT`]).
    pub fn new(vm: &'a Vm) -> Shell<'a> {
        Shell::at(vm, PROMPT)
    }

    /// A shell already logged in on `vm`'s serial console, whose prompt is `prompt`.
    pub fn at(vm: &'a Vm, prompt: &'a str) -> Shell<'a> {
        Shell {
            vm,
            prompt,
            count: 0,
        }
    }

    /// Runs `command` and returns its output (stdout and stderr, carriage returns and
    /// terminal escapes removed, trimmed); panics with the transcript unless it exits 0.
    pub fn ok(&mut self, command: &str) -> String {
        let (output, status) = self.run_with_status(command);
        assert_eq!(
            status,
            "0",
            "`{command}` failed with {status}: {output}\ntranscript:\n{}",
            self.vm.transcript()
        );
        output
    }

    /// Everything the VM's console showed so far.
    pub fn transcript(&self) -> String {
        self.vm.transcript()
    }

    /// Like [`Shell::ok`], for commands whose output is all that matters.
    pub fn run(&mut self, command: &str) -> String {
        self.run_with_status(command).0
    }

    pub fn run_with_status(&mut self, command: &str) -> (String, String) {
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
        wait(self.prompt);
        let text = without_kernel_messages(&strip_terminal(&seen));
        let body = text
            .strip_suffix(&format!("::end{n}"))
            .unwrap_or(&text)
            .trim_end();
        let (output, status) = body.rsplit_once("status=").unwrap_or((body, "?"));
        (output.trim().to_string(), status.trim().to_string())
    }
}

/// Removes carriage returns and ANSI escape sequences (bash's bracketed-paste toggles).
pub fn strip_terminal(text: &str) -> String {
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
