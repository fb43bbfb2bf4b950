//! nn~ attributes: their declared element types (the `<attr>_params` type
//! codes) and values, and the conversion to and from libtorch values.
//!
//! nn~ setters are typed strictly (`set_gain(self, gain0: float)` refuses an
//! int), so arguments are built from the declared codes: an integer given
//! for a float element becomes a float, a float given for an int element is
//! refused unless it is whole, and so on.

use tch::IValue;

use super::pickle::Value;

pub use crate::data::model_attribute::{AttrType, AttrValue};

/// Converts an attribute value to libtorch's (a setter's argument).
pub(crate) fn to_ivalue(value: &AttrValue) -> IValue {
    match value {
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
                from_ivalue(item, out)?;
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
                from_pickle(item, out);
            }
        }
        _ => {}
    }
}

/// An attribute a model declares: its name and the type of each element.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeInfo {
    /// The attribute's name.
    pub name: String,
    /// The type of each element, from its nn~ type codes.
    pub types: Vec<AttrType>,
    /// The value saved in the file (the live value may differ: ask the model).
    pub saved: Vec<AttrValue>,
}
