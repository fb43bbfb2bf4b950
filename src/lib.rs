//! loam: a live-coding performance server for small generative models.
//!
//! Layers point one way (a module may use only those before it): time,
//! pattern, sound, data → corpus → audio → model → schedule → script → session →
//! control → {osc, midi, output, cli}; `tests/it/layers.rs` keeps it so.
//! The layers that need no libtorch live in the `loam-core` crate (`core/`)
//! and are re-exported here under the same names.

pub use loam_core::{audio, corpus, data, log, pattern, pitch, schedule, sound, time};
pub use loam_core::{say, show};

pub mod control;
pub mod midi;
pub mod model;
pub mod osc;
pub mod output;
pub mod script;
pub mod session;

/// What `loam --version` prints: the version and, in a build with the
/// `link` feature, that it includes Ableton Link's GPL-2.0-or-later code.
pub const VERSION_TEXT: &str = if cfg!(feature = "link") {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (with Ableton Link: this build includes GPL-2.0-or-later code and is distributed under the GPL)"
    )
} else {
    env!("CARGO_PKG_VERSION")
};
