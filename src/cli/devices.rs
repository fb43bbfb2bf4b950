//! `loam devices`: the audio devices and MIDI ports loam can use.

use std::process::ExitCode;

use cpal::traits::{DeviceTrait, HostTrait};

use loam::midi::ports::PortLister;

/// `loam devices` takes no arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct DevicesArgs {}

/// Prints audio outputs per host, then MIDI inputs and outputs.
pub fn run(_args: DevicesArgs) -> ExitCode {
    loam::output::alsa_quiet::silence();
    loam::show!("audio outputs:");
    for id in cpal::available_hosts() {
        let name = id.name();
        match cpal::host_from_id(id) {
            Ok(host) => {
                let default = host
                    .default_output_device()
                    .and_then(|d| d.description().ok())
                    .map(|d| d.name().to_string());
                match host.output_devices() {
                    Ok(devices) => {
                        let mut any = false;
                        for d in devices {
                            let n = d
                                .description()
                                .map(|d| d.name().to_string())
                                .unwrap_or_else(|_| "unnamed device".into());
                            let mark = if default.as_deref() == Some(n.as_str()) {
                                " (default)"
                            } else {
                                ""
                            };
                            loam::show!("  {name}: {n}{mark}");
                            any = true;
                        }
                        if !any {
                            loam::show!("  {name}: no devices");
                        }
                    }
                    Err(e) => loam::show!("  {name}: cannot list devices ({e})"),
                }
            }
            Err(e) => loam::show!("  {name}: not available ({e})"),
        }
    }
    loam::show!("  null: the null sink (no sound card; `--host null`, records with --record)");
    match PortLister::new() {
        Ok(l) => {
            let (ins, outs) = (l.inputs(), l.outputs());
            loam::show!("MIDI inputs (for --midi-in PATTERN):");
            for p in &ins {
                loam::show!("  {p}");
            }
            if ins.is_empty() {
                loam::show!("  none (--midi-in virtual makes a port others can send to)");
            }
            loam::show!("MIDI outputs (for --midi-out PATTERN):");
            for p in &outs {
                loam::show!("  {p}");
            }
            if outs.is_empty() {
                loam::show!("  none (--midi-out virtual makes a port others can read)");
            }
        }
        Err(e) => loam::show!("MIDI: {e}"),
    }
    ExitCode::SUCCESS
}
