//! The `/run/initctl` wire format: sysvinit's 384-byte `struct init_request`
//! (docs/compatibility.md §4.4), native endianness, as the real `telinit` and `shutdown` write it.
//!
//! [`Request::encode`]/[`Request::decode`] are the byte layout,
//! [`Request::env_changes`] is init's reading of SETENV data, and [`send`] is
//! the writing side of telinit (open with a timeout, write whole requests).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::runlevel::Runlevel;

pub(crate) const MAGIC: u32 = 0x0309_1969;
pub const REQUEST_LEN: usize = 384;
pub(crate) const DATA_LEN: usize = 368;

pub const CMD_START: i32 = 0;
pub const CMD_RUNLVL: i32 = 1;
pub const CMD_POWERFAIL: i32 = 2;
pub const CMD_POWERFAILNOW: i32 = 3;
pub const CMD_POWEROK: i32 = 4;
pub(crate) const CMD_SETENV: i32 = 6;
/// Test builds only (`--features fault-injection`): makes init's main loop
/// panic, to test its recovery. Any other build answers `got unimplemented
/// initrequest.`
#[cfg(feature = "fault-injection")]
pub const CMD_FAULT: i32 = 0x4641_554c;

/// The FIFO init reads and telinit writes.
pub(crate) const FIFO_PATH: &str = "/run/initctl";
/// How long telinit waits for the FIFO to accept a request (its `alarm(3)`).
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(3);

/// One request, fields as on the wire (the magic is checked, not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub cmd: i32,
    /// The level character as an int, e.g. `'3'` = 0x33, as telinit's
    /// argument was typed (`s`, `q` stay lowercase); sent verbatim. Any
    /// int a writer put there: [`Request::asked`] reads it as init does.
    pub runlevel: i32,
    /// Seconds between TERM and KILL at a level change.
    pub sleeptime: i32,
    pub data: [u8; DATA_LEN],
}

/// What a level request (`CMD_RUNLVL`) asks of init, as sysvinit's init
/// reads the level field (docs/compatibility.md §3.3): its low byte,
/// upper-cased; a field beyond one byte is bad whatever its low byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// `0`–`9`, `S`: change to that level.
    Level(Runlevel),
    /// `Q`: read inittab again.
    Reload,
    /// `U`: re-execute init.
    Reexec,
    /// `A`, `B` or `C`: start the entries marked with that letter.
    Demand(u8),
    /// Anything else: init logs `bad runlevel: X`, X being this byte.
    Bad(u8),
}

impl Asked {
    /// The (upper-cased) character that names it, as init's messages show it.
    pub fn byte(self) -> u8 {
        match self {
            Asked::Level(level) => level.byte(),
            Asked::Reload => b'Q',
            Asked::Reexec => b'U',
            Asked::Demand(letter) | Asked::Bad(letter) => letter,
        }
    }
}

/// `-e` strings that do not fit the 368-byte data area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataTooLarge;

impl fmt::Display for DataTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("-e option data too large")
    }
}

impl std::error::Error for DataTooLarge {}

/// Bytes that are not a request: wrong length or wrong magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bogus;

impl fmt::Display for Bogus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // init's console message for such a read (docs/compatibility.md §4.5).
        f.write_str("got bogus initrequest")
    }
}

impl std::error::Error for Bogus {}

/// One variable change carried by a SETENV request, as bytes: names and
/// values need not be UTF-8 (init passes them on unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// `NAME=VALUE`: set or replace.
    Set(OsString, OsString),
    /// `NAME` without `=`: remove.
    Unset(OsString),
}

impl Request {
    /// What `telinit [-t sleeptime] <level>` and `/sbin/init <level>` send.
    pub fn runlevel(level: u8, sleeptime: i32) -> Request {
        Request {
            cmd: CMD_RUNLVL,
            runlevel: i32::from(level),
            sleeptime,
            data: [0; DATA_LEN],
        }
    }

    /// What a level request asks for (see [`Asked`]).
    pub fn asked(&self) -> Asked {
        let [low, ..] = self.runlevel.to_le_bytes();
        let upper = low.to_ascii_uppercase();
        if u8::try_from(self.runlevel).is_err() {
            return Asked::Bad(upper);
        }
        match upper {
            b'Q' => Asked::Reload,
            b'U' => Asked::Reexec,
            b'A' | b'B' | b'C' => Asked::Demand(upper),
            _ => Runlevel::from_byte(upper).map_or(Asked::Bad(upper), Asked::Level),
        }
    }

    /// What `telinit -e VAR[=VAL] …` sends: each string and a NUL, then a
    /// final NUL; runlevel and sleeptime stay 0. Fails exactly when
    /// sysvinit's telinit says `-e option data too large`.
    pub fn setenv(vars: &[&str]) -> Result<Request, DataTooLarge> {
        let vars: Vec<&[u8]> = vars.iter().map(|var| var.as_bytes()).collect();
        Request::setenv_bytes(&vars)
    }

    /// [`Request::setenv`] for strings of any bytes, as telinit passes its
    /// `-e` arguments on (docs/compatibility.md §4.4: init keeps them as bytes).
    pub fn setenv_bytes(vars: &[&[u8]]) -> Result<Request, DataTooLarge> {
        let mut data = [0u8; DATA_LEN];
        let mut used = 0;
        for &bytes in vars {
            // telinit checks `env + l + 2 > data + sizeof(data)`: room for the
            // string, its NUL and the final NUL.
            let end = used + bytes.len();
            if end + 2 > DATA_LEN {
                return Err(DataTooLarge);
            }
            let Some(slot) = data.get_mut(used..end) else {
                return Err(DataTooLarge);
            };
            slot.copy_from_slice(bytes);
            // data[end] is already the NUL.
            used = end + 1;
        }
        Ok(Request {
            cmd: CMD_SETENV,
            runlevel: 0,
            sleeptime: 0,
            data,
        })
    }

    /// The 384 bytes on the wire, native endianness as in C.
    pub fn encode(&self) -> [u8; REQUEST_LEN] {
        let mut out = [0u8; REQUEST_LEN];
        let header = [MAGIC as i32, self.cmd, self.runlevel, self.sleeptime];
        for (chunk, value) in out.chunks_exact_mut(4).zip(header) {
            chunk.copy_from_slice(&value.to_ne_bytes());
        }
        out[REQUEST_LEN - DATA_LEN..].copy_from_slice(&self.data);
        out
    }

    /// Reads one request as init does: anything but exactly 384 bytes with
    /// the right magic is bogus. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Request, Bogus> {
        let bytes: &[u8; REQUEST_LEN] = bytes.try_into().map_err(|_| Bogus)?;
        let int_at = |offset: usize| {
            let word = bytes.get(offset..).and_then(<[u8]>::first_chunk);
            word.map(|word| i32::from_ne_bytes(*word)).ok_or(Bogus)
        };
        if int_at(0)? as u32 != MAGIC {
            return Err(Bogus);
        }
        let data = *bytes.last_chunk::<DATA_LEN>().ok_or(Bogus)?;
        Ok(Request {
            cmd: int_at(4)?,
            runlevel: int_at(8)?,
            sleeptime: int_at(12)?,
            data,
        })
    }

    /// Whether the request looks as the tools that send its command write
    /// it: a level change or power event with its data area all zero, a
    /// SETENV whose data is NUL-terminated strings ended by an empty one
    /// with only zeros after it (every sender we know of clears the whole
    /// request before filling it in, docs/compatibility.md §4.4). sysvinit
    /// looks only at the magic and the command; the [`Framer`] uses this to
    /// tell a request from junk that begins with the magic number.
    pub fn is_well_formed(&self) -> bool {
        match self.cmd {
            CMD_RUNLVL | CMD_POWERFAIL | CMD_POWERFAILNOW | CMD_POWEROK => {
                self.data.iter().all(|&b| b == 0)
            }
            CMD_SETENV => {
                // The end of the strings: the first NUL that starts an
                // empty string.
                let end = self
                    .data
                    .iter()
                    .enumerate()
                    .position(|(i, &b)| b == 0 && (i == 0 || self.data.get(i - 1) == Some(&0)));
                end.and_then(|end| self.data.get(end..))
                    .is_some_and(|rest| rest.iter().all(|&b| b == 0))
            }
            _ => false,
        }
    }

    /// The variable changes in a SETENV request's data, in order, as
    /// sysvinit's `initcmd_setenv` reads them: NUL-terminated strings up to
    /// an empty one or the end of the data (a last string without its NUL
    /// is dropped); only names starting with `INIT_` count, the rest are
    /// silently ignored. The bytes are kept as they are, UTF-8 or not.
    ///
    /// The 368-byte data area bounds what one request carries: at most 366
    /// bytes for one `NAME=VALUE` (telinit's own check), and
    /// [`crate::supervisor::MAX_EXTRA_VARS`] bounds how many init keeps.
    pub fn env_changes(&self) -> Vec<EnvChange> {
        let mut changes = Vec::new();
        for piece in self.data.split_inclusive(|&b| b == 0) {
            // Only the last piece can lack its NUL; it is dropped.
            let Some((0, entry)) = piece.split_last() else {
                break;
            };
            if entry.is_empty() {
                break;
            }
            if !entry.starts_with(b"INIT_") {
                continue;
            }
            let bytes = |bytes: &[u8]| OsStr::from_bytes(bytes).to_os_string();
            changes.push(match entry.iter().position(|&b| b == b'=') {
                Some(equals) => EnvChange::Set(
                    bytes(entry.get(..equals).unwrap_or_default()),
                    bytes(entry.get(equals + 1..).unwrap_or_default()),
                ),
                None => EnvChange::Unset(bytes(entry)),
            });
        }
        changes
    }
}

/// Cuts the FIFO's byte stream into requests (init's side).
///
/// The FIFO is a byte stream: a write of 384 bytes is atomic (below
/// `PIPE_BUF`), but junk of any length may come before or between requests.
/// sysvinit reads 384 bytes at a time and drops each read that is not a
/// request, so one stray byte makes it drop the request after it too. The
/// framer instead re-synchronises on the magic number: bytes before the next
/// magic are dropped as junk, and the request that starts there is kept.
///
/// Junk may itself begin with the magic number (a writer of `magic +
/// junk`): then the 384 bytes from that magic hold the start of whatever
/// was written after the junk, a request perhaps. So a packet that starts
/// with the magic is read whole, as sysvinit reads it, only if it is well
/// formed ([`Request::is_well_formed`]) or holds no other magic number (nor
/// its beginning at its end); otherwise the bytes before that magic are
/// junk and reading resumes there. A well-formed request is never cut, even
/// if its SETENV data holds the magic; an odd one with no magic inside (an
/// unknown command) is still handed on, for init to say `got unimplemented
/// initrequest` as sysvinit does. A request is lost only to junk that looks
/// like a well-formed request itself.
///
/// The reader asks for exactly what completes the current packet
/// ([`Framer::space`]), so the framer never holds more than one packet and
/// nothing behind a request is read before that request is handled (a
/// `telinit u` leaves the requests after it in the pipe for the new image).
/// A read that returns less than was asked for has emptied the pipe: since a
/// request is written atomically, a partial packet left then can only be
/// junk, and it is dropped at once rather than joined to the next write.
/// Pure: no I/O; never panics, whatever the bytes.
#[derive(Debug, Clone)]
pub struct Framer {
    buffer: [u8; REQUEST_LEN],
    len: usize,
}

/// What one read gave: at most one request, and how much junk it dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Framed {
    pub request: Option<Request>,
    /// Bytes dropped as junk (0: none).
    pub junk: usize,
}

impl Default for Framer {
    fn default() -> Framer {
        Framer::new()
    }
}

impl Framer {
    pub fn new() -> Framer {
        Framer {
            buffer: [0; REQUEST_LEN],
            len: 0,
        }
    }

    /// Where the next read must go: exactly the bytes that complete the
    /// current packet (never empty).
    pub fn space(&mut self) -> &mut [u8] {
        self.buffer.get_mut(self.len..).unwrap_or_default()
    }

    /// `read` put `n` bytes into [`Framer::space`]. A short read (fewer than
    /// the space) means the pipe is empty now.
    pub fn filled(&mut self, n: usize) -> Framed {
        let wanted = REQUEST_LEN - self.len;
        let n = n.min(wanted);
        self.len += n;
        if n < wanted {
            return Framed {
                request: None,
                junk: self.drained(),
            };
        }
        // Only a packet that starts with the magic decodes; where the next
        // packet starts: after this one if it is well formed, else at the
        // next magic inside it, if any.
        let request = Request::decode(&self.buffer).ok();
        let next = if request.as_ref().is_some_and(Request::is_well_formed) {
            REQUEST_LEN
        } else {
            next_magic(&self.buffer)
        };
        if request.is_some() && next == REQUEST_LEN {
            self.len = 0;
            return Framed { request, junk: 0 };
        }
        // What comes before the next magic is junk.
        self.buffer.copy_within(next.., 0);
        self.len = REQUEST_LEN - next;
        Framed {
            request: None,
            junk: next,
        }
    }

    /// The pipe is empty (`EAGAIN`): a partial packet is junk. Returns how
    /// many bytes were dropped.
    pub fn drained(&mut self) -> usize {
        std::mem::take(&mut self.len)
    }
}

/// Where the magic number could start after offset 0: its first full
/// occurrence, or a tail that is its beginning; the buffer's length if
/// neither.
fn next_magic(buffer: &[u8]) -> usize {
    let magic = MAGIC.to_ne_bytes();
    (1..buffer.len())
        .find(|&start| {
            let rest = buffer.get(start..).unwrap_or_default();
            let n = rest.len().min(magic.len());
            rest.get(..n) == magic.get(..n)
        })
        .unwrap_or(buffer.len())
}

/// Why a request could not be delivered.
#[derive(Debug)]
pub enum SendError {
    /// Nobody opened the FIFO for reading, or it stayed full, for 3 seconds.
    Timeout { fifo: String },
    /// Opening or writing failed.
    Io { fifo: String, errno: Errno },
    /// The path names something else than a FIFO (a regular file put in
    /// its place): nothing is written into it.
    NotAFifo { fifo: String },
}

impl fmt::Display for SendError {
    /// The text after `<prog>: ` in sysvinit's messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Timeout { fifo } => {
                write!(f, "timeout opening/writing control channel {fifo}")
            }
            SendError::Io { fifo, errno } => write!(f, "{fifo}: {}", errno.desc()),
            SendError::NotAFifo { fifo } => write!(f, "{fifo} is not a fifo"),
        }
    }
}

impl std::error::Error for SendError {}

/// Writes `requests` to the FIFO at `fifo` as telinit does: wait (at most
/// 3 seconds in all) for a reader, then write each request whole.
///
/// telinit uses `alarm(3)` around a blocking open and write; signals would
/// disturb callers (PID 1, test threads), so this polls instead: a
/// non-blocking write-open fails with ENXIO while no reader exists, and a
/// non-blocking write of 384 bytes (< PIPE_BUF, so atomic) fails with EAGAIN
/// while the pipe is full. If the reader goes away between open and write,
/// the error is EPIPE ("Broken pipe") as long as SIGPIPE is ignored, as the
/// Rust runtime does; sysvinit's telinit would die of SIGPIPE instead.
pub fn send(fifo: &Path, requests: &[Request]) -> Result<(), SendError> {
    let deadline = Instant::now() + SEND_TIMEOUT;
    let name = fifo.display().to_string();
    let timeout = || SendError::Timeout { fifo: name.clone() };
    let io_error = |e: io::Error| SendError::Io {
        fifo: name.clone(),
        errno: Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
    };

    let mut file = loop {
        #[allow(
            clippy::disallowed_methods,
            reason = "telinit's side: write-only, non-blocking, with O_NOCTTY; a FIFO is checked below"
        )]
        let opened = File::options()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(fifo);
        match opened {
            Ok(file) => break file,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                if Instant::now() >= deadline {
                    return Err(timeout());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    };
    // A regular file (or a device) put in the FIFO's place would take the
    // request without anyone reading it, or be overwritten by it.
    if !file.metadata().map_err(io_error)?.file_type().is_fifo() {
        return Err(SendError::NotAFifo { fifo: name });
    }

    for request in requests {
        let bytes = request.encode();
        loop {
            match file.write(&bytes) {
                Ok(n) if n == bytes.len() => break,
                // A pipe write below PIPE_BUF is all or nothing; anything
                // else means this is not a pipe.
                Ok(_) => return Err(io_error(io::Error::from_raw_os_error(libc::EIO))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(timeout());
                    }
                    let millis = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
                    let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLOUT)];
                    match poll(&mut fds, PollTimeout::from(millis)) {
                        Ok(_) | Err(Errno::EINTR) => {}
                        Err(errno) => return Err(SendError::Io { fifo: name, errno }),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn vector(name: &str) -> Vec<u8> {
        let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/vectors/initctl", name]
            .iter()
            .collect();
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn decode_all(bytes: &[u8]) -> Vec<Request> {
        assert_eq!(bytes.len() % REQUEST_LEN, 0, "whole records");
        bytes
            .chunks(REQUEST_LEN)
            .map(|c| Request::decode(c).expect("valid request"))
            .collect()
    }

    fn set(name: &str, value: &str) -> EnvChange {
        EnvChange::Set(name.into(), value.into())
    }

    fn unset(name: &str) -> EnvChange {
        EnvChange::Unset(name.into())
    }

    /// Each golden vector decodes to what the README says, and the
    /// constructor calls telinit/shutdown make re-encode it byte for byte.
    #[test]
    fn golden_vectors_decode_and_reencode() {
        let cases: Vec<(&str, Vec<Request>)> = vec![
            ("telinit-3.bin", vec![Request::runlevel(b'3', 3)]),
            ("telinit-q.bin", vec![Request::runlevel(b'q', 3)]),
            ("telinit-t7-s.bin", vec![Request::runlevel(b's', 7)]),
            ("telinit-u.bin", vec![Request::runlevel(b'u', 3)]),
            (
                "telinit-e-env.bin",
                vec![Request::setenv(&["INIT_FOO=bar", "INIT_BAZ"]).unwrap()],
            ),
            (
                "shutdown-r-now.bin",
                vec![
                    Request::setenv(&["INIT_HALT"]).unwrap(),
                    Request::runlevel(b'6', 3),
                ],
            ),
            (
                "shutdown-h-now.bin",
                vec![
                    Request::setenv(&["INIT_HALT"]).unwrap(),
                    Request::runlevel(b'0', 3),
                ],
            ),
            (
                "shutdown-H-h-t0-now.bin",
                vec![
                    Request::setenv(&["INIT_HALT=HALT"]).unwrap(),
                    Request::runlevel(b'0', 0),
                ],
            ),
            (
                "shutdown-h-P-t5-now.bin",
                vec![
                    Request::setenv(&["INIT_HALT=POWEROFF"]).unwrap(),
                    Request::runlevel(b'0', 5),
                ],
            ),
            (
                "shutdown-c.bin",
                vec![Request::setenv(&["INIT_HALT"]).unwrap()],
            ),
        ];
        for (file, expected) in cases {
            let bytes = vector(file);
            assert_eq!(decode_all(&bytes), expected, "{file}");
            let encoded: Vec<u8> = expected.iter().flat_map(|r| r.encode()).collect();
            assert_eq!(encoded, bytes, "{file} re-encodes byte-identically");
        }
    }

    #[test]
    fn golden_vectors_fields_as_readme_says() {
        let [r] = &decode_all(&vector("telinit-3.bin"))[..] else {
            panic!("one record")
        };
        assert_eq!((r.cmd, r.runlevel, r.sleeptime), (CMD_RUNLVL, 0x33, 3));
        assert!(r.data.iter().all(|&b| b == 0));

        let [r] = &decode_all(&vector("telinit-t7-s.bin"))[..] else {
            panic!("one record")
        };
        assert_eq!((r.cmd, r.runlevel, r.sleeptime), (CMD_RUNLVL, 0x73, 7));

        let [r] = &decode_all(&vector("telinit-e-env.bin"))[..] else {
            panic!("one record")
        };
        assert_eq!((r.cmd, r.runlevel, r.sleeptime), (CMD_SETENV, 0, 0));
        assert_eq!(&r.data[..23], b"INIT_FOO=bar\0INIT_BAZ\0\0");
        assert_eq!(
            r.env_changes(),
            vec![set("INIT_FOO", "bar"), unset("INIT_BAZ")]
        );

        let records = decode_all(&vector("shutdown-h-P-t5-now.bin"));
        assert_eq!(records[0].env_changes(), vec![set("INIT_HALT", "POWEROFF")]);
        assert_eq!(
            (records[1].cmd, records[1].runlevel, records[1].sleeptime),
            (CMD_RUNLVL, i32::from(b'0'), 5)
        );
        let records = decode_all(&vector("shutdown-c.bin"));
        assert_eq!(records[0].env_changes(), vec![unset("INIT_HALT")]);
    }

    #[test]
    fn a_level_request_is_read_as_init_reads_it() {
        let asked = |runlevel: i32| {
            Request {
                runlevel,
                ..Request::runlevel(0, 3)
            }
            .asked()
        };
        let level = |c: char| Asked::Level(Runlevel::from_char(c).unwrap());
        assert_eq!(decode_all(&vector("telinit-3.bin"))[0].asked(), level('3'));
        assert_eq!(
            decode_all(&vector("telinit-t7-s.bin"))[0].asked(),
            level('S')
        );
        assert_eq!(
            decode_all(&vector("telinit-q.bin"))[0].asked(),
            Asked::Reload
        );
        assert_eq!(
            decode_all(&vector("telinit-u.bin"))[0].asked(),
            Asked::Reexec
        );
        assert_eq!(asked(i32::from(b'b')), Asked::Demand(b'B'));
        assert_eq!(asked(i32::from(b'x')), Asked::Bad(b'X'));
        // Beyond a byte it is bad, named by its low byte, as init logs it.
        assert_eq!(asked(0x133), Asked::Bad(b'3'));
        assert_eq!(asked(-1), Asked::Bad(0xff));
        for each in [
            level('9'),
            Asked::Reload,
            Asked::Demand(b'C'),
            Asked::Bad(b'~'),
        ] {
            assert_eq!(asked(i32::from(each.byte())), each);
        }
    }

    #[test]
    fn header_bytes_are_little_endian_on_x86_64() {
        let bytes = Request::runlevel(b'3', 3).encode();
        if cfg!(target_endian = "little") {
            assert_eq!(
                &bytes[..16],
                &[
                    0x69, 0x19, 0x09, 0x03, 1, 0, 0, 0, 0x33, 0, 0, 0, 3, 0, 0, 0
                ]
            );
        }
        assert_eq!(bytes.len(), REQUEST_LEN);
    }

    #[test]
    fn bogus_lengths_and_magics() {
        let good = Request::runlevel(b'5', 3).encode();
        assert!(Request::decode(&good).is_ok());
        for len in [0, 1, 4, 16, 383, 385, 768] {
            let mut bytes = good.to_vec();
            bytes.resize(len, 0);
            assert_eq!(Request::decode(&bytes), Err(Bogus), "length {len}");
        }
        let mut wrong = good;
        wrong[0] ^= 1;
        assert_eq!(Request::decode(&wrong), Err(Bogus));
        let mut swapped = good;
        swapped[..4].copy_from_slice(&MAGIC.swap_bytes().to_ne_bytes());
        assert_eq!(Request::decode(&swapped), Err(Bogus));
        assert_eq!(Request::decode(&[0xff; REQUEST_LEN]), Err(Bogus));
    }

    /// Feeds `stream` to a framer as a pipe holding it would give it (each
    /// read gets what it asks for, or the rest), then reports the pipe empty.
    fn frame_stream(stream: &[u8]) -> (Vec<Request>, usize) {
        let mut framer = Framer::new();
        let (mut requests, mut junk) = (Vec::new(), 0);
        let mut rest = stream;
        while !rest.is_empty() {
            let space = framer.space();
            assert!(!space.is_empty(), "the framer always wants bytes");
            let n = space.len().min(rest.len());
            space[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            let framed = framer.filled(n);
            requests.extend(framed.request);
            junk += framed.junk;
        }
        junk += framer.drained();
        (requests, junk)
    }

    #[test]
    fn framer_reads_back_to_back_requests_one_at_a_time() {
        let mut stream = Request::runlevel(b'u', 3).encode().to_vec();
        stream.extend(Request::runlevel(b'5', 3).encode());
        let mut framer = Framer::new();
        assert_eq!(framer.space().len(), REQUEST_LEN);
        framer.space().copy_from_slice(&stream[..REQUEST_LEN]);
        let first = framer.filled(REQUEST_LEN);
        assert_eq!(first.request, Some(Request::runlevel(b'u', 3)));
        assert_eq!(first.junk, 0);
        // Nothing of the second request has been taken out of the pipe.
        assert_eq!(framer.space().len(), REQUEST_LEN);
        assert_eq!(
            frame_stream(&stream),
            (
                vec![Request::runlevel(b'u', 3), Request::runlevel(b'5', 3)],
                0
            )
        );
    }

    #[test]
    fn framer_resynchronises_on_the_magic_after_junk() {
        let requests = [
            Request::runlevel(b'3', 3),
            Request::setenv(&["INIT_A=1"]).expect("fits"),
            Request::runlevel(b'q', 0),
        ];
        // Junk of awkward lengths, with no magic byte in it, and a lone
        // first magic byte right before a request.
        let junk: [&[u8]; 3] = [b"x", &[0x69], &[7u8; 1000]];
        let mut stream = Vec::new();
        for (junk, request) in junk.iter().zip(&requests) {
            stream.extend_from_slice(junk);
            stream.extend(request.encode());
        }
        stream.extend_from_slice(b"trailing");
        let junk_len = 1 + 1 + 1000 + 8;
        assert_eq!(frame_stream(&stream), (requests.to_vec(), junk_len));
    }

    #[test]
    fn framer_drops_a_short_read_at_once() {
        let mut framer = Framer::new();
        framer.space()[..5].copy_from_slice(b"short");
        assert_eq!(
            framer.filled(5),
            Framed {
                request: None,
                junk: 5
            }
        );
        // A request written after it is read whole.
        let request = Request::runlevel(b'2', 3);
        framer.space().copy_from_slice(&request.encode());
        assert_eq!(framer.filled(REQUEST_LEN).request, Some(request));
        // A wrong magic is 384 bytes of junk; the pipe running dry drops a
        // kept tail too.
        let mut wrong = Request::runlevel(b'3', 3).encode();
        wrong[0] ^= 0xff;
        wrong[REQUEST_LEN - 1] = 0x69;
        framer.space().copy_from_slice(&wrong);
        assert_eq!(framer.filled(REQUEST_LEN).junk, REQUEST_LEN - 1);
        assert_eq!(framer.space().len(), REQUEST_LEN - 1);
        assert_eq!(framer.drained(), 1);
        assert_eq!(framer.space().len(), REQUEST_LEN);
    }

    #[test]
    fn framer_never_panics_and_accounts_for_every_byte() {
        // xorshift: reproducible junk without a dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let magic = MAGIC.to_ne_bytes();
        for round in 0..200 {
            let mut stream = Vec::new();
            let mut valid = Vec::new();
            while stream.len() < 20_000 {
                match next() % 4 {
                    0 => {
                        let request = Request::runlevel(b'0' + (next() % 10) as u8, 3);
                        stream.extend(request.encode());
                        valid.push(request);
                    }
                    // Random bytes, now and then with the magic's first bytes.
                    1 => stream.extend_from_slice(&magic[..(next() % 4) as usize]),
                    _ => {
                        let len = (next() % 700) as usize;
                        stream.extend((0..len).map(|_| next() as u8));
                    }
                }
            }
            let (got, junk) = frame_stream(&stream);
            assert_eq!(
                got.len() * REQUEST_LEN + junk,
                stream.len(),
                "round {round}"
            );
            // Junk without a full magic in it never costs a request.
            if !stream_has_stray_magic(&stream, &valid) {
                assert_eq!(got, valid, "round {round}");
            }
        }
    }

    /// Whether the random junk happens to hold a full magic number (more
    /// occurrences than requests).
    fn stream_has_stray_magic(stream: &[u8], valid: &[Request]) -> bool {
        let magic = MAGIC.to_ne_bytes();
        stream.windows(4).filter(|w| *w == magic).count() != valid.len()
    }

    #[test]
    fn what_the_tools_send_is_well_formed() {
        let vectors = [
            "telinit-3.bin",
            "telinit-q.bin",
            "telinit-t7-s.bin",
            "telinit-u.bin",
            "telinit-e-env.bin",
            "shutdown-r-now.bin",
            "shutdown-h-now.bin",
            "shutdown-H-h-t0-now.bin",
            "shutdown-h-P-t5-now.bin",
            "shutdown-c.bin",
        ];
        for file in vectors {
            for request in decode_all(&vector(file)) {
                assert!(request.is_well_formed(), "{file}: {request:?}");
            }
        }
        for cmd in [CMD_POWERFAIL, CMD_POWERFAILNOW, CMD_POWEROK] {
            let request = Request {
                cmd,
                ..Request::runlevel(0, 0)
            };
            assert!(request.is_well_formed());
        }
        // Odd levels and sleep times are still what telinit might write.
        assert!(Request::runlevel(0xff, -1).is_well_formed());
        assert!(Request::setenv(&[]).unwrap().is_well_formed());
        // A value holding the magic number, and data filled to the end.
        let magic = String::from_utf8(MAGIC.to_ne_bytes().to_vec()).unwrap();
        assert!(
            Request::setenv(&[&format!("INIT_M={magic}")])
                .unwrap()
                .is_well_formed()
        );
        let full = "I".repeat(DATA_LEN - 2);
        assert!(Request::setenv(&[&full]).unwrap().is_well_formed());
    }

    #[test]
    fn junk_after_the_magic_is_not_well_formed() {
        for cmd in [CMD_START, 5, 7, 9, -1, MAGIC as i32] {
            let request = Request {
                cmd,
                ..Request::runlevel(0, 0)
            };
            assert!(!request.is_well_formed(), "cmd {cmd}");
        }
        for cmd in [CMD_RUNLVL, CMD_POWERFAIL, CMD_POWERFAILNOW, CMD_POWEROK] {
            let mut request = Request {
                cmd,
                ..Request::runlevel(b'3', 3)
            };
            request.data[DATA_LEN - 1] = 1;
            assert!(!request.is_well_formed(), "cmd {cmd}");
        }
        // SETENV: something after the empty string that ends the strings,
        // or no end at all.
        assert!(!with_data(b"INIT_A=1\0\0x").is_well_formed());
        assert!(!with_data(b"\0x").is_well_formed());
        let mut unended = with_data(b"");
        unended.data.fill(b'I');
        assert!(!unended.is_well_formed());
        unended.data[DATA_LEN - 1] = 0;
        assert!(!unended.is_well_formed(), "one string, no empty one");
    }

    /// `magic + junk`, as a hostile or broken writer sends it: the junk
    /// holds no magic byte, so only the start is a magic number.
    fn magic_and_junk(len: usize, seed: u8) -> Vec<u8> {
        let mut bytes = MAGIC.to_ne_bytes().to_vec();
        bytes.extend(
            (0..len).map(|i| match (i as u8).wrapping_mul(31).wrapping_add(seed) {
                0x69 => 0x6a,
                byte => byte,
            }),
        );
        bytes
    }

    #[test]
    fn two_writers_of_magic_and_junk_cost_no_request() {
        // Every junk length from nothing after the magic to more than a
        // packet, with each writer's pieces before, between and after the
        // requests of a third.
        let mut stream = Vec::new();
        let mut sent = Vec::new();
        let mut junk_len = 0;
        for len in 0..=400 {
            let a = magic_and_junk(len, 1);
            let b = magic_and_junk(400 - len, 2);
            junk_len += a.len() + b.len();
            let request = match len % 3 {
                0 => Request::runlevel(b'0' + (len % 10) as u8, 3),
                1 => Request::setenv(&[&format!("INIT_N={len}")]).unwrap(),
                _ => Request::runlevel(b'u', 3),
            };
            match len % 4 {
                0 => [&a[..], &b, &request.encode()]
                    .iter()
                    .for_each(|w| stream.extend(*w)),
                1 => [&a[..], &request.encode(), &b]
                    .iter()
                    .for_each(|w| stream.extend(*w)),
                2 => [&request.encode()[..], &a, &b]
                    .iter()
                    .for_each(|w| stream.extend(*w)),
                _ => [&b[..], &request.encode(), &a]
                    .iter()
                    .for_each(|w| stream.extend(*w)),
            }
            sent.push(request);
        }
        let (got, junk) = frame_stream(&stream);
        // Junk of at least a packet after a magic, with no request inside
        // the packet, is handed on as a request (`unimplemented`), as
        // sysvinit reads it; every real request comes through, in order.
        let real: Vec<Request> = got.iter().filter(|r| r.is_well_formed()).cloned().collect();
        assert_eq!(real, sent);
        let odd = got.len() - real.len();
        assert_eq!(junk + odd * REQUEST_LEN, junk_len);
    }

    #[test]
    fn a_cut_packet_reads_only_what_completes_the_request_inside_it() {
        // `magic + 100 bytes`, then `telinit u` and `telinit 5` in the pipe.
        let junk = magic_and_junk(100, 3);
        let mut framer = Framer::new();
        let mut pipe = junk.clone();
        pipe.extend(Request::runlevel(b'u', 3).encode());
        pipe.extend(Request::runlevel(b'5', 3).encode());
        framer.space().copy_from_slice(&pipe[..REQUEST_LEN]);
        assert_eq!(
            framer.filled(REQUEST_LEN),
            Framed {
                request: None,
                junk: junk.len()
            }
        );
        // Exactly the rest of the `u`: the `5` stays in the pipe.
        assert_eq!(framer.space().len(), junk.len());
        framer
            .space()
            .copy_from_slice(&pipe[REQUEST_LEN..REQUEST_LEN + junk.len()]);
        assert_eq!(
            framer.filled(junk.len()).request,
            Some(Request::runlevel(b'u', 3))
        );
        assert_eq!(framer.space().len(), REQUEST_LEN);
    }

    #[test]
    fn a_cut_packet_left_incomplete_when_the_pipe_runs_dry_is_junk() {
        // Two pieces of `magic + junk`, nothing after them.
        let mut stream = magic_and_junk(200, 4);
        stream.extend(magic_and_junk(50, 5));
        assert_eq!(frame_stream(&stream), (vec![], stream.len()));
    }

    #[test]
    fn a_magic_beginning_at_the_end_of_odd_packet_is_kept() {
        // The request starts in the last 1 to 3 bytes of the packet that
        // begins with the junk's magic.
        for tail in 1..=3 {
            let mut stream = magic_and_junk(REQUEST_LEN - 4 - tail, 6);
            stream.extend(Request::runlevel(b'4', 3).encode());
            let (got, junk) = frame_stream(&stream);
            assert_eq!(got, [Request::runlevel(b'4', 3)], "tail {tail}");
            assert_eq!(junk, REQUEST_LEN - tail);
        }
    }

    #[test]
    fn a_well_formed_request_is_never_cut() {
        // SETENV data holding a whole request, magic and all, and a level
        // change with the magic as its sleep time: each read whole.
        let inner = Request::runlevel(b'0', 0).encode();
        let mut value = b"INIT_X=".to_vec();
        value.extend(
            inner
                .iter()
                .take(64)
                .map(|&b| if b == 0 { b'0' } else { b }),
        );
        let setenv = with_data(&value);
        assert!(setenv.is_well_formed());
        let odd_sleep = Request::runlevel(b'3', MAGIC as i32);
        assert!(odd_sleep.is_well_formed());
        let mut stream = setenv.encode().to_vec();
        stream.extend(odd_sleep.encode());
        assert_eq!(frame_stream(&stream), (vec![setenv, odd_sleep], 0));
    }

    #[test]
    fn an_odd_packet_with_no_magic_inside_is_handed_on_whole() {
        // An unknown command (init says `unimplemented`), a level change
        // from a writer that does not clear its data: as sysvinit reads them.
        let unknown = Request {
            cmd: 9,
            ..Request::runlevel(0, 0)
        };
        let mut untidy = Request::runlevel(b'2', 3);
        untidy.data[10..20].copy_from_slice(b"stack junk");
        let mut stream = unknown.encode().to_vec();
        stream.extend(untidy.encode());
        assert_eq!(frame_stream(&stream), (vec![unknown, untidy], 0));
    }

    #[test]
    fn unknown_commands_decode_as_is() {
        let mut r = Request::runlevel(b'3', 3);
        r.cmd = 9;
        r.runlevel = -1;
        r.sleeptime = i32::MIN;
        assert_eq!(Request::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn setenv_size_limit_matches_telinit() {
        // One string of n bytes uses n + 2 bytes: the largest is 366.
        let max = "I".repeat(DATA_LEN - 2);
        let r = Request::setenv(&[&max]).unwrap();
        assert_eq!(&r.data[DATA_LEN - 2..], &[0, 0]);
        assert_eq!(
            Request::setenv(&[&"I".repeat(DATA_LEN - 1)]),
            Err(DataTooLarge)
        );
        // Two strings: a + 1 + b + 1 + 1 <= 368.
        let a = "A".repeat(100);
        let b = "B".repeat(DATA_LEN - 103);
        assert!(Request::setenv(&[&a, &b]).is_ok());
        let b = "B".repeat(DATA_LEN - 102);
        assert_eq!(Request::setenv(&[&a, &b]), Err(DataTooLarge));
        // No strings at all still encodes a SETENV with empty data.
        let empty = Request::setenv(&[]).unwrap();
        assert_eq!(empty.cmd, CMD_SETENV);
        assert!(empty.env_changes().is_empty());
    }

    fn with_data(bytes: &[u8]) -> Request {
        let mut r = Request::setenv(&[]).unwrap();
        r.data[..bytes.len()].copy_from_slice(bytes);
        r
    }

    #[test]
    fn env_changes_edge_cases() {
        // Non-INIT_ names are ignored, the walk goes on after them.
        let r = with_data(b"PATH=/x\0INIT_A=1\0NOTINIT=x\0init_b=2\0INIT_C\0\0");
        assert_eq!(r.env_changes(), vec![set("INIT_A", "1"), unset("INIT_C")]);
        // The walk stops at the first empty string.
        let r = with_data(b"INIT_A=1\0\0INIT_B=2\0\0");
        assert_eq!(r.env_changes(), vec![set("INIT_A", "1")]);
        // Value keeps later '=' and may be empty; "INIT_" alone is a name.
        let r = with_data(b"INIT_X=a=b\0INIT_Y=\0INIT_=z\0");
        assert_eq!(
            r.env_changes(),
            vec![set("INIT_X", "a=b"), set("INIT_Y", ""), set("INIT_", "z")]
        );
        // A string running to the end of the data has no terminator: dropped.
        let mut r = with_data(b"INIT_A=1\0");
        r.data[9..].fill(b'x');
        r.data[9..14].copy_from_slice(b"INIT_");
        assert_eq!(r.env_changes(), vec![set("INIT_A", "1")]);
        let r = Request {
            data: [b'I'; DATA_LEN],
            ..r
        };
        assert!(r.env_changes().is_empty());
        // Data filled exactly: last string ends with the last byte.
        let mut r = with_data(b"");
        r.data.fill(b'v');
        r.data[..7].copy_from_slice(b"INIT_V=");
        r.data[DATA_LEN - 1] = 0;
        assert_eq!(
            r.env_changes(),
            vec![set("INIT_V", &"v".repeat(DATA_LEN - 8))]
        );
        // Not UTF-8: delivered byte for byte, in names and values.
        let r = with_data(b"INIT_U=\xff\xfe\x80=\0INIT_\xc3\0\0");
        let os = |bytes: &[u8]| OsStr::from_bytes(bytes).to_os_string();
        assert_eq!(
            r.env_changes(),
            vec![
                EnvChange::Set(os(b"INIT_U"), os(b"\xff\xfe\x80=")),
                EnvChange::Unset(os(b"INIT_\xc3")),
            ]
        );
    }

    #[test]
    fn send_missing_fifo_reports_strerror() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("initctl");
        let err = send(&fifo, &[Request::runlevel(b'3', 3)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: No such file or directory", fifo.display())
        );
    }

    #[test]
    fn send_writes_whole_requests_to_a_reader() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("initctl");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let reader_path = fifo.clone();
        let reader = std::thread::spawn(move || std::fs::read(reader_path).unwrap());
        let requests = [
            Request::setenv(&["INIT_HALT=HALT"]).unwrap(),
            Request::runlevel(b'0', 0),
        ];
        send(&fifo, &requests).unwrap();
        let bytes = reader.join().unwrap();
        assert_eq!(bytes, vector("shutdown-H-h-t0-now.bin"));
    }

    #[test]
    fn send_refuses_a_regular_file_in_the_fifos_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("initctl");
        std::fs::write(&path, b"keep").expect("file");
        let error = send(&path, &[Request::runlevel(b'3', 3)]).expect_err("not a fifo");
        assert_eq!(
            error.to_string(),
            format!("{} is not a fifo", path.display())
        );
        assert_eq!(std::fs::read(&path).expect("read"), b"keep");
    }

    #[test]
    fn send_without_reader_times_out_with_telinit_message() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("initctl");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let err = send(&fifo, &[Request::runlevel(b'3', 3)]).unwrap_err();
        assert!(matches!(err, SendError::Timeout { .. }));
        assert_eq!(
            err.to_string(),
            format!("timeout opening/writing control channel {}", fifo.display())
        );
    }
}
