//! Model voices in the mixer: each loaded model's stream output plays
//! through a slot with its own gain and pan. Streams arrive and leave over a
//! ring; a detached stream goes back to the control side to be dropped there.
//!
//! Each slot's block is checked before it is mixed ([`super::guard`]): a
//! model that produces NaN, infinities or values past
//! [`super::guard::SOURCE_LIMIT`] is muted until a stream is attached to its
//! slot again (a reload) or it is detached, and reported once.

use rtrb::{Consumer, Producer};

use super::guard::{scan_scaled, Fault, FaultReport, MixSource};
use super::sounded::SoundedSources;
use super::stream_output::StreamOutput;
use crate::data::credit::Credit;

/// How many models can sound at once.
pub const MODEL_SLOTS: usize = 8;

/// Frames a slot renders at a time (blocks longer than this are split).
const SCRATCH_FRAMES: usize = 4096;

/// Messages from the control side to the slots.
pub enum ModelMsg {
    /// Start playing a stream's output in a slot.
    Attach {
        /// The slot, 0 … [`MODEL_SLOTS`] − 1.
        slot: usize,
        /// The stream's audio-side reader.
        output: Box<StreamOutput>,
        /// Linear gain.
        gain: f32,
        /// −1 (left) … 1 (right).
        pan: f32,
        /// The model file credited when the slot sounds.
        credit: Credit,
    },
    /// Stop a slot; its output goes back over the return ring.
    Detach(usize),
    /// Change a slot's gain and pan.
    Gain {
        /// The slot, 0 … [`MODEL_SLOTS`] − 1.
        slot: usize,
        /// Linear gain.
        gain: f32,
        /// −1 (left) … 1 (right).
        pan: f32,
    },
}

struct Slot {
    output: Box<StreamOutput>,
    gain_l: f32,
    gain_r: f32,
    /// Set when the slot was muted for a bad value; it stays silent.
    muted: Option<Fault>,
    /// The model credited when the slot sounds.
    credit: Credit,
}

fn gains(gain: f32, pan: f32) -> (f32, f32) {
    let gain = if gain.is_finite() { gain.max(0.0) } else { 0.0 };
    let pan = if pan.is_finite() {
        pan.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    (gain * (1.0 - pan).min(1.0), gain * (1.0 + pan).min(1.0))
}

/// The audio side of the model voices.
pub struct ModelSlots {
    slots: Vec<Option<Slot>>,
    messages: Consumer<ModelMsg>,
    returns: Producer<Box<StreamOutput>>,
    scratch: Vec<f32>,
}

impl ModelSlots {
    /// Empty slots that read `messages` and send outputs they let go of back over `returns`.
    pub fn new(messages: Consumer<ModelMsg>, returns: Producer<Box<StreamOutput>>) -> ModelSlots {
        ModelSlots {
            slots: (0..MODEL_SLOTS).map(|_| None).collect(),
            messages,
            returns,
            scratch: vec![0.0; SCRATCH_FRAMES * 2],
        }
    }

    fn detach(&mut self, slot: usize) -> bool {
        if self.returns.is_full() {
            return false;
        }
        if let Some(s) = self.slots.get_mut(slot).and_then(Option::take) {
            let _ = self.returns.push(s.output);
        }
        true
    }

    /// Applies the messages waiting (attach, detach, gain). Audio thread.
    fn apply_messages(&mut self) {
        while let Ok(peek) = self.messages.peek() {
            let needs_return = match peek {
                // An attach to a bad slot sends its stream straight back.
                ModelMsg::Attach { slot, .. } => self.slots.get(*slot).is_none_or(Option::is_some),
                ModelMsg::Detach(_) => true,
                ModelMsg::Gain { .. } => false,
            };
            if needs_return && self.returns.is_full() {
                break;
            }
            let Ok(msg) = self.messages.pop() else { break };
            match msg {
                ModelMsg::Attach {
                    slot,
                    output,
                    gain,
                    pan,
                    credit,
                } => {
                    if slot >= self.slots.len() {
                        let _ = self.returns.push(output);
                        continue;
                    }
                    self.detach(slot);
                    let (gain_l, gain_r) = gains(gain, pan);
                    self.slots[slot] = Some(Slot {
                        output,
                        gain_l,
                        gain_r,
                        muted: None,
                        credit,
                    });
                }
                ModelMsg::Detach(slot) => {
                    self.detach(slot);
                }
                ModelMsg::Gain { slot, gain, pan } => {
                    if let Some(Some(s)) = self.slots.get_mut(slot) {
                        (s.gain_l, s.gain_r) = gains(gain, pan);
                    }
                }
            }
        }
    }

    /// Feeds this block's live input (`input` interleaved, `channels` per
    /// frame, gain applied) into the streams that listen to it; returns
    /// the frames that did not fit. Call before [`ModelSlots::process`]
    /// for the same block. Audio thread.
    pub fn feed_live(&mut self, input: &[f32], channels: usize, frames: usize) -> u64 {
        // A stream attached this block hears this block's input.
        self.apply_messages();
        let mut dropped = 0;
        for slot in self.slots.iter_mut().flatten() {
            dropped += slot.output.feed_live(input, channels, frames);
        }
        dropped
    }

    /// Applies waiting messages, then adds every model's audio into `out`
    /// (interleaved stereo), marking each model that sounds in `sounded`. A slot whose block holds a bad value is muted
    /// (none of that block is mixed) and reported to `faults`; a muted slot's
    /// stream is still read, so its worker keeps its clock.
    ///
    /// Audio thread: no allocation, no locks; streams that leave are returned,
    /// never dropped here (if the return ring is full, they wait a block).
    pub fn process(&mut self, out: &mut [f32], faults: &mut FaultReport, sounded: &SoundedSources) {
        self.apply_messages();
        for (index, entry) in self.slots.iter_mut().enumerate() {
            let Some(slot) = entry else { continue };
            let ch = slot.output.channels().max(1);
            for block in out.chunks_mut(SCRATCH_FRAMES * 2) {
                let frames = block.len() / 2;
                let buf = &mut self.scratch[..frames * ch];
                slot.output.process(buf);
                if slot.muted.is_some() {
                    continue;
                }
                if let Some(fault) = scan_scaled(buf, slot.gain_l.max(slot.gain_r)) {
                    slot.muted = Some(fault);
                    faults.report(MixSource::Model { slot: index }, fault);
                    continue;
                }
                if slot.gain_l > 0.0 || slot.gain_r > 0.0 {
                    sounded.mark(slot.credit);
                }
                for (i, o) in block.chunks_exact_mut(2).enumerate() {
                    let (l, r) = if ch == 1 {
                        (buf[i], buf[i])
                    } else {
                        (buf[i * ch], buf[i * ch + 1])
                    };
                    o[0] += l * slot.gain_l;
                    o[1] += r * slot.gain_r;
                }
            }
        }
    }
}
