//! The `/run/initctl` byte stream as PID 1 reads it through `initctl::Framer`
//! (resynchronising on the magic number). Input: bursts, each a 2-byte
//! little-endian length (mod 1024) and that many bytes, written to the pipe
//! one after the other, each read until the pipe is empty. Never panics;
//! every byte is either junk or part of a request; a burst that is exactly
//! one well-formed request gives exactly that request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vinit::initctl::{Framer, REQUEST_LEN, Request};
use vinit_fuzz::read_burst;

fuzz_target!(|data: &[u8]| {
    let mut framer = Framer::new();
    let mut rest = data;
    let (mut junk, mut requests) = (0usize, 0usize);
    while let Some((len, after)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len) % 1024).min(after.len());
        let (burst, after) = after.split_at(len);
        rest = after;
        let (got, dropped) = read_burst(&mut framer, burst);
        junk += dropped;
        requests += got.len();
        if burst.len() == REQUEST_LEN
            && let Ok(request) = Request::decode(burst)
            && request.is_well_formed()
        {
            assert_eq!(got, [request]);
        }
    }
    assert_eq!(junk + requests * REQUEST_LEN, total_burst_bytes(data));
});

/// The bytes of all bursts in `data` (lengths excluded).
fn total_burst_bytes(data: &[u8]) -> usize {
    let mut rest = data;
    let mut total = 0;
    while let Some((len, after)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len) % 1024).min(after.len());
        total += len;
        rest = &after[len..];
    }
    total
}
