//! One path rule for every loader (issue 10 §2): relative paths from the
//! script's folder, absolute ones as written, and the real location (links
//! followed) inside the script's folder or a `--library` folder.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `root/script` (the script's folder) and `root/outside`, each with a
/// `kit/` sample folder holding one 0.25 sine `tone.wav`.
fn layout(tag: &str) -> PathBuf {
    let root = support::temp_dir(tag);
    for d in ["script/kit", "outside/kit"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(root.join(d).join("tone.wav"), spec).unwrap();
        for i in 0..4800 {
            let v = 0.25 * (i as f64 * 2.0 * std::f64::consts::PI * 1000.0 / 48_000.0).sin();
            w.write_sample((v * 32767.0) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
    root.canonicalize().unwrap()
}

/// Renders one bar of `samples(folder)` playing `tone`: its peak and messages.
fn render_with(root: &Path, folder: &str) -> (f32, Vec<String>) {
    let script = root.join("script").join("piece.rhai");
    std::fs::write(
        &script,
        format!("samples({folder:?});\ntempo(120);\nlive_loop(\"t\", \"tone\");\n"),
    )
    .unwrap();
    let mut peak = 0.0f32;
    let report = loam::output::offline::render_samples(&script, 1, 48_000, 256, |s| {
        peak = s.iter().fold(peak, |p, v| p.max(v.abs()));
        Ok(())
    });
    match report {
        Ok(r) => (peak, r.messages),
        Err(e) => (peak, vec![e.to_string()]),
    }
}

#[test]
fn samples_relative_and_absolute_inside_the_script_folder_play() {
    let root = layout("inside");
    let abs = root.join("script/kit").display().to_string();
    for folder in ["kit", "./kit", abs.as_str()] {
        let (peak, said) = render_with(&root, folder);
        assert!(peak > 0.05, "{folder}: silent ({said:?})");
    }
}

#[test]
fn samples_outside_the_script_folder_are_refused_naming_where_they_lead() {
    let root = layout("outside");
    let outside = root.join("outside/kit");
    std::os::unix::fs::symlink(&outside, root.join("script/escape")).unwrap();
    std::os::unix::fs::symlink(root.join("script/kit"), root.join("script/alias")).unwrap();
    let abs = outside.display().to_string();
    for folder in [
        abs.as_str(),
        "../outside/kit",
        "kit/../../outside/kit",
        "escape",
    ] {
        let (peak, said) = render_with(&root, folder);
        let said = said.join("\n");
        assert!(peak == 0.0, "{folder}: played from outside");
        assert!(
            said.contains(&format!(
                "samples: '{folder}' leads to {}, outside the folders loam reads from",
                outside.display()
            )),
            "{folder}: {said}"
        );
        assert!(said.contains("--library DIR"), "{said}");
    }
    // A link pointing inside is fine.
    let (peak, said) = render_with(&root, "alias");
    assert!(peak > 0.05, "alias: silent ({said:?})");
    // A missing folder is an error naming it.
    let (_, said) = render_with(&root, "nope");
    let said = said.join("\n");
    assert!(said.contains("samples: 'nope' does not exist"), "{said}");
}

#[test]
fn a_library_folder_given_to_render_may_be_read() {
    let root = layout("library");
    let outside = root.join("outside");
    let script = root.join("script").join("piece.rhai");
    std::fs::write(
        &script,
        format!(
            "samples({:?});\ntempo(120);\nlive_loop(\"t\", \"tone\");\n",
            outside.join("kit").display().to_string()
        ),
    )
    .unwrap();
    let out = root.join("out.wav");
    let run = |library: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loam"));
        cmd.arg("render")
            .arg(&script)
            .args(["--bars", "1", "-o"])
            .arg(&out);
        if let Some(l) = library {
            cmd.arg("--library").arg(l);
        }
        let o = cmd.output().unwrap();
        let peak = hound::WavReader::open(&out)
            .map(|mut r| {
                r.samples::<f32>()
                    .map(|s| s.unwrap().abs())
                    .fold(0.0f32, f32::max)
            })
            .unwrap_or(0.0);
        (peak, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (peak, err) = run(None);
    assert!(peak == 0.0, "played without --library: {err}");
    assert!(err.contains("--library DIR"), "{err}");
    let (peak, err) = run(Some(&outside));
    assert!(peak > 0.05, "silent with --library: {err}");
    assert!(!err.contains("outside the folders"), "{err}");
    // A --library that is not a folder stops loam before it plays.
    let o = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&script)
        .args(["--bars", "1", "-o"])
        .arg(&out)
        .arg("--library")
        .arg(root.join("nowhere"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--library ") && err.contains("nowhere"),
        "{err}"
    );
}
