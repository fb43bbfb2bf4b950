//! Sounds: everything loam can play, as in-memory sample buffers.
//!
//! The engine plays every sound as sample playback; gain, pan, rate and
//! length belong to its voices. This module only produces [`Sample`]s, at
//! the engine's sample rate, on a control thread at load time:
//!
//! - [`drum_kit`] synthesises the built-in kit (kick, snare, hats, clap, rim,
//!   toms, cowbell, shaker, bell) deterministically at any rate;
//! - [`load_wav`] reads a WAV file and resamples it (windowed sinc);
//! - [`SoundBank`] maps names to ordered variants and loads SuperDirt-style
//!   sample folders.
//!
//! Nothing here is meant for the audio thread (loading allocates, reads
//! files and may take a while), except the synthesis kernels of the
//! built-in pitched voices in [`tone`], whose `start` and `next` the
//! audio thread calls and which never allocate.

mod bank;
mod filter;
pub mod input_source;
mod kit;
mod resample;
mod sample;
pub mod smpl;
pub mod tone;
mod wav;
mod wav_header;

pub use bank::{FolderLoad, SampleFolder, SoundBank};
pub use input_source::{FileInput, InputSource};

/// The sample rate, in Hz, sounds are read at when no engine has said its
/// own (a script evaluated on its own, as in tests and benches); `loam
/// serve` and `loam render` default to it too.
pub const DEFAULT_SAMPLE_RATE: u32 = 48_000;
pub use kit::{drum_kit, KIT_NAMES, KIT_SOURCE};
pub use resample::{resample, StreamResampler};
pub use sample::{Sample, SoundError};
pub use wav::{load_wav, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
/// A WAV file's header without its samples (datasets count seconds of audio with it).
pub use wav_header::{read_header as read_wav_header, WavHeader};
