//! The transforms Tidal users reach for: exact notes over several cycles,
//! worked out by hand from Tidal's definitions (see each transform's doc).

use super::{cycle, notes_in, show};
use crate::pattern::transform::{TimeArg, Transform};
use crate::time::{q, Rational};

fn cycles(src: &str, ts: &[Transform], groups: &[u32], n: i128) -> Vec<Vec<String>> {
    (0..n).map(|c| cycle(src, ts, groups, c)).collect()
}

#[test]
fn ply_repeats_each_note_across_its_length() {
    assert_eq!(
        cycle("a b", &[Transform::Ply(q(2, 1))], &[], 0),
        ["0 1/4 a", "1/4 1/4 a", "1/2 1/4 b", "3/4 1/4 b"]
    );
    assert_eq!(
        cycle("a ~", &[Transform::Ply(q(3, 1))], &[], 1),
        ["1 1/6 a", "7/6 1/6 a", "4/3 1/6 a"]
    );
    // 1.5: the second repeat starts two thirds of the way through.
    assert_eq!(
        cycle("a b", &[Transform::Ply(q(3, 2))], &[], 0),
        ["0 1/3 a", "1/3 1/3 a", "1/2 1/3 b", "5/6 1/3 b"]
    );
}

#[test]
fn palindrome_plays_each_cycle_then_its_mirror() {
    assert_eq!(
        cycles("<a b> c", &[Transform::Palindrome], &[], 4),
        [
            vec!["0 1/2 a", "1/2 1/2 c"],
            vec!["1 1/2 c", "3/2 1/2 a"],
            vec!["2 1/2 b", "5/2 1/2 c"],
            vec!["3 1/2 c", "7/2 1/2 b"],
        ]
    );
}

#[test]
fn iter_starts_each_cycle_a_part_further_in() {
    assert_eq!(
        cycles("a b c d", &[Transform::Iter(4)], &[], 5),
        [
            vec!["0 1/4 a", "1/4 1/4 b", "1/2 1/4 c", "3/4 1/4 d"],
            vec!["1 1/4 b", "5/4 1/4 c", "3/2 1/4 d", "7/4 1/4 a"],
            vec!["2 1/4 c", "9/4 1/4 d", "5/2 1/4 a", "11/4 1/4 b"],
            vec!["3 1/4 d", "13/4 1/4 a", "7/2 1/4 b", "15/4 1/4 c"],
            vec!["4 1/4 a", "17/4 1/4 b", "9/2 1/4 c", "19/4 1/4 d"],
        ]
    );
    // Round 1 plays the pattern's cycle 1 (as Tidal's `cat`).
    assert_eq!(
        cycle("<a e> b", &[Transform::Iter(2)], &[], 2),
        ["2 1/2 e", "5/2 1/2 b"]
    );
    // Cycle 1 starts half way into cycle 0, so its second half is the
    // pattern's cycle 1 (Tidal's `rotL` crosses the cycle line).
    assert_eq!(
        cycle("<a e> b", &[Transform::Iter(2)], &[], 1),
        ["1 1/2 b", "3/2 1/2 e"]
    );
}

#[test]
fn chunk_transforms_one_part_per_cycle() {
    let ts = [Transform::Chunk {
        n: 2,
        transforms: vec![Transform::Fast(q(2, 1))],
    }];
    assert_eq!(
        cycles("a b c d", &ts, &[], 2),
        [
            vec![
                "0 1/8 a",
                "1/8 1/8 b",
                "1/4 1/8 c",
                "3/8 1/8 d",
                "1/2 1/4 c",
                "3/4 1/4 d"
            ],
            vec![
                "1 1/4 a",
                "5/4 1/4 b",
                "3/2 1/8 a",
                "13/8 1/8 b",
                "7/4 1/8 c",
                "15/8 1/8 d"
            ],
        ]
    );
}

#[test]
fn linger_repeats_the_start_or_the_end() {
    assert_eq!(
        cycle("a b c d", &[Transform::Linger(q(1, 4))], &[], 0),
        ["0 1/4 a", "1/4 1/4 a", "1/2 1/4 a", "3/4 1/4 a"]
    );
    assert_eq!(
        cycle("a b c d", &[Transform::Linger(q(1, 2))], &[], 1),
        ["1 1/4 a", "5/4 1/4 b", "3/2 1/4 a", "7/4 1/4 b"]
    );
    assert_eq!(
        cycle("a b c d", &[Transform::Linger(q(-1, 4))], &[], 0),
        ["0 1/4 d", "1/4 1/4 d", "1/2 1/4 d", "3/4 1/4 d"]
    );
}

#[test]
fn euclid_and_euclid_inv_play_on_hits_and_rests() {
    let e = |pulses, steps, rotation, invert| Transform::Euclid {
        pulses,
        steps,
        rotation,
        invert,
    };
    assert_eq!(
        cycle("a", &[e(3, 8, 0, false)], &[], 0),
        ["0 1/8 a", "3/8 1/8 a", "3/4 1/8 a"]
    );
    assert_eq!(
        cycle("a", &[e(3, 8, 0, true)], &[], 1),
        [
            "9/8 1/8 a",
            "5/4 1/8 a",
            "3/2 1/8 a",
            "13/8 1/8 a",
            "15/8 1/8 a"
        ]
    );
    // The same as the mini-notation's `[a b](2,4)`: a whole cycle in each hit.
    assert_eq!(
        cycle("a b", &[e(2, 4, 0, false)], &[], 0),
        cycle("[a b](2,4)", &[], &[], 0)
    );
    assert_eq!(
        cycle("a", &[e(3, 8, 2, false)], &[], 0),
        cycle("a(3,8,2)", &[], &[], 0)
    );
}

#[test]
fn echo_repeats_later_and_softer() {
    let ts = [Transform::Echo {
        count: 3,
        time: TimeArg::Cycles(q(1, 8)),
        feedback: 0.5,
    }];
    assert_eq!(
        cycle("a ~", &ts, &[], 0),
        ["0 1/2 a", "1/8 1/2 a v0.5", "1/4 1/2 a v0.25"]
    );
    // One pulse in 7/8 (2+2+3) is an eighth: 1/7 of the bar.
    let ts = [Transform::Echo {
        count: 2,
        time: TimeArg::Pulses(q(1, 1)),
        feedback: 0.5,
    }];
    assert_eq!(
        cycle("a ~", &ts, &[2, 2, 3], 0),
        ["0 1/2 a", "1/7 1/2 a v0.5"]
    );
}

#[test]
fn off_adds_a_moved_and_transformed_copy() {
    let ts = [Transform::Off {
        time: TimeArg::Pulses(q(1, 1)),
        transforms: vec![Transform::Gain(0.5)],
    }];
    // 7/8: one pulse is 1/7 of a cycle.
    assert_eq!(
        cycle("a b", &ts, &[2, 2, 3], 0),
        ["0 1/2 a", "1/7 1/2 a v0.5", "1/2 1/2 b", "9/14 1/2 b v0.5"]
    );
    // 9/8 (3+3+3): one pulse is 1/9 of a cycle.
    assert_eq!(
        cycle("a b", &ts, &[3, 3, 3], 0),
        ["0 1/2 a", "1/9 1/2 a v0.5", "1/2 1/2 b", "11/18 1/2 b v0.5"]
    );
    // A quarter cycle late: the copy of the last quarter opens the next cycle.
    let ts = [Transform::Off {
        time: TimeArg::Cycles(q(1, 4)),
        transforms: vec![Transform::Gain(0.5)],
    }];
    assert_eq!(
        cycle("a ~ ~ b", &ts, &[], 1),
        ["1 1/4 a", "1 1/4 b v0.5", "5/4 1/4 a v0.5", "7/4 1/4 b"]
    );
}

#[test]
fn superimpose_adds_a_transformed_copy() {
    assert_eq!(
        cycle(
            "a ~",
            &[Transform::Superimpose(vec![Transform::Fast(q(2, 1))])],
            &[],
            0
        ),
        ["0 1/4 a", "0 1/2 a", "1/2 1/4 a"]
    );
}

#[test]
fn within_transforms_a_window_of_each_cycle() {
    let ts = [Transform::Within {
        start: q(0, 1),
        end: q(1, 2),
        transforms: vec![Transform::Fast(q(2, 1))],
    }];
    assert_eq!(
        cycle("a b c d", &ts, &[], 3),
        [
            "3 1/8 a",
            "25/8 1/8 b",
            "13/4 1/8 c",
            "27/8 1/8 d",
            "7/2 1/4 c",
            "15/4 1/4 d"
        ]
    );
}

#[test]
fn whenmod_transforms_the_later_cycles_of_each_period() {
    let ts = [Transform::WhenMod {
        a: 4,
        b: 2,
        transforms: vec![Transform::Rev],
    }];
    assert_eq!(
        cycles("a b", &ts, &[], 5),
        [
            vec!["0 1/2 a", "1/2 1/2 b"],
            vec!["1 1/2 a", "3/2 1/2 b"],
            vec!["2 1/2 b", "5/2 1/2 a"],
            vec!["3 1/2 b", "7/2 1/2 a"],
            vec!["4 1/2 a", "9/2 1/2 b"],
        ]
    );
}

#[test]
fn jux_pans_the_pattern_left_and_the_copy_right() {
    let notes = notes_in(
        "a b",
        &[Transform::Jux(vec![Transform::Rev])],
        q(0, 1),
        q(1, 1),
        &[],
        0,
    );
    let got: Vec<(Rational, String, Option<f64>)> = notes
        .into_iter()
        .map(|n| (n.onset, n.sound, n.pan))
        .collect();
    assert_eq!(
        got,
        [
            (q(0, 1), "a".to_string(), Some(-1.0)),
            (q(0, 1), "b".to_string(), Some(1.0)),
            (q(1, 2), "a".to_string(), Some(1.0)),
            (q(1, 2), "b".to_string(), Some(-1.0)),
        ]
    );
}

#[test]
fn hurry_is_fast_with_the_rate_raised() {
    let notes = notes_in(
        "a b",
        &[Transform::Hurry(q(2, 1))],
        q(0, 1),
        q(1, 1),
        &[],
        0,
    );
    assert!(notes.iter().all(|n| n.rate_scale == 2.0), "{notes:?}");
    assert_eq!(
        show(notes),
        ["0 1/4 a", "1/4 1/4 b", "1/2 1/4 a", "3/4 1/4 b"]
    );
}

#[test]
fn brak_squashes_odd_cycles_a_quarter_late() {
    assert_eq!(
        cycles("a b", &[Transform::Brak], &[], 3),
        [
            vec!["0 1/2 a", "1/2 1/2 b"],
            vec!["5/4 1/4 a", "3/2 1/4 b"],
            vec!["2 1/2 a", "5/2 1/2 b"],
        ]
    );
}

#[test]
fn sometimes_replaces_each_note_or_keeps_it_never_both() {
    let some = |p: f64| Transform::SomeBy {
        probability: p,
        transforms: vec![Transform::Gain(0.5)],
    };
    let plain = cycle("a*8", &[], &[], 0);
    assert_eq!(cycle("a*8", &[some(0.0)], &[], 0), plain);
    assert_eq!(
        cycle("a*8", &[some(1.0)], &[], 0),
        cycle("a*8", &[Transform::Gain(0.5)], &[], 0)
    );
    let mut changed = 0;
    for c in 0..8 {
        let got = cycle("a*8", &[some(0.5)], &[], c);
        // Every eighth is there exactly once, at full or half velocity.
        assert_eq!(got.len(), 8, "{got:?}");
        for (i, n) in got.iter().enumerate() {
            let at = q(8 * c + i as i128, 8);
            assert!(
                *n == format!("{at} 1/8 a") || *n == format!("{at} 1/8 a v0.5"),
                "{n}"
            );
            changed += usize::from(n.ends_with("v0.5"));
        }
    }
    assert!((16..48).contains(&changed), "{changed} of 64");
    // Seeded: the same seed gives the same notes, another seed others.
    let seeded = |seed| show(notes_in("a*8", &[some(0.5)], q(0, 1), q(4, 1), &[], seed));
    assert_eq!(seeded(7), seeded(7));
    assert_ne!(seeded(7), seeded(8));
}

#[test]
fn some_cycles_transforms_whole_cycles() {
    let ts = [Transform::SomeCyclesBy {
        probability: 0.5,
        transforms: vec![Transform::Gain(0.5)],
    }];
    let mut changed = 0;
    for c in 0..16 {
        let got = cycle("a*4", &ts, &[], c);
        let soft = got.iter().filter(|n| n.ends_with("v0.5")).count();
        assert!(soft == 0 || soft == 4, "cycle {c}: {got:?}");
        changed += usize::from(soft == 4);
    }
    assert!((3..14).contains(&changed), "{changed} of 16");
}

#[test]
fn queries_in_pieces_give_the_same_notes() {
    let pieces = [
        (q(0, 1), q(1, 3)),
        (q(1, 3), q(5, 4)),
        (q(5, 4), q(13, 4)),
        (q(13, 4), q(4, 1)),
    ];
    let list: Vec<Vec<Transform>> = vec![
        vec![Transform::Ply(q(3, 1))],
        vec![Transform::Palindrome],
        vec![Transform::Iter(3)],
        vec![Transform::Chunk {
            n: 3,
            transforms: vec![Transform::Fast(q(2, 1))],
        }],
        vec![Transform::Linger(q(-1, 3))],
        vec![Transform::Euclid {
            pulses: 5,
            steps: 8,
            rotation: 1,
            invert: true,
        }],
        vec![Transform::Echo {
            count: 3,
            time: TimeArg::Pulses(q(1, 1)),
            feedback: 0.7,
        }],
        vec![Transform::Off {
            time: TimeArg::Cycles(q(1, 8)),
            transforms: vec![Transform::Rev],
        }],
        vec![Transform::Brak],
        vec![Transform::SomeBy {
            probability: 0.5,
            transforms: vec![Transform::Fast(q(2, 1))],
        }],
        vec![Transform::SomeCyclesBy {
            probability: 0.5,
            transforms: vec![Transform::Rev],
        }],
        vec![Transform::Hurry(q(3, 2))],
    ];
    for ts in list {
        let whole = show(notes_in(
            "<a c> b [c d]",
            &ts,
            q(0, 1),
            q(4, 1),
            &[2, 2, 3],
            5,
        ));
        let mut split = Vec::new();
        for (from, to) in pieces {
            split.extend(show(notes_in(
                "<a c> b [c d]",
                &ts,
                from,
                to,
                &[2, 2, 3],
                5,
            )));
        }
        split.sort();
        let mut whole_sorted = whole.clone();
        whole_sorted.sort();
        assert_eq!(split, whole_sorted, "{ts:?}");
    }
}

#[test]
fn checks_name_the_bad_value() {
    let bad = [
        (Transform::Ply(q(0, 1)), "ply 0 is out of range"),
        (Transform::Iter(0), "parts 0 is out of range"),
        (Transform::Linger(q(0, 1)), "linger 0 is out of range"),
        (
            Transform::Euclid {
                pulses: 0,
                steps: 8,
                rotation: 0,
                invert: false,
            },
            "euclid pulses 0: give 1 to 8",
        ),
        (
            Transform::SomeBy {
                probability: 1.5,
                transforms: vec![],
            },
            "chance 1.5 is out of range",
        ),
        (
            Transform::Within {
                start: q(3, 4),
                end: q(1, 4),
                transforms: vec![],
            },
            "the start must come before the end",
        ),
        (
            Transform::WhenMod {
                a: 4,
                b: 4,
                transforms: vec![],
            },
            "whenmod 4 4: give b from 0 to 3",
        ),
        (
            Transform::Echo {
                count: 3,
                time: TimeArg::Cycles(q(100, 1)),
                feedback: 0.5,
            },
            "time 100 is out of range",
        ),
        (
            Transform::Superimpose(vec![Transform::Fast(q(0, 1))]),
            "fast 0 is out of range",
        ),
    ];
    for (t, want) in bad {
        let e = t.check().expect_err(want).to_string();
        assert!(e.contains(want), "{t:?}: {e}");
    }
    assert_eq!(TimeArg::parse("1p"), Ok(TimeArg::Pulses(q(1, 1))));
    assert_eq!(TimeArg::parse(" -1.5p"), Ok(TimeArg::Pulses(q(-3, 2))));
    assert_eq!(TimeArg::parse("1/8"), Ok(TimeArg::Cycles(q(1, 8))));
    assert_eq!(TimeArg::parse("0.25"), Ok(TimeArg::Cycles(q(1, 4))));
    assert!(TimeArg::parse("1q").is_err());
    assert_eq!(TimeArg::Pulses(q(1, 1)).cycles(7), q(1, 7));
}

#[test]
fn group_times_count_the_metres_beats_from_the_bar_line() {
    assert_eq!(TimeArg::parse("1g"), Ok(TimeArg::Groups(q(1, 1))));
    assert_eq!(TimeArg::parse("-0.5g"), Ok(TimeArg::Groups(q(-1, 2))));
    assert!(TimeArg::parse("xg").is_err());
    let g = |n: i128, d: i128, groups: &[u32]| TimeArg::Groups(q(n, d)).cycles_in(groups);
    // 2+2+3/8: the groups are 2, 2 and 3 eighths.
    assert_eq!(g(1, 1, &[2, 2, 3]), q(2, 7));
    assert_eq!(g(2, 1, &[2, 2, 3]), q(4, 7));
    assert_eq!(g(3, 1, &[2, 2, 3]), q(1, 1));
    assert_eq!(g(5, 2, &[2, 2, 3]), q(11, 14));
    assert_eq!(g(4, 1, &[2, 2, 3]), q(9, 7));
    assert_eq!(g(-1, 1, &[2, 2, 3]), q(-2, 7));
    // 6/8 and 12/8: a dotted quarter; 4/4: a quarter.
    assert_eq!(g(1, 1, &[3, 3]), q(1, 2));
    assert_eq!(g(1, 1, &[3, 3, 3, 3]), q(1, 4));
    assert_eq!(g(1, 1, &[1, 1, 1, 1]), q(1, 4));
    // off("1g", …) in 2+2+3/8 moves the copy two eighths.
    let ts = [Transform::Off {
        time: TimeArg::Groups(q(1, 1)),
        transforms: vec![Transform::Gain(0.5)],
    }];
    assert_eq!(
        cycle("a ~", &ts, &[2, 2, 3], 0),
        ["0 1/2 a", "2/7 1/2 a v0.5"]
    );
}

/// Each note of cycle `c` as `"sound transpose/octave_shift"`.
fn moves(src: &str, ts: &[Transform], c: i128) -> Vec<String> {
    super::notes_in(src, ts, q(c, 1), q(c + 1, 1), &[], 0)
        .into_iter()
        .map(|n| format!("{} {}/{}", n.sound, n.transpose, n.octave_shift))
        .collect()
}

#[test]
fn transpose_and_octave_shift_move_the_notes_they_reach() {
    // Alone: every note; nested ones add up; time and sound stay.
    assert_eq!(
        moves("0 9", &[Transform::Transpose(5)], 0),
        ["0 5/0", "9 5/0"]
    );
    assert_eq!(
        moves(
            "0 9",
            &[
                Transform::Transpose(5),
                Transform::OctaveShift(-1),
                Transform::Transpose(-2)
            ],
            0
        ),
        ["0 3/-1", "9 3/-1"]
    );
    // Inside every: only the cycles it applies on.
    let ts = [super::every(2, 0, Transform::Transpose(9))];
    assert_eq!(moves("0 9", &ts, 0), ["0 9/0", "9 9/0"]);
    assert_eq!(moves("0 9", &ts, 1), ["0 0/0", "9 0/0"]);
    // Inside within: only the first half of each cycle.
    let ts = [Transform::Within {
        start: q(0, 1),
        end: q(1, 2),
        transforms: vec![Transform::OctaveShift(1)],
    }];
    assert_eq!(
        moves("a b c d", &ts, 3),
        ["a 0/1", "b 0/1", "c 0/0", "d 0/0"]
    );
    // Inside always (sometimes with chance 1): every note, and only moved once.
    let ts = [Transform::SomeBy {
        probability: 1.0,
        transforms: vec![Transform::Transpose(-4)],
    }];
    assert_eq!(moves("a b", &ts, 0), ["a -4/0", "b -4/0"]);
    // superimpose: the original and a moved copy, at the same times.
    let ts = [Transform::Superimpose(vec![Transform::Transpose(7)])];
    let mut both = moves("a", &ts, 0);
    both.sort();
    assert_eq!(both, ["a 0/0", "a 7/0"]);
    // Limits, in the words of the loop settings.
    assert!(Transform::Transpose(1000).check().is_ok());
    assert_eq!(
        Transform::Transpose(1001).check().unwrap_err().message,
        "transpose 1001: give -1000 to 1000 steps"
    );
    assert_eq!(
        Transform::OctaveShift(-11).check().unwrap_err().message,
        "octave_shift -11: give -10 to 10 periods"
    );
    assert!(Transform::Transpose(i64::MIN).check().is_err());
    // The bound on events a cycle is unchanged.
    assert_eq!(
        crate::pattern::events_per_cycle(&super::pattern("a b c"), &[Transform::Transpose(3)]),
        3
    );
}
