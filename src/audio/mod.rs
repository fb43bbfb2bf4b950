//! The real-time side: the engine the audio callback calls, its voices, its
//! limiter, and the counters it reports through.
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
pub mod status;
pub mod voice;
pub mod voices;

pub use engine::{Engine, EngineCommand, EngineConfig, EngineHandle, QueueFull};
pub use event::SoundEvent;
pub use status::EngineStatus;

#[cfg(test)]
mod guard_test;
