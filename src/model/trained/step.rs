//! Step-wise generation shared by the Markov model and the GRU: each step
//! shows its distribution over the model's alphabet, the caller may constrain
//! or re-weight it, then draws (or picks) the token that becomes history.

use super::Rng;
use crate::data::Event;

/// The choices for one step: `(token, probability)` for every token of the
/// alphabet, in alphabet order. Probabilities sum to 1 (or are all 0 when
/// every choice was ruled out).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    /// `(token, probability)` for every token, in alphabet order.
    pub entries: Vec<(usize, f32)>,
}

impl Distribution {
    /// From unnormalised weights, one per token.
    pub fn from_weights(weights: &[f32]) -> Distribution {
        let mut d = Distribution {
            entries: weights.iter().copied().enumerate().collect(),
        };
        d.normalize();
        d
    }

    /// The probability of `token` (0 when out of range).
    pub fn probability(&self, token: usize) -> f32 {
        self.entries.get(token).map(|e| e.1).unwrap_or(0.0)
    }

    /// Scales each probability by `weight(token, p)` and renormalises; a
    /// weight of 0 rules a token out. Negative or NaN weights count as 0.
    pub fn reweight(&mut self, mut weight: impl FnMut(usize, f32) -> f32) -> &mut Self {
        for (token, p) in &mut self.entries {
            let w = weight(*token, *p);
            *p = if w.is_finite() && w > 0.0 {
                *p * w
            } else {
                0.0
            };
        }
        self.normalize();
        self
    }

    /// Keeps only the tokens `allowed` accepts.
    pub fn constrain(&mut self, mut allowed: impl FnMut(usize) -> bool) -> &mut Self {
        self.reweight(|t, _| if allowed(t) { 1.0 } else { 0.0 })
    }

    /// Sharpens (t < 1) or flattens (t > 1) the distribution: p^(1/t).
    /// t → 0 keeps only the most likely tokens.
    pub fn temperature(&mut self, t: f32) -> &mut Self {
        if t <= 1e-3 {
            let best = self.entries.iter().map(|e| e.1).fold(0.0f32, f32::max);
            for e in &mut self.entries {
                e.1 = if e.1 >= best && best > 0.0 { 1.0 } else { 0.0 };
            }
        } else if (t - 1.0).abs() > 1e-6 {
            for e in &mut self.entries {
                e.1 = if e.1 > 0.0 { e.1.powf(1.0 / t) } else { 0.0 };
            }
        }
        self.normalize();
        self
    }

    /// Makes the probabilities sum to 1; false when all are 0.
    pub fn normalize(&mut self) -> bool {
        let sum: f32 = self.entries.iter().map(|e| e.1).sum();
        if sum <= 0.0 || !sum.is_finite() {
            for e in &mut self.entries {
                e.1 = 0.0;
            }
            return false;
        }
        for e in &mut self.entries {
            e.1 /= sum;
        }
        true
    }

    /// Total probability (1 after normalising, 0 when everything was ruled out).
    pub fn total(&self) -> f32 {
        self.entries.iter().map(|e| e.1).sum()
    }

    /// Draws a token; None when every token was ruled out.
    pub fn draw(&self, rng: &mut Rng) -> Option<usize> {
        let total = self.total();
        if total <= 0.0 {
            return None;
        }
        let mut x = rng.uniform() * total;
        let mut last = None;
        for &(token, p) in &self.entries {
            if p <= 0.0 {
                continue;
            }
            last = Some(token);
            if x < p {
                return Some(token);
            }
            x -= p;
        }
        last
    }

    /// The most likely token.
    pub fn most_likely(&self) -> Option<usize> {
        self.entries
            .iter()
            .filter(|e| e.1 > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|e| e.0)
    }
}

/// A model that generates one event at a time.
pub trait StepModel {
    /// The events the model knows; a token is an index into this list.
    fn alphabet(&self) -> &[Event];

    /// Writes the next step's distribution (temperature applied) into `out`,
    /// reusing its storage.
    fn fill_distribution(&mut self, out: &mut Distribution);

    /// Makes `token` the latest event of the history.
    fn commit(&mut self, token: usize);

    /// Forgets the history.
    fn reset(&mut self);

    /// The next step's distribution.
    fn distribution(&mut self) -> Distribution {
        let mut d = Distribution::default();
        self.fill_distribution(&mut d);
        d
    }

    /// Draws from the distribution unchanged and commits the token.
    fn step(&mut self, rng: &mut Rng) -> Option<usize> {
        let d = self.distribution();
        let token = d.draw(rng)?;
        self.commit(token);
        Some(token)
    }

    /// The alphabet index of an event, if the model knows it.
    fn token_of(&self, event: &Event) -> Option<usize> {
        self.alphabet().iter().position(|e| e == event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reweight_constrain_and_temperature_keep_a_distribution() {
        let mut d = Distribution::from_weights(&[1.0, 2.0, 1.0]);
        assert!((d.total() - 1.0).abs() < 1e-6);
        d.constrain(|t| t != 1);
        assert_eq!(d.probability(1), 0.0);
        assert!((d.probability(0) - 0.5).abs() < 1e-6);
        d.reweight(|t, _| if t == 2 { 3.0 } else { 1.0 });
        assert!((d.probability(2) - 0.75).abs() < 1e-6);
        d.temperature(0.0);
        assert_eq!(d.most_likely(), Some(2));
        assert_eq!(d.probability(2), 1.0);
        d.constrain(|_| false);
        assert_eq!(d.draw(&mut Rng::new(1)), None);
    }
}
