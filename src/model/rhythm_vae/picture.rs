//! The latent-space picture, as R-VAE shows it: a square grid of patterns
//! decoded over the plane of the first two latent dimensions (others at 0),
//! from −`extent` to +`extent`, first dimension left to right, second bottom
//! to top. Each tile draws one bar: a row per instrument, groups of the metre
//! shaded, onsets brighter when louder.

use std::path::Path;

use super::{DecodeOptions, RhythmVae};
use crate::model::trained::picture::{draw_pattern, pattern_size, Canvas};
use crate::model::trained::TrainedModelError;

/// Tiles along each side.
pub const TILES: usize = 9;

/// Draws the latent plane into a canvas.
pub fn latent_plane(model: &RhythmVae, extent: f32, options: &DecodeOptions) -> Canvas {
    let (cell_w, row_h, gap) = (3usize, 7usize, 6usize);
    let instruments = model.instruments().to_vec();
    let cells = model.info.grid.cells() as u32;
    let (w, h) = pattern_size(cells, instruments.len(), cell_w, row_h);
    let mut canvas = Canvas::new(
        TILES * (w + gap) + gap,
        TILES * (h + gap) + gap,
        [12, 12, 16],
    );
    for row in 0..TILES {
        for col in 0..TILES {
            let fx = -extent + 2.0 * extent * col as f32 / (TILES - 1) as f32;
            let fy = extent - 2.0 * extent * row as f32 / (TILES - 1) as f32;
            let mut z = vec![0.0; model.latent_dims()];
            z[0] = fx;
            if z.len() > 1 {
                z[1] = fy;
            }
            let p = model.decode(&z, options);
            let x = gap + col * (w + gap);
            let y = gap + row * (h + gap);
            draw_pattern(&mut canvas, x, y, &p, &instruments, cell_w, row_h);
        }
    }
    canvas
}

/// Writes the latent-plane picture as PNG.
pub fn write_latent_png(model: &RhythmVae, path: &Path) -> Result<(), TrainedModelError> {
    latent_plane(model, 2.0, &DecodeOptions::default()).save_png(path)
}
