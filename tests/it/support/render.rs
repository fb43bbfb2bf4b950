//! Offline renders in the test process, and loam's frame maths.

use std::path::Path;

use loam::output::offline::render_samples;

/// Renders `bars` bars at 48 kHz with `block`-frame blocks; interleaved
/// stereo. Takes a [`super::alone::shared`] turn while it renders.
pub fn render(script: &Path, bars: i64, block: usize) -> Vec<f32> {
    let _turn = super::alone::shared();
    let mut out = Vec::new();
    let report = render_samples(script, bars, 48_000, block, |s| {
        out.extend_from_slice(s);
        Ok(())
    })
    .expect("render");
    assert_eq!(report.late_events, 0, "late events in an offline render");
    out
}

/// `floor(num/den + 1/2)` for non-negative integers: loam's one rounding rule.
pub fn round_half_up(num: i128, den: i128) -> u64 {
    ((2 * num + den) / (2 * den)) as u64
}

/// Renders `bars` bars at 48 kHz with `block`-frame blocks and `options`
/// (an input file, a model buffer); the samples and the report, or the
/// render's error. Takes a [`super::alone::shared`] turn while it renders.
pub fn render_with(
    script: &Path,
    bars: i64,
    block: usize,
    options: &loam::output::RenderOptions,
) -> Result<(Vec<f32>, loam::output::RenderReport), loam::output::RenderError> {
    let _turn = super::alone::shared();
    let mut out = Vec::new();
    let report =
        loam::output::offline::render_samples_with(script, bars, 48_000, block, options, |s| {
            out.extend_from_slice(s);
            Ok(())
        })?;
    Ok((out, report))
}
