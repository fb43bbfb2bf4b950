//! `loam dataset prepare IN OUT`: turns a folder of recordings into a folder
//! of segments, without touching `IN`.
//!
//! Each source file (WAV, FLAC, AIFF; found recursively, in byte order of
//! their paths) is decoded, its levels measured ([`super::quality`]), its
//! channels mixed to one, its DC offset removed, resampled to one rate (the
//! windowed-sinc resampler in [`crate::sound::resample`]), cut
//! ([`super::segment`]) and each segment levelled ([`super::normalise`]) and
//! written as a 32-bit float mono WAV in `OUT/segments/`. `OUT` also gets
//! `segments.json` (every segment's source file, offset and length, in
//! source frames and in output frames: the provenance the player and the
//! credits read), `report.json` and `report.md` (what was done to each
//! source file, what was flagged and what was skipped and why), and a copy
//! of `IN/datasheet.toml`, byte for byte, so attribution and consent travel
//! with the segments.
//!
//! One bad file never stops the run: it is skipped with a line naming it and
//! the reason. Nothing depends on time, threads or the order the file system
//! lists a folder in, so preparing the same input twice gives byte-identical
//! output.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::decode::decode_file;
use super::envelope::Envelope;
use super::normalise::{normalise, Normalise};
use super::quality::{
    Flag, SourceLevels, DC_LIMIT, LONG_SEGMENT_S, NEAR_SILENT_DB, NOISE_FLOOR_LIMIT_DB,
    SHORT_SEGMENT_MS,
};
use super::report::write_markdown;
use super::segment::{find_segments, SegmentSettings};
use super::{
    content_hash, SegmentRecord, SegmentsFile, DATASHEET, REPORT_JSON, REPORT_MD, SEGMENTS_DIR,
    SEGMENTS_JSON,
};
use crate::sound::resample;
use crate::sound::{MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

/// The most files read from one input folder (a larger archive is prepared
/// in parts), so a mistaken `IN` such as `/` is refused quickly.
pub const MAX_SOURCE_FILES: usize = 100_000;

/// File name endings read as audio (any case).
pub const AUDIO_EXTENSIONS: &[&str] = &["wav", "wave", "flac", "aif", "aiff", "aifc"];

/// The performer's choices for preparing.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrepareSettings {
    /// The rate every segment is written at, in Hz (48,000).
    pub sample_rate: u32,
    /// Where to cut.
    pub segment: SegmentSettings,
    /// How to level.
    pub normalise: Normalise,
}

impl Default for PrepareSettings {
    fn default() -> PrepareSettings {
        PrepareSettings {
            sample_rate: 48_000,
            segment: SegmentSettings::default(),
            normalise: Normalise::default(),
        }
    }
}

/// What happened to one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Decoded and cut (possibly into no segments, when near-silent).
    Prepared,
    /// An audio file name that could not be used; `reason` says why.
    Skipped,
    /// Not an audio file name (notes, pictures); listed, not read.
    Ignored,
}

/// The report's entry for one source file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceReport {
    /// Path relative to `IN`, `/`-separated.
    pub source: String,
    /// Prepared, skipped or ignored.
    pub status: SourceStatus,
    /// Why it was skipped or ignored.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Container and encoding ("WAV, 24-bit integer").
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub format: Option<String>,
    /// Source rate in Hz (0 when not decoded).
    pub sample_rate: u32,
    /// Source channels (0 when not decoded).
    pub channels: usize,
    /// Source frames decoded.
    pub frames: u64,
    /// Peak before anything was changed, in dBFS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peak_dbfs: Option<f32>,
    /// Noise floor (quietest tenth of 10 ms hops), in dBFS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub noise_floor_dbfs: Option<f32>,
    /// What a person should look at.
    pub flags: Vec<Flag>,
    /// Segment files written from it, relative to `OUT`.
    pub segments: Vec<String>,
    /// Pieces dropped as shorter than the minimum segment.
    pub dropped_short: usize,
}

impl SourceReport {
    fn unread(source: String, status: SourceStatus, reason: String) -> SourceReport {
        SourceReport {
            source,
            status,
            reason: Some(reason),
            format: None,
            sample_rate: 0,
            channels: 0,
            frames: 0,
            peak_dbfs: None,
            noise_floor_dbfs: None,
            flags: Vec::new(),
            segments: Vec::new(),
            dropped_short: 0,
        }
    }
}

/// `report.json`: everything `prepare` did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrepareReport {
    /// The settings used.
    pub settings: PrepareSettings,
    /// Whether `IN/datasheet.toml` was found and copied.
    pub datasheet_copied: bool,
    /// One entry per file under `IN`, in path order.
    pub sources: Vec<SourceReport>,
    /// Segments written.
    pub segment_count: usize,
    /// Seconds of audio written.
    pub segment_seconds: f64,
}

/// Why preparing could not start (a bad file never gets here: it is skipped).
#[derive(Debug)]
pub enum PrepareError {
    /// `IN` is not a readable folder.
    Input(PathBuf, String),
    /// `OUT` cannot be used (names the file or the overlap).
    Output(PathBuf, String),
    /// The settings are out of range.
    Settings(String),
    /// Writing under `OUT` failed.
    Write(PathBuf, String),
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrepareError::Input(p, e) => write!(f, "{}: {e}", p.display()),
            PrepareError::Output(p, e) => write!(f, "{}: {e}", p.display()),
            PrepareError::Settings(e) => write!(f, "{e}"),
            PrepareError::Write(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for PrepareError {}

/// Prepares every recording under `input` into `output` (created if
/// needed; it must be empty or hold an earlier `prepare`'s output, which is
/// replaced). Returns the report also written as `report.json`.
pub fn prepare(
    input: &Path,
    output: &Path,
    settings: &PrepareSettings,
) -> Result<PrepareReport, PrepareError> {
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&settings.sample_rate) {
        return Err(PrepareError::Settings(format!(
            "sample rate {} Hz is outside {MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE} Hz",
            settings.sample_rate
        )));
    }
    let input_abs =
        fs::canonicalize(input).map_err(|e| PrepareError::Input(input.into(), e.to_string()))?;
    if !input_abs.is_dir() {
        return Err(PrepareError::Input(input.into(), "not a folder".into()));
    }
    let output_abs = ready_output(output, &input_abs)?;
    let files = list_files(&input_abs)?;

    let seg_dir = output_abs.join(SEGMENTS_DIR);
    fs::create_dir_all(&seg_dir)
        .map_err(|e| PrepareError::Write(seg_dir.clone(), e.to_string()))?;
    let mut taken_names = BTreeSet::new();
    let mut sources = Vec::new();
    let mut records: Vec<SegmentRecord> = Vec::new();
    let mut datasheet_copied = false;
    for rel in files {
        let path = input_abs.join(&rel);
        if rel == DATASHEET {
            let to = output_abs.join(DATASHEET);
            fs::copy(&path, &to).map_err(|e| PrepareError::Write(to, e.to_string()))?;
            datasheet_copied = true;
            continue;
        }
        let is_audio = Path::new(&rel)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if !is_audio {
            sources.push(SourceReport::unread(
                rel,
                SourceStatus::Ignored,
                "not an audio file name (.wav, .flac, .aif, .aiff)".into(),
            ));
            continue;
        }
        let report = prepare_one(
            &path,
            rel,
            &output_abs,
            settings,
            &mut taken_names,
            &mut records,
        )?;
        sources.push(report);
    }

    let segment_seconds =
        records.iter().map(|r| r.frames as f64).sum::<f64>() / f64::from(settings.sample_rate);
    let report = PrepareReport {
        settings: *settings,
        datasheet_copied,
        segment_count: records.len(),
        segment_seconds,
        sources,
    };
    let segments_file = SegmentsFile {
        sample_rate: settings.sample_rate,
        source_datasheet: if datasheet_copied {
            Some(content_hash(&fs::read(input_abs.join(DATASHEET)).map_err(
                |e| PrepareError::Input(input.into(), e.to_string()),
            )?))
        } else {
            None
        },
        segments: records,
    };
    write_json(&output_abs.join(SEGMENTS_JSON), &segments_file)?;
    let md = write_markdown(&report);
    write_atomic(&output_abs.join(REPORT_MD), md.as_bytes())?;
    write_json(&output_abs.join(REPORT_JSON), &report)?;
    Ok(report)
}

/// Reads, cuts, levels and writes one source file; a bad file becomes a
/// skipped entry, only a failed write is an error.
fn prepare_one(
    path: &Path,
    rel: String,
    output: &Path,
    settings: &PrepareSettings,
    taken_names: &mut BTreeSet<String>,
    records: &mut Vec<SegmentRecord>,
) -> Result<SourceReport, PrepareError> {
    let audio = match decode_file(path) {
        Ok(a) => a,
        Err(e) => {
            return Ok(SourceReport::unread(
                rel,
                SourceStatus::Skipped,
                e.to_string(),
            ))
        }
    };
    let levels = SourceLevels::of(&audio.samples, audio.channels);
    let mut flags = Vec::new();
    if audio.truncated() {
        flags.push(Flag::Truncated {
            decoded: audio.frames() as u64,
            declared: audio.declared_frames.unwrap_or(0),
        });
    }
    if audio.bad_packets > 0 {
        flags.push(Flag::BadPackets {
            count: audio.bad_packets,
        });
    }
    if levels.clip_runs > 0 {
        flags.push(Flag::Clipping {
            runs: levels.clip_runs,
        });
    }
    let dc = levels.largest_dc();
    if dc.abs() > DC_LIMIT {
        flags.push(Flag::DcOffset { offset: dc });
    }
    let mut mono = audio.mono();
    let mean = (mono.iter().map(|&x| f64::from(x)).sum::<f64>() / mono.len() as f64) as f32;
    for x in &mut mono {
        *x -= mean;
    }
    let from = audio.sample_rate;
    let to = settings.sample_rate;
    let mono = resample(&mono, 1, from, to);
    let env = Envelope::of(&mono, to);
    let noise_floor = env.noise_floor();
    let mut report = SourceReport {
        source: rel.clone(),
        status: SourceStatus::Prepared,
        reason: None,
        format: Some(audio.format.clone()),
        sample_rate: from,
        channels: audio.channels,
        frames: audio.frames() as u64,
        peak_dbfs: Some(levels.peak_db),
        noise_floor_dbfs: Some(noise_floor),
        flags,
        segments: Vec::new(),
        dropped_short: 0,
    };
    if levels.peak_db < NEAR_SILENT_DB {
        report.flags.push(Flag::NearSilent {
            peak_db: levels.peak_db,
        });
        return Ok(report);
    }
    if noise_floor > NOISE_FLOOR_LIMIT_DB {
        report.flags.push(Flag::NoiseFloor { db: noise_floor });
    }
    let cut = find_segments(&mono, to, &settings.segment);
    report.dropped_short = cut.dropped_short;
    let base = file_base(&rel);
    let short = (u64::from(SHORT_SEGMENT_MS) * u64::from(to) / 1000) as usize;
    let long = LONG_SEGMENT_S as usize * to as usize;
    let (mut shorts, mut longs) = (0, 0);
    for (k, range) in cut.segments.iter().enumerate() {
        let mut name = format!("{SEGMENTS_DIR}/{base}.{:04}.wav", k + 1);
        let mut n = 2;
        while !taken_names.insert(name.clone()) {
            name = format!("{SEGMENTS_DIR}/{base}~{n}.{:04}.wav", k + 1);
            n += 1;
        }
        let mut samples = mono[range.clone()].to_vec();
        let levelled = normalise(&mut samples, to, settings.normalise);
        let target = output.join(&name);
        write_wav(&target, &samples, to)?;
        shorts += usize::from(samples.len() < short);
        longs += usize::from(samples.len() > long);
        let source_offset = out_to_source(range.start as u64, from, to);
        let source_end = out_to_source(range.end as u64, from, to).min(audio.frames() as u64);
        records.push(SegmentRecord {
            file: name.clone(),
            source: rel.clone(),
            source_sample_rate: from,
            source_offset_frames: source_offset,
            source_length_frames: source_end.saturating_sub(source_offset),
            offset_frames: range.start as u64,
            frames: samples.len() as u64,
            gain_db: levelled.gain_db,
        });
        report.segments.push(name);
    }
    if shorts > 0 {
        report.flags.push(Flag::ShortSegments { count: shorts });
    }
    if longs > 0 {
        report.flags.push(Flag::LongSegments { count: longs });
    }
    Ok(report)
}

/// A frame position at the output rate as the nearest source frame.
fn out_to_source(frame: u64, from: u32, to: u32) -> u64 {
    let num = u128::from(frame) * u128::from(from) + u128::from(to) / 2;
    (num / u128::from(to)) as u64
}

/// The segment files' common name for a source: its path with `/` as `__`
/// and anything but letters, digits, `-`, `_` and `.` as `_`.
fn file_base(rel: &str) -> String {
    rel.split('/')
        .map(|part| {
            part.chars()
                .map(|c| {
                    if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("__")
}

/// Makes `output` ready: created if missing; if it exists it must be empty
/// or an earlier `prepare` output (its `report.json` present), whose
/// segments are removed. It must not overlap `input`.
fn ready_output(output: &Path, input: &Path) -> Result<PathBuf, PrepareError> {
    let fail = |e: std::io::Error| PrepareError::Output(output.into(), e.to_string());
    // Judge the overlap before creating anything, so `IN` is never touched.
    let abs = match fs::canonicalize(output) {
        Ok(p) => p,
        Err(_) => {
            let parent = output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = output
                .file_name()
                .ok_or_else(|| PrepareError::Output(output.into(), "not a folder name".into()))?;
            fs::canonicalize(parent).map_err(fail)?.join(name)
        }
    };
    if abs.starts_with(input) || input.starts_with(&abs) {
        return Err(PrepareError::Output(
            output.into(),
            format!(
                "overlaps the input folder {}; choose a folder outside it",
                input.display()
            ),
        ));
    }
    fs::create_dir_all(&abs).map_err(fail)?;
    let mut entries: Vec<String> = fs::read_dir(&abs)
        .map_err(|e| PrepareError::Output(output.into(), e.to_string()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    if entries.is_empty() {
        return Ok(abs);
    }
    if !entries.iter().any(|e| e == REPORT_JSON) {
        return Err(PrepareError::Output(
            output.into(),
            format!("holds files ({}) but no {REPORT_JSON}: not an earlier prepare output; choose an empty folder", entries[0]),
        ));
    }
    let ours = [
        SEGMENTS_DIR,
        SEGMENTS_JSON,
        REPORT_JSON,
        REPORT_MD,
        DATASHEET,
    ];
    for e in &entries {
        if ours.contains(&e.as_str()) {
            let p = abs.join(e);
            let gone = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            gone.map_err(|err| PrepareError::Output(p.clone(), err.to_string()))?;
        }
    }
    Ok(abs)
}

/// Every file under `root` (hidden files and folders left out, links to
/// folders not followed), as `/`-separated relative paths in byte order.
fn list_files(root: &Path) -> Result<Vec<String>, PrepareError> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let dir = root.join(&rel_dir);
        let entries =
            fs::read_dir(&dir).map_err(|e| PrepareError::Input(dir.clone(), e.to_string()))?;
        for entry in entries.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let rel = rel_dir.join(&name);
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(rel);
            } else if kind.is_file() || (kind.is_symlink() && root.join(&rel).is_file()) {
                found.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
                if found.len() > MAX_SOURCE_FILES {
                    return Err(PrepareError::Input(
                        root.into(),
                        format!("more than {MAX_SOURCE_FILES} files; prepare the archive in parts"),
                    ));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Writes a mono 32-bit float WAV.
fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), PrepareError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let fail = |e: hound::Error| PrepareError::Write(path.into(), e.to_string());
    let mut w = hound::WavWriter::create(path, spec).map_err(fail)?;
    for &s in samples {
        w.write_sample(s).map_err(fail)?;
    }
    w.finalize().map_err(fail)
}

/// Writes `value` as pretty JSON, atomically.
fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), PrepareError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| PrepareError::Write(path.into(), e.to_string()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PrepareError> {
    let tmp = path.with_extension("partial");
    let fail = |e: std::io::Error| PrepareError::Write(path.into(), e.to_string());
    let mut f = fs::File::create(&tmp).map_err(fail)?;
    f.write_all(bytes).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    drop(f);
    fs::rename(&tmp, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_frames_map_to_the_nearest_source_frame() {
        assert_eq!(out_to_source(48_000, 44_100, 48_000), 44_100);
        assert_eq!(out_to_source(1, 8_000, 48_000), 0);
        assert_eq!(out_to_source(3, 8_000, 48_000), 1);
        assert_eq!(out_to_source(1000, 192_000, 48_000), 4000);
    }

    #[test]
    fn file_bases_keep_folders_apart() {
        assert_eq!(file_base("a/b c.wav"), "a__b_c.wav");
        assert_eq!(file_base("kick.flac"), "kick.flac");
    }
}
