//! `loam train DATASET --model rhythm-vae|markov|rnn -o MODEL`: trains a
//! small model on a folder or file of patterns and MIDI, shows a progress bar
//! on stderr, writes the model file and, beside it, a picture
//! (`MODEL.png`: the VAE's latent plane, or the Markov/GRU transition table),
//! and with `--torchscript` an nn~-compatible export (`MODEL.ts`).
//!
//! Consent is checked first (`loam::model::trained::consent`): files under a
//! datasheet need `train` consent; without it the training is refused,
//! naming each file, who withdrew, when and the contact, unless
//! `--exclude-unconsented` leaves them out (and says how much). Beside the
//! model goes its card (`MODEL.toml`, the same inside the model file):
//! datasets with hashes and consent, settings, seed, steps, and what the
//! training cost in time and energy (`loam::model::trained::cost`).
//!
//! Exit codes: 0 trained, 2 bad arguments, 5 dataset or file error,
//! 6 trained but not usable (VAE reconstruction F1 below 0.9),
//! 7 refused for want of consent.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};

use loam::data::datasheet::Day;
use loam::data::{Dataset, DatasetPart};
use loam::model::markov::{MarkovConfig, MarkovModel};
use loam::model::rhythm_vae::{picture, RhythmVae, VaeConfig};
use loam::model::rnn::{RnnConfig, RnnModel};
use loam::model::trained::card::{CardCost, ModelCard};
use loam::model::trained::consent;
use loam::model::trained::cost::CostMeter;
use loam::model::trained::{Progress, TrainedModelError};

const EXIT_USAGE: u8 = 2;
const EXIT_FILE: u8 = 5;
const EXIT_UNUSABLE: u8 = 6;
const EXIT_CONSENT: u8 = 7;

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
    /// Train on the files that have `train` consent and leave the others out
    /// (instead of refusing the whole dataset).
    #[arg(long)]
    pub exclude_unconsented: bool,
    /// The grid's carbon intensity in grams of CO2e per kWh, to report the
    /// training's emissions (not shown without it).
    #[arg(long, value_name = "G")]
    pub grid_gco2_per_kwh: Option<f64>,
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
    if let Some(g) = args.grid_gco2_per_kwh {
        if !(g.is_finite() && g >= 0.0) {
            loam::say!("loam: --grid-gco2-per-kwh {g}: give grams per kWh, 0 or more");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let gathered = match consent::gather(&data, args.exclude_unconsented) {
        Ok(g) => g,
        Err(e) => {
            loam::say!("loam: {}: {e}", args.dataset.display());
            return ExitCode::from(match e {
                consent::TrainingRefused::Consent(_) => EXIT_CONSENT,
                _ => EXIT_FILE,
            });
        }
    };
    if !gathered.left_out.is_empty() {
        let files: usize = gathered.left_out.iter().map(|r| r.files().len()).sum();
        loam::say!(
            "loam: left out {files} of {} file(s) without train consent ({} of {} pattern(s), {} of {} melody(ies)):",
            data.files.len(),
            data.patterns.len() - gathered.dataset.patterns.len(),
            data.patterns.len(),
            data.melodies.len() - gathered.dataset.melodies.len(),
            data.melodies.len()
        );
        for r in &gathered.left_out {
            loam::say!("  {r}");
        }
        if gathered.dataset.files.is_empty() {
            loam::say!("loam: nothing is left to train on");
            return ExitCode::from(EXIT_CONSENT);
        }
    }
    if !gathered.no_provenance.is_empty() {
        loam::say!(
            "loam: {} file(s) have no datasheet above them (no provenance): trained on, and listed so in the model card",
            gathered.no_provenance.len()
        );
    }
    let data = gathered.dataset.clone();
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
    let meter = CostMeter::start(args.grid_gco2_per_kwh);
    let mut bar = ProgressBar::new();
    let result = match args.model {
        ModelKind::RhythmVae => train_vae(&args, &data, &picture, &mut bar),
        ModelKind::Markov => train_markov(&args, &data, source, &picture),
        ModelKind::Rnn => train_rnn(&args, &data, source, &picture, &mut bar),
    };
    bar.finish();
    let cost = meter.finish();
    let result = result.and_then(|(usable, steps)| {
        let card = card_for(&args, &gathered, steps, CardCost::from(&cost));
        card.write_for(&args.output)?;
        if args.torchscript {
            card.write_beside(&args.output.with_extension("ts"))?;
        }
        Ok(usable)
    });
    loam::say!("loam: {cost}");
    match result {
        Ok(usable) => {
            loam::say!(
                "loam: wrote {}, its card {} and {} in {:.2} s",
                args.output.display(),
                loam::model::trained::card::card_path(&args.output).display(),
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
) -> Result<(bool, Option<u64>), TrainedModelError> {
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
    Ok((r.usable(), Some(r.steps as u64)))
}

fn train_markov(
    args: &TrainArgs,
    data: &Dataset,
    source: Option<DatasetPart>,
    picture_path: &Path,
) -> Result<(bool, Option<u64>), TrainedModelError> {
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
    say_metre(model.metre());
    model.save(&args.output)?;
    model.write_picture(picture_path)?;
    Ok((true, None))
}

/// Tells the performer the metre a step model learned its bars in.
fn say_metre(metre: Option<&str>) {
    if let Some(m) = metre {
        loam::say!("loam: the data is in {m}; m.pattern() fills bars of the current metre (metre(m.metre()) plays the model in its own)");
    }
}

fn train_rnn(
    args: &TrainArgs,
    data: &Dataset,
    source: Option<DatasetPart>,
    picture_path: &Path,
    bar: &mut ProgressBar,
) -> Result<(bool, Option<u64>), TrainedModelError> {
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
    say_metre(model.metre());
    model.save(&args.output)?;
    model.write_picture(picture_path)?;
    if args.torchscript {
        let ts = args.output.with_extension("ts");
        loam::model::rnn::export::export_torchscript(&model, &ts)?;
        loam::say!("loam: nn~ export {}", ts.display());
    }
    Ok((true, Some(model.info.steps as u64)))
}

/// The model card: datasets (with consent and hashes), settings, cost.
fn card_for(
    args: &TrainArgs,
    gathered: &consent::Gathered,
    steps: Option<u64>,
    cost: CardCost,
) -> ModelCard {
    let kind = match args.model {
        ModelKind::RhythmVae => "rhythm-vae",
        ModelKind::Markov => "markov",
        ModelKind::Rnn => "rnn",
    };
    let mut hyper = std::collections::BTreeMap::new();
    match args.model {
        ModelKind::RhythmVae => {
            hyper.insert("latent".to_string(), args.latent.to_string());
            if let Some(m) = &args.metre {
                hyper.insert("metre".to_string(), m.clone());
            }
        }
        ModelKind::Markov => {
            hyper.insert("order".to_string(), args.order.to_string());
        }
        ModelKind::Rnn => {}
    }
    if let Some(s) = &args.source {
        hyper.insert("source".to_string(), s.clone());
    }
    if let Some(s) = args.steps {
        hyper.insert("steps".to_string(), s.to_string());
    }
    let root = if args.dataset.is_dir() {
        args.dataset.clone()
    } else {
        args.dataset
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    ModelCard {
        kind: kind.to_string(),
        model: args
            .output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        loam_version: env!("CARGO_PKG_VERSION").to_string(),
        trained: Day::today().to_string(),
        seed: (args.model != ModelKind::Markov).then_some(args.seed),
        steps,
        hyperparameters: hyper,
        cost: Some(cost),
        no_provenance: gathered
            .no_provenance
            .iter()
            .map(|p| {
                loam::data::datasheet::folder::relative_name(&root, p)
                    .unwrap_or_else(|| p.display().to_string())
            })
            .collect(),
        datasets: gathered.datasets.clone(),
    }
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
