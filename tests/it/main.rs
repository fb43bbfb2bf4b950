//! loam's integration tests, in one test binary: each file beside this one
//! was a test binary of its own, and `support/` holds what they share.
//! One binary links libtorch once instead of once per file.

// `assert_no_alloc` checks the engine's process calls (no_alloc,
// model_torchscript); its allocator counts nothing outside those calls.
#[global_allocator]
static ALLOC: loam::audio::CheckedAllocator = loam::audio::CheckedAllocator;

mod support;

mod all_or_nothing;
mod bad_sources;
mod block_size;
mod cli;
mod closed_output;
mod consent;
mod corpus_live;
mod corpus_map;
mod corpus_play;
mod corpus_prepare;
mod cpal_input;
mod credits;
mod credits_models;
mod dense;
mod hostile_inputs;
mod hot_reload;
mod jack_e2e;
mod late_events;
mod layers;
mod libtorch;
#[cfg(feature = "link")]
mod link;
mod live_input;
mod live_input_engine;
mod makam_dataset;
mod melody_models;
mod metre_onsets;
mod midi_clock;
mod midi_controls;
mod midi_learn;
mod midi_out;
mod midi_ports;
mod midi_tuning_out;
mod model_in_script;
mod model_live;
mod model_probe;
mod model_render;
mod model_steps;
mod model_torchscript;
mod model_trained;
mod no_alloc;
mod now_changes;
mod one_hour;
mod osc_clients;
mod osc_echoes;
mod osc_eval;
mod osc_fuzz;
mod osc_replies;
mod osc_timing;
mod osc_types;
mod pattern_functions;
mod pattern_language;
mod pattern_notation;
mod pattern_params;
mod pitch_no_alloc;
mod pitch_render;
mod read_roots;
mod record_target;
mod same_values;
mod sample_files;
mod signal_live;
mod timekeeper;
