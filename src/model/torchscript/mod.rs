//! TorchScript models, the nn~ way: files exported with `nn-tilde` or
//! RAVE's exporter, loaded with tch (libtorch 2.13) and streamed on worker
//! threads.
//!
//! - `Module::load(path)` → a model and its `ModelInfo` (methods with
//!   `[in_ch, in_ratio, out_ch, out_ratio]` and labels, attributes with type
//!   codes, sample rate, latent size). `call`, `attribute`,
//!   `set_attribute`, `sample_rate`, `set_sample_rate`, `warm_up`.
//! - `ModelStream::start(module, StreamConfig)` → `(StreamHandle,
//!   StreamOutput)`: the worker (`worker.rs`) keeps the output ring filled
//!   one buffer ahead; the audio thread calls `StreamOutput::process`
//!   ([`crate::audio::stream_output`]); the control side
//!   (`stream_handle.rs`) writes input audio or latent trajectories, sets/offsets/scales
//!   latent dimensions, reads the latent in use, gets/sets attributes, and
//!   reloads the file without stopping the audio.
//! - `probe.rs`: the real-time-factor probe and the buffer rule (the
//!   smallest buffer that keeps up), run on the worker before it plays.
//!
//! Why loam reads the archive itself. tch 0.26's `CModule` calls methods
//! but cannot read module attributes or buffers, and nn~ keeps what a host
//! needs there (`<method>_params`, labels, attribute type codes, older
//! RAVE's `sampling_rate`). The two ways in were a C++ shim against
//! `torch::jit::Module::attr`, or reading the archive's `data.pkl`. A shim
//! must be compiled with exactly the headers, C++ standard and
//! `_GLIBCXX_USE_CXX11_ABI` flag torch-sys used, by a C++ compiler present
//! on every performer's machine, and breaks silently when those drift. The
//! archive is a documented, stable format (a zip of pickle protocol 2 plus
//! raw little-endian tensors), readable in about 500 lines of safe Rust with
//! no compiler and no ABI, and it lets loam say precisely why a file is not
//! a model before libtorch sees it. The values it reads are the saved ones;
//! everything that can change while playing (attribute values, sample rate,
//! method list) is asked of the live module through its own `get_*`
//! methods.

pub mod archive;
pub mod attribute;
mod driven;
pub mod error;
pub mod info;
pub mod latent;
pub mod module;
pub mod pickle;
pub mod probe;
pub mod stream;
pub mod stream_handle;
mod worker;

/// The audio side of a stream lives with the audio thread's code; named
/// here too because `ModelStream::start` returns it.
pub use crate::audio::stream_output::StreamOutput;
pub use attribute::{AttrType, AttrValue, AttributeInfo};
pub use error::TorchScriptError;
pub use info::{read_info, MethodInfo, ModelInfo};
pub use latent::LatentControls;
pub use module::Module;
pub use probe::{ProbeReport, Timing};
pub use stream::{DrivenStep, ModelStream, Pace, Route, StreamConfig, StreamLayout, StreamStats};
pub use stream_handle::StreamHandle;
