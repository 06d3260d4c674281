//! Carrying the re-exec state (docs/compatibility.md §3.7) across `exec`:
//! the text ([`crate::reexec_state`]) goes through a pipe on fd 11, after
//! the 8-byte signature `12567362`, when `telinit u` makes init
//! re-execute itself.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::{SFlag, fstat};
use nix::unistd::{dup2, pipe2};

use crate::reexec_state::{SavedState, StateError, parse};
use crate::sys::fd::take_inherited_fd;

/// The descriptor the state pipe's read end is on.
pub(crate) const STATE_FD: RawFd = 11;
/// Written before the state text.
pub(crate) const SIGNATURE: &[u8; 8] = b"12567362";

/// More state than any inittab can produce; guards PID 1's memory.
const MAX_STATE_BYTES: usize = 1 << 20;

/// For a freshly exec'd init: the state its predecessor left on fd 11, if fd
/// 11 is a pipe that is readable at once and starts with the signature.
/// `Some(Err(e))` means the text was damaged; `e.partial` has what was read.
/// fd 11 is closed afterwards.
pub(crate) fn read_inherited_state() -> Option<Result<SavedState, StateError>> {
    read_state_from(take_inherited_fd(STATE_FD)?)
}

/// [`read_inherited_state`] from a given descriptor.
pub(crate) fn read_state_from(fd: OwnedFd) -> Option<Result<SavedState, StateError>> {
    let stat = fstat(fd.as_raw_fd()).ok()?;
    if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT != SFlag::S_IFIFO {
        return None;
    }
    if !readable_within(&fd, PollTimeout::ZERO) {
        return None;
    }
    let mut pipe = File::from(fd);
    let mut signature = [0u8; 8];
    pipe.read_exact(&mut signature).ok()?;
    if &signature != SIGNATURE {
        return None;
    }
    let text = read_to_end_patiently(&mut pipe);
    Some(parse(&text))
}

fn readable_within(fd: &impl AsFd, timeout: PollTimeout) -> bool {
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, timeout), Ok(n) if n > 0)
}

/// Reads until end of file, but gives up when the writer (the old init's
/// forked helper) stalls for 5 s, so PID 1 cannot hang on a stray writer.
fn read_to_end_patiently(pipe: &mut File) -> Vec<u8> {
    let mut text = Vec::new();
    let mut chunk = [0u8; 4096];
    while text.len() < MAX_STATE_BYTES && readable_within(pipe, PollTimeout::from(5000u16)) {
        match pipe.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    text
}

/// For the init about to re-exec: puts a pipe's read end on fd 11 (kept
/// across `exec`; whatever was on fd 11 is closed), writes the signature and
/// returns the write end (closed on `exec`). Write
/// [`crate::reexec_state::serialize`]'s text into it — from a forked child
/// if it may exceed the pipe buffer, as sysvinit does — then exec
/// `/sbin/init --init`. If the exec fails, call [`close_state_fd`].
pub(crate) fn make_state_pipe() -> io::Result<File> {
    let (read, write) = pipe2(OFlag::O_CLOEXEC)?;
    // Keep the write end off fd 11, which the read end must occupy.
    let write = if write.as_raw_fd() == STATE_FD {
        write.try_clone()?
    } else {
        write
    };
    if read.as_raw_fd() == STATE_FD {
        fcntl(STATE_FD, FcntlArg::F_SETFD(FdFlag::empty()))?;
        // Deliberately leaked: fd 11 must stay open for the next program.
        let _ = std::os::fd::IntoRawFd::into_raw_fd(read);
    } else {
        // dup2 leaves the new descriptor without close-on-exec.
        dup2(read.as_raw_fd(), STATE_FD)?;
    }
    let mut write = File::from(write);
    io::Write::write_all(&mut write, SIGNATURE)?;
    Ok(write)
}

/// Closes fd 11 after a failed re-exec.
pub(crate) fn close_state_fd() {
    drop(take_inherited_fd(STATE_FD));
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::reexec_state::tests::SYSVINIT_TEXT;
    use std::io::Write;

    const CHILD_ENV: &str = "VINIT_TEST_STATE_PIPE";
    const CHILD_TEST: &str = "pid1::state::tests::state_pipe_child";

    fn run_test_helper(role: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            CHILD_TEST,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, role);
        cmd
    }

    /// Both ends of a re-exec, in a helper process (fd 11 is process-wide):
    /// as `old` it hands the state over and execs itself as `new`, which
    /// reads fd 11 and prints what it got.
    #[test]
    #[ignore = "helper process for state_crosses_exec_on_fd_11"]
    fn state_pipe_child() {
        use std::os::unix::process::CommandExt;
        match std::env::var(CHILD_ENV).as_deref() {
            Ok("old") => {
                let mut write = make_state_pipe().unwrap();
                write.write_all(SYSVINIT_TEXT.as_bytes()).unwrap();
                drop(write);
                let err = run_test_helper("new").exec();
                close_state_fd();
                panic!("exec failed: {err}");
            }
            Ok("new") => match read_inherited_state() {
                Some(Ok(state)) => println!(
                    "\nSTATE {} {} {}",
                    state.runlevel,
                    state.entries.len(),
                    take_inherited_fd(STATE_FD).is_some()
                ),
                other => println!("\nSTATE none {other:?}"),
            },
            _ => {}
        }
    }

    #[test]
    fn state_crosses_exec_on_fd_11() {
        let out = run_test_helper("old").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // Runlevel 2, four entries, and fd 11 closed after reading.
        assert!(stdout.contains("\nSTATE 2 4 false\n"), "{stdout}");
        // Without a predecessor there is no state.
        let out = run_test_helper("new").output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("STATE none None"));
    }

    fn pipe_with(contents: &[u8]) -> OwnedFd {
        let (read, write) = pipe2(OFlag::O_CLOEXEC).unwrap();
        let mut write = File::from(write);
        write.write_all(contents).unwrap();
        read
    }

    #[test]
    fn reads_from_a_pipe_after_the_signature() {
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend_from_slice(SYSVINIT_TEXT.as_bytes());
        let state = read_state_from(pipe_with(&bytes)).unwrap().unwrap();
        assert_eq!(state.entries.len(), 4);
    }

    #[test]
    fn no_state_without_signature_pipe_or_data() {
        assert!(read_state_from(pipe_with(b"87654321VERx\nEND\n")).is_none());
        assert!(read_state_from(pipe_with(b"1256")).is_none());
        // A pipe with nothing to read yet (writer still open): not a state.
        let (read, _write) = pipe2(OFlag::O_CLOEXEC).unwrap();
        assert!(read_state_from(read).is_none());
        // A regular file is not a state pipe.
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(SIGNATURE).unwrap();
        assert!(read_state_from(OwnedFd::from(file)).is_none());
    }
}
