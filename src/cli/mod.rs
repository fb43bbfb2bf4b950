//! Pieces of the `loam` command that are more than argument plumbing.

pub mod credits;
pub mod devices;
pub mod eval;
pub mod midi;
pub mod osc;
pub mod signals;
pub mod train;
