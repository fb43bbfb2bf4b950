//! Which voice a loop's pitched notes play, and how it is shaped.

use crate::sound::tone::{Timbre, Tone};

/// The voice pitched notes of a loop play (`.voice(…)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoiceChoice {
    /// A built-in synthesis voice (`"synth"`, `"pulse"`, `"pluck"`, `"fm"`).
    Built(Timbre),
    /// A sample played at the note's pitch: its name and variant (`"piano:2"`).
    Sample {
        /// The sound's name in the bank.
        name: String,
        /// Which file of its folder.
        variant: u32,
    },
}

/// A loop's voice settings; `None` fields keep the voice's own values
/// ([`Tone::new`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopVoice {
    /// The voice (`None`: `synth`).
    pub voice: Option<VoiceChoice>,
    /// Seconds to full level (`.attack(s)`).
    pub attack: Option<f32>,
    /// Seconds to fall 60 dB to the sustain level (`.decay(s)`).
    pub decay: Option<f32>,
    /// The held level, 0 … 1 (`.sustain(l)`).
    pub sustain: Option<f32>,
    /// Seconds to fall 60 dB after the note (`.release(s)`).
    pub release: Option<f32>,
    /// Low-pass cut-off in Hz (`.cutoff(hz)`).
    pub cutoff: Option<f32>,
    /// Low-pass resonance 0 … 0.95 (`.resonance(r)`).
    pub resonance: Option<f32>,
    /// The MIDI key (maybe fractional) a pitched sample sounds at its own
    /// rate (`.sample_root(…)`; `None`: its WAV `smpl` root, else 60).
    pub sample_root: Option<f64>,
    /// The root key read from the sample's WAV `smpl` chunk when the loop
    /// named it as its voice (`.sample_root(…)` wins over it).
    pub file_root: Option<f64>,
}

/// The key a pitched sample sounds at its own rate when neither the
/// script nor its WAV file says (middle C).
pub const DEFAULT_SAMPLE_ROOT: f64 = 60.0;

impl LoopVoice {
    /// The key a sample voice sounds at its own rate: `.sample_root(…)`,
    /// else the WAV `smpl` root, else [`DEFAULT_SAMPLE_ROOT`].
    pub fn sample_root(&self) -> f64 {
        self.sample_root
            .or(self.file_root)
            .unwrap_or(DEFAULT_SAMPLE_ROOT)
    }

    /// The tone a built-in voice plays for a note at `hz`.
    pub fn tone(&self, timbre: Timbre, hz: f64) -> Tone {
        let mut t = Tone::new(timbre, hz);
        t.attack = self.attack.unwrap_or(t.attack);
        t.decay = self.decay.unwrap_or(t.decay);
        t.sustain = self.sustain.unwrap_or(t.sustain);
        t.release = self.release.unwrap_or(t.release);
        t.cutoff = self.cutoff.unwrap_or(t.cutoff);
        t.resonance = self.resonance.unwrap_or(t.resonance);
        t
    }
}
