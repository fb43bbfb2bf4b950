//! Credits in every render and recording (issue 12, "Provenance in every
//! render and recording"): `NAME.wav.credits.toml` beside the audio and the
//! same summary in its INFO chunk, naming the scripts that played (with a
//! SHA-256 of each) and only the sources that actually sounded, with their
//! attribution and licence, or "no provenance"; `loam credits NAME.wav`
//! prints them, from the file or else from the INFO chunk; a recording
//! stopped by SIGTERM has them too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use loam::output::wav_info::read_info;
use loam::output::{credits_path, Credits};

use crate::support;
use crate::support::files::{click, write_mono_wav};

fn loam() -> Command {
    Command::new(support::LOAM)
}

/// Writes a one-sound sample folder `dir/NAME/SOUND.wav` (a short click),
/// with a datasheet crediting `who` under `licence` when `who` is given.
fn sample_folder(dir: &Path, name: &str, sound: &str, who: Option<(&str, &str)>) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    write_mono_wav(&folder.join(format!("{sound}.wav")), click(0.8, 480));
    if let Some((who, licence)) = who {
        std::fs::write(
            folder.join("datasheet.toml"),
            format!(
                "[dataset]\n\
                 id = \"{name}-0001\"\n\
                 title = \"{name} recordings\"\n\
                 licence = \"{licence}\"\n\
                 attribution = \"{who}\"\n\
                 contact = \"{name}@example.org\"\n\
                 creators = [\"{who}\"]\n\n\
                 [[consent]]\n\
                 by = \"{who}\"\n\
                 uses = [\"train\", \"perform\", \"share\", \"derive\"]\n\
                 action = \"give\"\n\
                 date = 2026-11-30\n"
            ),
        )
        .unwrap();
    }
    folder
}

/// `loam render SCRIPT --bars BARS -o OUT`; fails the test unless it succeeds.
fn render(script: &Path, bars: u32, out: &Path) {
    let Output { status, stderr, .. } = loam()
        .arg("render")
        .arg(script)
        .args(["--bars", &bars.to_string(), "-o"])
        .arg(out)
        .output()
        .expect("run loam render");
    let err = String::from_utf8_lossy(&stderr);
    assert!(status.success(), "render failed: {err}");
}

/// The INFO field `id` of the WAV at `path` (empty when absent).
fn info(path: &Path, id: &[u8; 4]) -> String {
    read_info(&std::fs::read(path).unwrap())
        .into_iter()
        .find(|f| f.id == *id)
        .map(|f| f.text)
        .unwrap_or_default()
}

/// `loam credits AUDIO`: exit code, stdout, stderr.
fn credits_cli(audio: &Path) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = loam()
        .arg("credits")
        .arg(audio)
        .output()
        .expect("run loam credits");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The SHA-256 of `file` as coreutils' `sha256sum` gives it, when installed.
fn sha256sum(file: &Path) -> Option<String> {
    let out = Command::new("sha256sum").arg(file).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(format!("sha256:{}", text.split_whitespace().next()?))
}

#[test]
fn a_render_credits_only_the_folder_that_sounded() {
    let dir = support::temp_dir("credits-two-folders");
    let played = sample_folder(
        &dir,
        "frame",
        "tar",
        Some(("Frame drums by Ana Example", "CC-BY-4.0")),
    );
    sample_folder(
        &dir,
        "bells",
        "bell",
        Some(("Bells by Bo Example", "CC0-1.0")),
    );
    let script = dir.join("piece.rhai");
    // Both folders are loaded; only `tar` (from `frame`) ever plays, and
    // no kit sound does.
    std::fs::write(
        &script,
        "samples(\"frame\");\nsamples(\"bells\");\nlive_loop(\"t\", \"tar ~ tar tar\");\n",
    )
    .unwrap();
    let out = dir.join("take.wav");
    render(&script, 2, &out);

    let file = credits_path(&out);
    assert_eq!(file, dir.join("take.wav.credits.toml"));
    let credits = Credits::read(&file).unwrap();
    assert_eq!(credits.audio, "take.wav");
    assert_eq!(credits.sounded.len(), 1, "{credits:#?}");
    let source = &credits.sounded[0];
    assert_eq!(source.kind, "sample folder");
    assert_eq!(
        PathBuf::from(&source.path).canonicalize().unwrap(),
        played.canonicalize().unwrap()
    );
    assert_eq!(source.datasets.len(), 1);
    assert_eq!(source.datasets[0].attribution, "Frame drums by Ana Example");
    assert_eq!(source.datasets[0].licence, "CC-BY-4.0");
    assert_eq!(source.datasets[0].id, "frame-0001");
    assert_eq!(source.datasets[0].contact, "frame@example.org");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("Bo Example") && !text.contains("bells"),
        "{text}"
    );
    assert!(!text.contains("built-in kit"), "{text}");
    // No temporary file is left beside it.
    assert!(!dir.join("take.wav.credits.toml.part").exists());

    // The same in the WAV's INFO chunk.
    assert_eq!(info(&out, b"IART"), "Frame drums by Ana Example");
    assert_eq!(info(&out, b"ICOP"), "CC-BY-4.0");
    let comment = info(&out, b"ICMT");
    assert!(comment.contains("Frame drums by Ana Example"), "{comment}");
    assert!(!comment.contains("Bo Example"), "{comment}");
    assert!(info(&out, b"ISFT").starts_with("loam "));
    // The audio is still whole and readable with the chunk after it.
    let (samples, spec) = support::sound::read_wav_spec(&out);
    assert_eq!(spec.channels, 2);
    assert_eq!(samples.len() as u64, 2 * 2 * 48_000 * 2);
    assert!(samples.iter().any(|x| x.abs() > 0.1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_built_in_kit_is_credited_when_it_plays_and_a_bare_folder_has_no_provenance() {
    let dir = support::temp_dir("credits-no-provenance");
    sample_folder(&dir, "found", "crackle", None);
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        "samples(\"found\");\nlive_loop(\"t\", \"crackle kick\");\n",
    )
    .unwrap();
    let out = dir.join("found.wav");
    render(&script, 1, &out);
    let credits = Credits::read(&credits_path(&out)).unwrap();
    let kinds: Vec<&str> = credits.sounded.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds.len(), 2, "{credits:#?}");
    assert!(kinds.contains(&"built-in kit") && kinds.contains(&"sample folder"));
    let found = credits
        .sounded
        .iter()
        .find(|s| s.kind == "sample folder")
        .unwrap();
    assert_eq!(found.note, "no provenance");
    assert!(found.datasets.is_empty());
    let (code, note, err) = credits_cli(&out);
    assert_eq!(code, 0, "{err}");
    let line = format!("- sample folder {}: no provenance", found.path);
    assert!(note.contains(&line), "{note}");
    assert!(
        note.contains("- loam built-in drum kit (synthesised by loam), licence MIT OR Apache-2.0"),
        "{note}"
    );
    assert!(info(&out, b"IART").contains("sounds with no provenance"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loam_credits_prints_attribution_and_licence_from_the_file_or_the_info_chunk() {
    let dir = support::temp_dir("credits-cli");
    sample_folder(
        &dir,
        "choir",
        "ah",
        Some(("Choir of Example Town", "CC-BY-SA-4.0")),
    );
    let script = dir.join("piece.rhai");
    std::fs::write(&script, "samples(\"choir\");\nlive_loop(\"c\", \"ah\");\n").unwrap();
    let out = dir.join("set.wav");
    render(&script, 1, &out);

    let (code, note, err) = credits_cli(&out);
    assert_eq!(code, 0, "{err}");
    assert!(note.starts_with("Credits for set.wav"), "{note}");
    assert!(note.contains("Choir of Example Town"), "{note}");
    assert!(note.contains("licence CC-BY-SA-4.0"), "{note}");
    assert!(note.contains("contact choir@example.org"), "{note}");
    assert!(note.contains("piece.rhai (sha256:"), "{note}");

    // Without its credits file, the WAV's INFO chunk still says the same.
    std::fs::remove_file(credits_path(&out)).unwrap();
    let (code, from_info, err) = credits_cli(&out);
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_info, note);

    // A WAV loam did not make has no credits: said, with the file's name.
    let plain = dir.join("plain.wav");
    write_mono_wav(&plain, click(0.5, 10));
    let (code, out_text, err) = credits_cli(&plain);
    assert_eq!(code, 5, "{out_text}{err}");
    assert!(
        err.contains("plain.wav") && err.contains("no credits"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_script_hash_changes_when_the_script_changes() {
    let dir = support::temp_dir("credits-hash");
    let script = dir.join("piece.rhai");
    let hash_of = |body: &str, out: &str| {
        std::fs::write(&script, body).unwrap();
        let out = dir.join(out);
        render(&script, 1, &out);
        let credits = Credits::read(&credits_path(&out)).unwrap();
        assert_eq!(credits.scripts.len(), 1, "{credits:#?}");
        assert!(credits.scripts[0].path.ends_with("piece.rhai"));
        if let Some(expected) = sha256sum(&script) {
            assert_eq!(credits.scripts[0].hash, expected);
        }
        credits.scripts[0].hash.clone()
    };
    let first = hash_of("live_loop(\"k\", \"kick\");\n", "one.wav");
    let again = hash_of("live_loop(\"k\", \"kick\");\n", "two.wav");
    let changed = hash_of("live_loop(\"k\", \"kick snare\");\n", "three.wav");
    assert!(
        first.starts_with("sha256:") && first.len() == 7 + 64,
        "{first}"
    );
    assert_eq!(first, again);
    assert_ne!(first, changed);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recording_stopped_by_sigterm_keeps_its_credits() {
    let dir = support::temp_dir("credits-sigterm");
    sample_folder(
        &dir,
        "frame",
        "tar",
        Some(("Frame drums by Ana Example", "CC-BY-4.0")),
    );
    sample_folder(
        &dir,
        "bells",
        "bell",
        Some(("Bells by Bo Example", "CC0-1.0")),
    );
    let script = dir.join("piece.rhai");
    // bar(n) runs as bar n is planned, a little ahead of its time.
    std::fs::write(
        &script,
        "samples(\"frame\");\nsamples(\"bells\");\nlive_loop(\"t\", \"tar*4\");\n\
         fn bar(n) { print(`planning bar ${n}`); }\n",
    )
    .unwrap();
    let rec = dir.join("take.wav");
    let mut serving = support::spawn(
        support::serve_command(&script)
            .args(["--osc", "off", "--record"])
            .arg(&rec),
    );
    serving.wait_playing();
    // Bar 1 is planned once bar 0 (four `tar`s) is well under way.
    serving.wait_line("planning bar 2");
    support::process::sigterm(serving.pid());
    let support::Finished { status, stderr, .. } = serving.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(rec.exists(), "{stderr}");
    assert!(!dir.join("take.wav.part").exists());
    assert!(!dir.join("take.wav.credits.toml.part").exists());
    let credits = Credits::read(&credits_path(&rec)).unwrap();
    assert_eq!(credits.sounded.len(), 1, "{credits:#?}");
    assert_eq!(
        credits.sounded[0].datasets[0].attribution,
        "Frame drums by Ana Example"
    );
    assert_eq!(credits.scripts.len(), 1);
    assert_eq!(info(&rec, b"IART"), "Frame drums by Ana Example");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_model_that_played_is_credited_from_its_card() {
    let dir = support::temp_dir("credits-model");
    let Some(dir) = support::models::export(&dir) else {
        return;
    };
    std::fs::write(
        dir.join("full.ts.toml"),
        "[model]\nkind = \"test decoder\"\n\n\
         [[datasets]]\nid = \"choir-0001\"\ntitle = \"Choir takes\"\npath = \"../choir\"\n\
         attribution = \"Choir of Example Town\"\nlicence = \"CC-BY-SA-4.0\"\ncontact = \"choir@example.org\"\n",
    )
    .unwrap();
    // The click folder is loaded but never played (the loop rests).
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"dc\", \"full.ts\", \"decode\");\nlive_loop(\"k\", \"~\");\n\
         fn bar(n) { print(`planning bar ${n}`); }\n",
    );
    let rec = dir.join("take.wav");
    let mut serving = support::spawn(
        support::serve_command(&script)
            .args(["--osc", "off", "--record"])
            .arg(&rec),
    );
    serving.wait_playing();
    serving.wait_line("model 'dc' plays");
    // A bar planned after the model plays: blocks of it have been mixed.
    serving.wait_line("planning bar");
    serving.wait_line("planning bar");
    support::process::sigterm(serving.pid());
    let support::Finished { status, stderr, .. } = serving.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let credits = Credits::read(&credits_path(&rec)).unwrap();
    assert_eq!(credits.sounded.len(), 1, "{credits:#?}");
    let model = &credits.sounded[0];
    assert_eq!(model.kind, "model");
    assert!(model.path.ends_with("full.ts"), "{}", model.path);
    assert!(model.described_by.ends_with("full.ts.toml"));
    assert_eq!(model.datasets.len(), 1);
    assert_eq!(model.datasets[0].id, "choir-0001");
    assert_eq!(model.datasets[0].attribution, "Choir of Example Town");
    assert_eq!(model.datasets[0].licence, "CC-BY-SA-4.0");
    assert_eq!(info(&rec, b"IART"), "Choir of Example Town");
    let _ = std::fs::remove_dir_all(&dir);
}
