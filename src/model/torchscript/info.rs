//! What a model file declares, read from its archive: methods with their
//! `[in_channels, in_ratio, out_channels, out_ratio]` and labels, attributes
//! with their type codes, the sample rate and (for RAVE) the latent size.
//!
//! nn-tilde exports list their methods in `_methods`; older RAVE files do
//! not, and carry `sampling_rate` / `latent_size` buffers instead of `sr`.
//! For those, every 4-element `<name>_params` buffer that is not an
//! attribute's names a method.

use std::path::{Path, PathBuf};

use super::archive::Archive;
use super::attribute::{AttrType, AttributeInfo};
use super::error::TorchScriptError;
use super::pickle::Value;

/// The most channels a method may declare, in or out (RAVE latents have 4 to
/// 128; nn~'s multichannel exports a few dozen). Streams reserve buffers of
/// channels × buffer frames, so a file claiming 2^40 is refused at load.
pub const MAX_MODEL_CHANNELS: usize = 1024;

/// The largest ratio a method may declare (audio frames per model frame;
/// RAVE uses 2048). The stream buffer is a power of two at least this big.
pub const MAX_MODEL_RATIO: usize = 1 << 16;

/// The lowest and highest model sample rates loam streams, in Hz (the same
/// range as WAV files; a model claiming 1 Hz would make the resampler's
/// buffers 48 000 times a buffer).
pub const MODEL_SAMPLE_RATES: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// One method the model offers to a host.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodInfo {
    /// The method's name (`forward`, `decode`…).
    pub name: String,
    /// Channels in (audio channels, or latent dimensions for `decode`).
    pub in_channels: usize,
    /// Input frames are `T / in_ratio` long (1 = audio rate).
    pub in_ratio: usize,
    /// Channels out (audio channels, or latent dimensions for `encode`).
    pub out_channels: usize,
    /// Output frames are `T / out_ratio` long (1 = audio rate).
    pub out_ratio: usize,
    /// Empty when the file has none (older RAVE).
    pub input_labels: Vec<String>,
    /// One label per output channel; empty when the file has none.
    pub output_labels: Vec<String>,
}

impl MethodInfo {
    /// `[in_channels, in_ratio, out_channels, out_ratio]`, as nn~ stores it.
    pub fn params(&self) -> [usize; 4] {
        [
            self.in_channels,
            self.in_ratio,
            self.out_channels,
            self.out_ratio,
        ]
    }

    /// The larger of the two ratios.
    pub fn max_ratio(&self) -> usize {
        self.in_ratio.max(self.out_ratio)
    }

    /// The output frames the method must return for `in_frames` input
    /// frames: `in_frames × in_ratio / out_ratio` (nn~'s contract), `None`
    /// when that is not a whole number or does not fit.
    pub fn out_frames_for(&self, in_frames: usize) -> Option<usize> {
        let audio = in_frames.checked_mul(self.in_ratio.max(1))?;
        let ratio = self.out_ratio.max(1);
        audio.is_multiple_of(ratio).then_some(audio / ratio)
    }
}

/// Everything a model file declares.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    /// The model file.
    pub path: PathBuf,
    /// The root module's class (e.g. `__torch__.Full`).
    pub class: String,
    /// The methods it offers to a host (nn~'s `get_methods`).
    pub methods: Vec<MethodInfo>,
    /// Its nn~ attributes, with their types and saved values.
    pub attributes: Vec<AttributeInfo>,
    /// nn~ buffer attribute keys (`"wavetable#0"`).
    pub buffer_attributes: Vec<String>,
    /// The model's own rate, `None` when it has none (nn~'s −1).
    pub sample_rate: Option<u32>,
    /// RAVE's latent size, when the file says.
    pub latent_size: Option<usize>,
    /// True for nn-tilde exports (they answer `get_methods()` and friends).
    pub nn_tilde: bool,
    /// True when its code calls a random sampler
    /// ([`super::archive::RANDOM_OPS`]): a render seeds libtorch's
    /// generator before each of its buffers.
    pub draws_random_numbers: bool,
}

impl ModelInfo {
    /// The largest ratio of any of the model's methods, at least 1 (nn~'s
    /// `get_higher_ratio`). nn~ streams every method of a model at a buffer
    /// at least this large, and models are exported for that: a streaming
    /// RAVE's `forward` (encode, then decode) declares ratio 1 but needs
    /// whole latent frames, 2048 samples, per call.
    pub fn higher_ratio(&self) -> usize {
        self.methods
            .iter()
            .map(MethodInfo::max_ratio)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// A method by name.
    pub fn method(&self, name: &str) -> Option<&MethodInfo> {
        self.methods.iter().find(|m| m.name == name)
    }

    /// An attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&AttributeInfo> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Method names, in the file's order.
    pub fn method_names(&self) -> Vec<String> {
        self.methods.iter().map(|m| m.name.clone()).collect()
    }

    /// Reads everything from an opened archive.
    pub fn read(archive: &mut Archive) -> Result<ModelInfo, TorchScriptError> {
        let path = archive.path().to_owned();
        let bad = |reason: String| TorchScriptError::NotTorchScript {
            path: path.clone(),
            reason,
        };
        let state = archive.state.clone();
        let class = match &state {
            Value::Object { class, .. } => class.clone(),
            _ => return Err(bad("data.pkl does not hold a module object".into())),
        };
        let Some(entries) = state.entries() else {
            return Err(bad("the root module has no saved state".into()));
        };

        let nn_tilde = state.get("_methods").is_some();
        let attribute_names = state
            .get("_attributes")
            .and_then(Value::as_strings)
            .unwrap_or_default();
        let method_names = match state.get("_methods").and_then(Value::as_strings) {
            Some(names) => names,
            None => entries
                .iter()
                .filter_map(|(k, v)| {
                    let name = k.as_str()?.strip_suffix("_params")?;
                    let Value::Tensor(t) = v else { return None };
                    (t.shape == [4] && !attribute_names.iter().any(|a| a == name))
                        .then(|| name.to_owned())
                })
                .collect(),
        };

        let mut methods = Vec::with_capacity(method_names.len());
        for name in method_names {
            let Some(Value::Tensor(t)) = state.get(&format!("{name}_params")) else {
                return Err(bad(format!("method '{name}' has no {name}_params buffer")));
            };
            let p = archive.tensor_i64(t).map_err(|e| bad(e.0))?;
            if p.len() != 4 || p.iter().any(|&v| v < 0) || p[1] < 1 || p[3] < 1 {
                return Err(bad(format!("method '{name}': {name}_params is {p:?}, not [in_ch, in_ratio, out_ch, out_ratio]")));
            }
            let labels = |key: &str| {
                state
                    .get(&format!("{name}_{key}"))
                    .and_then(Value::as_strings)
                    .unwrap_or_default()
            };
            methods.push(MethodInfo {
                in_channels: p[0] as usize,
                in_ratio: p[1] as usize,
                out_channels: p[2] as usize,
                out_ratio: p[3] as usize,
                input_labels: labels("input_labels"),
                output_labels: labels("output_labels"),
                name,
            });
        }

        let mut attributes = Vec::with_capacity(attribute_names.len());
        for name in attribute_names {
            let types = match state.get(&format!("{name}_params")) {
                Some(Value::Tensor(t)) => archive
                    .tensor_i64(t)
                    .map_err(|e| bad(e.0))?
                    .into_iter()
                    .map(|c| {
                        AttrType::from_code(c).ok_or_else(|| {
                            bad(format!("attribute '{name}': unknown type code {c}"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => Vec::new(),
            };
            let mut saved = Vec::new();
            if let Some(v) = state.get(&name) {
                super::attribute::from_pickle(v, &mut saved);
            }
            attributes.push(AttributeInfo { name, types, saved });
        }

        let buffer_attributes = state
            .get("_buffer_attributes")
            .and_then(Value::as_strings)
            .unwrap_or_default();
        let sample_rate = match state.get("sr") {
            Some(Value::Int(sr)) if *sr > 0 => u32::try_from(*sr).ok(),
            Some(_) => None,
            None => scalar(archive, &state, "sampling_rate")?
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| v > 0),
        };
        let latent_size =
            scalar(archive, &state, "latent_size")?.and_then(|v| usize::try_from(v).ok());

        let draws_random_numbers = archive.draws_random_numbers();
        let info = ModelInfo {
            path,
            class,
            methods,
            attributes,
            buffer_attributes,
            sample_rate,
            latent_size,
            nn_tilde,
            draws_random_numbers,
        };
        info.check_sizes()?;
        Ok(info)
    }

    /// Checks every size the file declares against [`MAX_MODEL_CHANNELS`],
    /// [`MAX_MODEL_RATIO`] and [`MODEL_SAMPLE_RATES`], before any buffer is
    /// sized from them. The error names the file, the method and the limit.
    pub fn check_sizes(&self) -> Result<(), TorchScriptError> {
        let bad = |reason: String| TorchScriptError::NotTorchScript {
            path: self.path.clone(),
            reason,
        };
        for m in &self.methods {
            for (what, n) in [("input", m.in_channels), ("output", m.out_channels)] {
                if n > MAX_MODEL_CHANNELS {
                    return Err(bad(format!(
                        "method '{}' declares {n} {what} channels; loam streams at most {MAX_MODEL_CHANNELS}",
                        m.name
                    )));
                }
            }
            if m.max_ratio() > MAX_MODEL_RATIO {
                return Err(bad(format!(
                    "method '{}' declares a ratio of {}; loam streams ratios up to {MAX_MODEL_RATIO}",
                    m.name,
                    m.max_ratio()
                )));
            }
        }
        if let Some(n) = self.latent_size.filter(|&n| n > MAX_MODEL_CHANNELS) {
            return Err(bad(format!(
                "latent_size {n}; loam streams at most {MAX_MODEL_CHANNELS} latent dimensions"
            )));
        }
        if let Some(sr) = self
            .sample_rate
            .filter(|sr| !MODEL_SAMPLE_RATES.contains(sr))
        {
            return Err(bad(format!(
                "sample rate {sr} Hz; loam streams models at {} to {} Hz",
                MODEL_SAMPLE_RATES.start(),
                MODEL_SAMPLE_RATES.end()
            )));
        }
        Ok(())
    }
}

/// An int, or a one-element tensor buffer, saved under `key`.
fn scalar(
    archive: &mut Archive,
    state: &Value,
    key: &str,
) -> Result<Option<i64>, TorchScriptError> {
    Ok(match state.get(key) {
        Some(Value::Int(v)) => Some(*v),
        Some(Value::Tensor(t)) if t.shape.iter().all(|&d| d == 1) => {
            let v = archive
                .tensor_i64(t)
                .map_err(|e| TorchScriptError::NotTorchScript {
                    path: archive.path().to_owned(),
                    reason: e.0,
                })?;
            v.first().copied()
        }
        _ => None,
    })
}

/// Reads a file's declarations without loading it into libtorch.
pub fn read_info(path: &Path) -> Result<ModelInfo, TorchScriptError> {
    let mut archive = Archive::open(path).map_err(|e| TorchScriptError::NotTorchScript {
        path: path.to_owned(),
        reason: e.0,
    })?;
    ModelInfo::read(&mut archive)
}
