//! Namespace tests: a program as PID 1 of a fresh PID + mount namespace, chrooted into a
//! [`TestRoot`], its console a pty that the harness reads and can type into.
//!
//! Safety: `reboot(2)` from PID 1 of a non-initial PID namespace only ends that namespace
//! (the kernel kills its init with SIGHUP or SIGINT), and killing PID 1 of a namespace
//! kills every process in it; so nothing here can bring the host down or leak processes.

use std::fs::File;
use std::io::{self, Read, Write};
use std::ops::Deref;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::pty::openpty;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, ttyname};

use super::{Console, Tree, host_tool, poll_until, tied_to_test};

/// How long PID 1 may take to appear: a safety net only.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment the kernel hands to init (no PATH: init sets its own).
const KERNEL_ENV: &[&str] = &["HOME=/", "TERM=linux"];

/// Runs as PID 1 of the new namespace before the program: mounts /proc, makes the pty the
/// root's /dev/console (and its fds 0, 1, 2, as the kernel does for init), gives the root
/// its own devpts, then execs the rest of its arguments (`env -i ... setsid chroot ...`).
/// With `hide_cgroups`, it mounts /sys and an empty read-only tmpfs on /sys/fs/cgroup, as a
/// container without a delegated cgroup tree has it; with `no_proc`, it leaves /proc to the
/// root's boot scripts, as the kernel does.
const SETUP_SCRIPT: &str = r#"set -e
root=$1 console=$2 hide_cgroups=$3 no_proc=$4
shift 4
[ "$no_proc" = yes ] || mount -t proc proc "$root/proc"
mount --bind "$console" "$root/dev/console"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
if [ "$hide_cgroups" = yes ]; then
    mount -t sysfs sysfs "$root/sys"
    mount -t tmpfs -o ro,mode=755 none "$root/sys/fs/cgroup"
fi
exec "$@" <"$root/dev/console" >"$root/dev/console" 2>&1
"#;

/// A throw-away root for namespace tests (see [`Tree`] for what it holds).
#[derive(Clone, Default)]
pub struct TestRoot {
    tree: Tree,
}

impl Deref for TestRoot {
    type Target = Tree;
    fn deref(&self) -> &Tree {
        &self.tree
    }
}

impl TestRoot {
    /// `argv` run chrooted in this root, in a private mount namespace, after the
    /// shell commands `setup` (run on the host side, `$ROOT` is the root).
    pub fn command_in_root(&self, setup: &str, argv: &[&str]) -> Command {
        let mut cmd = tied_to_test(&host_tool("unshare"));
        cmd.args(["--mount", "--propagation", "private", "--"])
            .arg(host_tool("sh"))
            .arg("-c")
            .arg(format!(
                "set -e\n{setup}\nexec {} \"$ROOT\" \"$@\"",
                host_tool("chroot").display()
            ))
            .arg("sh")
            .args(argv)
            .env("ROOT", self.path())
            .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `script` (busybox sh) as PID 1 of a fresh PID + mount namespace in a
    /// copy of this root on a tmpfs of its own, with /proc and a tmpfs at /mnt/data
    /// mounted; nothing of the host is mounted inside, so remounting and
    /// unmounting touch only the namespace's own mounts.
    /// The returned directory is the tmpfs's mount point; keep it until the
    /// namespace is gone.
    pub fn namespace_init_command(&self, script: &str) -> (Command, tempfile::TempDir) {
        let mount_point = tempfile::tempdir().expect("mount point");
        let setup = r#"set -e
    mount -t tmpfs newroot "$NEW"
    cp -a "$ROOT/." "$NEW/"
    mount -t proc proc "$NEW/proc"
    mkdir -p "$NEW/mnt/data"
    mount -t tmpfs data "$NEW/mnt/data"
    exec chroot "$NEW" /bin/sh -c "$1"
    "#;
        let script = format!("[ $$ = 1 ] || {{ echo not PID 1; exit 97; }}\n{script}");
        let mut cmd = tied_to_test(&host_tool("unshare"));
        cmd.args([
            "--pid",
            "--mount",
            "--fork",
            "--propagation",
            "private",
            "--",
        ])
        .arg(host_tool("sh"))
        .arg("-c")
        .arg(setup)
        .arg("sh")
        .arg(script)
        .env("ROOT", self.path())
        .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
        .stdin(Stdio::null());
        cmd.env("NEW", mount_point.path());
        (cmd, mount_point)
    }

    /// [`TestRoot::namespace_init_command`], run to its end.
    pub fn as_namespace_init(&self, script: &str) -> Output {
        let (mut cmd, _mount_point) = self.namespace_init_command(script);
        cmd.output().expect("run the namespace")
    }

    pub fn new() -> TestRoot {
        TestRoot { tree: Tree::new() }
    }

    /// Boots our `/sbin/init <args>` as PID 1.
    pub fn boot(&self, args: &[&str]) -> Pid1 {
        let mut argv = vec!["/sbin/init"];
        argv.extend_from_slice(args);
        self.boot_program(&argv)
    }

    /// Boots any program of the root as PID 1, e.g. `["/bin/busybox", "init"]`.
    pub fn boot_program(&self, argv: &[&str]) -> Pid1 {
        self.boot_with_env(argv, &[])
    }

    /// Like [`TestRoot::boot_program`], with `NAME=value` strings added to the environment
    /// the kernel would pass (`HOME=/ TERM=linux`), e.g. `CONSOLE=/dev/console` or a boot
    /// parameter.
    pub fn boot_with_env(&self, argv: &[&str], env: &[&str]) -> Pid1 {
        Pid1::start(self.tree.clone(), argv, env, Setup::default())
    }

    /// Boots our `/sbin/init <args>` where no cgroup2 can be had: `/sys/fs/cgroup` is an
    /// empty read-only tmpfs, as in a container without a delegated tree.
    pub fn boot_without_cgroups(&self, args: &[&str]) -> Pid1 {
        let mut argv = vec!["/sbin/init"];
        argv.extend_from_slice(args);
        let setup = Setup {
            hide_cgroups: true,
            ..Setup::default()
        };
        Pid1::start(self.tree.clone(), &argv, &[], setup)
    }

    /// Boots our `/sbin/init <args>` without /proc, which the root's boot scripts mount (as
    /// Debian's mountkernfs.sh does).
    pub fn boot_without_proc(&self, args: &[&str]) -> Pid1 {
        let mut argv = vec!["/sbin/init"];
        argv.extend_from_slice(args);
        let setup = Setup {
            no_proc: true,
            ..Setup::default()
        };
        Pid1::start(self.tree.clone(), &argv, &[], setup)
    }
}

/// What the namespace's first process sets up before the program (see `SETUP_SCRIPT`).
#[derive(Debug, Clone, Copy, Default)]
struct Setup {
    hide_cgroups: bool,
    no_proc: bool,
}

/// PID 1 of a namespace, seen from the host. Dropping it kills the namespace.
pub struct Pid1 {
    launcher: Mutex<Child>,
    host_pid: Pid,
    console: Console,
    master: Arc<File>,
    stop_reader: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    // Kept open so the pty never hangs up between the programs that open the console.
    _slave: OwnedFd,
    // Keeps the root directory until the namespace is gone.
    root: Tree,
    // The cgroup the namespace's processes are in, removed after them.
    cgroup: Option<TestCgroup>,
}

impl Pid1 {
    fn start(root: Tree, argv: &[&str], env: &[&str], setup: Setup) -> Pid1 {
        assert!(!argv.is_empty(), "boot needs a program");
        let pty = openpty(None, None).expect("openpty");
        for fd in [&pty.master, &pty.slave] {
            fcntl(fd.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).expect("FD_CLOEXEC");
        }
        let slave_path = ttyname(pty.slave.as_fd()).expect("pty slave name");

        let mut cmd = tied_to_test(&host_tool("unshare"));
        let cgroup = TestCgroup::new();
        if let Some(cgroup) = &cgroup {
            // A cgroup namespace rooted in a cgroup of the test's own: the cgroup2 that our
            // init mounts shows that subtree, so parallel tests never share `vinit/NAME`.
            cgroup.enter_before_exec(&mut cmd);
            cmd.arg("--cgroup");
        }
        cmd.args(["--pid", "--mount", "--fork", "--propagation", "private"])
            .arg("--kill-child=SIGKILL")
            .arg("--")
            .arg(host_tool("sh"))
            .arg("-c")
            .arg(SETUP_SCRIPT)
            .arg("sh")
            .arg(root.path())
            .arg(&slave_path)
            .arg(if setup.hide_cgroups { "yes" } else { "no" })
            .arg(if setup.no_proc { "yes" } else { "no" })
            .arg(host_tool("env"))
            .arg("-i")
            .args(KERNEL_ENV)
            .args(env)
            .arg(host_tool("setsid"))
            .arg(host_tool("chroot"))
            .arg(root.path())
            .args(argv)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(Stdio::null())
            // Setup errors land in the console transcript.
            .stdout(pty.slave.try_clone().expect("dup pty slave"))
            .stderr(pty.slave.try_clone().expect("dup pty slave"));
        let launcher = cmd.spawn().expect("spawn unshare");

        let console = Console::new("namespace console");
        let master = Arc::new(File::from(pty.master));
        let stop_reader = Arc::new(AtomicBool::new(false));
        let reader = console.pump(PtyReader {
            master: Arc::clone(&master),
            stop: Arc::clone(&stop_reader),
        });

        let mut pid1 = Pid1 {
            launcher: Mutex::new(launcher),
            host_pid: Pid::from_raw(0),
            console,
            master,
            stop_reader,
            reader: Some(reader),
            _slave: pty.slave,
            root,
            cgroup,
        };
        pid1.host_pid = pid1.find_pid1(argv[0]);
        pid1
    }

    /// The launcher (`unshare`) forks PID 1; it is ready once it is chrooted into the root.
    fn find_pid1(&self, program: &str) -> Pid {
        let launcher_pid = self.launcher.lock().expect("launcher lock").id();
        let children = format!("/proc/{launcher_pid}/task/{launcher_pid}/children");
        let found = poll_until(START_TIMEOUT, || {
            if self.has_exited() {
                return Some(None);
            }
            let pid: i32 = std::fs::read_to_string(&children)
                .ok()?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            let root = std::fs::read_link(format!("/proc/{pid}/root")).ok()?;
            (root == self.root.path()).then_some(Some(Pid::from_raw(pid)))
        });
        match found {
            Some(Some(pid)) => pid,
            _ => {
                // Give the console reader a moment to collect the launcher's last words.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "{program} did not start as PID 1 of a namespace; console:\n{}",
                    self.console.text()
                )
            }
        }
    }

    fn has_exited(&self) -> bool {
        let mut launcher = self.launcher.lock().expect("launcher lock");
        !matches!(launcher.try_wait(), Ok(None))
    }

    /// All console output so far.
    pub fn console(&self) -> String {
        self.console.text()
    }

    /// Waits until the console shows `needle` after the previous successful wait; returns
    /// the output up to the end of the match, or Err with the whole transcript.
    pub fn wait_console(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.console.wait_for(needle, timeout)
    }

    /// Like [`Pid1::wait_console`], failing the test with the transcript when `needle`
    /// does not come.
    pub fn expect_console(&self, needle: &str, timeout: Duration) -> String {
        self.wait_console(needle, timeout)
            .unwrap_or_else(|transcript| panic!("console never showed {needle:?}:\n{transcript}"))
    }

    /// Types on the console (the pty master), e.g. `b"3\n"` at `Enter runlevel:`.
    pub fn type_console(&self, bytes: impl AsRef<[u8]>) {
        (&*self.master)
            .write_all(bytes.as_ref())
            .expect("write to the console pty");
    }

    /// A command run inside the namespace and root (nsenter into PID 1's mount and PID
    /// namespaces, its root and working directory), with `PATH` and `HOME` set as a login
    /// would; the caller may add to it before running it.
    pub fn command(&self, argv: &[&str]) -> Command {
        let mut cmd = Command::new(host_tool("nsenter"));
        cmd.arg(format!("--target={}", self.host_pid))
            .args(["--mount", "--pid", "--root", "--wd", "--"])
            .args(argv)
            .env_clear()
            .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
            .env("HOME", "/root");
        cmd
    }

    /// A command run inside the namespace and root as the unprivileged user `uid` (with
    /// group `uid`; no account needed).
    pub fn command_as(&self, uid: u32, argv: &[&str]) -> Command {
        let mut cmd = Command::new(host_tool("nsenter"));
        cmd.arg(format!("--target={}", self.host_pid))
            .args(["--mount", "--pid", "--root", "--wd"])
            .arg(format!("--setuid={uid}"))
            .arg(format!("--setgid={uid}"))
            .arg("--")
            .args(argv)
            .env_clear()
            .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin");
        cmd
    }

    /// Runs a command inside the namespace as the unprivileged user `uid`.
    pub fn run_as(&self, uid: u32, argv: &[&str]) -> Output {
        self.command_as(uid, argv)
            .output()
            .unwrap_or_else(|e| panic!("run {argv:?} as uid {uid} in the namespace: {e}"))
    }

    /// Runs a command inside the namespace and root (see [`Pid1::command`]).
    pub fn run(&self, argv: &[&str]) -> Output {
        self.command(argv)
            .output()
            .unwrap_or_else(|e| panic!("run {argv:?} in the namespace: {e}"))
    }

    /// Runs a command inside the namespace and root, failing the test (with its output and
    /// the console) unless it succeeds; returns its standard output.
    pub fn run_ok(&self, argv: &[&str]) -> String {
        let output = self.run(argv);
        assert!(
            output.status.success(),
            "{argv:?} failed: {}\nconsole:\n{}",
            super::describe(&output),
            self.console()
        );
        super::text(&output.stdout)
    }

    /// PID 1's PID as the host sees it.
    pub fn host_pid(&self) -> i32 {
        self.host_pid.as_raw()
    }

    /// Sends PID 1 a signal from the host (from outside, so SIGKILL and SIGSTOP work too).
    pub fn signal(&self, signal: Signal) {
        if !self.has_exited() {
            kill(self.host_pid, signal).unwrap_or_else(|e| panic!("kill {signal}: {e}"));
        }
    }

    /// Waits for PID 1 to end. A `reboot(2)` in the namespace shows as death by SIGHUP
    /// (restart) or SIGINT (halt, power off).
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        poll_until(timeout, || {
            let mut launcher = self.launcher.lock().expect("launcher lock");
            launcher.try_wait().ok().flatten()
        })
    }
}

impl Drop for Pid1 {
    fn drop(&mut self) {
        let launcher = self.launcher.get_mut().unwrap_or_else(|e| e.into_inner());
        // The launcher only exits after PID 1 is gone, so a PID still running is ours.
        if let Ok(None) = launcher.try_wait() {
            let _ = kill(self.host_pid, Signal::SIGKILL);
            let _ = launcher.wait();
        }
        self.stop_reader.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.cgroup.take();
    }
}

/// A cgroup of the host's cgroup2 hierarchy for one test's namespace
/// (`<cgroup2>/vinit-tests/<pid>.<n>`), removed with what init made in it once the
/// namespace is gone. `None` where the host has no cgroup2 (the test then runs untracked).
pub struct TestCgroup {
    dir: std::path::PathBuf,
}

impl TestCgroup {
    fn new() -> Option<TestCgroup> {
        use std::sync::atomic::AtomicUsize;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let mount = mountinfo.lines().find_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            (after.split_whitespace().next()? == "cgroup2").then(|| {
                before
                    .split_whitespace()
                    .nth(4)
                    .map(std::path::PathBuf::from)
            })?
        })?;
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = mount
            .join("vinit-tests")
            .join(format!("{}.{n}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        Some(TestCgroup { dir })
    }

    /// Moves `cmd`'s process into this cgroup just before it execs.
    fn enter_before_exec(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        let procs = File::options()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
            .expect("the test cgroup's cgroup.procs");
        // SAFETY: one write(2) from a static buffer to a descriptor the closure owns, in the
        // child between fork and exec; nothing is allocated.
        unsafe {
            cmd.pre_exec(move || {
                if libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1) == 1 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            });
        }
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        // Innermost first: rmdir only removes an empty cgroup.
        let mut dirs: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&self.dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_dir())
            .map(|entry| entry.into_path())
            .collect();
        dirs.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
        for dir in dirs {
            for _ in 0..50 {
                if std::fs::remove_dir(&dir).is_ok() {
                    break;
                }
                // Its last processes may still be on their way out.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Reads the pty master until told to stop (the harness keeps the slave open, so the pty
/// never signals end of file by itself).
struct PtyReader {
    master: Arc<File>,
    stop: Arc<AtomicBool>,
}

impl Read for PtyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(0);
            }
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(100u16)) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(e.into()),
            }
            let readable = fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLIN));
            if !readable {
                // A hang-up with nothing to read: wait for the next opener.
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            match (&*self.master).read(buf) {
                Err(e) if e.raw_os_error() == Some(libc::EIO) => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }
}

/// `path` (a FIFO: a root's `/run/initctl`, say) opened for writing; the open waits for a
/// reader, and init holds its FIFO open for reading.
pub fn open_to_write(path: &Path) -> File {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// Writes `bytes` into the root's `/run/initctl` from the host, as any program may.
pub fn write_initctl(root: &Tree, bytes: &[u8]) {
    let path = root.join("run/initctl");
    open_to_write(&path)
        .write_all(bytes)
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// True if `path` inside the root is a FIFO (e.g. `/run/initctl` once init made it).
pub fn is_fifo(root: &Tree, rel: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(root.join(rel)).is_ok_and(|m| m.file_type().is_fifo())
}
