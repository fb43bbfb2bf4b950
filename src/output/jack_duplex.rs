//! loam's own JACK client for a performance with live input (`loam serve
//! --host jack --input`): output ports `loam:out_1`, `loam:out_2` and input
//! ports `loam:in_1` … `loam:in_N`, read and written in one process
//! callback, so input and output share one clock exactly. (cpal opens a
//! JACK input and output as two clients with two callbacks; without
//! `--input`, loam plays through cpal as before.)
//!
//! The callback is a thin adapter, like cpal's (`device.rs`): it stamps
//! the clock, interleaves the input ports, asks the engine for the block
//! with its input, hands it to the recorder and writes the two outputs.
//! It never allocates, locks, prints or waits (checked with the
//! `check-no-alloc` feature).
//!
//! Connections: the outputs go to the machine's physical playback ports
//! (as cpal's do); input port `in_k` is connected to the k-th port matching
//! `--input-connect PATTERN` (a JACK port-name regular expression), or,
//! without one, to the k-th physical capture port. Other programs (or
//! `jack_connect`) may connect more.

use std::sync::Arc;

use super::input_error::InputError;
use super::CHUNK_FRAMES;
use crate::audio::live_input::MAX_INPUT_CHANNELS;
use crate::audio::{no_alloc, Engine, EngineStatus, RecordTap};
use crate::time::wallclock::{self, ClockStamp, Frame};

/// The JACK client's name (JACK adds a number when it is taken).
pub const CLIENT_NAME: &str = "loam";

/// An opened JACK client with its ports, not yet running.
pub struct JackDuplex {
    client: jack::Client,
    outs: [jack::Port<jack::AudioOut>; 2],
    ins: Vec<jack::Port<jack::AudioIn>>,
    /// The client as the start-up message names it.
    pub description: String,
}

/// A running duplex client; dropping it deactivates the client.
pub struct JackRunning {
    _client: jack::AsyncClient<Xruns, Callback>,
}

/// Counts the server's xruns into the engine's status.
pub struct Xruns(Arc<EngineStatus>);

impl jack::NotificationHandler for Xruns {
    fn xrun(&mut self, _: &jack::Client) -> jack::Control {
        EngineStatus::count(&self.0.xruns);
        jack::Control::Continue
    }
}

/// The process callback's state: everything preallocated.
pub struct Callback {
    outs: [jack::Port<jack::AudioOut>; 2],
    ins: Vec<jack::Port<jack::AudioIn>>,
    engine: Engine,
    tap: Option<RecordTap>,
    status: Arc<EngineStatus>,
    out: Vec<f32>,
    input: Vec<f32>,
}

impl jack::ProcessHandler for Callback {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        // Audio thread: no allocation, locks, prints or waits.
        no_alloc::check(|| self.run(ps));
        jack::Control::Continue
    }
}

impl Callback {
    fn run(&mut self, ps: &jack::ProcessScope) {
        self.status.stamp_clock(ClockStamp {
            frame: Frame(self.engine.frame()),
            nanos: wallclock::now_nanos(),
        });
        let n = ps.n_frames() as usize;
        let ch = self.ins.len();
        let mut done = 0;
        while done < n {
            let m = (n - done).min(CHUNK_FRAMES);
            for (c, port) in self.ins.iter().enumerate() {
                let src = &port.as_slice(ps)[done..done + m];
                for (i, v) in src.iter().enumerate() {
                    self.input[i * ch + c] = *v;
                }
            }
            let buf = &mut self.out[..m * 2];
            self.engine
                .process_with_input(buf, &self.input[..m * ch], ch);
            if let Some(t) = self.tap.as_mut() {
                t.write(buf);
            }
            for (side, port) in self.outs.iter_mut().enumerate() {
                let dst = &mut port.as_mut_slice(ps)[done..done + m];
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = buf[i * 2 + side];
                }
            }
            done += m;
        }
    }
}

/// Opens loam's JACK client with two outputs and `channels` inputs
/// (1 … [`MAX_INPUT_CHANNELS`]).
pub fn open(channels: usize) -> Result<JackDuplex, InputError> {
    if !(1..=MAX_INPUT_CHANNELS).contains(&channels) {
        return Err(InputError::Channels(channels));
    }
    let (client, _) = jack::Client::new(CLIENT_NAME, jack::ClientOptions::NO_START_SERVER)
        .map_err(|e| InputError::Jack(e.to_string()))?;
    let port = |name: String| InputError::Jack(format!("cannot register port {name}"));
    let outs = [1, 2].map(|k| {
        client
            .register_port(&format!("out_{k}"), jack::AudioOut::default())
            .map_err(|_| port(format!("out_{k}")))
    });
    let [l, r] = outs;
    let outs = [l?, r?];
    let ins = (1..=channels)
        .map(|k| {
            client
                .register_port(&format!("in_{k}"), jack::AudioIn::default())
                .map_err(|_| port(format!("in_{k}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let description = format!(
        "JACK client {} ({} Hz, {}-frame period, outputs out_1 out_2, inputs in_1..in_{channels})",
        client.name(),
        client.sample_rate(),
        client.buffer_size()
    );
    Ok(JackDuplex {
        client,
        outs,
        ins,
        description,
    })
}

impl JackDuplex {
    /// The server's rate, in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.client.sample_rate()
    }

    /// The server's period, in frames: the engine's block.
    pub fn block(&self) -> usize {
        self.client.buffer_size() as usize
    }

    /// Starts the client and makes its connections (see the module's
    /// notes); `connect` is the `--input-connect` pattern. Keep the
    /// returned value alive while playing.
    pub fn start(
        self,
        engine: Engine,
        tap: Option<RecordTap>,
        status: Arc<EngineStatus>,
        connect: Option<&str>,
    ) -> Result<(JackRunning, Vec<String>), InputError> {
        let name = self.client.name().to_string();
        let out_names: Vec<String> = self.outs.iter().filter_map(|p| p.name().ok()).collect();
        let in_names: Vec<String> = self.ins.iter().filter_map(|p| p.name().ok()).collect();
        let channels = self.ins.len();
        let callback = Callback {
            outs: self.outs,
            ins: self.ins,
            engine,
            tap,
            status: status.clone(),
            out: vec![0.0; CHUNK_FRAMES * 2],
            input: vec![0.0; CHUNK_FRAMES * channels.max(1)],
        };
        let active = self
            .client
            .activate_async(Xruns(status), callback)
            .map_err(|e| InputError::Jack(format!("cannot start client {name}: {e}")))?;
        let client = active.as_client();
        let audio = Some("audio");
        let mut told = Vec::new();
        let playback = client.ports(
            None,
            audio,
            jack::PortFlags::IS_INPUT | jack::PortFlags::IS_PHYSICAL,
        );
        for (out, to) in out_names.iter().zip(&playback) {
            if client.connect_ports_by_name(out, to).is_err() {
                told.push(format!("cannot connect {out} -> {to}"));
            }
        }
        let sources = match connect {
            Some(pattern) => client.ports(Some(pattern), audio, jack::PortFlags::IS_OUTPUT),
            None => client.ports(
                None,
                audio,
                jack::PortFlags::IS_OUTPUT | jack::PortFlags::IS_PHYSICAL,
            ),
        };
        if let (Some(pattern), true) = (connect, sources.is_empty()) {
            told.push(format!(
                "--input-connect {pattern}: no JACK output port matches; connect {} yourself",
                in_names.join(", ")
            ));
        }
        for (from, input) in sources.iter().zip(&in_names) {
            match client.connect_ports_by_name(from, input) {
                Ok(()) => told.push(format!("{from} -> {input}")),
                Err(e) => told.push(format!("cannot connect {from} -> {input}: {e}")),
            }
        }
        Ok((JackRunning { _client: active }, told))
    }
}
