//! A time argument of a transform (`off`, `echo`), aware of the metre.
//!
//! The rule: a plain number is a fraction of a cycle (a cycle is a bar at
//! tempo octave 0): `0.25`, `"1/8"`. A number followed by `p` is that many
//! pulses of the metre (`"1p"`, `"1.5p"`, `"-1p"`), resolved when the loop
//! is played: with `P` pulses in the bar, `"1p"` is `1/P` cycle, so it is one
//! pulse later in any metre (an eighth in 7/8, a quarter in 4/4).

use super::{error, parse_decimal, Transform, TransformError};
use crate::pattern::values;
use crate::time::Rational;

/// How far a copy moves: cycles, or pulses of the metre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeArg {
    /// A fraction of a cycle.
    Cycles(Rational),
    /// Pulses of the metre (`"1p"`).
    Pulses(Rational),
}

impl TimeArg {
    /// Parses `0.25`, `"1/8"`, `"3p"`, `"-1.5p"`, exactly.
    pub fn parse(text: &str) -> Result<TimeArg, TransformError> {
        let text = text.trim();
        if let Some(pulses) = text.strip_suffix('p') {
            let n = parse_decimal(pulses.trim()).ok_or_else(|| {
                error(format!(
                    "expected a number of pulses like \"1p\" or \"1.5p\", got {text:?}"
                ))
            })?;
            return Ok(TimeArg::Pulses(n));
        }
        let bad = || {
            error(format!(
                "expected a time like 0.25, \"1/8\" or \"1p\", got {text:?}"
            ))
        };
        let value = match text.split_once('/') {
            Some((n, d)) => {
                let n = parse_decimal(n.trim()).ok_or_else(bad)?;
                let d = parse_decimal(d.trim()).ok_or_else(bad)?;
                if d == Rational::from_integer(0) {
                    return Err(error(format!("{text:?} divides by zero")));
                }
                n / d
            }
            None => parse_decimal(text).ok_or_else(bad)?,
        };
        Ok(TimeArg::Cycles(value))
    }

    /// The distance in cycles, with `pulses` pulses in a cycle.
    pub fn cycles(&self, pulses: i128) -> Rational {
        match self {
            TimeArg::Cycles(c) => *c,
            TimeArg::Pulses(p) => *p / pulses.max(1),
        }
    }

    /// Refuses more than [`values::MAX_TIME_CYCLES`] cycles (or pulses) either way.
    pub fn check(&self) -> Result<(), TransformError> {
        let (TimeArg::Cycles(r) | TimeArg::Pulses(r)) = self;
        let v = *r.numer() as f64 / *r.denom() as f64;
        values::TIME
            .check(v)
            .map(|_| ())
            .map_err(|e| error(e.to_string()))
    }
}

impl Transform {
    /// Parses a time argument (see [`TimeArg::parse`]).
    pub fn parse_time(text: &str) -> Result<TimeArg, TransformError> {
        TimeArg::parse(text)
    }
}
