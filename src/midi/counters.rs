//! What the MIDI threads counted: read by `loam serve`'s summary and tests.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::control::midi::message::ParseCounts;

/// Counters shared by the MIDI threads.
#[derive(Debug, Default)]
pub struct MidiCounters {
    /// Messages as ports delivered them.
    pub port_messages: AtomicU64,
    /// Messages read from them.
    pub messages: AtomicU64,
    /// Truncated, stray and unknown input, skipped.
    pub ignored: AtomicU64,
    /// SysEx messages heard (their contents are not used).
    pub sysex: AtomicU64,
    /// Commands the control thread's full queue refused.
    pub dropped: AtomicU64,
    /// Messages sent out.
    pub sent: AtomicU64,
    /// Messages that could not be sent (no port, queue full).
    pub unsent: AtomicU64,
    /// The latest a message went out after its time, in nanoseconds.
    pub worst_late_nanos: AtomicU64,
    /// Ports (re)connected after going away.
    pub reconnects: AtomicU64,
}

impl MidiCounters {
    /// Adds `n` to `c`.
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads `c`.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Copies the parser's totals (one parser per input thread).
    pub fn set_parse(&self, p: &ParseCounts) {
        self.messages.store(p.messages, Ordering::Relaxed);
        self.ignored.store(p.ignored(), Ordering::Relaxed);
        self.sysex.store(p.sysex, Ordering::Relaxed);
    }

    /// `midi_in=… midi_ignored=…` for the summary line.
    pub fn summary(&self) -> String {
        format!(
            "midi_in={} midi_ignored={} midi_sysex={} midi_dropped={} midi_out={} midi_unsent={} midi_worst_late_us={} midi_reconnects={}",
            Self::get(&self.messages),
            Self::get(&self.ignored),
            Self::get(&self.sysex),
            Self::get(&self.dropped),
            Self::get(&self.sent),
            Self::get(&self.unsent),
            Self::get(&self.worst_late_nanos) / 1000,
            Self::get(&self.reconnects),
        )
    }
}
