//! What the integration tests share: scratch folders and scripts, renders,
//! reading recordings, waiting for a state, child processes and `loam
//! serve`, an OSC client and server, a private JACK server with a MIDI peer,
//! exported test models, and the turns that let timing tests run alone.
#![allow(dead_code)]

pub mod alone;
pub mod files;
pub mod jack;
pub mod midi;
pub mod models;
pub mod osc;
pub mod pitch;
pub mod process;
pub mod render;
pub mod serve;
pub mod sound;
pub mod wait;

pub use alone::alone;
pub use files::{script_with_click, temp_dir};
pub use process::{spawn, Finished};
pub use render::{render, round_half_up};
pub use serve::{serve_command, summary_value};
pub use sound::{onsets, read_wav};
// Used only by the JACK MIDI tests (midi_controls, midi_learn).
#[cfg(all(feature = "jack", target_os = "linux"))]
pub use serve::LOAM;
#[cfg(all(feature = "jack", target_os = "linux"))]
pub use sound::{read_wav_peaks, Onsets};
pub use wait::eventually;
