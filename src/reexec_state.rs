//! The re-exec state text (docs/compatibility.md §3.7): what an old init
//! hands to the new one when `telinit u` makes it re-execute itself. The
//! format is sysvinit's, so vinit can take over from a running sysvinit and
//! hand back to it. This module is the pure codec (types, [`parse`],
//! [`serialize`]); carrying the text across `exec` on fd 11 is
//! [`crate::pid1::state`]'s.
//!
//! What sysvinit's text has no place for is not added to it:
//! * `INIT_*` variables set with `telinit -e` travel in the environment of
//!   the `exec`, exactly as sysvinit passes them (so they reach either init);
//! * vinit's respawn counters (sysvinit clears them at a re-exec; vinit
//!   keeps them) travel inside each record as a `VRC` line, a tag sysvinit
//!   skips as it skips every unknown 3-character tag (checked against the
//!   real init by `tests/interop_init.rs`);
//! * an inittab in BusyBox's grammar is said by a `VGRbusybox` line after
//!   `-DB`, and an id or a command longer than sysvinit's fields (a BusyBox
//!   tty such as `ttyAMA0`, a command over 127 bytes) travels whole in a
//!   `VID` or `VCM` line of its record; sysvinit's own text has none of
//!   them, and vinit writes none for a sysvinit inittab.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::fmt;

use crate::defaults::DEFAULT_SLEEP_TIME;
use crate::inittab::Grammar;
use crate::inittab::busybox::MAX_LINE;

/// sysvinit's field buffers: `id[8]`, `rlevel[12]`, `process[128]`.
const MAX_ID: usize = 7;
const MAX_LEVELS: usize = 11;
const MAX_PROCESS: usize = 127;

/// Global state of the init being replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedState {
    /// The version line's text, e.g. `@(#) init 3.06 miquels@cistron.nl`.
    pub version: String,
    /// `-RL`: the runlevel.
    pub runlevel: char,
    /// `-TL`: "thislevel" (what `RUNLEVEL=` shows children).
    pub thislevel: char,
    /// `-PL`: the previous level.
    pub prevlevel: char,
    /// `-SI`: bitmask of signals received but not yet handled (bit = signo).
    pub pending_signals: u32,
    /// `-WR`: the wtmp boot record was written.
    pub wrote_wtmp_boot: bool,
    /// `-WU`: the utmp boot record was written.
    pub wrote_utmp_boot: bool,
    /// `-ST`: seconds between TERM and KILL.
    pub sleep_time: i32,
    /// `-DB`: the boot/bootwait phase is over.
    pub did_boot: bool,
    /// `VGR` (vinit only): the grammar of the inittab, sysvinit's when the
    /// line is absent.
    pub grammar: Grammar,
    pub entries: Vec<SavedEntry>,
}

impl Default for SavedState {
    /// sysvinit's values before a state is read.
    fn default() -> Self {
        SavedState {
            version: String::new(),
            runlevel: 'S',
            thislevel: 'S',
            prevlevel: 'N',
            pending_signals: 0,
            wrote_wtmp_boot: true,
            wrote_utmp_boot: true,
            sleep_time: DEFAULT_SLEEP_TIME as i32,
            did_boot: false,
            grammar: Grammar::Sysvinit,
            entries: Vec::new(),
        }
    }
}

/// One inittab entry as the old init knew it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedEntry {
    pub id: String,
    pub runlevels: String,
    pub flags: EntryFlags,
    /// PID of the running process (0 if none).
    pub pid: i32,
    /// Raw `wait` status of the last exit.
    pub exit_status: u32,
    /// Action name as in inittab; sysvinit treats an unknown name as `off`.
    pub action: String,
    pub process: String,
    /// `VRC` (vinit only): the respawn limiter's state, if it has one.
    pub respawn: Option<RespawnCounter>,
}

/// An entry's respawn limiter (docs/compatibility.md §2), as `VRC<count>:<start>:<failing>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RespawnCounter {
    pub count: u32,
    /// Start of the 120 s window, monotonic seconds (the clock survives
    /// exec); `-` when there is none.
    pub window_start: Option<u64>,
    /// Disabled for respawning too fast.
    pub failing: bool,
}

impl RespawnCounter {
    fn parse(value: &str) -> Option<RespawnCounter> {
        let mut fields = value.split(':');
        let (count, start, failing) = (fields.next()?, fields.next()?, fields.next()?);
        if fields.next().is_some() {
            return None;
        }
        Some(RespawnCounter {
            count: count.parse().ok()?,
            window_start: match start {
                "-" => None,
                s => Some(s.parse().ok()?),
            },
            failing: match failing {
                "0" => false,
                "1" => true,
                _ => return None,
            },
        })
    }
}

impl fmt::Display for RespawnCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.window_start {
            Some(start) => write!(f, "{}:{start}:{}", self.count, u8::from(self.failing)),
            None => write!(f, "{}:-:{}", self.count, u8::from(self.failing)),
        }
    }
}

/// The `FL` flags of an entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryFlags {
    /// `RU`: a process is running.
    pub running: bool,
    /// `DE`: an on-demand level (a/b/c) was requested.
    pub demand: bool,
    /// `XD`: started at least once in this level.
    pub executed: bool,
    /// `WT`: init waits for it.
    pub waiting: bool,
}

/// Why a state text was not read to its `END`. Whatever was read before
/// the problem is in `partial`; sysvinit continues with that, too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateError {
    /// 1-based line number of the problem.
    pub line: usize,
    pub reason: String,
    pub partial: Box<SavedState>,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "re-exec state, line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for StateError {}

/// The line tags of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Version,
    End,
    Record,
    EndOfRecord,
    Levels,
    Flag,
    Action,
    Process,
    Pid,
    ExitStatus,
    Runlevel,
    ThisLevel,
    PrevLevel,
    Signals,
    WroteWtmp,
    WroteUtmp,
    SleepTime,
    DidBoot,
    /// `-LW`/`-LU` (later sysvinit): accepted and ignored.
    WroteLevelRecord,
    /// `VRC`: vinit's respawn counter, inside a record.
    RespawnCounter,
    /// `VGR`: vinit's grammar line.
    Grammar,
    /// `VID`, `VCM`: vinit's whole id and command, inside a record, when
    /// sysvinit's fields are too short for them.
    LongId,
    LongProcess,
}

/// A state line's tag, its 3-character name and the value after it.
fn tag(line: &str) -> Option<(Tag, &str, &str)> {
    let (name, rest) = line.split_at_checked(3)?;
    let tag = match name {
        "VER" => Tag::Version,
        "END" => Tag::End,
        "REC" => Tag::Record,
        "EOR" => Tag::EndOfRecord,
        "LEV" => Tag::Levels,
        "FL " => Tag::Flag,
        "AC " => Tag::Action,
        "CMD" => Tag::Process,
        "PID" => Tag::Pid,
        "EXS" => Tag::ExitStatus,
        "-RL" => Tag::Runlevel,
        "-TL" => Tag::ThisLevel,
        "-PL" => Tag::PrevLevel,
        "-SI" => Tag::Signals,
        "-WR" => Tag::WroteWtmp,
        "-WU" => Tag::WroteUtmp,
        "-ST" => Tag::SleepTime,
        "-DB" => Tag::DidBoot,
        "-LW" | "-LU" => Tag::WroteLevelRecord,
        "VRC" => Tag::RespawnCounter,
        "VGR" => Tag::Grammar,
        "VID" => Tag::LongId,
        "VCM" => Tag::LongProcess,
        _ => return None,
    };
    Some((tag, name, rest))
}

/// `%d`/`%u` as fscanf reads them: leading blanks, optional sign, digits.
fn number<T: std::str::FromStr>(value: &str) -> Option<T> {
    let value = value.trim_start();
    let sign_len = usize::from(value.starts_with(['-', '+']));
    let digits = value
        .get(sign_len..)?
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    value.get(..sign_len + digits)?.parse().ok()
}

fn limited(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

/// Parses a state text (everything after the signature).
pub fn parse(text: &[u8]) -> Result<SavedState, StateError> {
    let text = String::from_utf8_lossy(text);
    let mut state = SavedState::default();
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l));
    let fail = |line: usize, reason: String, state: SavedState| StateError {
        line,
        reason,
        partial: Box::new(state),
    };

    match lines.next().and_then(|(_, l)| tag(l)) {
        Some((Tag::Version, _, version)) => state.version = version.to_string(),
        _ => return Err(fail(1, "does not start with VER".into(), state)),
    }

    let mut current: Option<SavedEntry> = None;
    let mut last_line = 1;
    for (number_of_line, line) in lines {
        last_line = number_of_line;
        let Some((tag, name, value)) = tag(line) else {
            // Unknown tags are skipped, in and out of records, as sysvinit does.
            continue;
        };
        if let Some(entry) = current.as_mut() {
            match tag {
                Tag::EndOfRecord => {
                    if let Some(entry) = current.take() {
                        state.entries.push(entry);
                    }
                }
                Tag::Pid => entry.pid = number(value).unwrap_or(entry.pid),
                Tag::ExitStatus => entry.exit_status = number(value).unwrap_or(entry.exit_status),
                Tag::Levels => entry.runlevels = limited(value, MAX_LEVELS),
                Tag::Process => entry.process = limited(value, MAX_PROCESS),
                Tag::Action => entry.action = value.to_string(),
                Tag::RespawnCounter => entry.respawn = RespawnCounter::parse(value),
                Tag::LongId => entry.id = limited(value, MAX_LINE),
                Tag::LongProcess => entry.process = limited(value, MAX_LINE),
                Tag::Flag => match value {
                    "RU" => entry.flags.running = true,
                    "DE" => entry.flags.demand = true,
                    "XD" => entry.flags.executed = true,
                    "WT" => entry.flags.waiting = true,
                    _ => {}
                },
                _ => {
                    let id = entry.id.clone();
                    return Err(fail(
                        number_of_line,
                        format!("unexpected {name:?} inside the record of {id:?}"),
                        state,
                    ));
                }
            }
            continue;
        }
        let level = || value.chars().next();
        match tag {
            Tag::End => return Ok(state),
            Tag::Record => {
                current = Some(SavedEntry {
                    id: limited(value, MAX_ID),
                    ..SavedEntry::default()
                })
            }
            Tag::Runlevel => state.runlevel = level().unwrap_or(state.runlevel),
            Tag::ThisLevel => state.thislevel = level().unwrap_or(state.thislevel),
            Tag::PrevLevel => state.prevlevel = level().unwrap_or(state.prevlevel),
            Tag::Signals => state.pending_signals = number(value).unwrap_or(state.pending_signals),
            Tag::WroteWtmp => {
                state.wrote_wtmp_boot =
                    number::<i64>(value).map_or(state.wrote_wtmp_boot, |n| n != 0)
            }
            Tag::WroteUtmp => {
                state.wrote_utmp_boot =
                    number::<i64>(value).map_or(state.wrote_utmp_boot, |n| n != 0)
            }
            Tag::SleepTime => state.sleep_time = number(value).unwrap_or(state.sleep_time),
            Tag::DidBoot => {
                state.did_boot = number::<i64>(value).map_or(state.did_boot, |n| n != 0)
            }
            Tag::Grammar => state.grammar = Grammar::from_tag(value).unwrap_or(state.grammar),
            Tag::WroteLevelRecord | Tag::RespawnCounter => {}
            _ => {
                return Err(fail(
                    number_of_line,
                    format!("unexpected {name:?} outside a record"),
                    state,
                ));
            }
        }
    }
    Err(fail(last_line, "ends without END".into(), state))
}

/// Writes the state text as sysvinit's `send_state` does.
pub fn serialize(state: &SavedState) -> String {
    let flag = |b: bool| i32::from(b);
    let mut out = format!(
        "VER{}\n-RL{}\n-TL{}\n-PL{}\n-SI{}\n-WR{}\n-WU{}\n-ST{}\n-DB{}\n",
        state.version,
        state.runlevel,
        state.thislevel,
        state.prevlevel,
        state.pending_signals,
        flag(state.wrote_wtmp_boot),
        flag(state.wrote_utmp_boot),
        state.sleep_time,
        flag(state.did_boot),
    );
    if state.grammar != Grammar::Sysvinit {
        out.push_str(&format!("VGR{}\n", state.grammar.tag()));
    }
    for entry in &state.entries {
        out.push_str(&format!("REC{}\nLEV{}\n", entry.id, entry.runlevels));
        if entry.id.chars().count() > MAX_ID {
            out.push_str(&format!("VID{}\n", entry.id));
        }
        let flags = [
            (entry.flags.running, "RU"),
            (entry.flags.demand, "DE"),
            (entry.flags.executed, "XD"),
            (entry.flags.waiting, "WT"),
        ];
        for (_, name) in flags.iter().filter(|(set, _)| *set) {
            out.push_str(&format!("FL {name}\n"));
        }
        out.push_str(&format!(
            "PID{}\nEXS{}\nAC {}\nCMD{}\n",
            entry.pid, entry.exit_status, entry.action, entry.process
        ));
        if entry.process.chars().count() > MAX_PROCESS {
            out.push_str(&format!("VCM{}\n", entry.process));
        }
        if let Some(counter) = entry.respawn {
            out.push_str(&format!("VRC{counter}\n"));
        }
        out.push_str("EOR\n");
    }
    out.push_str("END\n");
    out
}

/// The version line vinit writes.
pub(crate) fn vinit_version_line() -> String {
    format!("@(#) vinit {}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What sysvinit 3.06's `send_state` writes for a Debian-like inittab
    /// in runlevel 2 (`~~` is the sulogin entry, `1` a getty).
    pub(crate) const SYSVINIT_TEXT: &str = "VER@(#) init 3.06 miquels@cistron.nl
-RL2
-TL2
-PLN
-SI0
-WR1
-WU1
-ST3
-DB1
RECsi
LEVS
FL XD
PID0
EXS0
AC sysinit
CMD/etc/init.d/rcS
EOR
REC~~
LEVS
PID0
EXS0
AC wait
CMD/sbin/sulogin --force
EOR
RECl2
LEV2
FL XD
PID0
EXS0
AC wait
CMD/etc/init.d/rc 2
EOR
REC1
LEV2345
FL RU
FL XD
PID642
EXS0
AC respawn
CMD/sbin/getty --noclear 38400 tty1
EOR
END
";

    #[test]
    fn reads_what_sysvinit_writes() {
        let state = parse(SYSVINIT_TEXT.as_bytes()).unwrap();
        assert_eq!(state.version, "@(#) init 3.06 miquels@cistron.nl");
        assert_eq!(
            (state.runlevel, state.thislevel, state.prevlevel),
            ('2', '2', 'N')
        );
        assert_eq!(state.sleep_time, 3);
        assert!(state.did_boot && state.wrote_utmp_boot && state.wrote_wtmp_boot);
        assert_eq!(state.entries.len(), 4);
        let getty = &state.entries[3];
        assert_eq!(getty.id, "1");
        assert_eq!(getty.runlevels, "2345");
        assert_eq!(getty.pid, 642);
        assert_eq!(getty.action, "respawn");
        assert_eq!(getty.process, "/sbin/getty --noclear 38400 tty1");
        assert_eq!(
            getty.flags,
            EntryFlags {
                running: true,
                executed: true,
                ..EntryFlags::default()
            }
        );
        assert_eq!(state.entries[1].process, "/sbin/sulogin --force");
        // And writes it back byte for byte.
        assert_eq!(serialize(&state), SYSVINIT_TEXT);
    }

    #[test]
    fn round_trip() {
        let state = SavedState {
            version: vinit_version_line(),
            runlevel: '5',
            thislevel: '5',
            prevlevel: '3',
            pending_signals: 1 << 17,
            wrote_wtmp_boot: false,
            wrote_utmp_boot: true,
            sleep_time: 7,
            did_boot: true,
            grammar: Grammar::Sysvinit,
            entries: vec![SavedEntry {
                id: "x1".into(),
                runlevels: "35".into(),
                flags: EntryFlags {
                    running: true,
                    demand: true,
                    executed: true,
                    waiting: true,
                },
                pid: 1234,
                exit_status: 256,
                action: "ondemand".into(),
                process: "+/bin/sh -c 'sleep 1; exit 1' # comment".into(),
                respawn: Some(RespawnCounter {
                    count: 4,
                    window_start: Some(5000),
                    failing: false,
                }),
            }],
        };
        assert_eq!(parse(serialize(&state).as_bytes()), Ok(state));
    }

    #[test]
    fn a_busybox_state_says_its_grammar_and_keeps_long_ids_and_commands() {
        let long_command = format!("/bin/echo {}", "x".repeat(200));
        let state = SavedState {
            version: vinit_version_line(),
            runlevel: '-',
            thislevel: 'S',
            prevlevel: 'N',
            grammar: Grammar::BusyBox,
            did_boot: true,
            entries: vec![
                SavedEntry {
                    id: "ttyAMA0".into(),
                    runlevels: "-".into(),
                    action: "askfirst".into(),
                    process: "-/bin/sh".into(),
                    ..SavedEntry::default()
                },
                SavedEntry {
                    id: "/dev/ttyS0".into(),
                    runlevels: "-".into(),
                    action: "once".into(),
                    process: long_command.clone(),
                    ..SavedEntry::default()
                },
            ],
            ..SavedState::default()
        };
        let text = serialize(&state);
        assert!(
            text.contains("-DB1\nVGRbusybox\nRECttyAMA0\nLEV-\nPID0"),
            "{text}"
        );
        assert!(
            text.contains("REC/dev/ttyS0\nLEV-\nVID/dev/ttyS0\n"),
            "{text}"
        );
        assert!(text.contains(&format!("VCM{long_command}\n")), "{text}");
        assert_eq!(parse(text.as_bytes()), Ok(state));
        // A sysvinit state has none of these lines.
        let sysvinit = SavedState::default();
        assert!(!serialize(&sysvinit).contains("VGR"));
        let read = parse(b"VERx\nVGRnonsense\nEND\n").unwrap();
        assert_eq!(read.grammar, Grammar::Sysvinit);
    }

    #[test]
    fn later_tags_and_unknown_lines_are_accepted() {
        let text =
            "VERx\n-RL3\n-LW1\n-LU0\nZZZ whatever\nRECa\nLEV3\nQQQ\nFL ??\nAC nosuch\nEOR\nEND\n";
        let state = parse(text.as_bytes()).unwrap();
        assert_eq!(state.runlevel, '3');
        assert_eq!(state.entries[0].id, "a");
        assert_eq!(state.entries[0].flags, EntryFlags::default());
        assert_eq!(state.entries[0].action, "nosuch");
    }

    #[test]
    fn respawn_counters_are_read_inside_records_and_skipped_elsewhere() {
        let text = "VERx\nVRC1:2:0\nRECa\nVRC10:-:1\nEOR\nRECb\nVRCjunk\nEOR\nEND\n";
        let state = parse(text.as_bytes()).unwrap();
        assert_eq!(
            state.entries[0].respawn,
            Some(RespawnCounter {
                count: 10,
                window_start: None,
                failing: true
            })
        );
        assert_eq!(state.entries[1].respawn, None);
    }

    #[test]
    fn damaged_texts_keep_what_was_read() {
        let err = parse(b"-RL3\nEND\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = parse(b"VERx\n-RL4\nRECa\nEOR\nRECb\nEND\n").unwrap_err();
        assert_eq!(err.line, 6);
        assert_eq!(err.partial.runlevel, '4');
        assert_eq!(err.partial.entries.len(), 1);
        assert!(err.to_string().contains("line 6"));
        let err = parse(b"VERx\nPID3\nEND\n").unwrap_err();
        assert_eq!(err.line, 2);
        let err = parse(b"VERx\n-RL2\n").unwrap_err();
        assert!(err.reason.contains("END"));
    }

    #[test]
    fn bad_numbers_keep_defaults_and_fields_are_capped() {
        let long = "y".repeat(500);
        let text = format!(
            "VERx\n-ST\n-SIabc\n-RL\nREC{long}\nLEV{long}\nPID-12junk\nCMD{long}\nEOR\nEND\n"
        );
        let state = parse(text.as_bytes()).unwrap();
        assert_eq!(state.sleep_time, 3);
        assert_eq!(state.runlevel, 'S');
        let e = &state.entries[0];
        assert_eq!(
            (e.id.len(), e.runlevels.len(), e.process.len()),
            (7, 11, 127)
        );
        assert_eq!(e.pid, -12);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"VERECOLPIDXSNAM-TLWUB0123456789 \n\xff\xc3";
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = parse(&bytes);
            let mut with_header = b"VER\n".to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = parse(&with_header);
        }
    }
}
