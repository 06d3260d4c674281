//! `init`: PID 1 (docs/compatibility.md §4.1, §4.2). Outside PID 1 and without `-i`/`--init`
//! it is telinit, whatever its name; `--check [FILE]` checks an inittab;
//! `--help` prints the usage and `--version` sysvinit's version line and vinit's.

use std::path::Path;

use super::telinit;

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
--check checks /etc/inittab and /etc/inittab.d (or FILE alone) and changes nothing.
See init(8), telinit(8), inittab(5).
";

pub fn main(args: Vec<String>) -> i32 {
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
        return crate::inittab::check_main(args);
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
