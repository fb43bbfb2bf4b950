//! Parameter patterns: `.gain("1 0.5 0.8 0.5")`, `.pan("-0.5 0.5")`,
//! `.rate("<1 1.5 2>")`, `.n("0 2 1 3")`, `.legato(…)`, `.velocity(…)`.
//!
//! As Tidal's `#`, the structure comes from the left: the notes stay where
//! they are and each takes the value the parameter pattern holds at its
//! nominal onset. A note that falls in a rest of the parameter pattern is
//! dropped (Tidal drops it too). Where a parameter pattern has layers
//! (`"1, 0.5"`), the first layer's value is used.

use super::apply::Placed;
use crate::pattern::{values, Pattern, QueryContext};
use crate::time::Rational;

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

/// Sets `control` on every note from `values` at its nominal onset; drops
/// the notes in its rests.
pub fn set(notes: &mut Vec<Placed>, control: Control, values: &Pattern, ctx: &QueryContext) {
    let keys: Vec<Rational> = notes.iter().map(|p| p.key).collect();
    let found = values.values_at(&keys, ctx);
    let mut i = 0;
    notes.retain_mut(|p| {
        let value = found[i];
        i += 1;
        let Some(v) = value else { return false };
        let x = *v.numer() as f64 / *v.denom() as f64;
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
