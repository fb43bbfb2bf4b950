//! Printing never ends a performance: `loam serve … 2>&1 | head -n 2`
//! leaves loam writing into a pipe nobody reads. Every message after that
//! (a script's `print`, an error, the summary at the end) is dropped, and
//! the music goes on until it is stopped.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::eventually;
use support::osc::{status, Client};

#[test]
fn serve_keeps_playing_after_the_reader_of_its_output_goes_away() {
    let dir = support::temp_dir("closed-output");
    // A line every bar (a quarter of a second at 240 in 1/4).
    let script = support::script_with_click(
        &dir,
        "metre(\"1/4\");\ntempo(240);\nlive_loop(\"k\", \"click\");\nfn bar(n) { print(`bar ${n}`); }\n",
    );
    let port = support::osc::free_port();
    let addr = format!("127.0.0.1:{port}");
    // `2>&1 | head -n 2`: stdout and stderr share one pipe.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("serve")
        .arg(&script)
        .args(["--host", "null", "--osc", &addr])
        .stdin(Stdio::null())
        .stdout(writer.try_clone().expect("a second writer"))
        .stderr(writer)
        .spawn()
        .expect("start loam serve");
    let mut lines = BufReader::new(reader);
    let mut head = String::new();
    for _ in 0..2 {
        let before = head.len();
        lines.read_line(&mut head).expect("a line from loam");
        assert!(head.len() > before, "loam closed its output early: {head}");
    }
    // `head` has its two lines and goes away.
    drop(lines);

    let to = addr.parse().unwrap();
    let c = Client::new();
    let answered = eventually(Duration::from_secs(30), || {
        c.try_request(to, "/status", vec![], Duration::from_millis(200))
            .is_some()
    });
    assert!(
        answered,
        "loam never answered /status; first lines:\n{head}"
    );
    // Bars go by, each printing a line into the closed pipe, and an error
    // is printed too: loam is still there and still counting bars.
    let from = status(&c, to).bar;
    let bad = c.request(to, "/eval", vec![support::osc::s("tempo(\"fast\");")]);
    assert_eq!(bad.addr, "/fail", "{bad:?}");
    assert!(
        eventually(Duration::from_secs(30), || status(&c, to).bar >= from + 8),
        "the bars stopped at {} after {from}",
        status(&c, to).bar
    );
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "loam ended once its output was closed: {:?}\nfirst lines:\n{head}",
        child.try_wait()
    );
    // SIGTERM: it stops as asked (its summary goes nowhere) with status 0.
    support::process::sigterm(child.id());
    let exit = support::process::wait_until(&mut child, Instant::now() + Duration::from_secs(30));
    if exit.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert_eq!(exit.and_then(|s| s.code()), Some(0), "{exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
