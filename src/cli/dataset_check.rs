//! `loam dataset check DIR`: every problem of the datasheet and the files
//! (with file:line:column), then a summary: files, patterns, melodies,
//! seconds of audio (WAV, FLAC and AIFF, each from its header),
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
    // FLAC and AIFF lengths come from their headers (symphonia); one that
    // does not read is a problem like any other.
    let (mut seconds, mut unreadable) = (s.audio_seconds, 0usize);
    for file in &s.other_audio {
        match loam::corpus::duration::seconds(file) {
            Ok(t) => seconds += t,
            Err(e) => {
                unreadable += 1;
                loam::show!("{}: not readable as audio ({e})", file.display());
            }
        }
    }
    let mut audio = format!(
        "{} audio file(s), {seconds:.1} s of audio",
        s.wav_files + s.other_audio.len()
    );
    if !s.other_audio.is_empty() {
        audio.push_str(&format!(
            " ({} WAV, {} FLAC/AIFF)",
            s.wav_files,
            s.other_audio.len()
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
    if check.passed() && unreadable == 0 {
        loam::show!("passed");
        ExitCode::SUCCESS
    } else {
        loam::show!("failed: {} problem(s)", check.problems.len() + unreadable);
        ExitCode::from(EXIT_PROBLEMS)
    }
}
