//! The cpal live input (`loam serve --input DEVICE` on the default host),
//! end to end through real ALSA streams paced by a real clock, with no
//! sound card: ALSA's JACK plugin (`libasound2-plugins`) turns two ALSA
//! PCMs into JACK clients of a private `jackd -d dummy`. loam opens them as
//! it would a sound card: its output through the default PCM, its input
//! through a PCM named "loam test input", each a separate cpal stream with
//! its own callback, joined by the input ring. A test client `tone` plays a
//! steady 375 Hz sine into the input PCM; the monitor (`--input-monitor 1`)
//! puts the input into what loam plays, and `--record` keeps it.
//!
//! - `the_input_reaches_the_output_whole_with_equal_buffers`: with
//!   `--buffer 1024` both streams run 1,024-frame periods (the JACK
//!   server's); the recording
//!   holds the sine, continuous (no frame lost or repeated after the
//!   start), at its level and pitch.
//! - `long_device_periods_cost_latency_not_audio`: with no `--buffer` the
//!   plugin gives both streams 16,384-frame periods (0.34 s); the ring
//!   grows its target to an input period plus an output period, and the
//!   sine is still whole. (Before the ring grew, it held 2,048 frames and
//!   lost most of the input.)
//!
//! The ALSA configuration is a `.asoundrc` in a scratch `HOME` given only
//! to the loam child. Without `jackd` or the ALSA JACK plugin these print
//! SKIP and pass, unless `LOAM_REQUIRE_JACK=1` (CI), where a missing plugin
//! fails. A run the JACK server reports an xrun in, or in which loam
//! counted input frames dropped or repeated, is tried again (five tries):
//! on a busy machine the input stream's thread can wake a period late,
//! and loam then says so in its counters. A run whose counters are clean
//! must hold the sine whole: audio lost without being counted fails at
//! once, and a ring that loses audio in every run (as the 2,048-frame ring
//! did with 16,384-frame periods) fails after five. (The server runs
//! 1,024-frame periods, 21 ms, so that a busy machine rarely misses one.)
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::path::Path;
use std::time::Duration;

use support::jack::{jack_required, JackServer, RATE};

const LOAM: &str = env!("CARGO_BIN_EXE_loam");

/// The sine `tone` plays: 375 Hz is 128 frames a cycle at 48 kHz, so the
/// client's phase is exact, frame for frame.
const CYCLE: usize = 128;
/// Its amplitude.
const LEVEL: f32 = 0.25;
/// The JACK server's period, in frames.
const SERVER_PERIOD: u32 = 1024;

/// The ALSA JACK plugin, where Debian and Ubuntu install it.
fn plugin_installed() -> bool {
    [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .any(|d| {
        Path::new(d)
            .join("alsa-lib/libasound_module_pcm_jack.so")
            .exists()
    })
}

struct Tone {
    out: jack::Port<jack::AudioOut>,
    t: usize,
}

impl jack::ProcessHandler for Tone {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        for v in self.out.as_mut_slice(ps) {
            let phase = (self.t % CYCLE) as f32 / CYCLE as f32;
            *v = LEVEL * (std::f32::consts::TAU * phase).sin();
            self.t += 1;
        }
        jack::Control::Continue
    }
}

/// The ALSA configuration: the default PCM plays into JACK's playback
/// ports, and "loam test input" captures `tone:out` on both channels.
const ASOUNDRC: &str = r#"
pcm.!default {
  type plug
  slave.pcm "loamjackout"
}
pcm.loamjackout {
  type jack
  playback_ports { 0 system:playback_1 1 system:playback_2 }
}
pcm.loamin {
  type plug
  slave.pcm {
    type jack
    capture_ports { 0 "tone:out" 1 "tone:out" }
  }
  hint { show on description "loam test input" }
}
"#;

/// One run: the recording's left channel and loam's exit summary; `None`
/// when the JACK server reported an xrun or loam counted an input frame
/// dropped or repeated. loam is stopped (SIGTERM, which finalises the
/// recording) once the recording in progress holds `seconds` of audio: a
/// state, however slowly the machine starts.
fn attempt(buffer: Option<u32>, seconds: u32) -> Option<Option<(Vec<f32>, String)>> {
    let server = JackServer::start(SERVER_PERIOD)?;
    let client = server.open_client("tone");
    let out = client
        .register_port("out", jack::AudioOut::default())
        .expect("tone port");
    let _tone = client
        .activate_async((), Tone { out, t: 0 })
        .expect("activate tone");
    let dir = support::files::temp_dir("cpal-input");
    std::fs::write(dir.join(".asoundrc"), ASOUNDRC).unwrap();
    let script = dir.join("quiet.rhai");
    std::fs::write(&script, "tempo(120);\n").unwrap();
    let rec = dir.join("take.wav");
    let mut cmd = server.command(LOAM);
    cmd.env("HOME", &dir)
        .arg("serve")
        .arg(&script)
        .args(["--input", "loam test input", "--input-monitor", "1"])
        .args(["--osc", "off"])
        .arg("--record")
        .arg(&rec);
    if let Some(b) = buffer {
        cmd.args(["--buffer", &b.to_string()]);
    }
    let mut serving = support::process::spawn(&mut cmd);
    // The recording is written to NAME.part as it plays: stereo 32-bit
    // floats after a header of well under 1 KiB.
    let part = dir.join("take.wav.part");
    let wanted = 1024 + seconds as u64 * RATE as u64 * 8;
    let recorded = support::wait::eventually(Duration::from_secs(120), || {
        serving.has_exited() || std::fs::metadata(&part).is_ok_and(|m| m.len() >= wanted)
    });
    assert!(
        recorded && !serving.has_exited(),
        "loam stopped, or recorded under {seconds} s in 120 s:\n{}",
        serving.stderr_so_far()
    );
    let done = serving.stop();
    assert!(
        done.status.success() && !done.timed_out,
        "loam serve failed: {done:?}"
    );
    assert!(
        done.stderr.contains("input from loam test input"),
        "loam did not open the test input:\n{}",
        done.stderr
    );
    if !server.xrun_lines().is_empty() {
        eprintln!("xrun in jackd, trying again: {:?}", server.xrun_lines());
        return Some(None);
    }
    let (dropped, repeated) = (
        counter(&done.stderr, "input_dropped"),
        counter(&done.stderr, "input_repeated"),
    );
    if dropped + repeated > 0 {
        eprintln!(
            "loam counted {dropped} input frames dropped and {repeated} repeated, trying again"
        );
        return Some(None);
    }
    let samples = support::sound::read_wav(&rec);
    let left: Vec<f32> = samples.chunks_exact(2).map(|f| f[0]).collect();
    let _ = std::fs::remove_dir_all(&dir);
    Some(Some((left, done.stderr)))
}

/// Runs up to three times until no xrun; `None` when JACK or the plugin is
/// missing (SKIP).
fn run(buffer: Option<u32>, seconds: u32) -> Option<(Vec<f32>, String)> {
    if !plugin_installed() {
        assert!(
            !jack_required(),
            "LOAM_REQUIRE_JACK=1 but the ALSA JACK plugin is not installed (Debian: apt-get install libasound2-plugins)"
        );
        eprintln!("SKIP: the ALSA JACK plugin (libasound2-plugins) is not installed");
        return None;
    }
    for _ in 0..5 {
        match attempt(buffer, seconds)? {
            Some(result) => return Some(result),
            None => continue,
        }
    }
    panic!("five runs in a row had an xrun or counted input frames dropped or repeated");
}

/// The counter `name=N` from loam's exit summary.
fn counter(summary: &str, name: &str) -> u64 {
    let at = summary
        .rfind(&format!("{name}="))
        .unwrap_or_else(|| panic!("no {name}= in:\n{summary}"));
    summary[at + name.len() + 1..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name}= has no number in:\n{summary}"))
}

/// Checks that the sine arrived whole: from its first frame on, for at
/// least `min_seconds`, every frame is the next frame of the sine (so none
/// was lost, repeated or replaced by silence), at [`LEVEL`].
fn assert_whole_sine(left: &[f32], min_seconds: f32, stderr: &str) {
    let start = left
        .iter()
        .position(|v| v.abs() > 1e-4)
        .unwrap_or_else(|| panic!("the input never reached the recording\n{stderr}"));
    // The stream's end may be cut mid-period: judge the whole cycles before it.
    let heard = &left[start..];
    let cycles = heard.len() / CYCLE - 1;
    assert!(
        cycles * CYCLE >= (min_seconds * RATE as f32) as usize,
        "only {} frames of input were heard\n{stderr}",
        heard.len()
    );
    // Its phase at the first frame heard (the first frame above zero).
    let ideal = |i: usize, phase: usize| {
        LEVEL * (std::f32::consts::TAU * ((i + phase) % CYCLE) as f32 / CYCLE as f32).sin()
    };
    let phase = (0..CYCLE)
        .min_by(|a, b| {
            let err = |p: usize| {
                (0..CYCLE)
                    .map(|i| (heard[i] - ideal(i, p)).abs())
                    .sum::<f32>()
            };
            err(*a).total_cmp(&err(*b))
        })
        .unwrap();
    for (i, v) in heard[..cycles * CYCLE].iter().enumerate() {
        assert!(
            (v - ideal(i, phase)).abs() < 1e-3,
            "frame {i} after the input began is {v}, not the sine's {} (a frame lost, repeated or silent)\n{stderr}",
            ideal(i, phase)
        );
    }
}

#[test]
fn the_input_reaches_the_output_whole_with_equal_buffers() {
    let Some((left, stderr)) = run(Some(SERVER_PERIOD), 3) else {
        return;
    };
    assert_whole_sine(&left, 2.0, &stderr);
}

#[test]
fn long_device_periods_cost_latency_not_audio() {
    let Some((left, stderr)) = run(None, 6) else {
        return;
    };
    assert_whole_sine(&left, 2.5, &stderr);
}
