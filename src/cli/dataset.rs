//! `loam dataset init|check|revoke|restore DIR`: datasheets from the
//! command line (see `loam::data::datasheet`).
//!
//! Exit codes: 0 done (or the check passed), 1 the check found problems,
//! 2 bad arguments, 5 a file could not be read or written.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::{corpus_dataset, dataset_check, dataset_init, dataset_revoke};

/// Exit code of `loam dataset check` when it finds problems.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code for bad arguments.
pub const EXIT_USAGE: u8 = 2;
/// Exit code when a file cannot be read or written.
pub const EXIT_FILE: u8 = 5;

/// Arguments of `loam dataset`.
#[derive(Args, Debug, Clone)]
pub struct DatasetArgs {
    #[command(subcommand)]
    pub command: DatasetCommand,
}

/// The `loam dataset` commands.
#[derive(Subcommand, Debug, Clone)]
pub enum DatasetCommand {
    /// Write a commented datasheet.toml template with a fresh id into DIR.
    Init(dataset_init::InitArgs),
    /// Check DIR's datasheet and files; prints every problem and a summary.
    Check {
        /// The dataset's folder.
        dir: PathBuf,
    },
    /// Record that NAME withdraws consent (today), for USE or every use, for FILE or the whole folder.
    Revoke(dataset_revoke::RecordArgs),
    /// Record that NAME gives consent again (today).
    Restore(dataset_revoke::RecordArgs),
    /// Audio corpora: prepare, features, map.
    #[command(flatten)]
    Corpus(corpus_dataset::CorpusCommand),
}

/// Runs `loam dataset …`.
pub fn run(args: DatasetArgs) -> ExitCode {
    match args.command {
        DatasetCommand::Init(a) => dataset_init::run(a),
        DatasetCommand::Check { dir } => dataset_check::run(&dir),
        DatasetCommand::Revoke(a) => {
            dataset_revoke::run(a, loam::data::datasheet::Action::Withdraw)
        }
        DatasetCommand::Restore(a) => dataset_revoke::run(a, loam::data::datasheet::Action::Give),
        DatasetCommand::Corpus(c) => corpus_dataset::run(c),
    }
}
