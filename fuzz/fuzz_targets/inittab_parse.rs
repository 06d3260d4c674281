//! The inittab line parser on any bytes: never panics, every diagnostic
//! points inside the text, and an accepted line written back out as
//! `id:runlevels:action:process` parses to the same entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vinit::inittab::parse;
use vinit_fuzz::assert_written_back_the_same;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/etc/inittab");
    let parsed = parse(data, file, 1);
    let physical_lines = data.split(|&b| b == b'\n').count();
    for diagnostic in &parsed.diagnostics {
        assert!(diagnostic.line >= 1 && diagnostic.line <= physical_lines);
        assert!(diagnostic.column >= 1);
        assert!(diagnostic.sysv_line >= 1 && diagnostic.sysv_line <= parsed.last_line);
    }
    for entry in &parsed.entries {
        assert!(entry.location.line >= 1 && entry.location.line <= physical_lines);
        // Lossily converted fields (U+FFFD) may not survive being written
        // back out within the byte limits; only exact text is compared.
        let fields = [&entry.id, &entry.runlevels, &entry.process];
        if fields.iter().any(|f| f.contains('\u{FFFD}')) {
            continue;
        }
        assert_written_back_the_same(entry, |line| parse(line, file, 1));
    }
});
