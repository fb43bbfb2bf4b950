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
    /// The sound's name: a sample folder (`kick`) or a synth.
    pub sound: String,
    /// Which file of the folder, counted from 0 and wrapping (`kick:2`).
    pub variant: u32,
    /// Linear gain (1 = as recorded).
    pub gain: f32,
    /// −1 (left) … 1 (right).
    pub pan: f32,
    /// Playback rate: 2 = an octave up and twice as short; negative plays reversed.
    pub rate: f32,
    /// Seconds; `None` plays the whole sound.
    pub length: Option<f64>,
    /// When, on the monotonic clock of [`crate::time::wallclock`]; `None`: now.
    pub at_nanos: Option<Nanos>,
}

impl PlayRequest {
    /// The whole sound, now, at unit gain, centred, at its own pitch.
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
        /// The rhai source to evaluate.
        code: String,
        /// Where the code came from, named in error messages (`<osc>`, or the
        /// origin `/eval` was given).
        origin: String,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// Switch to another script file (OSC `/load`).
    Load {
        /// The script file; relative paths follow loam's one path rule ([`crate::data::paths`]).
        path: PathBuf,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// A change at the next bar (tempo, metre, octave, loops).
    Change(Change),
    /// A tempo or metre change now (no phase jump).
    ChangeNow(Change),
    /// A loop's own octave (next grid meeting point).
    LoopOctave {
        /// The loop's name.
        name: String,
        /// Its tempo octave, added to the session's (−1: half speed, 1: double).
        octave: crate::time::TempoOctave,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// Play one sound outside the loops (OSC `/play`, a MIDI pad).
    Play {
        /// What to play, how loud and when.
        request: PlayRequest,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// Mute or unmute a loop, heard within the lookahead (OSC `/loop/NAME/mute`, `…/unmute`).
    Mute {
        /// The loop's name.
        name: String,
        /// True mutes, false unmutes.
        muted: bool,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// Hear only one loop (OSC `/loop/NAME/solo`); `None` ends the solo (`/unsolo`).
    Solo {
        /// The loop to keep; `None`: every loop sounds again.
        name: Option<String>,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// Silence everything now and stop every loop.
    Hush,
    /// A named control that scripts read with `ctrl(name)`.
    SetControl {
        /// The control's name.
        name: String,
        /// Its new value (OSC `/set`; a learned MIDI knob gives 0 … 1 by default).
        value: f64,
    },
    /// Send the state of the performance to this channel (`/status`).
    Status(Sender<StatusReport>),
    /// End the control loop: [`Controller::handle`](super::Controller::handle) returns false.
    Stop,
    /// A latent dimension of a loaded model (a learned MIDI knob).
    SetLatent {
        /// The model's name.
        model: String,
        /// The latent dimension, counted from 0.
        dim: usize,
        /// Its new value, in the model's latent units (a learned knob: −3 … 3 by
        /// default; at most ±[`MAX_LATENT`](crate::pattern::values::MAX_LATENT)).
        value: f64,
    },
    /// Load, steer or unload a model (OSC `/model/…`, scripts).
    Model {
        /// What to do with which model.
        op: crate::schedule::ModelOp,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// MIDI learn, clock in/out switches, MIDI events (see [`super::midi`]).
    Midi {
        /// The MIDI request.
        command: super::midi::MidiCommand,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// A notice from another thread (the recorder's writer) for the
    /// terminal and subscribers.
    Tell(Notice),
    /// Move a corpus's cursor (OSC `/corpus/NAME/xy`, learned MIDI
    /// controls): selects the segment nearest the point for `NAME:xy`
    /// steps and plays it now as `play` says (see [`super::corpus_cursor`]).
    Corpus {
        /// The corpus's sound name (`map`: the one loaded last).
        name: String,
        /// The cursor's new x, 0..1 (`None`: unchanged).
        x: Option<f64>,
        /// The cursor's new y, 0..1 (`None`: unchanged).
        y: Option<f64>,
        /// Whether the selected segment also plays now.
        play: super::corpus_cursor::CursorPlay,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// Ableton Link: join or leave, quantum, start/stop (see [`super::link`]).
    Link {
        /// The Link request.
        request: super::link::LinkRequest,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
    /// The live input: capture, gain, monitor (see [`super::live_input`]).
    Input {
        /// What to do.
        op: crate::schedule::InputOp,
        /// Where the answer goes; `None`: nobody waits.
        reply: Option<Reply>,
    },
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
    /// Beats per minute as set now (the tempo octave is `octave`, apart).
    pub tempo: f64,
    /// The metre as written (`4/4`, `2+2+3/8`).
    pub metre: String,
    /// The session's tempo octave (0: as written, −1: half speed).
    pub octave: i64,
    /// Bar number since the start, counted from 0.
    pub bar: i64,
    /// Beat (group) within the bar, counted from 0.
    pub beat: i64,
    /// The names of the loops playing.
    pub loops: Vec<String>,
    /// The names of the models loaded.
    pub models: Vec<String>,
    /// Events that arrived after their frame had played (they start at offset 0).
    pub late_events: u64,
    /// Device over/underruns reported by the output backend.
    pub xruns: u64,
    /// Events the scheduler could not queue because the event ring was full.
    pub queue_full: u64,
    /// Voices sounding now.
    pub active_voices: u64,
    /// Bars planned without their script's answer (it was late), since the start.
    pub late_bars: u64,
    /// Frames rendered since the start: the engine clock.
    pub frames: u64,
    /// Sources muted before the mix so far (see `audio::guard`).
    pub muted_sources: u64,
    /// What is muted now, e.g. `model dc: NaN`, `sound kick: too loud`.
    pub muted: Vec<String>,
    /// Ableton Link: on or off, peers, session tempo, phase, quantum.
    pub link: super::link::LinkReport,
    /// Each loaded model's measured real-time factor and added latency, in
    /// the order of `models`.
    pub model_timings: Vec<super::models::ModelTiming>,
    /// Signal values that were NaN or infinite and were withheld from a
    /// note or model since the start (`pattern::signal::non_finite_count`).
    pub nan_values: u64,
}

/// The latest [`StatusReport`], published by the control thread after every
/// step (at least every 2 ms), so that other threads (OSC) answer `/status`
/// without waiting for the control loop. The engine's clock is read live.
#[derive(Debug)]
pub struct StatusBoard {
    report: Mutex<StatusReport>,
    /// Bumped by every publish, so readers can cache what they derive.
    version: std::sync::atomic::AtomicU64,
    /// The engine's live counters and clock, read at each `/status`.
    pub engine: Arc<EngineStatus>,
    /// Frames per second of the output.
    pub sample_rate: u32,
}

impl StatusBoard {
    /// An empty board (the first report is all zeros) over the engine's live counters.
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
        /// Bar number since the start, counted from 0.
        bar: i64,
        /// Beat (group) within the bar, counted from 0.
        beat: i64,
        /// Pulses from the bar's start to this beat (the metre's smallest unit).
        pulse: i64,
        /// When it sounds, in nanoseconds on the monotonic clock of [`crate::time::wallclock`].
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
        /// The model's name.
        name: String,
        /// The step's label: instruments struck together (`kick+hat`) or MIDI pitches (`60`).
        label: String,
        /// Its length in the model's ticks.
        ticks: u32,
        /// The probability the model gave it, 0 … 1.
        p: f32,
    },
    /// A signal's value now (`/signal/NAME f`), sent when it changes.
    Signal {
        /// The name the script gave it.
        name: String,
        /// Its value.
        value: f32,
    },
    /// A corpus segment the cursor played (`/corpus/NAME/played`).
    CorpusPlayed {
        /// The corpus's sound name.
        corpus: String,
        /// The segment's index in map order (`NAME:17`).
        segment: usize,
        /// The segment's own map point.
        x: f64,
        /// The segment's own map point.
        y: f64,
        /// The recording it was cut from.
        recording: String,
        /// Where it starts in the recording, in seconds.
        offset_seconds: f64,
    },
    /// The latent frame a playing model decodes now (sent when it changes).
    Latent {
        /// The model's name.
        name: String,
        /// One value per latent dimension, in the model's latent units.
        values: Vec<f32>,
    },
}
