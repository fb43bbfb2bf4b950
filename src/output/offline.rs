//! Offline renders: the same scheduler and engine as a live run, driven as
//! fast as the CPU allows, block by block. Deterministic: the same script
//! and seed give the same file, bit for bit, for any block size.

use std::path::Path;

use super::credits::Credits;
use super::record_target::{check_target, Sources};
use super::wav_file::AtomicWav;
use crate::audio::{Engine, EngineConfig, EngineStatus};
use crate::session::Session;
use crate::time::Rational;

/// What a render did.
#[derive(Debug, Clone)]
pub struct RenderReport {
    /// Frames rendered.
    pub frames: u64,
    /// Bars rendered, as asked.
    pub bars: i64,
    /// Events that reached the engine after their frame had played.
    pub late_events: u64,
    /// Voices cut short because all voices were busy.
    pub stolen_voices: u64,
    /// What the script printed and its errors, in order.
    pub messages: Vec<String>,
}

/// Renders `bars` bars of `script` into interleaved stereo samples; the
/// sink's error stops it.
pub fn render_samples(
    script: &Path,
    bars: i64,
    sample_rate: u32,
    block: usize,
    mut sink: impl FnMut(&[f32]) -> Result<(), std::io::Error>,
) -> Result<RenderReport, super::RenderError> {
    let config = EngineConfig::new(sample_rate);
    let (session, engine) = Session::start(script, &config).map_err(super::RenderError::Script)?;
    render_session(session, engine, bars, block, |s| {
        sink(s).map_err(super::RenderError::Sink)
    })
}

/// Renders `bars` bars of a started session; the sink's error stops it.
fn render_session<E>(
    mut session: Session,
    mut engine: Engine,
    bars: i64,
    block: usize,
    mut sink: impl FnMut(&[f32]) -> Result<(), E>,
) -> Result<RenderReport, E> {
    let block = block.max(1);
    let mut buf = vec![0.0f32; block * 2];
    let mut messages = Vec::new();
    // The end is known only once its bar is planned (tempo and metre may change).
    let mut end = None;
    loop {
        let now = engine.frame();
        // Everything that starts inside this block must be queued first.
        messages.extend(session.tick(now + block as u64 + 1));
        if end.is_none() && session.scheduler.planner().next_bar() > bars {
            let frame = Rational::from_integer(bars as i128);
            end = Some(session.scheduler.planner().timeline().frame_at(frame));
        }
        let n = match end {
            Some(e) if now >= e => break,
            Some(e) => ((e - now) as usize).min(block),
            None => block,
        };
        let out = &mut buf[..n * 2];
        engine.process(out);
        sink(out)?;
    }
    if !session.model_ops.is_empty() {
        messages.push("models play only live (loam serve); this offline render skips them".into());
    }
    let status = &session.handle.status;
    Ok(RenderReport {
        frames: engine.frame(),
        bars,
        late_events: EngineStatus::get(&status.late_events),
        stolen_voices: EngineStatus::get(&status.stolen_voices),
        messages,
    })
}

/// Renders `bars` bars of `script` to a 32-bit float stereo WAV, atomically,
/// with its credits ([`super::credits`]) in its INFO chunk and in
/// `NAME.credits.toml` beside it.
/// `out` is checked first ([`check_target`]): never the script, another
/// script, a sound folder or a model the script reads.
pub fn render(
    script: &Path,
    bars: i64,
    sample_rate: u32,
    block: usize,
    out: &Path,
) -> Result<RenderReport, super::RenderError> {
    let config = EngineConfig::new(sample_rate);
    let (session, engine) = Session::start(script, &config).map_err(super::RenderError::Script)?;
    let sources = Sources::of(
        script,
        session.scheduler.planner().bank(),
        &session.model_ops,
    );
    check_target(out, &sources)?;
    let status = session.handle.status.clone();
    let played = session.script.shared().played.clone();
    let mut wav = AtomicWav::create(out, sample_rate)?;
    let report = render_session(session, engine, bars, block, |s| wav.write(s))?;
    let credits = Credits::gather(out, &status.sounded, &played);
    let path = wav.finish_with_chunk(&credits.info_chunk())?;
    credits
        .write_beside(&path)
        .map_err(|e| super::RenderError::Credits(path, e))?;
    Ok(report)
}
