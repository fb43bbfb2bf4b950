//! What can go wrong with MIDI ports and their threads: one error type,
//! whose text names the port, pattern or flag and what failed.

use std::fmt;

use super::backend::Direction;

/// A MIDI port that could not be found, opened, made or watched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MidiError {
    /// The MIDI system (the ALSA sequencer, the JACK server) cannot be reached.
    NoSystem {
        /// The system's own words.
        detail: String,
    },
    /// A port that was listed is no longer there when connecting.
    Gone {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        name: String,
    },
    /// Connecting to another program's port failed.
    Connect {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        name: String,
        /// The MIDI system's own words.
        detail: String,
    },
    /// loam's own JACK port could not be registered.
    MakePort {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        port: String,
        /// JACK's own words.
        detail: String,
    },
    /// loam's own JACK client could not be started.
    StartClient {
        /// Input or output.
        direction: Direction,
        /// JACK's own words.
        detail: String,
    },
    /// A virtual port (one other programs connect to) could not be made.
    Virtual {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        name: String,
        /// The MIDI system's own words.
        detail: String,
    },
    /// This platform has no virtual ports (Windows).
    NoVirtual {
        /// The port's name.
        name: String,
    },
    /// A `--midi-in`/`--midi-out` value that is empty.
    EmptySpec,
    /// `virtual:` without a name after the colon.
    VirtualWithoutName,
    /// The port's thread could not be started.
    ThreadStart {
        /// Input or output.
        direction: Direction,
        /// The system's own words.
        detail: String,
    },
    /// The port's thread ended before it said whether its port opened.
    ThreadEnded {
        /// Input or output.
        direction: Direction,
    },
}

impl MidiError {
    /// The MIDI system cannot be reached; `e` says why.
    pub fn no_system(e: &dyn fmt::Display) -> MidiError {
        MidiError::NoSystem {
            detail: e.to_string(),
        }
    }
}

impl fmt::Display for MidiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidiError::NoSystem { detail } => {
                if cfg!(feature = "jack") {
                    write!(
                        f,
                        "no MIDI: cannot reach the JACK server ({detail}); start jackd first"
                    )
                } else {
                    write!(f, "no MIDI: cannot open the MIDI system ({detail})")
                }
            }
            MidiError::Gone { direction, name } => write!(f, "MIDI {direction} '{name}' is gone"),
            MidiError::Connect {
                direction,
                name,
                detail,
            } => write!(f, "cannot connect MIDI {direction} '{name}': {detail}"),
            MidiError::MakePort {
                direction,
                port,
                detail,
            } => write!(
                f,
                "cannot make the JACK MIDI {direction} '{port}': {detail}"
            ),
            MidiError::StartClient { direction, detail } => {
                write!(f, "cannot start the JACK MIDI {direction}: {detail}")
            }
            MidiError::Virtual {
                direction,
                name,
                detail,
            } => write!(
                f,
                "cannot create the virtual MIDI {direction} '{name}': {detail}"
            ),
            MidiError::NoVirtual { name } => write!(
                f,
                "virtual MIDI port '{name}': this platform has none; give a port name pattern"
            ),
            MidiError::EmptySpec => write!(f, "give a port name pattern, or 'virtual'"),
            MidiError::VirtualWithoutName => {
                write!(f, "virtual: give a port name after the colon")
            }
            MidiError::ThreadStart { direction, detail } => {
                write!(f, "cannot start the MIDI {direction} thread: {detail}")
            }
            MidiError::ThreadEnded { direction } => {
                write!(f, "the MIDI {direction} thread ended at once")
            }
        }
    }
}

impl std::error::Error for MidiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_port_and_what_failed() {
        let gone = MidiError::Gone {
            direction: Direction::Input,
            name: "nano:CTRL".into(),
        };
        assert_eq!(gone.to_string(), "MIDI input 'nano:CTRL' is gone");
        let refused = MidiError::Connect {
            direction: Direction::Output,
            name: "synth:in".into(),
            detail: "busy".into(),
        };
        assert_eq!(
            refused.to_string(),
            "cannot connect MIDI output 'synth:in': busy"
        );
        let v = MidiError::Virtual {
            direction: Direction::Input,
            name: "pads".into(),
            detail: "no room".into(),
        };
        assert_eq!(
            v.to_string(),
            "cannot create the virtual MIDI input 'pads': no room"
        );
        assert_eq!(
            MidiError::ThreadEnded {
                direction: Direction::Output
            }
            .to_string(),
            "the MIDI output thread ended at once"
        );
        assert!(MidiError::no_system(&"refused")
            .to_string()
            .starts_with("no MIDI: cannot "));
    }
}
