//! The mapping file: learned bindings and the pad map, as JSON, loaded on
//! start and saved after every change atomically (written to a temporary
//! file beside it, flushed, then renamed over it), so a crash or power cut
//! leaves either the old file or the new one, never half of one.
//!
//! ```json
//! { "version": 1,
//!   "mappings": [ { "source": {"kind": "cc", "channel": 0, "controller": 1},
//!                   "target": {"kind": "tempo"}, "min": 60.0, "max": 180.0,
//!                   "curve": "linear" } ],
//!   "pads": { "channel": 10, "notes": { "36": "kick", "38": "snare" } } }
//! ```

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::pads::PadMap;
use crate::control::midi::learn::{Mapping, MidiControl};

/// Everything the file holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MappingFile {
    /// Format version of the file (1).
    #[serde(default = "version")]
    pub version: u32,
    /// Learned bindings, in the order they were made.
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    /// Pads (notes) that play sounds.
    #[serde(default)]
    pub pads: PadMap,
}

fn version() -> u32 {
    1
}

/// A mapping file that could not be read or saved; the text names the file.
#[derive(Debug)]
pub enum MappingFileError {
    /// The file exists but cannot be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
    /// The file is not JSON of a mapping file.
    NotAMappingFile {
        /// The file.
        path: PathBuf,
        /// Where the JSON went wrong (line and column).
        error: serde_json::Error,
    },
    /// A mapping's range lies outside its target's rule (edited by hand).
    BadRange {
        /// The file.
        path: PathBuf,
        /// The control it binds, as the file names it.
        source: MidiControl,
        /// What the target's rule says.
        detail: crate::control::midi::LearnError,
    },
    /// The bindings cannot be written as JSON.
    Encode(serde_json::Error),
    /// The file's folder cannot be created.
    CreateFolder {
        /// The folder.
        dir: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
    /// Writing, flushing or renaming the file failed.
    Save {
        /// The file.
        path: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
}

impl fmt::Display for MappingFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MappingFileError::Read { path, error } => {
                write!(f, "{}: cannot read: {error}", path.display())
            }
            MappingFileError::NotAMappingFile { path, error } => {
                write!(
                    f,
                    "{}: not a loam MIDI mapping file: {error}",
                    path.display()
                )
            }
            MappingFileError::BadRange {
                path,
                source,
                detail,
            } => write!(f, "{}: {source} ({detail})", path.display()),
            MappingFileError::Encode(error) => {
                write!(f, "cannot encode the MIDI mappings: {error}")
            }
            MappingFileError::CreateFolder { dir, error } => {
                write!(f, "{}: cannot create: {error}", dir.display())
            }
            MappingFileError::Save { path, error } => {
                write!(
                    f,
                    "{}: cannot save the MIDI mappings: {error}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for MappingFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MappingFileError::Read { error, .. }
            | MappingFileError::CreateFolder { error, .. }
            | MappingFileError::Save { error, .. } => Some(error),
            MappingFileError::NotAMappingFile { error, .. } | MappingFileError::Encode(error) => {
                Some(error)
            }
            MappingFileError::BadRange { .. } => None,
        }
    }
}

/// The default place: `$XDG_CONFIG_HOME/loam/midi.json`, else
/// `~/.config/loam/midi.json`, else `loam-midi.json` here.
pub fn default_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("loam").join("midi.json");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home)
            .join(".config")
            .join("loam")
            .join("midi.json");
    }
    PathBuf::from("loam-midi.json")
}

impl MappingFile {
    /// Reads `path`; a missing file is an empty one (GM pads). A mapping
    /// whose range lies outside its target's rule is refused.
    pub fn load(path: &Path) -> Result<MappingFile, MappingFileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let file: MappingFile = serde_json::from_str(crate::data::text::without_bom(&text))
                    .map_err(|error| MappingFileError::NotAMappingFile {
                        path: path.into(),
                        error,
                    })?;
                // A range edited by hand follows the same rule as one learned.
                for m in &file.mappings {
                    m.check().map_err(|detail| MappingFileError::BadRange {
                        path: path.into(),
                        source: m.source,
                        detail,
                    })?;
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MappingFile {
                version: 1,
                ..Default::default()
            }),
            Err(error) => Err(MappingFileError::Read {
                path: path.into(),
                error,
            }),
        }
    }

    /// Writes `path` atomically (temporary file, flush, rename).
    pub fn save(&self, path: &Path) -> Result<(), MappingFileError> {
        let text = serde_json::to_string_pretty(self).map_err(MappingFileError::Encode)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| MappingFileError::CreateFolder {
                dir: dir.into(),
                error,
            })?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "midi.json".into());
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|error| {
            let _ = std::fs::remove_file(&tmp);
            MappingFileError::Save {
                path: path.into(),
                error,
            }
        })
    }

    /// Adds a binding, replacing any other on the same control.
    pub fn bind(&mut self, mapping: Mapping) {
        self.mappings.retain(|m| m.source != mapping.source);
        self.mappings.push(mapping);
    }

    /// Removes every binding to `target` (its text form); how many went.
    pub fn forget(&mut self, target: &str) -> usize {
        let before = self.mappings.len();
        self.mappings.retain(|m| m.target.to_string() != target);
        before - self.mappings.len()
    }

    /// The binding of a control, if any.
    pub fn find(&self, source: &MidiControl) -> Option<&Mapping> {
        self.mappings.iter().find(|m| m.source == *source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::midi::learn::{LearnRequest, Target};

    #[test]
    fn save_and_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("loam-mapfile-{}", std::process::id()));
        let path = dir.join("sub").join("midi.json");
        let mut f = MappingFile::load(&path).unwrap();
        assert!(f.mappings.is_empty());
        assert_eq!(f.pads, PadMap::default());
        let src = MidiControl::Cc {
            channel: 0,
            controller: 7,
        };
        f.bind(LearnRequest::parse("tempo 80 160 exp").unwrap().bind(src));
        f.bind(LearnRequest::parse("latent:drums:2").unwrap().bind(src));
        assert_eq!(f.mappings.len(), 1, "one binding per control");
        f.save(&path).unwrap();
        let back = MappingFile::load(&path).unwrap();
        assert_eq!(back, f);
        assert_eq!(
            back.mappings[0].target,
            Target::Latent {
                model: "drums".into(),
                dim: 2
            }
        );
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::write(&path, "{ not json").unwrap();
        let e = MappingFile::load(&path).unwrap_err();
        assert!(
            matches!(e, MappingFileError::NotAMappingFile { .. }),
            "{e:?}"
        );
        assert!(
            e.to_string().starts_with(&format!(
                "{}: not a loam MIDI mapping file: ",
                path.display()
            )),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_name_the_file_and_what_failed() {
        let dir = std::env::temp_dir().join(format!("loam-mapfile-err-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A range edited by hand outside its target's rule.
        let path = dir.join("wide.json");
        std::fs::write(
            &path,
            r#"{"mappings":[{"source":{"kind":"cc","channel":0,"controller":1},
                "target":{"kind":"tempo"},"min":1.0,"max":100000.0,"curve":"linear"}]}"#,
        )
        .unwrap();
        let e = MappingFile::load(&path).unwrap_err();
        let MappingFileError::BadRange { source, .. } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(
            *source,
            MidiControl::Cc {
                channel: 0,
                controller: 1
            }
        );
        assert!(
            e.to_string()
                .starts_with(&format!("{}: {source} (learn tempo: ", path.display())),
            "{e}"
        );
        // A folder where the file should be: it cannot be read.
        let e = MappingFile::load(&dir).unwrap_err();
        assert!(matches!(e, MappingFileError::Read { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: cannot read: ", dir.display())),
            "{e}"
        );
        // A file where its folder should be: the folder cannot be created.
        let blocked = path.join("midi.json");
        let e = MappingFile::default().save(&blocked).unwrap_err();
        assert!(matches!(e, MappingFileError::CreateFolder { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: cannot create: ", path.display())),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
