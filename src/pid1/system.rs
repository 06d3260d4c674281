//! [`System`], the outside world of the policy: PID 1's implementation of
//! [`Effects`] (fork and exec, signals, utmp, the console, the process
//! title, the re-exec), and the two ways it starts: a fresh boot or a
//! reload from an old init's state.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{ForkResult, Pid, dup2, execve, setsid};

use super::console::{self, Console, DEV_NULL, DEV_TTY0, to};
use super::fifo::Fifo;
use super::{cmdline, spawn, state};
use crate::defaults::DEFAULT_PATH;
use crate::inittab::{self, Loaded};
use crate::reexec_state::{self, SavedState};
use crate::supervisor::{
    BootOptions, Dest, Effects, ExtraEnv, Record, SpawnRequest, Supervisor, var_name,
};
use crate::sys::process::{exit_now, fork_single_threaded};
use crate::untrusted::{self, Access};
use crate::utmp::{self, Recorder};

/// What re-exec runs (sysvinit's `myname` default).
const INIT_PATH: &str = "/sbin/init";

/// vinit's version, in the boot and reload console lines.
fn version() -> String {
    format!("vinit-{}", env!("CARGO_PKG_VERSION"))
}

/// Mounts sysfs on `/sys` at boot unless something is mounted there already.
/// Debian's sysvinit does this (through libselinux's policy loading) before
/// the first script runs, and Debian's `mountkernfs.sh` relies on it: it
/// mounts securityfs on `/sys/kernel/security` before it mounts `/sys`.
/// Where `/sys` is missing (a chroot, a container) nothing happens.
fn mount_sysfs() {
    use nix::mount::{MsFlags, mount};
    use nix::sys::statfs::{SYSFS_MAGIC, statfs};
    let sys = Path::new("/sys");
    if !sys.is_dir() || statfs(sys).is_ok_and(|fs| fs.filesystem_type() == SYSFS_MAGIC) {
        return;
    }
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let _ = mount(Some("sysfs"), sys, Some("sysfs"), flags, None::<&str>);
}

/// The outside world of the policy.
pub(super) struct System {
    pub(super) console: Console,
    pub(super) recorder: Recorder,
    /// init's own environment, as children inherit it: `NAME=VALUE`, any
    /// bytes, as the kernel or the previous init passed it.
    pub(super) base_env: Vec<OsString>,
    pub(super) fifo: Fifo,
    /// A process was started since the loop last gave back free memory.
    pub(super) spawned: bool,
}

impl System {
    /// A fresh boot (sysvinit's `init_main` without `reload`).
    pub(super) fn boot(&mut self, args: &cmdline::InitArgs) -> Supervisor {
        // Ctrl-Alt-Del becomes SIGINT. Fails with EINVAL in a PID namespace.
        let _ = nix::sys::reboot::set_cad_enabled(false);
        // The keyboard request key becomes SIGWINCH.
        let tty0 = untrusted::open_device(Path::new(DEV_TTY0), Access::ReadWrite);
        let _ = match &tty0 {
            Ok(tty) => crate::sys::console::accept_keyboard_signal(tty.as_fd(), libc::SIGWINCH),
            Err(_) => crate::sys::console::accept_keyboard_signal(
                std::io::stdin().as_fd(),
                libc::SIGWINCH,
            ),
        };
        drop(tty0);
        // init keeps no descriptor on the console: messages open it each time.
        if let Ok(null) = untrusted::open_device(Path::new(DEV_NULL), Access::ReadWrite) {
            for fd in 0..=2 {
                let _ = dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd);
            }
        }
        let _ = self.console.stty();
        let _ = setsid();
        set_var(&mut self.base_env, format!("PATH={DEFAULT_PATH}").into());
        if args.autoboot {
            set_var(&mut self.base_env, "AUTOBOOT=YES".into());
        }
        mount_sysfs();
        let _ = self.recorder.reset_utmp();
        log::info!(target: to::CONSOLE, "version {} booting", version());
        self.set_title("init boot");
        Supervisor::new(BootOptions {
            level: args.default_level.and_then(|c| u8::try_from(c).ok()),
            emergency: args.emergency,
        })
    }

    /// After a re-exec: take over the old init's state.
    pub(super) fn reload(&mut self, state: &SavedState) -> Supervisor {
        // The title first: whoever sees "reloading" may look at it at once.
        self.set_title(&format!("init [{}]", state.runlevel));
        log::info!(target: to::CONSOLE, "version {} reloading", version());
        if !self.base_env.iter().any(|var| var_name(var) == b"PATH") {
            set_var(&mut self.base_env, format!("PATH={DEFAULT_PATH}").into());
        }
        // The old init passed its INIT_* variables in our environment.
        let extra = ExtraEnv::from_environment(self.base_env.iter().map(OsString::as_os_str));
        self.base_env.retain(|var| {
            let name = var_name(var);
            !name.starts_with(b"INIT_") || name == b"INIT_VERSION"
        });
        Supervisor::restore(state, extra)
    }

    pub(super) fn ask(&mut self) -> u8 {
        let _ = self.console.stty();
        let Ok(mut tty) = self.console.open() else {
            return b'S';
        };
        loop {
            let _ = tty.write_all(b"\nEnter runlevel: ");
            let mut answer = [0u8; 8];
            match tty.read(&mut answer) {
                Ok(0) => std::thread::sleep(Duration::from_secs(1)),
                Ok(_) => {
                    let [typed, end, ..] = answer;
                    let level = typed.to_ascii_uppercase();
                    if typed != 0 && matches!(end, b'\r' | b'\n') && b"0123456789S".contains(&level)
                    {
                        return level;
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return b'S',
            }
        }
    }
}

/// Sets `var` (`NAME=value`) in an environment list, replacing a variable
/// of the same name.
fn set_var(env: &mut Vec<OsString>, var: OsString) {
    match env
        .iter_mut()
        .find(|existing| var_name(existing) == var_name(&var))
    {
        Some(existing) => *existing = var,
        None => env.push(var),
    }
}

impl Effects for System {
    fn load_inittab(&mut self) -> Loaded {
        inittab::load(&crate::filesystem::FileSystem, Path::new("/"))
    }

    fn release_memory(&mut self) {
        crate::sys::release_free_memory();
    }

    fn spawn(&mut self, request: &SpawnRequest<'_>) -> Option<i32> {
        self.spawned = true;
        spawn::spawn(
            request,
            &spawn::SpawnContext {
                console: &self.console,
                recorder: &self.recorder,
                base_env: &self.base_env,
            },
        )
    }

    fn kill_group(&mut self, pid: i32, signal: Signal) {
        // Never our own group, never "every process".
        if pid > 1 {
            let _ = killpg(Pid::from_raw(pid), signal);
        }
    }

    fn log(&mut self, dest: Dest, message: &str) {
        log::info!(target: console::target(dest), "{message}");
    }

    fn record(&mut self, record: Record) {
        match record {
            Record::Boot => self.recorder.boot(),
            Record::Runlevel { new, old } => self.recorder.runlevel(new, old),
            Record::Dead { id, pid } => self.recorder.dead_process(&id, pid),
            Record::Redo => self.recorder.redo(),
        }
    }

    fn set_title(&mut self, title: &str) {
        let _ = crate::sys::proctitle::set_process_title(title);
    }

    fn write_runlevel_file(&mut self, level: u8) {
        let _ = utmp::write_runlevel_file(Path::new(utmp::RUNLEVEL_PATH), level);
    }

    fn console_stty(&mut self) {
        let _ = self.console.stty();
    }

    fn ask_runlevel(&mut self) -> u8 {
        self.ask()
    }

    /// sysvinit's `re_exec`: the state goes through a pipe on fd 11
    /// (written by a forked child, as it may exceed the pipe buffer), the
    /// `INIT_*` variables through the environment of the exec.
    fn reexec(&mut self, state: &SavedState, extra_env: &[OsString]) {
        let mut state = state.clone();
        let owed = self.recorder.owes_records();
        state.wrote_utmp_boot = !owed;
        state.wrote_wtmp_boot = !owed;
        let text = reexec_state::serialize(&state);
        let Ok(mut pipe) = state::make_state_pipe() else {
            return;
        };
        match fork_single_threaded() {
            Ok(ForkResult::Child) => {
                let written = catch_unwind(AssertUnwindSafe(|| pipe.write_all(text.as_bytes())));
                exit_now(i32::from(!matches!(written, Ok(Ok(())))))
            }
            Ok(ForkResult::Parent { .. }) => {}
            Err(_) => {
                state::close_state_fd();
                return;
            }
        }
        drop(pipe);
        let mut env = self.base_env.clone();
        for var in extra_env {
            set_var(&mut env, var.clone());
        }
        let c = |s: &[u8]| std::ffi::CString::new(s).ok();
        let argv: Vec<_> = [INIT_PATH, "--init"]
            .into_iter()
            .filter_map(|arg| c(arg.as_bytes()))
            .collect();
        let env: Vec<_> = env.iter().filter_map(|var| c(var.as_bytes())).collect();
        if let Some(program) = c(INIT_PATH.as_bytes()) {
            self.fifo.hand_over();
            let _ = execve(&program, &argv, &env);
            self.fifo.keep_private();
        }
        state::close_state_fd();
    }
}
