//! Following a Link session on the control thread.
//!
//! Every step (at most 2 ms apart) the desk looks at Link's session state
//! ([`LinkClock::look`]) and keeps loam's timeline on it:
//!
//! - **Loam's own changes lead.** A tempo a script or OSC sets for the next
//!   bar is given to the session once that bar has begun, pivoting at its
//!   bar line, so peers keep their phase. A metre change is a quantum
//!   change at that bar; when the new bar line is not on a boundary of the
//!   new quantum, the first bar in the new metre is cut short at the next
//!   one, so loam stays phase-aligned with peers.
//! - **Peers' changes follow.** A session tempo a peer sets becomes loam's
//!   tempo, counted in the note value loam's tempo counts, from the first
//!   position not yet sent to the engine: the current bar bends so its
//!   bar line lands where Link now puts it, with no phase jump.
//! - **Bar lines stay on Link's grid.** Before each bar line is sent, loam
//!   compares where its timeline puts it with the nearest quantum boundary
//!   on Link's and bends the tempo (at most ±[`MAX_BEND`]) for the rest
//!   of the bar to land on it; a bigger gap (joining, a replaced session
//!   timeline) is closed by cutting one bar short at Link's next boundary.
//! - **Tempo octaves are loam's own:** they play patterns faster or slower
//!   against the bar grid and never touch the session tempo.
//! - A session tempo outside [`MIN_FOLLOWED_BPM`]…[`MAX_FOLLOWED_BPM`] is
//!   clamped and reported; loam then plays the clamped tempo at its own
//!   bar lines until the session comes back into range. A peer leaving
//!   changes nothing: Link keeps the session's timeline.

use super::clock::LinkClock;
use super::grid::{
    bars_per_quantum, bend, clamp_bpm, grid_at_or_after, grid_nearest, next_boundary, quantum,
    target_beat, tempo_like, to_f64, Line, MAX_FOLLOWED_BPM, MIN_FOLLOWED_BPM, TOLERANCE_NANOS,
};
use super::{LinkReport, LinkRequest};
use crate::control::{audio_clock, Notice};
use crate::schedule::Change;
use crate::session::Session;
use crate::time::{wallclock, Metre, Rational, Tempo};

/// Loam gives the session a tempo it set this long before the bar line
/// it starts at (pivoting there): long enough for peers on the machine to
/// hear of it (a few ms) and move their bar lines after the pivot before
/// they send them (a 50 ms lookahead), shorter than loam plans bars ahead
/// (100 ms), so the change is known by then.
pub const GIVE_AHEAD_NANOS: f64 = 90e6;

/// With start/stop sync, loops start at the first bar line at least this
/// long after a peer pressed play: longer than loam plans ahead (100 ms)
/// plus a usual lookahead (50 ms) and Link's news between peers on one
/// machine, so every loam in the session picks the same bar line.
pub const START_MARGIN: std::time::Duration = std::time::Duration::from_millis(250);

/// A segment of loam's timeline as the desk last saw it: start, tempo, metre.
type Seen = (Rational, Tempo, Metre);

/// The Link part of the control thread (a build with the `link` feature).
#[derive(Debug, Default)]
pub struct LinkDesk {
    clock: Option<LinkClock>,
    on: bool,
    /// Just joined: align (alone) or adopt (with peers) at the next step.
    joining: bool,
    /// `link_quantum`'s beats (`None`: loam's bar).
    quantum_beats: Option<f64>,
    start_stop: bool,
    /// The session tempo as last seen, to tell a peer's change.
    seen_bpm: f64,
    /// The session tempo was out of loam's range at the last look.
    clamped: bool,
    peers: u64,
    /// Segments already accounted for (loam's own bends and cuts, and
    /// changes already given to the session).
    known: Vec<Seen>,
    /// A tempo loam set, to give the session once its bar line (loam
    /// nanoseconds) has come: (when, bpm).
    pending_tempo: Option<(f64, f64)>,
    /// Link's timeline at the last look (over `line_q`), to find where a
    /// peer's tempo change pivots.
    line: Option<(Line, f64)>,
    /// A peer's tempo change: where it pivots (loam nanoseconds) and the
    /// line before it, which bar lines before the pivot still follow.
    pivot: Option<(f64, Line)>,
    /// Loops start/stop sync muted, to unmute on play.
    muted_by_link: Vec<String>,
    /// The session was playing at the last look.
    playing: bool,
    /// Start loops when this bar is about to be planned.
    start_at_bar: Option<i64>,
    report: LinkReport,
    notices: Vec<Notice>,
}

/// Where loam's clocks meet for one step: the output's stamp and rate.
struct Frames {
    stamp: wallclock::ClockStamp,
    rate: f64,
}

impl Frames {
    fn of(session: &Session) -> Frames {
        Frames {
            stamp: audio_clock::stamp(&session.handle.status),
            rate: session.sample_rate as f64,
        }
    }

    /// Loam's nanoseconds of an exact frame.
    fn nanos(&self, frame: Rational) -> f64 {
        self.stamp.nanos.get() as f64
            + (to_f64(frame) - self.stamp.frame.get() as f64) * 1e9 / self.rate
    }
}

impl LinkDesk {
    /// Not in a session; Link starts when first asked.
    pub fn new() -> LinkDesk {
        LinkDesk::default()
    }

    /// Joins or leaves, sets the quantum, start/stop sync or the transport.
    pub fn handle(
        &mut self,
        request: LinkRequest,
        session: &mut Session,
    ) -> Result<String, String> {
        match request {
            LinkRequest::Join(true) => {
                if self.on {
                    return Ok("already in the Link session".into());
                }
                let tl = session.scheduler.planner().timeline();
                let bpm = tl
                    .tempo_at(tl.position_at_frame(session.handle.frames()))
                    .bpm_f64();
                let clock = self
                    .clock
                    .get_or_insert_with(|| LinkClock::new(bpm.clamp(20.0, 999.0)));
                clock.enable(true);
                clock.enable_start_stop(self.start_stop);
                self.on = true;
                self.joining = true;
                Ok("joined the Link session".into())
            }
            LinkRequest::Join(false) => {
                if let Some(c) = &self.clock {
                    c.enable(false);
                }
                self.on = false;
                self.pending_tempo = None;
                self.report = LinkReport::default();
                Ok("left the Link session; loam keeps its tempo".into())
            }
            LinkRequest::Quantum(q) => {
                if q == 0.0 {
                    self.quantum_beats = None;
                    return Ok("Link quantum: loam's bar".into());
                }
                let tl = session.scheduler.planner().timeline();
                let pos = tl.position_at_frame(session.handle.frames());
                bars_per_quantum(q, quantum(tl.metre_at(pos), &tl.tempo_at(pos)))?;
                self.quantum_beats = Some(q);
                Ok(format!("Link quantum: {q} beats"))
            }
            LinkRequest::StartStop(on) => {
                self.start_stop = on;
                if let Some(c) = &self.clock {
                    c.enable_start_stop(on);
                }
                if !on {
                    self.unmute_all(session);
                }
                Ok(format!(
                    "Link start/stop sync {}",
                    if on { "on" } else { "off" }
                ))
            }
            LinkRequest::Play(play) => {
                let Some(clock) = self.clock.as_mut().filter(|_| self.on) else {
                    return Err("not in a Link session: link(true) first".into());
                };
                if !self.start_stop {
                    return Err("start/stop sync is off: link_start_stop(true) first".into());
                }
                clock.look();
                let now = wallclock::now_nanos().get() as f64;
                let at = clock.link_micros(now);
                let q = self.report.quantum.max(1.0);
                let state = clock.state();
                state.set_is_playing(play, at);
                if play {
                    state.request_beat_at_start_playing_time(0.0, q);
                }
                clock.commit();
                Ok(if play { "Link: play" } else { "Link: stop" }.into())
            }
        }
    }

    /// Link as `/status` tells it.
    pub fn report(&self) -> LinkReport {
        self.report.clone()
    }

    /// One look at the session, and whatever keeps loam on it.
    pub fn step(&mut self, session: &mut Session) -> Vec<Notice> {
        if !self.on {
            return Vec::new();
        }
        let Some(clock) = self.clock.as_mut() else {
            return Vec::new();
        };
        clock.look();
        let peers = clock.peers();
        if self.joining {
            self.joining = false;
            self.join(session, peers);
        }
        self.own_changes(session);
        self.give_tempo();
        self.peer_tempo(session);
        if self.pending_tempo.is_none() && !self.clamped {
            self.steer(session);
        }
        if self.start_stop {
            self.transport(session);
        }
        self.fill_report(session, peers);
        let q = self.report.quantum;
        self.line = Some((self.look_line(q), q));
        if peers != self.peers {
            self.peers = peers;
            self.notices.push(Notice::Info(self.report.to_string()));
        }
        std::mem::take(&mut self.notices)
    }

    fn clock(&mut self) -> &mut LinkClock {
        self.clock
            .as_mut()
            .unwrap_or_else(|| unreachable!("the desk looks only while in a session"))
    }

    /// The quantum Link's phase is read over for a bar of `bar_q` beats,
    /// and how many bars it spans.
    fn sync_quantum(&mut self, bar_q: Rational) -> (f64, i64) {
        let bar = to_f64(bar_q);
        match self.quantum_beats.map(|q| bars_per_quantum(q, bar_q)) {
            Some(Ok(k)) => (bar * k as f64, k),
            Some(Err(e)) => {
                self.quantum_beats = None;
                self.notices.push(Notice::Error(format!(
                    "{e}; Link quantum is loam's bar again"
                )));
                (bar, 1)
            }
            None => (bar, 1),
        }
    }

    /// Alone: the session takes loam's tempo and its next bar line. With
    /// peers: loam takes the session's tempo (and its bar lines, by steering).
    fn join(&mut self, session: &mut Session, peers: u64) {
        let tl = session.scheduler.planner().timeline();
        self.known = seen(tl);
        let frames = Frames::of(session);
        let first = session.scheduler.first_unsent(session.handle.frames());
        let pos = tl.position_at_frame(first);
        let (tempo, metre) = (tl.tempo_at(pos), tl.metre_at(pos).clone());
        let bar = pos.floor().to_integer() as i64 + 1;
        let line = frames.nanos(tl.exact_frame_at(Rational::from_integer(bar as i128)));
        let (sync_q, k) = self.sync_quantum(quantum(&metre, &tempo));
        let clock = self.clock();
        if peers == 0 {
            let at = clock.link_micros(wallclock::now_nanos().get() as f64);
            let line_at = clock.link_micros(line);
            let state = clock.state();
            state.set_tempo(tempo.bpm_f64(), at);
            let into = bar.rem_euclid(k) as f64 * sync_q / k as f64;
            state.request_beat_at_time(into, line_at, sync_q);
            clock.commit();
            clock.look();
        }
        self.seen_bpm = f64::NAN;
    }

    /// Tempo and metre changes a script or OSC made since the last look.
    fn own_changes(&mut self, session: &mut Session) {
        let frames = Frames::of(session);
        let segments = session.scheduler.planner().timeline().segments().to_vec();
        let mut cut = None;
        for (i, seg) in segments.iter().enumerate() {
            let key = (seg.start, seg.tempo, seg.metre.clone());
            if i == 0 || self.known.contains(&key) {
                continue;
            }
            let prev = &segments[i - 1];
            if seg.tempo != prev.tempo {
                let bpm = seg.tempo.bpm_f64();
                self.pending_tempo = Some((frames.nanos(seg.start_frame), bpm));
            }
            if seg.metre != prev.metre && seg.start.is_integer() && seg.cut_from.is_none() {
                cut = Some((seg.start, seg.start_frame, seg.metre.clone(), seg.tempo));
            }
        }
        if let Some((start, start_frame, metre, tempo)) = cut {
            self.align_metre(session, start, frames.nanos(start_frame), metre, tempo);
        }
        self.known = seen(session.scheduler.planner().timeline());
    }

    /// A metre change at bar `start` (at loam time `at`): a quantum change.
    /// If the bar line is not on a boundary of the new quantum, the first
    /// bar in the new metre ends at the next one.
    fn align_metre(
        &mut self,
        session: &mut Session,
        start: Rational,
        at: f64,
        metre: Metre,
        tempo: Tempo,
    ) {
        let bar_q = quantum(&metre, &tempo);
        let (sync_q, k) = self.sync_quantum(bar_q);
        let qb = to_f64(bar_q);
        let bar = start.to_integer() as i64;
        let clock = self.clock();
        let beat = clock.beat_at(at, sync_q);
        let target = target_beat(beat, bar, qb, k);
        let beats_per_sec = clock.tempo() / 60.0;
        if ((target - beat) / beats_per_sec * 1e9).abs() < TOLERANCE_NANOS {
            return;
        }
        // The next boundary after the bar line, where bar `bar + 1` belongs.
        let next = next_boundary(beat, bar + 1, qb, k);
        let cut = start + grid_nearest((next - beat) / qb);
        let first = session.scheduler.first_unsent(session.handle.frames());
        let tl = session.scheduler.planner().timeline();
        let next_bar = start + Rational::from_integer(1);
        if cut <= tl.position_at_frame(first) || cut >= next_bar || cut <= start {
            return;
        }
        session.scheduler.cut_bar_at(cut, metre.clone());
        self.notices.push(Notice::Info(format!(
            "Link: {metre} is a quantum of {qb} beats; bar {bar} is cut to {:.3} of a bar to meet the session's next bar line",
            to_f64(cut - start)
        )));
    }

    /// Gives the session the tempo loam set once its bar line has come.
    fn give_tempo(&mut self) {
        let Some((at, bpm)) = self.pending_tempo else {
            return;
        };
        let now = wallclock::now_nanos().get() as f64;
        if now < at - GIVE_AHEAD_NANOS {
            return;
        }
        self.pending_tempo = None;
        let clock = self.clock();
        let at = clock.link_micros(at);
        clock.state().set_tempo(bpm, at);
        clock.commit();
        clock.look();
        self.seen_bpm = clock.tempo();
    }

    /// A session tempo a peer set becomes loam's (the steering then moves
    /// the bar line); one outside loam's range is clamped and reported.
    fn peer_tempo(&mut self, session: &mut Session) {
        if self.pending_tempo.is_some() {
            return;
        }
        let raw = self.clock().tempo();
        let (bpm, clamped) = clamp_bpm(raw);
        let first_look = self.seen_bpm.is_nan();
        let changed = raw != self.seen_bpm;
        self.seen_bpm = raw;
        let was_clamped = std::mem::replace(&mut self.clamped, clamped);
        if !changed {
            return;
        }
        self.pivot = None;
        if let Some((old, q)) = self.line {
            let new = self.look_line(q);
            if let Some(p) = old.pivot(&new, q) {
                // A pivot far from now is no change a peer just made.
                let now = wallclock::now_nanos().get() as f64;
                if (p - now).abs() < 2e9 {
                    self.pivot = Some((p, old));
                }
            }
        }
        if clamped {
            self.notices.push(Notice::Error(format!(
                "Link: the session tempo {raw:.2} BPM is outside the {MIN_FOLLOWED_BPM}–{MAX_FOLLOWED_BPM} BPM loam follows; \
                 loam plays {bpm} BPM at its own bar lines until the session comes back into range"
            )));
            // The clamped tempo from loam's next bar, as its own changes are.
            let tl = session.scheduler.planner().timeline();
            let next = Rational::from_integer(session.scheduler.planner().next_bar() as i128);
            let tempo = tempo_like(&tl.tempo_at(next), bpm);
            session.scheduler.apply(Change::Tempo { tempo, now: false });
            self.known = seen(session.scheduler.planner().timeline());
        } else if was_clamped {
            self.notices.push(Notice::Info(format!(
                "Link: the session tempo {raw:.2} BPM is in range again; loam follows it"
            )));
        } else if !first_look {
            self.notices
                .push(Notice::Info(format!("Link: session tempo {raw:.2} BPM")));
        }
    }

    /// Link's timeline now, read over `quantum`.
    fn look_line(&mut self, quantum: f64) -> Line {
        let clock = self.clock();
        let at = wallclock::now_nanos().get() as f64;
        Line {
            at,
            beat: clock.beat_at(at, quantum),
            bpm: clock.tempo(),
        }
    }

    /// Keeps the next bar line not yet sent on Link's grid.
    fn steer(&mut self, session: &mut Session) {
        let frames = Frames::of(session);
        let first = session.scheduler.first_unsent(session.handle.frames());
        let tl = session.scheduler.planner().timeline();
        let from = grid_at_or_after(tl.position_at_frame(first));
        if tl.segments().last().is_some_and(|s| s.start > from) {
            // A change waits further on; steer once it has begun.
            return;
        }
        let bar = from.floor().to_integer() as i64;
        let end = tl.bar_end(bar);
        if end - from < Rational::new(1, 64) {
            return;
        }
        let (tempo, metre) = (tl.tempo_at(from), tl.metre_at(from).clone());
        let bar_q = quantum(&metre, &tempo);
        let qb = to_f64(bar_q);
        let end_at = frames.nanos(tl.exact_frame_at(end));
        let mut from = from;
        let mut from_at = frames.nanos(tl.exact_frame_at(from));
        let (sync_q, k) = self.sync_quantum(bar_q);
        // A peer's change that pivots ahead: bar lines before the pivot
        // stay on the old line; after it, loam bends from the pivot on.
        let pivot = self.pivot.filter(|(p, _)| *p > from_at);
        if let Some((p, old)) = pivot {
            if end_at <= p + TOLERANCE_NANOS {
                let target = target_beat(old.beat_at(end_at), bar + 1, qb, k);
                if (end_at - old.time_of(target)).abs() < TOLERANCE_NANOS {
                    return;
                }
            } else {
                let at = wallclock::frame_at(
                    frames.stamp,
                    frames.rate as u32,
                    crate::time::Nanos(p as u64),
                );
                let p_pos = grid_at_or_after(tl.position_at_frame(at.get()));
                if p_pos > from && p_pos < end {
                    from = p_pos;
                    from_at = frames.nanos(tl.exact_frame_at(from));
                }
            }
        }
        let clock = self.clock();
        let predicted = clock.beat_at(end_at, sync_q);
        let target = target_beat(predicted, bar + 1, qb, k);
        let target_at = clock.nanos_of_beat(target, sync_q);
        let (bpm, _) = clamp_bpm(clock.tempo());
        let now_bpm = tempo.bpm_f64();
        if (end_at - target_at).abs() < TOLERANCE_NANOS && (now_bpm / bpm - 1.0).abs() < 0.01 {
            return;
        }
        let beats = to_f64(end - from) * qb;
        match bend(beats, bpm, from_at, target_at) {
            Some(f) => {
                let tempo = tempo_like(&tempo, bpm * f);
                session
                    .scheduler
                    .apply_at(Change::Tempo { tempo, now: true }, from);
            }
            None => {
                // Too far to bend: the session tempo from here, and the bar
                // holding Link's next boundary cut short there.
                let from_beat = clock.beat_at(from_at, sync_q);
                let next = next_boundary(from_beat, bar + 1, qb, k);
                let cut = from + grid_nearest((next - from_beat) / qb);
                let tempo = tempo_like(&tempo, bpm);
                session
                    .scheduler
                    .apply_at(Change::Tempo { tempo, now: true }, from);
                if !cut.is_integer() {
                    session.scheduler.cut_bar_at(cut, metre);
                }
                self.notices.push(Notice::Info(format!(
                    "Link: loam moved to the session's bar line (bar {} cut short)",
                    cut.floor().to_integer()
                )));
            }
        }
        self.known = seen(session.scheduler.planner().timeline());
    }

    /// Start/stop sync: loops start at the first loam bar line at or after
    /// the session's start, and stop (within the lookahead) at its stop.
    fn transport(&mut self, session: &mut Session) {
        let clock = self.clock();
        let playing = clock.state().is_playing();
        let start_micros = clock.state().time_for_is_playing();
        let start_at = clock.loam_nanos(start_micros);
        if playing != self.playing {
            self.playing = playing;
            if playing {
                let frames = Frames::of(session);
                let tl = session.scheduler.planner().timeline();
                let mut bar = session.scheduler.planner().next_bar();
                // The first bar line at least START_MARGIN after the press:
                // every peer decides on the same one, and none has planned it yet.
                let earliest = start_at + START_MARGIN.as_nanos() as f64;
                while frames.nanos(tl.exact_frame_at(Rational::from_integer(bar as i128)))
                    < earliest - 500_000.0
                {
                    bar += 1;
                }
                self.start_at_bar = Some(bar);
                self.notices.push(Notice::Info(format!(
                    "Link: the session plays; loops start at bar {bar}"
                )));
            } else {
                self.start_at_bar = None;
                self.notices
                    .push(Notice::Info("Link: the session stopped; loops stop".into()));
            }
        }
        if !self.playing {
            let planner = session.scheduler.planner_mut();
            let mut changed = false;
            for name in planner.loop_names() {
                if !self.muted_by_link.contains(&name) && planner.set_muted(&name, true) {
                    self.muted_by_link.push(name);
                    changed = true;
                }
            }
            if changed {
                let now = session.handle.frames();
                session.scheduler.drop_unsent(now);
            }
        } else if self
            .start_at_bar
            .is_some_and(|b| session.scheduler.planner().next_bar() >= b)
        {
            self.start_at_bar = None;
            self.unmute_all(session);
        }
    }

    /// Unmutes the loops start/stop sync muted (a performer's own mutes stay).
    fn unmute_all(&mut self, session: &mut Session) {
        let planner = session.scheduler.planner_mut();
        for name in std::mem::take(&mut self.muted_by_link) {
            planner.set_muted(&name, false);
        }
    }

    fn fill_report(&mut self, session: &Session, peers: u64) {
        let tl = session.scheduler.planner().timeline();
        let pos = tl.position_at_frame(session.handle.frames());
        let (sync_q, _) = self.sync_quantum(quantum(tl.metre_at(pos), &tl.tempo_at(pos)));
        let playing = self.playing;
        let clock = self.clock();
        let now = wallclock::now_nanos().get() as f64;
        self.report = LinkReport {
            on: true,
            peers,
            tempo: clock.tempo(),
            phase: clock.phase_at(now, sync_q),
            quantum: sync_q,
            playing,
        };
    }
}

/// The timeline's segments as the desk compares them.
fn seen(tl: &crate::time::Timeline) -> Vec<Seen> {
    tl.segments()
        .iter()
        .map(|s| (s.start, s.tempo, s.metre.clone()))
        .collect()
}
