//! Transform tests: the exact notes of every transform; seeded ones in [`random`].

mod functions;
mod params;
mod random;
mod slice;

use super::*;
use crate::time::{q, Rational};

pub(super) fn pattern(src: &str) -> Pattern {
    Pattern::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

/// Notes as `"onset duration sound[:variant][ v<velocity>]"`.
pub(super) fn show(notes: Vec<Note>) -> Vec<String> {
    notes
        .into_iter()
        .map(|n| {
            let sound = match n.variant {
                0 => n.sound,
                v => format!("{}:{v}", n.sound),
            };
            let velocity = if n.velocity == 1.0 {
                String::new()
            } else {
                format!(" v{}", n.velocity)
            };
            format!("{} {} {sound}{velocity}", n.onset, n.duration)
        })
        .collect()
}

pub(super) fn notes_in(
    src: &str,
    ts: &[Transform],
    from: Rational,
    to: Rational,
    groups: &[u32],
    seed: u64,
) -> Vec<Note> {
    query_transformed(&pattern(src), ts, from, to, &QueryContext { groups, seed })
}

/// Notes of cycle `n` under the metre's pulse `groups`, seed 0.
pub(super) fn cycle(src: &str, ts: &[Transform], groups: &[u32], n: i128) -> Vec<String> {
    show(notes_in(src, ts, q(n, 1), q(n + 1, 1), groups, 0))
}

pub(super) fn every(n: i64, offset: i64, t: Transform) -> Transform {
    Transform::Every {
        n,
        offset,
        transform: Box::new(t),
    }
}

#[test]
fn fast_plays_more_cycles_per_cycle() {
    let fast2 = [Transform::Fast(q(2, 1))];
    assert_eq!(
        cycle("a b", &fast2, &[], 0),
        ["0 1/4 a", "1/4 1/4 b", "1/2 1/4 a", "3/4 1/4 b"]
    );
    let fast = [Transform::Fast(q(3, 2))];
    assert_eq!(
        cycle("a b c", &fast, &[], 0),
        [
            "0 2/9 a",
            "2/9 2/9 b",
            "4/9 2/9 c",
            "2/3 2/9 a",
            "8/9 2/9 b"
        ]
    );
    assert_eq!(
        cycle("a b c", &fast, &[], 1),
        ["10/9 2/9 c", "4/3 2/9 a", "14/9 2/9 b", "16/9 2/9 c"]
    );
    assert!(cycle("a b", &[Transform::Fast(q(0, 1))], &[], 0).is_empty());
    assert!(cycle("a b", &[Transform::Fast(q(-1, 1))], &[], 0).is_empty());
}

#[test]
fn slow_spreads_a_cycle_over_several() {
    let slow = [Transform::Slow(q(2, 1))];
    assert_eq!(cycle("a b c d", &slow, &[], 0), ["0 1/2 a", "1/2 1/2 b"]);
    assert_eq!(cycle("a b c d", &slow, &[], 1), ["1 1/2 c", "3/2 1/2 d"]);
    assert!(cycle("a", &[Transform::Slow(q(0, 1))], &[], 0).is_empty());
}

#[test]
fn shift_moves_by_pulses_in_nine_eight() {
    let groups = [2, 2, 2, 3];
    let nine = "a b c d e f g h i";
    assert_eq!(
        cycle(nine, &[Transform::Shift(1)], &groups, 0),
        [
            "0 1/9 i",
            "1/9 1/9 a",
            "2/9 1/9 b",
            "1/3 1/9 c",
            "4/9 1/9 d",
            "5/9 1/9 e",
            "2/3 1/9 f",
            "7/9 1/9 g",
            "8/9 1/9 h"
        ]
    );
    assert_eq!(
        cycle(nine, &[Transform::Shift(-2)], &groups, 3),
        [
            "3 1/9 c",
            "28/9 1/9 d",
            "29/9 1/9 e",
            "10/3 1/9 f",
            "31/9 1/9 g",
            "32/9 1/9 h",
            "11/3 1/9 i",
            "34/9 1/9 a",
            "35/9 1/9 b"
        ]
    );
    // By groups: the last group (3 pulses) moves to the front.
    let parts = "k h | s h | k h | s h h";
    assert_eq!(
        cycle(parts, &[Transform::Shift(3)], &groups, 0),
        [
            "0 1/9 s",
            "1/9 1/9 h",
            "2/9 1/9 h",
            "1/3 1/9 k",
            "4/9 1/9 h",
            "5/9 1/9 s",
            "2/3 1/9 h",
            "7/9 1/9 k",
            "8/9 1/9 h"
        ]
    );
    // A whole cycle of pulses is the identity on a cyclic pattern.
    assert_eq!(
        cycle(parts, &[Transform::Shift(9)], &groups, 5),
        cycle(parts, &[], &groups, 5)
    );
}

#[test]
fn shift_without_groups_moves_whole_cycles() {
    let shift = [Transform::Shift(1)];
    assert_eq!(cycle("<a b>", &shift, &[], 0), ["0 1 b"]);
    assert_eq!(cycle("<a b>", &shift, &[], 1), ["1 1 a"]);
}

#[test]
fn rev_mirrors_each_cycle() {
    let rev = [Transform::Rev];
    assert_eq!(
        cycle("a b c", &rev, &[], 0),
        ["0 1/3 c", "1/3 1/3 b", "2/3 1/3 a"]
    );
    assert_eq!(
        cycle("a b c", &rev, &[], -2),
        ["-2 1/3 c", "-5/3 1/3 b", "-4/3 1/3 a"]
    );
    assert_eq!(cycle("a@3 b", &rev, &[], 0), ["0 1/4 b", "1/4 3/4 a"]);
    assert_eq!(cycle("<a b>", &rev, &[], 1), ["1 1 b"]);
    // A note longer than the rest of its cycle is clipped, then mirrored.
    assert_eq!(cycle("a/2", &rev, &[], 0), ["0 1 a"]);
    assert!(cycle("a/2", &rev, &[], 1).is_empty());
    // Twice is the identity within a cycle.
    assert_eq!(
        cycle("a b@2 [c d]", &[Transform::Rev, Transform::Rev], &[], 3),
        cycle("a b@2 [c d]", &[], &[], 3)
    );
}

#[test]
fn rev_with_metre_groups_mirrors_the_groups_too() {
    assert_eq!(
        cycle(
            "kick hat | snare | kick hat hat",
            &[Transform::Rev],
            &[2, 2, 3],
            0
        ),
        [
            "0 1/7 hat",
            "1/7 1/7 hat",
            "2/7 1/7 kick",
            "3/7 2/7 snare",
            "5/7 1/7 hat",
            "6/7 1/7 kick"
        ]
    );
}

#[test]
fn every_four_fast_two_as_tidal() {
    let ts = [every(4, 0, Transform::Fast(q(2, 1)))];
    let fast = |c: i128| {
        let c = Rational::from_integer(c);
        let at = |x: Rational| format!("{}", c + x);
        vec![
            format!("{} 1/4 a", at(q(0, 1))),
            format!("{} 1/4 b", at(q(1, 4))),
            format!("{} 1/4 a", at(q(1, 2))),
            format!("{} 1/4 b", at(q(3, 4))),
        ]
    };
    assert_eq!(cycle("a b", &ts, &[], 0), fast(0));
    assert_eq!(cycle("a b", &ts, &[], 1), ["1 1/2 a", "3/2 1/2 b"]);
    assert_eq!(cycle("a b", &ts, &[], 3), ["3 1/2 a", "7/2 1/2 b"]);
    assert_eq!(cycle("a b", &ts, &[], 4), fast(4));
    assert_eq!(cycle("a b", &ts, &[], -4), fast(-4));
    // As in Tidal, the fast cycle plays inner cycles 2c and 2c+1.
    let alt = "<a b c d>";
    assert_eq!(cycle(alt, &ts, &[], 0), ["0 1/2 a", "1/2 1/2 b"]);
    assert_eq!(cycle(alt, &ts, &[], 1), ["1 1 b"]);
    assert_eq!(cycle(alt, &ts, &[], 3), ["3 1 d"]);
    assert_eq!(cycle(alt, &ts, &[], 4), ["4 1/2 a", "9/2 1/2 b"]);
}

#[test]
fn every_with_offset_and_degenerate_n() {
    let ts = [every(3, 1, Transform::Gain(0.5))];
    let all = show(notes_in("a", &ts, q(-2, 1), q(5, 1), &[], 0));
    assert_eq!(
        all,
        [
            "-2 1 a v0.5",
            "-1 1 a",
            "0 1 a",
            "1 1 a v0.5",
            "2 1 a",
            "3 1 a",
            "4 1 a v0.5"
        ]
    );
    let never = [every(0, 0, Transform::Gain(0.5))];
    assert_eq!(cycle("a", &never, &[], 0), ["0 1 a"]);
    // Nested: the inner `every` sees the same cycle numbers as the outer,
    // so `every 2 (every 2 (fast 2))` applies on even cycles, not every 4th.
    let nested = [every(2, 0, every(2, 0, Transform::Fast(q(2, 1))))];
    assert_eq!(cycle("a", &nested, &[], 2), ["2 1/2 a", "5/2 1/2 a"]);
    assert_eq!(cycle("a", &nested, &[], 1), ["1 1 a"]);
}

#[test]
fn swing_in_two_two_three() {
    // 14 half-pulses of 7/8; the off-beats move 1/3 of a half pulse (1/42).
    let ts = [Transform::Swing(q(1, 3))];
    let hats = cycle("h*4 | h*4 | h*6", &ts, &[2, 2, 3], 0);
    let onsets: Vec<&str> = hats.iter().map(|s| s.split(' ').next().unwrap()).collect();
    assert_eq!(
        onsets,
        [
            "0", "2/21", "1/7", "5/21", "2/7", "8/21", "3/7", "11/21", "4/7", "2/3", "5/7",
            "17/21", "6/7", "20/21"
        ]
    );
    assert!(hats.iter().all(|s| s.ends_with(" 1/14 h")));
    // Notes on the pulse do not move.
    let pulses = "k h | s h | k h h";
    assert_eq!(
        cycle(pulses, &ts, &[2, 2, 3], 0),
        cycle(pulses, &[], &[2, 2, 3], 0)
    );
}

#[test]
fn swing_warps_finer_notes_in_order() {
    let ts = [Transform::Swing(q(1, 2))];
    assert_eq!(
        cycle("a*4", &ts, &[], 0),
        ["0 1/4 a", "3/8 1/4 a", "3/4 1/4 a", "7/8 1/4 a"]
    );
    assert_eq!(
        cycle("a*4", &[Transform::Swing(q(0, 1))], &[], 0),
        cycle("a*4", &[], &[], 0)
    );
}

#[test]
fn layer_stacks_and_later_transforms_apply_to_both() {
    let layer = Transform::Layer(pattern("b b"));
    assert_eq!(
        cycle("a", std::slice::from_ref(&layer), &[], 0),
        ["0 1 a", "0 1/2 b", "1/2 1/2 b"]
    );
    assert_eq!(
        cycle("a", &[layer, Transform::Fast(q(2, 1))], &[], 0),
        [
            "0 1/2 a",
            "0 1/4 b",
            "1/4 1/4 b",
            "1/2 1/2 a",
            "1/2 1/4 b",
            "3/4 1/4 b"
        ]
    );
}

#[test]
fn gain_multiplies_velocity() {
    assert_eq!(cycle("a", &[Transform::Gain(0.5)], &[], 0), ["0 1 a v0.5"]);
    let twice = [Transform::Gain(0.5), Transform::Gain(0.5)];
    assert_eq!(cycle("a", &twice, &[], 0), ["0 1 a v0.25"]);
    assert_eq!(cycle("a", &[Transform::Gain(-1.0)], &[], 0), ["0 1 a v0"]);
    assert_eq!(
        cycle("a", &[Transform::Gain(f64::NAN)], &[], 0),
        ["0 1 a v0"]
    );
}

#[test]
fn parse_factor_is_exact_and_explains_errors() {
    assert_eq!(Transform::parse_factor("2"), Ok(q(2, 1)));
    assert_eq!(Transform::parse_factor(" 1.5 "), Ok(q(3, 2)));
    assert_eq!(Transform::parse_factor(".25"), Ok(q(1, 4)));
    assert_eq!(Transform::parse_factor("3/2"), Ok(q(3, 2)));
    assert_eq!(Transform::parse_factor("1.5/3"), Ok(q(1, 2)));
    for bad in [
        "",
        "x",
        "1.",
        "1/0",
        "0",
        "-2",
        "1e3",
        "1.0000000001",
        "2//3",
    ] {
        let err = Transform::parse_factor(bad).unwrap_err();
        assert!(err.message.contains(&format!("{bad:?}")), "{bad}: {err}");
    }
}

#[test]
fn check_names_out_of_range_parameters() {
    let ok = [
        Transform::Fast(q(256, 1)),
        Transform::Slow(q(1, 3)),
        Transform::Shift(-4),
        Transform::Rev,
        every(4, 1, Transform::Fast(q(2, 1))),
        Transform::Degrade(1.0),
        Transform::Humanise {
            timing: q(1, 1),
            velocity: 0.0,
        },
        Transform::Swing(q(1, 1)),
        Transform::Layer(pattern("a")),
        Transform::Gain(2.0),
    ];
    for t in ok {
        assert_eq!(t.check(), Ok(()), "{t:?}");
    }
    let bad = [
        (Transform::Fast(q(0, 1)), "fast 0"),
        (Transform::Slow(q(257, 1)), "slow 257"),
        (every(0, 0, Transform::Rev), "every 0"),
        (every(2, 0, Transform::Degrade(2.0)), "degrade 2"),
        (Transform::Degrade(f64::NAN), "degrade NaN"),
        (
            Transform::Humanise {
                timing: q(-1, 2),
                velocity: 0.0,
            },
            "humanise timing -0.5",
        ),
        (Transform::Swing(q(3, 2)), "swing 1.5"),
        (Transform::Gain(f64::INFINITY), "velocity inf"),
        (Transform::Gain(2.5), "velocity 2.5"),
        (Transform::Shift(1025), "shift 1025"),
    ];
    for (t, message) in bad {
        let err = t.check().unwrap_err();
        assert!(err.message.starts_with(message), "{t:?}: {err}");
    }
}
