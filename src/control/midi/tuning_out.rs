//! Notes between the keys over MIDI: a loop's note whose pitch is not a
//! whole MIDI number (60.5, or a 53-EDO step at 60.2264) reaches an
//! external synth in tune, one of two ways (`loam serve --midi-tuning`):
//!
//! | mode | what goes out before the note-on | synths |
//! |---|---|---|
//! | `bend` (default) | the note moves to a free *member channel* (`--midi-bend-channels`, default 2–16, MPE's lower zone) and that channel's pitch bend carries the offset from the nearest key; the first time a channel is used, its bend range (`--midi-bend-range`, default 2 semitones) is set with RPN 0 | any synth with one voice per channel, MPE synths |
//! | `mts` | a MIDI Tuning Standard real-time single-note tuning change (`F0 7F 7F 08 02 00 01 key xx yy zz F7`: device 7F = all, tuning program 0) retunes the key the note plays | synths that take MTS SysEx |
//!
//! Rules both modes keep:
//! - a note on a key (a whole MIDI number) sends exactly the note-on and
//!   note-off it always did, on its loop's channel, unless an earlier note
//!   between the keys left that channel bent or that key retuned: then a
//!   centre bend (or a retune back) goes first;
//! - a bend or a retune never reaches a sounding note: a member channel (or
//!   key) is used again only after its last note-off. Free channels are
//!   taken least recently used first, so release tails ring out unbent.
//!   When every member channel (every key, with MTS) is sounding, the note
//!   is skipped and counted ([`Placement::Skipped`]).
//!
//! Everything here runs on the control thread, in the
//! [`MidiDesk`](super::MidiDesk)'s step; times are the output thread's
//! (loam's monotonic clock), so messages due at the same moment keep the
//! order they were queued in: note-off, then bend, then note-on.

use std::fmt;

use super::message::MidiMessage;
use crate::schedule::PlannedNote;
use crate::time::Nanos;

/// The pitch bend range set on member channels unless
/// `--midi-bend-range` says otherwise, in semitones (General MIDI's
/// default, so a synth that ignores RPN 0 is still in tune).
pub const DEFAULT_BEND_RANGE: u8 = 2;

/// The widest bend range `--midi-bend-range` takes, in semitones (MPE's
/// limit). At 96 one bend step is 0.59 cent, still inside a cent.
pub const MAX_BEND_RANGE: u8 = 96;

/// A pitch this close to a whole MIDI number, in semitones, is on that key
/// (a billionth of a semitone: only rounding noise, never a tuning).
pub const ON_KEY: f64 = 1e-9;

/// A set of MIDI channels (bit k: 0-based channel k).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channels(u16);

impl Channels {
    /// Channels 2–16: the member channels of MPE's lower zone (channel 1
    /// is its master channel).
    pub const MPE_LOWER: Channels = Channels(0xFFFE);

    /// Reads `2-16`, `2,3,4` or `2-5,9` (1-based channels, 1 … 16).
    pub fn parse(text: &str) -> Result<Channels, String> {
        let number = |s: &str| -> Result<u8, String> {
            match s.trim().parse::<u8>() {
                Ok(c) if (1..=16).contains(&c) => Ok(c),
                _ => Err(format!("'{}' is not a MIDI channel 1 to 16", s.trim())),
            }
        };
        let mut bits = 0u16;
        for part in text.split(',') {
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None => {
                    let c = number(part)?;
                    (c, c)
                }
            };
            if lo > hi {
                return Err(format!("'{}': the first channel comes first", part.trim()));
            }
            for c in lo..=hi {
                bits |= 1 << (c - 1);
            }
        }
        Ok(Channels(bits))
    }

    /// Whether 0-based channel `channel` is in the set.
    pub fn contains(self, channel: u8) -> bool {
        channel < 16 && self.0 & (1 << channel) != 0
    }

    /// The 0-based channels in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0..16u8).filter(move |&c| self.contains(c))
    }
}

impl fmt::Display for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.iter().map(|c| (c + 1).to_string()).collect();
        f.write_str(&list.join(","))
    }
}

/// How notes between the keys go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidiTuning {
    /// Per-note pitch bend on rotating member channels.
    Bend {
        /// The bend range set on each member channel, in semitones
        /// (1 … [`MAX_BEND_RANGE`]).
        range: u8,
        /// The channels notes between the keys rotate over.
        channels: Channels,
    },
    /// MIDI Tuning Standard single-note tuning changes.
    Mts {
        /// SysEx device ID (127: every device).
        device: u8,
        /// Tuning program retuned (0 … 127).
        program: u8,
    },
}

impl Default for MidiTuning {
    fn default() -> Self {
        MidiTuning::Bend {
            range: DEFAULT_BEND_RANGE,
            channels: Channels::MPE_LOWER,
        }
    }
}

impl MidiTuning {
    /// MTS to every device, tuning program 0.
    pub const MTS: MidiTuning = MidiTuning::Mts {
        device: 0x7F,
        program: 0,
    };
}

/// What became of a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Sent on this 0-based channel and key.
    Sent {
        /// 0-based channel.
        channel: u8,
        /// The key played.
        key: u8,
    },
    /// Not sent: every member channel (every key, with MTS) was sounding.
    Skipped,
}

#[derive(Clone, Copy, Debug)]
struct ChannelState {
    /// When its last note-off goes out.
    until: Nanos,
    /// When its last bent note's note-off goes out.
    bent_until: Nanos,
    /// The bend it was left at.
    bend: i16,
    /// Whether its bend range was set.
    range_set: bool,
}

impl ChannelState {
    /// Never used: quiet since the start, centred, its range not set.
    const FRESH: ChannelState = ChannelState {
        until: Nanos(0),
        bent_until: Nanos(0),
        bend: 0,
        range_set: false,
    };
}

#[derive(Clone, Copy, Debug)]
struct KeyState {
    /// The pitch it was tuned to (a fractional MIDI number).
    pitch: f64,
    /// When its last note-off goes out.
    until: Nanos,
}

/// Places planned notes on channels and keys, with the tuning messages
/// each needs. Owned by the [`MidiDesk`](super::MidiDesk).
pub struct TunedNotes {
    tuning: MidiTuning,
    channels: [ChannelState; 16],
    keys: [KeyState; 128],
    /// Notes skipped so far ([`Placement::Skipped`]).
    pub skipped: u64,
}

/// The 14-bit bend (−8192 … 8191) that moves `key` to `pitch` with a bend
/// range of `range` semitones.
pub fn bend_for(pitch: f64, key: u8, range: u8) -> i16 {
    let v = (pitch - f64::from(key)) / f64::from(range.max(1)) * 8192.0;
    v.round().clamp(-8192.0, 8191.0) as i16
}

/// The MTS pitch words for `pitch`: the semitone at or below it and the
/// fraction above it in 1/16384 semitone (`7F 7F 7F`, which means "no
/// change", is never made).
pub fn mts_words(pitch: f64) -> (u8, u16) {
    let p = if pitch.is_finite() {
        pitch.clamp(0.0, 127.0 + 16382.0 / 16384.0)
    } else {
        0.0
    };
    let mut semitone = p.floor();
    let mut fraction = ((p - semitone) * 16384.0).round();
    if fraction >= 16384.0 {
        semitone += 1.0;
        fraction = 0.0;
    }
    if semitone >= 127.0 {
        return (127, (fraction as u16).min(16382));
    }
    (semitone as u8, fraction as u16)
}

impl TunedNotes {
    /// Nothing sounding, every channel centred, every key in 12-EDO.
    pub fn new(tuning: MidiTuning) -> TunedNotes {
        TunedNotes {
            tuning,
            channels: [ChannelState::FRESH; 16],
            keys: std::array::from_fn(|k| KeyState {
                pitch: k as f64,
                until: Nanos(0),
            }),
            skipped: 0,
        }
    }

    /// The mode it sends in.
    pub fn tuning(&self) -> MidiTuning {
        self.tuning
    }

    /// Sends note `n` (on at `on`, off at `off`) through `out`, with the
    /// tuning messages that go before its note-on. Notes come in the order
    /// of their note-ons.
    pub fn send(
        &mut self,
        n: &PlannedNote,
        on: Nanos,
        off: Nanos,
        out: &mut impl FnMut(Nanos, MidiMessage),
    ) -> Placement {
        let off = off.max(on);
        let placed = match self.tuning {
            MidiTuning::Bend { range, channels } => {
                self.place_bent(n, on, off, range, channels, out)
            }
            MidiTuning::Mts { device, program } => {
                self.place_tuned(n, on, off, device, program, out)
            }
        };
        match placed {
            Placement::Sent { channel, key } => {
                out(
                    on,
                    MidiMessage::NoteOn {
                        channel,
                        note: key,
                        velocity: n.velocity,
                    },
                );
                out(
                    off,
                    MidiMessage::NoteOff {
                        channel,
                        note: key,
                        velocity: 0,
                    },
                );
            }
            Placement::Skipped => self.skipped += 1,
        }
        placed
    }

    /// Bend mode: the channel a note plays on, after its bend.
    fn place_bent(
        &mut self,
        n: &PlannedNote,
        on: Nanos,
        off: Nanos,
        range: u8,
        members: Channels,
        out: &mut impl FnMut(Nanos, MidiMessage),
    ) -> Placement {
        let key = n.note;
        let on_key = (n.pitch - f64::from(key)).abs() < ON_KEY;
        let home = n.channel & 0x0F;
        let bend = if on_key {
            0
        } else {
            bend_for(n.pitch, key, range)
        };
        let channel = if on_key && self.channels[home as usize].bent_until <= on {
            // A note on a key stays on its loop's channel.
            home
        } else {
            // Free member channels, the one quiet longest first.
            let free = members
                .iter()
                .filter(|&c| self.channels[c as usize].until <= on)
                .min_by_key(|&c| self.channels[c as usize].until);
            match free {
                Some(c) => c,
                None => return Placement::Skipped,
            }
        };
        let state = &mut self.channels[channel as usize];
        if bend != 0 && !state.range_set {
            // RPN 0 (pitch bend sensitivity), then the null RPN.
            for (controller, value) in [
                (101, 0),
                (100, 0),
                (6, range),
                (38, 0),
                (101, 127),
                (100, 127),
            ] {
                out(
                    on,
                    MidiMessage::Control {
                        channel,
                        controller,
                        value,
                    },
                );
            }
            state.range_set = true;
        }
        if state.bend != bend {
            out(
                on,
                MidiMessage::PitchBend {
                    channel,
                    value: bend,
                },
            );
            state.bend = bend;
        }
        state.until = state.until.max(off);
        if bend != 0 {
            state.bent_until = state.bent_until.max(off);
        }
        Placement::Sent { channel, key }
    }

    /// MTS mode: the key a note plays, after its retune.
    fn place_tuned(
        &mut self,
        n: &PlannedNote,
        on: Nanos,
        off: Nanos,
        device: u8,
        program: u8,
        out: &mut impl FnMut(Nanos, MidiMessage),
    ) -> Placement {
        let home = i32::from(n.note);
        // Keys nearest the note first: home, then outwards, the side the
        // pitch leans to first.
        let side = if n.pitch >= f64::from(n.note) { 1 } else { -1 };
        let nearest =
            (0..256).map(|i| home + side * if i % 2 == 0 { -(i / 2) } else { (i + 1) / 2 });
        for k in nearest.filter(|k| (0..128).contains(k)) {
            let state = &mut self.keys[k as usize];
            let tuned = (state.pitch - n.pitch).abs() < ON_KEY;
            if !tuned && state.until > on {
                continue;
            }
            if !tuned {
                let (semitone, fraction) = mts_words(n.pitch);
                out(
                    on,
                    MidiMessage::NoteTuning {
                        device,
                        program,
                        key: k as u8,
                        semitone,
                        fraction,
                    },
                );
                state.pitch = n.pitch;
            }
            state.until = state.until.max(off);
            return Placement::Sent {
                channel: n.channel & 0x0F,
                key: k as u8,
            };
        }
        Placement::Skipped
    }
}
