//! A self-organising (Kohonen) map: a grid of cells, each holding a point in
//! feature space, trained so that neighbouring cells hold similar points and
//! every segment sits in the cell nearest its features.
//!
//! Training is the batch SOM: each epoch finds every sample's best-matching
//! cell, then moves each cell to the neighbourhood-weighted mean of the
//! samples (a Gaussian neighbourhood whose radius shrinks exponentially from
//! half the grid to [`FINAL_RADIUS`] cells over [`EPOCHS`] epochs). It does
//! not depend on the order of the samples, and the starting cells are
//! samples picked by a seeded generator, so one seed gives one map.

/// Training epochs (passes over all samples).
pub const EPOCHS: usize = 30;

/// The neighbourhood radius of the last epoch, in cells.
pub const FINAL_RADIUS: f64 = 0.5;

/// The largest grid side, in cells (a 64 × 64 map is 4,096 cells).
pub const MAX_SIDE: usize = 64;

/// A trained map.
#[derive(Debug, Clone, PartialEq)]
pub struct Som {
    /// Cells across.
    pub width: usize,
    /// Cells down.
    pub height: usize,
    /// Dimensions of each cell's point.
    pub dims: usize,
    /// Each cell's point, row by row (`(row × width + col) × dims`).
    pub weights: Vec<f64>,
}

/// A grid side for `n` samples: about 5·√n cells in all (Vesanto's rule),
/// square, from 2 × 2 to [`MAX_SIDE`].
pub fn side_for(n: usize) -> usize {
    ((5.0 * (n as f64).sqrt()).sqrt().ceil() as usize).clamp(2, MAX_SIDE)
}

/// splitmix64: a small, well-mixed seeded generator.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in 0..1.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Som {
    /// Trains a `width` × `height` map on `samples` (rows of `dims` values,
    /// already standardised) from `seed`.
    pub fn train(samples: &[f64], dims: usize, width: usize, height: usize, seed: u64) -> Som {
        let n = samples.len() / dims.max(1);
        let cells = width * height;
        let mut rng = SplitMix(seed);
        let mut weights = vec![0.0; cells * dims];
        for c in 0..cells {
            if n > 0 {
                let pick = (rng.next() % n as u64) as usize;
                // A little jitter so two cells starting on one sample part.
                for d in 0..dims {
                    weights[c * dims + d] = samples[pick * dims + d] + 0.01 * (rng.unit() - 0.5);
                }
            }
        }
        let mut som = Som {
            width,
            height,
            dims,
            weights,
        };
        if n == 0 {
            return som;
        }
        let start_radius = (width.max(height) as f64 / 2.0).max(FINAL_RADIUS);
        let mut bmus = vec![0usize; n];
        let mut num = vec![0.0; cells * dims];
        let mut den = vec![0.0; cells];
        // Neighbourhood weights by grid offset, recomputed per epoch.
        let mut kernel = vec![0.0; (2 * width - 1) * (2 * height - 1)];
        for epoch in 0..EPOCHS {
            let t = epoch as f64 / (EPOCHS - 1).max(1) as f64;
            let radius = start_radius * (FINAL_RADIUS / start_radius).powf(t);
            let kw = 2 * width - 1;
            for dy in 0..(2 * height - 1) {
                for dx in 0..kw {
                    let (ox, oy) = (
                        dx as f64 - (width - 1) as f64,
                        dy as f64 - (height - 1) as f64,
                    );
                    kernel[dy * kw + dx] = (-(ox * ox + oy * oy) / (2.0 * radius * radius)).exp();
                }
            }
            for (i, b) in bmus.iter_mut().enumerate() {
                *b = som.nearest_cell(&samples[i * dims..(i + 1) * dims]);
            }
            // Sum the samples per best cell first, then spread the sums.
            let mut per_cell = vec![0.0; cells * dims];
            let mut count = vec![0.0; cells];
            for (i, &b) in bmus.iter().enumerate() {
                count[b] += 1.0;
                for d in 0..dims {
                    per_cell[b * dims + d] += samples[i * dims + d];
                }
            }
            num.iter_mut().for_each(|v| *v = 0.0);
            den.iter_mut().for_each(|v| *v = 0.0);
            for b in (0..cells).filter(|&b| count[b] > 0.0) {
                let (bx, by) = (b % width, b / width);
                for c in 0..cells {
                    let (cx, cy) = (c % width, c / width);
                    let k = kernel[(cy + height - 1 - by) * kw + (cx + width - 1 - bx)];
                    if k < 1e-9 {
                        continue;
                    }
                    den[c] += k * count[b];
                    for d in 0..dims {
                        num[c * dims + d] += k * per_cell[b * dims + d];
                    }
                }
            }
            for c in 0..cells {
                if den[c] > 1e-12 {
                    for d in 0..dims {
                        som.weights[c * dims + d] = num[c * dims + d] / den[c];
                    }
                }
            }
        }
        som
    }

    /// The point of cell `c`.
    pub fn cell(&self, c: usize) -> &[f64] {
        &self.weights[c * self.dims..(c + 1) * self.dims]
    }

    /// The cell whose point is nearest `x` (the first on a tie).
    pub fn nearest_cell(&self, x: &[f64]) -> usize {
        let mut best = (0, f64::INFINITY);
        for c in 0..self.width * self.height {
            let d = distance2(self.cell(c), x);
            if d < best.1 {
                best = (c, d);
            }
        }
        best.0
    }

    /// Where `x` sits on the map, in 0..1 on both axes: its cell's centre,
    /// moved up to 0.4 of a cell toward whichever neighbour it is nearer on
    /// each axis, so segments sharing a cell get their own positions.
    pub fn position(&self, x: &[f64]) -> (usize, f64, f64) {
        let c = self.nearest_cell(x);
        let (col, row) = (c % self.width, c / self.width);
        let lean = |before: Option<usize>, after: Option<usize>| -> f64 {
            let d = |n: Option<usize>| n.map(|n| distance2(self.cell(n), x).sqrt());
            match (d(before), d(after)) {
                (Some(a), Some(b)) if a + b > 0.0 => 0.4 * (a - b) / (a + b),
                (Some(a), None) => {
                    0.4 * (a / (a + distance2(self.cell(c), x).sqrt() + 1e-12) - 0.5).max(0.0)
                }
                (None, Some(b)) => {
                    -0.4 * (b / (b + distance2(self.cell(c), x).sqrt() + 1e-12) - 0.5).max(0.0)
                }
                _ => 0.0,
            }
        };
        let left = (col > 0).then(|| c - 1);
        let right = (col + 1 < self.width).then_some(c + 1);
        let up = (row > 0).then(|| c - self.width);
        let down = (row + 1 < self.height).then_some(c + self.width);
        let x_pos = (col as f64 + 0.5 + lean(left, right)) / self.width as f64;
        let y_pos = (row as f64 + 0.5 + lean(up, down)) / self.height as f64;
        (c, x_pos, y_pos)
    }

    /// The U-matrix: each cell's mean distance to its up-to-four neighbours
    /// (high where the map crosses a border between kinds of sound).
    pub fn u_matrix(&self) -> Vec<f64> {
        (0..self.width * self.height)
            .map(|c| {
                let (col, row) = (c % self.width, c / self.width);
                let mut sum = 0.0;
                let mut k = 0.0;
                let mut add = |n: usize| {
                    sum += distance2(self.cell(c), self.cell(n)).sqrt();
                    k += 1.0;
                };
                if col > 0 {
                    add(c - 1);
                }
                if col + 1 < self.width {
                    add(c + 1);
                }
                if row > 0 {
                    add(c - self.width);
                }
                if row + 1 < self.height {
                    add(c + self.width);
                }
                if k > 0.0 {
                    sum / k
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// Squared Euclidean distance.
pub fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_sides_follow_the_sample_count() {
        assert_eq!(side_for(0), 2);
        assert_eq!(side_for(20), 5);
        assert_eq!(side_for(2000), 15);
        assert_eq!(side_for(100_000_000), MAX_SIDE);
    }

    #[test]
    fn one_seed_gives_one_map() {
        let samples: Vec<f64> = (0..200).map(|i| ((i * 37) % 101) as f64 / 101.0).collect();
        let a = Som::train(&samples, 2, 4, 4, 9);
        assert_eq!(a, Som::train(&samples, 2, 4, 4, 9));
        assert_ne!(a, Som::train(&samples, 2, 4, 4, 10));
    }

    #[test]
    fn a_line_of_points_unfolds_in_order_along_the_map() {
        // Points on a line in 3-D: the map's cells should be ordered so
        // that neighbours on the grid are neighbours on the line.
        let samples: Vec<f64> = (0..300)
            .flat_map(|i| {
                let t = i as f64 / 299.0;
                [t, 2.0 * t, -t]
            })
            .collect();
        let som = Som::train(&samples, 3, 8, 1, 1);
        let firsts: Vec<f64> = (0..8).map(|c| som.cell(c)[0]).collect();
        let rising = firsts.windows(2).all(|w| w[1] > w[0]);
        let falling = firsts.windows(2).all(|w| w[1] < w[0]);
        assert!(rising || falling, "{firsts:?}");
    }
}
