//! What a performer asks of Ableton Link (`--link`, `link(true)`,
//! `link_quantum(q)`, `link_start_stop(true)`, OSC `/link …`), and what
//! `/status` and the terminal say about it.

use std::fmt;

/// One request to the Link part of the control thread.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkRequest {
    /// Join (true) or leave (false) the Link session on this machine's network.
    Join(bool),
    /// Read Link's phase over this many Link beats, a whole number of
    /// loam's bars (for a peer that assumes quantum 4); 0: loam's bar.
    Quantum(f64),
    /// Start and stop loam's loops with the session's transport (Link 3).
    StartStop(bool),
    /// Press play (true) or stop (false) on the session's transport
    /// (needs start/stop sync).
    Play(bool),
}

/// A request a script or OSC client wrote that loam cannot read: the text
/// and what is expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRequestError(pub String);

impl fmt::Display for LinkRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkRequestError {}

impl LinkRequest {
    /// Reads the text scripts queue: `join true`, `quantum 4`,
    /// `start_stop false`, `play true`.
    pub fn parse(text: &str) -> Result<LinkRequest, LinkRequestError> {
        let mut words = text.split_whitespace();
        let (word, value) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let on = || match value {
            "true" | "on" | "1" => Ok(true),
            "false" | "off" | "0" => Ok(false),
            _ => Err(LinkRequestError(format!(
                "link {word}: expected on or off, got '{value}'"
            ))),
        };
        match word {
            "join" => on().map(LinkRequest::Join),
            "start_stop" => on().map(LinkRequest::StartStop),
            "play" => on().map(LinkRequest::Play),
            "quantum" => value
                .parse::<f64>()
                .ok()
                .filter(|q| q.is_finite() && *q >= 0.0)
                .map(LinkRequest::Quantum)
                .ok_or_else(|| {
                    LinkRequestError(format!(
                        "link_quantum: expected a number of Link beats (0 for loam's bar), got '{value}'"
                    ))
                }),
            _ => Err(LinkRequestError(format!(
                "unknown Link request '{text}': join, quantum, start_stop or play"
            ))),
        }
    }
}

/// Link as `/status` and the terminal tell it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkReport {
    /// In a Link session now.
    pub on: bool,
    /// Other Link peers in the session.
    pub peers: u64,
    /// The session's tempo, in Link beats (loam's counted note) per minute,
    /// as the session has it (before loam clamps it).
    pub tempo: f64,
    /// Where in the quantum the session is now, in Link beats (0 … quantum).
    pub phase: f64,
    /// The quantum loam reads the phase over: its bar in Link beats, or
    /// `link_quantum`'s.
    pub quantum: f64,
    /// The session's transport is playing (start/stop sync).
    pub playing: bool,
}

impl fmt::Display for LinkReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.on {
            return f.write_str("Link off");
        }
        write!(
            f,
            "Link on: {} peer{}, session tempo {:.2} BPM, phase {:.2} of quantum {}",
            self.peers,
            if self.peers == 1 { "" } else { "s" },
            self.tempo,
            self.phase,
            self.quantum
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_scripts_write_them() {
        assert_eq!(LinkRequest::parse("join true"), Ok(LinkRequest::Join(true)));
        assert_eq!(LinkRequest::parse("join off"), Ok(LinkRequest::Join(false)));
        assert_eq!(
            LinkRequest::parse("quantum 4"),
            Ok(LinkRequest::Quantum(4.0))
        );
        assert_eq!(
            LinkRequest::parse("start_stop 1"),
            Ok(LinkRequest::StartStop(true))
        );
        assert_eq!(
            LinkRequest::parse("play false"),
            Ok(LinkRequest::Play(false))
        );
        assert!(LinkRequest::parse("quantum -1").is_err());
        assert!(LinkRequest::parse("quantum x").is_err());
        assert!(LinkRequest::parse("join maybe")
            .unwrap_err()
            .0
            .contains("maybe"));
        assert!(LinkRequest::parse("dance").is_err());
    }

    #[test]
    fn the_report_reads_for_a_performer() {
        assert_eq!(LinkReport::default().to_string(), "Link off");
        let r = LinkReport {
            on: true,
            peers: 1,
            tempo: 138.0,
            phase: 1.5,
            quantum: 3.5,
            playing: false,
        };
        assert_eq!(
            r.to_string(),
            "Link on: 1 peer, session tempo 138.00 BPM, phase 1.50 of quantum 3.5"
        );
    }
}
