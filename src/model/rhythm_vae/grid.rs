//! A bar of drums as the VAE's input and output vector: three planes
//! (onset, velocity, micro-timing), each `instruments × cells`, where a cell
//! is a sixth of a pulse (so binary and ternary subdivisions are both native).

use serde::{Deserialize, Serialize};

use crate::data::{DrumBar, Hit, CELLS_PER_PULSE};
use crate::time::Metre;

/// Micro-timing is stored in grid cells (a sixth of a pulse), clamped to ±1.
const SHIFT_SCALE: f32 = CELLS_PER_PULSE as f32;

/// The grid a VAE reads and writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridSpec {
    /// The metre, as written (`2+2+3/8`).
    pub metre: String,
    /// Instrument names, one grid row each, in kit order (those not in the kit after).
    pub instruments: Vec<String>,
    #[serde(skip)]
    parsed: Option<Metre>,
}

impl GridSpec {
    /// The grid for `metre` with these instruments.
    pub fn new(metre: &Metre, instruments: Vec<String>) -> GridSpec {
        GridSpec {
            metre: metre.to_string(),
            instruments,
            parsed: Some(metre.clone()),
        }
    }

    /// The metre (parsed once).
    pub fn metre(&self) -> Metre {
        self.parsed
            .clone()
            .or_else(|| Metre::parse(&self.metre).ok())
            .unwrap_or_default()
    }

    /// Re-parses the metre after deserialising.
    pub fn resolve(mut self) -> Result<GridSpec, String> {
        self.parsed = Some(Metre::parse(&self.metre).map_err(|e| e.to_string())?);
        Ok(self)
    }

    /// Cells in one bar.
    pub fn cells(&self) -> usize {
        (self.metre().pulses() * CELLS_PER_PULSE) as usize
    }

    /// Values in one plane.
    pub fn plane(&self) -> usize {
        self.instruments.len() * self.cells()
    }

    /// Length of the whole vector (three planes).
    pub fn width(&self) -> usize {
        3 * self.plane()
    }

    /// The vector for a pattern; instruments the grid lacks are left out.
    pub fn encode(&self, p: &DrumBar) -> Vec<f32> {
        let cells = self.cells();
        let plane = self.plane();
        let mut v = vec![0.0; 3 * plane];
        for h in &p.hits {
            let Some(row) = self.instruments.iter().position(|n| *n == h.instrument) else {
                continue;
            };
            let cell = h.cell as usize;
            if cell >= cells {
                continue;
            }
            let i = row * cells + cell;
            v[i] = 1.0;
            v[plane + i] = h.velocity.clamp(0.0, 1.0);
            v[2 * plane + i] = (h.shift * SHIFT_SCALE).clamp(-1.0, 1.0);
        }
        v
    }

    /// A pattern from decoded planes: an onset where its probability reaches
    /// `threshold`, with the decoded velocity and micro-timing.
    pub fn decode(&self, values: &[f32], threshold: f32, name: &str) -> DrumBar {
        let cells = self.cells();
        let plane = self.plane();
        let mut p = DrumBar::new(name, self.metre());
        for (row, instrument) in self.instruments.iter().enumerate() {
            for cell in 0..cells {
                let i = row * cells + cell;
                if values[i] >= threshold {
                    p.hits.push(Hit {
                        instrument: instrument.clone(),
                        cell: cell as u32,
                        velocity: values[plane + i].clamp(0.05, 1.0),
                        shift: values[2 * plane + i] / SHIFT_SCALE,
                    });
                }
            }
        }
        p.sort();
        p
    }
}

/// Onset counts between a reference and a reconstruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OnsetScore {
    /// Onsets in both.
    pub true_positives: usize,
    /// Onsets only in the reconstruction.
    pub false_positives: usize,
    /// Onsets only in the reference.
    pub false_negatives: usize,
}

impl OnsetScore {
    /// Adds the comparison of one pattern pair (same instrument and cell = match).
    pub fn add(&mut self, reference: &DrumBar, output: &DrumBar) {
        let key = |h: &Hit| (h.instrument.clone(), h.cell);
        let want: std::collections::HashSet<_> = reference.hits.iter().map(key).collect();
        let got: std::collections::HashSet<_> = output.hits.iter().map(key).collect();
        let tp = want.intersection(&got).count();
        self.true_positives += tp;
        self.false_positives += got.len() - tp;
        self.false_negatives += want.len() - tp;
    }

    /// F1 = 2TP / (2TP + FP + FN); 1 when both are empty.
    pub fn f1(&self) -> f32 {
        let denom = 2 * self.true_positives + self.false_positives + self.false_negatives;
        if denom == 0 {
            1.0
        } else {
            2.0 * self.true_positives as f32 / denom as f32
        }
    }
}
