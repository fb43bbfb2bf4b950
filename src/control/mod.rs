//! The control thread: the one place that owns the live session. Script
//! reloads, `loam eval`, OSC and MIDI all arrive here as [`Command`]s; it
//! keeps the scheduler ahead of the audio clock and tells subscribers what
//! happens ([`Notice`]).

pub mod command;
pub mod controller;
pub mod models;
pub mod priority;

pub use crate::script::ScriptWatcher;
pub use command::{
    answer_list, AnswerArg, Command, Notice, PlayRequest, StatusBoard, StatusReport, ANSWER_LIST,
};
pub use controller::Controller;

#[cfg(test)]
mod controller_test;
