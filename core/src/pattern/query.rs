//! The query engine: which events of a parsed pattern fall in a time span.
//!
//! It follows Tidal's model. Querying a node for a span returns *haps*: each
//! has a `whole` (the event's full extent) and a `part` (the piece of it that
//! lies inside the queried span). A node transforms the span on the way down
//! and the haps on the way up; a hap whose `part` starts where its `whole`
//! starts carries the event's onset. Every node also knows how its local time
//! maps to absolute cycles, so random draws are made at absolute onsets: `a?!4`
//! draws four times, not once.

use super::ast::{Node, Step};
use super::{chance, euclid, metre, QueryContext};
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
    pub accent: &'a super::ast::Accent,
}

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
        self.scale * t + self.offset
    }

    /// The map for a child whose time `t'` sits at `scale * t' + offset` here.
    fn inner(&self, scale: Rational, offset: Rational) -> ToAbsolute {
        ToAbsolute {
            scale: self.scale * scale,
            offset: self.scale * offset + self.offset,
        }
    }
}

/// All hap fragments of `node` in `span` (absolute cycles).
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
        let next = cycle + 1;
        let piece = Span {
            begin: span.begin.max(cycle),
            end: span.end.min(next),
        };
        let this = cycle;
        cycle = next;
        Some((this, piece))
    })
}

/// Rewrites the haps in `out[start..]` from child time `t'` to `scale * t' + offset`.
fn map_haps(out: &mut [Hap], scale: Rational, offset: Rational) {
    let f = |t: Rational| scale * t + offset;
    for hap in out {
        hap.whole = Span {
            begin: f(hap.whole.begin),
            end: f(hap.whole.end),
        };
        hap.part = Span {
            begin: f(hap.part.begin),
            end: f(hap.part.end),
        };
    }
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
                out.push(Hap {
                    whole: Span {
                        begin: cycle,
                        end: cycle + 1,
                    },
                    part: piece,
                    name,
                    variant: *variant,
                    accent,
                });
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
        Node::Poly { layers, steps } => {
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
        } => {
            let n = i128::from(*steps);
            let slots: Vec<_> = euclid::euclid(*pulses, *steps, *rotation)
                .into_iter()
                .enumerate()
                .filter(|&(_, hit)| hit)
                .map(|(j, _)| {
                    (
                        Rational::new(j as i128, n),
                        Rational::new(j as i128 + 1, n),
                        &**node,
                    )
                })
                .collect();
            eval_slots(&slots, span, abs, env, out);
        }
        Node::Degrade {
            node,
            probability,
            id,
        } => {
            let start = out.len();
            eval(node, span, abs, env, out);
            let mut kept = start;
            for i in start..out.len() {
                let onset = abs.at(out[i].whole.begin);
                if !chance::dropped(chance::draw(env.seed, *id, onset), *probability) {
                    out.swap(kept, i);
                    kept += 1;
                }
            }
            out.truncate(kept);
        }
        Node::Metre(parts) => {
            let slots: Vec<_> = metre::group_slots(env.groups, parts.len())
                .into_iter()
                .map(|s| (s.begin, s.end, &parts[s.part]))
                .collect();
            eval_slots(&slots, span, abs, env, out);
        }
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
    let total: Rational = steps.iter().map(|s| s.weight).sum();
    if total == Rational::from_integer(0) {
        return;
    }
    let mut start = Rational::from_integer(0);
    let mut slots = Vec::with_capacity(steps.len());
    for step in steps {
        let end = start + step.weight;
        slots.push((start / total, end / total, &step.node));
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
        for &(begin, end, node) in slots {
            let lo = piece.begin.max(cycle + begin);
            let hi = piece.end.min(cycle + end);
            if lo >= hi {
                continue;
            }
            // Child time t' = cycle + (t - cycle - begin) / width; its inverse
            // is t = width * t' + (cycle + begin - cycle * width).
            let width = end - begin;
            let offset = cycle + begin - cycle * width;
            let local = |t: Rational| cycle + (t - cycle - begin) / width;
            let child = Span {
                begin: local(lo),
                end: local(hi),
            };
            let start = out.len();
            eval(node, child, abs.inner(width, offset), env, out);
            map_haps(&mut out[start..], width, offset);
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
    let scale = factor.recip();
    let zero = Rational::from_integer(0);
    let start = out.len();
    child(
        Span {
            begin: span.begin * factor,
            end: span.end * factor,
        },
        abs.inner(scale, zero),
        out,
    );
    map_haps(&mut out[start..], scale, zero);
}
