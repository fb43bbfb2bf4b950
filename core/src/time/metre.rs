//! Metres as a performer writes them: `7/8`, `2+2+3/8`, `6/8`, `5/4`.
//!
//! A metre is a sequence of pulse groups over a pulse unit. The groups are the
//! beats a player feels: `6/8` is 3+3 eighths (two dotted-quarter beats),
//! `7/8` is 2+2+3 (quick-quick-slow) unless written otherwise.
//!
//! | written       | groups      | unit | beats felt                        |
//! |---------------|-------------|------|-----------------------------------|
//! | `2/4` `3/4` `4/4` `5/4` | 1 each | 4 | quarters                           |
//! | `6/8` `9/8` `12/8` (`3n/8`, `3n/16`) | 3 each | 8 | dotted quarters      |
//! | `5/8`         | 2+3         | 8    | quarter, dotted quarter           |
//! | `7/8`         | 2+2+3       | 8    | quarter, quarter, dotted quarter  |
//! | other odd `n/8` | 2+…+2+3   | 8    |                                   |
//! | `a+b+…/d`     | a, b, …     | d    | exactly as written                |

use std::fmt;

use super::{q, Rational};

/// Pulse groups over a pulse unit (`unit` = 8 means eighth notes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Metre {
    groups: Vec<u32>,
    unit: u32,
}

/// A metre string loam could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetreError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for MetreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown metre '{}': {}. Accepted forms: N/D (2/4, 3/4, 4/4, 5/4, 6/8, 9/8, 12/8, 5/8, 7/8) \
             or additive groups A+B+…/D (2+2+3/8, 3+2+2/8, 3+3+2/8, 2+2+2+3/8); D is 1, 2, 4, 8, 16 or 32",
            self.text, self.reason
        )
    }
}

impl std::error::Error for MetreError {}

/// The most pulses one bar may hold, counted in pulse units (64 sixteenths,
/// 64 eighths…). Every metre from a script, an OSC `/metre`, a MIDI file or a
/// data file is checked against it before any group list is built, so a
/// `/metre s 100000000/4` costs nothing.
pub const MAX_PULSES: u32 = 64;

impl Metre {
    /// Builds a metre from explicit groups. Groups must be 1..=64 pulses in total.
    pub fn from_groups(groups: Vec<u32>, unit: u32) -> Result<Metre, MetreError> {
        let text = if groups.len() as u64 > u64::from(MAX_PULSES) {
            // NOTE: a list this long is refused below; its text is not worth
            // building in full.
            format!("{} groups/{}", groups.len(), unit)
        } else {
            format!(
                "{}/{}",
                groups
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join("+"),
                unit
            )
        };
        let err = |reason: &str| MetreError {
            text: text.clone(),
            reason: reason.to_string(),
        };
        if !matches!(unit, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(err("the note value must be 1, 2, 4, 8, 16 or 32"));
        }
        if groups.is_empty() || groups.contains(&0) {
            return Err(err("every group needs at least one pulse"));
        }
        // Summed in u64: 4294967295+1 must not wrap to a 0-pulse bar.
        let total: u64 = groups.iter().map(|&g| u64::from(g)).sum();
        if total > u64::from(MAX_PULSES) {
            return Err(err(&format!(
                "a bar holds at most {MAX_PULSES} pulses (this one has {total})"
            )));
        }
        Ok(Metre { groups, unit })
    }

    /// Parses `N/D` or `A+B+…/D` (spaces allowed around the symbols).
    pub fn parse(text: &str) -> Result<Metre, MetreError> {
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let err = |reason: &str| MetreError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let (top, bottom) = cleaned
            .split_once('/')
            .ok_or_else(|| err("missing '/' between pulses and note value"))?;
        let unit: u32 = bottom
            .parse()
            .map_err(|_| err("the note value after '/' is not a whole number"))?;
        let numbers: Result<Vec<u32>, _> = top.split('+').map(str::parse::<u32>).collect();
        let numbers =
            numbers.map_err(|_| err("pulse counts must be whole numbers joined by '+'"))?;
        let groups = if numbers.len() > 1 {
            numbers
        } else if numbers[0] > MAX_PULSES {
            // Checked before `default_groups` builds one group per pulse.
            return Err(err(&format!(
                "a bar holds at most {MAX_PULSES} pulses (this one has {})",
                numbers[0]
            )));
        } else {
            default_groups(numbers[0], unit)
        };
        Metre::from_groups(groups, unit).map_err(|e| MetreError {
            text: text.to_string(),
            reason: e.reason,
        })
    }

    /// The pulse groups, e.g. `[2, 2, 3]`.
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }

    /// The pulse unit as a denominator (8 = eighth notes).
    pub fn unit(&self) -> u32 {
        self.unit
    }

    /// Pulses in one bar.
    pub fn pulses(&self) -> u32 {
        self.groups.iter().sum()
    }

    /// Length of one bar in whole notes (7/8 → 7/8).
    pub fn bar_length(&self) -> Rational {
        q(self.pulses() as i128, self.unit as i128)
    }

    /// The note value a plain tempo counts in this metre, in whole notes: one
    /// beat is one group, and where groups differ in length (aksak), the
    /// shortest group. 6/8 → 3/8 (dotted quarter); 2+2+3/8 → 1/4; 5/4 → 1/4.
    pub fn beat_value(&self) -> Rational {
        let shortest = self.groups.iter().copied().min().unwrap_or(1);
        q(shortest as i128, self.unit as i128)
    }

    /// Where each group starts, as a fraction of the bar (`[0, 2/7, 4/7]` for 2+2+3/8).
    pub fn group_starts(&self) -> Vec<Rational> {
        let total = self.pulses() as i128;
        let mut acc = 0i128;
        self.groups
            .iter()
            .map(|g| {
                let start = q(acc, total);
                acc += *g as i128;
                start
            })
            .collect()
    }
}

/// How a plain `N/D` is grouped (see the module table).
fn default_groups(n: u32, unit: u32) -> Vec<u32> {
    if n == 0 {
        return vec![];
    }
    if unit >= 8 && n.is_multiple_of(3) {
        return vec![3; (n / 3) as usize];
    }
    if unit >= 8 && n % 2 == 1 && n >= 5 {
        let mut g = vec![2; ((n - 3) / 2) as usize];
        g.push(3);
        return g;
    }
    vec![1; n as usize]
}

impl fmt::Display for Metre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<String> = self.groups.iter().map(|g| g.to_string()).collect();
        write!(f, "{}/{}", groups.join("+"), self.unit)
    }
}

impl Default for Metre {
    fn default() -> Self {
        Metre {
            groups: vec![1, 1, 1, 1],
            unit: 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(s: &str) -> Vec<u32> {
        Metre::parse(s).unwrap().groups().to_vec()
    }

    #[test]
    fn simple_and_compound_metres_group_as_felt() {
        assert_eq!(groups("2/4"), vec![1, 1]);
        assert_eq!(groups("3/4"), vec![1, 1, 1]);
        assert_eq!(groups("4/4"), vec![1, 1, 1, 1]);
        assert_eq!(groups("5/4"), vec![1; 5]);
        assert_eq!(groups("6/8"), vec![3, 3]);
        assert_eq!(groups("9/8"), vec![3, 3, 3]);
        assert_eq!(groups("12/8"), vec![3, 3, 3, 3]);
        assert_eq!(groups("5/8"), vec![2, 3]);
        assert_eq!(groups("7/8"), vec![2, 2, 3]);
        assert_eq!(groups("11/8"), vec![2, 2, 2, 2, 3]);
    }

    #[test]
    fn additive_metres_keep_their_order() {
        assert_eq!(groups("2+2+3/8"), vec![2, 2, 3]);
        assert_eq!(groups("3+2+2/8"), vec![3, 2, 2]);
        assert_eq!(groups("3+3+2/8"), vec![3, 3, 2]);
        assert_eq!(groups("2+2+2+3/8"), vec![2, 2, 2, 3]);
        assert_eq!(groups(" 2 + 3 / 8 "), vec![2, 3]);
    }

    #[test]
    fn beat_values_follow_the_groups() {
        assert_eq!(Metre::parse("6/8").unwrap().beat_value(), q(3, 8));
        assert_eq!(Metre::parse("4/4").unwrap().beat_value(), q(1, 4));
        assert_eq!(Metre::parse("2+2+3/8").unwrap().beat_value(), q(1, 4));
        assert_eq!(Metre::parse("7/8").unwrap().bar_length(), q(7, 8));
        assert_eq!(
            Metre::parse("2+2+3/8").unwrap().group_starts(),
            vec![q(0, 1), q(2, 7), q(4, 7)]
        );
    }

    #[test]
    fn bad_metres_name_the_text_and_the_forms() {
        for bad in ["", "7", "7/x", "7/7", "2+x/8", "0/4", "2+0/8", "65/8"] {
            let e = Metre::parse(bad).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(&format!("'{bad}'")), "{msg}");
            assert!(msg.contains("2+2+3/8"), "{msg}");
        }
    }

    #[test]
    fn huge_pulse_counts_are_refused_before_any_group_is_built() {
        // One group per pulse for 100000000/4 would be 400 MB of groups.
        let e = Metre::parse("100000000/4").unwrap_err();
        assert!(e.to_string().contains("at most 64 pulses"), "{e}");
        assert!(e.to_string().contains("'100000000/4'"), "{e}");
        let e = Metre::parse("4294967295/8").unwrap_err();
        assert!(e.to_string().contains("at most 64 pulses"), "{e}");
        assert_eq!(Metre::parse("64/16").unwrap().pulses(), 64);
        assert!(Metre::parse("65/16").is_err());
    }

    #[test]
    fn group_sums_do_not_wrap() {
        // u32 arithmetic would make this 0 pulses and pass the check.
        let e = Metre::parse("4294967295+1/4").unwrap_err();
        assert!(e.to_string().contains("this one has 4294967296"), "{e}");
        let e = Metre::parse("4294967295+4294967295+2/8").unwrap_err();
        assert!(e.to_string().contains("at most 64 pulses"), "{e}");
        assert!(Metre::from_groups(vec![u32::MAX, 1], 4).is_err());
        assert!(Metre::from_groups(vec![1; 100_000], 4).is_err());
        assert_eq!(Metre::parse("32+32/8").unwrap().pulses(), 64);
    }

    #[test]
    fn display_round_trips() {
        for s in ["2+2+3/8", "3/8", "1+1+1+1/4"] {
            let m = Metre::parse(s).unwrap();
            assert_eq!(Metre::parse(&m.to_string()).unwrap(), m);
        }
    }
}
