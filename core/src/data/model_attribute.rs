//! The values of nn~ attributes as loam's layers speak of them (here, in
//! the lowest layers, because the scheduler's model changes carry them and
//! the scheduler may not use `model`): their
//! declared element types (nn-tilde's `<attr>_params` type codes) and
//! values, without libtorch (`loam::model::torchscript` converts them to
//! and from libtorch's values).
//!
//! nn~ setters are typed strictly (`set_gain(self, gain0: float)` refuses an
//! int), so arguments are built from the declared codes: an integer given
//! for a float element becomes a float, a float given for an int element is
//! refused unless it is whole, and so on.

/// One element type of an attribute, as nn-tilde's `TYPE_HASH` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// A bool (code 0).
    Bool,
    /// A 64-bit integer (code 1).
    Int,
    /// A 64-bit float (code 2).
    Float,
    /// A text (code 3).
    Str,
    /// A tensor (code 4).
    Tensor,
    /// A named audio buffer (nn-tilde `Buffer`): set through its key string.
    Buffer,
}

impl AttrType {
    /// From an nn-tilde type code (0 bool, 1 int, 2 float, 3 str, 4 tensor, 5 buffer).
    pub fn from_code(code: i64) -> Option<AttrType> {
        Some(match code {
            0 => AttrType::Bool,
            1 => AttrType::Int,
            2 => AttrType::Float,
            3 => AttrType::Str,
            4 => AttrType::Tensor,
            5 => AttrType::Buffer,
            _ => return None,
        })
    }

    /// The nn-tilde type code.
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// One element of an attribute's value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// A bool.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A text.
    Str(String),
    /// A tensor: its shape and values (flattened, row-major).
    Tensor {
        /// Size of each dimension.
        shape: Vec<i64>,
        /// The elements, row-major.
        values: Vec<f32>,
    },
}

impl AttrValue {
    /// Converts to the declared type, or says why it cannot.
    pub fn coerce(&self, ty: AttrType) -> Result<AttrValue, String> {
        use AttrValue as V;
        Ok(match (ty, self) {
            (AttrType::Bool, V::Bool(b)) => V::Bool(*b),
            (AttrType::Bool, V::Int(i)) if *i == 0 || *i == 1 => V::Bool(*i == 1),
            (AttrType::Int, V::Int(i)) => V::Int(*i),
            (AttrType::Int, V::Float(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                V::Int(*x as i64)
            }
            (AttrType::Int, V::Bool(b)) => V::Int(i64::from(*b)),
            (AttrType::Float, V::Float(x)) => V::Float(*x),
            (AttrType::Float, V::Int(i)) => V::Float(*i as f64),
            (AttrType::Str | AttrType::Buffer, V::Str(s)) => V::Str(s.clone()),
            (AttrType::Tensor, V::Tensor { .. }) => self.clone(),
            (AttrType::Tensor, V::Float(x)) => V::Tensor {
                shape: vec![],
                values: vec![*x as f32],
            },
            (ty, v) => return Err(format!("{v:?} does not fit a {ty:?} element")),
        })
    }
}
