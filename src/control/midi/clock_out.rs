//! MIDI clock out: 24 pulses per quarter note, computed as exact positions
//! on the timeline, in every metre and across tempo octaves.
//!
//! - The clock counts quarter notes of the bar grid, whatever the metre's
//!   beat: a bar of `n/d` lasts `96·n/d` pulses (7/8 → 84, 6/8 → 72,
//!   2+2+3/8 → 84, 5/4 → 120, 7/16 → 42). A bar cut short by a metre change
//!   "now" lasts the pulses of its played part. Pulse `j` (counted from bar
//!   0) sounds where the timeline puts whole note `j/96`, rounded to a frame
//!   once — nothing accumulates.
//! - Tempo octaves play patterns faster or slower against an unchanged bar
//!   grid, so they do not change the clock at all.
//! - Song position counts sixteenths (6 pulses) from bar 0 of the session.

use super::message::MidiMessage;
use crate::time::{Rational, Timeline};

/// Pulses per whole note.
pub const PER_WHOLE: i128 = 96;

/// Walks the bars of a timeline, knowing which pulse each bar starts on.
#[derive(Clone, Debug)]
pub struct TickGrid {
    bar: i64,
    /// Pulse count (exact) at the start of `bar`.
    at_bar: Rational,
}

impl Default for TickGrid {
    fn default() -> Self {
        TickGrid {
            bar: 0,
            at_bar: Rational::from_integer(0),
        }
    }
}

/// Pulses in bar `bar` (its played part, if it was cut).
fn pulses_in(timeline: &Timeline, bar: i64) -> Rational {
    let start = Rational::from_integer(bar as i128);
    let len = timeline.bar_end(bar) - start;
    len * timeline.metre_at(start).bar_length() * PER_WHOLE
}

impl TickGrid {
    /// The position (in bars) of pulse `j`, moving the grid's bar forward
    /// as needed. `j` must not lie before the grid's bar.
    pub fn position(&mut self, timeline: &Timeline, j: i64) -> Rational {
        let j = Rational::from_integer(j as i128);
        loop {
            let n = pulses_in(timeline, self.bar);
            if j < self.at_bar + n || n <= Rational::from_integer(0) {
                let frac = if n > Rational::from_integer(0) {
                    (j - self.at_bar) / n
                } else {
                    Rational::from_integer(0)
                };
                let len = timeline.bar_end(self.bar) - Rational::from_integer(self.bar as i128);
                return Rational::from_integer(self.bar as i128) + frac * len;
            }
            self.at_bar += n;
            self.bar += 1;
        }
    }

    /// The first pulse at or after the grid's bar start.
    pub fn bar_start_pulse(&self) -> i64 {
        self.at_bar.ceil().to_integer() as i64
    }

    /// The bar the grid is at, counted from the clock's start.
    pub fn bar(&self) -> i64 {
        self.bar
    }
}

/// What the clock is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Pulses go out.
    Running,
    /// Silent; the position keeps counting.
    Stopped,
    /// Starts (Start at pulse 0, else Song Position + Continue) at the next
    /// bar line whose pulse is a whole sixteenth.
    StartAtBar,
}

/// Generates clock messages, frame-stamped, ahead of the audio clock.
#[derive(Clone, Debug)]
pub struct ClockOut {
    grid: TickGrid,
    next: i64,
    /// Whether pulses go out.
    pub transport: Transport,
    /// Pulses generated after their frame had played (sent late).
    pub late: u64,
}

impl ClockOut {
    /// A clock that starts at the first bar line not yet played.
    pub fn new(enabled: bool) -> ClockOut {
        ClockOut {
            grid: TickGrid::default(),
            next: 0,
            transport: if enabled {
                Transport::StartAtBar
            } else {
                Transport::Stopped
            },
            late: 0,
        }
    }

    /// The next pulse to be generated.
    pub fn next_pulse(&self) -> i64 {
        self.next
    }

    /// Emits every message whose frame is before `until`, in order, as
    /// `(frame, message)`. `now` is the frame playing now: a start waits for
    /// a bar line after it; pulses before it (a stall) go out late.
    pub fn generate(
        &mut self,
        timeline: &Timeline,
        now: u64,
        until: u64,
        out: &mut impl FnMut(u64, MidiMessage),
    ) {
        loop {
            let pos = self.grid.position(timeline, self.next);
            let frame = timeline.frame_at(pos);
            if frame >= until {
                return;
            }
            let j = self.next;
            self.next += 1;
            match self.transport {
                Transport::Stopped => {}
                Transport::StartAtBar => {
                    let at_bar_line = pos.is_integer();
                    if at_bar_line && j % 6 == 0 && frame >= now {
                        if j == 0 {
                            out(frame, MidiMessage::Start);
                        } else {
                            let spp = (j / 6).min(0x3FFF) as u16;
                            out(frame, MidiMessage::SongPosition(spp));
                            out(frame, MidiMessage::Continue);
                        }
                        out(frame, MidiMessage::Clock);
                        self.transport = Transport::Running;
                    }
                }
                Transport::Running => {
                    // NOTE: a pulse whose frame already played (the control
                    // thread stalled) still goes out, late: a lost pulse
                    // would leave every follower a pulse behind for good.
                    if frame < now {
                        self.late += 1;
                    }
                    out(frame, MidiMessage::Clock)
                }
            }
        }
    }

    /// Stops at the next pulse: sends Stop then.
    pub fn stop(&mut self, timeline: &Timeline, out: &mut impl FnMut(u64, MidiMessage)) {
        if self.transport == Transport::Running {
            let pos = self.grid.position(timeline, self.next);
            out(timeline.frame_at(pos), MidiMessage::Stop);
        }
        self.transport = Transport::Stopped;
    }

    /// The position (bars) of the first pulse not yet generated: where a
    /// change timed on the pulse grid can still go.
    pub fn next_position(&mut self, timeline: &Timeline) -> Rational {
        self.grid.position(timeline, self.next)
    }

    /// The position (bars) of pulse `j` (not before the next bar the grid holds).
    pub fn position_of(&mut self, timeline: &Timeline, j: i64) -> Rational {
        self.grid.position(timeline, j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Metre, Tempo, TempoOctave};

    fn run(timeline: &Timeline, until: u64) -> Vec<(u64, MidiMessage)> {
        let mut c = ClockOut::new(true);
        let mut v = Vec::new();
        // In small steps, as the control thread does.
        let mut t = 0;
        while t < until {
            t = (t + 700).min(until);
            c.generate(timeline, 0, t, &mut |f, m| v.push((f, m)));
        }
        v
    }

    #[test]
    fn seven_eight_is_84_pulses_a_bar_exactly() {
        let sr = 48_000;
        let metre = Metre::parse("7/8").unwrap();
        let tl = Timeline::new(sr, metre, Tempo::bpm(137.0).unwrap());
        let end = tl.frame_at(Rational::from_integer(100));
        let v = run(&tl, end);
        assert_eq!(v[0].1, MidiMessage::Start);
        let clocks: Vec<u64> = v
            .iter()
            .filter(|(_, m)| *m == MidiMessage::Clock)
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(clocks.len(), 8400);
        // Every pulse is exactly where its whole note falls, rounded once.
        for (j, f) in clocks.iter().enumerate() {
            let pos = Rational::new(j as i128, 84);
            assert_eq!(*f, tl.frame_at(pos));
        }
    }

    #[test]
    fn metre_changes_and_cut_bars_keep_the_count() {
        let sr = 48_000;
        let mut tl = Timeline::new(sr, Metre::parse("6/8").unwrap(), Tempo::bpm(90.0).unwrap());
        tl.set_metre(2, Metre::parse("2+2+3/8").unwrap());
        tl.set_tempo(Rational::new(5, 2), Tempo::bpm(120.0).unwrap());
        tl.cut_bar_and_set_metre(Rational::new(27, 7), Metre::parse("5/4").unwrap());
        let end = tl.frame_at(Rational::from_integer(6));
        let n = run(&tl, end)
            .iter()
            .filter(|(_, m)| *m == MidiMessage::Clock)
            .count();
        // 2 bars of 6/8 (72 each), bar 2 of 7/8 (84), bar 3 cut after 6 of
        // its 7 eighths (72), bars 4 and 5 of 5/4 (120 each).
        assert_eq!(n, 72 * 2 + 84 + 72 + 240);
        // Tempo octaves never touch the timeline, so they cannot move a pulse.
        let _ = TempoOctave::new(1).unwrap();
    }

    #[test]
    fn starting_mid_performance_sends_song_position_and_continue() {
        let tl = Timeline::new(
            48_000,
            Metre::parse("7/8").unwrap(),
            Tempo::bpm(120.0).unwrap(),
        );
        let mut c = ClockOut::new(true);
        let now = tl.frame_at(Rational::new(3, 2));
        let mut v = Vec::new();
        c.generate(
            &tl,
            now,
            tl.frame_at(Rational::from_integer(3)),
            &mut |f, m| v.push((f, m)),
        );
        // Bar 2 starts on pulse 168 = sixteenth 28.
        assert_eq!(v[0].1, MidiMessage::SongPosition(28));
        assert_eq!(v[1].1, MidiMessage::Continue);
        assert_eq!(v[0].0, tl.frame_at(Rational::from_integer(2)));
        let mut stop = Vec::new();
        c.stop(&tl, &mut |f, m| stop.push((f, m)));
        assert_eq!(stop[0].1, MidiMessage::Stop);
    }
}
