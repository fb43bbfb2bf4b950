//! Signals that reach beyond patterns (issue 15): latent dimensions of
//! playing models (`model_latent("voice", [sine.slow(8).range(-2, 2), 0.3])`)
//! and OSC subscribers (`signal_out("lfo", saw.slow(2))` → `/signal/lfo f`).
//!
//! The control thread reads every such signal at the musical time the
//! engine has reached (a rational position on the bar grid, times the
//! session's tempo octave), every [`SIGNAL_INTERVAL`], so a `sine.slow(4)`
//! is 0 on every fourth bar line whatever the metre. A value that is NaN or
//! infinite is withheld (the model keeps its last value) and counted in
//! `/status` `nan_values`; a latent value is clamped to ±`MAX_LATENT`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Notice;
use crate::pattern::signal::Signal;
use crate::pattern::values::MAX_LATENT;
use crate::schedule::LatentValue;
use crate::time::Rational;

/// How often signals are read and sent: 5 ms (the issue asks for at least
/// every 10 ms; a latent moved every 5 ms changes by at most a 200th of a
/// `sine.slow(1)` cycle at one bar a second).
pub const SIGNAL_INTERVAL: Duration = Duration::from_millis(5);

/// The signals driving models and subscribers, and what was last sent.
#[derive(Debug, Default)]
pub struct SignalDrivers {
    latents: BTreeMap<String, Vec<LatentValue>>,
    sent: BTreeMap<String, f32>,
    read_at: Option<Instant>,
}

/// One latent dimension to set: model, dimension, value.
pub type LatentSet = (String, usize, f64);

impl SignalDrivers {
    /// Drives model `name`'s latent dimensions 0.. with `values` from now on.
    pub fn drive(&mut self, name: &str, values: Vec<LatentValue>) {
        self.latents.insert(name.to_string(), values);
    }

    /// True when some model's latent is driven.
    pub fn drives_any(&self) -> bool {
        !self.latents.is_empty()
    }

    /// Stops driving model `name` (a plain latent was set, or it was unloaded).
    pub fn stop(&mut self, name: &str) {
        self.latents.remove(name);
    }

    /// True when [`SIGNAL_INTERVAL`] has passed since the last reading (and
    /// starts the next interval).
    pub fn due(&mut self) -> bool {
        let now = Instant::now();
        if self
            .read_at
            .is_some_and(|at| now.duration_since(at) < SIGNAL_INTERVAL)
        {
            return false;
        }
        self.read_at = Some(now);
        true
    }

    /// Reads every signal at `cycles` (drawing `rand` and `perlin` with
    /// `seed`): the latent dimensions to set, and a `/signal/NAME` notice
    /// for each output whose value changed since it was last sent.
    pub fn read(
        &mut self,
        cycles: Rational,
        seed: u64,
        outs: &BTreeMap<String, Signal>,
    ) -> (Vec<LatentSet>, Vec<Notice>) {
        let mut sets = Vec::new();
        for (model, values) in &self.latents {
            for (dim, v) in values.iter().enumerate() {
                let value = match v {
                    LatentValue::Number(x) => Some(*x),
                    LatentValue::Signal(s) => s.finite_at(cycles, seed),
                };
                if let Some(x) = value {
                    sets.push((model.clone(), dim, x.clamp(-MAX_LATENT, MAX_LATENT)));
                }
            }
        }
        self.sent.retain(|name, _| outs.contains_key(name));
        let mut notices = Vec::new();
        for (name, signal) in outs {
            let Some(x) = signal.finite_at(cycles, seed) else {
                continue;
            };
            let x = x as f32;
            if self.sent.get(name) != Some(&x) {
                self.sent.insert(name.clone(), x);
                notices.push(Notice::Signal {
                    name: name.clone(),
                    value: x,
                });
            }
        }
        (sets, notices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::signal::Shape;
    use crate::time::q;

    #[test]
    fn latents_and_outputs_follow_their_signals_in_musical_time() {
        let mut d = SignalDrivers::default();
        let sweep = Signal::new(Shape::Sine).slow(q(4, 1)).range(-2.0, 2.0);
        d.drive(
            "voice",
            vec![LatentValue::Signal(sweep.clone()), LatentValue::Number(0.3)],
        );
        let mut outs = BTreeMap::new();
        outs.insert("lfo".to_string(), Signal::new(Shape::Saw));
        // On a bar line that is a multiple of 4 the slowed sine is exactly 0.
        let (sets, notices) = d.read(q(8, 1), 0, &outs);
        assert_eq!(
            sets,
            vec![("voice".into(), 0, 0.0), ("voice".into(), 1, 0.3)]
        );
        assert_eq!(
            notices,
            vec![Notice::Signal {
                name: "lfo".into(),
                value: 0.0
            }]
        );
        // A bar later it is at its top; the saw is unchanged (a whole
        // cycle later), so nothing is sent again.
        let (sets, notices) = d.read(q(9, 1), 0, &outs);
        assert_eq!(sets[0], ("voice".into(), 0, 2.0));
        assert!(notices.is_empty());
        let (_, notices) = d.read(q(19, 2), 0, &outs);
        assert_eq!(
            notices,
            vec![Notice::Signal {
                name: "lfo".into(),
                value: 0.5
            }]
        );
        // A value that is not finite is withheld and counted.
        let before = crate::pattern::signal::non_finite_count();
        d.drive(
            "voice",
            vec![LatentValue::Signal(
                Signal::new(Shape::Saw).range(1e308, -1e308),
            )],
        );
        let (sets, _) = d.read(q(0, 1), 0, &BTreeMap::new());
        assert!(sets.is_empty(), "{sets:?}");
        assert!(crate::pattern::signal::non_finite_count() > before);
        d.stop("voice");
        assert!(d.read(q(1, 1), 0, &BTreeMap::new()).0.is_empty());
    }
}
