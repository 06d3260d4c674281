//! The `/run/initctl` wire format: sysvinit's 384-byte `struct init_request`
//! (SPEC §4.4), native endianness, as the real `telinit` and `shutdown` write it.
//!
//! Owned by the wire-format work: encode, decode, SETENV data and `send` are
//! still to be written here.

pub const MAGIC: u32 = 0x0309_1969;
pub const REQUEST_LEN: usize = 384;
pub const DATA_LEN: usize = 368;

pub const CMD_START: i32 = 0;
pub const CMD_RUNLVL: i32 = 1;
pub const CMD_POWERFAIL: i32 = 2;
pub const CMD_POWERFAILNOW: i32 = 3;
pub const CMD_POWEROK: i32 = 4;
pub const CMD_BSD: i32 = 5;
pub const CMD_SETENV: i32 = 6;
pub const CMD_UNSETENV: i32 = 7;

/// One request, fields as on the wire (the magic is checked, not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub cmd: i32,
    /// The level character as an int, e.g. `'3'` = 0x33; sent verbatim.
    pub runlevel: i32,
    /// Seconds between TERM and KILL at a level change.
    pub sleeptime: i32,
    pub data: [u8; DATA_LEN],
}
