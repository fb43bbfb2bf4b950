//! A mapped corpus as sounds a pattern can play: one sound named after the
//! corpus, whose variants are its segments in map order, so `NAME:17` plays
//! the map's 17th segment and the scripts' `c.at(x, y)` only has to find an
//! index ([`CorpusMap::nearest`]). Read on a loading thread, like a sample
//! folder.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::map::CorpusMap;
use super::{SegmentRecord, SegmentsFile, SEGMENTS_JSON};
use crate::data::credit::{credit_for, Credit, CreditedSource};
use crate::sound::{load_wav, SampleFolder};

/// The most segments a corpus brings into a performance (each a variant of
/// one sound; a larger map is played from its first corpus's first
/// `MAX_LIVE_SEGMENTS`).
pub const MAX_LIVE_SEGMENTS: usize = 10_000;

/// The most audio a corpus brings into a performance, in frames at the
/// engine rate: an hour at 48 kHz (690 MB as mono floats).
pub const MAX_LIVE_FRAMES: u64 = 60 * 60 * 48_000;

/// The sound name of a corpus folder: its file name, with anything but
/// letters, digits and `_` as `_` (`field-recordings` → `field_recordings`).
pub fn corpus_name(dir: &Path) -> String {
    let name: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "corpus".into()
    } else {
        name
    }
}

/// The segments of `map`'s first corpus (read from `dir`, the folder the
/// map was made in) at `sample_rate`, as one sound named `name`; variant `i`
/// is `map.points[i]`. Segments that cannot be read are listed in `refused`
/// and play the nearest readable segment before them (or the first).
pub fn corpus_sounds(
    dir: &Path,
    map: &CorpusMap,
    name: &str,
    sample_rate: u32,
) -> Result<SampleFolder, String> {
    let provenance = segment_provenance(dir);
    // Absolute, so the credits name the corpus wherever loam ran.
    let corpus_dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut loaded: Vec<Option<Arc<crate::sound::Sample>>> = Vec::new();
    let mut refused = Vec::new();
    let mut frames = 0u64;
    for p in map
        .points
        .iter()
        .take_while(|p| p.dataset == 0)
        .take(MAX_LIVE_SEGMENTS)
    {
        match load_wav(&dir.join(&p.file), sample_rate) {
            Ok(mut sample) => {
                frames += sample.frames() as u64;
                if frames > MAX_LIVE_FRAMES {
                    return Err(format!(
                        "{}: more than {MAX_LIVE_FRAMES} frames of segments (an hour at 48 kHz)",
                        dir.display()
                    ));
                }
                sample.name = format!("{name}:{}", loaded.len());
                sample.credit =
                    segment_credit(&corpus_dir, &p.file, &p.source, provenance.as_ref());
                loaded.push(Some(Arc::new(sample)));
            }
            Err(e) => {
                refused.push(format!("{}: {e}", p.file));
                loaded.push(None);
            }
        }
    }
    // An unreadable segment plays its nearest readable neighbour in map
    // order, so every index still names a sound.
    let Some(first) = loaded.iter().flatten().next().cloned() else {
        return Err(format!(
            "{}: no segment of the map could be read",
            dir.display()
        ));
    };
    let mut last = first;
    let variants: Vec<Arc<crate::sound::Sample>> = loaded
        .into_iter()
        .map(|v| {
            if let Some(v) = v {
                last = v;
            }
            last.clone()
        })
        .collect();
    let mut sounds = BTreeMap::new();
    sounds.insert(name.to_string(), variants);
    Ok(SampleFolder {
        dir: dir.to_path_buf(),
        sample_rate,
        sounds,
        refused,
        stamp: Default::default(),
    })
}

/// `segments.json` of the corpus in `dir`, by segment file; `None` when it
/// cannot be read (segments are then credited to their recording without
/// an offset).
fn segment_provenance(dir: &Path) -> Option<BTreeMap<String, SegmentRecord>> {
    let bytes = std::fs::read(dir.join(SEGMENTS_JSON)).ok()?;
    let file: SegmentsFile = serde_json::from_slice(&bytes).ok()?;
    Some(
        file.segments
            .into_iter()
            .map(|r| (r.file.clone(), r))
            .collect(),
    )
}

/// The credit of one segment: its recording and where in it
/// (`segments.json`), numbered once per process.
fn segment_credit(
    corpus: &Path,
    file: &str,
    source: &str,
    records: Option<&BTreeMap<String, SegmentRecord>>,
) -> Credit {
    let record = records.and_then(|r| r.get(file));
    credit_for(CreditedSource::CorpusSegment {
        corpus: corpus.to_path_buf(),
        segment: file.to_string(),
        recording: record.map_or_else(|| source.to_string(), |r| r.source.clone()),
        offset_frames: record.map_or(0, |r| r.source_offset_frames),
        length_frames: record.map_or(0, |r| r.source_length_frames),
        recording_rate: record.map_or(0, |r| r.source_sample_rate),
    })
}
