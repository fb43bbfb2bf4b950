//! Rendered audio puts every onset on the exact frame, in every metre loam
//! knows, and across tempo-octave switches up and down.

use crate::support;

use support::{onsets, render, round_half_up, script_with_click, temp_dir};

/// Exact frame of `pulses` pulses (of `1/unit`) at `bpm_num/bpm_den` beats
/// of `beat_pulses` pulses per minute, at 48 kHz.
fn pulse_frame(pulses: i128, beat_pulses: i128, bpm_num: i128, bpm_den: i128) -> u64 {
    // seconds = pulses / beat_pulses * 60 / bpm
    round_half_up(pulses * 60 * 48_000 * bpm_den, beat_pulses * bpm_num)
}

fn check_metre(metre: &str, groups: &[i128], bpm: &str, bpm_num: i128, bpm_den: i128) {
    let parts = vec!["click"; groups.len()].join(" | ");
    let script = script_with_click(
        &temp_dir("metre"),
        &format!("metre(\"{metre}\");\ntempo({bpm});\nlive_loop(\"c\", \"{parts}\");\n"),
    );
    let bars = 3;
    let audio = render(&script, bars, 64);
    let found = onsets(&audio);
    let shortest = *groups.iter().min().unwrap();
    let per_bar: i128 = groups.iter().sum();
    let mut expected = Vec::new();
    for bar in 0..bars as i128 {
        let mut p = bar * per_bar;
        for g in groups {
            expected.push(pulse_frame(p, shortest, bpm_num, bpm_den));
            p += g;
        }
    }
    assert_eq!(found, expected, "metre {metre}");
}

#[test]
fn every_metre_puts_its_groups_on_exact_frames() {
    let cases: &[(&str, &[i128])] = &[
        ("2/4", &[1, 1]),
        ("3/4", &[1, 1, 1]),
        ("4/4", &[1, 1, 1, 1]),
        ("5/4", &[1, 1, 1, 1, 1]),
        ("6/8", &[3, 3]),
        ("9/8", &[3, 3, 3]),
        ("12/8", &[3, 3, 3, 3]),
        ("5/8", &[2, 3]),
        ("7/8", &[2, 2, 3]),
        ("2+2+3/8", &[2, 2, 3]),
        ("3+2+2/8", &[3, 2, 2]),
        ("3+3+2/8", &[3, 3, 2]),
        ("2+2+2+3/8", &[2, 2, 2, 3]),
        ("3+2+2+2+3/16", &[3, 2, 2, 2, 3]),
    ];
    for (metre, groups) in cases {
        check_metre(metre, groups, "137.37", 13737, 100);
    }
    check_metre("6/8", &[3, 3], "97", 97, 1);
}

#[test]
fn tempo_in_another_note_value() {
    // 6/8 at 360 eighths = 120 dotted quarters: a bar lasts exactly one second.
    let script = script_with_click(
        &temp_dir("note"),
        "metre(\"6/8\");\ntempo(360, \"e\");\nlive_loop(\"c\", \"click | click\");\n",
    );
    assert_eq!(
        onsets(&render(&script, 2, 64)),
        vec![0, 24_000, 48_000, 72_000]
    );
}

#[test]
fn octave_switches_wait_for_the_grids_and_keep_the_downbeat() {
    // 4/4 at 120: a bar is 96 000 frames; a quarter 24 000.
    let script = script_with_click(
        &temp_dir("octave"),
        r#"
metre("4/4");
tempo(120);
live_loop("c", "click click click click");
fn bar(n) {
    if n == 2 { octave(1); }    // up: takes effect at once (grids meet every bar)
    if n == 4 { octave(-1); }   // down: bar 4 is even, so it starts there
    if n == 7 { octave(0); }    // asked mid-cycle: waits for bar 8
    if n == 9 { octave(-2); }   // waits for bar 12
}
"#,
    );
    let audio = render(&script, 14, 1000);
    let bar = 96_000u64;
    let mut expected = Vec::new();
    for b in 0..2 {
        expected.extend((0..4).map(|i| b * bar + i * bar / 4));
    }
    for b in 2..4 {
        expected.extend((0..8).map(|i| b * bar + i * bar / 8));
    }
    for b in 4..8 {
        expected.extend((0..2).map(|i| b * bar + i * bar / 2));
    }
    for b in 8..12 {
        expected.extend((0..4).map(|i| b * bar + i * bar / 4));
    }
    for b in 12..14 {
        // One cycle over four bars: one click per bar.
        expected.push(b * bar);
    }
    assert_eq!(onsets(&audio), expected);
}

#[test]
fn per_loop_octave_plays_against_the_same_grid() {
    let script = script_with_click(
        &temp_dir("loop-octave"),
        "metre(\"7/8\");\ntempo(120);\nlive_loop(\"c\", \"click | click | click\").octave(1);\n",
    );
    // 7/8 at 120 quarters: bar = 3.5 quarters = 84 000 frames; at +1 the 2+2+3 groups repeat twice.
    let half = 42_000u64;
    let expected: Vec<u64> = (0..4)
        .flat_map(|c| [c * half, c * half + 12_000, c * half + 24_000])
        .collect();
    assert_eq!(onsets(&render(&script, 2, 64)), expected);
}
