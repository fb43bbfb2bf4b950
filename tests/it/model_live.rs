//! Models in the live server: loaded over OSC and from a script while the
//! music plays, steered through their latent space, listed by /status; a
//! corrupt file is a clear /fail and the music keeps playing.

use crate::support;

use std::time::Duration;

use rosc::OscType;
use support::osc::{s, Client, Server};

fn models(tag: &str) -> Option<std::path::PathBuf> {
    let dir = support::temp_dir(tag);
    support::models::export(&dir)
}

fn left_mean(samples: &[f32], from: usize, to: usize) -> f32 {
    let frames: Vec<f32> = samples
        .chunks_exact(2)
        .skip(from)
        .take(to - from)
        .map(|f| f[0])
        .collect();
    frames.iter().sum::<f32>() / frames.len().max(1) as f32
}

/// The `models` field of `/status` (its seventh argument).
fn models_in_status(c: &Client, server: &Server) -> String {
    let r = c.request(server.addr, "/status", vec![]);
    match r.args.get(6) {
        Some(OscType::String(m)) => m.clone(),
        other => panic!("/status has no models field: {other:?}"),
    }
}

#[test]
fn a_model_loads_over_osc_plays_and_follows_its_latent() {
    let Some(dir) = models("models-osc") else {
        return;
    };
    let script = support::script_with_click(&dir, "live_loop(\"k\", \"~\");\n");
    let rec = dir.join("take.wav");
    let server = Server::start(&script, &["--record", rec.to_str().unwrap()]);
    let c = Client::new();
    let listener = Client::new();
    assert_eq!(
        listener.request(server.addr, "/subscribe", vec![]).addr,
        "/done"
    );
    let full = dir.join("full.ts");
    let r = c.request(
        server.addr,
        "/model/load",
        vec![s("dc"), s(full.to_str().unwrap())],
    );
    assert_eq!(r.addr, "/done", "{r:?}\n{}", server.log());
    // decode: left = z0 + z1, right = z2 - z3.
    let r = c.request(
        server.addr,
        "/model/dc/latent",
        vec![
            OscType::Float(0.4),
            OscType::Float(0.2),
            OscType::Float(0.0),
            OscType::Float(0.0),
        ],
    );
    assert_eq!(r.addr, "/done", "{r:?}");
    assert_eq!(models_in_status(&c, &server), "dc");
    // Subscribers hear the latent frame the model decodes once it changes.
    let is_dc = |p: &rosc::OscPacket| {
        matches!(p, rosc::OscPacket::Message(m) if m.addr == "/model/dc/latent"
            && matches!(m.args.as_slice(), [OscType::Float(a), OscType::Float(b), ..]
                if (a - 0.4).abs() < 1e-6 && (b - 0.2).abs() < 1e-6))
    };
    let latents: Vec<Vec<f32>> = listener
        .collect_until(Duration::from_secs(20), |got| got.iter().any(&is_dc))
        .into_iter()
        .filter_map(|p| match p {
            rosc::OscPacket::Message(m) if m.addr == "/model/dc/latent" => Some(
                m.args
                    .iter()
                    .map(|a| match a {
                        OscType::Float(f) => *f,
                        other => panic!("latent value {other:?}"),
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    assert!(
        latents
            .iter()
            .any(|z| z.len() == 4 && (z[0] - 0.4).abs() < 1e-6 && (z[1] - 0.2).abs() < 1e-6),
        "{latents:?}"
    );
    // A corrupt file: a clear failure naming it, and the music goes on.
    let bad = dir.join("truncated.ts");
    let r = c.request(
        server.addr,
        "/model/load",
        vec![s("bad"), s(bad.to_str().unwrap())],
    );
    assert_eq!(r.addr, "/fail", "{r:?}");
    assert!(format!("{r:?}").contains("truncated.ts"), "{r:?}");
    let r = c.request(server.addr, "/model/nope/latent", vec![OscType::Float(1.0)]);
    assert_eq!(r.addr, "/fail");
    // The decoded frame is heard once the model's ring (4,096 frames) has
    // played out: let 0.75 s of audio go by after it was announced, then
    // unload, and let 0.3 s more play.
    let announced = support::osc::engine_frame(&c, server.addr);
    assert!(support::eventually(Duration::from_secs(30), || {
        support::osc::engine_frame(&c, server.addr) >= announced + 36_000
    }));
    let r = c.request(server.addr, "/model/dc/unload", vec![]);
    assert_eq!(r.addr, "/done", "{r:?}");
    let unloaded = support::osc::engine_frame(&c, server.addr);
    assert!(support::eventually(Duration::from_secs(30), || {
        support::osc::engine_frame(&c, server.addr) >= unloaded + 14_400
    }));
    let log = server.stop();
    assert!(log.contains("late_events=0"), "{log}");
    let audio: Vec<f32> = support::read_wav(&rec);
    // Somewhere the decoder's 0.6 × master gain 0.5 = 0.3 held on the left.
    let frames = audio.len() / 2;
    let found = (0..frames.saturating_sub(4800))
        .step_by(2400)
        .any(|f| (left_mean(&audio, f, f + 2400) - 0.3).abs() < 0.01);
    assert!(found, "the model's output never appeared in the recording");
    // And after unloading, silence at the end.
    assert!(left_mean(&audio, frames - 2400, frames).abs() < 1e-3);
}

#[test]
fn a_script_loads_and_steers_a_model() {
    let Some(dir) = models("models-script") else {
        return;
    };
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"dc\", \"full.ts\", \"decode\");\nfn bar(n) { print(`now ${model_latent_now(\"dc\")}`); model_latent(\"dc\", [0.25, 0.0, 0.0, 0.0]); }\nlive_loop(\"k\", \"~\");\n",
    );
    let server = Server::start(&script, &[]);
    let c = Client::new();
    assert!(support::eventually(Duration::from_secs(20), || {
        models_in_status(&c, &server) == "dc"
    }));
    // The script reads back the latent frame the model decodes.
    assert!(support::eventually(Duration::from_secs(10), || {
        server.log().contains("now [0.25, 0.0, 0.0, 0.0]")
    }));
    let log = server.stop();
    assert!(log.contains("model 'dc' plays"), "{log}");
    assert!(!log.contains("error"), "{log}");
}

/// The latent numbers a script printed as `enc [a, b, c, d]`.
fn printed_latents(log: &str) -> Vec<Vec<f64>> {
    log.lines()
        .filter_map(|l| {
            l.split("enc [")
                .nth(1)?
                .strip_suffix(']')
                .map(str::to_string)
        })
        .map(|inner| {
            inner
                .split(", ")
                .filter_map(|x| x.trim().parse().ok())
                .collect()
        })
        .collect()
}

#[test]
fn a_sound_fed_to_an_encoder_gives_a_latent_trajectory_scripts_and_subscribers_read() {
    let Some(dir) = models("models-input") else {
        return;
    };
    // encode-decode: `encode` gives block means × [1, 2, 3, 4].
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nmodel_load(\"enc\", \"full.ts\", \"encode-decode\");\nmodel_input(\"enc\", \"kick\");\n\
         fn bar(n) { print(`enc ${model_latent_now(\"enc\")}`); }\nlive_loop(\"k\", \"~\");\n",
    );
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let listener = Client::new();
    assert_eq!(
        listener.request(server.addr, "/subscribe", vec![]).addr,
        "/done"
    );
    let moving = |log: &str| {
        let z = printed_latents(log);
        let distinct: std::collections::BTreeSet<String> = z
            .iter()
            .filter(|z| z.len() == 4 && z[0].abs() > 1e-6)
            .map(|z| format!("{z:?}"))
            .collect();
        distinct.len() >= 3
    };
    assert!(
        support::eventually(Duration::from_secs(20), || moving(&server.log())),
        "the script never read a moving latent:\n{}",
        server.log()
    );
    for z in printed_latents(&server.log())
        .iter()
        .filter(|z| z.len() == 4 && z[0].abs() > 1e-6)
    {
        for (d, k) in [(1, 2.0), (2, 3.0), (3, 4.0)] {
            assert!((z[d] - k * z[0]).abs() < 1e-4 * (1.0 + z[d].abs()), "{z:?}");
        }
    }
    // Subscribers hear the trajectory move.
    let is_enc = |p: &rosc::OscPacket| matches!(p, rosc::OscPacket::Message(m) if m.addr == "/model/enc/latent");
    let heard = listener
        .collect_until(Duration::from_secs(20), |got| {
            got.iter().filter(|p| is_enc(p)).count() >= 3
        })
        .iter()
        .filter(|p| is_enc(p))
        .count();
    assert!(heard >= 3, "{heard} latent updates heard");
    // Over OSC: another sound, a sound that does not exist, and stop.
    let r = c.request(server.addr, "/model/enc/input", vec![s("hat")]);
    assert_eq!(r.addr, "/done", "{r:?}");
    let r = c.request(server.addr, "/model/enc/input", vec![s("nothing")]);
    assert_eq!(r.addr, "/fail", "{r:?}");
    assert!(
        format!("{r:?}").contains("unknown sound 'nothing'"),
        "{r:?}"
    );
    let r = c.request(server.addr, "/model/enc/input", vec![]);
    assert_eq!(r.addr, "/done", "{r:?}");
    let r = c.request(server.addr, "/model/nobody/input", vec![s("kick")]);
    assert_eq!(r.addr, "/fail", "{r:?}");
    let log = server.stop();
    assert!(log.contains("late_events=0"), "{log}");
}
