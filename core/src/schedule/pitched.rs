//! Planning pitched notes: a pattern word that names a pitch (and is not a
//! sample the bank knows, unless the loop says `.note()`) becomes one
//! event per frequency (a chord: several), for a built-in voice or a
//! sample played at the note's rate.
//!
//! Runs on the planner's thread, never in the audio callback.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::loop_voice::VoiceChoice;
use super::LoopDef;
use crate::audio::SoundEvent;
use crate::pattern::values;
use crate::pitch::loop_pitch::NoteShift;
use crate::pitch::{Frequency, Tuning};
use crate::sound::tone::Timbre;
use crate::sound::{Sample, SoundBank};

/// Where and how loud one note of a loop plays, as the planner worked it out.
#[derive(Clone, Copy, Debug)]
pub struct NotePlace {
    /// The frame it starts.
    pub frame: u64,
    /// Frames it is held (its step times its legato).
    pub hold: u64,
    /// Linear gain.
    pub gain: f32,
    /// −1 … 1.
    pub pan: f32,
    /// The loop's (or note's) playback rate, which a pitched sample multiplies.
    pub rate: f64,
    /// How far the pattern's `transpose`/`octave_shift` transforms moved the note.
    pub shift: NoteShift,
}

/// The planner's pitch state: the global tuning, the built-in voices'
/// names, and what was said already.
#[derive(Debug)]
pub struct PitchedNotes {
    /// The session's tuning (`tuning(…)`), for loops without their own.
    pub tuning: Option<Arc<Tuning>>,
    /// One shared "sample" per built-in voice: it names the voice in
    /// messages and carries no audio (see [`SoundEvent::tone`]).
    voices: [Arc<Sample>; 4],
    /// Notes clamped into the audible range so far.
    pub clamped: u64,
    warned: BTreeSet<String>,
}

impl Default for PitchedNotes {
    fn default() -> Self {
        let voice = |t: Timbre| {
            Arc::new(Sample {
                name: t.name().to_string(),
                channels: 1,
                data: Vec::new(),
                source: "built-in voice".to_string(),
                credit: crate::data::credit::Credit::NONE,
            })
        };
        PitchedNotes {
            tuning: None,
            voices: [
                voice(Timbre::Saw),
                voice(Timbre::Pulse),
                voice(Timbre::Pluck),
                voice(Timbre::Fm),
            ],
            clamped: 0,
            warned: BTreeSet::new(),
        }
    }
}

/// The frequency in Hz of MIDI key `key` (maybe fractional) in 12-EDO at A4 = 440 Hz.
pub fn key_hz(key: f64) -> f64 {
    440.0 * ((key - 69.0) / 12.0).exp2()
}

impl PitchedNotes {
    /// The frequencies (Hz) the word `word` of loop `def` plays: one, a
    /// chord's several, or `None` when the word is not a pitch (or is a
    /// sample the bank knows and the loop did not say `.note()`), moved by
    /// the note's `shift`. The function the MIDI-out planning uses to send
    /// a tuned pitch.
    pub fn frequencies(
        &self,
        def: &LoopDef,
        word: &str,
        variant: u32,
        shift: NoteShift,
        bank: &SoundBank,
    ) -> Option<Vec<f64>> {
        if !def.pitch.notes_only && bank.get(word, variant).is_some() {
            return None;
        }
        let f = def
            .pitch
            .frequencies_shifted(word, self.tuning.as_ref(), shift)
            .ok()??;
        Some(f.iter().map(|f| f.hz).collect())
    }

    /// Plans note `word` of loop `def` at `place` into `events` when it is
    /// a pitch; returns false (nothing planned) when it is not, so the
    /// caller plays it as a sound. Problems go to `messages`, once each.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        &mut self,
        def: &LoopDef,
        word: &str,
        variant: u32,
        place: NotePlace,
        bank: &SoundBank,
        events: &mut Vec<SoundEvent>,
        messages: &mut Vec<String>,
    ) -> bool {
        if !def.pitch.notes_only && bank.get(word, variant).is_some() {
            return false;
        }
        let freqs: Vec<Frequency> =
            match def
                .pitch
                .frequencies_shifted(word, self.tuning.as_ref(), place.shift)
            {
                Ok(Some(f)) => f,
                Ok(None) => return false,
                Err(e) => {
                    self.warn(
                        messages,
                        &def.name,
                        word,
                        format!("loop '{}': {e}", def.name),
                    );
                    return true;
                }
            };
        for f in freqs {
            if f.clamped {
                self.clamped += 1;
                self.warn(
                    messages,
                    &def.name,
                    word,
                    format!(
                        "loop '{}': '{word}' lies outside {} to {} Hz; played at {} Hz (clamped notes so far: {})",
                        def.name,
                        crate::pitch::MIN_NOTE_HZ,
                        crate::pitch::MAX_NOTE_HZ,
                        f.hz,
                        self.clamped
                    ),
                );
            }
            let mut event = match &def.voice.voice {
                None => self.built(def, Timbre::Saw, f.hz, place),
                Some(VoiceChoice::Built(t)) => self.built(def, *t, f.hz, place),
                Some(VoiceChoice::Sample { name, variant }) => {
                    let Some(sample) = bank.get(name, *variant) else {
                        self.warn(
                            messages,
                            &def.name,
                            name,
                            format!("loop '{}': voice '{name}' is not a loaded sound", def.name),
                        );
                        return true;
                    };
                    let root = def.voice.sample_root();
                    let rate = (place.rate * f.hz / key_hz(root))
                        .clamp(-values::MAX_RATE, values::MAX_RATE);
                    let mut e = SoundEvent::new(place.frame, Arc::clone(sample));
                    e.rate = rate as f32;
                    e.length = Some(place.hold);
                    e
                }
            };
            event.gain = place.gain;
            event.pan = place.pan;
            event.pattern_credits = def.credits;
            events.push(event);
        }
        true
    }

    fn built(&self, def: &LoopDef, timbre: Timbre, hz: f64, place: NotePlace) -> SoundEvent {
        let index = match timbre {
            Timbre::Saw => 0,
            Timbre::Pulse => 1,
            Timbre::Pluck => 2,
            Timbre::Fm => 3,
        };
        let mut e = SoundEvent::new(place.frame, Arc::clone(&self.voices[index]));
        e.length = Some(place.hold);
        e.tone = Some(def.voice.tone(timbre, hz));
        e
    }

    fn warn(&mut self, messages: &mut Vec<String>, name: &str, word: &str, message: String) {
        if self.warned.insert(format!("{name}/{word}")) {
            messages.push(message);
        }
    }
}
