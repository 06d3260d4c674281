//! The LSB `### BEGIN INIT INFO` header parser on any script text (read
//! as `rc::lsb::read` does: lossily as UTF-8). Never panics; an error
//! names a line inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vinit::rc::lsb;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match lsb::parse(&text, Path::new("/etc/init.d/fuzz")) {
        Ok(_) => {}
        Err(error) => {
            assert!(error.line >= 1 && error.line <= text.lines().count().max(1));
            let _ = error.to_string();
        }
    }
});
