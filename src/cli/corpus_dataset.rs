//! `loam dataset prepare|features|map`: the audio-corpus commands (issue
//! 13). The work is in `loam::corpus`; this file turns arguments into
//! settings and the outcome into lines and exit codes.
//!
//! Exit codes: 0 done (skipped files are listed, not failures), 2 bad
//! arguments, 5 the input or output folder could not be used.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use loam::corpus::features::{features, FeatureSettings, FEATURES_CSV};
use loam::corpus::map::{map, MapSettings, MAP_JSON, MAP_PNG};
use loam::corpus::normalise::Normalise;
use loam::corpus::prepare::{prepare, PrepareError, PrepareSettings, SourceStatus};
use loam::corpus::segment::{SegmentMethod, SegmentSettings};
use loam::{say, show};

const EXIT_USAGE: u8 = 2;
const EXIT_FILE: u8 = 5;

/// The corpus subcommands of `loam dataset`.
#[derive(Subcommand, Debug, Clone)]
pub enum CorpusCommand {
    /// Cut a folder of recordings (WAV, FLAC, AIFF) into levelled segments
    /// in OUT, with a report; IN is never changed.
    Prepare(PrepareArgs),
    /// Measure each segment of a corpus (spectral shape, loudness, onsets,
    /// pitch) into DIR/features.csv; unchanged files are not measured again.
    Features(FeaturesArgs),
    /// Lay the segments of one corpus (or two, side by side) out on a
    /// self-organising map by how they sound: map.json, map.png and a
    /// description of each region.
    Map(MapArgs),
}

/// Arguments of `loam dataset map`.
#[derive(Args, Debug, Clone)]
pub struct MapArgs {
    /// A corpus whose features are measured.
    pub dir: PathBuf,
    /// A second corpus to place on the same map (neither is merged).
    pub other: Option<PathBuf>,
    /// Where map.json and map.png go (default: the first corpus).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Cells across and down, as WxH (default: about 5·√segments cells).
    #[arg(long)]
    pub size: Option<String>,
    /// Training seed (the same seed gives the same map).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The feature the picture colours cells by (`centroid`, `flatness`, `pitch`, `flatness mean`, …).
    #[arg(long, default_value = "centroid")]
    pub colour: String,
}

/// Arguments of `loam dataset features`.
#[derive(Args, Debug, Clone)]
pub struct FeaturesArgs {
    /// A prepared corpus (or any folder of audio files).
    pub dir: PathBuf,
    /// Analysis window, in frames (Hann).
    #[arg(long, default_value_t = 2048)]
    pub window: usize,
    /// Hop between analysis frames, in frames.
    #[arg(long, default_value_t = 512)]
    pub hop: usize,
    /// FFT size, in frames (at least the window; zero-padded).
    #[arg(long, default_value_t = 2048)]
    pub fft: usize,
    /// Lowest pitch looked for, in Hz.
    #[arg(long, default_value_t = 50.0)]
    pub pitch_min: f64,
    /// Highest pitch looked for, in Hz.
    #[arg(long, default_value_t = 2000.0)]
    pub pitch_max: f64,
}

/// Where to cut, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CutAt {
    /// At silences (one segment per sounding region).
    Silences,
    /// At onsets (one segment per attack).
    Onsets,
}

/// How to level, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LevelBy {
    /// Peak at --peak-db.
    Peak,
    /// EBU R128 integrated loudness at --lufs, peak at most --peak-db.
    Loudness,
    /// As recorded.
    None,
}

/// Arguments of `loam dataset prepare`.
#[derive(Args, Debug, Clone)]
pub struct PrepareArgs {
    /// The folder of recordings (read only).
    pub input: PathBuf,
    /// Where the segments and reports go (empty, or an earlier prepare's output).
    pub output: PathBuf,
    /// The rate every segment is written at, in Hz.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    /// Cut at silences or at onsets.
    #[arg(long, value_enum, default_value_t = CutAt::Silences)]
    pub cut: CutAt,
    /// A 10 ms hop this far below the loudest is silent, in dB.
    #[arg(long, default_value_t = 40.0)]
    pub silence_db: f32,
    /// The shortest silence that separates segments, in ms.
    #[arg(long, default_value_t = 100)]
    pub min_silence_ms: u32,
    /// Segments shorter than this are dropped, in ms.
    #[arg(long, default_value_t = 20)]
    pub min_segment_ms: u32,
    /// Onsets: the rise over the last 30 ms that makes an onset, in dB.
    #[arg(long, default_value_t = 9.0)]
    pub onset_rise_db: f32,
    /// Onsets: the shortest time between two, in ms.
    #[arg(long, default_value_t = 50)]
    pub onset_gap_ms: u32,
    /// Level each segment by peak, by loudness, or not at all.
    #[arg(long, value_enum, default_value_t = LevelBy::Peak)]
    pub normalise: LevelBy,
    /// The peak target (peak) or ceiling (loudness), in dBFS.
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    pub peak_db: f32,
    /// The loudness target, in LUFS.
    #[arg(long, default_value_t = -18.0, allow_hyphen_values = true)]
    pub lufs: f32,
}

impl PrepareArgs {
    /// The settings these arguments ask for.
    pub fn settings(&self) -> PrepareSettings {
        PrepareSettings {
            sample_rate: self.rate,
            segment: SegmentSettings {
                method: match self.cut {
                    CutAt::Silences => SegmentMethod::Silences,
                    CutAt::Onsets => SegmentMethod::Onsets,
                },
                silence_db: self.silence_db,
                min_silence_ms: self.min_silence_ms,
                min_segment_ms: self.min_segment_ms,
                onset_rise_db: self.onset_rise_db,
                onset_min_gap_ms: self.onset_gap_ms,
            },
            normalise: match self.normalise {
                LevelBy::Peak => Normalise::Peak { db: self.peak_db },
                LevelBy::Loudness => Normalise::Loudness {
                    lufs: self.lufs,
                    ceiling_db: self.peak_db,
                },
                LevelBy::None => Normalise::None,
            },
        }
    }
}

/// Runs a corpus subcommand.
pub fn run(command: CorpusCommand) -> ExitCode {
    match command {
        CorpusCommand::Prepare(args) => run_prepare(&args),
        CorpusCommand::Features(args) => run_features(&args),
        CorpusCommand::Map(args) => run_map(&args),
    }
}

fn run_map(args: &MapArgs) -> ExitCode {
    let size = match args.size.as_deref().map(|s| {
        s.split_once(['x', 'X', '×'])
            .and_then(|(w, h)| {
                Some((
                    w.trim().parse::<usize>().ok()?,
                    h.trim().parse::<usize>().ok()?,
                ))
            })
            .ok_or_else(|| format!("--size {s}: expected WIDTHxHEIGHT, e.g. 10x10"))
    }) {
        None => None,
        Some(Ok(size)) => Some(size),
        Some(Err(e)) => {
            say!("loam: dataset map: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let settings = MapSettings {
        size,
        seed: args.seed,
        colour_by: args.colour.clone(),
    };
    let mut dirs = vec![args.dir.clone()];
    dirs.extend(args.other.clone());
    let out = args.output.clone().unwrap_or_else(|| args.dir.clone());
    match map(&dirs, &out, &settings) {
        Ok(m) => {
            show!(
                "{} segments on a {}×{} map: {} and {}",
                m.points.len(),
                m.width,
                m.height,
                out.join(MAP_JSON).display(),
                out.join(MAP_PNG).display()
            );
            for r in &m.regions {
                show!("  {}: {}", r.name, r.description);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            say!("loam: dataset map: {e}");
            ExitCode::from(if e.contains("no feature") || e.contains("map size") {
                EXIT_USAGE
            } else {
                EXIT_FILE
            })
        }
    }
}

fn run_features(args: &FeaturesArgs) -> ExitCode {
    let settings = FeatureSettings {
        window: args.window,
        hop: args.hop,
        fft: args.fft,
        pitch_min_hz: args.pitch_min,
        pitch_max_hz: args.pitch_max,
    };
    if let Err(e) = settings.check() {
        say!("loam: dataset features: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    match features(&args.dir, settings) {
        Ok(outcome) => {
            for (file, why) in &outcome.skipped {
                say!("loam: skipped {}: {why}", args.dir.join(file).display());
            }
            show!(
                "features of {} segments ({} measured, {} unchanged) in {}",
                outcome.table.rows.len(),
                outcome.measured,
                outcome.reused,
                args.dir.join(FEATURES_CSV).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            say!("loam: dataset features: {e}");
            ExitCode::from(EXIT_FILE)
        }
    }
}

fn run_prepare(args: &PrepareArgs) -> ExitCode {
    let report = match prepare(&args.input, &args.output, &args.settings()) {
        Ok(r) => r,
        Err(e) => {
            say!("loam: dataset prepare: {e}");
            return ExitCode::from(match e {
                PrepareError::Settings(_) => EXIT_USAGE,
                _ => EXIT_FILE,
            });
        }
    };
    for r in &report.sources {
        if r.status == SourceStatus::Skipped {
            say!(
                "loam: skipped {}: {}",
                args.input.join(&r.source).display(),
                r.reason.as_deref().unwrap_or("")
            );
        }
        for flag in &r.flags {
            say!(
                "loam: look at {}: {flag}",
                args.input.join(&r.source).display()
            );
        }
    }
    let prepared = report
        .sources
        .iter()
        .filter(|r| r.status == SourceStatus::Prepared)
        .count();
    let skipped = report
        .sources
        .iter()
        .filter(|r| r.status == SourceStatus::Skipped)
        .count();
    show!(
        "prepared {prepared} files into {} segments ({:.1} s), {skipped} skipped; report: {}",
        report.segment_count,
        report.segment_seconds,
        args.output.join(loam::corpus::REPORT_MD).display()
    );
    ExitCode::SUCCESS
}
