//! Who to credit: every source a sound can come from (a sample folder,
//! loam's built-in kit, a TorchScript model) gets a small number, its
//! [`Credit`], when it is loaded on a control or script thread. The audio
//! thread only sets that number's bit when the source sounds (see
//! `audio/sounded.rs`); the recording reads the bits when it finishes and
//! turns them back into sources here. Scripts are noted, per performance
//! ([`PlayedScripts`]), with a content hash each time a version of them
//! plays.
//!
//! The numbering is process-wide: a number means the same source to every
//! engine in the process, and a source loaded twice keeps its number (each
//! engine has its own bits, so what one performance played never reaches
//! another's credits). Control side only (it takes a lock); the audio
//! thread never calls it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// The most sources one process numbers for credits (sample folders,
/// models and corpus segments together). Sources past it still play; each
/// sounds as the one [`Credit::OVERFLOW`] bit and the credits say that more
/// sources sounded than loam could name. 16,384 because every segment of a
/// corpus is its own source (so a played segment is credited to its
/// recording and offset) and a performance brings in at most 10,000 of them
/// (`corpus::sounds::MAX_LIVE_SEGMENTS`) beside tens of folders and models;
/// the audio side's bitset is then 257 words of 64 bits (2 KiB).
pub const MAX_CREDITED_SOURCES: usize = 16_384;

/// The most script versions one process notes for credits (each saved
/// version that played, imports and evaluated code included); a long set
/// saved every few seconds stays far under it. Versions past it are counted
/// and the credits say how many were left out.
pub const MAX_NOTED_SCRIPTS: usize = 4096;

/// The number of a credited source, which the audio thread marks when the
/// source sounds. `Copy` and two bytes, so a sample or a model slot carries
/// it for free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Credit(u16);

impl Credit {
    /// Not credited: a sound made in a test, or by code that names no source.
    pub const NONE: Credit = Credit(u16::MAX);

    /// Stands for every source numbered past [`MAX_CREDITED_SOURCES`].
    pub const OVERFLOW: Credit = Credit(MAX_CREDITED_SOURCES as u16);

    /// The bit this credit sets: 0 … [`MAX_CREDITED_SOURCES`] (the last
    /// being [`Credit::OVERFLOW`]); `None` for [`Credit::NONE`].
    #[inline]
    pub fn bit(self) -> Option<usize> {
        (self != Credit::NONE).then_some(self.0 as usize)
    }

    /// The credit of bit `bit` (the inverse of [`Credit::bit`]).
    pub fn from_bit(bit: usize) -> Credit {
        Credit(bit.min(MAX_CREDITED_SOURCES) as u16)
    }
}

impl Default for Credit {
    fn default() -> Credit {
        Credit::NONE
    }
}

/// A source a sound can come from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CreditedSource {
    /// loam's built-in drum kit, synthesised by loam itself.
    BuiltInKit,
    /// A folder read by `samples("folder")` (resolved, absolute).
    SampleFolder(PathBuf),
    /// A TorchScript model file played in a model slot.
    TorchScript(PathBuf),
    /// A model loam trained (`markov_load`, `rnn_load`, `vae_load`: the
    /// model file, resolved, absolute), credited when a pattern it made
    /// sounds; its card (`NAME.toml` beside it) names its datasets.
    TrainedModel(PathBuf),
    /// A model a script trained while the music played (`markov_train`,
    /// `rnn_train`, `vae_train`), credited as the dataset it learned from
    /// (the file or folder, resolved, absolute) when a pattern it made
    /// sounds.
    TrainedInScript(PathBuf),
    /// Live input captured into a sound (`capture("name", bars)`).
    LiveInput {
        /// The sound's name.
        name: String,
        /// When the take started, UTC, as `2026-11-30T09:41:12Z`.
        taken: String,
    },
    /// The file an offline render takes in place of the live input (`loam
    /// render --input take.wav`), credited when it sounded: a model heard
    /// it, a capture of it played, or the monitor played it.
    InputFile {
        /// The file, as given.
        path: PathBuf,
        /// `sha256:` and the hex SHA-256 of its bytes ([`content_hash`]).
        hash: String,
    },
    /// One segment of a prepared corpus, credited to the recording it was
    /// cut from (`segments.json`).
    CorpusSegment {
        /// The corpus folder (resolved, absolute).
        corpus: PathBuf,
        /// The segment's file, relative to the corpus folder.
        segment: String,
        /// The recording it was cut from, relative to the folder prepared.
        recording: String,
        /// Where it starts in the recording, in the recording's frames.
        offset_frames: u64,
        /// Its length in the recording's frames.
        length_frames: u64,
        /// The recording's sample rate, in Hz.
        recording_rate: u32,
    },
}

/// The most sources one loop's pattern can be credited to (the models
/// whose patterns a loop plays); past it, the last slot is
/// [`Credit::OVERFLOW`] and the credits say more sources sounded than loam
/// could name. 8 because a loop made of more models' patterns than that is
/// far past anything a performer writes by hand.
pub const MAX_PATTERN_CREDITS: usize = 8;

/// The sources a loop's pattern came from (the trained models whose
/// patterns it plays), carried by each sound the loop starts so the audio
/// thread credits them with the sample's own source. `Copy` and
/// 16 bytes: no allocation anywhere it travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PatternCredits([Credit; MAX_PATTERN_CREDITS]);

impl Default for PatternCredits {
    fn default() -> PatternCredits {
        PatternCredits([Credit::NONE; MAX_PATTERN_CREDITS])
    }
}

impl PatternCredits {
    /// Adds `credit` (once; [`Credit::NONE`] is ignored). Past
    /// [`MAX_PATTERN_CREDITS`] the last slot becomes [`Credit::OVERFLOW`].
    pub fn add(&mut self, credit: Credit) {
        if credit == Credit::NONE || self.0.contains(&credit) {
            return;
        }
        match self.0.iter_mut().find(|c| **c == Credit::NONE) {
            Some(free) => *free = credit,
            None => self.0[MAX_PATTERN_CREDITS - 1] = Credit::OVERFLOW,
        }
    }

    /// The credits held, in the order they were added (they fill the
    /// slots from the front, so the first empty slot ends them: an event
    /// with none costs the audio thread one comparison).
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Credit> + '_ {
        self.0.iter().copied().take_while(|c| *c != Credit::NONE)
    }

    /// True when no source is held.
    pub fn is_empty(&self) -> bool {
        self.0[0] == Credit::NONE
    }
}

/// The sources numbered so far, in number order, and each one's number
/// (a corpus brings thousands at once, so finding one is not a scan).
#[derive(Default)]
struct Numbered {
    list: Vec<CreditedSource>,
    index: std::collections::HashMap<CreditedSource, u16>,
}

fn sources() -> &'static Mutex<Numbered> {
    static SOURCES: OnceLock<Mutex<Numbered>> = OnceLock::new();
    SOURCES.get_or_init(|| Mutex::new(Numbered::default()))
}

/// The credit of `source`, numbering it the first time it is seen.
/// Control side (takes a lock).
pub fn credit_for(source: CreditedSource) -> Credit {
    let mut known = sources().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&i) = known.index.get(&source) {
        return Credit(i);
    }
    if known.list.len() >= MAX_CREDITED_SOURCES {
        return Credit::OVERFLOW;
    }
    let i = known.list.len() as u16;
    known.list.push(source.clone());
    known.index.insert(source, i);
    Credit(i)
}

/// The source numbered `credit`; `None` for [`Credit::NONE`],
/// [`Credit::OVERFLOW`] and numbers never given.
pub fn source_of(credit: Credit) -> Option<CreditedSource> {
    let known = sources().lock().unwrap_or_else(|p| p.into_inner());
    known.list.get(credit.bit()?).cloned()
}

/// A script version that played: its file (or where evaluated code came
/// from) and the SHA-256 of its text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlayedScript {
    /// The file, as the script named it (or the origin of evaluated code, such as `osc`).
    pub path: PathBuf,
    /// `sha256:` and 64 lower-case hex digits of the text as read.
    pub hash: String,
}

/// The script versions one performance played (its script, its imports,
/// evaluated code), each noted once, in the order they first played. One
/// per performance (shared by the script's threads and whoever writes the
/// credits), so two performances in one process never credit each other's
/// scripts.
#[derive(Debug, Default)]
pub struct PlayedScripts {
    inner: Mutex<Played>,
}

#[derive(Debug, Default)]
struct Played {
    scripts: Vec<PlayedScript>,
    left_out: u64,
}

/// `sha256:` and the hex SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl PlayedScripts {
    /// Notes that this version (`text`) of the script at `path` plays. The
    /// same file with the same text is noted once. Control side (takes a lock).
    pub fn note(&self, path: &Path, text: &str) {
        let script = PlayedScript {
            path: path.to_path_buf(),
            hash: content_hash(text.as_bytes()),
        };
        let mut played = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if played.scripts.contains(&script) {
            return;
        }
        if played.scripts.len() >= MAX_NOTED_SCRIPTS {
            played.left_out += 1;
            return;
        }
        played.scripts.push(script);
    }

    /// Every script version noted so far, in the order they first played,
    /// and how many more were left out past [`MAX_NOTED_SCRIPTS`].
    pub fn list(&self) -> (Vec<PlayedScript>, u64) {
        let played = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (played.scripts.clone(), played.left_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_keeps_its_number_and_numbers_come_back_as_sources() {
        let a = credit_for(CreditedSource::SampleFolder("/tmp/credit-test-a".into()));
        let b = credit_for(CreditedSource::TorchScript("/tmp/credit-test-b.ts".into()));
        assert_ne!(a, b);
        assert_eq!(
            credit_for(CreditedSource::SampleFolder("/tmp/credit-test-a".into())),
            a
        );
        assert_eq!(
            source_of(b),
            Some(CreditedSource::TorchScript("/tmp/credit-test-b.ts".into()))
        );
        assert_eq!(source_of(Credit::NONE), None);
        assert_eq!(source_of(Credit::OVERFLOW), None);
        assert_eq!(Credit::NONE.bit(), None);
        assert_eq!(Credit::from_bit(a.bit().unwrap()), a);
    }

    #[test]
    fn pattern_credits_keep_each_source_once_and_overflow_into_the_last_slot() {
        let mut p = PatternCredits::default();
        assert!(p.is_empty());
        p.add(Credit::NONE);
        assert!(p.is_empty());
        p.add(Credit::from_bit(5));
        p.add(Credit::from_bit(5));
        p.add(Credit::from_bit(9));
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            vec![Credit::from_bit(5), Credit::from_bit(9)]
        );
        for bit in 10..10 + MAX_PATTERN_CREDITS {
            p.add(Credit::from_bit(bit));
        }
        let all: Vec<Credit> = p.iter().collect();
        assert_eq!(all.len(), MAX_PATTERN_CREDITS);
        assert_eq!(all[MAX_PATTERN_CREDITS - 1], Credit::OVERFLOW);
        assert_eq!(all[2], Credit::from_bit(10));
    }

    #[test]
    fn a_script_hash_changes_with_its_text_and_a_version_is_noted_once() {
        let one = content_hash(b"tempo(120);");
        let two = content_hash(b"tempo(121);");
        assert_ne!(one, two);
        assert_eq!(one.len(), 7 + 64);
        // The SHA-256 of the empty text, as every implementation gives it.
        assert_eq!(
            content_hash(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let path = Path::new("/tmp/credit-test-noted.rhai");
        let played = PlayedScripts::default();
        played.note(path, "tempo(120);");
        played.note(path, "tempo(120);");
        played.note(path, "tempo(121);");
        let (mine, left_out) = played.list();
        assert_eq!(left_out, 0);
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].hash, one);
        assert_eq!(mine[1].hash, two);
    }
}
