//! The datasets this machine has seen, keyed by their stable id, so a model
//! whose dataset moved can still be checked against its datasheet.
//!
//! The registry is `datasets.toml` in loam's data folder:
//! `$XDG_DATA_HOME/loam/` when `XDG_DATA_HOME` is set, else
//! `~/.local/share/loam/` (tests point `XDG_DATA_HOME` at a temporary
//! folder). `loam dataset init`, `loam dataset check`, `revoke`, `restore`
//! and `loam train` add or update a dataset's entry (its id, folder, title
//! and the day it was last seen). The file is rewritten atomically; it holds
//! no consent (the datasheet is the only record of that), so deleting it
//! loses nothing but the way back to moved datasets.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fields::Datasheet;
use super::record::write_atomically;
use super::Day;

/// The registry's file name inside loam's data folder.
pub const REGISTRY_FILE: &str = "datasets.toml";

/// The most datasets the registry keeps: far more than one person's
/// collections; past it the oldest-seen entries are dropped, so the file
/// (read on every model load) stays small.
pub const MAX_REGISTERED_DATASETS: usize = 10_000;

/// One dataset the machine has seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The datasheet's stable id.
    pub id: String,
    /// The dataset's folder (absolute).
    pub path: PathBuf,
    /// Its title.
    pub title: String,
    /// The day loam last saw it there (`YYYY-MM-DD`).
    pub seen: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RegistryFile {
    #[serde(default)]
    dataset: Vec<Entry>,
}

/// The registry, read into memory.
#[derive(Debug, Clone)]
pub struct Registry {
    path: PathBuf,
    entries: Vec<Entry>,
}

/// loam's data folder: `$XDG_DATA_HOME/loam`, else `$HOME/.local/share/loam`.
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => Some(PathBuf::from(d).join("loam")),
        None => std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".local/share/loam")),
    }
}

impl Registry {
    /// The registry at loam's data folder ([`data_dir`]); empty when there is none.
    pub fn open_default() -> Option<Registry> {
        data_dir().map(|d| Registry::open(&d.join(REGISTRY_FILE)))
    }

    /// The registry in the file at `path`; an absent or unreadable file is an
    /// empty registry (it is only a cache of where datasets live).
    pub fn open(path: &Path) -> Registry {
        let entries = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| toml::from_str::<RegistryFile>(&t).ok())
            .map(|f| f.dataset)
            .unwrap_or_default();
        Registry {
            path: path.to_path_buf(),
            entries,
        }
    }

    /// The file it lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The dataset with this id, if seen.
    pub fn find(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Every dataset seen, oldest entry first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Notes that `sheet` was seen today in its folder; true if that changed the registry.
    pub fn note(&mut self, sheet: &Datasheet) -> bool {
        let folder = sheet.folder();
        let folder = folder.canonicalize().unwrap_or(folder);
        let entry = Entry {
            id: sheet.dataset.id.clone(),
            path: folder,
            title: sheet.dataset.title.clone(),
            seen: Day::today().to_string(),
        };
        if entry.id.is_empty() {
            return false;
        }
        match self.entries.iter_mut().find(|e| e.id == entry.id) {
            Some(e) if *e == entry => false,
            Some(e) => {
                *e = entry;
                true
            }
            None => {
                self.entries.push(entry);
                if self.entries.len() > MAX_REGISTERED_DATASETS {
                    self.entries.sort_by(|a, b| b.seen.cmp(&a.seen));
                    self.entries.truncate(MAX_REGISTERED_DATASETS);
                }
                true
            }
        }
    }

    /// Writes the registry back, atomically (creating loam's data folder).
    pub fn save(&self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = RegistryFile {
            dataset: self.entries.clone(),
        };
        let text = toml::to_string(&file).map_err(std::io::Error::other)?;
        let text = format!(
            "# Datasets this machine has seen, by id (written by loam; it holds no consent,\n# only where each dataset's datasheet was last found).\n\n{text}"
        );
        write_atomically(&self.path, text.as_bytes())
    }
}

/// Notes `sheet` in the default registry; the error says what could not be written.
pub fn remember(sheet: &Datasheet) -> Result<(), String> {
    let Some(mut r) = Registry::open_default() else {
        return Err(
            "no data folder for the dataset registry (neither XDG_DATA_HOME nor HOME is set)"
                .into(),
        );
    };
    if r.note(sheet) {
        r.save().map_err(|e| {
            format!(
                "{}: cannot write the dataset registry: {e}",
                r.path().display()
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::datasheet::parse::parse;

    #[test]
    fn datasets_are_found_by_id_after_a_move() {
        let dir = std::env::temp_dir().join(format!("loam-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("loam").join(REGISTRY_FILE);
        let text = "[dataset]\nid = \"abc\"\ntitle = \"Tabla bols\"\nlicence = \"l\"\nattribution = \"a\"\ncontact = \"c\"\n";
        let (sheet, _) = parse(text, &dir.join("first/datasheet.toml"));
        let mut sheet = sheet.unwrap();
        let mut r = Registry::open(&file);
        assert!(r.find("abc").is_none());
        assert!(r.note(&sheet));
        assert!(!r.note(&sheet), "seen again the same day: nothing changes");
        r.save().unwrap();
        let again = Registry::open(&file);
        assert_eq!(again.find("abc").unwrap().path, dir.join("first"));
        assert_eq!(again.find("abc").unwrap().title, "Tabla bols");
        // Moved: the same id, a new folder.
        sheet.path = dir.join("second/datasheet.toml");
        let mut r = again;
        assert!(r.note(&sheet));
        r.save().unwrap();
        assert_eq!(
            Registry::open(&file).find("abc").unwrap().path,
            dir.join("second")
        );
        assert_eq!(Registry::open(&file).entries().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
