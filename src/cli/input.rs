//! `loam serve`'s live input flags (`--input [DEVICE]`, `--input-channels`,
//! `--input-connect`, `--input-gain`, `--input-monitor`), checked before
//! anything starts, and the settings they give the control thread.

use loam::audio::EngineCommand;
use loam::control::Controller;
use loam::schedule::input_op::MAX_INPUT_LEVEL;

/// The live input flags.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Open a live input: the default input device, or the first whose
    /// name contains DEVICE. With `--host jack`, loam's own JACK client
    /// `loam` with input ports `loam:in_1`.. and outputs `loam:out_1`,
    /// `loam:out_2`, read and written in one callback.
    #[arg(
        long = "input",
        id = "input_device",
        num_args = 0..=1,
        default_missing_value = "",
        value_name = "DEVICE"
    )]
    pub input: Option<String>,
    /// Input channels to open (1 to 8).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub input_channels: usize,
    /// With `--host jack --input`: connect `loam:in_k` to the k-th JACK
    /// output port matching this regular expression (default: the
    /// machine's physical capture ports).
    #[arg(long, value_name = "PATTERN")]
    pub input_connect: Option<String>,
    /// The input's gain at start, linear (0 to 16).
    #[arg(long, default_value_t = 1.0, value_name = "GAIN")]
    pub input_gain: f64,
    /// The input's level in the mix at start, linear (0 to 16; 0, off, by
    /// default, to avoid feedback).
    #[arg(long, default_value_t = 0.0, value_name = "LEVEL")]
    pub input_monitor: f64,
}

impl InputArgs {
    /// Whether a live input was asked for.
    pub fn wanted(&self) -> bool {
        self.input.is_some()
    }

    /// The device name asked for (`None`: the default device).
    pub fn device(&self) -> Option<&str> {
        self.input.as_deref().filter(|d| !d.is_empty())
    }

    /// Checks the numbers; `Err` names the flag.
    pub fn check(&self) -> Result<(), String> {
        let most = loam::audio::live_input::MAX_INPUT_CHANNELS;
        if !(1..=most).contains(&self.input_channels) {
            return Err(format!(
                "--input-channels {}: loam reads 1 to {most} input channels",
                self.input_channels
            ));
        }
        for (flag, v) in [
            ("--input-gain", self.input_gain),
            ("--input-monitor", self.input_monitor),
        ] {
            if !(v.is_finite() && (0.0..=MAX_INPUT_LEVEL).contains(&v)) {
                return Err(format!("{flag} {v}: must be 0 to {MAX_INPUT_LEVEL}"));
            }
        }
        Ok(())
    }

    /// Tells the control thread that `channels` input channels are open,
    /// the engine's block, and the starting gain and monitor level.
    pub fn apply(&self, controller: &mut Controller, channels: usize, block: usize) {
        controller.input.open(channels);
        controller.models.live_block = block.max(1);
        let handle = &mut controller.session.handle;
        handle.command(EngineCommand::InputGain(self.input_gain as f32));
        handle.command(EngineCommand::Monitor(self.input_monitor as f32));
    }
}
