//! The functions a performance script can call.
//!
//! | call | effect |
//! |---|---|
//! | `tempo(bpm)` / `tempo(bpm, "e")` | tempo in the metre's beat, or in a named note value (next bar) |
//! | `metre("2+2+3/8")` | metre (next bar) |
//! | `tempo_now(bpm)` / `metre_now("7/8")` | from `loam eval` or a reload: now, with no phase jump (a metre cuts the bar at the next group boundary) |
//! | `octave(k)` | global tempo octave −2..2 (next bar where the grids meet) |
//! | `seed(n)` | seed for every random choice in patterns |
//! | `samples("folder")` | load WAVs (`folder/NAME/*.wav`, `folder/NAME.wav`) |
//! | `live_loop("name", "pattern")` | define or replace a loop; returns it for chaining |
//! | `.gain(g)` `.pan(p)` `.rate(r)` `.legato(l)` `.octave(k)` | loop settings |
//! | `live_loop("name", \|n\| …)` | a loop whose function returns its pattern before each bar `n` |
//! | `.fast(x)` `.slow(x)` `.shift(pulses)` `.rev()` `.degrade(p)` `.humanise(pulses, vel)` `.swing(a)` `.layer("pattern")` `.velocity(g)` | pattern transforms, applied in order |
//! | `.every(n, fast(2))` / `.every(n, offset, rev())` | a transform on every n-th cycle |
//! | `stop_loop("name")` | stop a loop at its next boundary |
//! | `model_load("name", "file.ts" [, "decode"\|"forward"\|"encode-decode"])` | load an nn~/RAVE TorchScript model as a voice (live only) |
//! | `model_latent("name", [z0, z1, …])` `model_shape("name", dim, offset, scale)` | steer its latent space |
//! | `model_set("name", "attr", value)` `model_gain("name", g)` `model_unload("name")` | attributes, level, unload |
//! | `model_input("name", "sound")` | loop a sound into the model's input (`forward`, `encode-decode`: its latent is then read with `model_latent_now`); `""` stops |
//! | `quantum(bars)` | loop changes wait for a multiple of this many bars |
//! | `set("key", value)` / `get("key")` | a store that keeps values between bars and reloads |
//! | `ctrl("name")` / `ctrl("name", default)` | a named control set over OSC or MIDI |
//! | `midi_events()` | MIDI messages since the last call: maps with `type`, `channel`, `note`, `velocity`, `cc`, `value`, `time` |
//! | `midi_learn("target")` / `midi_learn("target", min, max[, "exp"])` / `midi_forget("target")` | bind the next control moved (see [`crate::midi::learn`]) |
//! | `midi_follow(true)` / `midi_clock(true)` | follow an external clock; send clock out |
//! | `.midi(ch)` `.midi(ch, note)` `.midi_only(ch)` | a loop's events as MIDI notes, beside or instead of its voices |

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Position};

use crate::pattern::{Pattern, Transform};
use crate::schedule::{Change, LoopDef};
use crate::time::{Metre, NoteValue, Tempo, TempoOctave};

/// What running script code produced: changes, loops defined, messages.
#[derive(Default, Debug)]
pub struct Collected {
    pub changes: Vec<Change>,
    /// Loops defined (by name) during this evaluation, with their final settings.
    pub loops: BTreeMap<String, LoopEntry>,
    pub messages: Vec<String>,
}

/// State shared between the registered functions and the host.
#[derive(Default)]
pub struct Shared {
    pub collected: Mutex<Collected>,
    /// `set`/`get` values, at most [`super::store::MAX_STORE_BYTES`] in all.
    pub store: Mutex<super::store::Store>,
    /// Named controls set from outside (OSC `/set`, MIDI), read with `ctrl`.
    pub controls: Mutex<BTreeMap<String, f64>>,
    /// MIDI messages not yet read with `midi_events()` (oldest dropped past
    /// [`MAX_MIDI_EVENTS`]).
    pub midi_events: Mutex<std::collections::VecDeque<rhai::Map>>,
    /// `midi_learn`, `midi_follow`, … requests for the MIDI part of the control thread.
    pub midi_requests: Mutex<Vec<String>>,
    /// The script's folder: models and data are read from here.
    pub base_dir: Mutex<PathBuf>,
    /// Step models, latent frames and the metre, for [`super::trained`].
    pub trained: super::trained::TrainedShared,
}

/// `written` where it really lies, by loam's one path rule
/// ([`crate::data::paths`]): relative to the script's folder, inside it or
/// a `--library` folder once links are followed, and existing.
fn read_path(s: &Shared, call: &str, written: &str) -> Res<PathBuf> {
    let base = s.base_dir.lock().unwrap_or_else(|p| p.into_inner()).clone();
    crate::data::paths::ReadRoots::for_script(&base)
        .resolve(call, written)
        .or_else(fail)
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

    /// `count` steps of the step model the script loaded as `name`.
    pub fn step_model(
        &self,
        name: &str,
        count: usize,
    ) -> Result<Vec<super::trained::StepInfo>, String> {
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

    pub fn collected(&self) -> MutexGuard<'_, Collected> {
        self.collected.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(&self) -> MutexGuard<'_, super::store::Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn controls(&self) -> MutexGuard<'_, BTreeMap<String, f64>> {
        self.controls.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn midi_events(&self) -> MutexGuard<'_, std::collections::VecDeque<rhai::Map>> {
        self.midi_events.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn midi_requests(&self) -> MutexGuard<'_, Vec<String>> {
        self.midi_requests.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A loop defined by a script: its settings, and a function that gives its
/// pattern before each bar (when it was defined with one).
#[derive(Clone, Debug)]
pub struct LoopEntry {
    pub def: LoopDef,
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
        let k = TempoOctave::new(k).or_else(fail)?;
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
        s.collected().changes.push(Change::Samples(path));
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn(
        "live_loop",
        move |name: &str, pattern: &str| -> Res<LoopRef> {
            let parsed = Pattern::parse(pattern)
                .or_else(|e| fail(format!("pattern of loop '{name}': {e} in \"{pattern}\"")))?;
            let def = LoopDef::new(name, pattern, parsed);
            def.check_size().or_else(fail)?;
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
    register_setter(engine, shared, "gain", |d, v| d.gain = v.max(0.0) as f32);
    register_setter(engine, shared, "pan", |d, v| {
        d.pan = v.clamp(-1.0, 1.0) as f32
    });
    register_setter(engine, shared, "rate", |d, v| {
        d.rate = if v > 0.0 { v as f32 } else { 1.0 }
    });
    register_setter(engine, shared, "legato", |d, v| {
        d.legato = (v > 0.0).then_some(v)
    });
    let s = shared.clone();
    engine.register_fn("octave", move |l: &mut LoopRef, k: i64| -> Res<LoopRef> {
        let k = TempoOctave::new(k).or_else(fail)?;
        if let Some(e) = s.collected().loops.get_mut(&l.name) {
            e.def.octave = k;
        }
        Ok(l.clone())
    });

    register_transforms(engine, shared);
    register_models(engine, shared);
    super::trained::register(engine, shared);

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

/// `midi_events()`, `midi_learn(…)`, `midi_forget`, `midi_follow`,
/// `midi_clock`, and the loop methods `.midi(ch[, note])`, `.midi_only(ch[, note])`.
fn register_midi(engine: &mut Engine, shared: &Arc<Shared>) {
    let s = shared.clone();
    engine.register_fn("midi_events", move || -> rhai::Array {
        s.midi_events().drain(..).map(Dynamic::from).collect()
    });
    let s = shared.clone();
    engine.register_fn("midi_learn", move |target: &str| {
        s.midi_requests().push(format!("learn {target}"));
    });
    for curve in [false, true] {
        let s = shared.clone();
        let f = move |target: &str, min: Dynamic, max: Dynamic, c: &str| -> Res<()> {
            let (a, b) = (number(&min)?, number(&max)?);
            s.midi_requests()
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
        s.midi_requests().push(format!("forget {target}"));
    });
    let s = shared.clone();
    engine.register_fn("midi_follow", move |on: bool| {
        s.midi_requests().push(format!("follow {on}"));
    });
    let s = shared.clone();
    engine.register_fn("midi_clock", move |on: bool| {
        s.midi_requests().push(format!("clock {on}"));
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
                e.def.midi = Some(crate::midi::LoopMidi {
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

fn register_setter(
    engine: &mut Engine,
    shared: &Arc<Shared>,
    name: &'static str,
    apply: fn(&mut LoopDef, f64),
) {
    let s = shared.clone();
    engine.register_fn(name, move |l: &mut LoopRef, v: f64| -> LoopRef {
        if let Some(e) = s.collected().loops.get_mut(&l.name) {
            apply(&mut e.def, v);
        }
        l.clone()
    });
    let s = shared.clone();
    engine.register_fn(name, move |l: &mut LoopRef, v: i64| -> LoopRef {
        if let Some(e) = s.collected().loops.get_mut(&l.name) {
            apply(&mut e.def, v as f64);
        }
        l.clone()
    });
}

/// A number from a script as an exact factor (`2`, `1.5`, `"3/2"`).
fn factor(v: &Dynamic) -> Res<crate::time::Rational> {
    let text = if let Ok(i) = v.as_int() {
        i.to_string()
    } else if let Ok(f) = v.as_float() {
        // Floats are kept to a millionth; write "1/3" for an exact third.
        let t = format!("{f:.6}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else if let Some(s) = v.clone().try_cast::<String>() {
        s
    } else {
        return fail(format!("expected a number, got {}", v.type_name()));
    };
    Transform::parse_factor(&text).or_else(|e| fail(e.to_string()))
}

pub(super) fn number(v: &Dynamic) -> Res<f64> {
    v.as_float()
        .or_else(|_| v.as_int().map(|i| i as f64))
        .or_else(|_| fail(format!("expected a number, got {}", v.type_name())))
}

/// Adds a transform to a loop, refusing it (and leaving the loop as it was)
/// when the loop would pass [`crate::pattern::MAX_EVENTS_PER_CYCLE`] or
/// [`crate::pattern::MAX_TRANSFORMS`].
fn add_transform(s: &Shared, l: &LoopRef, t: Transform) -> Res<()> {
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

fn checked(t: Transform) -> Res<Transform> {
    t.check().or_else(|e| fail(e.to_string()))?;
    Ok(t)
}

/// Transforms: free functions make a `Transform` value (for `every`), loop
/// methods of the same name add one to the loop.
fn register_transforms(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<Transform>("Transform");
    type Make = fn(&[Dynamic]) -> Res<Transform>;
    let makers: [(&str, usize, Make); 9] = [
        ("fast", 1, |a| checked(Transform::Fast(factor(&a[0])?))),
        ("slow", 1, |a| checked(Transform::Slow(factor(&a[0])?))),
        ("shift", 1, |a| {
            Ok(Transform::Shift(number(&a[0])?.round() as i64))
        }),
        ("rev", 0, |_| Ok(Transform::Rev)),
        ("degrade", 1, |a| {
            checked(Transform::Degrade(number(&a[0])?))
        }),
        ("humanise", 2, |a| {
            let timing = factor(&Dynamic::from(format!("{}", number(&a[0])?)))
                .or_else(|_| Ok::<_, Box<EvalAltResult>>(crate::time::q(0, 1)))?;
            checked(Transform::Humanise {
                timing,
                velocity: number(&a[1])?,
            })
        }),
        ("swing", 1, |a| checked(Transform::Swing(factor(&a[0])?))),
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
        let s = shared.clone();
        let push = move |l: &LoopRef, t: Transform| -> Res<LoopRef> {
            add_transform(&s, l, t)?;
            Ok(l.clone())
        };
        match arity {
            0 => {
                engine.register_fn(name, move || make(&[]));
                engine.register_fn(name, move |l: &mut LoopRef| -> Res<LoopRef> {
                    push(l, make(&[])?)
                });
            }
            1 => {
                engine.register_fn(name, move |a: Dynamic| make(&[a]));
                let push1 = push.clone();
                engine.register_fn(name, move |l: &mut LoopRef, a: Dynamic| -> Res<LoopRef> {
                    push1(l, make(&[a])?)
                });
            }
            _ => {
                engine.register_fn(name, move |a: Dynamic, b: Dynamic| make(&[a, b]));
                engine.register_fn(
                    name,
                    move |l: &mut LoopRef, a: Dynamic, b: Dynamic| -> Res<LoopRef> {
                        push(l, make(&[a, b])?)
                    },
                );
            }
        }
    }
    let s = shared.clone();
    engine.register_fn(
        "every",
        move |l: &mut LoopRef, n: i64, t: Transform| -> Res<LoopRef> {
            let every = checked(Transform::Every {
                n,
                offset: 0,
                transform: Box::new(t),
            })?;
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
            })?;
            add_transform(&s, l, every)?;
            Ok(l.clone())
        },
    );
}

/// Model functions: each becomes a [`ModelOp`] the control thread carries out
/// (models play only live).
fn register_models(engine: &mut Engine, shared: &Arc<Shared>) {
    use crate::control::models::ModelOp;
    use crate::model::torchscript::AttrValue;
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
