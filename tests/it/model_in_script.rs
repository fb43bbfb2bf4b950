//! A rhythm VAE trained by `loam train` on the shipped dataset, loaded by a
//! script, and played: its decoded and sampled bars become loops.

use crate::support;

use std::path::Path;
use std::process::Command;

#[test]
fn a_trained_vae_plays_from_a_script() {
    let dir = support::temp_dir("vae-script");
    let model = dir.join("groove.model");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
    let out = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("train")
        .arg(&data)
        .args(["--model", "rhythm-vae", "--latent", "2", "-o"])
        .arg(&model)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(dir.join("groove.png").exists(), "no latent picture: {err}");
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        "metre(\"2+2+3/8\");\ntempo(140);\nlet v = vae_load(\"groove.model\");\n\
         if v.latent_size() != 2 { throw \"latent size\"; }\n\
         live_loop(\"gen\", v.decode([0.0, 0.0], 0.3));\n\
         fn bar(n) { if n == 2 { let w = vae_load(\"groove.model\"); live_loop(\"gen\", w.sample(n)); }\n\
         if n == 3 { let v = vae_load(\"groove.model\"); let a = v.decode([0.5, 0.5], 0.3, 0.8, 7); let b = v.decode([0.5, 0.5], 0.3, 0.8, 7); if a != b { throw \"noise is seeded\"; } } }\n",
    )
    .unwrap();
    let mut onsets = 0;
    let report = loam::output::offline::render_samples(&script, 4, 48_000, 256, |s| {
        let mut prev = 0.0f32;
        for f in s.chunks_exact(2) {
            if f[0].abs() > 0.05 && prev < 0.01 {
                onsets += 1;
            }
            prev = f[0].abs();
        }
        Ok(())
    })
    .unwrap();
    assert!(
        report.messages.iter().all(|m| !m.contains("error")),
        "{:?}",
        report.messages
    );
    assert!(
        onsets >= 4,
        "the decoded grooves should sound: {onsets} onsets"
    );
    // A model file outside the script's folder is refused with a clear
    // message: a script one folder down reaching up for it.
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let script = sub.join("piece.rhai");
    std::fs::write(&script, "let v = vae_load(\"../groove.model\");\n").unwrap();
    let e = loam::script::Script::load(&script)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("vae_load: '../groove.model' leads to"), "{e}");
    assert!(e.contains("outside the folders loam reads from"), "{e}");
}
