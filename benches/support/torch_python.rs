//! What the TorchScript benches share: the torch venv's Python, the
//! models it exports, the process's CPU clock, and Python's side of the
//! paired rounds (tests/models/time_calls.py, kept running). Included by
//! `benches/torchscript.rs` and `benches/torchscript_live.rs`.

// Each bench uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The torch venv's python (`tools/setup --test`), or `LOAM_TORCH_PYTHON`.
pub fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LOAM_TORCH_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/loam/torch-2.13.0/bin/python");
    p.exists().then_some(p)
}

/// Exports the test models (tests/models/export_nn_tilde.py) into a
/// folder of this process's own; `None` where that fails.
pub fn export(py: &Path) -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("loam-bench-models-{}", std::process::id()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ok = Command::new(py)
        .arg(root.join("tests/models/export_nn_tilde.py"))
        .arg(&dir)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then_some(dir)
}

/// A real RAVE v2 streaming export (acids-rave's own `v2.gin` and
/// exporter, random weights: tests/models/export_rave_v2.py) into `dir`;
/// false, said, where acids-rave is not installed.
pub fn export_rave_v2(py: &Path, dir: &Path) -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(py)
        .arg(root.join("tests/models/export_rave_v2.py"))
        .arg(dir)
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!(
                "SKIP the real RAVE v2 rows: its export failed (is acids-rave installed? tools/setup --test):\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            false
        }
        Err(e) => {
            eprintln!(
                "SKIP the real RAVE v2 rows: cannot run {}: {e}",
                py.display()
            );
            false
        }
    }
}

/// The process's CPU time so far (every thread: a stream's worker too).
pub fn process_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Python's side of the paired rounds: `time_calls.py DIR --serve`, kept
/// running, asked for one case at a time (it idles, blocked on its
/// input, while loam is measured, and loam waits while it is).
pub struct PythonTimer {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
}

impl PythonTimer {
    /// Starts `time_calls.py DIR --serve`; `None` where it cannot.
    pub fn start(py: &Path, dir: &Path) -> Option<PythonTimer> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(py)
            .arg(root.join("tests/models/time_calls.py"))
            .arg(dir)
            .arg("--serve")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        let input = child.stdin.take()?;
        let output = std::io::BufReader::new(child.stdout.take()?);
        Some(PythonTimer {
            child,
            input,
            output,
        })
    }

    /// Python's median wall-clock time per call of `case` under `mode`
    /// (`no_grad`, `inference_mode`), and its CPU time per call (the
    /// process's CPU time over `calls` calls after 5 warm-up calls, divided
    /// by `calls`), in µs.
    pub fn time(&mut self, case: &str, mode: &str, calls: usize) -> Option<(f64, f64)> {
        self.ask(&format!("{case} {mode} {calls}"))
    }

    /// As [`Self::time`], with the calls paced as a live host paces them:
    /// one every `period` (a buffer's duration), sleeping in between.
    pub fn time_paced(
        &mut self,
        case: &str,
        mode: &str,
        calls: usize,
        period: Duration,
    ) -> Option<(f64, f64)> {
        let us = period.as_secs_f64() * 1e6;
        self.ask(&format!("{case} {mode} {calls} {us:.1}"))
    }

    fn ask(&mut self, request: &str) -> Option<(f64, f64)> {
        use std::io::{BufRead, Write};
        writeln!(self.input, "{request}").ok()?;
        self.input.flush().ok()?;
        let mut line = String::new();
        self.output.read_line(&mut line).ok()?;
        let mut it = line.split_whitespace().map(|v| v.parse::<f64>().ok());
        Some((it.next()??, it.next()??))
    }
}

impl Drop for PythonTimer {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = writeln!(self.input);
        let _ = self.child.wait();
    }
}

/// The median of `v` (sorted in place).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
