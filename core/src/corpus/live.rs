//! Corpora playing in a performance: each mapped corpus a script loaded,
//! with its cursor (the map point OSC `/corpus/NAME/xy` and learned MIDI
//! controls move), and how a pattern's sound names reach its segments.
//!
//! | sound name in a pattern | plays |
//! |---|---|
//! | `NAME:17` | the map's 17th segment (an ordinary variant) |
//! | `NAME:0.2:0.8` | the segment of corpus `NAME` nearest map point (0.2, 0.8) |
//! | `map:0.2:0.8` | the same in the corpus loaded last |
//! | `NAME:xy`, `map:xy` | the segment at the corpus's cursor, read when the step is planned |
//!
//! Both coordinates are 0..1 (x left to right, y top to bottom, as in
//! `map.json`). Kept by the planner, on a control thread; nothing here runs
//! on the audio thread.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::map::CorpusMap;
pub use crate::pattern::map_name::{parse_map_name, MapPlace, CURSOR, LATEST};

/// One corpus in play: its map (first corpus only) and its cursor.
#[derive(Clone, Debug)]
pub struct LiveCorpus {
    /// The sound name its segments play under (variant `i` is map point `i`).
    pub name: String,
    /// Its map.
    pub map: Arc<CorpusMap>,
    /// The cursor's map point (x, y), 0..1; the centre until moved.
    pub cursor: (f64, f64),
    /// The segment nearest the cursor.
    pub selected: usize,
}

impl LiveCorpus {
    /// A corpus with its cursor in the middle of the map.
    pub fn new(name: &str, map: Arc<CorpusMap>) -> LiveCorpus {
        let selected = map.nearest(0.5, 0.5).unwrap_or(0);
        LiveCorpus {
            name: name.to_string(),
            map,
            cursor: (0.5, 0.5),
            selected,
        }
    }
}

/// Every corpus a performance loaded, by sound name, and which came last.
#[derive(Clone, Debug, Default)]
pub struct Corpora {
    live: BTreeMap<String, LiveCorpus>,
    latest: Option<String>,
}

/// What moving a cursor selected.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    /// The corpus's sound name.
    pub corpus: String,
    /// The segment's index in map order (its variant).
    pub segment: usize,
    /// The segment's own map point.
    pub x: f64,
    /// The segment's own map point.
    pub y: f64,
    /// The segment's file in the corpus folder.
    pub file: String,
    /// The recording it was cut from.
    pub source: String,
}

impl Corpora {
    /// Adds (or replaces, keeping its cursor) a corpus; it becomes the
    /// latest, the one `map:` names.
    pub fn add(&mut self, corpus: LiveCorpus) {
        let name = corpus.name.clone();
        let cursor = self.live.get(&name).map(|c| c.cursor);
        let mut corpus = corpus;
        if let Some((x, y)) = cursor {
            corpus.cursor = (x, y);
            corpus.selected = corpus.map.nearest(x, y).unwrap_or(0);
        }
        self.live.insert(name.clone(), corpus);
        self.latest = Some(name);
    }

    /// The corpus called `name` (`map`: the latest).
    pub fn get(&self, name: &str) -> Option<&LiveCorpus> {
        let name = self.real_name(name)?;
        self.live.get(name)
    }

    fn real_name<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        if self.live.contains_key(name) {
            Some(name)
        } else if name == LATEST {
            self.latest.as_deref()
        } else {
            None
        }
    }

    /// The names of the corpora in play, sorted.
    pub fn names(&self) -> Vec<String> {
        self.live.keys().cloned().collect()
    }

    /// True when no corpus is in play.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Moves `name`'s cursor to (x, y) (clamped to 0..1) and selects the
    /// nearest segment; `None` when there is no such corpus or its map is
    /// empty.
    pub fn move_cursor(&mut self, name: &str, x: Option<f64>, y: Option<f64>) -> Option<Selected> {
        let name = self.real_name(name)?.to_string();
        let c = self.live.get_mut(&name)?;
        let clamp = |v: f64| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.5
            }
        };
        c.cursor = (x.map_or(c.cursor.0, clamp), y.map_or(c.cursor.1, clamp));
        c.selected = c.map.nearest(c.cursor.0, c.cursor.1)?;
        let p = c.map.points.get(c.selected)?;
        Some(Selected {
            corpus: name,
            segment: c.selected,
            x: p.x,
            y: p.y,
            file: p.file.clone(),
            source: p.source.clone(),
        })
    }

    /// The sound name and variant a corpus sound name plays (`field:0.2:0.8`
    /// → (`field`, nearest segment)); `None` when `text` is not one or names
    /// no corpus in play.
    pub fn resolve(&self, text: &str) -> Option<(&str, u32)> {
        let (name, place) = parse_map_name(text)?;
        let c = self.get(name)?;
        let index = match place {
            MapPlace::Point(x, y) => c.map.nearest(x, y)?,
            MapPlace::Cursor => c.selected,
        };
        Some((c.name.as_str(), index as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::map::{Legend, MapPoint};

    fn map(points: &[(f64, f64)]) -> Arc<CorpusMap> {
        Arc::new(CorpusMap {
            datasets: vec!["c".into()],
            width: 2,
            height: 2,
            seed: 1,
            features: vec![],
            legend: Legend {
                feature: "centroid (Hz)".into(),
                min: 0.0,
                max: 1.0,
            },
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| MapPoint {
                    dataset: 0,
                    file: format!("segments/s{i}.wav"),
                    source: format!("rec{i}.wav"),
                    cell: (0, 0),
                    x,
                    y,
                })
                .collect(),
            regions: vec![],
            u_matrix: vec![],
        })
    }

    #[test]
    fn points_and_the_cursor_resolve_to_the_nearest_segment_of_the_named_or_latest_corpus() {
        let mut all = Corpora::default();
        all.add(LiveCorpus::new("first", map(&[(0.0, 0.0), (1.0, 1.0)])));
        all.add(LiveCorpus::new(
            "second",
            map(&[(0.1, 0.9), (0.9, 0.1), (0.5, 0.5)]),
        ));
        assert_eq!(all.resolve("first:0.9:0.8"), Some(("first", 1)));
        assert_eq!(all.resolve("map:0.8:0.2"), Some(("second", 1)));
        assert_eq!(all.resolve("map:xy"), Some(("second", 2)));
        assert_eq!(all.resolve("other:0:0"), None);
        let s = all.move_cursor("second", Some(0.0), Some(1.0)).unwrap();
        assert_eq!((s.segment, s.x, s.y), (0, 0.1, 0.9));
        assert_eq!(s.source, "rec0.wav");
        assert_eq!(all.resolve("second:xy"), Some(("second", 0)));
        // One axis at a time (a learned MIDI control moves one): the
        // cursor is now (1, 1), nearest the middle segment.
        let s = all.move_cursor("map", Some(1.0), None).unwrap();
        assert_eq!(s.segment, 2);
        assert_eq!(all.get("second").unwrap().cursor, (1.0, 1.0));
        // Out of range is clamped; a reload keeps the cursor.
        all.move_cursor("first", Some(7.0), Some(7.0)).unwrap();
        all.add(LiveCorpus::new("first", map(&[(0.0, 0.0), (1.0, 1.0)])));
        assert_eq!(all.resolve("first:xy"), Some(("first", 1)));
        assert_eq!(all.resolve("map:0:0"), Some(("first", 0)));
        assert!(all.move_cursor("nothing", Some(0.0), None).is_none());
    }
}
