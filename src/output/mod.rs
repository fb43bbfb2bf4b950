//! Where the sound goes: an audio device through cpal (ALSA, CoreAudio,
//! WASAPI, or JACK with the `jack` feature), a null sink that keeps real
//! time without hardware, a WAV recording beside either, and offline renders,
//! each finished file with its credits.

pub mod alsa_quiet;
pub mod credits;
pub mod device;
pub mod device_input;
pub mod error;
pub mod input_error;
#[cfg(all(feature = "jack", target_os = "linux"))]
pub mod jack_duplex;
pub mod null_sink;
pub mod offline;
pub mod offline_input;
pub mod offline_models;
pub mod record_target;
pub mod recorder;
pub mod wav_file;
pub mod wav_info;

pub use credits::{credits_path, programme_note_of, Credits};
pub use device::{open_device, DeviceOutput, HostChoice};
pub use error::{DeviceError, RecordError, RenderError, TargetError, WavError};
pub use null_sink::NullSink;
pub use offline::{render, render_with, RenderOptions, RenderReport};
pub use record_target::{check_target, Sources};
pub use recorder::Recorder;

/// Interleaved stereo frames the callback renders at a time.
pub const CHUNK_FRAMES: usize = 4096;
