//! Datasets: drum patterns and melodies a performer collected, read from
//! hand-written pattern files and MIDI files, with who made them kept beside
//! every pattern (and carried into every model trained on them).
//!
//! # The pattern format (`.pat`)
//!
//! ```text
//! # Aksak studies. Lines starting with '#' (and the rest of any line after '#') are comments.
//! title:   Aksak studies
//! author:  Jo Example
//! licence: CC0-1.0
//! source:  written for loam
//! consent: the author agrees to models being trained on these patterns
//!
//! pattern limp-1
//! metre 2+2+3/8
//! kick  x . | x . | x . x
//! snare . . | X . | . . .
//! hat   xxx xxx | x x | o o o
//!
//! pattern limp-2          # the metre carries over until changed
//! title: Limp, second take     # a field after 'pattern' is this pattern's own
//! kick  X . | . x | x>  . .
//! ```
//!
//! - `field: value` lines (`title`, `author`, `licence`, `source`, `consent`)
//!   before the first `pattern` apply to every pattern of the file; after a
//!   `pattern` line they apply to that pattern only.
//! - `pattern NAME` starts a pattern (one bar). Rows written without one start
//!   an unnamed pattern.
//! - `metre M` sets the metre (any form [`crate::time::Metre::parse`] reads:
//!   `6/8`, `9/8`, `2+2+3/8`, `3+2+2/8`, `5/8`, `4/4`…). It stays in force for
//!   the next patterns.
//! - A row is an instrument name (a kit sound: kick snare hat openhat clap rim
//!   lowtom tom hightom cowbell shaker bell; drummer's short names bd sd hh oh
//!   cp rs lt mt ht cb sh; or any name of your own), then one group of cells
//!   per group of the metre, separated by `|` (a leading or trailing `|` is
//!   allowed).
//! - A group of *p* pulses holds *p*, 2*p* or 3*p* cells: 1, 2 or 3 cells a
//!   pulse, chosen per group and per row, so straight and triplet feels mix
//!   freely. Spaces between cells are optional.
//! - Cells: `.` or `-` rest; `x` hit (velocity 0.7); `X` accent (1.0); `o`
//!   ghost (0.35); `1`–`9` velocity n/9. After a hit, each `>` pushes it 1/24
//!   of a pulse late and each `<` pulls it 1/24 early (at most three marks).
//!
//! Errors name the file, line and column: `aksak.pat:12:17: group 3 of 'kick'
//! has 2 cell(s); a group of 3 pulse(s) takes 3, 6 or 9 cells`.
//!
//! # MIDI files (`.mid`, `.midi`)
//!
//! See [`midi`]: drums on channel 10 by the General MIDI drum map, a pattern
//! a bar; other channels as melodies.
//!
//! # A dataset
//!
//! A file, or a folder read recursively in name order (files other than
//! `.pat`, `.mid`, `.midi` are skipped, so a README can sit beside them).

pub mod credit;
pub mod credit_provenance;
pub mod datasheet;
pub mod events;
pub mod midi;
pub mod mini_notation;
pub mod model_attribute;
pub mod paths;
pub mod pattern;
pub mod text;

use std::fmt;
use std::path::{Path, PathBuf};

pub use events::{
    dataset_metre, dataset_sequences, melody_events, pattern_events, DatasetPart, Event,
    MIN_REST_TICKS, TICKS_PER_WHOLE,
};
pub use pattern::{DrumBar, Hit, Melody, MelodyNote, Provenance, CELLS_PER_PULSE};

/// A dataset loam could not read, or cannot train on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The file the error is in (or the dataset's folder).
    pub file: PathBuf,
    /// 1-based; 0 when the error concerns the whole file or dataset.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// What is wrong, in words.
    pub reason: String,
}

impl DataError {
    /// An error at `line` and `column` (1-based; 0 when unknown) of `file`.
    pub fn at(file: &Path, line: usize, column: usize, reason: impl Into<String>) -> DataError {
        DataError {
            file: file.to_path_buf(),
            line,
            column,
            reason: reason.into(),
        }
    }

    /// An error about the whole of `file`.
    pub fn file(file: &Path, reason: impl Into<String>) -> DataError {
        DataError::at(file, 0, 0, reason)
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file.display(), self.reason),
            (l, 0) => write!(f, "{}:{l}: {}", self.file.display(), self.reason),
            (l, c) => write!(f, "{}:{l}:{c}: {}", self.file.display(), self.reason),
        }
    }
}

impl std::error::Error for DataError {}

/// Patterns and melodies read from files.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The file or folder it was read from.
    pub path: PathBuf,
    /// The drum bars read, in file order.
    pub patterns: Vec<DrumBar>,
    /// The melodies read, in file order.
    pub melodies: Vec<Melody>,
    /// Files read, in order.
    pub files: Vec<PathBuf>,
}

impl Dataset {
    /// Reads a pattern file, a MIDI file, or a folder of them. An empty
    /// dataset is an error that says what loam looks for.
    pub fn load(path: &Path) -> Result<Dataset, DataError> {
        let mut files = Vec::new();
        if path.is_dir() {
            collect_files(path, &mut files)
                .map_err(|e| DataError::file(path, format!("cannot read folder: {e}")))?;
        } else if path.exists() {
            files.push(path.to_path_buf());
        } else {
            return Err(DataError::file(path, "no such file or folder"));
        }
        let mut data = Dataset {
            path: path.to_path_buf(),
            ..Dataset::default()
        };
        for file in &files {
            data.add_file(file)?;
        }
        data.files = files;
        if data.patterns.is_empty() && data.melodies.is_empty() {
            return Err(DataError::file(
                path,
                "the dataset is empty: no patterns in .pat files and no notes in .mid/.midi files",
            ));
        }
        Ok(data)
    }

    /// Reads one file into the dataset (by extension; unknown ones are an error).
    pub fn add_file(&mut self, file: &Path) -> Result<(), DataError> {
        match kind_of(file) {
            Some(FileKind::DrumBar) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| DataError::file(file, format!("cannot read: {e}")))?;
                self.patterns.extend(text::parse_patterns(&text, file)?);
            }
            Some(FileKind::Midi) => {
                let bytes = std::fs::read(file)
                    .map_err(|e| DataError::file(file, format!("cannot read: {e}")))?;
                let contents = midi::parse_midi(&bytes, file)?;
                self.patterns.extend(contents.patterns);
                self.melodies.extend(contents.melodies);
            }
            None => {
                return Err(DataError::file(
                    file,
                    "unknown kind of file: loam reads .pat pattern files and .mid/.midi MIDI files",
                ))
            }
        }
        if !self.files.iter().any(|f| f == file) {
            self.files.push(file.to_path_buf());
        }
        Ok(())
    }

    /// Builds a dataset from patterns already in memory.
    pub fn from_patterns(patterns: Vec<DrumBar>) -> Dataset {
        Dataset {
            patterns,
            ..Dataset::default()
        }
    }

    /// An error unless there are at least `min` drum patterns (for `what`).
    pub fn require_patterns(&self, min: usize, what: &str) -> Result<(), DataError> {
        if self.patterns.len() < min {
            return Err(DataError::file(
                &self.path,
                format!(
                    "too small to train {what}: {} drum pattern(s); the minimum is {min}",
                    self.patterns.len()
                ),
            ));
        }
        Ok(())
    }

    /// Distinct provenance records, in order of first appearance.
    pub fn provenance(&self) -> Vec<Provenance> {
        let mut out: Vec<Provenance> = Vec::new();
        let all = self
            .patterns
            .iter()
            .map(|p| &p.provenance)
            .chain(self.melodies.iter().map(|m| &m.provenance));
        for p in all {
            let mut p = p.clone();
            // One record per file, not per line.
            if let Some((file, _)) = p.file.rsplit_once(':') {
                if file.ends_with(".pat") {
                    p.file = file.to_string();
                }
            }
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

enum FileKind {
    DrumBar,
    Midi,
}

fn kind_of(file: &Path) -> Option<FileKind> {
    let ext = file.extension()?.to_string_lossy().to_ascii_lowercase();
    match ext.as_str() {
        "pat" => Some(FileKind::DrumBar),
        "mid" | "midi" => Some(FileKind::Midi),
        _ => None,
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .map(|n| n.to_string_lossy().starts_with('.'))
                .unwrap_or(true)
        })
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if kind_of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}
