//! What comes in besides exits and time: initctl requests from
//! `/run/initctl` (level changes, demand levels, power events, SETENV,
//! re-exec; docs/compatibility.md §3.3, §3.7, §4.6) and the signals PID 1
//! turns into events. While stopped or killing, events are queued.

use std::time::Duration;

use super::busybox::After;
use super::slot::Slot;
use super::{
    Dest, Effects, Event, POWEROFF_COMMAND, PowerEvent, Record, Supervisor, builtin_location,
};
use crate::initctl::{self, Asked, Request};
use crate::inittab::{Action, DEFAULT_POWER_RUNLEVELS, Entry, Grammar};
use crate::report_limit::ReportLimit;
use crate::runlevel::{Phase, Runlevel};

/// sysvinit's message for a request with a command it does not implement
/// (docs/compatibility.md §4.4), limited to a few a second and then a count.
pub(super) fn unimplemented_report() -> ReportLimit {
    ReportLimit::new("got unimplemented initrequest.", |suppressed| {
        format!(
            "got unimplemented initrequest: {} more ignored without a message",
            suppressed.count
        )
    })
}

impl Supervisor {
    /// An initctl request or a signal.
    pub(crate) fn handle(&mut self, event: Event, fx: &mut dyn Effects, now: Duration) {
        match event {
            Event::Continue => {
                self.stopped = false;
                self.drain_deferred(fx, now);
            }
            Event::Stop => self.stopped = true,
            // On a BusyBox system's way down nothing else is taken, as
            // BusyBox's init takes no more signals then.
            _ if self.down.is_some() => {}
            event if self.blocked() => {
                // A signal repeated while stopped counts once (as a pending
                // signal does), so the queue cannot grow without bound.
                let repeated =
                    !matches!(event, Event::Request(_)) && self.deferred.contains(&event);
                if !repeated {
                    self.deferred.push_back(event);
                }
            }
            Event::Request(request) => self.request(&request, fx, now),
            Event::Reload => {
                self.reread(fx, now);
                self.fail_cancel();
                self.set_title(fx);
            }
            Event::CtrlAltDel => self.arm(|action| action == Action::Ctrlaltdel),
            Event::KbRequest => self.arm(|action| action == Action::Kbrequest),
            Event::Power(power) => self.power(power),
            Event::PowerOff => self.power_off(),
            Event::Down(mode) => self.go_down(After::Power(mode), fx),
            Event::Restart => self.restart(fx),
        }
        self.run(fx, now);
    }

    pub(super) fn blocked(&self) -> bool {
        self.stopped || self.kill.is_some() || self.emergency_pid.is_some()
    }

    pub(super) fn drain_deferred(&mut self, fx: &mut dyn Effects, now: Duration) {
        while !self.blocked() {
            let Some(event) = self.deferred.pop_front() else {
                break;
            };
            self.handle(event, fx, now);
        }
    }

    fn request(&mut self, request: &Request, fx: &mut dyn Effects, now: Duration) {
        let sleep_time = u32::try_from(request.sleeptime).unwrap_or(0);
        match request.cmd {
            initctl::CMD_RUNLVL => {
                self.sleep_time = sleep_time;
                self.new_level(request, fx, now);
            }
            initctl::CMD_POWERFAIL => {
                self.sleep_time = sleep_time;
                self.power(PowerEvent::Fail);
            }
            initctl::CMD_POWERFAILNOW => {
                self.sleep_time = sleep_time;
                self.power(PowerEvent::FailNow);
            }
            initctl::CMD_POWEROK => {
                self.sleep_time = sleep_time;
                self.power(PowerEvent::Ok);
            }
            initctl::CMD_SETENV => {
                for change in request.env_changes() {
                    self.extra_env.apply(&change);
                }
            }
            _ => {
                if let Some(message) = self.unimplemented.occurred(0, now) {
                    fx.log(Dest::Both, &message);
                }
            }
        }
    }

    /// sysvinit's `fifo_new_level` + `read_level` (docs/compatibility.md §3.3).
    fn new_level(&mut self, request: &Request, fx: &mut dyn Effects, now: Duration) {
        if self.grammar == Grammar::BusyBox {
            self.busybox_level_request(request.asked(), fx, now);
            return;
        }
        // Ignored only when the field is exactly the level's character
        // (`s` in S is a request), as sysvinit compares them.
        if request.runlevel == i32::from(self.runlevel.byte()) {
            return;
        }
        let old = self.runlevel;
        let mut new = old;
        let mut demand = None;
        match request.asked() {
            // Upper-cased first, as read_level does (`bad runlevel: X` for `x`).
            Asked::Bad(byte) => fx.log(Dest::Both, &format!("bad runlevel: {}", char::from(byte))),
            Asked::Level(level) => {
                // The record comes before the message (sysvinit logs
                // first), so whoever sees the message finds it written.
                fx.record(Record::Runlevel {
                    new: level,
                    old: Some(old),
                });
                self.thislevel = level;
                self.prevlevel = Some(old);
                new = level.into();
                if level == Runlevel::SINGLE {
                    fx.log(Dest::Both, "Going single user");
                } else {
                    fx.log(Dest::Both, &format!("Switching to runlevel: {level}"));
                }
            }
            Asked::Reload => fx.log(Dest::Syslog, "Re-reading inittab"),
            Asked::Demand(letter) => {
                fx.log(
                    Dest::Syslog,
                    &format!("Activating demand-procedures for '{}'", char::from(letter)),
                );
                if old != Phase::SINGLE {
                    demand = Some(letter);
                }
            }
            Asked::Reexec => {
                fx.log(Dest::Syslog, "Trying to re-exec init");
                self.reexec(fx);
                return;
            }
        }
        self.runlevel = new;
        let new_level = new.level();
        if (old != Phase::SINGLE && new == Phase::SINGLE)
            || new_level.is_some_and(|level| matches!(level.char(), '0' | '1' | '6'))
        {
            fx.console_stty();
        }
        if new != old && new_level.is_some_and(Runlevel::is_multi_user) {
            fx.record(Record::Redo);
        }
        self.reread(fx, now);
        if let Some(letter) = demand {
            for slot in &mut self.slots {
                if slot.entry.demand_marked_by(letter) {
                    slot.demand = true;
                    slot.executed = false;
                }
            }
            // sysvinit's `read_level` reads the inittab before marking and
            // `fifo_new_level` reads it again, as for every request: the
            // second read only repeats its messages (the marks carry over).
            self.reread(fx, now);
        }
        self.fail_cancel();
        self.set_title(fx);
        self.write_runlevel_file(fx, true);
    }

    /// sysvinit's `re_exec` (docs/compatibility.md §3.7): only from `S` and
    /// `0`–`6`, or a BusyBox inittab's one level.
    pub(super) fn reexec(&mut self, fx: &mut dyn Effects) {
        let handed_over = match self.runlevel {
            Phase::Level(level) => !matches!(level.char(), '7'..='9'),
            Phase::BusyBox => true,
            Phase::Sysinit | Phase::Boot | Phase::BusyBoxDown => false,
        };
        if !handed_over {
            return;
        }
        // sysvinit clears the respawn counters here; the new image gets
        // them instead, in the state (`VRC` lines).
        let state = self.snapshot();
        fx.reexec(&state, self.extra_env.vars());
        fx.log(Dest::Console, "Attempt to re-exec failed");
    }

    pub(super) fn arm(&mut self, which: impl Fn(Action) -> bool) {
        for slot in &mut self.slots {
            if which(slot.entry.action) {
                slot.executed = false;
            }
        }
    }

    /// sysvinit's `do_power_fail`.
    fn power(&mut self, power: PowerEvent) {
        self.arm(|action| match power {
            PowerEvent::Ok => action == Action::Powerokwait,
            PowerEvent::FailNow => action == Action::Powerfailnow,
            PowerEvent::Fail => matches!(action, Action::Powerfail | Action::Powerwait),
        });
    }

    /// SIGRTMIN+4 in sysvinit 3.10+: a `once` entry `~~` that runs
    /// `shutdown -hP now`, which then asks for level 0. A repeated signal
    /// re-arms the same entry.
    fn power_off(&mut self) {
        let existing = self
            .slots
            .iter_mut()
            .find(|slot| slot.entry.id == "~~" && slot.entry.process == POWEROFF_COMMAND);
        match existing {
            Some(slot) => slot.executed = false,
            None => self.slots.push(Slot::new(Entry {
                id: "~~".to_string(),
                runlevels: DEFAULT_POWER_RUNLEVELS.to_string(),
                action: Action::Once,
                process: POWEROFF_COMMAND.to_string(),
                location: builtin_location(),
                grammar: Grammar::Sysvinit,
            })),
        }
    }
}
