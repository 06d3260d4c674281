//! The rc runner: LSB headers, the dependency graph, selection and the parallel scheduler (SPEC §8).
//!
//! * [`lsb`]: `### BEGIN INIT INFO` header parser.
//! * [`insserv_conf`]: system facilities from `/etc/insserv.conf{,.d}`.
//! * [`graph`]: start/stop dependency graphs and insserv's link numbering
//!   (used by `update-rc.d` too).

pub mod graph;
pub mod insserv_conf;
pub mod lsb;
