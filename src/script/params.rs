//! Parameter patterns in scripts: `.gain("1 0.5 0.8 0.5")`, `.pan("-0.5 0.5")`,
//! `.rate("<1 1.5 2>")`, `.n("0 2 1 3")`, `.legato("0.5 1")`, `.velocity("1 0.7")`.
//!
//! A number keeps its old meaning (`.gain(0.8)` sets the loop's gain;
//! `.velocity(0.5)` multiplies velocities; `.n(2)` picks file 2 for every
//! note); a string is a pattern of numbers aligned to the loop's notes as
//! Tidal's `#` aligns (see [`crate::pattern::transform::Control`]). Each
//! value is checked by the parameter's rule; a bad one is an error naming
//! the loop and the column. Inside a function (`|p| p.gain("0.5")`) they
//! work the same way. A signal (`.pan(sine.slow(4).range(-1, 1))`) is read
//! at each note's onset and clamped into the parameter's range (see
//! [`crate::pattern::signal`]).

use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::api::{add_transform, exact, fail, number, LoopRef, Res, Shared};
use super::functions::Chain;
use crate::pattern::signal::{Shape, Signal, MAX_ENVELOPE_POINTS, MAX_SEGMENTS};
use crate::pattern::transform::{Control, Values};
use crate::pattern::{values, Pattern, Transform};
use crate::schedule::Change;

/// A parameter pattern from a script's string or number.
fn parameter(control: Control, v: &Dynamic) -> Res<Transform> {
    let rule = control.rule();
    let text = match v.clone().try_cast::<String>() {
        Some(text) => text,
        None => {
            let x = rule.check(number(v)?).or_else(|e| fail(e.to_string()))?;
            format!("{x}")
        }
    };
    let values = Pattern::parse_values(&text, rule)
        .or_else(|e| fail(format!("{} pattern {e} in \"{text}\"", rule.name)))?;
    Ok(Transform::Set {
        control,
        values: Values::Pattern(values),
    })
}

/// Registers the string forms of `.gain` `.pan` `.rate` `.legato`
/// `.velocity` (their number forms are loop settings, registered with the
/// loop) and both forms of `.n`, on loops and on functions' chains.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    // `/signal/NAME f` to OSC subscribers, read at control rate.
    let s = shared.clone();
    engine.register_fn("signal_out", move |name: &str, v: Signal| -> Res<()> {
        if name.is_empty() || name.contains(['/', ' ', '#', '*', '?', ',', '[', ']', '{', '}']) {
            return fail(format!(
                "signal_out: '{name}' cannot be part of an OSC address (letters, digits, '_', '-', '.')"
            ));
        }
        s.collected().changes.push(Change::SignalOut {
            name: name.into(),
            signal: Some(v),
        });
        Ok(())
    });
    let s = shared.clone();
    engine.register_fn("signal_stop", move |name: &str| {
        s.collected().changes.push(Change::SignalOut {
            name: name.into(),
            signal: None,
        });
    });
    let controls = [
        ("gain", Control::Gain),
        ("pan", Control::Pan),
        ("rate", Control::Rate),
        ("legato", Control::Legato),
        ("velocity", Control::Velocity),
        ("n", Control::Variant),
    ];
    for (name, control) in controls {
        let s = shared.clone();
        let push = move |l: &LoopRef, v: Dynamic| -> Res<LoopRef> {
            let t = parameter(control, &v).or_else(|e| fail(l.in_loop(super::api::message(&e))))?;
            add_transform(&s, l, t)?;
            Ok(l.clone())
        };
        let chain = move |c: &mut Chain, v: Dynamic| -> Res<Chain> {
            c.push(parameter(control, &v)?)?;
            Ok(c.clone())
        };
        let push_text = push.clone();
        engine.register_fn(name, move |l: &mut LoopRef, v: &str| {
            push_text(l, Dynamic::from(v.to_string()))
        });
        let chain_text = chain;
        engine.register_fn(name, move |c: &mut Chain, v: &str| {
            chain_text(c, Dynamic::from(v.to_string()))
        });
        if control == Control::Variant {
            let push_int = push.clone();
            engine.register_fn(name, move |l: &mut LoopRef, v: i64| {
                push_int(l, Dynamic::from(v))
            });
            engine.register_fn(name, move |c: &mut Chain, v: i64| {
                chain(c, Dynamic::from(v))
            });
        }
        if control != Control::Velocity && control != Control::Variant {
            // On a chain the number form is a constant parameter pattern
            // (a function has no loop setting to change).
            engine.register_fn(name, move |c: &mut Chain, v: f64| {
                chain(c, Dynamic::from(v))
            });
            engine.register_fn(name, move |c: &mut Chain, v: i64| {
                chain(c, Dynamic::from(v))
            });
        }
    }
}

/// The signals by name: `sine`, `cosine`, `saw`, `isaw`, `tri`, `square`,
/// `rand`, `perlin` are variables every script can read (a script's own
/// variable of the same name hides them); `envelope([…])` makes one from
/// points.
fn signal_named(name: &str) -> Option<Signal> {
    let shape = match name {
        "sine" => Shape::Sine,
        "cosine" => Shape::Cosine,
        "saw" => Shape::Saw,
        "isaw" => Shape::ISaw,
        "tri" => Shape::Tri,
        "square" => Shape::Square,
        "rand" => Shape::Rand,
        "perlin" => Shape::Perlin,
        _ => return None,
    };
    Some(Signal::new(shape))
}

/// A finite number for a signal's shaping.
fn finite(v: &Dynamic, what: &str) -> Res<f64> {
    let x = number(v)?;
    if !x.is_finite() {
        return fail(format!("{what} {x}: give a finite number"));
    }
    Ok(x)
}

/// Registers the signals and their shaping methods, and signals as
/// parameter values (`.gain(sine.range(0.5, 1))`).
pub fn register_signals(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<Signal>("Signal");
    // NOTE: rhai marks `on_var` "volatile" through the deprecation lint; it is
    // the one way to give every script (and its functions) these names.
    #[allow(deprecated)]
    engine.on_var(|name, _, context| {
        // A script's own variables come first.
        if context.scope().contains(name) {
            return Ok(None);
        }
        Ok(signal_named(name).map(Dynamic::from))
    });
    engine.register_fn("envelope", |points: rhai::Array| -> Res<Signal> {
        if points.is_empty() || points.len() > MAX_ENVELOPE_POINTS {
            return fail(format!(
                "envelope: give 1 to {MAX_ENVELOPE_POINTS} points, got {}",
                points.len()
            ));
        }
        let values = points
            .iter()
            .map(|p| finite(p, "envelope point"))
            .collect::<Res<Vec<f64>>>()?;
        Ok(Signal::new(Shape::Envelope(values)))
    });
    engine.register_fn(
        "range",
        |s: &mut Signal, lo: Dynamic, hi: Dynamic| -> Res<Signal> {
            Ok(s.clone()
                .range(finite(&lo, "range")?, finite(&hi, "range")?))
        },
    );
    engine.register_fn("fast", |s: &mut Signal, n: Dynamic| -> Res<Signal> {
        Ok(s.clone().fast(exact(&n, values::FAST)?))
    });
    engine.register_fn("slow", |s: &mut Signal, n: Dynamic| -> Res<Signal> {
        Ok(s.clone().slow(exact(&n, values::SLOW)?))
    });
    engine.register_fn("offset", |s: &mut Signal, x: Dynamic| -> Res<Signal> {
        Ok(s.clone().offset(exact(&x, values::TIME)?))
    });
    engine.register_fn("segment", |s: &mut Signal, n: i64| -> Res<Signal> {
        if n < 1 || i128::from(n) > MAX_SEGMENTS {
            return fail(format!(
                "segment {n}: give 1 to {MAX_SEGMENTS} segments a cycle"
            ));
        }
        Ok(s.clone().segment(i128::from(n)))
    });
    let controls = [
        ("gain", Control::Gain),
        ("pan", Control::Pan),
        ("rate", Control::Rate),
        ("legato", Control::Legato),
        ("velocity", Control::Velocity),
        ("n", Control::Variant),
    ];
    for (name, control) in controls {
        let s = shared.clone();
        engine.register_fn(name, move |l: &mut LoopRef, v: Signal| -> Res<LoopRef> {
            let t = Transform::Set {
                control,
                values: Values::Signal(v),
            };
            add_transform(&s, l, t)?;
            Ok(l.clone())
        });
        engine.register_fn(name, move |c: &mut Chain, v: Signal| -> Res<Chain> {
            c.push(Transform::Set {
                control,
                values: Values::Signal(v),
            })?;
            Ok(c.clone())
        });
    }
}
