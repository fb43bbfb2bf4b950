//! The pattern language in a script, heard in rendered audio: transforms,
//! metre groups in aksak metres at exact frames, and parse errors that point
//! at the character in the string and the line in the script.

use crate::support;

use support::{onsets, render, script_with_click, temp_dir};

/// 4/4 at 120: a bar (one cycle) is 96 000 frames.
const BAR: u64 = 96_000;

fn clicks(tag: &str, body: &str, bars: i64) -> Vec<u64> {
    let s = script_with_click(
        &temp_dir(tag),
        &format!("metre(\"4/4\");\ntempo(120);\n{body}"),
    );
    onsets(&render(&s, bars, 64))
}

fn grid(bar: u64, steps: u64, which: &[u64]) -> Vec<u64> {
    which.iter().map(|i| bar * BAR + i * BAR / steps).collect()
}

#[test]
fn fast_slow_rev_shift() {
    assert_eq!(
        clicks("fast", "live_loop(\"c\", \"click ~\").fast(2);", 1),
        grid(0, 4, &[0, 2])
    );
    assert_eq!(
        clicks("slow", "live_loop(\"c\", \"click click\").slow(2);", 2),
        vec![0, BAR]
    );
    assert_eq!(
        clicks(
            "rev",
            "live_loop(\"c\", \"click ~ ~ ~ click ~ ~ ~\").rev();",
            1
        ),
        grid(0, 8, &[3, 7])
    );
    // 4/4 has four pulses: shift by one pulse = a quarter later.
    assert_eq!(
        clicks("shift", "live_loop(\"c\", \"click ~ ~ ~\").shift(1);", 1),
        grid(0, 4, &[1])
    );
}

#[test]
fn every_applies_on_chosen_cycles() {
    let got = clicks(
        "every",
        "live_loop(\"c\", \"click ~\").every(2, fast(2));",
        4,
    );
    let mut want = grid(0, 4, &[0, 2]);
    want.extend(grid(1, 2, &[0]));
    want.extend(grid(2, 4, &[0, 2]));
    want.extend(grid(3, 2, &[0]));
    assert_eq!(got, want);
}

#[test]
fn swing_delays_the_off_beats() {
    // Eighths in 4/4 swung by 1/3: each off-beat moves 1/3 of an eighth later.
    let got = clicks("swing", "live_loop(\"c\", \"click*8\").swing(\"1/3\");", 1);
    let e = BAR / 8;
    let want: Vec<u64> = (0..8)
        .map(|i| i * e + if i % 2 == 1 { e / 3 } else { 0 })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn degrade_is_seeded_and_layer_adds() {
    let a = clicks(
        "degrade-a",
        "seed(1);\nlive_loop(\"c\", \"click*16\").degrade(0.5);",
        2,
    );
    let b = clicks(
        "degrade-b",
        "seed(1);\nlive_loop(\"c\", \"click*16\").degrade(0.5);",
        2,
    );
    let c = clicks(
        "degrade-c",
        "seed(2);\nlive_loop(\"c\", \"click*16\").degrade(0.5);",
        2,
    );
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.len() > 6 && a.len() < 26, "{}", a.len());
    let got = clicks(
        "layer",
        "live_loop(\"c\", \"click ~ ~ ~\").layer(\"~ ~ click ~\");",
        1,
    );
    assert_eq!(got, grid(0, 4, &[0, 2]));
}

#[test]
fn humanise_stays_within_its_bounds() {
    let got = clicks(
        "human",
        "seed(4);\nlive_loop(\"c\", \"click ~ click ~\").humanise(0.1, 0.0);",
        4,
    );
    assert_eq!(got.len(), 8);
    let pulse = BAR / 4;
    for (i, f) in got.iter().enumerate() {
        let nominal = (i as u64 / 2) * BAR + (i as u64 % 2) * BAR / 2;
        assert!(f.abs_diff(nominal) <= pulse / 10 + 1, "{f} vs {nominal}");
    }
    assert!(got
        .iter()
        .enumerate()
        .any(|(i, f)| *f != (i as u64 / 2) * BAR + (i as u64 % 2) * BAR / 2));
}

#[test]
fn metre_groups_in_aksak_metres_land_on_exact_frames() {
    // 9/8 as 2+2+2+3 at 120 quarters: an eighth is 12 000 frames; a bar 108 000.
    let s = script_with_click(
        &temp_dir("aksak"),
        "metre(\"2+2+2+3/8\");\ntempo(120);\nlive_loop(\"c\", \"click click | click ~ | click | click ~ click\");",
    );
    let e = 12_000u64;
    let bar = 9 * e;
    let one: Vec<u64> = vec![0, e, 2 * e, 4 * e, 6 * e, 8 * e];
    let want: Vec<u64> = (0..2)
        .flat_map(|b| one.iter().map(move |x| b * bar + x))
        .collect();
    assert_eq!(onsets(&render(&s, 2, 64)), want);
    // 12/8 with triplet subdivision inside each dotted-quarter group.
    let s = script_with_click(
        &temp_dir("twelve"),
        "metre(\"12/8\");\ntempo(60);\nlive_loop(\"c\", \"click ~ click | ~ click ~ | click*3 | ~\");",
    );
    // 60 dotted quarters: a group is one second.
    let g = 48_000u64;
    assert_eq!(
        onsets(&render(&s, 1, 64)),
        vec![
            0,
            2 * g / 3,
            g + g / 3,
            2 * g,
            2 * g + g / 3,
            2 * g + 2 * g / 3
        ]
    );
}

#[test]
fn a_pattern_error_points_at_the_character_and_the_line() {
    let s = script_with_click(
        &temp_dir("perr"),
        "tempo(120);\n\nlive_loop(\"c\", \"click [click ~\");\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&s)
        .args(["--bars", "1", "-o", "/dev/null"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    // Line 4 of the file (a samples() line comes first), column 7 of the pattern.
    assert!(err.contains("piece.rhai:4:"), "{err}");
    assert!(
        err.contains("column 7") && err.contains("unclosed '['"),
        "{err}"
    );
}
