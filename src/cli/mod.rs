//! Pieces of the `loam` command that are more than argument plumbing.

pub mod corpus_dataset;
pub mod credits;
pub mod dataset;
pub mod dataset_check;
pub mod dataset_init;
pub mod dataset_revoke;
pub mod devices;
pub mod eval;
pub mod input;
pub mod input_start;
pub mod midi;
pub mod models;
pub mod osc;
pub mod signals;
pub mod train;
