//! Operands of the step operators: numbers, and the `(pulses,steps,rotation)`
//! of a Euclidean rhythm.

use super::{error, Parser, MAX_DIGITS};
use crate::pattern::ast::Node;
use crate::pattern::PatternError;
use crate::time::Rational;

impl Parser<'_> {
    /// `(pulses,steps)` or `(pulses,steps,rotation)`; the cursor is past `(`.
    pub(super) fn euclid(&mut self, node: Node, open: usize) -> Result<Node, PatternError> {
        let pulses = self.signed("the number of pulses after '('")?;
        self.expect_comma("',' between pulses and steps")?;
        let steps_at = {
            self.skip_space();
            self.pos
        };
        let steps = self.signed("the number of steps after ','")?;
        if !(1..=1024).contains(&steps) {
            return Err(error(steps_at, "euclid steps must be between 1 and 1024"));
        }
        self.skip_space();
        let rotation = if self.peek() == Some(b',') {
            self.pos += 1;
            self.signed("the rotation after ','")?
        } else {
            0
        };
        self.skip_space();
        if self.peek() != Some(b')') {
            return Err(error(
                self.pos,
                format!("expected ')' to close '(' opened at column {}", open + 1),
            ));
        }
        self.pos += 1;
        Ok(Node::Euclid {
            node: Box::new(node),
            pulses,
            steps: steps as u32,
            rotation,
        })
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
