//! TorchScript models in offline renders (`loam render`): they play as in
//! `loam serve` (routes, latents, attributes, one buffer of latency), and
//! the file is bit-identical from run to run and for engine blocks of 1, 64
//! and 1000 frames; `--input FILE` stands in for the live input; what
//! cannot render is an error, never a silent model. The models are the
//! nn-tilde exports of tests/models/export_nn_tilde.py (SKIP without the
//! torch venv, as in model_torchscript).

use crate::support;

use std::path::{Path, PathBuf};

use loam::output::{RenderError, RenderOptions};

fn models(tag: &str) -> Option<PathBuf> {
    let dir = support::temp_dir(tag);
    support::models::export(&dir)
}

/// The render's samples, which must not fail.
fn render(
    script: &Path,
    bars: i64,
    block: usize,
    options: &RenderOptions,
) -> (Vec<f32>, Vec<String>) {
    let (samples, report) = support::render::render_with(script, bars, block, options)
        .unwrap_or_else(|e| panic!("render at block {block}: {e}"));
    assert_eq!(report.late_events, 0);
    (samples, report.messages)
}

/// The samples as bits, so that -0.0 and NaN compare exactly.
fn bits(samples: &[f32]) -> Vec<u32> {
    samples.iter().map(|s| s.to_bits()).collect()
}

fn left(samples: &[f32], frame: usize) -> f32 {
    samples[frame * 2]
}

fn right(samples: &[f32], frame: usize) -> f32 {
    samples[frame * 2 + 1]
}

/// The smallest buffer loam streams at, and so the latency of `full.ts`'s
/// routes (their ratios are 1 and 64) in a render: 256 frames at 48 kHz.
const LATENCY: usize = loam::model::torchscript::probe::MIN_MODEL_BUFFER;

/// Renders `script` at blocks of 64 (twice), 1 and 1000 frames, checks the
/// four are identical, samples and messages, and returns one.
fn render_everywhere(script: &Path, bars: i64, options: &RenderOptions) -> (Vec<f32>, Vec<String>) {
    let (a, said) = render(script, bars, 64, options);
    let (again, said_again) = render(script, bars, 64, options);
    let (one, said_one) = render(script, bars, 1, options);
    let (big, said_big) = render(script, bars, 1000, options);
    assert!(bits(&a) == bits(&again), "two renders differ");
    assert!(bits(&a) == bits(&one), "blocks of 64 and 1 differ");
    assert!(bits(&a) == bits(&big), "blocks of 64 and 1000 differ");
    // What the script printed, in order; the models' measured timing
    // (a real-time factor) is the machine's, not the render's.
    let score = |m: &[String]| -> Vec<String> {
        m.iter()
            .filter(|l| !l.contains("real-time factor"))
            .cloned()
            .collect()
    };
    assert_eq!(score(&said), score(&said_again));
    assert_eq!(score(&said), score(&said_one));
    assert_eq!(score(&said), score(&said_big));
    (a, said)
}

#[test]
fn a_decoder_renders_bit_identically_twice_and_at_block_sizes_1_64_and_1000() {
    let Some(dir) = models("render-decoder") else {
        return;
    };
    // 480 bpm in 4/4: a bar is 24,000 frames. The latent moves every bar.
    let script = support::script_with_click(
        &dir,
        "tempo(480);
         model_load(\"dc\", \"full.ts\", \"decode\");
         fn bar(n) { model_latent(\"dc\", [0.05 * n, 0.02, 0.1, 0.0]); }
         live_loop(\"k\", \"~\");
",
    );
    let (a, said) = render_everywhere(&script, 4, &RenderOptions::default());
    assert_eq!(a.len(), 4 * 24_000 * 2);
    assert!(
        said.iter().any(
            |m| m.contains(&format!("model 'dc' plays (latency {LATENCY} frames)"))
                && m.contains("real-time factor")
        ),
        "{said:?}"
    );
    // Silent for exactly one buffer, then left = z0 + z1, right = z2 − z3
    // (× master gain 0.5), the latent set on bar 0's first frame.
    for f in 0..LATENCY {
        assert_eq!((left(&a, f), right(&a, f)), (0.0, 0.0), "frame {f}");
    }
    assert!(
        (left(&a, LATENCY) - 0.01).abs() < 1e-6,
        "{}",
        left(&a, LATENCY)
    );
    assert!(
        (right(&a, LATENCY) - 0.05).abs() < 1e-6,
        "{}",
        right(&a, LATENCY)
    );
    // Bar 2's latent (z0 = 0.1), set on its first frame (48,000), is heard
    // from the first buffer computed after it: 48,128 (buffers of 256
    // frames from frame 256 on).
    assert!(
        (left(&a, 48_127) - 0.035).abs() < 1e-6,
        "{}",
        left(&a, 48_127)
    );
    assert!(
        (left(&a, 48_128) - 0.06).abs() < 1e-6,
        "{}",
        left(&a, 48_128)
    );
}

#[test]
fn an_encoder_fed_a_sound_renders_identically_and_scripts_read_its_latent() {
    let Some(dir) = models("render-encoder") else {
        return;
    };
    // The encoder listens to a looped kick; the script reads its latent
    // back each bar (printed, so the messages are compared too).
    let script = support::script_with_click(
        &dir,
        "tempo(480);
         model_load(\"enc\", \"full.ts\", \"encode-decode\");
         model_input(\"enc\", \"kick\");
         model_gain(\"enc\", 0.5);
         fn bar(n) { print(`enc ${model_latent_now(\"enc\")}`); }
         live_loop(\"k\", \"~\");
",
    );
    let (a, said) = render_everywhere(&script, 4, &RenderOptions::default());
    let read: std::collections::BTreeSet<&String> =
        said.iter().filter(|m| m.contains("enc [")).collect();
    assert!(read.len() >= 3, "{said:?}");
    // Silent for one buffer, then the kick's decoded block means.
    assert!(a[..LATENCY * 2].iter().all(|s| *s == 0.0));
    assert!(a[LATENCY * 2..].iter().any(|s| s.abs() > 1e-3));
}

#[test]
fn the_input_file_is_heard_where_live_input_would_be_one_buffer_late() {
    let Some(dir) = models("render-input") else {
        return;
    };
    // A burst of 0.4 from frame 10,000 to 10,099, in a second of silence.
    let take = dir.join("take.wav");
    support::files::write_mono_wav(
        &take,
        (0..48_000).map(|i| {
            if (10_000..10_100).contains(&i) {
                0.4
            } else {
                0.0
            }
        }),
    );
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in\");\nlive_loop(\"k\", \"~\");\n",
    );
    let options = RenderOptions {
        input: Some(take.clone()),
        model_buffer: None,
    };
    let (a, _) = render(&script, 2, 64, &options);
    let (one, _) = render(&script, 2, 1, &options);
    let (big, _) = render(&script, 2, 1000, &options);
    assert!(bits(&a) == bits(&one) && bits(&a) == bits(&big));
    // forward = input × gain 0.5, × master gain 0.5, mono on both sides,
    // exactly one buffer after the input.
    let start = 10_000 + LATENCY;
    for f in 0..48_000 {
        let want = if (start..start + 100).contains(&f) {
            0.1
        } else {
            0.0
        };
        assert!(
            (left(&a, f) - want).abs() < 1e-6 && (right(&a, f) - want).abs() < 1e-6,
            "frame {f}: {} {} (want {want})",
            left(&a, f),
            right(&a, f)
        );
    }
    // "in:1" is the same channel; a larger buffer is a later answer.
    std::fs::write(
        &script,
        "tempo(480);\nmodel_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in:1\");\nlive_loop(\"k\", \"~\");\n",
    )
    .unwrap();
    let late = RenderOptions {
        input: Some(take.clone()),
        model_buffer: Some(1024),
    };
    let (b, _) = render(&script, 2, 64, &late);
    assert!((left(&b, 10_000 + 1024) - 0.1).abs() < 1e-6);
    assert_eq!(left(&b, 10_000 + 1023), 0.0);
    // A second channel a mono file does not have, and no input at all: errors.
    std::fs::write(
        &script,
        "model_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in:2\");\n",
    )
    .unwrap();
    let e = support::render::render_with(&script, 1, 64, &options).unwrap_err();
    assert!(e.to_string().contains("1 channel"), "{e}");
    std::fs::write(
        &script,
        "model_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in\");\n",
    )
    .unwrap();
    let e = support::render::render_with(&script, 1, 64, &RenderOptions::default()).unwrap_err();
    assert!(matches!(e, RenderError::Model(_)), "{e:?}");
    assert!(e.to_string().contains("--input"), "{e}");
}

#[test]
fn what_cannot_render_stops_the_render_with_its_reason() {
    let Some(dir) = models("render-errors") else {
        return;
    };
    let cases = [
        ("model_load(\"bad\", \"truncated.ts\");\n", "truncated.ts"),
        ("model_latent(\"nobody\", [1.0]);\n", "no model 'nobody'"),
        (
            "model_load(\"x\", \"full.ts\", \"explode\");\nmodel_input(\"x\", \"kick\");\n",
            "explode",
        ),
        (
            "model_load(\"dc\", \"full.ts\", \"decode\");\nmodel_set(\"dc\", \"nothing\", 1);\n",
            "nothing",
        ),
        (
            "model_load(\"dc\", \"full.ts\", \"decode\");\nmodel_input(\"dc\", \"kick\");\n",
            "takes no audio",
        ),
        (
            "model_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"nothing\");\n",
            "no sound 'nothing'",
        ),
    ];
    for (body, says) in cases {
        let script = support::script_with_click(&dir, body);
        let e = support::render::render_with(&script, 1, 64, &RenderOptions::default())
            .expect_err(body);
        assert!(matches!(e, RenderError::Model(_)), "{body}: {e:?}");
        assert!(e.to_string().contains(says), "{body}: {e}");
    }
    // The input file itself is never the render's target.
    let take = dir.join("take.wav");
    support::files::write_mono_wav(&take, support::files::click(0.5, 100));
    let script =
        support::script_with_click(&dir, "model_load(\"fx\", \"full.ts\", \"forward\");\n");
    let e = loam::output::render_with(
        &script,
        1,
        48_000,
        64,
        &take,
        &RenderOptions {
            input: Some(take.clone()),
            model_buffer: None,
        },
    )
    .unwrap_err();
    assert!(matches!(e, RenderError::Target(_)), "{e:?}");
}

#[test]
fn loam_render_takes_an_input_file_and_says_how_each_model_keeps_up() {
    let Some(dir) = models("render-cli") else {
        return;
    };
    let take = dir.join("take.wav");
    support::files::write_mono_wav(
        &take,
        (0..24_000).map(|i| if i == 5_000 { 0.4 } else { 0.0 }),
    );
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in\");\nlive_loop(\"k\", \"~\");\n",
    );
    let out = dir.join("out.wav");
    let _turn = support::alone::shared();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&script)
        .args(["--bars", "1", "--block-size", "1000", "-o"])
        .arg(&out)
        .arg("--input")
        .arg(&take)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    assert!(
        said.contains("model 'fx' plays (latency 256 frames)") && said.contains("real-time factor"),
        "{said}"
    );
    let audio = support::read_wav(&out);
    let f = 5_000 + LATENCY;
    assert!((audio[f * 2] - 0.1).abs() < 1e-6, "{}", audio[f * 2]);
    assert_eq!(audio[(f - 1) * 2], 0.0);
    // Without the input, the same script is an error (exit 5), not silence.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&script)
        .args(["--bars", "1", "-o"])
        .arg(dir.join("none.wav"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--input"));
}

/// A take file of `seconds` seconds (mono, 48 kHz) that never repeats and
/// is never 0: every frame of a capture can be told from every other.
fn take_file(path: &Path, seconds: usize) {
    support::files::write_mono_wav(
        path,
        (0..seconds * 48_000).map(|i| {
            let t = i as f64 / 48_000.0;
            (0.2 + 0.1 * (std::f64::consts::TAU * t / 5.3).sin()
                + 0.05 * (std::f64::consts::TAU * 440.0 * t).sin()) as f32
        }),
    );
}

/// In 3/4 at 180 bpm a bar is one second: 48,000 frames.
const BAR: usize = 48_000;

/// A voice ends with a 2 ms fade: the last 5 ms of a take are not compared.
const FADE: usize = 240;

#[test]
fn capture_in_a_render_records_the_input_file_and_plays_it_on_the_next_bar() {
    let dir = support::temp_dir("render-capture");
    let take = dir.join("take.wav");
    take_file(&take, 5);
    // The first run's capture records bar 1 and plays from bar 2, hard
    // left; bar 2's code captures bar 2, played from bar 3, hard right.
    let script = support::script_with_click(
        &dir,
        "metre(\"3/4\");\ntempo(180);\ncapture(\"first\", 1);\nfn bar(n) { if n == 2 { capture(\"second\", 1); } }\nlive_loop(\"a\", \"first ~ ~\").pan(\"-1\");\nlive_loop(\"b\", \"second ~ ~\").pan(\"1\");\n",
    );
    let options = RenderOptions {
        input: Some(take.clone()),
        model_buffer: None,
    };
    let (a, said) = render(&script, 5, 64, &options);
    // The same for any block, longer than the engine's input block too.
    for block in [1, 1000, 10_000] {
        let (b, _) = render(&script, 5, block, &options);
        assert!(bits(&a) == bits(&b), "blocks of 64 and {block} differ");
    }
    assert!(
        said.iter()
            .any(|m| m.contains("capture 'first': bars 1 to 1 (frames 48000 to 96000)")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m.contains("capture 'second': bars 2 to 2 (frames 96000 to 144000)")),
        "{said:?}"
    );
    let file = support::read_wav(&take);
    // Silent until the first take plays, on bar 2's first frame.
    assert!(
        a[..2 * BAR * 2].iter().all(|s| *s == 0.0),
        "something played in bars 0 and 1"
    );
    let gain = left(&a, 2 * BAR) / file[BAR];
    assert!(gain > 0.1, "gain {gain}");
    // Each take is its bar of the file, frame for frame, and plays again
    // on each bar line after.
    for (bar, take_bar, side) in [(2, 1, 0), (3, 1, 0), (4, 1, 0), (3, 2, 1), (4, 2, 1)] {
        for i in 0..BAR - FADE {
            let want = file[take_bar * BAR + i] * gain;
            let got = a[(bar * BAR + i) * 2 + side];
            assert!(
                (want - got).abs() < 1e-6,
                "bar {bar}, side {side}, frame {i}: {got}, expected {want} (file bar {take_bar})"
            );
        }
    }
    // The second take is silent before bar 3.
    assert!((0..3 * BAR).all(|f| right(&a, f) == 0.0));
    // The input gain applies to what is captured, as live.
    std::fs::write(
        &script,
        "samples(\"samples\");\nmetre(\"3/4\");\ntempo(180);\ninput_gain(0.5);\ncapture(\"first\", 1);\nlive_loop(\"a\", \"first ~ ~\").pan(\"-1\");\n",
    )
    .unwrap();
    let (half, _) = render(&script, 3, 64, &options);
    for i in 0..BAR - FADE {
        let (full, got) = (left(&a, 2 * BAR + i), left(&half, 2 * BAR + i));
        assert!(
            (full * 0.5 - got).abs() < 1e-6,
            "frame {i} at input gain 0.5: {got}, expected {}",
            full * 0.5
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn capture_in_a_render_without_an_input_file_says_so_and_the_render_goes_on() {
    let dir = support::temp_dir("render-capture-none");
    let script = support::script_with_click(
        &dir,
        "metre(\"3/4\");\ntempo(180);\ncapture(\"take\", 1);\nlive_loop(\"k\", \"click ~ ~\");\n",
    );
    let (a, said) = render(&script, 2, 64, &RenderOptions::default());
    assert!(
        said.iter().any(|m| m.contains("capture(\"take\", 1): this render has no input: give one with `loam render --input FILE`")),
        "{said:?}"
    );
    assert!(a.iter().any(|s| *s != 0.0), "the click did not play");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `sha256:` and the hex SHA-256 of `path`'s bytes.
fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(std::fs::read(path).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Renders `body` (after the click folder) 3 bars to `out.wav` with
/// `take` as input; the credits file's text.
fn credits_of_render(dir: &Path, body: &str, take: &Path) -> String {
    let script = support::script_with_click(dir, body);
    let out = dir.join("out.wav");
    let _turn = support::alone::shared();
    loam::output::render_with(
        &script,
        3,
        48_000,
        64,
        &out,
        &RenderOptions {
            input: Some(take.to_path_buf()),
            model_buffer: None,
        },
    )
    .unwrap_or_else(|e| panic!("{body}: {e}"));
    std::fs::read_to_string(dir.join("out.wav.credits.toml")).unwrap()
}

#[test]
fn the_input_file_is_credited_as_live_input_only_when_it_sounded() {
    let dir = support::temp_dir("render-input-credits");
    let take = dir.join("take.wav");
    take_file(&take, 4);
    let hash = sha256_of(&take);
    let named = |credits: &str| {
        credits.contains("kind = \"live input\"")
            && credits.contains(&format!("path = \"{}\"", take.display()))
            && credits.contains(&format!(
                "live input, from the input file {} ({hash}) (the performers)",
                take.display()
            ))
    };
    let head = "metre(\"3/4\");\ntempo(180);\nlive_loop(\"k\", \"click ~ ~\");\n";
    // Sounded: a take of it played, or the monitor played it.
    for body in [
        "capture(\"take\", 1);\nlive_loop(\"t\", \"take ~ ~\");\n",
        "input_monitor(1.0);\n",
    ] {
        let credits = credits_of_render(&dir, &format!("{head}{body}"), &take);
        assert!(named(&credits), "{body}:\n{credits}");
    }
    // Not sounded: nothing takes it, a take nobody plays, the monitor at
    // an input gain of 0.
    for body in [
        "",
        "capture(\"take\", 1);\n",
        "input_gain(0.0);\ninput_monitor(1.0);\n",
    ] {
        let credits = credits_of_render(&dir, &format!("{head}{body}"), &take);
        assert!(!credits.contains("live input"), "{body}:\n{credits}");
        assert!(
            credits.contains("built-in kit") || credits.contains("sample folder"),
            "{body}:\n{credits}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_model_that_hears_the_input_file_credits_it() {
    let Some(dir) = models("render-input-model-credits") else {
        return;
    };
    let take = dir.join("take.wav");
    take_file(&take, 2);
    let credits = credits_of_render(
        &dir,
        "tempo(480);\nmodel_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in\");\nlive_loop(\"k\", \"~\");\n",
        &take,
    );
    assert!(
        credits.contains(&format!(
            "live input, from the input file {} ({})",
            take.display(),
            sha256_of(&take)
        )),
        "{credits}"
    );
    // A model that hears silence does not credit the file.
    let quiet = dir.join("quiet.wav");
    support::files::write_mono_wav(&quiet, (0..48_000).map(|_| 0.0));
    let credits = credits_of_render(
        &dir,
        "tempo(480);\nmodel_load(\"fx\", \"full.ts\", \"forward\");\nmodel_input(\"fx\", \"in\");\nlive_loop(\"k\", \"~\");\n",
        &quiet,
    );
    assert!(!credits.contains("live input"), "{credits}");
}

#[test]
fn a_render_says_that_it_ignores_link_requests() {
    let dir = support::temp_dir("render-link");
    let script = support::script_with_click(
        &dir,
        "link(true);\nlink_quantum(4);\nfn bar(n) { if n == 1 { link_play(true); link_start_stop(false); } }\nlive_loop(\"k\", \"click\");\n",
    );
    let (a, said) = render(&script, 2, 64, &RenderOptions::default());
    for call in [
        "link(true)",
        "link_quantum(4)",
        "link_play(true)",
        "link_start_stop(false)",
    ] {
        let line = format!("{call}: ignored in a render (a render keeps its own clock; Ableton Link plays only in `loam serve`)");
        assert_eq!(
            said.iter().filter(|m| **m == line).count(),
            1,
            "{call}: {said:?}"
        );
    }
    // The music plays on.
    assert!(a.iter().any(|s| *s != 0.0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A model that draws from libtorch's random generator (RAVE v2's
/// `decode` pads the latent with `torch.randn`; the test model `streaming`
/// adds noise the same way) renders the same file twice: a render seeds
/// the generator before each buffer it computes, from the model's file
/// name and the buffer's number. Its `forward` (ratio 1 on paper, 1024
/// samples a call in fact) plays at the model's largest ratio, as in nn~.
/// Run as `loam render` twice, in processes of their own.
#[test]
fn a_model_that_draws_noise_renders_identically_twice() {
    let Some(dir) = models("render-noise") else {
        return;
    };
    let take = dir.join("take.wav");
    support::files::write_mono_wav(&take, (0..48_000).map(|i| (i as f32 * 0.01).sin() * 0.3));
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"dc\", \"streaming.ts\", \"decode\");\nmodel_load(\"fx\", \"streaming.ts\", \"forward\");\nmodel_input(\"fx\", \"in\");\nlive_loop(\"k\", \"~\");\n",
    );
    let _turn = support::alone::shared();
    let render = |name: &str| {
        let out = dir.join(name);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
            .arg("render")
            .arg(&script)
            .args(["--bars", "2", "-o"])
            .arg(&out)
            .arg("--input")
            .arg(&take)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(run.status.success(), "{said}");
        (support::read_wav(&out), said)
    };
    let (a, said) = render("a.wav");
    let (b, _) = render("b.wav");
    // Both models play one 1024-frame buffer late (the model's largest ratio).
    assert!(
        said.contains("model 'dc' plays (latency 1024 frames)")
            && said.contains("model 'fx' plays (latency 1024 frames)"),
        "{said}"
    );
    assert!(a[..1024 * 2].iter().all(|&v| v == 0.0));
    let noisy = a[1024 * 2..].iter().filter(|v| v.abs() > 1e-4).count();
    assert!(
        noisy > a.len() / 4,
        "the noise never sounded ({noisy} frames)"
    );
    assert!(bits(&a) == bits(&b), "two renders of a noisy model differ");
}
