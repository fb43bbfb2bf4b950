//! Where a performance's input sound comes from: the sound card while
//! playing live, a file in an offline render (`loam render --input
//! take.wav`). Anything that takes the input (a model's `model_input(name,
//! "in")`) reads it through [`InputSource`], so it works the same either way.
//!
//! Frames are counted on the engine's clock: frame `n` of the input is what
//! was heard while output frame `n` played. A source that does not have a
//! frame (before its start, after its end) gives silence.

use std::path::Path;

use super::{load_wav, Sample, SoundError};

/// A performance's input, read by engine frame. Implementations: [`FileInput`]
/// (offline renders); the live input comes from the audio side.
pub trait InputSource: Send {
    /// Channels per frame (1 or 2 for a file; the device's for live input).
    fn channels(&self) -> usize;

    /// Copies the input's frames from engine frame `at` on into `out`
    /// (interleaved, [`InputSource::channels`] values per frame); frames
    /// the source does not have are silence.
    fn read(&mut self, at: u64, out: &mut [f32]);

    /// What it is, for messages and credits (a file's path, a device's name).
    fn describe(&self) -> String;
}

/// A WAV file standing in for the live input: its frame 0 is heard at the
/// performance's frame 0, at the engine's rate (converted as a sample is),
/// with the limits of [`load_wav`]; after its end, silence.
pub struct FileInput {
    sample: Sample,
}

impl FileInput {
    /// Reads `path` at `sample_rate` Hz.
    pub fn load(path: &Path, sample_rate: u32) -> Result<FileInput, SoundError> {
        Ok(FileInput {
            sample: load_wav(path, sample_rate)?,
        })
    }

    /// The file's length in engine frames.
    pub fn frames(&self) -> usize {
        self.sample.frames()
    }
}

impl InputSource for FileInput {
    fn channels(&self) -> usize {
        self.sample.channels.max(1)
    }

    fn read(&mut self, at: u64, out: &mut [f32]) {
        let ch = self.channels();
        let data = &self.sample.data;
        let start = usize::try_from(at)
            .ok()
            .and_then(|f| f.checked_mul(ch))
            .unwrap_or(usize::MAX)
            .min(data.len());
        let n = out.len().min(data.len() - start);
        out[..n].copy_from_slice(&data[start..start + n]);
        out[n..].fill(0.0);
    }

    fn describe(&self) -> String {
        self.sample.source.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_input_reads_by_engine_frame_and_is_silent_past_its_end() {
        let mut input = FileInput {
            sample: Sample {
                name: "take".into(),
                channels: 2,
                data: vec![1.0, -1.0, 2.0, -2.0, 3.0, -3.0],
                source: "take.wav".into(),
                credit: Default::default(),
            },
        };
        assert_eq!(input.channels(), 2);
        let mut out = [9.0; 6];
        input.read(1, &mut out);
        assert_eq!(out, [2.0, -2.0, 3.0, -3.0, 0.0, 0.0]);
        input.read(u64::MAX, &mut out);
        assert_eq!(out, [0.0; 6]);
        assert_eq!(input.frames(), 3);
        assert_eq!(input.describe(), "take.wav");
    }
}
