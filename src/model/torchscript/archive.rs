//! The TorchScript file itself: a zip archive whose `<root>/data.pkl` holds
//! the root module's state (see `pickle.rs`) and whose `<root>/data/<key>`
//! files hold tensor storages as raw little-endian values.
//!
//! This is how loam reads what tch 0.26's `CModule` cannot reach: module
//! attributes and buffers such as nn~'s `<method>_params`, the input/output
//! labels and the attribute type codes. Torch stores these archives
//! uncompressed, so reading them costs a few hundred microseconds.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::pickle::{self, DType, TensorRef, Value};

/// The most elements loam reads from one tensor a model file declares
/// (`<method>_params` holds 4, attribute type codes a handful, RAVE's
/// scalars 1). A file whose buffer claims more (an nn~ export claiming 2^40
/// elements would ask for 8.8 TB) is refused before anything is allocated.
pub const MAX_BUFFER_ELEMENTS: usize = 1 << 16;

/// The most bytes loam reads from one archive entry into memory (the
/// `data.pkl` of a large RAVE model is a few hundred KB). The entry's own
/// size field comes from the file, so it is never trusted for an allocation.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;

/// What TorchScript code that draws from libtorch's random generator
/// contains: the samplers of `torch` (<https://pytorch.org/docs/stable/torch.html#random-sampling>),
/// their in-place tensor forms, and the functions that sample when asked
/// to (dropout, RReLU, Gumbel-softmax), counted whether or not they would.
pub const RANDOM_OPS: [&str; 17] = [
    "torch.rand",
    "torch.normal",
    "torch.bernoulli",
    "torch.multinomial",
    "torch.poisson",
    "torch.randperm",
    "rand_like",
    "randn_like",
    "randint_like",
    ".normal_(",
    ".uniform_(",
    ".bernoulli_(",
    ".exponential_(",
    ".random_(",
    "dropout",
    "rrelu",
    "gumbel",
];

/// The root module's saved state, with access to its tensors.
pub struct Archive {
    path: PathBuf,
    zip: zip::ZipArchive<File>,
    /// `"<root>/"`, the folder every entry sits in.
    root: String,
    /// The unpickled root object.
    pub state: Value,
}

/// Why a file is not a readable TorchScript archive.
#[derive(Debug)]
pub struct ArchiveError(pub String);

impl Archive {
    /// Opens `path` and reads its `data.pkl`.
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        let file = File::open(path).map_err(|e| ArchiveError(format!("cannot open: {e}")))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| {
            ArchiveError(format!("not a TorchScript archive (not a zip file: {e})"))
        })?;
        let pkl = zip
            .file_names()
            .filter(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
            .min_by_key(|n| n.len())
            .map(str::to_owned)
            .ok_or_else(|| ArchiveError("not a TorchScript archive (no data.pkl inside)".into()))?;
        let root = pkl.trim_end_matches("data.pkl").to_owned();
        if zip.by_name(&format!("{root}code/__torch__.py")).is_err()
            && !has_prefix(&zip, &format!("{root}code/"))
        {
            return Err(ArchiveError("not a TorchScript archive (no code/ folder: a state dict or pickle, not a scripted module?)".into()));
        }
        let bytes = read_entry(&mut zip, &pkl)?;
        let state =
            pickle::read(&bytes).map_err(|e| ArchiveError(format!("cannot read {pkl}: {e}")))?;
        Ok(Archive {
            path: path.to_owned(),
            zip,
            root,
            state,
        })
    }

    /// True when the module's TorchScript code (the archive's `code/*.py`)
    /// calls one of libtorch's random samplers ([`RANDOM_OPS`]): RAVE v2's
    /// `decode` pads its latent with `torch.randn`. A render seeds the
    /// generator before each buffer of such a model only. A code file too
    /// large to read counts as drawing (the cautious answer).
    pub fn draws_random_numbers(&mut self) -> bool {
        let code = format!("{}code/", self.root);
        let files: Vec<String> = self
            .zip
            .file_names()
            .filter(|n| n.starts_with(&code) && n.ends_with(".py"))
            .map(str::to_owned)
            .collect();
        files
            .iter()
            .any(|name| match read_entry(&mut self.zip, name) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    RANDOM_OPS.iter().any(|op| text.contains(op))
                }
                Err(_) => true,
            })
    }

    /// The file this archive was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first `len` bytes of a tensor's storage (all a view can reach).
    fn storage_bytes(&mut self, tensor: &TensorRef, len: u64) -> Result<Vec<u8>, ArchiveError> {
        let name = format!("{}data/{}", self.root, tensor.storage.key);
        let bytes = read_entry_prefix(&mut self.zip, &name, len)?;
        if (bytes.len() as u64) < len {
            return Err(ArchiveError(format!(
                "tensor storage {} is shorter than its view",
                tensor.storage.key
            )));
        }
        Ok(bytes)
    }

    /// A tensor's values as `i64` (integer, bool and float storages), in
    /// row-major order. Used for `<method>_params`, `<attr>_params` and the
    /// scalar buffers of older RAVE exports.
    pub fn tensor_i64(&mut self, tensor: &TensorRef) -> Result<Vec<i64>, ArchiveError> {
        let values = self.tensor_f64(tensor)?;
        Ok(values.into_iter().map(|v| v as i64).collect())
    }

    /// A tensor's values as `f64`, in row-major order.
    pub fn tensor_f64(&mut self, tensor: &TensorRef) -> Result<Vec<f64>, ArchiveError> {
        let dtype = tensor.storage.dtype;
        let size = dtype.size();
        let view = checked_view(tensor)?;
        if view.elements == 0 {
            return Ok(Vec::new());
        }
        let bytes = self.storage_bytes(tensor, view.bytes_reached(size))?;
        let count = view.elements;
        let mut out = Vec::with_capacity(count);
        let mut index = vec![0usize; tensor.shape.len()];
        for _ in 0..count {
            let element = tensor.offset
                + index
                    .iter()
                    .zip(&tensor.stride)
                    .map(|(i, s)| i * s)
                    .sum::<usize>();
            let at = element * size;
            let Some(b) = bytes.get(at..at + size) else {
                return Err(ArchiveError(format!(
                    "tensor storage {} is shorter than its view",
                    tensor.storage.key
                )));
            };
            out.push(decode(dtype, b));
            // Advance the row-major multi-index.
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < tensor.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(out)
    }
}

/// The size of a tensor view, checked before anything is read.
struct CheckedView {
    /// Elements in the view (at most [`MAX_BUFFER_ELEMENTS`]).
    elements: usize,
    /// The highest storage element the view reaches.
    last_element: usize,
}

impl CheckedView {
    /// Storage bytes up to and including the last element reached.
    fn bytes_reached(&self, element_size: usize) -> u64 {
        // Both factors are bounded in `checked_view`, so this cannot overflow.
        (self.last_element as u64 + 1) * element_size as u64
    }
}

/// Checks a view's element count against [`MAX_BUFFER_ELEMENTS`] and its
/// reach into the storage against [`MAX_ENTRY_BYTES`], all in arithmetic
/// that cannot overflow, so no size the file claims is allocated unchecked.
fn checked_view(tensor: &TensorRef) -> Result<CheckedView, ArchiveError> {
    let key = &tensor.storage.key;
    let too_many = |claimed: String| {
        ArchiveError(format!(
            "tensor storage {key} has shape {:?} ({claimed} elements); loam reads at most {MAX_BUFFER_ELEMENTS} elements from a declared buffer",
            tensor.shape
        ))
    };
    if tensor.stride.len() != tensor.shape.len() {
        return Err(ArchiveError(format!(
            "tensor storage {key}: shape {:?} and stride {:?} differ in length",
            tensor.shape, tensor.stride
        )));
    }
    if tensor.shape.contains(&0) {
        return Ok(CheckedView {
            elements: 0,
            last_element: 0,
        });
    }
    let elements = tensor
        .shape
        .iter()
        .try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))
        .filter(|&n| n <= MAX_BUFFER_ELEMENTS as u128);
    let Some(elements) = elements else {
        let claimed = tensor
            .shape
            .iter()
            .try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))
            .map_or_else(|| "more than 2^128".to_owned(), |n| n.to_string());
        return Err(too_many(claimed));
    };
    let mut last = tensor.offset as u128;
    for (&d, &s) in tensor.shape.iter().zip(&tensor.stride) {
        // d ≤ 2^16 here and s < 2^64, so each term fits in u128 with room.
        last += (d as u128 - 1) * s as u128;
    }
    let size = tensor.storage.dtype.size() as u128;
    if (last + 1) * size > u128::from(MAX_ENTRY_BYTES) {
        return Err(ArchiveError(format!(
            "tensor storage {key}: the view (offset {}, shape {:?}, stride {:?}) reaches past {MAX_ENTRY_BYTES} bytes, the most loam reads from one entry",
            tensor.offset, tensor.shape, tensor.stride
        )));
    }
    Ok(CheckedView {
        elements: elements as usize,
        last_element: last as usize,
    })
}

fn has_prefix(zip: &zip::ZipArchive<File>, prefix: &str) -> bool {
    zip.file_names().any(|n| n.starts_with(prefix))
}

/// A whole entry, refused when it declares more than [`MAX_ENTRY_BYTES`].
fn read_entry(zip: &mut zip::ZipArchive<File>, name: &str) -> Result<Vec<u8>, ArchiveError> {
    let declared = zip
        .by_name(name)
        .map_err(|e| ArchiveError(format!("cannot read {name}: {e}")))?
        .size();
    if declared > MAX_ENTRY_BYTES {
        return Err(ArchiveError(format!(
            "{name} declares {declared} bytes; loam reads at most {MAX_ENTRY_BYTES} bytes from one entry"
        )));
    }
    let bytes = read_entry_prefix(zip, name, MAX_ENTRY_BYTES + 1)?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Err(ArchiveError(format!(
            "{name} holds more than {MAX_ENTRY_BYTES} bytes, the most loam reads from one entry"
        )));
    }
    Ok(bytes)
}

/// At most `limit` bytes from the start of an entry. The capacity reserved
/// is the smaller of the limit and the entry's declared size, so a lying
/// size field cannot make it allocate.
fn read_entry_prefix(
    zip: &mut zip::ZipArchive<File>,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, ArchiveError> {
    let entry = zip
        .by_name(name)
        .map_err(|e| ArchiveError(format!("cannot read {name}: {e}")))?;
    let hint = entry.size().min(limit).min(MAX_ENTRY_BYTES);
    let mut bytes = Vec::with_capacity(hint as usize);
    entry
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| ArchiveError(format!("cannot read {name}: {e}")))?;
    Ok(bytes)
}

fn decode(dtype: DType, b: &[u8]) -> f64 {
    let a = |n: usize| -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..n].copy_from_slice(&b[..n]);
        out
    };
    match dtype {
        DType::F64 => f64::from_le_bytes(a(8)),
        DType::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        DType::I64 => i64::from_le_bytes(a(8)) as f64,
        DType::I32 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        DType::I16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
        DType::I8 => f64::from(b[0] as i8),
        DType::U8 | DType::Bool => f64::from(b[0]),
        DType::F16 => f64::from(half_to_f32(u16::from_le_bytes([b[0], b[1]]))),
        DType::BF16 => f64::from(f32::from_bits(
            u32::from(u16::from_le_bytes([b[0], b[1]])) << 16,
        )),
    }
}

fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 => {
            if frac == 0.0 {
                sign * f32::INFINITY
            } else {
                f32::NAN
            }
        }
        _ => sign * (1.0 + frac / 1024.0) * 2f32.powi(exp - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::torchscript::pickle::StorageRef;

    fn tensor(shape: Vec<usize>, stride: Vec<usize>, offset: usize) -> TensorRef {
        TensorRef {
            storage: StorageRef {
                key: "0".into(),
                dtype: DType::I64,
                numel: 4,
            },
            offset,
            shape,
            stride,
        }
    }

    #[test]
    fn a_buffer_claiming_2_to_the_40_elements_is_refused_before_reading() {
        // The nn~ export whose forward_params claims 2^40 elements (8.8 TB).
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/model-claims-2e40-elements.ts");
        let e = crate::model::torchscript::read_info(&path).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("model-claims-2e40-elements.ts"), "{msg}");
        assert!(msg.contains("1099511627776 elements"), "{msg}");
        assert!(
            msg.contains(&format!("at most {MAX_BUFFER_ELEMENTS} elements")),
            "{msg}"
        );
    }

    #[test]
    fn views_are_checked_without_overflow() {
        // Element counts that overflow 64 bits.
        let e = checked_view(&tensor(
            vec![1 << 40, 1 << 40, 1 << 40, 1 << 40],
            vec![1; 4],
            0,
        ))
        .err()
        .unwrap();
        assert!(
            e.0.contains("more than 2^128") || e.0.contains("elements"),
            "{}",
            e.0
        );
        // Few elements, but a stride reaching 2^63 elements into the storage.
        let e = checked_view(&tensor(vec![2], vec![1 << 63], 0))
            .err()
            .unwrap();
        assert!(e.0.contains(&MAX_ENTRY_BYTES.to_string()), "{}", e.0);
        let e = checked_view(&tensor(vec![4], vec![1], usize::MAX))
            .err()
            .unwrap();
        assert!(e.0.contains("reaches past"), "{}", e.0);
        // Mismatched shape and stride.
        assert!(checked_view(&tensor(vec![4], vec![], 0)).is_err());
        // The usual [4] params buffer, and an empty one.
        let v = checked_view(&tensor(vec![4], vec![1], 0)).unwrap();
        assert_eq!((v.elements, v.bytes_reached(8)), (4, 32));
        let v = checked_view(&tensor(vec![0, 1 << 40], vec![1, 1], 0)).unwrap();
        assert_eq!(v.elements, 0);
        let v = checked_view(&tensor(vec![MAX_BUFFER_ELEMENTS], vec![1], 0)).unwrap();
        assert_eq!(v.elements, MAX_BUFFER_ELEMENTS);
        assert!(checked_view(&tensor(vec![MAX_BUFFER_ELEMENTS + 1], vec![1], 0)).is_err());
    }
}
