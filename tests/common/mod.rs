//! Test harness shared by the integration tests: staging our install, throw-away roots, the console pump, host tools.
//!
//! - [`stage`]: our binary installed with the Makefile's recipe, once per test process.
//! - [`Tree`]: a root file system in a directory (busybox-static, our install, /etc, /dev...),
//!   the base of both [`ns::TestRoot`] and [`vm::Initramfs`].
//! - [`Console`]: a growing console transcript fed by a reader thread, with expect-style waits.
//! - [`ns`]: our init as PID 1 of a PID + mount namespace, chrooted, console on a pty.
//! - [`vm`]: our init as PID 1 of a QEMU VM running Debian's cloud kernel.
//! - [`procfs`]: status fields, CPU time and the processes of a namespace, from the host's /proc.
//! - [`demo`]: the `make demo` VM and its scripted tour.
//! - [`debian`]: the Debian root of the VM tests, copies with our install, a root shell.
//! - [`debian_pkg`]: Debian packages (sysvinit, sysv-rc, insserv…) fetched and unpacked, never
//!   installed, as reference peers.
//!
//! Everything here needs root (namespaces, chroot, mknod), as the tests run under `make test`.

// Each test crate includes this module and uses only part of it.
#![allow(dead_code)]

pub mod debian;
pub mod debian_pkg;
pub mod demo;
pub mod ns;
pub mod procfs;
pub mod vm;

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use tempfile::TempDir;

/// The vinit binary under test: `$VINIT_TEST_BINARY` if set (another build of it, such as
/// `make small`'s, for the tests that boot it), else the one cargo built for this test crate.
pub fn vinit_bin() -> PathBuf {
    match std::env::var_os("VINIT_TEST_BINARY") {
        Some(bin) => PathBuf::from(bin),
        None => built_bin(),
    }
}

/// The binary cargo built for this test crate, or for an example (which cargo gives no
/// `CARGO_BIN_EXE_*`), `vinit` in the example's profile directory.
fn built_bin() -> PathBuf {
    if let Some(bin) = option_env!("CARGO_BIN_EXE_vinit") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/examples/<name> -> target/<profile>/vinit
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the example lives in target/<profile>/examples");
    profile_dir.join("vinit")
}

/// Cargo's target directory (where the harness keeps its stage, roots and VM files).
pub fn target_dir() -> PathBuf {
    let bin = built_bin();
    bin.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// A directory under the target dir, created if missing.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = target_dir().join(name);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    dir
}

/// A golden initctl request captured from Debian's tools (`tests/vectors/initctl/NAME`).
pub fn initctl_vector(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/initctl")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Our install (`make install-files DESTDIR=<dir> BIN=<vinit_bin()>`), done once per test
/// process into `target/test-stage/<pid>`. The binary cargo already built is installed,
/// because a nested `cargo build` would wait forever on the target-dir lock.
pub fn stage() -> PathBuf {
    static STAGE: OnceLock<PathBuf> = OnceLock::new();
    STAGE
        .get_or_init(|| {
            let base = work_dir("test-stage");
            remove_stale_stages(&base);
            let dir = base.join(std::process::id().to_string());
            let _ = fs::remove_dir_all(&dir);
            let out = Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(env!("CARGO_MANIFEST_DIR"))
                .arg("install-files")
                .arg(format!("DESTDIR={}", dir.display()))
                .arg(format!("BIN={}", vinit_bin().display()))
                .output()
                .expect("run make install-files");
            assert!(
                out.status.success(),
                "make install-files failed: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            dir
        })
        .clone()
}

/// Stages are named by the PID of the test process that made them; remove those whose
/// process is gone, so that repeated runs do not pile them up.
fn remove_stale_stages(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Busybox from Debian's busybox-static (statically linked, so it runs in any root).
pub const BUSYBOX: &str = "/bin/busybox";

/// The host's dash (Debian's /bin/sh), which the roots get as /bin/sh.
pub const DASH: &str = "/bin/dash";

/// `busybox --list-full`: the applets and where Debian would link them (`usr/bin/awk`).
fn busybox_applets() -> &'static [String] {
    static APPLETS: OnceLock<Vec<String>> = OnceLock::new();
    APPLETS.get_or_init(|| {
        let out = Command::new(BUSYBOX)
            .arg("--list-full")
            .output()
            .unwrap_or_else(|e| {
                panic!("{BUSYBOX}: {e} (install Debian's busybox-static; `make test` does)")
            });
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    })
}

/// The shared libraries (and the dynamic loader) a host binary needs, by `ldd`; empty for
/// a static binary. Roots get copies at the same paths, so the binary runs inside them.
fn shared_libraries(binary: &Path) -> Vec<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Vec<PathBuf>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("library cache lock");
    cache
        .entry(binary.to_path_buf())
        .or_insert_with(|| {
            let out = Command::new(host_tool("ldd"))
                .arg(binary)
                .output()
                .expect("run ldd");
            // Lines are `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`, or
            // `/lib64/ld-linux-x86-64.so.2 (0x...)` for the loader; the vDSO has no path.
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| {
                    let path = line.rsplit("=> ").next()?.split(" (").next()?.trim();
                    path.starts_with('/').then(|| PathBuf::from(path))
                })
                .collect()
        })
        .clone()
}

/// Finds a host program by name in the usual directories (not $PATH, which a test runner
/// may have trimmed), with a message saying what to install when it is missing.
pub fn host_tool(name: &str) -> PathBuf {
    for dir in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        let path = Path::new(dir).join(name);
        if path.is_file() {
            return path;
        }
    }
    panic!("{name} not found on this machine (`make test` installs what the tests need)");
}

/// Runs `cmd` with PR_SET_PDEATHSIG = SIGKILL (through util-linux `setpriv`), so that a test
/// process that is killed (e.g. by nextest's timeout) takes its namespaces and VMs with it.
pub fn tied_to_test(program: &Path) -> Command {
    let mut cmd = Command::new(host_tool("setpriv"));
    cmd.arg("--pdeathsig").arg("KILL").arg("--").arg(program);
    cmd
}

/// A root file system in a throw-away directory under `target/test-roots/`:
/// busybox-static with its applet links (never over one of our names), our staged install
/// with the shared libraries it needs, the host's dash as /bin/sh (as on Debian),
/// /etc/passwd and /etc/group for root, /run with an empty utmp, /var/run -> /run,
/// /var/log with an empty wtmp, /tmp, /proc, /sys, /dev with the usual nodes.
/// Cloning shares the directory, which is removed when the last clone is dropped.
#[derive(Clone)]
pub struct Tree {
    dir: Arc<TempDir>,
    root: PathBuf,
}

impl Tree {
    pub fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("root-")
            .tempdir_in(work_dir("test-roots"))
            .expect("create a test root");
        let root = dir.path().canonicalize().expect("canonicalize test root");
        let tree = Tree {
            dir: Arc::new(dir),
            root,
        };
        tree.populate();
        tree
    }

    fn populate(&self) {
        for dir in [
            "bin", "sbin", "usr/bin", "usr/sbin", "lib", "etc", "run", "var/log", "var/lib",
            "proc", "sys", "dev/pts", "root", "home",
        ] {
            self.mkdir(dir);
        }
        self.mkdir("tmp");
        set_mode(&self.join("tmp"), 0o1777);
        set_mode(&self.join("root"), 0o700);
        self.symlink("../run", "var/run");

        copy_tree(&stage(), &self.root);
        self.install_libraries(&vinit_bin());
        // Debian's /bin/sh is dash. BusyBox's ash (Debian builds it with
        // FEATURE_SH_STANDALONE) runs its own applets before searching PATH, so `halt`,
        // `reboot`, `poweroff` and `init` in a script would be BusyBox's, not ours.
        if Path::new(DASH).is_file() {
            self.install_host_program(DASH);
            self.symlink("dash", "bin/sh");
        }
        fs::copy(BUSYBOX, self.join("bin/busybox")).expect("copy busybox");
        for applet in busybox_applets() {
            // Our names stay ours, wherever busybox would put its own; `/linuxrc` (another
            // init) is left out too.
            let Some((_, name)) = applet.rsplit_once('/') else {
                continue;
            };
            let link = self.join(applet);
            if vinit::cmd::command(name).is_some() || link.symlink_metadata().is_ok() {
                continue;
            }
            if let Some(parent) = link.parent() {
                fs::create_dir_all(parent).expect("mkdir for applet");
            }
            symlink("/bin/busybox", &link).expect("applet link");
        }

        self.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        self.write("etc/group", "root:x:0:\n");
        self.write("etc/hostname", "vinit-test\n");
        self.write("run/utmp", "");
        set_mode(&self.join("run/utmp"), 0o664);
        self.write("var/log/wtmp", "");
        set_mode(&self.join("var/log/wtmp"), 0o664);

        // Device nodes as Linux numbers them (Documentation/admin-guide/devices.txt).
        for (name, major, minor, mode) in [
            ("null", 1, 3, 0o666),
            ("zero", 1, 5, 0o666),
            ("full", 1, 7, 0o666),
            ("random", 1, 8, 0o666),
            ("urandom", 1, 9, 0o666),
            ("tty", 5, 0, 0o666),
            ("console", 5, 1, 0o600),
            ("ttyS0", 4, 64, 0o660),
        ] {
            let path = self.join(&format!("dev/{name}"));
            mknod(
                &path,
                SFlag::S_IFCHR,
                Mode::from_bits_truncate(mode),
                makedev(major, minor),
            )
            .unwrap_or_else(|e| panic!("mknod {}: {e} (the tests need root)", path.display()));
            set_mode(&path, mode);
        }
        self.symlink("pts/ptmx", "dev/ptmx");
        self.symlink("/proc/self/fd", "dev/fd");
    }

    /// Copies a host program to the same path in the tree (replacing what is there, e.g. a
    /// busybox link), with the shared libraries it needs.
    pub fn install_host_program(&self, host: &str) {
        let dest = self.join(host);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
        }
        let _ = fs::remove_file(&dest);
        fs::copy(host, &dest).unwrap_or_else(|e| panic!("copy {host}: {e}"));
        self.install_libraries(Path::new(host));
    }

    /// Copies the shared libraries a host binary needs into the tree, at the same paths.
    pub fn install_libraries(&self, binary: &Path) {
        for library in shared_libraries(binary) {
            let dest = self.join(&library.to_string_lossy());
            if dest.exists() {
                continue;
            }
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).expect("mkdir for a shared library");
            }
            fs::copy(&library, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", library.display()));
        }
    }

    /// The root directory, as the host sees it.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `rel` (with or without a leading `/`) inside the root.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    pub fn mkdir(&self, rel: &str) {
        let path = self.join(rel);
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
    }

    /// Writes a file (mode 0644), creating its parent directories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
        }
        let _ = fs::remove_file(&path);
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        set_mode(&path, 0o644);
    }

    /// Rewrites a file that a running init watches as an editor or a package manager
    /// does: a new file renamed over the old, so that init never sees it missing (which
    /// [`TestRoot::write`]'s remove-then-write would show for a moment) or half-written.
    pub fn replace(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.join(rel);
        let new = path.with_extension("vinit-test-new~");
        fs::write(&new, contents).unwrap_or_else(|e| panic!("write {}: {e}", new.display()));
        set_mode(&new, 0o644);
        fs::rename(&new, &path).unwrap_or_else(|e| panic!("rename to {}: {e}", path.display()));
    }

    /// Writes an executable (mode 0755), e.g. a script with a `#!/bin/sh` line.
    pub fn write_exec(&self, rel: &str, contents: impl AsRef<[u8]>) {
        self.write(rel, contents);
        set_mode(&self.join(rel), 0o755);
    }

    /// Makes `rel` a symbolic link to `target`, replacing what was there.
    pub fn symlink(&self, target: &str, rel: &str) {
        let link = self.join(rel);
        if let Some(parent) = link.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
        }
        let _ = fs::remove_file(&link);
        symlink(target, &link).unwrap_or_else(|e| panic!("symlink {}: {e}", link.display()));
    }

    /// Reads a file as text (lossy UTF-8); panics if it cannot be read.
    pub fn read(&self, rel: &str) -> String {
        let path = self.join(rel);
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Reads a file's bytes (utmp, wtmp...); panics if it cannot be read.
    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        let path = self.join(rel);
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Installs the repository's `etc/inittab.example` as `/etc/inittab` and its `rc.d/`
    /// example init scripts in `/etc/init.d/` (not enabled: see [`Tree::enable_service`]).
    pub fn install_examples(&self) {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let inittab = repo.join("etc/inittab.example");
        if inittab.is_file() {
            self.write(
                "etc/inittab",
                fs::read(&inittab).expect("read inittab.example"),
            );
        }
        self.mkdir("etc/init.d");
        let Ok(scripts) = fs::read_dir(repo.join("rc.d")) else {
            return;
        };
        for script in scripts.flatten() {
            let name = script.file_name().to_string_lossy().into_owned();
            if name != "README" && script.path().is_file() {
                let text = fs::read(script.path()).expect("read an rc.d example");
                self.write_exec(&format!("etc/init.d/{name}"), text);
            }
        }
    }

    /// Enables `/etc/init.d/<name>` with our `update-rc.d <name> defaults`, run chrooted
    /// into the tree (it only makes the /etc/rcN.d links, so this is safe on the host).
    pub fn enable_service(&self, name: &str) {
        let out = Command::new(host_tool("chroot"))
            .arg(self.path())
            .args(["/usr/sbin/update-rc.d", name, "defaults"])
            .env_clear()
            .env("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")
            .output()
            .expect("run chroot");
        assert!(
            out.status.success(),
            "update-rc.d {name} defaults: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// Copies a directory tree into `to`, keeping symbolic links and modes; regular files are
/// hard-linked when possible (the stage and the roots share a file system).
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap_or_else(|e| panic!("walk {}: {e}", from.display()));
        let rel = entry
            .path()
            .strip_prefix(from)
            .expect("walkdir stays below its root");
        let dest = to.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&dest).unwrap_or_else(|e| panic!("mkdir {}: {e}", dest.display()));
        } else if kind.is_symlink() {
            let target = fs::read_link(entry.path()).expect("readlink");
            let _ = fs::remove_file(&dest);
            symlink(&target, &dest).unwrap_or_else(|e| panic!("symlink {}: {e}", dest.display()));
        } else {
            let _ = fs::remove_file(&dest);
            if fs::hard_link(entry.path(), &dest).is_err() {
                fs::copy(entry.path(), &dest)
                    .unwrap_or_else(|e| panic!("copy to {}: {e}", dest.display()));
            }
        }
    }
}

/// A console transcript that reader threads append to, with expect-style waits.
/// Each successful wait moves a cursor, so the next wait searches only newer output.
pub struct Console {
    shared: Arc<Shared>,
    cursor: Mutex<usize>,
    what: &'static str,
}

struct Shared {
    state: Mutex<State>,
    grew: Condvar,
}

struct State {
    bytes: Vec<u8>,
    closed: bool,
}

impl Console {
    /// `what` names the console in failure messages ("namespace console", "VM serial").
    pub fn new(what: &'static str) -> Console {
        Console {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    bytes: Vec::new(),
                    closed: false,
                }),
                grew: Condvar::new(),
            }),
            cursor: Mutex::new(0),
            what,
        }
    }

    /// Starts a thread copying `source` into the transcript until end of file or error.
    pub fn pump(&self, mut source: impl Read + Send + 'static) -> JoinHandle<()> {
        let shared = Arc::clone(&self.shared);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match source.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let mut state = shared.state.lock().expect("console lock");
                        state.bytes.extend_from_slice(&buf[..n]);
                        shared.grew.notify_all();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let mut state = shared.state.lock().expect("console lock");
            state.closed = true;
            shared.grew.notify_all();
        })
    }

    /// Everything so far (lossy UTF-8).
    pub fn text(&self) -> String {
        let state = self.shared.state.lock().expect("console lock");
        String::from_utf8_lossy(&state.bytes).into_owned()
    }

    /// Waits until `needle` appears after the cursor; returns the output from the cursor up
    /// to the end of the match and moves the cursor there. On timeout, or when the source is
    /// closed first, returns Err with the whole transcript.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut cursor = self.cursor.lock().expect("cursor lock");
        let mut state = self.shared.state.lock().expect("console lock");
        loop {
            if let Some(at) = find(&state.bytes[*cursor..], needle.as_bytes()) {
                let end = *cursor + at + needle.len();
                let seen = String::from_utf8_lossy(&state.bytes[*cursor..end]).into_owned();
                *cursor = end;
                return Ok(seen);
            }
            let now = Instant::now();
            if state.closed || now >= deadline {
                let why = if state.closed {
                    "the console closed"
                } else {
                    "timed out"
                };
                return Err(format!(
                    "{why} after {:.1?} waiting for {needle:?} on the {}; transcript:\n{}\n--- end of transcript ---",
                    timeout - deadline.saturating_duration_since(now),
                    self.what,
                    String::from_utf8_lossy(&state.bytes)
                ));
            }
            state = self
                .shared
                .grew
                .wait_timeout(state, deadline - now)
                .expect("console lock")
                .0;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Polls `done` every 20 ms until it returns Some or `timeout` passes.
pub fn poll_until<T>(timeout: Duration, mut done: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = done() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Bytes a command printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's status and output, for failure messages.
pub fn describe(out: &std::process::Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// The first lines of a test's LSB init script for service `name`: `#!/bin/sh` and its header,
/// started in levels 2 to 5, stopped in 0, 1 and 6, no dependencies.
pub fn lsb_script_head(name: &str) -> String {
    format!(
        "#!/bin/sh\n\
         ### BEGIN INIT INFO\n\
         # Provides:          {name}\n\
         # Required-Start:\n\
         # Required-Stop:\n\
         # Default-Start:     2 3 4 5\n\
         # Default-Stop:      0 1 6\n\
         # Short-Description: {name}, a test daemon\n\
         ### END INIT INFO\n"
    )
}

/// An LSB script for `name` whose daemon, `sleep SECONDS`, detaches by itself (a subshell
/// and `setsid`, a double fork) and writes its own pid file, `/run/NAME.pid`.
pub fn detaching_daemon_script(name: &str, seconds: &str) -> String {
    format!(
        r#"{head}PIDFILE=/run/{name}.pid
case "$1" in
start) ( setsid sh -c 'echo $$ >/run/{name}.pid; exec sleep {seconds}' </dev/null >/dev/null 2>&1 & ) ;;
stop) [ -f $PIDFILE ] && kill "$(cat $PIDFILE)"; rm -f $PIDFILE ;;
restart) "$0" stop; "$0" start ;;
*) echo "Usage: $0 {{start|stop|restart}}" >&2; exit 3 ;;
esac
"#,
        head = lsb_script_head(name)
    )
}

/// Alpine's /etc/inittab (alpine-baselayout): OpenRC run by BusyBox's init, gettys on tty1-6,
/// the serial port's commented out.
pub const ALPINE_INITTAB: &str = "\
# /etc/inittab

::sysinit:/sbin/openrc sysinit
::sysinit:/sbin/openrc boot
::wait:/sbin/openrc default

# Set up a couple of getty's
tty1::respawn:/sbin/getty 38400 tty1
tty2::respawn:/sbin/getty 38400 tty2
tty3::respawn:/sbin/getty 38400 tty3
tty4::respawn:/sbin/getty 38400 tty4
tty5::respawn:/sbin/getty 38400 tty5
tty6::respawn:/sbin/getty 38400 tty6

# Put a getty on the serial port
#ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100

# Stuff to do for the 3-finger salute
::ctrlaltdel:/sbin/reboot

# Stuff to do before rebooting
::shutdown:/sbin/openrc shutdown
";
