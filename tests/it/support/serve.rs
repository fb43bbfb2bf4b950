//! `loam serve` as a child of a test, one way everywhere: the command here,
//! started with [`super::spawn`] (output collected, stopped by pid when the
//! test ends, pass or fail), ready when it says it plays
//! ([`super::Running::wait_playing`]) or when it answers `/status`
//! ([`super::osc::Server`]).

use std::path::Path;
use std::process::Command;

use super::process::Running;

/// The binary under test.
pub const LOAM: &str = env!("CARGO_BIN_EXE_loam");

/// What `loam serve` prints once the music plays.
pub const PLAYING: &str = "Ctrl-C to stop";

/// `loam serve SCRIPT --host null` (the null sink, paced like a sound card);
/// add `--osc …`, `--record …` and the rest after it.
pub fn serve_command(script: &Path) -> Command {
    let mut cmd = Command::new(LOAM);
    cmd.arg("serve").arg(script).args(["--host", "null"]);
    cmd
}

impl Running {
    /// Waits until `loam serve` says it plays (see [`Running::wait_line`]).
    pub fn wait_playing(&mut self) {
        self.wait_line(PLAYING);
    }
}

/// A number from loam's exit summary (`loam: stopped after … osc_bad=3` →
/// 3), if it printed one.
pub fn summary_value(log: &str, key: &str) -> Option<u64> {
    let line = log.lines().rfind(|l| l.contains("stopped after"))?;
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| {
            let digits: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse().ok()
        })
}
