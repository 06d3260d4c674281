//! Debug output of the command-line tools, through the `log` facade.
//!
//! `VINIT_LOG=debug rc 2` (or `RUST_LOG=…`, read when `VINIT_LOG` is unset)
//! makes a tool print what it decides and why to stderr, one
//! `NAME: LEVEL: message` line each. The filter syntax is env_logger's
//! (`debug`, `vinit::rc=debug`, …). Unset, nothing is printed and the
//! tools' own messages are unchanged. PID 1 (and `init --init`) does not use
//! this: its `log` backend is `pid1::console`'s, which writes sysvinit's
//! console and system-log lines and ignores the variable.

use std::io::Write;

/// The variable that selects what the tools log; `RUST_LOG` is the fallback.
pub(crate) const ENV: &str = "VINIT_LOG";

/// Sets up the logger of a command-line tool called `program`. Calling it
/// twice is harmless: the second call is ignored.
pub(crate) fn init_tool_logging(program: &str) {
    let spec = std::env::var(ENV)
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_default();
    let mut builder = env_logger::Builder::new();
    builder.filter_level(log::LevelFilter::Off);
    builder.parse_filters(&spec);
    let program = program.to_string();
    builder.format(move |out, record| {
        writeln!(
            out,
            "{program}: {}: {}",
            record.level().as_str().to_ascii_lowercase(),
            record.args()
        )
    });
    // An error means a logger is already installed: keep that one.
    let _ = builder.try_init();
}
