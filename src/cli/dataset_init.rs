//! `loam dataset init DIR`: writes `DIR/datasheet.toml`, a commented
//! template with a fresh stable id. It never overwrites a datasheet. On a
//! terminal it asks for the required fields not given as options; without
//! one (a script, a pipe) it asks nothing and leaves them empty for
//! `loam dataset check` to point out.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use loam::data::datasheet::record::write_atomically;
use loam::data::datasheet::template::{fresh_id, template, Fill};
use loam::data::datasheet::{registry, DATASHEET_FILE};

use super::dataset::{EXIT_FILE, EXIT_USAGE};

/// Arguments of `loam dataset init`.
#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// The dataset's folder (created if missing).
    pub dir: PathBuf,
    /// The collection's title.
    #[arg(long)]
    pub title: Option<String>,
    /// SPDX id or free text.
    #[arg(long)]
    pub licence: Option<String>,
    /// The text credits print.
    #[arg(long)]
    pub attribution: Option<String>,
    /// Who to ask about the data.
    #[arg(long)]
    pub contact: Option<String>,
    /// A creator (repeatable).
    #[arg(long = "creator")]
    pub creators: Vec<String>,
}

/// Runs `loam dataset init`.
pub fn run(args: InitArgs) -> ExitCode {
    let path = args.dir.join(DATASHEET_FILE);
    if path.exists() {
        loam::say!(
            "loam: {} exists: a dataset's id is written once, so init leaves it alone",
            path.display()
        );
        return ExitCode::from(EXIT_USAGE);
    }
    if let Err(e) = std::fs::create_dir_all(&args.dir) {
        loam::say!("loam: {}: cannot create: {e}", args.dir.display());
        return ExitCode::from(EXIT_FILE);
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let ask = |what: &str, given: Option<String>| -> String {
        match given {
            Some(v) => v,
            None if interactive => prompt(what),
            None => String::new(),
        }
    };
    let fill = Fill {
        title: ask("Title", args.title),
        licence: ask(
            "Licence (an SPDX id such as CC-BY-4.0, or your words)",
            args.licence,
        ),
        attribution: ask("Attribution (the text credits print)", args.attribution),
        contact: ask("Contact (who to ask about the data)", args.contact),
        creators: args.creators,
    };
    let id = fresh_id(&args.dir);
    if let Err(e) = write_atomically(&path, template(&id, &fill).as_bytes()) {
        loam::say!("loam: {}: cannot write: {e}", path.display());
        return ExitCode::from(EXIT_FILE);
    }
    if let (Some(sheet), _) = loam::data::datasheet::parse::parse(&template(&id, &fill), &path) {
        if let Err(e) = registry::remember(&sheet) {
            loam::say!("loam: warning: {e}");
        }
    }
    loam::show!("wrote {} (id {id})", path.display());
    loam::show!(
        "next: fill in the empty fields, add [[consent]] records, then `loam dataset check {}`",
        args.dir.display()
    );
    ExitCode::SUCCESS
}

/// Asks on the terminal; an empty answer leaves the field empty.
fn prompt(what: &str) -> String {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{what}: ");
    let _ = err.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim().to_string()
}
