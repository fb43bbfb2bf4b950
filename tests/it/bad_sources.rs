//! One bad source never silences the others (issue 9, kind E): TorchScript
//! models whose output is NaN, infinite or absurdly loud play beside a
//! click loop in `loam serve --record`; the clicks stay audible in the
//! recording, each model is muted and told once (terminal, `/error`,
//! `/status`). Models whose output shape or length is wrong are refused
//! at load. The models are the shared failing cases (tests/cases/): an
//! old-style RAVE export whose saved `mode` picks what `decode` returns.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rosc::OscPacket;
use support::osc::{s, Client, Server};

/// A click every eighth at 120 bpm: one every 12,000 frames at 48 kHz.
const CLICK_EVERY: u64 = 12_000;

/// Copies the named cases beside a click-loop script; returns the script.
fn piece(tag: &str, cases: &[&str]) -> PathBuf {
    let dir = support::temp_dir(tag);
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    for case in cases {
        std::fs::copy(cases_dir.join(case), dir.join(case)).unwrap();
    }
    support::script_with_click(&dir, "tempo(120);\nlive_loop(\"c\", \"click*8\");\n")
}

/// Collects what `listener` receives until `done` holds on it, or panics
/// after a generous deadline.
fn listen_until(
    listener: &Client,
    what: &str,
    mut done: impl FnMut(&[OscPacket]) -> bool,
) -> Vec<OscPacket> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = Vec::new();
    while Instant::now() < deadline {
        got.extend(listener.collect(Duration::from_millis(100)));
        if done(&got) {
            return got;
        }
    }
    panic!("never saw {what}: {:?}", support::osc::errors(&got));
}

#[test]
fn models_making_nan_infinity_or_absurd_values_are_muted_alone_and_told_once() {
    let bad = [
        ("nan", "model-outputs-nan.ts", "produced NaN", "NaN"),
        ("inf", "model-outputs-inf.ts", "produced NaN", "NaN"),
        ("loud", "model-outputs-1e6.ts", "+36 dBFS", "too loud"),
    ];
    let files: Vec<&str> = bad.iter().map(|b| b.1).collect();
    let script = piece("bad-models", &files);
    let dir = script.parent().unwrap().to_path_buf();
    let rec = dir.join("take.wav");
    let server = Server::start(&script, &["--record", rec.to_str().unwrap()]);
    let c = Client::new();
    let listener = Client::new();
    assert_eq!(
        listener.request(server.addr, "/subscribe", vec![]).addr,
        "/done"
    );
    let loaded_at = support::osc::status(&c, server.addr).bar;
    for (name, file, _, _) in &bad {
        let path = dir.join(file);
        let r = c.request(
            server.addr,
            "/model/load",
            vec![s(name), s(path.to_str().unwrap())],
        );
        assert_eq!(r.addr, "/done", "{r:?}\n{}", server.log());
    }
    // Each model is named once, with what it did.
    let mut heard = listen_until(&listener, "an /error for each model", |got| {
        let e = support::osc::errors(got);
        bad.iter()
            .all(|(name, ..)| e.iter().any(|t| t.contains(&format!("model '{name}'"))))
    });
    // Two more bars with the muted models still loaded: nothing new is told.
    let bar = support::osc::status(&c, server.addr).bar;
    heard.extend(listen_until(&listener, "two more bars", |_| {
        support::osc::status(&c, server.addr).bar >= bar + 2
    }));
    let told = support::osc::errors(&heard);
    for (name, _, why, _) in &bad {
        let mine: Vec<&String> = told
            .iter()
            .filter(|t| t.contains(&format!("model '{name}'")))
            .collect();
        assert_eq!(mine.len(), 1, "{told:?}");
        assert!(mine[0].contains(why), "{mine:?}");
        assert!(mine[0].contains("everything else plays on"), "{mine:?}");
    }
    let st = support::osc::status(&c, server.addr);
    assert_eq!(st.muted_sources, 3, "{}", st.muted);
    for (name, _, _, short) in &bad {
        assert!(
            st.muted.contains(&format!("model {name}: {short}")),
            "{}",
            st.muted
        );
    }
    let log = server.stop();
    for (name, _, why, _) in &bad {
        let lines = log
            .lines()
            .filter(|l| l.contains(&format!("model '{name}'")) && l.contains(why))
            .count();
        assert_eq!(lines, 1, "the terminal should tell it once:\n{log}");
    }
    assert!(log.contains("muted_sources=3"), "{log}");
    // The recording: every click from the loading bar to the end sounds.
    let audio = support::read_wav(&rec);
    assert!(audio.iter().all(|x| x.is_finite()));
    let frames = (audio.len() / 2) as u64;
    let onsets = support::onsets(&audio);
    let bar_frames = 8 * CLICK_EVERY;
    let from = (loaded_at.max(0) as u64) * bar_frames;
    let mut expected = from;
    let mut checked = 0;
    while expected + CLICK_EVERY < frames {
        assert!(
            onsets.iter().any(|&o| o.abs_diff(expected) <= 2),
            "no click at frame {expected} ({:.2} s) of {frames}",
            expected as f64 / 48_000.0
        );
        let x = audio[expected as usize * 2];
        assert!(x > 0.3, "the click at {expected} is only {x}");
        expected += CLICK_EVERY;
        checked += 1;
    }
    // At least the two bars heard after the last model was muted.
    assert!(checked >= 16, "only {checked} clicks checked");
}

#[test]
fn models_whose_output_shape_or_length_is_wrong_are_refused_at_load() {
    let cases = [
        ("flat", "model-outputs-2d.ts", "returned shape"),
        (
            "half",
            "model-outputs-half-length.ts",
            "its declared ratios",
        ),
    ];
    let files: Vec<&str> = cases.iter().map(|b| b.1).collect();
    let script = piece("wrong-shapes", &files);
    let dir = script.parent().unwrap().to_path_buf();
    let server = Server::start(&script, &[]);
    let c = Client::new();
    for (name, file, why) in &cases {
        let path = dir.join(file);
        let r = c.request(
            server.addr,
            "/model/load",
            vec![s(name), s(path.to_str().unwrap())],
        );
        assert_eq!(r.addr, "/fail", "{r:?}");
        let text = format!("{r:?}");
        assert!(text.contains(file) && text.contains(why), "{text}");
    }
    // The music goes on: bars still advance and nothing was muted.
    let bar = support::osc::status(&c, server.addr).bar;
    assert!(support::eventually(Duration::from_secs(30), || {
        support::osc::status(&c, server.addr).bar > bar
    }));
    assert_eq!(support::osc::status(&c, server.addr).muted_sources, 0);
    server.stop();
}
