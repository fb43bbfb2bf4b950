//! Scales: which degrees of a tuning a loop's degree numbers walk through.
//!
//! A named scale is written in the steps of the equal division it comes
//! from: western modes in 12 (semitones), Arabic maqamat in 24 (quarter
//! tones, the usual 24-EDO approximation), Turkish makams in 53 (Holdrian
//! commas, the Arel–Ezgi–Uzdilek intervals: T = 9, K = 8, S = 5, B = 4,
//! A = 12). On a tuning of that many degrees (or an equal division of
//! another size, by rounding each step to the nearest degree) degree `d`
//! plays tuning degree `steps[d mod len] + (d div len) × size`. A scale
//! given as numbers (`"0 9 17 22 31 40 48"`) names tuning degrees directly.

use std::fmt;

/// The named scales: name, the division they are written in, and steps.
pub const SCALES: &[(&str, i64, &[i64])] = &[
    ("major", 12, &[0, 2, 4, 5, 7, 9, 11]),
    ("ionian", 12, &[0, 2, 4, 5, 7, 9, 11]),
    ("minor", 12, &[0, 2, 3, 5, 7, 8, 10]),
    ("aeolian", 12, &[0, 2, 3, 5, 7, 8, 10]),
    ("dorian", 12, &[0, 2, 3, 5, 7, 9, 10]),
    ("phrygian", 12, &[0, 1, 3, 5, 7, 8, 10]),
    ("lydian", 12, &[0, 2, 4, 6, 7, 9, 11]),
    ("mixolydian", 12, &[0, 2, 4, 5, 7, 9, 10]),
    ("locrian", 12, &[0, 1, 3, 5, 6, 8, 10]),
    ("harmonic_minor", 12, &[0, 2, 3, 5, 7, 8, 11]),
    ("melodic_minor", 12, &[0, 2, 3, 5, 7, 9, 11]),
    ("pentatonic", 12, &[0, 2, 4, 7, 9]),
    ("minor_pentatonic", 12, &[0, 3, 5, 7, 10]),
    ("blues", 12, &[0, 3, 5, 6, 7, 10]),
    ("whole_tone", 12, &[0, 2, 4, 6, 8, 10]),
    ("chromatic", 12, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    // Arabic maqamat on D, in quarter tones.
    ("maqam_rast", 24, &[0, 4, 7, 10, 14, 18, 21]),
    ("maqam_bayati", 24, &[0, 3, 6, 10, 14, 16, 20]),
    ("maqam_hijaz", 24, &[0, 2, 8, 10, 14, 16, 20]),
    ("maqam_saba", 24, &[0, 3, 6, 8, 14, 16, 20]),
    // Turkish makams in Holdrian commas (53 to the octave).
    ("rast", 53, &[0, 9, 17, 22, 31, 40, 48]),
    ("ussak", 53, &[0, 8, 13, 22, 31, 35, 44]),
    ("hicaz", 53, &[0, 5, 17, 22, 31, 39, 44]),
    ("buselik", 53, &[0, 9, 13, 22, 31, 35, 44]),
    ("kurdi", 53, &[0, 4, 13, 22, 31, 35, 44]),
];

/// The most degrees a scale written as numbers may list.
pub const MAX_SCALE_STEPS: usize = 1024;

/// A scale: steps within one period, and the division they are written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Its name, or the numbers as written.
    pub name: String,
    /// Degrees within one period, from 0.
    pub steps: Vec<i64>,
    /// The division the steps count in (`None`: the tuning's own degrees).
    pub division: Option<i64>,
}

/// Why a scale is unknown or does not fit a tuning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleError(pub String);

impl fmt::Display for ScaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScaleError {}

impl Scale {
    /// A named scale ([`SCALES`]) or numbers (`"0 2 4 5 7 9 11"`, tuning
    /// degrees, each 0 or more).
    pub fn parse(text: &str) -> Result<Scale, ScaleError> {
        let text = text.trim();
        if let Some((name, division, steps)) = SCALES.iter().find(|(n, _, _)| *n == text) {
            return Ok(Scale {
                name: name.to_string(),
                steps: steps.to_vec(),
                division: Some(*division),
            });
        }
        let words: Vec<&str> = text.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let numbers: Option<Vec<i64>> = words.iter().map(|w| w.parse().ok()).collect();
        match numbers {
            Some(steps) if !steps.is_empty() => Scale::from_steps(steps),
            _ => Err(ScaleError(format!(
                "unknown scale {text:?}: give one of {} or tuning degrees like \"0 2 4 5 7 9 11\"",
                SCALES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// A scale of tuning degrees (each 0 or more, at most [`MAX_SCALE_STEPS`]).
    pub fn from_steps(steps: Vec<i64>) -> Result<Scale, ScaleError> {
        if steps.is_empty() || steps.len() > MAX_SCALE_STEPS {
            return Err(ScaleError(format!(
                "a scale lists 1 to {MAX_SCALE_STEPS} degrees, not {}",
                steps.len()
            )));
        }
        if let Some(s) = steps.iter().find(|s| !(0..=1_000_000).contains(*s)) {
            return Err(ScaleError(format!(
                "scale degree {s}: give degrees from 0 within one period"
            )));
        }
        Ok(Scale {
            name: steps
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            steps,
            division: None,
        })
    }

    /// The tuning degree that scale degree `d` plays, on a tuning of
    /// `size` degrees (`equal`: an equal division, onto which a scale
    /// written in another division is rounded).
    pub fn tuning_degree(&self, d: i64, size: usize, equal: bool) -> Result<i64, ScaleError> {
        let len = self.steps.len() as i64;
        let (periods, i) = (d.div_euclid(len), d.rem_euclid(len) as usize);
        let size = size as i64;
        let step = match self.division {
            None => self.steps[i],
            Some(n) if n == size => self.steps[i],
            Some(n) if equal => (self.steps[i] * size + n / 2).div_euclid(n),
            Some(n) => {
                return Err(ScaleError(format!(
                    "scale '{}' is written in {n} steps; the tuning has {size} degrees and is not an equal division",
                    self.name
                )))
            }
        };
        Ok(step + periods * size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_scales_and_wrapping() {
        let major = Scale::parse("major").unwrap();
        assert_eq!(major.tuning_degree(0, 12, true), Ok(0));
        assert_eq!(major.tuning_degree(2, 12, true), Ok(4));
        assert_eq!(major.tuning_degree(7, 12, true), Ok(12));
        assert_eq!(major.tuning_degree(-1, 12, true), Ok(-1));
        assert_eq!(major.tuning_degree(-7, 12, true), Ok(-12));
        // On 24-EDO each semitone is two quarter tones; on 53, rounded.
        assert_eq!(major.tuning_degree(2, 24, true), Ok(8));
        assert_eq!(major.tuning_degree(4, 53, true), Ok(31));
        let rast = Scale::parse("rast").unwrap();
        assert_eq!(rast.tuning_degree(3, 53, true), Ok(22));
        assert_eq!(rast.tuning_degree(8, 53, true), Ok(62));
        assert!(rast.tuning_degree(1, 7, false).is_err());
        let own = Scale::parse("0 9 17 22").unwrap();
        assert_eq!(own.tuning_degree(5, 53, true), Ok(62));
        assert_eq!(own.tuning_degree(1, 7, false), Ok(9));
        for (name, n, steps) in SCALES {
            assert_eq!(steps[0], 0, "{name}");
            assert!(steps.windows(2).all(|w| w[0] < w[1]), "{name}");
            assert!(*steps.last().unwrap() < *n, "{name}");
        }
        assert!(Scale::parse("nope").is_err());
        assert!(Scale::parse("0 -2").is_err());
    }
}
