//! Tests of the data model: actions, runlevels, initdefault.

use super::*;
use crate::runlevel::{at, level as runlevel};
use std::path::Path;

fn entries(text: &str) -> Vec<Entry> {
    parse(text.as_bytes(), Path::new("/etc/inittab"), 1).entries
}

#[test]
fn every_action_name_round_trips_case_insensitively() {
    for action in Action::ALL {
        assert_eq!(Action::from_name(action.name()), Some(action));
        assert_eq!(
            Action::from_name(&action.name().to_uppercase()),
            Some(action)
        );
    }
    assert_eq!(Action::from_name("ReSpAwN"), Some(Action::Respawn));
    assert_eq!(Action::from_name("respawn "), None);
    assert_eq!(Action::from_name(""), None);
}

#[test]
fn action_classes() {
    let power = [
        Action::Powerwait,
        Action::Powerfail,
        Action::Powerokwait,
        Action::Powerfailnow,
        Action::Ctrlaltdel,
    ];
    let waited = [
        Action::Sysinit,
        Action::Bootwait,
        Action::Wait,
        Action::Powerwait,
        Action::Powerfailnow,
        Action::Powerokwait,
        Action::Ctrlaltdel,
    ];
    for action in Action::ALL {
        assert_eq!(action.is_power_type(), power.contains(&action), "{action}");
        assert_eq!(action.waits(), waited.contains(&action), "{action}");
        assert_eq!(
            action.respawns(),
            matches!(action, Action::Respawn | Action::Ondemand),
            "{action}"
        );
        assert_eq!(
            action.starts_disarmed(),
            power.contains(&action) || action == Action::Kbrequest
        );
    }
    assert_eq!(Action::Powerfail.to_string(), "powerfail");
}

#[test]
fn effective_runlevels_follow_sysvinit_defaults() {
    let [empty, power, cad, sysinit, boot, bootwait, lower, plain] = entries(
        "a::once:/x\nb::powerwait:/x\nc::ctrlaltdel:/x\nd:2:sysinit:/x\ne:S:boot:/x\nf::bootwait:/x\ng:s:wait:/x\nh:35:respawn:/x\n",
    )
    .try_into()
    .expect("eight entries");
    assert_eq!(empty.effective_runlevels(), "0123456789");
    assert_eq!(power.effective_runlevels(), "S0123456789");
    assert_eq!(cad.effective_runlevels(), "S0123456789");
    assert_eq!(sysinit.effective_runlevels(), "#");
    assert_eq!(boot.effective_runlevels(), "*");
    assert_eq!(bootwait.effective_runlevels(), "*");
    assert_eq!(lower.effective_runlevels(), "s");
    assert_eq!(plain.effective_runlevels(), "35");

    assert!(!empty.runs_in(at('S')), "the empty default excludes S");
    assert!(empty.runs_in(at('9')));
    assert!(power.runs_in(at('S')));
    assert!(sysinit.runs_in(Phase::Sysinit) && !sysinit.runs_in(at('2')));
    assert!(boot.runs_in(Phase::Boot) && !boot.runs_in(at('S')));
    // Quirk §12.4, replicated: lowercase s never matches single-user mode.
    assert!(!lower.runs_in(at('S')));
    assert!(plain.runs_in(at('3')) && !plain.runs_in(at('2')));
}

#[test]
fn demand_letters_match_either_case() {
    let [upper, lower, none] = entries("a:A:ondemand:/x\nb:b:ondemand:/x\nc:2:ondemand:/x\n")
        .try_into()
        .expect("three entries");
    assert!(upper.demand_marked_by(b'a') && upper.demand_marked_by(b'A'));
    assert!(lower.demand_marked_by(b'B'));
    assert!(!none.demand_marked_by(b'c'));
}

#[test]
fn initdefault_takes_the_highest_character() {
    let level = |text: &str| default_level(&entries(text));
    assert_eq!(
        level("id:253:initdefault:\n"),
        DefaultLevel::Level(runlevel('5'))
    );
    assert_eq!(
        level("id:2s:initdefault:\n"),
        DefaultLevel::Level(runlevel('S'))
    );
    assert_eq!(
        level("id:S:initdefault:\n"),
        DefaultLevel::Level(runlevel('S'))
    );
    // Only the first initdefault entry counts.
    assert_eq!(
        level("a:3:initdefault:\nb:5:initdefault:\n"),
        DefaultLevel::Level(runlevel('3'))
    );
    // An empty field defaults to 0123456789, so the default level is 9.
    assert_eq!(
        level("id::initdefault:\n"),
        DefaultLevel::Level(runlevel('9'))
    );
    assert_eq!(level("x:2:wait:/x\n"), DefaultLevel::None);
    assert_eq!(level("id:2x:initdefault:\n"), DefaultLevel::Invalid('X'));
    assert_eq!(
        level("id:2#:initdefault:\n"),
        DefaultLevel::Level(runlevel('2'))
    );
    assert_eq!(level("id:~:initdefault:\n"), DefaultLevel::Invalid('~'));
    assert_eq!(
        DefaultLevel::Invalid('X').message().as_deref(),
        Some("Initdefault level 'X' is invalid")
    );
    assert_eq!(DefaultLevel::Level(runlevel('2')).message(), None);
    // Bytes >= 0x80 are negative chars to sysvinit and never win.
    let parsed = parse(b"id:\xff\xfe:initdefault:\n", Path::new("t"), 1);
    assert_eq!(default_level(&parsed.entries), DefaultLevel::None);
    let parsed = parse(b"id:\xff3:initdefault:\n", Path::new("t"), 1);
    assert_eq!(
        default_level(&parsed.entries),
        DefaultLevel::Level(runlevel('3'))
    );
}

#[test]
fn start_order_moves_power_entries_to_the_front() {
    let all = entries(
        "a:2:wait:/x\nb::powerfail:/x\nc:2:respawn:/x\nd::ctrlaltdel:/x\ne::kbrequest:/x\n",
    );
    let ordered = start_order(all);
    let ids: Vec<&str> = ordered.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["b", "d", "a", "c", "e"]);
}

#[test]
fn plus_prefix_turns_off_utmp() {
    let [plus, plain, at_plus] = entries("a:2:wait:+/x\nb:2:wait:/x\nc:2:wait:@+/x\n")
        .try_into()
        .expect("three entries");
    assert!(!plus.writes_utmp());
    assert!(plain.writes_utmp());
    assert!(at_plus.writes_utmp());
}
