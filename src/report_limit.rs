//! A console message that outside input can repeat at will (junk and
//! unimplemented requests on `/run/initctl`): logged as sysvinit logs it for
//! the first few times in an interval, then only counted, and the count
//! logged once per interval while the flood lasts. Each message costs
//! tens of microseconds (console, syslog or the kernel log), so logging
//! every one of a flood would keep init from the valid requests behind it,
//! and fill the logs. Pure: time is passed in.

// Files someone else may have placed are read through crate::untrusted only
// (clippy.toml); tests aside.
#![cfg_attr(not(test), deny(clippy::disallowed_methods))]

use std::time::Duration;

/// How long one interval lasts.
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);
/// How many times per interval the message is logged one by one, as
/// sysvinit logs it, before the rest is only counted.
pub(crate) const BURST: u32 = 5;

/// What was not logged: how many times, and how much in all (bytes, for
/// junk).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Suppressed {
    pub(crate) count: u64,
    pub(crate) amount: u64,
}

/// One message's limit: [`BURST`] times per [`INTERVAL`], then a count.
#[derive(Debug, Clone)]
pub(crate) struct ReportLimit {
    message: &'static str,
    /// The line that sums up what was suppressed.
    summary: fn(Suppressed) -> String,
    interval_end: Option<Duration>,
    logged: u32,
    suppressed: Suppressed,
}

impl ReportLimit {
    pub(crate) fn new(message: &'static str, summary: fn(Suppressed) -> String) -> ReportLimit {
        ReportLimit {
            message,
            summary,
            interval_end: None,
            logged: 0,
            suppressed: Suppressed::default(),
        }
    }

    /// It happened (again) at `now`, `amount` being its size: the line to
    /// log, if any (the message itself, or the count of those suppressed
    /// in the interval just over).
    pub(crate) fn occurred(&mut self, amount: usize, now: Duration) -> Option<String> {
        let mut summary = None;
        if self.interval_end.is_none_or(|end| now >= end) {
            summary = self.take_summary();
            self.interval_end = Some(now.saturating_add(INTERVAL));
            // A flood going on stays summed up; after a quiet interval,
            // the message is logged one by one again.
            self.logged = if summary.is_some() { BURST } else { 0 };
        }
        if self.logged < BURST {
            self.logged += 1;
            return Some(self.message.to_string());
        }
        self.suppressed.count = self.suppressed.count.saturating_add(1);
        self.suppressed.amount = self.suppressed.amount.saturating_add(amount as u64);
        summary
    }

    /// When [`ReportLimit::flush`] has a count to log.
    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.interval_end.filter(|_| self.suppressed.count > 0)
    }

    /// Once the interval is over: the count of what was suppressed, if
    /// anything was.
    pub(crate) fn flush(&mut self, now: Duration) -> Option<String> {
        if self.interval_end.is_some_and(|end| now < end) {
            return None;
        }
        let summary = self.take_summary()?;
        // Still limited: a flood gets one line per interval.
        self.interval_end = Some(now.saturating_add(INTERVAL));
        self.logged = BURST;
        Some(summary)
    }

    fn take_summary(&mut self) -> Option<String> {
        if self.suppressed.count == 0 {
            return None;
        }
        Some((self.summary)(std::mem::take(&mut self.suppressed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(suppressed: Suppressed) -> String {
        format!("{} more ({} units)", suppressed.count, suppressed.amount)
    }

    #[test]
    fn a_few_then_a_count_per_interval() {
        let second = |s: f64| Duration::from_secs_f64(s);
        let plain = Some("it happened".to_string());
        let mut limit = ReportLimit::new("it happened", summary);
        assert_eq!(limit.flush(second(1.0)), None, "nothing yet");
        // A few, one by one.
        for i in 0..BURST {
            assert_eq!(limit.occurred(5, second(10.0 + f64::from(i) * 0.01)), plain);
        }
        assert_eq!(limit.deadline(), None, "nothing to sum up yet");
        for i in 0..1000 {
            assert_eq!(
                limit.occurred(384, second(10.1 + f64::from(i) * 0.0005)),
                None
            );
        }
        assert_eq!(limit.deadline(), Some(second(11.0)));
        assert_eq!(limit.flush(second(10.9)), None);
        assert_eq!(
            limit.flush(second(11.0)).as_deref(),
            Some("1000 more (384000 units)")
        );
        assert_eq!(limit.deadline(), None);
        assert_eq!(limit.flush(second(11.5)), None);
        // The flood goes on: counted, one summary per interval, whether
        // the next occurrence or the flush brings it.
        assert_eq!(limit.occurred(1, second(11.5)), None);
        assert_eq!(
            limit.occurred(2, second(12.5)).as_deref(),
            Some("1 more (1 units)")
        );
        assert_eq!(limit.occurred(2, second(12.6)), None);
        assert_eq!(
            limit.flush(second(13.5)).as_deref(),
            Some("2 more (4 units)")
        );
        // After a quiet interval, one by one again.
        assert_eq!(limit.occurred(2, second(20.0)), plain);
        assert_eq!(limit.occurred(2, second(20.1)), plain);
        assert_eq!(limit.deadline(), None);
    }

    #[test]
    fn counts_saturate() {
        let mut limit = ReportLimit::new("it happened", summary);
        for _ in 0..BURST {
            limit.occurred(0, Duration::ZERO);
        }
        limit.suppressed = Suppressed {
            count: u64::MAX - 1,
            amount: u64::MAX - 1,
        };
        assert_eq!(limit.occurred(usize::MAX, Duration::ZERO), None);
        assert_eq!(limit.occurred(usize::MAX, Duration::ZERO), None);
        assert_eq!(
            limit.flush(INTERVAL),
            Some(format!("{} more ({} units)", u64::MAX, u64::MAX))
        );
    }
}
