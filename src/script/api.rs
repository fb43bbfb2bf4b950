//! The functions a performance script can call.
//!
//! | call | effect |
//! |---|---|
//! | `tempo(bpm)` / `tempo(bpm, "e")` | tempo in the metre's beat, or in a named note value (next bar) |
//! | `metre("2+2+3/8")` | metre (next bar) |
//! | `tempo_now(bpm)` / `metre_now("7/8")` | from `loam eval` or a reload: now, with no phase jump (a metre cuts the bar at the next group boundary) |
//! | `octave(k)` | global tempo octave −2..2 (next bar where the grids meet) |
//! | `seed(n)` | seed for every random choice in patterns |
//! | `corpus("folder")` | a mapped audio corpus: `.at(x, y)`, `.near(x, y, k)`, `.walk(step)`, `.region("…")` give its segments' sound names (see [`super::corpus`]) |
//! | `samples("folder")` | load WAVs (`folder/NAME/*.wav`, `folder/NAME.wav`); a folder that cannot be read fails the version |
//! | `live_loop("name", "pattern")` | define or replace a loop; returns it for chaining |
//! | `.gain(g)` `.pan(p)` `.rate(r)` `.legato(l)` `.octave(k)` | loop settings, each checked by its rule in [`crate::pattern::values`] (a negative rate plays reversed); a value out of range is an error naming the loop |
//! | `live_loop("name", \|n\| …)` | a loop whose function returns its pattern before each bar `n` |
//! | `.fast(x)` `.slow(x)` `.shift(pulses)` `.rev()` `.degrade(p)` `.humanise(pulses, vel)` `.swing(a)` `.layer("pattern")` `.velocity(g)` | pattern transforms, applied in order |
//! | `.every(n, fast(2))` / `.every(n, offset, rev())` | a transform on every n-th cycle |
//! | `stop_loop("name")` | stop a loop at its next boundary |
//! | `model_load("name", "file.ts" [, "decode"\|"forward"\|"encode-decode"])` | load an nn~/RAVE TorchScript model as a voice (live, and in `loam render`, which drives it frame-exactly) |
//! | `model_latent("name", [z0, z1, …])` `model_shape("name", dim, offset, scale)` | steer its latent space |
//! | `model_set("name", "attr", value)` `model_gain("name", g)` `model_unload("name")` | attributes, level, unload |
//! | `model_input("name", "sound")` | loop a sound into the model's input (`forward`, `encode-decode`: its latent is then read with `model_latent_now`); `""` stops |
//! | `quantum(bars)` | loop changes wait for a multiple of this many bars |
//! | `set("key", value)` / `get("key")` | a store that keeps values between bars and reloads (writes of code that fails are dropped) |
//! | `ctrl("name")` / `ctrl("name", default)` | a named control set over OSC or MIDI |
//! | `midi_events()` | MIDI messages since the last call: maps with `type`, `channel`, `note`, `velocity`, `cc`, `value`, `time` |
//! | `midi_learn("target")` / `midi_learn("target", min, max[, "exp"])` / `midi_forget("target")` | bind the next control moved (the targets of OSC `/midi/learn`) |
//! | `midi_follow(true)` / `midi_clock(true)` | follow an external clock; send clock out |
//! | `link(true)` / `link_quantum(q)` / `link_start_stop(true)` / `link_play(true)` | join an Ableton Link session; read its phase over q beats (0: loam's bar); start/stop sync; press play or stop (builds with the `link` feature) |
//! | `.midi(ch)` `.midi(ch, note)` `.midi_only(ch)` | a loop's events as MIDI notes, beside or instead of its voices |

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Position};

use crate::data::credit::{Credit, PatternCredits};
use crate::pattern::{values, Pattern, Transform};
use crate::schedule::{Change, LoopDef};
use crate::time::{Metre, NoteValue, Tempo, TempoOctave};

/// What running script code produced: changes, loops defined, messages.
/// Nothing here acts before the code has finished: the host applies it
/// when the code succeeded and drops it (but the messages) when it failed.
#[derive(Default, Debug)]
pub struct Collected {
    /// Tempo, metre, octave and loop changes, in the order the code asked.
    pub changes: Vec<Change>,
    /// Loops defined (by name) during this evaluation, with their final settings.
    pub loops: BTreeMap<String, LoopEntry>,
    /// Prints and loop errors, in order.
    pub messages: Vec<String>,
    /// `midi_learn`, `midi_forget`, … requests, passed on by [`Shared::finish`].
    pub midi_requests: Vec<String>,
    /// `link(…)`, `link_quantum(…)`, … requests, passed on by [`Shared::finish`].
    pub link_requests: Vec<String>,
    /// MIDI messages `midi_events()` gave, put back by [`Shared::finish`]
    /// if the code fails.
    pub midi_events_read: Vec<rhai::Map>,
    /// Patterns trained models made in this run (`m.pattern()`,
    /// `v.decode(z)`, `v.sample(seed)`), each with its model's credit: a
    /// plain loop whose text contains one is credited to that model. At
    /// most [`MAX_GENERATED_TEXTS`]; later ones still count in `consulted`.
    pub generated: Vec<(Credit, String)>,
    /// Every trained model this run asked for a pattern or a step: a loop
    /// function's bar is credited to all of them.
    pub consulted: PatternCredits,
}

/// The most generated patterns one run of script code keeps for matching
/// against its loops' texts (see [`Collected::generated`]): a script that
/// asks a model for more patterns than this in one evaluation still has
/// every model credited on its loop functions, and on plain loops for the
/// first 256 patterns.
pub const MAX_GENERATED_TEXTS: usize = 256;

/// State shared between the registered functions and the host.
#[derive(Default)]
pub struct Shared {
    /// What the running code has produced so far.
    pub collected: Mutex<Collected>,
    /// `set`/`get` values, at most [`super::store::MAX_STORE_BYTES`] in all.
    pub store: Mutex<super::store::Store>,
    /// Named controls set from outside (OSC `/set`, MIDI), read with `ctrl`.
    pub controls: Mutex<BTreeMap<String, f64>>,
    /// MIDI messages not yet read with `midi_events()` (oldest dropped past
    /// [`MAX_MIDI_EVENTS`]).
    pub midi_events: Mutex<std::collections::VecDeque<rhai::Map>>,
    /// `midi_learn`, `midi_follow`, … requests for the MIDI part of the
    /// control thread, from script code that succeeded.
    pub midi_requests: Mutex<Vec<String>>,
    /// `link(true)`, `link_quantum(4)`, … requests for the Link part of the
    /// control thread, from script code that succeeded.
    pub link_requests: Mutex<Vec<String>>,
    /// The script's folder: models and data are read from here.
    pub base_dir: Mutex<PathBuf>,
    /// The script versions that played (with imports and evaluated code),
    /// for the credits of a render or recording.
    pub played: Arc<crate::data::credit::PlayedScripts>,
    /// Step models, latent frames and the metre, for [`super::trained`].
    pub trained: super::trained::TrainedShared,
    /// The engine's sample rate in Hz: `samples()` reads folders at it (0
    /// until [`super::Script`] sets it).
    pub sample_rate: std::sync::atomic::AtomicU32,
    /// Sample folders read so far, by resolved path: a folder whose files
    /// are unchanged is not decoded again on the next save.
    pub sample_folders: Mutex<BTreeMap<PathBuf, Arc<crate::sound::SampleFolder>>>,
    /// When the running script code must end, in nanoseconds after the
    /// script's clock base (see [`super::host`]); time spent reading sample
    /// folders is added to it, since that is not the script's own time.
    pub deadline: Arc<std::sync::atomic::AtomicU64>,
}

/// `written` where it really lies, by loam's one path rule
/// ([`crate::data::paths`]): relative to the script's folder, inside it or
/// a `--library` folder once links are followed, and existing.
pub(super) fn read_path(s: &Shared, call: &str, written: &str) -> Res<PathBuf> {
    let base = s.base_dir.lock().unwrap_or_else(|p| p.into_inner()).clone();
    crate::data::paths::ReadRoots::for_script(&base)
        .resolve(call, written)
        .or_else(|e| fail(e.to_string()))
}

/// MIDI events kept for a script that does not read them.
pub const MAX_MIDI_EVENTS: usize = 1024;

impl Shared {
    /// Sets a named control that the script reads with `ctrl(name)`.
    pub fn set_control(&self, name: &str, value: f64) {
        self.controls().insert(name.to_string(), value);
    }

    /// Keeps a MIDI message for `midi_events()` (the oldest goes when full).
    pub fn push_midi_event(&self, event: rhai::Map) {
        let mut q = self.midi_events();
        if q.len() >= MAX_MIDI_EVENTS {
            q.pop_front();
        }
        q.push_back(event);
    }

    /// MIDI requests (`midi_learn`, …) the script made since the last call.
    pub fn take_midi_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.midi_requests())
    }

    /// Link requests (`link(true)`, …) the script made since the last call.
    pub fn take_link_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.link_requests.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// `count` steps of the step model the script loaded as `name`.
    pub fn step_model(
        &self,
        name: &str,
        count: usize,
    ) -> Result<Vec<super::trained::StepInfo>, super::trained::StepError> {
        self.trained.step_named(name, count)
    }

    /// Steps named models took since the last call (for OSC subscribers).
    pub fn take_model_steps(&self) -> Vec<(String, super::trained::StepInfo)> {
        self.trained.take_steps()
    }

    /// The latent frames playing TorchScript models decode now, for
    /// `model_latent_now`.
    pub fn set_latents(&self, latents: std::collections::BTreeMap<String, Vec<f32>>) {
        self.trained.set_latents(latents);
    }

    /// Starts a run of script code (a version's top level, an `/eval`,
    /// `bar(n)`, one loop function): nothing is collected or staged yet.
    pub fn begin(&self) {
        *self.collected() = Collected::default();
        self.store().discard();
        self.trained.discard();
    }

    /// Ends the run [`Shared::begin`] started and gives what it collected.
    /// With `succeeded`, its store writes, named models, steps and MIDI
    /// requests apply; otherwise they are dropped and the MIDI messages it
    /// read are given back, so a failed run changes nothing outside what
    /// it returns (whose changes the host then drops).
    pub fn finish(&self, succeeded: bool) -> Collected {
        let mut collected = std::mem::take(&mut *self.collected());
        if succeeded {
            self.store().commit();
            self.trained.commit();
            self.midi_requests().append(&mut collected.midi_requests);
            self.link_requests
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .append(&mut collected.link_requests);
        } else {
            self.store().discard();
            self.trained.discard();
            collected.midi_requests.clear();
            collected.link_requests.clear();
            let mut queue = self.midi_events();
            for event in std::mem::take(&mut collected.midi_events_read)
                .into_iter()
                .rev()
            {
                if queue.len() >= MAX_MIDI_EVENTS {
                    break;
                }
                queue.push_front(event);
            }
        }
        collected
    }

    /// Notes that the trained model credited as `credit` made `text` (a
    /// pattern; empty for a single step) in the running code. A pattern
    /// that is only rests (a model still training) is not noted: nothing
    /// of the model sounds.
    pub fn note_generated(&self, credit: Credit, text: &str) {
        if credit == Credit::NONE {
            return;
        }
        let sounds = text
            .split(|c: char| c.is_whitespace() || "[]<>{}(),".contains(c))
            .any(|w| !w.is_empty() && !w.starts_with('~'));
        let mut c = self.collected();
        if !text.is_empty() && !sounds {
            return;
        }
        c.consulted.add(credit);
        if sounds && c.generated.len() < MAX_GENERATED_TEXTS {
            c.generated.push((credit, text.to_string()));
        }
    }

    /// The credits of the trained models whose patterns (noted in this
    /// run) `pattern` contains.
    pub fn credits_of_text(&self, pattern: &str) -> PatternCredits {
        let mut credits = PatternCredits::default();
        for (credit, text) in &self.collected().generated {
            if pattern.contains(text.as_str()) {
                credits.add(*credit);
            }
        }
        credits
    }

    /// What the running code has produced so far (a poisoned lock is taken as it is).
    pub fn collected(&self) -> MutexGuard<'_, Collected> {
        self.collected.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self) -> MutexGuard<'_, super::store::Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The named controls (`ctrl(name)`), set by OSC `/set` and learned MIDI knobs.
    pub fn controls(&self) -> MutexGuard<'_, BTreeMap<String, f64>> {
        self.controls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// MIDI messages waiting for `midi_events()`, oldest first.
    pub fn midi_events(&self) -> MutexGuard<'_, std::collections::VecDeque<rhai::Map>> {
        self.midi_events.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `midi_learn`, `midi_forget`, … requests waiting for the control thread.
    pub fn midi_requests(&self) -> MutexGuard<'_, Vec<String>> {
        self.midi_requests.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A loop defined by a script: its settings, and a function that gives its
/// pattern before each bar (when it was defined with one).
#[derive(Clone, Debug)]
pub struct LoopEntry {
    /// Its name, pattern, gain, octave and the rest of its settings.
    pub def: LoopDef,
    /// The function that gives its pattern before each bar; `None`: the pattern stays.
    pub generator: Option<FnPtr>,
}

/// A loop as a script holds it, for chaining settings.
#[derive(Clone, Debug)]
pub struct LoopRef {
    name: String,
}

pub(super) type Res<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn fail<T>(msg: String) -> Res<T> {
    Err(Box::new(EvalAltResult::ErrorRuntime(
        msg.into(),
        Position::NONE,
    )))
}

/// Registers loam's functions on `engine`, writing into `shared`.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    // One function for whole and decimal tempi (rhai passes either as Dynamic).
    let s = shared.clone();
    engine.register_fn("tempo", move |bpm: Dynamic| -> Res<()> {
        let tempo = Tempo::bpm(number(&bpm)?).or_else(|e| fail(e.to_string()))?;
        s.collected()
            .changes
            .push(Change::Tempo { tempo, now: false });
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("tempo", move |bpm: Dynamic, note: &str| -> Res<()> {
        let note = NoteValue::parse(note).or_else(|e| fail(e.to_string()))?;
        let tempo = Tempo::bpm(number(&bpm)?)
            .or_else(|e| fail(e.to_string()))?
            .counting(note);
        s.collected()
            .changes
            .push(Change::Tempo { tempo, now: false });
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("tempo_now", move |bpm: Dynamic| -> Res<()> {
        let tempo = Tempo::bpm(number(&bpm)?).or_else(|e| fail(e.to_string()))?;
        s.collected()
            .changes
            .push(Change::Tempo { tempo, now: true });
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("metre_now", move |text: &str| -> Res<()> {
        let metre = Metre::parse(text).or_else(|e| fail(e.to_string()))?;
        s.collected()
            .changes
            .push(Change::Metre { metre, now: true });
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("metre", move |text: &str| -> Res<()> {
        let metre = Metre::parse(text).or_else(|e| fail(e.to_string()))?;
        s.collected()
            .changes
            .push(Change::Metre { metre, now: false });
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("octave", move |k: i64| -> Res<()> {
        let k = octave(k).or_else(|e| fail(e.to_string()))?;
        s.collected().changes.push(Change::Octave(k));
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("seed", move |n: i64| {
        s.collected().changes.push(Change::Seed(n as u64));
    });
    let s = shared.clone();
    engine.register_fn("samples", move |dir: &str| -> Res<()> {
        let path = read_path(&s, "samples", dir)?;
        let folder = read_samples_folder(&s, &path)?;
        s.collected().changes.push(Change::Samples(folder));
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn(
        "live_loop",
        move |name: &str, pattern: &str| -> Res<LoopRef> {
            let parsed = Pattern::parse(pattern)
                .or_else(|e| fail(format!("pattern of loop '{name}': {e} in \"{pattern}\"")))?;
            let mut def = LoopDef::new(name, pattern, parsed);
            def.check_size().or_else(fail)?;
            def.credits = s.credits_of_text(pattern);
            let entry = LoopEntry {
                def,
                generator: None,
            };
            s.collected().loops.insert(name.to_string(), entry);
            Ok(LoopRef {
                name: name.to_string(),
            })
        },
    );
    let s = shared.clone();
    engine.register_fn("live_loop", move |name: &str, f: FnPtr| -> Res<LoopRef> {
        let silent = Pattern::parse("~").or_else(|e| fail(e.to_string()))?;
        let entry = LoopEntry {
            def: LoopDef::new(name, "~", silent),
            generator: Some(f),
        };
        s.collected().loops.insert(name.to_string(), entry);
        Ok(LoopRef {
            name: name.to_string(),
        })
    });
    let s = shared.clone();
    engine.register_fn("quantum", move |bars: i64| -> Res<()> {
        if !(1..=64).contains(&bars) {
            return fail(format!("quantum {bars}: give 1 to 64 bars"));
        }
        s.collected().changes.push(Change::Quantum(bars));
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("stop_loop", move |name: &str| {
        let mut c = s.collected();
        c.loops.remove(name);
        c.changes.push(Change::StopLoop(name.to_string()));
    });

    engine.register_type_with_name::<LoopRef>("Loop");
    register_setter(engine, shared, values::GAIN, |d, v| d.gain = v as f32);
    register_setter(engine, shared, values::PAN, |d, v| d.pan = v as f32);
    register_setter(engine, shared, values::RATE, |d, v| d.rate = v as f32);
    register_setter(engine, shared, values::LEGATO, |d, v| d.legato = Some(v));
    let s = shared.clone();
    engine.register_fn("octave", move |l: &mut LoopRef, k: i64| -> Res<LoopRef> {
        let k = octave(k).or_else(|e| fail(l.in_loop(e)))?;
        if let Some(e) = s.collected().loops.get_mut(&l.name) {
            e.def.octave = k;
        }
        Ok(l.clone())
    });

    register_transforms(engine, shared);
    super::functions::register(engine, shared);
    super::params::register(engine, shared);
    super::params::register_signals(engine, shared);
    register_models(engine, shared);
    super::corpus::register(engine, shared);
    super::trained::register(engine, shared);
    super::input::register(engine, shared);
    super::pitch::register(engine, shared);

    let s = shared.clone();
    engine.register_fn("set", move |key: &str, value: Dynamic| -> Res<()> {
        s.store().set(key, value).or_else(|e| fail(e.to_string()))
    });
    let s = shared.clone();
    engine.register_fn("get", move |key: &str| -> Dynamic { s.store().get(key) });
    let s = shared.clone();
    engine.register_fn("ctrl", move |name: &str| -> f64 {
        s.controls().get(name).copied().unwrap_or(0.0)
    });
    let s = shared.clone();
    engine.register_fn("ctrl", move |name: &str, default: f64| -> f64 {
        s.controls().get(name).copied().unwrap_or(default)
    });
    register_midi(engine, shared);
    let s = shared.clone();
    engine.on_print(move |text| s.collected().messages.push(text.to_string()));
}

/// The most sample folders kept read between versions (each may hold up
/// to [`crate::sound::bank::MAX_FOLDER_FRAMES`] of audio); past it the
/// kept ones are let go and read again when asked for.
pub const MAX_KEPT_FOLDERS: usize = 16;

/// Reads the sample folder `dir` (resolved) at the engine's rate on the
/// script thread, so the version that asked for it fails, naming it, when
/// it cannot be read; a folder whose files are unchanged since the last
/// read is not decoded again. The time spent reading is not counted
/// against the script's time limit (it is not script code). Files left out
/// of a readable folder are said when the folder is added.
fn read_samples_folder(s: &Shared, dir: &std::path::Path) -> Res<Arc<crate::sound::SampleFolder>> {
    use crate::sound::SampleFolder;
    use std::sync::atomic::Ordering;
    let started = std::time::Instant::now();
    // A folder under a datasheet plays only with `perform` consent.
    if let Err(e) = crate::model::trained::consent::check_sound_folder(dir) {
        return fail(format!("samples: {}: {e}", dir.display()));
    }
    let rate = match s.sample_rate.load(Ordering::Relaxed) {
        0 => crate::sound::DEFAULT_SAMPLE_RATE,
        r => r,
    };
    let known = s
        .sample_folders
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(dir)
        .cloned();
    let read = match known {
        Some(folder) => SampleFolder::reread(&folder, rate),
        None => SampleFolder::read(dir, rate),
    };
    let spent = started.elapsed().as_nanos().min(u64::MAX as u128) as u64;
    let _ = s
        .deadline
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
            Some(d.saturating_add(spent))
        });
    let folder = Arc::new(read.or_else(|e| fail(format!("samples: {e}")))?);
    let mut kept = s.sample_folders.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() >= MAX_KEPT_FOLDERS && !kept.contains_key(dir) {
        kept.clear();
    }
    kept.insert(dir.to_path_buf(), folder.clone());
    Ok(folder)
}

/// Fails the evaluation that asked for `model_load(name, file)` when the
/// resolved `file` is not a regular file, naming it. A file that is there
/// but is not a TorchScript model only fails when the control thread loads
/// it (an error notice; the version has applied).
fn check_model_file(file: &std::path::Path) -> Res<()> {
    match std::fs::metadata(file) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => fail(format!("model_load: {} is not a file", file.display())),
        Err(e) => fail(format!("model_load: cannot read {}: {e}", file.display())),
    }
}

/// `midi_events()`, `midi_learn(…)`, `midi_forget`, `midi_follow`,
/// `midi_clock`, and the loop methods `.midi(ch[, note])`, `.midi_only(ch[, note])`.
fn register_midi(engine: &mut Engine, shared: &Arc<Shared>) {
    let s = shared.clone();
    engine.register_fn("midi_events", move || -> rhai::Array {
        let read: Vec<rhai::Map> = s.midi_events().drain(..).collect();
        s.collected().midi_events_read.extend(read.iter().cloned());
        read.into_iter().map(Dynamic::from).collect()
    });
    let s = shared.clone();
    engine.register_fn("midi_learn", move |target: &str| {
        s.collected().midi_requests.push(format!("learn {target}"));
    });
    for curve in [false, true] {
        let s = shared.clone();
        let f = move |target: &str, min: Dynamic, max: Dynamic, c: &str| -> Res<()> {
            let (a, b) = (number(&min)?, number(&max)?);
            s.collected()
                .midi_requests
                .push(format!("learn {target} {a} {b} {c}"));
            Ok(())
        };
        if curve {
            engine.register_fn("midi_learn", f);
        } else {
            engine.register_fn("midi_learn", move |t: &str, a: Dynamic, b: Dynamic| {
                f(t, a, b, "lin")
            });
        }
    }
    let s = shared.clone();
    engine.register_fn("midi_forget", move |target: &str| {
        s.collected().midi_requests.push(format!("forget {target}"));
    });
    let s = shared.clone();
    engine.register_fn("midi_follow", move |on: bool| {
        s.collected().midi_requests.push(format!("follow {on}"));
    });
    let s = shared.clone();
    engine.register_fn("midi_clock", move |on: bool| {
        s.collected().midi_requests.push(format!("clock {on}"));
    });
    for (name, word) in [
        ("link", "join"),
        ("link_start_stop", "start_stop"),
        ("link_play", "play"),
    ] {
        let s = shared.clone();
        engine.register_fn(name, move |on: bool| {
            s.collected().link_requests.push(format!("{word} {on}"));
        });
    }
    let s = shared.clone();
    engine.register_fn("link_quantum", move |q: Dynamic| -> Res<()> {
        let q = number(&q)?;
        s.collected().link_requests.push(format!("quantum {q}"));
        Ok(())
    });
    for (name, voices) in [("midi", true), ("midi_only", false)] {
        let s = shared.clone();
        let set = move |l: &LoopRef, ch: i64, note: Option<i64>| -> Res<LoopRef> {
            if !(1..=16).contains(&ch) {
                return fail(format!("{name}({ch}): MIDI channels are 1 to 16"));
            }
            if note.is_some_and(|n| !(0..=127).contains(&n)) {
                return fail(format!("{name}: notes are 0 to 127"));
            }
            if let Some(e) = s.collected().loops.get_mut(&l.name) {
                e.def.midi = Some(crate::schedule::LoopMidi {
                    channel: ch as u8,
                    note: note.map(|n| n as u8),
                    voices,
                });
            }
            Ok(l.clone())
        };
        let set2 = set.clone();
        engine.register_fn(name, move |l: &mut LoopRef, ch: i64| set(l, ch, None));
        engine.register_fn(name, move |l: &mut LoopRef, ch: i64, note: i64| {
            set2(l, ch, Some(note))
        });
    }
}

/// A loop setting checked by its rule ([`values`]): a value outside it is
/// refused with the loop's name, the value and the range, and the loop
/// keeps its previous setting.
fn register_setter(
    engine: &mut Engine,
    shared: &Arc<Shared>,
    rule: values::Rule,
    apply: fn(&mut LoopDef, f64),
) {
    let s = shared.clone();
    let set = move |l: &LoopRef, v: f64| -> Res<LoopRef> {
        let v = rule.check(v).or_else(|e| fail(l.in_loop(e)))?;
        if let Some(e) = s.collected().loops.get_mut(&l.name) {
            apply(&mut e.def, v);
        }
        Ok(l.clone())
    };
    let set_int = set.clone();
    engine.register_fn(rule.name, move |l: &mut LoopRef, v: f64| set(l, v));
    engine.register_fn(rule.name, move |l: &mut LoopRef, v: i64| {
        set_int(l, v as f64)
    });
}

impl LoopRef {
    /// `loop 'NAME': ` in front of a message.
    pub(super) fn in_loop(&self, e: impl std::fmt::Display) -> String {
        format!("loop '{}': {e}", self.name)
    }
}

/// A tempo octave by [`values::OCTAVE`].
fn octave(k: i64) -> Result<TempoOctave, Box<dyn std::error::Error>> {
    values::OCTAVE.check(k as f64)?;
    Ok(TempoOctave::new(k)?)
}

/// A number from a script checked by `rule`, as an exact rational (`2`,
/// `1.5`, `"3/2"`). A float is read as the decimal it prints as (up to 9
/// decimals, so `0.00390625` is exactly 1/256), else to a billionth; write
/// `"1/3"` for an exact third. The rule is checked on the number given, so
/// every entry refuses the same values with the same message.
pub(super) fn exact(v: &Dynamic, rule: values::Rule) -> Res<crate::time::Rational> {
    let text = v.clone().try_cast::<String>();
    let decimal = match &text {
        Some(t) => t.trim().parse::<f64>().ok(),
        None => Some(number(v)?),
    };
    if let Some(f) = decimal {
        let f = rule.check(f).or_else(|e| fail(e.to_string()))?;
        if f == 0.0 {
            return Ok(crate::time::q(0, 1));
        }
        return Ok(Transform::parse_factor(&f.to_string())
            .unwrap_or_else(|_| crate::time::q((f * 1e9).round() as i128, 1_000_000_000)));
    }
    let text = text.unwrap_or_default();
    Transform::parse_factor(&text).or_else(|e| fail(format!("{}: {e}", rule.name)))
}

pub(super) fn number(v: &Dynamic) -> Res<f64> {
    v.as_float()
        .or_else(|_| v.as_int().map(|i| i as f64))
        .or_else(|_| fail(format!("expected a number, got {}", v.type_name())))
}

/// Adds a transform to a loop, refusing it (and leaving the loop as it was)
/// when the loop would pass [`crate::pattern::MAX_EVENTS_PER_CYCLE`] or
/// [`crate::pattern::MAX_TRANSFORMS`].
pub(super) fn add_transform(s: &Shared, l: &LoopRef, t: Transform) -> Res<()> {
    let mut collected = s.collected();
    let Some(e) = collected.loops.get_mut(&l.name) else {
        return Ok(());
    };
    e.def.transforms.push(t);
    if let Err(message) = e.def.check_size() {
        e.def.transforms.pop();
        return fail(message);
    }
    Ok(())
}

/// Changes the settings of the loop `l` names (nothing when it was
/// stopped since it was defined).
pub(super) fn edit_loop(s: &Shared, l: &LoopRef, edit: impl FnOnce(&mut LoopDef)) {
    if let Some(e) = s.collected().loops.get_mut(&l.name) {
        edit(&mut e.def);
    }
}

/// The text of a runtime error made by [`fail`].
pub(super) fn message(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorRuntime(d, _) => d.to_string(),
        other => other.to_string(),
    }
}

pub(super) fn checked(t: Transform) -> Res<Transform> {
    t.check().or_else(|e| fail(e.to_string()))?;
    Ok(t)
}

/// Makes a transform from a script's arguments.
pub(super) type Make = fn(&[Dynamic]) -> Res<Transform>;

/// Transforms: free functions make a `Transform` value (for `every`), loop
/// methods of the same name add one to the loop, and methods on a
/// [`super::functions::Chain`] (the `p` of `|p| p.fast(2)`) add one to it.
fn register_transforms(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<Transform>("Transform");
    let makers: [(&str, usize, Make); 9] = [
        ("fast", 1, |a| {
            checked(Transform::Fast(exact(&a[0], values::FAST)?))
        }),
        ("slow", 1, |a| {
            checked(Transform::Slow(exact(&a[0], values::SLOW)?))
        }),
        ("shift", 1, |a| {
            let k = values::SHIFT
                .check(number(&a[0])?)
                .or_else(|e| fail(e.to_string()))?;
            checked(Transform::Shift(k as i64))
        }),
        ("rev", 0, |_| Ok(Transform::Rev)),
        ("degrade", 1, |a| {
            checked(Transform::Degrade(number(&a[0])?))
        }),
        ("humanise", 2, |a| {
            checked(Transform::Humanise {
                timing: exact(&a[0], values::HUMANISE_TIMING)?,
                velocity: number(&a[1])?,
            })
        }),
        ("swing", 1, |a| {
            checked(Transform::Swing(exact(&a[0], values::SWING)?))
        }),
        ("layer", 1, |a| {
            let text = a[0]
                .clone()
                .into_string()
                .or_else(|t| fail(format!("layer needs a pattern string, got {t}")))?;
            let p = Pattern::parse(&text)
                .or_else(|e| fail(format!("layer pattern {e} in \"{text}\"")))?;
            Ok(Transform::Layer(p))
        }),
        ("velocity", 1, |a| checked(Transform::Gain(number(&a[0])?))),
    ];
    for (name, arity, make) in makers {
        register_maker(engine, shared, name, arity, make);
    }
    let s = shared.clone();
    engine.register_fn(
        "every",
        move |l: &mut LoopRef, n: i64, t: Transform| -> Res<LoopRef> {
            let every = checked(Transform::Every {
                n,
                offset: 0,
                transform: Box::new(t),
            })
            .or_else(|e| fail(l.in_loop(message(&e))))?;
            add_transform(&s, l, every)?;
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "every",
        move |l: &mut LoopRef, n: i64, offset: i64, t: Transform| -> Res<LoopRef> {
            let every = checked(Transform::Every {
                n,
                offset,
                transform: Box::new(t),
            })
            .or_else(|e| fail(l.in_loop(message(&e))))?;
            add_transform(&s, l, every)?;
            Ok(l.clone())
        },
    );
}

/// Model functions: each becomes a [`ModelOp`] the control thread carries out
/// (live) or the offline renderer (`output::offline_models`) carries out.
fn register_models(engine: &mut Engine, shared: &Arc<Shared>) {
    use crate::model::torchscript::AttrValue;
    use crate::schedule::ModelOp;
    fn push(s: &Shared, op: ModelOp) {
        s.collected().changes.push(Change::Model(op));
    }
    /// `file` where it really lies, by loam's one path rule
    /// ([`crate::data::paths`]).
    fn model_path(s: &Shared, file: &str) -> Res<PathBuf> {
        read_path(s, "model_load", file)
    }
    let s = shared.clone();
    engine.register_fn("model_load", move |name: &str, file: &str| -> Res<()> {
        let path = model_path(&s, file)?;
        check_model_file(&path)?;
        push(
            &s,
            ModelOp::Load {
                name: name.into(),
                path,
                route: None,
            },
        );
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn(
        "model_load",
        move |name: &str, file: &str, route: &str| -> Res<()> {
            let path = model_path(&s, file)?;
            check_model_file(&path)?;
            push(
                &s,
                ModelOp::Load {
                    name: name.into(),
                    path,
                    route: Some(route.into()),
                },
            );
            Ok(())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "model_latent",
        move |name: &str, values: rhai::Array| -> Res<()> {
            // Signals among the values: the control thread reads them in
            // musical time (`control/signal_drivers.rs`).
            if values
                .iter()
                .any(|v| v.is::<crate::pattern::signal::Signal>())
            {
                let values = values
                    .iter()
                    .map(
                        |v| match v.clone().try_cast::<crate::pattern::signal::Signal>() {
                            Some(sig) => Ok(crate::schedule::LatentValue::Signal(sig)),
                            None => number(v).map(crate::schedule::LatentValue::Number),
                        },
                    )
                    .collect::<Res<Vec<_>>>()?;
                push(
                    &s,
                    ModelOp::LatentSignals {
                        name: name.into(),
                        values,
                    },
                );
                return Ok(());
            }
            let values = values.iter().map(number).collect::<Res<Vec<f64>>>()?;
            push(
                &s,
                ModelOp::Latent {
                    name: name.into(),
                    values,
                },
            );
            Ok(())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "model_shape",
        move |name: &str, dim: i64, offset: Dynamic, scale: Dynamic| -> Res<()> {
            let dim = usize::try_from(dim)
                .or_else(|_| fail(format!("model_shape: dimension {dim} is negative")))?;
            push(
                &s,
                ModelOp::Shape {
                    name: name.into(),
                    dim,
                    offset: number(&offset)?,
                    scale: number(&scale)?,
                },
            );
            Ok(())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "model_set",
        move |name: &str, attr: &str, value: Dynamic| -> Res<()> {
            let v = if let Ok(b) = value.as_bool() {
                AttrValue::Bool(b)
            } else if let Ok(i) = value.as_int() {
                AttrValue::Int(i)
            } else if let Ok(f) = value.as_float() {
                AttrValue::Float(f)
            } else if let Some(t) = value.clone().try_cast::<String>() {
                AttrValue::Str(t)
            } else {
                return fail(format!(
                    "model_set: {} is not a bool, number or string",
                    value.type_name()
                ));
            };
            push(
                &s,
                ModelOp::Set {
                    name: name.into(),
                    attr: attr.into(),
                    values: vec![v],
                },
            );
            Ok(())
        },
    );
    let s = shared.clone();
    engine.register_fn("model_gain", move |name: &str, gain: Dynamic| -> Res<()> {
        push(
            &s,
            ModelOp::Gain {
                name: name.into(),
                gain: number(&gain)? as f32,
                pan: 0.0,
            },
        );
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("model_input", move |name: &str, sound: &str| {
        push(
            &s,
            ModelOp::Input {
                name: name.into(),
                sound: sound.into(),
            },
        );
    });
    let s = shared.clone();
    engine.register_fn("model_unload", move |name: &str| {
        push(&s, ModelOp::Unload { name: name.into() });
    });
}

/// Registers one transform maker of `arity` (0 to 3) arguments three ways:
/// a free function giving the transform, a loop method adding it to the
/// loop (a refused value names the loop), and a method on a function's
/// [`super::functions::Chain`].
pub(super) fn register_maker(
    engine: &mut Engine,
    shared: &Arc<Shared>,
    name: &'static str,
    arity: usize,
    make: Make,
) {
    use super::functions::Chain;
    let s = shared.clone();
    let push = move |l: &LoopRef, args: &[Dynamic]| -> Res<LoopRef> {
        let t = make(args).or_else(|e| fail(l.in_loop(message(&e))))?;
        add_transform(&s, l, t)?;
        Ok(l.clone())
    };
    let chain = move |c: &mut Chain, args: &[Dynamic]| -> Res<Chain> {
        c.push(make(args)?)?;
        Ok(c.clone())
    };
    match arity {
        0 => {
            engine.register_fn(name, move || make(&[]));
            engine.register_fn(name, move |l: &mut LoopRef| push(l, &[]));
            engine.register_fn(name, move |c: &mut Chain| chain(c, &[]));
        }
        1 => {
            engine.register_fn(name, move |a: Dynamic| make(&[a]));
            engine.register_fn(name, move |l: &mut LoopRef, a: Dynamic| push(l, &[a]));
            engine.register_fn(name, move |c: &mut Chain, a: Dynamic| chain(c, &[a]));
        }
        2 => {
            engine.register_fn(name, move |a: Dynamic, b: Dynamic| make(&[a, b]));
            engine.register_fn(name, move |l: &mut LoopRef, a: Dynamic, b: Dynamic| {
                push(l, &[a, b])
            });
            engine.register_fn(name, move |c: &mut Chain, a: Dynamic, b: Dynamic| {
                chain(c, &[a, b])
            });
        }
        _ => {
            engine.register_fn(name, move |a: Dynamic, b: Dynamic, d: Dynamic| {
                make(&[a, b, d])
            });
            engine.register_fn(
                name,
                move |l: &mut LoopRef, a: Dynamic, b: Dynamic, d: Dynamic| push(l, &[a, b, d]),
            );
            engine.register_fn(
                name,
                move |c: &mut Chain, a: Dynamic, b: Dynamic, d: Dynamic| chain(c, &[a, b, d]),
            );
        }
    }
}
