//! The boot phases (docs/compatibility.md §3.2, §4.2): the `-b` emergency
//! shell, sysinit (`#`), boot/bootwait (`*`), then the default level, and
//! the way back from single-user mode.

use std::time::Duration;

use super::{Dest, Effects, Record, SpawnRequest, Supervisor, builtin_location};
use crate::defaults::SULOGIN;
use crate::inittab::{self, Action, DefaultLevel, Entry, Grammar};
use crate::runlevel::{Phase, Runlevel};

impl Supervisor {
    /// Starts the boot: the emergency shell if asked for, else sysinit.
    pub(crate) fn boot(&mut self, fx: &mut dyn Effects, now: Duration) {
        if self.options.emergency {
            let sulogin = Entry {
                id: "~~".to_string(),
                runlevels: "S".to_string(),
                action: Action::Wait,
                process: SULOGIN.to_string(),
                location: builtin_location(),
                grammar: Grammar::Sysvinit,
            };
            let request = SpawnRequest {
                entry: &sulogin,
                // sysvinit's level before the boot starts is `S`: no
                // /etc/initscript for the emergency shell.
                level: Phase::SINGLE,
                levels: self.child_levels(),
                controlling_tty: true,
                extra_env: &self.extra_env,
            };
            if let Some(pid) = fx.spawn(&request) {
                self.emergency_pid = Some(pid);
                return;
            }
        }
        self.start_boot(fx, now);
    }

    pub(super) fn start_boot(&mut self, fx: &mut dyn Effects, now: Duration) {
        self.runlevel = Phase::Sysinit;
        self.reread(fx, now);
        self.run(fx, now);
    }

    pub(super) fn something_to_wait_for(&self) -> bool {
        self.slots
            .iter()
            .any(|slot| slot.is_running() && !slot.is_boot())
    }

    /// sysvinit's `boot_transitions` (docs/compatibility.md §3.2), or a
    /// BusyBox inittab's. True if the phase moved.
    pub(super) fn boot_transitions(&mut self, fx: &mut dyn Effects) -> bool {
        if self.grammar == Grammar::BusyBox {
            return self.busybox_transitions(fx);
        }
        if self.something_to_wait_for() {
            return false;
        }
        let mut entered = None;
        let mut old = None;
        match self.runlevel {
            Phase::Sysinit => {
                fx.record(Record::Boot);
                self.target = match self.options.level {
                    Some(level) => level,
                    None => self.initdefault(fx),
                };
                if self.target == Runlevel::SINGLE {
                    self.runlevel = Phase::SINGLE;
                    fx.set_title("init [S]");
                } else {
                    self.runlevel = Phase::Boot;
                }
            }
            Phase::Boot => {
                entered = Some(self.target);
                self.runlevel = self.target.into();
                self.did_boot = true;
                self.warn_idle = true;
            }
            Phase::SINGLE => {
                let target = self.initdefault(fx);
                self.target = target;
                if !self.did_boot && target != Runlevel::SINGLE {
                    self.runlevel = Phase::Boot;
                } else {
                    if target != Runlevel::SINGLE {
                        entered = Some(target);
                    }
                    self.runlevel = target.into();
                    old = Some(Phase::SINGLE);
                }
                self.warn_idle = true;
                for slot in &mut self.slots {
                    if slot.entry.effective_runlevels() == "S" {
                        slot.clear_wait_and_failure();
                        slot.executed = false;
                    }
                }
            }
            _ => {
                if self.warn_idle {
                    fx.log(Dest::Both, "no more processes left in this runlevel");
                }
                self.warn_idle = false;
                self.write_runlevel_file(fx, false);
                return false;
            }
        }
        if let Some(level) = entered {
            // Record first: whoever sees the message finds the record.
            fx.record(Record::Runlevel { new: level, old });
            fx.log(Dest::Both, &format!("Entering runlevel: {level}"));
            self.thislevel = level;
            self.prevlevel = old;
            self.set_title(fx);
        }
        self.write_runlevel_file(fx, false);
        true
    }

    /// sysvinit's `get_init_default`: the first initdefault entry's level,
    /// else the console prompt.
    fn initdefault(&mut self, fx: &mut dyn Effects) -> Runlevel {
        let level = self
            .slots
            .iter()
            .find(|slot| slot.entry.action == Action::Initdefault)
            .map_or(DefaultLevel::None, |slot| {
                inittab::default_level(std::slice::from_ref(&slot.entry))
            });
        match level {
            DefaultLevel::Level(level) => level,
            DefaultLevel::Invalid(_) => {
                if let Some(message) = level.message() {
                    fx.log(Dest::Both, &message);
                }
                fx.ask_runlevel()
            }
            DefaultLevel::None => fx.ask_runlevel(),
        }
    }
}
