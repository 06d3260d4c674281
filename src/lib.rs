//! vinit: a SysV-compatible init system.
//!
//! One library crate, a module per concern; the binaries in `src/bin` only
//! dispatch to [`cmd`]. Policy (what to run when) lives in modules that do no
//! I/O and is unit-tested without processes; mechanism (fork, exec, signals,
//! FIFOs, utmp) is kept apart, and every `unsafe` block lives in [`sys`].
//! See ARCHITECTURE.md for the map.

// The compiler keeps `unsafe` inside `sys`; everything else is safe Rust.
#![deny(unsafe_code)]
// PID 1 never panics on outside input (ARCHITECTURE.md): no unwrap, expect,
// panic, unchecked indexing or string slicing in the library, unit tests
// aside; a module that only a command runs allows what it needs.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]
// The small build (no `rc` feature, Cargo.toml) leaves out the commands that
// run the rc runner and read /etc/rcN.d; the code only they reach is then
// unused here, and the linker drops it.
#![cfg_attr(not(feature = "rc"), allow(dead_code, unused_imports))]

pub(crate) mod cgroup;
pub mod cmd;
pub mod container;
pub mod defaults;
pub mod filesystem;
pub mod getopt;
pub mod initctl;
pub mod inittab;
pub mod logging;
pub(crate) mod mountinfo;
pub mod pid1;
pub(crate) mod procfs;
pub mod rc;
pub mod reexec_state;
pub(crate) mod report_limit;
pub mod runlevel;
pub mod services;
pub mod status;
pub mod supervisor;
#[allow(unsafe_code)]
pub mod sys;
pub mod teardown;
pub(crate) mod untrusted;
pub mod utmp;
