//! The engine: what the audio callback calls once per block.
//!
//! Every event carries an absolute frame. `process` starts each event at its
//! offset inside the block, rendering the voices up to that offset first, so
//! output is sample-accurate and identical for any block size. An event whose
//! frame has already passed starts at offset 0 and is counted late, unless
//! it was sent to play immediately.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};

use super::guard::{FaultReport, SourceFault};
use super::limiter::Limiter;
use super::live_input::{Capture, CaptureNews, CaptureRings, LiveInput};
use super::model_slots::{ModelMsg, ModelSlots};
use super::muted::MutedSources;
use super::stream_output::StreamOutput;
use super::voices::VoicePool;
use super::waiting_events::WaitingEvents;
use super::{EngineStatus, SoundEvent};
use crate::sound::Sample;

/// Fixed capacities and levels, chosen before the audio starts.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Frames per second, in Hz.
    pub sample_rate: u32,
    /// Voice slots (stealing beyond this).
    pub voices: usize,
    /// Frame-stamped events that can wait in the queue.
    pub event_capacity: usize,
    /// Samples that can wait to be freed on the control side.
    pub return_capacity: usize,
    /// Master gain before the limiter (linear).
    pub master_gain: f32,
}

impl EngineConfig {
    /// Defaults for `sample_rate`: 64 voices, 8192 queued events, 4096 returns, master gain 0.5.
    pub fn new(sample_rate: u32) -> EngineConfig {
        EngineConfig {
            sample_rate,
            voices: 64,
            event_capacity: 8192,
            return_capacity: 4096,
            master_gain: 0.5,
        }
    }
}

/// Direct (OSC, MIDI) events that can wait inside the engine for their
/// frame; the ring that brings them holds as many again. While both are
/// full, each block counts one `queue_full` and a send is refused (counted
/// too). Events, because each one is a voice start the engine keeps in
/// frame order.
pub const DIRECT_CAPACITY: usize = 1024;

/// Control messages for the engine (not frame-stamped: applied at the next block).
#[derive(Debug, Clone, Copy)]
pub enum EngineCommand {
    /// Silence every voice now.
    Hush,
    /// Master gain, linear.
    MasterGain(f32),
    /// Live input gain, linear.
    InputGain(f32),
    /// Live input monitor level in the mix, linear (0: off).
    Monitor(f32),
}

/// The audio-side processor. Owned by the audio callback (or an offline renderer).
pub struct Engine {
    events: Consumer<SoundEvent>,
    /// Events from OSC and MIDI: any order, held in `waiting` (in frame
    /// order) until due.
    direct: Consumer<SoundEvent>,
    waiting: WaitingEvents,
    commands: Consumer<EngineCommand>,
    returns: Producer<Arc<Sample>>,
    pool: VoicePool,
    models: ModelSlots,
    limiter: Limiter,
    faults: FaultReport,
    status: Arc<EngineStatus>,
    master_gain: f32,
    frame: u64,
    /// The live input: gain, monitor, captures, models' inputs.
    input: LiveInput,
}

/// The control-side handle: queue events and commands, free what the engine returns.
pub struct EngineHandle {
    events: Producer<SoundEvent>,
    direct: Producer<SoundEvent>,
    commands: Producer<EngineCommand>,
    returns: Consumer<Arc<Sample>>,
    models: Producer<ModelMsg>,
    model_returns: Consumer<Box<StreamOutput>>,
    faults: Consumer<SourceFault>,
    /// Live sampling: takes for the engine, news of them.
    captures: CaptureRings,
    /// The sources the engine muted, as told to the performer.
    pub muted: MutedSources,
    /// The engine's live counters and clock, shared with the audio side.
    pub status: Arc<EngineStatus>,
}

impl Engine {
    /// Builds the processor and its handle. Allocates everything up front.
    pub fn new(config: &EngineConfig) -> (Engine, EngineHandle) {
        let (ev_tx, ev_rx) = RingBuffer::new(config.event_capacity);
        let (direct_tx, direct_rx) = RingBuffer::new(DIRECT_CAPACITY);
        let (cmd_tx, cmd_rx) = RingBuffer::new(64);
        let (ret_tx, ret_rx) = RingBuffer::new(config.return_capacity);
        let (model_tx, model_rx) = RingBuffer::new(64);
        let (model_ret_tx, model_ret_rx) = RingBuffer::new(64);
        let status = Arc::new(EngineStatus::default());
        let (faults, fault_rx) = FaultReport::new(status.clone());
        let (input, captures) = LiveInput::new(status.clone());
        // A 2 ms fade ends voices that have a length.
        let fade = (config.sample_rate / 500).max(1);
        let engine = Engine {
            events: ev_rx,
            direct: direct_rx,
            waiting: WaitingEvents::with_capacity(DIRECT_CAPACITY),
            commands: cmd_rx,
            returns: ret_tx,
            pool: VoicePool::with_sample_rate(config.voices, fade, config.sample_rate),
            models: ModelSlots::new(model_rx, model_ret_tx),
            limiter: Limiter::new(config.sample_rate, 0.98, 0.08),
            faults,
            status: status.clone(),
            master_gain: config.master_gain,
            frame: 0,
            input,
        };
        let handle = EngineHandle {
            events: ev_tx,
            direct: direct_tx,
            commands: cmd_tx,
            returns: ret_rx,
            models: model_tx,
            model_returns: model_ret_rx,
            faults: fault_rx,
            captures,
            muted: MutedSources::new(config.sample_rate),
            status,
        };
        (engine, handle)
    }

    /// The engine clock: frames rendered so far.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Voice slots.
    pub fn voice_capacity(&self) -> usize {
        self.pool.capacity()
    }

    /// Renders one block of interleaved stereo into `out` (overwriting it).
    ///
    /// Called on the audio thread. Never allocates, locks, prints or waits;
    /// only `try`-style ring operations and relaxed atomics.
    pub fn process(&mut self, out: &mut [f32]) {
        self.process_with_input(out, &[], 0);
    }

    /// Renders one block like [`Engine::process`], with `input` the live
    /// input frames of the same block (interleaved, `channels` per frame,
    /// as many frames as `out` has; empty when there is no input stream).
    /// At most [`super::live_input::MAX_INPUT_BLOCK`] frames per call.
    ///
    /// Called on the audio thread, with the same guarantees as `process`.
    pub fn process_with_input(&mut self, out: &mut [f32], input: &[f32], channels: usize) {
        let frames = (out.len() / 2) as u64;
        out.fill(0.0);
        while let Ok(cmd) = self.commands.pop() {
            match cmd {
                EngineCommand::Hush => self.pool.silence(&mut self.returns),
                EngineCommand::MasterGain(g) if g.is_finite() => self.master_gain = g.max(0.0),
                EngineCommand::MasterGain(_) => {}
                EngineCommand::InputGain(g) => self.input.set_gain(g),
                EngineCommand::Monitor(m) => self.input.set_monitor(m),
            }
        }
        self.input.take(input, channels, frames as usize);
        self.input.record(self.frame);
        let (block, in_channels) = self.input.block();
        let dropped = self.models.feed_live(block, in_channels, frames as usize);
        if dropped > 0 {
            self.input.count_dropped(dropped);
        }
        let start = self.frame;
        let end = start + frames;
        self.faults.frame = start;
        // Direct events join the waiting ones in frame order (fixed
        // capacity; what does not fit waits in the ring and is counted).
        if self.waiting.take_from(&mut self.direct) {
            EngineStatus::count(&self.status.queue_full);
        }
        let mut cursor = 0u64;
        loop {
            // The earliest due event of the two sources.
            let scheduled = self
                .events
                .peek()
                .ok()
                .map(|e| e.frame)
                .filter(|f| *f < end);
            let direct = self
                .waiting
                .next_before(end)
                .map(|e| (e.frame, e.immediate));
            // At the same frame a scheduled event goes first.
            let (frame, from_direct, immediate) = match (scheduled, direct) {
                (None, None) => break,
                (Some(f), None) => (f, false, false),
                (None, Some((g, now))) => (g, true, now),
                (Some(f), Some((g, now))) => {
                    if g < f {
                        (g, true, now)
                    } else {
                        (f, false, false)
                    }
                }
            };
            // Only events due at a time count as late: an immediate play
            // landing a block after the one it was stamped for is on time.
            let offset = if frame < start {
                if !immediate {
                    EngineStatus::count(&self.status.late_events);
                }
                0
            } else {
                frame - start
            };
            if offset > cursor {
                self.pool.render(
                    &mut out[(cursor * 2) as usize..(offset * 2) as usize],
                    &mut self.returns,
                    &mut self.faults,
                );
                cursor = offset;
            }
            let event = if from_direct {
                self.waiting.pop()
            } else {
                self.events.pop().ok()
            };
            if let Some(mut event) = event {
                event.sample = self.input.substitute(event.sample, &mut self.returns);
                self.pool.start(event, &mut self.returns, &self.status);
            }
        }
        if cursor < frames {
            self.pool.render(
                &mut out[(cursor * 2) as usize..],
                &mut self.returns,
                &mut self.faults,
            );
        }
        self.models
            .process(out, &mut self.faults, &self.status.sounded);
        if self.master_gain != 1.0 {
            for x in out.iter_mut() {
                *x *= self.master_gain;
            }
        }
        // The monitor's level is its own (after the master gain), and the
        // limiter still guards the sum.
        self.input.monitor_into(out);
        self.limiter.process(out);
        self.frame = end;
        self.status
            .active_voices
            .store(self.pool.active() as u64, Ordering::Relaxed);
        self.status.frames.store(end, Ordering::Release);
    }
}

/// The event ring is full; the event comes back.
#[derive(Debug)]
pub struct QueueFull(pub SoundEvent);

impl EngineHandle {
    /// Queues an event. Events must be queued in frame order.
    pub fn send(&mut self, event: SoundEvent) -> Result<(), QueueFull> {
        self.events.push(event).map_err(|rtrb::PushError::Full(e)| {
            EngineStatus::count(&self.status.queue_full);
            QueueFull(e)
        })
    }

    /// Sends an event that may be out of order with the scheduled ones (OSC,
    /// MIDI); it waits inside the engine until its frame.
    pub fn send_direct(&mut self, event: SoundEvent) -> Result<(), QueueFull> {
        self.direct.push(event).map_err(|rtrb::PushError::Full(e)| {
            EngineStatus::count(&self.status.queue_full);
            QueueFull(e)
        })
    }

    /// Free slots in the event ring.
    pub fn room(&self) -> usize {
        self.events.slots()
    }

    /// Sends a model stream to, or takes one from, the mixer. Attaching or
    /// detaching a slot ends what [`MutedSources`] says about it.
    pub fn model(&mut self, msg: ModelMsg) -> Result<(), ModelMsg> {
        let slot = match &msg {
            ModelMsg::Attach { slot, .. } | ModelMsg::Detach(slot) => Some(*slot),
            ModelMsg::Gain { .. } => None,
        };
        self.models
            .push(msg)
            .map_err(|rtrb::PushError::Full(m)| m)?;
        if let Some(slot) = slot {
            self.muted.slot_cleared(slot);
        }
        Ok(())
    }

    /// Sources the engine muted since the last call, each told once: one
    /// line per source saying which and why (`model_name` names a model
    /// slot). Control side.
    pub fn muted_sources(&mut self, model_name: impl Fn(usize) -> Option<String>) -> Vec<String> {
        let mut told = Vec::new();
        while let Ok(fault) = self.faults.pop() {
            if let Some(line) = self.muted.tell(fault, &model_name) {
                told.push(line);
            }
        }
        told
    }

    /// Queues `cmd` for the next block; false when the command ring is full (nothing is sent).
    pub fn command(&mut self, cmd: EngineCommand) -> bool {
        self.commands.push(cmd).is_ok()
    }

    /// Drops, here on the control side, what the engine no longer needs.
    pub fn collect_garbage(&mut self) -> usize {
        let mut n = 0;
        while let Ok(sample) = self.returns.pop() {
            drop(sample);
            n += 1;
        }
        while let Ok(stream) = self.model_returns.pop() {
            drop(stream);
            n += 1;
        }
        n
    }

    /// Frames rendered so far: the engine clock.
    pub fn frames(&self) -> u64 {
        self.status.frames()
    }

    /// Sends a live-sampling take to the engine; it comes back when the
    /// ring is full.
    pub fn capture(&mut self, take: Box<Capture>) -> Result<(), Box<Capture>> {
        self.captures
            .requests
            .push(take)
            .map_err(|rtrb::PushError::Full(t)| t)
    }

    /// What the engine said about takes since the last call (control side;
    /// retired takes are dropped by the caller, here).
    pub fn capture_news(&mut self) -> Vec<CaptureNews> {
        let mut news = Vec::new();
        while let Ok(n) = self.captures.news.pop() {
            news.push(n);
        }
        news
    }
}
