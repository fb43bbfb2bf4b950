//! One rule per value a performer passes: the same range and the same
//! meaning wherever the value comes from (a script's loop setting or
//! transform, a pattern's accent, an OSC argument, a MIDI-learn range).
//!
//! Every entry calls the rule's [`Rule::check`] and puts its own context in
//! front of the same message: `loop 'kick': rate 0 is out of range: give
//! -64 to -1/64 or 1/64 to 64 (…)`, `/play: rate 0 is out of range: …`,
//! `learn …: gain 20 is out of range: …`. A value outside its rule is
//! refused, never clamped, never replaced by a default and never turned
//! into silence. NaN and ±∞ are outside every rule.
//!
//! | value | range | meaning | from |
//! |---|---|---|---|
//! | [`GAIN`] | 0 to 16 | linear amplitude: 1 as recorded, 0 silent, 2 is +6 dB | Strudel's `gain` (linear, 1 = unity); 16 (+24 dB) stays under the engine's per-source limit |
//! | [`PAN`] | −1 to 1 | −1 left, 0 centre, 1 right | loam's own (SuperDirt and Strudel write 0…1 with 0.5 centre) |
//! | [`RATE`] | −64 to −1/64 or 1/64 to 64 | playback speed: 2 an octave up; negative plays reversed from the end | SuperDirt's and Tidal's `speed` (negative = reversed) |
//! | [`LEGATO`] | more than 0, at most 64 | sound length in steps | Tidal's `legato` |
//! | [`LENGTH`] | more than 0, at most 3600 | sound length in seconds (`/play length`) | SuperDirt's `sustain` |
//! | [`VELOCITY`] | 0 to 2 | loudness factor of an event: 1 as written | the mini-notation's `^v`, Strudel's `velocity` |
//! | [`NUDGE`] | −1 to 1 | pulses late (negative: early) | the mini-notation's `'n` |
//! | [`SHIFT`] | whole, −1024 to 1024 | pulses later | Tidal's `~>`, in pulses of the metre |
//! | [`SWING`] | 0 to 1 | half-pulses the off-beat is delayed (1/3: triplet) | Tidal's `swingBy` |
//! | [`DEGRADE`] | 0 to 1 | probability an event is dropped | Tidal's `degradeBy` |
//! | [`HUMANISE_TIMING`] | 0 to 1 | most pulses an onset moves | loam's own |
//! | [`HUMANISE_VELOCITY`] | 0 to 1 | most velocity changes | loam's own |
//! | [`FAST`], [`SLOW`] | 1/256 to 256 | cycles of the pattern per cycle, or cycles one of its cycles lasts | Tidal's `fast`/`slow` |
//! | [`OCTAVE`] | whole, −2 to 2 | tempo octave: patterns 2^k as fast | loam's own |
//! | [`VARIANT`] | whole, 0 to 1 000 000 | which file of a sound's folder (wraps round the count) | SuperDirt's `n` |
//! | [`TEMPO`] | 1 to 1000 | beats per minute | loam's [`crate::time::Tempo`] |
//! | [`LATENT`] | −64 to 64 | a model's latent coordinate | RAVE latents stay within about ±4 |
//! | [`CONTROL`] | any finite number | a named control (`ctrl`) | |
//! | [`CHANCE`] | 0 to 1 | probability a note or cycle is transformed | Tidal's `sometimesBy`, `somecyclesBy` |
//! | [`PLY`] | more than 0, at most 64 | repeats of each note | Tidal's `ply` |
//! | [`PARTS`] | whole, 1 to 64 | parts of a cycle or cycles of a period | Tidal's `iter`, `chunk`, `whenmod` |
//! | [`LINGER`] | −1 to 1 except 0 | the part of a cycle repeated | Tidal's `linger` |
//! | [`EUCLID_STEPS`] | whole, 1 to 1024 | steps of a Euclidean rhythm | Tidal's `euclid` |
//! | [`ECHOES`] | whole, 1 to 64 | copies, the original included | Tidal's `echo` count |
//! | [`FEEDBACK`] | 0 to 1 | velocity factor from one echo to the next | Tidal's `echo` feedback |
//! | [`CYCLE_POSITION`] | 0 to 1 | a place in the cycle | Tidal's `within` |
//! | [`TIME`] | −64 to 64 | cycles (or `p` pulses) a copy moves | Tidal's `off`, `echo` time |

use std::fmt;

/// The loudest gain anywhere (loops, `/play`, models, MIDI learn), as a
/// linear factor: 16 is +24 dB, which keeps a full-scale sample under the
/// engine's per-source limit of 64 (+36 dBFS).
pub const MAX_GAIN: f64 = 16.0;

/// The fastest playback rate, either way: 64 is six octaves up. The
/// slowest is its inverse, 1/64 (six octaves down); 0 would never end.
pub const MAX_RATE: f64 = 64.0;

/// The longest legato, in steps: a sound may ring over 64 steps.
pub const MAX_LEGATO: f64 = 64.0;

/// The longest `/play` length, in seconds (an hour).
pub const MAX_LENGTH_SECONDS: f64 = 3600.0;

/// The largest shift, in pulses of the metre either way (64 bars of 16
/// pulses); far enough for any phase game, small enough for exact time.
pub const MAX_SHIFT_PULSES: f64 = 1024.0;

/// The largest variant number (`hat:N`, `/play … n N`).
pub const MAX_VARIANT: f64 = 1_000_000.0;

/// The largest latent coordinate either way.
pub const MAX_LATENT: f64 = 64.0;

/// The range and meaning of one value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// The value's name, as performers write it.
    pub name: &'static str,
    /// The lowest value allowed.
    pub min: f64,
    /// The highest value allowed.
    pub max: f64,
    /// Values nearer 0 than this are refused (0.0: 0 is allowed;
    /// [`f64::MIN_POSITIVE`]: only 0 is refused).
    pub least: f64,
    /// Only whole numbers.
    pub whole: bool,
    /// What the value means, for the error message.
    pub meaning: &'static str,
}

/// A value outside its [`Rule`]: the message names the value, what was
/// given and the range. Callers put the loop, address or target in front.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueError {
    /// The value's name (`gain`, `rate`…).
    pub name: &'static str,
    /// The value given.
    pub value: f64,
    /// The whole sentence: name, value and range.
    pub message: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValueError {}

/// Writes a limit the way a performer would: `1/64`, `0.5`, `-2`.
fn number(x: f64) -> String {
    if x > 0.0 && x < 1.0 && (1.0 / x).fract() == 0.0 {
        format!("1/{}", 1.0 / x)
    } else {
        format!("{x}")
    }
}

impl Rule {
    /// Any number from `min` to `max` inclusive.
    pub const fn span(name: &'static str, min: f64, max: f64, meaning: &'static str) -> Rule {
        Rule {
            name,
            min,
            max,
            least: 0.0,
            whole: false,
            meaning,
        }
    }

    /// A fraction from 0 to 1 inclusive (a probability, an amount).
    pub const fn fraction(name: &'static str, meaning: &'static str) -> Rule {
        Rule::span(name, 0.0, 1.0, meaning)
    }

    /// More than 0 and at most `max` (a length, a legato).
    pub const fn positive(name: &'static str, max: f64, meaning: &'static str) -> Rule {
        Rule {
            least: f64::MIN_POSITIVE,
            ..Rule::span(name, 0.0, max, meaning)
        }
    }

    /// The same rule, allowing whole numbers only.
    pub const fn whole(self) -> Rule {
        Rule {
            whole: true,
            ..self
        }
    }

    /// The allowed values in words: `0 to 16`, `-64 to -1/64 or 1/64 to 64`,
    /// `more than 0, at most 64`, `whole numbers -2 to 2`.
    pub fn range(&self) -> String {
        if self.min == f64::MIN && self.max == f64::MAX {
            return "any finite number".to_string();
        }
        let whole = if self.whole { "a whole number " } else { "" };
        let (lo, hi) = (number(self.min), number(self.max));
        if self.least == 0.0 {
            return format!("{whole}{lo} to {hi}");
        }
        if self.least == f64::MIN_POSITIVE {
            return if self.min >= 0.0 {
                format!("more than 0, at most {hi}")
            } else {
                format!("{lo} to {hi} except 0")
            };
        }
        let least = number(self.least);
        if self.min < 0.0 {
            format!("{lo} to -{least} or {least} to {hi}")
        } else {
            format!("{least} to {hi}")
        }
    }

    /// Whether `v` is allowed.
    pub fn allows(&self, v: f64) -> bool {
        v.is_finite()
            && v >= self.min
            && v <= self.max
            && v.abs() >= self.least
            && (!self.whole || v.fract() == 0.0)
    }

    /// `v` when it is allowed, else the one message every entry gives:
    /// `rate 0 is out of range: give -64 to -1/64 or 1/64 to 64 (…)`.
    pub fn check(&self, v: f64) -> Result<f64, ValueError> {
        if self.allows(v) {
            return Ok(v);
        }
        Err(ValueError {
            name: self.name,
            value: v,
            message: format!(
                "{} {v} is out of range: give {} ({})",
                self.name,
                self.range(),
                self.meaning
            ),
        })
    }

    /// Checks a whole range `lo..hi` (either order) that a control sweeps,
    /// as MIDI learn does: both ends and everything between must be allowed.
    pub fn check_span(&self, lo: f64, hi: f64) -> Result<(), ValueError> {
        self.check(lo)?;
        self.check(hi)?;
        // A span that crosses a hole round 0 (rate) would pass through it.
        if self.least > 0.0 && (lo < 0.0) != (hi < 0.0) {
            return self.check(0.0).map(|_| ());
        }
        Ok(())
    }
}

/// Gain: a linear amplitude factor.
pub const GAIN: Rule = Rule::span(
    "gain",
    0.0,
    MAX_GAIN,
    "1 plays as recorded, 0 is silent, 2 is +6 dB",
);

/// Pan position.
pub const PAN: Rule = Rule::span("pan", -1.0, 1.0, "-1 left, 0 centre, 1 right");

/// Playback rate; negative plays the sound reversed, from its end.
pub const RATE: Rule = Rule {
    name: "rate",
    min: -MAX_RATE,
    max: MAX_RATE,
    least: 1.0 / MAX_RATE,
    whole: false,
    meaning: "1 as recorded, 2 an octave up and twice as fast, negative plays it reversed",
};

/// Sound length as a fraction of its step.
pub const LEGATO: Rule = Rule::positive(
    "legato",
    MAX_LEGATO,
    "the sound's length in steps: 1 lasts one step",
);

/// Sound length in seconds (`/play … length`).
pub const LENGTH: Rule = Rule::positive(
    "length",
    MAX_LENGTH_SECONDS,
    "seconds before the sound fades out",
);

/// An event's velocity (`^v`) or a loop's velocity factor (`.velocity(g)`).
pub const VELOCITY: Rule = Rule::span(
    "velocity",
    0.0,
    2.0,
    "loudness factor: 1 as written, 0 silent",
);

/// An event's nudge (`'n`), in pulses.
pub const NUDGE: Rule = Rule::span("nudge", -1.0, 1.0, "pulses late; negative is early");

/// A loop's shift, in whole pulses.
pub const SHIFT: Rule = Rule::span(
    "shift",
    -MAX_SHIFT_PULSES,
    MAX_SHIFT_PULSES,
    "pulses later; negative is earlier",
)
.whole();

/// Swing amount, in half-pulses.
pub const SWING: Rule = Rule::fraction(
    "swing",
    "half-pulses the off-beat is delayed: 1/3 is triplet swing",
);

/// Degrade probability.
pub const DEGRADE: Rule = Rule::fraction("degrade", "the probability each event is dropped");

/// Humanise timing, in pulses.
pub const HUMANISE_TIMING: Rule = Rule::fraction(
    "humanise timing",
    "the most pulses an onset moves either way",
);

/// Humanise velocity.
pub const HUMANISE_VELOCITY: Rule = Rule::fraction(
    "humanise velocity",
    "the most an event's velocity changes either way",
);

/// `fast` factor: cycles of the pattern per cycle.
pub const FAST: Rule = Rule {
    name: "fast",
    min: 0.0,
    max: super::transform::MAX_FACTOR as f64,
    least: 1.0 / super::transform::MAX_FACTOR as f64,
    whole: false,
    meaning: "cycles of the pattern played per cycle",
};

/// `slow` factor: cycles one cycle of the pattern lasts.
pub const SLOW: Rule = Rule {
    name: "slow",
    meaning: "cycles one cycle of the pattern lasts",
    ..FAST
};

/// Tempo octave (global or a loop's).
pub const OCTAVE: Rule = Rule::span("octave", -2.0, 2.0, "patterns play 2^k times as fast").whole();

/// A sound's variant (`hat:2`, `/play … n 2`).
pub const VARIANT: Rule = Rule::span(
    "variant",
    0.0,
    MAX_VARIANT,
    "which file of the sound's folder, counting from 0, wrapping round",
)
.whole();

/// Tempo in beats per minute (the same limits as [`crate::time::Tempo::bpm`]).
pub const TEMPO: Rule = Rule::span("tempo", 1.0, 1000.0, "beats per minute");

/// One coordinate of a model's latent vector.
pub const LATENT: Rule = Rule::span(
    "latent",
    -MAX_LATENT,
    MAX_LATENT,
    "a coordinate of the model's latent space; RAVE latents stay near ±4",
);

/// A named control (`/set`, `ctrl(…)`): any finite number.
pub const CONTROL: Rule = Rule::span(
    "control",
    f64::MIN,
    f64::MAX,
    "read by the script with ctrl(name)",
);

/// The chance a note (`sometimes`) or a cycle (`some_cycles`) is transformed.
pub const CHANCE: Rule = Rule::fraction(
    "chance",
    "the probability each note or cycle is transformed",
);

/// The most repeats `ply` makes of one note.
pub const MAX_PLY: f64 = 64.0;

/// `ply` count: repeats of each note across its length.
pub const PLY: Rule = Rule::positive("ply", MAX_PLY, "repeats of each note across its length");

/// The most parts (`iter`, `chunk`) or cycles of a period (`whenmod`).
pub const MAX_PARTS: f64 = 64.0;

/// Parts of a cycle (`iter`, `chunk`) or cycles of a period (`whenmod`).
pub const PARTS: Rule = Rule::span(
    "parts",
    1.0,
    MAX_PARTS,
    "parts of a cycle, or cycles of a period",
)
.whole();

/// The most slices `chop` and `striate` cut a note's sample into: 256,
/// grains of 4 ms from a one-second sample, past which a slice is shorter
/// than the voice's fade and no longer sounds like its sample.
pub const MAX_SLICES: f64 = 256.0;

/// `chop` and `striate` count: slices of each note's sample.
pub const SLICES: Rule = Rule::span("slices", 1.0, MAX_SLICES, "slices of each sample").whole();

/// `linger` amount: the part of each cycle repeated (negative: from its end).
pub const LINGER: Rule = Rule {
    least: f64::MIN_POSITIVE,
    ..Rule::span(
        "linger",
        -1.0,
        1.0,
        "the part of each cycle repeated; negative counts from the end",
    )
};

/// Steps of a Euclidean rhythm (the same limit as the mini-notation's `a(k,n)`).
pub const EUCLID_STEPS: Rule =
    Rule::span("euclid steps", 1.0, 1024.0, "steps of the Euclidean rhythm").whole();

/// The most copies `echo` makes.
pub const MAX_ECHOES: f64 = 64.0;

/// `echo` count: copies, the original included.
pub const ECHOES: Rule = Rule::span(
    "echo count",
    1.0,
    MAX_ECHOES,
    "copies, the original included",
)
.whole();

/// `echo` feedback: the velocity factor from one copy to the next.
pub const FEEDBACK: Rule =
    Rule::fraction("feedback", "the velocity factor from one echo to the next");

/// A place in the cycle (`within`).
pub const CYCLE_POSITION: Rule = Rule::fraction(
    "cycle position",
    "a place in the cycle: 0 its start, 1 its end",
);

/// The furthest a copy moves (`off`, `echo`), in cycles either way.
pub const MAX_TIME_CYCLES: f64 = 64.0;

/// A time argument (`off`, `echo`): cycles, or pulses with `p`.
pub const TIME: Rule = Rule::span(
    "time",
    -MAX_TIME_CYCLES,
    MAX_TIME_CYCLES,
    "how far a copy moves: a fraction of a cycle, or pulses written \"1p\"",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_refuses_nan_and_infinity() {
        for rule in [
            GAIN,
            PAN,
            RATE,
            LEGATO,
            LENGTH,
            VELOCITY,
            NUDGE,
            SHIFT,
            SWING,
            DEGRADE,
            HUMANISE_TIMING,
            HUMANISE_VELOCITY,
            FAST,
            SLOW,
            OCTAVE,
            VARIANT,
            TEMPO,
            LATENT,
            CONTROL,
        ] {
            for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                assert!(rule.check(v).is_err(), "{} {v}", rule.name);
            }
        }
    }

    #[test]
    fn rate_allows_reverse_but_not_zero() {
        assert_eq!(RATE.check(-1.0), Ok(-1.0));
        assert_eq!(RATE.check(-2.0), Ok(-2.0));
        assert_eq!(RATE.check(1.0 / 64.0), Ok(1.0 / 64.0));
        let e = RATE.check(0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "rate 0 is out of range: give -64 to -1/64 or 1/64 to 64 \
(1 as recorded, 2 an octave up and twice as fast, negative plays it reversed)"
        );
        assert!(RATE.check(65.0).is_err());
        assert!(RATE.check(-0.01).is_err());
        assert!(RATE.check_span(-1.0, 1.0).is_err());
        assert!(RATE.check_span(0.5, 2.0).is_ok());
    }

    #[test]
    fn ranges_in_words() {
        assert_eq!(GAIN.range(), "0 to 16");
        assert_eq!(PAN.range(), "-1 to 1");
        assert_eq!(LEGATO.range(), "more than 0, at most 64");
        assert_eq!(OCTAVE.range(), "a whole number -2 to 2");
        assert_eq!(CONTROL.range(), "any finite number");
        assert!(LEGATO.check(0.0).is_err());
        assert!(SHIFT.check(1.5).is_err());
        assert!(SHIFT.check(-3.0).is_ok());
        assert!(GAIN.check_span(0.0, 17.0).is_err());
    }

    #[test]
    fn tempo_rule_matches_tempo() {
        for v in [0.5, 1.0, 1000.0, 1000.5] {
            assert_eq!(
                TEMPO.allows(v),
                crate::time::Tempo::bpm(v).is_ok(),
                "tempo {v}"
            );
        }
    }
}
