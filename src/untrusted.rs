//! The one way PID 1 and the root tools read a file that someone else may
//! have put in place: a pid file in a daemon's own directory, a file under
//! `/run`, the supervision settings, rc's defaults, an init script's text.
//!
//! Such a path may name a FIFO (an `open` would block init for good), a
//! terminal (without `O_NOCTTY`, opening it makes it init's controlling
//! terminal, and its ^C becomes init's SIGINT), `/dev/zero` (an endless
//! read), or a huge file. So the file is opened with `O_RDONLY | O_NOCTTY |
//! O_NONBLOCK | O_CLOEXEC` (and `O_NOFOLLOW` when a symbolic link has no
//! business there), checked with `fstat` on the open descriptor (regular
//! files only: nothing can swap the file between the check and the read),
//! refused unread when its size is over the cap, and read with a bound of
//! cap + 1 bytes, so that a file growing while it is read (or a `/proc` file,
//! whose size reads as 0) is refused too.
//!
//! The caps, per kind of file ([`Kind`]): 4 KiB for a pid file or a small
//! state file (a pid file holds a few bytes; PostgreSQL's, the longest
//! common one, about a hundred), 64 KiB for settings files and `/proc`
//! entries, 1 MiB for an init script (Debian's longest are about 20 KiB),
//! a state file under `/run/vinit` or a file named on a command line,
//! 64 MiB for init's status file (a line per inittab entry).
//!
//! `std::fs::read`, `read_to_string`, `File::open` and `OpenOptions::open`
//! are disallowed by clippy (`clippy.toml`) in the modules PID 1 runs;
//! where one of them is right (a device init opens on purpose, a file in a
//! test), it is allowed at that line, with the reason.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// What a file is for, which sets its size cap and whether the last
/// component may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A daemon's pid file, a stop mark, `/run/powerstatus`: at most 4 KiB,
    /// never through a symbolic link (a user who owns the directory could
    /// point it anywhere).
    PidFile,
    /// A state file init or a tool keeps under `/run/vinit`: at most
    /// 1 MiB, never through a symbolic link.
    RunState,
    /// init's status file (`/run/vinit/status`): one line per inittab
    /// entry, and a 4 MiB inittab of short lines holds some 200,000; at
    /// most 64 MiB, never through a symbolic link.
    Status,
    /// A settings file (`/etc/vinit/supervise.d/NAME`, `/etc/default/*`,
    /// `insserv.conf`): at most 64 KiB; a symbolic link is followed.
    Settings,
    /// An init script's text, read for its LSB header or its pid file: at
    /// most 1 MiB; a symbolic link is followed (some packages install
    /// their scripts as links).
    Script,
    /// A file of `/proc` or `/sys`: at most 64 KiB.
    Kernel,
    /// A cgroup's list of processes (`cgroup.procs`): at most 1 MiB, some
    /// 150,000 PIDs.
    Cgroup,
    /// A file a user names on a command line (`vinit plot --record FILE`):
    /// at most 1 MiB; a symbolic link is followed, as the user chose the
    /// path, but a FIFO or a device still is no file to read.
    Given,
    /// A log that only grows (rc's boot log), read from its end
    /// ([`read_tail`]): its last 1 MiB, never through a symbolic link.
    Log,
}

impl Kind {
    /// The most bytes a file of this kind may hold.
    pub(crate) const fn cap(self) -> u64 {
        match self {
            Kind::PidFile => 4 << 10,
            Kind::Settings | Kind::Kernel => 64 << 10,
            Kind::RunState | Kind::Script | Kind::Given | Kind::Cgroup | Kind::Log => 1 << 20,
            Kind::Status => 64 << 20,
        }
    }

    const fn follows_symlinks(self) -> bool {
        matches!(
            self,
            Kind::Settings | Kind::Script | Kind::Kernel | Kind::Given
        )
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum Refused {
    /// There is no such file.
    Missing,
    /// It is a symbolic link, where none is accepted.
    Symlink,
    /// It is a symbolic link that leads, through others, back to itself.
    Loop,
    /// It is not a regular file: "a FIFO", "a directory", …
    NotRegular(&'static str),
    /// It holds more than `cap` bytes.
    TooLarge { cap: u64 },
    /// The system said no (permissions, I/O).
    Io(io::Error),
}

impl Refused {
    /// Whether the file simply does not exist (which is often fine).
    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, Refused::Missing)
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Missing => f.write_str("no such file"),
            Refused::Symlink => f.write_str("is a symbolic link, not read"),
            Refused::Loop => f.write_str("is a loop of symbolic links, not read"),
            Refused::NotRegular(what) => write!(f, "is {what}, not a regular file; not read"),
            Refused::TooLarge { cap } => write!(f, "is larger than {cap} bytes; not read"),
            Refused::Io(error) => {
                // "Permission denied", not "Permission denied (os error 13)".
                let text = error.to_string();
                match text.find(" (os error") {
                    Some(end) => f.write_str(text.get(..end).unwrap_or(&text)),
                    None => f.write_str(&text),
                }
            }
        }
    }
}

impl From<io::Error> for Refused {
    fn from(error: io::Error) -> Refused {
        match error.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENOTDIR) => Refused::Missing,
            // O_NOFOLLOW on a symbolic link.
            Some(libc::ELOOP) => Refused::Symlink,
            _ => Refused::Io(error),
        }
    }
}

/// An opened file that passed the checks, with what `fstat` said of it.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) metadata: std::fs::Metadata,
}

/// Opens `path` as a file of `kind`: never blocks, never takes a
/// controlling terminal, only a regular file within the cap.
pub(crate) fn open(path: &Path, kind: Kind) -> Result<Opened, Refused> {
    open_capped(path, kind.cap(), kind.follows_symlinks())
}

/// [`open`] with a cap of its own (inittab's is 4 MiB), following a
/// symbolic link at the end of `path` only if `follow`.
pub(crate) fn open_capped(path: &Path, cap: u64, follow: bool) -> Result<Opened, Refused> {
    let mut flags = libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    #[allow(
        clippy::disallowed_methods,
        reason = "the one safe opener: the flags above, then fstat below"
    )]
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            // Following links, ELOOP is a loop (without, the link itself).
            Some(libc::ELOOP) if follow => Refused::Loop,
            _ => Refused::from(error),
        })?;
    let metadata = file.metadata()?;
    let file_type = metadata.file_type();
    if !file_type.is_file() {
        return Err(Refused::NotRegular(describe(&file_type)));
    }
    if metadata.len() > cap {
        return Err(Refused::TooLarge { cap });
    }
    Ok(Opened { file, metadata })
}

/// Reads the whole of `path`, a file of `kind` (see [`open`]).
pub(crate) fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, Refused> {
    read_opened(open(path, kind)?, kind).map(|(bytes, _)| bytes)
}

/// [`read`], with the file's metadata (owner, times) as `fstat` gave it.
pub(crate) fn read_with_metadata(
    path: &Path,
    kind: Kind,
) -> Result<(Vec<u8>, std::fs::Metadata), Refused> {
    read_opened(open(path, kind)?, kind)
}

/// [`read`] as text; bytes that are not UTF-8 become U+FFFD.
pub(crate) fn read_text(path: &Path, kind: Kind) -> Result<String, Refused> {
    read(path, kind).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// The first bytes of `path`, up to `kind`'s cap; the rest, if any, is
/// not read (a command line longer than 64 KiB is cut, not refused).
pub(crate) fn read_head(path: &Path, kind: Kind) -> Result<Vec<u8>, Refused> {
    let Opened { file, .. } = open_capped(path, u64::MAX, kind.follows_symlinks())?;
    let mut bytes = Vec::new();
    file.take(kind.cap()).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The last bytes of `path`, up to `kind`'s cap, from the start of the
/// first whole line among them (a log's older lines are not read).
pub(crate) fn read_tail(path: &Path, kind: Kind) -> Result<Vec<u8>, Refused> {
    use std::io::{Seek, SeekFrom};
    let Opened { mut file, metadata } = open_capped(path, u64::MAX, kind.follows_symlinks())?;
    let skipped = metadata.len().saturating_sub(kind.cap());
    file.seek(SeekFrom::Start(skipped))?;
    let mut bytes = Vec::new();
    file.take(kind.cap()).read_to_end(&mut bytes)?;
    if skipped > 0 {
        // The first line was cut: it starts after the first newline.
        let start = bytes
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(bytes.len(), |at| at + 1);
        bytes.drain(..start);
    }
    Ok(bytes)
}

fn read_opened(opened: Opened, kind: Kind) -> Result<(Vec<u8>, std::fs::Metadata), Refused> {
    let Opened { file, metadata } = opened;
    // Room for what fstat says the file holds (within the cap), so that it
    // is read in one go: from an empty buffer the standard library starts
    // with 32 bytes and grows, six reads for a short init script.
    let expected = metadata.len().min(kind.cap()).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(kind.cap().saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > kind.cap() {
        return Err(Refused::TooLarge { cap: kind.cap() });
    }
    Ok((bytes, metadata))
}

/// How [`open_device`] opens a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    ReadWrite,
    Append,
}

/// Opens a device init uses on purpose (`/dev/null`, `/dev/tty0`,
/// `/dev/kmsg`): never as its controlling terminal, closed on `exec` (a
/// `dup2` of it onto 0–2 is not).
pub(crate) fn open_device(path: &Path, access: Access) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    match access {
        Access::Read => options.read(true),
        Access::ReadWrite => options.read(true).write(true),
        Access::Append => options.append(true),
    };
    #[allow(
        clippy::disallowed_methods,
        reason = "a device opened on purpose, with O_NOCTTY"
    )]
    options
        .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
}

/// "a FIFO", "a directory", … for a file that is not a regular one.
pub(crate) fn describe(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Whether only root can have written `path` (a file just read): it is
/// root's, and every directory from `/` down to it is root's and writable
/// by no one else (or sticky, as `/tmp` is: there others cannot replace
/// root's entries). Symbolic links on the way are resolved first, and the
/// directories the path really goes through are checked.
pub(crate) fn written_by_root_only(path: &Path, metadata: &std::fs::Metadata) -> bool {
    if metadata.uid() != 0 || metadata.mode() & 0o022 != 0 {
        return false;
    }
    let Some(parent) = path.parent() else {
        return false;
    };
    let Ok(parent) = parent.canonicalize() else {
        return false;
    };
    parent.ancestors().all(|dir| {
        std::fs::symlink_metadata(dir).is_ok_and(|meta| {
            meta.uid() == 0 && (meta.mode() & 0o022 == 0 || meta.mode() & 0o1000 != 0)
        })
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_regular_file_within_the_cap_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.pid");
        std::fs::write(&path, "1234\n").expect("write");
        assert_eq!(read(&path, Kind::PidFile).expect("read"), b"1234\n");
        assert_eq!(read_text(&path, Kind::PidFile).expect("read"), "1234\n");
    }

    #[test]
    fn missing_fifo_device_directory_symlink_and_huge_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("none");
        assert!(
            read(&missing, Kind::PidFile)
                .expect_err("missing")
                .is_missing()
        );

        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o666))
            .expect("mkfifo");
        // Would block for good without O_NONBLOCK.
        let error = read(&fifo, Kind::PidFile).expect_err("fifo");
        assert_eq!(error.to_string(), "is a FIFO, not a regular file; not read");

        let error = read(Path::new("/dev/zero"), Kind::Settings).expect_err("device");
        assert_eq!(
            error.to_string(),
            "is a character device, not a regular file; not read"
        );
        let error = read(dir.path(), Kind::Settings).expect_err("directory");
        assert!(matches!(error, Refused::NotRegular("a directory")));

        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'1'; 4097]).expect("write");
        let error = read(&big, Kind::PidFile).expect_err("too large");
        assert_eq!(error.to_string(), "is larger than 4096 bytes; not read");
        assert!(read(&big, Kind::Settings).is_ok());

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&big, &link).expect("symlink");
        assert!(matches!(read(&link, Kind::PidFile), Err(Refused::Symlink)));
        assert!(read(&link, Kind::Settings).is_ok());
        // A loop of links, followed, is a loop.
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::os::unix::fs::symlink(&b, &a).expect("symlink");
        std::os::unix::fs::symlink(&a, &b).expect("symlink");
        assert!(matches!(read(&a, Kind::Script), Err(Refused::Loop)));
        assert!(matches!(read(&a, Kind::PidFile), Err(Refused::Symlink)));
        // Through a link, the target's type counts.
        let to_zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &to_zero).expect("symlink");
        assert!(matches!(
            read(&to_zero, Kind::Script),
            Err(Refused::NotRegular(_))
        ));
    }

    #[test]
    fn a_proc_file_is_read_with_its_bound() {
        let stat = read_text(Path::new("/proc/self/stat"), Kind::Kernel).expect("stat");
        assert!(stat.contains(')'));
    }

    #[test]
    fn heads_and_tails_are_read_whatever_the_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("rc.log");
        // Two lines more than the cap holds: the first one cut by it.
        let line = format!("{}\n", "x".repeat(99));
        let lines = (Kind::Log.cap() as usize) / line.len() + 2;
        let text: String = (0..lines).map(|i| format!("{i:>9} {line}")).collect();
        std::fs::write(&log, &text).expect("write");
        let tail = read_tail(&log, Kind::Log).expect("tail");
        assert!(tail.len() as u64 <= Kind::Log.cap());
        assert!(text.ends_with(std::str::from_utf8(&tail).expect("text")));
        let cut = text.len() - tail.len();
        assert_eq!(&text[cut - 1..cut], "\n", "a whole line first");
        assert!(tail.ends_with(line.as_bytes()));
        std::fs::write(&log, "short\n").expect("write");
        assert_eq!(read_tail(&log, Kind::Log).expect("tail"), b"short\n");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&log, &link).expect("symlink");
        assert!(matches!(read_tail(&link, Kind::Log), Err(Refused::Symlink)));
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o666))
            .expect("mkfifo");
        assert!(matches!(
            read_tail(&fifo, Kind::Log),
            Err(Refused::NotRegular(_))
        ));

        // A head is cut at the cap, not refused; /proc's files read too.
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'1'; 70_000]).expect("write");
        assert_eq!(
            read_head(&big, Kind::Kernel).expect("head").len() as u64,
            Kind::Kernel.cap()
        );
        assert!(
            !read_head(Path::new("/proc/self/cmdline"), Kind::Kernel)
                .expect("cmdline")
                .is_empty()
        );
        assert!(matches!(
            read_head(Path::new("/dev/zero"), Kind::Kernel),
            Err(Refused::NotRegular(_))
        ));
    }

    #[test]
    fn permission_errors_read_plainly() {
        let error = Refused::from(io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(error.to_string(), "Permission denied");
    }

    #[test]
    fn only_roots_files_in_roots_directories_are_written_by_root_only() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let path = dir.path().join("x.pid");
        std::fs::write(&path, "1\n").expect("write");
        let (_, meta) = read_with_metadata(&path, Kind::PidFile).expect("read");
        // tempdir is under /tmp, sticky and root's.
        assert!(written_by_root_only(&path, &meta));

        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        assert!(!written_by_root_only(&path, &meta));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");

        nix::unistd::chown(&path, Some(nix::unistd::Uid::from_raw(65534)), None).expect("chown");
        let (_, meta) = read_with_metadata(&path, Kind::PidFile).expect("read");
        assert!(!written_by_root_only(&path, &meta));
    }
}
