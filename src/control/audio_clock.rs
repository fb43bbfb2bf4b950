//! Where the audio clock stands, as a value the wall-clock conversions of
//! [`crate::time::wallclock`] count from.

use crate::audio::EngineStatus;
use crate::time::wallclock::{self, ClockStamp};

/// The output's latest stamp; before any, the engine's frame count now,
/// taken as playing now. Read afresh for every conversion, as the output
/// stamps each block.
pub fn stamp(status: &EngineStatus) -> ClockStamp {
    let (frame, nanos) = status
        .clock()
        .unwrap_or_else(|| (status.frames(), wallclock::now_nanos()));
    ClockStamp { frame, nanos }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_stamp_or_the_frame_count_now() {
        let st = EngineStatus::default();
        let before = wallclock::now_nanos();
        let unstamped = stamp(&st);
        assert_eq!(unstamped.frame, st.frames());
        assert!(unstamped.nanos >= before && unstamped.nanos <= wallclock::now_nanos());
        st.stamp_clock(48_000, 2_000_000_000);
        assert_eq!(
            stamp(&st),
            ClockStamp {
                frame: 48_000,
                nanos: 2_000_000_000
            }
        );
        assert_eq!(
            wallclock::frame_at(stamp(&st), 48_000, 2_500_000_000),
            72_000
        );
    }
}
