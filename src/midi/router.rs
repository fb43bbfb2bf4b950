//! From parsed input messages to what they do: learned bindings, named
//! controls, pads, script events and the external clock. Runs on the MIDI
//! input thread; everything it does goes to the control thread as a
//! [`Command`].
//!
//! Named controls (scripts read them with `ctrl("name")`), from any channel:
//!
//! | name | set by | value |
//! |---|---|---|
//! | `ccN` (`cc1`, `cc74`, …) | control change N | 0 … 1 (value / 127) |
//! | `note` | note-on | the note number |
//! | `velocity` | note-on | 0 … 1 |
//! | `noteN` (`note36`, …) | note-on / note-off of note N | velocity 0 … 1; 0 when released |
//! | `bend` | pitch bend | −1 … 1 |
//! | `pressure` | channel pressure | 0 … 1 |
//! | `program` | program change | 0 … 127 |
//!
//! A control with a learned binding drives its target too; a note with a
//! binding does not also play its pad.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crossbeam_channel::Sender;

use super::counters::MidiCounters;
use super::mapping_file::{MappingFile, MappingFileError};
use crate::control::corpus_cursor::CursorPlay;
use crate::control::midi::learn::{LearnRequest, Mapping, MidiControl, Target};
use crate::control::midi::message::{MidiMessage, Parser};
use crate::control::midi::{LearnedBindings, MidiCommand, MidiDeskError};
use crate::control::{Command, PlayRequest};
use crate::schedule::Change;
use crate::time::Nanos;
use crate::time::TempoOctave;

/// Learned bindings and the pad map, shared by the input thread (which
/// uses them) and the control thread (which arms learning and lists them).
#[derive(Debug, Default)]
pub struct Bindings {
    /// The learned bindings and pads, as saved.
    pub file: MappingFile,
    /// Where the bindings are saved after each change (`None`: not saved).
    pub path: Option<PathBuf>,
    /// Waiting for the next control moved.
    pub pending: Option<LearnRequest>,
    /// Mute state of loops driven by learned buttons.
    muted: BTreeMap<String, bool>,
    /// Last octave sent, so a knob sends each step once.
    octave: Option<i64>,
}

/// [`Bindings`] shared between threads.
#[derive(Clone, Debug, Default)]
pub struct SharedBindings(Arc<Mutex<Bindings>>);

impl SharedBindings {
    /// Shares `b`.
    pub fn new(b: Bindings) -> SharedBindings {
        SharedBindings(Arc::new(Mutex::new(b)))
    }

    /// The bindings, for a short while (a poisoned lock is taken as it is).
    pub fn lock(&self) -> MutexGuard<'_, Bindings> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The control thread's MIDI part arms learning, forgets and lists through
/// these; the input thread sees each change at its next message.
impl LearnedBindings for SharedBindings {
    fn learn(&self, request: LearnRequest) {
        self.lock().pending = Some(request);
    }

    fn forget(&self, target: &str) -> Result<usize, MidiDeskError> {
        let mut b = self.lock();
        let n = b.file.forget(target);
        b.save().map_err(|e| MidiDeskError::Save(e.to_string()))?;
        Ok(n)
    }

    fn mappings(&self) -> Vec<Mapping> {
        self.lock().file.mappings.clone()
    }
}

impl Bindings {
    /// Saves the file, if it has a place; the reason if it could not.
    pub fn save(&self) -> Result<(), MappingFileError> {
        match &self.path {
            Some(p) => self.file.save(p),
            None => Ok(()),
        }
    }
}

/// Turns port messages into commands.
pub struct Router {
    parser: Parser,
    bindings: SharedBindings,
    commands: Sender<Command>,
    /// Added to each message's time: sounds start this long after their
    /// message was stamped, at the same offset from each other.
    latency: Duration,
    counters: Arc<MidiCounters>,
}

impl Router {
    /// A router for one input: its messages go to `commands`, pads sounding `latency_nanos` after their stamp.
    pub fn new(
        bindings: SharedBindings,
        commands: Sender<Command>,
        latency: Duration,
        counters: Arc<MidiCounters>,
    ) -> Router {
        Router {
            parser: Parser::new(),
            bindings,
            commands,
            latency,
            counters,
        }
    }

    /// One message as the port delivered it, stamped `nanos` (monotonic).
    pub fn on_port_message(&mut self, nanos: Nanos, bytes: &[u8]) {
        MidiCounters::add(&self.counters.port_messages, 1);
        let mut msgs: Vec<MidiMessage> = Vec::new();
        self.parser.feed(bytes, &mut |m| msgs.push(m));
        self.counters.set_parse(&self.parser.counts);
        for m in msgs {
            self.route(m, nanos);
        }
    }

    fn send(&self, cmd: Command) {
        if self.commands.try_send(cmd).is_err() {
            MidiCounters::add(&self.counters.dropped, 1);
        }
    }

    fn say(&self, text: String, error: bool) {
        self.send(Command::Midi {
            command: MidiCommand::Say { text, error },
            reply: None,
        });
    }

    fn route(&mut self, m: MidiMessage, nanos: Nanos) {
        use MidiMessage::*;
        match m {
            Clock | Start | Stop | Continue | SongPosition(_) => {
                return self.send(Command::Midi {
                    command: MidiCommand::ClockIn { message: m, nanos },
                    reply: None,
                });
            }
            ActiveSensing
            | Reset
            | SysEx { .. }
            | QuarterFrame(_)
            | SongSelect(_)
            | TuneRequest => return,
            _ => {}
        }
        let source = MidiControl::of(&m);
        let (mapping, pad) = {
            let mut b = self.bindings.lock();
            if b.pending.is_some() && MidiControl::starts_learning(&m) {
                if let (Some(req), Some((src, _))) = (b.pending.take(), source) {
                    let mapping = req.bind(src);
                    let text = format!(
                        "MIDI learn: {src} → {} ({} … {}, {:?})",
                        mapping.target, mapping.min, mapping.max, mapping.curve
                    );
                    b.file.bind(mapping);
                    let saved = b.save();
                    drop(b);
                    match saved {
                        Ok(()) => self.say(text, false),
                        Err(e) => self.say(format!("{text}; {e}"), true),
                    }
                    return;
                }
            }
            let mapping = source.and_then(|(s, _)| b.file.find(&s).cloned());
            let pad = match m {
                NoteOn {
                    channel,
                    note,
                    velocity,
                } if mapping.is_none() => b
                    .file
                    .pads
                    .sound(channel, note)
                    .map(|(s, v)| (s.to_string(), v, velocity)),
                _ => None,
            };
            (mapping, pad)
        };
        for (name, value) in named_controls(&m) {
            self.send(Command::SetControl { name, value });
        }
        if let (Some(mapping), Some((_, x))) = (mapping, source) {
            self.apply(&mapping, x, &m);
        }
        if let Some((sound, variant, velocity)) = pad {
            let mut req = PlayRequest::new(&sound);
            req.variant = variant;
            req.gain = velocity as f32 / 127.0;
            req.at_nanos = Some(nanos + self.latency);
            self.send(Command::Play {
                request: req,
                reply: None,
            });
        }
        self.send(Command::Midi {
            command: MidiCommand::Event { message: m, nanos },
            reply: None,
        });
    }

    fn apply(&mut self, mapping: &Mapping, x: f64, m: &MidiMessage) {
        let value = mapping.value(x);
        let cmd = match &mapping.target {
            Target::Control { name } => Command::SetControl {
                name: name.clone(),
                value,
            },
            Target::Tempo => Command::Midi {
                command: MidiCommand::Tempo(value),
                reply: None,
            },
            Target::Octave => {
                let k = value.round().clamp(-2.0, 2.0) as i64;
                let mut b = self.bindings.lock();
                if b.octave == Some(k) {
                    return;
                }
                b.octave = Some(k);
                match TempoOctave::new(k) {
                    Ok(o) => Command::Change(Change::Octave(o)),
                    Err(_) => return,
                }
            }
            Target::LoopGain { name } => Command::Midi {
                command: MidiCommand::LoopGain {
                    name: name.clone(),
                    gain: value as f32,
                },
                reply: None,
            },
            Target::LoopMute { name } => {
                let mut b = self.bindings.lock();
                let was = b.muted.get(name).copied().unwrap_or(false);
                let muted = match m {
                    // A button: each press toggles; its release does nothing.
                    MidiMessage::NoteOn { .. } => !was,
                    MidiMessage::NoteOff { .. } => return,
                    _ => x > 0.5,
                };
                if muted == was && b.muted.contains_key(name) {
                    return;
                }
                b.muted.insert(name.clone(), muted);
                Command::Mute {
                    name: name.clone(),
                    muted,
                    reply: None,
                }
            }
            Target::Latent { model, dim } => Command::SetLatent {
                model: model.clone(),
                dim: *dim,
                value,
            },
            // The segment under the cursor plays when it changes, as
            // sweeping a map in CataRT does.
            Target::CorpusX { corpus } => Command::Corpus {
                name: corpus.clone(),
                x: Some(value),
                y: None,
                play: CursorPlay::WhenChanged,
                reply: None,
            },
            Target::CorpusY { corpus } => Command::Corpus {
                name: corpus.clone(),
                x: None,
                y: Some(value),
                play: CursorPlay::WhenChanged,
                reply: None,
            },
        };
        self.send(cmd);
    }
}

/// The named controls a message sets (see the module table).
pub fn named_controls(m: &MidiMessage) -> Vec<(String, f64)> {
    match *m {
        MidiMessage::Control {
            controller, value, ..
        } => vec![(format!("cc{controller}"), value as f64 / 127.0)],
        MidiMessage::NoteOn { note, velocity, .. } => {
            let v = velocity as f64 / 127.0;
            vec![
                ("note".into(), note as f64),
                ("velocity".into(), v),
                (format!("note{note}"), v),
            ]
        }
        MidiMessage::NoteOff { note, .. } => vec![(format!("note{note}"), 0.0)],
        MidiMessage::PitchBend { value, .. } => vec![("bend".into(), value as f64 / 8192.0)],
        MidiMessage::ChannelPressure { value, .. } => {
            vec![("pressure".into(), value as f64 / 127.0)]
        }
        MidiMessage::Program { program, .. } => vec![("program".into(), program as f64)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> (Router, crossbeam_channel::Receiver<Command>, SharedBindings) {
        let (tx, rx) = crossbeam_channel::bounded(64);
        let b = SharedBindings::default();
        b.lock().file.pads = Default::default();
        let r = Router::new(
            b.clone(),
            tx,
            Duration::from_millis(1),
            Arc::new(MidiCounters::default()),
        );
        (r, rx, b)
    }

    #[test]
    fn pads_play_at_their_time_plus_latency() {
        let (mut r, rx, _) = router();
        r.on_port_message(Nanos(5_000_000), &[0x99, 38, 127]);
        let cmds: Vec<Command> = rx.try_iter().collect();
        let play = cmds
            .iter()
            .find_map(|c| match c {
                Command::Play { request, .. } => Some(request.clone()),
                _ => None,
            })
            .expect("a pad plays");
        assert_eq!(play.sound, "snare");
        assert_eq!(play.at_nanos, Some(Nanos(6_000_000)));
        assert!(cmds.iter().any(
            |c| matches!(c, Command::SetControl { name, value } if name == "note" && *value == 38.0)
        ));
    }

    #[test]
    fn learn_binds_the_next_control_and_garbage_is_ignored() {
        let (mut r, rx, b) = router();
        b.lock().pending = Some(LearnRequest::parse("loop:kick:gain 0 2").unwrap());
        r.on_port_message(Nanos(1), &[0x90, 60]); // truncated: ignored
        r.on_port_message(Nanos(2), &[0xB0, 7, 127]);
        let _: Vec<Command> = rx.try_iter().collect();
        assert_eq!(b.lock().file.mappings.len(), 1);
        r.on_port_message(Nanos(3), &[0xB0, 7, 0]);
        let gains: Vec<f32> = rx
            .try_iter()
            .filter_map(|c| match c {
                Command::Midi {
                    command: MidiCommand::LoopGain { gain, .. },
                    ..
                } => Some(gain),
                _ => None,
            })
            .collect();
        assert_eq!(gains, [0.0]);
    }

    #[test]
    fn two_learned_controls_drive_a_corpus_cursor() {
        let (mut r, rx, b) = router();
        b.lock().pending = Some(LearnRequest::parse("corpus:field:x").unwrap());
        r.on_port_message(Nanos(1), &[0xB0, 20, 0]);
        b.lock().pending = Some(LearnRequest::parse("corpus:field:y 1 0").unwrap());
        r.on_port_message(Nanos(2), &[0xB0, 21, 0]);
        let _: Vec<Command> = rx.try_iter().collect();
        assert_eq!(b.lock().file.mappings.len(), 2);
        // An XY pad's two controls: x to the right end, y to the middle
        // (its range is reversed: up the pad is up the map).
        r.on_port_message(Nanos(3), &[0xB0, 20, 127]);
        r.on_port_message(Nanos(4), &[0xB0, 21, 127]);
        let moves: Vec<(String, Option<f64>, Option<f64>, CursorPlay)> = rx
            .try_iter()
            .filter_map(|c| match c {
                Command::Corpus {
                    name, x, y, play, ..
                } => Some((name, x, y, play)),
                _ => None,
            })
            .collect();
        assert_eq!(
            moves,
            [
                ("field".into(), Some(1.0), None, CursorPlay::WhenChanged),
                ("field".into(), None, Some(0.0), CursorPlay::WhenChanged),
            ]
        );
    }
}
