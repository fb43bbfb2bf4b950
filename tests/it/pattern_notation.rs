//! Patterned operator arguments in a script, heard at exact frames in 7/8
//! and 9/8, and bad arguments refused with the loop and the column while
//! the loop keeps its last good pattern.

use crate::support;

use support::{onsets, render, round_half_up, script_with_click, temp_dir};

/// Frames of each position (in bars, as `(numerator, denominator)`) for a
/// bar of `bar` frames.
fn frames(bar: i128, positions: &[(i128, i128)]) -> Vec<u64> {
    positions
        .iter()
        .map(|&(n, d)| round_half_up(n * bar, d))
        .collect()
}

#[test]
fn patterned_arguments_in_seven_eight_land_on_exact_frames() {
    // 7/8 is 2+2+3 and tempo counts quarters: an eighth is 12 000 frames,
    // a bar 84 000. The three parts sit at [0, 2/7), [2/7, 4/7), [4/7, 1).
    let s = script_with_click(
        &temp_dir("patterned-78"),
        "metre(\"7/8\");\ntempo(120);\nlive_loop(\"c\", \"click*<2 3> | click(<3 5>,8) | click\");",
    );
    let want = frames(
        84_000,
        &[
            // bar 0: *2, (3,8), one click
            (0, 1),
            (1, 7),
            (2, 7),
            (11, 28),
            (1, 2),
            (4, 7),
            // bar 1: *3, (5,8), one click
            (1, 1),
            (23, 21),
            (25, 21),
            (9, 7),
            (19, 14),
            (39, 28),
            (41, 28),
            (3, 2),
            (11, 7),
        ],
    );
    assert_eq!(onsets(&render(&s, 2, 64)), want);
}

#[test]
fn patterned_arguments_in_nine_eight_land_on_exact_frames() {
    // 9/8 is 3+3+3 and tempo counts dotted quarters: a bar is 72 000 frames.
    let s = script_with_click(
        &temp_dir("patterned-98"),
        "metre(\"9/8\");\ntempo(120);\nlive_loop(\"c\", \"click*<2 3> | click(<3 5>,8,<0 2>) | {click click click}%<2 4>\");",
    );
    let want = frames(
        72_000,
        &[
            (0, 1),
            (1, 6),
            (1, 3),
            (11, 24),
            (7, 12),
            (2, 3),
            (5, 6),
            (1, 1),
            (10, 9),
            (11, 9),
            (4, 3),
            (11, 8),
            (35, 24),
            (3, 2),
            (19, 12),
            (5, 3),
            (7, 4),
            (11, 6),
            (23, 12),
        ],
    );
    assert_eq!(onsets(&render(&s, 2, 64)), want);
}

/// Runs `loam render` on `body` (after a click sample) for `bars` bars;
/// gives the exit code, stderr and the rendered audio (empty if none).
fn render_cli(tag: &str, body: &str, bars: u32) -> (Option<i32>, String, Vec<f32>) {
    let _turn = support::alone::shared();
    let dir = temp_dir(tag);
    let s = script_with_click(&dir, body);
    let wav = dir.join("out.wav");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&s)
        .args(["--bars", &bars.to_string(), "-o"])
        .arg(&wav)
        .output()
        .unwrap();
    let audio = if wav.exists() {
        support::read_wav(&wav)
    } else {
        Vec::new()
    };
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        audio,
    )
}

#[test]
fn a_bad_patterned_argument_names_the_loop_and_the_column() {
    for (pattern, column, message) in [
        (
            "click*<2 x>",
            10,
            "expected a number for the factor, found 'x'",
        ),
        (
            "click(<3 0>,8)",
            10,
            "euclid pulses must not be 0 (write '~' for silence)",
        ),
        (
            "{click ~}%<2 0>",
            14,
            "steps per cycle must be greater than zero",
        ),
    ] {
        let (code, err, _) = render_cli(
            "patterned-bad",
            &format!("tempo(120);\nlive_loop(\"hats\", \"{pattern}\");\n"),
            1,
        );
        assert_eq!(code, Some(3), "{pattern}: {err}");
        assert!(
            err.contains("piece.rhai:3:")
                && err.contains("loop 'hats'")
                && err.contains(&format!("column {column}: {message}")),
            "{pattern}: {err}"
        );
    }
}

#[test]
fn a_loop_that_turns_bad_keeps_its_last_good_pattern() {
    // Bar 0 plays click*<2 3>; bar 1's pattern is refused, so the loop
    // plays the last good one's cycle 1 (three clicks) and says why.
    let (code, err, audio) = render_cli(
        "patterned-keep",
        "metre(\"4/4\");\ntempo(120);\nlive_loop(\"c\", |n| if n == 0 { \"click*<2 3>\" } else { \"click(<3 0>,8)\" });\n",
        2,
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("loop 'c', bar 1: pattern column 10: euclid pulses must not be 0")
            && err.contains("keeps its last good version"),
        "{err}"
    );
    assert_eq!(
        onsets(&audio),
        frames(96_000, &[(0, 1), (1, 2), (1, 1), (4, 3), (5, 3)])
    );
}
