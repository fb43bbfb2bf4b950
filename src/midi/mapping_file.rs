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

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::pads::PadMap;
use crate::control::midi::learn::{Mapping, Source};

/// Everything the file holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MappingFile {
    #[serde(default = "version")]
    pub version: u32,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    #[serde(default)]
    pub pads: PadMap,
}

fn version() -> u32 {
    1
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
    pub fn load(path: &Path) -> Result<MappingFile, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let file: MappingFile = serde_json::from_str(crate::data::text::without_bom(&text))
                    .map_err(|e| {
                        format!("{}: not a loam MIDI mapping file: {e}", path.display())
                    })?;
                // A range edited by hand follows the same rule as one learned.
                for m in &file.mappings {
                    m.check()
                        .map_err(|e| format!("{}: {} ({e})", path.display(), m.source))?;
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MappingFile {
                version: 1,
                ..Default::default()
            }),
            Err(e) => Err(format!("{}: cannot read: {e}", path.display())),
        }
    }

    /// Writes `path` atomically (temporary file, flush, rename).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot encode the MIDI mappings: {e}"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
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
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: cannot save the MIDI mappings: {e}", path.display())
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
    pub fn find(&self, source: &Source) -> Option<&Mapping> {
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
        let src = Source::Cc {
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
        assert!(MappingFile::load(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
