//! What can go wrong where the sound goes: a device that cannot be opened
//! or started, a recording or render target refused before anything is
//! created, a WAV file that cannot be written, a recorder that failed. Each
//! names the device, file or folder, and the words a performer reads are
//! those loam has always printed.

use std::fmt;
use std::path::PathBuf;

/// Why no audio device can be used (the default host falls back to the null sink).
#[derive(Debug)]
pub enum DeviceError {
    /// The null sink was asked for (`--host null`): no device is opened.
    NullAsked,
    /// The host has no default output device.
    NoDevice(cpal::HostId),
    /// The device offers no configuration loam can use.
    Config(cpal::Error),
    /// JACK was asked for and its server is not reachable.
    Jack(cpal::Error),
    /// JACK was asked for and this loam was built without it.
    NoJack,
    /// The device's sample format is none loam writes.
    Format(cpal::SampleFormat),
    /// The output stream could not be built.
    Open(cpal::Error),
    /// The output stream could not be started.
    Start(cpal::Error),
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::NullAsked => f.write_str("the null sink was asked for"),
            DeviceError::NoDevice(host) => write!(f, "no default output device on {host:?}"),
            DeviceError::Config(e) => {
                write!(f, "the output device has no usable configuration: {e}")
            }
            DeviceError::Jack(e) => write!(f, "JACK is not available: {e}"),
            DeviceError::NoJack => {
                f.write_str("this loam was built without JACK: rebuild with `--features jack`")
            }
            DeviceError::Format(format) => write!(f, "sample format {format} is not supported"),
            DeviceError::Open(e) => write!(f, "cannot open the output stream: {e}"),
            DeviceError::Start(e) => write!(f, "cannot start the output stream: {e}"),
        }
    }
}

impl std::error::Error for DeviceError {}

/// A target a recording or render must not be written to (see
/// [`super::record_target`]), each naming the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// An empty name.
    NoName,
    /// A folder, or a name ending in `/`.
    Folder(PathBuf),
    /// An existing device, pipe or socket.
    NotAFile(PathBuf),
    /// A name inside `folder`, which does not exist.
    NoFolder {
        /// The name given.
        target: PathBuf,
        /// The folder that does not exist.
        folder: PathBuf,
    },
    /// A `.rhai` name: a script.
    ScriptName(PathBuf),
    /// The script being played (under any spelling or extension).
    PlayingScript(PathBuf),
    /// A file the performance reads; `what` says which ("the model 'dc'").
    Source {
        /// The name given.
        target: PathBuf,
        /// Which file it is ("the model 'dc'").
        what: String,
    },
    /// A name inside `folder`, a folder the script loads sounds from.
    InSoundFolder {
        /// The name given.
        target: PathBuf,
        /// The sound folder it lies in.
        folder: PathBuf,
    },
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::NoName => f.write_str("the recording needs a file name, e.g. take.wav"),
            TargetError::Folder(target) => write!(
                f,
                "{} is a folder: name a WAV file, e.g. {}",
                target.display(),
                target.join("take.wav").display()
            ),
            TargetError::NotAFile(target) => write!(
                f,
                "{} is not a regular file (a device, a pipe or a socket): name a WAV file",
                target.display()
            ),
            TargetError::NoFolder { target, folder } => write!(
                f,
                "cannot write {}: the folder {} does not exist",
                target.display(),
                folder.display()
            ),
            TargetError::ScriptName(target) => write!(
                f,
                "will not write a recording to {}: .rhai names are scripts (the one playing, or \
                 one it may import); name a WAV file",
                target.display()
            ),
            TargetError::PlayingScript(target) => write!(
                f,
                "will not write a recording over {}: it is the script being played",
                target.display()
            ),
            TargetError::Source { target, what } => write!(
                f,
                "will not write a recording over {}: it is {what}",
                target.display()
            ),
            TargetError::InSoundFolder { target, folder } => write!(
                f,
                "will not write a recording to {}: it is inside {}, a folder the script \
                 loads sounds from; record somewhere else",
                target.display(),
                folder.display()
            ),
        }
    }
}

impl std::error::Error for TargetError {}

/// What was being done to a WAV file when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WavStep {
    /// Creating the file (or its `.part`).
    Create,
    /// Writing audio.
    Write,
    /// Flushing audio and the header's sizes to disk.
    Flush,
    /// Writing the final sizes and closing.
    Finalise,
}

impl fmt::Display for WavStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WavStep::Create => "cannot create",
            WavStep::Write => "write failed",
            WavStep::Flush => "flush failed",
            WavStep::Finalise => "cannot finalise",
        })
    }
}

/// A WAV file (its `.part` while written) that could not be written or
/// moved into place.
#[derive(Debug)]
pub enum WavError {
    /// `step` failed on the file at `path`.
    File {
        /// The file (its `.part` while written).
        path: PathBuf,
        /// What was being done.
        step: WavStep,
        /// The system's error.
        error: std::io::Error,
    },
    /// The finished `.part` file could not be renamed to its target.
    Move {
        /// The finished `.part` file.
        from: PathBuf,
        /// The target it should have become.
        to: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::File { path, step, error } => {
                write!(f, "{}: {step}: {error}", path.display())
            }
            WavError::Move { from, to, error } => write!(
                f,
                "cannot move {} to {}: {error}",
                from.display(),
                to.display()
            ),
        }
    }
}

impl std::error::Error for WavError {}

/// A write that failed while recording: the music went on, the rest of
/// the recording is lost. Told to the performer when it happens.
#[derive(Debug)]
pub struct WriteFailure {
    /// The recording's target, as given.
    pub target: PathBuf,
    /// Seconds written before it failed.
    pub after: f64,
    /// What failed.
    pub error: WavError,
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "recording to {} failed after {:.1} s: {}; the music goes on, the rest \
             of the recording is lost (counted in recorder_dropped)",
            self.target.display(),
            self.after,
            self.error
        )
    }
}

/// Why a recording did not start, or did not end whole.
#[derive(Debug)]
pub enum RecordError {
    /// The target was refused before anything was created.
    Target(TargetError),
    /// The file could not be created or completed.
    Wav(WavError),
    /// The writer thread could not be started.
    Thread(std::io::Error),
    /// The writer thread panicked.
    Panicked,
    /// [`super::Recorder::finish`] was called twice.
    Finished,
    /// A write failed while playing; `lost` seconds were not written.
    Failed {
        /// The write that failed, and when.
        failure: WriteFailure,
        /// Seconds of the recording not written.
        lost: f64,
    },
    /// Nothing was written, and no failure said why.
    NotWritten,
    /// The audio was saved (the path) but its credits file could not be
    /// written (the error names the file).
    Credits(PathBuf, std::io::Error),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Target(e) => write!(f, "{e}"),
            RecordError::Wav(e) => write!(f, "{e}"),
            RecordError::Thread(e) => write!(f, "cannot start the recorder thread: {e}"),
            RecordError::Panicked => f.write_str("the recorder thread panicked"),
            RecordError::Finished => f.write_str("the recorder was already finished"),
            RecordError::Failed { failure, lost } => write!(f, "{failure}: {lost:.1} s lost"),
            RecordError::NotWritten => f.write_str("the recording was not written"),
            RecordError::Credits(audio, e) => write!(
                f,
                "recording saved to {} (its credits are in its INFO chunk), but its credits file was not written: {e}",
                audio.display()
            ),
        }
    }
}

impl std::error::Error for RecordError {}

impl From<TargetError> for RecordError {
    fn from(e: TargetError) -> RecordError {
        RecordError::Target(e)
    }
}

impl From<WavError> for RecordError {
    fn from(e: WavError) -> RecordError {
        RecordError::Wav(e)
    }
}

/// Why an offline render (`loam render -o`) did not produce its file.
#[derive(Debug)]
pub enum RenderError {
    /// The script did not start.
    Script(crate::script::ScriptError),
    /// The output target was refused.
    Target(TargetError),
    /// The WAV file could not be written.
    Wav(WavError),
    /// The caller's sink of samples refused them (an in-process render).
    Sink(std::io::Error),
    /// A model could not play its part (it is never left out silently).
    Model(super::offline_models::OfflineModelError),
    /// The input file (`--input`) could not be read: the file and why.
    Input(String),
    /// The audio was written (the path) but its credits file was not
    /// (the error names the file).
    Credits(PathBuf, std::io::Error),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Script(e) => write!(f, "{e}"),
            RenderError::Target(e) => write!(f, "{e}"),
            RenderError::Wav(e) => write!(f, "{e}"),
            RenderError::Sink(e) => write!(f, "{e}"),
            RenderError::Model(e) => write!(f, "{e}"),
            RenderError::Input(e) => write!(f, "{e}"),
            RenderError::Credits(audio, e) => write!(
                f,
                "rendered {} (its credits are in its INFO chunk), but its credits file was not written: {e}",
                audio.display()
            ),
        }
    }
}

impl std::error::Error for RenderError {}

impl From<TargetError> for RenderError {
    fn from(e: TargetError) -> RenderError {
        RenderError::Target(e)
    }
}

impl From<WavError> for RenderError {
    fn from(e: WavError) -> RenderError {
        RenderError::Wav(e)
    }
}
