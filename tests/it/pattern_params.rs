//! Parameter patterns heard in a render: `.gain("…")` and `.pan("…")`
//! follow the loop's notes (structure from the left, as Tidal's `#`).

use crate::support;

use support::{onsets, render, script_with_click, temp_dir};

/// 4/4 at 120: a bar (one cycle) is 96 000 frames.
const BAR: u64 = 96_000;

/// Renders `body` for `bars` bars; interleaved stereo.
fn audio(tag: &str, body: &str, bars: i64) -> Vec<f32> {
    let s = script_with_click(
        &temp_dir(tag),
        &format!("metre(\"4/4\");\ntempo(120);\n{body}"),
    );
    render(&s, bars, 64)
}

/// The left and right sample at each frame.
fn levels(stereo: &[f32], frames: &[u64]) -> Vec<(f32, f32)> {
    frames
        .iter()
        .map(|&f| (stereo[2 * f as usize], stereo[2 * f as usize + 1]))
        .collect()
}

#[test]
fn gain_pattern_sets_each_note_level() {
    let a = audio(
        "gain-pat",
        "live_loop(\"c\", \"click*4\").gain(\"1 0.5 0.8 0.5\");",
        1,
    );
    let frames = onsets(&a);
    assert_eq!(frames, vec![0, BAR / 4, BAR / 2, 3 * BAR / 4]);
    let l = levels(&a, &frames);
    let first = l[0].0;
    assert!(first > 0.1, "{l:?}");
    for (i, want) in [1.0f32, 0.5, 0.8, 0.5].into_iter().enumerate() {
        assert!((l[i].0 / first - want).abs() < 1e-4, "note {i}: {l:?}");
        assert!((l[i].1 / first - want).abs() < 1e-4, "note {i}: {l:?}");
    }
    // The loop's own gain setting is replaced, as Tidal's `# gain` replaces.
    let b = audio(
        "gain-pat-loop",
        "live_loop(\"c\", \"click*4\").gain(0.25).gain(\"1 0.5 0.8 0.5\");",
        1,
    );
    assert_eq!(levels(&b, &frames), l);
}

#[test]
fn pan_pattern_and_rest_follow_the_notes() {
    let a = audio("pan-pat", "live_loop(\"c\", \"click*4\").pan(\"-1 1\");", 2);
    let frames = onsets(&a);
    // Left-channel onsets: only the first half of each bar.
    assert_eq!(frames, vec![0, BAR / 4, BAR, BAR + BAR / 4]);
    let right: Vec<f32> = a.chunks_exact(2).flat_map(|f| [f[1], f[0]]).collect();
    assert_eq!(
        onsets(&right),
        vec![BAR / 2, 3 * BAR / 4, BAR + BAR / 2, BAR + 3 * BAR / 4]
    );
    // A rest in a parameter pattern drops the note (Tidal's `#` does too);
    // `<…>` alternates per cycle.
    let b = audio(
        "gain-rest",
        "live_loop(\"c\", \"click*4\").gain(\"<1 ~> 0.5\");",
        2,
    );
    assert_eq!(
        onsets(&b),
        vec![
            0,
            BAR / 4,
            BAR / 2,
            3 * BAR / 4,
            BAR + BAR / 2,
            BAR + 3 * BAR / 4
        ]
    );
}

#[test]
fn a_bad_value_names_the_loop_and_the_column() {
    let dir = temp_dir("param-bad");
    let s = script_with_click(
        &dir,
        "tempo(120);\nlive_loop(\"h\", \"click*4\").gain(\"1 <0.5 20>\");\n",
    );
    let _turn = support::alone::shared();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&s)
        .args(["--bars", "1", "-o", "/dev/null"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("loop 'h': gain pattern column 8: gain 20 is out of range"),
        "{err}"
    );
}

#[test]
fn signals_set_parameters_at_each_onset() {
    // An envelope through 1, 0.5, 0.8, 0.5 (and back to 1) read at quarters
    // gives the same levels as the pattern "1 0.5 0.8 0.5".
    let a = audio(
        "gain-env",
        "live_loop(\"c\", \"click*4\").gain(envelope([1, 0.5, 0.8, 0.5, 1]));",
        1,
    );
    let b = audio(
        "gain-env-pat",
        "live_loop(\"c\", \"click*4\").gain(\"1 0.5 0.8 0.5\");",
        1,
    );
    let frames = onsets(&b);
    assert_eq!(onsets(&a), frames);
    assert_eq!(levels(&a, &frames), levels(&b, &frames));
    // A square from -1 to 1, slowed to two bars: bar 0 left, bar 1 right.
    let c = audio(
        "pan-square",
        "live_loop(\"c\", \"click*2\").pan(square.slow(2).range(-1, 1));",
        2,
    );
    assert_eq!(onsets(&c), vec![0, BAR / 2]);
    let right: Vec<f32> = c.chunks_exact(2).flat_map(|f| [f[1], f[0]]).collect();
    assert_eq!(onsets(&right), vec![BAR, BAR + BAR / 2]);
    // A script's own variable of the same name comes first.
    let d = audio(
        "signal-shadow",
        "let square = \"1 0\";\nlive_loop(\"c\", \"click*2\").gain(square);",
        1,
    );
    assert_eq!(onsets(&d), vec![0]);
}
