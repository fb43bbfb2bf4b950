//! One playing sound: a sample read at a rate, panned, with an optional
//! length that ends in a short fade. A negative rate reads the sample
//! backwards from its last frame, as SuperDirt plays a negative `speed`.

use std::sync::Arc;

use super::guard::{check, Fault};
use super::tone_voice::{render_tone, ToneEnd};
use super::SoundEvent;
use crate::pattern::values::MAX_RATE;
use crate::sound::tone::ToneState;
use crate::sound::Sample;

/// Frames a pitched note is held when its event gives no length (one
/// second at 48 kHz) before its release starts.
pub const PITCHED_HOLD_FRAMES: u64 = 48_000;

/// A voice slot. Empty when `sample` is `None`.
#[derive(Debug, Default)]
pub struct Voice {
    sample: Option<Arc<Sample>>,
    pos: f64,
    rate: f64,
    /// The first frame of the slice that plays.
    first: f64,
    /// The frame after the slice's last (at most the sample's length).
    end: usize,
    gain_l: f32,
    gain_r: f32,
    /// Frames left before the fade-out starts (`u64::MAX`: play to the end).
    until_fade: u64,
    fade_left: u32,
    fade_len: u32,
    finished: bool,
    /// Set when the voice was muted for a bad value (see [`super::guard`]).
    fault: Option<Fault>,
    /// When the voice started, in start order (for stealing the oldest).
    pub order: u64,
    /// The built-in synthesis this slot plays a pitched note with.
    synth: ToneState,
    /// True while the slot plays a pitched note (`synth`) rather than its sample.
    pitched: bool,
}

impl Voice {
    /// An empty voice able to play pitched notes at `sample_rate`
    /// (allocates the pluck's delay line: control side).
    pub fn with_sample_rate(sample_rate: u32) -> Voice {
        Voice {
            synth: ToneState::new(sample_rate),
            ..Voice::default()
        }
    }

    /// True when the slot holds no sound.
    pub fn is_free(&self) -> bool {
        self.sample.is_none()
    }

    /// True once it has played to its end (or was stopped) and waits to give its sample back.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Starts `event` in this slot and hands back the sample it held before,
    /// which the caller must return to the control side.
    ///
    /// Audio thread: no allocation (the event's `Arc` is moved, not cloned).
    pub fn start(&mut self, event: SoundEvent, order: u64, fade_len: u32) -> Option<Arc<Sample>> {
        let SoundEvent {
            sample,
            gain,
            pan,
            rate,
            length,
            tone,
            slice,
            ..
        } = event;
        let pan = if pan.is_finite() {
            pan.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let gain = if gain.is_finite() { gain.max(0.0) } else { 0.0 };
        let (gain_l, gain_r) = if sample.channels == 1 {
            // Equal-power pan: −3 dB in the middle.
            let angle = (pan + 1.0) * std::f32::consts::FRAC_PI_4;
            (gain * angle.cos(), gain * angle.sin())
        } else {
            // Balance for stereo samples.
            (gain * (1.0 - pan).min(1.0), gain * (1.0 + pan).min(1.0))
        };
        // NOTE: every entry (script, pattern, OSC, MIDI) refuses a rate
        // outside `values::RATE` with a message before it gets here; a rate
        // that is 0 or not finite could never end, so such an event is not
        // played rather than played at some other rate.
        let rate = rate as f64;
        let playable = rate.is_finite() && rate != 0.0;
        let frames = (sample.data.len() / sample.channels.max(1)) as f64;
        let previous = self.sample.replace(sample);
        // The slice (`chop`, `striate`), whole frames inside the sample.
        let part = |x: f32| {
            let x = if x.is_finite() {
                x.clamp(0.0, 1.0)
            } else {
                0.0
            };
            (f64::from(x) * frames).round()
        };
        let (first, end) = (
            part(slice.0),
            part(slice.1).max(part(slice.0) + 1.0).min(frames),
        );
        self.first = first;
        self.end = end as usize;
        // A negative rate plays the sound reversed, from its last frame.
        self.pos = if rate < 0.0 { end - 1.0 } else { first };
        self.rate = rate.clamp(-MAX_RATE, MAX_RATE);
        self.gain_l = gain_l;
        self.gain_r = gain_r;
        self.until_fade = length.unwrap_or(u64::MAX);
        self.fade_left = fade_len.max(1);
        self.fade_len = fade_len.max(1);
        self.finished = !playable;
        self.fault = None;
        self.order = order;
        self.pitched = false;
        if let Some(tone) = tone {
            // A pitched note: held `length` frames (or a second), then released.
            self.synth.start(&tone, order);
            self.pitched = true;
            self.finished = false;
            self.until_fade = length.unwrap_or(PITCHED_HOLD_FRAMES);
        }
        previous
    }

    /// Stops the voice now; its sample waits in the slot until returned.
    pub fn stop(&mut self) {
        if self.sample.is_some() {
            self.finished = true;
        }
    }

    /// Why the voice was muted, once: the next call returns `None`.
    pub fn take_fault(&mut self) -> Option<Fault> {
        self.fault.take()
    }

    /// The sound playing (or last played) in this slot.
    pub fn sample(&self) -> Option<&Arc<Sample>> {
        self.sample.as_ref()
    }

    /// Takes the sample out, leaving the slot free.
    pub fn take_sample(&mut self) -> Option<Arc<Sample>> {
        self.finished = false;
        self.sample.take()
    }

    /// Adds this voice into interleaved stereo `out`.
    ///
    /// Audio thread: no allocation, no locks. Sample-by-sample, so the result
    /// does not depend on how a block is split. A value that is NaN,
    /// infinite or past [`super::guard::SOURCE_LIMIT`] (after gain) is not
    /// added: the voice ends there and keeps the fault for
    /// [`Voice::take_fault`].
    #[inline]
    pub fn render(&mut self, out: &mut [f32]) {
        if self.finished {
            return;
        }
        if self.pitched {
            match render_tone(
                &mut self.synth,
                &mut self.until_fade,
                self.gain_l,
                self.gain_r,
                out,
            ) {
                ToneEnd::Playing => {}
                ToneEnd::Done => self.finished = true,
                ToneEnd::Fault(fault) => {
                    self.fault = Some(fault);
                    self.finished = true;
                }
            }
            return;
        }
        let Some(sample) = self.sample.as_deref() else {
            return;
        };
        let data = &sample.data[..];
        let channels = sample.channels.max(1);
        let frames = (data.len() / channels).min(self.end);
        let first = self.first;
        for frame in out.chunks_exact_mut(2) {
            let mut amp = 1.0f32;
            if self.until_fade == 0 {
                if self.fade_left == 0 {
                    self.finished = true;
                    return;
                }
                amp = self.fade_left as f32 / self.fade_len as f32;
                self.fade_left -= 1;
            } else if self.until_fade != u64::MAX {
                self.until_fade -= 1;
            }
            if self.pos < first {
                self.finished = true;
                return;
            }
            let idx = self.pos as usize;
            if idx >= frames {
                self.finished = true;
                return;
            }
            let frac = (self.pos - idx as f64) as f32;
            let next = (idx + 1).min(frames - 1);
            let (l, r) = if channels == 1 {
                let s = data[idx] + (data[next] - data[idx]) * frac;
                (s, s)
            } else {
                let (a, b) = (idx * channels, next * channels);
                (
                    data[a] + (data[b] - data[a]) * frac,
                    data[a + 1] + (data[b + 1] - data[a + 1]) * frac,
                )
            };
            let (l, r) = (l * self.gain_l * amp, r * self.gain_r * amp);
            if let Some(fault) = check(l).or(check(r)) {
                self.fault = Some(fault);
                self.finished = true;
                return;
            }
            frame[0] += l;
            frame[1] += r;
            self.pos += self.rate;
            if self.pos < first || self.pos as usize >= frames {
                self.finished = true;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The left channel a voice renders of a ten-frame ramp (0, 1, … 9),
    /// playing `slice` at `rate`, centred at gain 1.
    fn play(slice: (f32, f32), rate: f32) -> Vec<f32> {
        let sample = Arc::new(Sample {
            name: "ramp".into(),
            channels: 1,
            data: (0..10).map(|i| i as f32).collect(),
            source: "test".into(),
            credit: crate::data::credit::Credit::NONE,
        });
        let mut e = SoundEvent::new(0, sample);
        e.slice = slice;
        e.rate = rate;
        let mut v = Voice::default();
        v.start(e, 0, 1);
        let mut out = vec![0.0f32; 2 * 16];
        v.render(&mut out);
        let centre = std::f32::consts::FRAC_PI_4.cos();
        out.chunks(2)
            .map(|f| (f[0] / centre).round())
            .take_while(|x| *x != 0.0)
            .collect()
    }

    #[test]
    fn a_slice_plays_only_its_part_of_the_sample_either_way() {
        // The second half (chop(2)'s second part): frames 5 … 9.
        assert_eq!(play((0.5, 1.0), 1.0), [5.0, 6.0, 7.0, 8.0, 9.0]);
        // The middle fifth, and the same part reversed.
        assert_eq!(play((0.4, 0.6), 1.0), [4.0, 5.0]);
        assert_eq!(play((0.4, 0.6), -1.0), [5.0, 4.0]);
        // A slice past the end or empty still plays one frame, never past the sample.
        assert_eq!(play((0.9, 0.9), 1.0), [9.0]);
    }
}
