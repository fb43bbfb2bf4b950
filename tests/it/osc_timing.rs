//! Timetagged bundles from a real client (python-osc) land on their frame:
//! a bundle 200 ms ahead sounds within 1 ms of its time in the recording.

use crate::support;

use std::process::Command;
use std::time::Duration;

use rosc::OscType;
use support::osc::{have, Client, Server};
use support::{onsets, read_wav};

const SENDER: &str = r#"
import socket, sys, time
from pythonosc import osc_bundle_builder, osc_message_builder

port = int(sys.argv[1])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

def bundle(at):
    b = osc_bundle_builder.OscBundleBuilder(at)
    m = osc_message_builder.OscMessageBuilder(address="/play")
    m.add_arg("click")
    m.add_arg("gain")
    m.add_arg(0.8)
    b.add_content(m.build())
    return b.build().dgram

now = time.time()
t1 = now + 0.2
t2 = now + 0.45
sock.sendto(bundle(t1), ("127.0.0.1", port))
sock.sendto(bundle(t2), ("127.0.0.1", port))
print(repr(t1), repr(t2))
"#;

/// Unix seconds of an NTP timetag.
fn unix(t: rosc::OscTime) -> f64 {
    t.seconds as f64 - 2_208_988_800.0 + t.fractional as f64 / 4_294_967_296.0
}

#[test]
fn a_bundle_200_ms_ahead_sounds_within_1_ms_of_its_time() {
    // Measures 1 ms against the wall clock: no other test beside it.
    let _alone = support::alone();
    if !have(
        "python-osc",
        Command::new("python3").args(["-c", "import pythonosc"]),
    ) {
        return;
    }
    let dir = support::temp_dir("timing");
    let script = support::script_with_click(&dir, "tempo(120);\n");
    let wav = dir.join("out.wav");
    let server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let c = Client::new();
    let clock = || {
        let clock = c.request(server.addr, "/clock", vec![]);
        match clock.args.as_slice() {
            [OscType::Long(f), OscType::Time(t), OscType::Int(48_000)] => (*f as f64, unix(*t)),
            other => panic!("{other:?}"),
        }
    };
    // The null sink has kept its pace for 300 ms (14,400 frames).
    assert!(support::eventually(Duration::from_secs(30), || clock().0 >= 14_400.0));
    let (frame0, time0) = clock();
    let out = Command::new("python3")
        .args(["-c", SENDER, &server.addr.port().to_string()])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let times: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    // Both clicks have played, and a tenth of a second after the last.
    let last = times
        .iter()
        .map(|t| frame0 + (t - time0) * 48_000.0)
        .fold(0.0, f64::max);
    assert!(support::eventually(Duration::from_secs(30), || clock().0 >= last + 4_800.0));
    let late = support::osc::status(&c, server.addr).late_bundles;
    let log = server.stop();
    assert!(log.contains("recorder_dropped=0"), "{log}");
    assert_eq!(late, 0);

    let found = onsets(&read_wav(&wav));
    assert_eq!(found.len(), 2, "two clicks: {found:?}\n{log}");
    let expected: Vec<f64> = times
        .iter()
        .map(|t| frame0 + (t - time0) * 48_000.0)
        .collect();
    for (got, want) in found.iter().zip(&expected) {
        let off_ms = (*got as f64 - want) / 48.0;
        eprintln!("click at frame {got}, timetag says {want:.1}: {off_ms:+.3} ms");
        assert!(off_ms.abs() <= 1.0, "{off_ms} ms off");
    }
    let spacing = (found[1] - found[0]) as f64;
    let want = (times[1] - times[0]) * 48_000.0;
    assert!(
        (spacing - want).abs() <= 48.0,
        "spacing {spacing} frames, timetags say {want:.1}"
    );
}
