//! What the control thread answers a request with: done (with a text or a
//! list of typed values) or failed (with a [`ControlError`] that says why).
//! It crosses threads as a value; the OSC replier turns it into `/done` or
//! `/fail` and nothing is packed into a string to be parsed back.

use std::fmt;

use crossbeam_channel::Sender;

use super::midi::MidiDeskError;
use super::model_op_error::ModelOpError;
use crate::data::paths::PathError;
use crate::schedule::LoopOctaveError;
use crate::script::ScriptError;

/// Where the control thread sends the answer to one request.
pub type Reply = Sender<Answer>;

/// The control thread's answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Done. The text (a loop's name, "evaluated") is the answer's one
    /// argument; an empty text adds none.
    Text(String),
    /// Done, with several arguments, each with its type said (a step
    /// model's steps: label, ticks, probability).
    List(Vec<AnswerArg>),
    /// Not done, and why.
    Failed(ControlError),
}

/// One argument of a list answer, with its type said, never guessed (a
/// melody step's label "60" is a string).
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerArg {
    /// A string (`s`).
    Str(String),
    /// A 32-bit integer (`i`).
    Int(i32),
    /// A 32-bit float (`f`).
    Float(f32),
}

impl From<Result<String, ControlError>> for Answer {
    fn from(r: Result<String, ControlError>) -> Answer {
        match r {
            Ok(text) => Answer::Text(text),
            Err(e) => Answer::Failed(e),
        }
    }
}

/// Why the control thread could not do what it was asked. Each kind keeps
/// the words a performer reads in `/fail` and on the terminal.
#[derive(Clone, Debug, PartialEq)]
pub enum ControlError {
    /// No sound by this name (and variant) in the bank (`/play`,
    /// `/model/NAME/input`); `known` lists the bank's names.
    UnknownSound {
        /// The sound asked for (`kick:3`).
        name: String,
        /// The bank's sound names.
        known: Vec<String>,
    },
    /// No loop by this name (`/loop/NAME/mute`, `…/solo`).
    NoLoop(String),
    /// The loop cannot take the change (`/octave k loop`): the planner's reason.
    Loop(LoopOctaveError),
    /// The engine's queue of direct events is full (`/play`).
    QueueFull,
    /// The code did not compile or failed while running (`/eval`, `/load`,
    /// a reload), with its file, line and column.
    Script(ScriptError),
    /// A path the read rule refuses (`/load`, `/model/load`; see
    /// [`crate::data::paths`]): the rule's reason, naming the call and path.
    Path(PathError),
    /// A model could not be loaded, steered, stepped or unloaded: the
    /// reason, naming the model.
    Model(ModelOpError),
    /// A MIDI command while loam runs without MIDI.
    MidiOff,
    /// A MIDI command failed (learn, clock, loop gain): the reason.
    Midi(MidiDeskError),
    /// A Link request failed (a build without Link, a quantum that is not
    /// a whole number of bars, play without start/stop sync): the reason.
    Link(String),
    /// A live input request failed (no input open, a take too long, a
    /// level out of range): the reason.
    Input(String),
    /// No mapped corpus by this name is in play (`/corpus/NAME/xy`);
    /// `known` lists those that are.
    NoCorpus {
        /// The corpus asked for.
        name: String,
        /// The corpora in play.
        known: Vec<String>,
    },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::quote::{list, quote};
        match self {
            ControlError::UnknownSound { name, known } => {
                write!(
                    f,
                    "unknown sound '{}' (known: {})",
                    quote(name),
                    list(known)
                )
            }
            ControlError::NoLoop(name) => write!(f, "no loop named '{name}'"),
            ControlError::QueueFull => f.write_str("the engine's queue is full"),
            ControlError::Script(e) => write!(f, "{e}"),
            ControlError::MidiOff => {
                f.write_str("MIDI is off: start loam serve with --midi-in or --midi-out")
            }
            ControlError::Loop(e) => write!(f, "{e}"),
            ControlError::Model(e) => write!(f, "{e}"),
            ControlError::Midi(e) => write!(f, "{e}"),
            ControlError::Path(e) => e.fmt(f),
            ControlError::Link(reason) => f.write_str(reason),
            ControlError::Input(reason) => f.write_str(reason),
            ControlError::NoCorpus { name, known } if known.is_empty() => write!(
                f,
                "no corpus '{}' is playing (a script loads one with corpus(\"folder\"))",
                quote(name)
            ),
            ControlError::NoCorpus { name, known } => write!(
                f,
                "no corpus '{}' is playing (playing: {})",
                quote(name),
                list(known)
            ),
        }
    }
}

impl std::error::Error for ControlError {}

impl From<ScriptError> for ControlError {
    fn from(e: ScriptError) -> ControlError {
        ControlError::Script(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_and_where() {
        let cases = [
            (
                ControlError::UnknownSound {
                    name: "kik".into(),
                    known: vec!["kick".into(), "snare".into()],
                },
                "unknown sound 'kik' (known: kick, snare)",
            ),
            (ControlError::NoLoop("bass".into()), "no loop named 'bass'"),
            (
                ControlError::Loop(LoopOctaveError::Stopping("bass".into())),
                "loop 'bass' is stopping",
            ),
            (ControlError::QueueFull, "the engine's queue is full"),
            (
                ControlError::Script(ScriptError {
                    file: "set.rhai".into(),
                    line: 3,
                    column: 7,
                    message: "oops".into(),
                }),
                "set.rhai:3:7: oops",
            ),
            (
                ControlError::Path(PathError::Missing {
                    call: "/load".into(),
                    written: "x.rhai".into(),
                    looked_for: None,
                }),
                "/load: 'x.rhai' does not exist",
            ),
            (
                ControlError::Model(ModelOpError::NotLoaded("m".into())),
                "no model 'm' is loaded",
            ),
            (
                ControlError::MidiOff,
                "MIDI is off: start loam serve with --midi-in or --midi-out",
            ),
            (
                ControlError::Midi(MidiDeskError::NoLoop("bass".into())),
                "no loop named 'bass'",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn a_result_becomes_done_or_failed() {
        assert_eq!(Answer::from(Ok("kick".into())), Answer::Text("kick".into()));
        assert_eq!(
            Answer::from(Err(ControlError::QueueFull)),
            Answer::Failed(ControlError::QueueFull)
        );
    }
}
