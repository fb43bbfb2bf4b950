//! Performance scripts in rhai.
//!
//! A script runs on the scheduler's thread, never in the audio callback. Its
//! top level sets tempo, metre, octave and defines named loops; an optional
//! `fn bar(n)` runs before each bar is planned and may change any of them.
//! Everything a script does becomes plain [`Change`](crate::schedule::Change)
//! data for the scheduler.

pub mod api;
pub mod error;
pub mod host;
pub mod imports;
pub mod store;
pub mod trained;
pub mod training;

pub use error::ScriptError;
pub use host::Script;
