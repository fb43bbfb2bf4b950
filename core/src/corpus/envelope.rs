//! The loudness envelope of a mono signal (RMS in dBFS over short hops) and
//! the onsets found in it. Segmenting ([`super::segment`]) and the onset-rate
//! feature ([`super::features`]) both read it, so both agree on what an
//! onset is.

/// The envelope's hop, in milliseconds: 10 ms, fine enough for a drum's
/// attack and coarse enough that an hour of audio is 360,000 values.
pub const ENVELOPE_HOP_MS: u32 = 10;

/// The quietest level the envelope reports, in dBFS (digital silence reads
/// as this rather than −∞, so arithmetic on levels stays finite).
pub const FLOOR_DB: f32 = -120.0;

/// Hops looked back over when judging a rise: an onset is a rise of
/// [`OnsetSettings::rise_db`] above the lowest level of the last
/// `RISE_LOOKBACK` hops (30 ms).
pub const RISE_LOOKBACK: usize = 3;

/// RMS levels of consecutive hops of a mono signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Frames per hop.
    pub hop: usize,
    /// RMS of each hop in dBFS, at least [`FLOOR_DB`]; the last hop may be
    /// shorter than `hop`.
    pub db: Vec<f32>,
}

impl Envelope {
    /// The envelope of `mono` at `sample_rate` Hz, hop [`ENVELOPE_HOP_MS`].
    pub fn of(mono: &[f32], sample_rate: u32) -> Envelope {
        let hop = ((u64::from(sample_rate) * u64::from(ENVELOPE_HOP_MS) / 1000) as usize).max(1);
        let db = mono
            .chunks(hop)
            .map(|chunk| {
                let power = chunk
                    .iter()
                    .map(|&x| f64::from(x) * f64::from(x))
                    .sum::<f64>()
                    / chunk.len() as f64;
                to_db(power.sqrt() as f32)
            })
            .collect();
        Envelope { hop, db }
    }

    /// The loudest hop's level in dBFS ([`FLOOR_DB`] when empty).
    pub fn loudest(&self) -> f32 {
        self.db.iter().copied().fold(FLOOR_DB, f32::max)
    }

    /// The level below which a tenth of the hops lie, in dBFS: the noise
    /// floor of a recording with pauses (digital silence reads as
    /// [`FLOOR_DB`]). A recording with no pause at all reads its quietest
    /// passages as its floor.
    pub fn noise_floor(&self) -> f32 {
        if self.db.is_empty() {
            return FLOOR_DB;
        }
        let mut levels = self.db.clone();
        levels.sort_by(f32::total_cmp);
        levels[levels.len() / 10]
    }

    /// Hop indices where sound starts: a hop at least `rise_db` louder than
    /// the quietest of the [`RISE_LOOKBACK`] hops before it (silence before
    /// the start counts as [`FLOOR_DB`]), at or above `threshold_db`, and at
    /// least `min_gap` hops after the previous onset.
    pub fn onsets(&self, threshold_db: f32, settings: &OnsetSettings) -> Vec<usize> {
        let min_gap = self
            .hops_of_ms(settings.min_gap_ms, settings.sample_rate)
            .max(1);
        let mut onsets: Vec<usize> = Vec::new();
        for i in 0..self.db.len() {
            if self.db[i] < threshold_db {
                continue;
            }
            let before = (i.saturating_sub(RISE_LOOKBACK)..i)
                .map(|j| self.db[j])
                .fold(
                    if i < RISE_LOOKBACK {
                        FLOOR_DB
                    } else {
                        f32::INFINITY
                    },
                    f32::min,
                );
            if self.db[i] - before >= settings.rise_db
                && onsets.last().is_none_or(|&last| i - last >= min_gap)
            {
                onsets.push(i);
            }
        }
        onsets
    }

    /// Whole hops in `ms` milliseconds at `sample_rate`, rounded up.
    pub fn hops_of_ms(&self, ms: u32, sample_rate: u32) -> usize {
        let frames = u64::from(ms) * u64::from(sample_rate) / 1000;
        frames.div_ceil(self.hop as u64) as usize
    }
}

/// How onsets are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnsetSettings {
    /// The rate of the signal the envelope was made from, in Hz.
    pub sample_rate: u32,
    /// How much louder than the last 30 ms a hop must be, in dB.
    pub rise_db: f32,
    /// The shortest time between two onsets, in milliseconds.
    pub min_gap_ms: u32,
}

impl OnsetSettings {
    /// Defaults: a rise of 9 dB, onsets at least 50 ms apart.
    pub fn at(sample_rate: u32) -> OnsetSettings {
        OnsetSettings {
            sample_rate,
            rise_db: 9.0,
            min_gap_ms: 50,
        }
    }
}

/// An amplitude as dBFS, at least [`FLOOR_DB`].
pub fn to_db(amplitude: f32) -> f32 {
    if amplitude <= 0.0 {
        FLOOR_DB
    } else {
        (20.0 * amplitude.log10()).max(FLOOR_DB)
    }
}

/// A level in dB as an amplitude.
pub fn from_db(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_square_is_zero_db_and_silence_is_the_floor() {
        let mut x = vec![0.0f32; 4800];
        x.extend(std::iter::repeat_n(1.0f32, 4800));
        let env = Envelope::of(&x, 48_000);
        assert_eq!(env.hop, 480);
        assert_eq!(env.db.len(), 20);
        assert_eq!(env.db[0], FLOOR_DB);
        assert!(env.db[15].abs() < 1e-4);
        assert!(env.loudest().abs() < 1e-4);
    }

    #[test]
    fn onsets_are_found_at_each_burst_and_not_twice_within_the_gap() {
        // Bursts start at 100, 300 and 320 ms; the last is inside the 50 ms gap.
        let rate = 48_000;
        let mut x = vec![0.0f32; rate as usize];
        for start_ms in [100usize, 300, 320] {
            let start = start_ms * 48;
            for s in &mut x[start..start + 480] {
                *s = 0.5;
            }
        }
        let env = Envelope::of(&x, rate);
        let onsets = env.onsets(-60.0, &OnsetSettings::at(rate));
        assert_eq!(onsets, vec![10, 30]);
    }

    #[test]
    fn noise_floor_is_the_tenth_percentile_of_hops() {
        let env = Envelope {
            hop: 1,
            db: (0..100).map(|i| -100.0 + i as f32).collect(),
        };
        assert_eq!(env.noise_floor(), -90.0);
        let padded = Envelope {
            hop: 1,
            db: (0..80).map(|_| -10.0).chain([FLOOR_DB; 20]).collect(),
        };
        assert_eq!(padded.noise_floor(), FLOOR_DB);
    }
}
