//! Ableton Link (builds with the `link` feature): two loams in one Link
//! session keep their bar lines together, in different metres and tempo
//! octaves, through tempo changes from either side and a metre change;
//! start/stop sync starts them together; absurd session tempi are clamped
//! and a peer leaving changes nothing.
//!
//! Link finds peers by multicast on every network interface, so every test
//! here runs in a network namespace of its own (`unshare(CLONE_NEWNET)` on
//! the test's thread, which its children inherit) with only the loopback
//! interface up, checked before anything starts: nothing leaves the
//! machine. That needs root (CI runs as root); where the namespace cannot
//! be made, the test says so and does nothing else.
//!
//! The issue asks for 2 minutes of agreement; the test that always runs
//! covers about 50 s (every change it asks for, and enough bars after each
//! to measure), and `two_loams_agree_for_two_minutes` (ignored: run it with
//! `--ignored`) keeps them playing for 2 minutes.

use crate::support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use rosc::{OscPacket, OscTime, OscType};
use support::osc::{s, status, Client, Server};

/// Runs `body` on a thread inside a fresh network namespace with only `lo`
/// up. `None` (after saying why) when no namespace can be made here.
fn in_private_network<T: Send>(body: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: unshare only moves this thread into a new network
                // namespace; it touches no memory.
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    let e = std::io::Error::last_os_error();
                    eprintln!(
                        "SKIPPED: the Link tests need a network namespace of their own \
                         (unshare(CLONE_NEWNET): {e}); run them as root"
                    );
                    return None;
                }
                for args in [
                    &["link", "set", "lo", "up"][..],
                    &["link", "set", "lo", "multicast", "on"],
                    &["route", "add", "224.0.0.0/4", "dev", "lo"],
                ] {
                    let st = Command::new("ip").args(args).status().expect("ip");
                    assert!(st.success(), "ip {args:?} failed in the test's namespace");
                }
                let links = Command::new("ip")
                    .args(["-o", "link", "show", "up"])
                    .output()
                    .expect("ip link");
                let links = String::from_utf8_lossy(&links.stdout).to_string();
                let up: Vec<&str> = links
                    .lines()
                    .filter_map(|l| l.split(':').nth(1).map(str::trim))
                    .collect();
                assert_eq!(
                    up,
                    ["lo"],
                    "only loopback may be up where Link runs:\n{links}"
                );
                Some(body())
            })
            .join()
            .expect("the namespace thread")
    })
}

/// A script with a click loop at `tempo` in `metre`, tempo octave `octave`.
fn piece(tag: &str, metre: &str, tempo: &str, octave: i64, extra: &str) -> std::path::PathBuf {
    let dir = support::temp_dir(tag);
    support::script_with_click(
        &dir,
        &format!(
            "metre(\"{metre}\");\ntempo({tempo});\noctave({octave});\n\
             live_loop(\"k\", \"click ~ click ~\").gain(0.2);\n{extra}"
        ),
    )
}

/// A loam in the Link session, with its OSC port, and a subscriber to its beats.
struct Peer {
    server: Server,
    control: Client,
    beats: Client,
    /// (bar, group, unix seconds) of every beat heard so far.
    heard: Vec<(i32, i32, f64)>,
}

impl Peer {
    fn start(script: &std::path::Path) -> Peer {
        let server = Server::start(script, &["--link", "--lookahead-ms", "20"]);
        let control = Client::new();
        let beats = Client::new();
        let m = control.request(
            server.addr,
            "/subscribe",
            vec![OscType::Int(beats.port() as i32)],
        );
        assert_eq!(m.addr, "/done", "{m:?}");
        Peer {
            server,
            control,
            beats,
            heard: Vec::new(),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    fn status(&self) -> support::osc::Status {
        status(&self.control, self.addr())
    }

    /// Sends `addr args` and expects `/done`.
    fn ask(&self, addr: &str, args: Vec<OscType>) {
        let m = self.control.request(self.addr(), addr, args);
        assert_eq!(m.addr, "/done", "{addr}: {m:?}\n{}", self.server.log());
    }

    /// Takes the beats that have arrived (waiting at most 50 ms).
    fn listen(&mut self) {
        for p in self.beats.collect(Duration::from_millis(50)) {
            if let OscPacket::Bundle(b) = p {
                if let [OscPacket::Message(m)] = b.content.as_slice() {
                    if let ("/beat", [OscType::Int(bar), OscType::Int(beat), OscType::Int(_)]) =
                        (m.addr.as_str(), m.args.as_slice())
                    {
                        self.heard.push((*bar, *beat, unix(b.timetag)));
                    }
                }
            }
        }
    }

    /// Bar lines (bar, unix seconds) heard.
    fn bar_lines(&self) -> Vec<(i32, f64)> {
        self.heard
            .iter()
            .filter(|(_, g, _)| *g == 0)
            .map(|(b, _, t)| (*b, *t))
            .collect()
    }
}

fn unix(t: OscTime) -> f64 {
    t.seconds as f64 - 2_208_988_800.0 + t.fractional as f64 / 4_294_967_296.0
}

/// Listens to both until `done` holds (or `within` passes: a failure).
fn until(
    peers: &mut [&mut Peer],
    within: Duration,
    what: &str,
    mut done: impl FnMut(&[&mut Peer]) -> bool,
) {
    let deadline = Instant::now() + within;
    loop {
        for p in peers.iter_mut() {
            p.listen();
        }
        if done(peers) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {within:?} for {what}:\n{}\n---\n{}",
            peers[0].server.log(),
            peers.get(1).map(|p| p.server.log()).unwrap_or_default()
        );
    }
}

/// How far (seconds) each bar line of `lines` lies from the nearest eighth
/// note of `quarters`, a peer's beats that are all quarter notes (4/4),
/// for bar lines inside the span of `quarters`. The grid is read from the
/// peer's beats on either side of the bar line, each with the length of
/// the beat on its own side (and between them), and the nearest reading
/// counts: a tempo change that pivots between two of the peer's beats
/// makes that one beat uneven, and is no disagreement.
fn distances_to_eighths(lines: &[(i32, f64)], quarters: &[f64]) -> Vec<(i32, f64)> {
    let off = |t: f64, from: f64, quarter: f64| {
        let eighth = quarter / 2.0;
        let u = (t - from) / eighth;
        (u - u.round()).abs() * eighth
    };
    lines
        .iter()
        .filter_map(|&(bar, t)| {
            let i = quarters.partition_point(|&q| q <= t);
            if i < 2 || i + 1 >= quarters.len() {
                return None;
            }
            let (a, b) = (quarters[i - 1], quarters[i]);
            let before = off(t, a, a - quarters[i - 2]);
            let after = off(t, b, quarters[i + 1] - b);
            let between = off(t, a, b - a);
            Some((bar, before.min(after).min(between)))
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Both peers report the same session tempo (within a hundredth of a BPM).
fn same_tempo(a: &Peer, b: &Peer, bpm: f32) -> bool {
    let (sa, sb) = (a.status(), b.status());
    (sa.link_tempo - bpm).abs() < 0.01 && (sb.link_tempo - bpm).abs() < 0.01
}

/// Bars of `p` heard after unix time `t`.
fn bars_after(p: &Peer, t: f64) -> usize {
    p.bar_lines().iter().filter(|(_, at)| *at > t).count()
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Two loams, 7/8 (2+2+3) and 4/4 at different tempo octaves, in one Link
/// session for at least `hold` after the changes: tempo changes from both
/// sides and a metre change; the 7/8 loam's bar lines stay on the 4/4
/// loam's eighth-note grid within 1 ms median and 3 ms worst, and every
/// eighth 7/8 bar line meets a 4/4 bar line (28 beats: the quanta's
/// common multiple, counted from the session's shared origin).
fn two_loams_agree(hold: Duration) {
    let seven = piece("link-seven", "2+2+3/8", "138", 1, "");
    // Both start at 138: which session survives when two meet is Link's
    // choice, and the test must not depend on it.
    let four = piece("link-four", "4/4", "138", -1, "");
    let ran = in_private_network(|| {
        // Measures 1 ms against the wall clock: no other test beside it.
        // (Taken on the namespace's thread, which starts the loams.)
        let _alone = support::alone();
        let mut a = Peer::start(&seven);
        until(&mut [&mut a], Duration::from_secs(30), "a to join", |p| {
            p[0].status().link
        });
        let mut b = Peer::start(&four);
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "two peers",
            |p| p[0].status().link_peers == 1 && p[1].status().link_peers == 1,
        );
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "one tempo",
            |p| same_tempo(p[0], p[1], 138.0),
        );
        let sa = a.status();
        assert_eq!((sa.link_quantum, b.status().link_quantum), (3.5, 4.0));
        // Settled: four bars of each after agreeing on the tempo.
        let settled = now_unix() + 2.0;
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "settling",
            |p| bars_after(p[0], settled) >= 4 && bars_after(p[1], settled) >= 4,
        );
        let from = now_unix();
        let mut changes = Vec::new();
        // Three tempo changes, from either side, and one metre change.
        for (who, addr, arg, bpm) in [
            (0, "/tempo", OscType::Float(144.0), 144.0),
            (1, "/tempo", OscType::Float(132.0), 132.0),
            (0, "/tempo", OscType::Float(140.0), 140.0),
            (0, "/metre", s("2+2+2+3/8"), 140.0),
        ] {
            let p = if who == 0 { &a } else { &b };
            p.ask(addr, vec![arg]);
            changes.push(now_unix());
            until(
                &mut [&mut a, &mut b],
                Duration::from_secs(30),
                "the change to reach both",
                |p| same_tempo(p[0], p[1], bpm),
            );
            // Three bars of each after the change has reached both.
            let t = now_unix();
            until(
                &mut [&mut a, &mut b],
                Duration::from_secs(60),
                "bars after a change",
                |p| bars_after(p[0], t) >= 3 && bars_after(p[1], t) >= 3,
            );
        }
        until(
            &mut [&mut a, &mut b],
            hold + Duration::from_secs(30),
            "the rest of the run",
            |_| now_unix() - from >= hold.as_secs_f64(),
        );
        let end = now_unix();
        let quarters: Vec<f64> = b.heard.iter().map(|(_, _, t)| *t).collect();
        let lines: Vec<(i32, f64)> = a
            .bar_lines()
            .into_iter()
            .filter(|(_, t)| *t >= from && *t <= end - 1.0)
            .collect();
        let d = distances_to_eighths(&lines, &quarters);
        assert!(d.len() >= 20, "bar lines measured: {d:?}");
        let worst = d.iter().map(|(_, x)| *x).fold(0.0, f64::max);
        let med = median(d.iter().map(|(_, x)| *x).collect());
        eprintln!(
            "link: {} bar lines of the 7/8 loam over {:.0} s against the 4/4 loam's eighths: \
             median {:.3} ms, worst {:.3} ms",
            d.len(),
            end - from,
            med * 1e3,
            worst * 1e3
        );
        assert!(med <= 0.001, "median {med} s: {d:?}");
        assert!(worst <= 0.003, "worst {worst} s: {d:?}\n{}", a.server.log());
        // The quanta's common multiple: in the settled 7/8 stretch before
        // the first change, bar lines meet the 4/4 loam's bar lines.
        let b_lines: Vec<f64> = b.bar_lines().iter().map(|(_, t)| *t).collect();
        let met = a
            .bar_lines()
            .iter()
            .filter(|(_, t)| *t >= settled && *t < changes[0])
            .filter(|(_, t)| b_lines.iter().any(|u| (u - t).abs() < 0.003))
            .count();
        let seven_bars = a
            .bar_lines()
            .iter()
            .filter(|(_, t)| *t >= settled && *t < changes[0])
            .count();
        assert!(
            seven_bars < 8 || met >= 1,
            "{seven_bars} bars of 7/8 and none met a 4/4 bar line"
        );
        // The tempo octaves stayed each loam's own.
        assert_eq!((a.status().octave, b.status().octave), (1, -1));
        let (la, lb) = (a.server.stop(), b.server.stop());
        assert!(
            !la.contains("error") && !lb.contains("error"),
            "{la}\n---\n{lb}"
        );
    });
    let _ = ran;
}

#[test]
fn two_loams_in_seven_and_four_keep_their_bar_lines_together() {
    two_loams_agree(Duration::from_secs(45));
}

#[test]
#[ignore = "2 minutes: the issue's full run (cargo test --features link --test it link:: -- --ignored)"]
fn two_loams_agree_for_two_minutes() {
    two_loams_agree(Duration::from_secs(120));
}

/// Start/stop sync: two loams with it on start their loops on the same
/// bar line, within one block (256 frames) of each other, when one
/// presses play; both stop at a stop.
#[test]
fn start_stop_sync_starts_both_within_one_block() {
    let sync = "link_start_stop(true);\n";
    let one = piece("link-start-a", "4/4", "120", 0, sync);
    let two = piece("link-start-b", "4/4", "120", 1, sync);
    in_private_network(|| {
        let _alone = support::alone();
        let mut a = Peer::start(&one);
        let mut b = Peer::start(&two);
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "two peers",
            |p| p[0].status().link_peers == 1 && p[1].status().link_peers == 1,
        );
        // Let them settle onto one grid before pressing play.
        let t = now_unix();
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "settling",
            |p| bars_after(p[0], t) >= 3 && bars_after(p[1], t) >= 3,
        );
        a.ask("/link/play", vec![OscType::Int(1)]);
        let start_bar = |p: &Peer| -> Option<i32> {
            let log = p.server.log();
            log.lines()
                .find_map(|l| l.split("loops start at bar ").nth(1))
                .and_then(|n| n.trim().parse().ok())
        };
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "both to start",
            |p| {
                let (Some(x), Some(y)) = (start_bar(p[0]), start_bar(p[1])) else {
                    return false;
                };
                p[0].bar_lines().iter().any(|(n, _)| *n == x)
                    && p[1].bar_lines().iter().any(|(n, _)| *n == y)
            },
        );
        let (x, y) = (start_bar(&a).unwrap(), start_bar(&b).unwrap());
        let at = |p: &Peer, bar: i32| p.bar_lines().iter().find(|(n, _)| *n == bar).unwrap().1;
        let gap = (at(&a, x) - at(&b, y)).abs();
        assert!(
            gap <= 256.0 / 48_000.0,
            "started {gap} s apart (bars {x} and {y})\n{}\n---\n{}",
            a.server.log(),
            b.server.log()
        );
        // A stop reaches the other loam.
        b.ask("/link/play", vec![OscType::Int(0)]);
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "both to stop",
            |p| {
                p.iter()
                    .all(|q| q.server.log().contains("the session stopped"))
            },
        );
        a.server.stop();
        b.server.stop();
    });
}

/// A session at 999 or 1 BPM is clamped to loam's range and reported;
/// bars keep coming at the clamped tempo; a peer leaving changes nothing.
#[test]
fn absurd_session_tempi_are_clamped_and_a_peer_leaving_changes_nothing() {
    use loam::control::link::grid::{MAX_FOLLOWED_BPM, MIN_FOLLOWED_BPM};
    let one = piece("link-absurd-a", "4/4", "120", 0, "");
    let two = piece("link-absurd-b", "4/4", "120", 0, "");
    in_private_network(|| {
        let _alone = support::alone();
        let mut a = Peer::start(&one);
        let mut b = Peer::start(&two);
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "two peers",
            |p| p[0].status().link_peers == 1 && p[1].status().link_peers == 1,
        );
        for (bpm, clamped) in [(999.0, MAX_FOLLOWED_BPM), (1.0, MIN_FOLLOWED_BPM)] {
            b.ask("/eval", vec![s(&format!("tempo_now({bpm});"))]);
            until(
                &mut [&mut a, &mut b],
                Duration::from_secs(30),
                "the clamp",
                |p| (p[0].status().tempo as f64 - clamped).abs() < 0.01,
            );
            assert!(a.server.log().contains("outside the"), "{}", a.server.log());
            // Bars keep coming (no runaway, no stall): two more bar lines.
            let t = now_unix();
            until(
                &mut [&mut a],
                Duration::from_secs(60),
                "bars at the clamp",
                |p| bars_after(p[0], t) >= 2,
            );
        }
        b.ask("/eval", vec![s("tempo_now(120);")]);
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "back in range",
            |p| same_tempo(p[0], p[1], 120.0),
        );
        let t = now_unix();
        until(
            &mut [&mut a, &mut b],
            Duration::from_secs(30),
            "settling",
            |p| bars_after(p[0], t) >= 3,
        );
        // B leaves mid-bar: A's tempo and bar grid stay.
        let before = a.bar_lines();
        let period = {
            let n = before.len();
            before[n - 1].1 - before[n - 2].1
        };
        let last = before[before.len() - 1].1;
        let left = b.server.stop();
        assert!(!left.is_empty());
        until(
            &mut [&mut a],
            Duration::from_secs(30),
            "the peer to go",
            |p| p[0].status().link_peers == 0,
        );
        until(&mut [&mut a], Duration::from_secs(30), "bars after", |p| {
            bars_after(p[0], last) >= 3
        });
        let after: Vec<f64> = a
            .bar_lines()
            .iter()
            .map(|(_, t)| *t)
            .filter(|t| *t > last)
            .collect();
        for (i, t) in after.iter().enumerate() {
            let expected = last + period * (i + 1) as f64;
            assert!(
                (t - expected).abs() < 0.001,
                "bar line {i} after the peer left: {t} vs {expected}"
            );
        }
        assert!((a.status().link_tempo - 120.0).abs() < 0.01);
        a.server.stop();
    });
}

/// `/link` answers, `/status` says Link is on with its quantum, and a
/// quantum that is not a whole number of bars is refused with the reason.
#[test]
fn link_over_osc_and_the_quantum_rule() {
    let dir = support::temp_dir("link-osc");
    let script = support::script_with_click(&dir, "metre(\"12/8\");\ntempo(90, \"q.\");\n");
    in_private_network(|| {
        let server = Server::start(&script, &[]);
        let c = Client::new();
        let st = status(&c, server.addr);
        assert!(!st.link);
        let m = c.request(server.addr, "/link", vec![OscType::Int(1)]);
        assert_eq!(m.addr, "/done", "{m:?}");
        assert!(support::eventually(Duration::from_secs(10), || {
            let st = status(&c, server.addr);
            st.link && st.link_quantum == 4.0 && (st.link_tempo - 90.0).abs() < 0.01
        }));
        let m = c.request(server.addr, "/link/quantum", vec![OscType::Float(6.0)]);
        assert_eq!(m.addr, "/fail", "{m:?}");
        assert!(format!("{m:?}").contains("4 Link beats"), "{m:?}");
        let m = c.request(server.addr, "/link/quantum", vec![OscType::Float(8.0)]);
        assert_eq!(m.addr, "/done", "{m:?}");
        assert!(support::eventually(Duration::from_secs(10), || status(
            &c,
            server.addr
        )
        .link_quantum
            == 8.0));
        let m = c.request(server.addr, "/link/play", vec![OscType::Int(1)]);
        assert_eq!(m.addr, "/fail", "{m:?}");
        assert!(format!("{m:?}").contains("start/stop sync is off"), "{m:?}");
        let m = c.request(server.addr, "/link", vec![OscType::Int(0)]);
        assert_eq!(m.addr, "/done", "{m:?}");
        assert!(support::eventually(Duration::from_secs(10), || !status(
            &c,
            server.addr
        )
        .link));
        // A script joins too.
        let m = c.request(server.addr, "/eval", vec![s("link(true);")]);
        assert_eq!(m.addr, "/done", "{m:?}");
        assert!(support::eventually(Duration::from_secs(10), || status(
            &c,
            server.addr
        )
        .link));
        server.stop();
    });
}

#[test]
fn version_says_the_build_includes_gpl_code() {
    let out = Command::new(support::serve::LOAM)
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("GPL-2.0-or-later"), "{text}");
}
