//! Pitch and tuning functions: what a loop's note names, numbers and
//! degrees play, and on which voice.
//!
//! | call | effect |
//! |---|---|
//! | `tuning("53-edo")` / `tuning("file.scl")` / `tuning("file.scl", "file.kbm")` / `tuning(["1/1", "9/8", "5/4"])` / `tuning("none")` | the session's tuning for loops without their own (next bar); with a tuning, whole numbers in patterns are degrees from the root |
//! | `.tuning(…)` | the same, for one loop |
//! | `.scale("major")` / `.scale("rast")` / `.scale("0 9 17 22 31 40 48")` / `.scale([0, 2, 4])` | the degrees a loop's numbers walk (see [`crate::pitch::scale`]) |
//! | `.root("d4")` / `.root(62)` / `.root(62.5)` | degree 0's MIDI key (default 60, 261.6256 Hz) |
//! | `.transpose(steps)` / `.octave_shift(k)` | move every pitch by steps of the tuning / by periods |
//! | `transpose(steps)` / `octave_shift(k)` as transforms (`.every(2, transpose(9))`, `.sometimes(\|p\| p.octave_shift(1))`, `.within(0, 0.5, \|p\| p.transpose(-5))`) | move the notes they reach, on top of the loop's settings (see [`crate::pattern::Transform::Transpose`]) |
//! | `.note()` | every word is a pitch, even one a sample is named after |
//! | `.voice("synth" \| "pulse" \| "pluck" \| "fm" \| "sample:n")` | the voice pitched notes play (default `synth`); a sample plays at `f / f_root` |
//! | `.sample_root("c4")` / `.sample_root(60)` | the key a sample voice sounds at its own rate (default: the WAV's `smpl` root note, else 60) |
//! | `.attack(s)` `.decay(s)` `.sustain(l)` `.release(s)` `.cutoff(hz)` `.resonance(r)` | the voice's envelope (seconds to −60 dB) and low-pass |
//!
//! Ratios: write them as strings (`"9/8"`) to keep them exact; in rhai
//! `9/8` is a whole-number division (1). A malformed Scala file is an
//! error naming the file and line; the version fails and every loop
//! keeps its previous tuning.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine};

use super::api::{checked, edit_loop, fail, read_path, LoopRef, Res, Shared};
use super::functions::Chain;
use crate::pattern::Transform;
use crate::pitch::note_name::{fractional_key, note_key, whole};
use crate::pitch::{read_kbm, read_scl, Scale, Tuning};
use crate::schedule::{Change, VoiceChoice};
use crate::sound::tone::Timbre;
use crate::time::Rational;

/// Seconds an envelope stage may last (`attack`, `decay`, `release`).
pub const MAX_ENVELOPE_SECONDS: f64 = 60.0;

/// The furthest `.transpose(steps)` and `.octave_shift(k)` move (the
/// loop settings and the pattern transforms share the limits).
pub use crate::pitch::loop_pitch::{MAX_OCTAVE_SHIFT, MAX_TRANSPOSE_STEPS};

/// A tuning from a script's argument; `Ok(None)` for `"none"`.
fn tuning_of(s: &Shared, call: &str, v: &Dynamic, kbm: Option<&str>) -> Res<Option<Arc<Tuning>>> {
    let tuning = if let Some(text) = v.clone().try_cast::<String>() {
        let text = text.trim().to_string();
        if text == "none" && kbm.is_none() {
            return Ok(None);
        }
        match Tuning::parse_edo(&text) {
            Some(t) => t.or_else(|e| fail(format!("{call}: {e}")))?,
            None if text.to_ascii_lowercase().ends_with(".scl") => {
                let path = read_path(s, call, &text)?;
                read_scl(&path).or_else(|e| fail(format!("{call}: {e}")))?
            }
            None => {
                return fail(format!(
                    "{call}: unknown tuning {text:?}: give \"n-edo\" (\"53-edo\"), a Scala file (\"file.scl\"), a list of ratios ([\"1/1\", \"9/8\", …]) or \"none\""
                ))
            }
        }
    } else if let Some(list) = v.clone().try_cast::<Array>() {
        let mut ratios = Vec::with_capacity(list.len());
        for (i, r) in list.iter().enumerate() {
            let ratio = ratio_of(r).or_else(|e| fail(format!("{call}: ratio {}: {e}", i + 1)))?;
            if i > 0 && ratio == Rational::from_integer(1) {
                return fail(format!(
                    "{call}: ratio {} is 1; write ratios as strings (\"9/8\"): in a script 9/8 divides whole numbers and gives 1",
                    i + 1
                ));
            }
            ratios.push(ratio);
        }
        Tuning::from_ratios("ratios", &ratios).or_else(|e| fail(format!("{call}: {e}")))?
    } else {
        return fail(format!(
            "{call}: expected a tuning name, a .scl file or a list of ratios, got {}",
            v.type_name()
        ));
    };
    let tuning = match kbm {
        None => tuning,
        Some(file) => {
            let path = read_path(s, call, file)?;
            let map = read_kbm(&path).or_else(|e| fail(format!("{call}: {e}")))?;
            let size = tuning.size();
            if map.degree_of(map.reference_key, size).is_none() {
                return fail(format!(
                    "{call}: {}: the reference key {} is not mapped",
                    path.display(),
                    map.reference_key
                ));
            }
            tuning.with_keyboard(map)
        }
    };
    Ok(Some(Arc::new(tuning)))
}

/// A ratio: a string (`"9/8"`, `"1.5"`) exactly, a whole number, or a float read as its decimal.
fn ratio_of(v: &Dynamic) -> Result<Rational, String> {
    let text = match v.clone().try_cast::<String>() {
        Some(t) => t,
        None => match (v.as_int(), v.as_float()) {
            (Ok(i), _) => i.to_string(),
            (_, Ok(f)) => f.to_string(),
            _ => {
                return Err(format!(
                    "expected a ratio like \"9/8\", got {}",
                    v.type_name()
                ))
            }
        },
    };
    Transform::parse_factor(&text).map_err(|e| e.message)
}

/// A MIDI key from a note name (`"d4"`), a number (`62`, `62.5`, `"62.5"`).
fn key_of(v: &Dynamic) -> Result<Rational, String> {
    if let Ok(i) = v.as_int() {
        return Ok(Rational::from_integer(i as i128));
    }
    let text = match v.clone().try_cast::<String>() {
        Some(t) => t,
        None => match v.as_float() {
            Ok(f) => format!("{f:.6}"),
            Err(_) => {
                return Err(format!(
                    "expected a note name or MIDI number, got {}",
                    v.type_name()
                ))
            }
        },
    };
    let key = note_key(&text)
        .map(|k| Rational::from_integer(k as i128))
        .or_else(|| fractional_key(&text))
        .or_else(|| whole(&text).map(|k| Rational::from_integer(k as i128)))
        .ok_or_else(|| format!("{text:?} is not a note name (c4, eb4, f#3) or MIDI number"))?;
    if key < Rational::from_integer(0) || key > Rational::from_integer(127) {
        return Err(format!("key {text} is outside MIDI keys 0 to 127"));
    }
    Ok(key)
}

/// A number in `lo..=hi`, named `what` in the message.
fn within(v: &Dynamic, what: &str, lo: f64, hi: f64, unit: &str) -> Res<f64> {
    let x = v
        .as_float()
        .or_else(|_| v.as_int().map(|i| i as f64))
        .or_else(|_| fail(format!("{what}: expected a number, got {}", v.type_name())))?;
    if !x.is_finite() || x < lo || x > hi {
        return fail(format!("{what} {x}: give {lo} to {hi}{unit}"));
    }
    Ok(x)
}

/// The `smpl` root key of sound `name` (variant `variant`, wrapping) in
/// the sample folders read so far, if its WAV file has one.
fn sample_file_root(s: &Shared, name: &str, variant: u32) -> Option<f64> {
    let folders = s.sample_folders.lock().unwrap_or_else(|p| p.into_inner());
    let source = folders.values().rev().find_map(|f| {
        let variants = f.sounds.get(name)?;
        let sample = variants.get(variant as usize % variants.len().max(1))?;
        Some(sample.source.clone())
    })?;
    drop(folders);
    crate::sound::smpl::smpl_root(std::path::Path::new(&source))
}

/// Registers the pitch functions.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    let s = shared.clone();
    engine.register_fn("tuning", move |v: Dynamic| -> Res<()> {
        let t = tuning_of(&s, "tuning", &v, None)?;
        s.collected().changes.push(Change::Tuning(t));
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("tuning", move |scl: &str, kbm: &str| -> Res<()> {
        let t = tuning_of(&s, "tuning", &Dynamic::from(scl.to_string()), Some(kbm))?;
        s.collected().changes.push(Change::Tuning(t));
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn(
        "tuning",
        move |l: &mut LoopRef, v: Dynamic| -> Res<LoopRef> {
            let t = tuning_of(&s, "tuning", &v, None)
                .or_else(|e| fail(l.in_loop(super::api::message(&e))))?;
            edit_loop(&s, l, |d| d.pitch.tuning = t);
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "tuning",
        move |l: &mut LoopRef, scl: &str, kbm: &str| -> Res<LoopRef> {
            let t = tuning_of(&s, "tuning", &Dynamic::from(scl.to_string()), Some(kbm))
                .or_else(|e| fail(l.in_loop(super::api::message(&e))))?;
            edit_loop(&s, l, |d| d.pitch.tuning = t);
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "scale",
        move |l: &mut LoopRef, v: Dynamic| -> Res<LoopRef> {
            let scale = if let Some(list) = v.clone().try_cast::<Array>() {
                let steps: Option<Vec<i64>> = list.iter().map(|d| d.as_int().ok()).collect();
                let steps = steps.ok_or_else(|| "scale: give whole numbers".to_string());
                steps.and_then(|st| Scale::from_steps(st).map_err(|e| e.0))
            } else if let Some(text) = v.clone().try_cast::<String>() {
                Scale::parse(&text).map_err(|e| e.0)
            } else {
                Err(format!(
                    "scale: expected a name or degrees, got {}",
                    v.type_name()
                ))
            };
            let scale = scale.or_else(|e| fail(l.in_loop(e)))?;
            edit_loop(&s, l, |d| d.pitch.scale = Some(scale));
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn("root", move |l: &mut LoopRef, v: Dynamic| -> Res<LoopRef> {
        let key = key_of(&v).or_else(|e| fail(l.in_loop(format!("root: {e}"))))?;
        edit_loop(&s, l, |d| d.pitch.root = Some(key));
        Ok(l.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "transpose",
        move |l: &mut LoopRef, n: i64| -> Res<LoopRef> {
            if n.abs() > MAX_TRANSPOSE_STEPS {
                return fail(l.in_loop(format!(
                    "transpose {n}: give -{MAX_TRANSPOSE_STEPS} to {MAX_TRANSPOSE_STEPS} steps"
                )));
            }
            edit_loop(&s, l, |d| d.pitch.transpose = n);
            Ok(l.clone())
        },
    );
    let s = shared.clone();
    engine.register_fn(
        "octave_shift",
        move |l: &mut LoopRef, k: i64| -> Res<LoopRef> {
            if k.abs() > MAX_OCTAVE_SHIFT {
                return fail(l.in_loop(format!(
                    "octave_shift {k}: give -{MAX_OCTAVE_SHIFT} to {MAX_OCTAVE_SHIFT}"
                )));
            }
            edit_loop(&s, l, |d| d.pitch.octave_shift = k);
            Ok(l.clone())
        },
    );
    // The same moves as pattern transforms, for `every`, `sometimes`,
    // `within` and the other functions: `transpose(9)` is a transform
    // value, `p.transpose(9)` adds one to a function's chain. (On a loop,
    // `.transpose(n)` stays the loop's setting, above.)
    type Move = fn(i64) -> Transform;
    let moves: [(&str, Move); 2] = [
        ("transpose", Transform::Transpose),
        ("octave_shift", Transform::OctaveShift),
    ];
    for (name, make) in moves {
        engine.register_fn(name, move |k: i64| checked(make(k)));
        engine.register_fn(name, move |c: &mut Chain, k: i64| -> Res<Chain> {
            c.push(checked(make(k))?)?;
            Ok(c.clone())
        });
    }
    let s = shared.clone();
    engine.register_fn("note", move |l: &mut LoopRef| -> LoopRef {
        edit_loop(&s, l, |d| d.pitch.notes_only = true);
        l.clone()
    });
    let s = shared.clone();
    engine.register_fn("voice", move |l: &mut LoopRef, name: &str| -> Res<LoopRef> {
        let choice = match Timbre::parse(name) {
            Some(t) => VoiceChoice::Built(t),
            None => {
                let (sound, variant) = match name.split_once(':') {
                    Some((n, v)) => (n, v.parse::<u32>().ok()),
                    None => (name, Some(0)),
                };
                let ok = !sound.is_empty()
                    && sound.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
                match (ok, variant) {
                    (true, Some(variant)) => VoiceChoice::Sample {
                        name: sound.to_string(),
                        variant,
                    },
                    _ => {
                        return fail(l.in_loop(format!(
                            "voice {name:?}: give \"synth\", \"pulse\", \"pluck\", \"fm\" or a sample name (\"piano\", \"piano:2\")"
                        )))
                    }
                }
            }
        };
        // A sample's own root note, from its WAV `smpl` chunk, read here
        // (the script's thread) and never by the planner.
        let file_root = match &choice {
            VoiceChoice::Sample { name, variant } => sample_file_root(&s, name, *variant),
            VoiceChoice::Built(_) => None,
        };
        edit_loop(&s, l, |d| {
            d.voice.voice = Some(choice);
            d.voice.file_root = file_root;
        });
        Ok(l.clone())
    });
    let s = shared.clone();
    engine.register_fn(
        "sample_root",
        move |l: &mut LoopRef, v: Dynamic| -> Res<LoopRef> {
            let key = key_of(&v).or_else(|e| fail(l.in_loop(format!("sample_root: {e}"))))?;
            let key = *key.numer() as f64 / *key.denom() as f64;
            edit_loop(&s, l, |d| d.voice.sample_root = Some(key));
            Ok(l.clone())
        },
    );
    type Shape = fn(&mut crate::schedule::LoopVoice, f32);
    let shapes: [(&str, f64, f64, &str, Shape); 6] = [
        ("attack", 0.0, MAX_ENVELOPE_SECONDS, " seconds", |v, x| {
            v.attack = Some(x)
        }),
        ("decay", 0.0, MAX_ENVELOPE_SECONDS, " seconds", |v, x| {
            v.decay = Some(x)
        }),
        ("sustain", 0.0, 1.0, "", |v, x| v.sustain = Some(x)),
        ("release", 0.0, MAX_ENVELOPE_SECONDS, " seconds", |v, x| {
            v.release = Some(x)
        }),
        ("cutoff", 20.0, 20_000.0, " Hz", |v, x| v.cutoff = Some(x)),
        ("resonance", 0.0, 0.95, "", |v, x| v.resonance = Some(x)),
    ];
    for (name, lo, hi, unit, apply) in shapes {
        let s = shared.clone();
        engine.register_fn(name, move |l: &mut LoopRef, v: Dynamic| -> Res<LoopRef> {
            let x = within(&v, name, lo, hi, unit)
                .or_else(|e| fail(l.in_loop(super::api::message(&e))))?;
            edit_loop(&s, l, |d| apply(&mut d.voice, x as f32));
            Ok(l.clone())
        });
    }
}
