//! Parameter patterns in scripts: `.gain("1 0.5 0.8 0.5")`, `.pan("-0.5 0.5")`,
//! `.rate("<1 1.5 2>")`, `.n("0 2 1 3")`, `.legato("0.5 1")`, `.velocity("1 0.7")`.
//!
//! A number keeps its old meaning (`.gain(0.8)` sets the loop's gain;
//! `.velocity(0.5)` multiplies velocities; `.n(2)` picks file 2 for every
//! note); a string is a pattern of numbers aligned to the loop's notes as
//! Tidal's `#` aligns (see [`crate::pattern::transform::Control`]). Each
//! value is checked by the parameter's rule; a bad one is an error naming
//! the loop and the column. Inside a function (`|p| p.gain("0.5")`) they
//! work the same way.

use std::sync::Arc;

use rhai::{Dynamic, Engine};

use super::api::{add_transform, fail, number, LoopRef, Res, Shared};
use super::functions::Chain;
use crate::pattern::transform::Control;
use crate::pattern::{Pattern, Transform};

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
    Ok(Transform::Set { control, values })
}

/// Registers the string forms of `.gain` `.pan` `.rate` `.legato`
/// `.velocity` (their number forms are loop settings, registered with the
/// loop) and both forms of `.n`, on loops and on functions' chains.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
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
            engine.register_fn(name, move |l: &mut LoopRef, v: i64| push_int(l, Dynamic::from(v)));
            engine.register_fn(name, move |c: &mut Chain, v: i64| chain(c, Dynamic::from(v)));
        }
        if control != Control::Velocity && control != Control::Variant {
            // On a chain the number form is a constant parameter pattern
            // (a function has no loop setting to change).
            engine.register_fn(name, move |c: &mut Chain, v: f64| chain(c, Dynamic::from(v)));
            engine.register_fn(name, move |c: &mut Chain, v: i64| chain(c, Dynamic::from(v)));
        }
    }
}
