//! The files of a dataset folder, checked against its datasheet
//! (`loam dataset check`): which files there are, what they hold (patterns,
//! melodies, seconds of WAV audio), which the datasheet's records do not
//! cover, which `files` patterns name nothing, and what each use's consent
//! is across the folder.
//!
//! WAV files are measured with loam's own header reader; FLAC and AIFF files
//! are counted as files but not measured (loam does not decode them yet).

use std::path::{Path, PathBuf};

use super::fields::{Datasheet, Use};
use super::resolve::Consent;
use super::{contradictions, parse, Problem, DATASHEET_FILE};
use crate::data::{midi, text};

/// The most files loam lists in one dataset folder: a personal archive of
/// decades holds a few thousand; far more means a wrong folder (a home
/// directory), which must not stall a check or a model's load.
pub const MAX_DATASET_FILES: usize = 100_000;

/// What a dataset file holds, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `.pat` pattern file.
    Patterns,
    /// A `.mid`/`.midi` file.
    Midi,
    /// A `.wav` file.
    Wav,
    /// A `.flac` file (measured by `loam dataset check` from its header).
    Flac,
    /// An `.aif`/`.aiff` file (measured by `loam dataset check` from its header).
    Aiff,
}

impl FileKind {
    /// The kind of `path`, by extension; `None` for files that are not data.
    pub fn of(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
        Some(match ext.as_str() {
            "pat" => FileKind::Patterns,
            "mid" | "midi" => FileKind::Midi,
            "wav" => FileKind::Wav,
            "flac" => FileKind::Flac,
            "aif" | "aiff" => FileKind::Aiff,
            _ => return None,
        })
    }
}

/// One data file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Relative to the dataset's folder, `/`-separated (as records name it).
    pub name: String,
    /// The file on disk.
    pub path: PathBuf,
    /// What it holds.
    pub kind: FileKind,
}

/// The name of `file` relative to `root`, `/`-separated; `None` when it is
/// not inside `root`.
pub fn relative_name(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// The data files under `root`, in name order: hidden files and folders are
/// skipped, and so is any folder below `root` with its own datasheet (a
/// dataset of its own).
pub fn data_files(root: &Path) -> std::io::Result<Vec<DataFile>> {
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<DataFile>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for path in entries {
        if out.len() >= MAX_DATASET_FILES {
            return Err(std::io::Error::other(format!(
                "more than {MAX_DATASET_FILES} files: is this the right folder?"
            )));
        }
        if path.is_dir() {
            if !path.join(DATASHEET_FILE).is_file() {
                walk(root, &path, out)?;
            }
        } else if let Some(kind) = FileKind::of(&path) {
            if let Some(name) = relative_name(root, &path) {
                out.push(DataFile { name, path, kind });
            }
        }
    }
    Ok(())
}

/// How one use stands across a folder's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSummary {
    /// The use.
    pub use_: Use,
    /// Files with it given.
    pub given: usize,
    /// Files with it withdrawn.
    pub withdrawn: usize,
    /// Files nobody recorded it for.
    pub unrecorded: usize,
}

/// What `loam dataset check` counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Data files.
    pub files: usize,
    /// Drum patterns in `.pat` and MIDI files.
    pub patterns: usize,
    /// Melodies in MIDI files.
    pub melodies: usize,
    /// WAV files and their seconds of audio.
    pub wav_files: usize,
    /// Seconds of audio in the WAV files.
    pub audio_seconds: f64,
    /// FLAC and AIFF files, for a layer that decodes them to measure
    /// (`loam dataset check` does, with `corpus::duration`).
    pub other_audio: Vec<std::path::PathBuf>,
    /// Creators, contributors and givers of consent.
    pub people: Vec<String>,
    /// Each use across the files.
    pub uses: Vec<UseSummary>,
}

/// The result of checking a dataset folder.
#[derive(Debug, Clone)]
pub struct Check {
    /// The datasheet as far as it could be read.
    pub sheet: Option<Datasheet>,
    /// Every problem, datasheet first, then files.
    pub problems: Vec<Problem>,
    /// The counts.
    pub summary: Summary,
}

impl Check {
    /// Whether the dataset passes (no problems).
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the dataset folder `root`: its datasheet and every file.
pub fn check(root: &Path) -> Check {
    let sheet_path = root.join(DATASHEET_FILE);
    let mut problems = Vec::new();
    let sheet = if sheet_path.is_file() {
        let (sheet, p) = parse::read_lenient(&sheet_path);
        problems.extend(p);
        if let Some(s) = &sheet {
            problems.extend(contradictions::find(s));
        }
        sheet
    } else {
        problems.push(Problem::at(
            &sheet_path,
            0,
            0,
            "no datasheet: `loam dataset init` writes one to fill in",
        ));
        None
    };
    let files = match data_files(root) {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::at(
                root,
                0,
                0,
                format!("cannot list the folder: {e}"),
            ));
            Vec::new()
        }
    };
    if files.is_empty() {
        problems.push(Problem::at(
            root,
            0,
            0,
            "no data files (.pat, .mid, .midi, .wav, .flac, .aif, .aiff)",
        ));
    }
    let mut summary = Summary {
        files: files.len(),
        ..Summary::default()
    };
    for f in &files {
        measure(f, &mut summary, &mut problems);
    }
    if let Some(sheet) = &sheet {
        unmatched_patterns(sheet, &files, &mut problems);
        for f in &files {
            let covered = sheet
                .consent
                .iter()
                .any(|r| sheet.scope_for(r, &f.name).is_some());
            if !covered {
                problems.push(Problem::at(
                    &f.path,
                    0,
                    0,
                    "not covered by any consent record in the datasheet",
                ));
            }
        }
        summary.people = sheet.people();
        summary.uses = Use::ALL
            .iter()
            .map(|&u| {
                let mut s = UseSummary {
                    use_: u,
                    given: 0,
                    withdrawn: 0,
                    unrecorded: 0,
                };
                for f in &files {
                    match sheet.consent_for(&f.name, u) {
                        Consent::Given(_) => s.given += 1,
                        Consent::Withdrawn(_) => s.withdrawn += 1,
                        Consent::Unrecorded => s.unrecorded += 1,
                    }
                }
                s
            })
            .collect();
    }
    Check {
        sheet,
        problems,
        summary,
    }
}

fn measure(f: &DataFile, summary: &mut Summary, problems: &mut Vec<Problem>) {
    let data_problem = |e: crate::data::DataError| Problem::at(&e.file, e.line, e.column, e.reason);
    match f.kind {
        FileKind::Patterns => match std::fs::read_to_string(&f.path) {
            Ok(t) => match text::parse_patterns(&t, &f.path) {
                Ok(p) => summary.patterns += p.len(),
                Err(e) => problems.push(data_problem(e)),
            },
            Err(e) => problems.push(Problem::at(&f.path, 0, 0, format!("cannot read: {e}"))),
        },
        FileKind::Midi => match std::fs::read(&f.path) {
            Ok(b) => match midi::parse_midi(&b, &f.path) {
                Ok(c) => {
                    summary.patterns += c.patterns.len();
                    summary.melodies += c.melodies.len();
                }
                Err(e) => problems.push(data_problem(e)),
            },
            Err(e) => problems.push(Problem::at(&f.path, 0, 0, format!("cannot read: {e}"))),
        },
        FileKind::Wav => match crate::sound::read_wav_header(&f.path) {
            Ok((h, _)) => {
                summary.wav_files += 1;
                if h.sample_rate > 0 {
                    summary.audio_seconds += h.frames as f64 / f64::from(h.sample_rate);
                }
            }
            Err(e) => problems.push(Problem::at(&f.path, 0, 0, e.to_string())),
        },
        FileKind::Flac | FileKind::Aiff => summary.other_audio.push(f.path.clone()),
    }
}

/// A `files` pattern that names no file is a problem at its record's line.
fn unmatched_patterns(sheet: &Datasheet, files: &[DataFile], problems: &mut Vec<Problem>) {
    let check =
        |globs: &[super::glob::Glob], line: usize, what: &str, problems: &mut Vec<Problem>| {
            for g in globs {
                if !files.iter().any(|f| g.matches(&f.name)) {
                    problems.push(Problem::at(
                        &sheet.path,
                        line,
                        1,
                        format!(
                            "{what} names '{}', which matches no data file in the folder",
                            g.as_str()
                        ),
                    ));
                }
            }
        };
    for r in &sheet.consent {
        if let Some(globs) = &r.files {
            check(globs, r.line, "this [[consent]] record", problems);
        }
    }
    for c in &sheet.contributors {
        check(&c.files, 0, &format!("contributor {}", c.name), problems);
    }
}

/// For each file, its consent for `use_` now.
pub fn consent_of_files<'a>(
    sheet: &Datasheet,
    files: impl IntoIterator<Item = &'a str>,
    use_: Use,
) -> Vec<(String, Consent)> {
    files
        .into_iter()
        .map(|f| (f.to_string(), sheet.consent_for(f, use_)))
        .collect()
}
