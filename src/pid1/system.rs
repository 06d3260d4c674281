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
use crate::inittab::{self, Entry, Loaded};
use crate::reexec_state::{self, SavedState};
use crate::runlevel::{Phase, Runlevel};
use crate::supervisor::{
    BootOptions, ChildLevels, Dest, DownMode, Effects, ExtraEnv, Record, SpawnRequest, Supervisor,
    var_name,
};
use crate::sys::process::{exit_now, fork_single_threaded};
use crate::teardown;
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
            level: args.default_level,
            emergency: args.emergency,
        })
    }

    /// After a re-exec: take over the old init's state.
    pub(super) fn reload(&mut self, state: &SavedState) -> Supervisor {
        // The title first: whoever sees "reloading" may look at it at once.
        match state.grammar {
            inittab::Grammar::Sysvinit => self.set_title(&format!("init [{}]", state.runlevel)),
            inittab::Grammar::BusyBox => self.set_title("init"),
        }
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

    pub(super) fn ask(&mut self) -> Runlevel {
        let _ = self.console.stty();
        let Ok(mut tty) = self.console.open() else {
            return Runlevel::SINGLE;
        };
        loop {
            let _ = tty.write_all(b"\nEnter runlevel: ");
            let mut answer = [0u8; 8];
            match tty.read(&mut answer) {
                Ok(0) => std::thread::sleep(Duration::from_secs(1)),
                Ok(_) => {
                    let [typed, end, ..] = answer;
                    if matches!(end, b'\r' | b'\n')
                        && let Some(level) = Runlevel::from_byte(typed)
                    {
                        return level;
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Runlevel::SINGLE,
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

impl System {
    fn spawn_context(&self) -> spawn::SpawnContext<'_> {
        spawn::SpawnContext {
            console: &self.console,
            recorder: &self.recorder,
            base_env: &self.base_env,
        }
    }
}

/// Whether `path` (links followed) is the program this process runs.
fn is_this_program(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let identity = |path: &Path| std::fs::metadata(path).map(|meta| (meta.dev(), meta.ino()));
    matches!(
        (identity(path), identity(Path::new("/proc/self/exe"))),
        (Ok(a), Ok(b)) if a == b
    )
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
        spawn::spawn(request, &self.spawn_context())
    }

    /// [`teardown::final_teardown`] in a child: init goes on reaping (and
    /// is stopped with SIGTSTP before a halt or power off, as sysvinit's
    /// `halt` does).
    fn bring_down(&mut self, mode: DownMode) {
        let mode = match mode {
            DownMode::Halt => teardown::Mode::Halt,
            DownMode::PowerOff => teardown::Mode::PowerOff,
            DownMode::Reboot => teardown::Mode::Reboot,
        };
        if spawn::run_in_child(&self.console, || teardown::final_teardown(mode)).is_none() {
            log::info!(target: to::BOTH, "cannot fork to bring the system down");
        }
    }

    fn restart_is_reexec(&mut self, entry: &Entry) -> bool {
        inittab::busybox::names_init(&entry.process) && is_this_program(Path::new(INIT_PATH))
    }

    /// BusyBox's `exec_restart_action`: every other process stopped, then
    /// the entry's command in init's place.
    fn restart(&mut self, entry: &Entry) {
        teardown::stop_all_processes(&mut |message| {
            log::info!(target: to::CONSOLE, "{message}");
        });
        // Ctrl-Alt-Del reboots at once again, as the kernel sets it up for
        // a new init.
        let _ = nix::sys::reboot::set_cad_enabled(true);
        let extra = ExtraEnv::default();
        let request = SpawnRequest {
            entry,
            level: Phase::SINGLE,
            levels: ChildLevels {
                this: Runlevel::SINGLE,
                prev: None,
            },
            controlling_tty: false,
            extra_env: &extra,
        };
        spawn::exec_in_place(&request, &self.spawn_context());
        let _ = nix::sys::reboot::set_cad_enabled(false);
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
            Record::Runlevel { new, old } => self
                .recorder
                .runlevel(new.byte(), old.map_or(b'N', Phase::byte)),
            Record::Dead { id, pid } => self.recorder.dead_process(&id, pid),
            Record::Redo => self.recorder.redo(),
        }
    }

    fn set_title(&mut self, title: &str) {
        let _ = crate::sys::proctitle::set_process_title(title);
    }

    fn write_runlevel_file(&mut self, level: Phase) {
        let _ = utmp::write_runlevel_file(Path::new(utmp::RUNLEVEL_PATH), level.byte());
    }

    fn console_stty(&mut self) {
        let _ = self.console.stty();
    }

    fn ask_runlevel(&mut self) -> Runlevel {
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
