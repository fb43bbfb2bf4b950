//! What the scheduler sends to the audio callback: a sound, frame-stamped.

use std::sync::Arc;

use crate::data::credit::PatternCredits;
use crate::sound::tone::Tone;
use crate::sound::Sample;

/// One sound to start at an absolute frame. Built off the audio thread; the
/// callback only moves it into a voice.
#[derive(Clone, Debug)]
pub struct SoundEvent {
    /// Absolute frame (engine clock) at which the sound starts.
    pub frame: u64,
    /// The sound, shared (dropped on the control side, never here).
    pub sample: Arc<Sample>,
    /// Linear gain.
    pub gain: f32,
    /// −1 (left) … 1 (right).
    pub pan: f32,
    /// Playback rate: 2 = an octave up and twice as short; negative plays
    /// the sound reversed from its end (see [`crate::pattern::values::RATE`]).
    pub rate: f32,
    /// Frames to play before a short fade-out; `None` plays the whole sample.
    pub length: Option<u64>,
    /// The part of the sample that plays, as fractions of its length:
    /// from `slice.0` to `slice.1` (`chop`, `striate`; 0 … 1 whole). A
    /// negative rate plays it backwards from `slice.1`.
    pub slice: (f32, f32),
    /// Asked to play now (an OSC `/play` without a time, or a bundle whose
    /// time has passed): `frame` is the block the control side saw coming
    /// next, and reaching the engine a block after it is not lateness, so
    /// it is not counted in `late_events`.
    pub immediate: bool,
    /// The trained models the loop's pattern came from, credited with the
    /// sample's own source when the sound starts audibly.
    pub pattern_credits: PatternCredits,
    /// A pitched note for a built-in voice (`sample` is then only the
    /// voice's name and credit: see [`crate::sound::tone`]); its `length`
    /// is how long the note is held before its release.
    pub tone: Option<Tone>,
}

impl SoundEvent {
    /// `sample` at `frame`, at unit gain, centred, at its own pitch, whole.
    pub fn new(frame: u64, sample: Arc<Sample>) -> SoundEvent {
        SoundEvent {
            frame,
            sample,
            gain: 1.0,
            pan: 0.0,
            rate: 1.0,
            length: None,
            slice: (0.0, 1.0),
            immediate: false,
            pattern_credits: PatternCredits::default(),
            tone: None,
        }
    }
}
