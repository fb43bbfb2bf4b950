//! The real-time side: the engine the audio callback calls, its voices, its
//! limiter, the counters it reports through, and the audio ends of the rings
//! that other threads fill or drain (a model stream's output, a recording's
//! tap).
//!
//! Everything in this folder runs on the audio thread, except what a
//! handle offers the control side ([`EngineHandle`], the constructors, and
//! [`MutedSources`](muted::MutedSources), which tells the performer what
//! the engine muted). The threads on the other end of its rings live
//! higher up: a model's worker in `model/`, a recording's writer in
//! `output/`. Nothing here imports from those layers.
//!
//! [`Engine::new`] returns the processor (owned by the audio callback) and an
//! [`EngineHandle`] (owned by the control side). They talk only through
//! bounded wait-free rings and atomics.

pub mod engine;
pub mod event;
pub mod guard;
pub mod limiter;
pub mod model_slots;
pub mod muted;
pub mod no_alloc;
pub mod record_tap;
pub mod status;
pub mod stream_output;
pub mod voice;
pub mod voices;

pub use engine::{Engine, EngineCommand, EngineConfig, EngineHandle, QueueFull};
pub use event::SoundEvent;
pub use record_tap::RecordTap;
pub use status::EngineStatus;
pub use stream_output::{StreamOutput, StreamPlayback};

#[cfg(test)]
mod guard_test;
