//! Where loam may read files from: one rule for every loader.
//!
//! The rule, for `samples()`, `model_load`, `vae_load`, `markov_train` and
//! every other call that names a file or folder:
//!
//! 1. A relative path is read from the running script's folder.
//! 2. An absolute path is taken as written.
//! 3. After following symbolic links, the real location must lie inside one
//!    of the *read roots*: the script's folder, or a folder given to
//!    `loam serve`/`loam render` with `--library DIR` (repeatable; for sample
//!    libraries and model collections kept elsewhere). Anything else is
//!    refused with an error naming the path as written, where it really
//!    leads, and `--library` as the way to allow it.
//! 4. A path that does not exist is an error naming it.
//!
//! So `..` and links may move about inside the roots, but never out of them.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The folders given with `--library`, canonical. Set once by the command
/// line before any script runs.
///
/// NOTE: process-wide rather than threaded through the session, so every
/// loader (script calls, OSC, imports) sees the same roots without each
/// layer carrying them.
static LIBRARIES: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Sets the `--library` folders (replacing any set before). Each must be an
/// existing folder; the error names the first that is not.
pub fn set_libraries(dirs: &[PathBuf]) -> Result<(), String> {
    let mut canonical = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let real = dir
            .canonicalize()
            .map_err(|e| format!("--library {}: {e}", dir.display()))?;
        if !real.is_dir() {
            return Err(format!("--library {}: not a folder", dir.display()));
        }
        canonical.push(real);
    }
    *LIBRARIES.write().unwrap_or_else(|p| p.into_inner()) = canonical;
    Ok(())
}

/// The folders loam may read from (see the module docs), canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRoots {
    /// The folder relative paths are read from, as given.
    base: PathBuf,
    /// Canonical roots: the base first, then the libraries.
    roots: Vec<PathBuf>,
}

impl ReadRoots {
    /// The script's folder `script_dir` and the `--library` folders set with
    /// [`set_libraries`].
    pub fn for_script(script_dir: &Path) -> ReadRoots {
        let libraries = LIBRARIES.read().unwrap_or_else(|p| p.into_inner()).clone();
        ReadRoots::new(script_dir, &libraries)
    }

    /// The script's folder `script_dir` and `libraries` as roots. A root
    /// that does not exist (yet) is kept as written.
    pub fn new(script_dir: &Path, libraries: &[PathBuf]) -> ReadRoots {
        // NOTE: `piece.rhai` has the folder "", which is the working folder.
        let script_dir = if script_dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            script_dir
        };
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let mut roots = vec![canonical(script_dir)];
        roots.extend(libraries.iter().map(|l| canonical(l)));
        ReadRoots {
            base: script_dir.to_path_buf(),
            roots,
        }
    }

    /// The real location of `written` (relative to the script's folder, or
    /// absolute), if it exists and lies inside a root; otherwise an error
    /// starting with `call` that says why.
    pub fn resolve(&self, call: &str, written: &str) -> Result<PathBuf, String> {
        let path = Path::new(written);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        };
        let real = joined.canonicalize().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                if path.is_absolute() {
                    format!("{call}: '{written}' does not exist")
                } else {
                    format!(
                        "{call}: '{written}' does not exist (looked for {})",
                        joined.display()
                    )
                }
            } else {
                format!("{call}: '{written}': cannot read ({e})")
            }
        })?;
        if self.roots.iter().any(|root| real.starts_with(root)) {
            return Ok(real);
        }
        let roots: Vec<String> = self.roots.iter().map(|r| r.display().to_string()).collect();
        Err(format!(
            "{call}: '{written}' leads to {}, outside the folders loam reads from ({}); \
             start loam with --library DIR to allow a folder elsewhere",
            real.display(),
            roots.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `root/script` (the script's folder, with `in.wav` and `kit/`),
    /// `root/outside` (with `secret.wav`) and `root/library`.
    fn layout(tag: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("loam-paths-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["script/kit", "outside", "library/drums"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("script/in.wav"), "x").unwrap();
        std::fs::write(root.join("outside/secret.wav"), "x").unwrap();
        std::fs::write(root.join("library/drums/bd.wav"), "x").unwrap();
        root.canonicalize().unwrap()
    }

    #[test]
    fn relative_and_absolute_paths_inside_the_script_folder_are_read() {
        let root = layout("inside");
        let roots = ReadRoots::new(&root.join("script"), &[]);
        let want = root.join("script/in.wav");
        assert_eq!(roots.resolve("samples", "in.wav").unwrap(), want);
        assert_eq!(roots.resolve("samples", "./kit/../in.wav").unwrap(), want);
        let abs = want.display().to_string();
        assert_eq!(roots.resolve("samples", &abs).unwrap(), want);
        assert_eq!(
            roots.resolve("samples", "kit").unwrap(),
            root.join("script/kit")
        );
    }

    #[test]
    fn paths_leading_outside_are_refused_naming_both_and_the_way_to_allow_them() {
        let root = layout("outside");
        let roots = ReadRoots::new(&root.join("script"), &[]);
        let secret = root.join("outside/secret.wav");
        for written in [
            secret.display().to_string(),
            "../outside/secret.wav".to_string(),
            "kit/../../outside/secret.wav".to_string(),
        ] {
            let msg = roots.resolve("model_load", &written).unwrap_err();
            assert!(
                msg.starts_with(&format!(
                    "model_load: '{written}' leads to {}, outside the folders loam reads from ({})",
                    secret.display(),
                    root.join("script").display()
                )),
                "{msg}"
            );
            assert!(msg.contains("--library DIR"), "{msg}");
        }
    }

    #[test]
    fn a_link_inside_pointing_outside_is_refused_and_one_pointing_inside_is_read() {
        let root = layout("links");
        let script = root.join("script");
        std::os::unix::fs::symlink(root.join("outside"), script.join("escape")).unwrap();
        std::os::unix::fs::symlink(script.join("kit"), script.join("alias")).unwrap();
        let roots = ReadRoots::new(&script, &[]);
        let msg = roots.resolve("samples", "escape").unwrap_err();
        assert!(
            msg.starts_with(&format!(
                "samples: 'escape' leads to {}, outside",
                root.join("outside").display()
            )),
            "{msg}"
        );
        let msg = roots.resolve("samples", "escape/secret.wav").unwrap_err();
        assert!(msg.contains("leads to"), "{msg}");
        assert_eq!(
            roots.resolve("samples", "alias").unwrap(),
            script.join("kit")
        );
    }

    #[test]
    fn a_library_folder_allows_what_lies_in_it() {
        let root = layout("library");
        let script = root.join("script");
        let library = root.join("library");
        let roots = ReadRoots::new(&script, std::slice::from_ref(&library));
        let abs = library.join("drums").display().to_string();
        assert_eq!(
            roots.resolve("samples", &abs).unwrap(),
            library.join("drums")
        );
        // A link in the script's folder into the library is fine too.
        std::os::unix::fs::symlink(&library, script.join("lib")).unwrap();
        assert_eq!(
            roots.resolve("samples", "lib/drums/bd.wav").unwrap(),
            library.join("drums/bd.wav")
        );
        // Other folders stay refused, and the message lists every root.
        let msg = roots.resolve("samples", "../outside").unwrap_err();
        assert!(
            msg.contains(&format!("({}, {})", script.display(), library.display())),
            "{msg}"
        );
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let root = layout("missing");
        let script = root.join("script");
        let roots = ReadRoots::new(&script, &[]);
        assert_eq!(
            roots.resolve("samples", "nope").unwrap_err(),
            format!(
                "samples: 'nope' does not exist (looked for {})",
                script.join("nope").display()
            )
        );
        assert_eq!(
            roots.resolve("vae_load", "/no/such/model.ot").unwrap_err(),
            "vae_load: '/no/such/model.ot' does not exist"
        );
    }

    #[test]
    fn a_library_must_be_an_existing_folder() {
        let root = layout("set");
        let msg = set_libraries(&[root.join("nowhere")]).unwrap_err();
        assert!(msg.starts_with("--library "), "{msg}");
        assert!(msg.contains("nowhere"), "{msg}");
        let msg = set_libraries(&[root.join("script/in.wav")]).unwrap_err();
        assert!(msg.ends_with("in.wav: not a folder"), "{msg}");
    }
}
