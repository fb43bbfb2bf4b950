//! The mini-notation parser: source text to an [`ast::Node`](super::ast::Node) tree.
//!
//! Hand-written recursive descent over bytes. Every error carries the byte
//! offset of the character at fault. Nesting, operator chains and the
//! finest subdivision are bounded, so hostile input gets an error, never a
//! stack overflow or an arithmetic overflow at query time.

use super::ast::{Accent, ArgOp, Node, Step};
use super::values;
use super::PatternError;
use crate::time::Rational;

mod operands;

use operands::{Arg, Operand};

/// Deepest bracket nesting accepted.
const MAX_NESTING: usize = 16;
/// Most operators (`*`, `/`, `?`, `(..)`, `@`) on one step.
const MAX_OPERATORS: usize = 8;
/// Finest subdivision accepted (see [`Node::resolution`]).
const MAX_RESOLUTION: u128 = 1 << 40;
/// Most events one cycle may hold (see [`Node::density`]).
const MAX_DENSITY: u128 = 1 << 16;
/// Digits accepted on either side of a decimal point (keeps values below 10^18).
const MAX_DIGITS: usize = 18;

/// Parses mini-notation into a tree.
pub fn parse(src: &str) -> Result<Node, PatternError> {
    let mut parser = Parser {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        depth: 0,
        numbers: None,
    };
    let node = parser.group(Bracket::Top)?;
    check_size(&node, 0)?;
    Ok(node)
}

/// Parses a pattern of numbers (`"1 0.5 <0.8 1>"`), each checked by `rule`:
/// a parameter pattern. Errors point at the offending byte.
pub fn parse_values(src: &str, rule: values::Rule) -> Result<Node, PatternError> {
    let mut parser = Parser {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        depth: 0,
        numbers: Some(Operand::Value(rule)),
    };
    let node = parser.group(Bracket::Top)?;
    check_size(&node, 0)?;
    Ok(node)
}

/// Rejects a node (starting at byte `at`) that would make queries slow or overflow.
fn check_size(node: &Node, at: usize) -> Result<(), PatternError> {
    if node.resolution() > MAX_RESOLUTION {
        return Err(error(at, "this divides the cycle too finely"));
    }
    if node.density() > MAX_DENSITY {
        return Err(error(
            at,
            format!("this has too many events per cycle (at most {MAX_DENSITY})"),
        ));
    }
    Ok(())
}

fn error(position: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        position,
        message: message.into(),
    }
}

/// Which bracket the parser is inside; each carries the byte offset of its opener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bracket {
    Top,
    Square(usize),
    Angle(usize),
    Curly(usize),
}

impl Bracket {
    fn open_close(self) -> Option<(usize, char, char)> {
        match self {
            Bracket::Top => None,
            Bracket::Square(at) => Some((at, '[', ']')),
            Bracket::Angle(at) => Some((at, '<', '>')),
            Bracket::Curly(at) => Some((at, '{', '}')),
        }
    }
}

/// One layer (between commas): its `|` parts, each a list of steps.
struct Layer {
    parts: Vec<Vec<Step>>,
    first_bar: Option<usize>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// A sequence of steps as one node: a single step stands for itself.
fn seq_node(mut steps: Vec<Step>) -> Node {
    match steps.len() {
        0 => Node::Rest,
        1 => steps.pop().map_or(Node::Rest, |s| s.node),
        _ => Node::Seq(steps),
    }
}

fn stack(mut layers: Vec<Node>) -> Node {
    if layers.len() == 1 {
        layers.pop().unwrap_or(Node::Rest)
    } else {
        Node::Stack(layers)
    }
}

struct Parser<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    depth: usize,
    /// Inside an operator's argument pattern (`<2 3>` in `a*<2 3>`): words
    /// are numbers, checked by this operand's rule.
    numbers: Option<Operand>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// The (possibly multi-byte) character at the cursor, for messages.
    fn current_char(&self) -> char {
        self.src[self.pos..].chars().next().unwrap_or(' ')
    }

    /// True when the byte after the cursor ends a token (space, separator, closer, end).
    fn ends_token_after(&self, offset: usize) -> bool {
        match self.peek_at(offset) {
            None => true,
            Some(b) => b.is_ascii_whitespace() || b",|]>}".contains(&b),
        }
    }

    /// Parses the inside of a bracket (or the whole source) up to and including its closer.
    fn group(&mut self, bracket: Bracket) -> Result<Node, PatternError> {
        let layers = self.layers(bracket)?;
        Ok(match bracket {
            Bracket::Top => stack(
                layers
                    .into_iter()
                    .map(|mut l| match l.parts.len() {
                        1 => seq_node(l.parts.pop().unwrap_or_default()),
                        _ => Node::Metre(l.parts.into_iter().map(seq_node).collect()),
                    })
                    .collect(),
            ),
            Bracket::Square(_) => stack(
                layers
                    .into_iter()
                    .map(|mut l| match (l.parts.len(), l.first_bar) {
                        (1, _) | (_, None) => seq_node(l.parts.pop().unwrap_or_default()),
                        (_, Some(id)) => Node::Choice {
                            id,
                            options: l.parts.into_iter().map(seq_node).collect(),
                        },
                    })
                    .collect(),
            ),
            Bracket::Angle(_) => stack(
                layers
                    .into_iter()
                    .map(|l| {
                        let steps: Vec<Step> = l.parts.into_iter().flatten().collect();
                        if steps.is_empty() {
                            Node::Rest
                        } else {
                            Node::Alt(steps)
                        }
                    })
                    .collect(),
            ),
            Bracket::Curly(_) => {
                let layers = layers
                    .into_iter()
                    .map(|l| l.parts.into_iter().flatten().collect())
                    .collect();
                if self.peek() != Some(b'%') {
                    return Ok(Node::Poly {
                        layers,
                        steps: None,
                    });
                }
                self.pos += 1;
                match self.operand('%', Operand::StepsPerCycle)? {
                    Arg::Fixed(n) => Node::Poly {
                        layers,
                        steps: Some(n),
                    },
                    Arg::Patterned(steps) => Node::Patterned {
                        node: Box::new(Node::Poly {
                            layers,
                            steps: None,
                        }),
                        op: ArgOp::Steps,
                        args: vec![steps],
                    },
                }
            }
        })
    }

    fn layers(&mut self, bracket: Bracket) -> Result<Vec<Layer>, PatternError> {
        let mut layers = Vec::new();
        let mut layer = Layer {
            parts: Vec::new(),
            first_bar: None,
        };
        // Steps of the current `.`-separated group, and the groups already closed.
        let mut steps: Vec<Step> = Vec::new();
        let mut dot_groups: Vec<Vec<Step>> = Vec::new();
        loop {
            self.skip_space();
            let at = self.pos;
            let Some(b) = self.peek() else {
                if let Some((open, c, _)) = bracket.open_close() {
                    return Err(error(
                        at,
                        format!("unclosed '{c}' opened at column {}", open + 1),
                    ));
                }
                layer
                    .parts
                    .push(finish_steps(&mut steps, &mut dot_groups, at)?);
                layers.push(layer);
                return Ok(layers);
            };
            match b {
                b']' | b'>' | b'}' => {
                    let found = b as char;
                    match bracket.open_close() {
                        Some((_, _, close)) if close == found => {
                            self.pos += 1;
                            layer.parts.push(finish_steps(&mut steps, &mut dot_groups, at)?);
                            layers.push(layer);
                            return Ok(layers);
                        }
                        Some((open, c, close)) => {
                            return Err(error(
                                at,
                                format!(
                                    "expected '{close}' to close '{c}' opened at column {}, found '{found}'",
                                    open + 1
                                ),
                            ))
                        }
                        None => {
                            let opener = match found {
                                ']' => '[',
                                '>' => '<',
                                _ => '{',
                            };
                            return Err(error(
                                at,
                                format!("unexpected '{found}' with no matching '{opener}'"),
                            ));
                        }
                    }
                }
                b',' => {
                    self.pos += 1;
                    layer
                        .parts
                        .push(finish_steps(&mut steps, &mut dot_groups, at)?);
                    layers.push(std::mem::replace(
                        &mut layer,
                        Layer {
                            parts: Vec::new(),
                            first_bar: None,
                        },
                    ));
                }
                b'|' => {
                    if let Some((_, c, _)) = bracket.open_close().filter(|&(_, c, _)| c != '[') {
                        return Err(error(
                            at,
                            format!("'|' is not allowed inside '{c}'; use it at the top level (metre groups) or inside '[ ]' (random choice)"),
                        ));
                    }
                    self.pos += 1;
                    layer.first_bar.get_or_insert(at);
                    layer
                        .parts
                        .push(finish_steps(&mut steps, &mut dot_groups, at)?);
                }
                b'.' if self.ends_token_after(1) => {
                    if steps.is_empty() {
                        return Err(error(at, "'.' must follow a group of steps"));
                    }
                    self.pos += 1;
                    dot_groups.push(std::mem::take(&mut steps));
                }
                b'!' => {
                    self.pos += 1;
                    let Some(last) = steps.last().cloned() else {
                        return Err(error(at, "'!' has no step before it to repeat"));
                    };
                    if self.peek() == Some(b'<') {
                        return Err(error(
                            self.pos,
                            "'!' repeats a step a plain number of times (the number of steps cannot change per cycle: write '<[a a] [a a a]>')",
                        ));
                    }
                    let copies = if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        let count_at = self.pos;
                        let n = self.integer()?;
                        if n < 1 {
                            return Err(error(count_at, "repeat count must be at least 1"));
                        }
                        if n > 1024 {
                            return Err(error(count_at, "repeat count must be at most 1024"));
                        }
                        n - 1
                    } else {
                        1
                    };
                    steps.extend(std::iter::repeat_n(last, copies as usize));
                }
                b'_' if !self.peek_at(1).is_some_and(is_word_byte) => {
                    self.pos += 1;
                    let Some(last) = steps.last_mut() else {
                        return Err(error(at, "'_' has no step before it to extend"));
                    };
                    last.weight += 1;
                }
                _ => {
                    let step = self.step()?;
                    check_size(&step.node, at)?;
                    steps.push(step);
                }
            }
        }
    }

    /// An atom followed by its operators.
    fn step(&mut self) -> Result<Step, PatternError> {
        let mut step = Step::new(self.atom()?);
        for count in 0.. {
            let at = self.pos;
            let Some(b) = self.peek().filter(|b| b"*/?(@:".contains(b)) else {
                break;
            };
            if count == MAX_OPERATORS {
                return Err(error(
                    at,
                    format!("too many operators on one step (at most {MAX_OPERATORS})"),
                ));
            }
            self.pos += 1;
            let node = std::mem::replace(&mut step.node, Node::Rest);
            step.node = match b {
                b'*' | b'/' => {
                    let (slow, op) = match b {
                        b'*' => (false, ArgOp::Fast),
                        _ => (true, ArgOp::Slow),
                    };
                    match self.operand(b as char, Operand::Factor)? {
                        Arg::Fixed(n) => Node::Fast {
                            node: Box::new(node),
                            factor: if slow { n.recip() } else { n },
                        },
                        Arg::Patterned(arg) => Node::Patterned {
                            node: Box::new(node),
                            op,
                            args: vec![arg],
                        },
                    }
                }
                b'?' => {
                    let bracket = matches!(self.peek(), Some(b'<' | b'[' | b'{'));
                    let probability = if bracket || self.peek().is_some_and(|b| b.is_ascii_digit())
                    {
                        self.operand('?', Operand::Probability)?
                    } else {
                        Arg::Fixed(Rational::new(1, 2))
                    };
                    match probability {
                        Arg::Fixed(probability) => Node::Degrade {
                            node: Box::new(node),
                            probability,
                            id: at,
                        },
                        Arg::Patterned(arg) => Node::Patterned {
                            node: Box::new(node),
                            op: ArgOp::Degrade { id: at },
                            args: vec![arg],
                        },
                    }
                }
                b'(' => self.euclid(node, at)?,
                b'@' => {
                    if matches!(self.peek(), Some(b'<' | b'[' | b'{')) {
                        return Err(error(
                            self.pos,
                            "'@' takes a plain number (a step's weight cannot change per cycle)",
                        ));
                    }
                    // NOTE: as in Tidal, each `@w` adds `w - 1` to the
                    // weight (and each `_` adds 1): `a@3@2` weighs 4.
                    let w = self.positive_number('@', "weight")?;
                    let weight = step.weight + w - 1;
                    if weight <= Rational::from_integer(0) {
                        return Err(error(at, "the step's weight must stay greater than zero"));
                    }
                    step.weight = weight;
                    node
                }
                _ => {
                    return Err(error(
                        at,
                        "':' must directly follow a sound name, e.g. 'hat:2'",
                    ))
                }
            };
        }
        Ok(step)
    }

    fn atom(&mut self) -> Result<Node, PatternError> {
        let at = self.pos;
        let Some(b) = self.peek() else {
            return Err(error(at, "expected a step"));
        };
        let bracket = match b {
            b'~' => {
                self.pos += 1;
                return Ok(Node::Rest);
            }
            // `-` alone is a rest, as in Strudel; `-1` is a number and `a-b` a name.
            b'-' if !self.peek_at(1).is_some_and(is_word_byte) => {
                self.pos += 1;
                return Ok(Node::Rest);
            }
            b'[' => Bracket::Square(at),
            b'<' => Bracket::Angle(at),
            b'{' => Bracket::Curly(at),
            b if is_word_byte(b) => return self.word(),
            b'*' | b'/' | b'?' | b'(' | b'@' | b':' | b'%' => {
                return Err(error(
                    at,
                    format!(
                        "'{}' must directly follow a step, e.g. 'a{}2'",
                        b as char, b as char
                    ),
                ))
            }
            _ => {
                return Err(error(
                    at,
                    format!("unknown character '{}'", self.current_char()),
                ))
            }
        };
        if self.depth == MAX_NESTING {
            return Err(error(
                at,
                format!("brackets nested too deeply (at most {MAX_NESTING})"),
            ));
        }
        self.pos += 1;
        self.depth += 1;
        let node = self.group(bracket);
        self.depth -= 1;
        node
    }

    /// Where a corpus map name starting at `start` ends (`NAME:X:Y` with
    /// both in 0..1, or `NAME:xy`), when the word is one; an error when it
    /// has two `:` but is not a map point.
    fn map_name_end(&self, start: usize) -> Result<Option<usize>, PatternError> {
        if self.peek() != Some(b':') {
            return Ok(None);
        }
        let bytes = self.src.as_bytes();
        let mut end = self.pos;
        while end < bytes.len() && (is_word_byte(bytes[end]) || bytes[end] == b':') {
            end += 1;
        }
        let text = &self.src[start..end];
        if super::map_name::parse_map_name(text).is_some() {
            return Ok(Some(end));
        }
        if text.matches(':').count() >= 2 {
            return Err(error(
                self.pos,
                format!("'{text}': a map point is NAME:X:Y with X and Y from 0 to 1, e.g. 'map:0.2:0.8'"),
            ));
        }
        Ok(None)
    }

    fn word(&mut self) -> Result<Node, PatternError> {
        let start = self.pos;
        // `#` inside a word, for sharps in note names (`f#3`); it cannot start one.
        while self.peek().is_some_and(|b| is_word_byte(b) || b == b'#') {
            self.pos += 1;
        }
        if let Some(rule) = self.numbers {
            let text = &self.src[start..self.pos];
            let n = operands::number_text(text).ok_or_else(|| {
                error(
                    start,
                    format!("expected a number for the {}, found '{text}'", rule.what()),
                )
            })?;
            rule.check(n, start)?;
            return Ok(Node::Number(n));
        }
        // A chord on a note (`c4'maj`, `60'min7`): `'` then a letter; `'`
        // then a number is a nudge (below).
        if self.peek() == Some(b'\'') && self.peek_at(1).is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
                self.pos += 1;
            }
        }
        let mut name = self.src[start..self.pos].to_string();
        let mut variant = 0;
        // A corpus map point (`map:0.2:0.8`) or cursor (`map:xy`) stays one
        // name; the planner finds its segment.
        if let Some(end) = self.map_name_end(start)? {
            name = self.src[start..end].to_string();
            self.pos = end;
        } else if self.peek() == Some(b':') {
            self.pos += 1;
            let at = self.pos;
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(error(at, "expected a variant number after ':'"));
            }
            let n = self.integer()?;
            values::VARIANT
                .check(n as f64)
                .map_err(|e| error(at, e.to_string()))?;
            variant = n as u32;
        }
        let mut accent = Accent::default();
        if self.peek() == Some(b'^') {
            self.pos += 1;
            let at = self.pos;
            accent.velocity = self.number('^')?;
            values::VELOCITY
                .check(as_f64(accent.velocity))
                .map_err(|e| error(at, e.to_string()))?;
        }
        if self.peek() == Some(b'\'') {
            self.pos += 1;
            let at = self.pos;
            let negative = self.peek() == Some(b'-');
            if negative {
                self.pos += 1;
            }
            let n = self.number('\'')?;
            let n = if negative { -n } else { n };
            values::NUDGE
                .check(as_f64(n))
                .map_err(|e| error(at, e.to_string()))?;
            accent.nudge = n;
        }
        Ok(Node::Sound {
            name,
            variant,
            accent,
        })
    }
}

/// An exact number as a float, for checking it against its rule.
fn as_f64(r: Rational) -> f64 {
    *r.numer() as f64 / *r.denom() as f64
}

/// Closes the current sequence: `a b . c d` becomes `[a b] [c d]`.
fn finish_steps(
    steps: &mut Vec<Step>,
    dot_groups: &mut Vec<Vec<Step>>,
    at: usize,
) -> Result<Vec<Step>, PatternError> {
    let steps = std::mem::take(steps);
    if dot_groups.is_empty() {
        return Ok(steps);
    }
    if steps.is_empty() {
        return Err(error(at, "expected steps after '.'"));
    }
    let mut groups = std::mem::take(dot_groups);
    groups.push(steps);
    Ok(groups.into_iter().map(|g| Step::new(seq_node(g))).collect())
}

#[cfg(test)]
mod tests;
