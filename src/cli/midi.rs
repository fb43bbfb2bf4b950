//! `loam serve`'s MIDI flags, checked before anything starts; starting MIDI
//! beside the control thread; and MIDI requests typed into the terminal
//! (`learn tempo 90 150`, `forget tempo`, `mappings`, `follow on`, `clock off`).

use std::fmt;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use crossbeam_channel::Sender;

use loam::control::midi::parse_request;
use loam::control::midi::tuning_out::{Channels, MidiTuning, DEFAULT_BEND_RANGE, MAX_BEND_RANGE};
use loam::control::{Answer, Command, Controller};
use loam::midi::{MidiConfig, MidiSystem, PortSpec};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct MidiArgs {
    /// Read MIDI from the first port whose name contains PATTERN (any case),
    /// or make a port others connect to: `virtual` or `virtual:NAME`.
    #[arg(long = "midi-in", value_name = "PATTERN")]
    pub input: Option<String>,
    /// Send MIDI (clock, loop notes) to a port, by PATTERN or `virtual[:NAME]`.
    #[arg(long = "midi-out", value_name = "PATTERN")]
    pub output: Option<String>,
    /// Send MIDI clock (24 per quarter note) on --midi-out, from the next bar line.
    #[arg(long = "midi-clock-out")]
    pub clock_out: bool,
    /// Follow the clock arriving on --midi-in (tempo and bar phase).
    #[arg(long = "midi-clock-in")]
    pub clock_in: bool,
    /// The MIDI bindings file (default: ~/.config/loam/midi.json).
    #[arg(long = "midi-map", value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// How long after its arrival a MIDI message sounds, in milliseconds
    /// (keeps the spacing of pad hits exact); default: the lookahead.
    #[arg(long = "midi-latency-ms", value_name = "MS")]
    pub latency_ms: Option<f64>,
    /// How notes between the keys (60.5, a 53-EDO step) reach --midi-out:
    /// `bend` (per-note pitch bend on rotating channels, MPE-style) or
    /// `mts` (MIDI Tuning Standard single-note tuning SysEx).
    /// Default: bend.
    #[arg(long = "midi-tuning", value_name = "bend|mts")]
    pub tuning: Option<String>,
    /// The pitch bend range loam sets on the bend channels, in semitones
    /// (1 to 96; default 2).
    #[arg(long = "midi-bend-range", value_name = "SEMITONES")]
    pub bend_range: Option<u8>,
    /// The channels notes between the keys rotate over (`2-16`, `2,3,4`,
    /// `2-5,9`; default 2-16, MPE's lower zone).
    #[arg(long = "midi-bend-channels", value_name = "LIST")]
    pub bend_channels: Option<String>,
}

/// A MIDI flag loam cannot use, or MIDI that would not start; each names
/// the flag.
#[derive(Clone, Debug, PartialEq)]
pub enum MidiSetupError {
    /// A clock flag without the port it runs on: `flag` needs `port`.
    ClockWithoutPort {
        flag: &'static str,
        port: &'static str,
    },
    /// `--midi-latency-ms` outside 0 to 2000.
    Latency(f64),
    /// A port pattern `flag` (`--midi-in`, `--midi-out`) that does not parse.
    Port { flag: &'static str, reason: String },
    /// The ports or the MIDI thread could not be started.
    Start(String),
    /// A tuning flag (`--midi-tuning`, `--midi-bend-range`,
    /// `--midi-bend-channels`) loam cannot use.
    Tuning { flag: &'static str, reason: String },
}

impl fmt::Display for MidiSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidiSetupError::ClockWithoutPort { flag, port } => {
                write!(f, "{flag} needs {port} PATTERN")
            }
            MidiSetupError::Latency(ms) => write!(f, "--midi-latency-ms {ms}: give 0 to 2000"),
            MidiSetupError::Port { flag, reason } => write!(f, "{flag}: {reason}"),
            MidiSetupError::Start(reason) => f.write_str(reason),
            MidiSetupError::Tuning { flag, reason } => write!(f, "{flag}: {reason}"),
        }
    }
}

impl std::error::Error for MidiSetupError {}

const CLOCK_OUT: MidiSetupError = MidiSetupError::ClockWithoutPort {
    flag: "--midi-clock-out",
    port: "--midi-out",
};
const CLOCK_IN: MidiSetupError = MidiSetupError::ClockWithoutPort {
    flag: "--midi-clock-in",
    port: "--midi-in",
};

impl MidiArgs {
    /// Checks the flags; `None` when MIDI is off.
    pub fn plan(&self, lookahead_ms: u64) -> Result<Option<MidiConfig>, MidiSetupError> {
        if self.input.is_none() && self.output.is_none() {
            if self.clock_out {
                return Err(CLOCK_OUT);
            }
            if self.clock_in {
                return Err(CLOCK_IN);
            }
            return Ok(None);
        }
        if self.clock_out && self.output.is_none() {
            return Err(CLOCK_OUT);
        }
        if self.clock_in && self.input.is_none() {
            return Err(CLOCK_IN);
        }
        let latency_ms = self.latency_ms.unwrap_or(lookahead_ms as f64);
        if !(0.0..=2000.0).contains(&latency_ms) {
            return Err(MidiSetupError::Latency(latency_ms));
        }
        let port = |flag: &'static str, pattern: &str, name: &str| {
            PortSpec::parse(pattern, name).map_err(|e| MidiSetupError::Port {
                flag,
                reason: e.to_string(),
            })
        };
        let input = self
            .input
            .as_deref()
            .map(|p| port("--midi-in", p, "midi_in"))
            .transpose()?;
        let output = self
            .output
            .as_deref()
            .map(|p| port("--midi-out", p, "midi_out"))
            .transpose()?;
        let tuning = self.tuning()?;
        Ok(Some(MidiConfig {
            input,
            output,
            clock_out: self.clock_out,
            follow: self.clock_in,
            mappings: self.map.clone(),
            latency: Duration::from_nanos((latency_ms * 1e6) as u64),
            tuning,
        }))
    }

    /// The tuning flags as a [`MidiTuning`].
    fn tuning(&self) -> Result<MidiTuning, MidiSetupError> {
        let range = self.bend_range.unwrap_or(DEFAULT_BEND_RANGE);
        if !(1..=MAX_BEND_RANGE).contains(&range) {
            return Err(MidiSetupError::Tuning {
                flag: "--midi-bend-range",
                reason: format!("{range}: give 1 to {MAX_BEND_RANGE} semitones"),
            });
        }
        let channels = match &self.bend_channels {
            Some(list) => Channels::parse(list).map_err(|reason| MidiSetupError::Tuning {
                flag: "--midi-bend-channels",
                reason,
            })?,
            None => Channels::MPE_LOWER,
        };
        match self.tuning.as_deref().unwrap_or("bend") {
            "bend" => Ok(MidiTuning::Bend { range, channels }),
            "mts" => Ok(MidiTuning::MTS),
            other => Err(MidiSetupError::Tuning {
                flag: "--midi-tuning",
                reason: format!("'{other}': give bend or mts"),
            }),
        }
    }
}

/// Starts MIDI and attaches it to `controller`; also listens for MIDI
/// requests typed into the terminal.
pub fn start(
    config: MidiConfig,
    controller: &mut Controller,
    commands: Sender<Command>,
) -> Result<MidiSystem, MidiSetupError> {
    let (system, desk) = MidiSystem::start(config, commands.clone())
        .map_err(|e| MidiSetupError::Start(e.to_string()))?;
    controller.attach_midi(desk);
    if !system.ports.is_empty() {
        loam::say!("loam: MIDI {}", system.ports.join(", "));
    }
    terminal(commands);
    Ok(system)
}

/// Reads `learn …`, `forget …`, `mappings`, `follow on|off`, `clock on|off`
/// lines from standard input (ends at end of input).
fn terminal(commands: Sender<Command>) {
    let _ = std::thread::Builder::new()
        .name("loam-terminal".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { return };
                if line.trim().is_empty() {
                    continue;
                }
                let command = match parse_request(&line) {
                    Ok(c) => c,
                    Err(e) => {
                        loam::say!("loam: {e}");
                        continue;
                    }
                };
                let (tx, rx) = crossbeam_channel::bounded(1);
                if commands
                    .send(Command::Midi {
                        command,
                        reply: Some(tx),
                    })
                    .is_err()
                {
                    return;
                }
                match rx.recv() {
                    Ok(Answer::Text(m)) if !m.is_empty() => loam::say!("loam: {m}"),
                    Ok(Answer::Failed(e)) => loam::say!("loam: error: {e}"),
                    _ => {}
                }
            }
        });
}
