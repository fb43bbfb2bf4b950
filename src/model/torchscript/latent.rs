//! The performer's hands on a latent space: per dimension, a fixed value
//! (`set`), an `offset` and a `scale`, applied to every latent frame before
//! `decode`; and the latent the stream is using now, readable at any time.
//!
//! `value = (set, if any, else the incoming value) × scale + offset`.
//!
//! Everything is an atomic `f32`, so a control thread (script, OSC, MIDI
//! mapping) writes without a lock and the worker reads once per frame.

use std::sync::atomic::{AtomicU32, Ordering};

/// `set` is unset when it holds this NaN.
const UNSET: u32 = 0x7fc0_0000;

struct Dim {
    set: AtomicU32,
    offset: AtomicU32,
    scale: AtomicU32,
    current: AtomicU32,
}

/// Shared between a stream's handle (writes) and its worker (reads).
pub struct LatentControls {
    dims: Vec<Dim>,
}

fn load(a: &AtomicU32) -> f32 {
    f32::from_bits(a.load(Ordering::Relaxed))
}

fn store(a: &AtomicU32, v: f32) {
    a.store(v.to_bits(), Ordering::Relaxed);
}

impl LatentControls {
    /// Controls for `dims` dimensions: none set, offset 0, scale 1.
    pub fn new(dims: usize) -> LatentControls {
        LatentControls {
            dims: (0..dims)
                .map(|_| Dim {
                    set: AtomicU32::new(UNSET),
                    offset: AtomicU32::new(0f32.to_bits()),
                    scale: AtomicU32::new(1f32.to_bits()),
                    current: AtomicU32::new(0f32.to_bits()),
                })
                .collect(),
        }
    }

    /// Number of latent dimensions.
    pub fn dims(&self) -> usize {
        self.dims.len()
    }

    fn dim(&self, d: usize) -> Result<&Dim, NoLatentDimension> {
        self.dims.get(d).ok_or(NoLatentDimension {
            asked: d,
            dims: self.dims.len(),
        })
    }

    /// Holds dimension `d` at `value` (`None` lets the incoming value through).
    pub fn set(&self, d: usize, value: Option<f32>) -> Result<(), NoLatentDimension> {
        let v = value.filter(|v| v.is_finite()).map_or(UNSET, f32::to_bits);
        self.dim(d)?.set.store(v, Ordering::Relaxed);
        Ok(())
    }

    /// Adds `offset` to dimension `d`.
    pub fn offset(&self, d: usize, offset: f32) -> Result<(), NoLatentDimension> {
        store(
            &self.dim(d)?.offset,
            if offset.is_finite() { offset } else { 0.0 },
        );
        Ok(())
    }

    /// Multiplies dimension `d` by `scale`.
    pub fn scale(&self, d: usize, scale: f32) -> Result<(), NoLatentDimension> {
        store(
            &self.dim(d)?.scale,
            if scale.is_finite() { scale } else { 1.0 },
        );
        Ok(())
    }

    /// Clears every set, offset and scale.
    pub fn reset(&self) {
        for d in &self.dims {
            d.set.store(UNSET, Ordering::Relaxed);
            store(&d.offset, 0.0);
            store(&d.scale, 1.0);
        }
    }

    /// `(set, offset, scale)` of dimension `d`.
    pub fn controls(&self, d: usize) -> Option<(Option<f32>, f32, f32)> {
        let dim = self.dims.get(d)?;
        let set = load(&dim.set);
        Some((
            (!set.is_nan()).then_some(set),
            load(&dim.offset),
            load(&dim.scale),
        ))
    }

    /// Applies the controls to one frame (`dims` values) in place.
    pub fn apply(&self, frame: &mut [f32]) {
        for (v, d) in frame.iter_mut().zip(&self.dims) {
            let set = load(&d.set);
            let base = if set.is_nan() { *v } else { set };
            *v = base * load(&d.scale) + load(&d.offset);
        }
    }

    /// Records the frame the stream is using now.
    pub fn publish(&self, frame: &[f32]) {
        for (v, d) in frame.iter().zip(&self.dims) {
            store(&d.current, *v);
        }
    }

    /// The latent frame the stream used last.
    pub fn current(&self) -> Vec<f32> {
        self.dims.iter().map(|d| load(&d.current)).collect()
    }
}

/// A latent dimension the model does not have: the one asked for and how
/// many there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoLatentDimension {
    /// The dimension asked for, counted from 0.
    pub asked: usize,
    /// How many latent dimensions the model has.
    pub dims: usize,
}

impl std::fmt::Display for NoLatentDimension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "latent dimension {} does not exist (it has {})",
            self.asked, self.dims
        )
    }
}

impl std::error::Error for NoLatentDimension {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_offset_and_scale_combine() {
        let l = LatentControls::new(3);
        l.scale(0, 2.0).unwrap();
        l.offset(1, 0.5).unwrap();
        l.set(2, Some(-1.0)).unwrap();
        l.scale(2, 3.0).unwrap();
        let mut f = [1.0, 1.0, 1.0];
        l.apply(&mut f);
        assert_eq!(f, [2.0, 1.5, -3.0]);
        l.set(2, None).unwrap();
        l.reset();
        let mut f = [1.0, 1.0, 1.0];
        l.apply(&mut f);
        assert_eq!(f, [1.0, 1.0, 1.0]);
        assert!(l
            .set(3, Some(0.0))
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
    }
}
