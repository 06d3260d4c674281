//! utmp/wtmp records (docs/compatibility.md §5) and `/run/runlevel`.
//!
//! [`Recorder`] is what PID 1 writes with, following sysvinit's `utmp.c`:
//! each record goes to utmp (glibc `pututxline`, replacing) and to wtmp
//! (`updwtmpx`, appending), each only if the file is writable, and a
//! BOOT_TIME/RUN_LVL that could not be written is written late (§5.3).
//! Reading ([`Record`], [`read_runlevel`]) parses the 384-byte records
//! directly, so it never depends on glibc's global utmp state.
//!
//! Note for PID 1: glibc locks utmp/wtmp with `fcntl(F_SETLKW)` bounded by
//! its own `alarm()` and SIGALRM handler, restoring the caller's handler and
//! re-arming the caller's pending alarm afterwards (as for sysvinit, which
//! uses the same functions).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::time::{ClockId, clock_gettime};
use nix::unistd::{AccessFlags, access};

use crate::sys::utmpx::{self, Fields};
use crate::untrusted::{self, Kind};

pub(crate) const UTMP_PATH: &str = "/var/run/utmp";
pub(crate) const WTMP_PATH: &str = "/var/log/wtmp";
/// The current runlevel as one byte (docs/compatibility.md §5.4).
pub(crate) const RUNLEVEL_PATH: &str = "/var/run/runlevel";

/// Size of one glibc x86-64 `struct utmp` record.
pub const RECORD_LEN: usize = 384;

pub const RUN_LVL: i16 = 1;
pub const BOOT_TIME: i16 = 2;
pub const INIT_PROCESS: i16 = 5;
pub(crate) const LOGIN_PROCESS: i16 = 6;
pub const USER_PROCESS: i16 = 7;
pub const DEAD_PROCESS: i16 = 8;

/// One record as read from a file (docs/compatibility.md §5.1 offsets). Strings stop at the
/// first NUL; bytes that are not UTF-8 are replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub ut_type: i16,
    pub pid: i32,
    pub line: String,
    pub id: String,
    pub user: String,
    pub host: String,
    pub exit: (i16, i16),
    pub session: i32,
    pub tv_sec: i32,
    pub tv_usec: i32,
}

impl Record {
    pub(crate) fn parse(bytes: &[u8; RECORD_LEN]) -> Record {
        // The offsets are constants inside the record, so the `get`s always
        // succeed; they keep the reader panic-free by construction.
        let text = |from: usize, len: usize| {
            let field = bytes.get(from..from + len).unwrap_or_default();
            let text = field.split(|&b| b == 0).next().unwrap_or_default();
            String::from_utf8_lossy(text).into_owned()
        };
        let i16_at = |at: usize| {
            let word = bytes.get(at..).and_then(<[u8]>::first_chunk);
            word.map_or(0, |word| i16::from_ne_bytes(*word))
        };
        let i32_at = |at: usize| {
            let word = bytes.get(at..).and_then(<[u8]>::first_chunk);
            word.map_or(0, |word| i32::from_ne_bytes(*word))
        };
        Record {
            ut_type: i16_at(0),
            pid: i32_at(4),
            line: text(8, 32),
            id: text(40, 4),
            user: text(44, 32),
            host: text(76, 256),
            exit: (i16_at(332), i16_at(334)),
            session: i32_at(336),
            tv_sec: i32_at(340),
            tv_usec: i32_at(344),
        }
    }

    /// Every whole record of a utmp or wtmp file, in order (a partial
    /// trailing record is ignored, as readers do).
    pub fn read_all(path: &Path) -> io::Result<Vec<Record>> {
        let mut bytes = Vec::new();
        untrusted::open_capped(path, MAX_UTMP_BYTES, true)
            .map_err(|refused| io::Error::other(refused.to_string()))?
            .file
            .take(MAX_UTMP_BYTES)
            .read_to_end(&mut bytes)?;
        Ok(bytes
            .chunks_exact(RECORD_LEN)
            .filter_map(|chunk| chunk.try_into().ok().map(Record::parse))
            .collect())
    }
}

/// The most bytes of a utmp file [`Record::read_all`] reads: 16 MiB, some
/// 43,000 records (the group `utmp` may write the file, so its size is not
/// init's to trust).
const MAX_UTMP_BYTES: u64 = 16 << 20;

/// The first RUN_LVL record of a utmp file as `(previous, current)` level
/// bytes (`ut_pid / 256`, `ut_pid % 256`), as `runlevel` and `halt` read it.
/// A previous level of 0 is returned as 0 (callers print it as `N`).
pub fn read_runlevel(utmp: &Path) -> Option<(u8, u8)> {
    let records = Record::read_all(utmp).ok()?;
    let record = records.iter().find(|r| r.ut_type == RUN_LVL)?;
    let [current, previous, ..] = record.pid.to_le_bytes();
    Some((previous, current))
}

/// Writes `/var/run/runlevel` (or `path`): the level byte, no newline,
/// like sysvinit's `fopen(…, "w")` + `fputc`.
pub fn write_runlevel_file(path: &Path, level: u8) -> io::Result<()> {
    File::create(path)?.write_all(&[level])
}

/// The first byte of `/var/run/runlevel` (or `path`), if there is one.
pub fn read_runlevel_file(path: &Path) -> Option<u8> {
    let mut byte = [0u8; 1];
    let opened = untrusted::open(path, Kind::PidFile).ok()?;
    match (&opened.file).read(&mut byte) {
        Ok(1) => Some(byte[0]),
        _ => None,
    }
}

/// Appends the record `halt`/`reboot`/`shutdown -n` leave in wtmp: RUN_LVL,
/// pid 0, id `~~`, user `shutdown`, line `~~`, host = kernel release.
/// Nothing happens if `wtmp` is missing or not writable.
pub fn write_shutdown_record(wtmp: &Path) {
    if let Some(wtmp) = writable(wtmp) {
        append_wtmp(&wtmp, RUN_LVL, 0, b"~~", b"shutdown", b"~~");
    }
}

/// `path` as a C string if `access(path, W_OK)` succeeds.
fn writable(path: &Path) -> Option<CString> {
    let path = CString::new(path.as_os_str().as_bytes()).ok()?;
    access(path.as_c_str(), AccessFlags::W_OK).ok()?;
    Some(path)
}

fn now() -> (i32, i32) {
    // The record holds 32-bit seconds, as glibc's x86-64 `struct utmp` does.
    clock_gettime(ClockId::CLOCK_REALTIME)
        .map(|t| (t.tv_sec() as i32, (t.tv_nsec() / 1000) as i32))
        .unwrap_or((0, 0))
}

fn append_wtmp(wtmp: &CString, ut_type: i16, pid: i32, id: &[u8], user: &[u8], line: &[u8]) {
    let (tv_sec, tv_usec) = now();
    // In wtmp the host field carries the kernel release (sysvinit does this
    // for `last`'s "system boot" column).
    let uname = nix::sys::utsname::uname().ok();
    let release = uname
        .as_ref()
        .map(|u| u.release().as_bytes())
        .unwrap_or(b"");
    utmpx::append_wtmp(
        wtmp,
        &Fields {
            ut_type,
            pid,
            id,
            user,
            line,
            host: release,
            tv_sec,
            tv_usec,
        },
    );
}

/// Which BOOT_TIME/RUN_LVL records still have to be written late because
/// their file was not writable at the time (sysvinit's `wrote_*` flags,
/// inverted: `true` means owed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Owed {
    utmp_boot: bool,
    wtmp_boot: bool,
    utmp_level: bool,
    wtmp_level: bool,
}

/// Which of the two files a record goes to.
#[derive(Debug, Clone, Copy)]
enum Log {
    Utmp,
    Wtmp,
}

impl Owed {
    fn boot(&mut self, file: Log) -> &mut bool {
        match file {
            Log::Utmp => &mut self.utmp_boot,
            Log::Wtmp => &mut self.wtmp_boot,
        }
    }

    fn level(&mut self, file: Log) -> &mut bool {
        match file {
            Log::Utmp => &mut self.utmp_level,
            Log::Wtmp => &mut self.wtmp_level,
        }
    }
}

/// PID 1's utmp/wtmp writer. Holds the file paths (as C strings, so writing
/// allocates nothing and works in a forked child), which boot/runlevel
/// records are still owed, and the current/previous level for a late
/// RUN_LVL record.
#[derive(Debug, Clone)]
pub struct Recorder {
    utmp: CString,
    wtmp: CString,
    owed: Owed,
    this_level: u8,
    prev_level: u8,
}

impl Default for Recorder {
    /// `/var/run/utmp` and `/var/log/wtmp`.
    fn default() -> Recorder {
        Recorder::new(Path::new(UTMP_PATH), Path::new(WTMP_PATH))
    }
}

impl Recorder {
    /// A recorder for these files. Paths with a NUL byte cannot exist; such
    /// a file is simply never writable.
    pub fn new(utmp: &Path, wtmp: &Path) -> Recorder {
        let c_path = |p: &Path| CString::new(p.as_os_str().as_bytes()).unwrap_or_default();
        Recorder {
            utmp: c_path(utmp),
            wtmp: c_path(wtmp),
            owed: Owed::default(),
            // sysvinit starts with thislevel 'S', prevlevel 'N'.
            this_level: b'S',
            prev_level: b'N',
        }
    }

    /// Empties (or creates) utmp at boot: `open(O_WRONLY|O_CREAT|O_TRUNC,
    /// 0644)`. Failure (read-only `/var`) is normal early in boot.
    pub fn reset_utmp(&self) -> io::Result<()> {
        let path = Path::new(std::ffi::OsStr::from_bytes(self.utmp.as_bytes()));
        #[allow(
            clippy::disallowed_methods,
            reason = "init's own file, created at boot; never blocks, never a terminal"
        )]
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map(drop)
    }

    /// The boot record (end of sysinit): BOOT_TIME, pid 0, `~~`, `reboot`,
    /// line `~`, to both files.
    pub fn boot(&mut self) {
        self.owed.utmp_boot = true;
        self.owed.wtmp_boot = true;
        let mut owed = self.owed;
        self.write_both(&mut owed, BOOT_TIME, 0, b"~~", b"reboot", b"~");
        self.owed = owed;
    }

    /// A level change `old` → `new` (level bytes such as `b'N'`, `b'3'`,
    /// `b'S'`): RUN_LVL, pid `new + 256 * old`, `~~`, `runlevel`, line `~`.
    pub fn runlevel(&mut self, new: u8, old: u8) {
        self.owed.utmp_level = true;
        self.owed.wtmp_level = true;
        let mut owed = self.owed;
        let pid = i32::from(new) + 256 * i32::from(old);
        self.write_both(&mut owed, RUN_LVL, pid, b"~~", b"runlevel", b"~");
        self.owed = owed;
        self.this_level = new;
        self.prev_level = old;
    }

    /// INIT_PROCESS for inittab entry `id` started as `pid`. sysvinit writes
    /// it in the child before exec (so a getty finds it); this takes `&self`
    /// and allocates nothing, so it is safe to call right after `fork` in a
    /// single-threaded parent. Owed boot/level records are written first,
    /// as the child's copy of sysvinit's flags would.
    pub fn init_process(&self, id: &str, pid: i32) {
        let mut owed = self.owed;
        self.write_both(&mut owed, INIT_PROCESS, pid, id.as_bytes(), b"", b"");
    }

    /// DEAD_PROCESS for entry `id` whose process `pid` ended; `ut_line` is
    /// taken from the utmp record with this id (e.g. the tty a getty set).
    pub fn dead_process(&mut self, id: &str, pid: i32) {
        let mut owed = self.owed;
        self.write_both(&mut owed, DEAD_PROCESS, pid, id.as_bytes(), b"", b"");
        self.owed = owed;
    }

    /// sysvinit's `redo_utmp_wtmp`, called when entering levels 2–5: if
    /// utmp is missing or empty both records are owed to it again; then any
    /// owed BOOT_TIME and RUN_LVL (current levels) are written to both files.
    /// (3.06 tests `wrote_wtmp_rlevel` twice; the intended utmp check is
    /// used here, as later releases do, so an emptied utmp gets its RUN_LVL.)
    pub(crate) fn redo(&mut self) {
        let utmp = Path::new(std::ffi::OsStr::from_bytes(self.utmp.as_bytes()));
        if std::fs::metadata(utmp).map_or(true, |m| m.len() == 0) {
            self.owed.utmp_boot = true;
            self.owed.utmp_level = true;
        }
        if self.owed.utmp_boot || self.owed.wtmp_boot {
            self.boot();
        }
        if self.owed.utmp_level || self.owed.wtmp_level {
            self.runlevel(self.this_level, self.prev_level);
        }
    }

    /// True while a BOOT_TIME or RUN_LVL record is owed to either file.
    pub(crate) fn owes_records(&self) -> bool {
        self.owed != Owed::default()
    }

    /// sysvinit's `write_utmp_wtmp`: utmp first (learning the old line for
    /// DEAD_PROCESS), then wtmp with that line.
    fn write_both(
        &self,
        owed: &mut Owed,
        ut_type: i16,
        pid: i32,
        id: &[u8],
        user: &[u8],
        line: &[u8],
    ) {
        let old_line = self.write_to(Log::Utmp, owed, ut_type, pid, id, user, line);
        let line = if line.is_empty() { &old_line[..] } else { line };
        self.write_to(Log::Wtmp, owed, ut_type, pid, id, user, line);
    }

    /// Writes one record to utmp or wtmp, first any BOOT_TIME/RUN_LVL
    /// record still owed to that file (sysvinit's rule, the same for both).
    /// Returns the line of the replaced utmp record for DEAD_PROCESS (else
    /// empty).
    #[allow(clippy::too_many_arguments)]
    fn write_to(
        &self,
        file: Log,
        owed: &mut Owed,
        ut_type: i16,
        pid: i32,
        id: &[u8],
        user: &[u8],
        line: &[u8],
    ) -> [u8; utmpx::LINE_LEN] {
        let mut old_line = [0u8; utmpx::LINE_LEN];
        let path = match file {
            Log::Utmp => &self.utmp,
            Log::Wtmp => &self.wtmp,
        };
        if access(path.as_c_str(), AccessFlags::W_OK).is_err() {
            return old_line;
        }
        if ut_type == BOOT_TIME {
            *owed.boot(file) = false;
        }
        if *owed.boot(file) && ut_type != BOOT_TIME {
            self.write_to(file, owed, BOOT_TIME, 0, b"~~", b"reboot", b"~");
        }
        if ut_type == RUN_LVL {
            *owed.level(file) = false;
        }
        if *owed.level(file) && ut_type != RUN_LVL {
            let pid = i32::from(self.this_level) + 256 * i32::from(self.prev_level);
            self.write_to(file, owed, RUN_LVL, pid, b"~~", b"runlevel", b"~");
        }
        match file {
            Log::Utmp => {
                let (tv_sec, tv_usec) = now();
                let fields = Fields {
                    ut_type,
                    pid,
                    id,
                    user,
                    line,
                    host: b"",
                    tv_sec,
                    tv_usec,
                };
                if ut_type == DEAD_PROCESS {
                    let path = Path::new(std::ffi::OsStr::from_bytes(self.utmp.as_bytes()));
                    old_line = match replace_process_record(path, &fields) {
                        Some(line) => line,
                        None => utmpx::put_utmp(&self.utmp, &fields, true),
                    };
                } else {
                    utmpx::put_utmp(&self.utmp, &fields, false);
                }
            }
            Log::Wtmp => append_wtmp(&self.wtmp, ut_type, pid, id, user, line),
        }
        old_line
    }
}

/// Records read at a time by [`replace_process_record`] (6 KiB, on the
/// stack: a heap block of 64 KiB, zeroed on every exit, kept PID 1's heap
/// that much larger for good, and a system call reads 16 records as fast
/// as 170 where utmp holds a few dozen).
const SCAN_RECORDS: usize = 16;

/// The bytes of a C string field: up to its first NUL.
fn c_field(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or_default()
}

/// `fields` as the 384 bytes of a record (docs/compatibility.md §5.1 offsets), strings
/// truncated and NUL-padded as [`utmpx`] copies them.
fn encode_record(fields: &Fields, line: &[u8]) -> [u8; RECORD_LEN] {
    let mut record = [0u8; RECORD_LEN];
    let mut put = |at: usize, len: usize, bytes: &[u8]| {
        if let Some(field) = record.get_mut(at..at + len) {
            for (slot, byte) in field.iter_mut().zip(bytes) {
                *slot = *byte;
            }
        }
    };
    put(0, 2, &fields.ut_type.to_ne_bytes());
    put(4, 4, &fields.pid.to_ne_bytes());
    put(8, utmpx::LINE_LEN, c_field(line));
    put(40, 4, c_field(fields.id));
    put(44, 32, c_field(fields.user));
    put(76, 256, c_field(fields.host));
    put(340, 4, &fields.tv_sec.to_ne_bytes());
    put(344, 4, &fields.tv_usec.to_ne_bytes());
    record
}

/// Does what `getutxid` + `pututxline` do for a DEAD_PROCESS record whose
/// id has a record already (the entry's INIT_PROCESS, or what a getty or
/// login made of it): replaces the first INIT/LOGIN/USER/DEAD_PROCESS
/// record with that id, keeping its `ut_line`, which is returned. glibc
/// reads utmp one record per system call, twice here, so with thousands of
/// entries every process that ended cost PID 1 about a millisecond; this
/// reads the file in 64 KiB blocks, under the same `fcntl` write lock glibc
/// takes. `None` (nothing written) when the file is locked by someone else
/// or has no such record: the caller then uses glibc, which waits for the
/// lock and appends.
fn replace_process_record(utmp: &Path, fields: &Fields) -> Option<[u8; utmpx::LINE_LEN]> {
    use nix::fcntl::{FcntlArg, fcntl};
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::FileExt;

    #[allow(
        clippy::disallowed_methods,
        reason = "init's own utmp, opened read-write to replace a record; checked to be a regular file"
    )]
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(utmp)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let lock = libc::flock {
        l_type: libc::F_WRLCK as i16,
        l_whence: libc::SEEK_SET as i16,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    // Released when `file` is closed.
    fcntl(file.as_raw_fd(), FcntlArg::F_SETLK(&lock)).ok()?;
    let id = c_field(fields.id);
    let mut block = [0u8; SCAN_RECORDS * RECORD_LEN];
    let mut offset = 0u64;
    loop {
        let read = file.read_at(&mut block, offset).ok()?;
        let whole = read - read % RECORD_LEN;
        let records = block.get(..whole)?.chunks_exact(RECORD_LEN);
        for (index, record) in records.enumerate() {
            let Ok(record): Result<&[u8; RECORD_LEN], _> = record.try_into() else {
                return None;
            };
            let ut_type = i16::from_ne_bytes([record[0], record[1]]);
            let process = matches!(
                ut_type,
                INIT_PROCESS | LOGIN_PROCESS | USER_PROCESS | DEAD_PROCESS
            );
            if process && c_field(&record[40..44]) == id {
                let mut line = [0u8; utmpx::LINE_LEN];
                line.copy_from_slice(&record[8..8 + utmpx::LINE_LEN]);
                let at = offset + (index * RECORD_LEN) as u64;
                file.write_all_at(&encode_record(fields, &line), at).ok()?;
                return Some(line);
            }
        }
        if whole < block.len() {
            return None;
        }
        offset += whole as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    struct Files {
        _dir: tempfile::TempDir,
        utmp: PathBuf,
        wtmp: PathBuf,
    }

    /// A temp dir with an empty utmp and, if `with_wtmp`, an empty wtmp.
    fn files(with_wtmp: bool) -> Files {
        let dir = tempfile::tempdir().unwrap();
        let utmp = dir.path().join("utmp");
        let wtmp = dir.path().join("wtmp");
        File::create(&utmp).unwrap();
        if with_wtmp {
            File::create(&wtmp).unwrap();
        }
        Files {
            _dir: dir,
            utmp,
            wtmp,
        }
    }

    fn records(path: &Path) -> Vec<Record> {
        Record::read_all(path).unwrap()
    }

    fn release() -> String {
        nix::sys::utsname::uname()
            .unwrap()
            .release()
            .to_string_lossy()
            .into_owned()
    }

    /// (type, pid, id, user, line) of each record.
    fn summary(path: &Path) -> Vec<(i16, i32, String, String, String)> {
        records(path)
            .into_iter()
            .map(|r| (r.ut_type, r.pid, r.id, r.user, r.line))
            .collect()
    }

    fn row(
        t: i16,
        pid: i32,
        id: &str,
        user: &str,
        line: &str,
    ) -> (i16, i32, String, String, String) {
        (t, pid, id.into(), user.into(), line.into())
    }

    fn field(bytes: &[u8], record: usize, offset: usize, len: usize) -> &[u8] {
        &bytes[record * RECORD_LEN + offset..record * RECORD_LEN + offset + len]
    }

    fn padded(text: &[u8], len: usize) -> Vec<u8> {
        let mut v = text.to_vec();
        v.resize(len, 0);
        v
    }

    #[test]
    fn boot_and_runlevel_bytes_at_spec_offsets() {
        let f = files(true);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        let before = now().0;
        rec.boot();
        rec.runlevel(b'3', b'N');
        let after = now().0;

        let bytes = std::fs::read(&f.utmp).unwrap();
        assert_eq!(bytes.len(), 2 * RECORD_LEN);
        // BOOT_TIME
        assert_eq!(field(&bytes, 0, 0, 4), &[2, 0, 0, 0]);
        assert_eq!(field(&bytes, 0, 4, 4), &0i32.to_le_bytes());
        assert_eq!(field(&bytes, 0, 8, 32), padded(b"~", 32));
        assert_eq!(field(&bytes, 0, 40, 4), padded(b"~~", 4));
        assert_eq!(field(&bytes, 0, 44, 32), padded(b"reboot", 32));
        assert_eq!(
            field(&bytes, 0, 76, 256),
            padded(b"", 256),
            "utmp host empty"
        );
        assert_eq!(field(&bytes, 0, 332, 8), &[0; 8], "exit and session zero");
        let sec = i32::from_le_bytes(field(&bytes, 0, 340, 4).try_into().unwrap());
        assert!((before..=after).contains(&sec));
        let usec = i32::from_le_bytes(field(&bytes, 0, 344, 4).try_into().unwrap());
        assert!((0..1_000_000).contains(&usec));
        assert_eq!(
            field(&bytes, 0, 348, 36),
            &[0; 36],
            "addr and reserved zero"
        );
        // RUN_LVL N -> 3 = 0x4E33
        assert_eq!(field(&bytes, 1, 0, 4), &[1, 0, 0, 0]);
        assert_eq!(field(&bytes, 1, 4, 4), &0x4E33i32.to_le_bytes());
        assert_eq!(field(&bytes, 1, 8, 32), padded(b"~", 32));
        assert_eq!(field(&bytes, 1, 40, 4), padded(b"~~", 4));
        assert_eq!(field(&bytes, 1, 44, 32), padded(b"runlevel", 32));

        // wtmp: same records, host = kernel release.
        let wbytes = std::fs::read(&f.wtmp).unwrap();
        assert_eq!(wbytes.len(), 2 * RECORD_LEN);
        for i in 0..2 {
            assert_eq!(field(&wbytes, i, 0, 76), field(&bytes, i, 0, 76));
            assert_eq!(
                field(&wbytes, i, 76, 256),
                padded(release().as_bytes(), 256)
            );
        }
    }

    #[test]
    fn runlevel_replaces_in_utmp_and_appends_in_wtmp() {
        let f = files(true);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        rec.boot();
        rec.runlevel(b'3', b'N');
        rec.runlevel(b'5', b'3');
        rec.runlevel(b'S', b'5');
        rec.boot();
        assert_eq!(
            summary(&f.utmp),
            vec![
                row(BOOT_TIME, 0, "~~", "reboot", "~"),
                row(RUN_LVL, 0x3553, "~~", "runlevel", "~"),
            ]
        );
        let pids: Vec<i32> = records(&f.wtmp).iter().map(|r| r.pid).collect();
        assert_eq!(pids, vec![0, 0x4E33, 0x3335, 0x3553, 0]);
        assert_eq!(read_runlevel(&f.utmp), Some((b'5', b'S')));
        assert!(!rec.owes_records());
    }

    #[test]
    fn process_records_replace_by_id_and_dead_keeps_the_line() {
        let f = files(true);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        rec.boot();
        rec.runlevel(b'2', b'N');
        rec.init_process("1", 100);
        rec.init_process("2", 101);
        // A getty turns its INIT_PROCESS into a LOGIN_PROCESS on tty1.
        let (tv_sec, tv_usec) = now();
        utmpx::put_utmp(
            &CString::new(f.utmp.as_os_str().as_bytes()).unwrap(),
            &Fields {
                ut_type: LOGIN_PROCESS,
                pid: 100,
                id: b"1",
                user: b"LOGIN",
                line: b"tty1",
                host: b"",
                tv_sec,
                tv_usec,
            },
            false,
        );
        rec.dead_process("1", 100);
        rec.dead_process("2", 101);
        // Respawned entry 1 reuses the DEAD_PROCESS slot of its id.
        rec.init_process("1", 102);
        assert_eq!(
            summary(&f.utmp),
            vec![
                row(BOOT_TIME, 0, "~~", "reboot", "~"),
                row(RUN_LVL, 0x4E32, "~~", "runlevel", "~"),
                row(INIT_PROCESS, 102, "1", "", ""),
                row(DEAD_PROCESS, 101, "2", "", ""),
            ]
        );
        assert_eq!(
            summary(&f.wtmp),
            vec![
                row(BOOT_TIME, 0, "~~", "reboot", "~"),
                row(RUN_LVL, 0x4E32, "~~", "runlevel", "~"),
                row(INIT_PROCESS, 100, "1", "", ""),
                row(INIT_PROCESS, 101, "2", "", ""),
                row(DEAD_PROCESS, 100, "1", "", "tty1"),
                row(DEAD_PROCESS, 101, "2", "", ""),
                row(INIT_PROCESS, 102, "1", "", ""),
            ]
        );
    }

    /// The block-reading replacement writes exactly what glibc's
    /// `getutxid` + `pututxline` write, wherever the record is; without a
    /// record for the id it leaves the appending to glibc.
    #[test]
    fn dead_record_replacement_matches_glibc_byte_for_byte() {
        let f = files(false);
        let c_path = |path: &Path| CString::new(path.as_os_str().as_bytes()).unwrap();
        let record = |ut_type, pid, id: &'static [u8], user: &'static [u8], line| Fields {
            ut_type,
            pid,
            id,
            user,
            line,
            host: b"",
            tv_sec: 1_700_000_000,
            tv_usec: 5,
        };
        // More records than one block holds; ids as the scale test has them.
        let ids: Vec<String> = (0..400).map(|i| i.to_string()).collect();
        for (i, id) in ids.iter().enumerate() {
            let id: &'static [u8] = Box::leak(id.clone().into_bytes().into_boxed_slice());
            utmpx::put_utmp(
                &c_path(&f.utmp),
                &record(INIT_PROCESS, i as i32, id, b"", b""),
                false,
            );
        }
        utmpx::put_utmp(
            &c_path(&f.utmp),
            &record(LOGIN_PROCESS, 399, b"399", b"LOGIN", b"ttyS9"),
            false,
        );
        let copy = f.utmp.with_extension("glibc");
        for (id, pid) in [(&b"3"[..], 3), (b"250", 250), (b"399", 399), (b"3", 3)] {
            let dead = record(DEAD_PROCESS, pid, id, b"", b"");
            std::fs::copy(&f.utmp, &copy).unwrap();
            let line = replace_process_record(&f.utmp, &dead).expect("a record with this id");
            let glibc_line = utmpx::put_utmp(&c_path(&copy), &dead, true);
            assert_eq!(line, glibc_line);
            let (ours, theirs) = (
                std::fs::read(&f.utmp).unwrap(),
                std::fs::read(&copy).unwrap(),
            );
            let differ = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            assert!(
                differ.is_none() && ours.len() == theirs.len(),
                "id {id:?}: first difference at byte {differ:?}, lengths {} and {}",
                ours.len(),
                theirs.len()
            );
        }
        assert_eq!(&summary(&f.utmp)[399].4, "ttyS9");
        let unknown = record(DEAD_PROCESS, 9, b"zz", b"", b"");
        let before = std::fs::read(&f.utmp).unwrap();
        assert_eq!(replace_process_record(&f.utmp, &unknown), None);
        assert_eq!(std::fs::read(&f.utmp).unwrap(), before);
    }

    #[test]
    fn dead_process_line_lands_in_utmp_too() {
        let f = files(false);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        let (tv_sec, tv_usec) = now();
        utmpx::put_utmp(
            &CString::new(f.utmp.as_os_str().as_bytes()).unwrap(),
            &Fields {
                ut_type: USER_PROCESS,
                pid: 7,
                id: b"tty2",
                user: b"root",
                line: b"tty2",
                host: b"",
                tv_sec,
                tv_usec,
            },
            false,
        );
        rec.dead_process("tty2", 7);
        assert_eq!(
            summary(&f.utmp),
            vec![row(DEAD_PROCESS, 7, "tty2", "", "tty2")]
        );
    }

    #[test]
    fn wtmp_is_never_created_and_missing_utmp_is_not_either() {
        let dir = tempfile::tempdir().unwrap();
        let utmp = dir.path().join("utmp");
        let wtmp = dir.path().join("wtmp");
        let mut rec = Recorder::new(&utmp, &wtmp);
        rec.boot();
        rec.runlevel(b'3', b'N');
        rec.init_process("x", 5);
        rec.dead_process("x", 5);
        write_shutdown_record(&wtmp);
        assert!(!utmp.exists());
        assert!(!wtmp.exists());
    }

    #[test]
    fn records_beyond_the_first_scan_block_are_replaced() {
        let f = files(false);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        // More entries than two scan blocks hold; the ones looked for sit
        // at the start of the second block and in the third.
        let count = 2 * SCAN_RECORDS + 5;
        for n in 0..count {
            rec.init_process(&format!("e{n}"), 1000 + n as i32);
        }
        for n in [SCAN_RECORDS, count - 1] {
            rec.dead_process(&format!("e{n}"), 1000 + n as i32);
        }
        let rows = summary(&f.utmp);
        assert_eq!(rows.len(), count, "replaced in place, nothing appended");
        for (n, row) in rows.iter().enumerate() {
            let expected = if n == SCAN_RECORDS || n == count - 1 {
                DEAD_PROCESS
            } else {
                INIT_PROCESS
            };
            assert_eq!((row.0, row.1), (expected, 1000 + n as i32), "record {n}");
        }
    }

    #[test]
    fn owed_boot_and_runlevel_are_written_before_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let utmp = dir.path().join("utmp");
        let wtmp = dir.path().join("wtmp");
        let mut rec = Recorder::new(&utmp, &wtmp);
        // Read-only /var at boot: nothing can be written.
        rec.boot();
        rec.runlevel(b'2', b'N');
        assert!(rec.owes_records());
        // /var becomes writable (bootmisc.sh recreates utmp).
        File::create(&utmp).unwrap();
        File::create(&wtmp).unwrap();
        rec.init_process("g1", 42);
        let expected = vec![
            row(RUN_LVL, 0x4E32, "~~", "runlevel", "~"),
            row(BOOT_TIME, 0, "~~", "reboot", "~"),
            row(INIT_PROCESS, 42, "g1", "", ""),
        ];
        assert_eq!(summary(&utmp), expected);
        assert_eq!(summary(&wtmp), expected);
        // init_process ran "in the child": the parent still owes them.
        assert!(rec.owes_records());
        rec.dead_process("g1", 42);
        assert!(!rec.owes_records());
        assert_eq!(summary(&utmp)[2], row(DEAD_PROCESS, 42, "g1", "", ""));
        // The parent's late write appended them again to wtmp, as sysvinit does.
        assert_eq!(summary(&wtmp).len(), 6);
    }

    #[test]
    fn redo_rewrites_records_into_an_emptied_utmp() {
        let f = files(true);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        rec.boot();
        rec.runlevel(b'2', b'N');
        rec.redo();
        assert_eq!(records(&f.wtmp).len(), 2, "nothing owed, nothing written");
        // bootmisc.sh truncates utmp during rcS.
        File::create(&f.utmp).unwrap();
        rec.redo();
        // sysvinit's order: the owed RUN_LVL goes in before the BOOT_TIME
        // that triggered it.
        assert_eq!(
            summary(&f.utmp),
            vec![
                row(RUN_LVL, 0x4E32, "~~", "runlevel", "~"),
                row(BOOT_TIME, 0, "~~", "reboot", "~"),
            ]
        );
        // wtmp owed nothing but gets the BOOT_TIME redo writes to both files.
        let wtmp = summary(&f.wtmp);
        assert_eq!(wtmp.len(), 3);
        assert_eq!(wtmp[2], row(BOOT_TIME, 0, "~~", "reboot", "~"));
        assert!(!rec.owes_records());
    }

    #[test]
    fn shutdown_record_goes_to_wtmp_only() {
        let f = files(true);
        write_shutdown_record(&f.wtmp);
        let r = &records(&f.wtmp)[0];
        assert_eq!(
            (
                r.ut_type,
                r.pid,
                r.id.as_str(),
                r.user.as_str(),
                r.line.as_str()
            ),
            (RUN_LVL, 0, "~~", "shutdown", "~~")
        );
        assert_eq!(r.host, release());
        assert!(records(&f.utmp).is_empty());
    }

    #[test]
    fn reset_utmp_truncates_and_creates_0644() {
        use std::os::unix::fs::PermissionsExt;
        let f = files(true);
        let mut rec = Recorder::new(&f.utmp, &f.wtmp);
        rec.boot();
        rec.reset_utmp().unwrap();
        assert_eq!(std::fs::metadata(&f.utmp).unwrap().len(), 0);
        std::fs::remove_file(&f.utmp).unwrap();
        rec.reset_utmp().unwrap();
        let mode = std::fs::metadata(&f.utmp).unwrap().permissions().mode() & 0o777;
        // 0644 less the umask, which never adds bits.
        assert_eq!(mode & !0o644, 0);
        let bad = Recorder::new(Path::new("/nonexistent-dir/utmp"), &f.wtmp);
        assert!(bad.reset_utmp().is_err());
    }

    #[test]
    fn read_runlevel_takes_the_first_run_lvl_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("utmp");
        let mut bytes = Vec::new();
        for (t, pid) in [(BOOT_TIME, 0), (RUN_LVL, 0x5333), (RUN_LVL, 0x3335)] {
            let mut r = [0u8; RECORD_LEN];
            r[..2].copy_from_slice(&t.to_le_bytes());
            r[4..8].copy_from_slice(&i32::to_le_bytes(pid));
            bytes.extend_from_slice(&r);
        }
        bytes.extend_from_slice(&[1, 0, 0]); // partial record ignored
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_runlevel(&path), Some((b'S', b'3')));
        std::fs::write(&path, &bytes[..RECORD_LEN]).unwrap();
        assert_eq!(read_runlevel(&path), None);
        assert_eq!(read_runlevel(&dir.path().join("missing")), None);
        // Previous 0 is reported as 0.
        let mut r = [0u8; RECORD_LEN];
        r[0] = 1;
        r[4] = b'3';
        std::fs::write(&path, r).unwrap();
        assert_eq!(read_runlevel(&path), Some((0, b'3')));
    }

    #[test]
    fn runlevel_file_is_one_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runlevel");
        assert_eq!(read_runlevel_file(&path), None);
        write_runlevel_file(&path, b'*').unwrap();
        write_runlevel_file(&path, b'3').unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"3");
        assert_eq!(read_runlevel_file(&path), Some(b'3'));
        std::fs::write(&path, b"").unwrap();
        assert_eq!(read_runlevel_file(&path), None);
    }
}
