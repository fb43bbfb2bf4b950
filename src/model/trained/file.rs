//! The file every loam-trained model is saved in: a safetensors file (an
//! 8-byte little-endian header length, a JSON header, then raw little-endian
//! tensor data) whose `__metadata__` holds one entry, `loam`: the model's
//! description as JSON (kind, settings, vocabulary, provenance of the dataset,
//! training report). Any safetensors reader can open the weights; Python
//! needs nothing beyond the standard library and torch to read them.
//!
//! Framing and validation are the `safetensors` crate's (the one tch links):
//! before any tensor is copied it checks the header against its limit of
//! 100 MB and the file's length, and that every tensor's shape times its
//! element size (in checked arithmetic) is exactly its share of the data, with
//! no gaps, overlaps or bytes after the last tensor. Tensors are f32 and are
//! written bit for bit, so a model loads identically. Writes are atomic: a
//! temporary file beside the target, synced, then renamed over it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use serde_json::Value;

use super::TrainedModelError;

/// A named f32 tensor: shape and values.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// The variable's name (`gru.weight_ih_l0`).
    pub name: String,
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// The elements in row-major order.
    pub values: Vec<f32>,
}

impl View for &NamedTensor {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    fn data_len(&self) -> usize {
        self.values.len() * 4
    }
}

/// Writes tensors (sorted by name) and the metadata JSON, atomically: into a
/// temporary file beside `path`, synced, then renamed over it, so a crash
/// never leaves half a model under the name.
pub fn write(path: &Path, meta: &Value, tensors: &[NamedTensor]) -> Result<(), TrainedModelError> {
    let bytes = to_bytes(meta, tensors).map_err(|e| TrainedModelError::file(path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        TrainedModelError::file(path, format!("cannot write: {e}"))
    })
}

/// The file's bytes (tensors in name order, the header padded to 8 bytes).
pub fn to_bytes(meta: &Value, tensors: &[NamedTensor]) -> Result<Vec<u8>, String> {
    if let Some(t) = tensors
        .iter()
        .find(|t| t.shape.iter().product::<usize>() != t.values.len())
    {
        return Err(format!(
            "cannot write: tensor '{}' has {} values for shape {:?}",
            t.name,
            t.values.len(),
            t.shape
        ));
    }
    let info = HashMap::from([("loam".to_string(), meta.to_string())]);
    if tensors.is_empty() {
        // NOTE: safetensors 0.3.3 writes an invalid header (`{},"__metadata__":…`)
        // for metadata without tensors (a Markov model), so that one header is
        // framed here: its length, the JSON, spaces to 8-byte alignment.
        let mut head = serde_json::to_vec(&serde_json::json!({ "__metadata__": info }))
            .map_err(|e| format!("cannot write: {e}"))?;
        head.resize(head.len().next_multiple_of(8), b' ');
        let mut out = (head.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&head);
        return Ok(out);
    }
    safetensors::serialize(tensors.iter().map(|t| (&t.name, t)), &Some(info))
        .map_err(|e| format!("cannot write: {e}"))
}

/// Reads a file written by [`write`]: the metadata JSON and the tensors by name.
pub fn read(path: &Path) -> Result<(Value, BTreeMap<String, NamedTensor>), TrainedModelError> {
    let bytes = std::fs::read(path)
        .map_err(|e| TrainedModelError::file(path, format!("cannot read: {e}")))?;
    from_bytes(&bytes).map_err(|reason| TrainedModelError::file(path, reason))
}

/// What a file that is not a safetensors file with loam metadata is told.
const NOT_OURS: &str =
    "not a model trained by loam (expected a safetensors file with loam metadata)";

/// Why the safetensors crate refused a file, in a performer's words.
fn refusal(e: SafeTensorError) -> String {
    match e {
        SafeTensorError::InvalidOffset(name) => {
            format!("tensor '{name}' lies outside its place in the file (damaged?)")
        }
        SafeTensorError::MetadataIncompleteBuffer => {
            "the tensor data does not end where the file ends (truncated?)".to_string()
        }
        SafeTensorError::TensorInvalidInfo => {
            "a tensor has the wrong size for its shape".to_string()
        }
        SafeTensorError::ValidationOverflow => {
            "a tensor's shape is too large to address".to_string()
        }
        _ => NOT_OURS.to_string(),
    }
}

/// Parses a file's bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<(Value, BTreeMap<String, NamedTensor>), String> {
    // Validates the whole layout before anything below allocates for a tensor.
    let (header_len, header) = SafeTensors::read_metadata(bytes).map_err(refusal)?;
    let meta_text = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get("loam"))
        .ok_or_else(|| NOT_OURS.to_string())?;
    let meta: Value =
        serde_json::from_str(meta_text).map_err(|e| format!("damaged loam metadata: {e}"))?;
    let data = &bytes[8 + header_len..];
    let mut tensors = BTreeMap::new();
    for (name, info) in header.tensors() {
        if info.dtype != Dtype::F32 {
            return Err(format!("tensor '{name}' is not float32"));
        }
        let (start, end) = info.data_offsets;
        let values = data[start..end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.insert(
            name.clone(),
            NamedTensor {
                name,
                shape: info.shape.clone(),
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
    use serde_json::json;

    /// A file written by loam's own safetensors writer, before loam used the
    /// crate: `loam train --model rnn --steps 5` on `datasets/aksak`.
    const HAND_WRITTEN: &[u8] = include_bytes!("testdata/rnn-hand-written-format.model");

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// A safetensors file with this header JSON (padded) and data.
    fn framed(header: &str, data: &[u8]) -> Vec<u8> {
        let mut head = header.as_bytes().to_vec();
        while !head.len().is_multiple_of(8) {
            head.push(b' ');
        }
        let mut out = (head.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&head);
        out.extend_from_slice(data);
        out
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("loam-file-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let t = NamedTensor {
            name: "w".into(),
            shape: vec![2, 2],
            values: vec![1.0, -0.0, f32::MIN_POSITIVE, 3.25],
        };
        let bytes = to_bytes(&json!({"kind": "x"}), std::slice::from_ref(&t)).unwrap();
        let (meta, back) = from_bytes(&bytes).unwrap();
        assert_eq!(meta["kind"], "x");
        let b = &back["w"];
        assert_eq!(b.shape, t.shape);
        assert_eq!(bits(&b.values), bits(&t.values));
    }

    #[test]
    fn a_model_without_tensors_round_trips() {
        let meta = json!({"kind": "markov", "sequences": [[1, 2, 3]]});
        let (back, tensors) = from_bytes(&to_bytes(&meta, &[]).unwrap()).unwrap();
        assert_eq!(back, meta);
        assert!(tensors.is_empty());
    }

    #[test]
    fn rejects_other_files() {
        assert!(from_bytes(b"PK\x03\x04 not ours").is_err());
        assert!(from_bytes(b"").is_err());
    }

    #[test]
    fn files_from_the_hand_written_writer_still_load_and_round_trip() {
        let (meta, tensors) = from_bytes(HAND_WRITTEN).unwrap();
        assert_eq!(meta["kind"], "rnn");
        assert!(!tensors.is_empty());
        for (name, t) in &tensors {
            assert_eq!(&t.name, name);
            assert_eq!(t.shape.iter().product::<usize>(), t.values.len(), "{name}");
        }
        let list: Vec<NamedTensor> = tensors.values().cloned().collect();
        let (meta2, again) = from_bytes(&to_bytes(&meta, &list).unwrap()).unwrap();
        assert_eq!(meta2, meta);
        assert_eq!(again.len(), tensors.len());
        for (name, t) in &tensors {
            assert_eq!(again[name].shape, t.shape, "{name}");
            assert_eq!(bits(&again[name].values), bits(&t.values), "{name}");
        }
        // And the model itself loads from it.
        let dir = temp_dir("hand-written");
        let path = dir.join("old.model");
        std::fs::write(&path, HAND_WRITTEN).unwrap();
        assert_eq!(super::super::kind_of_file(&path).unwrap(), "rnn");
        crate::model::rnn::RnnModel::load(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_truncated_file_is_refused_saying_so() {
        let cut = &HAND_WRITTEN[..HAND_WRITTEN.len() - 3];
        let e = from_bytes(cut).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        // Cut inside the header: not a loam model at all.
        let e = from_bytes(&HAND_WRITTEN[..100]).unwrap_err();
        assert!(e.contains("not a model trained by loam"), "{e}");
    }

    #[test]
    fn tensors_of_another_type_are_refused_by_name() {
        let meta = r#""__metadata__":{"loam":"{\"kind\":\"rnn\"}"}"#;
        let header =
            format!(r#"{{{meta},"w":{{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}}}"#);
        let e = from_bytes(&framed(&header, &[0; 16])).unwrap_err();
        assert_eq!(e, "tensor 'w' is not float32");
    }

    #[test]
    fn shapes_that_disagree_with_the_data_are_refused() {
        let meta = r#""__metadata__":{"loam":"{}"}"#;
        // Three values claimed, two stored.
        let header =
            format!(r#"{{{meta},"w":{{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}}}"#);
        let e = from_bytes(&framed(&header, &[0; 8])).unwrap_err();
        assert!(e.contains("wrong size for its shape"), "{e}");
        // A shape of 2^120 elements: refused in checked arithmetic, nothing allocated.
        let header = format!(
            r#"{{{meta},"w":{{"dtype":"F32","shape":[1099511627776,1099511627776,1099511627776],"data_offsets":[0,8]}}}}"#
        );
        let e = from_bytes(&framed(&header, &[0; 8])).unwrap_err();
        assert!(e.contains("too large"), "{e}");
        // Two tensors claiming the same bytes.
        let header = format!(
            r#"{{{meta},"a":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}},"b":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}}}"#
        );
        let e = from_bytes(&framed(&header, &[0; 4])).unwrap_err();
        assert!(e.contains("outside its place"), "{e}");
    }

    #[test]
    fn a_header_length_past_the_file_or_the_limit_is_not_read() {
        let mut bytes = (1u64 << 40).to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        assert!(from_bytes(&bytes)
            .unwrap_err()
            .contains("not a model trained by loam"));
        let mut bytes = u64::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        assert!(from_bytes(&bytes)
            .unwrap_err()
            .contains("not a model trained by loam"));
        // A foreign safetensors file (no loam metadata).
        let header = r#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
        let e = from_bytes(&framed(header, &[0; 4])).unwrap_err();
        assert!(e.contains("not a model trained by loam"), "{e}");
    }

    #[test]
    fn damaged_metadata_is_named() {
        let header = r#"{"__metadata__":{"loam":"{kind"}}"#;
        let e = from_bytes(&framed(header, &[])).unwrap_err();
        assert!(e.starts_with("damaged loam metadata"), "{e}");
    }

    #[test]
    fn writes_replace_the_file_whole_and_leave_nothing_beside_it() {
        let dir = temp_dir("atomic");
        let path = dir.join("m.model");
        std::fs::write(&path, b"an older model").unwrap();
        let t = NamedTensor {
            name: "w".into(),
            shape: vec![1],
            values: vec![0.5],
        };
        write(&path, &json!({"kind": "x"}), std::slice::from_ref(&t)).unwrap();
        let (meta, back) = read(&path).unwrap();
        assert_eq!(meta["kind"], "x");
        assert_eq!(back["w"].values, vec![0.5]);
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("m.model")]);
        // A folder that does not exist: the error names the file, nothing is left.
        let missing = dir.join("no-such-folder").join("m.model");
        let e = write(&missing, &json!({}), &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("no-such-folder/m.model: cannot write"),
            "{e}"
        );
        // Values that do not fill the shape are refused before writing.
        let bad = NamedTensor {
            name: "w".into(),
            shape: vec![3],
            values: vec![0.5],
        };
        let e = write(&path, &json!({}), &[bad]).unwrap_err();
        assert!(
            e.to_string()
                .contains("tensor 'w' has 1 values for shape [3]"),
            "{e}"
        );
        assert_eq!(read(&path).unwrap().1["w"].values, vec![0.5]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
