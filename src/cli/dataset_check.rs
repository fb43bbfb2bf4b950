//! `loam dataset check DIR`: every problem of the datasheet and the files
//! (with file:line:column), then a summary: files, patterns, melodies,
//! seconds of WAV audio (FLAC and AIFF files are counted, not measured),
//! the people named, and each use's consent across the files. Exit 0 when
//! it passes, 1 when it does not. A dataset that reads is noted in the
//! registry of datasets this machine has seen.

use std::path::Path;
use std::process::ExitCode;

use loam::data::datasheet::{folder, registry};

use super::dataset::EXIT_PROBLEMS;

/// Runs `loam dataset check`.
pub fn run(dir: &Path) -> ExitCode {
    let check = folder::check(dir);
    for p in &check.problems {
        loam::show!("{p}");
    }
    let s = &check.summary;
    let mut audio = format!(
        "{} WAV file(s), {:.1} s of audio",
        s.wav_files, s.audio_seconds
    );
    if s.unmeasured_audio_files > 0 {
        audio.push_str(&format!(
            ", {} FLAC/AIFF file(s) (counted, not measured)",
            s.unmeasured_audio_files
        ));
    }
    let title = check
        .sheet
        .as_ref()
        .map(|sh| format!("'{}' (id {})", sh.dataset.title, sh.dataset.id))
        .unwrap_or_else(|| "(no datasheet)".into());
    loam::show!("dataset {title} in {}", dir.display());
    loam::show!(
        "  {} file(s): {} pattern(s), {} melody(ies), {audio}",
        s.files,
        s.patterns,
        s.melodies
    );
    if !s.people.is_empty() {
        loam::show!("  people: {}", s.people.join(", "));
    }
    for u in &s.uses {
        let state = if u.given == s.files && s.files > 0 {
            "consented for every file".to_string()
        } else {
            format!(
                "given for {}, withdrawn for {}, never recorded for {}",
                u.given, u.withdrawn, u.unrecorded
            )
        };
        loam::show!("  {}: {state}", u.use_);
    }
    if let Some(sheet) = &check.sheet {
        if !sheet.dataset.id.is_empty() {
            if let Err(e) = registry::remember(sheet) {
                loam::say!("loam: warning: {e}");
            }
        }
    }
    if check.passed() {
        loam::show!("passed");
        ExitCode::SUCCESS
    } else {
        loam::show!("failed: {} problem(s)", check.problems.len());
        ExitCode::from(EXIT_PROBLEMS)
    }
}
