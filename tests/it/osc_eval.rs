//! `loam eval` as an editor uses it: code from `-e`, a file or standard
//! input goes to a running server, changes what plays, and a bad snippet
//! exits non-zero with `file:line:col: message`.

use crate::support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::osc::{status, Client, Server};
use support::{eventually, onsets, read_wav};

fn eval(server: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("eval")
        .args(args)
        .args(["--osc", server])
        .output()
        .expect("run loam eval")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn eval_changes_what_plays_and_reports_errors_with_positions() {
    let dir = support::temp_dir("eval");
    // Silent until something is evaluated.
    let script = support::script_with_click(&dir, "tempo(120);\n");
    let wav = dir.join("out.wav");
    let server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let addr = server.addr.to_string();
    let c = Client::new();
    // Some silence is recorded before the first eval: bar 1 has begun.
    assert!(eventually(Duration::from_secs(30), || status(
        &c,
        server.addr
    )
    .bar >= 1));
    let before = status(&c, server.addr).bar;

    let ok = eval(&addr, &["-e", "live_loop(\"x\", \"click*4\");"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    // `/done` comes once the loop is added: it is listed, and it plays from
    // the next bar not yet planned, at most two bars after the one playing
    // now (the lookahead is shorter than a bar).
    let listed = status(&c, server.addr);
    assert!(
        listed.loops.contains(&"x".to_string()),
        "{:?}",
        listed.loops
    );
    // Before stopping it, x must have played a whole bar: wait for the bar
    // after its latest possible first bar to begin.
    assert!(eventually(Duration::from_secs(30), || status(
        &c,
        server.addr
    )
    .bar >= listed.bar
        + 3));

    // A syntax error: exit 3 and file:line:col.
    let bad = eval(&addr, &["-e", "live_loop(\"y\", "]);
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));
    let err = stderr(&bad);
    assert!(err.starts_with("<eval>:1:"), "{err}");

    // From a file: its name and the line inside it. (Not beside the
    // script: a .rhai file saved there counts as an import, and the
    // script's reload would stop the loops evaluated so far.)
    let elsewhere = dir.join("notes");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let file = elsewhere.join("selection.rhai");
    std::fs::write(
        &file,
        "// a selection\nlive_loop(\"z\", \"click\");\ntempo(\"fast\");\n",
    )
    .unwrap();
    let bad = eval(&addr, &[file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(3));
    let err = stderr(&bad);
    assert!(err.contains("selection.rhai:3:"), "{err}");

    // From standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_loam"))
        .args(["eval", "--osc", &addr])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"stop_loop(\"x\");\nlive_loop(\"w\", \"click ~\");\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(eventually(Duration::from_secs(5), || {
        let loops = status(&c, server.addr).loops;
        loops.contains(&"w".to_string()) && !loops.contains(&"x".to_string())
    }));
    let log = server.stop();
    // The recording was silent before the first eval, then x played a
    // whole bar: four clicks a quarter (24,000 frames at 120) apart,
    // starting on a bar line (96,000 frames) after the eval.
    let found = onsets(&read_wav(&wav));
    assert!(found.len() >= 4, "{found:?}\n{log}");
    assert!(
        found[0] >= BAR * (before as u64 + 1),
        "sound before any eval at frame {} (eval during bar {before})",
        found[0]
    );
    assert_eq!(
        found[0] % BAR,
        0,
        "x did not start on a bar line: {found:?}"
    );
    let gaps: Vec<u64> = found.windows(2).take(3).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [BAR / 4; 3], "{found:?}\n{log}");
}

/// A bar of 4/4 at 120, in frames at 48 kHz.
const BAR: u64 = 96_000;

#[test]
fn eval_without_a_server_says_so() {
    let port = support::osc::free_port();
    let out = eval(
        &format!("127.0.0.1:{port}"),
        &["-e", "tempo(100);", "--timeout", "1"],
    );
    assert_eq!(out.status.code(), Some(6));
    assert!(stderr(&out).contains("loam serve"), "{}", stderr(&out));
}
