//! A time argument of a transform (`off`, `echo`), aware of the metre.
//!
//! The rule: a plain number is a fraction of a cycle (a cycle is a bar at
//! tempo octave 0): `0.25`, `"1/8"`. A number followed by `p` is that many
//! pulses of the metre (`"1p"`, `"1.5p"`, `"-1p"`), resolved when the loop
//! is played: with `P` pulses in the bar, `"1p"` is `1/P` cycle, so it is one
//! pulse later in any metre (an eighth in 7/8, a quarter in 4/4). A number
//! followed by `g` counts the metre's groups (its beats) from the bar line:
//! `"kg"` is as far as the start of group `k` (past the last group, on into
//! the next bar), and a fraction goes that part into the next group. So
//! `"1g"` is a dotted quarter in 6/8 and 12/8, a quarter in 4/4, and two
//! eighths in 2+2+3/8, where `"3g"` is the whole bar and `"2.5g"` is five
//! and a half eighths. A negative count goes as far the other way.

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
    /// Groups (beats) of the metre, counted from the bar line (`"1g"`).
    Groups(Rational),
}

impl TimeArg {
    /// Parses `0.25`, `"1/8"`, `"3p"`, `"-1.5p"`, exactly.
    pub fn parse(text: &str) -> Result<TimeArg, TransformError> {
        let text = text.trim();
        if let Some(groups) = text.strip_suffix('g') {
            let n = parse_decimal(groups.trim()).ok_or_else(|| {
                error(format!(
                    "expected a number of groups like \"1g\" or \"1.5g\", got {text:?}"
                ))
            })?;
            return Ok(TimeArg::Groups(n));
        }
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
                "expected a time like 0.25, \"1/8\", \"1p\" or \"1g\", got {text:?}"
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
            // Without the groups, each pulse is a group.
            TimeArg::Groups(g) => *g / pulses.max(1),
        }
    }

    /// The distance in cycles in a metre of `groups` (pulses per group).
    pub fn cycles_in(&self, groups: &[u32]) -> Rational {
        let pulses: i128 = groups.iter().map(|&g| i128::from(g)).sum::<i128>().max(1);
        let TimeArg::Groups(g) = self else {
            return self.cycles(pulses);
        };
        if groups.is_empty() {
            return *g / pulses;
        }
        let n = i128::try_from(groups.len()).unwrap_or(1);
        let sign = if *g < Rational::from_integer(0) {
            -1
        } else {
            1
        };
        let g = if sign < 0 { -*g } else { *g };
        let whole = g.floor().to_integer();
        let (bars, rest) = (whole.div_euclid(n), whole.rem_euclid(n) as usize);
        let first: i128 = groups[..rest].iter().map(|&p| i128::from(p)).sum();
        let part = (g - g.floor()) * i128::from(groups[rest]);
        let cycles = Rational::from_integer(bars) + (Rational::from_integer(first) + part) / pulses;
        cycles * sign
    }

    /// Refuses more than [`values::MAX_TIME_CYCLES`] cycles (or pulses) either way.
    pub fn check(&self) -> Result<(), TransformError> {
        let (TimeArg::Cycles(r) | TimeArg::Pulses(r) | TimeArg::Groups(r)) = self;
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
