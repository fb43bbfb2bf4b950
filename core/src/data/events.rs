//! Events for the step-wise models (Markov, GRU): what sounds, and how long
//! until the next event, after Mégra's sound events with durations.
//!
//! A drum event's label is the instruments struck together, joined by `+` in
//! kit order (`kick+hat`), or `.` for a bar that starts with silence. A melody
//! event's label is its MIDI pitch (`60`, or `60+64` for a chord). Durations
//! are whole ticks, [`TICKS_PER_WHOLE`] to a whole note, so halves and thirds
//! of any pulse are exact.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::pattern::{instrument_rank, DrumBar, Melody, CELLS_PER_PULSE};

/// Ticks in a whole note: a sixth of a 1/32 pulse is one tick.
pub const TICKS_PER_WHOLE: u32 = 192;

/// One step of a sequence: a label and the ticks until the next step.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Event {
    /// What plays: the instruments struck together (`kick+hat`), MIDI pitches
    /// (`60`, `60+64` for a chord), or `.` for a rest.
    pub label: String,
    /// Ticks until the next step ([`TICKS_PER_WHOLE`] to the whole note).
    pub ticks: u32,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.label, self.ticks)
    }
}

impl Event {
    /// The event's duration in whole notes, as `(numerator, denominator)`.
    pub fn whole_notes(&self) -> (u32, u32) {
        let g = gcd(self.ticks, TICKS_PER_WHOLE);
        (self.ticks / g.max(1), TICKS_PER_WHOLE / g.max(1))
    }

    /// The instruments (or pitches) of the label; empty for a rest.
    pub fn parts(&self) -> Vec<&str> {
        if self.label == "." {
            Vec::new()
        } else {
            self.label.split('+').collect()
        }
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A drum bar as events. The last event lasts until the bar's end; a bar
/// without a hit on its downbeat starts with a rest.
pub fn pattern_events(p: &DrumBar) -> Vec<Event> {
    let ticks_per_cell = TICKS_PER_WHOLE / (CELLS_PER_PULSE * p.metre.unit()).max(1);
    let ticks_per_cell = ticks_per_cell.max(1);
    let mut onsets: Vec<(u32, Vec<&str>)> = Vec::new();
    for h in &p.hits {
        match onsets.last_mut() {
            Some((cell, names)) if *cell == h.cell => names.push(&h.instrument),
            _ => onsets.push((h.cell, vec![&h.instrument])),
        }
    }
    if onsets.first().is_none_or(|(c, _)| *c != 0) {
        onsets.insert(0, (0, Vec::new()));
    }
    let end = p.cells();
    (0..onsets.len())
        .map(|i| {
            let (cell, names) = &onsets[i];
            let next = onsets.get(i + 1).map(|(c, _)| *c).unwrap_or(end);
            let mut names = names.clone();
            names.sort_by(|a, b| instrument_rank(a).cmp(&instrument_rank(b)).then(a.cmp(b)));
            names.dedup();
            let label = if names.is_empty() {
                ".".to_string()
            } else {
                names.join("+")
            };
            Event {
                label,
                ticks: (next - cell) * ticks_per_cell,
            }
        })
        .collect()
}

/// The shortest silence between a melody's notes that becomes a rest
/// event (`.`), in ticks: a sixteenth note. Shorter gaps (staccato,
/// a player's breath) belong to the note before.
pub const MIN_REST_TICKS: u32 = TICKS_PER_WHOLE / 16;

/// A melody as events: each onset (chords joined) lasts until the next
/// onset, or, when a silence of at least [`MIN_REST_TICKS`] follows it,
/// until its end and a rest (`.`) fills the silence; the last lasts its
/// own length.
pub fn melody_events(m: &Melody) -> Vec<Event> {
    let whole = TICKS_PER_WHOLE as i128;
    let tick = |r: crate::time::Rational| (r * whole).round().to_integer().max(0) as u32;
    let mut onsets: Vec<(u32, Vec<u8>, u32)> = Vec::new();
    for n in &m.notes {
        let at = tick(n.start);
        let end = at + tick(n.duration).max(1);
        match onsets.last_mut() {
            Some((start, pitches, e)) if *start == at => {
                pitches.push(n.pitch);
                *e = (*e).max(end);
            }
            _ => onsets.push((at, vec![n.pitch], end)),
        }
    }
    let mut events = Vec::with_capacity(onsets.len());
    for i in 0..onsets.len() {
        let (at, pitches, end) = &onsets[i];
        let next = onsets.get(i + 1).map(|o| o.0).unwrap_or(*end);
        let mut pitches = pitches.clone();
        pitches.sort_unstable();
        pitches.dedup();
        let label = pitches
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("+");
        let rest = next.saturating_sub(*end);
        if rest >= MIN_REST_TICKS {
            events.push(Event {
                label,
                ticks: (end - at).max(1),
            });
            events.push(Event {
                label: ".".to_string(),
                ticks: rest,
            });
        } else {
            events.push(Event {
                label,
                ticks: (next - at).max(1),
            });
        }
    }
    events
}

/// The metre a dataset's part is in: the commonest among its drum bars
/// or among its melodies that declare one (ties: the first met); `None`
/// when no melody declares one.
pub fn dataset_metre(data: &super::Dataset, source: DatasetPart) -> Option<crate::time::Metre> {
    let metres: Vec<&crate::time::Metre> = match source {
        DatasetPart::Drums => data.patterns.iter().map(|p| &p.metre).collect(),
        DatasetPart::Melody => data
            .melodies
            .iter()
            .filter_map(|m| m.metre.as_ref())
            .collect(),
    };
    let mut best: Option<(&crate::time::Metre, usize)> = None;
    for m in &metres {
        let n = metres.iter().filter(|o| *o == m).count();
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((m, n));
        }
    }
    best.map(|(m, _)| m.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::text::parse_patterns;

    #[test]
    fn drum_bar_becomes_events_with_exact_durations() {
        let p = &parse_patterns(
            "metre 2+2+3/8\nkick . . | x . | x . .\nhat xxx xxx | . . | . . x\n",
            std::path::Path::new("t.pat"),
        )
        .unwrap()[0];
        let e = pattern_events(p);
        let labels: Vec<&str> = e.iter().map(|e| e.label.as_str()).collect();
        // Cell = 4 ticks at /8; hat triplets every 2 cells = 8 ticks.
        assert_eq!(labels[..6], ["hat"; 6]);
        assert_eq!(e[0].ticks, 8);
        assert_eq!(labels[6], "kick");
        assert_eq!(e.iter().map(|e| e.ticks).sum::<u32>(), 7 * 24);
        assert_eq!(e.last().unwrap().label, "hat");
        assert_eq!(e.last().unwrap().whole_notes(), (1, 8));
    }

    #[test]
    fn a_melody_keeps_its_rests_and_lets_short_gaps_go() {
        use crate::data::pattern::MelodyNote;
        use crate::time::q;
        let note = |pitch, start: (i128, i128), duration: (i128, i128)| MelodyNote {
            pitch,
            start: q(start.0, start.1),
            duration: q(duration.0, duration.1),
            velocity: 0.8,
        };
        // 9/8: a quarter, a staccato eighth (a 1/32 gap), an eighth rest,
        // a dotted quarter, then a quarter.
        let m = Melody {
            name: "slip".into(),
            notes: vec![
                note(62, (0, 8), (2, 8)),
                note(64, (2, 8), (3, 32)),
                note(67, (4, 8), (3, 8)),
                note(69, (7, 8), (2, 8)),
            ],
            provenance: Default::default(),
            metre: Some(crate::time::Metre::parse("9/8").unwrap()),
        };
        let e = melody_events(&m);
        let got: Vec<(&str, u32)> = e.iter().map(|e| (e.label.as_str(), e.ticks)).collect();
        assert_eq!(
            got,
            [("62", 48), ("64", 18), (".", 30), ("67", 72), ("69", 48)]
        );
        assert_eq!(e.iter().map(|e| e.ticks).sum::<u32>(), 9 * 24);
        // A gap shorter than a sixteenth stays with its note.
        let m = Melody {
            notes: vec![note(60, (0, 8), (7, 64)), note(62, (1, 8), (1, 8))],
            ..m
        };
        let got: Vec<u32> = melody_events(&m).iter().map(|e| e.ticks).collect();
        assert_eq!(got, [24, 24]);
    }

    #[test]
    fn silent_downbeat_gives_a_rest() {
        let p = &parse_patterns(
            "metre 6/8\nhat . x . | . x .\n",
            std::path::Path::new("t.pat"),
        )
        .unwrap()[0];
        let e = pattern_events(p);
        assert_eq!(e[0].label, ".");
        assert_eq!(e[0].ticks, 24);
    }
}

/// Which part of a dataset a step-wise model learns from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetPart {
    /// Drum patterns (each bar loops, so its last event leads to its first).
    Drums,
    /// Melodies (each a line with a start and an end).
    Melody,
}

impl DatasetPart {
    /// Drums when the dataset has patterns, else melodies.
    pub fn pick(data: &super::Dataset) -> DatasetPart {
        if data.patterns.is_empty() && !data.melodies.is_empty() {
            DatasetPart::Melody
        } else {
            DatasetPart::Drums
        }
    }

    /// Reads `drums` or `melody`.
    pub fn parse(text: &str) -> Option<DatasetPart> {
        match text {
            "drums" | "drum" | "patterns" => Some(DatasetPart::Drums),
            "melody" | "melodies" | "notes" => Some(DatasetPart::Melody),
            _ => None,
        }
    }
}

/// Event sequences of a dataset: `(events, loops)`; drum bars loop.
pub fn dataset_sequences(data: &super::Dataset, source: DatasetPart) -> Vec<(Vec<Event>, bool)> {
    match source {
        DatasetPart::Drums => data
            .patterns
            .iter()
            .map(|p| (pattern_events(p), true))
            .collect(),
        DatasetPart::Melody => data
            .melodies
            .iter()
            .map(|m| (melody_events(m), false))
            .filter(|(e, _)| !e.is_empty())
            .collect(),
    }
}
