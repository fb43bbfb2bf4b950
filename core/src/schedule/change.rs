//! Changes a script (or, later, OSC and MIDI) asks the scheduler to make.

use super::LoopDef;
use crate::time::{Metre, Tempo, TempoOctave};

/// One requested change. Unless `now` is set, tempo and metre changes wait
/// for the next bar line; octave changes wait for the next bar where the old
/// and new grids meet.
#[derive(Clone, Debug)]
pub enum Change {
    /// A new tempo.
    Tempo {
        /// Beats per minute, of the metre's beat or a named note value.
        tempo: Tempo,
        /// True: from the first frame not yet sent to the engine, with no phase
        /// jump (`tempo_now`); false: at the next bar line.
        now: bool,
    },
    /// A new metre.
    Metre {
        /// The metre (`4/4`, `2+2+3/8`).
        metre: Metre,
        /// True: from the first group boundary not yet sent to the engine, cutting
        /// the bar there (`metre_now`); false: at the next bar line.
        now: bool,
    },
    /// A new global tempo octave, at the next bar where the old and new grids meet.
    Octave(TempoOctave),
    /// Define or replace a loop (same name: replaced at its next boundary).
    Loop(LoopDef),
    /// Stop a loop at its next boundary.
    StopLoop(String),
    /// Loop changes wait for a multiple of this many bars.
    Quantum(i64),
    /// Seed for every random choice in patterns.
    Seed(u64),
    /// Add a sample folder (SuperDirt layout), already read at the engine's
    /// rate on the script thread, to the sound bank.
    Samples(std::sync::Arc<crate::sound::SampleFolder>),
    /// A model operation, carried out by the control thread (live only).
    Model(super::ModelOp),
    /// A live input operation (capture, gain, monitor), carried out by the
    /// control thread (live only).
    Input(super::InputOp),
    /// The session's tuning for loops without their own (`tuning(…)`), from
    /// the next bar; `None` goes back to no global tuning.
    Tuning(Option<std::sync::Arc<crate::pitch::Tuning>>),
    /// Send a signal's value to OSC subscribers as `/signal/NAME f` at
    /// control rate (`None`: stop sending it).
    SignalOut {
        /// The name in the address.
        name: String,
        /// The signal; `None` stops it.
        signal: Option<crate::pattern::signal::Signal>,
    },
    /// A mapped corpus whose segments (already added as a sound by
    /// [`Change::Samples`]) patterns may name by map point
    /// (`NAME:0.2:0.8`, `map:0.2:0.8`) or cursor (`NAME:xy`).
    Corpus(crate::corpus::live::LiveCorpus),
}
