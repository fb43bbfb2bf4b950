//! The real-time-factor probe and the buffer rule: a model fast enough
//! plays at the smallest buffer it allows; one that cannot keep up on this
//! machine is said to be so when it loads, before it plays (at load and in
//! `/status`); an asked-for buffer is used as asked; `loam models bench`
//! prints each method's timing per buffer size. Models from
//! tests/models/export_nn_tilde.py (SKIP without the torch venv).

use crate::support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use loam::model::torchscript::probe::{MIN_MODEL_BUFFER, REAL_TIME_SHARE};
use loam::model::torchscript::{ModelStream, Module, Route, StreamConfig};
use support::osc::{s, Client, Server};

fn models(tag: &str) -> Option<PathBuf> {
    let dir = support::temp_dir(tag);
    support::models::export(&dir)
}

/// A stream whose buffer the probe chooses.
fn chosen(route: Route) -> StreamConfig {
    let mut c = StreamConfig::new(route, 48_000);
    c.choose_buffer = true;
    c
}

#[test]
fn a_fast_model_gets_the_smallest_buffer_and_an_asked_one_is_kept() {
    let Some(dir) = models("probe-fast") else {
        return;
    };
    let full = dir.join("full.ts");
    // decode's ratio is 64: the smallest buffer is 256, and it keeps up.
    let c = chosen(Route::Decode("decode".into()));
    let (h, _out) = ModelStream::start(Module::load(&full).unwrap(), c).unwrap();
    let p = h.probe().clone();
    assert_eq!(p.buffer, MIN_MODEL_BUFFER, "{p:?}");
    assert_eq!(h.layout().buffer, MIN_MODEL_BUFFER);
    assert_eq!(h.latency_frames(), MIN_MODEL_BUFFER);
    assert!(
        p.real_time && p.rtf <= REAL_TIME_SHARE && p.rtf > 0.0,
        "{p:?}"
    );
    assert!(!p.asked);
    assert_eq!(p.max_ratio, 64);
    assert_eq!(p.tried.len(), 1, "{p:?}");
    assert_eq!(p.threads, 1);
    h.stop();
    // An asked-for buffer is used as asked, and measured all the same.
    let mut c = StreamConfig::new(Route::Audio("forward".into()), 48_000);
    c.buffer = 1000;
    let (h, _out) = ModelStream::start(Module::load(&full).unwrap(), c).unwrap();
    let p = h.probe().clone();
    assert!(p.asked && p.buffer == 1024 && p.real_time, "{p:?}");
    assert_eq!(h.layout().buffer, 1024);
    let line = p.describe(h.latency_ms());
    assert!(line.contains("1024-frame buffer (given"), "{line}");
    assert!(line.contains("latency 21.3 ms"), "{line}");
}

#[test]
fn a_model_slower_than_real_time_at_every_buffer_is_flagged_before_it_plays() {
    let Some(dir) = models("probe-slow") else {
        return;
    };
    // Its cost grows with the frames it computes, so no buffer helps.
    let c = chosen(Route::Audio("forward".into()));
    let (h, _out) = ModelStream::start(Module::load(dir.join("sluggish.ts")).unwrap(), c).unwrap();
    let p = h.probe().clone();
    assert!(!p.real_time && p.rtf > REAL_TIME_SHARE, "{p:?}");
    assert!(!p.tried.is_empty());
    // It plays at the size that measured fastest.
    let best = p.tried.iter().map(|t| t.rtf).fold(f64::INFINITY, f64::min);
    assert_eq!(p.rtf, best, "{p:?}");
    assert!(p
        .describe(h.latency_ms())
        .contains("NOT real time on this machine"));
    // Not yet played: nothing underran.
    assert_eq!(h.stats().underruns, 0);
}

#[test]
fn serve_says_a_model_is_too_slow_when_it_loads_and_status_reports_every_models_timing() {
    let Some(dir) = models("probe-serve") else {
        return;
    };
    let script = support::script_with_click(&dir, "live_loop(\"k\", \"~\");\n");
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let full = dir.join("full.ts");
    let r = c.request(
        server.addr,
        "/model/load",
        vec![s("dc"), s(full.to_str().unwrap())],
    );
    assert_eq!(r.addr, "/done", "{r:?}\n{}", server.log());
    let slow = dir.join("sluggish.ts");
    // Its probe takes a few seconds on a busy machine: wait for the answer.
    let r = c
        .try_request(
            server.addr,
            "/model/load",
            vec![s("slow"), s(slow.to_str().unwrap()), s("forward")],
            Duration::from_secs(120),
        )
        .expect("an answer to /model/load");
    assert_eq!(r.addr, "/done", "{r:?}\n{}", server.log());
    // Said at load, as an error line, before its first buffer played.
    assert!(
        support::eventually(Duration::from_secs(30), || server.log().lines().any(|l| l
            .contains("error: model 'slow' plays")
            && l.contains("NOT real time"))),
        "{}",
        server.log()
    );
    let st = support::osc::status(&c, server.addr);
    assert_eq!(st.models_too_slow, 1, "{st:?}");
    let rtf: Vec<(String, f64)> = st
        .model_rtf
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect();
    assert_eq!(rtf.len(), 2, "{st:?}");
    assert_eq!(rtf[0].0, "dc");
    assert!(rtf[0].1 <= REAL_TIME_SHARE, "{st:?}");
    assert_eq!(rtf[1].0, "slow");
    assert!(rtf[1].1 > REAL_TIME_SHARE, "{st:?}");
    // The decoder keeps up at its smallest buffer: 256 frames of latency.
    assert!(
        st.model_latency
            .starts_with(&format!("dc={MIN_MODEL_BUFFER} slow=")),
        "{st:?}"
    );
    let log = server.stop();
    assert!(
        log.lines()
            .any(|l| l.contains("model 'dc' plays (latency 256 frames)")
                && l.contains("real time on this machine")
                && !l.contains("error")),
        "{log}"
    );
}

#[test]
fn models_bench_prints_each_method_at_each_buffer_with_one_and_n_threads() {
    let Some(dir) = models("probe-bench") else {
        return;
    };
    let _turn = support::alone::shared();
    let out = Command::new(env!("CARGO_BIN_EXE_loam"))
        .args(["models", "bench"])
        .arg(dir.join("full.ts"))
        .args(["--threads", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{err}");
    assert!(
        text.contains("rtf_1_thread") && text.contains("rtf_2_threads"),
        "{text}"
    );
    // forward, encode and decode at 256 … 32768 frames; explode fails, said.
    for method in ["forward", "encode", "decode"] {
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(method))
            .collect();
        assert_eq!(rows.len(), 8, "{method}: {text}");
        let first: Vec<&str> = rows[0].split_whitespace().collect();
        assert_eq!(first[1], "256", "{text}");
        assert_eq!(first[2], "5.3", "{text}");
        assert!(first[3].parse::<f64>().unwrap() > 0.0, "{text}");
        assert!(first[4].parse::<f64>().unwrap() > 0.0, "{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("explode") && l.contains("cannot be measured")),
        "{text}"
    );
    // Not a model: exit status 5 and the reason.
    let bad = Command::new(env!("CARGO_BIN_EXE_loam"))
        .args(["models", "bench"])
        .arg(dir.join("not_a_model.ts"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not_a_model.ts"));
}
