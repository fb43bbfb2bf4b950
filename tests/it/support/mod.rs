//! Helpers shared by the integration tests. Each test picks what it needs,
//! so some items go unused in some configurations.
#![allow(dead_code)]

pub mod jack;
pub mod midi;
pub mod models;
pub mod offline;
pub mod osc;
pub mod process;

/// The old `tests/common` tree: JACK servers and child processes.
pub mod common {
    pub use super::{jack, process};
}
