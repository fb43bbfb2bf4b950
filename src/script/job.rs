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
    Bar {
        /// The bar number, counted from 0.
        bar: i64,
        /// The metre bar `bar` starts in.
        metre: Metre,
    },
    /// Evaluate a selection against the running version (`/eval`, `loam eval`).
    Eval {
        /// The selection's rhai source.
        code: String,
        /// Where it came from, named in error messages (`<osc>`, or the origin `/eval` was given).
        origin: String,
        /// Returned in the answer, to find who is waiting.
        ticket: u64,
    },
    /// Read the script file again and run it as the new version.
    Reload {
        /// Returned in the answer (0: a save was seen, nobody waits).
        ticket: u64,
    },
    /// Read another file and evaluate it against the running version (`/load`).
    Load {
        /// The file; relative paths follow loam's one path rule ([`crate::data::paths`]).
        path: PathBuf,
        /// Returned in the answer, to find who is waiting.
        ticket: u64,
    },
    /// Start or stop watching the script's folder for saves.
    Watch(bool),
}

/// Which kind of evaluation a [`ScriptOutcome::Done`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalKind {
    /// A selection evaluated (`/eval`, `loam eval`).
    Eval,
    /// The script file, re-read (asked for, or seen saved: `ticket` 0).
    Reload,
    /// Another file evaluated (`/load`).
    Load(PathBuf),
}

/// What a job gave.
#[derive(Debug)]
pub enum ScriptOutcome {
    /// The changes bar `bar` asked for (errors inside are in the messages).
    Bar {
        /// The bar number, counted from 0.
        bar: i64,
        /// What the script asked for at that bar, in order.
        changes: Vec<Change>,
    },
    /// An evaluation finished: its changes apply as a whole, or not at all.
    Done {
        /// The job's ticket.
        ticket: u64,
        /// What was evaluated.
        kind: EvalKind,
        /// The changes to apply as a whole, or the error with its file, line and column.
        result: Result<Vec<Change>, ScriptError>,
    },
}

/// An outcome with the messages (prints, loop errors) the job produced.
#[derive(Debug)]
pub struct Answer {
    /// What the job gave.
    pub outcome: ScriptOutcome,
    /// Prints and loop errors, in order, for the terminal and subscribers.
    pub messages: Vec<String>,
}
