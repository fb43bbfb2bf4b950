//! Models trained by loam: datasets (text and MIDI), the rhythm VAE, the
//! Markov model and the GRU, their files, their step distributions, and the
//! VAE's nn~ export.

use crate::support;

use std::path::{Path, PathBuf};

use loam::data::midi::{parse_midi, write_drums, write_melody};
use loam::data::{Dataset, DatasetPart, Melody, MelodyNote};
use loam::model::markov::{MarkovConfig, MarkovModel};
use loam::model::rhythm_vae::{
    export, picture, DecodeOptions, RhythmVae, VaeConfig, MIN_PATTERNS, USABLE_F1,
};
use loam::model::rnn::{RnnConfig, RnnModel};
use loam::model::trained::{Distribution, Rng, StepModel, TrainedModelError};
use loam::time::q;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seven() -> Dataset {
    Dataset::load(&root().join("datasets/aksak/seven-2-2-3.pat")).unwrap()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn example_datasets_read_with_provenance() {
    let all = Dataset::load(&root().join("datasets")).unwrap();
    assert!(all.patterns.len() >= 24, "{}", all.patterns.len());
    assert!(
        !all.melodies.is_empty(),
        "datasets/midi/tune.mid has a melody"
    );
    for p in &all.patterns {
        assert!(
            !p.provenance.licence.is_empty(),
            "{} has no licence",
            p.name
        );
    }
    let metres: std::collections::BTreeSet<String> =
        all.patterns.iter().map(|p| p.metre.to_string()).collect();
    for m in [
        "2+2+3/8",
        "3+2+2/8",
        "2+2+2+3/8",
        "3+3+3/8",
        "3+3+3+3/8",
        "3+3/8",
        "2+3/8",
    ] {
        assert!(metres.contains(m), "no pattern in {m}: {metres:?}");
    }
    let seven = seven();
    assert_eq!(seven.patterns.len(), 12);
    assert_eq!(seven.patterns[0].provenance.licence, "CC0-1.0");
    assert!(seven.patterns[0]
        .provenance
        .file
        .ends_with("seven-2-2-3.pat:10"));
}

#[test]
fn dataset_errors_name_file_line_column_and_reason() {
    let dir = support::temp_dir("errors");
    let bad = dir.join("bad.pat");
    std::fs::write(&bad, "metre 2+2+2+3/8\n\nkick x . | x . | x . | x .\n").unwrap();
    let e = Dataset::load(&dir).unwrap_err();
    assert_eq!((e.file.as_path(), e.line, e.column), (bad.as_path(), 3, 24));
    let text = e.to_string();
    assert!(
        text.contains("bad.pat:3:24: group 4 of 'kick' has 2 cell(s)"),
        "{text}"
    );
    assert!(text.contains("takes 3, 6 or 9 cells"), "{text}");

    // A folder with nothing loam reads.
    let empty = support::temp_dir("empty");
    std::fs::write(empty.join("README.md"), "notes").unwrap();
    let e = Dataset::load(&empty).unwrap_err();
    assert!(e.to_string().contains("the dataset is empty"), "{e}");

    // Not a MIDI file.
    let midi = dir.join("broken.mid");
    std::fs::write(&midi, b"MThd nonsense").unwrap();
    let e = Dataset::load(&midi).unwrap_err();
    assert!(e.to_string().contains("not a readable MIDI file"), "{e}");
}

#[test]
fn too_small_datasets_say_the_minimum() {
    let mut data = seven();
    data.patterns.truncate(MIN_PATTERNS - 1);
    let e = RhythmVae::train(&data, &VaeConfig::default(), &mut |_| {})
        .err()
        .unwrap();
    assert!(matches!(e, TrainedModelError::Data(_)));
    assert!(
        e.to_string()
            .contains("too small to train a rhythm VAE: 3 pattern(s) in 2+2+3/8; the minimum is 4"),
        "{e}"
    );
    data.patterns.truncate(1);
    let e = MarkovModel::train(&data, &MarkovConfig::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("the minimum is 8"), "{e}");
    let e = RnnModel::train(&data, &RnnConfig::default(), &mut |_| {})
        .err()
        .unwrap();
    assert!(e.to_string().contains("the minimum is 16"), "{e}");
}

#[test]
fn vae_trains_on_twelve_patterns_reloads_identically_and_interpolates() {
    let data = seven();
    let dir = support::temp_dir("vae");
    let mut calls = 0;
    let vae = RhythmVae::train(&data, &VaeConfig::default(), &mut |_| calls += 1).unwrap();
    let r = vae.info.report.clone();
    eprintln!("rhythm VAE: {r:?}");
    assert!(calls > 0);
    assert!(r.onset_f1 >= USABLE_F1, "{r:?}");
    assert!(r.usable());
    assert!(r.seconds <= 10.0, "{r:?}");
    assert_eq!(vae.latent_dims(), 2);
    assert_eq!(vae.metre().groups(), &[2, 2, 3]);

    // Save -> load: bit-identical planes for the same z, provenance kept.
    let path = dir.join("seven.vae");
    vae.save(&path).unwrap();
    let back = RhythmVae::load(&path).unwrap();
    let opts = DecodeOptions::default();
    for z in [[0.0, 0.0], [1.5, -0.7], [-2.0, 2.0]] {
        assert_eq!(
            bits(&vae.decode_planes(&z, &opts)),
            bits(&back.decode_planes(&z, &opts))
        );
        assert_eq!(vae.decode(&z, &opts), back.decode(&z, &opts));
    }
    assert_eq!(back.info.provenance, vae.info.provenance);
    assert_eq!(back.info.provenance[0].licence, "CC0-1.0");
    assert_eq!(back.info.provenance[0].author, "loam contributors");

    // Interpolation: the endpoints decode the endpoints' latent means.
    let (a, b) = (&data.patterns[0], &data.patterns[5]);
    let at0 = vae.interpolate(a, b, 0.0, &opts).unwrap();
    let at1 = vae.interpolate(a, b, 1.0, &opts).unwrap();
    assert_eq!(at0, vae.decode(&vae.encode(a).unwrap(), &opts));
    assert_eq!(at1, vae.decode(&vae.encode(b).unwrap(), &opts));
    let hits = |p: &loam::data::DrumBar| {
        p.hits
            .iter()
            .map(|h| (h.instrument.clone(), h.cell))
            .collect::<Vec<_>>()
    };
    let close = |x: &loam::data::DrumBar, y: &loam::data::DrumBar| {
        let mut s = loam::model::rhythm_vae::OnsetScore::default();
        s.add(x, y);
        s.f1()
    };
    assert!(
        close(a, &at0) >= 0.8,
        "t = 0 gives back the first pattern: {:?}",
        hits(&at0)
    );
    assert!(
        close(b, &at1) >= 0.8,
        "t = 1 gives back the second pattern: {:?}",
        hits(&at1)
    );

    // Threshold and noise at decode time.
    let z = vae.encode(a).unwrap();
    let dense = vae.decode(
        &z,
        &DecodeOptions {
            threshold: 0.05,
            ..opts
        },
    );
    let sparse = vae.decode(
        &z,
        &DecodeOptions {
            threshold: 0.95,
            ..opts
        },
    );
    assert!(dense.hits.len() >= at0.hits.len() && at0.hits.len() >= sparse.hits.len());
    let noisy = DecodeOptions {
        noise: 1.0,
        seed: 9,
        ..opts
    };
    assert_eq!(
        vae.decode(&z, &noisy),
        vae.decode(&z, &noisy),
        "noise repeats for a seed"
    );
    let (zs, _) = vae.sample(4, &opts);
    assert_eq!(zs.len(), 2);

    // Wrong metre.
    let nine = Dataset::load(&root().join("datasets/aksak/nine.pat")).unwrap();
    assert!(matches!(
        vae.encode(&nine.patterns[0]),
        Err(TrainedModelError::Usage(_))
    ));

    // The latent-plane picture.
    let png = dir.join("seven.png");
    picture::write_latent_png(&vae, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");

    // A Markov file is not a VAE.
    let markov = MarkovModel::train(&data, &MarkovConfig::default()).unwrap();
    markov.save(&dir.join("m.markov")).unwrap();
    assert!(RhythmVae::load(&dir.join("m.markov")).is_err());
    assert!(RhythmVae::load(&png).is_err());

    nn_tilde_export_matches(&vae, &dir);
}

/// Python with torch 2.13 and nn-tilde: `$LOAM_PYTHON`, or loam's cached venv.
fn export_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOAM_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let cached = Path::new("/root/.cache/loam/torch-2.13.0/bin/python");
    cached.exists().then(|| cached.to_path_buf())
}

fn nn_tilde_export_matches(vae: &RhythmVae, dir: &Path) {
    let Some(python) = export_python() else {
        eprintln!("skipping the nn~ export check: no LOAM_PYTHON");
        return;
    };
    // Process-wide: never while a test that runs alone reads the
    // environment from C (libjack), so in a shared turn.
    let _turn = support::alone::shared();
    std::env::set_var("LOAM_PYTHON", &python);
    let ts = dir.join("seven.ts");
    let zs = vec![vec![0.0, 0.0], vec![1.0, -0.5], vec![-1.5, 1.5]];
    let (planes, methods) = match export::export_and_check(vae, &ts, &zs) {
        Ok(v) => v,
        Err(e) if e.to_string().contains("No module named 'nn_tilde'") => {
            eprintln!("skipping the nn~ export check: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(methods.contains(&"forward".to_string()) && methods.contains(&"decode".to_string()));
    for (z, py) in zs.iter().zip(&planes) {
        let rust = vae.decode_planes(z, &DecodeOptions::default());
        assert_eq!(rust.len(), py.len());
        let worst = rust
            .iter()
            .zip(py)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "export differs from loam by {worst}");
    }
    // And tch can load the export too.
    let m = tch::CModule::load(&ts).unwrap();
    assert!(m.method_is::<tch::IValue>("get_methods", &[]).is_ok());
}

#[test]
fn markov_steps_show_a_distribution_that_can_be_reweighted() {
    let data = Dataset::load(&root().join("datasets")).unwrap();
    let mut m = MarkovModel::train(&data, &MarkovConfig::default()).unwrap();
    let mut rng = Rng::new(5);
    for _ in 0..50 {
        let d = m.distribution();
        assert!((d.total() - 1.0).abs() < 1e-4, "{}", d.total());
        assert_eq!(d.entries.len(), m.alphabet().len());
        m.step(&mut rng).unwrap();
    }
    // Only events with a kick: every other choice ruled out before the draw.
    let kicks: Vec<usize> = (0..m.alphabet().len())
        .filter(|&t| m.alphabet()[t].parts().contains(&"kick"))
        .collect();
    for _ in 0..20 {
        let mut d = m.distribution();
        d.constrain(|t| kicks.contains(&t));
        assert!((d.total() - 1.0).abs() < 1e-4);
        let t = d.draw(&mut rng).unwrap();
        assert!(kicks.contains(&t));
        m.commit(t);
    }
    // Temperature 0: the most likely event, always.
    m.set_temperature(0.0);
    let d = m.distribution();
    assert_eq!(d.entries.iter().filter(|e| e.1 > 0.0).count(), 1);
    // Save -> load: the same distributions after the same history.
    let dir = support::temp_dir("markov");
    m.save(&dir.join("all.markov")).unwrap();
    let mut back = MarkovModel::load(&dir.join("all.markov")).unwrap();
    let mut fresh = MarkovModel::train(&data, &MarkovConfig::default()).unwrap();
    let history: Vec<usize> = (0..6).map(|_| fresh.step(&mut rng).unwrap()).collect();
    for &t in &history {
        back.commit(t);
    }
    assert_eq!(fresh.distribution(), back.distribution());
    assert_eq!(back.provenance(), fresh.provenance());
}

#[test]
fn rnn_steps_show_a_distribution_that_can_be_reweighted() {
    let data = seven();
    let config = RnnConfig {
        steps: 80,
        ..RnnConfig::default()
    };
    let mut m = RnnModel::train(&data, &config, &mut |_| {}).unwrap();
    let mut rng = Rng::new(2);
    let mut d = Distribution::default();
    for _ in 0..20 {
        m.fill_distribution(&mut d);
        assert!((d.total() - 1.0).abs() < 1e-4);
        m.step(&mut rng).unwrap();
    }
    let mut d = m.distribution();
    let rest: Vec<usize> = (0..m.alphabet().len())
        .filter(|&t| !m.alphabet()[t].parts().contains(&"snare"))
        .collect();
    d.reweight(|t, _| if rest.contains(&t) { 0.0 } else { 2.0 });
    assert!((d.total() - 1.0).abs() < 1e-4);
    assert!(rest.iter().all(|&t| d.probability(t) == 0.0));

    let dir = support::temp_dir("rnn");
    m.save(&dir.join("seven.rnn")).unwrap();
    let mut back = RnnModel::load(&dir.join("seven.rnn")).unwrap();
    m.reset();
    for t in [0usize, 1, 2] {
        m.commit(t);
        back.commit(t);
    }
    assert_eq!(
        bits(
            &m.distribution()
                .entries
                .iter()
                .map(|e| e.1)
                .collect::<Vec<_>>()
        ),
        bits(
            &back
                .distribution()
                .entries
                .iter()
                .map(|e| e.1)
                .collect::<Vec<_>>()
        )
    );
}

#[test]
fn rnn_learns_melodies_from_midi() {
    let data = Dataset::load(&root().join("datasets/midi/tune.mid")).unwrap();
    assert_eq!(DatasetPart::pick(&data), DatasetPart::Melody);
    let config = RnnConfig {
        steps: 40,
        ..RnnConfig::default()
    };
    let mut m = RnnModel::train(&data, &config, &mut |_| {}).unwrap();
    assert!(m.alphabet().iter().all(|e| e.label.parse::<u8>().is_ok()));
    let t = m.step(&mut Rng::new(1)).unwrap();
    assert!(t < m.alphabet().len());
}

/// The GRU's nn~ export: Python's distributions after the same histories
/// are loam's, and loam's own TorchScript reader loads the file, sees the
/// nn~ methods and steps it at temperature 0 exactly as loam steps.
#[test]
fn rnn_exports_for_nn_tilde_with_loams_distributions() {
    use loam::model::torchscript::{read_info, AttrType, AttrValue, Module};

    let Some(python) = export_python() else {
        eprintln!("skipping the GRU nn~ export check: no LOAM_PYTHON");
        return;
    };
    // Process-wide: never while a test that runs alone reads the
    // environment from C (libjack), so in a shared turn.
    let _turn = support::alone::shared();
    std::env::set_var("LOAM_PYTHON", &python);
    let config = RnnConfig {
        steps: 60,
        ..RnnConfig::default()
    };
    let mut m = RnnModel::train(&seven(), &config, &mut |_| {}).unwrap();
    let vocab = m.alphabet().len();
    assert!(vocab >= 3, "{vocab} events");
    let dir = support::temp_dir("rnn-export");
    let ts = dir.join("seven-rnn.ts");
    let histories = vec![vec![], vec![vocab - 1], vec![0, vocab / 2, vocab - 1]];
    let (distributions, methods) =
        match loam::model::rnn::export::export_and_check(&m, &ts, &histories) {
            Ok(v) => v,
            Err(e) if e.to_string().contains("No module named 'nn_tilde'") => {
                eprintln!("skipping the GRU nn~ export check: {e}");
                return;
            }
            Err(e) => panic!("{e}"),
        };
    for name in ["forward", "generate", "probabilities"] {
        assert!(methods.contains(&name.to_string()), "{methods:?}");
    }
    let loam_distribution =
        |m: &mut RnnModel| -> Vec<f32> { m.distribution().entries.iter().map(|e| e.1).collect() };
    let worst_difference = |a: &[f32], b: &[f32]| {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    m.set_temperature(1.0);
    for (history, py) in histories.iter().zip(&distributions) {
        m.reset();
        for &t in history {
            m.commit(t);
        }
        let worst = worst_difference(&loam_distribution(&mut m), py);
        assert!(
            worst < 1e-5,
            "after {history:?} the export differs from loam by {worst}"
        );
    }

    // libtorch loads it, and loam's reader sees the nn~ declarations.
    tch::CModule::load(&ts).unwrap();
    let info = read_info(&ts).unwrap();
    assert_eq!(info.method("forward").unwrap().params(), [1, 1, 3, 1]);
    let mut module = Module::load(&ts).unwrap();
    let info = module.info().clone();
    assert_eq!(info.method("forward").unwrap().params(), [1, 1, 3, 1]);
    assert_eq!(info.method("generate").unwrap().params(), [1, 1, 3, 1]);
    let probabilities = info.method("probabilities").unwrap();
    assert_eq!(probabilities.params(), [1, 1, vocab, 1]);
    let labels: Vec<String> = m
        .alphabet()
        .iter()
        .map(|e| format!("(signal) p {e}"))
        .collect();
    assert_eq!(probabilities.output_labels, labels);
    assert_eq!(
        info.attribute("temperature").unwrap().types,
        vec![AttrType::Float]
    );
    assert_eq!(
        module.attribute("temperature").unwrap(),
        vec![AttrValue::Float(1.0)]
    );

    // Stepped at temperature 0 in two buffers (a step on each rise above
    // 0.5, the state carried across), the export draws what loam draws.
    module
        .set_attribute("temperature", &[AttrValue::Float(0.0)])
        .unwrap();
    m.reset();
    m.set_temperature(0.0);
    let frames = 32;
    // High stretches; the second buffer starts still high (no step there).
    let high = [
        vec![(2, 2), (9, 10), (30, 31)],
        vec![(0, 1), (5, 6), (20, 20)],
    ];
    let mut held = (-1.0f32, 0.0f32);
    let mut before = 0.0f32;
    let mut rng = Rng::new(3);
    let mut steps = 0;
    for stretches in &high {
        let mut trigger = vec![0.0f32; frames];
        for &(a, b) in stretches {
            trigger[a..=b].iter_mut().for_each(|x| *x = 0.9);
        }
        let out = module.call("forward", &trigger).unwrap();
        assert_eq!(out.len(), 3 * frames);
        let (index, length, step) = (&out[..frames], &out[frames..2 * frames], &out[2 * frames..]);
        for f in 0..frames {
            let rose = trigger[f] > 0.5 && before <= 0.5;
            before = trigger[f];
            assert_eq!(step[f], if rose { 1.0 } else { 0.0 }, "frame {f}");
            if rose {
                let t = m.step(&mut rng).unwrap();
                held = (t as f32, m.alphabet()[t].ticks as f32 / 192.0);
                steps += 1;
            }
            assert_eq!((index[f], length[f]), held, "frame {f} of {stretches:?}");
        }
    }
    assert_eq!(steps, 5);
    // The same module's next-step distribution is loam's after those steps.
    module
        .set_attribute("temperature", &[AttrValue::Float(1.0)])
        .unwrap();
    m.set_temperature(1.0);
    let p = module.call("probabilities", &[0.0; 4]).unwrap();
    let held_frame: Vec<f32> = (0..vocab).map(|i| p[i * 4 + 3]).collect();
    let worst = worst_difference(&loam_distribution(&mut m), &held_frame);
    assert!(worst < 1e-5, "probabilities differ from loam by {worst}");
}

#[test]
fn midi_drums_round_trip() {
    let data = Dataset::load(&root().join("datasets/aksak/nine.pat")).unwrap();
    let bytes = write_drums(&data.patterns, 480);
    let back = parse_midi(&bytes, Path::new("nine.mid")).unwrap();
    assert_eq!(back.patterns.len(), data.patterns.len());
    for (a, b) in data.patterns.iter().zip(&back.patterns) {
        assert_eq!(a.metre, b.metre, "grouping kept through the marker");
        assert_eq!(a.hits.len(), b.hits.len());
        for (x, y) in a.hits.iter().zip(&b.hits) {
            assert_eq!((&x.instrument, x.cell), (&y.instrument, y.cell));
            assert!((x.velocity - y.velocity).abs() <= 1.0 / 127.0);
            assert!((x.shift - y.shift).abs() < 0.01);
        }
    }
    assert_eq!(back.patterns[0].provenance.licence, "CC0-1.0");
    assert!(back.melodies.is_empty());
}

/// The committed example MIDI files are what loam's writer makes
/// (`LOAM_REGENERATE=1` rewrites them).
#[test]
fn example_midi_files_are_current() {
    let seven = seven();
    let drums = write_drums(&seven.patterns[..2], 480);
    let notes: Vec<MelodyNote> = [
        62u8, 65, 67, 69, 67, 65, 64, 62, 60, 62, 65, 64, 62, 60, 59, 62,
    ]
    .iter()
    .enumerate()
    .map(|(i, &pitch)| MelodyNote {
        pitch,
        start: q(i as i128, 8),
        duration: q(1, 8),
        velocity: if i % 4 == 0 { 0.9 } else { 0.6 },
    })
    .collect();
    let melody = Melody {
        name: "tune".into(),
        notes,
        provenance: loam::data::Provenance {
            title: "A short tune".into(),
            licence: "CC0-1.0".into(),
            ..Default::default()
        },
        metre: None,
    };
    let tune = write_melody(&melody, 480);
    let dir = root().join("datasets/midi");
    if std::env::var_os("LOAM_REGENERATE").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("seven.mid"), &drums).unwrap();
        std::fs::write(dir.join("tune.mid"), &tune).unwrap();
    }
    assert_eq!(std::fs::read(dir.join("seven.mid")).unwrap(), drums);
    assert_eq!(std::fs::read(dir.join("tune.mid")).unwrap(), tune);
    let back = parse_midi(&tune, Path::new("tune.mid")).unwrap();
    assert_eq!(back.melodies[0].notes.len(), 16);
    assert_eq!(back.melodies[0].notes[3].start, q(3, 8));
}
