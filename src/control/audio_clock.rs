//! Where the audio clock stands, as a value the wall-clock conversions of
//! [`crate::time::wallclock`] count from.

use crate::audio::EngineStatus;
use crate::time::wallclock::{self, ClockStamp, Frame};

/// The output's latest stamp; before any, the engine's frame count now,
/// taken as playing now. Read afresh for every conversion, as the output
/// stamps each block.
pub fn stamp(status: &EngineStatus) -> ClockStamp {
    status.clock().unwrap_or_else(|| ClockStamp {
        frame: Frame(status.frames()),
        nanos: wallclock::now_nanos(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Nanos;

    #[test]
    fn the_latest_stamp_or_the_frame_count_now() {
        let st = EngineStatus::default();
        let before = wallclock::now_nanos();
        let unstamped = stamp(&st);
        assert_eq!(unstamped.frame, Frame(st.frames()));
        assert!(unstamped.nanos >= before && unstamped.nanos <= wallclock::now_nanos());
        st.stamp_clock(ClockStamp {
            frame: Frame(48_000),
            nanos: Nanos(2_000_000_000),
        });
        assert_eq!(
            stamp(&st),
            ClockStamp {
                frame: Frame(48_000),
                nanos: Nanos(2_000_000_000)
            }
        );
        assert_eq!(
            wallclock::frame_at(stamp(&st), 48_000, Nanos(2_500_000_000)).get(),
            72_000
        );
    }
}
