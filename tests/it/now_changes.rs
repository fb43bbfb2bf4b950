//! Tempo and metre changes asked for "now" (from `loam eval` or a reload)
//! take effect mid-bar with no phase jump.

use crate::support;

use loam::audio::EngineConfig;
use loam::session::Session;

/// Renders 4/4 at 120 with a click on every quarter; at `at` frames evaluates `code`.
fn run(tag: &str, code: &str, at: u64, total: u64) -> Vec<u64> {
    let body = "metre(\"4/4\");\ntempo(120);\nlive_loop(\"c\", \"click*4\");\n";
    render_acting(tag, body, at, total, |s| s.eval(code, "<eval>").unwrap())
}

/// Renders the script `body` in 512-frame blocks with a 257-frame
/// lookahead; at `at` frames calls `act` on the session. Returns the click
/// onsets.
fn render_acting(
    tag: &str,
    body: &str,
    at: u64,
    total: u64,
    mut act: impl FnMut(&mut Session),
) -> Vec<u64> {
    let script = support::script_with_click(&support::temp_dir(tag), body);
    let (mut session, mut engine) = Session::start(&script, &EngineConfig::new(48_000)).unwrap();
    let mut audio = Vec::new();
    let mut buf = vec![0.0f32; 512];
    let mut done = false;
    while engine.frame() < total {
        let now = engine.frame();
        if !done && now >= at {
            act(&mut session);
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

/// 4/4 at 30 BPM (an 8 s bar) with `loops`; at `at` frames calls `act`.
fn run_acting(tag: &str, loops: &str, at: u64, total: u64, act: fn(&mut Session)) -> Vec<u64> {
    let body = format!("metre(\"4/4\");\ntempo(30);\n{loops}");
    render_acting(tag, &body, at, total, act)
}

/// Lookahead (257 frames) plus the block the action lands in (512).
const REACH: u64 = 257 + 512;

#[test]
fn hush_silences_within_the_lookahead_not_at_the_bar_line() {
    // A click every half second; hush 2.3 s into an 8 s bar.
    let at = 110_400;
    let onsets = run_acting(
        "hush-now",
        "live_loop(\"c\", \"click*16\");\n",
        at,
        8 * 48_000,
        |s| s.hush(),
    );
    let before: Vec<u64> = onsets.iter().copied().filter(|f| *f < at).collect();
    assert_eq!(before, [0, 24_000, 48_000, 72_000, 96_000], "{onsets:?}");
    let after: Vec<u64> = onsets
        .iter()
        .copied()
        .filter(|f| *f >= at + REACH)
        .collect();
    assert!(after.is_empty(), "clicks after the hush: {after:?}");
}

#[test]
fn mute_and_solo_act_within_the_lookahead_and_the_other_loops_play_on() {
    // Loop a on whole seconds, loop b on the half seconds between them.
    let body = "live_loop(\"a\", \"click*8\");\nlive_loop(\"b\", \"[~ click]*8\");\n";
    let at = 110_400;
    for (tag, act) in [
        (
            "mute-now",
            (|s: &mut Session| assert!(s.set_muted("a", true))) as fn(&mut Session),
        ),
        ("solo-now", |s: &mut Session| assert!(s.set_solo(Some("b")))),
    ] {
        let onsets = run_acting(tag, body, at, 8 * 48_000, act);
        let before: Vec<u64> = onsets.iter().copied().filter(|f| *f < at).collect();
        assert_eq!(
            before,
            [0, 24_000, 48_000, 72_000, 96_000],
            "{tag}: {onsets:?}"
        );
        let after: Vec<u64> = onsets
            .iter()
            .copied()
            .filter(|f| *f >= at + REACH)
            .collect();
        // Only b (odd half seconds) from 2.5 s to the end of the bar.
        let want: Vec<u64> = (5..16).step_by(2).map(|k| k * 24_000).collect();
        assert_eq!(after, want, "{tag}: {onsets:?}");
    }
}
