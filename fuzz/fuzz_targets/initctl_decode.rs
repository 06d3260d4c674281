//! `/run/initctl` bytes as PID 1 reads them: the stream cut into the
//! 384-byte reads `pid1::fifo` makes, each decoded; a decoded request
//! encodes back to the same bytes, and its SETENV data is read without
//! panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vinit::initctl::{REQUEST_LEN, Request};

fuzz_target!(|data: &[u8]| {
    let _ = Request::decode(data);
    for chunk in data.chunks(REQUEST_LEN) {
        if let Ok(request) = Request::decode(chunk) {
            assert_eq!(&request.encode()[..], chunk);
            for change in request.env_changes() {
                let _ = format!("{change:?}");
            }
        }
    }
});
