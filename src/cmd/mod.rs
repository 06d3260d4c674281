//! Command front ends. Each submodule has `pub fn main(args: Vec<String>) -> i32`
//! where `args[0]` is the name the command was called by.

pub(crate) mod halt;
pub(crate) mod init;
#[cfg(feature = "rc")]
pub(crate) mod rc;
pub(crate) mod runlevel;
#[cfg(feature = "rc")]
pub(crate) mod service;
pub mod shutdown;
pub(crate) mod supervise;
pub(crate) mod telinit;
#[cfg(feature = "rc")]
pub(crate) mod update_rc_d;
pub mod vinit;

use std::ffi::OsString;
use std::path::Path;

/// The commands the multi-call binary answers to, by `argv[0]` basename.
pub const COMMANDS: &[&str] = &[
    "init",
    "telinit",
    "runlevel",
    #[cfg(feature = "rc")]
    "rc",
    #[cfg(feature = "rc")]
    "rcS",
    #[cfg(feature = "rc")]
    "service",
    #[cfg(feature = "rc")]
    "update-rc.d",
    "shutdown",
    "halt",
    "reboot",
    "poweroff",
];

/// `--help` or `--version` as the only argument (`rest` is the line after
/// the command's name): prints `help`, or `NAME (vinit) VERSION`, and
/// gives the exit status, 0. Any user may ask.
fn help_or_version(name: &str, rest: &[String], help: impl FnOnce() -> String) -> Option<i32> {
    match rest {
        [only] if only == "--help" => print!("{}", help()),
        [only] if only == "--version" => println!("{name} (vinit) {}", env!("CARGO_PKG_VERSION")),
        _ => return None,
    }
    Some(0)
}

/// Runs the command named by `argv[0]` (a leading `-`, as login shells and
/// sysvinit's halt allow, is ignored); called as `vinit`, runs a `vinit`
/// subcommand or the command named by `argv[1]`.
pub fn dispatch(argv: Vec<OsString>) -> i32 {
    let args: Vec<String> = argv
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let name = args
        .first()
        .map(|a| {
            Path::new(a)
                .file_name()
                .map(|n| n.to_string_lossy().trim_start_matches('-').to_string())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    // PID 1 (or `init --init`) installs its own `log` backend, the console
    // and syslog as sysvinit's (`pid1::console`); every other caller gets
    // the tools' debug log. `vinit NAME …` comes back here as NAME.
    let runs_init = name == "init" && telinit::is_init_role(&args);
    let redispatched = !COMMANDS.contains(&name.as_str())
        && args
            .get(1)
            .is_some_and(|first| COMMANDS.contains(&first.as_str()));
    if !runs_init && !redispatched {
        crate::logging::init_tool_logging(&name);
    }
    match name.as_str() {
        "init" | "telinit" => init::main(args),
        "runlevel" => runlevel::main(args),
        #[cfg(feature = "rc")]
        "rc" => rc::main(args),
        // Debian's /etc/init.d/rcS is `exec /etc/init.d/rc S`; it ignores its arguments.
        #[cfg(feature = "rc")]
        "rcS" => rc::main(args.into_iter().take(1).chain(["S".to_string()]).collect()),
        #[cfg(feature = "rc")]
        "service" => service::main(args),
        #[cfg(feature = "rc")]
        "update-rc.d" => update_rc_d::main(args),
        "shutdown" => shutdown::main(args),
        "halt" | "reboot" | "poweroff" => halt::main(args),
        // `vinit` (or any other name): the operator's command, which also
        // runs the classic commands by name (`vinit telinit 3`).
        _ => vinit::main(args),
    }
}
