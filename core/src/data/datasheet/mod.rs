//! Datasheets: who made a dataset, who agreed to what, and whether they
//! still do (after Gebru et al., "Datasheets for Datasets").
//!
//! A dataset is a folder with a `datasheet.toml` at its root. Its
//! `[dataset]` table describes the collection (title, stable id, creators,
//! why, how, where and when it was collected, what it holds and leaves out,
//! its cultural context, licence, attribution, contact); `[[contributor]]`
//! entries say who made which files; `[[consent]]` entries are the history
//! of consent, only ever appended: who (a person or a community body) gave
//! or withdrew which uses (`train`, `perform`, `share`, `derive`), when, for
//! which files. Every field is documented with an example in
//! `datasets/README.md`.
//!
//! | file | idea |
//! |---|---|
//! | [`fields`] | the datasheet as loam holds it once read |
//! | [`parse`] | reading `datasheet.toml`: every problem with its line and column |
//! | [`day`] | calendar dates (a record's date, today) |
//! | [`glob`] | which files a record's `files` patterns name |
//! | [`resolve`] | what a file's consent is now, for one use |
//! | [`contradictions`] | records that disagree with each other |
//! | [`enforce`] | the refusal a musician reads when consent is withdrawn |
//! | [`folder`] | the files of a dataset folder, checked against its datasheet |
//! | [`registry`] | the datasets this machine has seen, by id |
//! | [`record`] | appending a consent record, atomically |
//! | [`template`] | the commented datasheet `loam dataset init` writes |
//!
//! # How consent resolves
//!
//! For one file and one use, the records that name the use and apply to
//! the file are grouped by scope: records with `files` (per file), records
//! by a contributor (`by` names a `[[contributor]]`; they cover that
//! contributor's files), and records for the whole folder. The most specific
//! scope that has any record decides: a contributor's own record outranks
//! the folder's, a per-file record outranks both. Within that scope the
//! latest date wins; on that day each person's last record counts (records
//! are only appended, so a later line is later), and two people who
//! disagree on the same day are a contradiction ([`contradictions`]) that,
//! until resolved, counts as a withdrawal. A use nobody recorded is not consented.

pub mod contradictions;
pub mod day;
pub mod enforce;
pub mod fields;
pub mod folder;
pub mod glob;
pub mod parse;
pub mod record;
pub mod registry;
pub mod resolve;
pub mod template;

use std::fmt;
use std::path::{Path, PathBuf};

pub use day::Day;
pub use enforce::{refusal, Refusal};
pub use fields::{Action, ConsentRecord, Contributor, DatasetFields, Datasheet, Use};
pub use resolve::{Consent, Decision};

/// The name of the file at the root of every dataset folder.
pub const DATASHEET_FILE: &str = "datasheet.toml";

/// One thing wrong with a datasheet or a dataset's files, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl Problem {
    /// A problem at `line`:`column` of `file`.
    pub fn at(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file.display(), self.message),
            (l, 0) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            (l, c) => write!(f, "{}:{l}:{c}: {}", self.file.display(), self.message),
        }
    }
}

/// A datasheet that could not be read at all, or read with problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasheetError {
    /// Every problem found, in the order of the file.
    pub problems: Vec<Problem>,
}

impl fmt::Display for DatasheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DatasheetError {}

/// The folder holding the nearest `datasheet.toml` at or above `path` (a
/// file or a folder), looking at most [`MAX_DATASHEET_DEPTH`] folders up.
pub fn dataset_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    let mut dir = Some(start);
    for _ in 0..MAX_DATASHEET_DEPTH {
        let d = dir?;
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        if d.join(DATASHEET_FILE).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

/// How many folders up from a file loam looks for the datasheet that covers
/// it: deep enough for any sensible layout of a collection, shallow enough
/// that a file in `/tmp` never picks up a stray datasheet from far above.
pub const MAX_DATASHEET_DEPTH: usize = 8;
