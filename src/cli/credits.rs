//! `loam credits FILE.wav`: the credits of a render or recording, as a
//! programme note a performer can paste: who made what sounded, under which
//! licence, and the scripts that played with their hashes. Read from
//! `FILE.wav.credits.toml`, or, when the file travelled without it, from
//! the WAV's own INFO chunk.

use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status when the file has no credits or cannot be read.
const EXIT_FILE: u8 = 5;

/// `loam credits FILE.wav`.
#[derive(clap::Args, Debug, Clone)]
pub struct CreditsArgs {
    /// A WAV file loam rendered or recorded.
    pub audio: PathBuf,
}

/// Prints the programme note of `args.audio`.
pub fn run(args: CreditsArgs) -> ExitCode {
    match loam::output::programme_note_of(&args.audio) {
        Ok(note) => {
            loam::show!("{}", note.trim_end());
            ExitCode::SUCCESS
        }
        Err(e) => {
            loam::say!("loam: {e}");
            ExitCode::from(EXIT_FILE)
        }
    }
}
