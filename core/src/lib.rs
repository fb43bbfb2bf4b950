//! loam's core: the layers that need no libtorch, in the order they may use
//! each other — [`time`], [`pitch`], [`pattern`], [`sound`], [`data`] → [`corpus`] →
//! [`audio`] →
//! (`loam::model`, in the `loam` crate) → [`schedule`]. The `loam` crate
//! re-exports each module under the same name (`loam::time`, …), so paths
//! read the same on both sides; this crate builds, tests and benches without
//! linking libtorch (`cargo test -p loam-core`).

pub mod audio;
pub mod corpus;
pub mod data;
pub mod log;
pub mod pattern;
pub mod pitch;
pub mod schedule;
pub mod sound;
pub mod time;
