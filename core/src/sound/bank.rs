//! The sound bank: names → ordered variants, SuperDirt style.
//!
//! A bank is built on a control thread (kit synthesis, folder loading) and
//! then handed to the engine whole; samples are shared as `Arc<Sample>` so a
//! replaced bank can be dropped off the audio thread while voices still hold
//! the samples they are playing.
//!
//! Folder layout, as in SuperDirt's `Dirt-Samples`:
//!
//! - `dir/NAME/*.wav` → sound `NAME`, variants in sorted file-name order,
//!   named `NAME:0`, `NAME:1`, …
//! - `dir/NAME.wav` → sound `NAME` with one variant.
//!
//! Files that do not end in `.wav` (any case) and hidden files (leading `.`,
//! such as macOS `._kick.wav` resource forks) are skipped; sub-sub-folders
//! are not searched.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::kit::drum_kit;
use super::sample::{Sample, SoundError};
use super::wav::{load_wav_within, MAX_SAMPLE_FRAMES};
use crate::data::credit::{credit_for, CreditedSource};

/// The most WAV files one `samples("folder")` loads (Dirt-Samples, the
/// largest common collection, has about 2 000). Counted before any is read.
pub const MAX_FOLDER_FILES: usize = 4_096;

/// The most audio one `samples("folder")` loads, in frames at the engine
/// rate, all files together: one hour at 48 kHz (690 MB mono, 1.4 GB
/// stereo). Each file's length is checked from its header against what is
/// left before it is decoded.
pub const MAX_FOLDER_FRAMES: u64 = 3 * MAX_SAMPLE_FRAMES;

/// What [`SoundBank::load_folder`] did.
#[derive(Debug)]
pub struct FolderLoad {
    /// Sounds (names, not files) added or replaced.
    pub sounds: usize,
    /// The WAV files left out, each as `FILE: REASON`.
    pub refused: Vec<String>,
}

/// A sample folder read into memory at one engine rate, ready to be added
/// to a [`SoundBank`] whole. Read on the script thread (decoding takes
/// time the timekeeper never waits for), then handed over to the scheduler
/// as a change; cloning shares the samples.
#[derive(Clone)]
pub struct SampleFolder {
    /// The folder as resolved (absolute).
    pub dir: PathBuf,
    /// The rate every sample was resampled to, in Hz.
    pub sample_rate: u32,
    /// Sound names and their variants.
    pub sounds: BTreeMap<String, Vec<Arc<Sample>>>,
    /// The WAV files left out, as `FILE: REASON`.
    pub refused: Vec<String>,
    /// Each WAV file's path, size in bytes and modification time when it
    /// was listed: a folder whose stamp is unchanged need not be read again.
    pub stamp: FolderStamp,
}

/// The WAV files of a sample folder with their sizes and modification
/// times, in the order they are read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderStamp(Vec<(PathBuf, u64, Option<std::time::SystemTime>)>);

/// A sample folder's WAV files, listed and counted before any is read.
struct FolderListing {
    dir: PathBuf,
    /// `dir/NAME/*.wav`: name and files in order.
    folders: Vec<(String, Vec<PathBuf>)>,
    /// `dir/NAME.wav`.
    singles: Vec<(String, PathBuf)>,
}

impl FolderListing {
    /// Lists `dir` (layout in the module docs); at most
    /// [`MAX_FOLDER_FILES`] WAV files.
    fn read(dir: &Path) -> Result<FolderListing, SoundError> {
        let mut folders: Vec<(String, Vec<PathBuf>)> = Vec::new();
        let mut singles: Vec<(String, PathBuf)> = Vec::new();
        let mut files = 0usize;
        for entry in sorted_entries(dir)? {
            let Some(stem) = visible_stem(&entry) else {
                continue;
            };
            if entry.is_dir() {
                let wavs: Vec<PathBuf> = sorted_entries(&entry)?
                    .into_iter()
                    .filter(|f| f.is_file() && is_wav(f) && visible_stem(f).is_some())
                    .collect();
                files += wavs.len();
                if !wavs.is_empty() {
                    folders.push((stem, wavs));
                }
            } else if entry.is_file() && is_wav(&entry) {
                files += 1;
                singles.push((stem, entry));
            }
            if files > MAX_FOLDER_FILES {
                return Err(SoundError::TooLarge {
                    path: dir.to_path_buf(),
                    reason: format!(
                        "more than {MAX_FOLDER_FILES} WAV files; loam loads at most {MAX_FOLDER_FILES} from one folder"
                    ),
                });
            }
        }
        Ok(FolderListing {
            dir: dir.to_path_buf(),
            folders,
            singles,
        })
    }

    /// Every listed file's size and modification time.
    fn stamp(&self) -> FolderStamp {
        let files = self
            .folders
            .iter()
            .flat_map(|(_, wavs)| wavs.iter())
            .chain(self.singles.iter().map(|(_, p)| p));
        FolderStamp(
            files
                .map(|p| {
                    let meta = fs::metadata(p).ok();
                    let len = meta.as_ref().map_or(0, |m| m.len());
                    (p.clone(), len, meta.and_then(|m| m.modified().ok()))
                })
                .collect(),
        )
    }

    /// Decodes the listed files at `sample_rate` (see
    /// [`SoundBank::load_folder`] for what is left out and what fails).
    fn load(self, sample_rate: u32, stamp: FolderStamp) -> Result<SampleFolder, SoundError> {
        let dir = self.dir.as_path();
        // Every sound of the folder is credited to it when it sounds.
        let credit = credit_for(CreditedSource::SampleFolder(self.dir.clone()));
        let mut frames_left = MAX_FOLDER_FRAMES;
        let mut load = |path: &Path| -> Result<Sample, SoundError> {
            let sample = load_wav_within(path, sample_rate, frames_left).map_err(|e| match e {
                SoundError::TooLarge { path, reason } if frames_left < MAX_SAMPLE_FRAMES => {
                    SoundError::TooLarge {
                        path,
                        reason: format!(
                            "{reason}; {} has {frames_left} of its {MAX_FOLDER_FRAMES} frames left (MAX_FOLDER_FRAMES)",
                            dir.display()
                        ),
                    }
                }
                other => other,
            })?;
            frames_left -= sample.frames() as u64;
            Ok(Sample { credit, ..sample })
        };
        let mut loaded: BTreeMap<String, Vec<Arc<Sample>>> = BTreeMap::new();
        let mut refused = Vec::new();
        for (stem, wavs) in self.folders {
            let mut variants = Vec::with_capacity(wavs.len());
            for file in wavs {
                match load(&file) {
                    Ok(mut sample) => {
                        sample.name = format!("{stem}:{}", variants.len());
                        variants.push(Arc::new(sample));
                    }
                    Err(e) => refused.push(e),
                }
            }
            if !variants.is_empty() {
                loaded.insert(stem, variants);
            }
        }
        for (stem, path) in self.singles {
            if let Entry::Vacant(slot) = loaded.entry(stem) {
                match load(&path) {
                    Ok(mut sample) => {
                        sample.name = slot.key().clone();
                        slot.insert(vec![Arc::new(sample)]);
                    }
                    Err(e) => refused.push(e),
                }
            }
        }
        if loaded.is_empty() && !refused.is_empty() {
            return Err(SoundError::NoneReadable {
                path: self.dir,
                refused,
            });
        }
        Ok(SampleFolder {
            dir: self.dir,
            sample_rate,
            sounds: loaded,
            refused: refused.iter().map(|e| e.to_string()).collect(),
            stamp,
        })
    }
}

impl std::fmt::Debug for SampleFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SampleFolder({}, {} sounds at {} Hz, {} left out)",
            self.dir.display(),
            self.sounds.len(),
            self.sample_rate,
            self.refused.len()
        )
    }
}

impl SampleFolder {
    /// Reads every sound in `dir` at `sample_rate` (layout in the module
    /// docs; what is left out and what fails as in [`SoundBank::load_folder`]).
    pub fn read(dir: &Path, sample_rate: u32) -> Result<SampleFolder, SoundError> {
        let listing = FolderListing::read(dir)?;
        let stamp = listing.stamp();
        listing.load(sample_rate, stamp)
    }

    /// `folder` again if none of its files changed since it was read (same
    /// files, sizes and modification times) and it is at `sample_rate`;
    /// otherwise the folder read afresh.
    pub fn reread(folder: &SampleFolder, sample_rate: u32) -> Result<SampleFolder, SoundError> {
        let listing = FolderListing::read(&folder.dir)?;
        let stamp = listing.stamp();
        if folder.sample_rate == sample_rate && stamp == folder.stamp {
            return Ok(folder.clone());
        }
        listing.load(sample_rate, stamp)
    }
}

/// Named sounds, each with one or more variants. Names are kept sorted.
#[derive(Debug, Clone, Default)]
pub struct SoundBank {
    sounds: BTreeMap<String, Vec<Arc<Sample>>>,
}

impl SoundBank {
    /// An empty bank.
    pub fn new() -> Self {
        Self::default()
    }

    /// A bank holding the built-in drum kit at `sample_rate`, one variant per
    /// name.
    pub fn with_drum_kit(sample_rate: u32) -> Self {
        let mut bank = Self::new();
        for sample in drum_kit(sample_rate) {
            let name = sample.name.clone();
            bank.insert(&name, vec![sample]);
        }
        bank
    }

    /// Sets the variants of `name`, replacing any it had. An empty list
    /// removes the name.
    pub fn insert(&mut self, name: &str, variants: Vec<Sample>) {
        if variants.is_empty() {
            self.sounds.remove(name);
        } else {
            let variants = variants.into_iter().map(Arc::new).collect();
            self.sounds.insert(name.to_string(), variants);
        }
    }

    /// Sets `name` to the one variant `sample`, shared as it is (a live
    /// sampling take: the engine holds the same sample).
    pub fn insert_shared(&mut self, name: &str, sample: Arc<Sample>) {
        self.sounds.insert(name.to_string(), vec![sample]);
    }

    /// Loads every sound in `dir` (layout in the module docs) at
    /// `sample_rate`: how many sounds (names, not files) it added or
    /// replaced, and the files it refused.
    ///
    /// As SuperDirt does, an unreadable WAV does not fail the folder: it is
    /// left out (a sound's later variants move up one), and [`FolderLoad`]
    /// names it with the reason so the performer is told. The folder itself
    /// is an error, and the bank is left exactly as it was, when it is
    /// missing or cannot be listed, holds too many files, or has WAV files
    /// none of which could be read ([`SoundError::NoneReadable`]).
    ///
    /// NOTE: if both `dir/NAME/` (with WAVs in it) and `dir/NAME.wav` exist,
    /// the folder wins and the single file is ignored.
    ///
    /// Sizes are checked before they are loaded: at most
    /// [`MAX_FOLDER_FILES`] WAV files, and at most [`MAX_FOLDER_FRAMES`] of
    /// audio in all (each file judged from its header).
    pub fn load_folder(&mut self, dir: &Path, sample_rate: u32) -> Result<FolderLoad, SoundError> {
        let folder = SampleFolder::read(dir, sample_rate)?;
        let sounds = self.add(&folder);
        Ok(FolderLoad {
            sounds,
            refused: folder.refused,
        })
    }

    /// Adds (or replaces) every sound of `folder`; how many names.
    pub fn add(&mut self, folder: &SampleFolder) -> usize {
        for (name, variants) in &folder.sounds {
            self.sounds.insert(name.clone(), variants.clone());
        }
        folder.sounds.len()
    }

    /// Variant `variant` of `name`, wrapping modulo the number of variants
    /// (`bd:5` with three files plays `bd:2`).
    pub fn get(&self, name: &str, variant: u32) -> Option<&Arc<Sample>> {
        let variants = self.sounds.get(name)?;
        variants.get(variant as usize % variants.len().max(1))
    }

    /// How many variants `name` has (0 if unknown).
    pub fn variant_count(&self, name: &str) -> usize {
        self.sounds.get(name).map_or(0, Vec::len)
    }

    /// All names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.sounds.keys().map(String::as_str).collect()
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.sounds.len()
    }

    /// True when the bank has no sounds.
    pub fn is_empty(&self) -> bool {
        self.sounds.is_empty()
    }
}

/// The entries of `dir`, sorted by file name.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, SoundError> {
    let io_err = |source| SoundError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = fs::read_dir(dir)
        .map_err(io_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err)?;
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(paths)
}

/// The file stem, unless the entry is hidden or has no usable name.
fn visible_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    if name.starts_with('.') {
        return None;
    }
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    (!stem.is_empty()).then_some(stem)
}

fn is_wav(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::wav::tests::{temp_folder, write_sine};

    fn sample(name: &str, value: f32) -> Sample {
        Sample {
            name: name.into(),
            channels: 1,
            data: vec![value; 4],
            source: "test".into(),
            credit: crate::data::credit::Credit::NONE,
        }
    }

    #[test]
    fn a_folder_of_too_many_files_is_refused_before_any_is_read() {
        let dir = temp_folder("too-many");
        std::fs::create_dir(dir.join("hat")).unwrap();
        // Not even WAVs inside: nothing may be read before the count is known.
        for i in 0..=MAX_FOLDER_FILES {
            std::fs::write(dir.join("hat").join(format!("{i:05}.wav")), b"").unwrap();
        }
        let mut bank = SoundBank::new();
        let msg = bank.load_folder(&dir, 48000).unwrap_err().to_string();
        assert!(msg.starts_with(&dir.display().to_string()), "{msg}");
        assert!(msg.contains("at most 4096"), "{msg}");
        assert!(bank.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_1_hz_file_in_a_folder_names_the_file() {
        let dir = temp_folder("one-hz-folder");
        std::fs::create_dir(dir.join("sr1")).unwrap();
        write_sine(&dir.join("kick.wav"), 1, 48000, 16, false);
        std::fs::write(
            dir.join("sr1").join("n2000.wav"),
            include_bytes!("../../../tests/cases/wav-1-hz-2000-samples.wav"),
        )
        .unwrap();
        let mut bank = SoundBank::new();
        let load = bank.load_folder(&dir, 48000).unwrap();
        assert_eq!(load.sounds, 1);
        assert_eq!(load.refused.len(), 1);
        let msg = load.refused[0].to_string();
        assert!(msg.contains("n2000.wav"), "{msg}");
        assert!(msg.contains("sample rate 1 Hz"), "{msg}");
        assert_eq!(bank.names(), vec!["kick"]);
    }

    #[test]
    fn get_wraps_variants() {
        let mut bank = SoundBank::new();
        bank.insert(
            "bd",
            vec![
                sample("bd:0", 0.1),
                sample("bd:1", 0.2),
                sample("bd:2", 0.3),
            ],
        );
        assert_eq!(bank.get("bd", 0).unwrap().name, "bd:0");
        assert_eq!(bank.get("bd", 2).unwrap().name, "bd:2");
        assert_eq!(bank.get("bd", 3).unwrap().name, "bd:0");
        assert_eq!(bank.get("bd", 5).unwrap().name, "bd:2");
        assert_eq!(bank.get("bd", u32::MAX).unwrap().name, "bd:0"); // 4294967295 % 3 = 0
        assert!(bank.get("sn", 0).is_none());
    }

    #[test]
    fn insert_replaces_and_empty_removes() {
        let mut bank = SoundBank::new();
        bank.insert("x", vec![sample("a", 0.1), sample("b", 0.2)]);
        bank.insert("x", vec![sample("c", 0.3)]);
        assert_eq!(bank.variant_count("x"), 1);
        assert_eq!(bank.get("x", 1).unwrap().name, "c");
        bank.insert("x", Vec::new());
        assert!(bank.is_empty());
    }

    #[test]
    fn drum_kit_bank_has_kit_names() {
        let bank = SoundBank::with_drum_kit(48000);
        for name in ["kick", "snare", "hat", "openhat", "clap", "bell"] {
            assert_eq!(bank.get(name, 7).unwrap().source, "built-in kit");
        }
        assert_eq!(bank.len(), drum_kit(48000).len());
    }

    #[test]
    fn folder_layout_gives_names_and_variant_order() {
        let dir = temp_folder("folder");
        std::fs::create_dir(dir.join("bd")).unwrap();
        for f in ["b.wav", "a.WAV", "c.wav"] {
            write_sine(&dir.join("bd").join(f), 1, 44100, 16, false);
        }
        std::fs::write(dir.join("bd").join("notes.txt"), "hi").unwrap();
        std::fs::write(dir.join("bd").join("._a.wav"), "junk").unwrap();
        std::fs::create_dir(dir.join("empty")).unwrap();
        write_sine(&dir.join("sn.wav"), 2, 48000, 24, false);
        write_sine(&dir.join("bd.wav"), 1, 48000, 16, false); // shadowed by bd/
        std::fs::write(dir.join("README.md"), "skip me").unwrap();

        let mut bank = SoundBank::with_drum_kit(48000);
        let before = bank.len();
        let load = bank.load_folder(&dir, 48000).unwrap();
        assert_eq!((load.sounds, load.refused.len()), (2, 0));
        assert_eq!(bank.len(), before + 2);
        assert_eq!(bank.variant_count("bd"), 3);
        let sources: Vec<String> = (0..3)
            .map(|i| bank.get("bd", i).unwrap().source.clone())
            .collect();
        assert!(sources[0].ends_with("a.WAV") && sources[1].ends_with("b.wav"));
        assert!(sources[2].ends_with("c.wav"));
        assert_eq!(bank.get("bd", 1).unwrap().name, "bd:1");
        let sn = bank.get("sn", 0).unwrap();
        assert_eq!((sn.name.as_str(), sn.channels), ("sn", 2));
        assert!(bank.names().contains(&"kick"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_bad_file_is_left_out_and_named_and_the_rest_loads() {
        let dir = temp_folder("badfolder");
        std::fs::create_dir(dir.join("hh")).unwrap();
        write_sine(&dir.join("hh").join("0.wav"), 1, 44100, 16, false);
        std::fs::write(dir.join("hh").join("1.wav"), "not a wav file at all").unwrap();
        write_sine(&dir.join("hh").join("2.wav"), 2, 44100, 16, false);
        write_sine(&dir.join("ok.wav"), 1, 44100, 16, false);
        std::fs::write(dir.join("broken.wav"), "RIFF").unwrap();

        let mut bank = SoundBank::new();
        let load = bank.load_folder(&dir, 48000).unwrap();
        assert_eq!(load.sounds, 2);
        let refused: Vec<String> = load.refused.iter().map(|e| e.to_string()).collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(
            refused[0].ends_with("1.wav: not a WAV file (no RIFF tag found)"),
            "{refused:?}"
        );
        assert!(
            refused[1].ends_with("broken.wav: not a WAV file (file ends early)"),
            "{refused:?}"
        );
        // hh keeps its two good files, in order, renumbered.
        assert_eq!(bank.variant_count("hh"), 2);
        assert!(bank.get("hh", 1).unwrap().source.ends_with("2.wav"));
        assert_eq!(bank.get("hh", 1).unwrap().name, "hh:1");
        assert_eq!(bank.get("ok", 0).unwrap().frames(), 48000);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_missing_or_wholly_unreadable_folder_is_an_error_naming_it() {
        let dir = temp_folder("unreadable");
        let mut bank = SoundBank::with_drum_kit(48000);
        let before = bank.len();
        let missing = dir.join("nope");
        let msg = bank.load_folder(&missing, 48000).unwrap_err().to_string();
        assert!(msg.starts_with(&missing.display().to_string()), "{msg}");
        assert!(msg.contains("cannot read"), "{msg}");

        let bad = dir.join("bad");
        std::fs::create_dir_all(bad.join("bd")).unwrap();
        std::fs::write(bad.join("bd").join("0.wav"), "junk").unwrap();
        std::fs::write(bad.join("sn.wav"), "junk").unwrap();
        let msg = bank.load_folder(&bad, 48000).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "{}: none of its 2 WAV files could be read; ",
                bad.display()
            )),
            "{msg}"
        );
        assert!(msg.contains("0.wav: not a WAV file"), "{msg}");
        assert_eq!(bank.len(), before, "the bank is left as it was");

        // A file where a folder should be.
        let file = dir.join("file.wav");
        write_sine(&file, 1, 48000, 16, false);
        assert!(bank.load_folder(&file, 48000).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
