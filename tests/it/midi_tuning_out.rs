//! MIDI out keeps the tuning, under `jackd -d dummy` (SKIP without jackd
//! unless LOAM_REQUIRE_JACK=1): a 53-EDO melody (k × 12/53 semitones above
//! middle C) sent to a port comes back as the same cents (±1) through a
//! decoder written here from the MIDI specs (pitch bend with the range set
//! by RPN 0; MIDI Tuning Standard single-note tuning changes), in both
//! `--midi-tuning` modes. Notes overlap, so channels (keys) rotate, and no
//! bend or retune ever reaches a sounding note. A loop of plain notes on
//! keys beside it goes out as it always did.
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use support::jack::JackServer;
use support::midi::*;
use support::temp_dir;

/// Steps of 53-EDO above middle C: a rising makam-like line to the octave.
const COMMAS: [u32; 8] = [0, 9, 17, 22, 31, 39, 44, 53];

/// The melody's pitches in cents above MIDI note 0.
fn expected_cents() -> Vec<f64> {
    COMMAS
        .iter()
        .map(|&k| 6000.0 + f64::from(k) * 1200.0 / 53.0)
        .collect()
}

/// A note-on as the decoder heard it.
#[derive(Clone, Copy, Debug)]
struct Heard {
    channel: u8,
    key: u8,
    cents: f64,
}

/// Reads MIDI bytes back into sounding pitches, knowing nothing of loam's
/// encoder: per channel, the pitch bend and its range (RPN 0: CC 101/100
/// select, CC 6 semitones, CC 38 cents); per key, an MTS single-note
/// tuning (`F0 7F dev 08 02 prog n [key xx yy zz]… F7`). It fails the test
/// if a bend or a retune arrives while a note it moves is sounding.
#[derive(Default)]
struct Decoder {
    bend: [i32; 16],
    /// Bend range in cents per channel (General MIDI's 200 until set).
    range: [Option<f64>; 16],
    rpn: [(u8, u8); 16],
    /// Key → cents, where retuned.
    tuned: HashMap<u8, f64>,
    /// Sounding notes: (channel, key) → how many.
    sounding: HashMap<(u8, u8), u32>,
    heard: Vec<Heard>,
    bends: usize,
    retunes: usize,
}

impl Decoder {
    fn sounding_on(&self, channel: u8) -> bool {
        self.sounding
            .iter()
            .any(|(&(c, _), &n)| c == channel && n > 0)
    }

    fn message(&mut self, b: &[u8]) {
        if b.first() == Some(&0xF0) {
            assert_eq!(b.last(), Some(&0xF7), "unterminated SysEx {b:02X?}");
            assert!(b.len() >= 7, "short SysEx {b:02X?}");
            assert_eq!(&b[1..2], &[0x7F], "not universal real-time: {b:02X?}");
            assert_eq!(&b[3..5], &[0x08, 0x02], "not a single-note tuning change");
            let count = b[6] as usize;
            let body = &b[7..b.len() - 1];
            assert_eq!(body.len(), count * 4, "{b:02X?}");
            for k in body.chunks(4) {
                let key = k[0];
                let fraction = (u32::from(k[2]) << 7) | u32::from(k[3]);
                let cents = f64::from(k[1]) * 100.0 + f64::from(fraction) * 100.0 / 16384.0;
                assert!(
                    !self
                        .sounding
                        .iter()
                        .any(|(&(_, key2), &n)| key2 == key && n > 0),
                    "key {key} retuned while it sounds"
                );
                self.tuned.insert(key, cents);
                self.retunes += 1;
            }
            return;
        }
        let ch = b[0] & 0x0F;
        let c = ch as usize;
        match b[0] & 0xF0 {
            0x90 if b[2] > 0 => {
                let key = b[1];
                let bend_cents = self.bend[c] as f64 / 8192.0 * self.range[c].unwrap_or(200.0);
                let base = self.tuned.get(&key).copied().unwrap_or(key as f64 * 100.0);
                self.heard.push(Heard {
                    channel: ch,
                    key,
                    cents: base + bend_cents,
                });
                *self.sounding.entry((ch, key)).or_default() += 1;
            }
            0x80 | 0x90 => {
                let n = self.sounding.entry((ch, b[1])).or_default();
                assert!(*n > 0, "note-off with no note: {b:02X?}");
                *n -= 1;
            }
            0xE0 => {
                assert!(
                    !self.sounding_on(ch),
                    "bend on channel {} while a note sounds there",
                    ch + 1
                );
                self.bend[c] = ((i32::from(b[2]) << 7) | i32::from(b[1])) - 8192;
                self.bends += 1;
            }
            0xB0 => match b[1] {
                101 => self.rpn[c].0 = b[2],
                100 => self.rpn[c].1 = b[2],
                6 if self.rpn[c] == (0, 0) => {
                    let cents = self.range[c].unwrap_or(0.0) % 100.0;
                    self.range[c] = Some(f64::from(b[2]) * 100.0 + cents);
                }
                38 if self.rpn[c] == (0, 0) => {
                    let semis = (self.range[c].unwrap_or(200.0) / 100.0).floor();
                    self.range[c] = Some(semis * 100.0 + f64::from(b[2]));
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// Plays the 53-EDO melody (overlapping notes: legato 1.5) beside a plain
/// drone on keys 48 and 55, both on channel 1, with `flags`; returns the
/// decoder after every message received.
fn play(tag: &str, flags: &[&str]) -> Option<Decoder> {
    let server = JackServer::start(256)?;
    let peer = Peer::start(&server, "synth");
    let dir = temp_dir(tag);
    let script = dir.join("piece.rhai");
    let melody: Vec<String> = expected_cents()
        .iter()
        .map(|c| format!("{:.6}", c / 100.0))
        .collect();
    // loam starts silent; the melody is saved once the synth is connected
    // (as a performer connects a synth, then plays), so the first notes and
    // each channel's bend range (sent on its first use) reach the synth
    // however slowly the connection is made.
    std::fs::write(&script, "metre(\"4/4\");\ntempo(120);\n").unwrap();
    let mut args = vec!["--midi-out", "synth:in"];
    args.extend_from_slice(flags);
    let mut run = serve(&server, &script, &args);
    peer.wait_connected("in");
    let saved = dir.join("piece.rhai.new");
    std::fs::write(
        &saved,
        format!(
            "metre(\"4/4\");\ntempo(120);\n\
             live_loop(\"makam\", \"{}\").legato(1.5).midi_only(1);\n\
             live_loop(\"drone\", \"48 55\").midi_only(1);\n",
            melody.join(" ")
        ),
    )
    .unwrap();
    std::fs::rename(&saved, &script).unwrap();
    // Until three bars of the melody (24 notes) and the drone beside them
    // have been heard: a state, however slowly loam starts.
    let mut d = Decoder::default();
    let heard = crate::support::eventually(Duration::from_secs(60), || {
        for g in peer.received() {
            d.message(&g.bytes);
        }
        let melody = d.heard.iter().filter(|h| h.cents >= 5900.0).count();
        run.has_exited() || (melody >= 24 && d.heard.len() - melody >= 6)
    });
    assert!(
        heard && !run.has_exited(),
        "loam stopped, or three bars were not heard in 60 s:\n{}",
        run.stderr_so_far()
    );
    let done = run.stop();
    assert!(done.status.success(), "loam failed:\n{}", done.stderr);
    for g in peer.received() {
        d.message(&g.bytes);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Some(d)
}

/// Every melody note heard is the next 53-EDO step of the line, within a
/// cent; the drone's notes are plain keys 48 and 55 on channel 1.
fn check_melody(d: &Decoder) {
    let want = expected_cents();
    let (drone, melody): (Vec<Heard>, Vec<Heard>) =
        d.heard.iter().copied().partition(|h| h.cents < 5900.0);
    assert!(melody.len() >= 12, "melody notes heard: {melody:?}");
    assert!(drone.len() >= 6, "drone notes heard: {drone:?}");
    for h in &drone {
        assert_eq!(h.channel, 0, "{h:?}");
        assert!(
            (h.key == 48 && h.cents == 4800.0) || (h.key == 55 && h.cents == 5500.0),
            "{h:?}"
        );
    }
    let first = want
        .iter()
        .position(|w| (w - melody[0].cents).abs() <= 1.0)
        .unwrap_or_else(|| panic!("first note {:?} is no step of the line", melody[0]));
    for (i, h) in melody.iter().enumerate() {
        let w = want[(first + i) % want.len()];
        assert!(
            (h.cents - w).abs() <= 1.0,
            "note {i}: heard {:.3} cents, want {w:.3}: {h:?}",
            h.cents
        );
    }
    // Notes on keys (k = 0 and 53: C4 and C5) went out on the loop's channel.
    for h in melody.iter().filter(|h| (h.cents % 100.0).abs() < 1e-9) {
        assert_eq!(h.channel, 0, "{h:?}");
    }
}

#[test]
fn a_53_edo_melody_goes_out_as_per_note_bends_on_rotating_channels() {
    let Some(d) = play("tuning-bend", &[]) else {
        return;
    };
    check_melody(&d);
    // Six of eight notes are between the keys; overlapping, they rotate
    // over the member channels (2-16), none on channel 1.
    let channels: std::collections::BTreeSet<u8> = d
        .heard
        .iter()
        .filter(|h| (h.cents % 100.0).abs() > 1e-9)
        .map(|h| h.channel)
        .collect();
    assert!(channels.len() >= 3, "channels used: {channels:?}");
    assert!(
        channels.iter().all(|&c| (1..16).contains(&c)),
        "{channels:?}"
    );
    assert!(d.bends >= 6, "bends {}", d.bends);
    assert_eq!(d.retunes, 0);
    // Each channel's range was set to the default 2 semitones.
    for &c in &channels {
        assert_eq!(d.range[c as usize], Some(200.0), "channel {}", c + 1);
    }
}

#[test]
fn a_wide_bend_range_and_three_channels_keep_it_within_a_cent() {
    let Some(d) = play(
        "tuning-bend48",
        &["--midi-bend-range", "48", "--midi-bend-channels", "3-5"],
    ) else {
        return;
    };
    check_melody(&d);
    let channels: std::collections::BTreeSet<u8> = d
        .heard
        .iter()
        .filter(|h| (h.cents % 100.0).abs() > 1e-9)
        .map(|h| h.channel)
        .collect();
    // Two notes at a time at most: every one of the three channels is used
    // in turn, and only those.
    assert_eq!(
        channels.into_iter().collect::<Vec<_>>(),
        [2, 3, 4],
        "channels"
    );
    for c in 2..5 {
        assert_eq!(d.range[c], Some(4800.0), "channel {}", c + 1);
    }
}

#[test]
fn a_53_edo_melody_goes_out_as_mts_single_note_tuning_changes() {
    let Some(d) = play("tuning-mts", &["--midi-tuning", "mts"]) else {
        return;
    };
    check_melody(&d);
    // No bends at all; every note on channel 1; keys retuned before notes.
    assert_eq!(d.bends, 0);
    assert!(d.heard.iter().all(|h| h.channel == 0));
    assert!(d.retunes >= 6, "retunes {}", d.retunes);
    // The drone's keys were never retuned.
    assert!(!d.tuned.contains_key(&48) && !d.tuned.contains_key(&55));
}
