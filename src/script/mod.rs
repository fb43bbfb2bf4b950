//! Performance scripts in rhai.
//!
//! A script runs on its own thread (see [`thread`]), never on the thread
//! that keeps time and never in the audio callback. Its
//! top level sets tempo, metre, octave and defines named loops; an optional
//! `fn bar(n)` runs before each bar is planned and may change any of them.
//! Everything a script does becomes plain [`Change`](crate::schedule::Change)
//! data for the scheduler.

pub mod api;
pub mod corpus;
pub mod error;
pub mod functions;
pub mod host;
pub mod imports;
pub mod input;
pub mod job;
pub mod params;
pub mod pitch;
pub mod runner;
pub mod store;
pub mod thread;
pub mod trained;
pub mod training;
pub mod watcher;
pub mod whereabouts;

pub use error::{ScriptError, ScriptFileError};
pub use host::Script;
pub use job::{EvalKind, ScriptJob};
pub use runner::ScriptRunner;
pub use watcher::ScriptWatcher;
