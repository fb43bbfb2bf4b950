//! Pictures written beside trained models: a canvas of RGB pixels saved as
//! PNG, drum patterns drawn as cells (one row per instrument, time left to
//! right, groups of the metre shaded alternately, brighter = louder), and
//! heat maps for transition tables.

use std::path::Path;

use super::TrainedModelError;
use crate::data::{DrumBar, CELLS_PER_PULSE};

/// An RGB image in memory.
pub struct Canvas {
    /// Pixels across.
    pub width: usize,
    /// Pixels down.
    pub height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A `width` × `height` canvas filled with `background` (RGB, 0 … 255).
    pub fn new(width: usize, height: usize, background: [u8; 3]) -> Canvas {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&background);
        }
        Canvas {
            width,
            height,
            pixels,
        }
    }

    /// Fills a rectangle, clipped to the canvas.
    pub fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, colour: [u8; 3]) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                let i = (yy * self.width + xx) * 3;
                self.pixels[i..i + 3].copy_from_slice(&colour);
            }
        }
    }

    /// Saves as an 8-bit RGB PNG.
    pub fn save_png(&self, path: &Path) -> Result<(), TrainedModelError> {
        let err = |e: &dyn std::fmt::Display| {
            TrainedModelError::file(path, format!("cannot write PNG: {e}"))
        };
        let file = std::fs::File::create(path).map_err(|e| err(&e))?;
        let mut encoder = png::Encoder::new(
            std::io::BufWriter::new(file),
            self.width as u32,
            self.height as u32,
        );
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| err(&e))?;
        writer.write_image_data(&self.pixels).map_err(|e| err(&e))
    }
}

/// Pixel size of one drawn pattern: (width, height).
pub fn pattern_size(
    pattern_cells: u32,
    instruments: usize,
    cell_w: usize,
    row_h: usize,
) -> (usize, usize) {
    (pattern_cells as usize * cell_w, instruments * row_h)
}

/// Colour of instrument row `i` (a small fixed palette).
fn hue(i: usize) -> [u8; 3] {
    const PALETTE: [[u8; 3]; 8] = [
        [230, 80, 60],
        [240, 180, 40],
        [90, 190, 230],
        [120, 220, 120],
        [220, 110, 220],
        [250, 250, 250],
        [255, 140, 90],
        [150, 150, 255],
    ];
    PALETTE[i % PALETTE.len()]
}

/// Draws `pattern` at (x, y): one row per name of `instruments`.
pub fn draw_pattern(
    canvas: &mut Canvas,
    x: usize,
    y: usize,
    pattern: &DrumBar,
    instruments: &[String],
    cell_w: usize,
    row_h: usize,
) {
    let (w, h) = pattern_size(pattern.cells(), instruments.len(), cell_w, row_h);
    // Groups of the metre, shaded alternately; pulses marked by a thin line.
    let mut start = 0usize;
    for (g, pulses) in pattern.metre.groups().iter().enumerate() {
        let cells = *pulses as usize * CELLS_PER_PULSE as usize;
        let shade = if g % 2 == 0 {
            [34, 34, 40]
        } else {
            [50, 50, 60]
        };
        canvas.fill(x + start * cell_w, y, cells * cell_w, h, shade);
        for p in 1..*pulses as usize {
            let px = x + (start + p * CELLS_PER_PULSE as usize) * cell_w;
            canvas.fill(px, y, 1, h, [70, 70, 82]);
        }
        start += cells;
    }
    let _ = w;
    for hit in &pattern.hits {
        let Some(row) = instruments.iter().position(|n| *n == hit.instrument) else {
            continue;
        };
        let c = hue(row);
        let v = 0.35 + 0.65 * hit.velocity.clamp(0.0, 1.0);
        let colour = [
            (c[0] as f32 * v) as u8,
            (c[1] as f32 * v) as u8,
            (c[2] as f32 * v) as u8,
        ];
        let px = x + hit.cell as usize * cell_w;
        canvas.fill(
            px,
            y + row * row_h + 1,
            (2 * cell_w).saturating_sub(1),
            row_h.saturating_sub(2),
            colour,
        );
    }
}

/// A heat map of a square or rectangular table of values in [0, 1]
/// (rows top to bottom), `cell` pixels a square.
pub fn heat_map(values: &[Vec<f32>], cell: usize) -> Canvas {
    let rows = values.len();
    let cols = values.iter().map(Vec::len).max().unwrap_or(0);
    let mut canvas = Canvas::new(cols * cell + 2, rows * cell + 2, [20, 20, 24]);
    for (r, row) in values.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let v = v.clamp(0.0, 1.0).sqrt();
            let colour = [
                (255.0 * v) as u8,
                (200.0 * v) as u8,
                (60.0 + 120.0 * v) as u8,
            ];
            canvas.fill(
                1 + c * cell,
                1 + r * cell,
                cell.saturating_sub(1).max(1),
                cell.saturating_sub(1).max(1),
                colour,
            );
        }
    }
    canvas
}
