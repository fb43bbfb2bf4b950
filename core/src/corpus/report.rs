//! `report.md`: what `prepare` did to each source file, for a person to
//! read before trusting the corpus.

use std::fmt::Write;

use super::normalise::Normalise;
use super::prepare::{PrepareReport, SourceStatus};
use super::segment::SegmentMethod;

/// The report as Markdown.
pub fn write_markdown(report: &PrepareReport) -> String {
    let s = &report.settings;
    let mut md = String::new();
    let _ = writeln!(md, "# Corpus preparation report\n");
    let method = match s.segment.method {
        SegmentMethod::Silences => format!(
            "at silences of at least {} ms, {} dB below the loudest 10 ms",
            s.segment.min_silence_ms, s.segment.silence_db
        ),
        SegmentMethod::Onsets => format!(
            "at onsets (a rise of {} dB, at least {} ms apart) and at silences of at least {} ms",
            s.segment.onset_rise_db, s.segment.onset_min_gap_ms, s.segment.min_silence_ms
        ),
    };
    let level = match s.normalise {
        Normalise::Peak { db } => format!("peak at {db} dBFS"),
        Normalise::Loudness { lufs, ceiling_db } => {
            format!("integrated loudness {lufs} LUFS, peak at most {ceiling_db} dBFS")
        }
        Normalise::None => "left as recorded".into(),
    };
    let _ = writeln!(
        md,
        "Cut {method}; segments shorter than {} ms dropped; levelled to {level}; written as mono 32-bit float WAV at {} Hz.\n",
        s.segment.min_segment_ms, s.sample_rate
    );
    let count = |st: SourceStatus| report.sources.iter().filter(|r| r.status == st).count();
    let _ = writeln!(
        md,
        "{} source files prepared, {} skipped, {} ignored; {} segments, {:.1} s of audio.\n",
        count(SourceStatus::Prepared),
        count(SourceStatus::Skipped),
        count(SourceStatus::Ignored),
        report.segment_count,
        report.segment_seconds
    );
    if report.datasheet_copied {
        let _ = writeln!(md, "The source folder's `datasheet.toml` was copied beside the segments; `segments.json` names each segment's source file, offset and length.\n");
    } else {
        let _ = writeln!(md, "The source folder has no `datasheet.toml`: the segments carry no attribution or consent beyond their source file names (`segments.json`).\n");
    }
    let _ = writeln!(md, "## Source files\n");
    for r in &report.sources {
        match r.status {
            SourceStatus::Prepared => {
                let _ = writeln!(
                    md,
                    "- `{}`: {}, {} Hz, {} ch, {:.2} s; peak {:.1} dBFS, noise floor {:.1} dBFS; {} segments{}",
                    r.source,
                    r.format.as_deref().unwrap_or("audio"),
                    r.sample_rate,
                    r.channels,
                    r.frames as f64 / f64::from(r.sample_rate.max(1)),
                    r.peak_dbfs.unwrap_or(f32::NAN),
                    r.noise_floor_dbfs.unwrap_or(f32::NAN),
                    r.segments.len(),
                    if r.dropped_short > 0 {
                        format!(" ({} too-short pieces dropped)", r.dropped_short)
                    } else {
                        String::new()
                    }
                );
                for flag in &r.flags {
                    let _ = writeln!(md, "  - look at this: {flag}");
                }
            }
            SourceStatus::Skipped => {
                let _ = writeln!(
                    md,
                    "- `{}`: SKIPPED: {}",
                    r.source,
                    r.reason.as_deref().unwrap_or("")
                );
            }
            SourceStatus::Ignored => {
                let _ = writeln!(
                    md,
                    "- `{}`: ignored: {}",
                    r.source,
                    r.reason.as_deref().unwrap_or("")
                );
            }
        }
    }
    md
}
