//! loam's own files (issue 9, kind G): `--record` and `render -o` refuse,
//! at start and before creating anything, to write over the script, a
//! script it may import, its sounds or its models, or onto a folder, a
//! device or a missing folder; a recording whose disk fills is told at
//! once, the music goes on, and the summary counts what was lost.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::osc::{Client, Server};
use support::process;

/// A click-loop piece that imports `drums.rhai` and loads a model.
fn piece(tag: &str) -> PathBuf {
    let dir = support::temp_dir(tag);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/model-healthy-sine.ts"),
        dir.join("sine.ts"),
    )
    .unwrap();
    std::fs::write(dir.join("drums.rhai"), "fn pattern() { \"click*4\" }\n").unwrap();
    support::script_with_click(
        &dir,
        "import \"drums\" as d;\nlive_loop(\"c\", d::pattern());\nmodel_load(\"sine\", \"sine.ts\");\n",
    )
}

/// Runs `loam ARGS` to its end (it must end by itself within a minute).
fn loam(args: &[&str]) -> process::Finished {
    process::spawn(Command::new(env!("CARGO_BIN_EXE_loam")).args(args))
        .wait_timeout(Duration::from_secs(60))
}

fn refused(what: &str, out: &process::Finished, mentions: &[&str]) {
    assert!(!out.timed_out, "{what}: still running\n{}", out.stderr);
    assert_eq!(out.status.code(), Some(5), "{what}:\n{}", out.stderr);
    for m in mentions {
        assert!(
            out.stderr.contains(m),
            "{what}: no '{m}' in\n{}",
            out.stderr
        );
    }
    assert!(
        !out.stderr.contains("Ctrl-C to stop"),
        "{what}: it started\n{}",
        out.stderr
    );
}

/// Every file under `dir`, with its contents.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn recording_over_what_the_piece_reads_or_onto_a_folder_is_refused_at_start() {
    let script = piece("refused");
    let dir = script.parent().unwrap().to_path_buf();
    let before = snapshot(&dir);
    let cases: Vec<(&str, PathBuf, Vec<&str>)> = vec![
        ("the script", script.clone(), vec!["piece.rhai", "script"]),
        (
            "an import",
            dir.join("drums.rhai"),
            vec!["drums.rhai", ".rhai"],
        ),
        (
            "a sound",
            dir.join("samples/click.wav"),
            vec!["click.wav", "loads sounds from"],
        ),
        (
            "a new file in the sample folder",
            dir.join("samples/take.wav"),
            vec!["samples", "loads sounds from"],
        ),
        (
            "a model",
            dir.join("sine.ts"),
            vec!["sine.ts", "the model 'sine'"],
        ),
        ("a folder", dir.join("samples"), vec!["is a folder"]),
        (
            "a missing folder",
            dir.join("takes/take.wav"),
            vec!["takes", "does not exist"],
        ),
        (
            "a device",
            PathBuf::from("/dev/null"),
            vec!["not a regular file"],
        ),
    ];
    for (what, target, mentions) in &cases {
        let out = loam(&[
            "serve",
            script.to_str().unwrap(),
            "--host",
            "null",
            "--duration",
            "30",
            "--record",
            target.to_str().unwrap(),
        ]);
        refused(what, &out, mentions);
    }
    // Nothing was replaced or created.
    assert_eq!(snapshot(&dir), before);
    // `render -o` follows the same rules.
    let out = loam(&[
        "render",
        script.to_str().unwrap(),
        "--bars",
        "1",
        "-o",
        script.to_str().unwrap(),
    ]);
    refused("render over the script", &out, &["piece.rhai", "script"]);
    assert_eq!(snapshot(&dir), before);
    // An ordinary take beside the script is fine, and can be taken again.
    let take = dir.join("take.wav");
    for _ in 0..2 {
        let out = loam(&[
            "render",
            script.to_str().unwrap(),
            "--bars",
            "1",
            "-o",
            take.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", out.stderr);
        assert!(!support::read_wav(&take).is_empty());
    }
}

/// Plays with the recording going to `target` on a disk that fills: the
/// failure is told while playing (on the terminal, and as `/error` when
/// `subscribed_first`: the disk fills only after the subscriber is in),
/// bars keep advancing, the summary counts what was lost.
fn a_full_disk_is_told_at_once_and_counted(dir: &Path, target: &Path, subscribed_first: bool) {
    let script = support::script_with_click(dir, "live_loop(\"c\", \"click*4\");\n");
    let server = Server::start(&script, &["--record", target.to_str().unwrap()]);
    let c = Client::new();
    let listener = Client::new();
    assert_eq!(
        listener.request(server.addr, "/subscribe", vec![]).addr,
        "/done"
    );
    // Told while it plays, not at the stop.
    let told = support::eventually(Duration::from_secs(60), || {
        server.log().contains("error: recording to")
    });
    assert!(
        told,
        "the failure was not told while playing:\n{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains("No space left on device"), "{log}");
    assert!(log.contains("the music goes on"), "{log}");
    if subscribed_first {
        let mut got = Vec::new();
        let heard = support::eventually(Duration::from_secs(60), || {
            got.extend(listener.collect(Duration::from_millis(50)));
            support::osc::errors(&got)
                .iter()
                .any(|e| e.contains("recording to"))
        });
        assert!(heard, "no /error about the recording:\n{}", server.log());
    }
    // The music goes on.
    let bar = support::osc::status(&c, server.addr).bar;
    assert!(support::eventually(Duration::from_secs(30), || {
        support::osc::status(&c, server.addr).bar >= bar + 2
    }));
    let log = server.stop();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("recording to") && l.contains("failed after"))
            .count(),
        2,
        "told once while playing, and once more in the summary at the stop:\n{log}"
    );
    let lost: u64 = log
        .split("recorder_dropped=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no recorder_dropped in\n{log}"));
    // At least the two bars (2 s at 120 bpm) played after the failure.
    assert!(lost >= 96_000, "recorder_dropped={lost}\n{log}");
    assert!(log.contains(" s lost"), "{log}");
}

#[test]
fn a_recording_to_a_full_device_is_told_while_playing() {
    // /dev/full answers writes as a full disk does; `take.wav.part` (where
    // the recording is written) links to it. Works without root.
    if !Path::new("/dev/full").exists() {
        eprintln!("SKIP: no /dev/full");
        return;
    }
    let dir = support::temp_dir("dev-full");
    let target = dir.join("take.wav");
    std::os::unix::fs::symlink("/dev/full", dir.join("take.wav.part")).unwrap();
    // It fails on the first write, before a subscriber can be in.
    a_full_disk_is_told_at_once_and_counted(&dir, &target, false);
}

/// Unmounts a test's tmpfs when the test ends, pass or fail.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_recording_on_a_small_disk_that_fills_is_told_while_playing() {
    // A real filesystem filling: a 4 MiB tmpfs (about 11 s of 48 kHz stereo
    // float, so the subscriber is in long before), only where the test may
    // mount one (root, mount works).
    let dir = support::temp_dir("tmpfs");
    let disk = dir.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&disk)
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("SKIP: cannot mount a tmpfs here (needs root); the /dev/full test covers it");
        return;
    }
    let _unmount = Mounted(disk.clone());
    a_full_disk_is_told_at_once_and_counted(&dir, &disk.join("take.wav"), true);
}
