//! `chop` and `striate`: exact onsets, durations and sample parts.

use super::*;

/// Notes of cycle `n` as `"onset duration sound [begin end]"`, by onset.
fn sliced(src: &str, ts: &[Transform], groups: &[u32], n: i128) -> Vec<String> {
    let mut notes = notes_in(src, ts, q(n, 1), q(n + 1, 1), groups, 0);
    notes.sort_by_key(|n| n.onset);
    notes
        .into_iter()
        .map(|n| {
            format!(
                "{} {} {} [{} {}]",
                n.onset, n.duration, n.sound, n.slice.0, n.slice.1
            )
        })
        .collect()
}

#[test]
fn chop_cuts_each_note_into_parts_of_its_sample() {
    let chop2 = [Transform::Chop(2)];
    assert_eq!(
        sliced("a b", &chop2, &[], 0),
        [
            "0 1/4 a [0 1/2]",
            "1/4 1/4 a [1/2 1]",
            "1/2 1/4 b [0 1/2]",
            "3/4 1/4 b [1/2 1]"
        ]
    );
    // Over several cycles of a pattern that changes each cycle.
    let chop3 = [Transform::Chop(3)];
    assert_eq!(
        sliced("<a b>", &chop3, &[], 1),
        [
            "1 1/3 b [0 1/3]",
            "4/3 1/3 b [1/3 2/3]",
            "5/3 1/3 b [2/3 1]"
        ]
    );
    // A part of a part: chop(2) then chop(2) gives quarters in order.
    assert_eq!(
        sliced("a", &[Transform::Chop(2), Transform::Chop(2)], &[], 0),
        [
            "0 1/4 a [0 1/4]",
            "1/4 1/4 a [1/4 1/2]",
            "1/2 1/4 a [1/2 3/4]",
            "3/4 1/4 a [3/4 1]"
        ]
    );
    // In 7/8 the cycle is the bar, as for every transform.
    assert_eq!(sliced("a ~", &[Transform::Chop(7)], &[2, 2, 3], 0).len(), 7);
    assert!(sliced("a b", &[Transform::Chop(0)], &[], 0).is_empty());
}

#[test]
fn striate_interleaves_the_parts_of_every_sound_in_the_cycle() {
    let striate2 = [Transform::Striate(2)];
    assert_eq!(
        sliced("a b", &striate2, &[], 0),
        [
            "0 1/4 a [0 1/2]",
            "1/4 1/4 b [0 1/2]",
            "1/2 1/4 a [1/2 1]",
            "3/4 1/4 b [1/2 1]"
        ]
    );
    assert_eq!(
        sliced("a b c", &[Transform::Striate(3)], &[], 2),
        [
            "2 1/9 a [0 1/3]",
            "19/9 1/9 b [0 1/3]",
            "20/9 1/9 c [0 1/3]",
            "7/3 1/9 a [1/3 2/3]",
            "22/9 1/9 b [1/3 2/3]",
            "23/9 1/9 c [1/3 2/3]",
            "8/3 1/9 a [2/3 1]",
            "25/9 1/9 b [2/3 1]",
            "26/9 1/9 c [2/3 1]"
        ]
    );
    // Part of a cycle: only the notes that start in it.
    assert_eq!(
        show(notes_in("a b", &striate2, q(1, 4), q(3, 4), &[], 0)),
        ["1/4 1/4 b", "1/2 1/4 a"]
    );
    assert!(sliced("a b", &[Transform::Striate(-1)], &[], 0).is_empty());
}
