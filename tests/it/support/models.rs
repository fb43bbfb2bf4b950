//! Test models exported exactly as a musician would: with nn-tilde and the
//! torch 2.13 venv that tools/setup made.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's python: `LOAM_TORCH_PYTHON`, or the one tools/setup made.
pub fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LOAM_TORCH_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let cache = std::env::var_os("LOAM_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|c| c.join("loam"))
        })?;
    let p = cache.join("torch-2.13.0/bin/python");
    p.exists().then_some(p)
}

/// Exports the test models into `dir`; `None` means SKIP (no venv, and
/// `LOAM_REQUIRE_MODELS` unset).
pub fn export(dir: &Path) -> Option<PathBuf> {
    let required = std::env::var_os("LOAM_REQUIRE_MODELS").is_some();
    let Some(py) = python() else {
        assert!(
            !required,
            "LOAM_REQUIRE_MODELS is set but the torch venv is missing: run tools/setup --test"
        );
        eprintln!("SKIP: no torch venv (run tools/setup --test)");
        return None;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/export_nn_tilde.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(dir)
        .output()
        .expect("run python");
    // With the venv there, a failed export is a failure (nn-tilde missing:
    // tools/setup --test installs it).
    assert!(
        out.status.success(),
        "exporting the test models with {} failed (tools/setup --test installs nn-tilde):\n{}",
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(dir.to_path_buf())
}
