//! Live input end to end through a real JACK server (`jackd -d dummy`):
//! `loam serve --host jack --input` reads JACK ports `loam:in_1..` in the
//! same callback as it writes `loam:out_1`, `loam:out_2`. A test client
//! `tone` plays into `loam:in_1` (connected by `--input-connect ^tone:`),
//! and a client `rec` records `tone` itself beside loam's outputs, all in
//! the same JACK cycles (the graph runs tone, then loam, then rec), so
//! frame offsets between its channels are loam's own delays.
//!
//! - `the_monitor_plays_the_input_at_once`: with the monitor turned on over
//!   OSC (`/input/monitor 1`) a tone burst comes out on the very frames it
//!   went in, unchanged.
//! - `a_forward_model_answers_one_buffer_and_one_block_later`: through the
//!   nn~ test model's `forward` (×0.5) the burst comes out ×0.5 exactly
//!   model buffer (1024) + one period (256) frames later.
//! - `a_click_through_a_forward_model_comes_out_one_buffer_and_one_block_later_at_each_period`:
//!   at JACK periods of 64, 256 and 1024 frames, with the buffer the rule
//!   chooses (no `--model-buffer`), a one-frame click comes out of the
//!   monitor on its own frame and out of the ×0.5 model exactly model
//!   buffer + one period later (256 + 64, 256 + 256, 1024 + 1024); the
//!   figures are printed as a table (`--nocapture`).
//! - `the_encoder_latent_of_the_input_reaches_a_subscriber`: through
//!   `encode-decode` (`/model/ear/input in:1`), a steady input of 0.25 gives the latent frame
//!   (0.25, 0.5, 0.75, 1.0) (the test encoder's block means × 1..4) at an
//!   OSC subscriber, and silence gives zeros again.
//! - `capture_takes_one_bar_from_a_bar_line_and_plays_it_on_the_next`:
//!   `/capture take 1` records exactly one bar of input from a bar line
//!   (a click marks every bar line, hard left); the loop playing `take`
//!   hard right sounds it from the next bar line on, sample for sample,
//!   and the recording's credits name it as live input.
//!
//! Every wait is for a state (a port, a reply, frames recorded), never a
//! fixed time. Without `jackd` (or, for the model tests, the torch venv)
//! these print SKIP and pass.
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rosc::{OscPacket, OscType};
use support::jack::{JackServer, RATE};
use support::osc::{s, Client, Server};

const LOAM: &str = env!("CARGO_BIN_EXE_loam");
/// The JACK period: loam's engine block.
const PERIOD: u32 = 256;

/// What the `tone` client plays.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Play {
    Silence = 0,
    /// One burst of [`BURST`] frames of a 1 kHz cosine, amplitude 0.2, then silence.
    Burst = 1,
    /// 0.25, steady.
    Steady = 2,
    /// A slowly changing signal that never repeats within a bar and is never 0.
    Wander = 3,
    /// One frame of [`CLICK`], [`CLICK_AT`] frames into the first JACK
    /// cycle after it is asked for, then silence.
    Click = 4,
}

/// The click's level.
const CLICK: f32 = 0.8;
/// Frames into its JACK cycle the click sounds (inside the smallest period
/// tested, and not on a block boundary).
const CLICK_AT: usize = 37;

const BURST: usize = 2400;

/// The `tone` client: plays what `play` says, counting its own frames.
struct Tone {
    out: jack::Port<jack::AudioOut>,
    play: Arc<AtomicU32>,
    /// Frames of the burst played so far (it restarts when set to Burst again).
    burst_at: usize,
    last: u32,
    t: u64,
    /// Set once a burst has been played whole.
    bursts: Arc<AtomicU64>,
}

fn wander(t: u64) -> f32 {
    let t = t as f64 / RATE as f64;
    (0.2 + 0.1 * (std::f64::consts::TAU * t / 5.3).sin()
        + 0.05 * (std::f64::consts::TAU * 440.0 * t).sin()) as f32
}

impl jack::ProcessHandler for Tone {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let play = self.play.load(Ordering::Acquire);
        if play != self.last {
            self.burst_at = 0;
            self.last = play;
        }
        for x in self.out.as_mut_slice(ps) {
            *x = match play {
                1 if self.burst_at < BURST => {
                    let v = 0.2
                        * (std::f32::consts::TAU * 1000.0 * self.burst_at as f32 / RATE as f32)
                            .cos();
                    self.burst_at += 1;
                    if self.burst_at == BURST {
                        self.bursts.fetch_add(1, Ordering::AcqRel);
                    }
                    v
                }
                2 => 0.25,
                3 => wander(self.t),
                4 if self.burst_at <= CLICK_AT => {
                    let v = if self.burst_at == CLICK_AT {
                        CLICK
                    } else {
                        0.0
                    };
                    if self.burst_at == CLICK_AT {
                        self.bursts.fetch_add(1, Ordering::AcqRel);
                    }
                    self.burst_at += 1;
                    v
                }
                _ => 0.0,
            };
            self.t += 1;
        }
        jack::Control::Continue
    }
}

/// The `rec` client: records its three inputs (tone, loam's left, loam's
/// right) while `recording` is set, with every block's JACK frame time.
struct Rec {
    ins: [jack::Port<jack::AudioIn>; 3],
    recording: Arc<AtomicBool>,
    samples: [Vec<f32>; 3],
    blocks: Vec<jack::Frames>,
    frames: Arc<AtomicU64>,
    overflow: bool,
    /// The JACK period (frames per block).
    period: u32,
}

impl jack::ProcessHandler for Rec {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        if !self.recording.load(Ordering::Acquire) {
            return jack::Control::Continue;
        }
        let n = ps.n_frames() as usize;
        if self.samples[0].len() + n > self.samples[0].capacity()
            || self.blocks.len() == self.blocks.capacity()
        {
            self.overflow = true;
            return jack::Control::Continue;
        }
        self.blocks.push(ps.last_frame_time());
        for (buf, port) in self.samples.iter_mut().zip(&self.ins) {
            buf.extend_from_slice(port.as_slice(ps));
        }
        self.frames.fetch_add(n as u64, Ordering::AcqRel);
        jack::Control::Continue
    }
}

/// A JACK server with `tone` and `rec` running, and loam serving `script`.
struct Rig {
    server: JackServer,
    tone: jack::AsyncClient<(), Tone>,
    rec: jack::AsyncClient<(), Rec>,
    play: Arc<AtomicU32>,
    bursts: Arc<AtomicU64>,
    recording: Arc<AtomicBool>,
    frames: Arc<AtomicU64>,
    loam: Option<Server>,
}

/// Seconds `rec` can hold.
const REC_SECONDS: usize = 30;

impl Rig {
    fn start(extra: &[&str], script: &Path) -> Option<Rig> {
        Rig::start_at(PERIOD, extra, script)
    }

    /// [`Rig::start`] with a JACK server of `period` frames.
    fn start_at(period: u32, extra: &[&str], script: &Path) -> Option<Rig> {
        let server = JackServer::start(period)?;
        let tone_client = server.open_client("tone");
        let out = tone_client
            .register_port("out", jack::AudioOut::default())
            .expect("tone port");
        let play = Arc::new(AtomicU32::new(Play::Silence as u32));
        let bursts = Arc::new(AtomicU64::new(0));
        let tone = tone_client
            .activate_async(
                (),
                Tone {
                    out,
                    play: play.clone(),
                    burst_at: 0,
                    last: 0,
                    t: 0,
                    bursts: bursts.clone(),
                },
            )
            .expect("activate tone");
        let rec_client = server.open_client("rec");
        let ins = ["tone", "left", "right"].map(|n| {
            rec_client
                .register_port(n, jack::AudioIn::default())
                .expect("rec port")
        });
        let recording = Arc::new(AtomicBool::new(false));
        let frames = Arc::new(AtomicU64::new(0));
        let cap = REC_SECONDS * RATE as usize;
        let rec = rec_client
            .activate_async(
                (),
                Rec {
                    ins,
                    recording: recording.clone(),
                    samples: [(); 3].map(|_| Vec::with_capacity(cap)),
                    blocks: Vec::with_capacity(cap / 16),
                    frames: frames.clone(),
                    overflow: false,
                    period,
                },
            )
            .expect("activate rec");
        let mut args = vec![
            "--host",
            "jack",
            "--input",
            "--input-channels",
            "1",
            "--input-connect",
            "^tone:out$",
        ];
        args.extend_from_slice(extra);
        let mut cmd = server.command(LOAM);
        cmd.arg("serve").arg(script);
        let loam = Server::start_with(cmd, script, &args, support::osc::READY);
        let rig = Rig {
            server,
            tone,
            rec,
            play,
            bursts,
            recording,
            frames,
            loam: Some(loam),
        };
        // loam connected tone:out to its input; the test connects the rest.
        let c = rig.tone.as_client();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let linked = c
                .port_by_name("loam:in_1")
                .and_then(|p| p.is_connected_to("tone:out").ok());
            if linked == Some(true) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "loam:in_1 never got connected to tone:out; ports: {:?}\n{}",
                c.ports(None, None, jack::PortFlags::empty()),
                rig.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        for (from, to) in [
            ("tone:out", "rec:tone"),
            ("loam:out_1", "rec:left"),
            ("loam:out_2", "rec:right"),
        ] {
            support::jack::connect_when_active(c, from, to);
        }
        Some(rig)
    }

    fn addr(&self) -> SocketAddr {
        self.loam.as_ref().expect("loam runs").addr
    }

    fn log(&self) -> String {
        self.loam.as_ref().map(|l| l.log()).unwrap_or_default()
    }

    fn set(&self, play: Play) {
        self.play.store(play as u32, Ordering::Release);
    }

    /// Waits until `rec` holds at least `frames` more frames than now.
    fn record_more(&self, frames: u64) {
        let target = self.frames.load(Ordering::Acquire) + frames;
        let ok = support::eventually(Duration::from_secs(REC_SECONDS as u64), || {
            self.frames.load(Ordering::Acquire) >= target
        });
        assert!(ok, "rec did not record {frames} more frames");
    }

    /// Stops loam (its log back) and `rec` (its recording back).
    fn finish(mut self) -> (String, Rec) {
        self.recording.store(false, Ordering::Release);
        let log = self.loam.take().map(|l| l.stop()).unwrap_or_default();
        let (_, _, rec) = self.rec.deactivate().expect("deactivate rec");
        let _ = self.tone.deactivate();
        drop(self.server);
        (log, rec)
    }
}

/// The first frame whose magnitude passes `level`.
fn first_above(x: &[f32], level: f32) -> Option<usize> {
    x.iter().position(|v| v.abs() > level)
}

/// Bursts played while recording: up to [`TRIES`], one after another,
/// until one went through a stretch of JACK time no xrun broke (the dummy
/// driver on a busy machine misses cycles now and then). Returns `rec`
/// and loam's log.
fn burst_take(rig: Rig, after: u64) -> (String, Rec) {
    rig.recording.store(true, Ordering::Release);
    rig.record_more(u64::from(PERIOD) * 4);
    for _ in 0..TRIES {
        let before = rig.bursts.load(Ordering::Acquire);
        rig.set(Play::Burst);
        let ok = support::eventually(Duration::from_secs(10), || {
            rig.bursts.load(Ordering::Acquire) > before
        });
        assert!(ok, "the burst was never played");
        rig.set(Play::Silence);
        rig.record_more(after);
    }
    rig.finish()
}

/// Bursts tried at most.
const TRIES: usize = 3;

/// Where each burst starts in the `tone` channel.
fn burst_starts(tone: &[f32]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut quiet = usize::MAX;
    for (i, v) in tone.iter().enumerate() {
        if v.abs() > 0.1 {
            if quiet > 4 * BURST {
                starts.push(i);
            }
            quiet = 0;
        } else {
            quiet = quiet.saturating_add(1);
        }
    }
    starts
}

/// Whether JACK skipped cycles between recorded frames `from` and `to`.
fn broken(rec: &Rec, from: usize, to: usize) -> bool {
    let p = rec.period as usize;
    let (a, b) = (from / p, (to / p + 1).min(rec.blocks.len()));
    rec.blocks[a.min(b)..b]
        .windows(2)
        .any(|w| w[1] != w[0].wrapping_add(rec.period))
}

/// A burst (channel 0) and its echo in channel `out` `delay` frames
/// later, ×`k`, sample for sample, for the first burst no xrun disturbed;
/// and nothing else in `out` around it.
fn assert_echo(rec: &Rec, out: usize, delay: usize, k: f32) {
    assert!(!rec.overflow, "rec overflowed");
    let tone = &rec.samples[0];
    let heard = &rec.samples[out];
    let starts = burst_starts(tone);
    assert!(!starts.is_empty(), "no burst in the recording");
    let window = |s: usize| (s.saturating_sub(BURST), s + delay + 2 * BURST);
    let Some(&start) = starts.iter().find(|&&s| {
        let (a, b) = window(s);
        b <= heard.len() && !broken(rec, a, b)
    }) else {
        panic!("every burst ({starts:?}) was disturbed by JACK xruns");
    };
    let echo = start
        + first_above(&heard[start..], 0.1 * k).unwrap_or_else(|| {
            panic!(
                "the burst at {start} never came out (peak {})",
                heard.iter().fold(0.0f32, |m, v| m.max(v.abs()))
            )
        });
    assert_eq!(
        echo - start,
        delay,
        "the burst went in at recorded frame {start} and came out at {echo}"
    );
    for i in 0..BURST {
        let (want, got) = (tone[start + i] * k, heard[start + delay + i]);
        assert!(
            (want - got).abs() < 1e-6,
            "frame {i} of the burst: {got}, expected {want}"
        );
    }
    // Nothing else came out around it.
    let (a, b) = window(start);
    let rest = (a..b)
        .filter(|i| !(start + delay..start + delay + BURST).contains(i))
        .fold(0.0f32, |m, i| m.max(heard[i].abs()));
    assert!(rest < 1e-6, "loam played {rest} around the echo");
}

#[test]
fn the_monitor_plays_the_input_at_once() {
    let dir = support::temp_dir("input-monitor");
    let script = dir.join("quiet.rhai");
    std::fs::write(&script, "tempo(120);\n").unwrap();
    // Off at start (the default); turned on over OSC.
    let Some(rig) = Rig::start(&[], &script) else {
        return;
    };
    let client = Client::new();
    for (addr, level) in [("/input/gain", 1.0), ("/input/monitor", 1.0)] {
        let a = client.request(rig.addr(), addr, vec![OscType::Float(level)]);
        assert_eq!(a.addr, "/done", "{a:?}");
    }
    let refused = client.request(rig.addr(), "/input/monitor", vec![OscType::Float(17.0)]);
    assert_eq!(refused.addr, "/fail", "{refused:?}");
    let (log, rec) = burst_take(rig, u64::from(RATE) / 4);
    assert!(log.contains("loam: stopped after"), "{log}");
    assert_echo(&rec, 1, 0, 1.0);
    assert_echo(&rec, 2, 0, 1.0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The exported nn~ test models in `dir`, or `None` (SKIP).
fn models(dir: &Path) -> Option<()> {
    support::models::export(dir).map(|_| ())
}

/// Waits for an `/info` notice containing `text` at `client` (subscribed).
fn wait_info(client: &Client, text: &str, log: impl Fn() -> String) {
    let got = client.collect_until(Duration::from_secs(60), |ps| {
        ps.iter().any(|p| info_has(p, text))
    });
    assert!(
        got.iter().any(|p| info_has(p, text)),
        "no /info with '{text}'; got {got:?}\n{}",
        log()
    );
}

fn info_has(p: &OscPacket, text: &str) -> bool {
    matches!(p, OscPacket::Message(m) if m.addr == "/info"
        && matches!(m.args.first(), Some(OscType::String(t)) if t.contains(text)))
}

fn eval(client: &Client, to: SocketAddr, code: &str) {
    let a = client.request(to, "/eval", vec![s(code)]);
    assert_eq!(a.addr, "/done", "{code}: {a:?}");
}

#[test]
fn a_forward_model_answers_one_buffer_and_one_block_later() {
    let dir = support::temp_dir("input-forward");
    if models(&dir).is_none() {
        return;
    }
    let script = dir.join("voice.rhai");
    std::fs::write(&script, "tempo(120);\n").unwrap();
    let Some(rig) = Rig::start(&["--model-buffer", "1024"], &script) else {
        return;
    };
    let client = Client::new();
    client.request(rig.addr(), "/subscribe", vec![]);
    // The model's ×0.5, and gain 2 against the master gain of 0.5.
    eval(
        &client,
        rig.addr(),
        "model_load(\"voice\", \"full.ts\", \"forward\");\nmodel_input(\"voice\", \"in\");\nmodel_gain(\"voice\", 2.0);",
    );
    wait_info(&client, "model 'voice' plays the live input", || rig.log());
    let (log, rec) = burst_take(rig, u64::from(RATE) / 2);
    assert_echo(&rec, 1, 1024 + PERIOD as usize, 0.5);
    assert!(log.contains("latency 1280 frames"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_encoder_latent_of_the_input_reaches_a_subscriber() {
    let dir = support::temp_dir("input-latent");
    if models(&dir).is_none() {
        return;
    }
    let script = dir.join("ear.rhai");
    std::fs::write(&script, "tempo(120);\n").unwrap();
    let Some(rig) = Rig::start(&["--model-buffer", "1024"], &script) else {
        return;
    };
    let client = Client::new();
    client.request(rig.addr(), "/subscribe", vec![]);
    eval(
        &client,
        rig.addr(),
        "model_load(\"ear\", \"full.ts\", \"encode-decode\");",
    );
    // It plays first without input; then, over OSC, `/model/NAME/input
    // in:1` starts it again hearing the live input.
    wait_info(&client, "model 'ear' plays (latency", || rig.log());
    let a = client.request(rig.addr(), "/model/ear/input", vec![s("in:1")]);
    assert_eq!(a.addr, "/done", "{a:?}\n{}", rig.log());
    wait_info(&client, "model 'ear' plays the live input", || rig.log());
    let latent_is = |want: [f32; 4]| {
        move |p: &OscPacket| {
            matches!(p, OscPacket::Message(m) if m.addr == "/model/ear/latent"
            && m.args.len() == 4
            && m.args.iter().zip(want).all(|(a, w)| {
                matches!(a, OscType::Float(v) if (v - w).abs() < 1e-4)
            }))
        }
    };
    rig.set(Play::Steady);
    let steady = latent_is([0.25, 0.5, 0.75, 1.0]);
    let got = client.collect_until(Duration::from_secs(20), |ps| ps.iter().any(&steady));
    assert!(
        got.iter().any(&steady),
        "no latent (0.25, 0.5, 0.75, 1) for a steady 0.25 in: {got:?}\n{}",
        rig.log()
    );
    rig.set(Play::Silence);
    let silent = latent_is([0.0; 4]);
    let got = client.collect_until(Duration::from_secs(20), |ps| ps.iter().any(&silent));
    assert!(
        got.iter().any(&silent),
        "no zero latent once the input is silent: {got:?}"
    );
    let (log, _) = rig.finish();
    assert!(log.contains("loam: stopped after"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn capture_takes_one_bar_from_a_bar_line_and_plays_it_on_the_next() {
    // A take that JACK xruns broke (a busy machine's dummy driver) is
    // tried again; one that goes wrong with no xrun fails at once.
    let mut why = Vec::new();
    for attempt in 0..CAPTURE_TRIES {
        match capture_attempt() {
            None | Some(Ok(())) => return,
            Some(Err(e)) => {
                println!("capture attempt {attempt}: {e}; again");
                why.push(e);
            }
        }
    }
    panic!("every capture attempt was disturbed by JACK xruns: {why:#?}");
}

/// Capture runs tried when JACK xruns disturb them.
const CAPTURE_TRIES: usize = 5;

/// One run: `None` without JACK; `Some(Err(why))` when a check went wrong
/// while JACK skipped cycles (its log reports an xrun, or `rec`'s blocks
/// are not contiguous); `Some(Ok(()))` when every check held. A check
/// that goes wrong with no xrun panics.
fn capture_attempt() -> Option<Result<(), String>> {
    // 3/4 at 180: a bar is one second, 48000 frames.
    const BAR: usize = RATE as usize;
    let dir = support::temp_dir("input-capture");
    let script = support::script_with_click(
        &dir,
        "metre(\"3/4\");\ntempo(180);\nlive_loop(\"bars\", \"click ~ ~\").pan(\"-1\");\n",
    );
    let wav = dir.join("take.wav");
    let wav_arg = wav.to_string_lossy().into_owned();
    let rig = Rig::start(&["--record", &wav_arg], &script)?;
    let client = Client::new();
    client.request(rig.addr(), "/subscribe", vec![]);
    rig.set(Play::Wander);
    rig.recording.store(true, Ordering::Release);
    rig.record_more(u64::from(PERIOD) * 8);
    let a = client.request(rig.addr(), "/capture", vec![s("take"), OscType::Int(1)]);
    assert_eq!(a.addr, "/done", "{a:?}\n{}", rig.log());
    eval(
        &client,
        rig.addr(),
        "live_loop(\"loop\", \"take ~ ~\").pan(\"1\");",
    );
    wait_info(&client, "captured 'take'", || rig.log());
    // Two more bars: the take plays on the next bar line, and again.
    rig.record_more(3 * BAR as u64);
    let xruns = rig.server.xrun_lines();
    let (log, rec) = rig.finish();
    assert!(!rec.overflow, "rec overflowed");
    let gaps = rec
        .blocks
        .windows(2)
        .filter(|w| w[1] != w[0].wrapping_add(rec.period))
        .count();
    if let Err(e) = check_take(&rec, BAR) {
        if xruns.is_empty() && gaps == 0 {
            panic!("{e}, with no JACK xrun\n{log}");
        }
        return Some(Err(format!(
            "{e} (JACK xruns {xruns:?}, {gaps} gaps in rec's blocks)"
        )));
    }
    // Credits: the take sounded, as live input.
    let credits = std::fs::read_to_string(dir.join("take.wav.credits.toml"))
        .unwrap_or_else(|e| panic!("no credits beside the recording ({e}):\n{log}"));
    assert!(
        credits.contains("live input") && credits.contains("captured as 'take'"),
        "{credits}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Some(Ok(()))
}

/// The capture test's checks of the recording: bar lines (the click, hard
/// left) exactly `bar` frames apart; the take (hard right) starting on a
/// bar line and playing the bar of input before it, sample for sample,
/// twice. `Err` says which check went wrong.
fn check_take(rec: &Rec, bar: usize) -> Result<(), String> {
    let (tone, left, right) = (&rec.samples[0], &rec.samples[1], &rec.samples[2]);
    // Onsets only where the frame before was recorded too: a recording
    // that starts inside a click does not start on a bar line.
    let bars: Vec<usize> = (1..left.len())
        .filter(|&i| left[i].abs() > 1e-3 && left[i - 1].abs() <= 1e-3)
        .collect();
    if bars.len() < 3 {
        return Err(format!("too few bar lines heard: {bars:?}"));
    }
    if bars.windows(2).any(|w| w[1] - w[0] != bar) {
        return Err(format!("bar lines not {bar} frames apart: {bars:?}"));
    }
    let play = first_above(right, 1e-3).ok_or("the take never played")?;
    if !bars.contains(&play) {
        return Err(format!(
            "the take starts at {play}, not on a bar line {bars:?}"
        ));
    }
    if play < bar {
        return Err(format!("the take starts too early to check ({play})"));
    }
    if play + 2 * bar > right.len() {
        return Err(format!(
            "the recording ({} frames) ends before the take has played twice from {play}",
            right.len()
        ));
    }
    let gain = right[play] / tone[play - bar];
    if gain.is_nan() || gain <= 0.1 {
        return Err(format!("gain {gain}"));
    }
    // A voice ends with a 2 ms fade: compare all but the bar's last 5 ms.
    for i in 0..bar - 240 {
        for again in [0, bar] {
            let (want, got) = (tone[play - bar + i] * gain, right[play + again + i]);
            if (want - got).abs() >= 1e-4 {
                return Err(format!(
                    "frame {i} of the take (+{again}): {got}, expected {want}"
                ));
            }
        }
    }
    Ok(())
}

/// The JACK periods the click is measured at, with the model buffer the
/// rule picks for the test model's `forward` (ratio 1) at each: the
/// smallest power of two ≥ the model's largest ratio, ≥ the device block
/// (the period) and ≥ loam's smallest buffer (256 frames), when the model
/// is fast enough at it (the ×0.5 model computes 256 frames in far less
/// than half their 5.3 ms).
const CLICK_PERIODS: [(u32, usize); 3] = [(64, 256), (256, 256), (1024, 1024)];

/// One period's measurement: frames from the click going into `loam:in_1`
/// to it coming out of `loam:out_1`, through the monitor and through the
/// model.
struct ClickLatency {
    period: u32,
    buffer: usize,
    monitor: usize,
    model: usize,
}

#[test]
fn a_click_through_a_forward_model_comes_out_one_buffer_and_one_block_later_at_each_period() {
    let dir = support::temp_dir("input-click");
    if models(&dir).is_none() {
        return;
    }
    let mut measured = Vec::new();
    for (period, buffer) in CLICK_PERIODS {
        let mut got = None;
        for attempt in 0..TRIES {
            match click_attempt(&dir, period, buffer) {
                None => return,
                Some(Ok(m)) => {
                    got = Some(m);
                    break;
                }
                Some(Err(why)) => println!("period {period}, attempt {attempt}: {why}; again"),
            }
        }
        let m = got.unwrap_or_else(|| {
            panic!("period {period}: every attempt was disturbed by JACK xruns")
        });
        assert_eq!(
            m.monitor, 0,
            "period {period}: the monitor delayed the click"
        );
        assert_eq!(
            m.model,
            buffer + period as usize,
            "period {period}: the click came out {} frames after it went in, not buffer {buffer} + block {period}",
            m.model
        );
        measured.push(m);
    }
    let ms = |f: usize| f as f64 * 1000.0 / f64::from(RATE);
    println!("live input to output under JACK dummy at {RATE} Hz (a click into loam:in_1, recorded at loam:out_1):");
    println!("| JACK period | monitor | model buffer | forward model (buffer + one block) |");
    println!("|---|---|---|---|");
    for m in &measured {
        println!(
            "| {} frames ({:.2} ms) | {} frames | {} frames | {} frames ({:.2} ms) |",
            m.period,
            ms(m.period as usize),
            m.monitor,
            m.buffer,
            m.model,
            ms(m.model)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Plays [`TRIES`] clicks while recording, one after another.
fn clicks(rig: &Rig, after: u64) {
    rig.recording.store(true, Ordering::Release);
    rig.record_more(u64::from(rig.server.period) * 4);
    for _ in 0..TRIES {
        let before = rig.bursts.load(Ordering::Acquire);
        rig.set(Play::Click);
        let ok = support::eventually(Duration::from_secs(10), || {
            rig.bursts.load(Ordering::Acquire) > before
        });
        assert!(ok, "the click was never played");
        rig.set(Play::Silence);
        rig.record_more(after);
    }
    rig.recording.store(false, Ordering::Release);
}

/// One JACK server at `period`: clicks through the monitor, then through
/// the model (`buffer` expected). `None` without JACK; `Err` when the
/// measurement went wrong while JACK reported xruns or the model underran
/// (a busy machine's dummy driver or worker thread missing a deadline);
/// going wrong with neither is a failure.
fn click_attempt(dir: &Path, period: u32, buffer: usize) -> Option<Result<ClickLatency, String>> {
    let script = dir.join("click.rhai");
    std::fs::write(&script, "tempo(120);\n").unwrap();
    // No --model-buffer: the rule chooses.
    let rig = Rig::start_at(period, &[], &script)?;
    let client = Client::new();
    client.request(rig.addr(), "/subscribe", vec![]);
    // A click takes well under a second to come out through either path.
    let after = u64::from(RATE) / 4;
    // The monitor alone.
    for (addr, level) in [("/input/gain", 1.0), ("/input/monitor", 1.0)] {
        let a = client.request(rig.addr(), addr, vec![OscType::Float(level)]);
        assert_eq!(a.addr, "/done", "{a:?}");
    }
    clicks(&rig, after);
    let monitor_end = rig.frames.load(Ordering::Acquire) as usize;
    // The model alone: the monitor off, the ×0.5 model at gain 2 (against
    // the master gain of 0.5) on the live input.
    let a = client.request(rig.addr(), "/input/monitor", vec![OscType::Float(0.0)]);
    assert_eq!(a.addr, "/done", "{a:?}");
    eval(
        &client,
        rig.addr(),
        "model_load(\"voice\", \"full.ts\", \"forward\");\nmodel_input(\"voice\", \"in\");\nmodel_gain(\"voice\", 2.0);",
    );
    wait_info(&client, "model 'voice' plays the live input", || rig.log());
    clicks(&rig, after);
    let xruns = rig.server.xrun_lines();
    let (log, rec) = rig.finish();
    assert!(!rec.overflow, "rec overflowed");
    // The buffer the rule chose, as loam says it.
    let said = format!(
        "latency {} frames: its buffer {buffer} and one block {period})",
        buffer + period as usize
    );
    assert!(log.contains(&said), "no '{said}' in loam's log:\n{log}");
    let chose = format!("at a {buffer}-frame buffer (the smallest that keeps up");
    assert!(log.contains(&chose), "no '{chose}' in loam's log:\n{log}");
    let underruns = log
        .split("model_underruns=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no model_underruns= in loam's summary:\n{log}"));
    let disturbed = !xruns.is_empty() || underruns > 0;
    let why = || format!("JACK xruns {xruns:?}, model underruns {underruns}");
    let tone = &rec.samples[0];
    let left = &rec.samples[1];
    let starts: Vec<usize> = (0..tone.len()).filter(|&i| tone[i] > CLICK / 2.0).collect();
    let (before, after_load): (Vec<usize>, Vec<usize>) =
        starts.iter().partition(|&&i| i < monitor_end);
    let measured = click_delay(&rec, left, &before, period as usize * 4, 1.0)
        .map_err(|e| format!("monitor: {e}"))
        .and_then(|monitor| {
            click_delay(&rec, left, &after_load, buffer + period as usize * 4, 0.5)
                .map_err(|e| format!("model: {e}"))
                .map(|model| (monitor, model))
        });
    let (monitor, model) = match measured {
        Ok(m) => m,
        Err(e) if disturbed => return Some(Err(format!("{e} ({})", why()))),
        Err(e) => panic!("period {period}: {e}, with no xrun or underrun\n{log}"),
    };
    // A delay other than expected, with xruns or underruns, is tried again.
    let expected = (0, buffer + period as usize);
    if (monitor, model) != expected && disturbed {
        return Some(Err(format!("delays {monitor} and {model} ({})", why())));
    }
    Some(Ok(ClickLatency {
        period,
        buffer,
        monitor,
        model,
    }))
}

/// The delay, in frames, of the first click in `clicks` whose stretch of
/// the recording (up to `reach` frames after it) JACK did not break: where
/// it first comes out in `heard`, at `k` times its level, alone. `Err`
/// when JACK broke every stretch, or the click did not come out so.
fn click_delay(
    rec: &Rec,
    heard: &[f32],
    clicks: &[usize],
    reach: usize,
    k: f32,
) -> Result<usize, String> {
    if clicks.is_empty() {
        return Err("no click in the recording".into());
    }
    let p = rec.period as usize;
    let Some(&c) = clicks
        .iter()
        .find(|&&c| c >= p && c + reach <= heard.len() && !broken(rec, c - p, c + reach))
    else {
        return Err(format!(
            "JACK skipped cycles around every click ({clicks:?})"
        ));
    };
    let window = &heard[c - p..c + reach];
    let Some(at) = first_above(window, CLICK * k / 2.0) else {
        return Err(format!(
            "the click at {c} never came out within {reach} frames (peak {})",
            window.iter().fold(0.0f32, |m, v| m.max(v.abs()))
        ));
    };
    if at < p {
        return Err(format!(
            "something sounded {} frames before the click",
            p - at
        ));
    }
    let delay = at - p;
    let echo = heard[c + delay];
    if (echo - CLICK * k).abs() >= 1e-6 {
        return Err(format!(
            "the click came out at {echo}, expected {}",
            CLICK * k
        ));
    }
    let rest = window
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != at)
        .fold(0.0f32, |m, (_, v)| m.max(v.abs()));
    if rest >= 1e-6 {
        return Err(format!("loam played {rest} around the click"));
    }
    Ok(delay)
}
