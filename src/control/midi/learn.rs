//! MIDI learn: the next control moved binds to a target, with a range and
//! a curve.
//!
//! Targets, as performers write them (OSC `/midi/learn`, `midi_learn(…)`
//! in scripts, `learn …` typed into `loam serve`'s terminal):
//!
//! | text | target | default range |
//! |---|---|---|
//! | `NAME` or `ctrl:NAME` | a named control scripts read with `ctrl("NAME")` | 0 … 1 |
//! | `tempo` | the tempo, now (no phase jump) | 60 … 180 BPM |
//! | `octave` | the global tempo octave (next meeting point) | −2 … 2 |
//! | `loop:NAME:gain` | a loop's gain, multiplied with its own | 0 … 1.5 |
//! | `loop:NAME:mute` | a loop's mute: each press toggles; a CC mutes above the middle | |
//! | `latent:MODEL:DIM` | dimension `DIM` of a loaded model's latent vector | −3 … 3 |
//! | `corpus:NAME:x`, `corpus:NAME:y` | one axis of a corpus's cursor (learn two controls, or an XY pad's two, for both); the segment under it plays when it changes | 0 … 1 |
//!
//! Optional `RANGE` and `CURVE` follow the target: `tempo 90 150 exp`.
//! A range must lie inside the target's rule ([`Target::rule`], the same
//! rule scripts and OSC follow): `loop:kick:gain 0 20` is refused when
//! learning starts, naming the target, since gain goes to 16 at most.
//! `exp` is exponential (`min·(max/min)^x`, for positive ranges; otherwise
//! `x²` shaped), `lin` linear (the default).

use serde::{Deserialize, Serialize};

use super::learn_error::LearnError;
use super::message::MidiMessage;
use crate::pattern::values;

/// What a control drives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A named control that scripts read with `ctrl("NAME")` (0 … 1 by default).
    Control {
        /// The control's name.
        name: String,
    },
    /// The tempo, now, without a phase jump (60 … 180 BPM by default).
    Tempo,
    /// The global tempo octave, at the next meeting point (−2 … 2).
    Octave,
    /// A loop's gain, multiplied with its own (0 … 1.5 by default).
    LoopGain {
        /// The loop's name.
        name: String,
    },
    /// A loop's mute: each press toggles; a CC mutes above the middle.
    LoopMute {
        /// The loop's name.
        name: String,
    },
    /// One dimension of a loaded model's latent vector (−3 … 3 by default).
    Latent {
        /// The model's name.
        model: String,
        /// The dimension, counted from 0.
        dim: usize,
    },
    /// The x (left to right) of a corpus's cursor on its map (0 … 1).
    CorpusX {
        /// The corpus's sound name (`map`: the one loaded last).
        corpus: String,
    },
    /// The y (top to bottom) of a corpus's cursor on its map (0 … 1).
    CorpusY {
        /// The corpus's sound name (`map`: the one loaded last).
        corpus: String,
    },
}

impl Target {
    /// Reads `tempo`, `ctrl:cutoff`, `loop:kick:gain`, `latent:drums:3`, …
    pub fn parse(text: &str) -> Result<Target, LearnError> {
        let t = text.trim();
        let parts: Vec<&str> = t.split(':').collect();
        let name_ok = |n: &str| !n.is_empty() && !n.chars().any(char::is_whitespace);
        match parts.as_slice() {
            ["tempo"] => Ok(Target::Tempo),
            ["octave"] => Ok(Target::Octave),
            ["ctrl", n] | [n] if name_ok(n) => Ok(Target::Control {
                name: n.to_string(),
            }),
            ["loop", n, "gain"] if name_ok(n) => Ok(Target::LoopGain {
                name: n.to_string(),
            }),
            ["loop", n, "mute"] if name_ok(n) => Ok(Target::LoopMute {
                name: n.to_string(),
            }),
            ["latent", m, d] if name_ok(m) => Ok(Target::Latent {
                model: m.to_string(),
                dim: d.parse().map_err(|_| LearnError::BadDimension {
                    model: m.to_string(),
                    dim: d.to_string(),
                })?,
            }),
            ["corpus", c, "x"] if name_ok(c) => Ok(Target::CorpusX {
                corpus: c.to_string(),
            }),
            ["corpus", c, "y"] if name_ok(c) => Ok(Target::CorpusY {
                corpus: c.to_string(),
            }),
            _ => Err(LearnError::UnknownTarget(t.to_string())),
        }
    }

    /// The rule the target's values follow ([`crate::pattern::values`]);
    /// `None` for a mute, which has no value.
    pub fn rule(&self) -> Option<values::Rule> {
        match self {
            Target::Control { .. } => Some(values::CONTROL),
            Target::Tempo => Some(values::TEMPO),
            // The control's value is rounded to the nearest octave, so the
            // ends need not be whole; they must lie in −2 … 2.
            Target::Octave => Some(values::Rule {
                whole: false,
                ..values::OCTAVE
            }),
            Target::LoopGain { .. } => Some(values::GAIN),
            Target::LoopMute { .. } => None,
            Target::Latent { .. } => Some(values::LATENT),
            Target::CorpusX { .. } | Target::CorpusY { .. } => Some(values::CONTROL),
        }
    }

    /// Refuses a range whose ends (or anything between) lie outside the
    /// target's rule, naming the target: `learn loop:kick:gain: gain 20 is
    /// out of range: give 0 to 16 (…)`.
    pub fn check_range(&self, min: f64, max: f64) -> Result<(), LearnError> {
        match self.rule() {
            Some(rule) => rule
                .check_span(min, max)
                .map_err(|error| LearnError::OutOfRange {
                    target: self.clone(),
                    error,
                }),
            None => Ok(()),
        }
    }

    /// The range a new mapping gets when none is given.
    pub fn default_range(&self) -> (f64, f64) {
        match self {
            Target::Control { .. } => (0.0, 1.0),
            Target::Tempo => (60.0, 180.0),
            Target::Octave => (-2.0, 2.0),
            Target::LoopGain { .. } => (0.0, 1.5),
            Target::LoopMute { .. } => (0.0, 1.0),
            Target::Latent { .. } => (-3.0, 3.0),
            Target::CorpusX { .. } | Target::CorpusY { .. } => (0.0, 1.0),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Control { name } => write!(f, "ctrl:{name}"),
            Target::Tempo => write!(f, "tempo"),
            Target::Octave => write!(f, "octave"),
            Target::LoopGain { name } => write!(f, "loop:{name}:gain"),
            Target::LoopMute { name } => write!(f, "loop:{name}:mute"),
            Target::Latent { model, dim } => write!(f, "latent:{model}:{dim}"),
            Target::CorpusX { corpus } => write!(f, "corpus:{corpus}:x"),
            Target::CorpusY { corpus } => write!(f, "corpus:{corpus}:y"),
        }
    }
}

/// How a control's travel maps onto the range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Curve {
    /// `min + (max − min)·x` (`lin`, the default).
    #[default]
    Linear,
    /// `min·(max/min)^x` for positive ranges, else `min + (max − min)·x²` (`exp`).
    Exponential,
}

/// A physical control: which message, on which channel (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MidiControl {
    /// A control change (a knob or a fader).
    Cc {
        /// 0-based channel.
        channel: u8,
        /// Controller number, 0 … 127.
        controller: u8,
    },
    /// A key or a pad: its velocity is the travel.
    Note {
        /// 0-based channel.
        channel: u8,
        /// MIDI note number, 0 … 127.
        note: u8,
    },
    /// The pitch-bend wheel: −8192 … 8191 maps to 0 … 1.
    Bend {
        /// 0-based channel.
        channel: u8,
    },
    /// Channel pressure (aftertouch).
    Pressure {
        /// 0-based channel.
        channel: u8,
    },
}

impl MidiControl {
    /// The control a message moves and how far along its travel (0 … 1);
    /// `None` for messages that are not controls (a note-off is one: 0).
    pub fn of(msg: &MidiMessage) -> Option<(MidiControl, f64)> {
        Some(match *msg {
            MidiMessage::Control {
                channel,
                controller,
                value,
            } => (
                MidiControl::Cc {
                    channel,
                    controller,
                },
                value as f64 / 127.0,
            ),
            MidiMessage::NoteOn {
                channel,
                note,
                velocity,
            } => (MidiControl::Note { channel, note }, velocity as f64 / 127.0),
            MidiMessage::NoteOff { channel, note, .. } => {
                (MidiControl::Note { channel, note }, 0.0)
            }
            MidiMessage::PitchBend { channel, value } => (
                MidiControl::Bend { channel },
                (value as f64 + 8192.0) / 16383.0,
            ),
            MidiMessage::ChannelPressure { channel, value } => {
                (MidiControl::Pressure { channel }, value as f64 / 127.0)
            }
            _ => return None,
        })
    }

    /// Whether this message may start a binding (a note-off may not: it
    /// follows the note-on that already bound).
    pub fn starts_learning(msg: &MidiMessage) -> bool {
        !matches!(msg, MidiMessage::NoteOff { .. }) && MidiControl::of(msg).is_some()
    }
}

impl std::fmt::Display for MidiControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MidiControl::Cc {
                channel,
                controller,
            } => write!(f, "CC {controller} on channel {}", channel + 1),
            MidiControl::Note { channel, note } => {
                write!(f, "note {note} on channel {}", channel + 1)
            }
            MidiControl::Bend { channel } => write!(f, "pitch bend on channel {}", channel + 1),
            MidiControl::Pressure { channel } => write!(f, "pressure on channel {}", channel + 1),
        }
    }
}

/// One binding: a control, a target, a range and a curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// The physical control.
    pub source: MidiControl,
    /// What it drives.
    pub target: Target,
    /// The target's value at the bottom of the control's travel.
    pub min: f64,
    /// The target's value at the top of the control's travel.
    pub max: f64,
    /// How the travel maps onto `min … max`.
    #[serde(default)]
    pub curve: Curve,
}

impl Mapping {
    /// Refuses a mapping (read from a file, say) whose range lies outside
    /// its target's rule, as [`LearnRequest::parse`] does.
    pub fn check(&self) -> Result<(), LearnError> {
        self.target.check_range(self.min, self.max)
    }

    /// The target value for a control at `x` (0 … 1) of its travel.
    pub fn value(&self, x: f64) -> f64 {
        let x = if x.is_finite() {
            x.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match self.curve {
            Curve::Linear => self.min + (self.max - self.min) * x,
            Curve::Exponential if self.min > 0.0 && self.max > 0.0 => {
                self.min * (self.max / self.min).powf(x)
            }
            Curve::Exponential => self.min + (self.max - self.min) * x * x,
        }
    }
}

/// A request to bind the next control moved.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnRequest {
    /// What the next control moved will drive.
    pub target: Target,
    /// `(min, max)`; `None`: the target's default range (see the table above).
    pub range: Option<(f64, f64)>,
    /// How the travel maps onto the range.
    pub curve: Curve,
}

impl LearnRequest {
    /// Reads `TARGET [MIN MAX] [lin|exp]`.
    pub fn parse(text: &str) -> Result<LearnRequest, LearnError> {
        let mut words = text.split_whitespace();
        let target = Target::parse(words.next().ok_or(LearnError::NoTarget)?)?;
        let rest: Vec<&str> = words.collect();
        let mut curve = Curve::Linear;
        let mut numbers = Vec::new();
        for w in &rest {
            match *w {
                "lin" | "linear" => curve = Curve::Linear,
                "exp" | "exponential" => curve = Curve::Exponential,
                n => numbers.push(n.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(
                    || LearnError::NotANumber {
                        target: target.clone(),
                        word: n.to_string(),
                    },
                )?),
            }
        }
        let range = match numbers.as_slice() {
            [] => None,
            [a, b] => {
                target.check_range(*a, *b)?;
                Some((*a, *b))
            }
            _ => return Err(LearnError::RangeNeedsTwo(target)),
        };
        Ok(LearnRequest {
            target,
            range,
            curve,
        })
    }

    /// The mapping this request makes when `source` moves.
    pub fn bind(&self, source: MidiControl) -> Mapping {
        let (min, max) = self.range.unwrap_or_else(|| self.target.default_range());
        Mapping {
            source,
            target: self.target.clone(),
            min,
            max,
            curve: self.curve,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_axes_parse_print_and_range_over_the_map() {
        for (text, target) in [
            (
                "corpus:field:x",
                Target::CorpusX {
                    corpus: "field".into(),
                },
            ),
            (
                "corpus:map:y",
                Target::CorpusY {
                    corpus: "map".into(),
                },
            ),
        ] {
            let t = Target::parse(text).unwrap();
            assert_eq!(t, target);
            assert_eq!(t.to_string(), text);
            assert_eq!(t.default_range(), (0.0, 1.0));
        }
        assert!(Target::parse("corpus:field:z").is_err());
        // A range past the map is taken (any control range is), and the
        // cursor stops at the map's edge.
        assert!(LearnRequest::parse("corpus:field:x 0 2").is_ok());
        assert!(LearnRequest::parse("corpus:field:x 1 0").is_ok());
    }

    #[test]
    fn targets_parse_and_print() {
        for t in [
            "tempo",
            "octave",
            "ctrl:cutoff",
            "loop:kick:gain",
            "loop:kick:mute",
            "latent:drums:3",
        ] {
            assert_eq!(Target::parse(t).unwrap().to_string(), t);
        }
        assert_eq!(
            Target::parse("cutoff").unwrap(),
            Target::Control {
                name: "cutoff".into()
            }
        );
        assert!(Target::parse("latent:drums:x").is_err());
        assert!(Target::parse("loop::gain").is_err());
        assert!(Target::parse("").is_err());
    }

    #[test]
    fn default_ranges_follow_the_rules() {
        for t in [
            "tempo",
            "octave",
            "ctrl:cutoff",
            "loop:kick:gain",
            "loop:kick:mute",
            "latent:drums:3",
        ] {
            let t = Target::parse(t).unwrap();
            let (a, b) = t.default_range();
            assert_eq!(t.check_range(a, b), Ok(()), "{t}");
        }
    }

    #[test]
    fn requests_with_range_and_curve() {
        let r = LearnRequest::parse("tempo 90 150 exp").unwrap();
        assert_eq!(r.range, Some((90.0, 150.0)));
        assert_eq!(r.curve, Curve::Exponential);
        assert!(LearnRequest::parse("tempo 90").is_err());
        assert!(LearnRequest::parse("tempo 90 nan").is_err());
        assert_eq!(
            LearnRequest::parse("loop:kick:gain 0 20")
                .unwrap_err()
                .to_string(),
            format!(
                "learn loop:kick:gain: {}",
                values::GAIN.check(20.0).unwrap_err()
            )
        );
        assert!(LearnRequest::parse("tempo 0 120").is_err());
        assert!(LearnRequest::parse("octave -3 2").is_err());
        assert!(LearnRequest::parse("octave -1.5 1.5").is_ok());
        assert!(LearnRequest::parse("octave -2.4 2").is_err());
        assert!(LearnRequest::parse("latent:drums:0 -100 0").is_err());
        assert!(LearnRequest::parse("loop:kick:mute 0 20").is_ok());
        let m = r.bind(MidiControl::Cc {
            channel: 0,
            controller: 1,
        });
        assert_eq!(m.value(0.0), 90.0);
        assert!((m.value(1.0) - 150.0).abs() < 1e-9);
        assert!((m.value(0.5) - (90.0f64 * 150.0).sqrt()).abs() < 1e-9);
        let lin = LearnRequest::parse("ctrl:x -1 1")
            .unwrap()
            .bind(MidiControl::Bend { channel: 0 });
        assert_eq!(lin.value(0.5), 0.0);
        assert_eq!(lin.value(f64::NAN), -1.0);
    }
}
