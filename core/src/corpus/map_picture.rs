//! `map.png`: the map's cells coloured by one feature (dark purple low,
//! yellow high), the U-matrix as dark borders between cells that hold
//! different sounds (the darker, the more different), each segment as a dot
//! (white for the first corpus, black for the second), and a legend bar
//! under the map with its lowest and highest values written at its ends.

use super::map::CorpusMap;
use super::som::Som;

/// Pixels per cell side.
pub const CELL_PX: usize = 40;
/// Height of the legend strip, in pixels.
const LEGEND_PX: usize = 30;

/// An RGB picture.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![255; width * height * 3],
        }
    }

    fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, rgb: [u8; 3]) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                let i = (yy * self.width + xx) * 3;
                self.pixels[i..i + 3].copy_from_slice(&rgb);
            }
        }
    }

    /// Writes `text` (digits, `-`, `.`, `e`, `+`) in a 3×5 font scaled by 2.
    fn text(&mut self, x: usize, y: usize, text: &str) {
        let mut cx = x;
        for ch in text.chars() {
            let rows = glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for c in 0..3 {
                    if bits & (0b100 >> c) != 0 {
                        self.fill(cx + c * 2, y + r * 2, 2, 2, [0, 0, 0]);
                    }
                }
            }
            cx += 8;
        }
    }

    fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Writing to memory cannot fail but for a size the encoder refuses,
        // which a map of at most 64 × 64 cells never reaches.
        if let Ok(mut w) = encoder.write_header() {
            let _ = w.write_image_data(&self.pixels);
        }
        out
    }
}

/// A 3×5 glyph, one row per entry, high bit leftmost.
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '-' => [0, 0, 7, 0, 0],
        '+' => [0, 2, 7, 2, 0],
        '.' => [0, 0, 0, 0, 2],
        'e' => [0, 7, 7, 4, 7],
        _ => [0; 5],
    }
}

/// A colour from dark purple (0) through teal to yellow (1).
pub fn ramp(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let mut rgb = [0u8; 3];
    for (k, v) in rgb.iter_mut().enumerate() {
        *v = (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8;
    }
    rgb
}

/// The picture of `map` as PNG bytes; `cell_values` are the colour
/// feature's value in each cell.
pub fn draw_map(som: &Som, cell_values: &[f64], map: &CorpusMap) -> Vec<u8> {
    let (w, h) = (som.width * CELL_PX, som.height * CELL_PX);
    let mut canvas = Canvas::new(w.max(160), h + LEGEND_PX);
    let span = (map.legend.max - map.legend.min).max(1e-12);
    for (c, value) in cell_values.iter().enumerate().take(som.width * som.height) {
        let (col, row) = (c % som.width, c / som.width);
        let t = (value - map.legend.min) / span;
        canvas.fill(col * CELL_PX, row * CELL_PX, CELL_PX, CELL_PX, ramp(t));
    }
    // Borders: the distance between each pair of neighbouring cells.
    let mut edges = Vec::new();
    for c in 0..som.width * som.height {
        let (col, row) = (c % som.width, c / som.width);
        if col + 1 < som.width {
            edges.push((c, c + 1, true));
        }
        if row + 1 < som.height {
            edges.push((c, c + som.width, false));
        }
    }
    let dist = |a: usize, b: usize| super::som::distance2(som.cell(a), som.cell(b)).sqrt();
    let longest = edges
        .iter()
        .map(|&(a, b, _)| dist(a, b))
        .fold(1e-12, f64::max);
    for &(a, b, across) in &edges {
        let grey = (255.0 * (1.0 - dist(a, b) / longest)).round() as u8;
        let (col, row) = (a % som.width, a / som.width);
        if across {
            canvas.fill(
                (col + 1) * CELL_PX - 2,
                row * CELL_PX,
                4,
                CELL_PX,
                [grey; 3],
            );
        } else {
            canvas.fill(
                col * CELL_PX,
                (row + 1) * CELL_PX - 2,
                CELL_PX,
                4,
                [grey; 3],
            );
        }
    }
    for p in &map.points {
        let x = ((p.x * w as f64) as usize).min(w.saturating_sub(3));
        let y = ((p.y * h as f64) as usize).min(h.saturating_sub(3));
        let rgb = if p.dataset == 0 {
            [255, 255, 255]
        } else {
            [0, 0, 0]
        };
        canvas.fill(x.saturating_sub(1), y.saturating_sub(1), 3, 3, rgb);
    }
    // The legend: a bar from min to max, the two values at its ends.
    let bar_w = canvas.width;
    for x in 0..bar_w {
        canvas.fill(x, h + 2, 1, 12, ramp(x as f64 / (bar_w - 1).max(1) as f64));
    }
    let label = |v: f64| {
        if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 1e-2) {
            format!("{v:.1e}")
        } else {
            format!("{v:.1}")
        }
    };
    canvas.text(1, h + 17, &label(map.legend.min));
    let right = label(map.legend.max);
    canvas.text(
        canvas.width.saturating_sub(right.len() * 8 + 1),
        h + 17,
        &right,
    );
    canvas.png()
}
