//! Reading WAV files into [`Sample`]s at the engine rate.
//!
//! The header is read by [`super::wav_header`] (which lists the encodings
//! loam reads: 8- to 32-bit integer in any container, 32- and 64-bit float,
//! `WAVE_FORMAT_EXTENSIBLE`, RF64); this file checks it against loam's limits
//! and decodes the samples. Mono or stereo, at any sample rate from
//! [`MIN_SAMPLE_RATE`] to [`MAX_SAMPLE_RATE`]; other rates than the
//! engine's are converted with the windowed-sinc resampler in
//! [`super::resample`]. Runs on a loading thread only.

use std::io::Read;
use std::path::Path;

use super::resample::resample;
use super::sample::{Sample, SoundError};
use super::wav_header::{read_header, Encoding};

/// The lowest sample rate loam reads, in Hz. Lower rates are not audio (a
/// header saying 1 Hz would make a 2 KB file resample into 366 MB).
pub const MIN_SAMPLE_RATE: u32 = 1_000;

/// The highest sample rate loam reads, in Hz (the highest common DXD/PCM rate).
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// The longest sample loam loads, in frames, both as the file declares it and
/// once resampled to the engine rate: 20 minutes at 48 kHz (460 MB of
/// stereo). Judged from the header before anything is decoded, so a 20 KB
/// file declaring 1 Hz cannot ask for 3.84 GB.
pub const MAX_SAMPLE_FRAMES: u64 = 20 * 60 * 48_000;

/// Reads the WAV file at `path` and converts it to `sample_rate`. The
/// sample's name is the file stem (callers such as the folder loader rename
/// it); its source is the path.
///
/// NOTE: float files may exceed ±1.0, and resampling a full-scale file can
/// overshoot slightly (Gibbs ripple). Either way the whole sample is scaled
/// down to peak 1.0 rather than clipped; quieter files are left untouched.
/// NaN or infinite samples in float files are replaced with silence.
///
/// Sizes from the header are checked before anything is decoded: the rate
/// against [`MIN_SAMPLE_RATE`]..=[`MAX_SAMPLE_RATE`], the length (as
/// declared and as resampled) against [`MAX_SAMPLE_FRAMES`].
pub fn load_wav(path: &Path, sample_rate: u32) -> Result<Sample, SoundError> {
    load_wav_within(path, sample_rate, MAX_SAMPLE_FRAMES)
}

/// [`load_wav`], refusing a file whose resampled length is past
/// `frames_left` (at most [`MAX_SAMPLE_FRAMES`]); a folder load passes what
/// its budget has left.
pub(crate) fn load_wav_within(
    path: &Path,
    sample_rate: u32,
    frames_left: u64,
) -> Result<Sample, SoundError> {
    let (header, mut reader) = read_header(path)?;
    if header.channels == 0 || header.channels > 2 {
        return Err(SoundError::Channels {
            path: path.to_path_buf(),
            channels: header.channels,
        });
    }
    if header.sample_rate == 0 {
        return Err(SoundError::NotWav {
            path: path.to_path_buf(),
            reason: "sample rate is 0".into(),
        });
    }
    let too_large = |reason: String| SoundError::TooLarge {
        path: path.to_path_buf(),
        reason,
    };
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&header.sample_rate) {
        return Err(too_large(format!(
            "sample rate {} Hz; loam reads {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz",
            header.sample_rate
        )));
    }
    let channels = usize::from(header.channels);
    // Whole frames the file declares and holds (never more than its size).
    let frames = header.frames;
    let out_frames = resampled_frames(frames, header.sample_rate, sample_rate);
    let limit = frames_left.min(MAX_SAMPLE_FRAMES);
    if frames > MAX_SAMPLE_FRAMES || out_frames > u128::from(limit) {
        return Err(too_large(format!(
            "{frames} frames at {} Hz ({out_frames} at {sample_rate} Hz); loam loads at most {limit} frames \
             (MAX_SAMPLE_FRAMES is {MAX_SAMPLE_FRAMES}, 20 minutes at 48 kHz)",
            header.sample_rate
        )));
    }
    if frames == 0 {
        return Err(SoundError::Empty {
            path: path.to_path_buf(),
        });
    }

    let data = decode(&mut reader, header.encoding, frames as usize * channels).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            SoundError::NotWav {
                path: path.to_path_buf(),
                reason: "file ends early".into(),
            }
        } else {
            SoundError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;

    let mut data = resample(&data, channels, header.sample_rate, sample_rate);
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
        credit: crate::data::credit::Credit::NONE,
    })
}

/// Decodes `count` samples (the checked header length, all of which the
/// file holds) into a vector reserved once, reading a block at a time.
fn decode(reader: &mut impl Read, encoding: Encoding, count: usize) -> std::io::Result<Vec<f32>> {
    const BLOCK: usize = 1 << 16;
    let width = usize::from(encoding.bytes());
    let mut out = Vec::with_capacity(count);
    let mut bytes = vec![0u8; BLOCK * width];
    while out.len() < count {
        let n = (count - out.len()).min(BLOCK);
        let buf = &mut bytes[..n * width];
        reader.read_exact(buf)?;
        out.extend(buf.chunks_exact(width).map(|s| to_f32(s, encoding)));
    }
    Ok(out)
}

/// One sample's bytes as a float in -1.0..1.0 (floats as stored; NaN and
/// infinities become silence).
///
/// NOTE: integers are scaled by their *container*: the valid bits of a
/// `WAVE_FORMAT_EXTENSIBLE` sample are its high bits (24 valid bits in a
/// 32-bit container are the top three bytes), so the sample is shifted to
/// the top of an `i32`, the unused low bits cleared, and divided by 2³¹.
fn to_f32(s: &[u8], encoding: Encoding) -> f32 {
    match encoding {
        Encoding::Unsigned8 => (f32::from(s[0]) - 128.0) / 128.0,
        Encoding::Signed { bytes, valid_bits } => {
            let mut word = [0u8; 4];
            let shift = 4 - usize::from(bytes);
            word[shift..].copy_from_slice(s);
            let unused = 32 - u32::from(valid_bits);
            let v = i32::from_le_bytes(word) & (!0i32 << unused);
            (f64::from(v) / 2_147_483_648.0) as f32
        }
        Encoding::Float32 => {
            let v = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            if v.is_finite() {
                v
            } else {
                0.0
            }
        }
        Encoding::Float64 => {
            let v = f64::from_le_bytes(s.try_into().unwrap_or([0; 8])) as f32;
            if v.is_finite() {
                v
            } else {
                0.0
            }
        }
    }
}

/// Frames after converting `frames` from `from` Hz to `to` Hz, as
/// [`resample`] makes them (`ceil(frames × to / from)`), without overflow.
pub fn resampled_frames(frames: u64, from: u32, to: u32) -> u128 {
    if from == to || from == 0 || to == 0 {
        return u128::from(frames);
    }
    (u128::from(frames) * u128::from(to)).div_ceil(u128::from(from))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hound::{SampleFormat, WavSpec, WavWriter};
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

    /// A 16-bit mono header at `rate` whose data chunk claims `data_bytes`,
    /// followed by only `real` bytes of audio.
    fn lying_header(rate: u32, data_bytes: u32, real: usize) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&36u32.wrapping_add(data_bytes).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes()); // PCM
        b.extend_from_slice(&1u16.to_le_bytes()); // mono
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * 2).to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_bytes.to_le_bytes());
        b.extend(std::iter::repeat_n(0x10u8, real));
        b
    }

    #[test]
    fn a_1_hz_wav_is_refused_before_resampling() {
        // 8-bit mono, 2000 samples, declaring 1 Hz: 13.8 s and +366 MB before.
        let dir = temp_folder("one-hz");
        let path = dir.join("sr1_n2000.wav");
        std::fs::write(
            &path,
            include_bytes!("../../../tests/cases/wav-1-hz-2000-samples.wav"),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let msg = load_wav(&path, 48000).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(msg.contains("sr1_n2000.wav"), "{msg}");
        assert!(msg.contains("sample rate 1 Hz"), "{msg}");
        assert!(msg.contains("1000 to 768000 Hz"), "{msg}");

        // 20 KB at 1 Hz would ask for 3.84 GB at 48 kHz.
        let big = dir.join("big.wav");
        std::fs::write(&big, lying_header(1, 20_000, 20_000)).unwrap();
        let msg = load_wav(&big, 48000).unwrap_err().to_string();
        assert!(msg.contains("sample rate 1 Hz"), "{msg}");
    }

    #[test]
    fn sample_rates_at_the_limits() {
        let dir = temp_folder("rates");
        let low = dir.join("low.wav");
        write_sine(&low, 1, MIN_SAMPLE_RATE, 16, false);
        let s = load_wav(&low, 48000).unwrap();
        assert_eq!(s.frames(), 48000);
        let lower = dir.join("lower.wav");
        std::fs::write(&lower, lying_header(MIN_SAMPLE_RATE - 1, 200, 200)).unwrap();
        assert!(load_wav(&lower, 48000)
            .unwrap_err()
            .to_string()
            .contains("sample rate 999 Hz"));
        let high = dir.join("high.wav");
        std::fs::write(&high, lying_header(MAX_SAMPLE_RATE + 1, 200, 200)).unwrap();
        assert!(load_wav(&high, 48000)
            .unwrap_err()
            .to_string()
            .contains("sample rate 768001 Hz"));
    }

    #[test]
    fn resampled_lengths_are_checked_before_decoding() {
        let dir = temp_folder("lengths");
        let path = dir.join("one-second.wav");
        write_sine(&path, 1, 1000, 16, false);
        // One second at 1 kHz is 48000 frames at 48 kHz.
        assert_eq!(
            load_wav_within(&path, 48000, 48000).unwrap().frames(),
            48000
        );
        let msg = load_wav_within(&path, 48000, 47999)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("one-second.wav"), "{msg}");
        assert!(msg.contains("48000 at 48000 Hz"), "{msg}");
        assert!(msg.contains("at most 47999 frames"), "{msg}");
        assert_eq!(
            resampled_frames(u64::from(u32::MAX), 1, 768_000),
            3_298_534_882_560_000
        );
    }

    #[test]
    fn a_data_chunk_claiming_more_than_the_file_holds_reads_what_is_there() {
        let dir = temp_folder("claims");
        // 4 GB claimed, 64 bytes there: the 32 frames there, nothing reserved
        // for the claim.
        let path = dir.join("claims-4gb.wav");
        std::fs::write(&path, lying_header(48000, 0xFFFF_FFF0, 64)).unwrap();
        assert_eq!(load_wav(&path, 48000).unwrap().frames(), 32);
        let path = dir.join("claims-100mb.wav");
        std::fs::write(&path, lying_header(48000, 100_000_000, 64)).unwrap();
        assert_eq!(load_wav(&path, 48000).unwrap().frames(), 32);
        // A file really past MAX_SAMPLE_FRAMES (sparse, so it costs no disk)
        // is refused from its header before anything is decoded.
        let path = dir.join("too-long.wav");
        let bytes = (MAX_SAMPLE_FRAMES + 1) * 2;
        std::fs::write(&path, lying_header(48000, bytes as u32, 0)).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(44 + bytes).unwrap();
        let started = std::time::Instant::now();
        let msg = load_wav(&path, 48000).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(msg.contains("too-long.wav"), "{msg}");
        assert!(
            msg.contains(&format!("MAX_SAMPLE_FRAMES is {MAX_SAMPLE_FRAMES}")),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(dir);
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
