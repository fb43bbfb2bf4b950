//! `loam dataset map DIR [DIR2]`: the segments of one or two corpora laid
//! out on a self-organising map ([`super::som`]) by how they sound, written
//! as `map.json` (every segment's cell and position, each region's
//! plain-language description) and `map.png` ([`super::map_picture`]).
//!
//! Every feature column ([`super::features::column_names`]) is standardised
//! (mean 0, standard deviation 1 over all the segments placed) so that no
//! unit outweighs another. Two corpora are placed on one map trained on
//! both, each segment keeping its own corpus: neither is copied into the
//! other, and the map shows where they overlap.
//!
//! Regions: the map is divided into up to 3 × 3 zones (north-west …
//! south-east), and each zone with segments is described by how its
//! segments differ from the whole map, half a standard deviation or more:
//! bright or dark (spectral centroid), noisy or tonal (flatness), pitched
//! (pitch confidence), many attacks (onset rate), short or long (duration),
//! loud or soft (RMS level). No genre label is involved anywhere.

use std::path::{Path, PathBuf};

use super::features::{column_names, FeatureTable};
use super::map_picture::draw_map;
use super::prepare::write_atomic;
use super::som::{side_for, Som, MAX_SIDE};

/// The map file.
pub const MAP_JSON: &str = "map.json";
/// The map picture.
pub const MAP_PNG: &str = "map.png";

/// A deviation from the whole map, in standard deviations, that earns a
/// region a word (0.5).
pub const DESCRIBE_AT: f64 = 0.5;

/// Feature columns (indices into [`column_names`]) the descriptions use:
/// (column, word when high, word when low).
const DESCRIBED: &[(usize, &str, &str)] = &[
    (7, "bright", "dark"),
    (12, "noisy", "tonal"),
    (6, "pitched", ""),
    (4, "many attacks", "few attacks"),
    (0, "long", "short"),
    (1, "loud", "soft"),
];

/// The choices for a map.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapSettings {
    /// Cells across and down (`None`: from the number of segments).
    pub size: Option<(usize, usize)>,
    /// The training seed.
    pub seed: u64,
    /// The feature the picture colours cells by (a column name without its
    /// unit, e.g. `centroid`, `flatness mean`).
    pub colour_by: String,
}

impl Default for MapSettings {
    fn default() -> MapSettings {
        MapSettings {
            size: None,
            seed: 1,
            colour_by: "centroid".into(),
        }
    }
}

/// One segment on the map.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapPoint {
    /// Which corpus (0: the first folder, 1: the second).
    pub dataset: usize,
    /// The segment's file, relative to its corpus folder.
    pub file: String,
    /// Its source file.
    pub source: String,
    /// Its cell: column and row.
    pub cell: (usize, usize),
    /// Its position, 0..1 left to right.
    pub x: f64,
    /// Its position, 0..1 top to bottom.
    pub y: f64,
}

/// A zone of the map and how it sounds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    /// Its name ("north-west", "centre").
    pub name: String,
    /// How it sounds ("bright, noisy, short"), or "typical of the map".
    pub description: String,
    /// Its bounds in map coordinates: x from, x to, y from, y to.
    pub bounds: [f64; 4],
    /// Segments in it, per corpus.
    pub segments: Vec<usize>,
}

/// `map.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CorpusMap {
    /// The corpus folders, as given.
    pub datasets: Vec<String>,
    /// Cells across.
    pub width: usize,
    /// Cells down.
    pub height: usize,
    /// The seed.
    pub seed: u64,
    /// The feature columns (with units) the map was trained on.
    pub features: Vec<String>,
    /// The picture's colour feature, with its unit, and the range of the legend.
    pub legend: Legend,
    /// Every segment.
    pub points: Vec<MapPoint>,
    /// The described zones.
    pub regions: Vec<Region>,
    /// Each cell's U-matrix value (mean distance to its neighbours, in
    /// standard deviations), row by row.
    pub u_matrix: Vec<f64>,
}

/// The picture's colour scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Legend {
    /// The feature, with its unit.
    pub feature: String,
    /// The value at the dark (purple) end.
    pub min: f64,
    /// The value at the light (yellow) end.
    pub max: f64,
}

/// Standardises rows of `dims` columns in place; returns each column's
/// (mean, std).
pub fn standardise(rows: &mut [f64], dims: usize) -> Vec<(f64, f64)> {
    let n = rows.len() / dims.max(1);
    (0..dims)
        .map(|d| {
            let mean = (0..n).map(|i| rows[i * dims + d]).sum::<f64>() / n.max(1) as f64;
            let var = (0..n)
                .map(|i| (rows[i * dims + d] - mean).powi(2))
                .sum::<f64>()
                / n.max(1) as f64;
            let std = var.sqrt();
            for i in 0..n {
                let v = &mut rows[i * dims + d];
                *v = if std > 1e-12 && v.is_finite() {
                    (*v - mean) / std
                } else {
                    0.0
                };
            }
            (mean, std)
        })
        .collect()
}

/// Maps the corpora in `dirs` (one or two, each with its features
/// measured) and writes `map.json` and `map.png` into `out`.
pub fn map(dirs: &[PathBuf], out: &Path, settings: &MapSettings) -> Result<CorpusMap, String> {
    let names = column_names();
    let colour_col = names
        .iter()
        .position(|n| n.split(" (").next() == Some(settings.colour_by.as_str()))
        .ok_or_else(|| {
            let known: Vec<&str> = names
                .iter()
                .map(|n| n.split(" (").next().unwrap_or(n))
                .collect();
            format!(
                "no feature `{}` to colour by; one of: {}",
                settings.colour_by,
                known.join(", ")
            )
        })?;
    let mut rows = Vec::new();
    let mut points = Vec::new();
    for (k, dir) in dirs.iter().enumerate() {
        let table = FeatureTable::read(dir)?;
        for row in table.rows {
            rows.extend(row.features.vector());
            points.push(MapPoint {
                dataset: k,
                file: row.file,
                source: row.source,
                cell: (0, 0),
                x: 0.0,
                y: 0.0,
            });
        }
    }
    if points.is_empty() {
        return Err("no segments to map (the features tables are empty)".into());
    }
    let dims = names.len();
    let raw = rows.clone();
    let scales = standardise(&mut rows, dims);
    let (width, height) = settings.size.unwrap_or_else(|| {
        let s = side_for(points.len());
        (s, s)
    });
    if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) || width * height < 2 {
        return Err(format!(
            "map size {width}×{height}: each side 1..={MAX_SIDE}, at least 2 cells"
        ));
    }
    let som = Som::train(&rows, dims, width, height, settings.seed);
    for (i, p) in points.iter_mut().enumerate() {
        let (c, x, y) = som.position(&rows[i * dims..(i + 1) * dims]);
        p.cell = (c % width, c / width);
        p.x = x;
        p.y = y;
    }
    let regions = describe_regions(&som, &rows, &points, dims, dirs.len());
    let (mean, std) = scales[colour_col];
    let cell_values: Vec<f64> = (0..width * height)
        .map(|c| mean + std * som.cell(c)[colour_col])
        .collect();
    let mut min = cell_values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut max = cell_values
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    // The segments' own values belong on the scale too.
    for i in 0..points.len() {
        min = min.min(raw[i * dims + colour_col]);
        max = max.max(raw[i * dims + colour_col]);
    }
    let u_matrix = som.u_matrix();
    let result = CorpusMap {
        datasets: dirs.iter().map(|d| d.display().to_string()).collect(),
        width,
        height,
        seed: settings.seed,
        features: names.clone(),
        legend: Legend {
            feature: names[colour_col].clone(),
            min,
            max,
        },
        points,
        regions,
        u_matrix,
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let png = draw_map(&som, &cell_values, &result);
    write_atomic(&out.join(MAP_PNG), &png).map_err(|e| e.to_string())?;
    let mut json = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
    json.push('\n');
    write_atomic(&out.join(MAP_JSON), json.as_bytes()).map_err(|e| e.to_string())?;
    Ok(result)
}

/// The zones of the map and their descriptions.
fn describe_regions(
    som: &Som,
    rows: &[f64],
    points: &[MapPoint],
    dims: usize,
    datasets: usize,
) -> Vec<Region> {
    let zones_x = som.width.min(3);
    let zones_y = som.height.min(3);
    let name = |zx: usize, zy: usize| -> String {
        let ns = match (zones_y, zy) {
            (1, _) => "",
            (2, 0) | (3, 0) => "north",
            (2, 1) | (3, 2) => "south",
            _ => "",
        };
        let ew = match (zones_x, zx) {
            (1, _) => "",
            (2, 0) | (3, 0) => "west",
            (2, 1) | (3, 2) => "east",
            _ => "",
        };
        match (ns, ew) {
            ("", "") => "centre".into(),
            (a, "") => a.into(),
            ("", b) => b.into(),
            (a, b) => format!("{a}-{b}"),
        }
    };
    let mut regions = Vec::new();
    for zy in 0..zones_y {
        for zx in 0..zones_x {
            let (c0, c1) = (zx * som.width / zones_x, (zx + 1) * som.width / zones_x);
            let (r0, r1) = (zy * som.height / zones_y, (zy + 1) * som.height / zones_y);
            let inside: Vec<usize> = (0..points.len())
                .filter(|&i| {
                    (c0..c1).contains(&points[i].cell.0) && (r0..r1).contains(&points[i].cell.1)
                })
                .collect();
            if inside.is_empty() {
                continue;
            }
            let mut words = Vec::new();
            for &(col, high, low) in DESCRIBED {
                let z =
                    inside.iter().map(|&i| rows[i * dims + col]).sum::<f64>() / inside.len() as f64;
                if z >= DESCRIBE_AT && !high.is_empty() {
                    words.push(high);
                } else if z <= -DESCRIBE_AT && !low.is_empty() {
                    words.push(low);
                }
            }
            let mut segments = vec![0; datasets];
            for &i in &inside {
                segments[points[i].dataset] += 1;
            }
            regions.push(Region {
                name: name(zx, zy),
                description: if words.is_empty() {
                    "typical of the map".into()
                } else {
                    words.join(", ")
                },
                bounds: [
                    c0 as f64 / som.width as f64,
                    c1 as f64 / som.width as f64,
                    r0 as f64 / som.height as f64,
                    r1 as f64 / som.height as f64,
                ],
                segments,
            });
        }
    }
    regions
}

impl CorpusMap {
    /// Reads `DIR/map.json`.
    pub fn read(dir: &Path) -> Result<CorpusMap, String> {
        let path = dir.join(MAP_JSON);
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("{}: {e} (run `loam dataset map` first)", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The index of the segment nearest the map point (`x`, `y`), the first
    /// on a tie; `None` for an empty map. A scan of packed positions: about
    /// a microsecond per thousand segments.
    pub fn nearest(&self, x: f64, y: f64) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, p) in self.points.iter().enumerate() {
            let d = (p.x - x).powi(2) + (p.y - y).powi(2);
            if best.is_none_or(|(_, b)| d < b) {
                best = Some((i, d));
            }
        }
        best.map(|(i, _)| i)
    }

    /// The indices of the `k` segments nearest (`x`, `y`), nearest first
    /// (ties in map order).
    pub fn nearest_k(&self, x: f64, y: f64, k: usize) -> Vec<usize> {
        let mut order: Vec<(f64, usize)> = self
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.x - x).powi(2) + (p.y - y).powi(2), i))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        order.into_iter().take(k).map(|(_, i)| i).collect()
    }

    /// The region a description or name matches (every word of `query`
    /// appears in the region's name or description), the first in map order.
    pub fn region(&self, query: &str) -> Option<&Region> {
        let q = query.to_lowercase();
        self.regions.iter().find(|r| {
            let text = format!("{} {}", r.name, r.description).to_lowercase();
            q.split([',', ' '])
                .filter(|w| !w.is_empty())
                .all(|w| text.contains(w))
        })
    }
}
