//! The process title: init shows `init boot`, then `init [3]` in `ps`, by
//! overwriting its argv strings in place, never beyond their original size
//! (docs/compatibility.md §4.2). Debian's invoke-rc.d greps `ps -fp 1` for `init boot`.
//!
//! The argv area is found from the `argv` glibc passes to `.init_array`
//! functions (as Rust's std itself captures it), so it works before `/proc`
//! is mounted; `/proc/self/stat` (`arg_start`/`arg_end`) is the fallback,
//! and the only way with musl (the small build's C library), which calls
//! `.init_array` functions without arguments.
//!
//! After a title change `std::env::args()` returns the new words: read the
//! arguments before setting a title.

use std::ffi::{CStr, CString};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use libc::{c_char, c_int};

/// Start and length of the argv strings, captured at program start.
static ARGV_START: AtomicUsize = AtomicUsize::new(0);
static ARGV_LEN: AtomicUsize = AtomicUsize::new(0);

/// glibc calls `.init_array` entries with `(argc, argv, envp)`.
#[cfg(target_env = "gnu")]
extern "C" fn capture_argv(argc: c_int, argv: *const *const c_char, _envp: *const *const c_char) {
    if argv.is_null() || argc <= 0 {
        return;
    }
    let Ok(count) = usize::try_from(argc) else {
        return;
    };
    // SAFETY: glibc passes the kernel's argv: `argc` valid pointers to
    // NUL-terminated strings, laid out one after the other on the stack.
    unsafe {
        let first = *argv;
        if first.is_null() {
            return;
        }
        let start = first as usize;
        let mut end = start;
        for i in 0..count {
            let arg = *argv.add(i);
            // Only a contiguous area can be reused (someone may have
            // rearranged argv before us).
            if arg.is_null() || arg as usize != end {
                break;
            }
            end += CStr::from_ptr(arg).to_bytes().len() + 1;
        }
        ARGV_START.store(start, Ordering::Relaxed);
        ARGV_LEN.store(end - start, Ordering::Relaxed);
    }
}

#[cfg(target_env = "gnu")]
#[used]
#[unsafe(link_section = ".init_array")]
static CAPTURE_ARGV: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
    capture_argv;

/// The argv area according to `/proc/self/stat` fields 48 and 49.
fn argv_area_from_proc() -> io::Result<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name (field 2) may contain spaces; fields after it are
    // numbered from 3.
    let after_comm = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other("unexpected /proc/self/stat"))?;
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let field = |n: usize| -> io::Result<usize> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other("no argv area in /proc/self/stat"))
    };
    let (start, end) = (field(48)?, field(49)?);
    if end <= start {
        return Err(io::Error::other("empty argv area"));
    }
    Ok((start, end - start))
}

fn argv_area() -> io::Result<(usize, usize)> {
    let (start, len) = (
        ARGV_START.load(Ordering::Relaxed),
        ARGV_LEN.load(Ordering::Relaxed),
    );
    if start != 0 && len > 0 {
        return Ok((start, len));
    }
    argv_area_from_proc()
}

/// How many bytes a title can have (the argv area minus its final NUL).
#[cfg(test)]
fn capacity() -> io::Result<usize> {
    Ok(argv_area()?.1.saturating_sub(1))
}

/// Sets the title shown by `ps` (cut to the original argv area) and the command name
/// (`/proc/self/comm`, at most 15 bytes) to the title's first word.
pub(crate) fn set_process_title(title: &str) -> io::Result<()> {
    let (start, len) = argv_area()?;
    let bytes = title.as_bytes();
    let copied = bytes.len().min(len.saturating_sub(1));
    // SAFETY: [start, start+len) is this process's argv strings area (from
    // glibc's argv or the kernel's arg_start/arg_end): mapped and writable
    // for the whole life of the process. Nothing holds Rust references into
    // it. The area stays NUL-terminated.
    unsafe {
        let area = start as *mut u8;
        std::ptr::write_bytes(area, 0, len);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), area, copied);
    }
    let name = title.split_whitespace().next().unwrap_or(title);
    let name = CString::new(name.bytes().take(15).collect::<Vec<u8>>())
        .map_err(|_| io::Error::other("NUL in process name"))?;
    nix::sys::prctl::set_name(&name)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    const CHILD_ENV: &str = "VINIT_TEST_PROCTITLE";

    /// Runs in a child process started by the test below (it changes the
    /// whole process's argv): sets the title given in the environment,
    /// reports, and waits for its stdin to close.
    #[test]
    #[ignore = "helper process for proctitle_is_visible_in_proc"]
    fn proctitle_child() {
        let Ok(title) = std::env::var(CHILD_ENV) else {
            return;
        };
        let before = std::fs::read("/proc/self/cmdline").unwrap();
        set_process_title(&title).unwrap();
        // PR_SET_NAME names the calling thread (PID 1 calls it from its
        // only thread; libtest runs this on a thread of its own).
        let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
        println!(
            "ready {} {} {}",
            before.len(),
            capacity().unwrap(),
            comm.trim()
        );
        std::io::stdout().flush().unwrap();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }

    fn run_child(title: &str) -> (Vec<u8>, String, usize, usize) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sys::proctitle::tests::proctitle_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, title)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Read the child's report on a thread so a broken child cannot hang
        // the test: it is killed after a generous safety timeout.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may have printed "test <name> ... " on the same line.
                if let Some((_, rest)) = line.split_once("ready ") {
                    let words: Vec<String> = rest.split_whitespace().map(String::from).collect();
                    // Keep draining: the child still writes libtest's verdict.
                    let _ = tx.send(words);
                }
            }
        });
        let Ok(words) = rx.recv_timeout(std::time::Duration::from_secs(120)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child never reported");
        };
        let original_len = words[0].parse().unwrap();
        let capacity = words[1].parse().unwrap();
        let comm = words[2].clone();
        let pid = child.id();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        (cmdline, comm, original_len, capacity)
    }

    #[test]
    fn proctitle_is_visible_in_proc() {
        let (cmdline, comm, original_len, capacity) = run_child("init [3]");
        assert!(cmdline.starts_with(b"init [3]\0"), "{cmdline:?}");
        assert!(cmdline[8..].iter().all(|&b| b == 0));
        // The area is reused, not grown.
        assert_eq!(cmdline.len(), original_len);
        assert_eq!(capacity, original_len - 1);
        assert_eq!(comm, "init");
    }

    #[test]
    fn long_titles_are_cut_to_the_argv_area() {
        let long = format!("init {}", "x".repeat(4096));
        let (cmdline, _, original_len, capacity) = run_child(&long);
        assert_eq!(cmdline.len(), original_len);
        assert_eq!(&cmdline[..capacity], &long.as_bytes()[..capacity]);
        assert_eq!(cmdline[capacity], 0);
    }
}
