//! The two clocks' units as types: [`Nanos`], a time on loam's monotonic
//! wall clock, and [`Frame`], a position on the engine's audio clock. Where
//! they meet (a [`super::wallclock::ClockStamp`]) the types keep one from
//! passing for the other.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A time on loam's monotonic wall clock: nanoseconds since its origin
/// (the first reading, see [`super::wallclock::now_nanos`]). Not a
/// duration: the difference of two is a [`Duration`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nanos(pub u64);

impl Nanos {
    /// The count of nanoseconds since loam's origin.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// How long after `earlier` this is; zero if it is not after it.
    pub fn saturating_sub(self, earlier: Nanos) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// `d` in whole nanoseconds (`u64::MAX` past about 584 years).
fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The time `d` later.
impl Add<Duration> for Nanos {
    type Output = Nanos;
    fn add(self, d: Duration) -> Nanos {
        Nanos(self.0 + duration_nanos(d))
    }
}

/// The time `d` earlier (panics before the origin, as `u64` subtraction does).
impl Sub<Duration> for Nanos {
    type Output = Nanos;
    fn sub(self, d: Duration) -> Nanos {
        Nanos(self.0 - duration_nanos(d))
    }
}

/// A position on the engine's audio clock: frames (samples per channel)
/// since the engine started. Exact musical positions are rationals; one
/// rounding makes a frame of one, in
/// [`Timeline::frame_at`](super::Timeline::frame_at), and a `Frame` carries
/// that rounded count to the wall clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Frame(pub u64);

impl Frame {
    /// The count of frames since the engine started.
    pub const fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_differ_by_durations() {
        let t = Nanos(2_000_000_000);
        assert_eq!(t + Duration::from_millis(5), Nanos(2_005_000_000));
        assert_eq!(t - Duration::from_secs(1), Nanos(1_000_000_000));
        assert_eq!(
            (t + Duration::from_secs(1)).saturating_sub(t),
            Duration::from_secs(1)
        );
        assert_eq!(t.saturating_sub(Nanos(3_000_000_000)), Duration::ZERO);
        assert!(Frame(1) < Frame(2) && Nanos(1) < Nanos(2));
        assert_eq!((Frame(7).get(), Nanos(9).get()), (7, 9));
    }
}
