//! Audio corpora: a personal collection of recordings made into a small
//! dataset loam can describe and play (issue 13).
//!
//! | step | command | what it writes |
//! |---|---|---|
//! | prepare | `loam dataset prepare IN OUT` | `OUT/segments/*.wav`, `segments.json`, `report.md`, `report.json`, a copy of `datasheet.toml` |
//! | describe | `loam dataset features DIR` | `DIR/features.csv` (and its cache) |
//! | arrange | `loam dataset map DIR [DIR2]` | `map.json`, `map.png` |
//!
//! `IN` is never written to. Every segment keeps its source file, offset
//! and length ([`SegmentRecord`]), so a played segment can be credited to the
//! recording and dataset it came from. This layer sits above `data` and
//! `sound` (it uses their resampler and paths) and below `audio`: nothing
//! here runs on the audio thread.

pub mod decode;
pub mod duration;
pub mod envelope;
pub mod features;
pub mod live;
pub mod map;
pub mod map_picture;
pub mod normalise;
pub mod pitch;
pub mod prepare;
pub mod quality;
pub mod report;
pub mod segment;
pub mod shape;
pub mod som;
pub mod sounds;

use sha2::{Digest, Sha256};

/// The folder of segment files inside a prepared corpus.
pub const SEGMENTS_DIR: &str = "segments";
/// The provenance of every segment (a [`SegmentsFile`]).
pub const SEGMENTS_JSON: &str = "segments.json";
/// What `prepare` did, for tools.
pub const REPORT_JSON: &str = "report.json";
/// What `prepare` did, for a person.
pub const REPORT_MD: &str = "report.md";
/// A dataset's datasheet (the datasheet contract of issue 12).
pub const DATASHEET: &str = "datasheet.toml";

/// One segment of a prepared corpus and where it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentRecord {
    /// The segment's file, relative to the corpus folder
    /// (`segments/field__rain.wav.0003.wav`).
    pub file: String,
    /// Its source file, relative to the folder it was prepared from,
    /// `/`-separated (`field/rain.wav`).
    pub source: String,
    /// The source's sample rate, in Hz.
    pub source_sample_rate: u32,
    /// Where the segment starts in the source, in source frames.
    pub source_offset_frames: u64,
    /// How long it is in the source, in source frames.
    pub source_length_frames: u64,
    /// Where it starts in the source resampled to the corpus rate, in frames.
    pub offset_frames: u64,
    /// Its length at the corpus rate, in frames.
    pub frames: u64,
    /// The gain levelling applied, in dB.
    pub gain_db: f32,
}

/// `segments.json`: the provenance of a prepared corpus.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentsFile {
    /// The rate of every segment file, in Hz.
    pub sample_rate: u32,
    /// The SHA-256 of the source folder's `datasheet.toml` copied beside
    /// the segments, when there was one (so the copy can be checked against
    /// the original).
    pub source_datasheet: Option<String>,
    /// Every segment, in the order written.
    pub segments: Vec<SegmentRecord>,
}

/// The SHA-256 of `bytes`, as lower-case hex.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
