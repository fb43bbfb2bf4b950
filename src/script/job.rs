//! What the control thread asks of the script thread, and what comes back.
//! Plain data: the script thread runs the rhai code, the control thread
//! applies the resulting [`Change`]s.

use std::path::PathBuf;

use super::ScriptError;
use crate::schedule::Change;
use crate::time::Metre;

/// Work for the script thread, done in the order it was asked for.
#[derive(Debug)]
pub enum ScriptJob {
    /// Run `bar(n)` and the loop functions for bar `bar`, which starts in `metre`.
    Bar { bar: i64, metre: Metre },
    /// Evaluate a selection against the running version (`/eval`, `loam eval`).
    Eval {
        code: String,
        origin: String,
        ticket: u64,
    },
    /// Read the script file again and run it as the new version.
    Reload { ticket: u64 },
    /// Read another file and evaluate it against the running version (`/load`).
    Load { path: PathBuf, ticket: u64 },
    /// Start or stop watching the script's folder for saves.
    Watch(bool),
}

/// Which kind of evaluation a [`ScriptOutcome::Done`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalKind {
    Eval,
    /// The script file, re-read (asked for, or seen saved: `ticket` 0).
    Reload,
    Load(PathBuf),
}

/// What a job gave.
#[derive(Debug)]
pub enum ScriptOutcome {
    /// The changes bar `bar` asked for (errors inside are in the messages).
    Bar { bar: i64, changes: Vec<Change> },
    /// An evaluation finished: its changes apply as a whole, or not at all.
    Done {
        ticket: u64,
        kind: EvalKind,
        result: Result<Vec<Change>, ScriptError>,
    },
}

/// An outcome with the messages (prints, loop errors) the job produced.
#[derive(Debug)]
pub struct Answer {
    pub outcome: ScriptOutcome,
    pub messages: Vec<String>,
}
