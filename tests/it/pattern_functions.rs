//! Transforms that take a function (`.sometimes(|p| p.fast(2))`) and the
//! others Tidal users reach for, in a script, heard at exact frames.

use crate::support;

use support::{onsets, render, script_with_click, temp_dir};

/// 4/4 at 120: a bar (one cycle) is 96 000 frames.
const BAR: u64 = 96_000;

fn clicks(tag: &str, head: &str, body: &str, bars: i64) -> Vec<u64> {
    let s = script_with_click(&temp_dir(tag), &format!("{head}\n{body}"));
    onsets(&render(&s, bars, 64))
}

fn four(tag: &str, body: &str, bars: i64) -> Vec<u64> {
    clicks(tag, "metre(\"4/4\");\ntempo(120);", body, bars)
}

fn at(bar: u64, num: u64, den: u64) -> u64 {
    bar * BAR + num * BAR / den
}

#[test]
fn always_with_a_function_is_the_function() {
    assert_eq!(
        four(
            "always",
            "live_loop(\"c\", \"click ~\").always(|p| p.fast(2));",
            1
        ),
        vec![at(0, 0, 4), at(0, 2, 4)]
    );
    // A transform value works in place of a function; chains apply in order.
    assert_eq!(
        four(
            "always-chain",
            "live_loop(\"c\", \"click ~ ~ ~\").always(|p| p.fast(2).shift(1));",
            1
        ),
        vec![at(0, 1, 4), at(0, 3, 4)]
    );
    assert_eq!(
        four(
            "always-value",
            "live_loop(\"c\", \"click ~\").always(fast(2));",
            1
        ),
        vec![at(0, 0, 4), at(0, 2, 4)]
    );
}

#[test]
fn sometimes_is_seeded() {
    let body =
        |seed| format!("seed({seed});\nlive_loop(\"c\", \"click*8\").sometimes(|p| p.fast(2));");
    let a = four("some-a", &body(3), 4);
    let b = four("some-b", &body(3), 4);
    let c = four("some-c", &body(4), 4);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // As Tidal's `sometimes`: each eighth sounds once (kept, or from the
    // fast version, which shares its draw), and the fast version adds some
    // of the sixteenths between.
    assert!(a.len() > 32 && a.len() < 64, "{}", a.len());
    let sixteenths: Vec<u64> = (0..64).map(|i| i * BAR / 16).collect();
    assert!(a.iter().all(|f| sixteenths.contains(f)), "{a:?}");
}

#[test]
fn off_by_one_pulse_in_seven_eight() {
    // 7/8 at 120 quarters: a pulse (eighth) is 12 000 frames.
    let got = clicks(
        "off78",
        "metre(\"7/8\");\ntempo(120);",
        "live_loop(\"c\", \"click ~\").off(\"1p\", |p| p.velocity(0.5));",
        1,
    );
    assert_eq!(got, vec![0, 12_000]);
}

#[test]
fn ply_iter_chunk_euclid_brak() {
    assert_eq!(
        four("ply", "live_loop(\"c\", \"click ~\").ply(2);", 1),
        vec![at(0, 0, 4), at(0, 1, 4)]
    );
    assert_eq!(
        four("iter", "live_loop(\"c\", \"click ~ ~ ~\").iter(4);", 2),
        vec![at(0, 0, 4), at(1, 3, 4)]
    );
    // Part 1 of 2 in cycle 1 is played twice as fast.
    assert_eq!(
        four(
            "chunk",
            "live_loop(\"c\", \"click ~ click ~\").chunk(2, |p| p.fast(2));",
            2
        ),
        vec![
            at(0, 0, 8),
            at(0, 2, 8),
            at(0, 4, 8),
            at(1, 0, 8),
            at(1, 4, 8),
            at(1, 6, 8)
        ]
    );
    assert_eq!(
        four("euclid", "live_loop(\"c\", \"click\").euclid(3, 8, 0);", 1),
        vec![at(0, 0, 8), at(0, 3, 8), at(0, 6, 8)]
    );
    assert_eq!(
        four(
            "euclid-inv",
            "live_loop(\"c\", \"click\").euclid_inv(5, 8, 0);",
            1
        ),
        vec![at(0, 1, 8), at(0, 4, 8), at(0, 7, 8)]
    );
    assert_eq!(
        four("brak", "live_loop(\"c\", \"click click\").brak();", 2),
        vec![at(0, 0, 2), at(0, 1, 2), at(1, 1, 4), at(1, 2, 4)]
    );
    // `every` takes the function-taking transforms too.
    assert_eq!(
        four(
            "every-within",
            "live_loop(\"c\", \"click ~ click ~\").every(2, within(0.5, 1, |p| p.fast(2)));",
            2
        ),
        vec![
            at(0, 0, 4),
            at(0, 2, 4),
            at(0, 3, 4),
            at(1, 0, 4),
            at(1, 2, 4)
        ]
    );
}

#[test]
fn jux_puts_the_copy_on_the_right() {
    let s = script_with_click(
        &temp_dir("jux"),
        "metre(\"4/4\");\ntempo(120);\nlive_loop(\"c\", \"click ~ ~ ~\").jux(|p| p.rev());",
    );
    let audio = render(&s, 1, 64);
    let swapped: Vec<f32> = audio.chunks_exact(2).flat_map(|f| [f[1], f[0]]).collect();
    assert_eq!(onsets(&audio), vec![0], "left: the pattern");
    assert_eq!(
        onsets(&swapped),
        vec![at(0, 3, 4)],
        "right: the reversed copy"
    );
}

#[test]
fn bad_function_arguments_name_the_loop() {
    for (call, want) in [
        (
            ".chunk(0, |p| p.rev())",
            "loop 'c': parts 0 is out of range",
        ),
        (
            ".sometimes(42)",
            "loop 'c': expected a function like |p| p.fast(2)",
        ),
        (
            ".off(\"1q\", |p| p.rev())",
            "loop 'c': expected a time like 0.25",
        ),
        (
            ".sometimes(|p| p.fast(0))",
            "loop 'c': fast 0 is out of range",
        ),
    ] {
        let dir = temp_dir("bad-fn");
        let s = script_with_click(
            &dir,
            &format!("tempo(120);\nlive_loop(\"c\", \"click\"){call};\n"),
        );
        let _turn = support::alone::shared();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
            .arg("render")
            .arg(&s)
            .args(["--bars", "1", "-o", "/dev/null"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{call}: {err}");
        assert!(err.contains(want), "{call}: {err}");
    }
}
