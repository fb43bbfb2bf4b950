//! A named loop: a pattern and how to play it.

use crate::data::credit::PatternCredits;
use crate::pattern::{Pattern, Transform};
use crate::time::TempoOctave;

/// What a script says a loop is.
#[derive(Clone, Debug)]
pub struct LoopDef {
    /// The loop's name; a loop of the same name replaces it.
    pub name: String,
    /// The parsed mini-notation pattern.
    pub pattern: Pattern,
    /// The pattern text, for messages and status.
    pub source: String,
    /// Linear gain (1 = as recorded).
    pub gain: f32,
    /// −1 (left) … 1 (right).
    pub pan: f32,
    /// Playback rate: 2 = an octave up and twice as short; negative plays reversed.
    pub rate: f32,
    /// Length of each sound as a fraction of its step (`None`: the whole sample).
    pub legato: Option<f64>,
    /// The loop's own tempo octave, added to the global one.
    pub octave: TempoOctave,
    /// Transforms applied to the pattern, in order (first = innermost).
    pub transforms: Vec<Transform>,
    /// Send the loop's events as MIDI notes (see [`super::midi_notes`]).
    pub midi: Option<super::LoopMidi>,
    /// The trained models its pattern came from (credited when it sounds).
    pub credits: PatternCredits,
    /// How its words become pitches: tuning, scale, root, transposition
    /// (see [`crate::pitch::LoopPitch`]).
    pub pitch: Box<crate::pitch::LoopPitch>,
    /// The voice its pitched notes play and its shape (see [`super::LoopVoice`]).
    pub voice: super::LoopVoice,
}

impl LoopDef {
    /// Checks the loop's size (see [`crate::pattern::check_loop_size`])
    /// before it is planned; the message names the loop.
    pub fn check_size(&self) -> Result<(), String> {
        crate::pattern::check_loop_size(&self.pattern, &self.transforms)
            .map_err(|e| format!("loop '{}': {e}", self.name))
    }

    /// A loop named `name` playing `pattern` (written as `source`) at unit gain, centred, at its own pitch, with no transforms.
    pub fn new(name: &str, source: &str, pattern: Pattern) -> LoopDef {
        LoopDef {
            name: name.to_string(),
            pattern,
            source: source.to_string(),
            gain: 1.0,
            pan: 0.0,
            rate: 1.0,
            legato: None,
            octave: TempoOctave::default(),
            transforms: Vec::new(),
            midi: None,
            credits: PatternCredits::default(),
            pitch: Default::default(),
            voice: Default::default(),
        }
    }
}
