//! Signals beyond patterns (issue 15, "Continuous signals, in musical
//! time"): a latent swept by `sine.slow(4)` moves a playing model's output
//! with the bar grid; `signal_out` sends `/signal/NAME f` to subscribers; a
//! signal value that is NaN is withheld and counted in `/status`.

use crate::support;

use std::time::Duration;

use rosc::{OscPacket, OscType};
use support::osc::{status, Client, Server};

/// Every `/ADDR f` value among `packets`, in arrival order.
fn floats(packets: &[OscPacket], addr: &str) -> Vec<f32> {
    let mut out = Vec::new();
    for p in packets {
        if let OscPacket::Message(m) = p {
            if m.addr == addr {
                if let Some(OscType::Float(x)) = m.args.first() {
                    out.push(*x);
                }
            }
        }
    }
    out
}

#[test]
fn signal_out_reaches_subscribers_and_nan_values_are_counted() {
    let dir = support::temp_dir("signal-out");
    // 4/4 at 480: a bar (one cycle of the saw) is half a second.
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nsignal_out(\"lfo\", saw);\n\
         live_loop(\"k\", \"click*4\").gain(saw.range(1e308, -1e308));\n",
    );
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let listener = Client::new();
    assert_eq!(
        listener.request(server.addr, "/subscribe", vec![]).addr,
        "/done"
    );
    let got = listener.collect_until(Duration::from_secs(20), |all| {
        floats(all, "/signal/lfo").len() >= 200
    });
    let lfo = floats(&got, "/signal/lfo");
    assert!(lfo.len() >= 200, "{} /signal/lfo values", lfo.len());
    assert!(lfo.iter().all(|x| (0.0..1.0).contains(x)), "{lfo:?}");
    // It rises through each bar and falls back at the bar line: at 5 ms
    // a step, a bar has about 100 values, so most steps rise.
    let rises = lfo.windows(2).filter(|w| w[1] > w[0]).count();
    let falls = lfo.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(
        rises > 20 * falls && falls >= 1,
        "{rises} rises, {falls} falls"
    );
    let spread =
        lfo.iter().fold(0.0f32, |a, &x| a.max(x)) - lfo.iter().fold(1.0f32, |a, &x| a.min(x));
    assert!(spread > 0.9, "{spread}");
    // The gain signal is never finite: each note's value is withheld and counted.
    assert!(support::eventually(Duration::from_secs(20), || {
        status(&c, server.addr).nan_values >= 4
    }));
    let log = server.stop();
    let counted = support::summary_value(&log, "nan_values").expect("nan_values in the summary");
    assert!(counted >= 4, "{log}");
}

#[test]
fn a_latent_swept_by_a_signal_moves_the_decoded_output_with_the_bar_grid() {
    let dir = support::temp_dir("signal-latent");
    let Some(dir) = support::models::export(&dir) else {
        return;
    };
    // decode: left = z0 + z1. The sweep is 0 on every second bar line and
    // ±0.5 halfway; 4/4 at 480 makes a bar 24,000 frames.
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"dc\", \"full.ts\", \"decode\");\n\
         model_latent(\"dc\", [sine.slow(4).range(-0.5, 0.5), 0.0, 0.0, 0.0]);\n\
         live_loop(\"k\", \"~\");\n",
    );
    let rec = dir.join("take.wav");
    let server = Server::start(&script, &["--record", rec.to_str().unwrap()]);
    let c = Client::new();
    let listener = Client::new();
    assert_eq!(
        listener.request(server.addr, "/subscribe", vec![]).addr,
        "/done"
    );
    // Subscribers see the latent move both ways.
    let got = listener.collect_until(Duration::from_secs(30), |all| {
        let z = floats(all, "/model/dc/latent");
        z.iter().any(|&x| x > 0.3) && z.iter().any(|&x| x < -0.3)
    });
    let z = floats(&got, "/model/dc/latent");
    assert!(
        z.iter().any(|&x| x > 0.3) && z.iter().any(|&x| x < -0.3),
        "{z:?}\n{}",
        server.log()
    );
    // Let two more sweeps (8 bars) play, then stop.
    let from = support::osc::engine_frame(&c, server.addr);
    assert!(support::eventually(Duration::from_secs(60), || {
        support::osc::engine_frame(&c, server.addr) >= from + 8 * BAR
    }));
    let log = server.stop();
    // The recording follows 0.5 (master gain) × 0.5 sin(2π bar / 4), a
    // little late (the model's ring and the lookahead): find that lag and
    // require the fit to hold over the last eight bars.
    let audio = support::read_wav(&rec);
    let left: Vec<f64> = audio.iter().step_by(2).map(|&x| f64::from(x)).collect();
    let window = 1_200usize;
    let start = from as usize;
    let end = (start + 8 * BAR as usize).min(left.len());
    assert!(
        end > start + 4 * BAR as usize,
        "recording too short: {}",
        left.len()
    );
    let expected = |frame: f64| 0.25 * (std::f64::consts::TAU * frame / (4.0 * BAR as f64)).sin();
    let error = |lag: usize| {
        let mut sum = 0.0;
        let mut n = 0.0;
        let mut f = start;
        while f + window < end {
            let mean = left[f..f + window].iter().sum::<f64>() / window as f64;
            let centre = (f + window / 2) as f64 - lag as f64;
            sum += (mean - expected(centre)).powi(2);
            n += 1.0;
            f += window;
        }
        (sum / n).sqrt()
    };
    let (lag, rms) = (0..=12_000)
        .step_by(120)
        .map(|lag| (lag, error(lag)))
        .fold((0, f64::MAX), |b, c| if c.1 < b.1 { c } else { b });
    assert!(
        rms < 0.02,
        "the output does not follow the sweep: rms error {rms} at lag {lag}\n{log}"
    );
    assert!(lag <= 12_000, "{lag}");
}

/// A bar of 4/4 at 480, in frames at 48 kHz.
const BAR: u64 = 24_000;
