//! An FM electric piano / bell: a sine carrier at the note's frequency,
//! phase-modulated by a sine at the same frequency (the piano's body, its
//! depth falling with the note) and by one at 3.5 times it that dies
//! within a few tens of milliseconds (the tine's bell-like strike).
//!
//! The body modulator runs at the carrier's frequency from the same start,
//! so it shares the carrier's phase. [`Fm::fill`] computes a run of frames
//! at once: the phases and depths first (the only part that depends on the
//! frame before), then the three sines of every frame with no branch, which
//! the compiler turns into vector code. Once the strike has died away (its
//! depth flushed to exactly 0) its sine is skipped: it would add 0.

use super::oscillator::{sine, Phase};

/// The modulators' depths at the strike, in cycles of the carrier's phase.
const BODY_DEPTH: f32 = 0.35;
/// See [`BODY_DEPTH`].
const STRIKE_DEPTH: f32 = 0.25;

/// Frames [`Fm::fill`] computes at a time (the length of its stack buffers).
pub const FM_RUN_FRAMES: usize = 64;

/// Carrier and modulator phases and the modulation envelopes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fm {
    /// The carrier's phase, which is also the body modulator's.
    carrier: Phase,
    strike: Phase,
    body_depth: f32,
    body_fall: f32,
    strike_depth: f32,
    strike_fall: f32,
}

impl Fm {
    /// Starts a note at `hz`; the body's brightness falls over `decay` seconds.
    pub fn start(&mut self, hz: f64, decay: f32, sample_rate: f64) {
        self.carrier = Phase::new(hz, sample_rate);
        self.strike = Phase::new(hz * 3.5, sample_rate);
        let rate = sample_rate as f32;
        self.body_depth = BODY_DEPTH;
        self.body_fall = (-4.6 / (decay.max(0.01) * rate)).exp();
        self.strike_depth = STRIKE_DEPTH;
        self.strike_fall = (-4.6 / (0.03 * rate)).exp();
    }

    /// The next value (one frame of [`Fm::fill`]).
    #[inline]
    pub fn tick(&mut self) -> f32 {
        let mut y = [0.0];
        self.fill(&mut y);
        y[0]
    }

    /// Writes the next `out.len()` values.
    #[inline]
    pub fn fill(&mut self, out: &mut [f32]) {
        for run in out.chunks_mut(FM_RUN_FRAMES) {
            self.fill_run(run);
        }
    }

    /// [`Fm::fill`] for at most [`FM_RUN_FRAMES`] frames.
    #[inline]
    fn fill_run(&mut self, out: &mut [f32]) {
        let n = out.len().min(FM_RUN_FRAMES);
        let out = &mut out[..n];
        let mut phase = [0.0f32; FM_RUN_FRAMES];
        let mut body = [0.0f32; FM_RUN_FRAMES];
        let (phase, body) = (&mut phase[..n], &mut body[..n]);
        if self.strike_depth == 0.0 {
            for (p, b) in phase.iter_mut().zip(body.iter_mut()) {
                *p = self.carrier.phase as f32;
                *b = self.body_depth;
                self.carrier.advance();
                self.body_depth = super::svf::flush(self.body_depth * self.body_fall);
            }
            for ((y, &p), &b) in out.iter_mut().zip(phase.iter()).zip(body.iter()) {
                *y = sine(p + b * sine(p));
            }
            return;
        }
        let mut strike = [0.0f32; FM_RUN_FRAMES];
        let mut strike_depth = [0.0f32; FM_RUN_FRAMES];
        let (strike, strike_depth) = (&mut strike[..n], &mut strike_depth[..n]);
        for (((p, b), s), d) in phase
            .iter_mut()
            .zip(body.iter_mut())
            .zip(strike.iter_mut())
            .zip(strike_depth.iter_mut())
        {
            *p = self.carrier.phase as f32;
            *b = self.body_depth;
            *s = self.strike.phase as f32;
            *d = self.strike_depth;
            self.carrier.advance();
            self.strike.advance();
            self.body_depth = super::svf::flush(self.body_depth * self.body_fall);
            self.strike_depth = super::svf::flush(self.strike_depth * self.strike_fall);
        }
        for ((((y, &p), &b), &s), &d) in out
            .iter_mut()
            .zip(phase.iter())
            .zip(body.iter())
            .zip(strike.iter())
            .zip(strike_depth.iter())
        {
            *y = sine(p + (b * sine(p) + d * sine(s)));
        }
    }
}
