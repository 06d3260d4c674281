//! init's command line and the kernel's `/proc/cmdline`: init's own
//! arguments (`single`, `-a`, `emergency`, a level, `-z xxx`),
//! `init.autocon=1` consoles and rc's `concurrency=none`. Input: the
//! cmdline bytes, whose words are also init's argv. Never panics; consoles
//! added get fresh ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::path::Path;
use vinit::inittab::{kernel_console_entries, parse};
use vinit::pid1::cmdline::parse_init_args;
use vinit::rc::cmdline_wants_sequential;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let args: Vec<&str> = text.split_whitespace().collect();
    let init_args = parse_init_args(&args);
    if let Some(level) = init_args.default_level {
        assert!("0123456789S".contains(level.char()));
    }
    let _ = cmdline_wants_sequential(&text);

    let existing = parse(
        b"1:2345:respawn:/sbin/getty 38400 tty1\nS0:2345:respawn:/sbin/getty -L ttyS0\n",
        Path::new("/etc/inittab"),
        1,
    )
    .entries;
    let mut ids: HashSet<String> = existing.iter().map(|e| e.id.clone()).collect();
    for (entry, message) in kernel_console_entries(data, Path::new("/proc/cmdline"), &existing) {
        assert!(ids.insert(entry.id.clone()), "id {:?} twice", entry.id);
        assert!(message.contains(&entry.id));
    }
});
