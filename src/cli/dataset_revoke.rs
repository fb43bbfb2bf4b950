//! `loam dataset revoke DIR --by NAME [--use U] [--file F] [--reason TEXT]`
//! and `loam dataset restore …`: append a consent record dated today
//! (withdrawn or given again) to `DIR/datasheet.toml`, atomically. Nothing
//! is ever removed: the history of consent stays readable.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use loam::data::datasheet::record::{append, NewRecord};
use loam::data::datasheet::{parse, registry, Action, Day, Use, DATASHEET_FILE};

use super::dataset::{EXIT_FILE, EXIT_USAGE};

/// Arguments of `loam dataset revoke` and `restore`.
#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    /// The dataset's folder.
    pub dir: PathBuf,
    /// Who withdraws or gives: a person or a community body.
    #[arg(long)]
    pub by: String,
    /// train, perform, share or derive (repeatable); default: every use.
    #[arg(long = "use", value_name = "USE")]
    pub uses: Vec<String>,
    /// A file (relative to DIR) or a glob (repeatable); default: the whole
    /// folder (or, when NAME is a contributor, their files).
    #[arg(long = "file", value_name = "FILE")]
    pub files: Vec<String>,
    /// Why, in their words.
    #[arg(long)]
    pub reason: Option<String>,
}

/// Runs `loam dataset revoke` (`Withdraw`) or `restore` (`Give`).
pub fn run(args: RecordArgs, action: Action) -> ExitCode {
    let mut uses = Vec::new();
    for name in &args.uses {
        match Use::parse(name) {
            Some(u) if !uses.contains(&u) => uses.push(u),
            Some(_) => {}
            None => {
                loam::say!("loam: unknown use '{name}': use train, perform, share or derive");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    if uses.is_empty() {
        uses = Use::ALL.to_vec();
    }
    if args.by.trim().is_empty() {
        loam::say!("loam: --by needs a name");
        return ExitCode::from(EXIT_USAGE);
    }
    let record = NewRecord {
        by: args.by.clone(),
        uses,
        action,
        date: Day::today(),
        files: (!args.files.is_empty()).then(|| args.files.clone()),
        reason: args.reason.clone(),
    };
    let path = args.dir.join(DATASHEET_FILE);
    if let Err(e) = append(&path, &record) {
        loam::say!("loam: the record was not written:\n{e}");
        return ExitCode::from(EXIT_FILE);
    }
    if let Ok(sheet) = parse::read(&path) {
        if let Err(e) = registry::remember(&sheet) {
            loam::say!("loam: warning: {e}");
        }
    }
    let verb = match action {
        Action::Withdraw => "withdrawn",
        Action::Give => "given again",
    };
    let uses: Vec<&str> = record.uses.iter().map(|u| u.name()).collect();
    let scope = match &record.files {
        Some(f) => f.join(", "),
        None => "the whole folder".into(),
    };
    loam::show!(
        "{}: {} consent {verb} by {} on {} for {scope}",
        path.display(),
        uses.join(", "),
        record.by,
        record.date
    );
    ExitCode::SUCCESS
}
