//! Reading what loam played: WAV files and where sounds start in them.

use std::path::Path;

/// A WAV file's samples as floats in −1..1, interleaved, with its spec.
pub fn read_wav_spec(path: &Path) -> (Vec<f32>, hound::WavSpec) {
    let mut r = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{} is not a complete WAV: {e}", path.display()));
    let spec = r.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        }
    };
    (samples, spec)
}

/// A WAV file's samples, interleaved.
pub fn read_wav(path: &Path) -> Vec<f32> {
    read_wav_spec(path).0
}

/// A WAV file as one level per frame (the loudest channel's magnitude),
/// with its sample rate.
pub fn read_wav_peaks(path: &Path) -> (Vec<f32>, u32) {
    let (samples, spec) = read_wav_spec(path);
    let peaks = samples
        .chunks(spec.channels as usize)
        .map(|c| c.iter().map(|v| v.abs()).fold(0.0, f32::max))
        .collect();
    (peaks, spec.sample_rate)
}

/// Where sounds start in one channel: a frame whose magnitude is above
/// `level` after at least `quiet` frames below `silence`.
#[derive(Clone, Copy, Debug)]
pub struct Onsets {
    pub level: f32,
    pub silence: f32,
    pub quiet: usize,
    /// Whether the frames before the first count as quiet (a sound at
    /// frame 0 is an onset), or the first onset needs `quiet` frames too.
    pub quiet_before: bool,
}

/// loam's one-sample clicks ([`super::script_with_click`]): above 0.05
/// straight after a frame of silence (below 1e-6).
pub const CLICKS: Onsets = Onsets {
    level: 0.05,
    silence: 1e-6,
    quiet: 1,
    quiet_before: true,
};

impl Onsets {
    /// Sounds above `level` after `quiet` frames below it.
    pub fn after(level: f32, quiet: usize) -> Onsets {
        Onsets {
            level,
            silence: level,
            quiet,
            quiet_before: true,
        }
    }

    /// The frames where sounds start in `x`.
    pub fn find(&self, x: impl IntoIterator<Item = f32>) -> Vec<usize> {
        let mut found = Vec::new();
        let mut quiet_run = if self.quiet_before { self.quiet } else { 0 };
        for (i, v) in x.into_iter().enumerate() {
            let v = v.abs();
            if v > self.level {
                if quiet_run >= self.quiet {
                    found.push(i);
                }
                quiet_run = 0;
            } else if v < self.silence {
                quiet_run += 1;
            } else {
                quiet_run = 0;
            }
        }
        found
    }
}

/// Frames where the left channel of interleaved stereo starts a click
/// ([`CLICKS`]).
pub fn onsets(stereo: &[f32]) -> Vec<u64> {
    CLICKS
        .find(stereo.chunks_exact(2).map(|frame| frame[0]))
        .into_iter()
        .map(|i| i as u64)
        .collect()
}
