//! Every `unsafe` of the crate lives below this module.

pub mod utmpx;
