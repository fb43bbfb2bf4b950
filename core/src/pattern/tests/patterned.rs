//! Patterned operator arguments (`a*<2 3>`, `a(<3 5>,8)`, `{a b c}%<2 4>`),
//! additive `@`, and `-` as a rest: exact events over several cycles, in
//! plain cycles and in 7/8 and 9/8.
//!
//! Expected values are worked out by hand from Tidal's rule: while an
//! argument's event lasts, the step plays as if the operator had that
//! constant value, each event keeping its place in the step's own time.

use super::{cycle, events_in, metre};
use crate::pattern::Pattern;
use crate::time::q;

/// Events of cycles `0..n`, one list per cycle.
fn cycles(src: &str, n: i128) -> Vec<Vec<String>> {
    (0..n).map(|c| cycle(src, c)).collect()
}

#[test]
fn fast_by_a_pattern_alternates_per_cycle() {
    assert_eq!(
        cycles("kick*<2 3>", 4),
        [
            vec!["0 1/2 kick", "1/2 1/2 kick"],
            vec!["1 1/3 kick", "4/3 1/3 kick", "5/3 1/3 kick"],
            vec!["2 1/2 kick", "5/2 1/2 kick"],
            vec!["3 1/3 kick", "10/3 1/3 kick", "11/3 1/3 kick"],
        ]
    );
}

#[test]
fn a_group_fast_by_a_pattern() {
    assert_eq!(
        cycles("[kick hat]*<2 3>", 2),
        [
            vec!["0 1/4 kick", "1/4 1/4 hat", "1/2 1/4 kick", "3/4 1/4 hat"],
            vec![
                "1 1/6 kick",
                "7/6 1/6 hat",
                "4/3 1/6 kick",
                "3/2 1/6 hat",
                "5/3 1/6 kick",
                "11/6 1/6 hat"
            ],
        ]
    );
}

#[test]
fn fast_by_a_subdivided_pattern_changes_inside_the_cycle() {
    // First half at 2 a cycle (one event at 0), second half at 4 (two events).
    assert_eq!(
        cycle("kick*[2 4]", 0),
        ["0 1/2 kick", "1/2 1/4 kick", "3/4 1/4 kick"]
    );
    // A rest in the argument is silence for its span.
    assert_eq!(
        cycles("kick*<2 ~>", 2),
        [vec!["0 1/2 kick", "1/2 1/2 kick"], vec![]]
    );
}

#[test]
fn slow_by_a_pattern_keeps_each_event_in_its_own_time() {
    // Cycle 1 at /3 is inside the child's cycle 0, whose onset was at 0; cycle 2
    // at /2 starts the child's cycle 1 at 2; cycle 3 at /3 starts cycle 1 at 3.
    assert_eq!(
        cycles("kick/<2 3>", 4),
        [vec!["0 2 kick"], vec![], vec!["2 2 kick"], vec!["3 3 kick"]]
    );
    assert_eq!(
        cycles("[a b c d]/<1 2>", 2),
        [
            vec!["0 1/4 a", "1/4 1/4 b", "1/2 1/4 c", "3/4 1/4 d"],
            // /2 at cycle 1 plays the second half of the child's cycle 0.
            vec!["1 1/2 c", "3/2 1/2 d"],
        ]
    );
}

#[test]
fn euclid_pulses_by_a_pattern() {
    assert_eq!(
        cycles("kick(<3 5>,8)", 3),
        [
            vec!["0 1/8 kick", "3/8 1/8 kick", "3/4 1/8 kick"],
            vec![
                "1 1/8 kick",
                "5/4 1/8 kick",
                "11/8 1/8 kick",
                "13/8 1/8 kick",
                "7/4 1/8 kick"
            ],
            vec!["2 1/8 kick", "19/8 1/8 kick", "11/4 1/8 kick"],
        ]
    );
}

#[test]
fn euclid_rotation_and_steps_by_a_pattern() {
    // (5,8) is x.xx.xx.; rotated left by 2 it is xx.xx.x.
    assert_eq!(
        cycles("kick(5,8,<0 2>)", 2),
        [
            vec![
                "0 1/8 kick",
                "1/4 1/8 kick",
                "3/8 1/8 kick",
                "5/8 1/8 kick",
                "3/4 1/8 kick"
            ],
            vec![
                "1 1/8 kick",
                "9/8 1/8 kick",
                "11/8 1/8 kick",
                "3/2 1/8 kick",
                "7/4 1/8 kick"
            ],
        ]
    );
    // (3,<8 4>): x..x..x. then xxx. in quarters.
    assert_eq!(
        cycles("kick(3,<8 4>)", 2),
        [
            vec!["0 1/8 kick", "3/8 1/8 kick", "3/4 1/8 kick"],
            vec!["1 1/4 kick", "5/4 1/4 kick", "3/2 1/4 kick"],
        ]
    );
    // All three patterned at once, the pieces of each argument intersecting.
    assert_eq!(
        cycles("kick(<3 -3>,<8 4>,<0 1>)", 2),
        [
            vec!["0 1/8 kick", "3/8 1/8 kick", "3/4 1/8 kick"],
            // (-3,4) is ...x, rotated left by 1: ..x.
            vec!["3/2 1/4 kick"],
        ]
    );
}

#[test]
fn polymeter_steps_by_a_pattern() {
    // The layer keeps counting its own steps: %2 plays steps 0-1, %4 steps 4-7
    // (4/3 of the way through), %2 steps 4-5 of the 2/3-speed cycle 2, ...
    assert_eq!(
        cycles("{kick hat snare}%<2 4>", 4),
        [
            vec!["0 1/2 kick", "1/2 1/2 hat"],
            vec!["1 1/4 hat", "5/4 1/4 snare", "3/2 1/4 kick", "7/4 1/4 hat"],
            vec!["2 1/2 hat", "5/2 1/2 snare"],
            vec![
                "3 1/4 kick",
                "13/4 1/4 hat",
                "7/2 1/4 snare",
                "15/4 1/4 kick"
            ],
        ]
    );
}

#[test]
fn degrade_by_a_pattern() {
    assert_eq!(
        cycles("kick*4?<0 1>", 2),
        [
            vec!["0 1/4 kick", "1/4 1/4 kick", "1/2 1/4 kick", "3/4 1/4 kick"],
            vec![],
        ]
    );
    // The same draws as the constant form where the value is the same.
    for c in 0..4 {
        let constant = cycle("hat*16?0.3", c);
        assert_eq!(cycle("hat*16?<0.3 0.3>", c), constant, "cycle {c}");
    }
}

#[test]
fn patterned_arguments_in_seven_eight() {
    // 2+2+3: parts at [0, 2/7), [2/7, 4/7), [4/7, 1).
    let g = [2, 2, 3];
    let src = "kick*<2 3> | hat(<3 5>,8) | snare";
    assert_eq!(
        metre(src, &g, 0),
        [
            "0 1/7 kick",
            "1/7 1/7 kick",
            "2/7 1/28 hat",
            "11/28 1/28 hat",
            "1/2 1/28 hat",
            "4/7 3/7 snare"
        ]
    );
    assert_eq!(
        metre(src, &g, 1),
        [
            "1 2/21 kick",
            "23/21 2/21 kick",
            "25/21 2/21 kick",
            "9/7 1/28 hat",
            "19/14 1/28 hat",
            "39/28 1/28 hat",
            "41/28 1/28 hat",
            "3/2 1/28 hat",
            "11/7 3/7 snare"
        ]
    );
}

#[test]
fn patterned_arguments_in_nine_eight() {
    // 3+3+3: each part a third of the cycle.
    let g = [3, 3, 3];
    let src = "kick*<2 3> | hat(<3 5>,8,<0 2>) | {a b c}%<2 4>";
    assert_eq!(
        metre(src, &g, 0),
        [
            "0 1/6 kick",
            "1/6 1/6 kick",
            "1/3 1/24 hat",
            "11/24 1/24 hat",
            "7/12 1/24 hat",
            "2/3 1/6 a",
            "5/6 1/6 b"
        ]
    );
    assert_eq!(
        metre(src, &g, 1),
        [
            "1 1/9 kick",
            "10/9 1/9 kick",
            "11/9 1/9 kick",
            "4/3 1/24 hat",
            "11/8 1/24 hat",
            "35/24 1/24 hat",
            "3/2 1/24 hat",
            "19/12 1/24 hat",
            "5/3 1/12 b",
            "7/4 1/12 c",
            "11/6 1/12 a",
            "23/12 1/12 b"
        ]
    );
}

#[test]
fn a_query_in_pieces_gives_the_same_events() {
    let g = [2, 2, 3];
    for src in [
        "kick*<2 3>",
        "kick/<2 3>",
        "kick(<3 5>,8,<0 2>)",
        "{kick hat snare}%<2 4>",
        "[a b]*[2 3]?<0.2 0.7>",
    ] {
        let whole = events_in(src, q(0, 1), q(4, 1), &g, 3);
        let mut pieces = Vec::new();
        for (from, to) in [(q(0, 1), q(1, 3)), (q(1, 3), q(5, 2)), (q(5, 2), q(4, 1))] {
            pieces.extend(events_in(src, from, to, &g, 3));
        }
        assert_eq!(pieces, whole, "{src}");
    }
}

#[test]
fn a_second_weight_adds_as_in_tidal() {
    // Tidal: each `@w` adds w - 1 and each `_` adds 1, so a@3@2 weighs 4.
    assert_eq!(cycle("a@3@2 b", 0), ["0 4/5 a", "4/5 1/5 b"]);
    assert_eq!(cycle("a@3 _ b", 0), cycle("a@3@2 b", 0));
    assert_eq!(cycle("a@2@1.5 b", 0), ["0 5/7 a", "5/7 2/7 b"]);
    assert_eq!(cycle("a@3 b", 0), ["0 3/4 a", "3/4 1/4 b"]);
    assert_eq!(cycle("a@0.5 b", 0), ["0 1/3 a", "1/3 2/3 b"]);
}

#[test]
fn a_dash_is_a_rest() {
    assert_eq!(cycle("a - b", 0), cycle("a ~ b", 0));
    assert_eq!(cycle("a - b", 0), ["0 1/3 a", "2/3 1/3 b"]);
    assert_eq!(cycle("[a -]*2", 0), ["0 1/4 a", "1/2 1/4 a"]);
    assert_eq!(cycle("<a ->", 1), Vec::<String>::new());
    // Inside a name it is part of the name.
    assert_eq!(cycle("a-b", 0), ["0 1 a-b"]);
}

#[test]
fn the_density_bound_covers_patterned_arguments() {
    for src in [
        "kick*<2 3>",
        "[a b c]*[2 8]",
        "kick(<3 5>,<8 16>,<0 2>)",
        "{a b c}%<2 7>",
        "kick/<1 3>",
    ] {
        let p = Pattern::parse(src).unwrap();
        let bound = p.tree().density();
        for c in 0..6 {
            let n = cycle(src, c).len() as u128;
            assert!(n <= bound, "{src} cycle {c}: {n} > {bound}");
        }
    }
}
