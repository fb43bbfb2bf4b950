//! Following an external MIDI clock: a smoothed tempo estimate and a phase
//! that locks loam's bar lines to the external song position.
//!
//! - Tempo: a least-squares line through the last [`WINDOW`] pulses' times
//!   (pulse number against arrival time), so one late or early pulse moves
//!   the estimate by a fraction of its error; a jump in tempo is followed
//!   within about a window.
//! - Phase: Start (song position 0) or Song Position + Continue names the
//!   external pulse count; the first external bar line after it is tied to
//!   the nearest loam bar line, reading external bars in loam's metre. loam
//!   then steers its tempo (never jumps): each correction plays the
//!   estimated tempo, sped up or slowed down by the phase error over
//!   [`SETTLE_SECONDS`], at most ±[`MAX_NUDGE`].
//! - A clock that runs without Start is taken as starting at a bar line on
//!   the first pulse heard. Stop freezes the pulse count (loam plays on at
//!   the last tempo; it never stops its audio).

use std::collections::VecDeque;

use super::message::MidiMessage;
use crate::time::Nanos;

/// Pulses the tempo estimate looks back over (4 bars of 4/4).
pub const WINDOW: usize = 384;
/// Phase errors are corrected over about this long.
pub const SETTLE_SECONDS: f64 = 1.0;
/// The largest tempo nudge used to correct phase (fraction of the tempo).
pub const MAX_NUDGE: f64 = 0.2;

/// What the follower knows of the external clock.
#[derive(Clone, Debug, Default)]
pub struct ClockFollower {
    /// (pulse count, arrival nanos) of recent pulses.
    pulses: VecDeque<(i64, u64)>,
    /// Count of the next pulse (song position × 6 after a Continue).
    next: i64,
    running: bool,
    /// Set by Start/Continue/first pulse: the next bar line must be tied.
    pub needs_anchor: bool,
    /// Pulses heard in all.
    pub heard: u64,
}

/// A straight line through pulse times: `nanos(j) = at + per_pulse·(j − j0)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClockLine {
    /// The pulse the line is anchored at.
    pub j0: i64,
    /// When pulse `j0` came, in nanoseconds on the monotonic clock.
    pub at: f64,
    /// Nanoseconds between pulses (24 pulses to the quarter note).
    pub per_pulse: f64,
}

impl ClockLine {
    /// When pulse `j` (fractional) comes, in nanoseconds on the monotonic clock.
    pub fn nanos(&self, j: f64) -> f64 {
        self.at + self.per_pulse * (j - self.j0 as f64)
    }

    /// The (fractional) pulse at `nanos`.
    pub fn pulse_at(&self, nanos: f64) -> f64 {
        self.j0 as f64 + (nanos - self.at) / self.per_pulse
    }

    /// Quarter notes a minute.
    pub fn bpm(&self) -> f64 {
        60e9 / (24.0 * self.per_pulse)
    }
}

impl ClockFollower {
    /// A follower that has heard nothing and is stopped.
    pub fn new() -> ClockFollower {
        ClockFollower::default()
    }

    /// Takes one message (real-time and song position); others are ignored.
    pub fn on_message(&mut self, msg: MidiMessage, nanos: Nanos) {
        let nanos = nanos.get();
        match msg {
            MidiMessage::Clock => {
                if !self.running && self.heard == 0 {
                    // A clock already running when we started listening.
                    self.running = true;
                    self.needs_anchor = true;
                }
                self.heard += 1;
                if !self.running {
                    return;
                }
                // A pulse arriving earlier than the previous one (a clock
                // source that restarted) resets the estimate.
                if self.pulses.back().is_some_and(|(_, t)| nanos < *t) {
                    self.pulses.clear();
                }
                self.pulses.push_back((self.next, nanos));
                while self.pulses.len() > WINDOW {
                    self.pulses.pop_front();
                }
                self.next += 1;
            }
            MidiMessage::Start => {
                self.next = 0;
                self.running = true;
                self.needs_anchor = true;
                self.pulses.clear();
            }
            MidiMessage::Continue => {
                self.running = true;
                self.needs_anchor = true;
                self.pulses.clear();
            }
            MidiMessage::Stop => self.running = false,
            MidiMessage::SongPosition(p) => self.next = p as i64 * 6,
            _ => {}
        }
    }

    /// True between Start (or Continue, or a clock already running) and Stop.
    pub fn running(&self) -> bool {
        self.running
    }

    /// The count of the next external pulse.
    pub fn next_pulse(&self) -> i64 {
        self.next
    }

    /// The fitted line, once a few pulses have been heard.
    pub fn line(&self) -> Option<ClockLine> {
        let n = self.pulses.len();
        if n < 6 {
            return None;
        }
        let (j0, t0) = self.pulses[0];
        // Least squares in offsets from the first point (keeps numbers small).
        let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
        for (j, t) in &self.pulses {
            let x = (j - j0) as f64;
            let y = t.wrapping_sub(t0) as i64 as f64;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        let nf = n as f64;
        let den = nf * sxx - sx * sx;
        if den <= 0.0 {
            return None;
        }
        let slope = (nf * sxy - sx * sy) / den;
        let icpt = (sy - slope * sx) / nf;
        if !(slope.is_finite() && slope > 0.0) {
            return None;
        }
        Some(ClockLine {
            j0,
            at: t0 as f64 + icpt,
            per_pulse: slope,
        })
    }
}

/// The tempo factor that corrects a phase error of `ahead_secs` (loam ahead
/// of the external clock: positive) over [`SETTLE_SECONDS`].
pub fn nudge(ahead_secs: f64) -> f64 {
    1.0 - (ahead_secs / SETTLE_SECONDS).clamp(-MAX_NUDGE, MAX_NUDGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jittery_137_bpm_clock_is_estimated_closely() {
        let per = 60e9 / 137.0 / 24.0;
        let mut f = ClockFollower::new();
        f.on_message(MidiMessage::Start, Nanos(0));
        let mut x = 12345u64;
        for j in 0..2000 {
            // Up to 0.67 ms of arrival jitter (a 32-frame JACK period).
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let jitter = (x >> 33) % 666_667;
            f.on_message(
                MidiMessage::Clock,
                Nanos(1_000_000_000 + (j as f64 * per) as u64 + jitter),
            );
        }
        let line = f.line().unwrap();
        assert!((line.bpm() - 137.0).abs() < 0.05, "{}", line.bpm());
        assert_eq!(f.next_pulse(), 2000);
        // Phase: the line puts pulse 1999 within a quarter of the jitter of its true time + mean jitter.
        let truth = 1e9 + 1999.0 * per + 333_333.0;
        assert!((line.nanos(1999.0) - truth).abs() < 200_000.0);
    }

    #[test]
    fn song_position_and_stop() {
        let mut f = ClockFollower::new();
        f.on_message(MidiMessage::SongPosition(16), Nanos(0));
        f.on_message(MidiMessage::Continue, Nanos(0));
        assert!(f.needs_anchor);
        f.on_message(MidiMessage::Clock, Nanos(10));
        assert_eq!(f.next_pulse(), 97);
        f.on_message(MidiMessage::Stop, Nanos(20));
        f.on_message(MidiMessage::Clock, Nanos(30));
        assert_eq!(f.next_pulse(), 97);
        assert!(!f.running());
        assert_eq!(nudge(0.0), 1.0);
        assert_eq!(nudge(10.0), 1.0 - MAX_NUDGE);
    }
}
