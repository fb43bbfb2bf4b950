//! Metre groups: where each top-level `|` part sits inside the cycle.
//!
//! The rule (also in the module doc): part `i` plays in pulse group `i`, and
//! lasts that group's share of the cycle. With fewer parts than groups the
//! parts repeat in order (`a | b` over `[2,2,3]` is `a`, `b`, `a`); with more
//! parts than groups the extra parts are silent. With no groups (or only
//! empty ones) every part gets an equal share, as if each were one pulse.

use crate::time::Rational;

/// One slot of a cycle: `[begin, end)` as fractions of the cycle, and the
/// index of the part that plays there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupSlot {
    /// Where the slot starts, as a fraction of the cycle.
    pub begin: Rational,
    /// Where it ends (exclusive).
    pub end: Rational,
    /// The part that plays there, counted from 0.
    pub part: usize,
}

/// The slots of a cycle for `parts` parts over the pulse `groups` of the metre.
pub fn group_slots(groups: &[u32], parts: usize) -> Vec<GroupSlot> {
    if parts == 0 {
        return Vec::new();
    }
    let total: i128 = groups.iter().map(|&g| i128::from(g)).sum();
    if total == 0 {
        let n = parts as i128;
        return (0..parts)
            .map(|i| GroupSlot {
                begin: Rational::new(i as i128, n),
                end: Rational::new(i as i128 + 1, n),
                part: i,
            })
            .collect();
    }
    let mut start = 0i128;
    let mut slots = Vec::with_capacity(groups.len());
    for (i, &g) in groups.iter().enumerate() {
        let g = i128::from(g);
        if g > 0 {
            slots.push(GroupSlot {
                begin: Rational::new(start, total),
                end: Rational::new(start + g, total),
                part: i % parts,
            });
        }
        start += g;
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    fn spans(slots: &[GroupSlot]) -> Vec<(Rational, Rational, usize)> {
        slots.iter().map(|s| (s.begin, s.end, s.part)).collect()
    }

    #[test]
    fn seven_eight_as_two_two_three() {
        assert_eq!(
            spans(&group_slots(&[2, 2, 3], 3)),
            vec![
                (q(0, 1), q(2, 7), 0),
                (q(2, 7), q(4, 7), 1),
                (q(4, 7), q(1, 1), 2)
            ]
        );
    }

    #[test]
    fn fewer_parts_repeat_more_parts_are_dropped() {
        assert_eq!(
            spans(&group_slots(&[2, 2, 3], 2)),
            vec![
                (q(0, 1), q(2, 7), 0),
                (q(2, 7), q(4, 7), 1),
                (q(4, 7), q(1, 1), 0)
            ]
        );
        assert_eq!(
            spans(&group_slots(&[3, 3], 4)),
            vec![(q(0, 1), q(1, 2), 0), (q(1, 2), q(1, 1), 1)]
        );
    }

    #[test]
    fn no_groups_means_equal_shares() {
        assert_eq!(
            spans(&group_slots(&[], 3)),
            vec![
                (q(0, 1), q(1, 3), 0),
                (q(1, 3), q(2, 3), 1),
                (q(2, 3), q(1, 1), 2)
            ]
        );
        assert_eq!(spans(&group_slots(&[0, 0], 2)).len(), 2);
        assert!(group_slots(&[2, 3], 0).is_empty());
    }

    #[test]
    fn empty_groups_are_skipped_but_keep_their_part_index() {
        assert_eq!(
            spans(&group_slots(&[2, 0, 2], 3)),
            vec![(q(0, 1), q(1, 2), 0), (q(1, 2), q(1, 1), 2)]
        );
    }
}
