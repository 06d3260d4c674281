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
