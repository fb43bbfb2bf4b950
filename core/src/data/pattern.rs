//! One bar of drums as loam's models see it: hits on a grid of sixths of a
//! pulse (so both binary and ternary subdivisions of every pulse are exact),
//! with a velocity and a micro-timing shift, plus where the bar came from.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::{q, Metre, Rational};

/// Grid cells per pulse: lcm(2, 3), so halves and thirds of a pulse both fall
/// on the grid.
pub const CELLS_PER_PULSE: u32 = 6;

/// The kit's sounds in their canonical order (rows are sorted by it).
pub use crate::sound::KIT_NAMES;

/// Who made a pattern, under which terms, and with what consent. Carried from
/// the dataset into every model file trained on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The piece's or pattern's title.
    pub title: String,
    /// Who made it.
    pub author: String,
    /// Under which terms it may be used (`CC0-1.0`).
    pub licence: String,
    /// Where the material comes from (a recording, a book, "written for loam").
    pub source: String,
    /// What its maker agreed to ("the author agrees to models being trained on these patterns").
    pub consent: String,
    /// The dataset file and line it was read from (`path:line`).
    pub file: String,
}

impl Provenance {
    /// Sets a field by its name in the text format; false for an unknown key.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        let slot = match key {
            "title" => &mut self.title,
            "author" => &mut self.author,
            "licence" | "license" => &mut self.licence,
            "source" => &mut self.source,
            "consent" => &mut self.consent,
            _ => return false,
        };
        *slot = value.to_string();
        true
    }
}

/// One drum stroke.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The kit sound it plays (`kick`, `snare`, `hat`…).
    pub instrument: String,
    /// Position in sixths of a pulse from the bar's start.
    pub cell: u32,
    /// Loudness in (0, 1].
    pub velocity: f32,
    /// Micro-timing in pulses: positive is late (laid back), negative early.
    pub shift: f32,
}

impl Hit {
    /// Position in pulses from the bar's start (exact, without the shift).
    pub fn position(&self) -> Rational {
        q(self.cell as i128, CELLS_PER_PULSE as i128)
    }
}

/// One bar of drums in a metre.
#[derive(Clone, Debug, PartialEq)]
pub struct DrumBar {
    /// The bar's name in the dataset.
    pub name: String,
    /// Its metre (the grid of pulses its hits lie on).
    pub metre: Metre,
    /// Sorted by cell, then by instrument (kit order first).
    pub hits: Vec<Hit>,
    /// Who made it, and under which terms.
    pub provenance: Provenance,
}

impl DrumBar {
    /// An empty bar.
    pub fn new(name: &str, metre: Metre) -> DrumBar {
        DrumBar {
            name: name.to_string(),
            metre,
            hits: Vec::new(),
            provenance: Provenance::default(),
        }
    }

    /// Grid cells in one bar.
    pub fn cells(&self) -> u32 {
        self.metre.pulses() * CELLS_PER_PULSE
    }

    /// The instruments that play, in kit order (others after, alphabetically).
    pub fn instruments(&self) -> Vec<String> {
        let mut names: Vec<String> = self.hits.iter().map(|h| h.instrument.clone()).collect();
        sort_instruments(&mut names);
        names
    }

    /// Sorts hits into their canonical order.
    pub fn sort(&mut self) {
        self.hits.sort_by(|a, b| {
            a.cell
                .cmp(&b.cell)
                .then(instrument_rank(&a.instrument).cmp(&instrument_rank(&b.instrument)))
        });
    }

    /// Writes the pattern in the text format (see [`crate::data`]), each group
    /// at the coarsest subdivision (1, 2 or 3 cells a pulse) that holds it.
    /// Shifts round to the nearest `<`/`>` mark.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("pattern {}\nmetre {}\n", self.name, self.metre));
        let names = self.instruments();
        let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
        for name in &names {
            out.push_str(&format!("{name:width$} "));
            let mut start = 0u32;
            for (g, pulses) in self.metre.groups().iter().enumerate() {
                if g > 0 {
                    out.push_str("| ");
                }
                let end = start + pulses * CELLS_PER_PULSE;
                let hits: Vec<&Hit> = self
                    .hits
                    .iter()
                    .filter(|h| &h.instrument == name && h.cell >= start && h.cell < end)
                    .collect();
                let per_pulse = [1u32, 2, 3, 6]
                    .into_iter()
                    .find(|s| {
                        hits.iter()
                            .all(|h| (h.cell - start).is_multiple_of(CELLS_PER_PULSE / s))
                    })
                    .unwrap_or(6);
                let step = CELLS_PER_PULSE / per_pulse;
                let mut cell = start;
                while cell < end {
                    match hits.iter().find(|h| h.cell == cell) {
                        Some(h) => {
                            out.push(velocity_char(h.velocity));
                            let marks = (h.shift / SHIFT_MARK).round() as i32;
                            let mark = if marks < 0 { '<' } else { '>' };
                            for _ in 0..marks.unsigned_abs().min(3) {
                                out.push(mark);
                            }
                        }
                        None => out.push('.'),
                    }
                    out.push(' ');
                    cell += step;
                }
                start = end;
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for DrumBar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Micro-timing of one `<` or `>` mark, in pulses.
pub const SHIFT_MARK: f32 = 1.0 / 24.0;

/// Velocity of `x` (a normal stroke).
pub const VELOCITY_NORMAL: f32 = 0.7;
/// Velocity of `X` (an accent).
pub const VELOCITY_ACCENT: f32 = 1.0;
/// Velocity of `o` (a ghost note).
pub const VELOCITY_GHOST: f32 = 0.35;

/// The cell character for a velocity (the nearest of `o x X` or a digit).
pub fn velocity_char(v: f32) -> char {
    for (c, value) in [
        ('o', VELOCITY_GHOST),
        ('x', VELOCITY_NORMAL),
        ('X', VELOCITY_ACCENT),
    ] {
        if (v - value).abs() < 0.01 {
            return c;
        }
    }
    let digit = (v * 9.0).round().clamp(1.0, 9.0) as u32;
    char::from_digit(digit, 10).unwrap_or('x')
}

/// Canonical rank of an instrument: kit order, then everything else.
pub fn instrument_rank(name: &str) -> usize {
    KIT_NAMES
        .iter()
        .position(|k| *k == name)
        .unwrap_or(KIT_NAMES.len())
}

/// Sorts and de-duplicates instrument names into kit order (others after,
/// alphabetically).
pub fn sort_instruments(names: &mut Vec<String>) {
    names.sort_by(|a, b| {
        instrument_rank(a)
            .cmp(&instrument_rank(b))
            .then_with(|| a.cmp(b))
    });
    names.dedup();
}

/// Short names a drummer may write, and the kit sound each stands for.
pub fn canonical_instrument(name: &str) -> &str {
    match name {
        "bd" => "kick",
        "sd" => "snare",
        "hh" | "ch" => "hat",
        "oh" => "openhat",
        "cp" => "clap",
        "rs" => "rim",
        "lt" => "lowtom",
        "mt" => "tom",
        "ht" => "hightom",
        "cb" => "cowbell",
        "sh" => "shaker",
        other => other,
    }
}

/// A General MIDI drum note (channel 10) as a kit sound.
pub fn gm_drum_name(note: u8) -> Option<&'static str> {
    Some(match note {
        35 | 36 => "kick",
        38 | 40 => "snare",
        37 | 75 | 76 | 77 => "rim",
        39 => "clap",
        42 | 44 | 51 | 59 => "hat",
        46 | 49 | 52 | 55 | 57 => "openhat",
        41 | 43 => "lowtom",
        45 | 47 => "tom",
        48 | 50 => "hightom",
        56 => "cowbell",
        54 | 69 | 70 | 82 => "shaker",
        53 | 80 | 81 => "bell",
        _ => return None,
    })
}

/// The General MIDI drum note loam writes for a kit sound (unknown names: none).
pub fn gm_drum_note(name: &str) -> Option<u8> {
    Some(match name {
        "kick" => 36,
        "snare" => 38,
        "hat" => 42,
        "openhat" => 46,
        "clap" => 39,
        "rim" => 37,
        "lowtom" => 41,
        "tom" => 45,
        "hightom" => 48,
        "cowbell" => 56,
        "shaker" => 70,
        "bell" => 53,
        _ => return None,
    })
}

/// A note of a melody, in whole notes from its start.
#[derive(Clone, Debug, PartialEq)]
pub struct MelodyNote {
    /// MIDI note number, 0 … 127 (60 = middle C).
    pub pitch: u8,
    /// When it starts, in whole notes from the melody's start.
    pub start: Rational,
    /// How long it lasts, in whole notes.
    pub duration: Rational,
    /// Loudness in (0, 1] (MIDI velocity / 127).
    pub velocity: f32,
}

/// A line of notes (one MIDI track and channel).
#[derive(Clone, Debug, PartialEq)]
pub struct Melody {
    /// The track's name, or the file's stem with track and channel.
    pub name: String,
    /// Its notes, in order of start.
    pub notes: Vec<MelodyNote>,
    /// Who made it, and under which terms.
    pub provenance: Provenance,
    /// The metre its file declares where it starts (a time signature, or a
    /// `metre …` marker); `None` when the file says none (MIDI then means 4/4).
    pub metre: Option<Metre>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gm_map_round_trips_for_every_kit_sound() {
        for name in KIT_NAMES {
            let note = gm_drum_note(name).unwrap();
            assert_eq!(gm_drum_name(note), Some(name));
        }
    }

    #[test]
    fn velocity_chars_round_trip() {
        for c in ['o', 'x', 'X', '1', '5', '9'] {
            let v = match c {
                'o' => VELOCITY_GHOST,
                'x' => VELOCITY_NORMAL,
                'X' => VELOCITY_ACCENT,
                d => d.to_digit(10).unwrap() as f32 / 9.0,
            };
            let back = velocity_char(v);
            if c == '9' {
                assert_eq!(back, 'X');
            } else {
                assert_eq!(back, c);
            }
        }
    }
}
