//! The re-exec state text (what arrives on fd 11 at `telinit u`, from
//! sysvinit or from vinit): parsed, restored into a supervisor, and the
//! supervisor's own snapshot written out and read back. Never panics, and
//! what vinit writes it reads back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vinit::reexec_state::{parse, serialize};
use vinit::supervisor::{ExtraEnv, Supervisor};

fuzz_target!(|data: &[u8]| {
    let state = match parse(data) {
        Ok(state) => state,
        Err(error) => {
            let _ = error.to_string();
            *error.partial
        }
    };
    let text = serialize(&state);
    let reread = parse(text.as_bytes()).expect("vinit reads what it writes");
    assert_eq!(serialize(&reread), text);

    let supervisor = Supervisor::restore(&state, ExtraEnv::default());
    let snapshot = supervisor.snapshot();
    let text = serialize(&snapshot);
    let reread = parse(text.as_bytes()).expect("vinit reads its snapshot");
    assert_eq!(reread, snapshot);
});
