//! glibc's utmpx functions (`utmpxname`, `setutxent`, `getutxid`,
//! `pututxline`, `endutxent`, `updwtmpx`), the way sysvinit's `utmp.c` calls
//! them. glibc's `pututxline` gives the replacement rules of docs/compatibility.md §5.2 and
//! `updwtmpx` the locked, partial-record-repairing append to wtmp.
//!
//! musl's utmpx functions (the small build's C library) are stubs that do
//! nothing, so that build writes no utmp or wtmp records.
//!
//! glibc keeps the selected file and an open descriptor in global state, so
//! every call here holds `LOCK` from `utmpxname` to `endutxent`. The
//! functions allocate nothing themselves, so they are safe in a forked child
//! of a single-threaded parent (where the lock cannot be held by anyone).

// The libc crate marks musl's stubs deprecated; calling them is harmless.
#![cfg_attr(target_env = "musl", allow(deprecated))]

use std::ffi::CStr;
use std::sync::Mutex;

use libc::{c_char, c_int, utmpx};

unsafe extern "C" {
    // glibc has it; the libc crate does not declare it for linux-gnu.
    fn updwtmpx(wtmp_file: *const c_char, ut: *const utmpx);
}

static LOCK: Mutex<()> = Mutex::new(());

/// The fields sysvinit fills in; everything else is zero. Strings are
/// truncated to their field and NUL-padded, like `strncpy`.
pub(crate) struct Fields<'a> {
    pub ut_type: i16,
    pub pid: i32,
    pub id: &'a [u8],
    pub user: &'a [u8],
    pub line: &'a [u8],
    pub host: &'a [u8],
    pub tv_sec: i32,
    pub tv_usec: i32,
}

/// The size of `ut_line`, for callers that keep a copied line.
pub(crate) const LINE_LEN: usize = 32;

fn copy_field(dst: &mut [c_char], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter().take_while(|&&b| b != 0)) {
        *d = *s as c_char;
    }
}

fn to_record(fields: &Fields) -> utmpx {
    // SAFETY: utmpx is plain old data (integers and char arrays); all-zero
    // is the memset sysvinit starts from.
    let mut ut: utmpx = unsafe { std::mem::zeroed() };
    ut.ut_type = fields.ut_type;
    ut.ut_pid = fields.pid;
    copy_field(&mut ut.ut_id, fields.id);
    copy_field(&mut ut.ut_user, fields.user);
    copy_field(&mut ut.ut_line, fields.line);
    copy_field(&mut ut.ut_host, fields.host);
    // glibc's utmpx has 32-bit times (the file format), musl's 64-bit ones.
    ut.ut_tv.tv_sec = fields.tv_sec as _;
    ut.ut_tv.tv_usec = fields.tv_usec as _;
    ut
}

/// Writes `fields` into the utmp file `file` with `pututxline` (replacing
/// the matching record, else appending). With `line_from_existing` (for
/// DEAD_PROCESS), `ut_line` is first taken from the existing record that
/// `getutxid` finds for this type and id. Returns the `ut_line` written.
/// Errors are ignored, as sysvinit does.
pub(crate) fn put_utmp(file: &CStr, fields: &Fields, line_from_existing: bool) -> [u8; LINE_LEN] {
    let mut ut = to_record(fields);
    let _guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: `file` is a valid C string; `ut` lives across the calls and
    // glibc only reads it; the record getutxid returns points into glibc's
    // static buffer and is copied out before the next call. LOCK keeps other
    // threads of this process out of glibc's utmp state meanwhile.
    unsafe {
        let _: c_int = libc::utmpxname(file.as_ptr());
        if line_from_existing {
            libc::setutxent();
            let existing = libc::getutxid(&ut);
            if !existing.is_null() {
                ut.ut_line = (*existing).ut_line;
            }
        }
        libc::setutxent();
        libc::pututxline(&ut);
        libc::endutxent();
    }
    let mut line = [0u8; LINE_LEN];
    for (d, s) in line.iter_mut().zip(ut.ut_line) {
        *d = s as u8;
    }
    line
}

/// Appends `fields` to the wtmp file `file` with `updwtmpx` (which never
/// creates the file).
pub(crate) fn append_wtmp(file: &CStr, fields: &Fields) {
    let ut = to_record(fields);
    let _guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: valid C string and record, only read by glibc.
    unsafe { updwtmpx(file.as_ptr(), &ut) };
}
