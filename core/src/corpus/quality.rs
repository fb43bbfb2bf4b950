//! What a person should listen to before trusting a recording: clipping, a
//! high noise floor, DC offset, a near-silent file, very short or very long
//! segments. Each is a [`Flag`] in the report; none stops the run.

use super::envelope::to_db;

/// A sample at or above this magnitude counts as clipped (0.999, just under
/// full scale, so 16-bit full scale, 32767/32768, counts).
pub const CLIP_LEVEL: f32 = 0.999;

/// Consecutive clipped samples in one channel that make a clip (3: one
/// full-scale sample is a loud peak, three in a row are a flattened one).
pub const CLIP_RUN: usize = 3;

/// A noise floor above this, in dBFS, is flagged (−50 dBFS: hiss or hum a
/// listener hears once the segment is normalised).
pub const NOISE_FLOOR_LIMIT_DB: f32 = -50.0;

/// A mean above this magnitude is flagged as DC offset (0.01 = −40 dBFS;
/// the offset is removed before segmenting either way).
pub const DC_LIMIT: f32 = 0.01;

/// A file whose peak is below this, in dBFS, is near-silent: flagged and no
/// segments are cut from it (normalising it would mostly raise noise).
pub const NEAR_SILENT_DB: f32 = -60.0;

/// Segments shorter than this are flagged as very short, in milliseconds.
pub const SHORT_SEGMENT_MS: u32 = 50;

/// Segments longer than this are flagged as very long, in seconds.
pub const LONG_SEGMENT_S: u32 = 30;

/// Something a person should look at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "flag", rename_all = "kebab-case")]
pub enum Flag {
    /// Runs of clipped samples.
    Clipping {
        /// Runs of at least [`CLIP_RUN`] samples at or above [`CLIP_LEVEL`].
        runs: u64,
    },
    /// The quietest tenth of the recording is louder than
    /// [`NOISE_FLOOR_LIMIT_DB`].
    NoiseFloor {
        /// The noise floor in dBFS.
        db: f32,
    },
    /// A channel's mean is beyond [`DC_LIMIT`].
    DcOffset {
        /// The largest channel mean (removed before segmenting).
        offset: f32,
    },
    /// The peak is below [`NEAR_SILENT_DB`].
    NearSilent {
        /// The peak in dBFS.
        peak_db: f32,
    },
    /// Some segments are shorter than [`SHORT_SEGMENT_MS`].
    ShortSegments {
        /// How many.
        count: usize,
    },
    /// Some segments are longer than [`LONG_SEGMENT_S`].
    LongSegments {
        /// How many.
        count: usize,
    },
    /// The file ended before its header said it would.
    Truncated {
        /// Frames decoded.
        decoded: u64,
        /// Frames declared.
        declared: u64,
    },
    /// Packets that failed to decode were left out.
    BadPackets {
        /// How many.
        count: u64,
    },
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flag::Clipping { runs } => write!(f, "clipping: {runs} runs of {CLIP_RUN}+ full-scale samples"),
            Flag::NoiseFloor { db } => write!(f, "high noise floor: {db:.1} dBFS (limit {NOISE_FLOOR_LIMIT_DB} dBFS)"),
            Flag::DcOffset { offset } => write!(f, "DC offset: {offset:+.4} (removed)"),
            Flag::NearSilent { peak_db } => write!(f, "near-silent: peak {peak_db:.1} dBFS (below {NEAR_SILENT_DB} dBFS); no segments cut"),
            Flag::ShortSegments { count } => write!(f, "{count} very short segments (under {SHORT_SEGMENT_MS} ms)"),
            Flag::LongSegments { count } => write!(f, "{count} very long segments (over {LONG_SEGMENT_S} s)"),
            Flag::Truncated { decoded, declared } => write!(f, "truncated: {decoded} of {declared} declared frames; what was there is used"),
            Flag::BadPackets { count } => write!(f, "{count} undecodable packets left out"),
        }
    }
}

/// Measurements of a source recording before anything is changed.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceLevels {
    /// The largest sample magnitude, in dBFS.
    pub peak_db: f32,
    /// Runs of clipped samples (see [`CLIP_RUN`]).
    pub clip_runs: u64,
    /// Each channel's mean.
    pub dc: Vec<f32>,
}

impl SourceLevels {
    /// Measures interleaved `samples` of `channels` channels.
    pub fn of(samples: &[f32], channels: usize) -> SourceLevels {
        let channels = channels.max(1);
        let frames = samples.len() / channels;
        let mut peak = 0f32;
        let mut clip_runs = 0u64;
        let mut dc = vec![0f32; channels];
        for (c, mean) in dc.iter_mut().enumerate() {
            let mut run = 0usize;
            let mut sum = 0f64;
            for x in samples.iter().skip(c).step_by(channels) {
                peak = peak.max(x.abs());
                sum += f64::from(*x);
                if x.abs() >= CLIP_LEVEL {
                    run += 1;
                    if run == CLIP_RUN {
                        clip_runs += 1;
                    }
                } else {
                    run = 0;
                }
            }
            *mean = if frames == 0 {
                0.0
            } else {
                (sum / frames as f64) as f32
            };
        }
        SourceLevels {
            peak_db: to_db(peak),
            clip_runs,
            dc,
        }
    }

    /// The channel mean furthest from zero.
    pub fn largest_dc(&self) -> f32 {
        self.dc
            .iter()
            .copied()
            .fold(0.0, |a, b| if b.abs() > a.abs() { b } else { a })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_runs_per_channel_not_single_peaks() {
        // Channel 0: one full-scale sample, then a run of four; channel 1 clean.
        let left = [0.1, 1.0, 0.1, 1.0, -1.0, 1.0, 1.0, 0.2];
        let right = [0.0; 8];
        let interleaved: Vec<f32> = left.iter().zip(right).flat_map(|(&l, r)| [l, r]).collect();
        let levels = SourceLevels::of(&interleaved, 2);
        assert_eq!(levels.clip_runs, 1);
        assert_eq!(levels.peak_db, 0.0);
    }

    #[test]
    fn dc_is_measured_per_channel() {
        let interleaved: Vec<f32> = (0..100)
            .flat_map(|i| [0.5 + if i % 2 == 0 { 0.1 } else { -0.1 }, 0.0])
            .collect();
        let levels = SourceLevels::of(&interleaved, 2);
        assert!((levels.dc[0] - 0.5).abs() < 1e-6);
        assert_eq!(levels.dc[1], 0.0);
        assert!((levels.largest_dc() - 0.5).abs() < 1e-6);
    }
}
