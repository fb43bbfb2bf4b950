//! The datasheet as loam holds it once read: the dataset's description,
//! its contributors, and its consent history (with the line each record
//! starts on, so a message can point at it).

use std::fmt;
use std::path::PathBuf;

use super::glob::Glob;
use super::Day;

/// What a dataset may be used for. The four uses of the datasheet contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Use {
    /// Training a model on it.
    Train,
    /// Playing it, or a model trained on it, in a performance or a render.
    Perform,
    /// Passing copies on to others.
    Share,
    /// Making new works from it (edits, remixes, new datasets).
    Derive,
}

impl Use {
    /// Every use, in the order of the contract.
    pub const ALL: [Use; 4] = [Use::Train, Use::Perform, Use::Share, Use::Derive];

    /// The use named in a datasheet (`train`, `perform`, `share`, `derive`).
    pub fn parse(name: &str) -> Option<Use> {
        Use::ALL.into_iter().find(|u| u.name() == name)
    }

    /// Its name in a datasheet.
    pub fn name(self) -> &'static str {
        match self {
            Use::Train => "train",
            Use::Perform => "perform",
            Use::Share => "share",
            Use::Derive => "derive",
        }
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a record gives consent or takes it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Consent given (or given again).
    Give,
    /// Consent withdrawn.
    Withdraw,
}

impl Action {
    /// Its name in a datasheet (`give`, `withdraw`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Give => "give",
            Action::Withdraw => "withdraw",
        }
    }
}

/// One `[[consent]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Who gave or withdrew it: a person or a community body.
    pub by: String,
    /// The uses it concerns.
    pub uses: Vec<Use>,
    /// Give or withdraw.
    pub action: Action,
    /// When.
    pub date: Day,
    /// Which files (relative paths or globs); `None` for the whole folder
    /// (or, when `by` names a contributor, that contributor's files).
    pub files: Option<Vec<Glob>>,
    /// Why, in the giver's words (optional).
    pub reason: Option<String>,
    /// The 1-based line of the datasheet where the entry starts.
    pub line: usize,
}

/// One `[[contributor]]`: who made which files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    /// The contributor's name, as consent records' `by` names them.
    pub name: String,
    /// The files they made (relative paths or globs).
    pub files: Vec<Glob>,
    /// Their part (`drums`, `field recording`…), optional.
    pub role: Option<String>,
    /// How to reach them, when not through the dataset's contact.
    pub contact: Option<String>,
}

/// The `[dataset]` table: the description of the collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetFields {
    /// Stable id, written once by `loam dataset init` and never changed.
    pub id: String,
    /// The collection's title.
    pub title: String,
    /// SPDX id or free text.
    pub licence: String,
    /// The text credits print.
    pub attribution: String,
    /// Who to ask about it (an address, a person, a community body).
    pub contact: String,
    /// Who made it.
    pub creators: Vec<String>,
    /// The community it comes from.
    pub community: Option<String>,
    /// Why it was collected.
    pub motivation: Option<String>,
    /// How it was collected or made.
    pub collection: Option<String>,
    /// Where.
    pub place: Option<String>,
    /// When (free text: "2019–2024", "summer 2025").
    pub period: Option<String>,
    /// What it contains.
    pub contents: Option<String>,
    /// What it leaves out, and why.
    pub omissions: Option<String>,
    /// The cultural context a user should know.
    pub cultural_context: Option<String>,
    /// How the creators want it used.
    pub wanted_uses: Option<String>,
    /// How the creators do not want it used.
    pub unwanted_uses: Option<String>,
}

/// A whole datasheet, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasheet {
    /// The `datasheet.toml` it was read from.
    pub path: PathBuf,
    /// The `[dataset]` table.
    pub dataset: DatasetFields,
    /// The `[[contributor]]` entries, in file order.
    pub contributors: Vec<Contributor>,
    /// The `[[consent]]` entries, in file order (the history).
    pub consent: Vec<ConsentRecord>,
}

impl Datasheet {
    /// The folder the datasheet describes.
    pub fn folder(&self) -> PathBuf {
        self.path
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default()
    }

    /// The contributor of this name, if any.
    pub fn contributor(&self, name: &str) -> Option<&Contributor> {
        self.contributors.iter().find(|c| c.name == name)
    }

    /// Everyone named: creators, contributors and the givers of consent,
    /// each once, in that order.
    pub fn people(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let names = self
            .dataset
            .creators
            .iter()
            .chain(self.contributors.iter().map(|c| &c.name))
            .chain(self.consent.iter().map(|r| &r.by));
        for n in names {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        out
    }
}
