//! What a script or OSC asks of the live input: vocabulary the planner and
//! the session carry to the control thread, which holds the input.

/// What a script or OSC asks of the live input.
#[derive(Clone, Debug, PartialEq)]
pub enum InputOp {
    /// Record the next `bars` bars of input, from the next bar line, into
    /// the sound `name` (`capture("name", bars)`, `/capture name bars`).
    Capture {
        /// The sound's name in the bank.
        name: String,
        /// Whole bars to record, 1 … [`MAX_CAPTURE_BARS`].
        bars: i64,
    },
    /// The input gain, linear (`input_gain(g)`, `/input/gain g`).
    Gain(f64),
    /// The input's level in the mix, linear; 0 = off, the default
    /// (`input_monitor(level)`, `/input/monitor level`).
    Monitor(f64),
}

/// The most bars one capture records: 64, a long phrase at any metre;
/// the take's length in seconds is limited separately (its memory is
/// allocated when it starts).
pub const MAX_CAPTURE_BARS: i64 = 64;

/// The longest take, in seconds: 120 s (46 MB of stereo at 48 kHz, twice:
/// the take and its silent placeholder).
pub const MAX_CAPTURE_SECONDS: u64 = 120;

/// The largest input gain or monitor level: 16 (+24 dB); larger values are refused.
pub const MAX_INPUT_LEVEL: f64 = 16.0;

impl InputOp {
    /// Checks the numbers against loam's limits; `Err` says which and why.
    pub fn check(&self) -> Result<(), String> {
        match self {
            InputOp::Capture { name, bars } => {
                if name.is_empty() || name.contains(':') || name.starts_with('~') {
                    return Err(format!(
                        "capture: '{name}' cannot name a sound (no ':' or leading '~')"
                    ));
                }
                if !(1..=MAX_CAPTURE_BARS).contains(bars) {
                    return Err(format!(
                        "capture(\"{name}\", {bars}): bars must be 1 to {MAX_CAPTURE_BARS}"
                    ));
                }
                Ok(())
            }
            InputOp::Gain(g) | InputOp::Monitor(g) => {
                let what = if matches!(self, InputOp::Gain(_)) {
                    "input gain"
                } else {
                    "input monitor level"
                };
                if g.is_finite() && (0.0..=MAX_INPUT_LEVEL).contains(g) {
                    Ok(())
                } else {
                    Err(format!("{what} {g}: must be 0 to {MAX_INPUT_LEVEL}"))
                }
            }
        }
    }
}
