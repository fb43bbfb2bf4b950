//! Tests for [`super::tuning_out`]: notes on keys go out as before, notes
//! between the keys get a bend on a free channel or a retuned key, and
//! nothing sounding is ever bent or retuned.

use super::message::MidiMessage;
use super::tuning_out::*;
use crate::schedule::PlannedNote;
use crate::time::Nanos;

/// A note from `on` to `off` (milliseconds) at `pitch` on 0-based `channel`.
fn note(on: u64, off: u64, channel: u8, pitch: f64) -> (PlannedNote, Nanos, Nanos) {
    let n = PlannedNote {
        frame: on,
        end: off,
        channel,
        note: pitch.round() as u8,
        pitch,
        velocity: 100,
    };
    (n, Nanos(on * 1_000_000), Nanos(off * 1_000_000))
}

/// Sends `notes` and returns what went out, with times in milliseconds.
fn send_all(
    tuning: MidiTuning,
    notes: &[(PlannedNote, Nanos, Nanos)],
) -> (Vec<(u64, MidiMessage)>, Vec<Placement>) {
    let mut t = TunedNotes::new(tuning);
    let mut out = Vec::new();
    let placed = notes
        .iter()
        .map(|(n, on, off)| {
            t.send(n, *on, *off, &mut |at, m| {
                out.push((at.get() / 1_000_000, m))
            })
        })
        .collect();
    (out, placed)
}

fn on(channel: u8, note: u8) -> MidiMessage {
    MidiMessage::NoteOn {
        channel,
        note,
        velocity: 100,
    }
}

fn off(channel: u8, note: u8) -> MidiMessage {
    MidiMessage::NoteOff {
        channel,
        note,
        velocity: 0,
    }
}

#[test]
fn notes_on_keys_send_what_they_always_sent() {
    let notes = [
        note(0, 10, 1, 60.0),
        note(5, 20, 1, 64.0),
        note(10, 30, 9, 36.0),
    ];
    let want = vec![
        (0, on(1, 60)),
        (10, off(1, 60)),
        (5, on(1, 64)),
        (20, off(1, 64)),
        (10, on(9, 36)),
        (30, off(9, 36)),
    ];
    for tuning in [MidiTuning::default(), MidiTuning::MTS] {
        let (out, _) = send_all(tuning, &notes);
        assert_eq!(out, want, "{tuning:?}");
    }
}

#[test]
fn a_quarter_tone_is_a_bend_on_a_member_channel_with_its_range_set_once() {
    let (out, placed) = send_all(
        MidiTuning::default(),
        &[note(0, 10, 0, 60.5), note(20, 30, 0, 61.5)],
    );
    // The first: the range (RPN 0 = 2 semitones), a quarter of the range
    // up (+2048), the note; channel 2 (0-based 1) is the first member.
    let cc = |controller, value| MidiMessage::Control {
        channel: 1,
        controller,
        value,
    };
    assert_eq!(
        out[..8],
        [
            (0, cc(101, 0)),
            (0, cc(100, 0)),
            (0, cc(6, 2)),
            (0, cc(38, 0)),
            (0, cc(101, 127)),
            (0, cc(100, 127)),
            (
                0,
                MidiMessage::PitchBend {
                    channel: 1,
                    value: -2048
                }
            ),
            (0, on(1, 61)),
        ],
        "{out:?}"
    );
    // 60.5 rounds to key 61, bent down a quarter tone.
    assert_eq!(
        placed[0],
        Placement::Sent {
            channel: 1,
            key: 61
        }
    );
    // The second note takes the channel quiet longest: channel 3, never
    // used, so its range goes first too.
    assert_eq!(
        placed[1],
        Placement::Sent {
            channel: 2,
            key: 62
        }
    );
    let second: Vec<_> = out[9..].iter().map(|(_, m)| *m).collect();
    assert_eq!(second.len(), 9, "{second:?}");
    assert_eq!(
        second[6],
        MidiMessage::PitchBend {
            channel: 2,
            value: -2048
        }
    );
}

#[test]
fn no_bend_reaches_a_sounding_channel_and_channels_rotate() {
    // Two member channels, four overlapping notes between the keys.
    let tuning = MidiTuning::Bend {
        range: 2,
        channels: Channels::parse("5-6").unwrap(),
    };
    let (out, placed) = send_all(
        tuning,
        &[
            note(0, 100, 0, 60.25),
            note(10, 50, 0, 64.25),
            note(20, 60, 0, 67.25),
            note(50, 90, 0, 62.75),
        ],
    );
    assert_eq!(
        placed[0],
        Placement::Sent {
            channel: 4,
            key: 60
        }
    );
    assert_eq!(
        placed[1],
        Placement::Sent {
            channel: 5,
            key: 64
        }
    );
    // Both channels sounding: skipped, never bent.
    assert_eq!(placed[2], Placement::Skipped);
    // Channel 6's note ends at 50: its note-off comes first, then the bend.
    assert_eq!(
        placed[3],
        Placement::Sent {
            channel: 5,
            key: 63
        }
    );
    let mut sounding = [0u32; 16];
    let mut events: Vec<(u64, usize, MidiMessage)> = out
        .iter()
        .enumerate()
        .map(|(i, (t, m))| (*t, i, *m))
        .collect();
    events.sort_by_key(|e| (e.0, e.1));
    for (t, _, m) in events {
        match m {
            MidiMessage::NoteOn { channel, .. } => sounding[channel as usize] += 1,
            MidiMessage::NoteOff { channel, .. } => sounding[channel as usize] -= 1,
            MidiMessage::PitchBend { channel, .. } => {
                assert_eq!(
                    sounding[channel as usize], 0,
                    "bend on a sounding channel at {t}"
                )
            }
            _ => {}
        }
    }
}

#[test]
fn a_key_note_after_a_bent_one_is_centred_first_or_moves() {
    // A bent note on member channel 2 (the loop's own channel is 2 too).
    let tuning = MidiTuning::Bend {
        range: 2,
        channels: Channels::parse("2").unwrap(),
    };
    let (out, placed) = send_all(
        tuning,
        &[
            note(0, 10, 1, 60.5),
            // After it ends: channel 2 is centred before the note.
            note(20, 30, 1, 60.0),
        ],
    );
    assert_eq!(
        placed[1],
        Placement::Sent {
            channel: 1,
            key: 60
        }
    );
    let tail: Vec<_> = out[out.len() - 3..].to_vec();
    assert_eq!(
        tail,
        [
            (
                20,
                MidiMessage::PitchBend {
                    channel: 1,
                    value: 0
                }
            ),
            (20, on(1, 60)),
            (30, off(1, 60)),
        ]
    );
    // While a bent note sounds on the loop's channel, a note on a key moves
    // to a free member channel (centred), or is skipped when there is none.
    let tuning = MidiTuning::Bend {
        range: 2,
        channels: Channels::parse("2-3").unwrap(),
    };
    let (out, placed) = send_all(tuning, &[note(0, 10, 1, 60.5), note(5, 15, 1, 64.0)]);
    assert_eq!(
        placed[1],
        Placement::Sent {
            channel: 2,
            key: 64
        }
    );
    assert!(!out
        .iter()
        .any(|(_, m)| matches!(m, MidiMessage::PitchBend { channel: 2, .. })));
}

#[test]
fn mts_retunes_free_keys_and_never_a_sounding_one() {
    let (out, placed) = send_all(
        MidiTuning::MTS,
        &[
            // Two commas above C and C itself, all nearest key 60.
            note(0, 100, 0, 60.0 + 12.0 / 53.0),
            note(10, 100, 0, 60.0 + 24.0 / 53.0),
            note(20, 100, 0, 60.0),
            // The same pitch again, later: its key is already tuned.
            note(200, 300, 0, 60.0 + 12.0 / 53.0),
            // C after key 60 was retuned: retuned back.
            note(400, 500, 0, 60.0),
        ],
    );
    assert_eq!(
        placed[0],
        Placement::Sent {
            channel: 0,
            key: 60
        }
    );
    // Key 60 sounds: the next nearest key, 61, is retuned instead.
    assert_eq!(
        placed[1],
        Placement::Sent {
            channel: 0,
            key: 61
        }
    );
    // C: key 60 is retuned and sounding, 61 too; 59 is free.
    assert_eq!(
        placed[2],
        Placement::Sent {
            channel: 0,
            key: 59
        }
    );
    assert_eq!(
        placed[3],
        Placement::Sent {
            channel: 0,
            key: 60
        }
    );
    assert_eq!(
        placed[4],
        Placement::Sent {
            channel: 0,
            key: 60
        }
    );
    let tunings: Vec<(u64, u8, u8, u16)> = out
        .iter()
        .filter_map(|(t, m)| match *m {
            MidiMessage::NoteTuning {
                key,
                semitone,
                fraction,
                ..
            } => Some((*t, key, semitone, fraction)),
            _ => None,
        })
        .collect();
    // 12/53 semitone = 3709.6 / 16384; 24/53 = 7419.2 / 16384.
    assert_eq!(
        tunings,
        [
            (0, 60, 60, 3710),
            (10, 61, 60, 7419),
            (20, 59, 60, 0),
            (400, 60, 60, 0)
        ]
    );
}

#[test]
fn the_wire_form_of_a_tuning_change() {
    let m = MidiMessage::NoteTuning {
        device: 0x7F,
        program: 0,
        key: 61,
        semitone: 60,
        fraction: 8192,
    };
    let (b, n) = m.wire();
    assert_eq!(
        b[..n],
        [0xF0, 0x7F, 0x7F, 0x08, 0x02, 0x00, 0x01, 61, 60, 0x40, 0x00, 0xF7]
    );
    // Short messages are their usual bytes.
    let (b, n) = on(2, 60).wire();
    assert_eq!(b[..n], [0x92, 60, 100]);
}

#[test]
fn bend_and_mts_words_at_their_edges() {
    assert_eq!(bend_for(60.5, 60, 2), 2048);
    assert_eq!(bend_for(59.5, 60, 2), -2048);
    assert_eq!(bend_for(62.0, 60, 2), 8191);
    assert_eq!(bend_for(58.0, 60, 2), -8192);
    assert_eq!(bend_for(60.5, 60, 48), 85);
    assert_eq!(mts_words(60.0), (60, 0));
    assert_eq!(mts_words(60.5), (60, 8192));
    // Just below a key rounds up to it.
    assert_eq!(mts_words(60.99999), (61, 0));
    assert_eq!(mts_words(-3.0), (0, 0));
    assert_eq!(mts_words(f64::NAN), (0, 0));
    // 7F 7F 7F means "no change": never made.
    assert_eq!(mts_words(200.0), (127, 16382));
}

#[test]
fn channel_lists_read_as_performers_write_them() {
    let c = Channels::parse("2-16").unwrap();
    assert_eq!(c, Channels::MPE_LOWER);
    assert_eq!(c.iter().count(), 15);
    assert!(!c.contains(0) && c.contains(1) && c.contains(15));
    let c = Channels::parse("2-5, 9").unwrap();
    assert_eq!(c.iter().collect::<Vec<_>>(), [1, 2, 3, 4, 8]);
    assert_eq!(c.to_string(), "2,3,4,5,9");
    assert!(Channels::parse("0-3").is_err());
    assert!(Channels::parse("17").is_err());
    assert!(Channels::parse("5-2").is_err());
    assert!(Channels::parse("").is_err());
}
