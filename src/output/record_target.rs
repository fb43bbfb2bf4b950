//! Where a recording (`loam serve --record`) or a render (`loam render -o`)
//! may be written, checked before anything is created.
//!
//! A recording is written to `NAME.part` and renamed over `NAME` when it
//! stops, so a wrong `NAME` used to be found out only at the end: after an
//! hour of playing, the script itself replaced by a WAV, or a rename that
//! fails because `NAME` is a folder. Refused at start:
//!
//! | target | why |
//! |---|---|
//! | a folder (or a name ending in `/`) | a WAV cannot replace it |
//! | an existing device, pipe or socket | the rename would replace it |
//! | a name inside a folder that does not exist | nothing could be written |
//! | the script, or any `.rhai` name | a script (the one playing, or one it imports: imports come from `.rhai` files in its folder or below) |
//! | any file inside a folder the script loads sounds from | a sound it plays, or a new one its next `samples()` would read while it is being written |
//! | a model file the script loads | the model |
//!
//! Paths are compared after resolving `..` and symbolic links in their
//! folders, so another spelling of the same file is refused too.

use std::path::{Component, Path, PathBuf};

use crate::schedule::ModelOp;
use crate::sound::SoundBank;

/// What a performance reads from disk and a recording must not replace.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The script, as given and resolved.
    scripts: Vec<PathBuf>,
    /// Folders sounds were loaded from.
    sample_folders: Vec<PathBuf>,
    /// Single files and what they are (`"the model 'dc'"`).
    files: Vec<(PathBuf, String)>,
}

impl Sources {
    /// Only the script.
    pub fn new(script: &Path) -> Sources {
        Sources {
            scripts: forms(script),
            ..Sources::default()
        }
    }

    /// The script, the folders its sounds came from and the model files
    /// its first run asked for (relative model paths are in its folder).
    pub fn of(script: &Path, bank: &SoundBank, model_ops: &[ModelOp]) -> Sources {
        let mut sources = Sources::new(script);
        for name in bank.names() {
            for variant in 0..bank.variant_count(name) {
                let Some(sample) = bank.get(name, variant as u32) else {
                    continue;
                };
                let file = Path::new(&sample.source);
                if !file.is_file() {
                    // The built-in kit, or a file gone since.
                    continue;
                }
                if let Some(folder) = file.parent() {
                    // `dir/NAME/x.wav` holds the variants of NAME: the
                    // folder the script named is the one above.
                    let folder = if sample.name.contains(':') {
                        folder.parent().unwrap_or(folder)
                    } else {
                        folder
                    };
                    sources.sample_folder(folder);
                }
            }
        }
        let dir = script.parent().unwrap_or(Path::new("."));
        for op in model_ops {
            if let ModelOp::Load { name, path, .. } = op {
                let path = if path.is_absolute() {
                    path.clone()
                } else {
                    dir.join(path)
                };
                sources.file(&path, format!("the model '{name}'"));
            }
        }
        sources
    }

    /// A folder sounds are loaded from: nothing may be written inside it.
    pub fn sample_folder(&mut self, dir: &Path) {
        for form in forms(dir) {
            if !self.sample_folders.contains(&form) {
                self.sample_folders.push(form);
            }
        }
    }

    /// A single file the performance reads (`what` names it for the error).
    pub fn file(&mut self, path: &Path, what: String) {
        for form in forms(path) {
            self.files.push((form, what.clone()));
        }
    }
}

/// Refuses a target a recording or render must not be written to (see the
/// module docs), before anything is created. The error names the target
/// and what it would have replaced.
pub fn check_target(target: &Path, sources: &Sources) -> Result<(), super::TargetError> {
    use super::TargetError;
    let owned = || target.to_path_buf();
    let text = target.as_os_str().to_string_lossy();
    if text.is_empty() {
        return Err(TargetError::NoName);
    }
    if target.is_dir() || text.ends_with('/') {
        return Err(TargetError::Folder(owned()));
    }
    if let Ok(meta) = std::fs::metadata(target) {
        if !meta.is_file() {
            return Err(TargetError::NotAFile(owned()));
        }
    }
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(TargetError::NoFolder {
            target: owned(),
            folder: folder.to_path_buf(),
        });
    }
    if target
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("rhai"))
    {
        return Err(TargetError::ScriptName(owned()));
    }
    let target_forms = forms(target);
    if target_forms.iter().any(|t| sources.scripts.contains(t)) {
        return Err(TargetError::PlayingScript(owned()));
    }
    for (file, what) in &sources.files {
        if target_forms.contains(file) {
            return Err(TargetError::Source {
                target: owned(),
                what: what.clone(),
            });
        }
    }
    for dir in &sources.sample_folders {
        if target_forms.iter().any(|t| t.starts_with(dir)) {
            return Err(TargetError::InSoundFolder {
                target: owned(),
                folder: dir.clone(),
            });
        }
    }
    Ok(())
}

/// The spellings of `path` to compare: made absolute with `..` and `.`
/// removed, and with its folder's (and, if it exists, its own) symbolic
/// links resolved.
fn forms(path: &Path) -> Vec<PathBuf> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut plain = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::ParentDir => {
                plain.pop();
            }
            Component::CurDir => {}
            other => plain.push(other),
        }
    }
    let mut out = vec![plain.clone()];
    if let (Some(dir), Some(name)) = (plain.parent(), plain.file_name()) {
        if let Ok(dir) = dir.canonicalize() {
            out.push(dir.join(name));
        }
    }
    if let Ok(real) = plain.canonicalize() {
        out.push(real);
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("loam-record-target-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("samples/bd")).unwrap();
        std::fs::write(dir.join("piece.rhai"), "").unwrap();
        std::fs::write(dir.join("drums.rhai"), "").unwrap();
        std::fs::write(dir.join("samples/click.wav"), "").unwrap();
        std::fs::write(dir.join("dc.ts"), "").unwrap();
        dir
    }

    fn sources(dir: &Path) -> Sources {
        let mut s = Sources::new(&dir.join("piece.rhai"));
        s.sample_folder(&dir.join("samples"));
        s.file(&dir.join("dc.ts"), "the model 'dc'".into());
        s
    }

    /// Asserts that `target` is refused with words containing `says`.
    fn refused(target: &Path, s: &Sources, says: &str) {
        let e = check_target(target, s).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }

    #[test]
    fn the_script_and_other_scripts_are_refused() {
        let dir = temp("scripts");
        let s = sources(&dir);
        refused(&dir.join("piece.rhai"), &s, "piece.rhai");
        // Another spelling of the same file.
        refused(&dir.join("samples/../piece.rhai"), &s, ".rhai");
        refused(&dir.join("drums.rhai"), &s, "scripts");
        // A script with another extension is still the script.
        let odd = dir.join("piece.txt");
        std::fs::write(&odd, "").unwrap();
        refused(&odd, &Sources::new(&odd), "the script being played");
    }

    #[test]
    fn sample_folders_and_models_are_refused() {
        let dir = temp("sources");
        let s = sources(&dir);
        refused(&dir.join("samples/click.wav"), &s, "loads sounds from");
        refused(&dir.join("samples/bd/new.wav"), &s, "loads sounds from");
        refused(&dir.join("dc.ts"), &s, "the model 'dc'");
    }

    #[test]
    fn folders_devices_and_missing_folders_are_refused() {
        let dir = temp("paths");
        let s = sources(&dir);
        refused(&dir, &s, "is a folder");
        refused(Path::new("/dev/null"), &s, "not a regular file");
        refused(&dir.join("nowhere/take.wav"), &s, "does not exist");
    }

    #[test]
    fn an_ordinary_take_beside_the_script_is_allowed_even_again() {
        let dir = temp("ok");
        let s = sources(&dir);
        let take = dir.join("take.wav");
        assert_eq!(check_target(&take, &s), Ok(()));
        std::fs::write(&take, "an earlier take").unwrap();
        assert_eq!(check_target(&take, &s), Ok(()));
        // A folder whose name only starts like the sample folder's.
        std::fs::create_dir_all(dir.join("samples-out")).unwrap();
        assert_eq!(check_target(&dir.join("samples-out/take.wav"), &s), Ok(()));
    }
}
