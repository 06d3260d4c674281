//! `/etc/inittab` and `/etc/inittab.d/*.tab`: the data model and the parser
//! (nom), with sysvinit 3.06's validation rules (docs/compatibility.md §1).
//!
//! * [`parse`] turns the bytes of one file into entries and diagnostics,
//!   exactly as sysvinit's `read_inittab` would (256-byte `fgets` pieces,
//!   `strsep` field splitting, the "last failing check wins" validation).
//! * [`load`] reads `/etc/inittab` from a [`Source`], adds the default
//!   sulogin entry, reads `/etc/inittab.d` (sorted: a deliberate difference,
//!   see `load.rs`) and adds `init.autocon=1` console gettys
//!   ([`kernel_console_entries`]).
//! * [`Entry::effective_runlevels`], [`Entry::runs_in`] and [`default_level`]
//!   answer the runlevel questions of the PID 1 policy.
//! * [`plan_exec`] and [`shell_fallback`] turn a process field into an argv.
//! * [`check_system`] and [`check_file`] are `init --check [FILE]`.
//! * [`busybox`] reads BusyBox's grammar of the same file (the id is a tty,
//!   no runlevels, BusyBox's actions), and [`detect`] tells which of the
//!   two grammars a file is in ([`Grammar`], docs/compatibility.md §11).
//!
//! Everything here is pure (no global state, no logging, no I/O of its own)
//! and never panics on any input. Files are read through the [`Source`] the
//! caller passes (`crate::filesystem::FileSystem` for the real ones), and
//! the caller prints what it wants of the results; `root` arguments let
//! tests use a directory instead of `/`.
//!
//! Non-UTF-8 bytes: all checks (field lengths, duplicate ids, comment and
//! blank detection) work on the raw bytes as sysvinit does; the stored
//! strings are converted lossily (invalid sequences become U+FFFD).

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

mod autocon;
pub mod busybox;
mod check;
mod detect;
mod exec;
mod load;
mod parse;

pub use autocon::kernel_console_entries;
pub(crate) use check::{check_file, check_system};
pub use detect::{Detection, detect};
#[cfg(test)]
pub(crate) use exec::shell_fallback;
pub(crate) use exec::{ASKFIRST_PROMPT, INITSCRIPT, Terminal, plan_exec};
pub use load::{Loaded, Source, Unreadable, load};
pub(crate) use parse::too_large;
pub(crate) use parse::{LINE_BUFFER, omitted_message};
pub use parse::{Parsed, parse};

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use crate::runlevel::{Phase, Runlevel};

/// The fifteen sysvinit actions, numbered as in sysvinit's `init.h` (the
/// re-exec state text names them, docs/compatibility.md §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Respawn = 1,
    Wait = 2,
    Once = 3,
    Boot = 4,
    Bootwait = 5,
    Powerfail = 6,
    Powerwait = 7,
    Powerokwait = 8,
    Ctrlaltdel = 9,
    Off = 10,
    Ondemand = 11,
    Initdefault = 12,
    Sysinit = 13,
    Powerfailnow = 14,
    Kbrequest = 15,
    /// BusyBox only: like `respawn`, after "Please press Enter to activate
    /// this console." on the entry's tty.
    Askfirst = 16,
    /// BusyBox only: run, each waited for, on the way down.
    Shutdown = 17,
    /// BusyBox only: what SIGQUIT executes in init's place.
    Restart = 18,
}

impl Action {
    /// sysvinit's actions, in its internal numbering order.
    pub(crate) const ALL: [Action; 15] = [
        Action::Respawn,
        Action::Wait,
        Action::Once,
        Action::Boot,
        Action::Bootwait,
        Action::Powerfail,
        Action::Powerwait,
        Action::Powerokwait,
        Action::Ctrlaltdel,
        Action::Off,
        Action::Ondemand,
        Action::Initdefault,
        Action::Sysinit,
        Action::Powerfailnow,
        Action::Kbrequest,
    ];

    /// BusyBox's actions, in its order (docs/compatibility.md §11.2).
    pub(crate) const BUSYBOX: [Action; 8] = [
        Action::Sysinit,
        Action::Wait,
        Action::Once,
        Action::Respawn,
        Action::Askfirst,
        Action::Ctrlaltdel,
        Action::Shutdown,
        Action::Restart,
    ];

    /// The sysvinit action named `name`, compared case-insensitively
    /// (sysvinit uses `strcasecmp`, i.e. ASCII case folding).
    pub(crate) fn from_name(name: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.name().eq_ignore_ascii_case(name))
    }

    /// The BusyBox action named `name`, exactly (BusyBox compares with
    /// `strcmp`).
    pub(crate) fn from_busybox_name(name: &[u8]) -> Option<Action> {
        Action::BUSYBOX
            .into_iter()
            .find(|action| action.name().as_bytes() == name)
    }

    /// An action of `grammar` by the name the re-exec state gives it.
    pub(crate) fn from_state_name(name: &str, grammar: Grammar) -> Option<Action> {
        match grammar {
            Grammar::Sysvinit => Action::from_name(name),
            Grammar::BusyBox => Action::from_busybox_name(name.as_bytes()),
        }
    }

    /// The lowercase name, as written in inittab, passed to `/etc/initscript`
    /// and sent in the re-exec state (`AC <name>`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Respawn => "respawn",
            Action::Wait => "wait",
            Action::Once => "once",
            Action::Boot => "boot",
            Action::Bootwait => "bootwait",
            Action::Powerfail => "powerfail",
            Action::Powerwait => "powerwait",
            Action::Powerokwait => "powerokwait",
            Action::Ctrlaltdel => "ctrlaltdel",
            Action::Off => "off",
            Action::Ondemand => "ondemand",
            Action::Initdefault => "initdefault",
            Action::Sysinit => "sysinit",
            Action::Powerfailnow => "powerfailnow",
            Action::Kbrequest => "kbrequest",
            Action::Askfirst => "askfirst",
            Action::Shutdown => "shutdown",
            Action::Restart => "restart",
        }
    }

    /// sysvinit's `ISPOWER()`: the power actions and `ctrlaltdel`. These are
    /// moved to the front of the list, default to runlevels `S0123456789`
    /// and start disarmed.
    pub(crate) fn is_power_type(self) -> bool {
        matches!(
            self,
            Action::Powerwait
                | Action::Powerfail
                | Action::Powerokwait
                | Action::Powerfailnow
                | Action::Ctrlaltdel
        )
    }

    /// init waits for the process: entries after it are not started until it
    /// exits (sysvinit's `startup()` sets WAITING for these).
    pub(crate) fn waits(self) -> bool {
        matches!(
            self,
            Action::Sysinit
                | Action::Bootwait
                | Action::Wait
                | Action::Powerwait
                | Action::Powerfailnow
                | Action::Powerokwait
                | Action::Ctrlaltdel
                | Action::Shutdown
        )
    }

    /// Restarted whenever it exits (rate-limited, docs/compatibility.md §2).
    pub(crate) fn respawns(self) -> bool {
        matches!(self, Action::Respawn | Action::Ondemand | Action::Askfirst)
    }

    /// Event-triggered entries start with their "executed" flag set and run
    /// only after their event re-arms them: the power types, `kbrequest`,
    /// and BusyBox's `shutdown` (armed by the way down) and `restart`
    /// (never started: init executes it in its own place).
    pub(crate) fn starts_disarmed(self) -> bool {
        self.is_power_type()
            || matches!(self, Action::Kbrequest | Action::Shutdown | Action::Restart)
    }

    /// Where BusyBox's init runs the action (docs/compatibility.md §11.2):
    /// every `sysinit` in turn, then every `wait`, then the `once` entries,
    /// then `respawn` and `askfirst`; `ctrlaltdel`, `shutdown` and
    /// `restart` on their events.
    fn busybox_rank(self) -> u8 {
        match self {
            Action::Ctrlaltdel => 0,
            Action::Sysinit => 1,
            Action::Wait => 2,
            Action::Once => 3,
            Action::Respawn | Action::Askfirst => 4,
            Action::Shutdown => 5,
            _ => 6,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The two grammars of `/etc/inittab` vinit reads (docs/compatibility.md
/// §1, §11). A file is in one or the other ([`detect`]); so is everything
/// init reads with it, and what it does follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Grammar {
    /// sysvinit's: `id:runlevels:action:process`, ids of 1-4 characters,
    /// runlevels, `/etc/inittab.d`.
    #[default]
    Sysvinit,
    /// BusyBox's: the id names the entry's tty, the runlevels field is
    /// ignored, BusyBox's eight actions and order.
    BusyBox,
}

impl Grammar {
    /// How messages name it: `sysvinit` or `BusyBox`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Grammar::Sysvinit => "sysvinit",
            Grammar::BusyBox => "BusyBox",
        }
    }

    /// The name in the re-exec state text (`busybox`), from [`Grammar::tag`].
    pub(crate) fn from_tag(tag: &str) -> Option<Grammar> {
        match tag {
            "sysvinit" => Some(Grammar::Sysvinit),
            "busybox" => Some(Grammar::BusyBox),
            _ => None,
        }
    }

    pub(crate) fn tag(self) -> &'static str {
        match self {
            Grammar::Sysvinit => "sysvinit",
            Grammar::BusyBox => "busybox",
        }
    }
}

/// Where a line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file the line was read from (`root`-joined by [`load`]).
    pub file: PathBuf,
    /// The physical line (1-based) inside `file`, for `FILE:LINE:COL`
    /// messages. For the built-in sulogin entry: its `sysv_line`.
    pub line: usize,
    /// sysvinit's line counter (`/etc/inittab[N]`): one per 255-byte `fgets`
    /// piece of `/etc/inittab`, one for the built-in sulogin entry, then one
    /// per `inittab.d` file that yields a line.
    pub sysv_line: usize,
}

/// One accepted inittab line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1–4 bytes, unique except `~~`.
    pub id: String,
    /// The runlevels field exactly as written (may be empty); see
    /// [`Entry::effective_runlevels`] for what sysvinit matches against.
    pub runlevels: String,
    pub action: Action,
    /// The process field exactly as written, prefixes included.
    pub process: String,
    pub location: Location,
    /// The grammar of the file the entry was read from: in BusyBox's, the
    /// id is the entry's tty and the runlevels field means nothing.
    pub grammar: Grammar,
}

/// The runlevels sysvinit gives an entry with an empty runlevels field.
pub(crate) const DEFAULT_RUNLEVELS: &str = "0123456789";
/// The same for power-type actions (which can thus run in single-user mode).
pub(crate) const DEFAULT_POWER_RUNLEVELS: &str = "S0123456789";

impl Entry {
    /// The runlevels string sysvinit stores for the entry (docs/compatibility.md §1.4):
    /// `sysinit` → `#` ([`Phase::Sysinit`]), `boot`/`bootwait` → `*`
    /// ([`Phase::Boot`]), an empty field → `0123456789` (`S0123456789` for
    /// power types), otherwise the field as written. A lowercase `s` is
    /// kept as is and so never matches `S` (sysvinit quirk §12.4, replicated).
    /// In BusyBox's grammar the field is ignored: `sysinit` runs in `#`,
    /// `shutdown` in `-` ([`Phase::BusyBox`], armed) and `!`
    /// ([`Phase::BusyBoxDown`]), every other entry in `-`.
    pub(crate) fn effective_runlevels(&self) -> Cow<'_, str> {
        if self.grammar == Grammar::BusyBox {
            return Cow::Borrowed(match self.action {
                Action::Sysinit => "#",
                Action::Shutdown => "-!",
                _ => "-",
            });
        }
        match self.action {
            Action::Sysinit => Cow::Borrowed("#"),
            Action::Boot | Action::Bootwait => Cow::Borrowed("*"),
            _ if !self.runlevels.is_empty() => Cow::Borrowed(&self.runlevels),
            action if action.is_power_type() => Cow::Borrowed(DEFAULT_POWER_RUNLEVELS),
            _ => Cow::Borrowed(DEFAULT_RUNLEVELS),
        }
    }

    /// sysvinit's `strchr(ch->rlevel, level)`: whether the entry runs in
    /// `phase`, a runlevel or one of init's other phases.
    pub(crate) fn runs_in(&self, phase: Phase) -> bool {
        self.effective_runlevels()
            .as_bytes()
            .contains(&phase.byte())
    }

    /// Whether `telinit a|b|c` (`letter`, either case) marks the entry as
    /// demand-activated (docs/compatibility.md §3.6: both cases are searched).
    pub(crate) fn demand_marked_by(&self, letter: u8) -> bool {
        let levels = self.effective_runlevels();
        let bytes = levels.as_bytes();
        bytes.contains(&letter.to_ascii_uppercase()) || bytes.contains(&letter.to_ascii_lowercase())
    }

    /// `false` when the process field starts with `+`: no utmp/wtmp
    /// records; nor for a BusyBox entry, whose id is no utmp id.
    pub(crate) fn writes_utmp(&self) -> bool {
        self.grammar == Grammar::Sysvinit && !self.process.starts_with('+')
    }
}

/// The entries in the order init keeps its list. sysvinit's: power-type
/// entries (`power*`, `ctrlaltdel`) moved to the front in their relative
/// file order, then all others in file order (docs/compatibility.md §1.5).
/// BusyBox's, so that starting in list order runs them in its order
/// (§11.2): `ctrlaltdel` first (disarmed, as sysvinit's), then `sysinit`,
/// `wait`, `once`, `respawn` and `askfirst`, `shutdown`, `restart`, each
/// group in file order. Moves them: no copy.
pub(crate) fn start_order(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by_key(|entry| match entry.grammar {
        Grammar::Sysvinit => u8::from(!entry.action.is_power_type()),
        Grammar::BusyBox => entry.action.busybox_rank(),
    });
    entries
}

/// What the first `initdefault` entry says (docs/compatibility.md §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultLevel {
    /// No `initdefault` entry, or one whose field yields no usable character:
    /// init prompts `Enter runlevel: ` (no message).
    None,
    Level(Runlevel),
    /// Not a level: init logs `Initdefault level '<c>' is invalid` and prompts.
    Invalid(char),
}

/// sysvinit's `get_init_default`: the first `initdefault` entry's
/// effective runlevels (so an empty field means `0123456789` and yields 9),
/// highest byte wins, lowercase is upper-cased (`2s` → `S`). Bytes ≥ 0x80
/// never win: sysvinit compares them as negative `char`s.
pub(crate) fn default_level(entries: &[Entry]) -> DefaultLevel {
    let Some(entry) = entries
        .iter()
        .find(|entry| entry.action == Action::Initdefault)
    else {
        return DefaultLevel::None;
    };
    let highest = entry
        .effective_runlevels()
        .bytes()
        .filter(|byte| byte.is_ascii() && *byte != 0)
        .max();
    match highest.map(|byte| byte.to_ascii_uppercase()) {
        None => DefaultLevel::None,
        Some(byte) => match Runlevel::from_byte(byte) {
            Some(level) => DefaultLevel::Level(level),
            None => DefaultLevel::Invalid(char::from(byte)),
        },
    }
}

impl DefaultLevel {
    /// sysvinit's message for [`DefaultLevel::Invalid`], `None` otherwise.
    pub(crate) fn message(self) -> Option<String> {
        match self {
            DefaultLevel::Invalid(c) => Some(format!("Initdefault level '{c}' is invalid")),
            _ => None,
        }
    }
}

/// A rejected line: file, line, 1-based column and sysvinit's reason text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// Physical line inside `file` (1-based).
    pub line: usize,
    /// 1-based byte column of the offending field inside the physical line
    /// (where a missing field was expected, for the `missing …` messages).
    pub column: usize,
    /// sysvinit's text, e.g. `missing id field`, `duplicate ID field "x"`.
    pub message: String,
    /// sysvinit's line counter for this line (see [`Location::sysv_line`]).
    pub sysv_line: usize,
}

impl Diagnostic {
    /// The line sysvinit logs (console and syslog):
    /// `/etc/inittab[N]: message` — always naming `/etc/inittab`, even for
    /// `inittab.d` files, as sysvinit does.
    pub(crate) fn sysvinit_text(&self) -> String {
        format!("/etc/inittab[{}]: {}", self.sysv_line, self.message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

#[cfg(test)]
mod tests;
