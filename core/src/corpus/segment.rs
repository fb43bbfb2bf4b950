//! Where a long recording is cut into sounds: at silences (the default) or
//! at onsets, and how each piece is trimmed.
//!
//! A hop of the envelope ([`super::envelope`]) is *silent* when it is more
//! than [`SegmentSettings::silence_db`] below the recording's loudest hop.
//! At silences, every run of silent hops of at least
//! [`SegmentSettings::min_silence_ms`] separates two segments; shorter gaps
//! stay inside a segment. At onsets, each such sounding region is further cut
//! at every onset inside it. Each piece is then trimmed to its first and last
//! sample above the silence level, with [`EDGE_MS`] of what was before and
//! after kept, so an attack is not cut off. Pieces shorter than
//! [`SegmentSettings::min_segment_ms`] are dropped and counted.

use std::ops::Range;

use super::envelope::{from_db, Envelope, OnsetSettings};

/// Audio kept before a segment's first and after its last sample above the
/// silence level, in milliseconds (the attack's run-up and the tail's decay).
pub const EDGE_MS: u32 = 5;

/// Where to cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentMethod {
    /// At silences: one segment per sounding region (the default).
    Silences,
    /// At onsets: a segment from each onset to the next (or to silence).
    Onsets,
}

/// The performer's choices for cutting.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentSettings {
    /// Silences or onsets.
    pub method: SegmentMethod,
    /// How far below the loudest hop a hop counts as silent, in dB (40).
    pub silence_db: f32,
    /// The shortest silence that separates two segments, in ms (100).
    pub min_silence_ms: u32,
    /// Segments shorter than this are dropped, in ms (20).
    pub min_segment_ms: u32,
    /// Onsets: how much louder than the last 30 ms a hop must be, in dB (9).
    pub onset_rise_db: f32,
    /// Onsets: the shortest time between two, in ms (50).
    pub onset_min_gap_ms: u32,
}

impl Default for SegmentSettings {
    fn default() -> SegmentSettings {
        SegmentSettings {
            method: SegmentMethod::Silences,
            silence_db: 40.0,
            min_silence_ms: 100,
            min_segment_ms: 20,
            onset_rise_db: 9.0,
            onset_min_gap_ms: 50,
        }
    }
}

/// The segments of a mono signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// Frame ranges of the kept segments, in order, not overlapping.
    pub segments: Vec<Range<usize>>,
    /// Pieces dropped as shorter than the minimum.
    pub dropped_short: usize,
    /// The silence level used, in dBFS.
    pub silence_level_db: f32,
}

/// Cuts `mono` (at `sample_rate` Hz) into segments by `settings`.
pub fn find_segments(mono: &[f32], sample_rate: u32, settings: &SegmentSettings) -> Segmentation {
    let env = Envelope::of(mono, sample_rate);
    let level = env.loudest() - settings.silence_db;
    let min_silence = env.hops_of_ms(settings.min_silence_ms, sample_rate).max(1);

    // Sounding regions, in hops: runs of loud hops joined across short gaps.
    let mut regions: Vec<Range<usize>> = Vec::new();
    let mut quiet_run = 0usize;
    let mut current: Option<Range<usize>> = None;
    for (i, &db) in env.db.iter().enumerate() {
        if db >= level {
            quiet_run = 0;
            match &mut current {
                Some(r) => r.end = i + 1,
                None => current = Some(i..i + 1),
            }
        } else {
            quiet_run += 1;
            if quiet_run >= min_silence {
                if let Some(r) = current.take() {
                    regions.push(r);
                }
            }
        }
    }
    regions.extend(current);

    // At onsets: cut each region further at the onsets inside it.
    let mut pieces: Vec<Range<usize>> = Vec::new();
    let onsets = match settings.method {
        SegmentMethod::Onsets => env.onsets(
            level,
            &OnsetSettings {
                sample_rate,
                rise_db: settings.onset_rise_db,
                min_gap_ms: settings.onset_min_gap_ms,
            },
        ),
        SegmentMethod::Silences => Vec::new(),
    };
    for region in regions {
        let mut start = region.start;
        for &onset in onsets
            .iter()
            .filter(|&&o| o > region.start && o < region.end)
        {
            pieces.push(start..onset);
            start = onset;
        }
        pieces.push(start..region.end);
    }

    // Trim each piece to the samples above the silence level, keep the edges.
    let threshold = from_db(level);
    let edge = (u64::from(EDGE_MS) * u64::from(sample_rate) / 1000) as usize;
    let min_len = (u64::from(settings.min_segment_ms) * u64::from(sample_rate) / 1000) as usize;
    let mut segments: Vec<Range<usize>> = Vec::new();
    let mut dropped_short = 0;
    for piece in pieces {
        let from = piece.start * env.hop;
        let to = (piece.end * env.hop).min(mono.len());
        let Some(first) = mono[from..to].iter().position(|x| x.abs() >= threshold) else {
            continue;
        };
        let last = mono[from..to]
            .iter()
            .rposition(|x| x.abs() >= threshold)
            .unwrap_or(first);
        let floor = segments.last().map_or(0, |s| s.end);
        let start = (from + first).saturating_sub(edge).max(floor);
        let end = (from + last + 1 + edge).min(mono.len());
        // An onset cut keeps the next piece's run-up out of this one.
        let end = match settings.method {
            SegmentMethod::Onsets => end.min(to.max(from + last + 1)),
            SegmentMethod::Silences => end,
        };
        if end - start < min_len.max(1) {
            dropped_short += 1;
            continue;
        }
        segments.push(start..end);
    }
    Segmentation {
        segments,
        dropped_short,
        silence_level_db: level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(len: usize, amp: f32) -> impl Iterator<Item = f32> {
        (0..len).map(move |i| amp * (i as f32 * 0.1).sin())
    }

    /// Three tones with known silences between them: the cuts fall inside
    /// each silence, and each segment holds its tone whole.
    #[test]
    fn cuts_fall_in_the_known_silences() {
        let rate = 48_000u32;
        let mut x: Vec<f32> = vec![0.0; 4800]; // 100 ms silence
        let starts = [
            4800usize,
            4800 + 9600 + 14400,
            4800 + 9600 + 14400 + 4800 + 19200,
        ];
        x.extend(tone(9600, 0.5)); // 200 ms tone
        x.extend(vec![0.0; 14400]); // 300 ms silence
        x.extend(tone(4800, 0.3)); // 100 ms tone
        x.extend(vec![0.0; 19200]); // 400 ms silence
        x.extend(tone(24000, 0.8)); // 500 ms tone
        x.extend(vec![0.0; 2400]);
        let lens = [9600usize, 4800, 24000];
        let seg = find_segments(&x, rate, &SegmentSettings::default());
        assert_eq!(seg.segments.len(), 3, "{:?}", seg.segments);
        for ((s, start), len) in seg.segments.iter().zip(starts).zip(lens) {
            // The tone is inside, with at most EDGE_MS (240 frames) around it.
            assert!(
                s.start <= start + 1 && s.start + 240 >= start,
                "{s:?} vs {start}"
            );
            let end = start + len;
            assert!(s.end + 20 >= end && s.end <= end + 240, "{s:?} vs {end}");
        }
    }

    #[test]
    fn a_short_gap_does_not_cut_and_a_long_one_does() {
        let rate = 48_000u32;
        let mut x: Vec<f32> = tone(4800, 0.5).collect();
        x.extend(vec![0.0; 2400]); // 50 ms: below the 100 ms minimum
        x.extend(tone(4800, 0.5));
        let seg = find_segments(&x, rate, &SegmentSettings::default());
        assert_eq!(seg.segments.len(), 1);
        let settings = SegmentSettings {
            min_silence_ms: 30,
            ..SegmentSettings::default()
        };
        assert_eq!(find_segments(&x, rate, &settings).segments.len(), 2);
    }

    #[test]
    fn onsets_cut_a_continuous_run_of_hits() {
        // Four decaying hits 250 ms apart with no silence between them.
        let rate = 48_000u32;
        let hit = 12_000usize;
        let x: Vec<f32> = (0..4 * hit)
            .map(|i| {
                let t = (i % hit) as f32 / rate as f32;
                0.9 * (-t * 30.0).exp() * (i as f32 * 0.2).sin() + 0.02 * (i as f32 * 0.05).sin()
            })
            .collect();
        let silences = find_segments(&x, rate, &SegmentSettings::default());
        assert_eq!(silences.segments.len(), 1);
        let settings = SegmentSettings {
            method: SegmentMethod::Onsets,
            ..SegmentSettings::default()
        };
        let onsets = find_segments(&x, rate, &settings);
        assert_eq!(onsets.segments.len(), 4, "{:?}", onsets.segments);
        for (k, s) in onsets.segments.iter().enumerate() {
            let hop = 480;
            assert!(s.start.abs_diff(k * hit) <= hop, "{s:?}");
        }
    }

    #[test]
    fn too_short_pieces_are_dropped_and_counted() {
        let rate = 48_000u32;
        let mut x = vec![0.0f32; 19_200];
        x[4800..4800 + 100].fill(0.9); // a 2 ms click, 300 ms before the tone
        x.extend(tone(9600, 0.9));
        let seg = find_segments(&x, rate, &SegmentSettings::default());
        // The click plus its edges is 12 ms < 20 ms.
        assert_eq!(seg.segments.len(), 1);
        assert_eq!(seg.dropped_short, 1);
    }

    #[test]
    fn silence_gives_no_segments() {
        let seg = find_segments(&[0.0; 48_000], 48_000, &SegmentSettings::default());
        assert!(seg.segments.is_empty());
    }
}
