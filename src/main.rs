//! The `loam` command: `serve` plays a script live, `render` writes it to a
//! WAV offline, `eval` sends code to a running server. Exit codes: 0 done,
//! 2 bad arguments, 3 script error, 4 audio device error, 5 file error,
//! 6 no answer from the server.

mod cli;

/// With the `check-no-alloc` feature (tests only), every allocation goes
/// through assert_no_alloc's allocator, so one made inside the audio
/// callback ends the process (see `loam::audio::no_alloc`).
#[cfg(feature = "check-no-alloc")]
#[global_allocator]
static ALLOCATOR: loam::audio::CheckedAllocator = loam::audio::CheckedAllocator;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use loam::audio::{EngineConfig, EngineStatus};
use loam::control::Controller;
use loam::output::{open_device, HostChoice, NullSink, Recorder, Sources};
use loam::session::Session;

#[derive(Parser)]
#[command(
    name = "loam",
    version = loam::VERSION_TEXT,
    about = "Live-coding server for small generative music models"
)]
struct Cli {
    #[command(subcommand)]
    command: CliCommand,
}

// NOTE: parsed once at start; `serve`'s many flags make it the large variant.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum CliCommand {
    /// Play a script live on an audio device (or the null sink when there is none).
    Serve {
        script: PathBuf,
        /// default, jack or null.
        #[arg(long, default_value = "default")]
        host: String,
        /// Device buffer in frames (ignored by JACK, which uses the server period).
        #[arg(long)]
        buffer: Option<u32>,
        /// Also record what plays to this WAV file (finalised on Ctrl-C).
        #[arg(long)]
        record: Option<PathBuf>,
        /// How far ahead of the audio clock events are queued, in milliseconds.
        #[arg(long, default_value_t = 50)]
        lookahead_ms: u64,
        /// Buffer of each TorchScript model, in model frames (rounded up to a
        /// power of two ≥ the model's largest ratio). Without it, each model
        /// gets the smallest buffer that keeps up on this machine, as
        /// measured when it loads (from its largest ratio or 256, doubling
        /// up to 8192). Smaller answers sooner, larger is safer for heavy models.
        #[arg(long)]
        model_buffer: Option<usize>,
        /// Sample rate of the null sink.
        #[arg(long, default_value_t = 48_000)]
        sample_rate: u32,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<f64>,
        /// A folder outside the script's that scripts may read samples,
        /// models and data from (a sample library, a model collection).
        /// Repeatable. Everything else outside the script's folder is refused.
        #[arg(long = "library", value_name = "DIR")]
        library: Vec<PathBuf>,
        #[command(flatten)]
        osc: cli::osc::OscArgs,
        #[command(flatten)]
        midi: cli::midi::MidiArgs,
        #[command(flatten)]
        input: cli::input::InputArgs,
        /// Join the Ableton Link session on this network at start (builds
        /// with the `link` feature; as `link(true)` in a script).
        #[arg(long)]
        link: bool,
    },
    /// List audio devices and MIDI ports.
    Devices(cli::devices::DevicesArgs),
    /// Evaluate code in a running server (a file, standard input, or -e CODE).
    Eval(cli::eval::EvalArgs),
    /// Train a small model (rhythm VAE, Markov, GRU) on a dataset of patterns or MIDI files.
    Train(cli::train::TrainArgs),
    /// Print the credits of a WAV file loam rendered or recorded, as a programme note.
    Credits(cli::credits::CreditsArgs),
    /// Datasheets: init, check, revoke or restore consent.
    Dataset(cli::dataset::DatasetArgs),
    /// How fast a TorchScript model runs here: `loam models bench FILE.ts`.
    Models(cli::models::ModelsArgs),
    /// Render a script offline to a WAV file (deterministic).
    Render {
        script: PathBuf,
        #[arg(long)]
        bars: i64,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        #[arg(long, default_value_t = 48_000)]
        sample_rate: u32,
        #[arg(long, default_value_t = 256)]
        block_size: usize,
        /// A WAV file standing in for the live input: what
        /// `model_input(name, "in")` hears, `capture(name, bars)` records
        /// and `input_monitor` plays (its frame 0 at the render's start).
        #[arg(long)]
        input: Option<PathBuf>,
        /// Buffer of each TorchScript model, in model frames, as for
        /// `serve` (without it: the smallest the model allows, at least 256;
        /// never a measured choice, so that renders are identical).
        #[arg(long)]
        model_buffer: Option<usize>,
        /// A folder outside the script's that scripts may read samples,
        /// models and data from (a sample library, a model collection).
        /// Repeatable. Everything else outside the script's folder is refused.
        #[arg(long = "library", value_name = "DIR")]
        library: Vec<PathBuf>,
    },
}

const EXIT_SCRIPT: u8 = 3;
const EXIT_AUDIO: u8 = 4;
const EXIT_FILE: u8 = 5;

fn main() -> ExitCode {
    let code = run(Cli::parse());
    // A model a script was training must not be mid-step as the process ends.
    loam::script::training::stop_all(std::time::Duration::from_secs(3));
    code
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        CliCommand::Render {
            script,
            bars,
            output,
            sample_rate,
            block_size,
            input,
            model_buffer,
            library,
        } => match loam::data::paths::set_libraries(&library) {
            Ok(()) => render(
                &script,
                bars,
                &output,
                sample_rate,
                block_size,
                &loam::output::RenderOptions {
                    input,
                    model_buffer,
                },
            ),
            Err(e) => {
                loam::say!("loam: {e}");
                ExitCode::from(2)
            }
        },
        CliCommand::Eval(args) => cli::eval::run(args),
        CliCommand::Train(args) => cli::train::run(args),
        CliCommand::Dataset(args) => cli::dataset::run(args),
        CliCommand::Devices(args) => cli::devices::run(args),
        CliCommand::Credits(args) => cli::credits::run(args),
        CliCommand::Models(args) => cli::models::run(args),
        CliCommand::Serve {
            script,
            host,
            buffer,
            record,
            lookahead_ms,
            model_buffer,
            sample_rate,
            duration,
            library,
            osc,
            midi,
            input,
            link,
        } => {
            if let Err(e) = input.check() {
                loam::say!("loam: {e}");
                return ExitCode::from(2);
            }
            if link && !loam::control::link::BUILT_WITH_LINK {
                loam::say!("loam: --link: this loam was built without Ableton Link: build it with `--features link`");
                return ExitCode::from(2);
            }
            if let Err(e) = loam::data::paths::set_libraries(&library) {
                loam::say!("loam: {e}");
                return ExitCode::from(2);
            }
            let midi = match midi.plan(lookahead_ms) {
                Ok(plan) => plan,
                Err(e) => {
                    loam::say!("loam: {e}");
                    return ExitCode::from(2);
                }
            };
            let osc = match osc.plan(lookahead_ms) {
                Ok(plan) => plan,
                Err(e) => {
                    loam::say!("loam: {e}");
                    return ExitCode::from(2);
                }
            };
            let host = match host.as_str() {
                "default" => HostChoice::Default,
                "jack" => HostChoice::Jack,
                "null" => HostChoice::Null,
                other => {
                    loam::say!("loam: unknown host '{other}': use default, jack or null");
                    return ExitCode::from(2);
                }
            };
            serve(ServeArgs {
                script,
                host,
                buffer,
                record,
                lookahead_ms,
                model_buffer,
                sample_rate,
                duration,
                osc,
                midi,
                input,
                link,
            })
        }
    }
}

fn render(
    script: &std::path::Path,
    bars: i64,
    output: &std::path::Path,
    sample_rate: u32,
    block: usize,
    options: &loam::output::RenderOptions,
) -> ExitCode {
    if let Err(e) = loam::script::Script::load(script) {
        loam::say!("loam: {e}");
        return ExitCode::from(EXIT_SCRIPT);
    }
    let started = Instant::now();
    match loam::output::render_with(script, bars, sample_rate, block, output, options) {
        Ok(report) => {
            for m in &report.messages {
                loam::say!("loam: {m}");
            }
            let secs = report.frames as f64 / sample_rate as f64;
            loam::say!(
                "loam: rendered {} bars ({secs:.2} s of audio) to {} (credits in {}) in {:.2} s; late events: {}",
                report.bars,
                output.display(),
                loam::output::credits_path(output).display(),
                started.elapsed().as_secs_f64(),
                report.late_events
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            loam::say!("loam: {e}");
            ExitCode::from(EXIT_FILE)
        }
    }
}

struct ServeArgs {
    script: PathBuf,
    host: HostChoice,
    buffer: Option<u32>,
    record: Option<PathBuf>,
    lookahead_ms: u64,
    model_buffer: Option<usize>,
    sample_rate: u32,
    duration: Option<f64>,
    osc: Option<cli::osc::OscPlan>,
    midi: Option<loam::midi::MidiConfig>,
    input: cli::input::InputArgs,
    link: bool,
}

type Parts = (
    Session,
    loam::audio::Engine,
    Option<Recorder>,
    Option<loam::audio::RecordTap>,
);

/// Loads the script and, if asked, opens the recording, at `sample_rate`.
fn build(args: &ServeArgs, sample_rate: u32) -> Result<Parts, ExitCode> {
    let config = EngineConfig::new(sample_rate);
    let (session, engine) = Session::start(&args.script, &config).map_err(|e| {
        loam::say!("loam: {e}");
        ExitCode::from(EXIT_SCRIPT)
    })?;
    let (recorder, tap) = match &args.record {
        Some(path) => match Recorder::start_checked(
            path,
            &Sources::of(
                &args.script,
                session.scheduler.planner().bank(),
                &session.model_ops,
            ),
            sample_rate,
            session.handle.status.clone(),
        ) {
            Ok((r, t)) => {
                r.credit_scripts(session.script.shared().played.clone());
                (Some(r), Some(t))
            }
            Err(e) => {
                loam::say!("loam: {e}");
                return Err(ExitCode::from(EXIT_FILE));
            }
        },
        None => (None, None),
    };
    Ok((session, engine, recorder, tap))
}

enum Running {
    Device(cpal::Stream),
    Null(NullSink),
    /// loam's own JACK client with live input (`--host jack --input`).
    #[cfg(all(feature = "jack", target_os = "linux"))]
    Jack(loam::output::jack_duplex::JackRunning),
}

fn serve(mut args: ServeArgs) -> ExitCode {
    // Every thread serve starts keeps time (the null sink's clock, the
    // control thread, MIDI, OSC, model workers): nice −10 where allowed, so
    // other programs' load does not hold them off the CPU for longer than
    // the lookahead. Threads inherit it; training lowers itself to 10.
    loam::control::priority::raise_for_timing();
    // Live input: with JACK, loam's own client reads and writes in one
    // callback (cli/input_start.rs); the other hosts open it beside the output.
    let mut duplex = match cli::input_start::open_duplex(&args.input, args.host) {
        Ok(d) => d,
        Err(e) => {
            loam::say!("loam: {e}");
            return ExitCode::from(EXIT_AUDIO);
        }
    };
    let device = match args.host {
        _ if duplex.is_some() => None,
        HostChoice::Null => None,
        HostChoice::Default => match open_device(HostChoice::Default, args.buffer) {
            Ok(d) => Some(d),
            Err(e) => {
                loam::say!("loam: no audio device ({e}); playing on the null sink instead");
                None
            }
        },
        HostChoice::Jack => match open_device(HostChoice::Jack, args.buffer) {
            Ok(d) => Some(d),
            Err(e) => {
                loam::say!("loam: {e}");
                return ExitCode::from(EXIT_AUDIO);
            }
        },
    };
    let mut device = device;
    let sample_rate = device
        .as_ref()
        .map(|d| d.sample_rate())
        .or_else(|| cli::input_start::duplex_rate(&duplex))
        .unwrap_or(args.sample_rate);
    let mut input_block = args.buffer.unwrap_or(256) as usize;
    // The cpal input stream, kept alive while playing (`--input` on the default host).
    let mut input_stream = None;
    let (mut session, engine, recorder, tap) = match build(&args, sample_rate) {
        Ok(parts) => parts,
        Err(code) => return code,
    };
    let status = session.handle.status.clone();
    let lookahead = (args.lookahead_ms * sample_rate as u64 / 1000).max(1);
    // Queue the first events before the audio starts.
    for m in session.tick(lookahead) {
        loam::say!("loam: {m}");
    }
    let mut pending = Some((session, engine, recorder, tap));
    let mut running = None;
    if let Some(started) = cli::input_start::start_duplex(&mut duplex, &mut pending, &args.input) {
        match started {
            Ok((r, desc, s, rec, block)) => {
                input_block = block;
                running = Some((r, desc, s, rec));
            }
            Err(e) => {
                loam::say!("loam: {e}");
                return ExitCode::from(EXIT_AUDIO);
            }
        }
    }
    if let Some(d) = device.take() {
        let desc = d.description.clone();
        let (s, engine, r, tap) = pending.take().unwrap_or_else(|| unreachable!());
        // A live input beside the output: its own cpal stream, joined by a ring.
        let ring = match cli::input_start::open_cpal_input(&args.input, &d, &status) {
            Ok(Some((stream, reader, block))) => {
                input_stream = Some(stream);
                input_block = block;
                Some(reader)
            }
            Ok(None) => None,
            Err(e) => {
                loam::say!("loam: {e}");
                return ExitCode::from(EXIT_AUDIO);
            }
        };
        match d.start_with_input(engine, tap, status.clone(), ring) {
            Ok(stream) => {
                running = Some((Running::Device(stream), desc, s, r));
            }
            Err(e) if args.host == HostChoice::Default => {
                loam::say!("loam: the audio device failed ({e}); playing on the null sink instead");
                drop(s);
                if let Some(r) = r {
                    let _ = r.finish();
                }
                match build(&args, args.sample_rate) {
                    Ok(parts) => pending = Some(parts),
                    Err(code) => return code,
                }
            }
            Err(e) => {
                loam::say!("loam: {e}");
                return ExitCode::from(EXIT_AUDIO);
            }
        }
    }
    let (running, where_, session, recorder) = match running {
        Some(r) => r,
        None => {
            let (mut s, engine, r, tap) = pending.take().unwrap_or_else(|| unreachable!());
            let rate = s.sample_rate;
            for m in s.tick(lookahead) {
                loam::say!("loam: {m}");
            }
            let block = args.buffer.unwrap_or(256) as usize;
            (
                Running::Null(NullSink::start(
                    engine,
                    rate,
                    block,
                    tap,
                    s.handle.status.clone(),
                )),
                format!("the null sink ({rate} Hz, {block}-frame blocks, no sound card)"),
                s,
                r,
            )
        }
    };
    let status = session.handle.status.clone();
    let sample_rate = session.sample_rate;
    let lookahead = (args.lookahead_ms * sample_rate as u64 / 1000).max(1);
    loam::say!(
        "loam: playing {} on {where_}{} — Ctrl-C to stop",
        args.script.display(),
        args.record
            .as_ref()
            .map(|p| format!(", recording to {}", p.display()))
            .unwrap_or_default()
    );

    let started = Instant::now();
    // Boundary: OSC (and later MIDI) threads -> control thread.
    let (commands, rx) = crossbeam_channel::bounded(1024);
    if let Some(r) = &recorder {
        r.on_failure(loam::control::Command::teller(commands.clone()));
    }
    let recorder: cli::signals::SharedRecorder = Arc::new(std::sync::Mutex::new(recorder));
    let signals = cli::signals::watch(recorder.clone());
    let stop = signals.stop.clone();
    let mut controller = Controller::new(session, rx, lookahead);
    controller.models.buffer = args.model_buffer;
    let input_open = matches!(running, Running::Device(_)) && input_stream.is_some();
    #[cfg(all(feature = "jack", target_os = "linux"))]
    let input_open = input_open || matches!(running, Running::Jack(_));
    if input_open {
        args.input
            .apply(&mut controller, args.input.input_channels, input_block);
    } else if args.input.wanted() {
        loam::say!("loam: no live input (no input device was opened); capture() and model_input(…, \"in\") are refused");
    }
    // A model's ring must hold a whole device block: the automatic buffer
    // starts at the block when it is larger (the JACK period when loam runs
    // its own duplex client, else `--buffer`; see the README on
    // --model-buffer with JACK).
    {
        let floor = loam::model::torchscript::probe::MIN_MODEL_BUFFER;
        let block = input_block.max(args.buffer.unwrap_or(0) as usize);
        controller.models.min_buffer = block.max(floor);
    }
    if args.link {
        controller.handle(loam::control::Command::Link {
            request: loam::control::link::LinkRequest::Join(true),
            reply: None,
        });
    }
    let mut code = ExitCode::SUCCESS;
    let midi = match args.midi.take() {
        Some(config) => match cli::midi::start(config, &mut controller, commands.clone()) {
            Ok(m) => Some(m),
            Err(e) => {
                loam::say!("loam: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let osc = match args.osc.take() {
        Some(plan) => plan.start(&mut controller, commands, status.clone(), sample_rate),
        None => Ok(None),
    };
    let osc = match osc {
        Ok(server) => {
            controller.run(&stop, args.duration.map(Duration::from_secs_f64));
            server
        }
        Err(e) => {
            loam::say!("loam: {e}");
            code = ExitCode::from(2);
            None
        }
    };
    let osc_summary = osc.map(|server| {
        let s = format!(" {}", server.counters.summary());
        server.stop();
        s
    });
    let midi_summary = midi.map(|system| {
        controller.shutdown_midi();
        let s = format!(" {}", system.counters.summary());
        system.stop();
        s
    });
    let model_underruns = controller.models.underruns();
    let session = controller.session;
    drop(input_stream);
    match running {
        Running::Device(stream) => drop(stream),
        Running::Null(sink) => sink.stop(),
        #[cfg(all(feature = "jack", target_os = "linux"))]
        Running::Jack(client) => drop(client),
    }
    // Under the recording's lock, so the signal watcher either finalises it
    // itself or sees that this thread does.
    let recorder = {
        let mut held = recorder.lock().unwrap_or_else(|p| p.into_inner());
        signals
            .done
            .store(true, std::sync::atomic::Ordering::Relaxed);
        held.take()
    };
    if let Some(r) = recorder {
        match r.finish() {
            Ok(p) => loam::say!(
                "loam: recording saved to {}, its credits to {}",
                p.display(),
                loam::output::credits_path(&p).display()
            ),
            Err(e) => {
                loam::say!("loam: {e}");
                code = ExitCode::from(EXIT_FILE);
            }
        }
    }
    loam::say!(
        "loam: stopped after {:.1} s: bars={} late_events={} xruns={} queue_full={} stolen_voices={} recorder_dropped={} muted_sources={} input_dropped={} input_repeated={} nan_values={} model_underruns={}{}{}",
        started.elapsed().as_secs_f64(),
        session.scheduler.planner().next_bar(),
        EngineStatus::get(&status.late_events),
        EngineStatus::get(&status.xruns),
        EngineStatus::get(&status.queue_full),
        EngineStatus::get(&status.stolen_voices),
        EngineStatus::get(&status.recorder_dropped),
        EngineStatus::get(&status.muted_sources),
        EngineStatus::get(&status.input_dropped),
        EngineStatus::get(&status.input_repeated),
        loam::pattern::signal::non_finite_count(),
        model_underruns,
        osc_summary.unwrap_or_default(),
        midi_summary.unwrap_or_default(),
    );
    code
}
