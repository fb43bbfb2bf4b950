//! Reading a source recording of any common format into floating-point
//! frames: WAV (8- to 32-bit integer, 32- and 64-bit float), FLAC and AIFF,
//! at any rate from [`MIN_SAMPLE_RATE`] to [`MAX_SAMPLE_RATE`], with up to
//! [`MAX_SOURCE_CHANNELS`] channels, decoded by `symphonia`. The file is only
//! ever opened for reading. Runs on the preparing thread, never live.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::sound::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

/// The longest source recording a corpus reads, in seconds (one hour).
/// Judged from the header where it says, and while decoding otherwise, so a
/// file cannot ask for more memory than an hour of its own audio (an hour of
/// 6-channel 192 kHz float is 16 GB, so the sample count is also capped by
/// [`MAX_SOURCE_SAMPLES`]).
pub const MAX_SOURCE_SECONDS: u64 = 60 * 60;

/// The most samples (frames × channels) decoded from one source file: an hour
/// of stereo at 48 kHz (1.4 GB as 32-bit floats). Longer or wider files are
/// skipped with this limit named; split them first.
pub const MAX_SOURCE_SAMPLES: u64 = MAX_SOURCE_SECONDS * 48_000 * 2;

/// The most channels a source file may have (7.1.4 and ambisonic third order
/// fit; the channels are mixed to one before segmenting).
pub const MAX_SOURCE_CHANNELS: usize = 16;

/// Frames a file may fall short of its declared length before it is
/// flagged as truncated (16): AIFF's sound-data header words are counted
/// into the declared length by some readers, which is two or three frames
/// of nothing missing.
pub const TRUNCATION_SLACK: u64 = 16;

/// A decoded source recording.
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// Interleaved samples, nominally within ±1.0.
    pub samples: Vec<f32>,
    /// Channels per frame (≥ 1).
    pub channels: usize,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// The container and encoding, in words ("WAV, 24-bit integer").
    pub format: String,
    /// Bits per sample as stored, when the file says.
    pub bits_per_sample: Option<u32>,
    /// Frames the header declared, when it did.
    pub declared_frames: Option<u64>,
    /// Packets that failed to decode and were left out (counted, not fatal).
    pub bad_packets: u64,
}

impl DecodedAudio {
    /// Frames decoded.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1)
    }

    /// True when more than [`TRUNCATION_SLACK`] fewer frames were decoded
    /// than the header declared (a truncated file; what was there is used).
    pub fn truncated(&self) -> bool {
        self.declared_frames
            .is_some_and(|declared| (self.frames() as u64) + TRUNCATION_SLACK < declared)
    }

    /// The channels averaged into one, frame by frame.
    pub fn mono(&self) -> Vec<f32> {
        if self.channels <= 1 {
            return self.samples.clone();
        }
        let scale = 1.0 / self.channels as f32;
        self.samples
            .chunks_exact(self.channels)
            .map(|frame| frame.iter().sum::<f32>() * scale)
            .collect()
    }
}

/// Why a source file could not be read; each names the reason in the
/// performer's words (the report adds the file).
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The file could not be opened or read.
    Io(String),
    /// An empty file.
    Empty,
    /// Not a format loam reads, or not audio at all.
    NotAudio(String),
    /// A rate outside [`MIN_SAMPLE_RATE`]..=[`MAX_SAMPLE_RATE`] (or none).
    Rate(Option<u32>),
    /// No channels or more than [`MAX_SOURCE_CHANNELS`].
    Channels(usize),
    /// Longer than [`MAX_SOURCE_SECONDS`] or [`MAX_SOURCE_SAMPLES`].
    TooLong {
        /// Seconds, as declared or as far as decoding got.
        seconds: f64,
    },
    /// The header was read but no frame of audio could be decoded.
    NoFrames(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Io(e) => write!(f, "cannot read it: {e}"),
            DecodeError::Empty => write!(f, "the file is empty (0 bytes)"),
            DecodeError::NotAudio(e) => {
                write!(f, "not a WAV, FLAC or AIFF file loam can decode ({e})")
            }
            DecodeError::Rate(Some(rate)) => write!(
                f,
                "sample rate {rate} Hz is outside {MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE} Hz"
            ),
            DecodeError::Rate(None) => write!(f, "the file does not say its sample rate"),
            DecodeError::Channels(n) => {
                write!(f, "{n} channels (loam reads 1 to {MAX_SOURCE_CHANNELS})")
            }
            DecodeError::TooLong { seconds } => write!(
                f,
                "{seconds:.0} s is longer than the limit ({MAX_SOURCE_SECONDS} s, \
                 {MAX_SOURCE_SAMPLES} samples across channels): split it first"
            ),
            DecodeError::NoFrames(e) => write!(f, "no audio could be decoded ({e})"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The container reader for the file at `path`, probed by its contents
/// (the extension is a hint): an empty file, one that cannot be opened and
/// one that is not audio symphonia reads are errors.
pub(super) fn open_reader(
    path: &Path,
) -> Result<Box<dyn symphonia::core::formats::FormatReader>, DecodeError> {
    let file = File::open(path).map_err(|e| DecodeError::Io(e.to_string()))?;
    let bytes = file
        .metadata()
        .map_err(|e| DecodeError::Io(e.to_string()))?
        .len();
    if bytes == 0 {
        return Err(DecodeError::Empty);
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| DecodeError::NotAudio(e.to_string()))?;
    Ok(probed.format)
}

/// Decodes the file at `path` (its extension is a hint, not a promise: the
/// contents decide). Packets that fail to decode are counted and left out; a
/// file that ends early gives what it has (see [`DecodedAudio::truncated`]).
pub fn decode_file(path: &Path) -> Result<DecodedAudio, DecodeError> {
    let mut reader = open_reader(path)?;
    let track = reader
        .default_track()
        .ok_or_else(|| DecodeError::NotAudio("no audio track".into()))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let sample_rate = params.sample_rate;
    let rate = match sample_rate {
        Some(r) if (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&r) => r,
        other => return Err(DecodeError::Rate(other)),
    };
    let channels = params.channels.map(|c| c.count()).unwrap_or(0);
    if channels == 0 || channels > MAX_SOURCE_CHANNELS {
        return Err(DecodeError::Channels(channels));
    }
    let max_frames =
        (MAX_SOURCE_SECONDS * u64::from(rate)).min(MAX_SOURCE_SAMPLES / channels as u64);
    if let Some(declared) = params.n_frames {
        if declared > max_frames {
            return Err(DecodeError::TooLong {
                seconds: declared as f64 / f64::from(rate),
            });
        }
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| DecodeError::NotAudio(e.to_string()))?;
    let format = describe_format(&hint_name(path), params.bits_per_sample, params.codec);

    let mut samples: Vec<f32> = Vec::with_capacity(
        params
            .n_frames
            .map_or(0, |n| (n as usize).saturating_mul(channels)),
    );
    let mut bad_packets = 0u64;
    let mut last_error = String::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => {
                last_error = e.to_string();
                break;
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(decoded) => {
                if decoded.spec().channels.count() != channels {
                    bad_packets += 1;
                    last_error = "a packet changed the channel count".into();
                    continue;
                }
                let needed = decoded.capacity() as u64;
                let buf = match &mut buffer {
                    Some(b) if b.capacity() as u64 >= needed => b,
                    _ => buffer.insert(SampleBuffer::new(needed, *decoded.spec())),
                };
                buf.copy_interleaved_ref(decoded);
                samples.extend_from_slice(buf.samples());
                if (samples.len() / channels) as u64 > max_frames {
                    return Err(DecodeError::TooLong {
                        seconds: (samples.len() / channels) as f64 / f64::from(rate),
                    });
                }
            }
            Err(SymphoniaError::DecodeError(e)) => {
                bad_packets += 1;
                last_error = e.to_string();
            }
            Err(e) => {
                last_error = e.to_string();
                break;
            }
        }
    }
    if samples.len() < channels {
        let why = if last_error.is_empty() {
            "the file holds no frames".to_string()
        } else {
            last_error
        };
        return Err(DecodeError::NoFrames(why));
    }
    samples.truncate(samples.len() / channels * channels);
    for s in &mut samples {
        if !s.is_finite() {
            *s = 0.0;
        }
    }
    Ok(DecodedAudio {
        samples,
        channels,
        sample_rate: rate,
        format,
        bits_per_sample: params.bits_per_sample,
        declared_frames: params.n_frames,
        bad_packets,
    })
}

/// The container named by the file's extension, in capitals ("WAV").
fn hint_name(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| match e.to_ascii_lowercase().as_str() {
            "aif" | "aiff" | "aifc" => "AIFF".to_string(),
            other => other.to_ascii_uppercase(),
        })
        .unwrap_or_else(|| "audio".into())
}

/// "WAV, 24-bit integer", "FLAC, 16-bit", "WAV, 32-bit float".
fn describe_format(
    container: &str,
    bits: Option<u32>,
    codec: symphonia::core::codecs::CodecType,
) -> String {
    use symphonia::core::codecs as c;
    let float = [
        c::CODEC_TYPE_PCM_F32LE,
        c::CODEC_TYPE_PCM_F32BE,
        c::CODEC_TYPE_PCM_F64LE,
        c::CODEC_TYPE_PCM_F64BE,
    ]
    .contains(&codec);
    match (bits, float) {
        (Some(b), true) => format!("{container}, {b}-bit float"),
        (None, true) => format!("{container}, float"),
        (Some(b), false) if codec == c::CODEC_TYPE_FLAC => format!("{container}, {b}-bit"),
        (Some(b), false) => format!("{container}, {b}-bit integer"),
        (None, false) => container.to_string(),
    }
}
