//! Bundle timetags to times on loam's monotonic clock, through the one
//! wall-clock mapping in [`crate::time::wallclock`]; and a guard against
//! bundles nested deeper than anyone sends.

use rosc::OscTime;

use crate::time::wallclock;

/// The OSC "immediately" timetag (0 seconds, fraction 1).
pub const IMMEDIATE: OscTime = OscTime {
    seconds: 0,
    fractional: 1,
};

/// Timetags further ahead than this are refused (the engine holds timed
/// events in a fixed-size list; an hour-ahead typo should not fill it).
pub const MAX_AHEAD_NANOS: u64 = 60_000_000_000;

/// Bundles nested deeper than this are refused before decoding.
pub const MAX_DEPTH: usize = 8;

/// When a bundle's messages act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// On arrival.
    Now,
    /// At these monotonic nanoseconds ([`wallclock::now_nanos`]).
    At(u64),
    /// The timetag had passed by more than the lookahead: played now, counted late.
    Late,
}

impl When {
    /// The time for a [`crate::control::PlayRequest`]: `None` is now.
    pub fn at_nanos(self) -> Option<u64> {
        match self {
            When::At(n) => Some(n),
            When::Now | When::Late => None,
        }
    }
}

/// Resolves a bundle's timetag. `outer` is the enclosing bundle's time (an
/// immediate inner bundle inherits it); `now` and `lookahead` are nanoseconds.
pub fn resolve(tag: OscTime, outer: When, now: u64, lookahead: u64) -> Result<When, String> {
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
    if at > now + MAX_AHEAD_NANOS {
        return Err(format!(
            "timetag {:.3} s ahead: bundles may be at most {} s ahead",
            (at - now) as f64 / 1e9,
            MAX_AHEAD_NANOS / 1_000_000_000
        ));
    }
    Ok(When::At(at))
}

/// True when `bytes` holds bundles nested more than `limit` deep (checked
/// before decoding, so a hostile packet cannot recurse the decoder deeply).
pub fn too_deep(bytes: &[u8], limit: usize) -> bool {
    const TAG: &[u8] = b"#bundle\0";
    if !bytes.starts_with(TAG) {
        return false;
    }
    if limit == 0 {
        return true;
    }
    let mut pos = 16;
    while pos + 4 <= bytes.len() {
        let size = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        let start = pos + 4;
        let Some(end) = start.checked_add(size).filter(|e| *e <= bytes.len()) else {
            // Truncated: the decoder rejects it without recursing further.
            return false;
        };
        if too_deep(&bytes[start..end], limit - 1) {
            return true;
        }
        pos = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use rosc::{encoder, OscBundle, OscMessage, OscPacket};

    fn nest(depth: usize) -> Vec<u8> {
        let mut p = OscPacket::Message(OscMessage {
            addr: "/status".into(),
            args: vec![],
        });
        for _ in 0..depth {
            p = OscPacket::Bundle(OscBundle {
                timetag: IMMEDIATE,
                content: vec![p],
            });
        }
        encoder::encode(&p).unwrap()
    }

    #[test]
    fn depth_is_counted_without_decoding() {
        assert!(!too_deep(&nest(0), MAX_DEPTH));
        assert!(!too_deep(&nest(MAX_DEPTH), MAX_DEPTH));
        assert!(too_deep(&nest(MAX_DEPTH + 1), MAX_DEPTH));
        assert!(!too_deep(
            b"#bundle\0\0\0\0\0\0\0\0\x01\xff\xff\xff\xff",
            MAX_DEPTH
        ));
    }

    #[test]
    fn timetags_resolve_to_now_later_or_late() {
        let now = wallclock::now_nanos() + 10_000_000_000;
        let look = 50_000_000;
        assert_eq!(resolve(IMMEDIATE, When::Now, now, look), Ok(When::Now));
        let (s, f) = wallclock::nanos_to_ntp(now + 200_000_000);
        match resolve(
            OscTime {
                seconds: s,
                fractional: f,
            },
            When::Now,
            now,
            look,
        ) {
            Ok(When::At(at)) => assert!(at.abs_diff(now + 200_000_000) < 2),
            other => panic!("{other:?}"),
        }
        let (s, f) = wallclock::nanos_to_ntp(now - 60_000_000);
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
        let (s, f) = wallclock::nanos_to_ntp(now - 10_000_000);
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
        let (s, f) = wallclock::nanos_to_ntp(now + 61_000_000_000);
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
