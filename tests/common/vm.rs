//! VM tests: Debian's cloud kernel under QEMU (TCG, so no /dev/kvm is needed), with an
//! initramfs built like a [`TestRoot`](super::ns::TestRoot) and our init as `rdinit`.
//! The serial console is QEMU's stdio, read by a thread into a [`Console`]; the QEMU monitor
//! is on a unix socket. [`Vm::boot_root_dir`] boots a whole root file system (a Debian
//! install) from a disk instead.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::ops::Deref;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use tempfile::TempDir;

use super::{Console, Tree, host_tool, poll_until, tied_to_test, work_dir};

/// The Debian metapackage whose dependency is the kernel we boot.
const KERNEL_METAPACKAGE: &str = "linux-image-cloud-amd64";

/// Kernel parameters every boot gets: the serial console; a panic (e.g. init dying)
/// reboots at once, which `-no-reboot` turns into QEMU exiting; and no check of the timer
/// interrupt at boot, which under TCG on a loaded host can fail and panic the kernel
/// ("IO-APIC + timer doesn't work!").
const BASE_CMDLINE: &str = "console=ttyS0 panic=-1 no_timer_check";

/// Kernel parameters for a root on the disk of [`Vm::boot_root_dir`]: NVMe and ext4 are
/// built into Debian's cloud kernel, so no initramfs is needed; the root is mounted
/// read-only as Debian's boot loader does (its checkroot.sh remounts it read-write), and the
/// kernel mounts devtmpfs on /dev, which Debian's initramfs would otherwise have done.
const DISK_CMDLINE: &str = "root=/dev/nvme0n1 ro rootwait devtmpfs.mount=1";

/// Debian's cloud kernel image (the package `linux-image-cloud-amd64` depends on), fetched
/// once with `apt-get download` + `dpkg -x` into `target/vm/kernel/` and cached there. A
/// lock file keeps parallel test processes from fetching it twice.
pub fn kernel() -> PathBuf {
    static KERNEL: OnceLock<PathBuf> = OnceLock::new();
    KERNEL.get_or_init(fetch_kernel).clone()
}

fn fetch_kernel() -> PathBuf {
    let dir = work_dir("vm");
    let lock = File::create(dir.join("kernel.lock")).expect("create kernel.lock");
    let _lock = Flock::lock(lock, FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| panic!("lock kernel.lock: {e}"));
    let unpacked = dir.join("kernel");
    if let Some(image) = find_vmlinuz(&unpacked) {
        return image;
    }
    let download = dir.join("download");
    let _ = fs::remove_dir_all(&download);
    fs::create_dir_all(&download).expect("mkdir target/vm/download");
    // Stale or missing apt lists show as no dependency or a failed download: refresh once.
    let deb = download_kernel_deb(&download).unwrap_or_else(|first| {
        run_ok(Command::new(host_tool("apt-get")).arg("update"));
        download_kernel_deb(&download).unwrap_or_else(|second| {
            panic!("cannot fetch the kernel: {first}; after apt-get update: {second}")
        })
    });
    let partial = dir.join("kernel.partial");
    let _ = fs::remove_dir_all(&partial);
    run_ok(
        Command::new(host_tool("dpkg"))
            .arg("-x")
            .arg(&deb)
            .arg(&partial),
    );
    let _ = fs::remove_dir_all(&unpacked);
    fs::rename(&partial, &unpacked).expect("move the unpacked kernel into place");
    let _ = fs::remove_dir_all(&download);
    find_vmlinuz(&unpacked).expect("the kernel package holds /boot/vmlinuz-*")
}

/// Resolves the kernel package from the metapackage and downloads it into `dir`.
fn download_kernel_deb(dir: &Path) -> Result<PathBuf, String> {
    let out = Command::new(host_tool("apt-cache"))
        .args(["depends", KERNEL_METAPACKAGE])
        .output()
        .map_err(|e| format!("apt-cache: {e}"))?;
    let depends = String::from_utf8_lossy(&out.stdout);
    let package = depends
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|p| p.starts_with("linux-image-"))
        .ok_or_else(|| format!("apt-cache depends {KERNEL_METAPACKAGE} names no kernel"))?;
    let out = Command::new(host_tool("apt-get"))
        .args(["download", package])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("apt-get: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "apt-get download {package}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("apt-get download {package} left no .deb"))
}

fn find_vmlinuz(unpacked: &Path) -> Option<PathBuf> {
    fs::read_dir(unpacked.join("boot"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The root file system of a VM: a [`Tree`] (busybox-static, our install, device nodes...)
/// plus the repository's `etc/inittab.example` as `/etc/inittab` and its `rc.d/` example
/// init scripts in `/etc/init.d/` ([`Tree::install_examples`]),
/// packed as a newc cpio archive at boot.
#[derive(Clone)]
pub struct Initramfs {
    tree: Tree,
}

impl Deref for Initramfs {
    type Target = Tree;
    fn deref(&self) -> &Tree {
        &self.tree
    }
}

impl Default for Initramfs {
    fn default() -> Self {
        Initramfs::new()
    }
}

impl Initramfs {
    pub fn new() -> Initramfs {
        let tree = Tree::new();
        tree.install_examples();
        Initramfs { tree }
    }

    /// Packs the tree into `out` with `cpio -o -H newc`, everything owned by root.
    pub fn pack(&self, out: &Path) {
        let mut list = Vec::new();
        for entry in walkdir::WalkDir::new(self.path()).min_depth(1) {
            let entry = entry.expect("walk the initramfs tree");
            let rel = entry
                .path()
                .strip_prefix(self.path())
                .expect("walkdir stays below its root");
            list.extend_from_slice(rel.as_os_str().as_encoded_bytes());
            list.push(0);
        }
        let archive = File::create(out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
        let mut cpio = Command::new(host_tool("cpio"))
            .args([
                "--null",
                "--create",
                "--format=newc",
                "--owner=0:0",
                "--quiet",
            ])
            .current_dir(self.path())
            .stdin(Stdio::piped())
            .stdout(archive)
            .spawn()
            .expect("spawn cpio");
        cpio.stdin
            .take()
            .expect("cpio stdin")
            .write_all(&list)
            .expect("write the file list to cpio");
        let status = cpio.wait().expect("wait for cpio");
        assert!(status.success(), "cpio failed: {status}");
    }
}

/// The QEMU command line shared by test VMs and the interactive demo; the caller adds the
/// serial console and monitor.
fn qemu(kernel: &Path, cmdline: &str) -> Command {
    let mut cmd = tied_to_test(&host_tool("qemu-system-x86_64"));
    cmd.args([
        "-accel",
        "tcg",
        "-m",
        "256",
        "-nographic",
        "-nodefaults",
        "-no-reboot",
    ])
    .arg("-kernel")
    .arg(kernel)
    .arg("-append")
    .arg(cmdline);
    cmd
}

/// `init=` as well as `rdinit=`: if the program cannot run, the kernel then panics (and
/// QEMU exits) instead of falling back to /bin/sh.
fn cmdline(rdinit: &str, extra: &str) -> String {
    format!("{BASE_CMDLINE} rdinit={rdinit} init={rdinit} {extra}")
        .trim_end()
        .to_string()
}

/// A QEMU VM booted for a test. Dropping it kills QEMU.
pub struct Vm {
    qemu: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    console: Console,
    log: Console,
    readers: Vec<JoinHandle<()>>,
    monitor_socket: PathBuf,
    // Holds the packed initramfs or disk image, and the monitor socket.
    _files: TempDir,
}

impl Vm {
    /// Boots `initramfs` with our `/sbin/init` as `rdinit`; `cmdline_extra` is appended to
    /// the kernel command line (`console=ttyS0 panic=-1 no_timer_check rdinit=/sbin/init
    /// init=/sbin/init`).
    pub fn boot(initramfs: &Initramfs, cmdline_extra: &str) -> Vm {
        Vm::boot_rdinit(initramfs, "/sbin/init", cmdline_extra)
    }

    /// Boots with another program of the initramfs as PID 1 (`rdinit=`).
    pub fn boot_rdinit(initramfs: &Initramfs, rdinit: &str, cmdline_extra: &str) -> Vm {
        let kernel = kernel();
        let files = tempfile::Builder::new()
            .prefix("vinit-vm-")
            .tempdir()
            .expect("tempdir for the VM");
        let initrd = files.path().join("initrd.cpio");
        initramfs.pack(&initrd);
        let mut cmd = qemu(&kernel, &cmdline(rdinit, cmdline_extra));
        cmd.arg("-initrd").arg(&initrd);
        Vm::start(cmd, files)
    }

    /// Boots the root file system in the directory `root` (e.g. a debootstrapped Debian)
    /// with the kernel's usual `init=/sbin/init`: `root` is packed into a fresh ext4 image
    /// (`mkfs.ext4 -d`) in a temporary directory, attached as an NVMe disk. `cmdline_extra` is
    /// appended to `console=ttyS0 panic=-1 root=/dev/nvme0n1 ro rootwait devtmpfs.mount=1`.
    pub fn boot_root_dir(root: &Path, cmdline_extra: &str) -> Vm {
        let kernel = kernel();
        let files = tempfile::Builder::new()
            .prefix("vinit-vm-")
            .tempdir()
            .expect("tempdir for the VM");
        let image = files.path().join("root.ext4");
        ext4_image(root, &image);
        let cmdline = format!("{BASE_CMDLINE} {DISK_CMDLINE} {cmdline_extra}");
        let mut cmd = qemu(&kernel, cmdline.trim_end());
        cmd.arg("-drive")
            .arg(format!(
                "file={},if=none,id=root,format=raw",
                image.display()
            ))
            .args(["-device", "nvme,drive=root,serial=vinit-root"])
            // RDRAND seeds the guest kernel's random pool at once; without it, Debian's rcS
            // waited about 10 s under TCG for "random: crng init done".
            .args(["-cpu", "max"]);
        Vm::start(cmd, files)
    }

    /// Starts QEMU (`cmd`) with the serial console on its stdio and the monitor on a socket in
    /// `files`, which lives as long as the VM.
    fn start(mut cmd: Command, files: TempDir) -> Vm {
        let monitor_socket = files.path().join("monitor.sock");
        let mut child = cmd
            .arg("-serial")
            .arg("stdio")
            .arg("-monitor")
            .arg(format!(
                "unix:{},server=on,wait=off",
                monitor_socket.display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn qemu-system-x86_64 (`make test` installs qemu-system-x86)");
        let console = Console::new("VM serial console");
        let log = Console::new("QEMU's stderr");
        let readers = vec![
            console.pump(child.stdout.take().expect("qemu stdout")),
            log.pump(child.stderr.take().expect("qemu stderr")),
        ];
        let stdin = child.stdin.take().expect("qemu stdin");
        Vm {
            qemu: Mutex::new(child),
            stdin: Mutex::new(stdin),
            console,
            log,
            readers,
            monitor_socket,
            _files: files,
        }
    }

    /// Waits until the serial console shows `needle` after the previous successful wait;
    /// returns the output up to the end of the match, or Err with the whole transcript
    /// (and QEMU's stderr).
    pub fn expect(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.console.wait_for(needle, timeout).map_err(|e| {
            let log = self.log.text();
            if log.is_empty() {
                e
            } else {
                format!("{e}\nQEMU's stderr:\n{log}")
            }
        })
    }

    /// Types a line on the serial console.
    pub fn send_line(&self, line: &str) {
        let mut stdin = self.stdin.lock().expect("qemu stdin lock");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .expect("write to the VM's serial console");
    }

    /// Runs a QEMU monitor command (e.g. `sendkey ctrl-alt-delete`, `system_powerdown`)
    /// and returns its output.
    pub fn monitor(&self, command: &str) -> String {
        let stream = poll_until(Duration::from_secs(10), || {
            UnixStream::connect(&self.monitor_socket).ok()
        })
        .unwrap_or_else(|| panic!("QEMU monitor socket {}", self.monitor_socket.display()));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("monitor read timeout");
        let mut reader = BufReader::new(stream.try_clone().expect("clone monitor socket"));
        read_to_prompt(&mut reader);
        (&stream)
            .write_all(format!("{command}\n").as_bytes())
            .expect("write to the QEMU monitor");
        read_to_prompt(&mut reader)
    }

    /// Waits for QEMU to exit (the guest powered off, rebooted under `-no-reboot`, or
    /// panicked under `panic=-1`).
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        poll_until(timeout, || {
            let mut qemu = self.qemu.lock().expect("qemu lock");
            qemu.try_wait().ok().flatten()
        })
    }

    /// Everything the serial console printed so far.
    pub fn transcript(&self) -> String {
        self.console.text()
    }
}

/// Packs the directory `root` into a new ext4 file system image at `image`, keeping owners,
/// modes, links and device nodes (`mkfs.ext4 -d`, no mount needed). The image is sparse and
/// twice the size of the files plus 256 MiB, room for what the guest writes.
fn ext4_image(root: &Path, image: &Path) {
    let mut bytes: u64 = 0;
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap_or_else(|e| panic!("walk {}: {e}", root.display()));
        if let Ok(meta) = entry.metadata() {
            bytes += meta.len();
        }
    }
    let mebibytes = bytes / (1 << 20) * 2 + 256;
    run_ok(
        Command::new(host_tool("mkfs.ext4"))
            .args(["-q", "-F", "-L", "root", "-d"])
            .arg(root)
            .arg(image)
            .arg(format!("{mebibytes}M")),
    );
}

/// Reads monitor output up to its next `(qemu) ` prompt.
fn read_to_prompt(reader: &mut impl BufRead) -> String {
    const PROMPT: &[u8] = b"(qemu) ";
    let mut seen = Vec::new();
    while !seen.ends_with(PROMPT) {
        let mut byte = [0u8; 1];
        match reader.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => break,
        }
    }
    let text = seen.strip_suffix(PROMPT).unwrap_or(&seen);
    String::from_utf8_lossy(text).into_owned()
}

impl Drop for Vm {
    fn drop(&mut self) {
        let qemu = self.qemu.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = qemu.kill();
        let _ = qemu.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

/// Boots `initramfs` under QEMU with the serial console (and, after Ctrl-A C, the monitor)
/// on this terminal, until the guest powers off or the user types Ctrl-A X.
pub fn run_interactive(initramfs: &Initramfs, cmdline_extra: &str) -> ExitStatus {
    let files = tempfile::Builder::new()
        .prefix("vinit-demo-")
        .tempdir()
        .expect("tempdir for the demo");
    let initrd = files.path().join("initrd.cpio");
    initramfs.pack(&initrd);
    qemu(&kernel(), &cmdline("/sbin/init", cmdline_extra))
        .arg("-initrd")
        .arg(&initrd)
        // Ctrl-C goes to the guest; Ctrl-A X quits.
        .args(["-chardev", "stdio,id=console,mux=on,signal=off"])
        .args(["-serial", "chardev:console", "-mon", "chardev=console"])
        .status()
        .expect("run qemu-system-x86_64")
}

/// `text` without the kernel's console messages (`[    1.906756] tsc: ...` up to the end
/// of the line), which can come in the middle of a command's output.
pub fn without_kernel_messages(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let (before, from) = rest.split_at(start);
        kept.push_str(before);
        let stamp = from[1..]
            .split_once("] ")
            .map(|(stamp, _)| stamp.trim_start());
        let is_kernel = stamp.is_some_and(|stamp| {
            stamp.split_once('.').is_some_and(|(secs, micros)| {
                !secs.is_empty()
                    && secs.bytes().all(|b| b.is_ascii_digit())
                    && micros.len() == 6
                    && micros.bytes().all(|b| b.is_ascii_digit())
            })
        });
        if is_kernel {
            rest = from.split_once('\n').map_or("", |(_, after)| after);
        } else {
            kept.push('[');
            rest = &from[1..];
        }
    }
    kept.push_str(rest);
    kept
}
