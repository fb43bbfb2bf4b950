//! Chord names (`c4'maj`, `e3'min7`), as semitones above the chord's note.

/// The chords a note name or MIDI number can carry after `'`, with their
/// semitones above the note (12-EDO intervals, as a musician spells them).
pub const CHORDS: &[(&str, &[i64])] = &[
    ("maj", &[0, 4, 7]),
    ("major", &[0, 4, 7]),
    ("min", &[0, 3, 7]),
    ("minor", &[0, 3, 7]),
    ("m", &[0, 3, 7]),
    ("dim", &[0, 3, 6]),
    ("aug", &[0, 4, 8]),
    ("sus2", &[0, 2, 7]),
    ("sus4", &[0, 5, 7]),
    ("five", &[0, 7]),
    ("six", &[0, 4, 7, 9]),
    ("m6", &[0, 3, 7, 9]),
    ("dom7", &[0, 4, 7, 10]),
    ("seven", &[0, 4, 7, 10]),
    ("maj7", &[0, 4, 7, 11]),
    ("min7", &[0, 3, 7, 10]),
    ("m7", &[0, 3, 7, 10]),
    ("dim7", &[0, 3, 6, 9]),
    ("m7b5", &[0, 3, 6, 10]),
    ("minmaj7", &[0, 3, 7, 11]),
    ("add9", &[0, 4, 7, 14]),
    ("maj9", &[0, 4, 7, 11, 14]),
    ("min9", &[0, 3, 7, 10, 14]),
    ("dom9", &[0, 4, 7, 10, 14]),
];

/// The semitones of chord `name` (case-sensitive: `M7` is not `m7`, so
/// only the lower-case names above are accepted).
pub fn chord(name: &str) -> Option<&'static [i64]> {
    CHORDS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The names, for messages.
pub fn chord_names() -> String {
    CHORDS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chord_starts_on_its_note_and_rises() {
        for (name, semis) in CHORDS {
            assert_eq!(semis[0], 0, "{name}");
            assert!(semis.windows(2).all(|w| w[0] < w[1]), "{name}");
        }
        assert_eq!(chord("maj"), Some(&[0, 4, 7][..]));
        assert_eq!(chord("min7"), Some(&[0, 3, 7, 10][..]));
        assert_eq!(chord("nope"), None);
    }
}
