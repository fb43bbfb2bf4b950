//! Tempo: how many of which note value per minute.
//!
//! A plain tempo counts the metre's beat (see [`Metre::beat_value`]): one
//! group, or the shortest group where groups differ. So `6/8` at 120 means
//! 120 dotted quarters a minute, `2+2+3/8` at 137 means 137 quarters (the long
//! group lasting one and a half of them), `4/4` at 120 means 120 quarters.
//! A tempo may instead name its note value: 180 eighths (`"1/8"` or `"e"`).

use std::fmt;

use super::{q, Metre, Rational};

/// A note value as a fraction of a whole note: `1/4` is a quarter, `3/8` a dotted quarter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NoteValue(pub Rational);

impl NoteValue {
    /// Reads `1/4`, `3/8`, `1/8.` or a letter: `w` whole, `h` half, `q` quarter,
    /// `e` eighth, `s` sixteenth, each optionally dotted (`q.` = dotted quarter).
    pub fn parse(text: &str) -> Result<NoteValue, TempoError> {
        let t = text.trim();
        let (body, dotted) = match t.strip_suffix('.') {
            Some(b) => (b, true),
            None => (t, false),
        };
        let base = match body {
            "w" => Some(q(1, 1)),
            "h" => Some(q(1, 2)),
            "q" => Some(q(1, 4)),
            "e" => Some(q(1, 8)),
            "s" => Some(q(1, 16)),
            _ => body.split_once('/').and_then(|(n, d)| {
                let n: i128 = n.trim().parse().ok()?;
                let d: i128 = d.trim().parse().ok()?;
                (n > 0 && d > 0 && n <= 64 && d <= 64).then(|| q(n, d))
            }),
        };
        match base {
            Some(v) if dotted => Ok(NoteValue(v * q(3, 2))),
            Some(v) => Ok(NoteValue(v)),
            None => Err(TempoError(format!(
                "unknown note value '{text}': write a fraction of a whole note (1/4, 3/8, 1/8) \
                 or a letter w h q e s, optionally dotted (q.)"
            ))),
        }
    }
}

/// Beats per minute, exact, counting either the metre's beat or a named note value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tempo {
    per_minute: Rational,
    note: Option<NoteValue>,
}

/// A tempo loam refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoError(pub String);

impl fmt::Display for TempoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TempoError {}

impl Tempo {
    /// A tempo counting the metre's beat. `bpm` is kept to a millionth of a
    /// beat, exactly: 137.37 becomes 13737/100.
    pub fn bpm(bpm: f64) -> Result<Tempo, TempoError> {
        if !bpm.is_finite() || !(1.0..=1000.0).contains(&bpm) {
            return Err(TempoError(format!(
                "tempo {bpm} is out of range: give 1 to 1000 beats per minute"
            )));
        }
        let micro = (bpm * 1_000_000.0).round() as i128;
        Ok(Tempo {
            per_minute: q(micro, 1_000_000),
            note: None,
        })
    }

    /// A tempo counting a named note value instead of the metre's beat.
    pub fn counting(self, note: NoteValue) -> Tempo {
        Tempo {
            note: Some(note),
            ..self
        }
    }

    /// Beats per minute as given.
    pub fn per_minute(&self) -> Rational {
        self.per_minute
    }

    /// The note value counted, if one was named.
    pub fn note(&self) -> Option<NoteValue> {
        self.note
    }

    /// Beats per minute as a float, for display.
    pub fn bpm_f64(&self) -> f64 {
        *self.per_minute.numer() as f64 / *self.per_minute.denom() as f64
    }

    /// Exact frames in one whole note under `metre` at `sample_rate`.
    pub fn frames_per_whole_note(&self, metre: &Metre, sample_rate: u32) -> Rational {
        let beat = self.note.map(|n| n.0).unwrap_or_else(|| metre.beat_value());
        Rational::from_integer(60 * sample_rate as i128) / (self.per_minute * beat)
    }

    /// Exact frames in one bar of `metre`.
    pub fn frames_per_bar(&self, metre: &Metre, sample_rate: u32) -> Rational {
        self.frames_per_whole_note(metre, sample_rate) * metre.bar_length()
    }
}

impl fmt::Display for Tempo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.note {
            None => write!(f, "{}", self.bpm_f64()),
            Some(n) => write!(f, "{} ({} notes)", self.bpm_f64(), n.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_tempi_are_exact() {
        assert_eq!(Tempo::bpm(137.37).unwrap().per_minute(), q(13737, 100));
        assert_eq!(Tempo::bpm(120.0).unwrap().per_minute(), q(120, 1));
    }

    #[test]
    fn compound_tempo_counts_dotted_quarters() {
        let six_eight = Metre::parse("6/8").unwrap();
        // 120 dotted quarters a minute: one 6/8 bar (two of them) lasts one second.
        let t = Tempo::bpm(120.0).unwrap();
        assert_eq!(t.frames_per_bar(&six_eight, 48_000), q(48_000, 1));
        // The same music written as 360 eighths a minute.
        let e = Tempo::bpm(360.0)
            .unwrap()
            .counting(NoteValue::parse("e").unwrap());
        assert_eq!(e.frames_per_bar(&six_eight, 48_000), q(48_000, 1));
    }

    #[test]
    fn aksak_tempo_counts_the_short_beat() {
        let seven = Metre::parse("2+2+3/8").unwrap();
        let t = Tempo::bpm(120.0).unwrap();
        // 3.5 quarters at 120 = 1.75 s.
        assert_eq!(t.frames_per_bar(&seven, 48_000), q(84_000, 1));
    }

    #[test]
    fn note_values_parse() {
        assert_eq!(NoteValue::parse("q.").unwrap().0, q(3, 8));
        assert_eq!(NoteValue::parse("3/8").unwrap().0, q(3, 8));
        assert_eq!(NoteValue::parse("1/8.").unwrap().0, q(3, 16));
        assert!(NoteValue::parse("x").unwrap_err().0.contains("'x'"));
        assert!(Tempo::bpm(0.0).is_err());
        assert!(Tempo::bpm(f64::NAN).is_err());
    }
}
