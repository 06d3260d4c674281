//! Runlevels (docs/compatibility.md §3.1): [`Runlevel`], `0`–`9` or `S`,
//! the one type every part of vinit that names a level uses (init, its
//! supervision, telinit, rc, `vinit check`), with its parsing and display;
//! and [`Phase`], where init is: a runlevel, or one of the states around
//! them that sysvinit's `runlevel` variable also holds (its boot phases,
//! and a BusyBox inittab's states).
//!
//! On the wire (`struct init_request`), in utmp and in the files, a level
//! is its character; [`Runlevel::byte`] and [`Phase::byte`] give it.

use std::fmt;

/// `0`–`9` or `S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Runlevel(u8);

impl Runlevel {
    /// `S`, single-user mode (and the boot's scripts, `/etc/rcS.d`).
    pub const SINGLE: Runlevel = Runlevel(b'S');
    /// `0`: halt or power off.
    pub const HALT: Runlevel = Runlevel(b'0');
    /// `6`: reboot.
    pub const REBOOT: Runlevel = Runlevel(b'6');

    /// The level a character names: `0`–`9`, `S`, or `s` for `S` (as init's
    /// command line, its console prompt and its requests take it).
    pub fn from_byte(byte: u8) -> Option<Runlevel> {
        match byte {
            b'0'..=b'9' | b'S' => Some(Runlevel(byte)),
            b's' => Some(Runlevel::SINGLE),
            _ => None,
        }
    }

    /// As [`Runlevel::from_byte`], for a `char`.
    pub fn from_char(c: char) -> Option<Runlevel> {
        u8::try_from(c).ok().and_then(Runlevel::from_byte)
    }

    /// The level a whole text names, written exactly (`2`, `S`): a
    /// directory name, a setting, `$RUNLEVEL`. A lowercase `s` is no level
    /// here (`/etc/rcs.d` is not `/etc/rcS.d`).
    pub fn from_text(text: &str) -> Option<Runlevel> {
        match text.as_bytes() {
            [byte] if *byte != b's' => Runlevel::from_byte(*byte),
            _ => None,
        }
    }

    /// Its character, as the wire, utmp and the files hold it.
    pub fn byte(self) -> u8 {
        self.0
    }

    pub fn char(self) -> char {
        char::from(self.0)
    }

    /// `0` or `6`: the levels that end with the system down (halt, power
    /// off, reboot).
    pub fn is_halt_or_reboot(self) -> bool {
        self == Runlevel::HALT || self == Runlevel::REBOOT
    }

    /// `2`–`5`, the multi-user levels in which sysvinit writes the boot and
    /// level records it still owes (docs/compatibility.md §5.2).
    pub fn is_multi_user(self) -> bool {
        matches!(self.0, b'2'..=b'5')
    }
}

impl fmt::Display for Runlevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.char())
    }
}

/// Where init is: sysvinit's `runlevel` variable, which holds a runlevel
/// or one of its phases, and, for a BusyBox inittab (which has no
/// runlevels), one of its two states. Each has the character an entry's
/// effective runlevels name it by (`inittab::Entry::effective_runlevels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `#`: the sysinit entries run.
    Sysinit,
    /// `*`: the boot and bootwait entries run.
    Boot,
    Level(Runlevel),
    /// `-`: a BusyBox inittab after its sysinit entries: everything else
    /// runs in this one state.
    BusyBox,
    /// `!`: a BusyBox inittab on its way down: its `shutdown` entries
    /// run, nothing respawns.
    BusyBoxDown,
}

impl Phase {
    /// Single-user mode.
    pub const SINGLE: Phase = Phase::Level(Runlevel::SINGLE);

    /// Its character (`#`, `*`, the level's, `-`, `!`).
    pub fn byte(self) -> u8 {
        match self {
            Phase::Sysinit => b'#',
            Phase::Boot => b'*',
            Phase::Level(level) => level.byte(),
            Phase::BusyBox => b'-',
            Phase::BusyBoxDown => b'!',
        }
    }

    pub fn char(self) -> char {
        char::from(self.byte())
    }

    /// The phase a character names (a re-exec state's).
    pub fn from_char(c: char) -> Option<Phase> {
        match c {
            '#' => Some(Phase::Sysinit),
            '*' => Some(Phase::Boot),
            '-' => Some(Phase::BusyBox),
            '!' => Some(Phase::BusyBoxDown),
            _ => Runlevel::from_char(c).map(Phase::Level),
        }
    }

    /// The runlevel, if init is in one.
    pub fn level(self) -> Option<Runlevel> {
        match self {
            Phase::Level(level) => Some(level),
            _ => None,
        }
    }

    /// The boot phases and `S`: a waited-for entry gets the console as its
    /// controlling tty, and demand entries (`a`, `b`, `c`) do not run
    /// (docs/compatibility.md §1.9, §3.6).
    pub fn is_boot_or_single_user(self) -> bool {
        matches!(self, Phase::Sysinit | Phase::Boot) || self == Phase::SINGLE
    }
}

impl From<Runlevel> for Phase {
    fn from(level: Runlevel) -> Phase {
        Phase::Level(level)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.char())
    }
}

/// The phase `c` names, for tests: `at('2')`, `at('#')`.
#[cfg(test)]
pub(crate) fn at(c: char) -> Phase {
    Phase::from_char(c).unwrap_or_else(|| panic!("{c:?} is no phase"))
}

/// The level `c` names, for tests.
#[cfg(test)]
pub(crate) fn level(c: char) -> Runlevel {
    Runlevel::from_char(c).unwrap_or_else(|| panic!("{c:?} is no level"))
}

/// The character of a previous level: `N` for none (at boot).
pub fn previous_char(previous: Option<Phase>) -> char {
    previous.map_or('N', Phase::char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_0_to_9_and_s() {
        let all: String = (0..=u8::MAX)
            .filter_map(Runlevel::from_byte)
            .map(Runlevel::char)
            .collect();
        assert_eq!(all, "0123456789SS", "s is S");
        assert_eq!(
            Runlevel::from_char('3').map(|l| l.to_string()),
            Some("3".into())
        );
        assert_eq!(Runlevel::from_char('é'), None);
        for (text, level) in [("2", Some('2')), ("S", Some('S')), ("s", None), ("", None)] {
            assert_eq!(
                Runlevel::from_text(text).map(Runlevel::char),
                level,
                "{text}"
            );
        }
        assert_eq!(Runlevel::from_text("23"), None);
        assert!(Runlevel::HALT.is_halt_or_reboot() && Runlevel::REBOOT.is_halt_or_reboot());
        let multi: String = (0..=u8::MAX)
            .filter_map(Runlevel::from_byte)
            .filter(|l| l.is_multi_user())
            .map(Runlevel::char)
            .collect();
        assert_eq!(multi, "2345");
    }

    #[test]
    fn phases_have_their_characters() {
        for c in ['#', '*', '-', '!', '0', '9', 'S'] {
            let phase = Phase::from_char(c).unwrap();
            assert_eq!((phase.char(), phase.to_string()), (c, c.to_string()));
        }
        assert_eq!(Phase::from_char('N'), None);
        assert_eq!(previous_char(None), 'N');
        assert_eq!(previous_char(Some(Phase::Boot)), '*');
        let single_user: String = ['#', '*', 'S', '2', '-', '!']
            .into_iter()
            .filter(|&c| Phase::from_char(c).unwrap().is_boot_or_single_user())
            .collect();
        assert_eq!(single_user, "#*S");
    }
}
