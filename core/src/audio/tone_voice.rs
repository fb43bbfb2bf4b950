//! The pitched half of a voice: a built-in synthesis voice
//! ([`crate::sound::tone`]) held for its note's length, then released.
//!
//! Audio thread: no allocation, no locks.

use super::guard::{check, Fault};
use crate::sound::tone::ToneState;

/// How a pitched voice's block ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToneEnd {
    /// Still sounding.
    Playing,
    /// Fell silent after its release.
    Done,
    /// A value was NaN, infinite or too loud: the voice is muted.
    Fault(Fault),
}

/// Adds `state` into interleaved stereo `out` at gains `left`/`right`;
/// `gate` counts the frames left before the release starts.
#[inline]
pub fn render_tone(
    state: &mut ToneState,
    gate: &mut u64,
    left: f32,
    right: f32,
    out: &mut [f32],
) -> ToneEnd {
    for frame in out.chunks_exact_mut(2) {
        if *gate == 0 {
            state.release();
            *gate = u64::MAX;
        } else if *gate != u64::MAX {
            *gate -= 1;
        }
        let y = state.tick();
        let (l, r) = (y * left, y * right);
        if let Some(fault) = check(l).or(check(r)) {
            return ToneEnd::Fault(fault);
        }
        frame[0] += l;
        frame[1] += r;
        if state.is_done() {
            return ToneEnd::Done;
        }
    }
    ToneEnd::Playing
}
