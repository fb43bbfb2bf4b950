//! Scala keyboard mappings (`.kbm`): which MIDI key plays which degree of
//! a tuning, and which key sounds at which frequency.
//!
//! The file holds, one per line after `!` comments: the map size (0: every
//! key is the next degree), the first and last keys retuned, the middle
//! key (where the first map entry, degree 0, lies), the reference key, its
//! frequency in Hz, the degree that counts as the formal octave (the step
//! from one repetition of the map to the next; 0: the tuning's size), and
//! then one entry per key of the map: a degree, or `x` for a key that plays
//! nothing. Missing entries at the end are unmapped keys.
//!
//! With a mapping, key `k` sounds at
//! `reference_hz × degree(d(k)) / degree(d(reference_key))`, where `d(k)`
//! is the degree the map gives key `k`, counted from the middle key.

use std::path::Path;

use super::interval::Interval;
use super::scala::{decimal, read_text, ScalaError};
use super::tuning::Tuning;
use crate::time::Rational;

/// A parsed `.kbm` file.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyboardMap {
    /// The file it came from (for messages).
    pub name: String,
    /// The first and last MIDI keys that play.
    pub first_key: i64,
    /// See `first_key`.
    pub last_key: i64,
    /// The key of map entry 0.
    pub middle_key: i64,
    /// The key whose frequency is given.
    pub reference_key: i64,
    /// Its frequency in Hz, exact as written.
    pub reference_hz: Rational,
    /// Degrees from one repetition of the map to the next (0: the tuning's size).
    pub octave_degree: i64,
    /// The map: a degree per key, `None` for `x`. Empty: linear.
    pub map: Vec<Option<i64>>,
}

/// Reads a `.kbm` file (at most [`super::scala::MAX_SCALA_FILE_BYTES`]).
pub fn read_kbm(path: &Path) -> Result<KeyboardMap, ScalaError> {
    let text = read_text(path)?;
    parse_kbm(&text, &path.display().to_string())
}

/// Parses the text of a `.kbm` file; `file` names it in errors.
pub fn parse_kbm(text: &str, file: &str) -> Result<KeyboardMap, ScalaError> {
    let err = |line: usize, message: String| ScalaError {
        file: file.to_string(),
        line,
        message,
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.starts_with('!') && !l.is_empty())
        .collect();
    const FIELDS: [&str; 7] = [
        "map size",
        "first key",
        "last key",
        "middle key",
        "reference key",
        "reference frequency",
        "formal octave degree",
    ];
    if lines.len() < FIELDS.len() {
        let at = lines.last().map_or(0, |(n, _)| *n);
        return Err(err(
            at,
            format!(
                "a keyboard mapping starts with 7 values; the {} is missing",
                FIELDS[lines.len()]
            ),
        ));
    }
    let word = |i: usize| lines[i].1.split_whitespace().next().unwrap_or("");
    let int = |i: usize, lo: i64, hi: i64| -> Result<i64, ScalaError> {
        let v: i64 = word(i).parse().map_err(|_| {
            err(
                lines[i].0,
                format!("expected the {}, found {:?}", FIELDS[i], lines[i].1),
            )
        })?;
        if !(lo..=hi).contains(&v) {
            return Err(err(
                lines[i].0,
                format!("{} {v}: give {lo} to {hi}", FIELDS[i]),
            ));
        }
        Ok(v)
    };
    let size = int(0, 0, super::tuning::MAX_TUNING_DEGREES as i64)?;
    let first_key = int(1, 0, 127)?;
    let last_key = int(2, 0, 127)?;
    let middle_key = int(3, 0, 127)?;
    let reference_key = int(4, 0, 127)?;
    let reference_hz = decimal(word(5))
        .filter(|f| *f > Rational::from_integer(0))
        .ok_or_else(|| {
            err(
                lines[5].0,
                format!(
                    "expected a reference frequency in Hz above 0, found {:?}",
                    lines[5].1
                ),
            )
        })?;
    let octave_degree = int(6, 0, super::tuning::MAX_TUNING_DEGREES as i64)?;
    let mut map = Vec::with_capacity(size as usize);
    for &(n, line) in &lines[7..] {
        if map.len() == size as usize {
            return Err(err(
                n,
                format!("stray line {line:?}: the map has {size} keys and this is one more"),
            ));
        }
        let w = line.split_whitespace().next().unwrap_or("");
        if w.eq_ignore_ascii_case("x") {
            map.push(None);
            continue;
        }
        let d: i64 = w.parse().map_err(|_| {
            err(
                n,
                format!("expected a degree or 'x' for an unmapped key, found {line:?}"),
            )
        })?;
        map.push(Some(d));
    }
    map.resize(size as usize, None);
    if first_key > last_key {
        return Err(err(
            lines[1].0,
            format!("first key {first_key} is above last key {last_key}"),
        ));
    }
    Ok(KeyboardMap {
        name: file.to_string(),
        first_key,
        last_key,
        middle_key,
        reference_key,
        reference_hz,
        octave_degree,
        map,
    })
}

impl KeyboardMap {
    /// The degree key `key` plays (counted from the middle key), `None`
    /// when the key is unmapped or outside the first..last keys.
    pub fn degree_of(&self, key: i64, tuning_size: usize) -> Option<i64> {
        if key < self.first_key || key > self.last_key {
            return None;
        }
        let i = key - self.middle_key;
        if self.map.is_empty() {
            return Some(i);
        }
        let m = self.map.len() as i64;
        let octave = match self.octave_degree {
            0 => tuning_size as i64,
            d => d,
        };
        let entry = self.map[i.rem_euclid(m) as usize]?;
        Some(entry + i.div_euclid(m) * octave)
    }

    /// The interval of degree `d` (counted from the middle key) above the
    /// reference frequency. `None` when the reference key is unmapped or an
    /// exact term overflows.
    pub fn above_reference(&self, tuning: &Tuning, d: i64) -> Option<Interval> {
        let reference = self.degree_of(self.reference_key, tuning.size())?;
        tuning.degree(d)?.above(tuning.degree(reference)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    const WHITE_KEYS: &str = "! 7 notes on the white keys, A4 at 432 Hz\n12\n0\n127\n60\n69\n432.0\n7\n! mapping\n0\nx\n1\nx\n2\n3\nx\n4\nx\n5\nx\n6\n";

    #[test]
    fn a_white_key_map() {
        let m = parse_kbm(WHITE_KEYS, "white.kbm").unwrap();
        assert_eq!(m.map.len(), 12);
        assert_eq!(m.reference_hz, q(432, 1));
        assert_eq!(m.degree_of(60, 7), Some(0));
        assert_eq!(m.degree_of(61, 7), None);
        assert_eq!(m.degree_of(69, 7), Some(5));
        assert_eq!(m.degree_of(72, 7), Some(7));
        assert_eq!(m.degree_of(59, 7), Some(-1));
        let just = Tuning::from_ratios(
            "just",
            &[q(9, 8), q(5, 4), q(4, 3), q(3, 2), q(5, 3), q(15, 8)],
        )
        .unwrap();
        // C (degree 0) lies a just major sixth below A (degree 5).
        assert_eq!(m.above_reference(&just, 0), Some(Interval::ratio(q(3, 5))));
    }

    #[test]
    fn linear_maps_and_errors() {
        let m = parse_kbm("0\n0\n127\n60\n60\n261.6256\n0\n", "lin.kbm").unwrap();
        assert_eq!(m.degree_of(67, 12), Some(7));
        assert_eq!(m.reference_hz, q(2_616_256, 10_000));
        let e = |t: &str| parse_kbm(t, "b.kbm").unwrap_err().to_string();
        assert_eq!(
            e("0\n0\n127\n60\n"),
            "b.kbm:4: a keyboard mapping starts with 7 values; the reference key is missing"
        );
        assert_eq!(
            e("0\n0\n127\n60\n69\n-440\n0\n"),
            "b.kbm:6: expected a reference frequency in Hz above 0, found \"-440\""
        );
        assert_eq!(
            e("1\n0\n127\n60\n69\n440.0\n0\n0\n1\n"),
            "b.kbm:9: stray line \"1\": the map has 1 keys and this is one more"
        );
        assert_eq!(
            e("0\n0\n200\n60\n69\n440\n0\n"),
            "b.kbm:3: last key 200: give 0 to 127"
        );
    }
}
