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

    /// The file this archive was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw bytes of a tensor's storage.
    fn storage_bytes(&mut self, tensor: &TensorRef) -> Result<Vec<u8>, ArchiveError> {
        let name = format!("{}data/{}", self.root, tensor.storage.key);
        read_entry(&mut self.zip, &name)
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
        let bytes = self.storage_bytes(tensor)?;
        let dtype = tensor.storage.dtype;
        let size = dtype.size();
        let count: usize = tensor.shape.iter().product();
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

fn has_prefix(zip: &zip::ZipArchive<File>, prefix: &str) -> bool {
    zip.file_names().any(|n| n.starts_with(prefix))
}

fn read_entry(zip: &mut zip::ZipArchive<File>, name: &str) -> Result<Vec<u8>, ArchiveError> {
    let mut entry = zip
        .by_name(name)
        .map_err(|e| ArchiveError(format!("cannot read {name}: {e}")))?;
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry
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
