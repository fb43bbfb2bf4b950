//! Helpers for offline tests: scripts in temporary folders, a click sample
//! with a sharp onset, onset detection in rendered audio, exact frame maths.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use loam::output::offline::render_samples;

/// A fresh temporary folder for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Writes a one-sample click (`samples/click.wav`) beside a script and returns the script path.
pub fn script_with_click(tag: &str, body: &str) -> PathBuf {
    let dir = temp_dir(tag);
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(samples.join("click.wav"), spec).unwrap();
    for i in 0..64 {
        w.write_sample(if i == 0 { 1.0f32 } else { 0.0 }).unwrap();
    }
    w.finalize().unwrap();
    let path = dir.join("piece.rhai");
    std::fs::write(&path, format!("samples(\"samples\");\n{body}")).unwrap();
    path
}

/// Renders `bars` bars at 48 kHz with `block`-frame blocks; interleaved stereo.
pub fn render(script: &Path, bars: i64, block: usize) -> Vec<f32> {
    let mut out = Vec::new();
    let report = render_samples(script, bars, 48_000, block, |s| {
        out.extend_from_slice(s);
        Ok(())
    })
    .expect("render");
    assert_eq!(report.late_events, 0, "late events in an offline render");
    out
}

/// Frames where the left channel jumps from silence to a click.
pub fn onsets(samples: &[f32]) -> Vec<u64> {
    let mut prev = 0.0f32;
    let mut found = Vec::new();
    for (i, frame) in samples.chunks_exact(2).enumerate() {
        let x = frame[0].abs();
        if x > 0.05 && prev < 1e-6 {
            found.push(i as u64);
        }
        prev = x;
    }
    found
}

/// `floor(num/den + 1/2)` for non-negative integers: loam's one rounding rule.
pub fn round_half_up(num: i128, den: i128) -> u64 {
    ((2 * num + den) / (2 * den)) as u64
}

/// A `loam serve` child whose stderr is collected; `wait_playing` blocks
/// until it says it plays (loading libtorch can take a while when busy),
/// `wait_line` until it prints a given line.
pub struct Serving {
    pub child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    reader: Option<std::thread::JoinHandle<String>>,
}

impl Serving {
    pub fn start(cmd: &mut std::process::Command) -> Serving {
        let mut child = cmd
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start loam");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            let mut all = String::new();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line.clone());
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        Serving {
            child,
            lines: rx,
            reader: Some(reader),
        }
    }

    pub fn wait_playing(&self) {
        self.wait_line("Ctrl-C to stop");
    }

    /// Waits (up to a minute) for the next line that contains `part` and
    /// returns it; lines before it are skipped (`finish` still has them).
    pub fn wait_line(&self, part: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(part) => return line,
                Ok(_) => {}
                Err(_) => panic!("loam never printed a line with '{part}'"),
            }
        }
    }

    /// Waits for the process to end; its exit status and all it printed.
    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("wait for loam");
        let err = self
            .reader
            .take()
            .map(|r| r.join().unwrap_or_default())
            .unwrap_or_default();
        (status, err)
    }
}

impl Drop for Serving {
    /// A test that fails before `finish` still stops its server (by process
    /// id), so no `loam serve` outlives the test run.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
