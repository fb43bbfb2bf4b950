//! One mapping between wall-clock time and the audio clock, for OSC
//! timetags and MIDI timestamps.
//!
//! Outputs stamp each block with the monotonic time it starts playing
//! (the audio engine's status keeps the latest stamp); a wall-clock instant
//! converts to a frame from a [`ClockStamp`], a value read from that status
//! by whoever converts. NTP times (OSC) convert through one offset between
//! the system clock and the monotonic clock, taken at start.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use super::clock_types::{Frame, Nanos};

/// One point where the audio clock and the monotonic clock meet: `frame`
/// plays at `nanos`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockStamp {
    /// A frame of the audio clock.
    pub frame: Frame,
    /// When it plays, on loam's monotonic clock ([`now_nanos`]).
    pub nanos: Nanos,
}

struct Origin {
    instant: Instant,
    /// Unix time of `instant`, in nanoseconds.
    unix_nanos: u128,
}

fn origin() -> &'static Origin {
    static ORIGIN: OnceLock<Origin> = OnceLock::new();
    ORIGIN.get_or_init(|| Origin {
        instant: Instant::now(),
        unix_nanos: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_nanos(),
    })
}

/// Now on loam's monotonic clock (its origin is the first reading).
pub fn now_nanos() -> Nanos {
    Nanos(origin().instant.elapsed().as_nanos() as u64)
}

/// An `Instant` on loam's monotonic clock (the origin if it came before).
pub fn instant_nanos(t: Instant) -> Nanos {
    Nanos(t.saturating_duration_since(origin().instant).as_nanos() as u64)
}

/// Seconds between 1900 (NTP) and 1970 (Unix).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Monotonic nanoseconds of an NTP timestamp (seconds since 1900, 32.32
/// fixed point), or `None` if it lies before loam started.
pub fn ntp_to_nanos(seconds: u32, fraction: u32) -> Option<Nanos> {
    let unix_secs = (seconds as u64).checked_sub(NTP_UNIX_OFFSET)?;
    let unix_nanos = unix_secs as u128 * 1_000_000_000 + ((fraction as u128 * 1_000_000_000) >> 32);
    unix_nanos
        .checked_sub(origin().unix_nanos)
        .map(|n| Nanos(n as u64))
}

/// The NTP timestamp (seconds since 1900, 32.32 fixed point) of a time on
/// loam's monotonic clock.
pub fn nanos_to_ntp(nanos: Nanos) -> (u32, u32) {
    let unix = origin().unix_nanos + nanos.get() as u128;
    let secs = (unix / 1_000_000_000) as u64 + NTP_UNIX_OFFSET;
    let frac = (((unix % 1_000_000_000) << 32) / 1_000_000_000) as u32;
    (secs as u32, frac)
}

/// The frame that plays at monotonic time `nanos`, counted from `stamp`
/// (the output's latest; before any, the engine's frame count now).
pub fn frame_at(stamp: ClockStamp, sample_rate: u32, nanos: Nanos) -> Frame {
    let (frame, at, nanos) = (stamp.frame.get(), stamp.nanos.get(), nanos.get());
    Frame(if nanos >= at {
        frame + ((nanos - at) as u128 * sample_rate as u128 / 1_000_000_000) as u64
    } else {
        frame.saturating_sub(((at - nanos) as u128 * sample_rate as u128 / 1_000_000_000) as u64)
    })
}

/// The monotonic time at which `frame` plays, counted from `stamp`.
pub fn nanos_at(stamp: ClockStamp, sample_rate: u32, frame: Frame) -> Nanos {
    let (f0, at, frame) = (stamp.frame.get(), stamp.nanos.get(), frame.get());
    Nanos(if frame >= f0 {
        at + ((frame - f0) as u128 * 1_000_000_000 / sample_rate as u128) as u64
    } else {
        at.saturating_sub(((f0 - frame) as u128 * 1_000_000_000 / sample_rate as u128) as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_round_trips() {
        let n = now_nanos().get() + 123_456_789;
        let (s, f) = nanos_to_ntp(Nanos(n));
        let back = ntp_to_nanos(s, f).unwrap().get();
        assert!(back.abs_diff(n) < 2, "{back} vs {n}");
    }

    #[test]
    fn frames_follow_the_stamp() {
        let st = ClockStamp {
            frame: Frame(48_000),
            nanos: Nanos(2_000_000_000),
        };
        assert_eq!(frame_at(st, 48_000, Nanos(2_500_000_000)).get(), 72_000);
        assert_eq!(frame_at(st, 48_000, Nanos(1_500_000_000)).get(), 24_000);
        assert_eq!(nanos_at(st, 48_000, Frame(72_000)).get(), 2_500_000_000);
    }
}
