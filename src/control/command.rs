//! What other threads ask of the control thread, and what it tells them.

use std::path::PathBuf;

use crossbeam_channel::Sender;

use crate::schedule::Change;

/// A sound to play outside the loops (OSC `/play`, a MIDI pad).
#[derive(Clone, Debug)]
pub struct PlayRequest {
    pub sound: String,
    pub variant: u32,
    pub gain: f32,
    pub pan: f32,
    pub rate: f32,
    /// Seconds; `None` plays the whole sound.
    pub length: Option<f64>,
    /// When, on the monotonic clock of [`crate::time::wallclock`]; `None`: now.
    pub at_nanos: Option<u64>,
}

impl PlayRequest {
    pub fn new(sound: &str) -> PlayRequest {
        PlayRequest {
            sound: sound.to_string(),
            variant: 0,
            gain: 1.0,
            pan: 0.0,
            rate: 1.0,
            length: None,
            at_nanos: None,
        }
    }
}

/// A reply: `Ok(text)` or `Err(reason)`.
pub type Reply = Sender<Result<String, String>>;

/// A request to the control thread.
#[derive(Debug)]
pub enum Command {
    /// Run code against the running script (`loam eval`, OSC `/eval`).
    Eval {
        code: String,
        origin: String,
        reply: Option<Reply>,
    },
    /// Switch to another script file (OSC `/load`).
    Load { path: PathBuf, reply: Option<Reply> },
    /// A change at the next bar (tempo, metre, octave, loops).
    Change(Change),
    /// A tempo or metre change now (no phase jump).
    ChangeNow(Change),
    /// A loop's own octave (next grid meeting point).
    LoopOctave {
        name: String,
        octave: crate::time::TempoOctave,
        reply: Option<Reply>,
    },
    Play { request: PlayRequest, reply: Option<Reply> },
    Mute { name: String, muted: bool, reply: Option<Reply> },
    Solo { name: Option<String>, reply: Option<Reply> },
    /// Silence everything now and stop every loop.
    Hush,
    /// A named control that scripts read with `ctrl(name)`.
    SetControl { name: String, value: f64 },
    Status(Sender<StatusReport>),
    Stop,
}

/// The state of the performance, for `/status`.
#[derive(Clone, Debug, Default)]
pub struct StatusReport {
    pub tempo: f64,
    pub metre: String,
    pub octave: i64,
    pub bar: i64,
    pub beat: i64,
    pub loops: Vec<String>,
    pub late_events: u64,
    pub xruns: u64,
    pub queue_full: u64,
    pub active_voices: u64,
    pub frames: u64,
}

/// What the control thread tells subscribers.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A beat (a group start) that will sound at `nanos` (monotonic clock).
    Beat {
        bar: i64,
        beat: i64,
        pulse: i64,
        nanos: u64,
    },
    /// The script was reloaded; the new version plays from its next boundary.
    Reloaded(String),
    /// A script or input error; the music went on.
    Error(String),
    /// Anything else worth telling the performer (prints, loads).
    Info(String),
}
