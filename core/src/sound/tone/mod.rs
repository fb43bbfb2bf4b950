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

    /// The next value (mono): one frame of [`ToneState::fill`].
    #[inline]
    pub fn tick(&mut self) -> f32 {
        let mut y = [0.0];
        self.fill(&mut y);
        y[0]
    }

    /// Writes the next values (mono) into `out`, up to and including the
    /// frame at which the note falls silent, and returns how many it wrote
    /// (`out.len()` while the note sounds). Audio thread: no allocation.
    ///
    /// A voice at a time, a run of frames at a time: the raw waveform for
    /// the run first (no branch on the timbre per frame), then the
    /// envelope and filter. Every value is computed exactly as frame by
    /// frame, so the result does not depend on how the frames are split.
    #[inline]
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        let mut written = 0;
        for run in out.chunks_mut(TONE_RUN_FRAMES) {
            let n = self.fill_run(run);
            written += n;
            if n < run.len() || self.is_done() {
                break;
            }
        }
        written
    }

    /// [`ToneState::fill`] for at most [`TONE_RUN_FRAMES`] frames.
    #[inline]
    fn fill_run(&mut self, out: &mut [f32]) -> usize {
        if self.envelope.is_done() {
            return 0;
        }
        let (envelope, filter, level) = (&mut self.envelope, &mut self.filter, self.level);
        match self.timbre {
            Timbre::Saw => {
                let osc = &mut self.osc;
                shape(envelope, filter, level, out, |_| {
                    let y = saw(osc);
                    osc.advance();
                    y
                })
            }
            Timbre::Pulse => {
                let osc = &mut self.osc;
                shape(envelope, filter, level, out, |_| {
                    let y = pulse(osc, 0.5);
                    osc.advance();
                    y
                })
            }
            Timbre::Pluck => {
                let pluck = &mut self.pluck;
                shape(envelope, filter, level, out, |_| pluck.tick())
            }
            Timbre::Fm => {
                // The sines for the whole run first (vector code), then
                // the envelope and filter over them.
                self.fm.fill(out);
                shape(envelope, filter, level, out, |raw| raw)
            }
        }
    }
}

/// Writes `source`'s values (it is given what `out` holds) through the
/// filter and envelope at `level` into `out`, up to and including the
/// frame at which the envelope falls silent; returns how many it wrote.
/// One loop for all three, so their frame-to-frame dependencies overlap.
#[inline(always)]
fn shape(
    envelope: &mut Envelope,
    filter: &mut LowPass,
    level: f32,
    out: &mut [f32],
    mut source: impl FnMut(f32) -> f32,
) -> usize {
    for (i, y) in out.iter_mut().enumerate() {
        let raw = source(*y);
        let env = envelope.tick();
        *y = filter.filter(raw) * env * level;
        if envelope.is_done() {
            return i + 1;
        }
    }
    out.len()
}

/// Frames a voice computes at a time in [`ToneState::fill`]: a run's raw
/// waveform is computed before its envelope and filter.
pub const TONE_RUN_FRAMES: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    /// `frames` values of `tone` held for `hold` frames then released,
    /// asked for `split` frames at a time.
    fn play(tone: &Tone, hold: usize, frames: usize, split: usize) -> Vec<u32> {
        let mut state = ToneState::new(48_000);
        state.start(tone, 7);
        let mut out = vec![0.0f32; frames];
        let mut at = 0;
        while at < frames {
            let end = (at + split).min(frames);
            let end = if at < hold { end.min(hold) } else { end };
            if at == hold {
                state.release();
            }
            let n = state.fill(&mut out[at..end]);
            let short = n < end - at;
            at += n;
            if short {
                break;
            }
        }
        out.truncate(at);
        out.iter().map(|y| y.to_bits()).collect()
    }

    #[test]
    fn every_voice_gives_the_same_values_however_its_frames_are_split() {
        for timbre in [Timbre::Saw, Timbre::Pulse, Timbre::Pluck, Timbre::Fm] {
            let mut tone = Tone::new(timbre, 523.25);
            tone.release = 0.01;
            let whole = play(&tone, 20_000, 30_000, 30_000);
            assert!(
                whole.len() > 20_000 && whole.len() < 30_000,
                "{timbre:?} ends"
            );
            assert!(whole.iter().any(|&b| f32::from_bits(b).abs() > 0.05));
            for split in [1, 13, 64, 100, 1000] {
                assert!(
                    play(&tone, 20_000, 30_000, split) == whole,
                    "{timbre:?} {split}"
                );
            }
        }
    }

    #[test]
    fn a_finished_note_writes_nothing() {
        let mut state = ToneState::new(48_000);
        let mut tone = Tone::new(Timbre::Fm, 440.0);
        tone.release = 0.001;
        state.start(&tone, 1);
        state.release();
        let mut out = [0.0f32; 4800];
        let n = state.fill(&mut out);
        assert!(n > 0 && n < 4800 && state.is_done());
        assert_eq!(state.fill(&mut out), 0);
    }
}
