//! `loam models bench FILE.ts`: how fast a TorchScript model runs on this
//! machine, per method and buffer size, with one thread (as loam plays it)
//! and with every core, so a performer can choose a model and a
//! `--model-buffer` before a gig. The rule loam itself follows when no
//! buffer is given is in `model::torchscript::probe`.

use std::path::PathBuf;
use std::process::ExitCode;

use loam::model::torchscript::probe::{bench, REAL_TIME_SHARE};
use loam::model::torchscript::Module;

/// Exit status when the model cannot be read or no method runs.
const EXIT_FILE: u8 = 5;

/// `loam models …`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelsArgs {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(clap::Subcommand, Debug, Clone)]
enum ModelsCommand {
    /// Real-time factor and latency of each method at each buffer size,
    /// with one thread and with N threads.
    Bench {
        /// A TorchScript model (nn~ / RAVE export).
        model: PathBuf,
        /// The thread count of the second measurement (default: the cores
        /// of this machine).
        #[arg(long)]
        threads: Option<usize>,
    },
}

/// Runs `loam models …`.
pub fn run(args: ModelsArgs) -> ExitCode {
    match args.command {
        ModelsCommand::Bench { model, threads } => bench_file(&model, threads),
    }
}

fn bench_file(path: &std::path::Path, threads: Option<usize>) -> ExitCode {
    let threads = threads
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let module = match Module::load(path) {
        Ok(m) => m,
        Err(e) => {
            loam::say!("loam: {e}");
            return ExitCode::from(EXIT_FILE);
        }
    };
    let rate = module.sample_rate();
    let report = bench(&module, threads);
    loam::show!(
        "{} at {}; real time means a real-time factor of at most {REAL_TIME_SHARE}",
        path.display(),
        rate.map(|r| format!("{r} Hz"))
            .unwrap_or_else(|| "the engine's rate (the model has none)".into())
    );
    let many = format!("rtf_{threads}_threads");
    loam::show!(
        "{:<12} {:>7} {:>11} {:>12} {:>16}  real time with",
        "method",
        "buffer",
        "latency_ms",
        "rtf_1_thread",
        many
    );
    for r in &report.rows {
        let fast = |rtf: f64| rtf <= REAL_TIME_SHARE;
        let verdict = match (fast(r.one_thread.rtf), fast(r.many_threads.rtf)) {
            (true, _) => "1 thread".to_string(),
            (false, true) => format!("{threads} threads"),
            (false, false) => "no".to_string(),
        };
        loam::show!(
            "{:<12} {:>7} {:>11.1} {:>12.4} {:>16.4}  {verdict}",
            r.method,
            r.buffer,
            r.latency_ms,
            r.one_thread.rtf,
            r.many_threads.rtf
        );
    }
    for (method, e) in &report.failed {
        loam::show!("{method:<12} cannot be measured: {e}");
    }
    if report.rows.is_empty() {
        return ExitCode::from(EXIT_FILE);
    }
    ExitCode::SUCCESS
}
