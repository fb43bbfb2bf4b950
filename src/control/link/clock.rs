//! The per-step Link query: one copy of Link's session state and the
//! offset between Link's clock and loam's, so that times convert both ways.
//! This is what the control thread does every step while in a session
//! (benches/link.rs measures it).

use rusty_link::{AblLink, SessionState};

use crate::time::wallclock;

/// Ableton Link and the latest copy of its session state.
pub struct LinkClock {
    link: AblLink,
    state: SessionState,
    /// Link's clock minus loam's, in nanoseconds, measured at the last look.
    offset_ns: f64,
}

impl std::fmt::Debug for LinkClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkClock")
            .field("offset_ns", &self.offset_ns)
            .finish()
    }
}

impl LinkClock {
    /// A Link instance at `bpm`, not yet in a session (no network traffic
    /// until [`LinkClock::enable`]).
    pub fn new(bpm: f64) -> LinkClock {
        LinkClock {
            link: AblLink::new(bpm),
            state: SessionState::new(),
            offset_ns: 0.0,
        }
    }

    /// Joins (true) or leaves (false) the session on the network.
    pub fn enable(&self, on: bool) {
        self.link.enable(on);
    }

    /// Turns Link 3's start/stop sync on or off.
    pub fn enable_start_stop(&self, on: bool) {
        self.link.enable_start_stop_sync(on);
    }

    /// Other peers in the session.
    pub fn peers(&self) -> u64 {
        self.link.num_peers()
    }

    /// Copies the session state and measures the clock offset: the whole
    /// per-step query. Never waits on the network.
    pub fn look(&mut self) {
        self.link.capture_app_session_state(&mut self.state);
        let a = wallclock::now_nanos().get() as f64;
        let micros = self.link.clock_micros();
        let b = wallclock::now_nanos().get() as f64;
        self.offset_ns = micros as f64 * 1000.0 - (a + b) / 2.0;
    }

    /// The session state as last looked at (to change and [`LinkClock::commit`]).
    pub fn state(&mut self) -> &mut SessionState {
        &mut self.state
    }

    /// Sends the (changed) session state to the session.
    pub fn commit(&self) {
        self.link.commit_app_session_state(&self.state);
    }

    /// The session tempo, in Link beats per minute.
    pub fn tempo(&self) -> f64 {
        self.state.tempo()
    }

    /// Link's time (microseconds) of a time on loam's clock (nanoseconds).
    pub fn link_micros(&self, nanos: f64) -> i64 {
        ((nanos + self.offset_ns) / 1000.0).round() as i64
    }

    /// Loam's time (nanoseconds) of a Link time (microseconds).
    pub fn loam_nanos(&self, micros: i64) -> f64 {
        micros as f64 * 1000.0 - self.offset_ns
    }

    /// The (phase-encoded) Link beat at loam time `nanos` for `quantum`.
    pub fn beat_at(&self, nanos: f64, quantum: f64) -> f64 {
        self.state.beat_at_time(self.link_micros(nanos), quantum)
    }

    /// The phase (0 … quantum) at loam time `nanos`.
    pub fn phase_at(&self, nanos: f64, quantum: f64) -> f64 {
        self.state.phase_at_time(self.link_micros(nanos), quantum)
    }

    /// Loam time (nanoseconds) of Link beat `beat` for `quantum`.
    pub fn nanos_of_beat(&self, beat: f64, quantum: f64) -> f64 {
        self.loam_nanos(self.state.time_at_beat(beat, quantum))
    }
}
