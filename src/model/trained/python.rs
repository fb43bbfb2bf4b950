//! Running the Python exporters that turn loam-trained models into nn~
//! TorchScript files. The Python must have torch 2.13 (the libtorch tch 0.26
//! links) and `nn-tilde` 1.6.0 (`pip install --no-deps nn-tilde==1.6.0
//! cached-conv`). It is `$LOAM_PYTHON`, or `python3` on the PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::TrainedModelError;

/// The Python interpreter used for exports.
pub fn interpreter() -> PathBuf {
    std::env::var_os("LOAM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// A scratch folder for one export, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// Creates `loam-export-TAG-PID-N` in the system's temporary folder; an error names it.
    pub fn new(tag: &str) -> Result<Scratch, TrainedModelError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "loam-export-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| TrainedModelError::file(&dir, format!("cannot create: {e}")))?;
        Ok(Scratch(dir))
    }

    /// The path of `name` inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Python reader of loam model files the exporters share.
const LOAM_FILE: &str = include_str!("loam_file.py");

/// Writes `script` into `scratch` and runs it with `args`; an error carries
/// the end of Python's stderr.
pub fn run_script(
    scratch: &Scratch,
    script: &str,
    args: &[&Path],
    output: &Path,
) -> Result<(), TrainedModelError> {
    let file = scratch.path("export.py");
    std::fs::write(&file, script)
        .map_err(|e| TrainedModelError::file(&file, format!("cannot write: {e}")))?;
    // The exporters import the model-file reader from beside them.
    let reader = scratch.path("loam_file.py");
    std::fs::write(&reader, LOAM_FILE)
        .map_err(|e| TrainedModelError::file(&reader, format!("cannot write: {e}")))?;
    let python = interpreter();
    let result = Command::new(&python).arg(&file).args(args).output();
    match result {
        Err(e) => Err(TrainedModelError::file(
            output,
            format!(
                "cannot run {} ({e}); set LOAM_PYTHON to a Python with torch 2.13 and nn-tilde",
                python.display()
            ),
        )),
        Ok(out) if !out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(TrainedModelError::file(
                output,
                format!(
                    "TorchScript export failed with {} (needs torch 2.13 and nn-tilde; set LOAM_PYTHON): {}",
                    python.display(),
                    tail.join(" | ")
                ),
            ))
        }
        Ok(_) => Ok(()),
    }
}

/// Saves a model with `save` into a scratch folder and runs the exporter
/// `script` to write `out`. With a `check` request, the exporter then loads
/// its export back and answers it: that answer (JSON) is returned.
pub fn export_with(
    tag: &str,
    script: &str,
    save: impl FnOnce(&Path) -> Result<(), TrainedModelError>,
    out: &Path,
    check: Option<&serde_json::Value>,
) -> Result<serde_json::Value, TrainedModelError> {
    let scratch = Scratch::new(tag)?;
    let weights = scratch.path("model.safetensors");
    save(&weights)?;
    let Some(request) = check else {
        run_script(&scratch, script, &[&weights, out], out)?;
        return Ok(serde_json::Value::Null);
    };
    let check_in = scratch.path("check_in.json");
    let check_out = scratch.path("check_out.json");
    std::fs::write(&check_in, request.to_string())
        .map_err(|e| TrainedModelError::file(&check_in, e.to_string()))?;
    run_script(
        &scratch,
        script,
        &[&weights, out, &check_in, &check_out],
        out,
    )?;
    let text = std::fs::read_to_string(&check_out)
        .map_err(|e| TrainedModelError::file(&check_out, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| TrainedModelError::file(&check_out, e.to_string()))
}

/// Exports as [`export_with`] does, has the exporter load its export back
/// and answer `request`, and returns the answer's field `field` (one vector
/// of the export's outputs per input asked about), to compare with loam's,
/// and the export's `get_methods()`.
pub fn export_checked(
    tag: &str,
    script: &str,
    save: impl FnOnce(&Path) -> Result<(), TrainedModelError>,
    out: &Path,
    request: serde_json::Value,
    field: &str,
) -> Result<(Vec<Vec<f32>>, Vec<String>), TrainedModelError> {
    let answer = export_with(tag, script, save, out, Some(&request))?;
    Ok((
        answer_field(&answer, field, out)?,
        answer_field(&answer, "methods", out)?,
    ))
}

/// One field of a check's answer.
pub fn answer_field<T: serde::de::DeserializeOwned>(
    answer: &serde_json::Value,
    name: &str,
    out: &Path,
) -> Result<T, TrainedModelError> {
    serde_json::from_value(answer[name].clone())
        .map_err(|e| TrainedModelError::file(out, format!("the export check's '{name}': {e}")))
}
