//! Step models (Markov, GRU) trained by `loam train` on the shipped
//! dataset, in the performance: a script sees each step's distribution,
//! re-weights it, draws, and fills bars of the current metre with what the
//! model generates; OSC steps a named model (`/model/NAME/step`) and
//! subscribers hear every step.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use loam::schedule::{BarHook, Change};
use loam::script::Script;
use loam::time::Metre;
use rosc::{OscPacket, OscType};
use support::osc::{Client, Server};

fn train(dir: &Path, kind: &str, file: &str) -> PathBuf {
    let model = dir.join(file);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/aksak");
    let out = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("train")
        .arg(&data)
        .args(["--model", kind, "--steps", "150", "-o"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    model
}

fn messages(script: &mut Script) -> Vec<String> {
    script.take_messages()
}

/// The loop patterns a bar's changes set, by loop name.
fn loop_sources(changes: &[Change]) -> Vec<(String, String)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Loop(d) => Some((d.name.clone(), d.source.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn scripts_see_reweight_and_draw_steps_and_fill_bars_in_the_metre() {
    let dir = support::temp_dir("steps-script");
    train(&dir, "markov", "drums.model");
    train(&dir, "rnn", "gru.model");
    let path = dir.join("piece.rhai");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/aksak/nine.pat");
    std::fs::copy(&data, dir.join("nine.pat")).unwrap();
    std::fs::write(dir.join("broken.pat"), "metre 7/8\npattern a\nkick x . q\n").unwrap();
    let source = r#"
let fresh = markov_train("nine.pat", 3);
print(`trained ${fresh.pattern("2+2+2+3/8")}`);
let m = markov_load("drums.model", "drums");
let g = rnn_load("gru.model");
m.seed(7);
let d = m.distribution();
let total = 0.0;
for c in d { total += c.p; }
print(`choices ${d.len()} total ${total}`);
// Only snare-free steps may follow: the weight map rules the others out.
let labels = [];
for c in d { if c.label.contains("snare") { labels.push(c.label); } }
let w = #{};
for l in labels { w[l] = 0.0; }
for i in 0..40 { let s = m.step(w); if s.label.contains("snare") { throw `ruled out ${s.label}`; } }
// A function sees each choice: only the longest steps.
let longest = 0;
for c in m.distribution() { if c.ticks > longest { longest = c.ticks; } }
for i in 0..10 { let s = m.step(|c| if c.ticks == longest { 1.0 } else { 0.0 }); if s.ticks != longest { throw "function weights"; } }
m.temperature(0.0);
m.order(2);
g.temperature(0.5);
let s = g.step();
print(`gru ${s.label} ${s.ticks} ${s.p}`);
live_loop("gen", |n| m.pattern());
live_loop("gru", |n| g.pattern("2+2+3/8"));
fn bar(n) { print(`metre ${current_metre()}`); }
"#;
    let (mut script, _) = Script::from_source(&path, source).unwrap();
    let mut out = messages(&mut script);
    let trained = out.remove(0);
    assert!(
        trained.starts_with("trained ") && trained.contains('|'),
        "{trained}"
    );
    let first = &out[0];
    assert!(first.starts_with("choices "), "{out:?}");
    let total: f64 = first.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((total - 1.0).abs() < 1e-4, "{first}");
    assert!(out.iter().any(|m| m.starts_with("gru ")), "{out:?}");
    // Two steps of OSC's view of the named model.
    let steps = script.shared().step_model("drums", 2).unwrap();
    assert_eq!(steps.len(), 2);
    assert!(script
        .shared()
        .step_model("nope", 1)
        .unwrap_err()
        .to_string()
        .contains("no step model 'nope'"));
    // Bars of 7/8 grouped 2+2+3: each generated pattern is one bar in that metre.
    let metre = Metre::parse("2+2+3/8").unwrap();
    script.metre_for_bar(&metre);
    let changes = script.on_bar(0);
    let out = messages(&mut script);
    assert_eq!(out, ["metre 2+2+3/8"], "{out:?}");
    let loops = loop_sources(&changes);
    assert_eq!(loops.len(), 2, "{changes:?}");
    for (name, src) in &loops {
        let p =
            loam::pattern::Pattern::parse(src).unwrap_or_else(|e| panic!("{name}: {e} in {src}"));
        let ctx = loam::pattern::QueryContext {
            groups: metre.groups(),
            seed: 0,
        };
        let events = p.query(loam::time::q(0, 1), loam::time::q(1, 1), &ctx);
        assert!(!events.is_empty(), "{name} generated an empty bar: {src}");
        // Three metre groups, each split on the 6-per-pulse grid.
        assert_eq!(
            src.split(',').next().unwrap().matches('|').count(),
            2,
            "{src}"
        );
    }
    // A dataset that does not parse: the error names the file and the line.
    let e = Script::from_source(&path, "markov_train(\"broken.pat\");")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("broken.pat") && e.contains(":3"), "{e}");
    // Every step of the named model is there for subscribers; none of the unnamed GRU's.
    let steps = script.shared().take_model_steps();
    assert!(
        steps.iter().all(|(n, _)| n == "drums"),
        "only the named model reports"
    );
    assert!(
        steps.len() >= 52,
        "40 + 10 + 2 steps and a bar: {}",
        steps.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn osc_steps_a_named_model_and_subscribers_hear_every_step() {
    let dir = support::temp_dir("steps-osc");
    train(&dir, "markov", "drums.model");
    let script = support::script_with_click(
        &dir,
        "metre(\"2+2+3/8\");\ntempo(600);\nlet m = markov_load(\"drums.model\", \"drums\");\nlive_loop(\"gen\", |n| m.pattern());\n",
    );
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let listener = Client::new();
    let r = listener.request(server.addr, "/subscribe", vec![]);
    assert_eq!(r.addr, "/done", "{r:?}");
    let r = c.request(server.addr, "/model/drums/step", vec![OscType::Int(3)]);
    assert_eq!(r.addr, "/done", "{r:?}\n{}", server.log());
    assert_eq!(r.args[0], OscType::String("/model/drums/step".into()));
    assert_eq!(r.args.len(), 1 + 3 * 3, "{r:?}");
    for step in r.args[1..].chunks(3) {
        assert!(matches!(step[0], OscType::String(_)), "{step:?}");
        assert!(matches!(step[1], OscType::Int(t) if t > 0), "{step:?}");
        assert!(
            matches!(step[2], OscType::Float(p) if p > 0.0 && p <= 1.0),
            "{step:?}"
        );
    }
    let r = c.request(server.addr, "/model/nobody/step", vec![]);
    assert_eq!(r.addr, "/fail", "{r:?}");
    let r = c.request(server.addr, "/model/drums/step", vec![OscType::Int(0)]);
    assert_eq!(r.addr, "/fail", "{r:?}");
    // The subscriber hears the OSC steps and the steps the loop takes each bar.
    let steps_in = |got: &[OscPacket]| {
        got.iter()
            .filter(|p| matches!(p, OscPacket::Message(m) if m.addr == "/model/drums/step"))
            .count()
    };
    let heard: Vec<Vec<OscType>> = listener
        .collect_until(Duration::from_secs(30), |got| steps_in(got) > 3)
        .into_iter()
        .filter_map(|p| match p {
            OscPacket::Message(m) if m.addr == "/model/drums/step" => Some(m.args),
            _ => None,
        })
        .collect();
    assert!(heard.len() > 3, "{} steps heard", heard.len());
    let log = server.stop();
    assert!(log.contains("late_events=0"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn models_a_script_trains_rest_until_ready_then_play_and_failures_say_why() {
    let dir = support::temp_dir("steps-train");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/aksak/seven-2-2-3.pat");
    std::fs::copy(&data, dir.join("seven.pat")).unwrap();
    std::fs::write(
        dir.join("tiny.pat"),
        "metre 2+2+3/8\npattern only\nkick x . | . . | . . .\n",
    )
    .unwrap();
    let path = dir.join("piece.rhai");
    let source = r#"
let v = vae_train("seven.pat");
let g = rnn_train("seven.pat", "gru");
let t = vae_train("tiny.pat");
g.temperature(0.5);
if v.ready() || g.ready() { throw "ready at once?"; }
live_loop("vae", |n| v.sample(n));
live_loop("gru", |n| g.pattern("2+2+3/8"));
live_loop("tiny", |n| t.sample(n));
"#;
    let (mut script, _) = Script::from_source(&path, source).unwrap();
    let metre = Metre::parse("2+2+3/8").unwrap();
    let mut news = Vec::new();
    let mut first = None;
    let mut playing = None;
    for bar in 0..600 {
        script.metre_for_bar(&metre);
        let loops = loop_sources(&script.on_bar(bar));
        news.extend(script.take_messages());
        if first.is_none() {
            first = Some(loops.clone());
        }
        let sounding = loops
            .iter()
            .filter(|(n, p)| n != "tiny" && p != "~")
            .count();
        if sounding == 2 {
            playing = Some(loops);
            // The failure of the small dataset is news of its own: it may
            // come after the others are ready.
            if news
                .iter()
                .any(|m| m.contains("vae_train(\"tiny.pat\"): training failed"))
            {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // While training the loops rest; the music goes on.
    let first = first.unwrap();
    assert!(first.iter().all(|(_, p)| p == "~"), "{first:?}");
    let playing = playing.unwrap_or_else(|| panic!("never ready: {news:?}"));
    for (name, p) in &playing {
        if name != "tiny" {
            loam::pattern::Pattern::parse(p).unwrap_or_else(|e| panic!("{name}: {e} in {p}"));
        }
    }
    let said = news.join("\n");
    assert!(
        said.contains("vae_train(\"seven.pat\"): trained in"),
        "{said}"
    );
    assert!(
        said.contains("rnn_train(\"seven.pat\"): trained in"),
        "{said}"
    );
    // The dataset that is too small: the reason, with its minimum.
    assert!(
        said.contains("vae_train(\"tiny.pat\"): training failed"),
        "{said}"
    );
    assert!(
        said.contains("minimum") || said.contains("at least"),
        "{said}"
    );
    // The named GRU answers OSC's steps once ready.
    assert_eq!(script.shared().step_model("gru", 2).unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
