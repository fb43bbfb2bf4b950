//! The file every loam-trained model is saved in: a safetensors file (an
//! 8-byte little-endian header length, a JSON header, then raw little-endian
//! tensor data) whose `__metadata__` holds one entry, `loam`: the model's
//! description as JSON (kind, settings, vocabulary, provenance of the dataset,
//! training report). Any safetensors reader can open the weights; Python
//! needs nothing beyond the standard library and torch to read them.
//!
//! Tensors are f32 and are written bit for bit, so a model loads identically.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::ModelError;

/// A named f32 tensor: shape and values.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Writes tensors (sorted by name) and the metadata JSON.
pub fn write(path: &Path, meta: &Value, tensors: &[NamedTensor]) -> Result<(), ModelError> {
    let bytes = to_bytes(meta, tensors);
    std::fs::write(path, bytes).map_err(|e| ModelError::file(path, format!("cannot write: {e}")))
}

/// The file's bytes.
pub fn to_bytes(meta: &Value, tensors: &[NamedTensor]) -> Vec<u8> {
    let mut sorted: Vec<&NamedTensor> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut header = Map::new();
    header.insert(
        "__metadata__".to_string(),
        json!({ "loam": meta.to_string() }),
    );
    let mut offset = 0usize;
    for t in &sorted {
        let len = t.values.len() * 4;
        header.insert(
            t.name.clone(),
            json!({ "dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + len] }),
        );
        offset += len;
    }
    let mut head = Value::Object(header).to_string().into_bytes();
    // Pad the header with spaces so the data is 8-byte aligned.
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + head.len() + offset);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for t in sorted {
        for v in &t.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Reads a file written by [`write`]: the metadata JSON and the tensors by name.
pub fn read(path: &Path) -> Result<(Value, BTreeMap<String, NamedTensor>), ModelError> {
    let bytes =
        std::fs::read(path).map_err(|e| ModelError::file(path, format!("cannot read: {e}")))?;
    from_bytes(&bytes).map_err(|reason| ModelError::file(path, reason))
}

/// Parses a file's bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<(Value, BTreeMap<String, NamedTensor>), String> {
    let not_ours = "not a model trained by loam (expected a safetensors file with loam metadata)";
    if bytes.len() < 8 {
        return Err(not_ours.to_string());
    }
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8])) as usize;
    if len > bytes.len() - 8 {
        return Err(not_ours.to_string());
    }
    let header: Value =
        serde_json::from_slice(&bytes[8..8 + len]).map_err(|_| not_ours.to_string())?;
    let meta_text = header
        .get("__metadata__")
        .and_then(|m| m.get("loam"))
        .and_then(Value::as_str)
        .ok_or_else(|| not_ours.to_string())?;
    let meta: Value =
        serde_json::from_str(meta_text).map_err(|e| format!("damaged loam metadata: {e}"))?;
    let data = &bytes[8 + len..];
    let mut tensors = BTreeMap::new();
    for (name, info) in header.as_object().into_iter().flatten() {
        if name == "__metadata__" {
            continue;
        }
        if info.get("dtype").and_then(Value::as_str) != Some("F32") {
            return Err(format!("tensor '{name}' is not float32"));
        }
        let shape: Vec<usize> = info
            .get("shape")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|d| d as usize)
                    .collect()
            })
            .ok_or_else(|| format!("tensor '{name}' has no shape"))?;
        let offsets: Vec<usize> = info
            .get("data_offsets")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|d| d as usize)
                    .collect()
            })
            .unwrap_or_default();
        let (start, end) = match offsets[..] {
            [s, e] if s <= e && e <= data.len() => (s, e),
            _ => {
                return Err(format!(
                    "tensor '{name}' lies outside the file (truncated?)"
                ))
            }
        };
        let count: usize = shape.iter().product();
        if end - start != count * 4 {
            return Err(format!("tensor '{name}' has the wrong size for its shape"));
        }
        let values = data[start..end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.insert(
            name.clone(),
            NamedTensor {
                name: name.clone(),
                shape,
                values,
            },
        );
    }
    Ok((meta, tensors))
}

/// All variables of a tch VarStore as named tensors.
pub fn from_var_store(vs: &tch::nn::VarStore) -> Vec<NamedTensor> {
    let mut out: Vec<NamedTensor> = vs
        .variables()
        .into_iter()
        .map(|(name, t)| {
            let shape = t.size().iter().map(|&d| d as usize).collect();
            let values: Vec<f32> = Vec::try_from(t.detach().flatten(0, -1)).unwrap_or_default();
            NamedTensor {
                name,
                shape,
                values,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Copies named tensors into a VarStore's variables; every variable must be
/// present with its shape.
pub fn into_var_store(
    vs: &mut tch::nn::VarStore,
    tensors: &BTreeMap<String, NamedTensor>,
) -> Result<(), String> {
    let variables = vs.variables();
    tch::no_grad(|| {
        for (name, mut var) in variables {
            let t = tensors
                .get(&name)
                .ok_or_else(|| format!("the file lacks weights '{name}'"))?;
            let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
            if var.size() != shape {
                return Err(format!(
                    "weights '{name}' have shape {:?}, the model expects {:?}",
                    shape,
                    var.size()
                ));
            }
            let src = tch::Tensor::from_slice(&t.values).reshape(&shape);
            var.copy_(&src);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_bit_for_bit() {
        let t = NamedTensor {
            name: "w".into(),
            shape: vec![2, 2],
            values: vec![1.0, -0.0, f32::MIN_POSITIVE, 3.25],
        };
        let bytes = to_bytes(&json!({"kind": "x"}), std::slice::from_ref(&t));
        let (meta, back) = from_bytes(&bytes).unwrap();
        assert_eq!(meta["kind"], "x");
        let b = &back["w"];
        assert_eq!(b.shape, t.shape);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&b.values), bits(&t.values));
    }

    #[test]
    fn rejects_other_files() {
        assert!(from_bytes(b"PK\x03\x04 not ours").is_err());
        assert!(from_bytes(b"").is_err());
    }
}
