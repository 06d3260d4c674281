//! PID 1 mechanism: the signalfd + poll event loop, spawning, the FIFO, the console.

pub mod cmdline;
pub mod console;
pub mod power;
pub mod state;
