//! A tuning: the pitches of one period (usually the octave) above a root,
//! repeated up and down by the period, as a Scala scale describes them.

use std::fmt;
use std::sync::Arc;

use super::interval::Interval;
use super::keyboard::KeyboardMap;
use crate::time::{q, Rational};

/// The most degrees one period of a tuning may hold (Scala's archive tops
/// out near 1200; this leaves room and keeps a malformed count from
/// allocating gigabytes).
pub const MAX_TUNING_DEGREES: usize = 4096;

/// The largest equal division accepted by `"n-edo"` (a cent is 1200-EDO;
/// beyond a few thousand the steps are below hearing).
pub const MAX_EDO: i128 = 4096;

/// A tuning: degree 0 is the root; degrees `1..=size` are the pitches of
/// one period above it, the last being the period itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    /// What it is called (`"53-edo"`, a Scala file's description).
    pub name: String,
    /// Degrees `1..=size` above the root; the last is the period.
    steps: Vec<Interval>,
    /// A Scala keyboard mapping (`.kbm`): which key plays which degree, and
    /// the reference key and frequency. `None`: 12-EDO keys at A4 = 440 Hz.
    pub keyboard: Option<Arc<KeyboardMap>>,
    /// True for `n-edo` tunings (a named scale of 12 steps maps onto them
    /// by rounding, see [`super::scale`]).
    pub equal: bool,
    /// Note names a pattern may use for degrees (`dugah` = 9 in
    /// `tunings/53-edo.scl`): lower case, spaces written `_`, each with
    /// the tuning degree it plays counted from the root. From a Scala
    /// file's labels and `!name` lines ([`super::scala`]); empty otherwise.
    pub names: Vec<(String, i64)>,
}

/// Why a tuning could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TuningError {
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for TuningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TuningError {}

fn error(message: impl Into<String>) -> TuningError {
    TuningError {
        message: message.into(),
    }
}

impl Default for Tuning {
    /// 12-EDO.
    fn default() -> Self {
        Tuning::edo(12).unwrap_or_else(|_| unreachable!())
    }
}

impl Tuning {
    /// `n` equal divisions of the octave (`n` from 1 to [`MAX_EDO`]).
    pub fn edo(n: i128) -> Result<Tuning, TuningError> {
        if !(1..=MAX_EDO).contains(&n) {
            return Err(error(format!(
                "{n}-edo: give 1 to {MAX_EDO} divisions of the octave"
            )));
        }
        Ok(Tuning {
            name: format!("{n}-edo"),
            steps: (1..=n).map(|k| Interval::edo_steps(k, n)).collect(),
            keyboard: None,
            equal: true,
            names: Vec::new(),
        })
    }

    /// A tuning from its degrees above the root, the last being the period
    /// (as a Scala file lists them). Scala allows degrees in any order, so
    /// only a period that is not above the root is refused.
    pub fn from_steps(name: &str, steps: Vec<Interval>) -> Result<Tuning, TuningError> {
        if steps.is_empty() {
            return Err(error(format!("{name}: a tuning needs at least one degree")));
        }
        if steps.len() > MAX_TUNING_DEGREES {
            return Err(error(format!(
                "{name}: {} degrees; at most {MAX_TUNING_DEGREES}",
                steps.len()
            )));
        }
        let period = steps[steps.len() - 1];
        if period.in_cents() <= 0.0 {
            return Err(error(format!(
                "{name}: the last degree is the period and must be above the root"
            )));
        }
        Ok(Tuning {
            name: name.to_string(),
            steps,
            keyboard: None,
            equal: false,
            names: Vec::new(),
        })
    }

    /// A tuning from frequency ratios of one period, as a script writes
    /// them (`[1/1, 9/8, 5/4, …]`): a leading `1/1` is the root and is
    /// left out; when the last ratio is not `2/1`, `2/1` is added as the period.
    pub fn from_ratios(name: &str, ratios: &[Rational]) -> Result<Tuning, TuningError> {
        let mut steps = Vec::with_capacity(ratios.len() + 1);
        for (i, r) in ratios.iter().enumerate() {
            if *r <= Rational::from_integer(0) {
                return Err(error(format!(
                    "{name}: ratio {} is {r}; ratios must be greater than 0",
                    i + 1
                )));
            }
            if i == 0 && *r == q(1, 1) {
                continue;
            }
            steps.push(Interval::ratio(*r));
        }
        if steps.last() != Some(&Interval::ratio(q(2, 1))) {
            steps.push(Interval::ratio(q(2, 1)));
        }
        Tuning::from_steps(name, steps)
    }

    /// Parses `"53-edo"` (any `n-edo`, also `"53edo"` and `"53-EDO"`).
    pub fn parse_edo(text: &str) -> Option<Result<Tuning, TuningError>> {
        let lower = text.trim().to_ascii_lowercase();
        let n = lower
            .strip_suffix("-edo")
            .or_else(|| lower.strip_suffix("edo"))?
            .trim();
        let n: i128 = n.parse().ok()?;
        Some(Tuning::edo(n))
    }

    /// Degrees in one period.
    pub fn size(&self) -> usize {
        self.steps.len()
    }

    /// The period (the last degree).
    pub fn period(&self) -> Interval {
        self.steps[self.steps.len() - 1]
    }

    /// The interval of degree `k` above the root: `k = size` is one period
    /// up, negative degrees wrap down by the period (`-1` is the last degree
    /// below the root). `None` if an exact term would leave `i128`.
    pub fn degree(&self, k: i64) -> Option<Interval> {
        let n = self.steps.len() as i64;
        let (periods, index) = (k.div_euclid(n), k.rem_euclid(n));
        let within = match index {
            0 => Interval::UNISON,
            i => self.steps[i as usize - 1],
        };
        within.then(self.period().times(periods)?)
    }

    /// The tuning degree a pattern word names (`"dugah"` → 9), compared
    /// without regard to ASCII case; `None` when the tuning has no such name.
    pub fn named(&self, word: &str) -> Option<i64> {
        self.names
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
            .map(|(_, degree)| *degree)
    }

    /// The same tuning with note names (see [`Tuning::names`]).
    pub fn with_names(mut self, names: Vec<(String, i64)>) -> Tuning {
        self.names = names;
        self
    }

    /// The same tuning with a keyboard mapping.
    pub fn with_keyboard(mut self, keyboard: KeyboardMap) -> Tuning {
        self.name = format!("{} + {}", self.name, keyboard.name);
        self.keyboard = Some(Arc::new(keyboard));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edo_degrees_wrap_by_the_period() {
        let t = Tuning::parse_edo("53-edo").unwrap().unwrap();
        assert_eq!(t.size(), 53);
        assert_eq!(t.degree(9), Some(Interval::edo_steps(9, 53)));
        assert_eq!(t.degree(53), Some(Interval::octaves(q(1, 1))));
        assert_eq!(t.degree(-1), Some(Interval::edo_steps(-1, 53)));
        assert_eq!(t.degree(-53 - 9), Some(Interval::edo_steps(-62, 53)));
        assert!(Tuning::parse_edo("24edo").unwrap().is_ok());
        assert!(Tuning::parse_edo("0-edo").unwrap().is_err());
        assert!(Tuning::parse_edo("5000-edo").unwrap().is_err());
        assert!(Tuning::parse_edo("major").is_none());
    }

    #[test]
    fn ratio_tunings_keep_ratios_and_add_the_octave() {
        let just = Tuning::from_ratios("just", &[q(1, 1), q(9, 8), q(5, 4), q(3, 2)]).unwrap();
        assert_eq!(just.size(), 4);
        assert_eq!(just.degree(2), Some(Interval::ratio(q(5, 4))));
        assert_eq!(just.degree(6), Some(Interval::ratio(q(5, 2))));
        assert_eq!(just.degree(-1), Some(Interval::ratio(q(3, 4))));
        assert!(Tuning::from_ratios("bad", &[q(1, 1), q(0, 1)]).is_err());
        assert!(Tuning::from_ratios("bad", &[q(-3, 2)]).is_err());
    }
}
