//! The query engine: which events of a parsed pattern fall in a time span.
//!
//! It follows Tidal's model. Querying a node for a span returns *haps*: each
//! has a `whole` (the event's full extent) and a `part` (the piece of it that
//! lies inside the queried span). A node transforms the span on the way down;
//! a hap whose `part` starts where its `whole` starts carries the event's
//! onset. Every node also knows how its local time maps to absolute cycles
//! ([`ToAbsolute`]), so random draws are made at absolute onsets (`a?!4`
//! draws four times, not once) and each leaf writes its hap in absolute
//! cycles at once, instead of every level above rewriting the haps beneath
//! it on the way up (the same exact values, far fewer rational operations).

use super::ast::{Accent, ArgOp, Node, Step};
use super::{chance, euclid, metre, QueryContext};
use crate::time::exact::{self, minus_whole, plus_whole};
use crate::time::Rational;

/// A half-open time span `[begin, end)` in cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub begin: Rational,
    pub end: Rational,
}

/// One event fragment found by a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hap<'a> {
    pub whole: Span,
    pub part: Span,
    pub name: &'a str,
    pub variant: u32,
    pub accent: &'a Accent,
    /// The number of a [`Node::Number`] (an operand pattern's value); 0 for sounds.
    pub value: Rational,
}

/// The accent of a hap that is a number, not a sound.
static NO_ACCENT: Accent = Accent {
    velocity: Rational::new_raw(1, 1),
    nudge: Rational::new_raw(0, 1),
};

impl Hap<'_> {
    /// True when this fragment starts at the event's onset.
    pub fn has_onset(&self) -> bool {
        self.part.begin == self.whole.begin
    }
}

/// Local time → absolute cycles: `absolute = scale * local + offset`.
#[derive(Clone, Copy, Debug)]
struct ToAbsolute {
    scale: Rational,
    offset: Rational,
}

impl ToAbsolute {
    fn identity() -> ToAbsolute {
        ToAbsolute {
            scale: Rational::from_integer(1),
            offset: Rational::from_integer(0),
        }
    }

    fn at(&self, t: Rational) -> Rational {
        exact::add(exact::mul(self.scale, t), self.offset)
    }

    /// The span `[at(begin), at(end))`: the map keeps order (`scale > 0`).
    fn span(&self, span: Span) -> Span {
        Span {
            begin: self.at(span.begin),
            end: self.at(span.end),
        }
    }

    /// Absolute cycles → local time, the inverse of [`ToAbsolute::at`].
    fn local(&self, t: Rational) -> Rational {
        (t - self.offset) / self.scale
    }

    /// The map for a child whose time `t'` sits at `scale * t' + offset` here.
    fn inner(&self, scale: Rational, offset: Rational) -> ToAbsolute {
        ToAbsolute {
            scale: exact::mul(self.scale, scale),
            offset: self.at(offset),
        }
    }
}

/// All hap fragments of `node` in `span` (absolute cycles), in absolute cycles.
pub fn query<'a>(node: &'a Node, span: Span, env: &QueryContext) -> Vec<Hap<'a>> {
    let mut out = Vec::new();
    if span.begin < span.end {
        eval(node, span, ToAbsolute::identity(), env, &mut out);
    }
    out
}

/// The whole cycles a span touches, with the piece of the span in each.
fn cycles(span: Span) -> impl Iterator<Item = (Rational, Span)> {
    let mut cycle = span.begin.floor();
    std::iter::from_fn(move || {
        if cycle >= span.end {
            return None;
        }
        let next = plus_whole(cycle, 1);
        let piece = Span {
            begin: span.begin.max(cycle),
            end: span.end.min(next),
        };
        let this = cycle;
        cycle = next;
        Some((this, piece))
    })
}

/// A leaf's event in local cycle `cycle` and the `piece` of it queried, in
/// absolute cycles: `(whole, part)`. The part is usually the whole cycle, so
/// it reuses the whole's ends where it can.
fn absolute_cycle(abs: ToAbsolute, cycle: Rational, piece: Span) -> (Span, Span) {
    let begin = abs.at(cycle);
    let whole = Span {
        begin,
        end: exact::add(begin, abs.scale),
    };
    let part = Span {
        begin: if piece.begin == cycle {
            whole.begin
        } else {
            abs.at(piece.begin)
        },
        end: if piece.end == plus_whole(cycle, 1) {
            whole.end
        } else {
            abs.at(piece.end)
        },
    };
    (whole, part)
}

fn eval<'a>(
    node: &'a Node,
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    match node {
        Node::Rest => {}
        Node::Sound {
            name,
            variant,
            accent,
        } => {
            for (cycle, piece) in cycles(span) {
                let (whole, part) = absolute_cycle(abs, cycle, piece);
                out.push(Hap {
                    whole,
                    part,
                    name,
                    variant: *variant,
                    accent,
                    value: Rational::from_integer(0),
                });
            }
        }
        Node::Number(n) => {
            for (cycle, piece) in cycles(span) {
                let (whole, part) = absolute_cycle(abs, cycle, piece);
                out.push(Hap {
                    whole,
                    part,
                    name: "",
                    variant: 0,
                    accent: &NO_ACCENT,
                    value: *n,
                });
            }
        }
        Node::Patterned { node, op, args } => {
            for (part, values) in operand_pieces(args, span, abs, env) {
                eval_with(node, *op, &values, part, abs, env, out);
            }
        }
        Node::Seq(steps) => eval_seq(steps, span, abs, env, out),
        Node::Stack(layers) => {
            for layer in layers {
                eval(layer, span, abs, env, out);
            }
        }
        Node::Alt(steps) => {
            let total: Rational = steps.iter().map(|s| s.weight).sum();
            eval_fast(total.recip(), span, abs, out, |span, abs, out| {
                eval_seq(steps, span, abs, env, out)
            });
        }
        Node::Poly { layers, steps } => eval_poly(layers, *steps, span, abs, env, out),
        Node::Choice { id, options } => {
            if options.is_empty() {
                return;
            }
            for (cycle, piece) in cycles(span) {
                let draw = chance::draw(env.seed, *id, abs.at(cycle));
                eval(
                    &options[chance::choose(draw, options.len())],
                    piece,
                    abs,
                    env,
                    out,
                );
            }
        }
        Node::Fast { node, factor } => {
            eval_fast(*factor, span, abs, out, |span, abs, out| {
                eval(node, span, abs, env, out)
            });
        }
        Node::Euclid {
            node,
            pulses,
            steps,
            rotation,
        } => eval_euclid(node, *pulses, *steps, *rotation, span, abs, env, out),
        Node::Degrade {
            node,
            probability,
            id,
        } => eval_degrade(node, *probability, *id, span, abs, env, out),
        Node::Metre(parts) => {
            let slots: Vec<_> = metre::group_slots(env.groups, parts.len())
                .into_iter()
                .map(|s| (s.begin, s.end, &parts[s.part]))
                .collect();
            eval_slots(&slots, span, abs, env, out);
        }
    }
}

/// `{a b c, d e}`: every layer at `steps` steps per cycle (the first layer's count if `None`).
fn eval_poly<'a>(
    layers: &'a [Vec<Step>],
    steps: Option<Rational>,
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    let Some(first) = layers.first() else { return };
    let base = steps.unwrap_or_else(|| first.iter().map(|s| s.weight).sum());
    for layer in layers {
        let total: Rational = layer.iter().map(|s| s.weight).sum();
        if total == Rational::from_integer(0) {
            continue;
        }
        eval_fast(base / total, span, abs, out, |span, abs, out| {
            eval_seq(layer, span, abs, env, out)
        });
    }
}

/// The child on the hits of the Euclidean rhythm, each hit one child cycle.
#[allow(clippy::too_many_arguments)]
fn eval_euclid<'a>(
    node: &'a Node,
    pulses: i64,
    steps: u32,
    rotation: i64,
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    let n = i128::from(steps);
    let slots: Vec<_> = euclid::euclid(pulses, steps, rotation)
        .into_iter()
        .enumerate()
        .filter(|&(_, hit)| hit)
        .map(|(j, _)| {
            (
                Rational::new(j as i128, n),
                Rational::new(j as i128 + 1, n),
                node,
            )
        })
        .collect();
    eval_slots(&slots, span, abs, env, out);
}

/// The child's events, each dropped with `probability` by the seeded draw at its absolute onset.
#[allow(clippy::too_many_arguments)]
fn eval_degrade<'a>(
    node: &'a Node,
    probability: Rational,
    id: usize,
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    let start = out.len();
    eval(node, span, abs, env, out);
    let mut kept = start;
    for i in start..out.len() {
        // Haps come back in absolute cycles: the onset is the draw's time.
        let onset = out[i].whole.begin;
        if !chance::dropped(chance::draw(env.seed, id, onset), probability) {
            out.swap(kept, i);
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// The pieces of `span` over which every operand pattern holds one value,
/// with those values (Tidal's `<*>` on the operands: each piece is where one
/// event of every operand overlaps). A rest in any operand leaves a gap.
///
/// The operands' haps come back in absolute cycles, so the pieces are cut
/// there and then mapped back to the child's local time.
fn operand_pieces(
    args: &[Node],
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
) -> Vec<(Span, Vec<Rational>)> {
    let mut pieces = vec![(abs.span(span), Vec::with_capacity(args.len()))];
    for arg in args {
        let mut haps = Vec::new();
        eval(arg, span, abs, env, &mut haps);
        let mut next = Vec::with_capacity(pieces.len());
        for (piece, values) in &pieces {
            for hap in &haps {
                let begin = piece.begin.max(hap.part.begin);
                let end = piece.end.min(hap.part.end);
                if begin < end {
                    let mut values = values.clone();
                    values.push(hap.value);
                    next.push((Span { begin, end }, values));
                }
            }
        }
        pieces = next;
    }
    for (piece, _) in &mut pieces {
        *piece = Span {
            begin: abs.local(piece.begin),
            end: abs.local(piece.end),
        };
    }
    pieces
}

/// The child under `op` with constant operands `values`, over `span`: one
/// piece of a [`Node::Patterned`]. The parser has checked every value.
fn eval_with<'a>(
    node: &'a Node,
    op: ArgOp,
    values: &[Rational],
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    let value = |i: usize| values.get(i).copied().unwrap_or_default();
    match op {
        ArgOp::Fast => eval_fast(value(0), span, abs, out, |span, abs, out| {
            eval(node, span, abs, env, out)
        }),
        ArgOp::Slow if value(0) > Rational::from_integer(0) => {
            eval_fast(value(0).recip(), span, abs, out, |span, abs, out| {
                eval(node, span, abs, env, out)
            })
        }
        ArgOp::Slow => {}
        ArgOp::Euclid => {
            let whole = |i: usize| i64::try_from(value(i).to_integer()).unwrap_or(0);
            let steps = u32::try_from(whole(1)).unwrap_or(0);
            eval_euclid(node, whole(0), steps, whole(2), span, abs, env, out);
        }
        ArgOp::Steps => {
            if let Node::Poly { layers, .. } = node {
                if value(0) > Rational::from_integer(0) {
                    eval_poly(layers, Some(value(0)), span, abs, env, out);
                }
            }
        }
        ArgOp::Degrade { id } => eval_degrade(node, value(0), id, span, abs, env, out),
    }
}

/// Steps share each cycle in proportion to their weights.
fn eval_seq<'a>(
    steps: &'a [Step],
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    let total = steps.iter().fold(Rational::from_integer(0), |sum, s| {
        exact::add(sum, s.weight)
    });
    if total == Rational::from_integer(0) {
        return;
    }
    let mut start = Rational::from_integer(0);
    let mut slots = Vec::with_capacity(steps.len());
    for step in steps {
        let end = exact::add(start, step.weight);
        slots.push((exact::div(start, total), exact::div(end, total), &step.node));
        start = end;
    }
    eval_slots(&slots, span, abs, env, out);
}

/// Each node plays one of its own cycles, squeezed into `[begin, end)` of every cycle.
fn eval_slots<'a>(
    slots: &[(Rational, Rational, &'a Node)],
    span: Span,
    abs: ToAbsolute,
    env: &QueryContext,
    out: &mut Vec<Hap<'a>>,
) {
    for (cycle, piece) in cycles(span) {
        let whole = cycle.to_integer();
        // The piece as fractions of its cycle, `0 <= from < to <= 1`.
        let (from, to) = (
            minus_whole(piece.begin, whole),
            minus_whole(piece.end, whole),
        );
        for &(begin, end, node) in slots {
            let lo = exact::max(from, begin);
            let hi = exact::min(to, end);
            if exact::cmp(&lo, &hi).is_ge() {
                continue;
            }
            // Child time t' = cycle + (t - cycle - begin) / width; its inverse
            // is t = width * t' + (cycle + begin - cycle * width). A slot's
            // own ends map to the child's cycle ends, which need no arithmetic.
            let width = exact::sub(end, begin);
            let offset = exact::sub(plus_whole(begin, whole), exact::mul(cycle, width));
            let local = |x: Rational| plus_whole(exact::div(exact::sub(x, begin), width), whole);
            let child = Span {
                begin: if lo == begin { cycle } else { local(lo) },
                end: if hi == end {
                    plus_whole(cycle, 1)
                } else {
                    local(hi)
                },
            };
            eval(node, child, abs.inner(width, offset), env, out);
        }
    }
}

/// Plays `factor` cycles of the child per cycle (`factor < 1` slows it down).
fn eval_fast<'a>(
    factor: Rational,
    span: Span,
    abs: ToAbsolute,
    out: &mut Vec<Hap<'a>>,
    child: impl FnOnce(Span, ToAbsolute, &mut Vec<Hap<'a>>),
) {
    if factor <= Rational::from_integer(0) {
        return;
    }
    child(
        Span {
            begin: exact::mul(span.begin, factor),
            end: exact::mul(span.end, factor),
        },
        abs.inner(factor.recip(), Rational::from_integer(0)),
        out,
    );
}
