//! The thread that keeps time never waits on the performer's code: script
//! code that blocks or runs long is cut off on the script thread while the
//! loops keep sounding, bars it is late for play their last patterns (and
//! `/status` counts them), and SIGTERM ends the performance within 2 s with
//! the recording finalised, whatever the script is doing.

use crate::support;

use std::time::{Duration, Instant};

use rosc::OscType;
use support::osc::{s, status, Client, Server};
use support::{eventually, onsets, read_wav};

/// Legal code well under the operation limit that still takes many
/// seconds: each iteration rewrites a 1 MB string.
const SLOW: &str = "let big = \"x\"; big.pad(1000000, \"y\"); for i in 0..50000 { let t = big; t.replace(\"y\", \"z\"); }";

fn text(m: &rosc::OscMessage) -> String {
    m.args
        .iter()
        .map(|a| match a {
            OscType::String(x) => x.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest stretch between two clicks, in seconds, from `from` on.
fn longest_gap(samples: &[f32], rate: f64) -> f64 {
    let o = onsets(samples);
    o.windows(2)
        .map(|w| (w[1] - w[0]) as f64 / rate)
        .fold(0.0, f64::max)
}

#[test]
fn sleep_and_slow_code_are_cut_off_while_the_loops_keep_playing() {
    // Measures wall-clock time: no other test beside it.
    let _alone = support::alone();
    let dir = support::temp_dir("timekeeper-slow");
    // 4/4 at 480: a bar every 0.5 s, a click every 62.5 ms.
    let script = support::script_with_click(
        &dir,
        "tempo(480);\nlive_loop(\"c\", |n| \"click*4\");\nfn bar(n) { set(\"bar\", n); }\n",
    );
    let wav = dir.join("out.wav");
    let mut server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let c = Client::new();
    let watcher = Client::new();
    // Wait for the loop to be heard (its first bars planned).
    assert!(eventually(Duration::from_secs(20), || status(
        &watcher,
        server.addr
    )
    .bar >= 2));

    // sleep() is refused with a clear error, at once.
    let asked = Instant::now();
    let m = c
        .try_request(
            server.addr,
            "/eval",
            vec![s("sleep(4.0);")],
            Duration::from_secs(10),
        )
        .expect("an answer to sleep()");
    assert_eq!(m.addr, "/fail", "{m:?}");
    assert!(text(&m).contains("sleep() is not available"), "{m:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    let m = c
        .try_request(
            server.addr,
            "/eval",
            vec![s("sleep(1e9);")],
            Duration::from_secs(10),
        )
        .expect("an answer to sleep(1e9)");
    assert_eq!(m.addr, "/fail", "{m:?}");

    // Slow code: cut off at the wall-clock limit, while bars go on.
    let before = status(&watcher, server.addr);
    c.socket
        .send_to(&support::osc::message("/eval", vec![s(SLOW)]), server.addr)
        .unwrap();
    // While it runs the bar number keeps advancing (the timekeeper does not wait).
    assert!(
        eventually(Duration::from_secs(10), || status(&watcher, server.addr)
            .bar
            >= before.bar + 3),
        "bars stopped advancing during a slow evaluation:\n{}",
        server.log()
    );
    let m = c
        .answer("/eval", Duration::from_secs(30))
        .expect("an answer to the slow evaluation");
    assert_eq!(m.addr, "/fail", "{m:?}");
    assert!(text(&m).contains("time limit of 2000 ms"), "{m:?}");
    // Bars the script was late for were counted and said.
    assert!(server.alive());
    let log = server.log();
    assert!(
        log.contains("the script was late") && log.contains("last good patterns"),
        "{log}"
    );
    assert!(status(&watcher, server.addr).late_bars >= 1);
    // After it, the script answers in time again.
    assert!(eventually(Duration::from_secs(10), || server
        .log()
        .contains("the script is back in time")));
    let log = server.stop();
    // No gap longer than 0.3 s in the clicks, from the first to the last.
    let audio = read_wav(&wav);
    let gap = longest_gap(&audio, 48_000.0);
    assert!(gap < 0.3, "a gap of {gap:.3} s in the clicks\n{log}");
    // Four clicks a bar, at least five bars heard.
    assert!(onsets(&audio).len() >= 20, "{log}");
}

#[test]
fn sigterm_ends_the_performance_within_two_seconds_while_the_script_is_busy() {
    // Measures wall-clock time: no other test beside it.
    let _alone = support::alone();
    let dir = support::temp_dir("timekeeper-term");
    let script = support::script_with_click(&dir, "tempo(480);\nlive_loop(\"c\", \"click*4\");\n");
    let wav = dir.join("busy.wav");
    let server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let c = Client::new();
    assert!(eventually(Duration::from_secs(20), || status(
        &c,
        server.addr
    )
    .bar >= 1));
    c.socket
        .send_to(&support::osc::message("/eval", vec![s(SLOW)]), server.addr)
        .unwrap();
    // The evaluation is running once a bar is late for it.
    let asked = Instant::now();
    assert!(eventually(Duration::from_secs(10), || server
        .log()
        .contains("the script was late")));
    let pid = server.pid();
    let stopped = Instant::now();
    let log = server.stop_within(Duration::from_secs(2));
    let took = stopped.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "SIGTERM took {took:?}\n{log}"
    );
    // SIGTERM came while the evaluation (2 s limit) was still running.
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
    assert!(wav.exists(), "no recording\n{log}");
    assert!(
        !dir.join("busy.wav.part").exists(),
        "a .part file was left\n{log}"
    );
    assert!(log.contains("recording saved"), "pid {pid}\n{log}");
    assert!(!onsets(&read_wav(&wav)).is_empty());
}

#[test]
fn loading_a_file_that_never_answers_is_refused_and_the_bars_go_on() {
    let dir = support::temp_dir("timekeeper-fifo");
    let script = support::script_with_click(&dir, "tempo(480);\nlive_loop(\"c\", \"click*4\");\n");
    // A named pipe nobody writes to: reading it blocks for ever.
    let fifo = dir.join("never.rhai");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let mut server = Server::start(&script, &[]);
    let c = Client::new();
    let watcher = Client::new();
    let before = status(&watcher, server.addr).bar;
    c.socket
        .send_to(
            &support::osc::message("/load", vec![s(fifo.to_str().unwrap())]),
            server.addr,
        )
        .unwrap();
    // The bars keep advancing while the read hangs.
    assert!(eventually(Duration::from_secs(10), || status(
        &watcher,
        server.addr
    )
    .bar >= before + 2));
    let m = c
        .answer("/load", Duration::from_secs(20))
        .expect("an answer to /load of a pipe");
    assert_eq!(m.addr, "/fail", "{m:?}");
    assert!(text(&m).contains("not a regular file"), "{m:?}");
    // A device that never ends lies outside the folders loam reads from:
    // refused before it is read.
    let m = c.request(server.addr, "/load", vec![s("/dev/zero")]);
    assert_eq!(m.addr, "/fail", "{m:?}");
    assert!(
        text(&m).contains("'/dev/zero' leads to /dev/zero, outside the folders loam reads from"),
        "{m:?}"
    );
    // The script thread is free again: an evaluation is answered.
    let m = c.request(server.addr, "/eval", vec![s("let x = 1;")]);
    assert_eq!(m.addr, "/done", "{m:?}");
    assert!(server.alive());
    server.stop();
}

#[test]
fn a_closed_terminal_sighup_finalises_the_recording() {
    let dir = support::temp_dir("timekeeper-hup");
    let script = support::script_with_click(&dir, "tempo(480);\nlive_loop(\"c\", \"click*4\");\n");
    let wav = dir.join("hup.wav");
    let mut server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let c = Client::new();
    assert!(eventually(Duration::from_secs(20), || status(
        &c,
        server.addr
    )
    .bar >= 2));
    let _ = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status();
    assert!(
        eventually(Duration::from_secs(5), || !server.alive()),
        "still running after SIGHUP"
    );
    let log = server.stop();
    assert!(log.contains("recording saved"), "{log}");
    assert!(!dir.join("hup.wav.part").exists(), "{log}");
    assert!(onsets(&read_wav(&wav)).len() >= 4, "{log}");
}

/// The downbeat time (loam's clock, ns) of the first bar ≥ `from` that a
/// subscriber hears announced.
fn downbeat(c: &Client, from: i32) -> (i32, u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < deadline {
        c.socket
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        let Ok(n) = c.socket.recv(&mut buf) else {
            continue;
        };
        let Ok((_, rosc::OscPacket::Bundle(b))) = rosc::decoder::decode_udp(&buf[..n]) else {
            continue;
        };
        for p in &b.content {
            if let rosc::OscPacket::Message(m) = p {
                if m.addr == "/beat" {
                    if let [OscType::Int(bar), OscType::Int(0), ..] = m.args[..] {
                        if bar >= from {
                            let at = loam::time::wallclock::ntp_to_nanos(
                                b.timetag.seconds,
                                b.timetag.fractional,
                            )
                            .expect("a timetag")
                            .get();
                            return (bar, at);
                        }
                    }
                }
            }
        }
    }
    panic!("no downbeat of bar {from} or later announced");
}

#[test]
fn a_save_200_ms_before_a_bar_line_is_heard_from_that_bar() {
    // Measures wall-clock time: no other test beside it.
    let _alone = support::alone();
    let dir = support::temp_dir("timekeeper-save");
    // 4/4 at 60: a bar every 4 s, a beat every second.
    let script = support::script_with_click(&dir, "tempo(60);\nlive_loop(\"c\", \"click\");\n");
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let m = c.request(server.addr, "/subscribe", vec![]);
    assert_eq!(m.addr, "/done", "{m:?}");
    let (bar, at) = downbeat(&c, 1);
    // The next bar line, 200 ms before it: save a new version then.
    let line = at + 4_000_000_000;
    let save_at = line - 200_000_000;
    let now = loam::time::wallclock::now_nanos().get();
    assert!(save_at > now, "the downbeat came too late to test");
    std::thread::sleep(Duration::from_nanos(save_at - now));
    std::fs::write(
        &script,
        "samples(\"samples\");\ntempo(60);\nlive_loop(\"c\", \"click*2\");\n",
    )
    .unwrap();
    let want = format!("it plays from bar {}", bar + 1);
    assert!(
        eventually(Duration::from_secs(10), || server
            .log()
            .contains("reloaded")),
        "{}",
        server.log()
    );
    let log = server.stop();
    assert!(
        log.contains(&want),
        "saved 200 ms before bar {}:\n{log}",
        bar + 1
    );
}
