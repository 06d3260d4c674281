//! What more than one fuzz target does: reading a burst of FIFO bytes as init
//! does, and writing an accepted inittab entry back out to parse it again.

use vinit::initctl::{Framer, Request};
use vinit::inittab::{Entry, Parsed};

/// Writes `burst` to the FIFO and reads it through `framer` as `pid1::fifo`
/// does (each read gets what the framer asks for, or the rest, and the next
/// read finds the pipe empty). Returns the requests handed on and the bytes
/// dropped as junk.
pub fn read_burst(framer: &mut Framer, burst: &[u8]) -> (Vec<Request>, usize) {
    let (mut requests, mut junk) = (Vec::new(), 0);
    let mut pipe = burst;
    while !pipe.is_empty() {
        let space = framer.space();
        assert!(!space.is_empty());
        let n = space.len().min(pipe.len());
        space[..n].copy_from_slice(&pipe[..n]);
        pipe = &pipe[n..];
        let framed = framer.filled(n);
        junk += framed.junk;
        requests.extend(framed.request);
    }
    junk += framer.drained();
    (requests, junk)
}

/// `entry`, written back out as `id:runlevels:action:process`, is read by
/// `parse` as the same entry, with nothing to report.
pub fn assert_written_back_the_same(entry: &Entry, parse: impl FnOnce(&[u8]) -> Parsed) {
    let line = format!(
        "{}:{}:{}:{}\n",
        entry.id, entry.runlevels, entry.action, entry.process
    );
    let again = parse(line.as_bytes());
    assert!(
        again.diagnostics.is_empty(),
        "{line:?}: {:?}",
        again.diagnostics
    );
    let [same] = again.entries.as_slice() else {
        panic!("{line:?} gave {} entries", again.entries.len());
    };
    assert_eq!(
        (&same.id, &same.runlevels, same.action, &same.process),
        (&entry.id, &entry.runlevels, entry.action, &entry.process)
    );
}
