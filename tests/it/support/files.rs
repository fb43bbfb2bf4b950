//! Scratch folders and scripts for one test.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty temporary folder for one test: named by this process,
/// `tag` and a counter, so no two tests of the run ever share one.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "loam-test-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `samples` as a mono 48 kHz 32-bit float WAV file at `path`.
pub fn write_mono_wav(path: &Path, samples: impl IntoIterator<Item = f32>) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    for s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

/// `len` frames of silence but for a click of `amp` at the first.
pub fn click(amp: f32, len: usize) -> impl Iterator<Item = f32> {
    (0..len).map(move |i| if i == 0 { amp } else { 0.0 })
}

/// Writes a one-sample click (`samples/click.wav`, 48 kHz float) into `dir`
/// and a script `piece.rhai` beside it that loads it before `body`; returns
/// the script's path.
pub fn script_with_click(dir: &Path, body: &str) -> PathBuf {
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    write_mono_wav(&samples.join("click.wav"), click(1.0, 64));
    let path = dir.join("piece.rhai");
    std::fs::write(&path, format!("samples(\"samples\");\n{body}")).unwrap();
    path
}
