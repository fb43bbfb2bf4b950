//! Mini-notation patterns, as TidalCycles users write them, aware of the metre.
//!
//! A [`Pattern`] is parsed once on a control thread and then queried for the
//! events whose onsets fall in a span of cycles. Time is exact
//! ([`Rational`]); randomness is a stateless hash of the query seed, the
//! operator's position in the source and the event's onset, so the same query
//! always returns the same events.
//!
//! # Notation
//!
//! | Write              | Meaning |
//! |--------------------|---------|
//! | `bd sn hat`        | a sequence: each step an equal share of the enclosing span |
//! | `hat:2`            | sound `hat`, variant 2 (names are `[A-Za-z0-9_.-]+`) |
//! | `~`                | a rest |
//! | `[a b]`            | a subdivision: the steps share one step |
//! | `a b . c d e`      | `.` splits a sequence into equal groups: `[a b] [c d e]` |
//! | `a*3`, `[a b]*1.5` | play the step 3 (1.5) times as fast |
//! | `a/2`, `[a b c]/2` | play it half as fast: part of it per cycle, as in Tidal |
//! | `<a b c>`          | alternation: one step per cycle, in turn; nests (`<a <b c>>` is a b a c) |
//! | `a(3,8)`, `a(3,8,2)` | Euclidean rhythm (Bjorklund, as Tidal), rotated left by 2; negative pulses invert |
//! | `a?`, `a?0.3`      | drop each event with probability 0.5 (0.3), seeded |
//! | `a!3`, `a ! !`     | replicate: three equal steps of `a` |
//! | `a@3`, `a _ _`     | elongate: the step weighs 3 (each `_` adds 1) |
//! | `a*2, hat*4`       | a stack: layers sound together (top level and inside `[ ]`, `< >`, `{ }`) |
//! | `[a \| b \| c]`    | random choice inside brackets: one option per cycle, seeded |
//! | `{a b c, d e}`     | polymeter: every layer moves at the first layer's steps per cycle |
//! | `{a b c}%4`        | polymeter at 4 steps per cycle |
//! | `a b \| c \| d e f` | **metre groups** (top level only), see below |
//! | `a^0.7`            | velocity 0.7 (0 to 2; directly after the name and variant) |
//! | `a'-0.05`          | nudge: sound 0.05 pulse early (−1 to 1 pulse; after any `^`), keeping its place |
//! | `c4 eb4 f#3`, `60.5`, `0 -1` | pitches: note names, MIDI numbers with fractions, degrees (see [`crate::pitch::LoopPitch`]) |
//! | `c4'maj`, `[0,2,4]` | a chord on a note (a letter after `'`), a stack of degrees |
//!
//! Numbers are integers or decimals (`1.5`), converted exactly. Operators
//! attach directly to their step (`a*2`, not `a *2`) and apply left to right
//! (`a*2?` drops events of `a*2`).
//!
//! # Metre groups
//!
//! At the top level, `|` splits each layer into parts, one per pulse group of
//! the current metre ([`QueryContext::groups`]). Each part lasts its group's
//! share of the cycle: with groups `[2, 2, 3]` (2+2+3/8),
//! `"kick hat | snare | kick hat hat"` plays `kick hat` in `[0, 2/7)`,
//! `snare` in `[2/7, 4/7)` and `kick hat hat` in `[4/7, 1)`.
//!
//! The rule when the counts differ: part `i` plays in group `i`. With fewer
//! parts than groups the parts repeat in order (`a | b` over `[2, 2, 3]` is
//! `a`, `b`, `a`); with more parts than groups the extra parts are silent
//! ([`Pattern::metre_parts`] lets the caller warn). With no groups at all each
//! part gets an equal share. `,` binds looser than `|`, so each layer of a
//! stack has its own parts: `"kick | snare | kick, hat*2 | hat*2 | hat*3"`.
//! Inside `[ ]`, `|` is Tidal's random choice; inside `< >` and `{ }` it is
//! an error.
//!
//! # Transforms
//!
//! A loop plays its pattern through a list of [`Transform`]s (`fast`, `rev`,
//! `every`, swing, humanise, ...); see [`transform`] and [`query_transformed`].
//!
//! # Limits
//!
//! So that a typo cannot stall the scheduler, the parser rejects brackets
//! nested deeper than 16, more than 8 operators on one step, patterns that
//! could hold more than 65536 events per cycle, and subdivisions fine enough
//! to threaten `i128` arithmetic. A query's cost grows with its length in
//! cycles; query a lookahead window, not an hour. A loop's transforms are
//! checked too ([`check_loop_size`]): at most [`MAX_TRANSFORMS`] of them and
//! [`MAX_EVENTS_PER_CYCLE`] events a cycle after all of them.

mod ast;
mod chance;
mod euclid;
pub mod map_name;
mod metre;
mod parse;
mod query;
pub mod signal;
pub mod splitmix;
pub mod transform;
pub mod values;

use std::fmt;
use std::sync::Arc;

use crate::time::{exact, Rational};
pub use ast::{Accent, ArgOp, Node, Step};
pub use euclid::euclid;
pub use metre::{group_slots, GroupSlot};
pub use transform::{
    check_loop_size, events_per_cycle, query_transformed, Note, Transform, TransformError,
    MAX_EVENTS_PER_CYCLE, MAX_TRANSFORMS,
};

/// A parsed mini-notation pattern. Immutable and cheap to clone (the tree is shared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    root: Arc<Node>,
}

/// What a query needs to know besides the span.
#[derive(Clone, Copy, Debug)]
pub struct QueryContext<'a> {
    /// The pulse groups of the current metre, e.g. `[2, 2, 3]` for 2+2+3/8.
    pub groups: &'a [u32],
    /// Seeds `?` and random choice; different seeds give different draws.
    pub seed: u64,
}

/// One event of a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PatternEvent {
    /// When it starts, in absolute cycles (cycle `n` spans `[n, n + 1)`).
    pub onset: Rational,
    /// How long it lasts, in cycles.
    pub duration: Rational,
    /// The sound's name.
    pub sound: String,
    /// Which file of the folder, counted from 0 and wrapping.
    pub variant: u32,
    /// Its velocity and nudge (`^v`, `'n`).
    pub accent: Accent,
}

/// Why a pattern did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset in the source of the character at fault.
    pub position: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for PatternError {
    /// `column N: message`, where the column is the byte offset plus one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.position + 1, self.message)
    }
}

impl std::error::Error for PatternError {}

impl Pattern {
    /// Parses mini-notation. Errors point at the offending byte.
    pub fn parse(src: &str) -> Result<Pattern, PatternError> {
        Ok(Pattern {
            root: Arc::new(parse::parse(src)?),
        })
    }

    /// Parses a parameter pattern: mini-notation whose steps are numbers
    /// (`"1 0.5 <0.8 1>"`, `"0*4 1"`), each checked by `rule` (a value
    /// outside it is an error at its column, as a word that is not a number).
    pub fn parse_values(src: &str, rule: values::Rule) -> Result<Pattern, PatternError> {
        Ok(Pattern {
            root: Arc::new(parse::parse_values(src, rule)?),
        })
    }

    /// The value a parameter pattern ([`Pattern::parse_values`]) holds at
    /// each of `times` (absolute cycles): the value of the event whose span
    /// contains the time, the first layer's where layers overlap; `None` in
    /// a rest. Queries each cycle the times touch once.
    pub fn values_at(&self, times: &[Rational], ctx: &QueryContext) -> Vec<Option<Rational>> {
        // Each cycle's haps, queried when a time first falls in it (the
        // times of one query nearly always lie in one or two cycles).
        let mut cycles: Vec<(Rational, Vec<query::Hap>)> = Vec::new();
        times
            .iter()
            .map(|&t| {
                let c = t.floor();
                let at = match cycles.iter().position(|(cycle, _)| *cycle == c) {
                    Some(i) => i,
                    None => {
                        let span = query::Span {
                            begin: c,
                            end: exact::plus_whole(c, 1),
                        };
                        cycles.push((c, query::query(&self.root, span, ctx)));
                        cycles.len() - 1
                    }
                };
                cycles[at]
                    .1
                    .iter()
                    .find(|h| {
                        exact::cmp(&h.part.begin, &t).is_le() && exact::cmp(&t, &h.part.end).is_lt()
                    })
                    .map(|h| h.value)
            })
            .collect()
    }

    /// The parsed tree.
    pub fn tree(&self) -> &Node {
        &self.root
    }

    /// The number of top-level `|` parts (the most in any layer; 1 without `|`).
    /// A caller can compare it with the metre's group count and warn.
    pub fn metre_parts(&self) -> usize {
        fn parts(node: &Node) -> usize {
            match node {
                Node::Metre(parts) => parts.len(),
                Node::Stack(layers) => layers.iter().map(parts).max().unwrap_or(1),
                _ => 1,
            }
        }
        parts(&self.root)
    }

    /// All events whose onset lies in `[from, to)`, sorted by onset, then
    /// sound, then variant, then duration.
    ///
    /// Deterministic: the same pattern, span and context give the same events,
    /// and splitting a span into pieces gives the same events as one query.
    ///
    /// Called on a control thread (the scheduler's lookahead); it allocates,
    /// so never from the audio callback.
    pub fn query(&self, from: Rational, to: Rational, ctx: &QueryContext) -> Vec<PatternEvent> {
        let span = query::Span {
            begin: from,
            end: to,
        };
        let mut events: Vec<PatternEvent> = query::query(&self.root, span, ctx)
            .into_iter()
            .filter(|hap| hap.has_onset())
            .map(|hap| PatternEvent {
                onset: hap.whole.begin,
                duration: hap.whole.end - hap.whole.begin,
                sound: hap.name.to_string(),
                variant: hap.variant,
                accent: hap.accent.clone(),
            })
            .collect();
        events.sort_by(|a, b| {
            exact::cmp(&a.onset, &b.onset)
                .then_with(|| (&a.sound, a.variant).cmp(&(&b.sound, b.variant)))
                .then_with(|| exact::cmp(&a.duration, &b.duration))
        });
        events
    }
}

#[cfg(test)]
mod tests;
