//! PID 1 policy: what to run, keep or kill, for each event. No I/O here.
