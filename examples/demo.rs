//! `make demo`: boots vinit as PID 1 of a QEMU VM with the console on this terminal.
//! `make demo TOUR=1` (`demo --tour`): a scripted tour instead, printed as it goes.
//!
//! Built on the test harness (tests/common), so the demo and the VM tests boot the same
//! way. It installs the `vinit` binary next to this example (cargo's target/<profile>/).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::ExitCode;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("--tour") => match common::demo::tour(&mut std::io::stdout()) {
            Ok(()) => {
                println!("### Tour done.");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("demo tour failed: {e}");
                ExitCode::FAILURE
            }
        },
        None => {
            // Said once, here: the VM's getty shows no /etc/issue (tests/common/demo.rs).
            println!(
                "vinit demo: Debian's cloud kernel under QEMU (TCG), vinit as PID 1.\n\
                 Log in as root (no password); try `runlevel`, `telinit 3`, \
                 `service --status-all`,\n\
                 `telinit 1 &` (single-user mode; `telinit 2 &` from there goes back).\n\
                 Leave with `poweroff`, or Ctrl-A X (Ctrl-A C: QEMU monitor).\n"
            );
            let status =
                common::vm::run_interactive(&common::demo::initramfs(), common::demo::CMDLINE);
            if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some(other) => {
            eprintln!("usage: demo [--tour] (unknown argument {other:?})");
            ExitCode::from(2)
        }
    }
}
