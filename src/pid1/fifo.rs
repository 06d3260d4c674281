//! `/run/initctl` on init's side (SPEC §4.5): created if missing, reopened
//! if replaced, kept on fd 10, read 384 bytes at a time.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::poll::PollFlags;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::Mode;
use nix::unistd::{dup3, mkfifo};

use crate::initctl::{REQUEST_LEN, Request};
use crate::sys::fd::take_inherited_fd;

/// sysvinit keeps the FIFO on this descriptor (`PIPE_FD`).
pub const FIFO_FD: i32 = 10;

/// One thing read from the FIFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Request(Box<Request>),
    /// Wrong size or magic: `got bogus initrequest`.
    Bogus,
    /// `error reading initrequest`.
    ReadError,
}

#[derive(Debug)]
pub struct Fifo {
    path: PathBuf,
    file: Option<File>,
    /// (device, inode) of the open FIFO, to notice a replaced path.
    identity: (u64, u64),
    /// Closed by SIGUSR2 until SIGUSR1.
    disabled: bool,
    /// The descriptor to keep it on ([`FIFO_FD`] in PID 1).
    fixed_fd: Option<RawFd>,
    /// `/dev/null` holding `fixed_fd` while the FIFO is closed, so that no
    /// other descriptor of ours gets that number and is later replaced by
    /// the FIFO.
    placeholder: Option<OwnedFd>,
}

/// What [`Fifo::ensure_open`] has to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenProblem {
    /// `/run/initctl is not a fifo`.
    NotAFifo(String),
}

impl Fifo {
    /// The FIFO at `path`, kept on `fixed_fd` if given.
    pub fn new(path: &Path, fixed_fd: Option<RawFd>) -> Fifo {
        Fifo {
            path: path.to_path_buf(),
            file: None,
            identity: (0, 0),
            disabled: false,
            fixed_fd,
            placeholder: fixed_fd.and_then(hold_with_null),
        }
    }

    /// Closes the FIFO (its fixed descriptor goes back to a placeholder).
    fn drop_file(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        if let Some(fd) = self.fixed_fd
            && let Some(placeholder) = hold_with_null(fd)
        {
            // dup3 replaced the FIFO on `fd`: forget the old handle.
            let _ = file.into_raw_fd();
            self.placeholder = Some(placeholder);
        }
    }

    /// sysvinit's `check_init_fifo` preamble: create the FIFO if missing,
    /// drop our descriptor if the path now names another file, open it
    /// read-write and non-blocking (so it never sees end-of-file) and move
    /// it to fd 10. Nothing here is fatal: without a FIFO init runs on
    /// signals alone.
    pub fn ensure_open(&mut self) -> Option<OpenProblem> {
        if self.disabled {
            return None;
        }
        let on_disk = std::fs::metadata(&self.path);
        if let Err(error) = &on_disk
            && error.kind() == ErrorKind::NotFound
        {
            let _ = mkfifo(&self.path, Mode::from_bits_truncate(0o600));
        }
        if self.file.is_some() {
            let same = std::fs::metadata(&self.path)
                .is_ok_and(|meta| (meta.dev(), meta.ino()) == self.identity);
            if same {
                return None;
            }
            self.drop_file();
        }
        let file = File::options()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&self.path)
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.file_type().is_fifo() {
            return Some(OpenProblem::NotAFifo(format!(
                "{} is not a fifo",
                self.path.display()
            )));
        }
        self.identity = (meta.dev(), meta.ino());
        self.file = Some(match self.fixed_fd {
            Some(fd) => {
                let moved = move_to_fd(file, fd);
                if moved.as_raw_fd() == fd {
                    // dup3 replaced the placeholder on `fd`: forget it.
                    let _ = self.placeholder.take().map(IntoRawFd::into_raw_fd);
                }
                moved
            }
            None => file,
        });
        None
    }

    /// SIGUSR1: close, to be reopened at the next [`Fifo::ensure_open`].
    pub fn reopen(&mut self) {
        self.drop_file();
        self.disabled = false;
    }

    /// Closes the descriptor (before a re-exec); the next
    /// [`Fifo::ensure_open`] opens it again.
    pub fn release(&mut self) {
        self.drop_file();
    }

    /// SIGUSR2: close and stay closed until SIGUSR1.
    pub fn close(&mut self) {
        self.drop_file();
        self.disabled = true;
    }

    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.file.as_ref().map(|file| file.as_fd())
    }

    /// Reads every request waiting in the pipe, one 384-byte `read` each.
    pub fn read_all(&mut self) -> Vec<Received> {
        let mut received = Vec::new();
        let Some(file) = self.file.as_mut() else {
            return received;
        };
        loop {
            let mut buffer = [0u8; REQUEST_LEN];
            match file.read(&mut buffer) {
                // Cannot happen while we hold a write end ourselves.
                Ok(0) => break,
                Ok(n) => received.push(
                    buffer
                        .get(..n)
                        .and_then(|bytes| Request::decode(bytes).ok())
                        .map_or(Received::Bogus, |request| {
                            Received::Request(Box::new(request))
                        }),
                ),
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    received.push(Received::ReadError);
                    break;
                }
            }
        }
        received
    }
}

/// Wakes init when the FIFO may need recreating, so that an idle init
/// needs no periodic check (sysvinit looks every 5 s): an inotify watch on
/// the FIFO's directory reports its removal or renaming, and
/// `/proc/self/mountinfo` polls "priority" when the mount table changes
/// (e.g. a tmpfs mounted over `/run`, hiding the FIFO).
#[derive(Debug)]
pub struct Watch {
    dir: PathBuf,
    inotify: Option<Inotify>,
    mounts: Option<File>,
}

impl Watch {
    pub fn new(fifo: &Path) -> Watch {
        let mut watch = Watch {
            dir: fifo.parent().unwrap_or(Path::new("/")).to_path_buf(),
            inotify: None,
            mounts: File::open("/proc/self/mountinfo").ok(),
        };
        watch.rewatch();
        watch
    }

    /// Watches the directory as it is now (after a mount, a new one).
    fn rewatch(&mut self) {
        self.inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
            .ok()
            .filter(|inotify| {
                inotify
                    .add_watch(
                        &self.dir,
                        AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_FROM,
                    )
                    .is_ok()
            });
    }

    /// The descriptors to poll, with the events to poll them for.
    pub fn poll_fds(&self) -> Vec<(BorrowedFd<'_>, PollFlags)> {
        let inotify = self
            .inotify
            .as_ref()
            .map(|inotify| (inotify.as_fd(), PollFlags::POLLIN));
        let mounts = self
            .mounts
            .as_ref()
            .map(|mounts| (mounts.as_fd(), PollFlags::POLLPRI));
        inotify.into_iter().chain(mounts).collect()
    }

    /// After a wake-up: discards the inotify events, and re-watches if the
    /// mounts changed (`mounts_changed` from poll's POLLPRI).
    pub fn consume(&mut self, mounts_changed: bool) {
        if let Some(inotify) = &self.inotify {
            while inotify.read_events().is_ok_and(|events| !events.is_empty()) {}
        }
        if mounts_changed {
            self.rewatch();
        }
    }
}

/// Puts `/dev/null` on `fd` (close-on-exec) and returns it.
fn hold_with_null(fd: RawFd) -> Option<OwnedFd> {
    let null = File::options().read(true).open("/dev/null").ok()?;
    if null.as_raw_fd() == fd {
        return Some(OwnedFd::from(null));
    }
    dup3(null.as_raw_fd(), fd, OFlag::O_CLOEXEC).ok()?;
    take_inherited_fd(fd)
}

/// Moves `file` to `fd`, close-on-exec (children must not inherit it;
/// sysvinit closes it in each child).
fn move_to_fd(file: File, fd: RawFd) -> File {
    if file.as_raw_fd() == fd {
        return file;
    }
    if dup3(file.as_raw_fd(), fd, OFlag::O_CLOEXEC).is_err() {
        return file;
    }
    match take_inherited_fd(fd) {
        Some(fd) => File::from(fd),
        None => file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn creates_reads_queued_requests_and_reports_bogus_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        let mut fifo = Fifo::new(&path, None);
        assert_eq!(fifo.ensure_open(), None);
        let meta = std::fs::metadata(&path).expect("created");
        assert!(meta.file_type().is_fifo());
        assert_eq!(meta.mode() & 0o777, 0o600);

        let mut writer = File::options().write(true).open(&path).expect("writer");
        writer
            .write_all(&Request::runlevel(b'3', 3).encode())
            .expect("write");
        writer
            .write_all(&Request::runlevel(b'q', 0).encode())
            .expect("write");
        assert_eq!(
            fifo.read_all(),
            [
                Received::Request(Box::new(Request::runlevel(b'3', 3))),
                Received::Request(Box::new(Request::runlevel(b'q', 0))),
            ]
        );
        writer.write_all(b"short").expect("write");
        assert_eq!(fifo.read_all(), [Received::Bogus]);
        assert_eq!(fifo.read_all(), []);

        // Removed: recreated and reopened.
        std::fs::remove_file(&path).expect("rm");
        assert_eq!(fifo.ensure_open(), None);
        assert!(std::fs::metadata(&path).is_ok());
        let mut writer = File::options().write(true).open(&path).expect("writer");
        writer
            .write_all(&Request::runlevel(b'5', 3).encode())
            .expect("write");
        assert_eq!(
            fifo.read_all(),
            [Received::Request(Box::new(Request::runlevel(b'5', 3)))]
        );

        fifo.close();
        assert_eq!(fifo.ensure_open(), None);
        assert!(fifo.fd().is_none());
        fifo.reopen();
        assert_eq!(fifo.ensure_open(), None);
        assert!(fifo.fd().is_some());
    }

    #[test]
    fn the_fixed_descriptor_is_never_left_free() {
        // A number nothing else in the test process uses.
        const FD: RawFd = 900;
        let target = || std::fs::read_link(format!("/proc/self/fd/{FD}")).ok();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        let mut fifo = Fifo::new(&path, Some(FD));
        assert_eq!(target(), Some(PathBuf::from("/dev/null")));
        assert_eq!(fifo.ensure_open(), None);
        assert_eq!(fifo.fd().map(|fd| fd.as_raw_fd()), Some(FD));
        assert_eq!(target(), Some(path.clone()));
        fifo.close();
        assert_eq!(target(), Some(PathBuf::from("/dev/null")));
        fifo.reopen();
        assert_eq!(fifo.ensure_open(), None);
        assert_eq!(target(), Some(path.clone()));
        drop(fifo);
        assert_eq!(target(), None);
    }

    #[test]
    fn a_regular_file_is_not_a_fifo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        std::fs::write(&path, b"").expect("file");
        let mut fifo = Fifo::new(&path, None);
        assert!(
            matches!(fifo.ensure_open(), Some(OpenProblem::NotAFifo(m)) if m.ends_with("initctl is not a fifo"))
        );
        assert!(fifo.fd().is_none());
    }
}
