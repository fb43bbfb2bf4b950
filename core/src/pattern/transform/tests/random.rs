//! Seeded transforms (`Degrade`, `Humanise`) and split-query consistency.

use super::{cycle, every, notes_in, pattern, show};
use crate::pattern::transform::{query_transformed, Note, Transform};
use crate::pattern::QueryContext;
use crate::time::q;
use num_traits::Signed;

#[test]
fn degrade_is_deterministic_per_seed() {
    let ts = [Transform::Degrade(0.5)];
    let a = notes_in("a*16 b*8", &ts, q(0, 1), q(4, 1), &[], 1);
    assert_eq!(a, notes_in("a*16 b*8", &ts, q(0, 1), q(4, 1), &[], 1));
    assert_ne!(a, notes_in("a*16 b*8", &ts, q(0, 1), q(4, 1), &[], 2));
    assert!(a.len() > 20 && a.len() < 76, "{}", a.len());
    assert_eq!(cycle("a*8", &[Transform::Degrade(0.0)], &[], 0).len(), 8);
    assert!(cycle("a*8", &[Transform::Degrade(1.0)], &[], 0).is_empty());
    assert_eq!(
        cycle("a*8", &[Transform::Degrade(f64::NAN)], &[], 0).len(),
        8
    );
}

#[test]
fn degrade_rate_is_close_to_its_probability() {
    for seed in [0, 1, 99] {
        let kept = notes_in(
            "a*1000",
            &[Transform::Degrade(0.3)],
            q(0, 1),
            q(1, 1),
            &[],
            seed,
        );
        assert!(
            (650..=750).contains(&kept.len()),
            "seed {seed}: {}",
            kept.len()
        );
    }
    // Two degrades draw independently: about a quarter survives.
    let ts = [Transform::Degrade(0.5), Transform::Degrade(0.5)];
    let kept = notes_in("a*1000", &ts, q(0, 1), q(1, 1), &[], 0).len();
    assert!((200..=300).contains(&kept), "{kept}");
    // Simultaneous sounds are dropped independently.
    let both = notes_in(
        "[a, b]*1000",
        &[Transform::Degrade(0.5)],
        q(0, 1),
        q(1, 1),
        &[],
        0,
    );
    let a: Vec<_> = both
        .iter()
        .filter(|n| n.sound == "a")
        .map(|n| n.onset)
        .collect();
    let b: Vec<_> = both
        .iter()
        .filter(|n| n.sound == "b")
        .map(|n| n.onset)
        .collect();
    assert_ne!(a, b);
}

#[test]
fn humanise_stays_in_bounds_on_an_exact_grid() {
    // Four pulses per cycle; 2/5 of a pulse is 1/10 of a cycle, less than
    // half the grid, so the notes keep their order.
    let groups = [2, 2];
    let ts = [Transform::Humanise {
        timing: q(2, 5),
        velocity: 0.2,
    }];
    let query = |ts: &[Transform], seed| notes_in("a*4", ts, q(0, 1), q(16, 1), &groups, seed);
    let plain = query(&[], 7);
    let moved = query(&ts, 7);
    assert_eq!(moved.len(), 64);
    let mut offsets = Vec::new();
    for (n, p) in moved.iter().zip(&plain) {
        let jitter = n.onset - p.onset;
        // Steps of timing/1000 pulses = 1/10000 cycle.
        assert!(
            jitter.abs() <= q(1, 10) && (jitter * 10_000).is_integer(),
            "{jitter}"
        );
        assert!((0.8..=1.2).contains(&n.velocity), "{}", n.velocity);
        assert_eq!((n.duration, &n.sound), (p.duration, &p.sound));
        offsets.push(jitter);
    }
    assert!(offsets.iter().any(|&j| j > q(1, 20)) && offsets.iter().any(|&j| j < q(-1, 20)));
    assert_eq!(moved, query(&ts, 7));
    assert_ne!(moved, query(&ts, 8));
    let none = [Transform::Humanise {
        timing: q(0, 1),
        velocity: 0.0,
    }];
    assert_eq!(
        cycle("a b c", &none, &groups, 2),
        cycle("a b c", &[], &groups, 2)
    );
}

#[test]
fn humanise_draws_do_not_change_silently() {
    // A regression guard: existing performances keep their feel.
    let ts = [Transform::Humanise {
        timing: q(1, 4),
        velocity: 0.1,
    }];
    let got = notes_in("a b", &ts, q(0, 1), q(1, 1), &[], 42);
    assert_eq!(
        show(got),
        [
            "1/8 1/2 a v1.0713921104396555",
            "591/1000 1/2 b v0.9879532188227113"
        ]
    );
}

/// Every transform, alone and in chains, for the split test.
fn all_transforms() -> Vec<Vec<Transform>> {
    let humanise = Transform::Humanise {
        timing: q(1, 1),
        velocity: 0.3,
    };
    let singles = vec![
        Transform::Fast(q(3, 2)),
        Transform::Slow(q(5, 2)),
        Transform::Shift(2),
        Transform::Shift(-3),
        Transform::Rev,
        every(3, 1, Transform::Fast(q(2, 1))),
        every(2, 0, Transform::Rev),
        Transform::Degrade(0.4),
        humanise.clone(),
        Transform::Swing(q(1, 3)),
        Transform::Layer(pattern("x*3 ~ x")),
        Transform::Gain(0.7),
    ];
    let mut lists: Vec<Vec<Transform>> = singles.iter().map(|t| vec![t.clone()]).collect();
    lists.push(vec![humanise.clone(), Transform::Rev, Transform::Shift(5)]);
    lists.push(vec![
        Transform::Swing(q(1, 2)),
        humanise.clone(),
        Transform::Fast(q(2, 1)),
    ]);
    lists.push(vec![
        Transform::Degrade(0.3),
        every(4, 0, Transform::Fast(q(2, 1))),
        humanise,
        Transform::Slow(q(3, 2)),
    ]);
    lists
}

/// Queries a span in pieces and in one go: the same notes.
#[test]
fn split_queries_give_the_same_notes() {
    let p = pattern("bd sn:2 | hat*3 <cp ~> | bd? [~ sn] hat:1*2");
    let groups = [2, 2, 3];
    let ctx = QueryContext {
        groups: &groups,
        seed: 5,
    };
    let cuts = [
        q(-1, 1),
        q(-2, 3),
        q(0, 1),
        q(1, 7),
        q(1, 2),
        q(5, 7),
        q(1, 1),
        q(4, 3),
        q(2, 1),
        q(11, 5),
        q(3, 1),
    ];
    for ts in all_transforms() {
        let whole = query_transformed(&p, &ts, cuts[0], cuts[cuts.len() - 1], &ctx);
        assert!(!whole.is_empty(), "{ts:?}");
        let mut pieces: Vec<Note> = cuts
            .windows(2)
            .flat_map(|w| query_transformed(&p, &ts, w[0], w[1], &ctx))
            .collect();
        pieces.sort_by(|a, b| {
            (a.onset, &a.sound, a.variant, a.duration)
                .cmp(&(b.onset, &b.sound, b.variant, b.duration))
                .then(a.velocity.total_cmp(&b.velocity))
        });
        assert_eq!(pieces, whole, "{ts:?}");
    }
}
