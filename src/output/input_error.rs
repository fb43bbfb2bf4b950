//! Why the live input cannot be opened: no JACK, no input device, a device
//! or channel count loam cannot use. Each names the device or port.

use std::fmt;

/// Why the live input (`loam serve --input`) cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// The JACK server refused something (the message says what).
    Jack(String),
    /// This loam was built without JACK.
    NoJack,
    /// No input device (the name asked for, or the default).
    NoDevice(String),
    /// The input device offers no configuration loam can use.
    Config(String),
    /// The input stream could not be built or started.
    Open(String),
    /// A channel count outside 1 … [`crate::audio::live_input::MAX_INPUT_CHANNELS`].
    Channels(usize),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Jack(m) => write!(f, "live input through JACK: {m}"),
            InputError::NoJack => {
                f.write_str("this loam was built without JACK: rebuild with `--features jack`")
            }
            InputError::NoDevice(name) => write!(f, "no input device {name}"),
            InputError::Config(m) => write!(f, "the input device has no usable configuration: {m}"),
            InputError::Open(m) => write!(f, "cannot open the input stream: {m}"),
            InputError::Channels(n) => write!(
                f,
                "--input-channels {n}: loam reads 1 to {} input channels",
                crate::audio::live_input::MAX_INPUT_CHANNELS
            ),
        }
    }
}

impl std::error::Error for InputError {}
