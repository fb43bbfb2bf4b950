//! Tempo and metre changes asked for "now" (from `loam eval` or a reload)
//! take effect mid-bar with no phase jump.

mod support;

use loam::audio::EngineConfig;
use loam::session::Session;

/// Renders 4/4 at 120 with a click on every quarter; at `at` frames evaluates `code`.
fn run(tag: &str, code: &str, at: u64, total: u64) -> Vec<u64> {
    let script = support::script_with_click(
        tag,
        "metre(\"4/4\");\ntempo(120);\nlive_loop(\"c\", \"click*4\");\n",
    );
    let (mut session, mut engine) = Session::start(&script, &EngineConfig::new(48_000)).unwrap();
    let mut audio = Vec::new();
    let mut buf = vec![0.0f32; 512];
    let mut done = false;
    while engine.frame() < total {
        let now = engine.frame();
        if !done && now >= at {
            session.eval(code, "<eval>").unwrap();
            done = true;
        }
        session.tick(now + 257);
        engine.process(&mut buf);
        audio.extend_from_slice(&buf);
    }
    support::onsets(&audio)
}

#[test]
fn tempo_now_changes_mid_bar_without_a_phase_jump() {
    let onsets = run("tempo-now", "tempo_now(240);", 130_000, 300_000);
    let gaps: Vec<u64> = onsets.windows(2).map(|w| w[1] - w[0]).collect();
    let straddling: Vec<&u64> = gaps
        .iter()
        .filter(|g| **g != 24_000 && **g != 12_000)
        .collect();
    assert_eq!(straddling.len(), 1, "{gaps:?}");
    assert!(
        *straddling[0] > 12_000 && *straddling[0] < 24_000,
        "{gaps:?}"
    );
    let i = gaps.iter().position(|g| g == straddling[0]).unwrap();
    assert!(gaps[..i].iter().all(|g| *g == 24_000), "{gaps:?}");
    assert!(gaps[i + 1..].iter().all(|g| *g == 12_000), "{gaps:?}");
    // Before the change every onset sits on the 120 BPM grid.
    assert!(onsets[..=i].iter().all(|f| f % 24_000 == 0), "{onsets:?}");
}

#[test]
fn metre_now_cuts_the_bar_at_the_next_beat() {
    let onsets = run("metre-now", "metre_now(\"7/8\");", 130_000, 320_000);
    // Bar 1 (from 96 000) is cut at its next quarter after ~130 000 plus what
    // was already sent: the new 7/8 bar (84 000 frames, four clicks 21 000
    // apart) starts on a quarter of the old grid.
    let cut = onsets
        .iter()
        .zip(onsets.iter().skip(1))
        .find(|(a, b)| *b - *a == 21_000)
        .map(|(a, _)| *a)
        .expect("7/8 clicks");
    assert_eq!(cut % 24_000, 0, "the new bar starts on a beat: {onsets:?}");
    let after: Vec<u64> = onsets
        .iter()
        .filter(|f| **f >= cut)
        .map(|f| f - cut)
        .collect();
    assert_eq!(
        &after[..6],
        &[0, 21_000, 42_000, 63_000, 84_000, 105_000],
        "{onsets:?}"
    );
    assert!(onsets.iter().filter(|f| **f < cut).all(|f| f % 24_000 == 0));
}
