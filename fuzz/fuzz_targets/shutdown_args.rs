//! `shutdown`'s command line: options, the time operand (`now`, `+M`,
//! `M`, `HH:MM`, `+H:MM`) and the warning message, read without acting.
//! Input: two bytes of wall-clock minutes, then the arguments separated by
//! NUL bytes (any bytes, as the kernel passes them). Never panics; a time
//! that parses gives a deadline that the countdown can reach.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, SystemTime};
use vinit::cmd::shutdown::read_command_line;

fuzz_target!(|data: &[u8]| {
    let Some((clock, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let now_minutes = i64::from(u16::from_le_bytes(*clock) % 1440);
    let args: Vec<OsString> = std::iter::once(OsString::from("shutdown"))
        .chain(
            rest.split(|&b| b == 0)
                .map(|arg| OsStr::from_bytes(arg).to_os_string()),
        )
        .collect();
    if let Ok(plan) = read_command_line(&args, now_minutes)
        && let Some(minutes) = plan.minutes
    {
        assert!(minutes >= 0);
        // The countdown's deadline (`run`) must be computable.
        let seconds = 60u64
            .checked_mul(minutes.unsigned_abs())
            .expect("minutes in seconds");
        assert!(
            SystemTime::now()
                .checked_add(Duration::from_secs(seconds))
                .is_some()
        );
        assert!(plan.message.len() <= 256);
    }
});
