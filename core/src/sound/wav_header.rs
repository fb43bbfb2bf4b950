//! The header of a RIFF/WAVE file as recorders and DAWs write it: which
//! encoding the samples use, and where the audio lies in the file.
//!
//! loam reads the header itself rather than through `hound`, because hound
//! reads a 24-bit sample in a 32-bit container as the container's *low* bits
//! (the `WAVE_FORMAT_EXTENSIBLE` rule puts the valid bits in the *high*
//! bits: a quiet tone played as wrapped noise about 19× too loud), refuses
//! 20-in-24 and 12-in-16 samples and 64-bit floats, skips an odd-sized
//! chunk without its pad byte, and cannot read a file a recorder left
//! unfinished.
//!
//! | what | read as |
//! |---|---|
//! | `WAVE_FORMAT_PCM` (1), 8-bit | unsigned, 128 is silence |
//! | `WAVE_FORMAT_PCM`, 9–32 valid bits in a 2-, 3- or 4-byte container | signed, scaled by the container (valid bits are the high bits) |
//! | `WAVE_FORMAT_IEEE_FLOAT` (3), 32 or 64 bits | float |
//! | `WAVE_FORMAT_EXTENSIBLE` (0xFFFE) | as its sub-format GUID says: PCM or IEEE float, with `wValidBitsPerSample`; the channel mask is not needed for mono or stereo |
//! | `RF64` / `BW64` | the 64-bit sizes of the `ds64` chunk |
//! | chunks before `fmt ` or `data` (`fact`, `LIST`, `bext`, `JUNK`, …) | skipped, with their pad byte when odd-sized |
//! | a `data` size of 0 or 0xFFFFFFFF left by a recorder that stopped before finishing the file | the audio up to the end of the file |
//!
//! Anything else (A-law, µ-law, ADPCM, …) is refused with its format tag.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::sample::SoundError;

/// The most bytes of chunks loam skips looking for `fmt ` and `data`
/// (a `LIST`/`bext`/`iXML` block from a field recorder is a few KB; album
/// art in a `LIST` may be a few MB). Past this, the file is refused rather
/// than read chunk after chunk.
pub const MAX_HEADER_BYTES: u64 = 64 * 1024 * 1024;

/// The largest `fmt ` chunk loam reads, in bytes (WAVE_FORMAT_EXTENSIBLE
/// needs 40; the rest is room for writers that pad it). Read whole into
/// memory, so a header claiming gigabytes is refused, not allocated.
pub const MAX_FMT_BYTES: u32 = 1024;

/// The last 14 bytes shared by the `KSDATAFORMAT_SUBTYPE_*` GUIDs; the first
/// two bytes are the format tag (1 PCM, 3 IEEE float).
const GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// How one sample is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 8-bit unsigned integer, 128 is silence.
    Unsigned8,
    /// Little-endian signed integer in a `bytes`-byte container (2 to 4)
    /// whose high `valid_bits` bits carry the sample.
    Signed { bytes: u16, valid_bits: u16 },
    /// IEEE float, 32 bits.
    Float32,
    /// IEEE float, 64 bits.
    Float64,
}

impl Encoding {
    /// Bytes of one sample in the file.
    pub fn bytes(self) -> u16 {
        match self {
            Encoding::Unsigned8 => 1,
            Encoding::Signed { bytes, .. } => bytes,
            Encoding::Float32 => 4,
            Encoding::Float64 => 8,
        }
    }
}

/// What the header says, checked for consistency (not yet against loam's
/// limits; [`super::wav`] does that before decoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavHeader {
    /// Channels as the file declares them (not yet checked for 1 or 2).
    pub channels: u16,
    /// Frames per second as declared.
    pub sample_rate: u32,
    /// How samples are stored.
    pub encoding: Encoding,
    /// Byte offset of the first sample.
    pub data_start: u64,
    /// Whole frames of audio in the file: what the `data` chunk declares,
    /// but never more than the file holds.
    pub frames: u64,
}

/// Reads the header of the WAV file at `path` and leaves `reader`
/// positioned at the first sample.
pub fn read_header(path: &Path) -> Result<(WavHeader, BufReader<File>), SoundError> {
    let io_err = |source: io::Error| SoundError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_wav = |reason: &str| SoundError::NotWav {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let file = File::open(path).map_err(io_err)?;
    let file_len = file.metadata().map_err(io_err)?.len();
    let mut r = BufReader::new(file);
    let eof = |e: io::Error| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            not_wav("file ends early")
        } else {
            io_err(e)
        }
    };

    let mut riff = [0u8; 12];
    r.read_exact(&mut riff).map_err(eof)?;
    let big = match &riff[0..4] {
        b"RIFF" => false,
        b"RF64" | b"BW64" => true,
        _ => return Err(not_wav("no RIFF tag found")),
    };
    if &riff[8..12] != b"WAVE" {
        return Err(not_wav("no WAVE tag found"));
    }

    let mut pos = 12u64;
    let mut fmt: Option<(u16, u32, Encoding)> = None;
    let mut ds64_data: Option<u64> = None;
    loop {
        if pos > MAX_HEADER_BYTES {
            return Err(not_wav(&format!(
                "no audio in the first {MAX_HEADER_BYTES} bytes (MAX_HEADER_BYTES)"
            )));
        }
        let mut head = [0u8; 8];
        r.read_exact(&mut head).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                not_wav(if fmt.is_none() {
                    "no fmt chunk"
                } else {
                    "no data chunk"
                })
            } else {
                io_err(e)
            }
        })?;
        pos += 8;
        let id = [head[0], head[1], head[2], head[3]];
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        match &id {
            b"fmt " => {
                if !(16..=MAX_FMT_BYTES).contains(&len) {
                    return Err(not_wav(&format!("fmt chunk of {len} bytes")));
                }
                let mut body = vec![0u8; len as usize];
                r.read_exact(&mut body).map_err(eof)?;
                fmt = Some(parse_fmt(&body).map_err(|reason| match reason {
                    FmtProblem::Malformed(reason) => not_wav(&reason),
                    FmtProblem::Unsupported(reason) => SoundError::Unsupported {
                        path: path.to_path_buf(),
                        reason,
                    },
                })?);
                pos += u64::from(len);
                if len % 2 == 1 {
                    r.seek_relative(1).map_err(io_err)?;
                    pos += 1;
                }
            }
            b"ds64" if big => {
                let mut body = [0u8; 16];
                if len < 16 {
                    return Err(not_wav("ds64 chunk shorter than 16 bytes"));
                }
                r.read_exact(&mut body).map_err(eof)?;
                ds64_data = Some(u64::from_le_bytes(body[8..16].try_into().unwrap()));
                let rest = u64::from(len) - 16 + u64::from(len % 2);
                r.seek(SeekFrom::Current(rest as i64)).map_err(io_err)?;
                pos += u64::from(len) + u64::from(len % 2);
            }
            b"data" => {
                let Some((channels, sample_rate, encoding)) = fmt else {
                    return Err(not_wav("data chunk before the fmt chunk"));
                };
                let in_file = file_len.saturating_sub(pos);
                let declared = match (len, ds64_data) {
                    (0xFFFF_FFFF, Some(size)) if big => size,
                    // NOTE: a recorder that stopped before finishing the file
                    // leaves 0 or 0xFFFFFFFF here: the audio runs to the end
                    // of the file. A real empty file has nothing after this.
                    (0 | 0xFFFF_FFFF, _) => in_file,
                    (len, _) => u64::from(len),
                };
                let block = u64::from(channels) * u64::from(encoding.bytes());
                let frames = declared.min(in_file) / block;
                let header = WavHeader {
                    channels,
                    sample_rate,
                    encoding,
                    data_start: pos,
                    frames,
                };
                return Ok((header, r));
            }
            _ => {
                // fact, LIST, bext, JUNK, PAD , iXML, cue , …: skipped, with
                // the pad byte that follows an odd-sized chunk.
                let skip = u64::from(len) + u64::from(len % 2);
                r.seek(SeekFrom::Current(skip as i64)).map_err(io_err)?;
                pos += skip;
            }
        }
    }
}

/// Why a `fmt ` chunk was not accepted.
enum FmtProblem {
    /// The chunk contradicts itself.
    Malformed(String),
    /// A valid encoding loam does not decode.
    Unsupported(String),
}

/// Channels, rate and encoding from the body of a `fmt ` chunk.
fn parse_fmt(b: &[u8]) -> Result<(u16, u32, Encoding), FmtProblem> {
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let tag = u16_at(0);
    let channels = u16_at(2);
    let sample_rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let block_align = u16_at(12);
    let bits = u16_at(14);
    let malformed = |s: String| Err(FmtProblem::Malformed(s));
    if channels == 0 {
        return malformed("0 channels".into());
    }
    if block_align == 0 || block_align % channels != 0 {
        return malformed(format!(
            "block align {block_align} does not fit {channels} channels"
        ));
    }
    let container = block_align / channels;
    let (format, valid_bits) = match tag {
        1 | 3 => (tag, bits),
        0xFFFE => {
            if b.len() < 40 || u16_at(16) < 22 {
                return malformed("WAVE_FORMAT_EXTENSIBLE without its 22-byte extension".into());
            }
            let valid = u16_at(18);
            // bytes 20..24: the channel mask (speaker positions), not needed
            // to play mono or stereo.
            if b[26..40] != GUID_TAIL {
                return Err(FmtProblem::Unsupported(format!(
                    "WAVE_FORMAT_EXTENSIBLE with sub-format {}",
                    guid_text(&b[24..40])
                )));
            }
            // NOTE: 0 valid bits is written by some tools; it means "all of them".
            (u16_at(24), if valid == 0 { bits } else { valid })
        }
        other => {
            return Err(FmtProblem::Unsupported(format!(
                "format tag {other:#06x}{}; loam reads PCM and IEEE float",
                known_tag(other)
            )))
        }
    };
    if valid_bits == 0 || valid_bits > container * 8 {
        return malformed(format!(
            "{valid_bits} bits per sample in a {container}-byte container"
        ));
    }
    let encoding = match (format, container) {
        (1, 1) => Encoding::Unsigned8,
        (1, 2..=4) => Encoding::Signed {
            bytes: container,
            valid_bits,
        },
        (3, 4) => Encoding::Float32,
        (3, 8) => Encoding::Float64,
        (1, _) => {
            return Err(FmtProblem::Unsupported(format!(
                "{valid_bits}-bit integer in a {container}-byte container; loam reads 1- to 4-byte integers"
            )))
        }
        (3, _) => {
            return Err(FmtProblem::Unsupported(format!(
                "{}-bit float; loam reads 32- or 64-bit float",
                container * 8
            )))
        }
        (other, _) => {
            return Err(FmtProblem::Unsupported(format!(
                "WAVE_FORMAT_EXTENSIBLE with sub-format {other:#06x}{}; loam reads PCM and IEEE float",
                known_tag(other)
            )))
        }
    };
    Ok((channels, sample_rate, encoding))
}

/// The common name of a WAVE format tag loam does not read.
fn known_tag(tag: u16) -> &'static str {
    match tag {
        2 => " (Microsoft ADPCM)",
        6 => " (A-law)",
        7 => " (µ-law)",
        0x11 => " (IMA ADPCM)",
        0x55 => " (MPEG layer 3)",
        _ => "",
    }
}

/// A GUID as usually written, e.g. `00000001-0000-0010-8000-00aa00389b71`.
fn guid_text(g: &[u8]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10..]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}
