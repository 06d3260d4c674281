//! BusyBox's inittab grammar on any bytes: the grammar detection and the
//! BusyBox parser never panic, every diagnostic points inside the text, and
//! an accepted line written back out as `tty:runlevels:action:command`
//! parses to the same entry (unless its command ends in a backslash).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vinit::inittab::{busybox, detect};
use vinit_fuzz::assert_written_back_the_same;

fuzz_target!(|data: &[u8]| {
    let _ = detect(data);
    let file = Path::new("/etc/inittab");
    let Ok(parsed) = busybox::parse(data, file, u64::MAX) else {
        panic!("reading from memory failed");
    };
    let physical_lines = data.split(|&b| b == b'\n').count();
    for diagnostic in &parsed.diagnostics {
        assert!(diagnostic.line >= 1 && diagnostic.line <= physical_lines);
        assert!(diagnostic.column >= 1);
    }
    for entry in &parsed.entries {
        assert!(entry.location.line >= 1 && entry.location.line <= physical_lines);
        // Lossy fields do not survive being written back; nor does a command cut
        // at a `#` just after a backslash, which would continue the written line.
        let fields = [&entry.id, &entry.runlevels, &entry.process];
        if fields.iter().any(|f| f.contains('\u{FFFD}')) || entry.process.ends_with('\\') {
            continue;
        }
        assert_written_back_the_same(entry, |line| {
            let Ok(again) = busybox::parse(line, file, u64::MAX) else {
                panic!("reading from memory failed");
            };
            again
        });
    }
});
