//! sysvinit's paths and default values, each defined once, for PID 1 and
//! the commands alike (docs/compatibility.md).

/// The single-user program: the default `~~:S:wait:` entry's and the one
/// `init -b` runs before anything else.
pub(crate) const SULOGIN: &str = "/sbin/sulogin";

/// sysvinit's `WAIT_BETWEEN_SIGNALS`: seconds between TERM and KILL at a
/// level change, unless a request says otherwise (telinit's `-t` default,
/// and what a re-exec state without `-ST` means).
pub(crate) const DEFAULT_SLEEP_TIME: u32 = 3;

/// sysvinit's default `PATH`, for init's children, rc's scripts and
/// shutdown's helpers (its init(8) page has the order wrong).
pub(crate) const DEFAULT_PATH: &str = "/sbin:/usr/sbin:/bin:/usr/bin";

/// The configuration file (its drop-ins are in `/etc/inittab.d`).
pub(crate) const INITTAB: &str = "/etc/inittab";

/// The variables Debian's `service` passes to an init script, in its order;
/// every one is passed, empty if the caller does not have it. PID 1 runs a
/// supervised service's `restart` with the same environment.
pub(crate) const SERVICE_ENVIRONMENT: [&str; 17] = [
    "LANG",
    "LANGUAGE",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
    "LC_ALL",
    "PATH",
    "TERM",
];
