//! A BusyBox inittab's way through the phases and down
//! (docs/compatibility.md §11.2, §11.4): its `sysinit` entries in `#`, then
//! its one state ([`Phase::BusyBox`]) for everything else, no runlevels to
//! change to; the way down arms the `shutdown` entries in
//! [`Phase::BusyBoxDown`], where nothing else starts, and once they have
//! run hands over to the mechanism: `reboot(2)`, or the `restart` entry in
//! init's place.

use std::time::Duration;

use super::{Dest, DownMode, Effects, Record, Supervisor};
use crate::initctl::Asked;
use crate::inittab::{Action, Entry};
use crate::runlevel::{Phase, Runlevel};

/// What the way down ends in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum After {
    Power(DownMode),
    /// The `restart` entry executed in init's place.
    Restart(Box<Entry>),
}

/// A BusyBox system on its way down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoingDown {
    after: After,
    /// The mechanism has been asked for the end: nothing more to do.
    ended: bool,
}

impl Supervisor {
    /// The boot transitions of a BusyBox inittab: out of `#` into its one
    /// level once the sysinit entries are done; on the way down, the end
    /// once the shutdown entries are. True if the phase moved.
    pub(super) fn busybox_transitions(&mut self, fx: &mut dyn Effects) -> bool {
        match self.runlevel {
            Phase::Sysinit if !self.something_to_wait_for() => {
                fx.record(Record::Boot);
                self.runlevel = Phase::BusyBox;
                self.did_boot = true;
                self.set_title(fx);
                true
            }
            Phase::BusyBoxDown => {
                self.end_the_way_down(fx);
                false
            }
            _ => false,
        }
    }

    /// A level request (`telinit N`, `shutdown`) to a BusyBox inittab:
    /// `0` halts or powers off (as `INIT_HALT` says, power off unless it
    /// is `HALT`), `6` reboots, `q` re-reads, `u` re-executes init; any
    /// other level is refused with a message, there being none.
    pub(super) fn busybox_level_request(
        &mut self,
        asked: Asked,
        fx: &mut dyn Effects,
        now: Duration,
    ) {
        match asked {
            Asked::Level(Runlevel::HALT) => {
                let halt = self
                    .extra_env
                    .vars()
                    .iter()
                    .any(|var| var.as_encoded_bytes() == b"INIT_HALT=HALT");
                let mode = if halt {
                    DownMode::Halt
                } else {
                    DownMode::PowerOff
                };
                self.go_down(After::Power(mode), fx);
            }
            Asked::Level(Runlevel::REBOOT) => self.go_down(After::Power(DownMode::Reboot), fx),
            Asked::Reload => {
                fx.log(Dest::Syslog, "Re-reading inittab");
                self.reread(fx, now);
                self.fail_cancel();
            }
            Asked::Reexec => {
                fx.log(Dest::Syslog, "Trying to re-exec init");
                self.reexec(fx);
            }
            Asked::Level(_) | Asked::Demand(_) | Asked::Bad(_) => fx.log(
                Dest::Both,
                &format!(
                    "runlevel {} ignored: /etc/inittab is in BusyBox's grammar, which has no \
                     runlevels (0 halts or powers off, 6 reboots, q re-reads, u re-executes init)",
                    char::from(asked.byte()).escape_default()
                ),
            ),
        }
    }

    /// SIGQUIT: BusyBox's `restart` entry (the first), if there is one. One
    /// that only executes this init again re-executes it with the running
    /// system's state (`telinit u`); another one runs after the way down.
    pub(super) fn restart(&mut self, fx: &mut dyn Effects) {
        let Some(entry) = self
            .slots
            .iter()
            .find(|slot| slot.entry.action == Action::Restart)
            .map(|slot| slot.entry.clone())
        else {
            return;
        };
        if fx.restart_is_reexec(&entry) {
            fx.log(Dest::Syslog, "Trying to re-exec init");
            self.reexec(fx);
        } else {
            self.go_down(After::Restart(Box::new(entry)), fx);
        }
    }

    /// Begins the way down, unless it has begun: the `shutdown` entries are
    /// armed and nothing else starts.
    pub(super) fn go_down(&mut self, after: After, fx: &mut dyn Effects) {
        if self.down.is_some() {
            return;
        }
        self.down = Some(GoingDown {
            after,
            ended: false,
        });
        self.runlevel = Phase::BusyBoxDown;
        self.arm(|action| action == Action::Shutdown);
        self.set_title(fx);
    }

    /// Once every `shutdown` entry has run: the end the way down was for.
    /// A restart that could not be executed halts, as BusyBox's does.
    fn end_the_way_down(&mut self, fx: &mut dyn Effects) {
        let shutdown_pending = self.slots.iter().any(|slot| {
            slot.entry.action == Action::Shutdown && (slot.is_running() || !slot.executed)
        });
        let Some(down) = self.down.as_mut() else {
            return;
        };
        if shutdown_pending || down.ended {
            return;
        }
        down.ended = true;
        fx.log(Dest::Both, "The system is going down NOW!");
        match &down.after {
            After::Power(mode) => fx.bring_down(*mode),
            After::Restart(entry) => {
                fx.restart(entry);
                fx.log(
                    Dest::Both,
                    &format!(
                        "cannot execute the restart entry \"{}\": halting",
                        entry.process
                    ),
                );
                fx.bring_down(DownMode::Halt);
            }
        }
    }
}
