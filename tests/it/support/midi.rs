//! A MIDI peer for tests: a JACK client inside the test process with one
//! MIDI output (frame-exact sends, as a drum machine or controller would)
//! and one MIDI input (every event recorded with its absolute JACK frame),
//! plus `loam serve` started against the test's own `jackd -d dummy`
//! (`jack.rs`).

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};

use super::jack::JackServer;
use super::process::{spawn, Running};
use super::serve::serve_command;
use super::{eventually, temp_dir};

/// One MIDI event to send at an absolute JACK frame.
pub type Event = (u64, Vec<u8>);

/// One MIDI event received: its absolute JACK frame, its time on JACK's
/// clock (microseconds, from the cycle's start time and the offset in it),
/// and its bytes.
#[derive(Clone, Debug)]
pub struct Got {
    pub frame: u64,
    pub usecs: f64,
    pub bytes: Vec<u8>,
}

struct Handler {
    out: jack::Port<jack::MidiOut>,
    inp: jack::Port<jack::MidiIn>,
    to_send: Receiver<Event>,
    waiting: VecDeque<Event>,
    got: Sender<Got>,
    sent: Sender<Got>,
}

impl jack::ProcessHandler for Handler {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let start = ps.last_frame_time() as u64;
        let n = ps.n_frames() as u64;
        let nominal = 1e6 / super::jack::RATE as f64;
        let (t0, per_frame) = match ps.cycle_times() {
            Ok(c) if c.next_usecs > c.current_usecs => (
                c.current_usecs as f64,
                (c.next_usecs - c.current_usecs) as f64 / n.max(1) as f64,
            ),
            Ok(c) => (c.current_usecs as f64, nominal),
            Err(_) => (0.0, nominal),
        };
        for e in self.inp.iter(ps) {
            let _ = self.got.try_send(Got {
                frame: start + e.time as u64,
                usecs: t0 + e.time as f64 * per_frame,
                bytes: e.bytes.to_vec(),
            });
        }
        while let Ok(e) = self.to_send.try_recv() {
            let at = self.waiting.partition_point(|w| w.0 <= e.0);
            self.waiting.insert(at, e);
        }
        let mut w = self.out.writer(ps);
        while let Some((f, _)) = self.waiting.front() {
            if *f >= start + n {
                break;
            }
            let (f, bytes) = self.waiting.pop_front().unwrap_or_default();
            let time = f.saturating_sub(start) as u32;
            let _ = w.write(&jack::RawMidi {
                time,
                bytes: &bytes,
            });
            let _ = self.sent.try_send(Got {
                frame: start + time as u64,
                usecs: t0 + time as f64 * per_frame,
                bytes,
            });
        }
        jack::Control::Continue
    }
}

/// The test's MIDI device.
pub struct Peer {
    client: Option<jack::AsyncClient<(), Handler>>,
    tx: Sender<Event>,
    rx: Receiver<Got>,
    sent_rx: Receiver<Got>,
    pub name: String,
}

impl Peer {
    /// Opens client `name` with ports `name:out` and `name:in`.
    pub fn start(server: &JackServer, name: &str) -> Peer {
        let client = server.open_client(name);
        let out = client
            .register_port("out", jack::MidiOut::default())
            .expect("MIDI out port");
        let inp = client
            .register_port("in", jack::MidiIn::default())
            .expect("MIDI in port");
        let (tx, to_send) = bounded(1 << 16);
        let (got, rx) = bounded(1 << 16);
        let (sent, sent_rx) = bounded(1 << 16);
        let handler = Handler {
            out,
            inp,
            to_send,
            waiting: VecDeque::new(),
            got,
            sent,
        };
        let active = client.activate_async((), handler).expect("activate");
        Peer {
            client: Some(active),
            tx,
            rx,
            sent_rx,
            name: name.to_string(),
        }
    }

    fn client(&self) -> &jack::Client {
        self.client.as_ref().expect("peer is running").as_client()
    }

    /// The JACK frame now (estimated between cycles).
    pub fn frame_now(&self) -> u64 {
        self.client().frame_time() as u64
    }

    pub fn send_at(&self, frame: u64, bytes: &[u8]) {
        self.tx.send((frame, bytes.to_vec())).expect("peer queue");
    }

    /// Sends now (in the next cycle).
    pub fn send(&self, bytes: &[u8]) {
        let f = self.frame_now();
        self.send_at(f, bytes);
    }

    /// Everything sent so far, with the frame and the time (on JACK's
    /// clock) it went out at.
    pub fn sent(&self) -> Vec<Got> {
        self.sent_rx.try_iter().collect()
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Got> {
        self.rx.try_iter().collect()
    }

    /// Connects `name:out` to `to` and/or `from` to `name:in`.
    pub fn connect(&self, to: Option<&str>, from: Option<&str>) {
        let c = self.client();
        if let Some(to) = to {
            super::jack::connect_when_active(c, &format!("{}:out", self.name), to);
        }
        if let Some(from) = from {
            super::jack::connect_when_active(c, from, &format!("{}:in", self.name));
        }
    }

    /// Waits (up to 15 s) until someone is connected to this peer's port
    /// `port` (`"out"` or `"in"`): loam has found the device. Messages sent
    /// before that are lost, so a test waits for this, not for a pause.
    pub fn wait_connected(&self, port: &str) {
        let name = format!("{}:{port}", self.name);
        let connected = eventually(Duration::from_secs(15), || {
            self.client()
                .port_by_name(&name)
                .and_then(|p| p.connected_count().ok())
                .is_some_and(|n| n > 0)
        });
        assert!(connected, "nothing connected to {name} within 15 s");
    }

    /// Closes the client: its ports disappear from the graph.
    pub fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.deactivate();
        }
    }
}

/// `loam serve SCRIPT --host null --osc off ARGS…` on this JACK server,
/// with a configuration folder of its own.
pub fn serve(server: &JackServer, script: &Path, args: &[&str]) -> Running {
    let mut cmd = serve_command(script);
    cmd.args(["--osc", "off"])
        .args(args)
        .env("JACK_DEFAULT_SERVER", &server.name)
        .env("XDG_CONFIG_HOME", temp_dir("midi-config"));
    spawn(&mut cmd)
}

/// Waits until a JACK port whose name contains `part` exists.
pub fn wait_for_port(server: &JackServer, part: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = server.command("jack_lsp").output().expect("jack_lsp runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(l) = text.lines().find(|l| l.contains(part)) {
            return l.trim().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no JACK port containing '{part}'; ports:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct CaptureProcess {
    ins: [jack::Port<jack::AudioIn>; 2],
    left: Vec<f32>,
    first_frame: Option<u64>,
    done: Sender<(u64, Vec<f32>)>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl jack::ProcessHandler for CaptureProcess {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        if self.stop.load(std::sync::atomic::Ordering::Acquire) {
            if let Some(f) = self.first_frame.take() {
                let _ = self.done.try_send((f, std::mem::take(&mut self.left)));
            }
            return jack::Control::Continue;
        }
        let x = self.ins[0].as_slice(ps);
        if self.left.len() + x.len() <= self.left.capacity() {
            self.first_frame.get_or_insert(ps.last_frame_time() as u64);
            self.left.extend_from_slice(x);
        }
        jack::Control::Continue
    }
}

/// Records the left channel of whatever is connected to its two inputs,
/// with the JACK frame of the first sample (unbroken from there).
pub struct AudioCapture {
    client: jack::AsyncClient<(), CaptureProcess>,
    done: Receiver<(u64, Vec<f32>)>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub inputs: [String; 2],
}

impl AudioCapture {
    /// Starts recording at once, for at most `seconds`.
    pub fn start(server: &JackServer, name: &str, seconds: f64) -> AudioCapture {
        let client = server.open_client(name);
        let ins = [0, 1].map(|i| {
            client
                .register_port(&format!("in_{i}"), jack::AudioIn::default())
                .expect("capture port")
        });
        let inputs = ins.each_ref().map(|p| p.name().expect("capture port name"));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, done) = bounded(1);
        let process = CaptureProcess {
            ins,
            left: Vec::with_capacity((seconds * super::jack::RATE as f64) as usize),
            first_frame: None,
            done: tx,
            stop: stop.clone(),
        };
        let client = client
            .activate_async((), process)
            .expect("activate capture");
        AudioCapture {
            client,
            done,
            stop,
            inputs,
        }
    }

    /// Connects JACK output ports to the capture's inputs, in order.
    pub fn connect_from(&self, outputs: &[String]) {
        for (o, i) in outputs.iter().zip(&self.inputs) {
            super::jack::connect_when_active(self.client.as_client(), o, i);
        }
    }

    /// The audio output ports of the process `pid` (cpal's JACK client).
    pub fn outputs_of(&self, pid: u32) -> Vec<String> {
        let pattern = format!("^cpal_client_{pid}_out:");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut outs = self.client.as_client().ports(
                Some(&pattern),
                Some("audio"),
                jack::PortFlags::IS_OUTPUT,
            );
            outs.sort();
            if outs.len() >= 2 {
                return outs;
            }
            assert!(Instant::now() < deadline, "no audio ports from {pid}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops and returns (first frame, left channel).
    pub fn finish(self) -> (u64, Vec<f32>) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        let got = self
            .done
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        let _ = self.client.deactivate();
        got
    }
}
