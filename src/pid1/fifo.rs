//! `/run/initctl` on init's side (docs/compatibility.md §4.5): created if missing, replaced
//! if something else takes its place, kept on fd 10 (also across a
//! re-exec), read as a stream of 384-byte requests.

use std::fs::{File, Metadata};
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::poll::PollFlags;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::{Mode, fstat};
use nix::unistd::{Uid, dup3, mkfifo};

use crate::initctl::{Framer, Request};
use crate::report_limit::ReportLimit;
use crate::sys::fd::take_inherited_fd;
use crate::untrusted::{self, Access, Kind};

/// sysvinit keeps the FIFO on this descriptor (`PIPE_FD`).
pub(crate) const FIFO_FD: i32 = 10;

/// The only mode init accepts on its FIFO: writing to it commands init.
const FIFO_MODE: u32 = 0o600;

/// One thing read from the FIFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Received {
    Request(Box<Request>),
    /// Bytes that were not a request (`got bogus initrequest`).
    Junk(usize),
    /// `error reading initrequest`.
    ReadError,
}

#[derive(Debug)]
pub(crate) struct Fifo {
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
    framer: Framer,
    /// The last problem logged, so that one that persists (a `/run` that
    /// cannot be written) is logged once, not on every pass.
    reported: Option<String>,
}

impl Fifo {
    /// The FIFO at `path`, kept on `fixed_fd` if given. A FIFO already open
    /// on `fixed_fd` (left by the init that re-executed us, with whatever
    /// requests are still queued in it) is taken over; [`Fifo::ensure_open`]
    /// drops it if the path names something else.
    pub(crate) fn new(path: &Path, fixed_fd: Option<RawFd>) -> Fifo {
        let mut fifo = Fifo {
            path: path.to_path_buf(),
            file: None,
            identity: (0, 0),
            disabled: false,
            fixed_fd,
            placeholder: None,
            framer: Framer::new(),
            reported: None,
        };
        let inherited = fixed_fd
            .filter(|&fd| fstat(fd).is_ok_and(|st| is_fifo_mode(st.st_mode)))
            .and_then(take_inherited_fd);
        match inherited {
            Some(fd) => {
                let _ = fcntl(fd.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
                let file = File::from(fd);
                fifo.identity = file
                    .metadata()
                    .map_or((0, 0), |meta| (meta.dev(), meta.ino()));
                fifo.file = Some(file);
            }
            None => fifo.placeholder = fixed_fd.and_then(hold_with_null),
        }
        fifo
    }

    /// Closes the FIFO (its fixed descriptor goes back to a placeholder).
    fn drop_file(&mut self) {
        self.framer.drained();
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

    /// sysvinit's `check_init_fifo` preamble, stricter: the path must name
    /// a FIFO owned by init's user with mode 0600, and, once init has one
    /// open, that very FIFO. Anything else (a regular file or a symbolic
    /// link moved there, a FIFO with another owner or mode, another FIFO
    /// renamed over ours) is replaced by a new FIFO, atomically, and
    /// reported. Returns a message to log, each problem once. Nothing here
    /// is fatal: without a FIFO init runs on signals alone.
    pub(crate) fn ensure_open(&mut self) -> Option<String> {
        if self.disabled {
            return None;
        }
        let on_disk = std::fs::symlink_metadata(&self.path);
        let problem = match &on_disk {
            Err(error) if error.kind() == ErrorKind::NotFound => None,
            Err(error) => Some(format!("{}: {error}", self.path.display())),
            Ok(meta) => match refusal(meta) {
                Some(reason) => Some(reason),
                None if self.file.is_some() && identity(meta) != self.identity => {
                    Some("is not init's fifo".to_string())
                }
                None => {
                    if self.file.is_some() || self.adopt(meta) {
                        self.reported = None;
                        return None;
                    }
                    Some("cannot be opened".to_string())
                }
            },
        };
        self.drop_file();
        let created = self.create();
        let message = match (problem, created) {
            (None, Ok(())) => return None,
            // Each replacement is news: always logged.
            (Some(problem), Ok(())) => {
                self.reported = None;
                return Some(format!(
                    "{} {problem}: replaced by a new fifo",
                    self.path.display()
                ));
            }
            (Some(problem), Err(error)) => format!(
                "{} {problem}, and no fifo can be made: {error}",
                self.path.display()
            ),
            // Nothing there and nothing can be made (a read-only root
            // before /run is mounted): quiet, as sysvinit is; the watch
            // wakes init when that changes.
            (None, Err(_)) => return None,
        };
        if self.reported.as_ref() == Some(&message) {
            return None;
        }
        self.reported = Some(message.clone());
        Some(message)
    }

    /// Opens the acceptable FIFO the path names (at boot, after SIGUSR1).
    fn adopt(&mut self, seen: &Metadata) -> bool {
        let Ok(file) = open_fifo(&self.path) else {
            return false;
        };
        // The path must not have changed between the look and the open.
        if !file
            .metadata()
            .is_ok_and(|meta| identity(&meta) == identity(seen) && refusal(&meta).is_none())
        {
            return false;
        }
        self.keep(file);
        true
    }

    /// Makes a new FIFO under a temporary name and renames it over the
    /// path, so the path never names nothing or something else meanwhile.
    fn create(&mut self) -> std::io::Result<()> {
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = self.path.with_file_name(format!(".{name}.new"));
        let _ = std::fs::remove_file(&temporary);
        mkfifo(&temporary, Mode::from_bits_truncate(FIFO_MODE))?;
        let opened = open_fifo(&temporary).and_then(|file| {
            // Whatever the umask said.
            file.set_permissions(std::fs::Permissions::from_mode(FIFO_MODE))?;
            std::fs::rename(&temporary, &self.path)?;
            Ok(file)
        });
        match opened {
            Ok(file) => {
                self.keep(file);
                Ok(())
            }
            Err(error) => {
                let _ = std::fs::remove_file(&temporary);
                Err(error)
            }
        }
    }

    /// Takes `file` as the FIFO, on the fixed descriptor if there is one.
    fn keep(&mut self, file: File) {
        self.identity = file.metadata().map_or((0, 0), |meta| identity(&meta));
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
    }

    /// SIGUSR1: close, to be reopened at the next [`Fifo::ensure_open`].
    pub(crate) fn reopen(&mut self) {
        self.drop_file();
        self.disabled = false;
    }

    /// Before a re-exec: the descriptor stays open across `exec`, so the
    /// requests still queued in the FIFO (those behind a `telinit u`) are
    /// there for the new image. [`Fifo::keep_private`] undoes it if the
    /// exec fails.
    pub(crate) fn hand_over(&self) {
        if let Some(file) = &self.file {
            let _ = fcntl(file.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty()));
        }
    }

    /// Close-on-exec again: children must not inherit the FIFO.
    pub(crate) fn keep_private(&self) {
        if let Some(file) = &self.file {
            let _ = fcntl(file.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
        }
    }

    /// SIGUSR2: close and stay closed until SIGUSR1.
    pub(crate) fn close(&mut self) {
        self.drop_file();
        self.disabled = true;
    }

    pub(crate) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.file.as_ref().map(|file| file.as_fd())
    }

    /// Reads until one request is complete, or junk is dropped, or the pipe
    /// is empty (`None`). Nothing behind a request is read before that
    /// request is handled.
    pub(crate) fn read_one(&mut self) -> Option<Received> {
        let file = self.file.as_mut()?;
        loop {
            match file.read(self.framer.space()) {
                // Cannot happen while we hold a write end ourselves.
                Ok(0) => return None,
                Ok(n) => {
                    let framed = self.framer.filled(n);
                    if let Some(request) = framed.request {
                        return Some(Received::Request(Box::new(request)));
                    }
                    if framed.junk > 0 {
                        return Some(Received::Junk(framed.junk));
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => {
                    let junk = self.framer.drained();
                    return (junk > 0).then_some(Received::Junk(junk));
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.framer.drained();
                    return Some(Received::ReadError);
                }
            }
        }
    }
}

/// Why the thing at the FIFO's path is not acceptable as init's FIFO.
fn refusal(meta: &Metadata) -> Option<String> {
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Some("is a symbolic link".to_string());
    }
    if !kind.is_fifo() {
        return Some("is not a fifo".to_string());
    }
    if meta.uid() != Uid::effective().as_raw() {
        return Some(format!("is owned by uid {}", meta.uid()));
    }
    let mode = meta.permissions().mode() & 0o7777;
    (mode != FIFO_MODE).then(|| format!("has mode {mode:04o}"))
}

fn identity(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

fn is_fifo_mode(mode: libc::mode_t) -> bool {
    mode & libc::S_IFMT == libc::S_IFIFO
}

/// Opens a FIFO read-write and non-blocking (so it never sees end-of-file),
/// never through a symbolic link.
fn open_fifo(path: &Path) -> std::io::Result<File> {
    #[allow(
        clippy::disallowed_methods,
        reason = "init's own FIFO, non-blocking, never through a link"
    )]
    File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)
}

/// `got bogus initrequest`, for each piece of junk dropped (its size in
/// bytes): a few a second, then a count (see [`crate::report_limit`]).
pub(crate) fn bogus_report() -> ReportLimit {
    ReportLimit::new("got bogus initrequest", |suppressed| {
        format!(
            "got bogus initrequest: {} more dropped ({} bytes) without a message",
            suppressed.count, suppressed.amount
        )
    })
}

/// Wakes init when the FIFO may need recreating, so that an idle init
/// needs no periodic check (sysvinit looks every 5 s): an inotify watch on
/// the FIFO's directory reports its removal, something created or renamed
/// in its place, or a change of its owner or mode, and
/// `/proc/self/mountinfo` polls "priority" when the mount table changes
/// (e.g. a tmpfs mounted over `/run`, hiding the FIFO).
#[derive(Debug)]
pub(crate) struct Watch {
    dir: PathBuf,
    inotify: Option<Inotify>,
    mounts: Option<File>,
}

impl Watch {
    pub(crate) fn new(fifo: &Path) -> Watch {
        let mut watch = Watch {
            dir: fifo.parent().unwrap_or(Path::new("/")).to_path_buf(),
            inotify: None,
            mounts: open_mountinfo(),
        };
        watch.rewatch();
        watch
    }

    /// Whether `/proc/self/mountinfo` could be opened only now: at boot
    /// `/proc` is mounted by a boot script (Debian's mountkernfs.sh), with
    /// `/run` often in the same breath, so the mount table is taken to
    /// have changed. Tried once a pass until it can.
    pub(crate) fn mounts_appeared(&mut self) -> bool {
        if self.mounts.is_some() {
            return false;
        }
        self.mounts = open_mountinfo();
        self.mounts.is_some()
    }

    /// Watches the directory as it is now (after a mount, a new one).
    fn rewatch(&mut self) {
        self.inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
            .ok()
            .filter(|inotify| {
                inotify
                    .add_watch(
                        &self.dir,
                        AddWatchFlags::IN_DELETE
                            | AddWatchFlags::IN_MOVED_FROM
                            | AddWatchFlags::IN_CREATE
                            | AddWatchFlags::IN_MOVED_TO
                            | AddWatchFlags::IN_ATTRIB,
                    )
                    .is_ok()
            });
    }

    /// The descriptors to poll, with the events to poll them for.
    pub(crate) fn poll_fds(&self) -> Vec<(BorrowedFd<'_>, PollFlags)> {
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

    /// After a wake-up: discards the inotify events (`events`: poll found
    /// some; otherwise there is nothing to read), and re-watches if the
    /// mounts changed (`mounts_changed` from poll's POLLPRI).
    pub(crate) fn consume(&mut self, events: bool, mounts_changed: bool) {
        if events && let Some(inotify) = &self.inotify {
            while inotify.read_events().is_ok_and(|events| !events.is_empty()) {}
        }
        if mounts_changed {
            self.rewatch();
        }
    }
}

fn open_mountinfo() -> Option<File> {
    untrusted::open(Path::new("/proc/self/mountinfo"), Kind::Kernel)
        .ok()
        .map(|opened| opened.file)
}

/// Puts `/dev/null` on `fd` (close-on-exec) and returns it.
fn hold_with_null(fd: RawFd) -> Option<OwnedFd> {
    let null = untrusted::open_device(Path::new("/dev/null"), Access::Read).ok()?;
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
    use std::os::unix::fs::symlink;
    use std::time::Duration;

    fn read_all(fifo: &mut Fifo) -> Vec<Received> {
        std::iter::from_fn(|| fifo.read_one()).collect()
    }

    fn request(level: u8) -> Received {
        Received::Request(Box::new(Request::runlevel(level, 3)))
    }

    fn writer(path: &Path) -> File {
        File::options().write(true).open(path).expect("writer")
    }

    #[test]
    fn creates_reads_queued_requests_and_reports_junk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        let mut fifo = Fifo::new(&path, None);
        assert_eq!(fifo.ensure_open(), None);
        let meta = std::fs::symlink_metadata(&path).expect("created");
        assert!(meta.file_type().is_fifo());
        assert_eq!(meta.mode() & 0o7777, 0o600);
        assert!(
            std::fs::read_dir(dir.path()).expect("ls").count() == 1,
            "no temporary left behind"
        );

        let mut writer = writer(&path);
        // Two requests in one write, as a stream.
        let mut both = Request::runlevel(b'3', 3).encode().to_vec();
        both.extend(Request::runlevel(b'q', 3).encode());
        writer.write_all(&both).expect("write");
        assert_eq!(fifo.read_one(), Some(request(b'3')));
        assert_eq!(fifo.read_one(), Some(request(b'q')));
        assert_eq!(fifo.read_one(), None);
        writer.write_all(b"short").expect("write");
        assert_eq!(read_all(&mut fifo), [Received::Junk(5)]);
        // Junk right before a request costs only the junk.
        writer.write_all(b"xyz").expect("write");
        writer
            .write_all(&Request::runlevel(b'5', 3).encode())
            .expect("write");
        assert_eq!(read_all(&mut fifo), [Received::Junk(3), request(b'5')]);

        // Removed: recreated and reopened, without a message.
        std::fs::remove_file(&path).expect("rm");
        assert_eq!(fifo.ensure_open(), None);
        let mut writer = File::options().write(true).open(&path).expect("writer");
        writer
            .write_all(&Request::runlevel(b'4', 3).encode())
            .expect("write");
        assert_eq!(read_all(&mut fifo), [request(b'4')]);

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
    fn a_fifo_left_on_the_fixed_descriptor_is_taken_over_with_its_requests() {
        const FD: RawFd = 901;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        let mut old = Fifo::new(&path, Some(FD));
        assert_eq!(old.ensure_open(), None);
        writer(&path)
            .write_all(&Request::runlevel(b'5', 3).encode())
            .expect("write");
        old.hand_over();
        let flags = fcntl(FD, FcntlArg::F_GETFD).expect("open");
        assert_eq!(flags & libc::FD_CLOEXEC, 0, "kept across exec");
        // What the new image does: the same descriptor, the queued request.
        std::mem::forget(old);
        let mut new = Fifo::new(&path, Some(FD));
        assert_eq!(new.ensure_open(), None);
        assert_eq!(new.fd().map(|fd| fd.as_raw_fd()), Some(FD));
        let flags = fcntl(FD, FcntlArg::F_GETFD).expect("open");
        assert_ne!(flags & libc::FD_CLOEXEC, 0, "private again");
        assert_eq!(read_all(&mut new), [request(b'5')]);
    }

    #[test]
    fn anything_but_inits_own_fifo_is_replaced_and_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        let shown = path.display().to_string();
        let mut fifo = Fifo::new(&path, None);
        assert_eq!(fifo.ensure_open(), None);
        let is_ours = |fifo: &mut Fifo| {
            let mut writer = writer(&path);
            writer
                .write_all(&Request::runlevel(b'2', 3).encode())
                .expect("write");
            read_all(fifo) == [request(b'2')]
        };
        let moved_in = dir.path().join("moved");

        // A regular file renamed over it (mv -T file /run/initctl).
        std::fs::write(&moved_in, b"").expect("file");
        std::fs::rename(&moved_in, &path).expect("mv");
        assert_eq!(
            fifo.ensure_open(),
            Some(format!("{shown} is not a fifo: replaced by a new fifo"))
        );
        assert!(is_ours(&mut fifo));
        // The same thing again is news again.
        std::fs::write(&moved_in, b"").expect("file");
        std::fs::rename(&moved_in, &path).expect("mv");
        assert!(fifo.ensure_open().is_some());
        assert_eq!(fifo.ensure_open(), None, "reported once");

        // A symbolic link to a FIFO.
        let elsewhere = dir.path().join("elsewhere");
        mkfifo(&elsewhere, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        std::fs::remove_file(&path).expect("rm");
        symlink(&elsewhere, &path).expect("symlink");
        assert_eq!(
            fifo.ensure_open(),
            Some(format!(
                "{shown} is a symbolic link: replaced by a new fifo"
            ))
        );
        assert!(is_ours(&mut fifo));

        // A FIFO anyone may write, renamed in.
        mkfifo(&moved_in, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        std::fs::set_permissions(&moved_in, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        std::fs::rename(&moved_in, &path).expect("mv");
        assert_eq!(
            fifo.ensure_open(),
            Some(format!("{shown} has mode 0666: replaced by a new fifo"))
        );
        assert!(is_ours(&mut fifo));

        // Our own FIFO made writable for all.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o622)).expect("chmod");
        assert!(
            fifo.ensure_open()
                .is_some_and(|m| m.contains("has mode 0622"))
        );
        assert_eq!(
            std::fs::metadata(&path).expect("stat").mode() & 0o7777,
            0o600
        );

        // A proper-looking FIFO that is not the one init made.
        mkfifo(&moved_in, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        std::fs::rename(&moved_in, &path).expect("mv");
        assert_eq!(
            fifo.ensure_open(),
            Some(format!(
                "{shown} is not init's fifo: replaced by a new fifo"
            ))
        );
        assert!(is_ours(&mut fifo));
        assert_eq!(fifo.ensure_open(), None);
    }

    #[test]
    fn a_proper_fifo_found_at_start_is_used() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        mkfifo(&path, Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let before = std::fs::metadata(&path).expect("stat").ino();
        let mut fifo = Fifo::new(&path, None);
        assert_eq!(fifo.ensure_open(), None);
        assert_eq!(std::fs::metadata(&path).expect("stat").ino(), before);
    }

    #[test]
    fn a_path_that_cannot_hold_a_fifo_is_reported_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        std::fs::create_dir(&path).expect("mkdir");
        std::fs::write(path.join("keep"), b"").expect("file");
        let mut fifo = Fifo::new(&path, None);
        let message = fifo.ensure_open().expect("reported");
        assert!(
            message.starts_with(&format!("{} is not a fifo, and no fifo", path.display())),
            "{message}"
        );
        assert!(fifo.fd().is_none());
        assert_eq!(fifo.ensure_open(), None, "not again on every pass");

        // Nowhere to make one (no /run yet): quiet.
        let mut fifo = Fifo::new(&dir.path().join("missing/initctl"), None);
        assert_eq!(fifo.ensure_open(), None);
        assert!(fifo.fd().is_none());
    }

    #[test]
    fn bogus_report_logs_a_few_and_then_a_count() {
        let mut report = bogus_report();
        for _ in 0..crate::report_limit::BURST {
            assert_eq!(
                report.occurred(5, Duration::ZERO).as_deref(),
                Some("got bogus initrequest")
            );
        }
        assert_eq!(report.occurred(384, Duration::ZERO), None);
        assert_eq!(report.occurred(1, Duration::ZERO), None);
        assert_eq!(
            report.flush(Duration::from_secs(1)).as_deref(),
            Some("got bogus initrequest: 2 more dropped (385 bytes) without a message")
        );
    }
}
