//! The control thread: the one place that owns the live session. Script
//! reloads, `loam eval`, OSC and MIDI all arrive here as [`Command`]s; it
//! keeps the scheduler ahead of the audio clock and tells subscribers what
//! happens ([`Notice`]).

pub mod answer;
pub mod audio_clock;
pub mod command;
pub mod controller;
pub mod corpus_cursor;
pub mod link;
pub mod live_input;
pub mod midi;
pub mod model_op_error;
pub mod models;
pub mod priority;
pub mod quote;
pub mod signal_drivers;

pub use crate::script::ScriptWatcher;
pub use answer::{Answer, AnswerArg, ControlError, Reply};
pub use command::{Command, Notice, PlayRequest, StatusBoard, StatusReport};
pub use controller::Controller;
pub use model_op_error::ModelOpError;

#[cfg(test)]
mod controller_test;
