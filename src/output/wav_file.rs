//! WAV files written atomically: into `NAME.part` beside the target, renamed
//! over it only when complete.

use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavSpec, WavWriter};

/// 32-bit float stereo, bit-exact with what the engine rendered.
pub fn spec(sample_rate: u32) -> WavSpec {
    WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: 32,
        sample_format: SampleFormat::Float,
    }
}

/// A WAV being written to a temporary name.
pub struct AtomicWav {
    writer: WavWriter<std::io::BufWriter<std::fs::File>>,
    part: PathBuf,
    target: PathBuf,
}

impl AtomicWav {
    pub fn create(target: &Path, sample_rate: u32) -> Result<AtomicWav, String> {
        let mut part = target.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let writer = WavWriter::create(&part, spec(sample_rate))
            .map_err(|e| format!("{}: cannot create: {e}", part.display()))?;
        Ok(AtomicWav {
            writer,
            part,
            target: target.to_path_buf(),
        })
    }

    pub fn write(&mut self, samples: &[f32]) -> Result<(), String> {
        for &s in samples {
            self.writer
                .write_sample(s)
                .map_err(|e| format!("{}: write failed: {e}", self.part.display()))?;
        }
        Ok(())
    }

    /// Updates the header so the partial file is playable if we die.
    pub fn flush(&mut self) -> Result<(), String> {
        self.writer
            .flush()
            .map_err(|e| format!("{}: flush failed: {e}", self.part.display()))
    }

    /// Completes the header and moves the file into place.
    pub fn finish(self) -> Result<PathBuf, String> {
        self.writer
            .finalize()
            .map_err(|e| format!("{}: cannot finalise: {e}", self.part.display()))?;
        std::fs::rename(&self.part, &self.target).map_err(|e| {
            format!(
                "cannot move {} to {}: {e}",
                self.part.display(),
                self.target.display()
            )
        })?;
        Ok(self.target)
    }
}
