//! A loaded TorchScript model: tch's `CModule` plus what its archive
//! declares. Calls methods on planar `f32` buffers, reads and writes nn~
//! attributes with arguments typed from their type codes, reads and sets the
//! sample rate, and warms methods up.
//!
//! A `Module` is used by one thread at a time (the stream worker that owns
//! it, or the control thread before it is handed over). Streaming exports
//! keep state inside the module, so one stream needs its own instance: load
//! the file again rather than sharing.

use std::path::{Path, PathBuf};

use tch::{CModule, IValue, Kind, Tensor};

use super::archive::Archive;
use super::attribute::{AttrType, AttrValue};
use super::error::{short, TorchScriptError};
use super::info::{MethodInfo, ModelInfo};

/// How many times the frames its ratios promise a method may return before
/// its output is refused (models that pad return a little more; none
/// returns 4 times more).
pub const MAX_OUTPUT_GROWTH: usize = 4;

/// A loaded TorchScript model and what its archive declares (see the module docs for its threads).
pub struct Module {
    cmodule: CModule,
    info: ModelInfo,
}

impl Module {
    /// Reads the archive (so a bad file fails with a reason, not a C++
    /// backtrace), loads it into libtorch on the CPU in eval mode, and asks
    /// an nn-tilde export for its live method list and sample rate.
    pub fn load(path: impl AsRef<Path>) -> Result<Module, TorchScriptError> {
        let path = path.as_ref();
        // Consent first (the card beside it, `NAME.ts.toml`): a withdrawn
        // dataset's model is not even read.
        crate::model::trained::consent::check_torchscript_card(path).map_err(|message| {
            TorchScriptError::Withdrawn {
                path: path.to_owned(),
                message,
            }
        })?;
        let mut archive = Archive::open(path).map_err(|e| TorchScriptError::NotTorchScript {
            path: path.to_owned(),
            reason: e.0,
        })?;
        let mut info = ModelInfo::read(&mut archive)?;
        let mut cmodule = CModule::load(path).map_err(|e| TorchScriptError::Load {
            path: path.to_owned(),
            message: short(&e.to_string()),
        })?;
        cmodule.f_set_eval().map_err(|e| TorchScriptError::Load {
            path: path.to_owned(),
            message: short(&e.to_string()),
        })?;
        let mut module = Module {
            cmodule,
            info: info.clone(),
        };
        if info.nn_tilde {
            // The live answers win over the saved state where they differ.
            if let Ok(names) = module.invoke("get_methods", &[]).map(strings) {
                let declared = std::mem::take(&mut info.methods);
                info.methods = names
                    .iter()
                    .filter_map(|n| declared.iter().find(|m| &m.name == n).cloned())
                    .collect();
            }
            if let Ok(IValue::Int(sr)) = module.invoke("get_sample_rate", &[]) {
                info.sample_rate = u32::try_from(sr).ok().filter(|&sr| sr > 0);
            }
        }
        // The live answers are sizes from the file too.
        info.check_sizes()?;
        module.info = info;
        Ok(module)
    }

    /// What the file declares.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.info.path
    }

    fn path_buf(&self) -> PathBuf {
        self.info.path.clone()
    }

    /// A method's declaration, or an error listing the ones there are.
    pub fn method(&self, name: &str) -> Result<&MethodInfo, TorchScriptError> {
        self.info
            .method(name)
            .ok_or_else(|| TorchScriptError::NoSuchMethod {
                path: self.path_buf(),
                method: name.to_owned(),
                available: self.info.method_names(),
            })
    }

    /// Calls any method of the module with libtorch values.
    pub fn invoke(&self, method: &str, args: &[IValue]) -> Result<IValue, TorchScriptError> {
        tch::no_grad(|| self.cmodule.method_is(method, args)).map_err(|e| TorchScriptError::Call {
            path: self.path_buf(),
            method: method.to_owned(),
            message: short(&e.to_string()),
        })
    }

    /// Calls a registered method on a tensor `(batch, in_channels, frames)`
    /// and checks the result is `(batch, out_channels, _)` float32.
    pub fn call_tensor(&self, method: &str, input: &Tensor) -> Result<Tensor, TorchScriptError> {
        let m = self.method(method)?;
        let shape_err = |message: String| TorchScriptError::Shape {
            path: self.path_buf(),
            method: method.to_owned(),
            message,
        };
        let size = input.size();
        if size.len() != 3 || size[1] != m.in_channels as i64 {
            return Err(shape_err(format!(
                "input shape {size:?}, expected (batch, {}, frames)",
                m.in_channels
            )));
        }
        let out = tch::no_grad(|| self.cmodule.method_ts(method, &[input])).map_err(|e| {
            TorchScriptError::Call {
                path: self.path_buf(),
                method: method.to_owned(),
                message: short(&e.to_string()),
            }
        })?;
        let out_size = out.size();
        if out_size.len() != 3 || out_size[0] != size[0] || out_size[1] != m.out_channels as i64 {
            return Err(shape_err(format!(
                "returned shape {out_size:?}, declared ({}, {}, frames)",
                size[0], m.out_channels
            )));
        }
        // Frames out follow frames in through the ratios; a model returning
        // far more is refused before its output is copied anywhere.
        let expected =
            (size[2].max(1) as u128 * m.in_ratio as u128).div_ceil(m.out_ratio.max(1) as u128);
        let most = expected
            .saturating_mul(MAX_OUTPUT_GROWTH as u128)
            .max(MAX_OUTPUT_GROWTH as u128);
        if out_size[2] < 0 || out_size[2] as u128 > most {
            return Err(shape_err(format!(
                "returned {} frames for {} input frames ({expected} expected; loam takes at most {MAX_OUTPUT_GROWTH} times that)",
                out_size[2], size[2]
            )));
        }
        if out.kind() != Kind::Float {
            return Err(shape_err(format!(
                "returned {:?}, expected float32",
                out.kind()
            )));
        }
        Ok(out)
    }

    /// Calls a method on planar input (`in_channels` rows of `frames`
    /// values, one after the other). Replaces `out` with planar output and
    /// returns its frames per channel. `out` keeps its capacity, so a worker
    /// calling this in a loop does not reallocate.
    pub fn call_into(
        &self,
        method: &str,
        input: &[f32],
        out: &mut Vec<f32>,
    ) -> Result<usize, TorchScriptError> {
        let m = self.method(method)?;
        if m.in_channels == 0 || !input.len().is_multiple_of(m.in_channels) {
            return Err(TorchScriptError::Shape {
                path: self.path_buf(),
                method: method.to_owned(),
                message: format!(
                    "{} input values do not split into {} channels",
                    input.len(),
                    m.in_channels
                ),
            });
        }
        let frames = (input.len() / m.in_channels) as i64;
        let x = Tensor::from_slice(input).view([1, m.in_channels as i64, frames]);
        let y = self.call_tensor(method, &x)?.contiguous();
        let numel = y.numel();
        out.resize(numel, 0.0);
        if numel == 0 {
            // Nothing to read (and an empty tensor's data pointer may be null).
        } else if y.kind() == tch::Kind::Float && y.device() == tch::Device::Cpu {
            // The common case, read in place: `f_copy_data` converts and
            // copies through libtorch, which cost more than a small model's call.
            // SAFETY: `y` is a contiguous CPU tensor of `numel` f32 values and
            // outlives this borrow of its storage.
            let values = unsafe { std::slice::from_raw_parts(y.data_ptr() as *const f32, numel) };
            out.copy_from_slice(values);
        } else {
            y.f_copy_data(out, numel)
                .map_err(|e| TorchScriptError::Call {
                    path: self.path_buf(),
                    method: method.to_owned(),
                    message: e.to_string(),
                })?;
        }
        Ok(numel / m.out_channels.max(1))
    }

    /// Calls a method on planar input and returns planar output.
    pub fn call(&self, method: &str, input: &[f32]) -> Result<Vec<f32>, TorchScriptError> {
        let mut out = Vec::new();
        self.call_into(method, input, &mut out)?;
        Ok(out)
    }

    /// Calls every method `times` times on silence of `frames` audio frames:
    /// the profiling executor makes the first calls slow (100–220 ms for a
    /// RAVE export with libtorch 2.13), later ones fast. Each call's output
    /// is checked as [`Module::check_output`] says.
    pub fn warm_up(&self, frames: usize, times: usize) -> Result<(), TorchScriptError> {
        let names: Vec<&str> = self.info.methods.iter().map(|m| m.name.as_str()).collect();
        self.warm_up_methods(&names, frames, times)
    }

    /// Warms up only the named methods (checking their output).
    pub fn warm_up_methods(
        &self,
        methods: &[&str],
        frames: usize,
        times: usize,
    ) -> Result<(), TorchScriptError> {
        let mut out = Vec::new();
        for name in methods {
            let m = self.method(name)?;
            let n = (frames / m.in_ratio).max(1);
            let zeros = vec![0.0f32; n * m.in_channels];
            for _ in 0..times {
                let got = self.call_into(name, &zeros, &mut out)?;
                self.check_output(name, n, got)?;
            }
        }
        Ok(())
    }

    /// What can be checked of a method's output before it plays: the shape
    /// `(batch, out_channels, frames)` and float32 are checked on every call
    /// ([`Module::call_tensor`]); here, that `out_frames` is what the
    /// declared ratios promise for `in_frames` input frames. (Whether the
    /// values are finite and in range depends on the input, so that is
    /// checked as the model plays, in the mixer: `audio::guard`.)
    pub fn check_output(
        &self,
        method: &str,
        in_frames: usize,
        out_frames: usize,
    ) -> Result<(), TorchScriptError> {
        let m = self.method(method)?;
        let expected = m.out_frames_for(in_frames);
        if expected == Some(out_frames) {
            return Ok(());
        }
        Err(TorchScriptError::Shape {
            path: self.path_buf(),
            method: method.to_owned(),
            message: format!(
                "returned {out_frames} frames for {in_frames} input frames; its declared \
                 ratios (in {}, out {}) say {}",
                m.in_ratio,
                m.out_ratio,
                expected
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "a whole number, which they cannot give".into())
            ),
        })
    }

    /// The model's own rate (live `get_sample_rate()` for nn-tilde exports,
    /// the saved `sr` or `sampling_rate` otherwise). `None`: it has none.
    pub fn sample_rate(&self) -> Option<u32> {
        if self.info.nn_tilde {
            if let Ok(IValue::Int(sr)) = self.invoke("get_sample_rate", &[]) {
                return u32::try_from(sr).ok().filter(|&sr| sr > 0);
            }
        }
        self.info.sample_rate
    }

    /// Tells the model the rate it runs at (nn~ calls this with the host
    /// rate; it only overwrites the stored value). Older files without
    /// `set_sample_rate` are left alone.
    pub fn set_sample_rate(&mut self, rate: u32) -> Result<(), TorchScriptError> {
        if self.info.nn_tilde {
            self.invoke("set_sample_rate", &[IValue::Int(i64::from(rate))])?;
            self.info.sample_rate = Some(rate);
        }
        Ok(())
    }

    fn attribute_types(&self, name: &str) -> Result<Vec<AttrType>, TorchScriptError> {
        self.info
            .attribute(name)
            .map(|a| a.types.clone())
            .ok_or_else(|| TorchScriptError::NoSuchAttribute {
                path: self.path_buf(),
                attribute: name.to_owned(),
                available: self
                    .info
                    .attributes
                    .iter()
                    .map(|a| a.name.clone())
                    .collect(),
            })
    }

    /// The live value of an attribute, through its `get_<name>()`, flattened
    /// into elements.
    pub fn attribute(&self, name: &str) -> Result<Vec<AttrValue>, TorchScriptError> {
        self.attribute_types(name)?;
        let v = self.invoke(&format!("get_{name}"), &[])?;
        let mut out = Vec::new();
        super::attribute::from_ivalue(v, &mut out).map_err(|message| {
            TorchScriptError::AttributeType {
                path: self.path_buf(),
                attribute: name.to_owned(),
                message,
            }
        })?;
        Ok(out)
    }

    /// Sets an attribute through `set_<name>(…)`, each argument converted to
    /// its declared type. A setter that returns −1 is `TorchScriptError::Refused`.
    pub fn set_attribute(
        &mut self,
        name: &str,
        values: &[AttrValue],
    ) -> Result<(), TorchScriptError> {
        let types = self.attribute_types(name)?;
        let type_err = |message: String| TorchScriptError::AttributeType {
            path: self.path_buf(),
            attribute: name.to_owned(),
            message,
        };
        if !types.is_empty() && values.len() != types.len() {
            return Err(type_err(format!(
                "{} values given, it takes {} ({types:?})",
                values.len(),
                types.len()
            )));
        }
        let args = values
            .iter()
            .enumerate()
            .map(|(i, v)| match types.get(i) {
                Some(ty) => v
                    .coerce(*ty)
                    .map(|v| super::attribute::to_ivalue(&v))
                    .map_err(|e| type_err(format!("element {i}: {e}"))),
                None => Ok(super::attribute::to_ivalue(v)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        match self.invoke(&format!("set_{name}"), &args)? {
            IValue::Int(-1) => Err(TorchScriptError::Refused {
                path: self.path_buf(),
                attribute: name.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// Stores audio (planar, `channels` rows) under an nn~ buffer key such
    /// as `"table#0"`, then points the attribute at it, as nn~ does.
    pub fn set_buffer(
        &mut self,
        key: &str,
        samples: &[f32],
        channels: usize,
        rate: u32,
    ) -> Result<(), TorchScriptError> {
        let channels = channels.max(1);
        let frames = (samples.len() / channels) as i64;
        let t = Tensor::from_slice(&samples[..frames as usize * channels])
            .view([channels as i64, frames]);
        let r = self.invoke(
            "set_buffer_attribute",
            &[
                IValue::String(key.to_owned()),
                IValue::Tensor(t),
                IValue::Int(i64::from(rate)),
            ],
        )?;
        let attribute = key.split('#').next().unwrap_or(key).to_owned();
        if r == IValue::Int(-1) {
            return Err(TorchScriptError::Refused {
                path: self.path_buf(),
                attribute,
            });
        }
        let types = self.attribute_types(&attribute)?;
        if types.len() == 1 {
            self.set_attribute(&attribute, &[AttrValue::Str(key.to_owned())])?;
        }
        Ok(())
    }
}

/// A list of strings from a libtorch value (empty for anything else).
fn strings(v: IValue) -> Vec<String> {
    match v {
        IValue::StringList(v) => v,
        IValue::GenericList(items) | IValue::Tuple(items) => items
            .into_iter()
            .filter_map(|i| match i {
                IValue::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
