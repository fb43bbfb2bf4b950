//! The thread that runs one model instance for one stream: warms the
//! route's methods up, then computes a buffer whenever the output ring has
//! room for one, between buffers answering attribute requests and swapping
//! in a reloaded model. Runs on the model's worker thread (the audio
//! side is `audio/stream_output.rs`, the control side `stream_handle.rs`);
//! a driven stream's worker, once warm, runs on its caller's thread
//! instead (`driven.rs`).
//! See `stream.rs` for the timing contract.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::driven::DrivenWorker;
use super::error::TorchScriptError;
use super::module::Module;
use super::stream::{DrivenStep, Pace, Route, StreamLayout, StreamState, WorkerCommand};
use crate::sound::StreamResampler;

pub(crate) struct Worker {
    pub module: Module,
    pub route: Route,
    pub layout: StreamLayout,
    pub warm_up_calls: usize,
    pub pace: Pace,
    pub shared: Arc<StreamState>,
    pub commands: Receiver<WorkerCommand>,
    pub output: rtrb::Producer<f32>,
    pub input: rtrb::Consumer<f32>,
    pub latent_in: rtrb::Consumer<f32>,
    pub latent_out: rtrb::Producer<f32>,
    /// `Some(engine block)` when the audio side feeds the input from the
    /// live input (see `stream::LiveInputConfig` for the timing).
    pub live_block: Option<usize>,
    /// The longest it sleeps unwoken ([`super::stream::StreamConfig::longest_sleep`]).
    pub longest_sleep: Duration,
}

/// What a live stream's worker sleeps until.
#[derive(Clone, Copy, Debug)]
enum Waiting {
    /// A command only (paused).
    Command,
    /// This many free samples in the output ring: room for one buffer.
    Room(usize),
    /// This many samples queued in the input ring: the rest of a buffer.
    Input(usize),
}

/// Buffers the worker reuses from one computation to the next.
pub(crate) struct Scratch {
    in_resampler: StreamResampler,
    out_resampler: StreamResampler,
    /// Model-rate input frames, interleaved, not yet used.
    in_fifo: Vec<f32>,
    /// Model frames of silence padded in for late input, to skip when it comes.
    in_debt: usize,
    /// `planar_in` already holds the next buffer's input, not yet computed
    /// (gathered by a driven step, or a whole buffer of live input).
    gathered: bool,
    planar_in: Vec<f32>,
    latents: Vec<f32>,
    planar_out: Vec<f32>,
    interleaved: Vec<f32>,
    resampled: Vec<f32>,
    last_latent: Vec<f32>,
    frame: Vec<f32>,
}

impl Worker {
    /// Warms the route's methods up and reports on `ready`. A live stream
    /// ([`Pace::RealTime`]) then runs here until `WorkerCommand::Stop` or
    /// the handle is dropped, and reports `Ok(None)`; a driven stream
    /// ([`Pace::Driven`]) reports `Ok(Some(..))`, handing itself to the
    /// caller, whose thread computes each buffer when asked (no hand-off
    /// between threads per buffer), and this thread ends.
    pub fn run(mut self, ready: Sender<Result<Option<Box<DrivenWorker>>, TorchScriptError>>) {
        // One intra-op thread per model: inference never takes every core.
        tch::set_num_threads(1);
        let _no_grad = tch::no_grad_guard();
        let mut s = match self.prepare() {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if self.pace == Pace::Driven {
            let _ = ready.send(Ok(Some(Box::new(DrivenWorker::new(self, s)))));
            return;
        }
        // The audio side can wake this thread from its first block.
        self.shared.playback.wake.register();
        let _ = ready.send(Ok(None));
        let l = self.layout.clone();
        let longest_sleep = self.longest_sleep;
        let makes_audio = l.out_channels > 0;
        let out_room = s.out_resampler.max_output(l.buffer) * l.out_channels;
        let mut playing = false;
        // What the last look found missing, for the audio side to wake on.
        let mut waiting = Waiting::Command;
        loop {
            loop {
                match self.commands.try_recv() {
                    Ok(command) => {
                        if !self.apply(&mut s, &mut playing, command) {
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            let ready = playing && {
                if makes_audio && self.output.slots() < out_room {
                    waiting = Waiting::Room(out_room);
                    false
                } else if makes_audio && self.live_block.is_none() {
                    true
                } else if s.gathered {
                    // A live input: compute only whole buffers of it.
                    true
                } else {
                    s.gathered = self.gather_audio(&mut s, false);
                    if !s.gathered {
                        waiting = Waiting::Input(self.input_missing(&s));
                    }
                    s.gathered
                }
            };
            if ready {
                self.compute(&mut s);
                continue;
            }
            if !playing {
                waiting = Waiting::Command;
            }
            self.sleep(waiting, longest_sleep);
        }
    }

    /// Input samples the input ring must hold before a whole buffer can be
    /// gathered (after a gather that fell short, which emptied the ring).
    fn input_missing(&self, s: &Scratch) -> usize {
        let ch = self.layout.in_channels.max(1);
        let have = s.in_fifo.len() / ch;
        let frames = s
            .in_resampler
            .input_needed(self.layout.buffer.saturating_sub(have));
        frames.max(1) * ch
    }

    /// Sleeps until the audio side makes `waiting` true, a command comes
    /// (the control side wakes the worker when it sends one, or queues
    /// input), or `longest` passes (a guard: nothing should need it).
    fn sleep(&self, waiting: Waiting, longest: Duration) {
        let wake = &self.shared.playback.wake;
        let (room, input) = match waiting {
            Waiting::Room(n) => (n, 0),
            Waiting::Input(n) => (0, n),
            Waiting::Command => (0, 0),
        };
        wake.expect(room, input);
        // One more look: the audio side may have made room, or queued the
        // input, before it could see what the worker waits for.
        let already = match waiting {
            Waiting::Room(n) => self.output.slots() >= n,
            Waiting::Input(n) => self.input.slots() >= n,
            Waiting::Command => false,
        };
        if !already {
            self.shared.sleeps.fetch_add(1, Ordering::Relaxed);
            std::thread::park_timeout(longest);
        }
        wake.clear();
    }

    /// Warms the route's methods up and makes the buffers computing reuses.
    fn prepare(&mut self) -> Result<Scratch, TorchScriptError> {
        let l = self.layout.clone();
        self.module
            .warm_up_methods(&self.route.methods(), l.buffer, self.warm_up_calls.max(1))?;
        Ok(Scratch {
            in_resampler: StreamResampler::new(l.in_channels, l.engine_rate, l.model_rate),
            out_resampler: StreamResampler::new(l.out_channels, l.model_rate, l.engine_rate),
            in_fifo: Vec::with_capacity(4 * l.buffer * l.in_channels.max(1)),
            in_debt: 0,
            gathered: false,
            planar_in: Vec::with_capacity(l.buffer * l.in_channels.max(1)),
            latents: Vec::with_capacity(l.buffer * l.latent_dims.max(1)),
            planar_out: Vec::with_capacity(l.buffer * l.out_channels.max(1)),
            interleaved: Vec::with_capacity(l.buffer * l.out_channels.max(1)),
            resampled: Vec::with_capacity(2 * l.latency_frames * l.out_channels.max(1)),
            last_latent: vec![0.0; l.latent_dims],
            frame: vec![0.0; l.latent_dims],
        })
    }

    /// Carries out one command from the control side, between two
    /// buffers. False for `Stop`: the stream ends.
    pub(super) fn apply(
        &mut self,
        s: &mut Scratch,
        playing: &mut bool,
        command: WorkerCommand,
    ) -> bool {
        let l = &self.layout;
        match command {
            WorkerCommand::Play => {
                if !*playing
                    && l.out_channels > 0
                    && self.output.slots() == self.output.buffer().capacity()
                {
                    // An empty ring: one buffer of silence first (the
                    // latency), and one engine block more for a live input.
                    let extra = self.live_block.unwrap_or(0);
                    let n = ((l.latency_frames + extra) * l.out_channels).min(self.output.slots());
                    if let Ok(chunk) = self.output.write_chunk_uninit(n) {
                        chunk.fill_from_iter(std::iter::repeat(0.0));
                    }
                }
                *playing = true;
                self.shared.playback.playing.store(true, Ordering::Relaxed);
            }
            WorkerCommand::Pause => *playing = false,
            WorkerCommand::Stop => return false,
            WorkerCommand::GetAttribute(name, reply) => {
                let _ = reply.send(self.module.attribute(&name));
            }
            WorkerCommand::SetAttribute(name, values, reply) => {
                let _ = reply.send(self.module.set_attribute(&name, &values));
            }
            WorkerCommand::Replace(module, reply) => {
                self.module = *module;
                let _ = reply.send(Ok(()));
            }
            WorkerCommand::Compute(reply) => {
                let _ = reply.send(self.compute_driven(s));
            }
            WorkerCommand::Settle(reply) => {
                let _ = reply.send(());
            }
        }
        true
    }

    /// One buffer, asked for by an offline renderer: computed only when the
    /// route's whole input is queued (a live input pads what is late with
    /// silence; a render never does), so the result depends only on what
    /// was queued. A method's error is the error of this step.
    pub(super) fn compute_driven(
        &mut self,
        s: &mut Scratch,
    ) -> Result<DrivenStep, TorchScriptError> {
        let ch = self.layout.in_channels;
        if ch > 0 && !s.gathered {
            if !self.gather_audio(s, false) {
                let have = s.in_fifo.len() / ch;
                let need = s
                    .in_resampler
                    .input_needed(self.layout.buffer.saturating_sub(have))
                    .max(1);
                return Ok(DrivenStep::NeedInput(need));
            }
            s.gathered = true;
        }
        let errors = self.shared.errors.load(Ordering::Relaxed);
        let frames = self.compute(s);
        if self.shared.errors.load(Ordering::Relaxed) != errors {
            let message = self
                .shared
                .last_error
                .lock()
                .ok()
                .and_then(|e| e.clone())
                .unwrap_or_default();
            return Err(TorchScriptError::Stream {
                path: self.module.path().to_owned(),
                message,
            });
        }
        Ok(DrivenStep::Computed { frames })
    }

    /// Moves queued input through the input resampler until a buffer of
    /// model frames is ready. With `pad`, missing input becomes silence (a
    /// live input that is late), skipped when it arrives.
    fn gather_audio(&mut self, s: &mut Scratch, pad: bool) -> bool {
        let ch = self.layout.in_channels.max(1);
        let b = self.layout.buffer;
        loop {
            let have = s.in_fifo.len() / ch;
            if have >= b {
                break;
            }
            let take = s
                .in_resampler
                .input_needed(b - have)
                .max(1)
                .min(self.input.slots() / ch);
            if take == 0 {
                break;
            }
            let Ok(chunk) = self.input.read_chunk(take * ch) else {
                break;
            };
            let (x, y) = chunk.as_slices();
            s.in_resampler.process(x, &mut s.in_fifo);
            s.in_resampler.process(y, &mut s.in_fifo);
            chunk.commit_all();
            if s.in_debt > 0 {
                let skip = s.in_debt.min(s.in_fifo.len() / ch);
                s.in_fifo.drain(..skip * ch);
                s.in_debt -= skip;
            }
        }
        let have = s.in_fifo.len() / ch;
        if have < b {
            if !pad {
                return false;
            }
            s.in_debt += b - have;
            s.in_fifo.resize(b * ch, 0.0);
        }
        // Interleaved FIFO → planar buffer for the model.
        s.planar_in.clear();
        s.planar_in.resize(b * ch, 0.0);
        for (i, frame) in s.in_fifo[..b * ch].chunks_exact(ch).enumerate() {
            for (c, v) in frame.iter().enumerate() {
                s.planar_in[c * b + i] = *v;
            }
        }
        s.in_fifo.drain(..b * ch);
        true
    }

    /// Applies the latent controls to planar latents (`dims × n`) in place,
    /// reading trajectory frames from `latent_in` when `from_queue`, and
    /// publishes what will be decoded.
    fn shape_latents(&mut self, s: &mut Scratch, n: usize, from_queue: bool) {
        let dims = self.layout.latent_dims;
        if dims == 0 {
            return;
        }
        for j in 0..n {
            if from_queue {
                if self.latent_in.slots() >= dims {
                    if let Ok(chunk) = self.latent_in.read_chunk(dims) {
                        let (a, b) = chunk.as_slices();
                        s.last_latent[..a.len()].copy_from_slice(a);
                        s.last_latent[a.len()..].copy_from_slice(b);
                        chunk.commit_all();
                    }
                }
                s.frame.copy_from_slice(&s.last_latent);
            } else {
                for d in 0..dims {
                    s.frame[d] = s.latents[d * n + j];
                }
            }
            if self.layout.out_channels > 0 {
                self.shared.latent.apply(&mut s.frame);
            }
            for d in 0..dims {
                s.latents[d * n + j] = s.frame[d];
            }
            if self.latent_out.slots() >= dims {
                if let Ok(chunk) = self.latent_out.write_chunk_uninit(dims) {
                    chunk.fill_from_iter(s.frame.iter().copied());
                }
            } else {
                self.shared.latent_overflows.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.shared.latent.publish(&s.frame);
    }

    fn run_route(&mut self, s: &mut Scratch) -> Result<(), TorchScriptError> {
        let b = self.layout.buffer;
        let n = b / self.layout.latent_ratio.max(1);
        match self.route.clone() {
            Route::Audio(m) => {
                if !std::mem::take(&mut s.gathered) {
                    self.gather_audio(s, true);
                }
                self.module.call_into(&m, &s.planar_in, &mut s.planar_out)?;
            }
            Route::Decode(m) => {
                s.latents.clear();
                s.latents.resize(n * self.layout.latent_dims, 0.0);
                self.shape_latents(s, n, true);
                self.module.call_into(&m, &s.latents, &mut s.planar_out)?;
            }
            Route::Encode(m) => {
                // Input was gathered when the worker saw a full buffer queued.
                s.gathered = false;
                self.module.call_into(&m, &s.planar_in, &mut s.latents)?;
                let frames = s.latents.len() / self.layout.latent_dims.max(1);
                self.shape_latents(s, frames, false);
            }
            Route::EncodeDecode { encode, decode } => {
                if !std::mem::take(&mut s.gathered) {
                    self.gather_audio(s, true);
                }
                self.module
                    .call_into(&encode, &s.planar_in, &mut s.latents)?;
                let frames = s.latents.len() / self.layout.latent_dims.max(1);
                self.shape_latents(s, frames, false);
                self.module
                    .call_into(&decode, &s.latents, &mut s.planar_out)?;
            }
        }
        Ok(())
    }

    /// Computes one buffer and pushes its audio; returns the engine frames pushed.
    fn compute(&mut self, s: &mut Scratch) -> usize {
        let start = Instant::now();
        let result = self.run_route(s);
        let us = start.elapsed().as_micros() as u64;
        self.shared.last_compute_us.store(us, Ordering::Relaxed);
        self.shared.max_compute_us.fetch_max(us, Ordering::Relaxed);
        self.shared.buffers.fetch_add(1, Ordering::Relaxed);
        let ch = self.layout.out_channels;
        if ch == 0 {
            if let Err(e) = result {
                self.record_error(e);
            }
            return 0;
        }
        let b = self.layout.buffer;
        if let Err(e) = result {
            self.record_error(e);
            s.planar_out.clear();
            s.planar_out.resize(b * ch, 0.0);
        }
        // Planar → interleaved; a method that returned fewer frames than the
        // buffer is padded with silence so the stream keeps its clock (and
        // the mismatch, checked at load on silence, is reported now).
        let frames = s.planar_out.len() / ch;
        if frames != b {
            let method = self.route.methods().last().map(|m| m.to_string());
            self.record_error(TorchScriptError::Shape {
                path: self.module.path().to_owned(),
                method: method.unwrap_or_default(),
                message: format!(
                    "returned {frames} frames for a {b}-frame buffer; what is missing is silence"
                ),
            });
        }
        s.interleaved.clear();
        s.interleaved.resize(b * ch, 0.0);
        for c in 0..ch {
            for i in 0..frames.min(b) {
                s.interleaved[i * ch + c] = s.planar_out[c * frames + i];
            }
        }
        s.resampled.clear();
        s.out_resampler.process(&s.interleaved, &mut s.resampled);
        // Frames the audio side already played as silence are dropped.
        let made = s.resampled.len() / ch;
        let skip = self.shared.playback.skip.swap(0, Ordering::Relaxed) as usize;
        let dropped = skip.min(made);
        if skip > made {
            self.shared
                .playback
                .skip
                .fetch_add((skip - made) as u64, Ordering::Relaxed);
        }
        let data = &s.resampled[dropped * ch..];
        let n = data.len().min(self.output.slots() / ch * ch);
        match self.output.write_chunk_uninit(n) {
            Ok(chunk) => chunk.fill_from_iter(data[..n].iter().copied()) / ch,
            Err(_) => 0,
        }
    }

    fn record_error(&self, e: TorchScriptError) {
        self.shared.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.shared.last_error.lock() {
            *last = Some(e.to_string());
        }
    }
}
