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

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Why a path was refused. Each names the call (`samples`, `/model/load`,
/// `import "x"`, `--library`) and the path as written; the text is the
/// message loam prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Nothing is there. `looked_for` is where a relative path led.
    Missing {
        /// The call that named the path.
        call: String,
        /// The path as written.
        written: String,
        /// Where a relative path was looked for (`None` for an absolute one).
        looked_for: Option<PathBuf>,
    },
    /// Something is there but cannot be read (permissions, a broken link).
    Unreadable {
        /// The call that named the path.
        call: String,
        /// The path as written.
        written: String,
        /// The system's reason.
        detail: String,
    },
    /// It leads outside every read root.
    Outside {
        /// The call that named the path.
        call: String,
        /// The path as written.
        written: String,
        /// Where it really leads, links followed.
        real: PathBuf,
        /// The read roots, canonical.
        roots: Vec<PathBuf>,
    },
    /// A `--library` folder that does not exist or is not a folder.
    Library {
        /// The folder as given.
        dir: PathBuf,
        /// Why: the system's reason, or `not a folder`.
        detail: String,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Missing {
                call,
                written,
                looked_for: None,
            } => write!(f, "{call}: '{written}' does not exist"),
            PathError::Missing {
                call,
                written,
                looked_for: Some(joined),
            } => write!(
                f,
                "{call}: '{written}' does not exist (looked for {})",
                joined.display()
            ),
            PathError::Unreadable {
                call,
                written,
                detail,
            } => write!(f, "{call}: '{written}': cannot read ({detail})"),
            PathError::Outside {
                call,
                written,
                real,
                roots,
            } => {
                let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
                write!(
                    f,
                    "{call}: '{written}' leads to {}, outside the folders loam reads from ({}); \
                     start loam with --library DIR to allow a folder elsewhere",
                    real.display(),
                    roots.join(", ")
                )
            }
            PathError::Library { dir, detail } => {
                write!(f, "--library {}: {detail}", dir.display())
            }
        }
    }
}

impl std::error::Error for PathError {}

/// The folders given with `--library`, canonical. Set once by the command
/// line before any script runs.
///
/// NOTE: process-wide rather than threaded through the session, so every
/// loader (script calls, OSC, imports) sees the same roots without each
/// layer carrying them.
static LIBRARIES: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Sets the `--library` folders (replacing any set before). Each must be an
/// existing folder; the error names the first that is not.
pub fn set_libraries(dirs: &[PathBuf]) -> Result<(), PathError> {
    let mut canonical = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let library = |detail: String| PathError::Library {
            dir: dir.clone(),
            detail,
        };
        let real = dir.canonicalize().map_err(|e| library(e.to_string()))?;
        if !real.is_dir() {
            return Err(library("not a folder".into()));
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
    pub fn resolve(&self, call: &str, written: &str) -> Result<PathBuf, PathError> {
        let path = Path::new(written);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        };
        let (call, written) = (call.to_string(), written.to_string());
        let real = match joined.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PathError::Missing {
                    call,
                    written,
                    looked_for: (!path.is_absolute()).then_some(joined),
                })
            }
            Err(e) => {
                return Err(PathError::Unreadable {
                    call,
                    written,
                    detail: e.to_string(),
                })
            }
        };
        if self.roots.iter().any(|root| real.starts_with(root)) {
            return Ok(real);
        }
        Err(PathError::Outside {
            call,
            written,
            real,
            roots: self.roots.clone(),
        })
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
            let msg = roots
                .resolve("model_load", &written)
                .unwrap_err()
                .to_string();
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
        let msg = roots.resolve("samples", "escape").unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "samples: 'escape' leads to {}, outside",
                root.join("outside").display()
            )),
            "{msg}"
        );
        let msg = roots
            .resolve("samples", "escape/secret.wav")
            .unwrap_err()
            .to_string();
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
        let msg = roots
            .resolve("samples", "../outside")
            .unwrap_err()
            .to_string();
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
            roots.resolve("samples", "nope").unwrap_err().to_string(),
            format!(
                "samples: 'nope' does not exist (looked for {})",
                script.join("nope").display()
            )
        );
        assert_eq!(
            roots
                .resolve("vae_load", "/no/such/model.ot")
                .unwrap_err()
                .to_string(),
            "vae_load: '/no/such/model.ot' does not exist"
        );
    }

    #[test]
    fn a_library_must_be_an_existing_folder() {
        let root = layout("set");
        let msg = set_libraries(&[root.join("nowhere")])
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("--library "), "{msg}");
        assert!(msg.contains("nowhere"), "{msg}");
        let msg = set_libraries(&[root.join("script/in.wav")])
            .unwrap_err()
            .to_string();
        assert!(msg.ends_with("in.wav: not a folder"), "{msg}");
    }
}
