//! The real-time side: the engine the audio callback calls, its voices, its
//! limiter, the counters it reports through, and the audio ends of the rings
//! that other threads fill or drain (a model stream's output, a recording's
//! tap).
//!
//! Which thread runs each file (the threads on the other end of its rings
//! live higher up: a model's worker in `model/`, a recording's writer in
//! `output/`; nothing here imports from those layers):
//!
//! | file | thread |
//! |---|---|
//! | `engine.rs` | audio (`Engine`); control (`EngineHandle`) |
//! | `voices.rs`, `voice.rs`, `tone_voice.rs`, `limiter.rs`, `guard.rs`, `model_slots.rs`, `waiting_events.rs` | audio |
//! | `stream_output.rs` | audio (the reader of a model stream's ring) |
//! | `worker_wake.rs` | audio (wakes a model stream's worker); the worker says what it waits for |
//! | `live_input.rs` | audio (input gain, monitor, live sampling takes) |
//! | `input_ring.rs` | audio (cpal's input callback writes, the output callback reads) |
//! | `record_tap.rs` | audio (the writer of a recording's ring) |
//! | `no_alloc.rs` | audio (the check around the real callbacks) |
//! | `checked_allocator.rs` | every thread (the global allocator of checking builds) |
//! | `muted.rs` | control (tells the performer what the audio side muted) |
//! | `event.rs`, `status.rs` | plain data and atomics, built or read anywhere |
//! | `sounded.rs` | audio (marks which credited sources sounded); read by whoever writes credits |
//!
//! [`Engine::new`] returns the processor (owned by the audio callback) and an
//! [`EngineHandle`] (owned by the control side). They talk only through
//! bounded wait-free rings and atomics.

pub mod checked_allocator;
pub mod engine;
pub mod event;
pub mod guard;
pub mod input_ring;
pub mod limiter;
pub mod live_input;
pub mod model_slots;
pub mod muted;
pub mod no_alloc;
pub mod record_tap;
pub mod sounded;
pub mod status;
pub mod stream_output;
pub mod tone_voice;
pub mod voice;
pub mod voices;
pub mod waiting_events;
pub mod worker_wake;

pub use checked_allocator::CheckedAllocator;
pub use engine::{Engine, EngineCommand, EngineConfig, EngineHandle, QueueFull};
pub use event::SoundEvent;
pub use record_tap::RecordTap;
pub use status::EngineStatus;
pub use stream_output::{StreamOutput, StreamPlayback};

#[cfg(test)]
mod guard_test;
