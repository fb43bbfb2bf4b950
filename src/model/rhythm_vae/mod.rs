//! A rhythm VAE in the spirit of R-VAE: learns one metre's drum bars from a
//! dozen patterns in a few seconds on one CPU core, and maps them onto a small
//! latent space (2–8 dimensions) a performer can move through.
//!
//! Each bar is a grid of sixths of a pulse (binary and ternary subdivisions
//! both native, so 7/8, 9/8 and 12/8 are not squeezed into 4/4) with three
//! planes: onsets, velocities and micro-timing, per instrument ([`grid`]).
//! Small sets are augmented ([`augment`]): rotation by groups, tempo octaves,
//! instrument dropout, velocity jitter.
//!
//! "Usable" is measured: after training, every training pattern is encoded to
//! its latent mean and decoded at threshold 0.5; [`TrainReport::onset_f1`]
//! over all cells must reach [`USABLE_F1`] (0.9).
//!
//! Threads: training and decoding run on whichever (non-audio) thread calls
//! them; a decode takes well under a millisecond.

pub mod augment;
pub mod export;
pub mod grid;
pub mod net;
pub mod picture;

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

use crate::data::{DataError, Dataset, DrumBar, Provenance};
use crate::model::trained::{file, Progress, Rng, TrainedModelError};
use crate::time::Metre;

pub use grid::{GridSpec, OnsetScore};

/// The smallest number of patterns (in the metre trained) loam trains on.
pub const MIN_PATTERNS: usize = 4;

/// Reconstruction onset F1 a trained model must reach to count as usable.
pub const USABLE_F1: f32 = 0.9;

/// Kind string in the model file.
pub const KIND: &str = "rhythm-vae";

/// Training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeConfig {
    /// Latent dimensions, 2–8.
    pub latent_dims: usize,
    /// First hidden layer width (the second is a quarter of it).
    pub hidden: usize,
    /// Optimiser steps (at most; training also stops at `max_seconds`).
    pub steps: usize,
    /// Training examples per optimiser step.
    pub batch: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Weight of the KL term (small: a dozen patterns must stay apart).
    pub beta: f32,
    /// Train only on this metre (written as `2+2+3/8`); by default the most
    /// common metre of the dataset.
    pub metre: Option<String>,
    /// Add double- and half-time variants.
    pub tempo_octaves: bool,
    /// Probability of dropping one instrument from a training example.
    pub dropout: f32,
    /// Velocity jitter (±).
    pub jitter: f32,
    /// Seed of initialisation, augmentation and batches (the same seed trains the same model).
    pub seed: u64,
    /// Stop after this long even if steps remain.
    pub max_seconds: f32,
}

impl Default for VaeConfig {
    fn default() -> Self {
        VaeConfig {
            latent_dims: 2,
            hidden: 128,
            steps: 900,
            batch: 16,
            learning_rate: 3e-3,
            beta: 0.05,
            metre: None,
            tempo_octaves: true,
            dropout: 0.15,
            jitter: 0.08,
            seed: 1,
            max_seconds: 9.0,
        }
    }
}

/// What training did and how well the model reconstructs its patterns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Patterns of the chosen metre trained on.
    pub patterns: usize,
    /// Patterns of other metres left out.
    pub skipped: usize,
    /// Training examples after fixed augmentation.
    pub examples: usize,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Seconds training took.
    pub seconds: f32,
    /// Loss (reconstruction + β·KL) of the last step.
    pub final_loss: f32,
    /// Onset F1 of reconstructing the training patterns, 0 … 1 (see [`OnsetScore::f1`]).
    pub onset_f1: f32,
}

impl TrainReport {
    /// True when the onset F1 reaches [`USABLE_F1`].
    pub fn usable(&self) -> bool {
        self.onset_f1 >= USABLE_F1
    }
}

/// Decode-time settings, changeable live.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecodeOptions {
    /// Onset probability at or above which a cell sounds.
    pub threshold: f32,
    /// Standard deviation of Gaussian noise added to the latent before decoding.
    pub noise: f32,
    /// Seed of that noise (the same seed gives the same pattern).
    pub seed: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            threshold: 0.5,
            noise: 0.0,
            seed: 0,
        }
    }
}

/// Everything in a model file besides the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeInfo {
    /// Always [`KIND`].
    pub kind: String,
    /// Format version of the model file.
    pub version: u32,
    /// The metre and instruments it reads and writes.
    pub grid: GridSpec,
    /// Latent dimensions, 2–8.
    pub latent_dims: usize,
    /// First hidden layer width.
    pub hidden: usize,
    /// The settings it was trained with.
    pub config: VaeConfig,
    /// How training went.
    pub report: TrainReport,
    /// Who made the patterns it learned from.
    pub provenance: Vec<Provenance>,
    /// Names of the training patterns and their latent means.
    pub patterns: Vec<String>,
    /// Each training pattern's latent mean, one row of `latent_dims` values per pattern.
    pub codes: Vec<Vec<f32>>,
}

/// A trained rhythm VAE.
pub struct RhythmVae {
    vs: nn::VarStore,
    net: net::Net,
    /// Everything in the model file besides the weights.
    pub info: VaeInfo,
}

impl RhythmVae {
    /// Trains on the dataset's patterns of one metre. `progress` hears every
    /// few steps. Uses one intra-op thread while training (restored after).
    pub fn train(
        data: &Dataset,
        config: &VaeConfig,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RhythmVae, TrainedModelError> {
        if !(2..=8).contains(&config.latent_dims) {
            return Err(TrainedModelError::usage(format!(
                "latent dimensions must be 2 to 8, not {}",
                config.latent_dims
            )));
        }
        let (metre, patterns, skipped) = select_metre(data, config.metre.as_deref())?;
        let mut instruments: Vec<String> = patterns.iter().flat_map(|p| p.instruments()).collect();
        crate::data::pattern::sort_instruments(&mut instruments);
        let spec = GridSpec::new(&metre, instruments);
        let examples = augment::fixed_variants(&patterns, config.tempo_octaves);

        let threads = tch::get_num_threads();
        tch::set_num_threads(1);
        tch::manual_seed(config.seed as i64);
        let started = Instant::now();
        let vs = nn::VarStore::new(Device::Cpu);
        let shape = net::Shape {
            width: spec.width() as i64,
            hidden: config.hidden as i64,
            latent: config.latent_dims as i64,
        };
        let net = net::Net::new(&vs.root(), shape);
        let mut opt = nn::Adam::default()
            .build(&vs, config.learning_rate)
            .map_err(|e| TrainedModelError::usage(format!("optimiser: {e}")))?;
        let mut rng = Rng::new(config.seed);
        let width = spec.width();
        let plane = spec.plane() as i64;
        let batch = config.batch.max(1);
        let mut final_loss = 0.0;
        let mut steps_done = 0;
        for step in 0..config.steps {
            let mut xs = Vec::with_capacity(batch * width);
            for _ in 0..batch {
                // Half the batch from the originals, half from all variants.
                let pick = if rng.uniform() < 0.5 {
                    &patterns[rng.below(patterns.len())]
                } else {
                    &examples[rng.below(examples.len())]
                };
                let v = augment::jitter(pick, &mut rng, config.dropout, config.jitter);
                xs.extend(spec.encode(&v));
            }
            let x = Tensor::from_slice(&xs).reshape([batch as i64, width as i64]);
            let (mu, logvar) = net.encode(&x);
            let z = &mu + Tensor::randn_like(&mu) * (&logvar * 0.5).exp();
            let raw = net.decode_raw(&z);
            let (onset_logits, velocity, shift) = net.split(&raw);
            let onset = x.narrow(1, 0, plane);
            let mask_sum = onset.sum(Kind::Float) + 1.0;
            let recon_onset = onset_logits.binary_cross_entropy_with_logits::<Tensor>(
                &onset,
                None,
                None,
                tch::Reduction::Sum,
            ) / batch as f64;
            let recon_velocity = ((&velocity - x.narrow(1, plane, plane)).square() * &onset)
                .sum(Kind::Float)
                / &mask_sum
                * 4.0;
            let recon_shift = ((&shift - x.narrow(1, 2 * plane, plane)).square() * &onset)
                .sum(Kind::Float)
                / &mask_sum;
            let kl = (&logvar.exp() + mu.square() - 1.0 - &logvar).sum(Kind::Float)
                * (0.5 / batch as f64);
            // KL weight rises over the first third of training.
            let warm = (step as f32 / (config.steps as f32 / 3.0).max(1.0)).min(1.0);
            let loss = recon_onset
                + recon_velocity * (spec.instruments.len() as f64)
                + recon_shift
                + kl * (config.beta * warm) as f64;
            opt.backward_step(&loss);
            final_loss = loss.double_value(&[]) as f32;
            steps_done = step + 1;
            if step % 25 == 0 || step + 1 == config.steps {
                progress(Progress {
                    step: step + 1,
                    steps: config.steps,
                    loss: final_loss,
                });
            }
            // Deterministic early stop once the KL weight is fully on and
            // every training pattern comes back.
            let warmed = step + 1 >= config.steps / 3;
            if warmed
                && (step + 1) % 50 == 0
                && reconstruction_f1(&net, &spec, &patterns) >= STOP_F1
            {
                break;
            }
            if started.elapsed().as_secs_f32() > config.max_seconds
                || crate::model::trained::stop_requested()
            {
                break;
            }
        }
        let seconds = started.elapsed().as_secs_f32();
        tch::set_num_threads(threads);

        let mut model = RhythmVae {
            vs,
            net,
            info: VaeInfo {
                kind: KIND.to_string(),
                version: 1,
                grid: spec,
                latent_dims: config.latent_dims,
                hidden: config.hidden,
                config: config.clone(),
                report: TrainReport {
                    patterns: patterns.len(),
                    skipped,
                    examples: examples.len(),
                    steps: steps_done,
                    seconds,
                    final_loss,
                    onset_f1: 0.0,
                },
                provenance: Dataset::from_patterns(patterns.clone()).provenance(),
                patterns: patterns.iter().map(|p| p.name.clone()).collect(),
                codes: Vec::new(),
            },
        };
        model.vs.freeze();
        let mut score = OnsetScore::default();
        for p in &patterns {
            let z = model.encode(p)?;
            let out = model.decode(&z, &DecodeOptions::default());
            score.add(p, &out);
            model.info.codes.push(z);
        }
        model.info.report.onset_f1 = score.f1();
        Ok(model)
    }

    /// Latent dimensions.
    pub fn latent_dims(&self) -> usize {
        self.info.latent_dims
    }

    /// The metre the model plays in.
    pub fn metre(&self) -> Metre {
        self.info.grid.metre()
    }

    /// Instruments, in row order.
    pub fn instruments(&self) -> &[String] {
        &self.info.grid.instruments
    }

    /// The latent mean of a pattern (which must be in the model's metre;
    /// instruments it does not know are ignored).
    pub fn encode(&self, p: &DrumBar) -> Result<Vec<f32>, TrainedModelError> {
        if p.metre != self.metre() {
            return Err(TrainedModelError::usage(format!(
                "pattern '{}' is in {}, the model plays {}",
                p.name,
                p.metre,
                self.metre()
            )));
        }
        let x = Tensor::from_slice(&self.info.grid.encode(p)).reshape([1, -1]);
        let (mu, _) = tch::no_grad(|| self.net.encode(&x));
        Ok(Vec::try_from(mu.flatten(0, -1)).unwrap_or_default())
    }

    /// The decoded planes for a latent point: onset probabilities, velocities,
    /// micro-timing (in grid cells), each `instruments × cells`.
    pub fn decode_planes(&self, z: &[f32], options: &DecodeOptions) -> Vec<f32> {
        let mut z = self.fit_latent(z);
        if options.noise > 0.0 {
            let mut rng = Rng::new(options.seed);
            for v in &mut z {
                *v += options.noise * rng.normal();
            }
        }
        let z = Tensor::from_slice(&z).reshape([1, -1]);
        let out = tch::no_grad(|| self.net.decode(&z));
        Vec::try_from(out.flatten(0, -1)).unwrap_or_default()
    }

    /// The pattern at a latent point.
    pub fn decode(&self, z: &[f32], options: &DecodeOptions) -> DrumBar {
        let planes = self.decode_planes(z, options);
        let mut p = self.info.grid.decode(&planes, options.threshold, "decoded");
        p.provenance = Provenance {
            title: "generated by a loam rhythm VAE".to_string(),
            source: self
                .info
                .provenance
                .iter()
                .map(|p| p.file.clone())
                .collect::<Vec<_>>()
                .join(", "),
            ..Provenance::default()
        };
        p
    }

    /// A latent point drawn from the prior N(0, 1), and its pattern.
    pub fn sample(&self, seed: u64, options: &DecodeOptions) -> (Vec<f32>, DrumBar) {
        let mut rng = Rng::new(seed);
        let z: Vec<f32> = (0..self.latent_dims()).map(|_| rng.normal()).collect();
        let p = self.decode(&z, options);
        (z, p)
    }

    /// The pattern a fraction `t` of the way from `a` to `b` in latent space
    /// (t = 0 decodes `a`'s latent mean, t = 1 `b`'s).
    pub fn interpolate(
        &self,
        a: &DrumBar,
        b: &DrumBar,
        t: f32,
        options: &DecodeOptions,
    ) -> Result<DrumBar, TrainedModelError> {
        let za = self.encode(a)?;
        let zb = self.encode(b)?;
        Ok(self.decode(&lerp(&za, &zb, t), options))
    }

    /// Pads or cuts a latent vector to the model's size (missing dims are 0).
    fn fit_latent(&self, z: &[f32]) -> Vec<f32> {
        let mut v: Vec<f32> = z.iter().copied().take(self.latent_dims()).collect();
        v.resize(self.latent_dims(), 0.0);
        v
    }

    /// Writes the model file (see [`crate::model::trained::file`]).
    pub fn save(&self, path: &Path) -> Result<(), TrainedModelError> {
        let meta = serde_json::to_value(&self.info)
            .map_err(|e| TrainedModelError::file(path, format!("cannot describe model: {e}")))?;
        file::write(path, &meta, &file::from_var_store(&self.vs))
    }

    /// Reads a model file written by [`RhythmVae::save`].
    pub fn load(path: &Path) -> Result<RhythmVae, TrainedModelError> {
        let (meta, tensors) = file::read(path)?;
        // Consent first: a withdrawn dataset's model never reaches the music.
        crate::model::trained::consent::check_model_meta(path, &meta)?;
        if meta.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(TrainedModelError::file(
                path,
                format!(
                    "holds a {} model, not a {KIND}",
                    meta.get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or("unknown")
                ),
            ));
        }
        let mut info: VaeInfo = serde_json::from_value(meta).map_err(|e| {
            TrainedModelError::file(path, format!("damaged model description: {e}"))
        })?;
        info.grid = info
            .grid
            .resolve()
            .map_err(|e| TrainedModelError::file(path, e))?;
        let mut vs = nn::VarStore::new(Device::Cpu);
        let shape = net::Shape {
            width: info.grid.width() as i64,
            hidden: info.hidden as i64,
            latent: info.latent_dims as i64,
        };
        let net = net::Net::new(&vs.root(), shape);
        file::into_var_store(&mut vs, &tensors).map_err(|e| TrainedModelError::file(path, e))?;
        vs.freeze();
        Ok(RhythmVae { vs, net, info })
    }

    /// The model's weights by name (for the TorchScript export).
    pub fn weights(&self) -> Vec<file::NamedTensor> {
        file::from_var_store(&self.vs)
    }

    /// A JSON description (no weights) for replies and logs.
    pub fn describe(&self) -> serde_json::Value {
        json!({
            "kind": KIND,
            "metre": self.info.grid.metre,
            "instruments": self.info.grid.instruments,
            "latent_dims": self.info.latent_dims,
            "onset_f1": self.info.report.onset_f1,
            "patterns": self.info.patterns,
        })
    }
}

/// Training stops early once reconstruction reaches this onset F1.
const STOP_F1: f32 = 0.98;

/// Onset F1 of the patterns decoded from their latent means.
fn reconstruction_f1(net: &net::Net, spec: &GridSpec, patterns: &[DrumBar]) -> f32 {
    let width = spec.width() as i64;
    let xs: Vec<f32> = patterns.iter().flat_map(|p| spec.encode(p)).collect();
    let x = Tensor::from_slice(&xs).reshape([patterns.len() as i64, width]);
    let out = tch::no_grad(|| net.decode(&net.encode(&x).0));
    let mut score = OnsetScore::default();
    for (i, p) in patterns.iter().enumerate() {
        let row: Vec<f32> = Vec::try_from(out.get(i as i64)).unwrap_or_default();
        score.add(p, &spec.decode(&row, 0.5, &p.name));
    }
    score.f1()
}

/// Linear interpolation between two latent points.
pub fn lerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + (y - x) * t).collect()
}

/// The patterns to train on: those in `metre`, or in the most common metre.
fn select_metre(
    data: &Dataset,
    metre: Option<&str>,
) -> Result<(Metre, Vec<DrumBar>, usize), TrainedModelError> {
    let wanted = match metre {
        Some(text) => Metre::parse(text).map_err(|e| TrainedModelError::usage(e.to_string()))?,
        None => {
            let mut counts: Vec<(Metre, usize)> = Vec::new();
            for p in &data.patterns {
                match counts.iter_mut().find(|(m, _)| *m == p.metre) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((p.metre.clone(), 1)),
                }
            }
            // Most common; ties go to the one that appears first.
            let best = counts.iter().map(|c| c.1).max().unwrap_or(0);
            match counts.into_iter().find(|c| c.1 == best) {
                Some((m, _)) => m,
                None => {
                    return Err(TrainedModelError::Data(DataError::file(
                        &data.path,
                        format!(
                            "no drum patterns to train a rhythm VAE on; the minimum is {MIN_PATTERNS} in one metre"
                        ),
                    )))
                }
            }
        }
    };
    let patterns: Vec<DrumBar> = data
        .patterns
        .iter()
        .filter(|p| p.metre == wanted)
        .cloned()
        .collect();
    if patterns.len() < MIN_PATTERNS {
        return Err(TrainedModelError::Data(DataError::file(
            &data.path,
            format!(
                "too small to train a rhythm VAE: {} pattern(s) in {wanted}; the minimum is {MIN_PATTERNS} in one metre",
                patterns.len()
            ),
        )));
    }
    let skipped = data.patterns.len() - patterns.len();
    Ok((wanted, patterns, skipped))
}
