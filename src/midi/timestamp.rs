//! midir's input timestamps (microseconds, on a clock each backend picks)
//! to loam's one monotonic clock ([`crate::time::wallclock`]).
//!
//! - JACK (the `jack` feature): midir stamps each message with
//!   `jack_get_time()`. jackd2 on Linux reads it from `CLOCK_MONOTONIC_RAW`
//!   (some builds: `CLOCK_MONOTONIC`, the clock `Instant` uses). The offsets
//!   of both to loam's clock are measured and re-measured every second (the
//!   two drift apart under NTP by up to 0.05 %); each stamp is read on the
//!   one that puts it just before its arrival. (midir stamps the time the
//!   JACK cycle is processed, not the event's frame inside it: messages are
//!   quantised to one JACK period.)
//! - Other backends, or a stamp that disagrees with the arrival time by more
//!   than [`TRUST_WINDOW_NANOS`]: the arrival time is used, and counted.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::time::wallclock;

/// A converted stamp may lie this far before its arrival; further means the
/// clocks are not the same and the arrival time is used instead.
pub const TRUST_WINDOW_NANOS: u64 = 100_000_000;

/// Converts backend timestamps to monotonic nanoseconds.
#[derive(Debug)]
pub struct StampClock {
    /// For each candidate clock: its nanoseconds minus [`wallclock::now_nanos`].
    offsets: Vec<i128>,
    /// Stamps that could not be trusted (arrival time used).
    pub untrusted: AtomicU64,
}

impl Default for StampClock {
    fn default() -> Self {
        StampClock::new()
    }
}

/// A POSIX clock in nanoseconds.
#[cfg(target_os = "linux")]
fn clock_nanos(id: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let r = unsafe { libc::clock_gettime(id, &mut ts) };
    (r == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// The clocks a backend may stamp with.
#[cfg(target_os = "linux")]
fn candidates() -> Vec<libc::clockid_t> {
    if cfg!(feature = "jack") {
        vec![libc::CLOCK_MONOTONIC_RAW, libc::CLOCK_MONOTONIC]
    } else {
        Vec::new()
    }
}

/// Offset of clock `id` to loam's clock: the smallest bracket of a few readings.
#[cfg(target_os = "linux")]
fn offset_of(id: libc::clockid_t) -> Option<i128> {
    (0..5)
        .filter_map(|_| {
            let a = wallclock::now_nanos();
            let m = clock_nanos(id)?;
            let b = wallclock::now_nanos();
            Some((b - a, m as i128 - (a / 2 + b / 2) as i128))
        })
        .min_by_key(|(spread, _)| *spread)
        .map(|(_, off)| off)
}

impl StampClock {
    /// Measures the offsets between the backend's possible clocks and loam's.
    pub fn new() -> StampClock {
        let mut c = StampClock {
            offsets: Vec::new(),
            untrusted: AtomicU64::new(0),
        };
        c.recalibrate();
        c
    }

    /// Measures the offsets again (call every second or so).
    pub fn recalibrate(&mut self) {
        #[cfg(target_os = "linux")]
        {
            self.offsets = candidates().into_iter().filter_map(offset_of).collect();
        }
    }

    /// Monotonic nanoseconds of a message stamped `micros` by the backend
    /// that arrived at `arrival` (monotonic nanoseconds).
    pub fn to_nanos(&self, micros: u64, arrival: u64) -> u64 {
        let a = arrival as i128;
        let best = self
            .offsets
            .iter()
            .map(|off| micros as i128 * 1000 - off)
            .filter(|t| *t >= 0 && *t <= a + 1_000_000 && a - *t <= TRUST_WINDOW_NANOS as i128)
            .min_by_key(|t| (a - *t).abs());
        match best {
            Some(t) => t.min(a) as u64,
            None => {
                if !self.offsets.is_empty() {
                    self.untrusted.fetch_add(1, Ordering::Relaxed);
                }
                arrival
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn monotonic_stamps_convert_and_bad_ones_fall_back() {
        let clock = StampClock::new();
        let now = wallclock::now_nanos();
        for id in candidates() {
            // A message stamped now on this clock that arrived 2 ms later.
            let m = clock_nanos(id).unwrap();
            let t = clock.to_nanos(m / 1000, now + 2_000_000);
            assert!(t.abs_diff(now) < 200_000, "{t} vs {now}");
        }
        // Nonsense stamps: the arrival time.
        assert_eq!(clock.to_nanos(3, now), now);
    }
}
