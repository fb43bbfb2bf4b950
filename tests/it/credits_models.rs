//! Credits for patterns that trained models made (issue 12, "for what
//! actually sounded … every model and dataset"): a loop playing a pattern
//! from `markov_load`/`vae_load` credits the model and the datasets its card
//! names; a model trained in the script is credited as its dataset's
//! datasheet; a model loaded but never asked for a pattern is not credited.
//! In-script training reports its cost as `loam train` does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loam::output::{credits_path, Credits};

use crate::support;

/// `loam ARGS…` with the dataset registry and the energy counters inside
/// `dir`, so no test writes to the real `~/.local/share`.
fn loam(dir: &Path) -> Command {
    let mut cmd = Command::new(support::LOAM);
    let counters = dir.join("no-counters");
    std::fs::create_dir_all(&counters).unwrap();
    cmd.env("XDG_DATA_HOME", dir.join("xdg"))
        .env("LOAM_POWERCAP_DIR", counters);
    cmd
}

fn run(cmd: &mut Command) -> (Option<i32>, String) {
    let Output { status, stderr, .. } = cmd.output().unwrap();
    (status.code(), String::from_utf8_lossy(&stderr).into_owned())
}

/// A dataset folder `dir/NAME` of loam's example `.pat` files `files`
/// (under `datasets/`), whose datasheet credits `who`.
fn dataset(dir: &Path, name: &str, who: &str, files: &[&str]) -> PathBuf {
    let ds = dir.join(name);
    std::fs::create_dir_all(&ds).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
    for (i, f) in files.iter().enumerate() {
        std::fs::copy(examples.join(f), ds.join(format!("{i}.pat"))).unwrap();
    }
    std::fs::write(
        ds.join("datasheet.toml"),
        format!(
            "[dataset]\nid = \"{name}-0001\"\ntitle = \"{name} patterns\"\n\
             licence = \"CC-BY-4.0\"\nattribution = \"{who}\"\n\
             contact = \"{name}@example.org\"\ncreators = [\"{who}\"]\n\n\
             [[consent]]\nby = \"{who}\"\nuses = [\"train\", \"perform\"]\n\
             action = \"give\"\ndate = 2026-01-10\n"
        ),
    )
    .unwrap();
    ds
}

/// Trains a Markov model on `ds` into `dir/FILE` with `loam train`.
fn train(dir: &Path, ds: &Path, file: &str) {
    let (code, err) = run(loam(dir)
        .arg("train")
        .arg(ds)
        .args(["--model", "markov", "-o"])
        .arg(dir.join(file)));
    assert_eq!(code, Some(0), "loam train: {err}");
}

/// Renders `script` (written into `dir`) for `bars` bars; its credits.
fn render(dir: &Path, script: &str, bars: u32, out: &str) -> Credits {
    let file = dir.join(format!("{out}.rhai"));
    std::fs::write(&file, script).unwrap();
    let wav = dir.join(format!("{out}.wav"));
    let (code, err) = run(loam(dir)
        .arg("render")
        .arg(&file)
        .args(["--bars", &bars.to_string(), "-o"])
        .arg(&wav));
    assert_eq!(code, Some(0), "render: {err}");
    Credits::read(&credits_path(&wav)).unwrap()
}

/// The attributions of every dataset the credits name.
fn attributions(c: &Credits) -> Vec<String> {
    c.sounded
        .iter()
        .flat_map(|s| s.datasets.iter().map(|d| d.attribution.clone()))
        .collect()
}

#[test]
fn patterns_from_trained_models_credit_the_model_and_its_datasets_only_when_they_sound() {
    let dir = support::temp_dir("credits-models");
    // Different data, so the two models make different patterns.
    let ana = dataset(
        &dir,
        "kitchen",
        "Kitchen drums by Ana Example",
        &["aksak/seven-2-2-3.pat", "aksak/nine.pat"],
    );
    let bo = dataset(
        &dir,
        "porch",
        "Porch drums by Bo Example",
        &["compound/six-twelve.pat"],
    );
    train(&dir, &ana, "ana.model");
    train(&dir, &bo, "bo.model");

    // A loop function asks `a` for each bar; `b` is loaded and never asked.
    let credits = render(
        &dir,
        "let a = markov_load(\"ana.model\");\nlet b = markov_load(\"bo.model\");\n\
         live_loop(\"gen\", |n| a.pattern());\n",
        2,
        "function",
    );
    let names = attributions(&credits);
    assert!(
        names.contains(&"Kitchen drums by Ana Example".to_string()),
        "{credits:#?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("Bo Example")),
        "{credits:#?}"
    );
    let model = credits
        .sounded
        .iter()
        .find(|s| s.kind == "model")
        .expect("the model is credited");
    assert_eq!(
        PathBuf::from(&model.path).canonicalize().unwrap(),
        dir.join("ana.model").canonicalize().unwrap()
    );
    assert_eq!(model.datasets[0].id, "kitchen-0001");
    assert_eq!(model.datasets[0].licence, "CC-BY-4.0");
    assert_eq!(model.datasets[0].contact, "kitchen@example.org");
    // The kit the generated pattern plays is credited beside it.
    assert!(credits.sounded.iter().any(|s| s.kind == "built-in kit"));

    // A plain loop whose text is a pattern `b` made credits `b`, not `a`,
    // even though `a` made a pattern too (played by no loop).
    let credits = render(
        &dir,
        "let a = markov_load(\"ana.model\");\nlet b = markov_load(\"bo.model\");\n\
         let unused = a.pattern();\nlet p = b.pattern();\n\
         live_loop(\"fixed\", p);\nlive_loop(\"hand\", \"kick ~ ~ ~\");\n",
        1,
        "plain",
    );
    let names = attributions(&credits);
    assert!(
        names.contains(&"Porch drums by Bo Example".to_string()),
        "{credits:#?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("Ana Example")),
        "{credits:#?}"
    );

    // Only a hand-written loop plays: no model is credited at all.
    let credits = render(
        &dir,
        "let a = markov_load(\"ana.model\");\nlive_loop(\"hand\", \"kick ~ snare ~\");\n",
        1,
        "hand",
    );
    assert!(
        credits.sounded.iter().all(|s| s.kind == "built-in kit"),
        "{credits:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_model_trained_in_the_script_is_credited_as_its_dataset_and_reports_its_cost() {
    let dir = support::temp_dir("credits-in-script");
    dataset(
        &dir,
        "yard",
        "Yard drums by Cy Example",
        &["aksak/seven-3-2-2.pat"],
    );
    let file = dir.join("train.rhai");
    std::fs::write(
        &file,
        "let t = markov_train(\"yard\", 2);\nlive_loop(\"gen\", |n| t.pattern());\n",
    )
    .unwrap();
    let wav = dir.join("train.wav");
    let (code, err) = run(loam(&dir)
        .arg("render")
        .arg(&file)
        .args(["--bars", "2", "-o"])
        .arg(&wav));
    assert_eq!(code, Some(0), "render: {err}");
    let credits = Credits::read(&credits_path(&wav)).unwrap();
    let trained = credits
        .sounded
        .iter()
        .find(|s| s.kind == "model trained in the script")
        .unwrap_or_else(|| panic!("{credits:#?}"));
    assert_eq!(trained.datasets.len(), 1, "{trained:#?}");
    assert_eq!(trained.datasets[0].attribution, "Yard drums by Cy Example");
    assert_eq!(trained.datasets[0].id, "yard-0001");
    // The cost, as `loam train` reports it; no counters here, so the
    // estimate, which says so.
    assert!(
        err.contains("markov_train(\"yard\"): training took"),
        "{err}"
    );
    assert!(err.contains("estimated as CPU time"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
