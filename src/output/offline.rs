//! Offline renders: the same scheduler and engine as a live run, driven as
//! fast as the CPU allows, block by block. Deterministic: the same script
//! and seed give the same file, bit for bit, for any block size, models
//! included ([`super::offline_models`]).
//!
//! Everything that happens between two samples happens at a frame the
//! score fixes, and the render splits its blocks there: a bar is planned
//! (its script code run) the scheduler's plan margin before it starts, a
//! model computes where its queued audio runs out, a model operation takes
//! effect on its bar's first frame. The block size only decides how many
//! frames the engine renders between those points.

use std::path::{Path, PathBuf};

use super::credits::Credits;
use super::offline_input::OfflineInput;
use super::offline_models::{input_file, OfflineModels};
use super::record_target::{check_target, Sources};
use super::wav_file::AtomicWav;
use crate::audio::{Engine, EngineConfig, EngineStatus};
use crate::schedule::BarHook;
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

/// What a render may be given besides its script.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// A WAV file standing in for the live input (`loam render --input`):
    /// what `model_input(name, "in")` hears.
    pub input: Option<PathBuf>,
    /// Each model's buffer in model frames (`--model-buffer`); `None`: the
    /// smallest the model allows (never a measured choice offline:
    /// `model::torchscript::probe`).
    pub model_buffer: Option<usize>,
}

/// Renders `bars` bars of `script` into interleaved stereo samples; the
/// sink's error stops it.
pub fn render_samples(
    script: &Path,
    bars: i64,
    sample_rate: u32,
    block: usize,
    sink: impl FnMut(&[f32]) -> Result<(), std::io::Error>,
) -> Result<RenderReport, super::RenderError> {
    render_samples_with(
        script,
        bars,
        sample_rate,
        block,
        &RenderOptions::default(),
        sink,
    )
}

/// [`render_samples`] with an input file or a model buffer.
pub fn render_samples_with(
    script: &Path,
    bars: i64,
    sample_rate: u32,
    block: usize,
    options: &RenderOptions,
    mut sink: impl FnMut(&[f32]) -> Result<(), std::io::Error>,
) -> Result<RenderReport, super::RenderError> {
    let config = EngineConfig::new(sample_rate);
    let (session, engine) = Session::start(script, &config).map_err(super::RenderError::Script)?;
    render_session(session, engine, bars, block, options, |s| {
        sink(s).map_err(super::RenderError::Sink)
    })
}

/// Renders `bars` bars of a started session; the sink's error stops it.
fn render_session(
    mut session: Session,
    mut engine: Engine,
    bars: i64,
    block: usize,
    options: &RenderOptions,
    mut sink: impl FnMut(&[f32]) -> Result<(), super::RenderError>,
) -> Result<RenderReport, super::RenderError> {
    let block = block.max(1);
    let mut buf = vec![0.0f32; block * 2];
    let mut messages = Vec::new();
    let input = match &options.input {
        Some(path) => {
            Some(input_file(path, session.sample_rate).map_err(super::RenderError::Input)?)
        }
        None => None,
    };
    let mut models = OfflineModels::new(session.sample_rate, options.model_buffer, input);
    let mut input = OfflineInput::new(options.input.as_deref(), models.input_channels())
        .map_err(super::RenderError::Input)?;
    // What the script's first run asked of models and of the input
    // happens at frame 0.
    models.schedule(0, std::mem::take(&mut session.model_ops));
    input.apply(0, &mut session, &mut models, &mut messages);
    let margin = session.scheduler.plan_margin();
    // The end is known only once its bar is planned (tempo and metre may change).
    let mut end = None;
    loop {
        let now = engine.frame();
        // Models first: their computations due now, then operations due now.
        models
            .advance(now, &mut session)
            .map_err(super::RenderError::Model)?;
        messages.extend(models.take_messages());
        // Each bar is planned (its script code run) `margin` frames before
        // it starts, one bar at a time, so its model operations are known
        // to belong to it.
        while session.scheduler.planner().next_bar_frame() <= now + margin {
            let bar_frame = session.scheduler.planner().next_bar_frame();
            session
                .scheduler
                .plan_until(bar_frame + 1, Some(&mut session.script as &mut dyn BarHook));
            let ops = session.scheduler.planner_mut().take_model_ops();
            models.schedule(bar_frame.max(now), ops);
            // A bar's input operations (captures) happen as its code runs.
            input.apply(now, &mut session, &mut models, &mut messages);
        }
        models
            .advance(now, &mut session)
            .map_err(super::RenderError::Model)?;
        if end.is_none() && session.scheduler.planner().next_bar() > bars {
            let frame = Rational::from_integer(bars as i128);
            end = Some(session.scheduler.planner().timeline().frame_at(frame));
        }
        let mut stop = now + block as u64;
        match end {
            Some(e) if now >= e => break,
            Some(e) => stop = stop.min(e),
            None => {}
        }
        // The next point where something happens between two samples.
        stop = stop.min(session.scheduler.planner().next_bar_frame() - margin);
        if let Some(p) = models.next_point(now) {
            stop = stop.min(p);
        }
        // Everything that starts inside this block is queued first.
        messages.extend(session.tick(stop));
        models.schedule(now, std::mem::take(&mut session.model_ops));
        input.apply(now, &mut session, &mut models, &mut messages);
        messages.extend(ignored_link_requests(&session));
        let n = (stop - now) as usize;
        let out = &mut buf[..n * 2];
        input.process(&mut engine, out, now, &mut models);
        input.poll(&mut session, &mut messages);
        sink(out)?;
    }
    input.finish(&session, &models);
    let underruns = models.underruns();
    if underruns > 0 {
        messages.push(format!(
            "models underran {underruns} times in an offline render (a fault in loam)"
        ));
    }
    models.finish();
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
    render_with(
        script,
        bars,
        sample_rate,
        block,
        out,
        &RenderOptions::default(),
    )
}

/// [`render`] with an input file or a model buffer. The input file is
/// never the target either.
pub fn render_with(
    script: &Path,
    bars: i64,
    sample_rate: u32,
    block: usize,
    out: &Path,
    options: &RenderOptions,
) -> Result<RenderReport, super::RenderError> {
    let config = EngineConfig::new(sample_rate);
    let (session, engine) = Session::start(script, &config).map_err(super::RenderError::Script)?;
    let sources = Sources::of(
        script,
        session.scheduler.planner().bank(),
        &session.model_ops,
    );
    let mut sources = sources;
    if let Some(input) = &options.input {
        sources.file(input, "the render's input".into());
    }
    check_target(out, &sources)?;
    let status = session.handle.status.clone();
    let played = session.script.shared().played.clone();
    let mut wav = AtomicWav::create(out, sample_rate)?;
    let report = render_session(session, engine, bars, block, options, |s| {
        wav.write(s).map_err(super::RenderError::from)
    })?;
    let credits = Credits::gather(out, &status.sounded, &played);
    let path = wav.finish_with_chunk(&credits.info_chunk())?;
    credits
        .write_beside(&path)
        .map_err(|e| super::RenderError::Credits(path, e))?;
    Ok(report)
}

/// What a render says of each Ableton Link request a script made since the
/// last call (`link(true)`, `link_quantum(q)`, `link_start_stop(true)`,
/// `link_play(true)`): a render keeps its own clock, so it ignores them.
fn ignored_link_requests(session: &Session) -> Vec<String> {
    session
        .script
        .shared()
        .take_link_requests()
        .into_iter()
        .map(|request| {
            let call = match request.split_once(' ') {
                Some(("join", on)) => format!("link({on})"),
                Some(("quantum", q)) => format!("link_quantum({q})"),
                Some((word, on)) => format!("link_{word}({on})"),
                None => request.clone(),
            };
            format!("{call}: ignored in a render (a render keeps its own clock; Ableton Link plays only in `loam serve`)")
        })
        .collect()
}
