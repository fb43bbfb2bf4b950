//! Consent, enforced where models are made and loaded.
//!
//! - Training ([`gather`]): every file of the dataset is matched to the
//!   nearest datasheet above it; files whose `train` consent is not given
//!   (withdrawn, or never recorded) refuse the training, or with
//!   `exclude` are left out and counted. Files with no datasheet above them
//!   train as before and are listed as having no provenance.
//! - Loading ([`check_card`]): each dataset in a model's card is found again
//!   by its recorded folder, or by its id in the registry of datasets this
//!   machine has seen; withdrawn `train` or `perform` consent for any file
//!   the model was trained on refuses the load, naming the dataset, who
//!   withdrew, when and the contact. A dataset that cannot be found is a
//!   warning, not a refusal (the performer may have moved it). Loading
//!   re-reads the datasheet only, never the data: the hashes were taken at
//!   training time.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::data::datasheet::folder::{data_files, relative_name};
use crate::data::datasheet::registry::Registry;
use crate::data::datasheet::{
    dataset_root, parse, refusal, Consent, Datasheet, DatasheetError, Refusal, Use, DATASHEET_FILE,
};
use crate::data::Dataset;

use super::card::{hash_file, CardDataset, ConsentAtTraining, FileHash, ModelCard};

/// Why a training was refused before it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainingRefused {
    /// A datasheet above the data does not read cleanly.
    Datasheet(DatasheetError),
    /// Files without `train` consent.
    Consent(Vec<Refusal>),
    /// A data file could not be hashed.
    Hash(PathBuf, String),
}

impl fmt::Display for TrainingRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainingRefused::Datasheet(e) => write!(f, "the datasheet must be fixed first:\n{e}"),
            TrainingRefused::Consent(rs) => {
                f.write_str("refused to train without consent: ")?;
                for (i, r) in rs.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n  ")?;
                    }
                    write!(f, "{r}")?;
                }
                f.write_str(
                    "\n  (--exclude-unconsented trains on the rest and leaves these files out)",
                )
            }
            TrainingRefused::Hash(p, e) => write!(f, "{}: cannot read to hash: {e}", p.display()),
        }
    }
}

/// What training may use, and what goes on the card.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    /// The dataset to train on (the input, less any files left out).
    pub dataset: Dataset,
    /// The card's datasets: consent and hashes.
    pub datasets: Vec<CardDataset>,
    /// Files with no datasheet above them.
    pub no_provenance: Vec<PathBuf>,
    /// Files left out, per dataset, and why.
    pub left_out: Vec<Refusal>,
}

/// Matches every file of `data` to its datasheet, refuses or leaves out the
/// files without `train` consent, notes each dataset in the registry, and
/// hashes every file used.
pub fn gather(data: &Dataset, exclude: bool) -> Result<Gathered, TrainingRefused> {
    let mut sheets: BTreeMap<PathBuf, (Datasheet, Vec<(String, PathBuf)>)> = BTreeMap::new();
    let mut no_provenance = Vec::new();
    for file in &data.files {
        let Some(root) = dataset_root(file) else {
            no_provenance.push(file.clone());
            continue;
        };
        if !sheets.contains_key(&root) {
            let sheet =
                parse::read(&root.join(DATASHEET_FILE)).map_err(TrainingRefused::Datasheet)?;
            sheets.insert(root.clone(), (sheet, Vec::new()));
        }
        let name = relative_name(&root, file).unwrap_or_else(|| file.display().to_string());
        sheets
            .get_mut(&root)
            .expect("inserted")
            .1
            .push((name, file.clone()));
    }
    let mut refusals = Vec::new();
    let mut left_out_files: Vec<PathBuf> = Vec::new();
    let mut datasets = Vec::new();
    for (root, (sheet, files)) in &sheets {
        // The registry is a convenience: a machine without a data folder still trains.
        if let Err(e) = crate::data::datasheet::registry::remember(sheet) {
            crate::say!("loam: warning: {e}");
        }
        let names = files.iter().map(|(n, _)| n.as_str());
        let refused = refusal(sheet, names, &[Use::Train], true);
        let refused_names: Vec<String> = refused
            .as_ref()
            .map(|r| r.files().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        let used: Vec<&(String, PathBuf)> = files
            .iter()
            .filter(|(n, _)| !refused_names.contains(n))
            .collect();
        left_out_files.extend(
            files
                .iter()
                .filter(|(n, _)| refused_names.contains(n))
                .map(|(_, p)| p.clone()),
        );
        let mut hashes = Vec::new();
        for (name, path) in &used {
            let sha256 =
                hash_file(path).map_err(|e| TrainingRefused::Hash(path.clone(), e.to_string()))?;
            hashes.push(FileHash {
                name: name.clone(),
                sha256,
            });
        }
        let used_names: Vec<&str> = used.iter().map(|(n, _)| n.as_str()).collect();
        datasets.push(CardDataset {
            id: sheet.dataset.id.clone(),
            title: sheet.dataset.title.clone(),
            path: root.canonicalize().unwrap_or_else(|_| root.clone()),
            attribution: sheet.dataset.attribution.clone(),
            licence: sheet.dataset.licence.clone(),
            contact: sheet.dataset.contact.clone(),
            consent: consent_at(sheet, &used_names),
            files_left_out: refused_names.len(),
            files: hashes,
        });
        if let Some(r) = refused {
            refusals.push(r);
        }
    }
    if !refusals.is_empty() && !exclude {
        return Err(TrainingRefused::Consent(refusals));
    }
    let dataset = if left_out_files.is_empty() {
        data.clone()
    } else {
        let mut d = Dataset {
            path: data.path.clone(),
            ..Dataset::default()
        };
        for f in data.files.iter().filter(|f| !left_out_files.contains(f)) {
            d.add_file(f)
                .map_err(|e| TrainingRefused::Hash(f.clone(), e.to_string()))?;
        }
        d
    };
    Ok(Gathered {
        dataset,
        datasets,
        no_provenance,
        left_out: refusals,
    })
}

/// Only the refusal of [`gather`], for training inside a script
/// (`vae_train`, `markov_train`, `rnn_train`): files under a datasheet
/// without `train` consent refuse the training. Nothing is hashed or written.
pub fn check_training(data: &Dataset) -> Result<(), TrainingRefused> {
    let mut groups: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for file in &data.files {
        if let Some(root) = dataset_root(file) {
            let name = relative_name(&root, file).unwrap_or_else(|| file.display().to_string());
            groups.entry(root).or_default().push(name);
        }
    }
    let mut refusals = Vec::new();
    for (root, names) in &groups {
        let sheet = parse::read(&root.join(DATASHEET_FILE)).map_err(TrainingRefused::Datasheet)?;
        if let Some(r) = refusal(
            &sheet,
            names.iter().map(|s| s.as_str()),
            &[Use::Train],
            true,
        ) {
            refusals.push(r);
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(TrainingRefused::Consent(refusals))
    }
}

/// How each use stands across `files`: given for all, withdrawn for any, else unrecorded.
fn consent_at(sheet: &Datasheet, files: &[&str]) -> ConsentAtTraining {
    let state = |u: Use| {
        let all: Vec<Consent> = files.iter().map(|f| sheet.consent_for(f, u)).collect();
        if all.iter().any(|c| matches!(c, Consent::Withdrawn(_))) {
            "withdrawn"
        } else if !all.is_empty() && all.iter().all(Consent::is_given) {
            "given"
        } else {
            "unrecorded"
        }
        .to_string()
    };
    ConsentAtTraining {
        train: state(Use::Train),
        perform: state(Use::Perform),
        share: state(Use::Share),
        derive: state(Use::Derive),
        as_of: sheet
            .consent
            .iter()
            .map(|r| r.date)
            .max()
            .map(|d| d.to_string())
            .unwrap_or_default(),
    }
}

/// What a load check found that does not refuse the load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadNotes {
    /// Datasets that could not be found or read, in words.
    pub warnings: Vec<String>,
}

/// Finds the datasheet of a card's dataset: at its recorded folder, else by
/// id in the registry (`registry`, or the default one). `Err` says why not.
fn locate(d: &CardDataset, registry: Option<&Registry>) -> Result<Datasheet, String> {
    let try_at = |folder: &Path| -> Result<Datasheet, String> {
        let path = folder.join(DATASHEET_FILE);
        if !path.is_file() {
            return Err(format!("no datasheet at {}", folder.display()));
        }
        let sheet = parse::read(&path).map_err(|e| format!("its datasheet does not read ({e})"))?;
        if sheet.dataset.id != d.id {
            return Err(format!(
                "the datasheet at {} has another id ({})",
                folder.display(),
                sheet.dataset.id
            ));
        }
        Ok(sheet)
    };
    let first = match try_at(&d.path) {
        Ok(s) => return Ok(s),
        Err(e) => e,
    };
    let owned;
    let registry = match registry {
        Some(r) => Some(r),
        None => {
            owned = Registry::open_default();
            owned.as_ref()
        }
    };
    match registry.and_then(|r| r.find(&d.id)) {
        Some(entry) if entry.path != d.path => try_at(&entry.path).map_err(|e| {
            format!(
                "{first}; the dataset registry points at {}, but {e}",
                entry.path.display()
            )
        }),
        _ => Err(format!(
            "{first}, and the dataset registry does not know id {}",
            d.id
        )),
    }
}

/// Checks a card's datasets now (see the module docs). `Err` holds one
/// refusal per dataset whose `train` or `perform` consent was withdrawn.
pub fn check_card(
    card: &ModelCard,
    registry: Option<&Registry>,
) -> Result<LoadNotes, Vec<Refusal>> {
    let mut notes = LoadNotes::default();
    let mut refused = Vec::new();
    for d in &card.datasets {
        let sheet = match locate(d, registry) {
            Ok(s) => s,
            Err(why) => {
                notes.warnings.push(format!(
                    "dataset '{}' (id {}) was not found: {why}; its consent cannot be checked, loading anyway \
                     (a moved dataset is found again once `loam dataset check` has seen it)",
                    d.title, d.id
                ));
                continue;
            }
        };
        let names: Vec<String> = if d.files.is_empty() {
            let folder = sheet.folder();
            data_files(&folder)
                .map(|fs| fs.into_iter().map(|f| f.name).collect())
                .unwrap_or_default()
        } else {
            d.files.iter().map(|f| f.name.clone()).collect()
        };
        if let Some(r) = refusal(
            &sheet,
            names.iter().map(|s| s.as_str()),
            &[Use::Train, Use::Perform],
            false,
        ) {
            refused.push(r);
        }
    }
    if refused.is_empty() {
        Ok(notes)
    } else {
        Err(refused)
    }
}

/// Checks the `perform` consent of a folder of sounds against the nearest
/// datasheet at or above it; a folder without one plays (no provenance).
pub fn check_sound_folder(folder: &Path) -> Result<(), String> {
    let Some(root) = dataset_root(folder) else {
        return Ok(());
    };
    let sheet = parse::read(&root.join(DATASHEET_FILE))
        .map_err(|e| format!("its datasheet must be fixed before its sounds play:\n{e}"))?;
    let files = data_files(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| relative_name(&root, &f.path))
        .collect();
    match refusal(
        &sheet,
        names.iter().map(|s| s.as_str()),
        &[Use::Perform],
        false,
    ) {
        Some(r) => Err(format!("refused: {r}")),
        None => Ok(()),
    }
}

/// Checks a loam model file's card (its metadata's `card`), printing any
/// warnings; refuses the model when consent was withdrawn.
pub fn check_model_meta(
    model: &Path,
    meta: &serde_json::Value,
) -> Result<(), super::TrainedModelError> {
    let card = match ModelCard::from_meta(meta) {
        None => return Ok(()),
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            return Err(super::TrainedModelError::file(
                model,
                format!("damaged model card: {e}"),
            ))
        }
    };
    match check_card(&card, None) {
        Ok(notes) => {
            for w in notes.warnings {
                crate::say!("loam: warning: {}: {w}", model.display());
            }
            Ok(())
        }
        Err(refusals) => Err(super::TrainedModelError::Refused {
            path: model.to_path_buf(),
            refusals,
        }),
    }
}

/// Checks the card beside a TorchScript model (`NAME.ts.toml`), if there is
/// one, printing any warnings; `Err` says who withdrew what. A card that
/// does not read is a warning: the model plays as one without provenance.
pub fn check_torchscript_card(model: &Path) -> Result<(), String> {
    let path = super::card::card_path(model);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let card = match ModelCard::from_toml(&text) {
        Ok(c) => c,
        Err(e) => {
            crate::say!(
                "loam: warning: {}: the model card does not read, so its consent cannot be checked: {e}",
                path.display()
            );
            return Ok(());
        }
    };
    match check_card(&card, None) {
        Ok(notes) => {
            for w in notes.warnings {
                crate::say!("loam: warning: {}: {w}", model.display());
            }
            Ok(())
        }
        Err(refusals) => Err(refusals
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join("; ")),
    }
}
