//! The live input on the control side: input gain and monitor level, and
//! live sampling (`capture("name", bars)`, OSC `/capture name bars`).
//!
//! A capture starts on the first bar line at least a lookahead after the
//! engine's clock (so the take reaches the audio side before its bar
//! line), and lasts exactly `bars` bars of the timeline as it stands then
//! (a tempo or metre change asked for later does not change its length).
//! Its sample and a silent placeholder of the same length are allocated
//! here; the placeholder goes into the sound bank under the name at once,
//! so patterns can name it; the engine records into the sample and swaps
//! it in for the placeholder as voices start, so the take plays from the
//! bar line right after its last frame (see `audio/live_input.rs`). When
//! the engine says the take is complete, the bank gets the recorded sample
//! itself, and subscribers hear "captured".
//!
//! Captured audio is credited as live input, with the time its bar line
//! sounded (UTC), when it sounds in a recording.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Notice;
use crate::audio::live_input::{Capture, CaptureNews, CaptureState, MAX_CAPTURES};
use crate::audio::EngineCommand;
use crate::data::credit::{credit_for, Credit, CreditedSource};
use crate::schedule::input_op::MAX_CAPTURE_SECONDS;
use crate::schedule::InputOp;
use crate::session::Session;
use crate::sound::Sample;
use crate::time::Rational;

/// A take the engine has not finished.
struct Take {
    name: String,
    first_bar: i64,
    bars: i64,
}

/// The control side of the live input.
pub struct InputDesk {
    /// Input channels open (0: no live input; captures are refused).
    channels: usize,
    next_id: u64,
    takes: BTreeMap<u64, Take>,
    /// The name each capture slot holds, and when it was last used.
    slots: Vec<Option<(String, u64)>>,
    /// In an offline render, the file standing in for the live input: its
    /// credit and its name. Takes are credited to it (never to the clock
    /// on the wall: two renders are identical).
    file: Option<(Credit, String)>,
}

impl Default for InputDesk {
    fn default() -> InputDesk {
        InputDesk {
            channels: 0,
            next_id: 1,
            takes: BTreeMap::new(),
            slots: vec![None; MAX_CAPTURES],
            file: None,
        }
    }
}

/// `unix` seconds as `2026-11-30T09:41:12Z`.
pub fn utc_text(unix: u64) -> String {
    let day = crate::data::datasheet::day::Day::from_days_since_epoch((unix / 86_400) as i64);
    let s = unix % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

impl InputDesk {
    /// Says that a live input of `channels` channels is open.
    pub fn open(&mut self, channels: usize) {
        self.channels = channels;
    }

    /// Says that a file of `channels` channels stands in for the live input
    /// (`loam render --input FILE`): takes record from it and are credited
    /// to it (`credit`, named `describe`).
    pub fn open_file(&mut self, channels: usize, credit: Credit, describe: String) {
        self.channels = channels;
        self.file = Some((credit, describe));
    }

    /// Input channels open (0: none).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Carries out `op`; `lookahead` is the scheduler's, in frames.
    pub fn apply(
        &mut self,
        op: InputOp,
        session: &mut Session,
        lookahead: u64,
    ) -> Result<String, String> {
        op.check()?;
        match op {
            InputOp::Gain(g) => {
                if !session.handle.command(EngineCommand::InputGain(g as f32)) {
                    return Err("input gain: the engine's command queue is full".into());
                }
                Ok(format!("input gain {g}"))
            }
            InputOp::Monitor(m) => {
                if !session.handle.command(EngineCommand::Monitor(m as f32)) {
                    return Err("input monitor: the engine's command queue is full".into());
                }
                Ok(format!("input monitor {m}"))
            }
            InputOp::Capture { name, bars } => self.capture(name, bars, session, lookahead),
        }
    }

    fn capture(
        &mut self,
        name: String,
        bars: i64,
        session: &mut Session,
        lookahead: u64,
    ) -> Result<String, String> {
        if self.channels == 0 {
            return Err(format!(
                "capture(\"{name}\", {bars}): no live input is open (start loam serve with --input)"
            ));
        }
        let rate = session.sample_rate;
        let now = session.handle.frames();
        let timeline = session.scheduler.planner().timeline();
        let earliest = timeline.position_at_frame(now + lookahead.max(1));
        let first_bar = earliest.ceil().to_integer() as i64;
        let bar_frame = |b: i64| timeline.frame_at(Rational::from_integer(b as i128));
        let start = bar_frame(first_bar);
        let end = bar_frame(first_bar + bars);
        let frames = end.saturating_sub(start) as usize;
        let longest = MAX_CAPTURE_SECONDS as usize * rate as usize;
        if frames == 0 || frames > longest {
            return Err(format!(
                "capture(\"{name}\", {bars}): {bars} bars are {:.1} s here; a take is at most {MAX_CAPTURE_SECONDS} s",
                frames as f64 / rate as f64
            ));
        }
        let channels = self.channels.min(2);
        let (credit, source) = match &self.file {
            Some((credit, file)) => (
                *credit,
                format!("{file}, captured as '{name}' from bar {first_bar}"),
            ),
            None => {
                let unix = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
                    + start.saturating_sub(now) / u64::from(rate.max(1));
                let taken = utc_text(unix);
                let credit = credit_for(CreditedSource::LiveInput {
                    name: name.clone(),
                    taken: taken.clone(),
                });
                (credit, format!("live input, taken {taken}"))
            }
        };
        let sample = |credit: Credit, source: String| Sample {
            name: name.clone(),
            channels,
            data: vec![0.0; frames * channels],
            source,
            credit,
        };
        let recorded = Arc::new(sample(credit, source));
        let placeholder = Arc::new(sample(
            Credit::NONE,
            format!("live input, recording from bar {first_bar}"),
        ));
        let id = self.next_id;
        self.next_id += 1;
        let slot = self.slot_for(&name, id);
        let take = Box::new(Capture {
            id,
            slot,
            start,
            frames,
            sample: recorded,
            placeholder: Arc::clone(&placeholder),
            first_channel: 0,
            written: 0,
            state: CaptureState::Recording,
        });
        if session.handle.capture(take).is_err() {
            return Err(format!(
                "capture(\"{name}\", {bars}): the engine's capture queue is full"
            ));
        }
        session
            .scheduler
            .planner_mut()
            .bank_mut()
            .insert_shared(&name, placeholder);
        self.takes.insert(
            id,
            Take {
                name: name.clone(),
                first_bar,
                bars,
            },
        );
        Ok(format!(
            "capture '{name}': bars {first_bar} to {} (frames {start} to {end}); it plays from bar {}",
            first_bar + bars - 1,
            first_bar + bars
        ))
    }

    /// The slot `name` records into: its own, a free one, or the one used longest ago.
    fn slot_for(&mut self, name: &str, id: u64) -> usize {
        let slot = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|(n, _)| n == name))
            .or_else(|| self.slots.iter().position(Option::is_none))
            .unwrap_or_else(|| {
                (0..self.slots.len())
                    .min_by_key(|&i| self.slots[i].as_ref().map_or(0, |(_, used)| *used))
                    .unwrap_or(0)
            });
        self.slots[slot] = Some((name.to_string(), id));
        slot
    }

    /// Takes what the engine said about takes: finished takes go into the
    /// bank (the recorded sample itself); late ones are told as errors.
    pub fn poll(&mut self, session: &mut Session) -> Vec<Notice> {
        let mut notices = Vec::new();
        for news in session.handle.capture_news() {
            match news {
                CaptureNews::Finished { id, sample } => {
                    let Some(take) = self.takes.remove(&id) else {
                        continue;
                    };
                    let bank = session.scheduler.planner_mut().bank_mut();
                    // A newer take of the same name keeps its placeholder.
                    if !self.takes.values().any(|t| t.name == take.name) {
                        bank.insert_shared(&take.name, sample);
                    }
                    notices.push(Notice::Info(format!(
                        "captured '{}': bars {} to {}; it plays from bar {}",
                        take.name,
                        take.first_bar,
                        take.first_bar + take.bars - 1,
                        take.first_bar + take.bars
                    )));
                }
                CaptureNews::Late { id, by } => {
                    if let Some(take) = self.takes.remove(&id) {
                        notices.push(Notice::Error(format!(
                            "capture '{}': reached the audio side {by} frames after bar {} began; nothing was recorded",
                            take.name, take.first_bar
                        )));
                    }
                }
                // Dropped here, on the control side.
                CaptureNews::Retired(take) => drop(take),
            }
        }
        notices
    }
}
