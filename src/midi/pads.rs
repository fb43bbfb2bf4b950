//! Pads to drum voices: which note plays which sound.
//!
//! The default follows the General MIDI drum map onto loam's built-in kit
//! (kick snare hat openhat clap rim lowtom tom hightom cowbell shaker bell),
//! on MIDI channel 10, the GM drum channel. The mapping file may replace
//! both (see [`crate::midi::mapping_file`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// GM drum notes and the kit sound each plays.
pub const GM_DRUMS: &[(u8, &str)] = &[
    (35, "kick"),    // acoustic bass drum
    (36, "kick"),    // bass drum 1
    (37, "rim"),     // side stick
    (38, "snare"),   // acoustic snare
    (39, "clap"),    // hand clap
    (40, "snare"),   // electric snare
    (41, "lowtom"),  // low floor tom
    (42, "hat"),     // closed hi-hat
    (43, "lowtom"),  // high floor tom
    (44, "hat"),     // pedal hi-hat
    (45, "tom"),     // low tom
    (46, "openhat"), // open hi-hat
    (47, "tom"),     // low-mid tom
    (48, "hightom"), // hi-mid tom
    (50, "hightom"), // high tom
    (53, "bell"),    // ride bell
    (56, "cowbell"), // cowbell
    (69, "shaker"),  // cabasa
    (70, "shaker"),  // maracas
    (81, "bell"),    // open triangle
    (82, "shaker"),  // shaker
];

/// The note each kit sound sends when several notes play it.
const PREFERRED: &[(u8, &str)] = &[
    (36, "kick"),
    (38, "snare"),
    (42, "hat"),
    (45, "tom"),
    (48, "hightom"),
    (70, "shaker"),
    (53, "bell"),
];

/// Which notes trigger which sounds, and on which channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PadMap {
    /// MIDI channel 1–16 the pads send on; 0 = any channel.
    pub channel: u8,
    /// Note number → sound name (a bank sound, `name` or `name:variant`).
    pub notes: BTreeMap<u8, String>,
}

impl Default for PadMap {
    fn default() -> Self {
        PadMap {
            channel: 10,
            notes: GM_DRUMS.iter().map(|(n, s)| (*n, s.to_string())).collect(),
        }
    }
}

impl PadMap {
    /// The sound (and variant) a note on channel `channel` (0-based) plays.
    pub fn sound(&self, channel: u8, note: u8) -> Option<(&str, u32)> {
        if self.channel != 0 && self.channel != channel + 1 {
            return None;
        }
        let s = self.notes.get(&note)?;
        Some(match s.split_once(':') {
            Some((name, v)) => (name, v.parse().unwrap_or(0)),
            None => (s.as_str(), 0),
        })
    }

    /// The note that plays `sound`, for loops that send their drum sounds
    /// out as MIDI: the usual GM note where the map agrees, else the first.
    pub fn note_of(&self, sound: &str) -> Option<u8> {
        PREFERRED
            .iter()
            .find(|(n, s)| *s == sound && self.notes.get(n).is_some_and(|m| m == sound))
            .map(|(n, _)| *n)
            .or_else(|| {
                self.notes
                    .iter()
                    .find(|(_, s)| s.as_str() == sound)
                    .map(|(n, _)| *n)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gm_defaults_cover_the_kit() {
        let pads = PadMap::default();
        assert_eq!(pads.sound(9, 36), Some(("kick", 0)));
        assert_eq!(pads.sound(0, 36), None, "channel 1 is not the drum channel");
        for name in [
            "kick", "snare", "hat", "openhat", "clap", "rim", "lowtom", "tom", "hightom",
            "cowbell", "shaker", "bell",
        ] {
            assert!(pads.note_of(name).is_some(), "{name}");
        }
        assert_eq!(pads.note_of("kick"), Some(36));
        assert_eq!(pads.note_of("snare"), Some(38));
        assert_eq!(pads.note_of("rim"), Some(37));
    }

    /// Loops that play MIDI send a kit sound as its GM drum note, which the
    /// planner takes from `data::pattern::gm_drum_note`: the same note the
    /// default pad map plays the sound from, for every sound.
    #[test]
    fn loops_send_the_note_the_default_pads_play() {
        let pads = PadMap::default();
        let mut names: Vec<&str> = GM_DRUMS.iter().map(|(_, s)| *s).collect();
        names.extend(["tabla", "", "Kick", "60"]);
        for name in names {
            assert_eq!(
                crate::data::pattern::gm_drum_note(name),
                pads.note_of(name),
                "{name}"
            );
        }
    }
}
