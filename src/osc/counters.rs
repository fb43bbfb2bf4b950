//! What the OSC server counts. Reported in `/status` and on exit.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by the OSC threads. Relaxed atomics: they are statistics.
#[derive(Debug, Default)]
pub struct OscCounters {
    /// Datagrams read from the socket.
    pub packets: AtomicU64,
    /// Messages handled (a bundle counts each message inside it).
    pub messages: AtomicU64,
    /// Malformed packets, wrong argument types or counts, unknown addresses.
    pub bad: AtomicU64,
    /// Bundles whose timetag had passed by more than the lookahead (played now).
    pub late_bundles: AtomicU64,
    /// Packets read but not handled: the handler's queue was full, or the
    /// control thread did not take a command in time.
    pub dropped: AtomicU64,
    /// Packets from addresses the access rules refuse (not answered).
    pub refused: AtomicU64,
    /// Replies or notices the socket would not send.
    pub send_errors: AtomicU64,
    /// Answers and notices that arrived (`/done`, `/fail`, `/beat`, a
    /// `/status` reply…) and packets from loam's own socket: ignored, never
    /// answered, so that two servers cannot answer each other for ever.
    pub answers_ignored: AtomicU64,
    /// `/fail` answers not sent because their client passed
    /// [`FAIL_RATE`](super::fail_limit::FAIL_RATE) (the mistakes still count as bad).
    pub fails_unsent: AtomicU64,
}

impl OscCounters {
    /// Adds one to `counter`.
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// One line for the log.
    pub fn summary(&self) -> String {
        format!(
            "osc_packets={} osc_bad={} osc_late_bundles={} osc_dropped={} osc_refused={} \
             osc_answers_ignored={} osc_fails_unsent={}",
            Self::get(&self.packets),
            Self::get(&self.bad),
            Self::get(&self.late_bundles),
            Self::get(&self.dropped),
            Self::get(&self.refused),
            Self::get(&self.answers_ignored),
            Self::get(&self.fails_unsent),
        )
    }
}
