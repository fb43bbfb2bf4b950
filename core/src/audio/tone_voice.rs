//! The pitched half of a voice: a built-in synthesis voice
//! ([`crate::sound::tone`]) held for its note's length, then released.
//!
//! Audio thread: no allocation, no locks.

use super::guard::{check, Fault, SOURCE_LIMIT};
use crate::sound::tone::{ToneState, TONE_RUN_FRAMES};

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
///
/// A run of frames at a time (the note's values first, then the check
/// and the mix), with the same result as frame by frame: the release
/// starts at the same frame, and a bad value is found at its frame, with
/// the frames before it added and none after.
#[inline]
pub fn render_tone(
    state: &mut ToneState,
    gate: &mut u64,
    left: f32,
    right: f32,
    out: &mut [f32],
) -> ToneEnd {
    let mut mono = [0.0f32; TONE_RUN_FRAMES];
    let mut rest = out;
    while rest.len() >= 2 {
        if *gate == 0 {
            state.release();
            *gate = u64::MAX;
        }
        // Up to the gate's frame, so the release starts where it should.
        let frames = (rest.len() / 2).min(TONE_RUN_FRAMES);
        let frames = if *gate == u64::MAX {
            frames
        } else {
            let until = usize::try_from(*gate).unwrap_or(usize::MAX);
            frames.min(until)
        };
        let (run, after) = rest.split_at_mut(frames * 2);
        rest = after;
        if *gate != u64::MAX {
            *gate -= frames as u64;
        }
        let written = state.fill(&mut mono[..frames]);
        let values = &mono[..written];
        let all_fit = values.iter().fold(true, |ok, &y| {
            ok & ((y * left).abs() <= SOURCE_LIMIT) & ((y * right).abs() <= SOURCE_LIMIT)
        });
        if !all_fit {
            for (frame, &y) in run.chunks_exact_mut(2).zip(values) {
                let (l, r) = (y * left, y * right);
                if let Some(fault) = check(l).or(check(r)) {
                    return ToneEnd::Fault(fault);
                }
                frame[0] += l;
                frame[1] += r;
            }
        } else {
            for (frame, &y) in run.chunks_exact_mut(2).zip(values) {
                frame[0] += y * left;
                frame[1] += y * right;
            }
        }
        if written < frames || state.is_done() {
            return ToneEnd::Done;
        }
    }
    ToneEnd::Playing
}
