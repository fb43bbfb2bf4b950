//! Parameter patterns: `.gain("1 0.5 0.8 0.5")`, `.pan("-0.5 0.5")`,
//! `.rate("<1 1.5 2>")`, `.n("0 2 1 3")`, `.legato(…)`, `.velocity(…)`.
//!
//! As Tidal's `#`, the structure comes from the left: the notes stay where
//! they are and each takes the value the parameter pattern holds at its
//! nominal onset. A note that falls in a rest of the parameter pattern is
//! dropped (Tidal drops it too). Where a parameter pattern has layers
//! (`"1, 0.5"`), the first layer's value is used.

use super::apply::Placed;
use crate::pattern::signal::Signal;
use crate::pattern::{values, Pattern, QueryContext};
use crate::time::Rational;

/// Where a parameter's values come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// A pattern of numbers (`"1 0.5 <0.8 1>"`), each checked when parsed.
    Pattern(Pattern),
    /// A continuous signal (`sine.range(0.5, 1)`), read at each note's
    /// nominal onset and clamped into the parameter's rule; a value that
    /// is not finite leaves the note's parameter unset (and is counted).
    Signal(Signal),
}

/// The per-note parameter a parameter pattern sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Linear gain, replacing the loop's (by [`values::GAIN`]).
    Gain,
    /// −1 left … 1 right, replacing the loop's (by [`values::PAN`]).
    Pan,
    /// Playback rate, replacing the loop's (by [`values::RATE`]).
    Rate,
    /// Which file of the sound's folder (`n`, by [`values::VARIANT`]).
    Variant,
    /// Sound length in steps, replacing the loop's (by [`values::LEGATO`]).
    Legato,
    /// Multiplies the note's velocity (by [`values::VELOCITY`]), as the
    /// number form `.velocity(0.5)` does.
    Velocity,
}

impl Control {
    /// The rule each value obeys.
    pub fn rule(self) -> values::Rule {
        match self {
            Control::Gain => values::GAIN,
            Control::Pan => values::PAN,
            Control::Rate => values::RATE,
            Control::Variant => values::VARIANT,
            Control::Legato => values::LEGATO,
            Control::Velocity => values::VELOCITY,
        }
    }
}

/// `x` moved into `rule`'s range: its nearest end, or across the hole
/// round 0 of a rule such as rate's to the nearer allowed value.
fn clamp(rule: values::Rule, x: f64) -> f64 {
    let x = x.clamp(rule.min, rule.max);
    if x.abs() < rule.least {
        if x < 0.0 && rule.min < 0.0 {
            -rule.least
        } else {
            rule.least
        }
    } else if rule.whole {
        x.round()
    } else {
        x
    }
}

/// Sets `control` on every note from `values` at its nominal onset; drops
/// the notes in a pattern's rests.
pub fn set(notes: &mut Vec<Placed>, control: Control, values: &Values, ctx: &QueryContext) {
    let keys: Vec<Rational> = notes.iter().map(|p| p.key).collect();
    let found: Vec<Option<f64>> = match values {
        Values::Pattern(pattern) => pattern
            .values_at(&keys, ctx)
            .into_iter()
            .map(|v| v.map(|v| *v.numer() as f64 / *v.denom() as f64))
            .collect(),
        Values::Signal(signal) => {
            let rule = control.rule();
            let mut out = Vec::with_capacity(keys.len());
            for &k in &keys {
                match signal.finite_at(k, ctx.seed) {
                    Some(x) => out.push(Some(clamp(rule, x))),
                    // Not finite: the note keeps its parameter as it was.
                    None => out.push(Some(f64::NAN)),
                }
            }
            out
        }
    };
    let mut i = 0;
    notes.retain_mut(|p| {
        let value = found[i];
        i += 1;
        let Some(x) = value else { return false };
        if x.is_nan() {
            return true;
        }
        match control {
            Control::Gain => p.note.gain = Some(x),
            Control::Pan => p.note.pan = Some(x),
            Control::Rate => p.note.rate = Some(x),
            Control::Variant => p.note.variant = x as u32,
            Control::Legato => p.note.legato = Some(x),
            Control::Velocity => p.note.velocity *= x,
        }
        true
    });
}
