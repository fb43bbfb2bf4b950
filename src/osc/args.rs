//! Reading a message's arguments with errors a performer can act on:
//! "/tempo: argument 1 (bpm) must be a number, got the string \"fast\"".
//! Numbers are accepted as int, float, double or long, since Max, Pd and
//! SuperCollider each send a different kind.

use std::fmt;

use rosc::{OscMessage, OscType};

/// A message's arguments that are not what its address takes; each kind
/// names the address, and the argument by its number (1-based) and role.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgError {
    /// Too few or too many arguments: `wanted` says how many
    /// ("1 argument", "1 to 2 arguments"), `names` what they are.
    Count {
        /// The message's address.
        address: String,
        /// How many it takes ("1 argument", "1 to 2 arguments").
        wanted: String,
        /// What they are, in order.
        names: String,
        /// How many came.
        got: usize,
    },
    /// Argument `index` (`what`) is not there.
    Missing {
        /// The message's address.
        address: String,
        /// The argument's number, 1-based.
        index: usize,
        /// Its role (`tempo`, `name`).
        what: String,
    },
    /// Argument `index` (`what`) is of the wrong type: it must be `kind`
    /// ("a number"), and `got` describes what came ([`describe`]).
    Type {
        /// The message's address.
        address: String,
        /// The argument's number, 1-based.
        index: usize,
        /// Its role (`tempo`, `name`).
        what: String,
        /// What it must be ("a number", "a string").
        kind: &'static str,
        /// What came ([`describe`]).
        got: String,
    },
    /// Argument `index` (`what`) is a number but infinite or NaN.
    NotFinite {
        /// The message's address.
        address: String,
        /// The argument's number, 1-based.
        index: usize,
        /// Its role (`tempo`, `name`).
        what: String,
        /// The value that came.
        value: f64,
    },
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Count {
                address,
                wanted,
                names,
                got,
            } => {
                write!(f, "{address} takes {wanted}")?;
                if !names.is_empty() {
                    write!(f, " ({names})")?;
                }
                write!(f, ", got {got}")
            }
            ArgError::Missing {
                address,
                index,
                what,
            } => write!(f, "{address}: argument {index} ({what}) is missing"),
            ArgError::Type {
                address,
                index,
                what,
                kind,
                got,
            } => write!(
                f,
                "{address}: argument {index} ({what}) must be {kind}, got {got}"
            ),
            ArgError::NotFinite {
                address,
                index,
                what,
                value,
            } => write!(
                f,
                "{address}: argument {index} ({what}) must be finite, got {value}"
            ),
        }
    }
}

impl std::error::Error for ArgError {}

/// The arguments of one message.
pub struct Args<'a> {
    address: &'a str,
    args: &'a [OscType],
}

impl<'a> Args<'a> {
    /// The arguments of `msg`, named by its address in errors.
    pub fn new(msg: &'a OscMessage) -> Args<'a> {
        Args {
            address: &msg.addr,
            args: &msg.args,
        }
    }

    /// How many arguments came.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// True when none came.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Refuses fewer than `min` or more than `max` arguments; `names` lists
    /// them for the message ("bpm [note-value]").
    pub fn count(&self, min: usize, max: usize, names: &str) -> Result<(), ArgError> {
        let n = self.args.len();
        if (min..=max).contains(&n) {
            return Ok(());
        }
        let wanted = match (min, max) {
            (0, 0) => "no arguments".to_string(),
            (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
            (a, b) => format!("{a} to {b} arguments"),
        };
        Err(ArgError::Count {
            address: self.address.to_string(),
            wanted,
            names: names.to_string(),
            got: n,
        })
    }

    fn get(&self, i: usize, what: &str) -> Result<&'a OscType, ArgError> {
        self.args.get(i).ok_or_else(|| ArgError::Missing {
            address: self.address.to_string(),
            index: i + 1,
            what: what.to_string(),
        })
    }

    fn wrong(&self, i: usize, what: &str, kind: &'static str, got: &OscType) -> ArgError {
        ArgError::Type {
            address: self.address.to_string(),
            index: i + 1,
            what: what.to_string(),
            kind,
            got: describe(got),
        }
    }

    /// A number of any OSC numeric type.
    pub fn number(&self, i: usize, what: &str) -> Result<f64, ArgError> {
        let a = self.get(i, what)?;
        let x = match a {
            OscType::Float(x) => *x as f64,
            OscType::Double(x) => *x,
            OscType::Int(x) => *x as f64,
            OscType::Long(x) => *x as f64,
            other => return Err(self.wrong(i, what, "a number", other)),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(ArgError::NotFinite {
                address: self.address.to_string(),
                index: i + 1,
                what: what.to_string(),
                value: x,
            })
        }
    }

    /// A whole number; floats are accepted when they are whole (Max and Pd send floats).
    pub fn int(&self, i: usize, what: &str) -> Result<i64, ArgError> {
        let a = self.get(i, what)?;
        match a {
            OscType::Int(x) => Ok(*x as i64),
            OscType::Long(x) => Ok(*x),
            OscType::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => Ok(*x as i64),
            OscType::Double(x) if x.fract() == 0.0 && x.abs() < 1e15 => Ok(*x as i64),
            other => Err(self.wrong(i, what, "a whole number", other)),
        }
    }

    /// A string (symbols from SuperCollider and Pd arrive as strings too).
    pub fn string(&self, i: usize, what: &str) -> Result<&'a str, ArgError> {
        let a = self.get(i, what)?;
        match a {
            OscType::String(s) => Ok(s.as_str()),
            other => Err(self.wrong(i, what, "a string", other)),
        }
    }

    /// The raw argument at `i`.
    pub fn raw(&self, i: usize) -> Option<&'a OscType> {
        self.args.get(i)
    }
}

/// A short description of an argument for error messages.
pub fn describe(a: &OscType) -> String {
    match a {
        OscType::Int(x) => format!("the int {x}"),
        OscType::Float(x) => format!("the float {x}"),
        OscType::Double(x) => format!("the double {x}"),
        OscType::Long(x) => format!("the long {x}"),
        OscType::String(s) => format!("the string \"{}\"", super::reply::quote(s)),
        OscType::Blob(b) => format!("a blob of {} bytes", b.len()),
        OscType::Time(_) => "a timetag".to_string(),
        OscType::Char(c) => format!("the char {c:?}"),
        OscType::Color(_) => "a colour".to_string(),
        OscType::Midi(_) => "a MIDI message".to_string(),
        OscType::Bool(b) => format!("{b}"),
        OscType::Array(_) => "an array".to_string(),
        OscType::Nil => "nil".to_string(),
        OscType::Inf => "infinitum".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(args: Vec<OscType>) -> OscMessage {
        OscMessage {
            addr: "/tempo".into(),
            args,
        }
    }

    #[test]
    fn numbers_of_every_kind_and_clear_errors() {
        let m = msg(vec![OscType::Int(120), OscType::String("q.".into())]);
        let a = Args::new(&m);
        assert_eq!(a.number(0, "bpm"), Ok(120.0));
        assert_eq!(a.string(1, "note value"), Ok("q."));
        let e = a.number(1, "bpm").unwrap_err().to_string();
        assert_eq!(
            e,
            "/tempo: argument 2 (bpm) must be a number, got the string \"q.\""
        );
        assert_eq!(
            a.count(1, 1, "bpm").unwrap_err().to_string(),
            "/tempo takes 1 argument (bpm), got 2"
        );
        assert!(a.int(2, "x").unwrap_err().to_string().contains("missing"));
        let f = msg(vec![OscType::Float(2.0), OscType::Float(f32::NAN)]);
        assert_eq!(Args::new(&f).int(0, "k"), Ok(2));
        assert!(Args::new(&f).number(1, "k").is_err());
    }
}
