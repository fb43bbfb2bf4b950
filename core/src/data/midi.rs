//! Standard MIDI files in and out.
//!
//! Reading: notes on channel 10 become drum hits through the General MIDI drum
//! map ([`gm_drum_name`]), one [`DrumBar`] a bar, placed on the grid of sixths
//! of a pulse; what is left of their timing becomes the micro-timing shift.
//! The metre comes from the time-signature meta event (`7/8` reads as 2+2+3),
//! and a text or marker event `metre 3+2+2/8` refines the grouping (loam
//! writes one). Notes on other channels become melodies, one a track and
//! channel. The copyright event is taken as the licence, the first track name
//! as the title.

use std::collections::BTreeMap;
use std::path::Path;

use midly::num::{u15, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use super::pattern::{
    gm_drum_name, gm_drum_note, DrumBar, Hit, Melody, MelodyNote, Provenance, CELLS_PER_PULSE,
};
use super::DataError;
use crate::time::{q, Metre};

/// The drum channel (10, counted from 1).
const DRUM_CHANNEL: u8 = 9;

/// The most bars loam reads from one MIDI file's drum channel (about five
/// hours of 4/4 at 120). Bars are built one per bar length from the start,
/// so a file whose last hit sits far away (two kicks 2^28 ticks apart at one
/// tick a quarter would be 67 million bars, 3.2 GB) is refused before any
/// bar is built.
pub const MAX_MIDI_BARS: usize = 10_000;

/// Everything musical in one MIDI file.
#[derive(Debug, Default)]
pub struct MidiContents {
    /// Drum bars, one per bar of a drum track (channel 10).
    pub patterns: Vec<DrumBar>,
    /// Melodies, one per track and channel with notes.
    pub melodies: Vec<Melody>,
}

/// Reads a MIDI file's bytes; `file` names it in errors and provenance.
pub fn parse_midi(bytes: &[u8], file: &Path) -> Result<MidiContents, DataError> {
    let smf = Smf::parse(bytes)
        .map_err(|e| DataError::file(file, format!("not a readable MIDI file ({e})")))?;
    let tpq =
        match smf.header.timing {
            Timing::Metrical(t) if t.as_int() > 0 => t.as_int() as i128,
            Timing::Metrical(_) => {
                return Err(DataError::file(file, "MIDI file has 0 ticks a quarter"))
            }
            Timing::Timecode(..) => return Err(DataError::file(
                file,
                "MIDI file uses SMPTE time code; loam reads files timed in ticks a quarter note",
            )),
        };
    let mut provenance = Provenance {
        source: file.display().to_string(),
        file: file.display().to_string(),
        ..Provenance::default()
    };
    // (tick, metre) changes, and all notes with absolute ticks.
    let mut metres: Vec<(u64, Metre)> = Vec::new();
    let mut drum_hits: Vec<(u64, &'static str, u8)> = Vec::new();
    let mut melodies: BTreeMap<(usize, u8), Vec<MelodyNote>> = BTreeMap::new();
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    for (track, events) in smf.tracks.iter().enumerate() {
        let mut tick = 0u64;
        let mut held: BTreeMap<(u8, u8), (u64, u8)> = BTreeMap::new();
        for event in events {
            tick += event.delta.as_int() as u64;
            match event.kind {
                TrackEventKind::Meta(MetaMessage::TimeSignature(num, den_pow, _, _)) => {
                    let text = format!("{num}/{}", 1u32 << den_pow.min(5));
                    let metre = Metre::parse(&text).map_err(|e| {
                        DataError::file(file, format!("time signature at tick {tick}: {e}"))
                    })?;
                    metres.push((tick, metre));
                }
                TrackEventKind::Meta(MetaMessage::Text(t) | MetaMessage::Marker(t)) => {
                    let text = String::from_utf8_lossy(t);
                    if let Some(m) = text.trim().strip_prefix("metre ") {
                        if let Ok(metre) = Metre::parse(m) {
                            metres.push((tick, metre));
                        }
                    }
                }
                TrackEventKind::Meta(MetaMessage::Copyright(t)) => {
                    provenance.licence = String::from_utf8_lossy(t).trim().to_string();
                }
                TrackEventKind::Meta(MetaMessage::TrackName(t)) => {
                    names.insert(track, String::from_utf8_lossy(t).trim().to_string());
                }
                TrackEventKind::Midi { channel, message } => {
                    let channel = channel.as_int();
                    let (key, vel, on) = match message {
                        MidiMessage::NoteOn { key, vel } => (key.as_int(), vel.as_int(), vel > 0),
                        MidiMessage::NoteOff { key, vel } => (key.as_int(), vel.as_int(), false),
                        _ => continue,
                    };
                    if channel == DRUM_CHANNEL {
                        if on {
                            if let Some(name) = gm_drum_name(key) {
                                drum_hits.push((tick, name, vel));
                            }
                        }
                        continue;
                    }
                    if on {
                        held.insert((channel, key), (tick, vel));
                    } else if let Some((start, velocity)) = held.remove(&(channel, key)) {
                        melodies
                            .entry((track, channel))
                            .or_default()
                            .push(MelodyNote {
                                pitch: key,
                                start: q(start as i128, 4 * tpq),
                                duration: q((tick - start).max(1) as i128, 4 * tpq),
                                velocity: velocity as f32 / 127.0,
                            });
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(title) = names.values().find(|n| !n.is_empty()) {
        provenance.title = title.clone();
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    // A later event at the same tick refines an earlier one (marker after time signature).
    metres.sort_by_key(|(t, _)| *t);
    let patterns = drum_bars(&drum_hits, &metres, tpq, &stem, &provenance).map_err(|far| {
        DataError::file(
            file,
            format!(
                "a drum hit at tick {} ({} ticks a quarter) lies past bar {MAX_MIDI_BARS}; loam reads at most {MAX_MIDI_BARS} bars from a MIDI file",
                far.tick, tpq
            ),
        )
    })?;
    let melodies = melodies
        .into_iter()
        .map(|((track, channel), mut notes)| {
            notes.sort_by(|a, b| a.start.cmp(&b.start).then(a.pitch.cmp(&b.pitch)));
            let mut provenance = provenance.clone();
            if let Some(name) = names.get(&track).filter(|n| !n.is_empty()) {
                provenance.title = name.clone();
            }
            // The metre in force where the melody starts (a marker after a
            // time signature at the same tick refines it).
            let first = notes.first().map_or(0, |n| {
                (n.start * 4 * tpq).floor().to_integer().max(0) as u64
            });
            let metre = metres
                .iter()
                .rev()
                .find(|(t, _)| *t <= first)
                .or(metres.first())
                .map(|(_, m)| m.clone());
            Melody {
                name: format!("{stem} track {} channel {}", track + 1, channel + 1),
                notes,
                provenance,
                metre,
            }
        })
        .collect();
    Ok(MidiContents { patterns, melodies })
}

/// The last drum hit lies past [`MAX_MIDI_BARS`] bars.
struct TooManyBars {
    tick: u64,
}

/// Cuts drum hits into bars by the metre in force.
fn drum_bars(
    hits: &[(u64, &'static str, u8)],
    metres: &[(u64, Metre)],
    tpq: i128,
    stem: &str,
    provenance: &Provenance,
) -> Result<Vec<DrumBar>, TooManyBars> {
    let Some(&(last_tick, _, _)) = hits.iter().max_by_key(|h| h.0) else {
        return Ok(Vec::new());
    };
    let metre_at = |tick: u64| -> Metre {
        metres
            .iter()
            .rev()
            .find(|(t, _)| *t <= tick)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    };
    let mut bars: Vec<(u64, u64, Metre)> = Vec::new();
    let mut start = 0u64;
    while start <= last_tick {
        if bars.len() >= MAX_MIDI_BARS {
            return Err(TooManyBars { tick: last_tick });
        }
        let metre = metre_at(start);
        // Ticks a bar: pulses * (4 tpq / unit), rounded (exact for usual resolutions).
        let length = ((metre.pulses() as i128 * 4 * tpq) / metre.unit() as i128).max(1) as u64;
        bars.push((start, length, metre));
        start += length;
    }
    let mut patterns: Vec<DrumBar> = bars
        .iter()
        .enumerate()
        .map(|(i, (_, _, metre))| {
            let mut p = DrumBar::new(&format!("{stem} bar {}", i + 1), metre.clone());
            p.provenance = provenance.clone();
            p
        })
        .collect();
    for &(tick, name, vel) in hits {
        let Some(bar) = bars.iter().rposition(|(s, _, _)| *s <= tick) else {
            continue;
        };
        let (bar_start, length, metre) = &bars[bar];
        let pulses_f = metre.pulses() as f64 * (tick - bar_start) as f64 / *length as f64;
        let mut cell = (pulses_f * CELLS_PER_PULSE as f64).round() as u32;
        let shift = (pulses_f - cell as f64 / CELLS_PER_PULSE as f64) as f32;
        let mut bar = bar;
        if cell >= metre.pulses() * CELLS_PER_PULSE {
            if bar + 1 >= patterns.len() {
                continue;
            }
            bar += 1;
            cell = 0;
        }
        let hits = &mut patterns[bar].hits;
        let velocity = vel as f32 / 127.0;
        match hits
            .iter_mut()
            .find(|h| h.instrument == name && h.cell == cell)
        {
            Some(h) => h.velocity = h.velocity.max(velocity),
            None => hits.push(Hit {
                instrument: name.to_string(),
                cell,
                velocity,
                shift,
            }),
        }
    }
    patterns.retain(|p| !p.hits.is_empty());
    for p in &mut patterns {
        p.sort();
    }
    Ok(patterns)
}

/// Writes patterns as a one-track MIDI file on channel 10, one bar each, with
/// a time signature and a `metre …` marker on every bar, and the first
/// pattern's licence as the copyright. Instruments outside the GM map are
/// left out.
pub fn write_drums(patterns: &[DrumBar], ticks_per_quarter: u16) -> Vec<u8> {
    let tpq = ticks_per_quarter.max(1) as i64;
    let mut events: Vec<(i64, u8, TrackEventKind<'static>)> = Vec::new();
    let mut bar_start = 0i64;
    let mut texts: Vec<Vec<u8>> = Vec::new();
    for p in patterns {
        let unit = p.metre.unit() as i64;
        let pulse_ticks = 4 * tpq / unit;
        texts.push(format!("metre {}", p.metre).into_bytes());
        let den_pow = p.metre.unit().trailing_zeros() as u8;
        events.push((
            bar_start,
            0,
            TrackEventKind::Meta(MetaMessage::TimeSignature(
                p.metre.pulses() as u8,
                den_pow,
                24,
                8,
            )),
        ));
        for h in &p.hits {
            let Some(key) = gm_drum_note(&h.instrument) else {
                continue;
            };
            let at = bar_start
                + (h.cell as i64 * pulse_ticks) / CELLS_PER_PULSE as i64
                + (h.shift as f64 * pulse_ticks as f64).round() as i64;
            let at = at.max(0);
            let vel = (h.velocity * 127.0).round().clamp(1.0, 127.0) as u8;
            let channel = u4::new(DRUM_CHANNEL);
            events.push((
                at,
                2,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOn {
                        key: u7::new(key),
                        vel: u7::new(vel),
                    },
                },
            ));
            events.push((
                at + (pulse_ticks / CELLS_PER_PULSE as i64).max(1),
                1,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOff {
                        key: u7::new(key),
                        vel: u7::new(0),
                    },
                },
            ));
        }
        bar_start += p.metre.pulses() as i64 * pulse_ticks;
    }
    let copyright = patterns
        .first()
        .map(|p| p.provenance.licence.clone().into_bytes())
        .unwrap_or_default();
    let title = patterns
        .first()
        .map(|p| p.provenance.title.clone().into_bytes())
        .unwrap_or_default();
    write_track(events, texts, title, copyright, ticks_per_quarter)
}

/// Writes a melody as a one-track MIDI file on channel 1, with its metre
/// (a time signature and a `metre …` marker) when it has one; without one,
/// no time signature (MIDI's 4/4).
pub fn write_melody(melody: &Melody, ticks_per_quarter: u16) -> Vec<u8> {
    let whole = 4 * ticks_per_quarter.max(1) as i128;
    let mut events: Vec<(i64, u8, TrackEventKind<'static>)> = Vec::new();
    let mut texts: Vec<Vec<u8>> = Vec::new();
    if let Some(metre) = &melody.metre {
        texts.push(format!("metre {metre}").into_bytes());
        events.push((
            0,
            0,
            TrackEventKind::Meta(MetaMessage::TimeSignature(
                metre.pulses().min(255) as u8,
                metre.unit().trailing_zeros() as u8,
                24,
                8,
            )),
        ));
    }
    for n in &melody.notes {
        let at = (n.start * whole).round().to_integer() as i64;
        let end = at + ((n.duration * whole).round().to_integer() as i64).max(1);
        let channel = u4::new(0);
        let key = u7::new(n.pitch.min(127));
        let vel = u7::new((n.velocity * 127.0).round().clamp(1.0, 127.0) as u8);
        events.push((
            at,
            2,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOn { key, vel },
            },
        ));
        events.push((
            end,
            1,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                },
            },
        ));
    }
    write_track(
        events,
        texts,
        melody.provenance.title.clone().into_bytes(),
        melody.provenance.licence.clone().into_bytes(),
        ticks_per_quarter,
    )
}

/// Sorts absolute-time events (ties: order key, so note-offs precede note-ons)
/// and writes one track. `texts[i]` becomes a marker at the i-th time signature.
fn write_track(
    mut events: Vec<(i64, u8, TrackEventKind<'static>)>,
    texts: Vec<Vec<u8>>,
    title: Vec<u8>,
    copyright: Vec<u8>,
    ticks_per_quarter: u16,
) -> Vec<u8> {
    events.sort_by_key(|(t, order, _)| (*t, *order));
    let mut track: Vec<TrackEvent> = Vec::new();
    let meta = |kind| TrackEvent {
        delta: u28::new(0),
        kind,
    };
    if !title.is_empty() {
        track.push(meta(TrackEventKind::Meta(MetaMessage::TrackName(&title))));
    }
    if !copyright.is_empty() {
        track.push(meta(TrackEventKind::Meta(MetaMessage::Copyright(
            &copyright,
        ))));
    }
    let mut now = 0i64;
    let mut next_text = 0;
    for (t, _, kind) in events {
        let delta = (t - now).max(0) as u32;
        now = now.max(t);
        track.push(TrackEvent {
            delta: u28::new(delta),
            kind,
        });
        if matches!(kind, TrackEventKind::Meta(MetaMessage::TimeSignature(..))) {
            if let Some(text) = texts.get(next_text) {
                track.push(meta(TrackEventKind::Meta(MetaMessage::Marker(text))));
            }
            next_text += 1;
        }
    }
    track.push(meta(TrackEventKind::Meta(MetaMessage::EndOfTrack)));
    let mut smf = Smf::new(Header::new(
        Format::SingleTrack,
        Timing::Metrical(u15::new(ticks_per_quarter.clamp(1, 0x7fff))),
    ));
    smf.tracks.push(track);
    let mut out = Vec::new();
    smf.write_std(&mut out)
        .expect("writing MIDI into memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tick a quarter; a kick at tick 0 and another 2^28 − 1 ticks later.
    const FAR_HIT: &[u8] = include_bytes!("../../../tests/cases/midi-far-hit-37-bytes.mid");

    /// A drum track with kicks at the given ticks (one tick a quarter).
    fn kicks(ticks: &[u32]) -> Vec<u8> {
        let mut track: Vec<TrackEvent> = Vec::new();
        let mut now = 0;
        for &t in ticks {
            track.push(TrackEvent {
                delta: u28::new(t - now),
                kind: TrackEventKind::Midi {
                    channel: u4::new(DRUM_CHANNEL),
                    message: MidiMessage::NoteOn {
                        key: u7::new(36),
                        vel: u7::new(100),
                    },
                },
            });
            now = t;
        }
        track.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        let mut smf = Smf::new(Header::new(
            Format::SingleTrack,
            Timing::Metrical(u15::new(1)),
        ));
        smf.tracks.push(track);
        let mut out = Vec::new();
        smf.write_std(&mut out).unwrap();
        out
    }

    #[test]
    fn a_melody_keeps_the_metre_its_file_declares() {
        use crate::time::q;
        let notes = (0..9)
            .map(|i| MelodyNote {
                pitch: 60 + i as u8,
                start: q(i, 8),
                duration: q(1, 8),
                velocity: 0.7,
            })
            .collect();
        let mut m = Melody {
            name: "slip".into(),
            notes,
            provenance: Provenance::default(),
            metre: Some(Metre::parse("9/8").unwrap()),
        };
        let back = parse_midi(&write_melody(&m, 96), Path::new("slip.mid")).unwrap();
        assert_eq!(back.melodies[0].metre, m.metre);
        assert_eq!(back.melodies[0].notes.len(), 9);
        // 2+2+3/8 survives through the marker.
        m.metre = Some(Metre::parse("2+2+3/8").unwrap());
        let back = parse_midi(&write_melody(&m, 96), Path::new("seven.mid")).unwrap();
        assert_eq!(back.melodies[0].metre, m.metre);
        // A file that declares none: no metre (MIDI's 4/4 is not assumed).
        m.metre = None;
        let back = parse_midi(&write_melody(&m, 96), Path::new("plain.mid")).unwrap();
        assert_eq!(back.melodies[0].metre, None);
    }

    #[test]
    fn a_hit_2_to_the_28_ticks_away_is_refused_before_bars_are_built() {
        let e = parse_midi(FAR_HIT, Path::new("far.mid")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("far.mid: "), "{msg}");
        assert!(msg.contains("tick 268435455"), "{msg}");
        assert!(
            msg.contains(&format!("at most {MAX_MIDI_BARS} bars")),
            "{msg}"
        );
    }

    #[test]
    fn the_last_bar_loam_reads_is_bar_max_midi_bars() {
        // 4/4 at one tick a quarter: bar n starts at tick 4(n − 1).
        let last = 4 * (MAX_MIDI_BARS as u32 - 1);
        let contents = parse_midi(&kicks(&[0, last]), Path::new("edge.mid")).unwrap();
        assert_eq!(contents.patterns.len(), 2);
        assert_eq!(
            contents.patterns[1].name,
            format!("edge bar {MAX_MIDI_BARS}")
        );
        let e = parse_midi(&kicks(&[0, last + 4]), Path::new("edge.mid")).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
    }
}
