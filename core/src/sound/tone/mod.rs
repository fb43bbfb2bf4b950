//! Pitched voices that need no files: what a pitched note asks for
//! ([`Tone`]) and the synthesis that plays it ([`ToneState`]).
//!
//! | timbre | sound |
//! |---|---|
//! | [`Timbre::Saw`] (`"synth"`, the default) | a band-limited saw through a resonant low-pass |
//! | [`Timbre::Pulse`] (`"pulse"`) | a band-limited square through the same filter |
//! | [`Timbre::Pluck`] (`"pluck"`) | a Karplus-Strong string, in tune by a solved fractional delay |
//! | [`Timbre::Fm`] (`"fm"`) | an FM electric piano with a bell-like strike |
//!
//! Each has an attack/decay/sustain/release envelope and a resonant
//! low-pass a script can set. [`ToneState::start`] and [`ToneState::tick`]
//! run on the audio thread and never allocate; the pluck's delay line is
//! allocated with the voice ([`ToneState::new`]).

pub mod envelope;
pub mod fm;
pub mod oscillator;
pub mod pluck;
pub mod svf;

use envelope::Envelope;
use fm::Fm;
use oscillator::{pulse, saw, Phase};
use pluck::Pluck;
use svf::LowPass;

/// Which built-in voice plays a note.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Timbre {
    /// Subtractive: a saw through a resonant low-pass (`"synth"`, `"saw"`).
    #[default]
    Saw,
    /// Subtractive: a square through a resonant low-pass (`"pulse"`, `"square"`).
    Pulse,
    /// A plucked string (`"pluck"`).
    Pluck,
    /// An FM electric piano / bell (`"fm"`).
    Fm,
}

impl Timbre {
    /// The timbre a script names, `None` for another name.
    pub fn parse(name: &str) -> Option<Timbre> {
        match name {
            "synth" | "saw" => Some(Timbre::Saw),
            "pulse" | "square" => Some(Timbre::Pulse),
            "pluck" => Some(Timbre::Pluck),
            "fm" => Some(Timbre::Fm),
            _ => None,
        }
    }

    /// The name a performer writes.
    pub fn name(self) -> &'static str {
        match self {
            Timbre::Saw => "synth",
            Timbre::Pulse => "pulse",
            Timbre::Pluck => "pluck",
            Timbre::Fm => "fm",
        }
    }
}

/// What one pitched note asks of a voice. Plain `Copy` data, built off the
/// audio thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tone {
    /// Which voice.
    pub timbre: Timbre,
    /// The note's frequency in Hz (already clamped to the audible range).
    pub hz: f64,
    /// Seconds to full level.
    pub attack: f32,
    /// Seconds to fall 60 dB towards the sustain level (for `pluck`: the
    /// string's ring; for `fm`: its brightness too).
    pub decay: f32,
    /// The level held while the note lasts, 0 … 1.
    pub sustain: f32,
    /// Seconds to fall 60 dB after the note ends.
    pub release: f32,
    /// The low-pass cut-off in Hz.
    pub cutoff: f32,
    /// The low-pass resonance, 0 … 0.95.
    pub resonance: f32,
}

impl Tone {
    /// A note at `hz` with `timbre`'s own envelope and filter.
    pub fn new(timbre: Timbre, hz: f64) -> Tone {
        let (attack, decay, sustain, release, cutoff, resonance) = match timbre {
            Timbre::Saw | Timbre::Pulse => (0.005, 0.3, 0.6, 0.08, 2_400.0, 0.3),
            Timbre::Pluck => (0.0, 2.0, 1.0, 0.05, 12_000.0, 0.0),
            Timbre::Fm => (0.002, 1.5, 0.0, 0.3, 12_000.0, 0.0),
        };
        Tone {
            timbre,
            hz,
            attack,
            decay,
            sustain,
            release,
            cutoff,
            resonance,
        }
    }
}

/// A voice's synthesis state: one of each kernel, the envelope and the filter.
#[derive(Debug, Default)]
pub struct ToneState {
    timbre: Timbre,
    sample_rate: f64,
    osc: Phase,
    pluck: Pluck,
    fm: Fm,
    envelope: Envelope,
    filter: LowPass,
    /// Level of the raw waveform (the saw and square are loud).
    level: f32,
}

impl ToneState {
    /// A state for a voice at `sample_rate` (allocates the pluck's line: control side).
    pub fn new(sample_rate: u32) -> ToneState {
        ToneState {
            sample_rate: f64::from(sample_rate.max(1)),
            pluck: Pluck::new(),
            ..ToneState::default()
        }
    }

    /// Starts `tone`; `seed` varies the pluck's noise from note to note.
    /// Audio thread: no allocation.
    pub fn start(&mut self, tone: &Tone, seed: u64) {
        let rate = if self.sample_rate > 0.0 {
            self.sample_rate
        } else {
            48_000.0
        };
        let nyquist_safe = 0.45 * rate;
        let hz = if tone.hz.is_finite() {
            tone.hz.clamp(1.0, nyquist_safe)
        } else {
            440.0
        };
        self.timbre = tone.timbre;
        let r = rate as f32;
        let finite = |x: f32, d: f32| if x.is_finite() { x.max(0.0) } else { d };
        let (attack, decay, release) = (
            finite(tone.attack, 0.0),
            finite(tone.decay, 0.3),
            finite(tone.release, 0.05),
        );
        let sustain = finite(tone.sustain, 0.5).min(1.0);
        match tone.timbre {
            Timbre::Saw | Timbre::Pulse => {
                self.osc = Phase::new(hz, rate);
                self.level = 0.5;
            }
            Timbre::Pluck => {
                self.pluck.start(hz, decay, rate, seed);
                self.level = 0.7;
            }
            Timbre::Fm => {
                self.fm.start(hz, decay, rate);
                self.level = 0.6;
            }
        }
        // The pluck rings by itself: its envelope only shapes the attack
        // and the release.
        let (env_decay, env_sustain) = match tone.timbre {
            Timbre::Pluck => (1.0, 1.0),
            _ => (decay, sustain),
        };
        self.envelope
            .start(attack, env_decay, env_sustain, release, r);
        self.filter.start(tone.cutoff, tone.resonance, r);
    }

    /// The note's end: the release starts.
    pub fn release(&mut self) {
        self.envelope.release();
    }

    /// True once the note has fallen silent.
    pub fn is_done(&self) -> bool {
        self.envelope.is_done()
    }

    /// The next value (mono).
    #[inline]
    pub fn tick(&mut self) -> f32 {
        let raw = match self.timbre {
            Timbre::Saw => {
                let y = saw(&self.osc);
                self.osc.advance();
                y
            }
            Timbre::Pulse => {
                let y = pulse(&self.osc, 0.5);
                self.osc.advance();
                y
            }
            Timbre::Pluck => self.pluck.tick(),
            Timbre::Fm => self.fm.tick(),
        };
        let env = self.envelope.tick();
        self.filter.filter(raw) * env * self.level
    }
}
