//! Writers of junk (some of it `magic + junk`) interleaved with writers of
//! real requests on `/run/initctl`, read through `initctl::Framer` as
//! `pid1::fifo` reads it. The input is a list of writes; each starts with a
//! tag byte:
//!
//! * `4n`: a request, whole (below `PIPE_BUF`, so atomic): a command byte
//!   (level change, the three power events, SETENV), a level byte and a
//!   sleep-time byte; a SETENV then has a length byte and that many bytes
//!   for its one `NAME=VALUE` string (NULs left out).
//! * `4n+1`: the pipe runs dry: init reads until it is empty.
//! * `4n+2`: junk: a 2-byte little-endian length (mod 1024) and its bytes.
//! * `4n+3`: the same junk after the magic number.
//!
//! Never panics; every byte is junk or part of a packet handed on; and
//! unless some junk looks like a well-formed request itself (a magic in
//! the junk followed by 384 bytes that `Request::is_well_formed` accepts),
//! the well-formed requests read are exactly those written, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vinit::initctl::{
    CMD_POWERFAIL, CMD_POWERFAILNOW, CMD_POWEROK, CMD_RUNLVL, Framer, REQUEST_LEN, Request,
};
use vinit_fuzz::read_burst;

const MAGIC: [u8; 4] = 0x0309_1969u32.to_ne_bytes();

/// One burst of writes, read until the pipe is empty.
#[derive(Default)]
struct Burst {
    bytes: Vec<u8>,
    /// Where each request written starts in `bytes`.
    requests: Vec<usize>,
}

fuzz_target!(|data: &[u8]| {
    let mut bursts = vec![Burst::default()];
    let mut sent = Vec::new();
    let mut rest = data;
    while let Some((&tag, after)) = rest.split_first() {
        rest = after;
        let burst = bursts.last_mut().expect("one burst at least");
        match tag % 4 {
            0 => {
                let Some(request) = request(&mut rest) else {
                    break;
                };
                assert!(request.is_well_formed(), "{request:?}");
                burst.requests.push(burst.bytes.len());
                burst.bytes.extend(request.encode());
                sent.push(request);
            }
            1 => bursts.push(Burst::default()),
            _ => {
                let Some((len, after)) = rest.split_first_chunk::<2>() else {
                    break;
                };
                let len = usize::from(u16::from_le_bytes(*len) % 1024).min(after.len());
                let (junk, after) = after.split_at(len);
                rest = after;
                if tag % 4 == 3 {
                    burst.bytes.extend(MAGIC);
                }
                burst.bytes.extend(junk);
            }
        }
    }

    let mut framer = Framer::new();
    let (mut got, mut junk) = (Vec::new(), 0);
    for burst in &bursts {
        let (requests, dropped) = read_burst(&mut framer, &burst.bytes);
        junk += dropped;
        got.extend(requests);
    }
    let total: usize = bursts.iter().map(|burst| burst.bytes.len()).sum();
    assert_eq!(junk + got.len() * REQUEST_LEN, total);
    if bursts.iter().any(junk_looks_like_a_request) {
        return;
    }
    let well_formed: Vec<Request> = got.into_iter().filter(Request::is_well_formed).collect();
    assert_eq!(well_formed, sent);
});

/// A well-formed request built from the input, or `None` at its end.
fn request(rest: &mut &[u8]) -> Option<Request> {
    let (&[command, level, sleep], after) = rest.split_first_chunk::<3>()?;
    *rest = after;
    let mut request = Request::runlevel(level, i32::from(sleep));
    request.cmd = match command % 5 {
        0 => CMD_RUNLVL,
        1 => CMD_POWERFAIL,
        2 => CMD_POWERFAILNOW,
        3 => CMD_POWEROK,
        _ => {
            let (&len, after) = rest.split_first()?;
            let len = usize::from(len).min(after.len());
            let (text, after) = after.split_at(len);
            *rest = after;
            let mut setenv = Request::setenv(&[]).expect("empty fits");
            // One string and the empty one that ends the strings.
            for (slot, &byte) in setenv.data.iter_mut().zip(text.iter().filter(|&&b| b != 0)) {
                *slot = byte;
            }
            let end = setenv.data.len() - 2;
            setenv.data[end..].fill(0);
            return Some(setenv);
        }
    };
    Some(request)
}

/// Whether a magic number in the junk (outside every request written)
/// begins 384 bytes of the burst that are a well-formed request.
fn junk_looks_like_a_request(burst: &Burst) -> bool {
    let bytes = &burst.bytes;
    let in_a_request = |at: usize| {
        burst
            .requests
            .iter()
            .any(|&start| (start..start + REQUEST_LEN).contains(&at))
    };
    (0..bytes.len().saturating_sub(REQUEST_LEN - 1)).any(|start| {
        bytes[start..].starts_with(&MAGIC)
            && !in_a_request(start)
            && Request::decode(&bytes[start..start + REQUEST_LEN])
                .is_ok_and(|request| request.is_well_formed())
    })
}
