//! Bundle timetags to times on loam's monotonic clock, through the one
//! wall-clock mapping in [`crate::time::wallclock`].

use std::time::Duration;

use rosc::OscTime;

use crate::time::wallclock::{self, Nanos};

/// The OSC "immediately" timetag (0 seconds, fraction 1).
pub const IMMEDIATE: OscTime = OscTime {
    seconds: 0,
    fractional: 1,
};

/// Timetags further ahead than this are refused (the engine holds timed
/// events in a fixed-size list; an hour-ahead typo should not fill it).
pub const MAX_AHEAD_NANOS: u64 = 60_000_000_000;

/// When a bundle's messages act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// On arrival.
    Now,
    /// At this time on loam's monotonic clock ([`wallclock::now_nanos`]).
    At(Nanos),
    /// The timetag had passed by more than the lookahead: played now, counted late.
    Late,
}

impl When {
    /// The time for a [`crate::control::PlayRequest`]: `None` is now.
    pub fn at_nanos(self) -> Option<Nanos> {
        match self {
            When::At(n) => Some(n),
            When::Now | When::Late => None,
        }
    }
}

/// A bundle timetagged more than [`MAX_AHEAD_NANOS`] ahead; `nanos` is how
/// far ahead it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooFarAhead {
    /// Nanoseconds ahead of now.
    pub nanos: u64,
}

impl std::fmt::Display for TooFarAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timetag {:.3} s ahead: bundles may be at most {} s ahead",
            self.nanos as f64 / 1e9,
            MAX_AHEAD_NANOS / 1_000_000_000
        )
    }
}

impl std::error::Error for TooFarAhead {}

/// Resolves a bundle's timetag. `outer` is the enclosing bundle's time (an
/// immediate inner bundle inherits it); `now` is the time it arrived.
pub fn resolve(
    tag: OscTime,
    outer: When,
    now: Nanos,
    lookahead: Duration,
) -> Result<When, TooFarAhead> {
    if tag.seconds == 0 && tag.fractional <= 1 {
        return Ok(outer);
    }
    let Some(at) = wallclock::ntp_to_nanos(tag.seconds, tag.fractional) else {
        // Before loam started: long past.
        return Ok(When::Late);
    };
    if at + lookahead < now {
        return Ok(When::Late);
    }
    if at > now + Duration::from_nanos(MAX_AHEAD_NANOS) {
        return Err(TooFarAhead {
            nanos: at.saturating_sub(now).as_nanos() as u64,
        });
    }
    Ok(When::At(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timetags_resolve_to_now_later_or_late() {
        let now = wallclock::now_nanos() + Duration::from_secs(10);
        let look = Duration::from_millis(50);
        assert_eq!(resolve(IMMEDIATE, When::Now, now, look), Ok(When::Now));
        let (s, f) = wallclock::nanos_to_ntp(now + Duration::from_millis(200));
        match resolve(
            OscTime {
                seconds: s,
                fractional: f,
            },
            When::Now,
            now,
            look,
        ) {
            Ok(When::At(at)) => {
                assert!(at.get().abs_diff((now + Duration::from_millis(200)).get()) < 2)
            }
            other => panic!("{other:?}"),
        }
        let (s, f) = wallclock::nanos_to_ntp(now - Duration::from_millis(60));
        assert_eq!(
            resolve(
                OscTime {
                    seconds: s,
                    fractional: f
                },
                When::Now,
                now,
                look
            ),
            Ok(When::Late)
        );
        let (s, f) = wallclock::nanos_to_ntp(now - Duration::from_millis(10));
        assert!(matches!(
            resolve(
                OscTime {
                    seconds: s,
                    fractional: f
                },
                When::Now,
                now,
                look
            ),
            Ok(When::At(_))
        ));
        let (s, f) = wallclock::nanos_to_ntp(now + Duration::from_secs(61));
        assert!(resolve(
            OscTime {
                seconds: s,
                fractional: f
            },
            When::Now,
            now,
            look
        )
        .is_err());
        assert_eq!(
            resolve(
                OscTime {
                    seconds: 5,
                    fractional: 0
                },
                When::Now,
                now,
                look
            ),
            Ok(When::Late)
        );
    }
}
