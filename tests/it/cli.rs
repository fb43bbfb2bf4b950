//! The `loam` command as a performer meets it: renders, the live server on
//! the null sink, recordings finalised on SIGTERM, and clear errors with
//! meaningful exit codes for bad input.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

fn loam() -> Command {
    Command::new(env!("CARGO_BIN_EXE_loam"))
}

fn run(cmd: &mut Command) -> (i32, String) {
    let Output { status, stderr, .. } = cmd.output().expect("run loam");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn script(tag: &str, body: &str) -> std::path::PathBuf {
    let dir = support::temp_dir(tag);
    let p = dir.join("piece.rhai");
    std::fs::write(&p, body).unwrap();
    p
}

fn wav_seconds(path: &Path) -> f64 {
    let (samples, spec) = support::sound::read_wav_spec(path);
    samples.len() as f64 / spec.channels as f64 / spec.sample_rate as f64
}

#[test]
fn render_writes_a_wav_of_the_asked_length() {
    let s = script(
        "render",
        "metre(\"6/8\"); tempo(120); live_loop(\"k\", \"kick | hat\");",
    );
    let out = s.with_file_name("out.wav");
    let (code, err) = run(loam()
        .args(["render"])
        .arg(&s)
        .args(["--bars", "4", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    // 6/8 at 120 dotted quarters: 1 s a bar.
    assert!((wav_seconds(&out) - 4.0).abs() < 1e-3);
}

#[test]
fn an_unknown_metre_names_itself_and_the_accepted_forms() {
    let s = script("metre", "metre(\"7/7\");\nlive_loop(\"k\", \"kick\");");
    let (code, err) = run(loam()
        .arg("render")
        .arg(&s)
        .args(["--bars", "1", "-o", "/dev/null"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("'7/7'") && err.contains("2+2+3/8"), "{err}");
    assert!(
        err.contains("piece.rhai:1"),
        "names the file and line: {err}"
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let s = script("syntax", "tempo(120);\nlive_loop(\"k\", \"kick\"\n");
    let (code, err) = run(loam()
        .arg("render")
        .arg(&s)
        .args(["--bars", "1", "-o", "/dev/null"]));
    assert_eq!(code, 3);
    assert!(err.contains("piece.rhai:3:"), "{err}");
}

#[test]
fn a_missing_script_is_named() {
    let (code, err) = run(loam().args([
        "render",
        "/nonexistent/x.rhai",
        "--bars",
        "1",
        "-o",
        "/dev/null",
    ]));
    assert_eq!(code, 3);
    assert!(
        err.contains("/nonexistent/x.rhai") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn unknown_sounds_and_bad_wavs_are_named_and_the_music_goes_on() {
    let s = script(
        "badsound",
        "samples(\"samples\");\nlive_loop(\"a\", \"kick kik\");\n",
    );
    let dir = s.parent().unwrap().join("samples");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.wav"), b"not a wav at all").unwrap();
    // A folder with nothing readable fails the script that asks for it.
    let out = s.with_file_name("out.wav");
    let (code, err) = run(loam()
        .arg("render")
        .arg(&s)
        .args(["--bars", "2", "-o"])
        .arg(&out));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("samples") && err.contains("none of its 1 WAV files could be read"),
        "{err}"
    );
    // With a good sound beside it, the bad one is left out and named.
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(dir.join("tone.wav"), spec).unwrap();
    for i in 0..4800 {
        w.write_sample(((i as f32 * 0.05).sin() * 16_000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let (code, err) = run(loam()
        .arg("render")
        .arg(&s)
        .args(["--bars", "2", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("left out") && err.contains("broken.wav") && err.contains("not a WAV"),
        "{err}"
    );
    assert!(err.contains("loaded 1 sounds"), "{err}");
    assert!(err.contains("unknown sound 'kik'"), "{err}");
    // The kick still plays.
    let peak = support::read_wav(&out)
        .iter()
        .map(|x| x.abs())
        .fold(0.0, f32::max);
    assert!(peak > 0.1);
}

#[test]
fn a_runtime_error_in_bar_skips_that_bar_only() {
    let s = script(
        "runtime",
        "live_loop(\"k\", \"kick\");\nfn bar(n) { if n == 1 { let x = 1 / 0; } }\n",
    );
    let out = s.with_file_name("out.wav");
    let (code, err) = run(loam()
        .arg("render")
        .arg(&s)
        .args(["--bars", "3", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("bar 1:") && err.contains("piece.rhai:2"),
        "{err}"
    );
}

#[test]
fn bad_arguments_exit_2() {
    let s = script("args", "live_loop(\"k\", \"kick\");");
    let (code, err) = run(loam().arg("serve").arg(&s).args(["--host", "bogus"]));
    assert_eq!(code, 2);
    assert!(err.contains("bogus"));
    let (code, _) = run(loam().args(["render"]));
    assert_eq!(code, 2);
}

#[test]
fn serve_on_the_null_sink_records_and_reports() {
    let s = script(
        "serve",
        "metre(\"7/8\"); tempo(140); live_loop(\"k\", \"kick hat | snare | hat hat hat\");",
    );
    let rec = s.with_file_name("live.wav");
    let (code, err) = run(loam()
        .arg("serve")
        .arg(&s)
        .args(["--host", "null", "--duration", "1.5", "--record"])
        .arg(&rec));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("null sink"), "{err}");
    assert!(err.contains("late_events=0"), "{err}");
    let secs = wav_seconds(&rec);
    assert!((1.2..2.5).contains(&secs), "recorded {secs} s");
}

#[test]
fn sigterm_finalises_the_recording() {
    // bar(n) runs as bar n is planned, within the lookahead before it.
    let s = script(
        "sigterm",
        "live_loop(\"k\", \"kick*4\");\nfn bar(n) { print(`planning bar ${n}`); }\n",
    );
    let rec = s.with_file_name("take.wav");
    let mut serving = support::spawn(
        support::serve_command(&s)
            .args(["--osc", "off", "--record"])
            .arg(&rec),
    );
    serving.wait_playing();
    // Bar 2 (4 s in at 120) is being planned, a little ahead of its
    // time: more than bar 0 (2 s) has played.
    serving.wait_line("planning bar 2");
    let pid = serving.pid().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let support::Finished {
        status,
        stderr: err,
        ..
    } = serving.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("recording saved"), "{err}");
    let secs = wav_seconds(&rec);
    assert!(secs >= 2.0, "recorded {secs} s");
    assert!(!rec.with_file_name("take.wav.part").exists());
}

#[test]
fn the_default_host_falls_back_to_the_null_sink_when_there_is_no_device() {
    let s = script("fallback", "live_loop(\"k\", \"kick\");");
    let (code, err) = run(loam().arg("serve").arg(&s).args(["--duration", "0.5"]));
    assert_eq!(code, 0, "{err}");
    let has_card = std::fs::read_to_string("/proc/asound/cards")
        .map(|c| {
            c.lines()
                .any(|l| l.trim_start().starts_with(|ch: char| ch.is_ascii_digit()))
        })
        .unwrap_or(true);
    if !has_card {
        assert!(
            err.contains("no audio device") || err.contains("device failed"),
            "{err}"
        );
        assert!(err.contains("playing on the null sink"), "{err}");
        // A newcomer's first screen is loam's words only: alsa-lib prints
        // nothing of its own ("ALSA lib confmisc.c:…").
        assert!(
            err.lines().all(|l| l.starts_with("loam")),
            "lines not from loam:\n{err}"
        );
    }
}
