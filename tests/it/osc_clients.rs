//! The clients that ship with loam, and liblo's command-line tools, against a
//! real server: oscsend → loam → oscdump, Pure Data running patches/loam.pd,
//! sclang running patches/loam.scd's setup block, and the Max patch's JSON.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::eventually;
use support::osc::{have, status, Client, Server};

fn patch(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("patches")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const PIECE: &str = "tempo(120);\nlive_loop(\"k\", \"click ~\");\n";

#[test]
fn oscsend_controls_loam_and_oscdump_hears_its_beats() {
    if !have(
        "liblo-tools (oscsend)",
        Command::new("sh").args(["-c", "command -v oscsend && command -v oscdump"]),
    ) {
        return;
    }
    let dir = support::temp_dir("liblo");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let port = server.addr.port().to_string();
    let listen = support::osc::free_port().to_string();
    let dump_out = dir.join("oscdump.txt");
    let mut dump = Command::new("oscdump")
        .args(["-L", &listen])
        .stdout(std::fs::File::create(&dump_out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let send = |args: &[&str]| {
        let ok = Command::new("oscsend")
            .args(["127.0.0.1", &port])
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "oscsend {args:?}");
    };
    send(&["/subscribe", "i", &listen]);
    send(&["/tempo", "f", "133"]);
    send(&["/play", "ssf", "click", "gain", "0.5"]);
    send(&["/nonsense", "i", "1"]);
    let c = Client::new();
    let changed = eventually(Duration::from_secs(5), || {
        status(&c, server.addr).tempo == 133.0
    });
    // oscdump writes a line per message (-L): wait for three beats.
    let beats_in = |text: &str| text.lines().filter(|l| l.contains("/beat iii")).count();
    let heard = eventually(Duration::from_secs(30), || {
        beats_in(&std::fs::read_to_string(&dump_out).unwrap_or_default()) >= 3
    });
    let _ = dump.kill();
    let _ = dump.wait();
    let dumped = std::fs::read_to_string(&dump_out).unwrap();
    assert!(changed, "tempo from oscsend never arrived");
    assert!(heard, "oscdump saw fewer than three beats:\n{dumped}");
    // The unknown address was answered (to oscsend's port) and counted.
    assert_eq!(status(&c, server.addr).bad, 1);
}

/// Appends objects to a Pd patch: `lines` numbered from the patch's object count.
fn pd_with(patch: &str, extra: &[&str], connects: &[(usize, usize)]) -> String {
    let objects = patch
        .split(";\n")
        .filter(|e| e.starts_with("#X ") && !e.starts_with("#X connect"))
        .count();
    let mut out = patch.to_string();
    for e in extra {
        out.push_str(e);
        out.push_str(";\n");
    }
    for (a, b) in connects {
        out.push_str(&format!(
            "#X connect {} 0 {} 0;\n",
            objects + a,
            objects + b
        ));
    }
    out
}

#[test]
fn pure_data_runs_loam_pd_and_follows_the_beat() {
    if !have(
        "Pure Data (pd)",
        Command::new("sh").args(["-c", "command -v pd"]),
    ) {
        return;
    }
    let dir = support::temp_dir("pd");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let beats = support::osc::free_port();
    // The shipped patch with this test's ports, and the beats printed.
    let text = patch("loam.pd")
        .replace("57130", &server.addr.port().to_string())
        .replace("57140", &beats.to_string());
    let text = pd_with(
        &text,
        &[
            "#X obj 900 700 r loam-beat",
            "#X obj 900 730 print loam-beat",
        ],
        &[(0, 1)],
    );
    let variant = dir.join("loam-test.pd");
    std::fs::write(&variant, text).unwrap();
    let mut out = Command::new("timeout")
        .args([
            "20", "pd", "-nogui", "-stderr", "-noaudio", "-nomidi", "-nosleep",
        ])
        .args([
            "-send",
            "loam-tempo 133",
            "-send",
            "loam-metre 7/8",
            "-send",
            "loam-play click gain 0.5",
        ])
        .args([
            "-send",
            "loam-mute k",
            "-send",
            "loam-status bang",
            "-send",
            "loam-mute nothing",
        ])
        .arg(&variant)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let so_far = read_as_it_comes(out.stderr.take().unwrap());
    let c = Client::new();
    let changed = eventually(Duration::from_secs(8), || {
        let st = status(&c, server.addr);
        st.tempo == 133.0 && st.metre == "2+2+3/8"
    });
    // Until pd has printed every answer and three beats (or `timeout` ends it).
    let answers = [
        "loam: done /tempo",
        "loam: done /metre",
        "loam: done /play click",
        "loam: done /loop/k/mute",
        "loam: status ",
        "loam: fail /loop/nothing/mute",
    ];
    let beats_in = |text: &str| text.lines().filter(|l| l.starts_with("loam-beat:")).count();
    eventually(Duration::from_secs(20), || {
        let text = so_far.lock().unwrap();
        answers.iter().all(|a| text.contains(a)) && beats_in(&text) >= 3
    });
    let _ = Command::new("kill")
        .args(["-TERM", &out.id().to_string()])
        .status();
    let _ = out.wait();
    let printed = so_far.lock().unwrap().clone();
    assert!(changed, "pd's /tempo and /metre never arrived:\n{printed}");
    for answer in [
        "loam: done /tempo",
        "loam: done /metre",
        "loam: done /play click",
        "loam: done /loop/k/mute",
        "loam: status ",
    ] {
        assert!(
            printed.contains(answer),
            "pd printed no '{answer}':\n{printed}"
        );
    }
    assert!(
        printed.contains("loam: fail /loop/nothing/mute"),
        "{printed}"
    );
    let beat_lines = printed
        .lines()
        .filter(|l| l.starts_with("loam-beat:"))
        .count();
    assert!(beat_lines >= 3, "pd saw {beat_lines} beats:\n{printed}");
    assert!(
        !printed.contains("error:") && !printed.contains("couldn't create"),
        "{printed}"
    );
}

#[test]
fn sclang_runs_the_setup_of_loam_scd_and_schedules_on_beats() {
    if !have(
        "SuperCollider (sclang)",
        Command::new("sh").args(["-c", "command -v sclang"]),
    ) {
        return;
    }
    let dir = support::temp_dir("sclang");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let text = patch("loam.scd");
    let setup_end = text
        .find("// ---- end of setup ----")
        .expect("the setup marker");
    let mut variant = text[..setup_end].replace("57130", &server.addr.port().to_string());
    variant.push_str(
        r#"
fork {
	var beats = 0, tempo = 0;
	~loamBeat = { |bar, beat, pulse, time|
		"BEAT % % % ahead %".format(bar, beat, pulse, time - SystemClock.seconds).postln;
		beats = beats + 1;
	};
	OSCdef(\loamTestTempo, { |msg| tempo = msg[1] }, '/status');
	~loam.sendMsg("/tempo", 133);
	~loam.sendBundle(0.2, ["/play", "click"]);
	~loam.sendMsg("/eval", "live_loop(\"sc\", \"click*2\");");
	~loam.sendMsg("/metre", "7/7");
	// Wait for what is checked, not for a time: three beats, and the
	// tempo (it takes effect at the next bar not yet planned) in /status.
	while { beats < 3 } { 0.1.wait };
	while { tempo != 133 } { ~loam.sendMsg("/status"); 0.25.wait };
	"LOAM-SC-DONE".postln;
	0.exit;
};
"#,
    );
    let file = dir.join("loam-test.scd");
    std::fs::write(&file, variant).unwrap();
    let out = Command::new("timeout")
        .args(["60", "sclang"])
        .arg(&file)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("QTWEBENGINE_DISABLE_SANDBOX", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned()
        + String::from_utf8_lossy(&out.stderr).as_ref();
    assert!(
        printed.contains("LOAM-SC-DONE"),
        "sclang did not finish:\n{printed}"
    );
    for answer in [
        "loam: done /subscribe",
        "loam: done /tempo",
        "loam: done /play",
        "loam: done /eval",
        "loam: FAIL /metre",
    ] {
        assert!(
            printed.contains(answer),
            "sclang printed no '{answer}':\n{printed}"
        );
    }
    assert!(printed.contains("loam: 133.0 bpm"), "{printed}");
    // Beats come ahead of their time, so SC can schedule synths on them.
    let aheads: Vec<f64> = printed
        .lines()
        .filter_map(|l| l.strip_prefix("BEAT "))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert!(aheads.len() >= 3, "{printed}");
    assert!(
        aheads.iter().all(|a| *a > 0.0),
        "beats arrived late: {aheads:?}"
    );
    let c = Client::new();
    let st = status(&c, server.addr);
    assert_eq!(st.tempo, 133.0);
    assert!(st.loops.contains(&"sc".to_string()), "{:?}", st.loops);
}

#[test]
fn the_max_patch_is_valid_json_with_udpsend_udpreceive_and_messages() {
    let text = patch("loam.maxpat");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let boxes = v["patcher"]["boxes"].as_array().expect("boxes");
    let lines = v["patcher"]["lines"].as_array().expect("lines");
    let by_id: std::collections::HashMap<&str, &serde_json::Value> = boxes
        .iter()
        .map(|b| (b["box"]["id"].as_str().unwrap(), &b["box"]))
        .collect();
    let texts: Vec<&str> = boxes
        .iter()
        .filter_map(|b| b["box"]["text"].as_str())
        .collect();
    assert!(texts
        .iter()
        .any(|t| t.starts_with("udpsend 127.0.0.1 57130")));
    assert!(texts.iter().any(|t| t.starts_with("udpreceive")));
    let messages: Vec<&str> = boxes
        .iter()
        .filter(|b| b["box"]["maxclass"] == "message")
        .filter_map(|b| b["box"]["text"].as_str())
        .collect();
    for address in [
        "/tempo",
        "/metre",
        "/octave",
        "/play",
        "/set",
        "/hush",
        "/status",
        "/subscribe",
        "/loop/",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(address)),
            "no {address} message box"
        );
    }
    for l in lines {
        let src = &l["patchline"]["source"];
        let dst = &l["patchline"]["destination"];
        let (s, d) = (
            by_id[src[0].as_str().unwrap()],
            by_id[dst[0].as_str().unwrap()],
        );
        assert!(
            src[1].as_u64().unwrap() < s["numoutlets"].as_u64().unwrap(),
            "{l}"
        );
        assert!(
            dst[1].as_u64().unwrap() < d["numinlets"].as_u64().unwrap(),
            "{l}"
        );
    }
}

/// Collects what `stream` prints, line by line, while the test goes on.
fn read_as_it_comes(
    stream: impl std::io::Read + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<String>> {
    use std::io::BufRead;
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let into = text.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream)
            .lines()
            .map_while(Result::ok)
        {
            let mut t = into.lock().unwrap();
            t.push_str(&line);
            t.push('\n');
        }
    });
    text
}
