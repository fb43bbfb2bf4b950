//! Loops that play as MIDI notes: what a loop sends, and the frame-stamped
//! notes the planner makes of it.
//!
//! In a script: `live_loop("bass", "c2 ~ eb2 g2").midi(2)` sends channel 2
//! beside the internal voices; `.midi_only(2)` sends instead of them.
//! `.midi(ch, note)` sends every event as one note (a drum machine's pad).
//! The note of an event is, in order: the loop's fixed note, a number
//! (`"60"`, or between the keys: `"60.5"` is a quarter tone above middle
//! C, sent as MIDI out's tuning says: control's `midi::tuning_out`), a note name (`"c4"`, `"eb2"`, `"f#3"`; c4 = 60), or the GM
//! drum note of a kit sound (`kick` → 36,
//! [`gm_drum_note`](crate::data::pattern::gm_drum_note)); events with none of these are
//! skipped. Velocity is the event's velocity × the loop's gain × 127
//! (clamped to 1 … 127); a note lasts its step × the loop's legato (the
//! whole step without one), at least one frame.

/// How a loop sends MIDI.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopMidi {
    /// MIDI channel 1–16.
    pub channel: u8,
    /// Every event plays this note, when set.
    pub note: Option<u8>,
    /// Also play the internal voices.
    pub voices: bool,
}

/// A note the planner made for the MIDI output, stamped on the audio clock
/// (the control thread's MIDI part turns it into note-on and note-off).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlannedNote {
    /// Frame of the note-on, on the engine clock.
    pub frame: u64,
    /// Frame of the note-off (after `frame`).
    pub end: u64,
    /// 0-based channel.
    pub channel: u8,
    /// MIDI note number, 0 … 127: the key nearest `pitch`.
    pub note: u8,
    /// The exact pitch as a fractional MIDI note number (60.5: a quarter
    /// tone above middle C); equal to `note` for a note on a key.
    pub pitch: f64,
    /// 1 … 127.
    pub velocity: u8,
}

/// The highest pitch a MIDI note can carry, as a fractional MIDI number:
/// just below the point where key 127 would no longer be the nearest.
pub const HIGHEST_PITCH: f64 = 127.499_999;

/// A pitch as a fractional MIDI number from `"60.25"` (0 …
/// [`HIGHEST_PITCH`]) or anything [`note_number`] reads.
pub fn pitch_of(text: &str) -> Option<f64> {
    if let Some(n) = note_number(text) {
        return Some(f64::from(n));
    }
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let p: f64 = text.parse().ok()?;
    (p.is_finite() && (0.0..=HIGHEST_PITCH).contains(&p)).then_some(p)
}

/// How near a key a pitch from a frequency must be to be that key, in
/// semitones: a millionth (0.0001 cent), far below any tuning's step and
/// far above the error of one `log2`, so a 12-EDO note converted from its
/// frequency sends exactly the plain note-on it always did.
pub const KEY_SNAP: f64 = 1e-6;

/// `pitch` itself, or the key it lies within [`KEY_SNAP`] of.
pub fn snap_to_key(pitch: f64) -> f64 {
    if (pitch - pitch.round()).abs() < KEY_SNAP {
        pitch.round()
    } else {
        pitch
    }
}

/// A frequency in Hz as a fractional MIDI note number (A4 = 440 Hz = 69,
/// 12-EDO): how a tuned pitch reaches MIDI out. `None` outside 0 …
/// [`HIGHEST_PITCH`] (about 8.18 Hz to 12.9 kHz) or for a frequency that
/// is not a positive number.
pub fn pitch_of_hz(hz: f64) -> Option<f64> {
    if !(hz.is_finite() && hz > 0.0) {
        return None;
    }
    let p = 69.0 + 12.0 * (hz / 440.0).log2();
    (0.0..=HIGHEST_PITCH).contains(&p).then_some(p)
}

/// The key nearest a pitch (a fractional MIDI number), 0 … 127.
pub fn nearest_key(pitch: f64) -> u8 {
    if !pitch.is_finite() {
        return 0;
    }
    pitch.round().clamp(0.0, 127.0) as u8
}

/// A note number from `"60"` or a note name (`c4` = 60, `eb2`, `f#3`, `Bb-1`).
pub fn note_number(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return (n < 128).then_some(n);
    }
    let lower = text.to_ascii_lowercase();
    let mut chars = lower.chars();
    let base: i32 = match chars.next()? {
        'c' => 0,
        'd' => 2,
        'e' => 4,
        'f' => 5,
        'g' => 7,
        'a' => 9,
        'b' => 11,
        _ => return None,
    };
    let rest: String = chars.collect();
    let (shift, octave) = if let Some(r) = rest.strip_prefix('#').or(rest.strip_prefix('s')) {
        (1, r)
    } else if let Some(r) = rest.strip_prefix('b') {
        (-1, r)
    } else {
        (0, rest.as_str())
    };
    let octave: i32 = octave.parse().ok()?;
    let n = (octave + 1) * 12 + base + shift;
    (0..128).contains(&n).then_some(n as u8)
}

/// The velocity byte for a linear gain.
pub fn velocity_of(gain: f64) -> u8 {
    if !gain.is_finite() {
        return 1;
    }
    (gain * 127.0).round().clamp(1.0, 127.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names() {
        assert_eq!(note_number("c4"), Some(60));
        assert_eq!(note_number("C-1"), Some(0));
        assert_eq!(note_number("eb2"), Some(39));
        assert_eq!(note_number("f#3"), Some(54));
        assert_eq!(note_number("g9"), Some(127));
        assert_eq!(note_number("a9"), None);
        assert_eq!(note_number("127"), Some(127));
        assert_eq!(note_number("200"), None);
        assert_eq!(note_number("kick"), None);
        assert_eq!(note_number("b"), None);
        assert_eq!(velocity_of(0.5), 64);
        assert_eq!(velocity_of(9.0), 127);
        assert_eq!(velocity_of(0.0), 1);
    }

    #[test]
    fn pitches_between_the_keys() {
        assert_eq!(pitch_of("60.5"), Some(60.5));
        assert_eq!(pitch_of("60"), Some(60.0));
        assert_eq!(pitch_of("c4"), Some(60.0));
        assert_eq!(pitch_of("0.25"), Some(0.25));
        assert_eq!(pitch_of("127.4"), Some(127.4));
        assert_eq!(pitch_of("127.5"), None);
        assert_eq!(pitch_of("-1.5"), None);
        assert_eq!(pitch_of("1e2"), None);
        assert_eq!(pitch_of("nan"), None);
        assert_eq!(pitch_of("kick"), None);
        assert_eq!(nearest_key(60.49), 60);
        assert_eq!(nearest_key(60.51), 61);
        assert_eq!(nearest_key(127.4), 127);
        assert_eq!(nearest_key(f64::NAN), 0);
    }

    #[test]
    fn frequencies_become_fractional_midi_numbers() {
        let near = |hz: f64, want: f64| {
            let p = pitch_of_hz(hz).unwrap();
            assert!((p - want).abs() < 1e-9, "{hz} Hz: {p}, want {want}");
        };
        near(440.0, 69.0);
        near(261.625_565_300_6, 60.0);
        near(880.0, 81.0);
        // 53-EDO: nine commas above middle C.
        near(
            261.625_565_300_6 * 2f64.powf(9.0 / 53.0),
            60.0 + 9.0 * 12.0 / 53.0,
        );
        // A quarter tone above A4.
        near(440.0 * 2f64.powf(1.0 / 24.0), 69.5);
        assert_eq!(pitch_of_hz(0.0), None);
        assert_eq!(pitch_of_hz(-440.0), None);
        assert_eq!(pitch_of_hz(f64::NAN), None);
        assert_eq!(pitch_of_hz(f64::INFINITY), None);
        // Below MIDI 0 (8.18 Hz) and above the top key.
        assert_eq!(pitch_of_hz(8.0), None);
        assert_eq!(pitch_of_hz(20_000.0), None);
    }
}
