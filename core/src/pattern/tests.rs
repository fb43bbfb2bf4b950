//! Query tests: the exact events of every construct.

use super::{Pattern, QueryContext};
use crate::time::{q, Rational};

/// Events of `src` in `[from, to)` as `"onset duration sound[:variant]"`.
fn events_in(src: &str, from: Rational, to: Rational, groups: &[u32], seed: u64) -> Vec<String> {
    let pattern = Pattern::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    pattern
        .query(from, to, &QueryContext { groups, seed })
        .into_iter()
        .map(|e| {
            let sound = match e.variant {
                0 => e.sound,
                v => format!("{}:{v}", e.sound),
            };
            format!("{} {} {sound}", e.onset, e.duration)
        })
        .collect()
}

/// Events of cycle `n`, no metre groups, seed 0.
fn cycle(src: &str, n: i128) -> Vec<String> {
    events_in(src, q(n, 1), q(n + 1, 1), &[], 0)
}

/// Events of cycle `n` under the metre's pulse `groups`.
fn metre(src: &str, groups: &[u32], n: i128) -> Vec<String> {
    events_in(src, q(n, 1), q(n + 1, 1), groups, 0)
}

#[test]
fn sequences_share_the_cycle() {
    assert_eq!(cycle("a b c", 0), ["0 1/3 a", "1/3 1/3 b", "2/3 1/3 c"]);
    assert_eq!(cycle("a b c", 5), ["5 1/3 a", "16/3 1/3 b", "17/3 1/3 c"]);
    assert_eq!(cycle("a b", -1), ["-1 1/2 a", "-1/2 1/2 b"]);
    assert_eq!(cycle("hat:2 ~ hat", 0), ["0 1/3 hat:2", "2/3 1/3 hat"]);
    assert_eq!(cycle("~", 0), Vec::<String>::new());
}

#[test]
fn subdivision_and_dot_groups() {
    assert_eq!(cycle("a [b c]", 0), ["0 1/2 a", "1/2 1/4 b", "3/4 1/4 c"]);
    assert_eq!(cycle("a b . c", 0), ["0 1/4 a", "1/4 1/4 b", "1/2 1/2 c"]);
}

#[test]
fn repeat() {
    assert_eq!(cycle("a*3", 0), ["0 1/3 a", "1/3 1/3 a", "2/3 1/3 a"]);
    assert_eq!(
        cycle("[a b]*2", 0),
        ["0 1/4 a", "1/4 1/4 b", "1/2 1/4 a", "3/4 1/4 b"]
    );
    // An event belongs to the cycle holding its onset, even if it runs on.
    assert_eq!(cycle("a*1.5", 0), ["0 2/3 a", "2/3 2/3 a"]);
    assert_eq!(cycle("a*1.5", 1), ["4/3 2/3 a"]);
    assert_eq!(
        cycle("a [b c]*2", 0),
        [
            "0 1/2 a",
            "1/2 1/8 b",
            "5/8 1/8 c",
            "3/4 1/8 b",
            "7/8 1/8 c"
        ]
    );
}

#[test]
fn slow_plays_part_of_the_sequence_per_cycle() {
    assert_eq!(cycle("a/2", 0), ["0 2 a"]);
    assert!(cycle("a/2", 1).is_empty());
    assert_eq!(cycle("a/2", 2), ["2 2 a"]);
    assert_eq!(cycle("[a b c]/2", 0), ["0 2/3 a", "2/3 2/3 b"]);
    assert_eq!(cycle("[a b c]/2", 1), ["4/3 2/3 c"]);
    assert_eq!(cycle("a b/2", 0), ["0 1/2 a", "1/2 1 b"]);
    assert_eq!(cycle("a b/2", 1), ["1 1/2 a"]);
    assert_eq!(
        cycle("[a b c d]/1.5", 0),
        ["0 3/8 a", "3/8 3/8 b", "3/4 3/8 c"]
    );
}

#[test]
fn alternation_takes_turns_by_cycle() {
    let turns = |src: &str| -> Vec<Vec<String>> { (0..4).map(|n| cycle(src, n)).collect() };
    assert_eq!(
        turns("<a b c>"),
        [["0 1 a"], ["1 1 b"], ["2 1 c"], ["3 1 a"]]
    );
    assert_eq!(
        turns("<a <b c>>"),
        [["0 1 a"], ["1 1 b"], ["2 1 a"], ["3 1 c"]]
    );
    assert_eq!(
        turns("<a!2 b>"),
        [["0 1 a"], ["1 1 a"], ["2 1 b"], ["3 1 a"]]
    );
    assert_eq!(cycle("a <b c>", 0), ["0 1/2 a", "1/2 1/2 b"]);
    assert_eq!(cycle("a <b c>", 1), ["1 1/2 a", "3/2 1/2 c"]);
    assert_eq!(cycle("<a b>*2", 0), ["0 1/2 a", "1/2 1/2 b"]);
    assert_eq!(cycle("<[a a] b>", 0), ["0 1/2 a", "1/2 1/2 a"]);
    assert_eq!(cycle("<a, b c>", 1), ["1 1 a", "1 1 c"]);
    let long: Vec<Vec<String>> = (0..4).map(|n| cycle("<a@3 b>", n)).collect();
    assert_eq!(long, [vec!["0 3 a"], vec![], vec![], vec!["3 1 b"]]);
}

#[test]
fn euclid_spreads_onsets() {
    assert_eq!(cycle("a(3,8)", 0), ["0 1/8 a", "3/8 1/8 a", "3/4 1/8 a"]);
    assert_eq!(
        cycle("a(3,8,2)", 0),
        ["1/8 1/8 a", "1/2 1/8 a", "3/4 1/8 a"]
    );
    assert_eq!(cycle("a(3,8)", 2), ["2 1/8 a", "19/8 1/8 a", "11/4 1/8 a"]);
    assert_eq!(
        cycle("[a b](2,4)", 0),
        ["0 1/8 a", "1/8 1/8 b", "1/2 1/8 a", "5/8 1/8 b"]
    );
    assert_eq!(
        cycle("a(-3,8)", 0),
        [
            "1/8 1/8 a",
            "1/4 1/8 a",
            "1/2 1/8 a",
            "5/8 1/8 a",
            "7/8 1/8 a"
        ]
    );
    assert_eq!(
        cycle("a(3,8) b", 0),
        ["0 1/16 a", "3/16 1/16 a", "3/8 1/16 a", "1/2 1/2 b"]
    );
}

#[test]
fn replicate_and_elongate() {
    assert_eq!(
        cycle("a!3 b", 0),
        ["0 1/4 a", "1/4 1/4 a", "1/2 1/4 a", "3/4 1/4 b"]
    );
    assert_eq!(cycle("a ! b", 0), ["0 1/3 a", "1/3 1/3 a", "2/3 1/3 b"]);
    assert_eq!(cycle("a@3 b", 0), ["0 3/4 a", "3/4 1/4 b"]);
    assert_eq!(cycle("a _ b", 0), ["0 2/3 a", "2/3 1/3 b"]);
    assert_eq!(cycle("a@1.5 b", 0), ["0 3/5 a", "3/5 2/5 b"]);
}

#[test]
fn stacks_sort_by_onset_then_sound() {
    assert_eq!(
        cycle("kick*2, hat*4", 0),
        [
            "0 1/4 hat",
            "0 1/2 kick",
            "1/4 1/4 hat",
            "1/2 1/4 hat",
            "1/2 1/2 kick",
            "3/4 1/4 hat"
        ]
    );
    assert_eq!(cycle("[b c, a]", 0), ["0 1 a", "0 1/2 b", "1/2 1/2 c"]);
}

#[test]
fn polymeter_moves_every_layer_at_the_same_step_rate() {
    assert_eq!(
        cycle("{a b c, d e}", 0),
        [
            "0 1/3 a",
            "0 1/3 d",
            "1/3 1/3 b",
            "1/3 1/3 e",
            "2/3 1/3 c",
            "2/3 1/3 d"
        ]
    );
    assert_eq!(
        cycle("{a b c, d e}", 1),
        [
            "1 1/3 a",
            "1 1/3 e",
            "4/3 1/3 b",
            "4/3 1/3 d",
            "5/3 1/3 c",
            "5/3 1/3 e"
        ]
    );
    assert_eq!(
        cycle("{a b c}%4", 0),
        ["0 1/4 a", "1/4 1/4 b", "1/2 1/4 c", "3/4 1/4 a"]
    );
    assert_eq!(
        cycle("{a b c}%4", 1),
        ["1 1/4 b", "5/4 1/4 c", "3/2 1/4 a", "7/4 1/4 b"]
    );
}

#[test]
fn probability_is_seeded_and_exact() {
    let at = |src: &str, seed, n| events_in(src, q(n, 1), q(n + 1, 1), &[], seed);
    // Pinned: a change here changes every performer's `?` patterns.
    assert_eq!(at("a*8?", 0, 0), PINNED_SEED0);
    assert_eq!(at("a*8?", 0, 0), at("a*8?", 0, 0));
    let differ = (0..8).any(|n| at("a*8?", 1, n) != at("a*8?", 2, n));
    assert!(differ, "different seeds should give different drops");
    assert_eq!(at("a*8?0", 3, 0).len(), 8);
    assert!(at("a*8?1", 3, 0).is_empty());
    let kept: usize = (0..100).map(|n| at("a*8?0.25", 9, n).len()).sum();
    assert!((540..660).contains(&kept), "{kept} of 800 kept at p = 0.25");
    // Replicated steps draw independently.
    let all_or_none = (0..16).all(|n| matches!(at("a?!4", 5, n).len(), 0 | 4));
    assert!(!all_or_none);
}

const PINNED_SEED0: [&str; 4] = ["1/8 1/8 a", "1/4 1/8 a", "5/8 1/8 a", "3/4 1/8 a"];

#[test]
fn random_choice_picks_one_option_per_cycle() {
    let picks: Vec<String> = (0..30)
        .map(|n| {
            let evs = cycle("[a | b | c]", n);
            assert_eq!(evs.len(), 1);
            assert!(evs[0].starts_with(&format!("{n} 1 ")));
            evs[0].clone()
        })
        .collect();
    for name in ["a", "b", "c"] {
        assert!(
            picks.iter().any(|p| p.ends_with(name)),
            "{name} never chosen"
        );
    }
    assert_eq!(cycle("[a a | b c]", 0).len() % 2, 0);
}

#[test]
fn metre_groups_in_seven_eight() {
    let g = [2, 2, 3];
    assert_eq!(
        metre("kick hat | snare | kick hat hat", &g, 0),
        [
            "0 1/7 kick",
            "1/7 1/7 hat",
            "2/7 2/7 snare",
            "4/7 1/7 kick",
            "5/7 1/7 hat",
            "6/7 1/7 hat"
        ]
    );
    assert_eq!(
        metre("kick hat | snare | kick hat hat", &g, 3),
        [
            "3 1/7 kick",
            "22/7 1/7 hat",
            "23/7 2/7 snare",
            "25/7 1/7 kick",
            "26/7 1/7 hat",
            "27/7 1/7 hat"
        ]
    );
    // Fewer parts repeat, extra parts are silent.
    assert_eq!(metre("a | b", &g, 0), ["0 2/7 a", "2/7 2/7 b", "4/7 3/7 a"]);
    assert_eq!(
        metre("a | b | c | d", &g, 0),
        ["0 2/7 a", "2/7 2/7 b", "4/7 3/7 c"]
    );
    // 3+2+2 moves the boundaries.
    assert_eq!(
        metre("a | b | c", &[3, 2, 2], 0),
        ["0 3/7 a", "3/7 2/7 b", "5/7 2/7 c"]
    );
}

#[test]
fn metre_groups_in_nine_eight() {
    assert_eq!(
        metre("a | b | c", &[3, 3, 3], 0),
        ["0 1/3 a", "1/3 1/3 b", "2/3 1/3 c"]
    );
    // Aksak 2+2+2+3.
    assert_eq!(
        metre("a a | b b | c c | d d d", &[2, 2, 2, 3], 0),
        [
            "0 1/9 a",
            "1/9 1/9 a",
            "2/9 1/9 b",
            "1/3 1/9 b",
            "4/9 1/9 c",
            "5/9 1/9 c",
            "2/3 1/9 d",
            "7/9 1/9 d",
            "8/9 1/9 d"
        ]
    );
    assert_eq!(
        metre("x | y", &[2, 2, 2, 3], 0),
        ["0 2/9 x", "2/9 2/9 y", "4/9 2/9 x", "2/3 1/3 y"]
    );
}

#[test]
fn metre_groups_in_twelve_eight() {
    assert_eq!(
        metre("bd ~ ~ | sn ~ hat | bd bd ~ | sn hat hat", &[3, 3, 3, 3], 0),
        [
            "0 1/12 bd",
            "1/4 1/12 sn",
            "5/12 1/12 hat",
            "1/2 1/12 bd",
            "7/12 1/12 bd",
            "3/4 1/12 sn",
            "5/6 1/12 hat",
            "11/12 1/12 hat"
        ]
    );
}

#[test]
fn metre_groups_combine_with_other_notation() {
    let g = [2, 2, 3];
    assert_eq!(
        metre("kick | snare | kick, hat*2 | hat*2 | hat*3", &g, 0),
        [
            "0 1/7 hat",
            "0 2/7 kick",
            "1/7 1/7 hat",
            "2/7 1/7 hat",
            "2/7 2/7 snare",
            "3/7 1/7 hat",
            "4/7 1/7 hat",
            "4/7 3/7 kick",
            "5/7 1/7 hat",
            "6/7 1/7 hat"
        ]
    );
    assert_eq!(
        metre("<a b> | c", &[3, 3, 3], 1),
        ["1 1/3 b", "4/3 1/3 c", "5/3 1/3 b"]
    );
    assert_eq!(
        metre("a(2,4) | b", &[1, 1], 0),
        ["0 1/8 a", "1/4 1/8 a", "1/2 1/2 b"]
    );
    assert_eq!(metre("a/2 | b", &[1, 1], 0), ["0 1 a", "1/2 1/2 b"]);
    assert_eq!(metre("a/2 | b", &[1, 1], 1), ["3/2 1/2 b"]);
    // Without groups every part gets an equal share.
    assert_eq!(metre("a | b", &[], 0), ["0 1/2 a", "1/2 1/2 b"]);
    // Without `|` the metre does not matter.
    assert_eq!(metre("a b", &g, 0), ["0 1/2 a", "1/2 1/2 b"]);
}

#[test]
fn split_queries_agree_with_whole_ones() {
    let g = [2, 2, 3];
    for src in [
        "a*3 [b c]/2",
        "<a b>(3,8)?",
        "a | [b | c]? d | e*1.5",
        "{a b c, d e}%4",
    ] {
        let whole = events_in(src, q(0, 1), q(3, 1), &g, 11);
        let mut pieces = Vec::new();
        for (from, to) in [(q(0, 1), q(2, 7)), (q(2, 7), q(3, 2)), (q(3, 2), q(3, 1))] {
            pieces.extend(events_in(src, from, to, &g, 11));
        }
        assert_eq!(whole, pieces, "{src}");
    }
    assert!(events_in("a", q(1, 1), q(1, 1), &[], 0).is_empty());
    assert!(events_in("a", q(2, 1), q(1, 1), &[], 0).is_empty());
}

#[test]
fn pattern_api() {
    fn shareable<T: Clone + Send + Sync>() {}
    shareable::<Pattern>();
    let parts = |src: &str| Pattern::parse(src).unwrap().metre_parts();
    assert_eq!(parts("a b"), 1);
    assert_eq!(parts("a | b | c"), 3);
    assert_eq!(parts("a | b, c | d | e"), 3);
    let e = Pattern::parse("a [").unwrap_err();
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert_eq!(
        boxed.to_string(),
        "column 4: unclosed '[' opened at column 3"
    );
}

#[test]
fn far_cycles_and_awkward_spans_stay_exact() {
    let src = "[[a*16]*16]*4 hat(7,16)? | <b c>/3 [d e]*1.5 | {d e f}%5, x(5,12,3)";
    let g = [2, 2, 3];
    let pattern = Pattern::parse(src).unwrap();
    let ctx = QueryContext {
        groups: &g,
        seed: 3,
    };
    let shifted = |base: i128| -> Vec<(Rational, Rational, String)> {
        pattern
            .query(q(base, 1), q(base + 1, 1), &ctx)
            .into_iter()
            .map(|e| (e.onset - base, e.duration, e.sound))
            .collect()
    };
    // `<b c>/3` repeats every 6 cycles; seeds differ by cycle, so drop `?` layers.
    let plain = Pattern::parse("[[a*16]*16]*4 x(7,16) | <b c>/3 [d e]*1.5 | {d e f}%5").unwrap();
    let far: i128 = 6 * 1_000_000_000_000;
    let near: Vec<_> = plain.query(q(0, 1), q(1, 1), &ctx);
    let there: Vec<_> = plain
        .query(q(far, 1), q(far + 1, 1), &ctx)
        .into_iter()
        .map(|mut e| {
            e.onset -= far;
            e
        })
        .collect();
    assert_eq!(near, there);
    assert!(!shifted(far).is_empty());
    // A span cut at audio frames (44.1 kHz, 7 frames' worth of awkward tempo).
    let from = q(far * 44_100 + 12_345, 44_100);
    let to = from + q(4_410, 44_100 * 7);
    let pieces = [
        (from, from + q(1, 44_100 * 7)),
        (from + q(1, 44_100 * 7), to),
    ];
    let whole = pattern.query(from, to, &ctx);
    let split: Vec<_> = pieces
        .iter()
        .flat_map(|&(a, b)| pattern.query(a, b, &ctx))
        .collect();
    assert_eq!(whole, split);
}

mod patterned;
mod pitch_words;
