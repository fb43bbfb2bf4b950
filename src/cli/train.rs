//! `loam train DATASET --model rhythm-vae|markov|rnn -o MODEL`: trains a
//! small model on a folder or file of patterns and MIDI, shows a progress bar
//! on stderr, writes the model file and, beside it, a picture
//! (`MODEL.png`: the VAE's latent plane, or the Markov/GRU transition table),
//! and with `--torchscript` an nn~-compatible export (`MODEL.ts`).
//!
//! Exit codes: 0 trained, 2 bad arguments, 5 dataset or file error,
//! 6 trained but not usable (VAE reconstruction F1 below 0.9).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};

use loam::data::{Dataset, DatasetPart};
use loam::model::markov::{MarkovConfig, MarkovModel};
use loam::model::rhythm_vae::{picture, RhythmVae, VaeConfig};
use loam::model::rnn::{RnnConfig, RnnModel};
use loam::model::trained::{Progress, TrainedModelError};

const EXIT_USAGE: u8 = 2;
const EXIT_FILE: u8 = 5;
const EXIT_UNUSABLE: u8 = 6;

/// Which model to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Drum-pattern VAE with a small latent space (one metre).
    RhythmVae,
    /// Variable-order Markov model over events.
    Markov,
    /// Small GRU over events.
    Rnn,
}

/// Arguments of `loam train`.
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// A .pat pattern file, a .mid file, or a folder of them.
    pub dataset: PathBuf,
    #[arg(long, value_enum)]
    pub model: ModelKind,
    /// Where to write the model (a picture is written beside it as .png).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// VAE: latent dimensions (2–8).
    #[arg(long, default_value_t = 2)]
    pub latent: usize,
    /// VAE: train on this metre only (default: the dataset's most common).
    #[arg(long)]
    pub metre: Option<String>,
    /// Markov: longest context (1–8).
    #[arg(long, default_value_t = 4)]
    pub order: usize,
    /// Markov/GRU: learn from `drums` or `melody` (default: drums if any).
    #[arg(long)]
    pub source: Option<String>,
    /// Optimiser steps (VAE, GRU); default: the model's own.
    #[arg(long)]
    pub steps: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also export TorchScript for nn~ (needs Python with torch and nn-tilde).
    #[arg(long)]
    pub torchscript: bool,
}

/// Runs `loam train`.
pub fn run(args: TrainArgs) -> ExitCode {
    let data = match Dataset::load(&args.dataset) {
        Ok(d) => d,
        Err(e) => {
            loam::say!("loam: {e}");
            return ExitCode::from(EXIT_FILE);
        }
    };
    loam::say!(
        "loam: {} pattern(s), {} melody(ies) from {} file(s)",
        data.patterns.len(),
        data.melodies.len(),
        data.files.len()
    );
    let source = match args.source.as_deref().map(DatasetPart::parse) {
        Some(None) => {
            loam::say!("loam: unknown --source: use drums or melody");
            return ExitCode::from(EXIT_USAGE);
        }
        Some(s) => s,
        None => None,
    };
    let picture = args.output.with_extension("png");
    let started = Instant::now();
    let mut bar = ProgressBar::new();
    let result = match args.model {
        ModelKind::RhythmVae => train_vae(&args, &data, &picture, &mut bar),
        ModelKind::Markov => train_markov(&args, &data, source, &picture),
        ModelKind::Rnn => train_rnn(&args, &data, source, &picture, &mut bar),
    };
    bar.finish();
    match result {
        Ok(usable) => {
            loam::say!(
                "loam: wrote {} and {} in {:.2} s",
                args.output.display(),
                picture.display(),
                started.elapsed().as_secs_f32()
            );
            if usable {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_UNUSABLE)
            }
        }
        Err(e) => {
            loam::say!("loam: {e}");
            match e {
                TrainedModelError::Usage(_) => ExitCode::from(EXIT_USAGE),
                _ => ExitCode::from(EXIT_FILE),
            }
        }
    }
}

fn train_vae(
    args: &TrainArgs,
    data: &Dataset,
    picture_path: &Path,
    bar: &mut ProgressBar,
) -> Result<bool, TrainedModelError> {
    let mut config = VaeConfig {
        latent_dims: args.latent,
        metre: args.metre.clone(),
        seed: args.seed,
        ..VaeConfig::default()
    };
    if let Some(steps) = args.steps {
        config.steps = steps;
    }
    let vae = RhythmVae::train(data, &config, &mut |p| bar.show(p))?;
    bar.finish();
    let r = &vae.info.report;
    loam::say!(
        "loam: rhythm VAE in {} with {} instrument(s), {} latent dims: {} pattern(s) \
         ({} left out in other metres), {} examples after augmentation, {} steps in {:.2} s; \
         reconstruction onset F1 {:.3} ({})",
        vae.info.grid.metre,
        vae.instruments().len(),
        vae.latent_dims(),
        r.patterns,
        r.skipped,
        r.examples,
        r.steps,
        r.seconds,
        r.onset_f1,
        if r.usable() {
            "usable"
        } else {
            "below 0.9: not usable"
        }
    );
    vae.save(&args.output)?;
    picture::write_latent_png(&vae, picture_path)?;
    if args.torchscript {
        let ts = args.output.with_extension("ts");
        loam::model::rhythm_vae::export::export_torchscript(&vae, &ts)?;
        loam::say!("loam: nn~ export {}", ts.display());
    }
    Ok(r.usable())
}

fn train_markov(
    args: &TrainArgs,
    data: &Dataset,
    source: Option<DatasetPart>,
    picture_path: &Path,
) -> Result<bool, TrainedModelError> {
    let started = Instant::now();
    let config = MarkovConfig {
        max_order: args.order,
        source,
    };
    let model = MarkovModel::train(data, &config)?;
    loam::say!(
        "loam: Markov model of order {} over {} distinct event(s), learned in {:.1} ms",
        model.max_order(),
        loam::model::trained::StepModel::alphabet(&model).len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    model.save(&args.output)?;
    model.write_picture(picture_path)?;
    Ok(true)
}

fn train_rnn(
    args: &TrainArgs,
    data: &Dataset,
    source: Option<DatasetPart>,
    picture_path: &Path,
    bar: &mut ProgressBar,
) -> Result<bool, TrainedModelError> {
    let mut config = RnnConfig {
        source,
        seed: args.seed,
        ..RnnConfig::default()
    };
    if let Some(steps) = args.steps {
        config.steps = steps;
    }
    let model = RnnModel::train(data, &config, &mut |p| bar.show(p))?;
    bar.finish();
    loam::say!(
        "loam: GRU over {} distinct event(s): {} steps in {:.2} s, final loss {:.3}",
        model.info.alphabet.len(),
        model.info.steps,
        model.info.seconds,
        model.info.final_loss
    );
    model.save(&args.output)?;
    model.write_picture(picture_path)?;
    if args.torchscript {
        let ts = args.output.with_extension("ts");
        loam::model::rnn::export::export_torchscript(&model, &ts)?;
        loam::say!("loam: nn~ export {}", ts.display());
    }
    Ok(true)
}

/// A one-line progress bar on stderr.
struct ProgressBar {
    started: Instant,
    shown: bool,
}

impl ProgressBar {
    fn new() -> ProgressBar {
        ProgressBar {
            started: Instant::now(),
            shown: false,
        }
    }

    fn show(&mut self, p: Progress) {
        const WIDTH: usize = 30;
        let filled = (p.step * WIDTH) / p.steps.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {:>5}/{} loss {:>8.3}  {:.1} s ",
            "#".repeat(filled.min(WIDTH)),
            "-".repeat(WIDTH - filled.min(WIDTH)),
            p.step,
            p.steps,
            p.loss,
            self.started.elapsed().as_secs_f32()
        );
        let _ = err.flush();
        self.shown = true;
    }

    fn finish(&mut self) {
        if self.shown {
            loam::say!();
            self.shown = false;
        }
    }
}
