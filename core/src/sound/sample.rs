//! The one thing the engine plays: an in-memory, interleaved `f32` buffer at
//! the engine's sample rate, plus where it came from. Also the error type for
//! everything that turns files into samples.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::data::credit::Credit;

/// A sound ready for playback. Built at load time on a control thread; the
/// audio thread only reads it (through an `Arc`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// What the performer calls it, e.g. `"kick"` or `"bd:2"`.
    pub name: String,
    /// 1 (mono) or 2 (stereo).
    pub channels: usize,
    /// Interleaved frames at the engine's sample rate, peak ≤ 1.0.
    pub data: Vec<f32>,
    /// Provenance: `"built-in kit"` or the path of the file it was read from.
    pub source: String,
    /// The source credited when it sounds (its sample folder, the built-in
    /// kit), [`Credit::NONE`] for a sound of no credited source.
    pub credit: Credit,
}

impl Sample {
    /// Length in frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.data.len() / self.channels.max(1)
    }

    /// Largest absolute sample value.
    pub fn peak(&self) -> f32 {
        self.data.iter().fold(0.0, |p, x| p.max(x.abs()))
    }
}

/// Why a sound could not be loaded. `Display` starts with the file's path, so
/// a performer can find the offending file: `"kick.wav: not a WAV file (…)"`.
#[derive(Debug)]
pub enum SoundError {
    /// The file or folder could not be read at all.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The file is not a (readable) RIFF/WAVE file.
    NotWav {
        /// The file.
        path: PathBuf,
        /// What the header lacks or gets wrong.
        reason: String,
    },
    /// A WAV encoding loam does not decode (A-law, µ-law, ADPCM, 16-bit float, …).
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The encoding it uses.
        reason: String,
    },
    /// More than two channels.
    Channels {
        /// The file.
        path: PathBuf,
        /// Channels it has.
        channels: u16,
    },
    /// A valid WAV with no audio in it.
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A size the file (or folder) declares is past one of loam's limits:
    /// a sample rate outside [`super::wav::MIN_SAMPLE_RATE`]..=[`super::wav::MAX_SAMPLE_RATE`],
    /// a length past [`super::wav::MAX_SAMPLE_FRAMES`], or a folder past
    /// [`super::bank::MAX_FOLDER_FILES`] / [`super::bank::MAX_FOLDER_FRAMES`].
    /// Checked before anything is decoded or allocated.
    TooLarge {
        /// The file or folder.
        path: PathBuf,
        /// Which size, and the limit.
        reason: String,
    },
    /// A folder with WAV files none of which could be read; `refused` says
    /// why for each.
    NoneReadable {
        /// The folder.
        path: PathBuf,
        /// Why each file was refused.
        refused: Vec<SoundError>,
    },
}

impl SoundError {
    /// The file or folder the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            SoundError::Io { path, .. }
            | SoundError::NotWav { path, .. }
            | SoundError::Unsupported { path, .. }
            | SoundError::Channels { path, .. }
            | SoundError::Empty { path }
            | SoundError::TooLarge { path, .. }
            | SoundError::NoneReadable { path, .. } => path,
        }
    }
}

impl fmt::Display for SoundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path().display();
        match self {
            SoundError::Io { source, .. } => write!(f, "{path}: cannot read ({source})"),
            SoundError::NotWav { reason, .. } => write!(f, "{path}: not a WAV file ({reason})"),
            SoundError::Unsupported { reason, .. } => {
                write!(f, "{path}: unsupported WAV encoding ({reason})")
            }
            SoundError::Channels { channels, .. } => {
                write!(f, "{path}: {channels} channels; loam plays mono or stereo")
            }
            SoundError::Empty { .. } => write!(f, "{path}: contains no audio"),
            SoundError::TooLarge { reason, .. } => write!(f, "{path}: {reason}"),
            SoundError::NoneReadable { refused, .. } => {
                write!(
                    f,
                    "{path}: none of its {} WAV files could be read",
                    refused.len()
                )?;
                for e in refused.iter().take(3) {
                    write!(f, "; {e}")?;
                }
                if refused.len() > 3 {
                    write!(f, "; …")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SoundError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SoundError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_counts_per_channel() {
        let s = Sample {
            name: "x".into(),
            channels: 2,
            data: vec![0.0; 10],
            source: "test".into(),
            credit: crate::data::credit::Credit::NONE,
        };
        assert_eq!(s.frames(), 5);
    }

    #[test]
    fn errors_name_the_file() {
        let e = SoundError::Channels {
            path: PathBuf::from("pad.wav"),
            channels: 6,
        };
        assert_eq!(
            e.to_string(),
            "pad.wav: 6 channels; loam plays mono or stereo"
        );
        let e = SoundError::NotWav {
            path: PathBuf::from("kick.wav"),
            reason: "no RIFF tag found".into(),
        };
        assert_eq!(
            e.to_string(),
            "kick.wav: not a WAV file (no RIFF tag found)"
        );
    }
}
