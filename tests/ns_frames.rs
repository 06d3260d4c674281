//! What `/run/initctl` carries besides requests, with our `init` as PID 1
//! of a namespace (`common::ns`): junk that begins with the magic number,
//! written by two writers between real `telinit` requests, costs no
//! request; a flood of requests with a command init does not implement
//! gives a few console lines and a count, and init goes on serving. (The
//! framing rules are unit-tested in src/initctl.rs, the limit in
//! src/report_limit.rs; junk without the magic is tests/ns_storm.rs's.)

mod common;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use common::ns::{Pid1, TestRoot, is_fifo, open_to_write};
use common::poll_until;
use vinit::initctl::Request;

/// A safety net for each wait; nothing here depends on how fast things happen.
const WAIT: Duration = Duration::from_secs(120);

const MAGIC: [u8; 4] = 0x0309_1969u32.to_ne_bytes();

/// How many times in a row init logs a message before it only counts it
/// (`report_limit::BURST`, init(8)).
const BURST: usize = 5;

fn boot(inittab: &str) -> (TestRoot, Pid1) {
    let root = TestRoot::new();
    root.write("etc/inittab", inittab);
    let pid1 = root.boot(&[]);
    let fifo = poll_until(WAIT, || is_fifo(&root, "run/initctl").then_some(()));
    assert!(fifo.is_some(), "no /run/initctl:\n{}", pid1.console());
    (root, pid1)
}

/// A writer of `magic + junk` pieces (0 to 299 bytes of junk, none of it a
/// magic byte, so only each piece's start is a magic number) into the
/// FIFO, until `stop`. Each piece is one write, below the pipe's atomic
/// size, as a broken or hostile client would send it.
fn magic_and_junk_writer(root: &TestRoot, seed: u64, stop: &Arc<AtomicBool>) -> JoinHandle<usize> {
    let path = root.join("run/initctl");
    let stop = Arc::clone(stop);
    std::thread::spawn(move || {
        let mut fifo = open_to_write(&path);
        let mut state = 0x9e37_79b9_7f4a_7c15 ^ seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut pieces = 0;
        while !stop.load(Ordering::SeqCst) {
            let len = (next() % 300) as usize;
            let mut piece = MAGIC.to_vec();
            piece.extend((0..len).map(|_| match next() as u8 {
                0x69 => 0x6a,
                byte => byte,
            }));
            fifo.write_all(&piece).expect("write junk");
            pieces += 1;
        }
        pieces
    })
}

/// Two writers of `magic + junk` while `telinit -e` sends fifteen
/// variables, one request at a time: every one reaches the children of the
/// next level. (Before, a 384-byte packet from a junk magic was read whole
/// and took the request that started inside it along: 10 of 15 lost, with
/// telinit exiting 0.)
#[test]
fn two_writers_of_magic_and_junk_cost_no_telinit_request() {
    const REQUESTS: usize = 15;
    let (root, pid1) = boot(
        "id:2:initdefault:\nl2:2:wait:/bin/echo LEVEL-2-UP\n\
         e5:5:wait:/bin/sh -c 'env | grep ^INIT_F | sort | tr \"\\n\" \" \"; echo END-OF-ENV'\n",
    );
    pid1.expect_console("LEVEL-2-UP", WAIT);
    let stop = Arc::new(AtomicBool::new(false));
    let writers = [1, 2].map(|seed| magic_and_junk_writer(&root, seed, &stop));
    for i in 0..REQUESTS {
        pid1.run_ok(&["/sbin/telinit", "-e", &format!("INIT_F{i:02}=1")]);
    }
    stop.store(true, Ordering::SeqCst);
    let pieces: usize = writers
        .into_iter()
        .map(|writer| writer.join().expect("writer"))
        .sum();
    eprintln!("{pieces} pieces of magic + junk around {REQUESTS} requests");
    pid1.run_ok(&["/sbin/telinit", "5"]);
    pid1.expect_console("INIT: Switching to runlevel: 5", WAIT);
    let env = pid1.expect_console("END-OF-ENV", WAIT);
    let seen = env
        .rsplit("Switching to runlevel: 5")
        .next()
        .unwrap_or_default();
    let missing: Vec<String> = (0..REQUESTS)
        .map(|i| format!("INIT_F{i:02}=1"))
        .filter(|var| !seen.contains(var.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "requests lost in the junk: {missing:?}\n{seen}"
    );
}

/// The console lines `got unimplemented initrequest.` and the counts
/// `got unimplemented initrequest: N more ignored without a message`.
fn unimplemented_lines(console: &str) -> (usize, Vec<u64>) {
    let single = console
        .lines()
        .filter(|line| line.trim() == "INIT: got unimplemented initrequest.")
        .count();
    let counts = console
        .lines()
        .filter_map(|line| {
            let rest = line.split_once("INIT: got unimplemented initrequest: ")?.1;
            rest.split_once(" more ignored without a message")?
                .0
                .parse()
                .ok()
        })
        .collect();
    (single, counts)
}

/// 20,000 requests with a command init does not implement, and a `telinit
/// 3` in the middle of them: the level change is honoured, and the console
/// shows at most five lines per summing-up line, whose counts add up with
/// them to every request sent. (Before, one line per request.)
#[test]
fn a_flood_of_unimplemented_requests_is_counted_not_logged_one_by_one() {
    const FLOOD: usize = 20_000;
    let (root, pid1) =
        boot("id:2:initdefault:\nl2:2:wait:/bin/echo LEVEL-2-UP\nl3:3:wait:/bin/echo LEVEL-3-UP\n");
    pid1.expect_console("LEVEL-2-UP", WAIT);
    let unimplemented = Request {
        cmd: 9,
        ..Request::runlevel(0, 0)
    }
    .encode();
    let writer = {
        let path = root.join("run/initctl");
        std::thread::spawn(move || {
            let mut fifo = open_to_write(&path);
            for _ in 0..FLOOD {
                fifo.write_all(&unimplemented).expect("write a request");
            }
        })
    };
    pid1.run_ok(&["/sbin/telinit", "3"]);
    pid1.expect_console("INIT: Switching to runlevel: 3", WAIT);
    pid1.expect_console("LEVEL-3-UP", WAIT);
    writer.join().expect("writer");
    // The last count comes a second after the last request; too many
    // single lines fail at once.
    let settled = poll_until(WAIT, || {
        let (single, counts) = unimplemented_lines(&pid1.console());
        let accounted = single + counts.iter().sum::<u64>() as usize == FLOOD;
        let too_many = single > BURST * (counts.len() + 1);
        (accounted || too_many).then_some((single, counts))
    });
    let (single, counts) = settled.unwrap_or_else(|| unimplemented_lines(&pid1.console()));
    eprintln!("{FLOOD} unimplemented requests: {single} lines, counts {counts:?}");
    assert!(
        single <= BURST * (counts.len() + 1),
        "{single} single lines for {} counts",
        counts.len()
    );
    assert_eq!(
        single + counts.iter().sum::<u64>() as usize,
        FLOOD,
        "lines and counts do not add up to the requests:\n{}",
        pid1.console()
    );
    assert!(
        single + counts.len() <= FLOOD / 50,
        "{} console lines for {FLOOD} requests",
        single + counts.len()
    );
    // Still serving.
    pid1.run_ok(&["/sbin/telinit", "2"]);
    pid1.expect_console("INIT: Switching to runlevel: 2", WAIT);
}
