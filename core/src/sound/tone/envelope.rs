//! An attack/decay/sustain/release envelope, one value per frame.
//!
//! Audio thread: no allocation; a few `exp` calls when a note starts.

/// Below this level a releasing (or fully decayed) envelope is over (−80 dB).
pub const SILENT_LEVEL: f32 = 1e-4;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Stage {
    #[default]
    Idle,
    Attack,
    Decay,
    Release,
}

/// Linear attack to 1, exponential decay to the sustain level while the
/// gate is held, exponential release after. The decay and release times
/// are to −60 dB.
#[derive(Clone, Copy, Debug, Default)]
pub struct Envelope {
    stage: Stage,
    level: f32,
    attack_step: f32,
    decay_coef: f32,
    sustain: f32,
    release_coef: f32,
}

/// The per-frame factor of an exponential fall to −60 dB in `seconds`.
fn fall(seconds: f32, sample_rate: f32) -> f32 {
    let frames = (seconds.max(0.0005) * sample_rate).max(1.0);
    (-6.907_755 / frames).exp()
}

impl Envelope {
    /// Starts a note: times in seconds, `sustain` a level 0 … 1.
    pub fn start(&mut self, attack: f32, decay: f32, sustain: f32, release: f32, sample_rate: f32) {
        self.stage = Stage::Attack;
        self.level = 0.0;
        self.attack_step = 1.0 / (attack.max(0.0) * sample_rate).max(1.0);
        self.decay_coef = fall(decay, sample_rate);
        self.sustain = sustain.clamp(0.0, 1.0);
        self.release_coef = fall(release, sample_rate);
    }

    /// Lets go of the gate: the release starts from the current level.
    pub fn release(&mut self) {
        if self.stage != Stage::Idle {
            self.stage = Stage::Release;
        }
    }

    /// True once the envelope has fallen silent (or never started).
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Idle
    }

    /// The next level.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        match self.stage {
            Stage::Idle => 0.0,
            Stage::Attack => {
                self.level += self.attack_step;
                if self.level >= 1.0 {
                    self.level = 1.0;
                    self.stage = Stage::Decay;
                }
                self.level
            }
            Stage::Decay => {
                self.level = self.sustain + (self.level - self.sustain) * self.decay_coef;
                if self.sustain < SILENT_LEVEL && self.level < SILENT_LEVEL {
                    self.stage = Stage::Idle;
                    self.level = 0.0;
                }
                self.level
            }
            Stage::Release => {
                self.level *= self.release_coef;
                if self.level < SILENT_LEVEL {
                    self.stage = Stage::Idle;
                    self.level = 0.0;
                }
                self.level
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_decay_sustain_release() {
        let mut e = Envelope::default();
        assert!(e.is_done());
        e.start(0.01, 0.1, 0.5, 0.1, 1000.0);
        let levels: Vec<f32> = (0..10).map(|_| e.tick()).collect();
        assert!((levels[4] - 0.5).abs() < 1e-6 && (levels[9] - 1.0).abs() < 1e-6);
        for _ in 0..1000 {
            e.tick();
        }
        assert!((e.tick() - 0.5).abs() < 1e-3, "sustains");
        e.release();
        // −60 dB after 0.1 s, silent (−80 dB) a little later.
        for _ in 0..100 {
            e.tick();
        }
        assert!((e.tick() - 0.0005).abs() < 0.0001);
        for _ in 0..100 {
            e.tick();
        }
        assert!(e.is_done());
    }
}
