//! The master limiter: instant attack, smooth release, sample by sample (so
//! its output does not depend on the block size), then a hard ceiling.

/// A stereo-linked peak limiter.
#[derive(Debug, Clone)]
pub struct Limiter {
    ceiling: f32,
    release: f32,
    envelope: f32,
}

impl Limiter {
    /// `ceiling` in linear amplitude; release time in seconds.
    pub fn new(sample_rate: u32, ceiling: f32, release_s: f32) -> Limiter {
        Limiter {
            ceiling,
            release: (-1.0 / (release_s * sample_rate as f32)).exp(),
            envelope: 0.0,
        }
    }

    /// Limits interleaved stereo frames in place.
    ///
    /// Called on the audio thread: no allocation, no locks.
    #[inline]
    pub fn process(&mut self, frames: &mut [f32]) {
        for frame in frames.chunks_exact_mut(2) {
            let l = sanitize(frame[0]);
            let r = sanitize(frame[1]);
            let peak = l.abs().max(r.abs());
            self.envelope = if peak > self.envelope {
                peak
            } else {
                let e = peak + (self.envelope - peak) * self.release;
                // Flush tiny values so the envelope never goes denormal.
                if e < 1e-20 {
                    0.0
                } else {
                    e
                }
            };
            let gain = if self.envelope > self.ceiling {
                self.ceiling / self.envelope
            } else {
                1.0
            };
            frame[0] = (l * gain).clamp(-1.0, 1.0);
            frame[1] = (r * gain).clamp(-1.0, 1.0);
        }
    }
}

/// NaN and infinities become silence; denormals become zero.
#[inline]
fn sanitize(x: f32) -> f32 {
    if x.is_finite() && x.abs() > 1e-30 {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loud_input_stays_under_the_ceiling() {
        let mut l = Limiter::new(48_000, 0.9, 0.1);
        let mut buf: Vec<f32> = (0..2000).map(|i| ((i as f32) * 0.1).sin() * 4.0).collect();
        l.process(&mut buf);
        assert!(buf.iter().all(|x| x.abs() <= 0.9 + 1e-6));
    }

    #[test]
    fn nan_and_infinity_become_silence() {
        let mut l = Limiter::new(48_000, 0.9, 0.1);
        let mut buf = vec![f32::NAN, f32::INFINITY, 0.5, -0.5];
        l.process(&mut buf);
        assert_eq!(&buf[..2], &[0.0, 0.0]);
        assert!(buf.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn quiet_input_passes_unchanged() {
        let mut l = Limiter::new(48_000, 0.9, 0.1);
        let mut buf = vec![0.25, -0.25, 0.5, 0.1];
        let orig = buf.clone();
        l.process(&mut buf);
        assert_eq!(buf, orig);
    }
}
