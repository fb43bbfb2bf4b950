//! `loam dataset features DIR`: what each segment of a corpus sounds like,
//! as numbers.
//!
//! Per segment: the spectral shape ([`super::shape`]) of its whole length
//! (the shape of its mean magnitude spectrum) and the mean and standard
//! deviation of each descriptor over its frames; RMS and peak level in dBFS
//! and EBU R128 integrated loudness in LUFS (empty for segments shorter than
//! one 400 ms gating block); onsets per second (the onsets segmenting uses,
//! [`super::envelope`]); pitch and pitch confidence by YIN
//! ([`super::pitch`]: the median pitch of frames at least
//! [`PITCH_CONFIDENT`] sure, and the mean confidence of sounding frames);
//! duration in seconds.
//!
//! Frames: a Hann window of [`FeatureSettings::window`] frames every
//! [`FeatureSettings::hop`] frames, zero-padded to an
//! [`FeatureSettings::fft`]-point real FFT (`realfft`), whole windows only
//! (a segment shorter than one window is one zero-padded frame, and the last
//! part of a segment shorter than a hop is left out, so an abrupt end is not
//! read as a click). Frames quieter than
//! [`SILENT_FRAME_DB`] are left out of the means (a silent frame has no
//! shape). YIN reads half the window (its longest lag is the other half).
//!
//! The table is `DIR/features.csv`, one row per segment with units in the
//! header; `DIR/features.cache.json` keeps each file's SHA-256 and
//! features, so a second run recomputes only files that changed (or all of
//! them when the settings did).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::decode::decode_file;
use super::envelope::{to_db, Envelope, OnsetSettings};
use super::normalise::integrated_loudness;
use super::pitch::Yin;
use super::prepare::{write_atomic, PrepareError, AUDIO_EXTENSIONS};
use super::shape::{SpectralShape, SHAPE_NAMES};
use super::{content_hash, SegmentsFile, SEGMENTS_JSON};

/// Frames quieter than this (RMS, dBFS) are left out of the frame means.
pub const SILENT_FRAME_DB: f32 = -80.0;

/// A frame's pitch counts toward the segment's pitch when YIN is at least
/// this sure of it.
pub const PITCH_CONFIDENT: f64 = 0.8;

/// The largest window or FFT, in frames (a 2.7 s window at 48 kHz).
pub const MAX_FFT: usize = 1 << 17;

/// The features table beside a corpus.
pub const FEATURES_CSV: &str = "features.csv";
/// The features cache beside a corpus.
pub const FEATURES_CACHE: &str = "features.cache.json";

/// Analysis frame sizes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureSettings {
    /// Window length, in frames (2048: 43 ms at 48 kHz).
    pub window: usize,
    /// Hop between frames, in frames (512).
    pub hop: usize,
    /// FFT size, in frames, at least the window (2048).
    pub fft: usize,
    /// Lowest pitch YIN looks for, in Hz (50).
    pub pitch_min_hz: f64,
    /// Highest pitch YIN looks for, in Hz (2000).
    pub pitch_max_hz: f64,
}

impl Default for FeatureSettings {
    fn default() -> FeatureSettings {
        FeatureSettings {
            window: 2048,
            hop: 512,
            fft: 2048,
            pitch_min_hz: 50.0,
            pitch_max_hz: 2000.0,
        }
    }
}

impl FeatureSettings {
    /// Checks the sizes against each other and [`MAX_FFT`].
    pub fn check(&self) -> Result<(), String> {
        if self.window < 16
            || self.fft < self.window
            || self.fft > MAX_FFT
            || self.hop == 0
            || self.hop > self.window
        {
            return Err(format!(
                "window {} / hop {} / FFT {}: need 16 ≤ window ≤ FFT ≤ {MAX_FFT} and 1 ≤ hop ≤ window",
                self.window, self.hop, self.fft
            ));
        }
        if !(self.pitch_min_hz > 0.0 && self.pitch_max_hz > self.pitch_min_hz) {
            return Err(format!(
                "pitch range {}..{} Hz is empty",
                self.pitch_min_hz, self.pitch_max_hz
            ));
        }
        Ok(())
    }
}

/// Mean and standard deviation over frames.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// Standard deviation (population).
    pub std: f64,
}

impl Stats {
    fn of(values: impl Iterator<Item = f64> + Clone) -> Stats {
        let n = values.clone().count();
        if n == 0 {
            return Stats::default();
        }
        let mean = values.clone().sum::<f64>() / n as f64;
        let var = values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        Stats {
            mean,
            std: var.sqrt(),
        }
    }
}

/// What one segment sounds like.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentFeatures {
    /// Length, in seconds.
    pub duration_s: f64,
    /// RMS level, in dBFS.
    pub rms_dbfs: f64,
    /// Peak level, in dBFS.
    pub peak_dbfs: f64,
    /// EBU R128 integrated loudness, in LUFS (none under 400 ms).
    pub loudness_lufs: Option<f64>,
    /// Onsets per second.
    pub onset_rate_hz: f64,
    /// Median pitch of confident frames, in Hz (0 when none).
    pub pitch_hz: f64,
    /// Mean pitch confidence of sounding frames, 0 to 1.
    pub pitch_confidence: f64,
    /// Shape of the whole length.
    pub shape: SpectralShape,
    /// Each shape descriptor's mean and std over frames, in the order of
    /// [`SHAPE_NAMES`].
    pub frames: [Stats; 7],
}

impl SegmentFeatures {
    /// Every number, in the order of [`column_names`] (the loudness of a
    /// short segment reads as its RMS level, so the table has no holes).
    pub fn vector(&self) -> Vec<f64> {
        let mut v = vec![
            self.duration_s,
            self.rms_dbfs,
            self.peak_dbfs,
            self.loudness_lufs.unwrap_or(self.rms_dbfs),
            self.onset_rate_hz,
            self.pitch_hz,
            self.pitch_confidence,
        ];
        v.extend(self.shape.values());
        for s in &self.frames {
            v.push(s.mean);
            v.push(s.std);
        }
        v
    }
}

/// The names and units of [`SegmentFeatures::vector`], as `name (unit)`.
pub fn column_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "duration (s)",
        "rms (dBFS)",
        "peak (dBFS)",
        "loudness (LUFS)",
        "onset rate (1/s)",
        "pitch (Hz)",
        "pitch confidence (0-1)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (name, unit) in SHAPE_NAMES {
        names.push(format!("{name} ({unit})"));
    }
    for (name, unit) in SHAPE_NAMES {
        names.push(format!("{name} mean ({unit})"));
        names.push(format!("{name} std ({unit})"));
    }
    names
}

/// Measures segments with one set of settings (keeps its transforms).
pub struct Analyser {
    settings: FeatureSettings,
    fft: Arc<dyn RealToComplex<f64>>,
    window: Vec<f64>,
    input: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    magnitudes: Vec<f64>,
}

impl Analyser {
    /// An analyser for `settings` (checked by [`FeatureSettings::check`]).
    pub fn new(settings: FeatureSettings) -> Analyser {
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(settings.fft);
        let w = settings.window;
        // Periodic Hann.
        let window = (0..w)
            .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / w as f64).cos())
            .collect();
        Analyser {
            settings,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            magnitudes: vec![0.0; settings.fft / 2 + 1],
            window,
            fft,
        }
    }

    /// The features of `mono` at `sample_rate` Hz.
    pub fn measure(&mut self, mono: &[f32], sample_rate: u32) -> SegmentFeatures {
        let s = self.settings;
        let mut mean_spectrum = vec![0.0f64; s.fft / 2 + 1];
        let mut shapes: Vec<SpectralShape> = Vec::new();
        let mut yin = Yin::new(s.window / 2, sample_rate, s.pitch_min_hz, s.pitch_max_hz);
        let mut pitches: Vec<f64> = Vec::new();
        let mut confidences: Vec<f64> = Vec::new();
        let silent = f64::from(crate::corpus::envelope::from_db(SILENT_FRAME_DB));
        let mut start = 0usize;
        loop {
            let end = (start + s.window).min(mono.len());
            let frame = &mono[start.min(mono.len())..end];
            let power = frame
                .iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                / s.window as f64;
            if power.sqrt() >= silent {
                self.input.iter_mut().for_each(|x| *x = 0.0);
                for (i, &x) in frame.iter().enumerate() {
                    self.input[i] = f64::from(x) * self.window[i];
                }
                if self
                    .fft
                    .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
                    .is_ok()
                {
                    for (m, c) in self.magnitudes.iter_mut().zip(&self.spectrum) {
                        *m = c.norm();
                    }
                    for (acc, m) in mean_spectrum.iter_mut().zip(&self.magnitudes) {
                        *acc += m;
                    }
                    if let Some(shape) = SpectralShape::of(&self.magnitudes, s.fft, sample_rate) {
                        shapes.push(shape);
                    }
                }
                if let Some(p) = yin.estimate(&mono[start.min(mono.len())..]) {
                    confidences.push(p.confidence);
                    if p.confidence >= PITCH_CONFIDENT {
                        pitches.push(p.hz);
                    }
                }
            }
            // Whole windows only: a window running past the end would read
            // the cut as a click. (A segment shorter than one window is one
            // zero-padded frame.)
            if start + s.hop + s.window > mono.len() {
                break;
            }
            start += s.hop;
        }
        let shape = SpectralShape::of(&mean_spectrum, s.fft, sample_rate).unwrap_or_default();
        let mut frames = [Stats::default(); 7];
        for (d, stat) in frames.iter_mut().enumerate() {
            *stat = Stats::of(shapes.iter().map(|sh| sh.values()[d]));
        }
        pitches.sort_by(f64::total_cmp);
        let pitch_hz = if pitches.is_empty() {
            0.0
        } else {
            pitches[pitches.len() / 2]
        };
        let pitch_confidence = Stats::of(confidences.iter().copied()).mean;

        let duration_s = mono.len() as f64 / f64::from(sample_rate);
        let power = mono
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            / mono.len().max(1) as f64;
        let peak = mono.iter().fold(0f32, |p, x| p.max(x.abs()));
        let env = Envelope::of(mono, sample_rate);
        let onsets = env
            .onsets(env.loudest() - 40.0, &OnsetSettings::at(sample_rate))
            .len();
        SegmentFeatures {
            duration_s,
            rms_dbfs: f64::from(to_db(power.sqrt() as f32)),
            peak_dbfs: f64::from(to_db(peak)),
            loudness_lufs: integrated_loudness(mono, sample_rate).map(f64::from),
            onset_rate_hz: if duration_s > 0.0 {
                onsets as f64 / duration_s
            } else {
                0.0
            },
            pitch_hz,
            pitch_confidence,
            shape,
            frames,
        }
    }
}

/// One row of the table: a segment and its features.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureRow {
    /// The segment's file, relative to the corpus folder.
    pub file: String,
    /// Its source file (from `segments.json`; empty when unknown).
    pub source: String,
    /// SHA-256 of the segment file.
    pub hash: String,
    /// Its features.
    pub features: SegmentFeatures,
}

/// `features.cache.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureTable {
    /// The settings the rows were measured with.
    pub settings: FeatureSettings,
    /// One row per segment, in corpus order.
    pub rows: Vec<FeatureRow>,
}

impl FeatureTable {
    /// Reads `DIR/features.cache.json`.
    pub fn read(dir: &Path) -> Result<FeatureTable, String> {
        let path = dir.join(FEATURES_CACHE);
        let bytes = fs::read(&path).map_err(|e| {
            format!(
                "{}: {e} (run `loam dataset features` first)",
                path.display()
            )
        })?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// What a features run did.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturesOutcome {
    /// The table written.
    pub table: FeatureTable,
    /// Segments measured this time.
    pub measured: usize,
    /// Segments whose cached features were reused.
    pub reused: usize,
    /// Files that could not be read, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// The segments of a corpus folder: those `segments.json` lists, or else
/// every audio file under it, as (file, source) in order.
fn corpus_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let listing = dir.join(SEGMENTS_JSON);
    if listing.is_file() {
        let bytes = fs::read(&listing).map_err(|e| format!("{}: {e}", listing.display()))?;
        let segs: SegmentsFile =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", listing.display()))?;
        return Ok(segs
            .segments
            .into_iter()
            .map(|s| (s.file, s.source))
            .collect());
    }
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = fs::read_dir(dir.join(&rel))
            .map_err(|e| format!("{}: {e}", dir.join(&rel).display()))?;
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = rel.join(&name);
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if Path::new(&name)
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| AUDIO_EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
            {
                let rel = path
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((rel.clone(), rel));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Measures every segment of the corpus in `dir` (reusing cached rows whose
/// file and settings are unchanged) and writes `features.csv` and the cache.
pub fn features(dir: &Path, settings: FeatureSettings) -> Result<FeaturesOutcome, String> {
    settings.check()?;
    let files = corpus_files(dir)?;
    let cached: BTreeMap<String, FeatureRow> = match FeatureTable::read(dir) {
        Ok(t) if t.settings == settings => {
            t.rows.into_iter().map(|r| (r.file.clone(), r)).collect()
        }
        _ => BTreeMap::new(),
    };
    let mut analyser = Analyser::new(settings);
    let (mut measured, mut reused) = (0, 0);
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (file, source) in files {
        let path = dir.join(&file);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                skipped.push((file, e.to_string()));
                continue;
            }
        };
        let hash = content_hash(&bytes);
        if let Some(row) = cached.get(&file).filter(|r| r.hash == hash) {
            rows.push(FeatureRow {
                source,
                ..row.clone()
            });
            reused += 1;
            continue;
        }
        let audio = match decode_file(&path) {
            Ok(a) => a,
            Err(e) => {
                skipped.push((file, e.to_string()));
                continue;
            }
        };
        let features = analyser.measure(&audio.mono(), audio.sample_rate);
        measured += 1;
        rows.push(FeatureRow {
            file,
            source,
            hash,
            features,
        });
    }
    let table = FeatureTable { settings, rows };
    let werr = |e: PrepareError| e.to_string();
    write_atomic(&dir.join(FEATURES_CSV), csv(&table).as_bytes()).map_err(werr)?;
    let mut json = serde_json::to_string_pretty(&table).map_err(|e| e.to_string())?;
    json.push('\n');
    write_atomic(&dir.join(FEATURES_CACHE), json.as_bytes()).map_err(werr)?;
    Ok(FeaturesOutcome {
        table,
        measured,
        reused,
        skipped,
    })
}

/// The table as CSV: `file,source,` then [`column_names`].
pub fn csv(table: &FeatureTable) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::from("file,source");
    for name in column_names() {
        out.push(',');
        out.push_str(&name);
    }
    out.push('\n');
    for row in &table.rows {
        out.push_str(&quote(&row.file));
        out.push(',');
        out.push_str(&quote(&row.source));
        for v in row.features.vector() {
            let _ = write!(out, ",{v:.6}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        // Gaussian (Box–Muller) white noise from a fixed LCG.
        let mut s = seed;
        let mut uniform = move || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((s >> 8) as f64 + 0.5) / (1u64 << 24) as f64
        };
        (0..n)
            .map(|_| {
                let (u, v) = (uniform(), uniform());
                (0.1 * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
            })
            .collect()
    }

    #[test]
    fn the_centroid_of_a_sine_is_its_frequency() {
        let mut a = Analyser::new(FeatureSettings::default());
        for hz in [250.0, 1000.0, 4000.0, 12_000.0] {
            let x: Vec<f32> = (0..48_000)
                .map(|i| (0.5 * (std::f64::consts::TAU * hz * i as f64 / 48_000.0).sin()) as f32)
                .collect();
            let f = a.measure(&x, 48_000);
            assert!(
                (f.shape.centroid_hz - hz).abs() / hz < 0.01,
                "{hz}: whole {}",
                f.shape.centroid_hz
            );
            assert!(
                (f.frames[0].mean - hz).abs() / hz < 0.01,
                "{hz}: frames {}",
                f.frames[0].mean
            );
            if hz <= 2000.0 {
                assert!(
                    (f.pitch_hz - hz).abs() / hz < 0.01 && f.pitch_confidence > 0.9,
                    "{hz}: {f:?}"
                );
            }
            assert!((f.duration_s - 1.0).abs() < 1e-9);
            assert!((f.peak_dbfs - 20.0 * 0.5f64.log10()).abs() < 0.01);
            assert!((f.rms_dbfs - 20.0 * (0.5 / 2f64.sqrt()).log10()).abs() < 0.01);
        }
    }

    #[test]
    fn white_noise_is_flat_with_a_uniform_spectrum() {
        let x = noise(96_000, 3);
        let f = Analyser::new(FeatureSettings::default()).measure(&x, 48_000);
        // The whole-length (mean) spectrum of white noise is flat: 0 dB.
        assert!(f.shape.flatness_db.abs() < 0.5, "{}", f.shape.flatness_db);
        // Its distribution over frequency is uniform: centroid at half
        // Nyquist, kurtosis 9/5, no skew.
        assert!(
            (f.shape.centroid_hz - 12_000.0).abs() < 120.0,
            "{}",
            f.shape.centroid_hz
        );
        assert!(
            (f.shape.kurtosis - 1.8).abs() < 0.03,
            "{}",
            f.shape.kurtosis
        );
        assert!(f.shape.skewness.abs() < 0.03, "{}", f.shape.skewness);
        // One frame's magnitudes are Rayleigh-distributed, whose geometric
        // over arithmetic mean is sqrt(4 e^-γ / π): −1.46 dB.
        assert!(
            (f.frames[5].mean - -1.46).abs() < 0.2,
            "{}",
            f.frames[5].mean
        );
        assert!(f.pitch_confidence < 0.6, "{}", f.pitch_confidence);
    }

    #[test]
    fn a_gaussian_bump_of_partials_has_gaussian_kurtosis() {
        // Partials every 50 Hz with amplitudes on a Gaussian around 6 kHz
        // (σ = 800 Hz): the spectrum's kurtosis is a Gaussian's, 3.
        let partials: Vec<(f64, f64)> = (1..480)
            .map(|k| {
                let hz = 50.0 * k as f64;
                (hz, (-((hz - 6000.0) / 800.0).powi(2) / 2.0).exp())
            })
            .collect();
        let x: Vec<f32> = (0..48_000)
            .map(|i| {
                let t = i as f64 / 48_000.0;
                partials
                    .iter()
                    .map(|(hz, a)| 0.02 * a * (std::f64::consts::TAU * hz * t + hz).sin())
                    .sum::<f64>() as f32
            })
            .collect();
        let f = Analyser::new(FeatureSettings {
            window: 4096,
            fft: 4096,
            hop: 1024,
            ..FeatureSettings::default()
        })
        .measure(&x, 48_000);
        assert!(
            (f.shape.centroid_hz - 6000.0).abs() < 60.0,
            "{}",
            f.shape.centroid_hz
        );
        assert!(
            (f.shape.kurtosis - 3.0).abs() < 0.15,
            "{}",
            f.shape.kurtosis
        );
    }

    #[test]
    fn onset_rate_counts_hits_per_second() {
        // Eight hits in two seconds.
        let x: Vec<f32> = (0..96_000)
            .map(|i| {
                let t = (i % 12_000) as f32 / 48_000.0;
                0.8 * (-t * 40.0).exp() * (i as f32 * 0.3).sin()
            })
            .collect();
        let f = Analyser::new(FeatureSettings::default()).measure(&x, 48_000);
        assert!((f.onset_rate_hz - 4.0).abs() < 1e-9, "{}", f.onset_rate_hz);
    }

    #[test]
    fn bad_sizes_are_refused_with_the_limits() {
        let bad = FeatureSettings {
            fft: 1024,
            window: 2048,
            ..FeatureSettings::default()
        };
        assert!(bad.check().unwrap_err().contains("window ≤ FFT"));
        assert!(FeatureSettings::default().check().is_ok());
        assert_eq!(
            column_names().len(),
            SegmentFeatures {
                duration_s: 0.0,
                rms_dbfs: 0.0,
                peak_dbfs: 0.0,
                loudness_lufs: None,
                onset_rate_hz: 0.0,
                pitch_hz: 0.0,
                pitch_confidence: 0.0,
                shape: SpectralShape::default(),
                frames: [Stats::default(); 7]
            }
            .vector()
            .len()
        );
    }
}
