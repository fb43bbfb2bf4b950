//! The render's input file (`loam render --input take.wav`) where a live
//! performance has its live input: the engine takes it block by block as it
//! takes the sound card's input, so `capture("name", bars)`,
//! `input_gain(g)` and `input_monitor(level)` do in a render what they do
//! live (models read the same file through [`super::offline_models`]).
//!
//! When what a script asks of the input happens, in engine frames (none
//! depends on the render's block size):
//! - What the script's first run asks for, at frame 0; what a bar's code
//!   asks for, at the frame that code runs (the scheduler's plan margin
//!   before the bar line), exactly as the render plans it.
//! - A capture starts on the first bar line after that frame (so a bar's
//!   `capture` records from that bar on, and the first run's from bar 1),
//!   the rule `serve` follows with no lookahead: a live capture asked for
//!   in a bar's code starts on the same bar line. It plays from the bar
//!   line after its last frame.
//! - Gain and monitor changes apply from that frame on.
//!
//! Credits. A take is credited to the input file (its path and SHA-256),
//! never to the clock on the wall: two renders of the same script and file
//! are identical, their credits too. The file is credited when it sounded:
//! a take of it played, a model heard it (a frame that was not silence), or
//! the monitor played it.

use std::path::Path;

use super::offline_models::OfflineModels;
use crate::audio::live_input::MAX_INPUT_BLOCK;
use crate::audio::Engine;
use crate::control::live_input::InputDesk;
use crate::control::Notice;
use crate::data::credit::{content_hash, credit_for, Credit, CreditedSource};
use crate::schedule::InputOp;
use crate::session::Session;

/// The render's input on the engine's side, and what scripts asked of it.
pub struct OfflineInput {
    desk: InputDesk,
    /// The file's credit (`None`: the render has no input).
    credit: Option<Credit>,
    /// The input gain and the monitor level now.
    gain: f32,
    monitor: f32,
    /// The monitor played a frame of the input that was not silence.
    monitored: bool,
    block: Vec<f32>,
}

impl OfflineInput {
    /// The input of a render reading `path` (`None`: no input), with
    /// `channels` channels. Reads the file's bytes once for its hash.
    pub fn new(path: Option<&Path>, channels: usize) -> Result<OfflineInput, String> {
        let mut desk = InputDesk::default();
        let credit = match path {
            Some(path) => {
                let bytes =
                    std::fs::read(path).map_err(|e| format!("--input {}: {e}", path.display()))?;
                let credit = credit_for(CreditedSource::InputFile {
                    path: path.to_path_buf(),
                    hash: content_hash(&bytes),
                });
                desk.open_file(channels, credit, format!("input file {}", path.display()));
                Some(credit)
            }
            None => None,
        };
        Ok(OfflineInput {
            desk,
            credit,
            gain: 1.0,
            monitor: 0.0,
            monitored: false,
            block: Vec::new(),
        })
    }

    /// Carries out, at engine frame `now`, what scripts asked of the input
    /// since the last call (the session's and the planner's queues); says
    /// what happened in `messages`. A capture without an input file is a
    /// message, and the render goes on.
    pub fn apply(
        &mut self,
        now: u64,
        session: &mut Session,
        models: &mut OfflineModels,
        messages: &mut Vec<String>,
    ) {
        let mut ops = std::mem::take(&mut session.input_ops);
        ops.extend(session.scheduler.planner_mut().take_input_ops());
        for op in ops {
            if let InputOp::Capture { name, bars } = &op {
                if self.credit.is_none() {
                    messages.push(format!(
                        "capture(\"{name}\", {bars}): this render has no input: give one with `loam render --input FILE`"
                    ));
                    continue;
                }
            }
            match &op {
                InputOp::Gain(g) if op.check().is_ok() => {
                    self.gain = *g as f32;
                    models.set_input_gain(now, *g as f32);
                }
                InputOp::Monitor(m) if op.check().is_ok() => self.monitor = *m as f32,
                _ => {}
            }
            // No lookahead: the engine takes the operation at `now`.
            match self.desk.apply(op, session, 0) {
                Ok(m) => messages.push(m),
                Err(e) => messages.push(e),
            }
        }
    }

    /// Renders `out` (interleaved stereo, starting at engine frame `now`)
    /// with the input file's frames of the same block, in pieces of at most
    /// [`MAX_INPUT_BLOCK`] frames; without an input, as [`Engine::process`].
    pub fn process(
        &mut self,
        engine: &mut Engine,
        out: &mut [f32],
        now: u64,
        models: &mut OfflineModels,
    ) {
        let channels = models.input_channels();
        if self.credit.is_none() || channels == 0 {
            engine.process(out);
            return;
        }
        for (i, piece) in out.chunks_mut(2 * MAX_INPUT_BLOCK).enumerate() {
            let at = now + (i * MAX_INPUT_BLOCK) as u64;
            models.input_block(at, piece.len() / 2, &mut self.block);
            engine.process_with_input(piece, &self.block, channels);
            if self.monitor * self.gain > 0.0 && self.block.iter().any(|v| *v != 0.0) {
                self.monitored = true;
            }
        }
    }

    /// Takes what the engine said about takes (finished ones go into the
    /// bank), into `messages`.
    pub fn poll(&mut self, session: &mut Session, messages: &mut Vec<String>) {
        for notice in self.desk.poll(session) {
            match notice {
                Notice::Info(m) | Notice::Error(m) => messages.push(m),
                _ => {}
            }
        }
    }

    /// Marks the input file as sounded when a model heard it or the
    /// monitor played it (a take of it marks itself as it plays).
    pub fn finish(&self, session: &Session, models: &OfflineModels) {
        if let Some(credit) = self.credit {
            if self.monitored || models.heard_input() {
                session.handle.status.sounded.mark(credit);
            }
        }
    }
}
