//! Playing a corpus map from a script (issue 13):
//!
//! | call | gives |
//! |---|---|
//! | `let c = corpus("folder")` | the mapped corpus in `folder` (after `loam dataset prepare`, `features` and `map`); its segments become the sound `NAME` (the folder's name, `-` and other signs as `_`), one variant per segment in map order |
//! | `c.at(x, y)` | the sound name of the segment nearest map point (x, y), both 0..1 (`"field_recordings:17"`), for patterns |
//! | `c.near(x, y, k)` | the k nearest, nearest first (k ≤ [`MAX_NEAR`]) |
//! | `c.walk(step)` | a seeded random walk: each call moves `step` (in map units) in a random direction, bouncing off the edges, and gives the segment there |
//! | `c.region("noisy short")` | the segments of the first region whose name or description holds every word |
//! | `c.name()` / `c.len()` | the sound name; the number of segments |
//!
//! So `live_loop("a", c.at(0.2, 0.8) + " ~ " + c.at(0.7, 0.1))` plays two
//! points of the map, as does `live_loop("a", "map:0.2:0.8 ~ map:0.7:0.1")`
//! (patterns name map points and the cursor directly: `corpus::live`). The map and its segments are read once per folder and
//! map file (a reload that does not change `map.json` reads nothing again).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use rhai::{Array, Dynamic, Engine};

use super::api::{fail, number, read_path, Res, Shared};
use crate::corpus::live::LiveCorpus;
use crate::corpus::map::CorpusMap;
use crate::corpus::sounds::{corpus_name, corpus_sounds};
use crate::schedule::Change;
use crate::sound::{SampleFolder, DEFAULT_SAMPLE_RATE};

/// The most segments `c.near(x, y, k)` gives.
pub const MAX_NEAR: usize = 64;

/// Corpora read this run: (folder, rate) → (map file's modification time, map, sounds).
type Loaded = BTreeMap<
    (PathBuf, u32),
    (
        Option<std::time::SystemTime>,
        Arc<CorpusMap>,
        Arc<SampleFolder>,
    ),
>;
static LOADED: Mutex<Loaded> = Mutex::new(BTreeMap::new());

/// A corpus in a script: its map, its sound name and its walk.
#[derive(Clone)]
pub struct CorpusRef {
    name: String,
    map: Arc<CorpusMap>,
    /// The walk's position and generator state, shared by copies.
    walk: Arc<Mutex<(f64, f64, u64)>>,
}

impl CorpusRef {
    fn sound(&self, index: usize) -> String {
        format!("{}:{index}", self.name)
    }

    fn point(x: &Dynamic, y: &Dynamic) -> Res<(f64, f64)> {
        let (x, y) = (number(x)?, number(y)?);
        if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
            return fail(format!("corpus: map point ({x}, {y}) is outside 0..1"));
        }
        Ok((x, y))
    }
}

/// Reads (or finds already read) the corpus in `dir` at `rate`.
fn load(dir: &std::path::Path, rate: u32) -> Result<(Arc<CorpusMap>, Arc<SampleFolder>), String> {
    let stamp = std::fs::metadata(dir.join(crate::corpus::map::MAP_JSON))
        .and_then(|m| m.modified())
        .ok();
    let key = (dir.to_path_buf(), rate);
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((s, map, folder)) = loaded.get(&key) {
        if *s == stamp && stamp.is_some() {
            return Ok((map.clone(), folder.clone()));
        }
    }
    // The first corpus of the map only (a second is another folder's), at
    // most as many segments as a performance takes.
    let mut map = CorpusMap::read(dir)?;
    map.points.retain(|p| p.dataset == 0);
    map.points
        .truncate(crate::corpus::sounds::MAX_LIVE_SEGMENTS);
    let map = Arc::new(map);
    let folder = Arc::new(corpus_sounds(dir, &map, &corpus_name(dir), rate)?);
    loaded.insert(key, (stamp, map.clone(), folder.clone()));
    Ok((map, folder))
}

/// Registers `corpus()` and its methods.
pub fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    engine.register_type_with_name::<CorpusRef>("Corpus");
    let s = shared.clone();
    engine.register_fn("corpus", move |dir: &str| -> Res<CorpusRef> {
        let path = read_path(&s, "corpus", dir)?;
        let rate = match s.sample_rate.load(Ordering::Relaxed) {
            0 => DEFAULT_SAMPLE_RATE,
            r => r,
        };
        let started = std::time::Instant::now();
        let loaded = load(&path, rate);
        // Reading audio is not the script's own time.
        let spent = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        let _ = s
            .deadline
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_add(spent))
            });
        let (map, folder) = loaded.or_else(|e| fail(format!("corpus: {e}")))?;
        if map.points.is_empty() {
            return fail(format!(
                "corpus: {}: the map has no segments",
                path.display()
            ));
        }
        let name = corpus_name(&path);
        s.collected().changes.push(Change::Samples(folder));
        s.collected()
            .changes
            .push(Change::Corpus(LiveCorpus::new(&name, map.clone())));
        Ok(CorpusRef {
            name,
            walk: Arc::new(Mutex::new((0.5, 0.5, map.seed))),
            map,
        })
    });
    engine.register_fn("name", |c: &mut CorpusRef| c.name.clone());
    engine.register_fn("len", |c: &mut CorpusRef| c.map.points.len() as i64);
    engine.register_fn(
        "at",
        |c: &mut CorpusRef, x: Dynamic, y: Dynamic| -> Res<String> {
            let (x, y) = CorpusRef::point(&x, &y)?;
            match c.map.nearest(x, y) {
                Some(i) => Ok(c.sound(i)),
                None => fail("corpus: the map has no segments".into()),
            }
        },
    );
    engine.register_fn(
        "near",
        |c: &mut CorpusRef, x: Dynamic, y: Dynamic, k: i64| -> Res<Array> {
            let (x, y) = CorpusRef::point(&x, &y)?;
            if !(1..=MAX_NEAR as i64).contains(&k) {
                return fail(format!("corpus: near(…, {k}): k must be 1..={MAX_NEAR}"));
            }
            Ok(c.map
                .nearest_k(x, y, k as usize)
                .into_iter()
                .map(|i| Dynamic::from(c.sound(i)))
                .collect())
        },
    );
    engine.register_fn("walk", |c: &mut CorpusRef, step: Dynamic| -> Res<String> {
        let step = number(&step)?;
        if !(0.0..=1.0).contains(&step) {
            return fail(format!(
                "corpus: walk({step}): the step must be 0..1 of the map"
            ));
        }
        let mut w = c.walk.lock().unwrap_or_else(|p| p.into_inner());
        w.2 =
            w.2.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
        let angle = (w.2 >> 11) as f64 / (1u64 << 53) as f64 * std::f64::consts::TAU;
        let bounce = |v: f64| {
            let v = v.rem_euclid(2.0);
            if v > 1.0 {
                2.0 - v
            } else {
                v
            }
        };
        w.0 = bounce(w.0 + step * angle.cos());
        w.1 = bounce(w.1 + step * angle.sin());
        match c.map.nearest(w.0, w.1) {
            Some(i) => Ok(c.sound(i)),
            None => fail("corpus: the map has no segments".into()),
        }
    });
    engine.register_fn("region", |c: &mut CorpusRef, query: &str| -> Res<Array> {
        let Some(r) = c.map.region(query) else {
            let known: Vec<String> = c
                .map
                .regions
                .iter()
                .map(|r| format!("{} ({})", r.name, r.description))
                .collect();
            return fail(format!(
                "corpus: no region matches \"{query}\"; the regions are: {}",
                known.join("; ")
            ));
        };
        let b = r.bounds;
        Ok(c.map
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.x >= b[0] && p.x < b[1] && p.y >= b[2] && p.y < b[3])
            .map(|(i, _)| Dynamic::from(c.sound(i)))
            .collect())
    });
}
