//! PID 1 mechanism: the signalfd + poll event loop, spawning, the FIFO, the console.
