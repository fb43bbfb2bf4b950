//! MIDI ports: listing them, choosing one by a name pattern, or creating a
//! virtual one.
//!
//! A pattern matches any port whose full name contains it, ignoring case
//! (`--midi-in nano` finds `nanoKONTROL2:nanoKONTROL2 _ CTRL`); loam's own
//! ports never match. `virtual` (or `virtual:NAME`) creates a port other
//! programs connect to, where the platform allows (ALSA, CoreMIDI, JACK; not
//! Windows).

use midir::{MidiInput, MidiOutput};

use super::backend::Direction;
use super::error::MidiError;

/// The JACK/ALSA client names loam uses.
pub const INPUT_CLIENT: &str = "loam-in";
/// The output's client name.
pub const OUTPUT_CLIENT: &str = "loam-out";
/// The client that only lists ports.
pub const LIST_CLIENT: &str = "loam-list";

/// Which port a flag asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// The first port whose name contains this (any case).
    Pattern(String),
    /// A port of loam's own, named this.
    Virtual(String),
}

impl PortSpec {
    /// Reads a `--midi-in`/`--midi-out` value; `default_name` names a
    /// virtual port given without a name.
    pub fn parse(text: &str, default_name: &str) -> Result<PortSpec, MidiError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MidiError::EmptySpec);
        }
        if t == "virtual" {
            return Ok(PortSpec::Virtual(default_name.into()));
        }
        if let Some(name) = t.strip_prefix("virtual:") {
            if name.is_empty() {
                return Err(MidiError::VirtualWithoutName);
            }
            return Ok(PortSpec::Virtual(name.into()));
        }
        Ok(PortSpec::Pattern(t.into()))
    }
}

/// Whether a port belongs to loam itself.
fn is_own(name: &str) -> bool {
    [INPUT_CLIENT, OUTPUT_CLIENT, LIST_CLIENT]
        .iter()
        .any(|c| name.starts_with(c))
}

/// The first name containing `pattern`, ignoring case; loam's own never.
pub fn find<'a>(pattern: &str, names: &'a [String]) -> Option<&'a String> {
    let p = pattern.to_lowercase();
    names
        .iter()
        .filter(|n| !is_own(n))
        .find(|n| n.to_lowercase().contains(&p))
}

/// Lists ports without connecting to any (one long-lived client each way).
pub struct PortLister {
    input: Option<MidiInput>,
    output: Option<MidiOutput>,
}

impl PortLister {
    /// Fails when the MIDI system cannot be reached (no ALSA sequencer, no
    /// JACK server).
    pub fn new() -> Result<PortLister, MidiError> {
        let input = MidiInput::new(LIST_CLIENT).map_err(|e| MidiError::no_system(&e))?;
        let output = MidiOutput::new(LIST_CLIENT).map_err(|e| MidiError::no_system(&e))?;
        Ok(PortLister {
            input: Some(input),
            output: Some(output),
        })
    }

    /// Ports loam can read from (other programs' outputs).
    pub fn inputs(&self) -> Vec<String> {
        let Some(i) = &self.input else {
            return Vec::new();
        };
        i.ports()
            .iter()
            .filter_map(|p| i.port_name(p).ok())
            .filter(|n| !is_own(n))
            .collect()
    }

    /// Ports loam can send to (other programs' inputs).
    pub fn outputs(&self) -> Vec<String> {
        let Some(o) = &self.output else {
            return Vec::new();
        };
        o.ports()
            .iter()
            .filter_map(|p| o.port_name(p).ok())
            .filter(|n| !is_own(n))
            .collect()
    }
}

/// One direction's port list for a backend, opened when first reached.
pub struct Listing {
    direction: Direction,
    lister: Option<PortLister>,
}

impl Listing {
    /// A list of `direction`'s ports, not yet open.
    pub fn new(direction: Direction) -> Listing {
        Listing {
            direction,
            lister: None,
        }
    }

    /// Opens the list (once); `Err` when the MIDI system cannot be reached.
    pub fn reach(&mut self) -> Result<(), MidiError> {
        if self.lister.is_none() {
            self.lister = Some(PortLister::new()?);
        }
        Ok(())
    }

    /// Other programs' ports this way (none before [`Listing::reach`]).
    pub fn names(&self) -> Vec<String> {
        match (&self.lister, self.direction) {
            (None, _) => Vec::new(),
            (Some(l), Direction::Input) => l.inputs(),
            (Some(l), Direction::Output) => l.outputs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_patterns() {
        assert_eq!(
            PortSpec::parse("virtual", "in").unwrap(),
            PortSpec::Virtual("in".into())
        );
        assert_eq!(
            PortSpec::parse("virtual:pads", "in").unwrap(),
            PortSpec::Virtual("pads".into())
        );
        assert_eq!(
            PortSpec::parse("virtual:", "in"),
            Err(MidiError::VirtualWithoutName)
        );
        assert_eq!(PortSpec::parse(" ", "in"), Err(MidiError::EmptySpec));
        let names = vec![
            "loam-out:out".to_string(),
            "nanoKONTROL2:CTRL".to_string(),
            "system:midi_capture_1".to_string(),
        ];
        assert_eq!(find("nano", &names), Some(&names[1]));
        assert_eq!(find("OUT", &names), None, "loam's own ports never match");
        assert_eq!(find("capture", &names), Some(&names[2]));
    }
}
