//! Helpers shared by integration tests. Each test file picks what it needs
//! (`mod common;`), so some items go unused in some files.
#![allow(dead_code)]

pub mod jack;
pub mod process;
