//! The scheduler: turns loops, metre, tempo and tempo octaves into
//! frame-stamped events, bar by bar, ahead of the audio clock.
//!
//! Runs on a control thread (or inline in an offline render), never in the
//! audio callback. [`Planner`] decides *what* happens in each bar;
//! [`Scheduler`] keeps the engine's event queue filled up to a lookahead
//! window ahead of the audio clock.

pub mod change;
pub mod input_op;
pub mod live_loop;
pub mod loop_voice;
pub mod midi_notes;
pub mod model_op;
pub mod pitched;
pub mod planner;
pub mod scheduler;

pub use change::Change;
pub use input_op::InputOp;
pub use live_loop::LoopDef;
pub use loop_voice::{LoopVoice, VoiceChoice};
pub use midi_notes::{LoopMidi, PlannedNote};
pub use model_op::{LatentValue, ModelOp};
pub use planner::{LoopOctaveError, Planner};
pub use scheduler::{BarHook, Scheduler};

#[cfg(test)]
mod planner_test;
#[cfg(test)]
mod scheduler_test;
