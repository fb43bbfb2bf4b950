//! nn~ attributes: their declared element types (the `<attr>_params` type
//! codes) and values, and the conversion to and from libtorch values.
//!
//! nn~ setters are typed strictly (`set_gain(self, gain0: float)` refuses an
//! int), so arguments are built from the declared codes: an integer given
//! for a float element becomes a float, a float given for an int element is
//! refused unless it is whole, and so on.

use tch::IValue;

use super::pickle::Value;

/// One element type of an attribute, as nn-tilde's `TYPE_HASH` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    Bool,
    Int,
    Float,
    Str,
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
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A tensor: its shape and values (flattened, row-major).
    Tensor {
        shape: Vec<i64>,
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

    pub(crate) fn to_ivalue(&self) -> IValue {
        match self {
            AttrValue::Bool(b) => IValue::Bool(*b),
            AttrValue::Int(i) => IValue::Int(*i),
            AttrValue::Float(x) => IValue::Double(*x),
            AttrValue::Str(s) => IValue::String(s.clone()),
            AttrValue::Tensor { shape, values } => {
                IValue::Tensor(tch::Tensor::from_slice(values).reshape(shape.as_slice()))
            }
        }
    }

    /// Flattens a getter's result (a tuple for generated getters; whatever
    /// its author typed for hand-written ones) into elements.
    pub(crate) fn from_ivalue(v: IValue, out: &mut Vec<AttrValue>) -> Result<(), String> {
        match v {
            IValue::Bool(b) => out.push(AttrValue::Bool(b)),
            IValue::Int(i) => out.push(AttrValue::Int(i)),
            IValue::Double(x) => out.push(AttrValue::Float(x)),
            IValue::String(s) => out.push(AttrValue::Str(s)),
            IValue::Tensor(t) => {
                let t = t.to_kind(tch::Kind::Float).contiguous();
                let shape = t.size();
                let values = Vec::<f32>::try_from(t.flatten(0, -1)).map_err(|e| e.to_string())?;
                out.push(AttrValue::Tensor { shape, values });
            }
            IValue::Tuple(items) | IValue::GenericList(items) => {
                for item in items {
                    AttrValue::from_ivalue(item, out)?;
                }
            }
            IValue::IntList(v) => out.extend(v.into_iter().map(AttrValue::Int)),
            IValue::DoubleList(v) => out.extend(v.into_iter().map(AttrValue::Float)),
            IValue::BoolList(v) => out.extend(v.into_iter().map(AttrValue::Bool)),
            IValue::StringList(v) => out.extend(v.into_iter().map(AttrValue::Str)),
            IValue::None => {}
            other => return Err(format!("a getter returned an unsupported value: {other:?}")),
        }
        Ok(())
    }

    /// The saved value from `data.pkl` (tensors are skipped: the live getter has them).
    pub(crate) fn from_pickle(v: &Value, out: &mut Vec<AttrValue>) {
        match v {
            Value::Bool(b) => out.push(AttrValue::Bool(*b)),
            Value::Int(i) => out.push(AttrValue::Int(*i)),
            Value::Float(x) => out.push(AttrValue::Float(*x)),
            Value::Str(s) => out.push(AttrValue::Str(s.clone())),
            Value::Tuple(items) | Value::List(items) => {
                for item in items {
                    AttrValue::from_pickle(item, out);
                }
            }
            _ => {}
        }
    }
}

/// An attribute a model declares: its name and the type of each element.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeInfo {
    pub name: String,
    pub types: Vec<AttrType>,
    /// The value saved in the file (the live value may differ: ask the model).
    pub saved: Vec<AttrValue>,
}
