//! Models loam trains, in a performance script, and the latent spaces of
//! the TorchScript models playing.
//!
//! | call | gives |
//! |---|---|
//! | `vae_load("groove.model")` | a rhythm VAE: `.decode([z…] [, threshold [, noise, seed]])`, `.sample(seed)`, `.latent_size()` (patterns as strings for `live_loop`) |
//! | `markov_load("drums.model" [, "name"])` / `rnn_load("tunes.model" [, "name"])` | a step model (a Markov model or a GRU); with a name, OSC reaches it as `/model/NAME/step` and subscribers hear its steps |
//! | `markov_train("patterns.pat" [, order [, "name"]])` | a Markov model learned now from a dataset file or folder in the script's folder (milliseconds); the VAE and the GRU take seconds and are trained with `loam train` |
//! | `vae_train("data.pat" [, dims])` / `rnn_train("data.pat" [, "name"])` | train in the background while the music plays; the model's patterns rest (`"~"`) until it is ready, `.ready()` tells, and the performer hears when it is done |
//! | `m.distribution()` | the next step's choices: maps `#{label, ticks, token, p}` (temperature applied); a melody model's also have `pitch` (a MIDI number; the lowest of a chord; absent for a rest) |
//! | `m.step()` / `m.step(#{"kick": 2.0, "hat": 0.0})` / `m.step(\|c\| weight)` | draw the next step, the choices re-weighted first by label or by a function of each choice map (0 rules one out); gives the chosen map |
//! | `m.pattern()` / `m.pattern("7/8")` | steps until a bar of the current (or given) metre is full, as a pattern string: drum sounds, or for a melody model MIDI pitches with `@` weights and `~` rests (`"62@2 64 ~ 67@2 69 71@2"` in 9/8: the weights are pulses and sum to the bar's) |
//! | `m.degree_pattern(root)` / `m.degree_pattern(root, "9/8")` | a melody model's bar as steps above the MIDI note `root` (`"2@2 4 ~ 7@2"` from 60): scale degrees for a loop with a tuning |
//! | `m.metre()` | the metre of the data the model learned (`"9/8"`), or `""` when the data declared none |
//! | `m.temperature(t)` `m.order(k)` (Markov) `m.seed(n)` `m.reset()` `m.feed("kick+hat", ticks)` | live settings and history |
//! | `model_latent_now("name")` | the latent frame a playing TorchScript model decodes now (an empty array before it plays) |
//! | `current_metre()` | the metre of the bar being prepared, as text |

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use rhai::{Dynamic, Engine, FnPtr, Map, NativeCallContext};

use super::api::{fail, number, Res, Shared};
use super::training::Trained;
use crate::data::credit::{credit_for, Credit, CreditedSource};
use crate::data::{DrumBar, Event, Hit, CELLS_PER_PULSE, TICKS_PER_WHOLE};
use crate::model::markov::MarkovModel;
use crate::model::rhythm_vae::{DecodeOptions, RhythmVae, VaeConfig};
use crate::model::rnn::RnnModel;
use crate::model::trained::{melody_bar, Distribution, Rng, StepModel};
use crate::time::Metre;

/// A step the performer (or a subscriber) can see.
#[derive(Clone, Debug, PartialEq)]
pub struct StepInfo {
    /// What the step plays: instruments struck together (`kick+hat`) or MIDI pitches (`60`).
    pub label: String,
    /// Its length in the model's ticks.
    pub ticks: u32,
    /// Its token in the model's alphabet.
    pub token: usize,
    /// Its probability after any re-weighting.
    pub p: f32,
}

/// What the trained models share with the control thread.
#[derive(Default)]
pub struct TrainedShared {
    /// Step models loaded with a name, for OSC.
    named: Mutex<BTreeMap<String, StepRef>>,
    /// Steps of named models since the control thread last looked.
    steps: Mutex<Vec<(String, StepInfo)>>,
    /// The latent frame each playing TorchScript model decodes now.
    latents: Mutex<BTreeMap<String, Vec<f32>>>,
    /// The metre of the bar being prepared.
    metre: Mutex<Option<Metre>>,
    /// The bar being prepared (0 before the first): where signals given
    /// to `vae.decode` are read.
    bar: std::sync::atomic::AtomicI64,
    /// Models trained in the background tell the performer when they are ready.
    news: News,
    /// What the script code running now did, applied only if it succeeds.
    staged: Mutex<Staged>,
}

/// Named models and steps of script code that has not finished yet.
#[derive(Default)]
struct Staged {
    named: Vec<(String, StepRef)>,
    steps: Vec<(String, StepInfo)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TrainedShared {
    /// The bar being prepared from now on.
    pub fn set_bar(&self, bar: i64) {
        self.bar.store(bar, std::sync::atomic::Ordering::Relaxed);
    }

    /// The metre bars are generated in from now on.
    pub fn set_metre(&self, metre: &Metre) {
        *lock(&self.metre) = Some(metre.clone());
    }

    /// The latent frames models decode now, by model name.
    pub fn set_latents(&self, latents: BTreeMap<String, Vec<f32>>) {
        *lock(&self.latents) = latents;
    }

    /// What models training in the background had to say.
    pub fn take_news(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.news))
    }

    /// The steps named step models took since the last call, with each model's name.
    pub fn take_steps(&self) -> Vec<(String, StepInfo)> {
        std::mem::take(&mut *lock(&self.steps))
    }

    /// `count` steps of the step model loaded as `name` (OSC `/model/NAME/step`).
    pub fn step_named(&self, name: &str, count: usize) -> Result<Vec<StepInfo>, StepError> {
        let found = lock(&self.named).get(name).cloned();
        let model = found.ok_or_else(|| StepError::NoModel {
            name: name.to_string(),
            loaded: lock(&self.named).keys().cloned().collect(),
        })?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let step = model.draw(|_, _| 1.0)?;
            self.record(name, &step);
            out.push(step);
        }
        Ok(out)
    }

    /// Names `model` for OSC once the running code succeeds.
    fn stage_named(&self, name: &str, model: &StepRef) {
        lock(&self.staged)
            .named
            .push((name.to_string(), model.clone()));
    }

    /// Tells subscribers of `step` once the running code succeeds.
    fn stage_step(&self, name: &str, step: &StepInfo) {
        let mut staged = lock(&self.staged);
        // A runaway loop of steps: the newest are kept, as in `record`.
        if staged.steps.len() >= 4096 {
            staged.steps.drain(..1024);
        }
        staged.steps.push((name.to_string(), step.clone()));
    }

    /// The script code succeeded: its named models and steps apply.
    pub fn commit(&self) {
        let staged = std::mem::take(&mut *lock(&self.staged));
        lock(&self.named).extend(staged.named);
        for (name, step) in staged.steps {
            self.record(&name, &step);
        }
    }

    /// The script code failed: its named models and steps are forgotten.
    /// NOTE: a model's own history and random draws, advanced by steps the
    /// failed code took, stay advanced (undoing them would mean copying
    /// every model before each bar).
    pub fn discard(&self) {
        *lock(&self.staged) = Staged::default();
    }

    fn record(&self, name: &str, step: &StepInfo) {
        let mut steps = lock(&self.steps);
        // A script stepping every bar with nobody reading: keep the newest.
        if steps.len() >= 4096 {
            steps.drain(..1024);
        }
        steps.push((name.to_string(), step.clone()));
    }
}

/// The two kinds of step model (a GRU a script trains is not ready at once).
enum Kind {
    Markov(MarkovModel),
    Rnn(Trained<RnnModel>),
}

/// A Markov model or a GRU with its own random draws.
struct Stepper {
    kind: Kind,
    rng: Rng,
    scratch: Distribution,
    name: Option<String>,
    news: News,
    /// The temperature a GRU gets (kept while it trains).
    rnn_temperature: f32,
    /// Who its patterns are credited to (its file, or the dataset it was
    /// trained on in the script).
    credit: Credit,
}

/// Messages for the performer from models that finished training.
pub type News = Arc<Mutex<Vec<String>>>;

/// Why a step model could not step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepError {
    /// No step model loaded under this name (OSC `/model/NAME/step`);
    /// `loaded` names those there are.
    NoModel {
        /// The name asked for.
        name: String,
        /// The step models loaded.
        loaded: Vec<String>,
    },
    /// A GRU still being trained.
    StillTraining,
    /// Its training failed: what was trained, and why.
    TrainingFailed(super::training::TrainingError),
    /// Every choice of the step had weight 0.
    RuledOut,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::NoModel { name, loaded } => write!(
                f,
                "no step model '{name}' (a script loads one with markov_load or rnn_load and a name; loaded: {})",
                if loaded.is_empty() { "none".to_string() } else { loaded.join(", ") }
            ),
            StepError::StillTraining => f.write_str("the model is still training"),
            StepError::TrainingFailed(why) => write!(f, "{why}"),
            StepError::RuledOut => f.write_str("every choice of this step was ruled out"),
        }
    }
}

impl std::error::Error for StepError {}

impl Stepper {
    /// The model, once ready (a GRU still training gives `Ok(None)`).
    fn ready(&mut self) -> Result<Option<&mut dyn StepModel>, StepError> {
        match &mut self.kind {
            Kind::Markov(m) => Ok(Some(m)),
            Kind::Rnn(t) => {
                if let Some(news) = t.poll() {
                    lock(&self.news).push(news);
                }
                let temperature = self.rnn_temperature;
                Ok(t.ready().map_err(StepError::TrainingFailed)?.map(|m| {
                    m.set_temperature(temperature);
                    m as &mut dyn StepModel
                }))
            }
        }
    }

    /// The model, or why there is none to step.
    fn model(&mut self) -> Result<&mut dyn StepModel, StepError> {
        self.ready()?.ok_or(StepError::StillTraining)
    }
}

/// A step model as a script holds it.
#[derive(Clone)]
pub struct StepRef(Arc<Mutex<Stepper>>);

impl StepRef {
    fn new(kind: Kind, news: &News, credit: Credit) -> StepRef {
        StepRef(Arc::new(Mutex::new(Stepper {
            kind,
            rng: Rng::new(0x10a3),
            scratch: Distribution::default(),
            name: None,
            news: news.clone(),
            rnn_temperature: 1.0,
            credit,
        })))
    }

    /// Whether the model can step (a GRU being trained cannot yet).
    fn is_ready(&self) -> Result<bool, StepError> {
        Ok(lock(&self.0).ready()?.is_some())
    }

    /// The next step's choices, re-weighted by `weight(token, p)`; drawn and committed.
    fn draw(&self, mut weight: impl FnMut(usize, f32) -> f32) -> Result<StepInfo, StepError> {
        let mut guard = lock(&self.0);
        let s = &mut *guard;
        let mut scratch = std::mem::take(&mut s.scratch);
        s.model()?.fill_distribution(&mut scratch);
        scratch.reweight(&mut weight);
        let token = scratch.draw(&mut s.rng);
        let p = token.map_or(0.0, |t| scratch.probability(t));
        s.scratch = scratch;
        let token = token.ok_or(StepError::RuledOut)?;
        let model = s.model()?;
        model.commit(token);
        let e = &model.alphabet()[token];
        Ok(StepInfo {
            label: e.label.clone(),
            ticks: e.ticks,
            token,
            p,
        })
    }

    /// The next step's choices; none while the model trains.
    fn choices(&self) -> Result<Vec<StepInfo>, StepError> {
        let mut guard = lock(&self.0);
        let s = &mut *guard;
        let mut scratch = std::mem::take(&mut s.scratch);
        let Some(model) = s.ready()? else {
            return Ok(Vec::new());
        };
        model.fill_distribution(&mut scratch);
        let alphabet = model.alphabet();
        let out = scratch
            .entries
            .iter()
            .map(|&(token, p)| {
                let e = &alphabet[token];
                StepInfo {
                    label: e.label.clone(),
                    ticks: e.ticks,
                    token,
                    p,
                }
            })
            .collect();
        s.scratch = scratch;
        Ok(out)
    }

    /// Who the model's patterns are credited to.
    fn credit(&self) -> Credit {
        lock(&self.0).credit
    }

    /// The metre of the data the model learned, when it declared one.
    fn metre(&self) -> Result<Option<String>, StepError> {
        let mut guard = lock(&self.0);
        let s = &mut *guard;
        s.ready()?;
        Ok(match &mut s.kind {
            Kind::Markov(m) => m.metre().map(str::to_string),
            Kind::Rnn(t) => t
                .ready()
                .ok()
                .flatten()
                .and_then(|m| m.metre().map(str::to_string)),
        })
    }

    fn is_melody(&self) -> Result<bool, StepError> {
        Ok(lock(&self.0)
            .model()?
            .alphabet()
            .iter()
            .any(|e| e.label.split('+').all(|p| p.parse::<u8>().is_ok())))
    }
}

fn step_map(s: &StepInfo) -> Map {
    let mut m = Map::new();
    m.insert("label".into(), s.label.clone().into());
    m.insert("ticks".into(), (s.ticks as i64).into());
    m.insert("token".into(), (s.token as i64).into());
    m.insert("p".into(), (s.p as f64).into());
    // A melody step: the pitch a script can play (the lowest of a chord).
    if let Some(pitch) = s
        .label
        .split('+')
        .next()
        .and_then(crate::schedule::midi_notes::pitch_of)
    {
        m.insert("pitch".into(), pitch.into());
    }
    m
}

/// `file` where it really lies, by loam's one path rule
/// ([`crate::data::paths`]).
fn in_folder(shared: &Shared, call: &str, file: &str) -> Res<PathBuf> {
    let base = lock(&shared.base_dir).clone();
    crate::data::paths::ReadRoots::for_script(&base)
        .resolve(call, file)
        .or_else(|e| fail(e.to_string()))
}

/// One bar of `metre` from the model's next steps, as a pattern string.
/// Steps continue the model's history across bars; the step that crosses
/// the bar line is cut there.
fn bar_pattern(model: &StepRef, metre: &Metre, shared: &Shared) -> Res<String> {
    // A model still training rests.
    if !model
        .is_ready()
        .or_else(|e| fail(format!("pattern(): {e}")))?
    {
        return Ok("~".into());
    }
    let name = lock(&model.0).name.clone();
    if model
        .is_melody()
        .or_else(|e| fail(format!("pattern(): {e}")))?
    {
        // Pitches and lengths, the bar filled exactly.
        let steps = melody_bar::fill_bar(metre, || {
            let step = model.draw(|_, _| 1.0)?;
            if let Some(n) = &name {
                shared.trained.stage_step(n, &step);
            }
            Ok::<_, StepError>(Event {
                label: step.label,
                ticks: step.ticks,
            })
        })
        .or_else(|e| fail(format!("pattern(): {e}")))?;
        return Ok(melody_bar::bar_notation(&steps, metre));
    }
    let unit = metre.unit();
    let ticks_per_cell = (TICKS_PER_WHOLE / (CELLS_PER_PULSE * unit)).max(1);
    let bar_ticks: u32 = metre.groups().iter().sum::<u32>() * TICKS_PER_WHOLE / unit;
    let mut pattern = DrumBar::new("generated", metre.clone());
    let mut at = 0u32;
    while at < bar_ticks {
        let step = model
            .draw(|_, _| 1.0)
            .or_else(|e| fail(format!("pattern(): {e}")))?;
        if let Some(n) = &name {
            shared.trained.stage_step(n, &step);
        }
        if step.label != "." {
            for part in step.label.split('+') {
                pattern.hits.push(Hit {
                    instrument: part.to_string(),
                    cell: at / ticks_per_cell,
                    velocity: 1.0,
                    shift: 0.0,
                });
            }
        }
        at += step.ticks.max(1);
    }
    Ok(pattern.to_mini_notation())
}

pub(super) fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    register_vae(engine, shared);
    register_steps(engine, shared);
    let s = shared.clone();
    engine.register_fn("model_latent_now", move |name: &str| -> rhai::Array {
        lock(&s.trained.latents)
            .get(name)
            .map(|z| z.iter().map(|v| Dynamic::from(*v as f64)).collect())
            .unwrap_or_default()
    });
    let s = shared.clone();
    engine.register_fn("current_metre", move || -> String {
        lock(&s.trained.metre)
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "4/4".into())
    });
}

fn register_steps(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<StepRef>("StepModel");
    for kind in ["markov", "rnn"] {
        let load = {
            let s = shared.clone();
            move |file: &str, name: Option<&str>| -> Res<StepRef> {
                let call = format!("{kind}_load");
                let path = in_folder(&s, &call, file)?;
                let kind = if kind == "markov" {
                    Kind::Markov(
                        MarkovModel::load(&path).or_else(|e| fail(format!("{call}: {e}")))?,
                    )
                } else {
                    let m = RnnModel::load(&path).or_else(|e| fail(format!("{call}: {e}")))?;
                    Kind::Rnn(Trained::Ready(m))
                };
                let credit = credit_for(CreditedSource::TrainedModel(path.clone()));
                let model = StepRef::new(kind, &s.trained.news, credit);
                if let Some(n) = name {
                    lock(&model.0).name = Some(n.to_string());
                    s.trained.stage_named(n, &model);
                }
                Ok(model)
            }
        };
        let l2 = load.clone();
        engine.register_fn(format!("{kind}_load"), move |file: &str| load(file, None));
        engine.register_fn(format!("{kind}_load"), move |file: &str, name: &str| {
            l2(file, Some(name))
        });
    }
    for arity in 1..=3 {
        let s = shared.clone();
        let train = move |data: &str, order: i64, name: Option<&str>| -> Res<StepRef> {
            use crate::model::markov::MarkovConfig;
            let path = in_folder(&s, "markov_train", data)?;
            if !(1..=crate::model::markov::MAX_ORDER as i64).contains(&order) {
                return fail(format!(
                    "markov_train: order {order} must be 1 to {}",
                    crate::model::markov::MAX_ORDER
                ));
            }
            let dataset = crate::data::Dataset::load(&path)
                .or_else(|e| fail(format!("markov_train: {e}")))?;
            crate::model::trained::consent::check_training(&dataset)
                .or_else(|e| fail(format!("markov_train: {e}")))?;
            let config = MarkovConfig {
                max_order: order as usize,
                ..MarkovConfig::default()
            };
            let meter = crate::model::trained::cost::CostMeter::start(None);
            let m = MarkovModel::train(&dataset, &config)
                .or_else(|e| fail(format!("markov_train: {e}")))?;
            // Counting takes milliseconds, but it is a training like any
            // other: its cost is reported as `loam train` reports it.
            lock(&s.trained.news).push(format!("markov_train(\"{data}\"): {}", meter.finish()));
            let credit = credit_for(CreditedSource::TrainedInScript(path.clone()));
            let model = StepRef::new(Kind::Markov(m), &s.trained.news, credit);
            if let Some(n) = name {
                lock(&model.0).name = Some(n.to_string());
                s.trained.stage_named(n, &model);
            }
            Ok(model)
        };
        match arity {
            1 => engine.register_fn("markov_train", move |d: &str| train(d, 4, None)),
            2 => engine.register_fn("markov_train", move |d: &str, o: i64| train(d, o, None)),
            _ => engine.register_fn("markov_train", move |d: &str, o: i64, n: &str| {
                train(d, o, Some(n))
            }),
        };
    }
    for arity in 1..=2 {
        let s = shared.clone();
        let train = move |data: &str, name: Option<&str>| -> Res<StepRef> {
            use crate::model::rnn::RnnConfig;
            let path = in_folder(&s, "rnn_train", data)?;
            let dataset =
                crate::data::Dataset::load(&path).or_else(|e| fail(format!("rnn_train: {e}")))?;
            crate::model::trained::consent::check_training(&dataset)
                .or_else(|e| fail(format!("rnn_train: {e}")))?;
            let what = format!("rnn_train(\"{data}\")");
            let training = Trained::start(what, move || {
                RnnModel::train(&dataset, &RnnConfig::default(), &mut |_| {})
            });
            let credit = credit_for(CreditedSource::TrainedInScript(path.clone()));
            let model = StepRef::new(Kind::Rnn(training), &s.trained.news, credit);
            if let Some(n) = name {
                lock(&model.0).name = Some(n.to_string());
                s.trained.stage_named(n, &model);
            }
            Ok(model)
        };
        if arity == 1 {
            engine.register_fn("rnn_train", move |d: &str| train(d, None));
        } else {
            engine.register_fn("rnn_train", move |d: &str, n: &str| train(d, Some(n)));
        }
    }
    engine.register_fn("ready", |m: &mut StepRef| -> Res<bool> {
        m.is_ready().or_else(|e| fail(format!("ready(): {e}")))
    });
    engine.register_fn("distribution", |m: &mut StepRef| -> Res<rhai::Array> {
        let choices = m
            .choices()
            .or_else(|e| fail(format!("distribution(): {e}")))?;
        Ok(choices.iter().map(|c| step_map(c).into()).collect())
    });
    let record = |s: &Arc<Shared>, m: &StepRef, step: StepInfo| -> Map {
        s.note_generated(m.credit(), "");
        if let Some(n) = &lock(&m.0).name {
            s.trained.stage_step(n, &step);
        }
        step_map(&step)
    };
    let s = shared.clone();
    engine.register_fn("step", move |m: &mut StepRef| -> Res<Map> {
        let step = m
            .draw(|_, _| 1.0)
            .or_else(|e| fail(format!("step(): {e}")))?;
        Ok(record(&s, m, step))
    });
    let s = shared.clone();
    engine.register_fn("step", move |m: &mut StepRef, weights: Map| -> Res<Map> {
        let mut by_label = BTreeMap::new();
        for (k, v) in &weights {
            by_label.insert(k.to_string(), number(v)?);
        }
        let labels: Vec<String> = m
            .choices()
            .or_else(|e| fail(format!("step(weights): {e}")))?
            .into_iter()
            .map(|c| c.label)
            .collect();
        let step = m
            .draw(|t, _| by_label.get(&labels[t]).map_or(1.0, |w| *w as f32))
            .or_else(|e| fail(format!("step(weights): {e}")))?;
        Ok(record(&s, m, step))
    });
    let s = shared.clone();
    engine.register_fn(
        "step",
        move |ctx: NativeCallContext, m: &mut StepRef, f: FnPtr| -> Res<Map> {
            // The function sees each choice and gives its weight.
            let mut weights = Vec::new();
            for c in m
                .choices()
                .or_else(|e| fail(format!("step(function): {e}")))?
            {
                let w = f.call_within_context::<Dynamic>(&ctx, (step_map(&c),))?;
                weights.push(number(&w)?);
            }
            let step = m
                .draw(|t, _| weights.get(t).map_or(0.0, |w| *w as f32))
                .or_else(|e| fail(format!("step(function): {e}")))?;
            Ok(record(&s, m, step))
        },
    );
    let s = shared.clone();
    engine.register_fn("pattern", move |m: &mut StepRef| -> Res<String> {
        let metre = lock(&s.trained.metre)
            .clone()
            .unwrap_or_else(|| Metre::parse("4/4").expect("4/4 parses"));
        let text = bar_pattern(m, &metre, &s)?;
        s.note_generated(m.credit(), &text);
        Ok(text)
    });
    let s = shared.clone();
    engine.register_fn(
        "pattern",
        move |m: &mut StepRef, metre: &str| -> Res<String> {
            let metre =
                Metre::parse(metre).or_else(|e| fail(format!("pattern(\"{metre}\"): {e}")))?;
            let text = bar_pattern(m, &metre, &s)?;
            s.note_generated(m.credit(), &text);
            Ok(text)
        },
    );
    register_melody(engine, shared);
    engine.register_fn("temperature", |m: &mut StepRef, t: Dynamic| -> Res<()> {
        let t = number(&t)?;
        if !(t.is_finite() && t >= 0.0) {
            return fail(format!("temperature({t}): must be 0 or more"));
        }
        let mut s = lock(&m.0);
        match &mut s.kind {
            Kind::Markov(k) => k.set_temperature(t as f32),
            Kind::Rnn(_) => s.rnn_temperature = t as f32,
        }
        Ok(())
    });
    engine.register_fn("order", |m: &mut StepRef, k: i64| -> Res<()> {
        match &mut lock(&m.0).kind {
            Kind::Markov(mk) => {
                let max = mk.max_order() as i64;
                if !(0..=max).contains(&k) {
                    return fail(format!("order({k}): this model learned orders 0 to {max}"));
                }
                mk.set_order(k as usize);
                Ok(())
            }
            Kind::Rnn(_) => fail("order(): only Markov models have an order".into()),
        }
    });
    engine.register_fn("seed", |m: &mut StepRef, n: i64| {
        lock(&m.0).rng = Rng::new(n as u64);
    });
    engine.register_fn("reset", |m: &mut StepRef| -> Res<()> {
        // A model still training starts from a fresh history anyway.
        if let Some(model) = lock(&m.0)
            .ready()
            .or_else(|e| fail(format!("reset(): {e}")))?
        {
            model.reset();
        }
        Ok(())
    });
    engine.register_fn(
        "feed",
        |m: &mut StepRef, label: &str, ticks: i64| -> Res<()> {
            let mut s = lock(&m.0);
            let event = Event {
                label: label.to_string(),
                ticks: ticks.max(0) as u32,
            };
            let model = s
                .model()
                .or_else(|e| fail(format!("feed(\"{label}\", {ticks}): {e}")))?;
            match model.token_of(&event) {
                Some(t) => {
                    model.commit(t);
                    Ok(())
                }
                None => fail(format!(
                    "feed(\"{label}\", {ticks}): the model never saw this event"
                )),
            }
        },
    );
}

/// A melody model's bars as degrees, and the metre a model learned.
fn register_melody(engine: &mut Engine, shared: &Arc<Shared>) {
    let current = |s: &Shared| {
        lock(&s.trained.metre)
            .clone()
            .unwrap_or_else(|| Metre::parse("4/4").expect("4/4 parses"))
    };
    let degrees = |m: &StepRef, root: f64, metre: &Metre, s: &Shared| -> Res<String> {
        if !root.is_finite() {
            return fail(format!("degree_pattern({root}): the root is a MIDI number"));
        }
        // A model still training rests.
        if !m
            .is_ready()
            .or_else(|e| fail(format!("degree_pattern(): {e}")))?
        {
            return Ok("~".into());
        }
        if !m
            .is_melody()
            .or_else(|e| fail(format!("degree_pattern(): {e}")))?
        {
            return fail(
                "degree_pattern(): this model's steps are drum sounds, not pitches; use pattern()"
                    .into(),
            );
        }
        let text = melody_bar::degrees_from(&bar_pattern(m, metre, s)?, root);
        s.note_generated(m.credit(), &text);
        Ok(text)
    };
    let s = shared.clone();
    engine.register_fn(
        "degree_pattern",
        move |m: &mut StepRef, root: Dynamic| -> Res<String> {
            degrees(m, number(&root)?, &current(&s), &s)
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "degree_pattern",
        move |m: &mut StepRef, root: Dynamic, metre: &str| -> Res<String> {
            let metre = Metre::parse(metre)
                .or_else(|e| fail(format!("degree_pattern(root, \"{metre}\"): {e}")))?;
            degrees(m, number(&root)?, &metre, &s)
        },
    );
    engine.register_fn("metre", |m: &mut StepRef| -> Res<String> {
        Ok(m.metre()
            .or_else(|e| fail(format!("metre(): {e}")))?
            .unwrap_or_default())
    });
}

/// A rhythm VAE as a script holds it (perhaps still training).
#[derive(Clone)]
pub struct VaeRef(Arc<Mutex<Trained<RhythmVae>>>, News, Credit);

impl VaeRef {
    /// `f` of the model once it is ready; `None` while it trains.
    fn with<T>(&self, call: &str, f: impl FnOnce(&RhythmVae) -> T) -> Res<Option<T>> {
        let mut t = lock(&self.0);
        if let Some(news) = t.poll() {
            lock(&self.1).push(news);
        }
        match t.ready() {
            Ok(Some(m)) => Ok(Some(f(m))),
            Ok(None) => Ok(None),
            Err(e) => fail(format!("{call}: {e}")),
        }
    }
}

/// Trained models in scripts: `let v = vae_load("groove.model");`
/// `live_loop("gen", v.decode([0.3, -1.2]));` `v.sample(seed)`,
/// `v.decode(z, threshold)`, `v.latent_size()`; `vae_train("data.pat" [, dims])`
/// trains in the background: its patterns rest until it is ready.
fn register_vae(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<VaeRef>("RhythmVae");
    let s = shared.clone();
    engine.register_fn("vae_load", move |file: &str| -> Res<VaeRef> {
        let path = in_folder(&s, "vae_load", file)?;
        let vae = RhythmVae::load(&path).or_else(|e| fail(format!("vae_load: {e}")))?;
        Ok(VaeRef(
            Arc::new(Mutex::new(Trained::Ready(vae))),
            s.trained.news.clone(),
            credit_for(CreditedSource::TrainedModel(path)),
        ))
    });
    for arity in 1..=2 {
        let s = shared.clone();
        let train = move |data: &str, dims: i64| -> Res<VaeRef> {
            let path = in_folder(&s, "vae_train", data)?;
            if !(2..=8).contains(&dims) {
                return fail(format!("vae_train: {dims} latent dimensions; use 2 to 8"));
            }
            let dataset =
                crate::data::Dataset::load(&path).or_else(|e| fail(format!("vae_train: {e}")))?;
            crate::model::trained::consent::check_training(&dataset)
                .or_else(|e| fail(format!("vae_train: {e}")))?;
            let config = VaeConfig {
                latent_dims: dims as usize,
                ..VaeConfig::default()
            };
            let what = format!("vae_train(\"{data}\")");
            let training = Trained::start(what, move || {
                RhythmVae::train(&dataset, &config, &mut |_| {})
            });
            Ok(VaeRef(
                Arc::new(Mutex::new(training)),
                s.trained.news.clone(),
                credit_for(CreditedSource::TrainedInScript(path)),
            ))
        };
        if arity == 1 {
            engine.register_fn("vae_train", move |d: &str| train(d, 2));
        } else {
            engine.register_fn("vae_train", move |d: &str, dims: i64| train(d, dims));
        }
    }
    /// A latent whose signals (`[perlin.slow(16), 0.3]`) are read at the
    /// start of the bar being prepared, so a loop function decoding it
    /// moves through the space one bar at a time.
    fn latent_at(s: &Shared, z: &rhai::Array) -> Res<Vec<f32>> {
        let bar = s.trained.bar.load(std::sync::atomic::Ordering::Relaxed);
        z.iter()
            .map(
                |v| match v.clone().try_cast::<crate::pattern::signal::Signal>() {
                    Some(sig) => sig
                        .finite_at(crate::time::Rational::from_integer(i128::from(bar)), 0)
                        .map(|x| x as f32)
                        // NaN never reaches the model: counted, and the middle used.
                        .map_or(Ok(0.0), Ok),
                    None => number(v).map(|x| x as f32),
                },
            )
            .collect()
    }
    /// A pattern (noted for credits), or a rest while the model trains.
    fn made(s: &Shared, v: &VaeRef, p: Option<String>) -> String {
        match p {
            Some(text) => {
                s.note_generated(v.2, &text);
                text
            }
            None => "~".into(),
        }
    }
    let s = shared.clone();
    engine.register_fn(
        "decode",
        move |v: &mut VaeRef, z: rhai::Array| -> Res<String> {
            let z = latent_at(&s, &z)?;
            let p = v.with("decode", |m| {
                m.decode(&z, &DecodeOptions::default()).to_mini_notation()
            })?;
            Ok(made(&s, v, p))
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "decode",
        move |v: &mut VaeRef, z: rhai::Array, threshold: f64| -> Res<String> {
            let z = latent_at(&s, &z)?;
            let o = DecodeOptions {
                threshold: threshold as f32,
                ..DecodeOptions::default()
            };
            Ok(made(
                &s,
                v,
                v.with("decode", |m| m.decode(&z, &o).to_mini_notation())?,
            ))
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "decode",
        move |v: &mut VaeRef,
              z: rhai::Array,
              threshold: f64,
              noise: f64,
              seed: i64|
              -> Res<String> {
            let z = latent_at(&s, &z)?;
            if !(noise.is_finite() && noise >= 0.0) {
                return fail(format!("decode: noise {noise} must be 0 or more"));
            }
            let o = DecodeOptions {
                threshold: threshold as f32,
                noise: noise as f32,
                seed: seed as u64,
            };
            Ok(made(
                &s,
                v,
                v.with("decode", |m| m.decode(&z, &o).to_mini_notation())?,
            ))
        },
    );
    let s = shared.clone();
    engine.register_fn("sample", move |v: &mut VaeRef, seed: i64| -> Res<String> {
        let p = v.with("sample", |m| {
            m.sample(seed as u64, &DecodeOptions::default())
                .1
                .to_mini_notation()
        })?;
        Ok(made(&s, v, p))
    });
    engine.register_fn("latent_size", |v: &mut VaeRef| -> Res<i64> {
        // While training: the size asked for is not known here; 0 says "not yet".
        Ok(v.with("latent_size", |m| m.latent_dims() as i64)?
            .unwrap_or(0))
    });
    engine.register_fn("ready", |v: &mut VaeRef| -> Res<bool> {
        Ok(v.with("ready", |_| ())?.is_some())
    });
}
