//! Consent end to end with real files (issue 12): `loam train` refuses a
//! dataset whose train consent was withdrawn and names who, why, when and
//! the contact; a trained model's card records its datasets, hashes and
//! cost; a model whose dataset's consent is withdrawn is refused in
//! `render` and in `serve` (a script error; the music goes on) and loads
//! again once consent is restored; `loam dataset check` names each problem
//! of a broken datasheet with its line; sample folders and TorchScript
//! cards are held to `perform` consent.
//!
//! Every command runs with `XDG_DATA_HOME` in the test's own folder (the
//! dataset registry) and `LOAM_POWERCAP_DIR` at an empty folder (no energy
//! counters: the estimate).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loam::model::trained::card::ModelCard;
use sha2::{Digest, Sha256};

const LOAM: &str = env!("CARGO_BIN_EXE_loam");

/// `loam ARGS…` with the registry and the energy counters in `dir`.
fn loam(dir: &Path) -> Command {
    let mut cmd = Command::new(LOAM);
    let counters = dir.join("no-counters");
    std::fs::create_dir_all(&counters).unwrap();
    cmd.env("XDG_DATA_HOME", dir.join("xdg"))
        .env("LOAM_POWERCAP_DIR", counters);
    cmd
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

const HEAD: &str = "[dataset]\nid = \"ds-test-0001\"\ntitle = \"Kitchen drums\"\nlicence = \"CC-BY-4.0\"\nattribution = \"Kitchen drums by Ana Example\"\ncontact = \"ana@example.org\"\ncreators = [\"Ana Example\"]\n";

const GIVEN: &str = "\n[[consent]]\nby = \"Ana Example\"\nuses = [\"train\", \"perform\"]\naction = \"give\"\ndate = 2026-01-10\n";

/// A dataset folder `ds` in `dir`: two pattern files and a datasheet with
/// `records` after its head.
fn dataset(dir: &Path, records: &str) -> PathBuf {
    let ds = dir.join("ds");
    std::fs::create_dir_all(&ds).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/aksak");
    std::fs::copy(examples.join("seven-2-2-3.pat"), ds.join("a.pat")).unwrap();
    std::fs::copy(examples.join("nine.pat"), ds.join("b.pat")).unwrap();
    std::fs::write(ds.join("datasheet.toml"), format!("{HEAD}{records}")).unwrap();
    ds
}

fn train_markov(dir: &Path, ds: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let (code, _, err) = run(loam(dir)
        .arg("train")
        .arg(ds)
        .args(["--model", "markov", "-o"])
        .arg(dir.join("m.model"))
        .args(extra));
    (code, err)
}

/// Saves a script whole (a temporary file renamed over it), as editors do:
/// the server never reads half of it.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("rhai.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn train_refuses_an_unconsented_dataset_naming_who_why_when_and_the_contact() {
    let dir = support::temp_dir("consent-train");
    let withdrawn = "\n[[consent]]\nby = \"Ana Example\"\nuses = [\"train\"]\naction = \"withdraw\"\ndate = 2026-02-01\nfiles = [\"b.pat\"]\nreason = \"that one is private\"\n";
    let ds = dataset(&dir, &format!("{GIVEN}{withdrawn}"));
    let (code, err) = train_markov(&dir, &ds, &[]);
    assert_eq!(code, Some(7), "{err}");
    for part in [
        "refused to train without consent",
        "dataset 'Kitchen drums' (id ds-test-0001",
        "train consent withdrawn by Ana Example on 2026-02-01",
        "\"that one is private\"",
        "for b.pat;",
        "contact: ana@example.org",
        "--exclude-unconsented",
    ] {
        assert!(err.contains(part), "no '{part}' in:\n{err}");
    }
    assert!(!err.contains("a.pat"), "a.pat has consent:\n{err}");
    assert!(!dir.join("m.model").exists());
    // Training in a script is refused the same way.
    let piece = dir.join("piece.rhai");
    std::fs::write(&piece, "let m = markov_train(\"ds\");\n").unwrap();
    let (code, _, err) = run(loam(&dir)
        .arg("render")
        .arg(&piece)
        .args(["--bars", "1", "-o"])
        .arg(dir.join("out.wav")));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("markov_train: refused to train without consent"),
        "{err}"
    );
    assert!(
        err.contains("withdrawn by Ana Example on 2026-02-01"),
        "{err}"
    );
    // Leaving the file out trains on the rest and says how much was left out.
    let (code, err) = train_markov(&dir, &ds, &["--exclude-unconsented"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("left out 1 of 2 file(s) without train consent (5 of 17 pattern(s)"),
        "{err}"
    );
    let card = read_card(&dir.join("m.model.toml"));
    let names: Vec<&str> = card.datasets[0]
        .files
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, vec!["a.pat"]);
    assert_eq!(card.datasets[0].files_left_out, 1);
    // A dataset nobody ever gave train consent for is refused too, and says so.
    let other = support::temp_dir("consent-none");
    let ds = dataset(&other, "");
    let (code, err) = train_markov(&other, &ds, &[]);
    assert_eq!(code, Some(7), "{err}");
    assert!(
        err.contains("no train consent recorded for a.pat, b.pat"),
        "{err}"
    );
}

fn read_card(path: &Path) -> ModelCard {
    ModelCard::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_model_card_records_datasets_hashes_consent_settings_and_cost() {
    let dir = support::temp_dir("consent-card");
    let ds = dataset(&dir, GIVEN);
    let (code, err) = train_markov(&dir, &ds, &["--order", "3", "--grid-gco2-per-kwh", "250"]);
    assert_eq!(code, Some(0), "{err}");
    // No counters here: the estimate is used, and says so.
    assert!(
        err.contains("estimated as CPU time x 10 W per busy core"),
        "{err}"
    );
    assert!(err.contains("no readable energy counters under"), "{err}");
    assert!(err.contains("g CO2e at 250 g/kWh"), "{err}");
    let card = read_card(&dir.join("m.model.toml"));
    assert_eq!(card.kind, "markov");
    assert_eq!(card.model, "m.model");
    assert_eq!(card.loam_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(card.trained.len(), 10, "{}", card.trained);
    assert_eq!(
        card.hyperparameters.get("order").map(String::as_str),
        Some("3")
    );
    assert_eq!(card.seed, None, "a Markov model counts; it draws nothing");
    assert_eq!(card.steps, None);
    let cost = card.cost.clone().unwrap();
    assert_eq!(cost.energy_method, "estimate");
    assert!(
        cost.energy_note.contains("estimated as CPU time"),
        "{}",
        cost.energy_note
    );
    assert!(cost.wall_seconds > 0.0 && cost.cpu_seconds >= 0.0);
    assert!((cost.energy_joules - cost.cpu_seconds * 10.0).abs() < 1e-9);
    assert_eq!(cost.grid_gco2_per_kwh, Some(250.0));
    let grams = cost.co2e_grams.unwrap();
    assert!((grams - cost.energy_joules / 3.6e6 * 250.0).abs() < 1e-12);
    assert!(card.no_provenance.is_empty());
    assert_eq!(card.datasets.len(), 1);
    let d = &card.datasets[0];
    assert_eq!(d.id, "ds-test-0001");
    assert_eq!(d.title, "Kitchen drums");
    assert_eq!(d.path, ds.canonicalize().unwrap());
    assert_eq!(d.attribution, "Kitchen drums by Ana Example");
    assert_eq!(d.licence, "CC-BY-4.0");
    assert_eq!(d.contact, "ana@example.org");
    assert_eq!(
        (
            d.consent.train.as_str(),
            d.consent.perform.as_str(),
            d.consent.share.as_str(),
            d.consent.derive.as_str()
        ),
        ("given", "given", "unrecorded", "unrecorded")
    );
    assert_eq!(d.consent.as_of, "2026-01-10");
    assert_eq!(d.files_left_out, 0);
    let hashes: Vec<(String, String)> = d
        .files
        .iter()
        .map(|f| (f.name.clone(), f.sha256.clone()))
        .collect();
    assert_eq!(
        hashes,
        vec![
            ("a.pat".to_string(), sha256(&ds.join("a.pat"))),
            ("b.pat".to_string(), sha256(&ds.join("b.pat"))),
        ]
    );
    // The same card is inside the model file.
    let (meta, _) = loam::model::trained::file::read(&dir.join("m.model")).unwrap();
    let mut inside = ModelCard::from_meta(&meta).unwrap().unwrap();
    // JSON and TOML may round a float's last digit differently.
    let (a, b) = (inside.cost.take().unwrap(), card.cost.clone().unwrap());
    for (x, y) in [
        (a.wall_seconds, b.wall_seconds),
        (a.cpu_seconds, b.cpu_seconds),
        (a.energy_joules, b.energy_joules),
        (a.co2e_grams.unwrap(), b.co2e_grams.unwrap()),
    ] {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} != {y}");
    }
    assert_eq!(
        (a.energy_method, a.energy_note),
        (b.energy_method, b.energy_note)
    );
    inside.cost = card.cost.clone();
    assert_eq!(inside, card);
    // A file changes: its hash changes, the other's does not.
    let mut text = std::fs::read_to_string(ds.join("b.pat")).unwrap();
    text.push_str("\n# an added comment\n");
    std::fs::write(ds.join("b.pat"), text).unwrap();
    let (code, err) = train_markov(&dir, &ds, &[]);
    assert_eq!(code, Some(0), "{err}");
    let again = read_card(&dir.join("m.model.toml"));
    assert_eq!(again.datasets[0].files[0].sha256, hashes[0].1);
    assert_ne!(again.datasets[0].files[1].sha256, hashes[1].1);
    assert_eq!(again.datasets[0].files[1].sha256, sha256(&ds.join("b.pat")));
}

#[test]
fn a_withdrawn_model_is_refused_in_render_and_serve_and_loads_again_once_restored() {
    let dir = support::temp_dir("consent-load");
    let ds = dataset(&dir, GIVEN);
    let (code, err) = train_markov(&dir, &ds, &[]);
    assert_eq!(code, Some(0), "{err}");
    let piece = dir.join("piece.rhai");
    let loads = "live_loop(\"k\", \"kick*4\");\nlet m = markov_load(\"m.model\");\nfn bar(n) { print(`planning bar ${n}`); }\n";
    std::fs::write(&piece, loads).unwrap();
    let render = |dir: &Path| {
        run(loam(dir)
            .arg("render")
            .arg(&piece)
            .args(["--bars", "1", "-o"])
            .arg(dir.join("out.wav")))
    };
    let (code, _, err) = render(&dir);
    assert_eq!(code, Some(0), "consent given: it plays\n{err}");

    // Ana withdraws perform consent.
    let (code, out, err) = run(loam(&dir).args(["dataset", "revoke"]).arg(&ds).args([
        "--by",
        "Ana Example",
        "--use",
        "perform",
        "--reason",
        "not on stage",
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    let sheet = std::fs::read_to_string(ds.join("datasheet.toml")).unwrap();
    assert!(
        sheet.starts_with(&format!("{HEAD}{GIVEN}")),
        "history kept:\n{sheet}"
    );
    assert!(sheet.contains("action = \"withdraw\""), "{sheet}");

    // render: refused, with the reason.
    let (code, _, err) = render(&dir);
    assert_eq!(code, Some(3), "{err}");
    for part in [
        "markov_load",
        "m.model: refused to load: dataset 'Kitchen drums' (id ds-test-0001",
        "perform consent withdrawn by Ana Example on",
        "(\"not on stage\")",
        "contact: ana@example.org",
    ] {
        assert!(err.contains(part), "no '{part}' in:\n{err}");
    }

    // serve: a script error, and the music goes on.
    std::fs::write(
        &piece,
        "live_loop(\"k\", \"kick*4\");\nfn bar(n) { print(`planning bar ${n}`); }\n",
    )
    .unwrap();
    let mut serving = support::spawn(
        support::serve_command(&piece)
            .args(["--osc", "off"])
            .env("XDG_DATA_HOME", dir.join("xdg")),
    );
    serving.wait_playing();
    save(&piece, loads);
    let refused = serving.wait_line("refused to load");
    assert!(
        refused.contains("perform consent withdrawn by Ana Example"),
        "{refused}"
    );
    assert!(refused.contains("contact: ana@example.org"), "{refused}");
    let after: u64 = serving
        .wait_line("planning bar ")
        .rsplit(' ')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let later: u64 = serving
        .wait_line("planning bar ")
        .rsplit(' ')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        later > after,
        "the music goes on: bar {after}, then {later}"
    );

    // Ana gives it again: the next save loads.
    let (code, out, err) = run(loam(&dir).args(["dataset", "restore"]).arg(&ds).args([
        "--by",
        "Ana Example",
        "--use",
        "perform",
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    save(&piece, &format!("{loads}// consent restored\n"));
    serving.wait_line("reloaded");
    support::process::sigterm(serving.pid());
    let support::Finished { status, stderr, .. } = serving.finish();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("last good version keeps playing"),
        "{stderr}"
    );
    let (code, _, err) = render(&dir);
    assert_eq!(code, Some(0), "restored: it plays\n{err}");

    // Moved: a warning, not a refusal; once checked in its new place, it is found by id.
    let moved = dir.join("moved");
    std::fs::rename(&ds, &moved).unwrap();
    let (code, _, err) = render(&dir);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("dataset 'Kitchen drums' (id ds-test-0001) was not found"),
        "{err}"
    );
    assert!(err.contains("loading anyway"), "{err}");
    run(loam(&dir).args(["dataset", "revoke"]).arg(&moved).args([
        "--by",
        "Ana Example",
        "--use",
        "train",
    ]));
    let (code, _, err) = render(&dir);
    assert_eq!(code, Some(3), "found by id in the registry: {err}");
    assert!(
        err.contains("train consent withdrawn by Ana Example"),
        "{err}"
    );
    assert!(err.contains(&moved.display().to_string()), "{err}");
}

#[test]
fn dataset_check_names_each_problem_of_a_broken_datasheet_with_its_line() {
    let dir = support::temp_dir("consent-check");
    let ds = dataset(&dir, "");
    let broken = "[dataset]\nid = \"ds-x\"\ntitle = \"Broken\"\nlicense = \"CC0-1.0\"\ncontact = 7\n\n[[consent]]\nby = \"Ana\"\nuses = [\"train\", \"sell\"]\naction = \"give\"\ndate = 2026-01-01\n\n[[consent]]\nby = \"Ana\"\nuses = [\"perform\"]\naction = \"give\"\ndate = 2026-01-02\nfiles = [\"a.pat\", \"c.pat\"]\n\n[[consent]]\nby = \"Sam\"\nuses = [\"perform\"]\naction = \"withdraw\"\ndate = 2026-01-02\nfiles = [\"c.pat\", \"a.pat\"]\n\n[[consent]]\nuses = [\"share\"]\naction = \"give\"\n";
    std::fs::write(ds.join("datasheet.toml"), broken).unwrap();
    let (code, out, _) = run(loam(&dir).args(["dataset", "check"]).arg(&ds));
    assert_eq!(code, Some(1), "{out}");
    let sheet = ds.join("datasheet.toml").display().to_string();
    for line in [
        format!("{sheet}:1:1: [dataset] has no 'licence' (required)"),
        format!("{sheet}:1:1: [dataset] has no 'attribution' (required)"),
        format!("{sheet}:4:11: unknown key 'license' in [dataset] (loam spells it 'licence')"),
        format!("{sheet}:5:11: 'contact' in [dataset] must be text in quotes, not a whole number"),
        format!("{sheet}:9:8: unknown use 'sell': the uses are train, perform, share and derive"),
        format!("{sheet}:13:1: this [[consent]] record names 'c.pat', which matches no data file in the folder"),
        format!("{sheet}:20:1: contradicts the record at line 13: on 2026-01-02 Ana gives and Sam withdraws perform for a.pat, c.pat (counted as withdrawn until a later record settles it)"),
        format!("{sheet}:27:1: [[consent]] has no 'by' (required)"),
        format!("{sheet}:27:1: [[consent]] has no 'date' (required)"),
        format!("{}: not covered by any consent record in the datasheet", ds.join("b.pat").display()),
    ] {
        assert!(out.lines().any(|l| l == line), "no line\n{line}\nin:\n{out}");
    }
    assert!(
        out.contains("2 file(s): 17 pattern(s), 0 melody(ies), 0 audio file(s), 0.0 s of audio"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("problem(s)"), "{out}");
    // A syntax error stops the reading, at its line and column.
    std::fs::write(
        ds.join("datasheet.toml"),
        "[dataset]\nid = \"x\"\ntitle = \n",
    )
    .unwrap();
    let (code, out, _) = run(loam(&dir).args(["dataset", "check"]).arg(&ds));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with(&format!("{sheet}:3:")),
        "{out}"
    );
    // The shipped examples pass.
    for name in ["aksak", "compound", "midi"] {
        let d = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("datasets")
            .join(name);
        let (code, out, _) = run(loam(&dir).args(["dataset", "check"]).arg(&d));
        assert_eq!(code, Some(0), "{name}:\n{out}");
        assert!(out.contains("train: consented for every file"), "{out}");
    }
}

#[test]
fn init_writes_a_template_with_a_fresh_id_and_never_overwrites() {
    let dir = support::temp_dir("consent-init");
    let ds = dir.join("new");
    let (code, out, err) = run(loam(&dir)
        .args(["dataset", "init"])
        .arg(&ds)
        .args(["--title", "Field recordings", "--creator", "Ana"])
        .stdin(std::process::Stdio::null()));
    assert_eq!(code, Some(0), "{out}{err}");
    let text = std::fs::read_to_string(ds.join("datasheet.toml")).unwrap();
    let (sheet, problems) = loam::data::datasheet::parse::parse(&text, &ds.join("datasheet.toml"));
    let sheet = sheet.unwrap();
    assert!(sheet.dataset.id.starts_with("ds-") && sheet.dataset.id.len() == 35);
    assert!(out.contains(&sheet.dataset.id), "{out}");
    assert_eq!(sheet.dataset.title, "Field recordings");
    assert_eq!(
        problems.len(),
        3,
        "licence, attribution, contact left to fill: {problems:?}"
    );
    // It is in the registry.
    let reg = std::fs::read_to_string(dir.join("xdg/loam/datasets.toml")).unwrap();
    assert!(reg.contains(&sheet.dataset.id), "{reg}");
    // A second init leaves the id alone.
    let (code, _, err) = run(loam(&dir).args(["dataset", "init"]).arg(&ds));
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        std::fs::read_to_string(ds.join("datasheet.toml")).unwrap(),
        text
    );
}

#[test]
fn sample_folders_and_torchscript_cards_need_perform_consent() {
    let dir = support::temp_dir("consent-perform");
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    support::files::write_mono_wav(&samples.join("click.wav"), support::files::click(1.0, 64));
    std::fs::write(samples.join("datasheet.toml"), format!("{HEAD}{GIVEN}")).unwrap();
    let piece = dir.join("piece.rhai");
    std::fs::write(
        &piece,
        "samples(\"samples\");\nlive_loop(\"c\", \"click*4\");\n",
    )
    .unwrap();
    let render = || {
        run(loam(&dir)
            .arg("render")
            .arg(&piece)
            .args(["--bars", "1", "-o"])
            .arg(dir.join("out.wav")))
    };
    let (code, _, err) = render();
    assert_eq!(code, Some(0), "{err}");
    run(loam(&dir).args(["dataset", "revoke"]).arg(&samples).args([
        "--by",
        "Ana Example",
        "--use",
        "perform",
        "--file",
        "click.wav",
    ]));
    let (code, _, err) = render();
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("samples: "), "{err}");
    assert!(
        err.contains("perform consent withdrawn by Ana Example on"),
        "{err}"
    );
    assert!(
        err.contains("for click.wav; contact: ana@example.org"),
        "{err}"
    );

    // A TorchScript model's card beside it (NAME.ts.toml) is held to the same.
    let ts = dir.join("voice.ts");
    std::fs::write(&ts, b"not read before the card").unwrap();
    let card = format!(
        "[[datasets]]\nid = \"ds-test-0001\"\ntitle = \"Kitchen drums\"\npath = {:?}\nattribution = \"a\"\nlicence = \"l\"\ncontact = \"ana@example.org\"\n",
        samples.display().to_string()
    );
    std::fs::write(dir.join("voice.ts.toml"), card).unwrap();
    let e = loam::model::torchscript::Module::load(&ts)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("voice.ts: refused to load: dataset 'Kitchen drums'"),
        "{e}"
    );
    assert!(
        e.contains("perform consent withdrawn by Ana Example"),
        "{e}"
    );
    run(loam(&dir).args(["dataset", "restore"]).arg(&samples).args([
        "--by",
        "Ana Example",
        "--use",
        "perform",
        "--file",
        "click.wav",
    ]));
    let e = loam::model::torchscript::Module::load(&ts)
        .err()
        .unwrap()
        .to_string();
    assert!(
        !e.contains("refused to load"),
        "consent restored; only the bad file is refused now: {e}"
    );
    let (code, _, err) = render();
    assert_eq!(code, Some(0), "{err}");
}
