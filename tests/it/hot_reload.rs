//! A scripted performance in which the script file is rewritten at chosen
//! bars — valid, syntax error, runtime error in one loop, infinite loop,
//! deleted loop, valid again — and the rendered audio shows exactly the
//! expected switch points, the surviving loops, and no gap.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use loam::audio::EngineConfig;
use loam::session::Session;

const BAR: u64 = 96_000; // 4/4 at 120, 48 kHz
const SLOT: u64 = BAR / 8;

fn write_click(dir: &Path, name: &str, amp: f32) {
    support::files::write_mono_wav(
        &dir.join(format!("{name}.wav")),
        support::files::click(amp, 32),
    );
}

fn setup(tag: &str) -> PathBuf {
    let dir = support::temp_dir(tag);
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    write_click(&samples, "a", 1.0);
    write_click(&samples, "b", 0.6);
    write_click(&samples, "c", 0.3);
    dir.join("live.rhai")
}

const HEAD: &str = "samples(\"samples\");\nmetre(\"4/4\");\ntempo(120);\n";

fn version(body: &str) -> String {
    format!("{HEAD}{body}")
}

/// Which sound an onset is, by its level (a 0.354, b 0.212, c 0.106 after pan law and master gain).
fn classify(level: f32) -> char {
    if level > 0.3 {
        'a'
    } else if level > 0.15 {
        'b'
    } else {
        'c'
    }
}

/// (bar, slot, sound) for every onset.
fn score(audio: &[f32]) -> Vec<(u64, u64, char)> {
    support::onsets(audio)
        .into_iter()
        .map(|f| {
            let level = audio[(f * 2) as usize].abs();
            assert_eq!(f % SLOT, 0, "onset off the grid at frame {f}");
            (f / BAR, (f % BAR) / SLOT, classify(level))
        })
        .collect()
}

#[test]
fn rewrites_switch_exactly_at_the_next_bar_and_failures_keep_the_music() {
    let path = setup("reload");
    std::fs::write(
        &path,
        version("live_loop(\"a\", \"a ~ ~ ~ ~ ~ ~ ~\");\nlive_loop(\"b\", \"~ ~ b ~ ~ ~ ~ ~\");\n"),
    )
    .unwrap();
    // Each rewrite happens 200 ms before the bar it should change.
    let rewrites: Vec<(u64, String, bool)> = vec![
        // bar 2: valid; a changes, c is new.
        (2, version("live_loop(\"a\", \"a ~ ~ ~ ~ ~ a ~\");\nlive_loop(\"b\", \"~ ~ b ~ ~ ~ ~ ~\");\nlive_loop(\"c\", \"~ ~ ~ ~ c ~ ~ ~\");\n"), true),
        // bar 3: a syntax error: nothing changes.
        (3, version("live_loop(\"a\", \"a*8\"\nlive_loop(\"b\", \"b*8\");\n"), false),
        // bar 4: loop a's function fails at run time: a keeps its last good
        // version, b changes, c goes on.
        (4, version("live_loop(\"a\", |n| { if n >= 0 { throw \"boom\"; } \"a*8\" });\nlive_loop(\"b\", \"~ ~ b ~ ~ ~ ~ b\");\nlive_loop(\"c\", \"~ ~ ~ ~ c ~ ~ ~\");\n"), true),
        // bar 5: an infinite loop: cut off, nothing changes.
        (5, version("let x = 0;\nloop { x += 1; }\n"), false),
        // bar 6: c deleted, a simpler again.
        (6, version("live_loop(\"a\", \"a ~ ~ ~ ~ ~ ~ ~\");\nlive_loop(\"b\", \"~ ~ b ~ ~ ~ ~ b\");\n"), true),
        // bar 7: valid again, c back with a new pattern.
        (7, version("live_loop(\"a\", \"a ~ ~ ~ ~ ~ ~ ~\");\nlive_loop(\"b\", \"~ ~ b ~ ~ ~ ~ b\");\nlive_loop(\"c\", \"~ ~ ~ c ~ c ~ ~\");\n"), true),
    ];
    let (mut session, mut engine) = Session::start(&path, &EngineConfig::new(48_000)).unwrap();
    let mut audio = Vec::new();
    let mut buf = vec![0.0f32; 512];
    let mut next = 0;
    let mut errors = Vec::new();
    while engine.frame() < 8 * BAR {
        let now = engine.frame();
        if next < rewrites.len() && now + 9_600 >= rewrites[next].0 * BAR {
            let (bar, src, ok) = &rewrites[next];
            std::fs::write(&path, src).unwrap();
            match session.reload() {
                Ok(()) => assert!(ok, "bar {bar}: reload should have failed"),
                Err(e) => {
                    assert!(!ok, "bar {bar}: {e}");
                    errors.push(e.to_string());
                }
            }
            next += 1;
        }
        let messages = session.tick(now + 256 + 1);
        errors.extend(messages);
        engine.process(&mut buf);
        audio.extend_from_slice(&buf);
    }
    let got = score(&audio);
    let mut want = Vec::new();
    for bar in 0..8u64 {
        let (a, b, c): (&[u64], &[u64], &[u64]) = match bar {
            0 | 1 => (&[0], &[2], &[]),
            2 | 3 => (&[0, 6], &[2], &[4]),
            4 | 5 => (&[0, 6], &[2, 7], &[4]),
            6 => (&[0], &[2, 7], &[]),
            _ => (&[0], &[2, 7], &[3, 5]),
        };
        let mut row: Vec<(u64, u64, char)> = a.iter().map(|s| (bar, *s, 'a')).collect();
        row.extend(b.iter().map(|s| (bar, *s, 'b')));
        row.extend(c.iter().map(|s| (bar, *s, 'c')));
        row.sort();
        want.extend(row);
    }
    assert_eq!(got, want);
    let all = errors.join("\n");
    assert!(
        all.contains("live.rhai:5:"),
        "syntax error with line: {all}"
    );
    assert!(
        all.contains("boom") && all.contains("keeps its last good version"),
        "{all}"
    );
    assert!(all.contains("operations"), "infinite loop reported: {all}");
}

#[test]
fn the_store_survives_reloads() {
    let path = setup("store");
    std::fs::write(&path, version("if get(\"n\") == () { set(\"n\", 0); }\nset(\"n\", get(\"n\") + 1);\nlive_loop(\"a\", \"a\");\n")).unwrap();
    let (mut session, _engine) = Session::start(&path, &EngineConfig::new(48_000)).unwrap();
    session.reload().unwrap();
    session.reload().unwrap();
    std::fs::write(
        &path,
        version("print(`n=${get(\"n\")}`);\nlive_loop(\"a\", \"a\");\n"),
    )
    .unwrap();
    session.reload().unwrap();
    let m = session.tick(0);
    assert!(m.iter().any(|l| l == "n=3"), "{m:?}");
}

#[test]
fn runaway_recursion_is_cut_off() {
    let path = setup("recursion");
    std::fs::write(&path, version("live_loop(\"a\", \"a\");\n")).unwrap();
    let (mut session, _engine) = Session::start(&path, &EngineConfig::new(48_000)).unwrap();
    std::fs::write(&path, version("fn f(x) { f(x + 1) }\nf(0);\n")).unwrap();
    let e = session.reload().unwrap_err().to_string();
    // Where the recursion is (inside f), not the outermost call on line 5.
    assert!(
        e.contains("live.rhai:4:") && e.contains("Stack overflow"),
        "{e}"
    );
    std::fs::write(&path, version("let s = \"x\";\nloop { s += s; }\n")).unwrap();
    let e = session.reload().unwrap_err().to_string();
    assert!(
        e.to_lowercase().contains("too large") || e.contains("length"),
        "{e}"
    );
}

#[test]
fn the_live_server_hears_saves() {
    let path = setup("serve");
    std::fs::write(&path, version("live_loop(\"a\", \"a*4\");\n")).unwrap();
    let rec = path.with_file_name("take.wav");
    let mut serving = support::spawn(
        support::serve_command(&path)
            .args(["--osc", "off", "--record"])
            .arg(&rec),
    );
    serving.wait_playing();
    // Each save is heard before the next: the error, then the reload.
    std::fs::write(&path, version("live_loop(\"a\", \"a*4\"\n")).unwrap();
    serving.wait_line("live.rhai:5:");
    std::fs::write(
        &path,
        version("live_loop(\"b\", \"b*8\");\nfn bar(n) { print(`planning bar ${n}`); }\n"),
    )
    .unwrap();
    let reloaded = serving.wait_line("reloaded");
    let from: u64 = reloaded
        .rsplit("plays from bar ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no bar in {reloaded:?}"));
    // b's first bar has played (but for the lookahead) once the bar after
    // it is being planned.
    loop {
        let line = serving.wait_line("planning bar ");
        let n: u64 = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
        if n > from {
            break;
        }
    }
    support::process::sigterm(serving.pid());
    let support::Finished {
        status,
        stderr: err,
        ..
    } = serving.finish();
    assert!(status.success(), "{err}");
    assert!(
        err.contains("live.rhai:5:") && err.contains("last good version keeps playing"),
        "{err}"
    );
    assert!(err.contains("reloaded"), "{err}");
    let audio: Vec<f32> = support::read_wav(&rec);
    let s = score(&audio);
    // a plays first, b (eighths) at the end; never a gap of more than a quarter.
    assert_eq!(s.first().map(|x| x.2), Some('a'));
    assert_eq!(s.last().map(|x| x.2), Some('b'));
    let frames: Vec<u64> = support::onsets(&audio);
    assert!(
        frames.windows(2).all(|w| w[1] - w[0] <= BAR / 4),
        "a gap in the music"
    );
}

#[test]
fn imports_come_from_the_script_folder_only_and_are_watched() {
    let path = setup("imports");
    let dir = path.parent().unwrap().to_path_buf();
    std::fs::write(
        dir.join("grooves.rhai"),
        "fn main_groove() { \"a ~ ~ ~ ~ ~ ~ ~\" }\n",
    )
    .unwrap();
    std::fs::write(
        &path,
        version("import \"grooves\" as g;\nlive_loop(\"a\", g::main_groove());\n"),
    )
    .unwrap();
    let (mut session, _engine) = Session::start(&path, &EngineConfig::new(48_000)).unwrap();
    // The watcher sees a change to the imported file.
    let mut w = loam::control::ScriptWatcher::new(&path);
    std::thread::sleep(Duration::from_millis(60));
    assert!(!w.changed());
    std::fs::write(dir.join("grooves.rhai"), "fn main_groove() { \"a*8\" }\n").unwrap();
    std::thread::sleep(Duration::from_millis(60));
    assert!(w.changed());
    session.reload().unwrap();
    // Escaping the folder is refused (loam's one path rule).
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(dir.join("outside.rhai"), "fn x() { 1 }\n").unwrap();
    let inner = sub.join("piece.rhai");
    std::fs::write(&inner, "import \"../outside\" as o;\n").unwrap();
    let e = Session::start(&inner, &EngineConfig::new(48_000))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("import \"../outside\": '"), "{e}");
    assert!(e.contains("outside the folders loam reads from"), "{e}");
    std::fs::write(&path, version("import \"/etc/passwd\" as o;\n")).unwrap();
    let e = session.reload().unwrap_err().to_string();
    assert!(e.contains("/etc/passwd.rhai' does not exist"), "{e}");
}
