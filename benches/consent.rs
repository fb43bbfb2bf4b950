//! Consent checks on load: a model trained on 1,000 files, its dataset's
//! datasheet re-read and every file's `train` and `perform` consent
//! resolved (what `vae_load`, `markov_load`, `rnn_load`, `loam render` and
//! `/model/load` do before a model loads).
//!
//! Target (issue 12): ≤ 5 ms for a dataset of 1,000 files. The datasheet
//! here has a history a real collection might grow: 20 contributors with
//! their own records and 100 per-file records on top of the folder's.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

use loam::model::trained::card::{CardDataset, FileHash, ModelCard};
use loam::model::trained::consent::check_model_meta;

const FILES: usize = 1000;

fn dataset() -> (PathBuf, serde_json::Value) {
    let dir = std::env::temp_dir().join(format!("loam-bench-consent-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut sheet = String::from(
        "[dataset]\nid = \"ds-bench\"\ntitle = \"Archive\"\nlicence = \"CC-BY-4.0\"\nattribution = \"a\"\ncontact = \"c\"\n\n[[consent]]\nby = \"Community council\"\nuses = [\"train\", \"perform\", \"share\"]\naction = \"give\"\ndate = 2020-01-01\n",
    );
    for c in 0..20 {
        sheet.push_str(&format!(
            "\n[[contributor]]\nname = \"player {c}\"\nfiles = [\"player-{c}/*.wav\"]\n\n[[consent]]\nby = \"player {c}\"\nuses = [\"train\", \"perform\"]\naction = \"give\"\ndate = 2021-01-{:02}\n",
            c % 28 + 1
        ));
    }
    for f in 0..100 {
        sheet.push_str(&format!(
            "\n[[consent]]\nby = \"player {}\"\nuses = [\"share\"]\naction = \"withdraw\"\ndate = 2022-02-01\nfiles = [\"player-{}/take-{f}.wav\"]\n",
            f % 20,
            f % 20
        ));
    }
    std::fs::write(dir.join("datasheet.toml"), sheet).unwrap();
    let files = (0..FILES)
        .map(|i| FileHash {
            name: format!("player-{}/take-{i}.wav", i % 20),
            sha256: format!("{:064x}", i),
        })
        .collect();
    let card = ModelCard {
        kind: "rhythm-vae".into(),
        datasets: vec![CardDataset {
            id: "ds-bench".into(),
            title: "Archive".into(),
            path: dir.clone(),
            files,
            ..CardDataset::default()
        }],
        ..ModelCard::default()
    };
    (
        dir,
        json!({ "kind": "rhythm-vae", "card": serde_json::to_value(card).unwrap() }),
    )
}

fn load_check(c: &mut Criterion) {
    let (dir, meta) = dataset();
    let model = dir.join("model.model");
    check_model_meta(&model, &meta).unwrap();
    c.bench_function("consent/load_check_1000_files", |b| {
        b.iter(|| black_box(check_model_meta(&model, &meta)).unwrap())
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, load_check);
criterion_main!(benches);
