//! Moving a corpus's cursor from outside the script (OSC
//! `/corpus/NAME/xy x y`, MIDI controls learned to `corpus:NAME:x` and
//! `corpus:NAME:y`): the segment nearest the cursor is selected for the
//! pattern steps that name the cursor (`NAME:xy`), heard within the
//! lookahead, and, when asked, played now; subscribers are told what
//! played and where it was cut from (`/corpus/NAME/played`).
//!
//! Control thread: a scan of the map (about a microsecond per thousand
//! segments) and one look-up of the segment's credit.

use super::{AnswerArg, ControlError, Notice};
use crate::audio::SoundEvent;
use crate::data::credit::{source_of, CreditedSource};
use crate::session::Session;

/// Whether moving a cursor plays the segment it selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorPlay {
    /// Only select it, for `NAME:xy` steps (OSC `/corpus/NAME/xy x y 0`).
    Never,
    /// Play it now, every time (OSC `/corpus/NAME/xy x y`).
    Always,
    /// Play it when the selection changes (a learned MIDI control: a knob
    /// sweeping the map plays each segment it reaches once).
    WhenChanged,
}

/// Moves corpus `name`'s cursor (each axis given), selects the nearest
/// segment and plays it now as `play` says. Answers the segment, its map
/// point and its recording (`i segment, f x, f y, s recording`), with the
/// notice for subscribers when it played.
pub fn move_cursor(
    session: &mut Session,
    name: &str,
    x: Option<f64>,
    y: Option<f64>,
    play: CursorPlay,
) -> Result<(Vec<AnswerArg>, Option<Notice>), ControlError> {
    let planner = session.scheduler.planner_mut();
    let before = planner.corpora().get(name).map(|c| c.selected);
    let Some(selected) = planner.corpora_mut().move_cursor(name, x, y) else {
        return Err(ControlError::NoCorpus {
            name: name.to_string(),
            known: planner.corpora().names(),
        });
    };
    let sample = planner
        .bank()
        .get(&selected.corpus, selected.segment as u32)
        .cloned();
    let changed = before != Some(selected.segment);
    if changed {
        // Steps that name the cursor are planned again from now on.
        let now = session.handle.frames();
        session.scheduler.drop_unsent(now);
    }
    let (recording, offset_seconds) = match sample.as_ref().and_then(|s| source_of(s.credit)) {
        Some(CreditedSource::CorpusSegment {
            recording,
            offset_frames,
            recording_rate,
            ..
        }) => (
            recording,
            offset_frames as f64 / f64::from(recording_rate.max(1)),
        ),
        _ => (selected.source.clone(), 0.0),
    };
    let args = vec![
        AnswerArg::Int(selected.segment as i32),
        AnswerArg::Float(selected.x as f32),
        AnswerArg::Float(selected.y as f32),
        AnswerArg::Str(recording.clone()),
    ];
    if play == CursorPlay::Never || (play == CursorPlay::WhenChanged && !changed) {
        return Ok((args, None));
    }
    let Some(sample) = sample else {
        return Err(ControlError::UnknownSound {
            name: format!("{}:{}", selected.corpus, selected.segment),
            known: vec![selected.corpus.clone()],
        });
    };
    let mut ev = SoundEvent::new(session.handle.status.frames(), sample);
    ev.immediate = true;
    session
        .handle
        .send_direct(ev)
        .map_err(|_| ControlError::QueueFull)?;
    Ok((
        args,
        Some(Notice::CorpusPlayed {
            corpus: selected.corpus,
            segment: selected.segment,
            x: selected.x,
            y: selected.y,
            recording,
            offset_seconds,
        }),
    ))
}
