//! Hostile inputs end to end (issue 9, kinds B and C): each short input that
//! used to allocate gigabytes or recurse until the stack ended, run against
//! the real `loam` binary under a memory cap. A live server must stay alive
//! and keep counting bars, answering with an error that names the input and
//! the limit, and stop on SIGTERM; `render` and `train` must exit with such
//! an error, never abort.

use crate::support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscType};
use support::osc::{s, status, Client, Server};
use support::script_with_click;

/// The address-space cap every child runs under, in KiB (`ulimit -v`). Large
/// enough for loam with libtorch mapped, far below what any of these inputs
/// asked for before (3.2 GB to 8.8 TB), so a regression fails here quickly
/// instead of swapping the machine.
const MEMORY_CAP_KIB: u64 = 3_000_000;

/// The case files, committed beside this test.
fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name)
}

/// `loam ARGS…` under the memory cap (the shell execs loam, so the child's
/// pid is loam's).
fn capped_loam() -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_loam"));
    cmd
}

/// Runs a one-shot command to the end (within `limit`) and returns its exit
/// code and stderr. A signal (an abort) reads as code −1.
fn finish(cmd: &mut Command, limit: Duration) -> (i32, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start loam");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} ran past {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Output { status, stderr, .. } = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.signal().is_none(),
        "loam died of signal {:?} (an abort?):\n{stderr}",
        status.signal()
    );
    (status.code().unwrap_or(-1), stderr)
}

/// `loam serve SCRIPT --host null` under the memory cap, with its own OSC port.
struct CappedServer {
    server: Server,
    addr: SocketAddr,
}

impl CappedServer {
    fn start(script: &Path) -> CappedServer {
        let mut cmd = capped_loam();
        cmd.arg("serve").arg(script).args(["--host", "null"]);
        let server = Server::start_with(cmd, script, &[], Duration::from_secs(60));
        CappedServer {
            addr: server.addr,
            server,
        }
    }

    fn log(&self) -> String {
        self.server.log()
    }

    fn alive_now(&self) -> bool {
        // `try_wait` needs `&mut`; a signal 0 asks the kernel instead.
        let pid = self.server.pid();
        Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Waits until `/status` reports at least `bars` more bars than now: the
    /// music goes on. Fails (with the log) if it does not within 30 s.
    fn assert_bars_advance(&self, c: &Client, bars: i32) {
        let start = status(c, self.addr).bar;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(self.alive_now(), "loam died:\n{}", self.log());
            let now = status(c, self.addr).bar;
            if now >= start + bars {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "bars stuck at {now} (from {start}):\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the log holds `text`.
    fn wait_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = self.log();
            if log.contains(text) {
                return log;
            }
            assert!(self.alive_now(), "loam died:\n{log}");
            assert!(
                Instant::now() < deadline,
                "no {text:?} in the log within 30 s:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM by pid; it must exit (not be killed) within 10 s.
    fn stop(self) -> String {
        let done = self.server.stop_finished(Duration::from_secs(10));
        assert!(
            !done.timed_out,
            "loam ignored SIGTERM for 10 s:\n{}",
            done.stderr
        );
        use std::os::unix::process::ExitStatusExt;
        assert!(
            done.status.success() || done.status.signal() == Some(15),
            "exit {:?}:\n{}",
            done.status,
            done.stderr
        );
        done.stderr
    }
}

/// A server playing a click every beat, in a fresh folder.
fn click_server(tag: &str) -> (CappedServer, PathBuf) {
    let dir = support::temp_dir(tag);
    let script = script_with_click(&dir, "tempo(240);\nlive_loop(\"k\", \"click*4\");\n");
    (CappedServer::start(&script), dir)
}

fn fail_reason(m: &OscMessage, addr: &str) -> String {
    assert_eq!(m.addr, "/fail", "{addr} should fail: {m:?}");
    m.args
        .iter()
        .filter_map(|a| match a {
            OscType::String(x) => Some(x.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn eval(c: &Client, to: SocketAddr, code: &str) -> OscMessage {
    c.try_request(to, "/eval", vec![s(code)], Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no answer to /eval {code:?}"))
}

fn render(script: &Path) -> (i32, String) {
    let out = script.with_file_name("out.wav");
    finish(
        capped_loam()
            .arg("render")
            .arg(script)
            .args(["--bars", "2", "-o"])
            .arg(&out),
        Duration::from_secs(120),
    )
}

#[test]
fn metres_too_big_for_a_bar_are_refused_everywhere() {
    let (server, dir) = click_server("metre");
    let c = Client::new();
    // One 28-byte packet, no code permission: 1.3 GB and an abort before.
    for metre in ["100000000/4", "4294967295+1/4"] {
        let m = c.request(server.addr, "/metre", vec![s(metre)]);
        let why = fail_reason(&m, "/metre");
        assert!(why.contains(&format!("'{metre}'")), "{why}");
        assert!(why.contains("at most 64 pulses"), "{why}");
    }
    // The same through a script.
    let m = eval(&c, server.addr, "metre(\"100000000/4\");");
    assert!(fail_reason(&m, "/eval").contains("at most 64 pulses"));
    server.assert_bars_advance(&c, 3);
    assert_eq!(status(&c, server.addr).metre, "1+1+1+1/4");
    server.stop();

    // And offline.
    for metre in ["100000000/4", "4294967295+1/4"] {
        let script = dir.join("render.rhai");
        std::fs::write(
            &script,
            format!("metre(\"{metre}\");\nlive_loop(\"k\", \"kick\");\n"),
        )
        .unwrap();
        let (code, err) = render(&script);
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("render.rhai:1"), "{err}");
        assert!(err.contains("at most 64 pulses"), "{err}");
    }
}

#[test]
fn a_model_claiming_2_to_the_40_elements_is_refused_and_the_music_goes_on() {
    let (server, dir) = click_server("model");
    std::fs::copy(case("model-claims-2e40-elements.ts"), dir.join("claims.ts")).unwrap();
    let c = Client::new();
    let m = c
        .try_request(
            server.addr,
            "/model/load",
            vec![s("big"), s(dir.join("claims.ts").to_str().unwrap())],
            Duration::from_secs(60),
        )
        .expect("an answer to /model/load");
    let why = fail_reason(&m, "/model/load");
    assert!(why.contains("claims.ts"), "{why}");
    assert!(why.contains("at most 65536 elements"), "{why}");
    server.assert_bars_advance(&c, 2);
    // From a script: the load is refused the same way, named in the log.
    let m = eval(&c, server.addr, "model_load(\"big\", \"claims.ts\");");
    assert_eq!(m.addr, "/done", "{m:?}");
    server.wait_log("at most 65536 elements");
    server.assert_bars_advance(&c, 2);
    server.stop();
}

#[test]
fn a_midi_file_with_a_far_hit_is_refused_by_train_and_by_a_live_script() {
    let dir = support::temp_dir("midi");
    let far = dir.join("far.mid");
    std::fs::copy(case("midi-far-hit-37-bytes.mid"), &far).unwrap();
    let (code, err) = finish(
        capped_loam()
            .arg("train")
            .arg(&far)
            .args(["--model", "markov", "-o"])
            .arg(dir.join("m.model")),
        Duration::from_secs(120),
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("far.mid"), "{err}");
    assert!(err.contains("at most 10000 bars"), "{err}");

    let (server, sdir) = click_server("midi-live");
    std::fs::copy(&far, sdir.join("far.mid")).unwrap();
    let c = Client::new();
    let m = eval(&c, server.addr, "let m = markov_train(\"far.mid\");");
    let why = fail_reason(&m, "/eval");
    assert!(why.contains("far.mid"), "{why}");
    assert!(why.contains("at most 10000 bars"), "{why}");
    server.assert_bars_advance(&c, 3);
    server.stop();
}

#[test]
fn events_per_cycle_are_counted_after_every_transform() {
    let (server, dir) = click_server("events");
    let c = Client::new();
    // 16.7 million events a cycle, 2.7 GB a bar before.
    let m = eval(
        &c,
        server.addr,
        "live_loop(\"x\", \"hat*65536\").fast(256);",
    );
    let why = fail_reason(&m, "/eval");
    assert!(why.contains("loop 'x'"), "{why}");
    assert!(why.contains("16777216"), "{why}");
    assert!(why.contains("at most 65536"), "{why}");
    // Layers add up the same way; `every` counts as if it always applied.
    let m = eval(
        &c,
        server.addr,
        "live_loop(\"y\", \"click*40000\").every(4, fast(2));",
    );
    assert!(fail_reason(&m, "/eval").contains("loop 'y'"));
    let m = eval(
        &c,
        server.addr,
        "live_loop(\"z\", \"click*40000\").layer(\"click*40000\");",
    );
    assert!(fail_reason(&m, "/eval").contains("loop 'z'"));
    server.assert_bars_advance(&c, 3);
    let loops = status(&c, server.addr).loops;
    assert_eq!(loops, vec!["k".to_string()], "the refused loops never play");
    server.stop();

    let script = dir.join("dense.rhai");
    std::fs::write(&script, "live_loop(\"x\", \"hat*65536\").fast(256);\n").unwrap();
    let (code, err) = render(&script);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("dense.rhai:1") && err.contains("loop 'x'"),
        "{err}"
    );
}

#[test]
fn the_store_has_a_ceiling_and_says_so() {
    let (server, _dir) = click_server("store");
    let c = Client::new();
    // 100 strings of 512 KiB per /eval added 50 MB each time, never freed.
    let code = "let s = \"x\"; for i in 0..19 { s += s; } \
                for i in 0..100 { set(`k${i}`, s); }";
    let m = eval(&c, server.addr, code);
    let why = fail_reason(&m, "/eval");
    assert!(why.contains("set(\"k31\")"), "{why}");
    assert!(why.contains("16777216"), "{why}");
    // Asking again changes nothing (the keys are replaced, not added) …
    let m = eval(&c, server.addr, code);
    assert!(fail_reason(&m, "/eval").contains("set(\"k31\")"));
    // … and freeing keys makes room.
    let m = eval(
        &c,
        server.addr,
        "for i in 0..31 { set(`k${i}`, ()); } set(\"small\", 1);",
    );
    assert_eq!(m.addr, "/done", "{m:?}");
    server.assert_bars_advance(&c, 3);
    server.stop();
}

#[test]
fn a_1_hz_wav_is_refused_at_once_and_the_music_goes_on() {
    let (server, dir) = click_server("wav");
    let folder = dir.join("s").join("sr1");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(case("wav-1-hz-2000-samples.wav"), folder.join("n2000.wav")).unwrap();
    let c = Client::new();
    // The folder has nothing else: the evaluation that asked for it fails,
    // naming the file and the rule.
    let m = eval(&c, server.addr, "samples(\"s\");");
    let why = fail_reason(&m, "/eval");
    assert!(why.contains("n2000.wav"), "{why}");
    assert!(why.contains("sample rate 1 Hz"), "{why}");
    assert!(why.contains("1000 to 768000 Hz"), "{why}");
    server.assert_bars_advance(&c, 3);
    server.stop();
}

#[test]
fn import_cycles_are_script_errors_with_their_chain() {
    let dir = support::temp_dir("imports");
    std::fs::write(dir.join("a.rhai"), "import \"b\" as b;\nfn x() { 1 }\n").unwrap();
    std::fs::write(dir.join("b.rhai"), "import \"a\" as a;\nfn y() { 2 }\n").unwrap();
    std::fs::write(dir.join("me.rhai"), "import \"me\" as me;\n").unwrap();
    for (body, chain) in [
        ("import \"a\" as a;", "a.rhai → b.rhai → a.rhai"),
        ("import \"me\" as me;", "me.rhai → me.rhai"),
    ] {
        let script = dir.join("piece.rhai");
        std::fs::write(&script, format!("{body}\nlive_loop(\"k\", \"kick\");\n")).unwrap();
        let (code, err) = render(&script);
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("import cycle"), "{err}");
        assert!(err.contains(chain), "{err}");
    }

    let (server, sdir) = click_server("imports-live");
    std::fs::copy(dir.join("a.rhai"), sdir.join("a.rhai")).unwrap();
    std::fs::copy(dir.join("b.rhai"), sdir.join("b.rhai")).unwrap();
    let c = Client::new();
    let m = eval(&c, server.addr, "import \"a\" as a;");
    let why = fail_reason(&m, "/eval");
    assert!(
        why.contains("import cycle: a.rhai → b.rhai → a.rhai"),
        "{why}"
    );
    server.assert_bars_advance(&c, 3);
    server.stop();
}
