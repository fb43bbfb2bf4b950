//! An FM electric piano / bell: a sine carrier at the note's frequency,
//! phase-modulated by a sine at the same frequency (the piano's body, its
//! depth falling with the note) and by one at 3.5 times it that dies
//! within a few tens of milliseconds (the tine's bell-like strike).

use super::oscillator::{sine, Phase};

/// The modulators' depths at the strike, in cycles of the carrier's phase.
const BODY_DEPTH: f32 = 0.35;
/// See [`BODY_DEPTH`].
const STRIKE_DEPTH: f32 = 0.25;

/// Carrier and modulator phases and the modulation envelopes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fm {
    carrier: Phase,
    body: Phase,
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
        self.body = Phase::new(hz, sample_rate);
        self.strike = Phase::new(hz * 3.5, sample_rate);
        let rate = sample_rate as f32;
        self.body_depth = BODY_DEPTH;
        self.body_fall = (-4.6 / (decay.max(0.01) * rate)).exp();
        self.strike_depth = STRIKE_DEPTH;
        self.strike_fall = (-4.6 / (0.03 * rate)).exp();
    }

    /// The next value.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        let m = self.body_depth * sine(self.body.phase as f32)
            + self.strike_depth * sine(self.strike.phase as f32);
        let y = sine(self.carrier.phase as f32 + m);
        self.carrier.advance();
        self.body.advance();
        self.strike.advance();
        self.body_depth *= self.body_fall;
        self.strike_depth = super::svf::flush(self.strike_depth * self.strike_fall);
        y
    }
}
