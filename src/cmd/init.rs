//! `init`: PID 1 (docs/compatibility.md §4.1, §4.2). Outside PID 1 and without `-i`/`--init`
//! it is telinit, whatever its name; `--check [FILE]` checks an inittab;
//! `--help` prints the usage and `--version` sysvinit's version line and vinit's.

use std::ffi::OsString;
use std::path::Path;

use super::telinit;
use crate::defaults::INITTAB;
use crate::filesystem::FileSystem;
use crate::inittab::{self, omitted_message};

const USAGE: &str = "\
Usage: init [-a] [-s] [-b] [-z xxx] [0123456789Ss]
       init [-t SECONDS] LEVEL
       init -e INIT_VAR[=VALUE]
       init --check [FILE]
       init --help | --version

As PID 1 (or with -i, --init), init boots the system from /etc/inittab:
  0-9, S          boot into this runlevel instead of the initdefault one
  -s, single      boot into single-user mode (S)
  -a, auto        set AUTOBOOT=YES for every process
  -b, emergency   run sulogin on the console before anything else
  -z xxx          ignored
Otherwise init is telinit(8): it sends a request to PID 1. LEVEL is one of:
  0-9, S, s       switch to this runlevel
  Q, q            re-read /etc/inittab
  U, u            re-execute init, which keeps its state
  A-C, a-c        start the ondemand entries with this letter
  -t SECONDS      seconds between TERM and KILL on a level change (default 3)
  -e INIT_VAR[=VALUE]
                  set (with =) or unset INIT_VAR for the processes init starts
--check checks /etc/inittab and /etc/inittab.d (or FILE alone), in sysvinit's
or BusyBox's grammar as init would read it, and changes nothing.

Exit status: as PID 1, init never exits. As telinit: 0 when the request was
written; 1 on a usage error, when not run by root, or when the request could
not be written. --check: 0 when every line is valid; 1 when a line is
rejected or a file cannot be read; 2 on a usage error.
See init(8), telinit(8), inittab(5).
";

pub(crate) fn main(args: Vec<OsString>) -> i32 {
    let called_as_telinit = args
        .first()
        .and_then(|arg| Path::new(arg).file_name())
        .is_some_and(|name| name == "telinit");
    if !called_as_telinit {
        match args.get(1..) {
            Some([only]) if only == "--help" => {
                print!("{USAGE}");
                return 0;
            }
            // sysvinit's line first, for the tools that parse it.
            Some([only]) if only == "--version" => {
                print!("{}", version_text());
                return 0;
            }
            _ => {}
        }
    }
    if args.iter().skip(1).any(|arg| arg == "--check") {
        return check_main(args);
    }
    if let Some(code) = telinit::preamble(&args) {
        return code;
    }
    if !telinit::is_init_role(&args) {
        return telinit::telinit(&args);
    }
    crate::pid1::main(args)
}

/// `init --version`: sysvinit's line (`SysV init version: 3.06`), then vinit's.
fn version_text() -> String {
    let sysvinit = telinit::VERSION_TEXT.trim_end();
    format!(
        "{sysvinit}\nvinit {}: a SysV-compatible init, drop-in for sysvinit 3.06\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// `init --check [FILE]`: checks `FILE` (default `/etc/inittab`; for the
/// default, `/etc/inittab.d` too, exactly as init would read them), in the
/// grammar init would read it in. Prints that grammar and why on stdout,
/// each rejected line and each warning on stderr, and a one-line summary on
/// stdout when no line is rejected. Exit status: 0 all lines valid, 1 a bad
/// line or an unreadable file, 2 usage error.
fn check_main(args: Vec<OsString>) -> i32 {
    let program = args
        .first()
        .and_then(|name| Path::new(name).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "init".to_string());
    let files: Vec<&OsString> = args
        .iter()
        .skip(1)
        .filter(|arg| *arg != "--check")
        .collect();
    let report = match files.as_slice() {
        [] => inittab::check_system(&FileSystem, Path::new("/")),
        [file] if *file == INITTAB => inittab::check_system(&FileSystem, Path::new("/")),
        [file] => inittab::check_file(&FileSystem, Path::new(file)),
        _ => {
            eprintln!("Usage: {program} --check [FILE]");
            return 2;
        }
    };
    if report.errors.is_empty() {
        println!("{}", report.grammar);
    }
    for diagnostic in &report.diagnostics {
        eprintln!("{diagnostic}");
    }
    if let Some(message) = omitted_message(report.omitted) {
        eprintln!("{message}");
    }
    for error in &report.errors {
        eprintln!("{program}: {error}");
    }
    for warning in &report.warnings {
        eprintln!("{warning}");
    }
    if report.diagnostics.is_empty() && report.errors.is_empty() {
        println!("{}", report.summary);
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn check(args: &[&str]) -> i32 {
        check_main(args.iter().map(OsString::from).collect())
    }

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn check_exits_0_for_a_valid_file_and_1_for_a_bad_line_or_a_missing_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = write(
            dir.path(),
            "good",
            "id:2:initdefault:\nl2:2:wait:/sbin/rc 2\n",
        );
        let bad = write(dir.path(), "bad", "l2:2:wait:/sbin/rc 2\nbad line\n");
        assert_eq!(check(&["init", "--check", &good]), 0);
        assert_eq!(check(&["init", "--check", &bad]), 1);
        let missing = dir.path().join("nope");
        assert_eq!(check(&["init", "--check", &missing.to_string_lossy()]), 1);
    }

    #[test]
    fn check_usage_errors_exit_2() {
        assert_eq!(check(&["init", "--check", "a", "b"]), 2);
    }

    #[test]
    fn check_warnings_do_not_fail() {
        let dir = tempfile::tempdir().expect("temp dir");
        for text in [
            "id:x:initdefault:\nsu:s:wait:/sbin/sulogin\n  si:2:sysinit:/x\n",
            "l2:2:wait:/sbin/rc 2\n",
            "id:0:initdefault:\n",
            "id:6:initdefault:\n",
            "id:2:initdefault:\nx:23z:respawn:/bin/x\ny:2:once:\nz:2:once:+ \nd:A:ondemand:/d\n",
            "# comment\r\nid:2:initdefault:\r\nl2:2:wait:/sbin/rc 2\r\n",
        ] {
            let file = write(dir.path(), "t", text);
            assert_eq!(check(&["init", "--check", &file]), 0, "{text:?}");
        }
    }
}
