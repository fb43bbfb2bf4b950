//! The parsed form of a mini-notation pattern: a small tree of steps.
//!
//! The parser produces it, the query engine walks it. It is plain data, so
//! parser tests compare it against expected trees.

use crate::time::Rational;
use num_traits::Signed;

/// One node of a parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// `~`: nothing sounds.
    Rest,
    /// A sound name with its variant: `hat:2` is `Sound { name: "hat", variant: 2 }`.
    /// `kick^0.7'-0.05` adds an [`Accent`]: velocity 0.7, 0.05 pulses early.
    Sound {
        /// The sound's name (a sample folder or a synth).
        name: String,
        /// Which file of the folder, counted from 0 and wrapping.
        variant: u32,
        /// Its velocity and nudge (`^v`, `'n`).
        accent: Accent,
    },
    /// `a b c` or `[a b c]`: steps share each cycle in proportion to their weights.
    Seq(Vec<Step>),
    /// `a, b`: layers sound together.
    Stack(Vec<Node>),
    /// `<a b c>`: one step per cycle, in turn (Tidal: `slow total_weight (seq)`).
    Alt(Vec<Step>),
    /// `{a b c, d e}%n`: every layer moves at `steps` steps per cycle; without
    /// `%n`, at the step count of the first layer.
    Poly {
        /// Each layer's steps.
        layers: Vec<Vec<Step>>,
        /// Steps per cycle (`%n`); `None`: the first layer's step count.
        steps: Option<Rational>,
    },
    /// `[a | b | c]`: one option per cycle, chosen by the seeded hash.
    /// `id` is the byte offset of the first `|`, so each choice draws its own numbers.
    Choice {
        /// Byte offset of the first `|` in the source.
        id: usize,
        /// The alternatives, one chosen per cycle.
        options: Vec<Node>,
    },
    /// `a*2` (factor 2) and `a/2` (factor 1/2): play `factor` cycles of the child per cycle.
    Fast {
        /// The child.
        node: Box<Node>,
        /// Cycles of the child per cycle (2 for `*2`, 1/2 for `/2`).
        factor: Rational,
    },
    /// `a(3,8,2)`: the child on the onsets of the Bjorklund rhythm, rotated left.
    Euclid {
        /// The child.
        node: Box<Node>,
        /// Onsets among the steps.
        pulses: i64,
        /// Steps in the rhythm, each an equal share of the cycle.
        steps: u32,
        /// Steps the rhythm is rotated left by.
        rotation: i64,
    },
    /// `a?` / `a?0.3`: each event is dropped with probability `probability`.
    /// `id` is the byte offset of the `?`.
    Degrade {
        /// The child.
        node: Box<Node>,
        /// The chance each event is dropped, 0 … 1 (1/2 for a bare `?`).
        probability: Rational,
        /// Byte offset of the `?` in the source.
        id: usize,
    },
    /// Top-level `a b | c | d e f`: one part per pulse group of the current metre.
    Metre(Vec<Node>),
    /// A number in an operator's argument pattern (`2` in `a*<2 3>`), never a sound.
    Number(Rational),
    /// An operator whose arguments are patterns of numbers: `a*<2 3>`,
    /// `a(<3 5>,8,<0 2>)`, `{a b c}%<2 4>`. As in Tidal, the arguments give
    /// the structure: while an argument's event lasts, the child plays as if
    /// the operator had that constant value (Tidal's `innerJoin`), so an
    /// event keeps its place in the child's own time.
    Patterned {
        /// The child (for [`ArgOp::Steps`], a [`Node::Poly`] whose `steps` are ignored).
        node: Box<Node>,
        /// Which operator.
        op: ArgOp,
        /// One pattern of [`Node::Number`]s per operand (three for Euclid:
        /// pulses, steps, rotation; one for the others).
        args: Vec<Node>,
    },
}

/// An operator that takes patterned arguments (see [`Node::Patterned`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgOp {
    /// `*x`: `x` cycles of the child per cycle.
    Fast,
    /// `/x`: one cycle of the child per `x` cycles.
    Slow,
    /// `(pulses,steps,rotation)`.
    Euclid,
    /// `{..}%x`: `x` steps per cycle.
    Steps,
    /// `?x`: drop each event with probability `x`; `id` is the byte offset of the `?`.
    Degrade {
        /// Byte offset of the `?` in the source.
        id: usize,
    },
}

/// A step of a sequence: a node and its relative length (`@` weight, `_` elongation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What the step plays.
    pub node: Node,
    /// Its length relative to the other steps (1 unless `@w` or `_`).
    pub weight: Rational,
}

impl Step {
    /// A step of weight 1.
    pub fn new(node: Node) -> Step {
        Step {
            node,
            weight: Rational::from_integer(1),
        }
    }
}

/// How one sound step is played: `^v` sets its velocity (0 to 2; 1 when
/// absent), `'n` moves it by `n` pulses (−1 to 1; positive is late) without
/// moving its place in the pattern. Models write their velocities and
/// micro-timing this way.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Accent {
    /// 0 … 2; 1 when absent.
    pub velocity: Rational,
    /// Pulses, −1 … 1; positive is late.
    pub nudge: Rational,
}

impl Default for Accent {
    fn default() -> Accent {
        Accent {
            velocity: Rational::from_integer(1),
            nudge: Rational::from_integer(0),
        }
    }
}

impl Node {
    /// Shorthand for a sound without a variant.
    pub fn sound(name: &str) -> Node {
        Node::Sound {
            name: name.to_string(),
            variant: 0,
            accent: Accent::default(),
        }
    }

    /// A conservative bound on how finely this node divides a cycle: the
    /// product of the numerators and denominators of every time factor along
    /// the worst path. The parser rejects patterns above a limit so that exact
    /// arithmetic stays far from `i128` overflow. Saturates instead of overflowing.
    pub fn resolution(&self) -> u128 {
        match self {
            Node::Rest | Node::Sound { .. } => 1,
            Node::Seq(steps) | Node::Alt(steps) => seq_resolution(steps),
            Node::Stack(layers) => layers.iter().map(Node::resolution).max().unwrap_or(1),
            Node::Poly { layers, steps } => {
                let base = steps.map_or(1, factor_size);
                layers
                    .iter()
                    .map(|l| seq_resolution(l).saturating_mul(base))
                    .max()
                    .unwrap_or(1)
            }
            Node::Choice { options, .. } => options.iter().map(Node::resolution).max().unwrap_or(1),
            Node::Fast { node, factor } => node.resolution().saturating_mul(factor_size(*factor)),
            Node::Euclid { node, steps, .. } => node.resolution().saturating_mul(*steps as u128),
            Node::Degrade { node, .. } => node.resolution(),
            Node::Number(_) => 1,
            Node::Patterned { node, op, args } => {
                let args_res = args
                    .iter()
                    .fold(1u128, |acc, a| acc.saturating_mul(a.resolution()));
                let most = |i: usize| {
                    args.get(i).map_or(1, |a| {
                        a.numbers().into_iter().map(factor_size).max().unwrap_or(1)
                    })
                };
                let own = match op {
                    ArgOp::Euclid => most(1),
                    ArgOp::Steps => {
                        let poly = node.resolution();
                        return poly.saturating_mul(most(0)).saturating_mul(args_res);
                    }
                    ArgOp::Degrade { .. } => 1,
                    ArgOp::Fast | ArgOp::Slow => most(0),
                };
                node.resolution()
                    .saturating_mul(own)
                    .saturating_mul(args_res)
            }
            Node::Metre(parts) => {
                // Metre groups are unknown until query time; allow for up to 64 pulses.
                let parts = parts.iter().map(Node::resolution).max().unwrap_or(1);
                parts.saturating_mul(64)
            }
        }
    }
    /// A conservative bound on the events one cycle of this node can hold.
    /// The parser rejects patterns above a limit so that every query does a
    /// bounded amount of work per cycle. Saturates instead of overflowing.
    pub fn density(&self) -> u128 {
        let sum = |nodes: &mut dyn Iterator<Item = &Node>| {
            nodes.fold(0u128, |acc, n| acc.saturating_add(n.density()))
        };
        match self {
            Node::Rest => 0,
            Node::Sound { .. } => 1,
            Node::Seq(steps) => sum(&mut steps.iter().map(|s| &s.node)),
            Node::Stack(layers) => sum(&mut layers.iter()),
            Node::Alt(steps) => steps.iter().map(|s| s.node.density()).max().unwrap_or(0),
            Node::Poly { layers, steps } => layers.iter().fold(0u128, |acc, layer| {
                let total: Rational = layer.iter().map(|s| s.weight).sum();
                let base = steps.unwrap_or_else(|| layers[0].iter().map(|s| s.weight).sum());
                let rate = if total > Rational::from_integer(0) {
                    ceil_size(base / total)
                } else {
                    0
                };
                let layer = sum(&mut layer.iter().map(|s| &s.node));
                acc.saturating_add(layer.saturating_mul(rate))
            }),
            Node::Choice { options, .. } => options.iter().map(Node::density).max().unwrap_or(0),
            Node::Fast { node, factor } => node.density().saturating_mul(ceil_size(*factor)),
            Node::Euclid { node, steps, .. } => node.density().saturating_mul(*steps as u128),
            Node::Degrade { node, .. } => node.density(),
            Node::Number(_) => 1,
            Node::Patterned { node, op, args } => {
                // Each event of the arguments (their pieces multiply) plays
                // the child once, cut at its edges: one more event per piece.
                let pieces = args
                    .iter()
                    .fold(1u128, |acc, a| acc.saturating_mul(a.density().max(1)));
                let most = |i: usize| {
                    args.get(i).map_or(1, |a| {
                        a.numbers()
                            .into_iter()
                            .map(|r| ceil_size(r.abs()))
                            .max()
                            .unwrap_or(1)
                    })
                };
                let per_piece = match op {
                    ArgOp::Fast => node.density().saturating_mul(most(0).saturating_add(1)),
                    ArgOp::Slow | ArgOp::Degrade { .. } => node.density().saturating_mul(2),
                    ArgOp::Euclid => node.density().saturating_mul(most(1).saturating_add(1)),
                    ArgOp::Steps => match &**node {
                        Node::Poly { layers, .. } => {
                            let widest = layers.iter().fold(0u128, |acc, layer| {
                                let count = layer.iter().map(|s| s.node.density()).sum::<u128>();
                                acc.saturating_add(count)
                            });
                            widest.saturating_mul(most(0).saturating_add(1))
                        }
                        other => other.density(),
                    },
                };
                per_piece.saturating_mul(pieces)
            }
            Node::Metre(parts) => {
                // The metre's group count is unknown until query time; parts
                // repeat to fill the groups, so allow for up to 16 groups.
                let most = parts.iter().map(Node::density).max().unwrap_or(0);
                most.saturating_mul(parts.len().max(16) as u128)
            }
        }
    }
}

impl Node {
    /// Every [`Node::Number`] in this tree, in source order (with repeats).
    pub fn numbers(&self) -> Vec<Rational> {
        fn walk(node: &Node, out: &mut Vec<Rational>) {
            match node {
                Node::Number(n) => out.push(*n),
                Node::Rest | Node::Sound { .. } => {}
                Node::Seq(steps) | Node::Alt(steps) => {
                    steps.iter().for_each(|s| walk(&s.node, out))
                }
                Node::Stack(nodes) | Node::Metre(nodes) => nodes.iter().for_each(|n| walk(n, out)),
                Node::Choice { options, .. } => options.iter().for_each(|n| walk(n, out)),
                Node::Poly { layers, .. } => {
                    layers.iter().flatten().for_each(|s| walk(&s.node, out))
                }
                Node::Fast { node, .. }
                | Node::Euclid { node, .. }
                | Node::Degrade { node, .. } => walk(node, out),
                Node::Patterned { node, .. } => walk(node, out),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// `ceil(r)` for a positive rational, saturating.
fn ceil_size(r: Rational) -> u128 {
    u128::try_from(r.ceil().to_integer()).unwrap_or(u128::MAX)
}

fn seq_resolution(steps: &[Step]) -> u128 {
    let total: Rational = steps.iter().map(|s| s.weight).sum();
    let total = factor_size(total);
    steps
        .iter()
        .map(|s| {
            total
                .saturating_mul(factor_size(s.weight))
                .saturating_mul(s.node.resolution())
        })
        .max()
        .unwrap_or(1)
}

fn factor_size(r: Rational) -> u128 {
    r.numer()
        .unsigned_abs()
        .max(1)
        .saturating_mul(r.denom().unsigned_abs().max(1))
}
