//! Operands of the step operators: numbers, and the `(pulses,steps,rotation)`
//! of a Euclidean rhythm. Each operand is a plain number or, as in Tidal, a
//! bracketed pattern of numbers (`a*<2 3>`, `a(<3 5>,8)`), checked by the
//! same rule value by value.

use super::{as_f64, error, Parser, MAX_DIGITS};
use crate::pattern::ast::{ArgOp, Node};
use crate::pattern::{values, PatternError};
use crate::time::Rational;

/// The most steps in a Euclidean rhythm: `a(3,1024)` is the finest.
pub const MAX_EUCLID_STEPS: i64 = 1024;

/// An operator's operand: a plain number, or a pattern of numbers.
pub(super) enum Arg {
    Fixed(Rational),
    Patterned(Node),
}

/// Which operand is being read, and so the rule each of its values obeys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Operand {
    /// A parameter pattern's value (`.gain("1 0.5")`), by its rule.
    Value(values::Rule),
    /// `*x`, `/x`: more than zero.
    Factor,
    /// `%x` after `{ }`: more than zero.
    StepsPerCycle,
    /// `?x`: 0 to 1 ([`values::DEGRADE`]).
    Probability,
    /// Euclid pulses: a whole number other than 0 (negative inverts).
    Pulses,
    /// Euclid steps: a whole number from 1 to [`MAX_EUCLID_STEPS`].
    Steps,
    /// Euclid rotation: a whole number.
    Rotation,
}

impl Operand {
    /// The operand's name in messages.
    pub(super) fn what(self) -> &'static str {
        match self {
            Operand::Value(rule) => rule.name,
            Operand::Factor => "factor",
            Operand::StepsPerCycle => "steps per cycle",
            Operand::Probability => "probability",
            Operand::Pulses => "euclid pulses",
            Operand::Steps => "euclid steps",
            Operand::Rotation => "euclid rotation",
        }
    }

    fn whole(self) -> bool {
        matches!(self, Operand::Pulses | Operand::Steps | Operand::Rotation)
    }

    /// Refuses a value outside this operand's rule; `at` is its byte offset.
    pub(super) fn check(self, n: Rational, at: usize) -> Result<(), PatternError> {
        let zero = Rational::from_integer(0);
        if self.whole() && !n.is_integer() {
            return Err(error(at, format!("{} must be a whole number", self.what())));
        }
        match self {
            Operand::Value(rule) => rule
                .check(as_f64(n))
                .map(|_| ())
                .map_err(|e| error(at, e.to_string())),
            Operand::Factor | Operand::StepsPerCycle if n <= zero => Err(error(
                at,
                format!("{} must be greater than zero", self.what()),
            )),
            Operand::Probability => values::DEGRADE
                .check(as_f64(n))
                .map(|_| ())
                .map_err(|e| error(at, e.to_string())),
            // NOTE: Tidal plays `a(0,8)` as silence; loam refuses it, so
            // that a patterned count that reaches 0 is caught as a typo.
            Operand::Pulses if n == zero => Err(error(
                at,
                "euclid pulses must not be 0 (write '~' for silence)",
            )),
            Operand::Steps
                if n < Rational::from_integer(1)
                    || n > Rational::from_integer(i128::from(MAX_EUCLID_STEPS)) =>
            {
                Err(error(
                    at,
                    format!("euclid steps must be between 1 and {MAX_EUCLID_STEPS}"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// `2`, `-3`, `1.5`: a number as written in an operand pattern, exactly.
pub(super) fn number_text(text: &str) -> Option<Rational> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let fraction = fraction.unwrap_or("");
    if whole.len() > MAX_DIGITS || fraction.len() > MAX_DIGITS {
        return None;
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let whole: i128 = whole.parse().ok()?;
    let fraction: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let n = Rational::new(whole * scale + fraction, scale);
    Some(if negative { -n } else { n })
}

impl Parser<'_> {
    /// An operand after `after`: a plain number, or a bracketed pattern of
    /// numbers (`<2 3>`, `[2 3]`, `{2 3 4}%2`) whose every value obeys `rule`.
    pub(super) fn operand(&mut self, after: char, rule: Operand) -> Result<Arg, PatternError> {
        if matches!(self.peek(), Some(b'<' | b'[' | b'{')) {
            return self.operand_pattern(rule).map(Arg::Patterned);
        }
        let at = self.pos;
        let n = if rule.whole() {
            Rational::from_integer(i128::from(
                self.signed(&format!("the {} after '{after}'", rule.what()))?,
            ))
        } else {
            self.number(after)?
        };
        rule.check(n, at)?;
        Ok(Arg::Fixed(n))
    }

    /// A bracketed pattern of numbers; the cursor is on its opening bracket.
    fn operand_pattern(&mut self, rule: Operand) -> Result<Node, PatternError> {
        let saved = self.numbers.replace(rule);
        let node = self.atom();
        self.numbers = saved;
        node
    }

    /// `(pulses,steps)` or `(pulses,steps,rotation)`; the cursor is past `(`.
    /// Any of the three may be a pattern of numbers: `a(<3 5>,8,<0 2>)`.
    pub(super) fn euclid(&mut self, node: Node, open: usize) -> Result<Node, PatternError> {
        self.skip_space();
        let pulses = self.euclid_operand("the number of pulses after '('", Operand::Pulses)?;
        self.expect_comma("',' between pulses and steps")?;
        self.skip_space();
        let steps = self.euclid_operand("the number of steps after ','", Operand::Steps)?;
        self.skip_space();
        let rotation = if self.peek() == Some(b',') {
            self.pos += 1;
            self.skip_space();
            self.euclid_operand("the rotation after ','", Operand::Rotation)?
        } else {
            Arg::Fixed(Rational::from_integer(0))
        };
        self.skip_space();
        if self.peek() != Some(b')') {
            return Err(error(
                self.pos,
                format!("expected ')' to close '(' opened at column {}", open + 1),
            ));
        }
        self.pos += 1;
        Ok(match (pulses, steps, rotation) {
            (Arg::Fixed(p), Arg::Fixed(s), Arg::Fixed(r)) => Node::Euclid {
                node: Box::new(node),
                pulses: p.to_integer() as i64,
                steps: s.to_integer() as u32,
                rotation: r.to_integer() as i64,
            },
            (p, s, r) => {
                let as_node = |a: Arg| match a {
                    Arg::Fixed(n) => Node::Number(n),
                    Arg::Patterned(node) => node,
                };
                Node::Patterned {
                    node: Box::new(node),
                    op: ArgOp::Euclid,
                    args: vec![as_node(p), as_node(s), as_node(r)],
                }
            }
        })
    }

    fn euclid_operand(&mut self, what: &str, rule: Operand) -> Result<Arg, PatternError> {
        if matches!(self.peek(), Some(b'<' | b'[' | b'{')) {
            return self.operand_pattern(rule).map(Arg::Patterned);
        }
        let at = self.pos;
        let n = Rational::from_integer(i128::from(self.signed(what)?));
        rule.check(n, at)?;
        Ok(Arg::Fixed(n))
    }

    pub(super) fn expect_comma(&mut self, what: &str) -> Result<(), PatternError> {
        self.skip_space();
        if self.peek() != Some(b',') {
            return Err(error(self.pos, format!("expected {what}")));
        }
        self.pos += 1;
        Ok(())
    }

    /// An optionally negative integer, after optional spaces.
    pub(super) fn signed(&mut self, what: &str) -> Result<i64, PatternError> {
        self.skip_space();
        let at = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return Err(error(at, format!("expected {what}")));
        }
        let n = self.integer()?;
        Ok(if negative { -n } else { n })
    }

    /// Decimal digits at the cursor (at least one).
    pub(super) fn integer(&mut self) -> Result<i64, PatternError> {
        let at = self.pos;
        let digits = self.digits();
        if digits.is_empty() {
            return Err(error(at, "expected a number"));
        }
        if digits.len() > MAX_DIGITS {
            return Err(error(at, "number too large"));
        }
        digits.parse().map_err(|_| error(at, "number too large"))
    }

    pub(super) fn digits(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// `12` or `1.5`, converted exactly; `after` names the operator for messages.
    pub(super) fn number(&mut self, after: char) -> Result<Rational, PatternError> {
        let at = self.pos;
        let whole = self.digits().to_string();
        if whole.is_empty() {
            return Err(error(at, format!("expected a number after '{after}'")));
        }
        let mut frac = String::new();
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            frac = self.digits().to_string();
        }
        if whole.len() > MAX_DIGITS || frac.len() > MAX_DIGITS {
            return Err(error(at, "number too large"));
        }
        let scale = 10i128.pow(frac.len() as u32);
        let parse = |s: &str| s.parse::<i128>().unwrap_or(0);
        Ok(Rational::new(parse(&whole) * scale + parse(&frac), scale))
    }

    pub(super) fn positive_number(
        &mut self,
        after: char,
        what: &str,
    ) -> Result<Rational, PatternError> {
        let at = self.pos;
        let n = self.number(after)?;
        if n <= Rational::from_integer(0) {
            return Err(error(at, format!("{what} must be greater than zero")));
        }
        Ok(n)
    }
}
