//! Making a dozen patterns go further. Fixed variants, made once:
//! - rotation by whole groups, where the metre's grouping maps onto itself
//!   (3+3+3 by one group; 2+2+3 has no such rotation, so none);
//! - tempo octaves: double time (the bar played twice, each copy in half the
//!   space: only where every hit lands on the grid at half length) and half
//!   time (the first half of the bar stretched to fill it).
//!
//! Random variants, made afresh for every batch: instrument dropout (one
//! instrument silenced) and velocity jitter.

use crate::data::{DrumBar, Hit, CELLS_PER_PULSE};

use crate::model::trained::Rng;

/// The originals and their fixed variants. Originals come first.
pub fn fixed_variants(patterns: &[DrumBar], tempo_octaves: bool) -> Vec<DrumBar> {
    let mut out: Vec<DrumBar> = patterns.to_vec();
    for p in patterns {
        out.extend(group_rotations(p));
        if tempo_octaves {
            out.extend(double_time(p));
            out.extend(half_time(p));
        }
    }
    out
}

/// Rotations by k groups that keep the metre's grouping.
pub fn group_rotations(p: &DrumBar) -> Vec<DrumBar> {
    let groups = p.metre.groups();
    let mut out = Vec::new();
    let mut offset = 0u32;
    for k in 1..groups.len() {
        offset += groups[k - 1] * CELLS_PER_PULSE;
        let mut rotated = groups.to_vec();
        rotated.rotate_left(k);
        if rotated != groups {
            continue;
        }
        let cells = p.cells();
        let mut r = p.clone();
        r.name = format!("{} rotated {k}", p.name);
        for h in &mut r.hits {
            h.cell = (h.cell + cells - offset) % cells;
        }
        r.sort();
        out.push(r);
    }
    out
}

/// The bar played twice as fast (twice in one bar), where the grid allows.
pub fn double_time(p: &DrumBar) -> Option<DrumBar> {
    let cells = p.cells();
    if !cells.is_multiple_of(2) || p.hits.iter().any(|h| !h.cell.is_multiple_of(2)) {
        return None;
    }
    let mut d = p.clone();
    d.name = format!("{} double time", p.name);
    d.hits = p
        .hits
        .iter()
        .flat_map(|h| {
            [0, cells / 2].map(|base| Hit {
                cell: base + h.cell / 2,
                shift: h.shift / 2.0,
                ..h.clone()
            })
        })
        .collect();
    d.sort();
    Some(d)
}

/// The first half of the bar stretched over the whole bar (half time).
pub fn half_time(p: &DrumBar) -> Option<DrumBar> {
    let cells = p.cells();
    let mut d = p.clone();
    d.name = format!("{} half time", p.name);
    d.hits = p
        .hits
        .iter()
        .filter(|h| h.cell * 2 < cells)
        .map(|h| Hit {
            cell: h.cell * 2,
            shift: h.shift * 2.0,
            ..h.clone()
        })
        .collect();
    if d.hits.is_empty() {
        return None;
    }
    d.sort();
    Some(d)
}

/// A random variant for one batch: sometimes one instrument dropped, and
/// velocities jittered by up to ±`jitter`.
pub fn jitter(p: &DrumBar, rng: &mut Rng, dropout: f32, jitter: f32) -> DrumBar {
    let mut v = p.clone();
    let names = p.instruments();
    if names.len() > 1 && rng.uniform() < dropout {
        let gone = &names[rng.below(names.len())];
        v.hits.retain(|h| &h.instrument != gone);
    }
    for h in &mut v.hits {
        h.velocity = (h.velocity + (rng.uniform() * 2.0 - 1.0) * jitter).clamp(0.05, 1.0);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::text::parse_patterns;

    fn one(text: &str) -> DrumBar {
        parse_patterns(text, std::path::Path::new("t.pat"))
            .unwrap()
            .remove(0)
    }

    #[test]
    fn rotations_only_where_the_grouping_allows() {
        let nine = one("metre 3+3+3/8\nkick x . . | . . . | . x .\n");
        let r = group_rotations(&nine);
        assert_eq!(r.len(), 2);
        let cells: Vec<u32> = r[0].hits.iter().map(|h| h.cell).collect();
        // Rotated left by one group (18 cells): 0 → 36, 42 → 24.
        assert_eq!(cells, vec![24, 36]);
        let seven = one("metre 2+2+3/8\nkick x . | . . | x . .\n");
        assert!(group_rotations(&seven).is_empty());
    }

    #[test]
    fn tempo_octaves_keep_the_grid() {
        let p = one("metre 6/8\nkick x . . | x . .\nhat . x . | . x .\n");
        let d = double_time(&p).unwrap();
        assert_eq!(d.hits.len(), 8);
        assert!(d.hits.iter().all(|h| h.cell < 36));
        let h = half_time(&p).unwrap();
        assert_eq!(
            h.hits.iter().map(|h| h.cell).collect::<Vec<_>>(),
            vec![0, 12]
        );
        // Straight eighths in 3-pulse groups (odd cells) cannot be halved.
        let odd = one("metre 6/8\nhat xx xx xx | . . .\n");
        assert!(double_time(&odd).is_none());
    }
}
