//! The same value means the same thing everywhere (issue 10 §4): a script's
//! loop settings and transforms, OSC arguments and MIDI-learn ranges are
//! checked by one rule each ([`loam::pattern::values`]), refused with the
//! same range message naming the loop, address or target, and a negative
//! rate plays the sound reversed, from a script and over OSC alike.

use crate::support;

use std::path::Path;
use std::time::Duration;

use loam::output::offline::render_samples;
use loam::pattern::values::{self, Rule};
use rosc::OscType;
use support::osc::{engine_frame, s, Client, Server};
use support::{eventually, read_wav};

/// Frames in the test ramp.
const RAMP: usize = 480;

/// `(i + 1) / RAMP`: rises from just above 0 to 1, so forward and reversed
/// playback differ in every frame.
fn ramp(i: usize) -> f32 {
    (i + 1) as f32 / RAMP as f32
}

/// Writes `samples/ramp.wav` (mono, 48 kHz, 32-bit float) into `dir`.
fn write_ramp(dir: &Path) {
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    support::files::write_mono_wav(&samples.join("ramp.wav"), (0..RAMP).map(ramp));
}

/// The rule's message for `v`.
fn message(rule: Rule, v: f64) -> String {
    rule.check(v).unwrap_err().to_string()
}

/// A script piece with the click and the ramp, rendered offline.
fn render(tag: &str, body: &str, bars: i64) -> Result<Vec<f32>, String> {
    let script = support::script_with_click(&support::temp_dir(tag), body);
    write_ramp(script.parent().unwrap());
    let mut out = Vec::new();
    render_samples(&script, bars, 48_000, 64, |x| {
        out.extend_from_slice(x);
        Ok(())
    })
    .map(|_| out)
    .map_err(|e| e.to_string())
}

/// Checks that the left channel from the first sound on holds `expected`
/// (as a multiple of one gain), then silence.
fn assert_plays(out: &[f32], expected: &[f32], what: &str) {
    let left: Vec<f32> = out.chunks_exact(2).map(|f| f[0]).collect();
    let start = left
        .iter()
        .position(|x| *x != 0.0)
        .unwrap_or_else(|| panic!("{what}: silent"));
    let gain = left[start] / expected[0];
    assert!(gain > 0.05, "{what}: gain {gain}");
    for (k, want) in expected.iter().enumerate() {
        let got = left[start + k];
        assert!(
            (got - gain * want).abs() < 1e-5,
            "{what}: frame {k} is {got}, want {} ({want} × {gain})",
            gain * want
        );
    }
    assert_eq!(left[start + expected.len()], 0.0, "{what}: plays on");
}

fn forward() -> Vec<f32> {
    (0..RAMP).map(ramp).collect()
}

fn reversed(step: usize) -> Vec<f32> {
    (0..RAMP).rev().step_by(step).map(ramp).collect()
}

#[test]
fn a_negative_rate_in_a_script_plays_the_sample_reversed() {
    let body = |rate: &str| {
        format!("tempo(120);\nlive_loop(\"r\", \"ramp ~ ~ ~\").gain(0.5).rate({rate});\n")
    };
    let out = render("fwd", &body("1"), 1).unwrap();
    assert_plays(&out, &forward(), "rate 1");
    let out = render("rev1", &body("-1"), 1).unwrap();
    assert_plays(&out, &reversed(1), "rate -1");
    let out = render("rev1f", &body("-1.0"), 1).unwrap();
    assert_plays(&out, &reversed(1), "rate -1.0");
    // Twice as fast: every other frame, from the last, half as long.
    let out = render("rev2", &body("-2"), 1).unwrap();
    assert_eq!(reversed(2).len(), RAMP / 2);
    assert_plays(&out, &reversed(2), "rate -2");
}

#[test]
fn reversed_playback_does_not_depend_on_the_block_size() {
    let script = support::script_with_click(
        &support::temp_dir("rev-blocks"),
        "tempo(120);\nlive_loop(\"r\", \"ramp ramp:0 ~ ramp\").rate(-1.5).legato(0.02);\n",
    );
    write_ramp(script.parent().unwrap());
    let renders: Vec<Vec<f32>> = [1, 64, 1000]
        .iter()
        .map(|b| support::render(&script, 1, *b))
        .collect();
    assert!(renders[0].iter().any(|x| *x != 0.0));
    assert_eq!(renders[0], renders[1]);
    assert_eq!(renders[1], renders[2]);
}

#[test]
fn a_negative_rate_over_osc_plays_the_sample_reversed() {
    let dir = support::temp_dir("same-values-rev");
    let script = support::script_with_click(&dir, "tempo(120);\n");
    write_ramp(&dir);
    let wav = dir.join("out.wav");
    let server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let c = Client::new();
    let to = server.addr;
    let m = c.request(
        to,
        "/play",
        vec![
            s("ramp"),
            s("rate"),
            OscType::Int(-1),
            s("gain"),
            OscType::Float(0.5),
        ],
    );
    assert_eq!(m.addr, "/done", "{m:?}");
    // Half a second of audio after the answer holds the whole ramp.
    let after = engine_frame(&c, to) + 24_000;
    assert!(
        eventually(Duration::from_secs(30), || engine_frame(&c, to) > after),
        "the engine did not play on"
    );
    server.stop();
    assert_plays(&read_wav(&wav), &reversed(1), "/play rate -1");
}

/// Each script call with an out-of-range value, and the rule and value it
/// breaks.
fn script_cases() -> Vec<(&'static str, Rule, f64)> {
    vec![
        (".gain(17)", values::GAIN, 17.0),
        (".gain(-0.5)", values::GAIN, -0.5),
        (".pan(1.5)", values::PAN, 1.5),
        (".pan(-2)", values::PAN, -2.0),
        (".rate(0)", values::RATE, 0.0),
        (".rate(0.0)", values::RATE, 0.0),
        (".rate(65)", values::RATE, 65.0),
        (".rate(-65)", values::RATE, -65.0),
        (".rate(0.0078125)", values::RATE, 0.0078125),
        (".legato(0)", values::LEGATO, 0.0),
        (".legato(-1)", values::LEGATO, -1.0),
        (".legato(65)", values::LEGATO, 65.0),
        (".velocity(2.5)", values::VELOCITY, 2.5),
        (".velocity(-1)", values::VELOCITY, -1.0),
        (".shift(1.5)", values::SHIFT, 1.5),
        (".shift(2000)", values::SHIFT, 2000.0),
        (".swing(1.5)", values::SWING, 1.5),
        (".swing(-0.25)", values::SWING, -0.25),
        (".degrade(1.5)", values::DEGRADE, 1.5),
        (".degrade(-0.5)", values::DEGRADE, -0.5),
        (".humanise(2, 0)", values::HUMANISE_TIMING, 2.0),
        (".humanise(-0.5, 0)", values::HUMANISE_TIMING, -0.5),
        (".humanise(0.1, 1.5)", values::HUMANISE_VELOCITY, 1.5),
        (".fast(0)", values::FAST, 0.0),
        (".fast(-2)", values::FAST, -2.0),
        (".fast(\"-2\")", values::FAST, -2.0),
        (".fast(300)", values::FAST, 300.0),
        (".slow(0)", values::SLOW, 0.0),
        (".slow(300)", values::SLOW, 300.0),
        (".octave(3)", values::OCTAVE, 3.0),
    ]
}

#[test]
fn a_script_refuses_each_value_out_of_its_range_naming_the_loop() {
    for (call, rule, v) in script_cases() {
        let body = format!("live_loop(\"kick\", \"click\"){call};\n");
        let err = render("refuse", &body, 1).err().unwrap_or_else(|| {
            panic!("{call} was accepted");
        });
        let want = format!("loop 'kick': {}", message(rule, v));
        assert!(err.contains(&want), "{call}: {err}\nwant: {want}");
    }
    // A transform made for `every` is checked where it is made (the loop is
    // not known yet): the same message, at the call's line and column.
    let err = render(
        "every",
        "live_loop(\"kick\", \"click\").every(2, fast(0));\n",
        1,
    )
    .unwrap_err();
    assert!(err.contains(&message(values::FAST, 0.0)), "{err}");
    // The global octave follows the same rule.
    let err = render("octave", "octave(-3);\n", 1).unwrap_err();
    assert!(err.contains(&message(values::OCTAVE, -3.0)), "{err}");
}

#[test]
fn a_script_accepts_each_value_in_range() {
    for call in [
        ".gain(16)",
        ".gain(0)",
        ".pan(-1)",
        ".pan(1)",
        ".rate(-64)",
        ".rate(0.015625)",
        ".rate(64)",
        ".legato(64)",
        ".legato(0.01)",
        ".velocity(2)",
        ".velocity(0)",
        ".shift(-1024)",
        ".swing(0)",
        ".swing(\"1/3\")",
        ".degrade(1)",
        ".humanise(0, 0)",
        ".humanise(1, 1)",
        ".fast(256)",
        ".fast(\"3/2\")",
        ".slow(0.00390625)",
        ".octave(-2)",
    ] {
        let body = format!("live_loop(\"kick\", \"click\"){call};\n");
        if let Err(e) = render("accept", &body, 1) {
            panic!("{call} was refused: {e}");
        }
    }
}

#[test]
fn pattern_accents_follow_the_same_rules() {
    for (pattern, rule, v) in [
        ("click^2.5", values::VELOCITY, 2.5),
        ("click'1.5", values::NUDGE, 1.5),
        ("click'-1.5", values::NUDGE, -1.5),
        ("click?1.5", values::DEGRADE, 1.5),
        ("click:1000001", values::VARIANT, 1_000_001.0),
    ] {
        let body = format!("live_loop(\"kick\", \"{pattern}\");\n");
        let err = render("accent", &body, 1).unwrap_err();
        assert!(err.contains(&message(rule, v)), "{pattern}: {err}");
    }
    // `^2` is as loud as `.velocity(2)`; `^0` as `.velocity(0)` (silent, asked for).
    let accent = render(
        "accent-2",
        "live_loop(\"k\", \"click^2 ~\").gain(0.25);\n",
        1,
    )
    .unwrap();
    let method = render(
        "method-2",
        "live_loop(\"k\", \"click ~\").gain(0.25).velocity(2);\n",
        1,
    )
    .unwrap();
    assert_eq!(accent, method);
    assert!(accent.iter().any(|x| *x != 0.0));
}

#[test]
fn osc_and_midi_learn_refuse_with_the_same_messages() {
    let dir = support::temp_dir("same-values-osc");
    let script =
        support::script_with_click(&dir, "tempo(120);\nlive_loop(\"kick\", \"click ~\");\n");
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let to = server.addr;
    let fails = |addr: &str, args: Vec<OscType>, want: &str| {
        let m = c.request(to, addr, args.clone());
        assert_eq!(m.addr, "/fail", "{addr} {args:?} should fail: {m:?}");
        match m.args.get(1) {
            Some(OscType::String(r)) => assert_eq!(r, want, "{addr} {args:?}"),
            other => panic!("no reason in {other:?}"),
        }
    };
    let play = |key: &str, v: f32, rule: Rule| {
        fails(
            "/play",
            vec![s("click"), s(key), OscType::Float(v)],
            &format!("/play: {}", message(rule, v as f64)),
        )
    };
    play("gain", 17.0, values::GAIN);
    play("gain", -0.5, values::GAIN);
    play("pan", 1.5, values::PAN);
    play("rate", 0.0, values::RATE);
    play("speed", 0.0, values::RATE);
    play("rate", 65.0, values::RATE);
    play("rate", -65.0, values::RATE);
    play("length", 0.0, values::LENGTH);
    play("n", 1.5, values::VARIANT);
    play("n", -1.0, values::VARIANT);
    // NaN and ±∞ are refused before any rule, as for every number.
    fails(
        "/play",
        vec![s("click"), s("rate"), OscType::Double(f64::INFINITY)],
        "/play: argument 3 (rate) must be finite, got inf",
    );
    fails(
        "/play",
        vec![s("click"), s("gain"), OscType::Float(f32::NAN)],
        "/play: argument 3 (gain) must be finite, got NaN",
    );
    fails(
        "/model/drums/gain",
        vec![OscType::Float(17.0)],
        &format!("/model/drums/gain: {}", message(values::GAIN, 17.0)),
    );
    fails(
        "/model/drums/gain",
        vec![OscType::Float(1.0), OscType::Float(2.0)],
        &format!("/model/drums/gain: {}", message(values::PAN, 2.0)),
    );
    fails(
        "/model/drums/latent",
        vec![OscType::Float(0.0), OscType::Float(100.0)],
        &format!(
            "/model/drums/latent: argument 2: {}",
            message(values::LATENT, 100.0)
        ),
    );
    fails(
        "/octave",
        vec![OscType::Int(3)],
        &format!("/octave: {}", message(values::OCTAVE, 3.0)),
    );
    fails(
        "/octave",
        vec![OscType::Float(1.5), s("kick")],
        &format!("/octave: {}", message(values::OCTAVE, 1.5)),
    );
    // MIDI learn: a range outside the target's rule is refused at learn time.
    for (target, lo, hi, rule, bad) in [
        ("loop:kick:gain", 0.0, 20.0, values::GAIN, 20.0),
        ("loop:kick:gain", -1.0, 1.0, values::GAIN, -1.0),
        ("tempo", 0.0, 120.0, values::TEMPO, 0.0),
        ("latent:drums:0", -100.0, 0.0, values::LATENT, -100.0),
    ] {
        fails(
            "/midi/learn",
            vec![s(target), OscType::Float(lo), OscType::Float(hi)],
            &format!("learn {target}: {}", message(rule, bad)),
        );
    }
    // In range: accepted.
    for (key, v) in [
        ("rate", -1.0f32),
        ("rate", -2.0),
        ("gain", 16.0),
        ("pan", -1.0),
    ] {
        let m = c.request(to, "/play", vec![s("click"), s(key), OscType::Float(v)]);
        assert_eq!(m.addr, "/done", "{key} {v}: {m:?}");
    }
    server.stop();
}

#[test]
fn a_script_learn_range_and_an_osc_one_follow_the_same_rule() {
    use loam::midi::LearnRequest;
    // The script's midi_learn("loop:kick:gain", 0, 20), the terminal's
    // `learn loop:kick:gain 0 20` and OSC's `/midi/learn` all read the
    // request through LearnRequest::parse.
    assert_eq!(
        LearnRequest::parse("loop:kick:gain 0 20")
            .unwrap_err()
            .to_string(),
        format!("learn loop:kick:gain: {}", message(values::GAIN, 20.0))
    );
    assert!(LearnRequest::parse("loop:kick:gain 0 16").is_ok());
    assert!(LearnRequest::parse("octave -2 2").is_ok());
    assert_eq!(
        LearnRequest::parse("octave -3 2").unwrap_err().to_string(),
        format!(
            "learn octave: {}",
            Rule {
                whole: false,
                ..values::OCTAVE
            }
            .check(-3.0)
            .unwrap_err()
        )
    );
}
