//! Reading WAV files (through `hound`) into [`Sample`]s at the engine rate.
//!
//! Accepts 8/16/24/32-bit integer and 32-bit float PCM, mono or stereo, at
//! any sample rate; other rates are converted with the windowed-sinc
//! resampler in [`super::resample`]. Runs on a loading thread only.

use std::path::Path;

use hound::{SampleFormat, WavReader};

use super::resample::resample;
use super::sample::{Sample, SoundError};

/// Reads the WAV file at `path` and converts it to `sample_rate`. The
/// sample's name is the file stem (callers such as the folder loader rename
/// it); its source is the path.
///
/// NOTE: float files may exceed ±1.0, and resampling a full-scale file can
/// overshoot slightly (Gibbs ripple). Either way the whole sample is scaled
/// down to peak 1.0 rather than clipped; quieter files are left untouched.
/// NaN or infinite samples in float files are replaced with silence.
pub fn load_wav(path: &Path, sample_rate: u32) -> Result<Sample, SoundError> {
    let mut reader = WavReader::open(path).map_err(|e| wav_error(path, e))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.channels > 2 {
        return Err(SoundError::Channels {
            path: path.to_path_buf(),
            channels: spec.channels,
        });
    }
    if spec.sample_rate == 0 {
        return Err(SoundError::NotWav {
            path: path.to_path_buf(),
            reason: "sample rate is 0".into(),
        });
    }
    let channels = usize::from(spec.channels);

    let data: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .map(|s| s.map(|v| if v.is_finite() { v } else { 0.0 }))
            .collect::<Result<_, _>>(),
        (SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / f64::from(1u32 << (bits - 1));
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| (f64::from(v) * scale) as f32))
                .collect::<Result<_, _>>()
        }
        (format, bits) => {
            let kind = match format {
                SampleFormat::Float => "float",
                SampleFormat::Int => "integer",
            };
            return Err(SoundError::Unsupported {
                path: path.to_path_buf(),
                reason: format!(
                    "{bits}-bit {kind}; loam reads 8/16/24/32-bit integer or 32-bit float"
                ),
            });
        }
    }
    .map_err(|e| wav_error(path, e))?;

    // A truncated last frame is dropped rather than misaligning the channels.
    let mut data = data;
    data.truncate(data.len() / channels * channels);
    if data.is_empty() {
        return Err(SoundError::Empty {
            path: path.to_path_buf(),
        });
    }

    let mut data = resample(&data, channels, spec.sample_rate, sample_rate);
    let peak = data.iter().fold(0.0f32, |p, v| p.max(v.abs()));
    if peak > 1.0 {
        data.iter_mut().for_each(|v| *v /= peak);
    }

    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Sample {
        name,
        channels,
        data,
        source: path.display().to_string(),
    })
}

/// Maps hound's errors onto [`SoundError`], keeping the path.
fn wav_error(path: &Path, err: hound::Error) -> SoundError {
    let path = path.to_path_buf();
    match err {
        hound::Error::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            SoundError::NotWav {
                path,
                reason: "file ends early".into(),
            }
        }
        hound::Error::IoError(source) => SoundError::Io { path, source },
        hound::Error::FormatError(reason) => SoundError::NotWav {
            path,
            reason: reason.into(),
        },
        other => SoundError::Unsupported {
            path,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hound::{WavSpec, WavWriter};
    use std::f64::consts::PI;
    use std::path::PathBuf;

    /// A fresh, empty folder under the system temp dir.
    pub(crate) fn temp_folder(tag: &str) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("loam-sound-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp folder");
        dir
    }

    /// The value of a 1 kHz sine at `amp` for frame `i`.
    fn sine_1k(i: usize, rate: u32, amp: f64) -> f64 {
        amp * (2.0 * PI * 1000.0 * i as f64 / f64::from(rate)).sin()
    }

    /// Writes one second of a 1 kHz sine (same on every channel).
    pub(crate) fn write_sine(path: &Path, channels: u16, rate: u32, bits: u16, float: bool) {
        let spec = WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                SampleFormat::Float
            } else {
                SampleFormat::Int
            },
        };
        let mut w = WavWriter::create(path, spec).expect("create wav");
        for i in 0..rate as usize {
            let v = sine_1k(i, rate, 0.5);
            for _ in 0..channels {
                if float {
                    w.write_sample(v as f32).expect("write");
                } else {
                    let full = f64::from(1u32 << (bits - 1)) - 1.0;
                    w.write_sample((v * full).round() as i32).expect("write");
                }
            }
        }
        w.finalize().expect("finalize");
    }

    /// Sign changes of channel `ch` over the whole sample.
    fn zero_crossings(s: &Sample, ch: usize) -> usize {
        let x: Vec<f32> = s
            .data
            .iter()
            .skip(ch)
            .step_by(s.channels)
            .copied()
            .collect();
        x.windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count()
    }

    fn check(file: &str, channels: u16, rate: u32, bits: u16, float: bool) {
        let dir = temp_folder("wav");
        let path = dir.join(file);
        write_sine(&path, channels, rate, bits, float);
        let s = load_wav(&path, 48000).expect("load");
        let expected = rate as f64 * 48000.0 / f64::from(rate);
        assert!(
            (s.frames() as f64 - expected).abs() <= 1.0,
            "{file}: {}",
            s.frames()
        );
        assert_eq!(s.channels, usize::from(channels));
        for ch in 0..s.channels {
            // One second of 1 kHz crosses zero 2000 times (±2 for the ends).
            let zc = zero_crossings(&s, ch);
            assert!(
                (1998..=2002).contains(&zc),
                "{file} ch {ch}: {zc} crossings"
            );
        }
        assert!((s.peak() - 0.5).abs() < 0.01, "{file}: peak {}", s.peak());
        assert_eq!(s.source, path.display().to_string());
        assert_eq!(s.name, path.file_stem().unwrap().to_string_lossy());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn reads_16_bit_mono_44100() {
        check("mono16.wav", 1, 44100, 16, false);
    }

    #[test]
    fn reads_24_bit_stereo_48000() {
        check("stereo24.wav", 2, 48000, 24, false);
    }

    #[test]
    fn reads_float_96000() {
        check("float.wav", 1, 96000, 32, true);
    }

    #[test]
    fn reads_8_and_32_bit_integers() {
        check("eight.wav", 1, 22050, 8, false);
        check("thirtytwo.wav", 2, 48000, 32, false);
    }

    #[test]
    fn corrupt_file_names_the_file() {
        let dir = temp_folder("corrupt");
        let path = dir.join("kick.wav");
        std::fs::write(&path, b"this is not audio at all").expect("write");
        let err = load_wav(&path, 48000).expect_err("should fail");
        let msg = err.to_string();
        assert!(
            msg.contains("kick.wav") && msg.contains("not a WAV file"),
            "{msg}"
        );

        let empty = dir.join("empty.wav");
        std::fs::write(&empty, b"").expect("write");
        assert!(load_wav(&empty, 48000)
            .unwrap_err()
            .to_string()
            .contains("empty.wav"));
        let missing = dir.join("missing.wav");
        assert!(load_wav(&missing, 48000)
            .unwrap_err()
            .to_string()
            .contains("missing.wav"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn too_many_channels_is_a_clear_error() {
        let dir = temp_folder("channels");
        let path = dir.join("pad.wav");
        write_sine(&path, 6, 8000, 16, false);
        let msg = load_wav(&path, 48000).unwrap_err().to_string();
        assert!(
            msg.ends_with("pad.wav: 6 channels; loam plays mono or stereo"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn loud_float_files_are_scaled_to_peak_one() {
        let dir = temp_folder("loud");
        let path = dir.join("loud.wav");
        let spec = WavSpec {
            channels: 1,
            sample_rate: 48000,
            bits_per_sample: 32,
            sample_format: SampleFormat::Float,
        };
        let mut w = WavWriter::create(&path, spec).expect("create");
        for v in [0.0f32, 4.0, -2.0, f32::NAN, 1.0] {
            w.write_sample(v).expect("write");
        }
        w.finalize().expect("finalize");
        let s = load_wav(&path, 48000).expect("load");
        assert_eq!(s.data, vec![0.0, 1.0, -0.5, 0.0, 0.25]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
