//! What other threads ask of the control thread, and what it tells them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;

use crate::audio::EngineStatus;

use crate::schedule::Change;
use crate::time::Nanos;

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
    pub at_nanos: Option<Nanos>,
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

pub use super::answer::Reply;

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
    Load {
        path: PathBuf,
        reply: Option<Reply>,
    },
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
    Play {
        request: PlayRequest,
        reply: Option<Reply>,
    },
    Mute {
        name: String,
        muted: bool,
        reply: Option<Reply>,
    },
    Solo {
        name: Option<String>,
        reply: Option<Reply>,
    },
    /// Silence everything now and stop every loop.
    Hush,
    /// A named control that scripts read with `ctrl(name)`.
    SetControl {
        name: String,
        value: f64,
    },
    Status(Sender<StatusReport>),
    Stop,
    /// A latent dimension of a loaded model (a learned MIDI knob).
    SetLatent {
        model: String,
        dim: usize,
        value: f64,
    },
    /// Load, steer or unload a model (OSC `/model/…`, scripts).
    Model {
        op: crate::schedule::ModelOp,
        reply: Option<Reply>,
    },
    /// MIDI learn, clock in/out switches, MIDI events (see [`super::midi`]).
    Midi {
        command: super::midi::MidiCommand,
        reply: Option<Reply>,
    },
    /// A notice from another thread (the recorder's writer) for the
    /// terminal and subscribers.
    Tell(Notice),
}

impl Command {
    /// A function other threads call to tell the performer of an error
    /// through the control thread (dropped if its queue is full).
    pub fn teller(commands: Sender<Command>) -> impl Fn(String) + Send + 'static {
        move |message| {
            let _ = commands.try_send(Command::Tell(Notice::Error(message)));
        }
    }
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
    pub models: Vec<String>,
    pub late_events: u64,
    pub xruns: u64,
    pub queue_full: u64,
    pub active_voices: u64,
    /// Bars planned without their script's answer (it was late), since the start.
    pub late_bars: u64,
    pub frames: u64,
    /// Sources muted before the mix so far (see `audio::guard`).
    pub muted_sources: u64,
    /// What is muted now, e.g. `model dc: NaN`, `sound kick: too loud`.
    pub muted: Vec<String>,
}

/// The latest [`StatusReport`], published by the control thread after every
/// step (at least every 2 ms), so that other threads (OSC) answer `/status`
/// without waiting for the control loop. The engine's clock is read live.
#[derive(Debug)]
pub struct StatusBoard {
    report: Mutex<StatusReport>,
    /// Bumped by every publish, so readers can cache what they derive.
    version: std::sync::atomic::AtomicU64,
    pub engine: Arc<EngineStatus>,
    pub sample_rate: u32,
}

impl StatusBoard {
    pub fn new(engine: Arc<EngineStatus>, sample_rate: u32) -> StatusBoard {
        StatusBoard {
            report: Mutex::new(StatusReport::default()),
            version: std::sync::atomic::AtomicU64::new(0),
            engine,
            sample_rate,
        }
    }

    /// Control thread: replaces the published report.
    pub fn publish(&self, report: StatusReport) {
        *self.report.lock().unwrap_or_else(|e| e.into_inner()) = report;
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// Changes whenever a new report is published.
    pub fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Any thread: the latest report.
    pub fn read(&self) -> StatusReport {
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What the control thread tells subscribers.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A beat (a group start) that will sound at `nanos` (monotonic clock).
    Beat {
        bar: i64,
        beat: i64,
        pulse: i64,
        nanos: Nanos,
    },
    /// The script was reloaded; the new version plays from its next boundary.
    Reloaded(String),
    /// A script or input error; the music went on.
    Error(String),
    /// Anything else worth telling the performer (prints, loads).
    Info(String),
    /// A step a named step model took (a script's or OSC's).
    ModelStep {
        name: String,
        label: String,
        ticks: u32,
        p: f32,
    },
    /// The latent frame a playing model decodes now (sent when it changes).
    Latent { name: String, values: Vec<f32> },
}
