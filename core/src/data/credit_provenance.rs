//! Where a credited source comes from, as its own files say: a sample
//! folder's `datasheet.toml` (the folder's own, or the nearest one above it:
//! a dataset's datasheet sits at its root), a TorchScript model's card
//! `NAME.ts.toml` beside `NAME.ts` (its `[[datasets]]`), or loam itself for
//! the built-in kit. Only the keys the datasheet contract fixes are read
//! (`[dataset]` id, title, licence, attribution, contact; a card's
//! `[[datasets]]` with the same keys and `path`); other keys are left to
//! whoever owns them. A source with none of these is "no provenance", and
//! still credited, as that.
//!
//! Control side only (reads files). Each file read is at most
//! [`MAX_PROVENANCE_BYTES`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::credit::CreditedSource;
use super::datasheet;

/// The largest datasheet or model card read for credits, in bytes: 1 MiB,
/// far above a hand-written datasheet (a few KiB, its consent history
/// included); a larger file is named as unreadable rather than read.
pub const MAX_PROVENANCE_BYTES: u64 = 1 << 20;

/// One dataset a source draws on, as its datasheet or card names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetCredit {
    /// The dataset's stable id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// The text to print in credits.
    #[serde(default)]
    pub attribution: String,
    /// Under which terms it may be used (an SPDX id or free text).
    #[serde(default)]
    pub licence: String,
    /// Whom to contact about it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact: String,
}

/// What a source's files say about where it comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceProvenance {
    /// `"built-in kit"`, `"sample folder"`, `"model"`, `"model trained in
    /// the script"` or `"live input"`.
    pub kind: String,
    /// The folder or model file (empty for the built-in kit).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The datasheet or model card read (empty when none was found).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub described_by: String,
    /// The datasets it draws on, in the order its file lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetCredit>,
    /// For a corpus segment: the recording it was cut from (relative to
    /// the folder that was prepared) and the segment's file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub recording: String,
    /// For a corpus segment: its file in the corpus folder.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub segment: String,
    /// For a corpus segment: where it starts in the recording, in the
    /// recording's frames (at `recording_rate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_frames: Option<u64>,
    /// For a corpus segment: its length in the recording's frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_frames: Option<u64>,
    /// For a corpus segment: the recording's sample rate, in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_rate: Option<u32>,
    /// Said when there is nothing to credit but the source itself:
    /// `"no provenance"`, or why its datasheet could not be read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl SourceProvenance {
    /// For a corpus segment: where it lies in its recording, in words
    /// (`rain.wav at 1.250 s for 0.500 s`); empty for other sources.
    pub fn place_in_recording(&self) -> String {
        if self.recording.is_empty() {
            return String::new();
        }
        match (self.offset_frames, self.length_frames, self.recording_rate) {
            (Some(at), Some(length), Some(rate)) if rate > 0 => format!(
                "{} at {:.3} s for {:.3} s",
                self.recording,
                at as f64 / f64::from(rate),
                length as f64 / f64::from(rate)
            ),
            _ => self.recording.clone(),
        }
    }
}

/// What "no provenance" is written as, in credits and programme notes.
pub const NO_PROVENANCE: &str = "no provenance";

/// A model card: only its datasets.
#[derive(Deserialize)]
struct ModelCard {
    #[serde(default)]
    datasets: Vec<DatasetCredit>,
}

impl SourceProvenance {
    /// The provenance of `source`, read from its files now.
    pub fn of(source: &CreditedSource) -> SourceProvenance {
        match source {
            CreditedSource::BuiltInKit => SourceProvenance {
                kind: "built-in kit".into(),
                datasets: vec![DatasetCredit {
                    title: "loam built-in drum kit".into(),
                    attribution: "loam built-in drum kit (synthesised by loam)".into(),
                    licence: "MIT OR Apache-2.0".into(),
                    ..DatasetCredit::default()
                }],
                ..SourceProvenance::default()
            },
            CreditedSource::CorpusSegment {
                corpus,
                segment,
                recording,
                offset_frames,
                length_frames,
                recording_rate,
            } => {
                // The corpus's datasheet (prepare copies the source's)
                // credits the segment as it would the folder.
                let folder = SourceProvenance::of(&CreditedSource::SampleFolder(corpus.clone()));
                SourceProvenance {
                    kind: "corpus segment".into(),
                    recording: recording.clone(),
                    segment: segment.clone(),
                    // Unknown (0 Hz) when `segments.json` could not be read.
                    offset_frames: (*recording_rate > 0).then_some(*offset_frames),
                    length_frames: (*recording_rate > 0).then_some(*length_frames),
                    recording_rate: (*recording_rate > 0).then_some(*recording_rate),
                    ..folder
                }
            }
            CreditedSource::SampleFolder(dir) => from_datasheet("sample folder", dir, dir),
            CreditedSource::TrainedInScript(data) => {
                // A file's datasheet is its folder's (or one above it).
                let dir = if data.is_dir() {
                    data.as_path()
                } else {
                    data.parent().unwrap_or(Path::new("."))
                };
                from_datasheet("model trained in the script", data, dir)
            }
            CreditedSource::LiveInput { name, taken } => SourceProvenance {
                kind: "live input".into(),
                path: format!("'{name}'"),
                datasets: vec![DatasetCredit {
                    title: "live input".into(),
                    attribution: format!(
                        "live input, captured as '{name}' at {taken} (the performers)"
                    ),
                    ..DatasetCredit::default()
                }],
                ..SourceProvenance::default()
            },
            CreditedSource::InputFile { path, hash } => SourceProvenance {
                kind: "live input".into(),
                path: path.display().to_string(),
                datasets: vec![DatasetCredit {
                    title: "live input".into(),
                    attribution: format!(
                        "live input, from the input file {} ({hash}) (the performers)",
                        path.display()
                    ),
                    ..DatasetCredit::default()
                }],
                ..SourceProvenance::default()
            },
            CreditedSource::TorchScript(file) | CreditedSource::TrainedModel(file) => {
                from_card(file)
            }
        }
    }
}

/// The provenance of `path`, a source of `kind`, from the datasheet of
/// the dataset `dir` is in.
fn from_datasheet(kind: &str, path: &Path, dir: &Path) -> SourceProvenance {
    let mut p = SourceProvenance {
        kind: kind.into(),
        path: path.display().to_string(),
        ..SourceProvenance::default()
    };
    match find_datasheet(dir) {
        None => p.note = NO_PROVENANCE.into(),
        Some(sheet) => {
            p.described_by = sheet.display().to_string();
            // The datasheet's own reader: the same rules as
            // `loam dataset check`, and as consent at load.
            match datasheet::parse::read(&sheet) {
                Ok(d) => p.datasets.push(DatasetCredit {
                    id: d.dataset.id,
                    title: d.dataset.title,
                    attribution: d.dataset.attribution,
                    licence: d.dataset.licence,
                    contact: d.dataset.contact,
                }),
                Err(why) => p.note = format!("{NO_PROVENANCE} ({why})"),
            }
        }
    }
    p
}

/// The provenance of a model file, from its card beside it.
fn from_card(file: &Path) -> SourceProvenance {
    let mut p = SourceProvenance {
        kind: "model".into(),
        path: file.display().to_string(),
        ..SourceProvenance::default()
    };
    let card = card_path(file);
    if !card.is_file() {
        p.note = NO_PROVENANCE.into();
        return p;
    }
    p.described_by = card.display().to_string();
    match read_toml::<ModelCard>(&card) {
        Ok(c) if c.datasets.is_empty() => {
            p.note = format!("{NO_PROVENANCE} (its card names no datasets)");
        }
        Ok(c) => p.datasets = c.datasets,
        Err(why) => p.note = format!("{NO_PROVENANCE} ({why})"),
    }
    p
}

/// The card beside a model file: the model's file name with `.toml`
/// appended (`NAME.ts` → `NAME.ts.toml`, `my.model` → `my.model.toml`).
pub fn card_path(model: &Path) -> PathBuf {
    let mut name = model.file_name().unwrap_or_default().to_os_string();
    name.push(".toml");
    model.with_file_name(name)
}

/// The nearest `datasheet.toml` in `dir` or a folder above it (see
/// [`datasheet::dataset_root`]).
pub fn find_datasheet(dir: &Path) -> Option<PathBuf> {
    datasheet::dataset_root(dir).map(|root| root.join(datasheet::DATASHEET_FILE))
}

/// Reads `file` (at most [`MAX_PROVENANCE_BYTES`]) as `T`; the error names
/// the file, and the line and column where TOML says.
fn read_toml<T: serde::de::DeserializeOwned>(file: &Path) -> Result<T, String> {
    let size = std::fs::metadata(file)
        .map_err(|e| format!("{}: cannot read ({e})", file.display()))?
        .len();
    if size > MAX_PROVENANCE_BYTES {
        return Err(format!(
            "{}: {size} bytes, more than the {MAX_PROVENANCE_BYTES} loam reads (MAX_PROVENANCE_BYTES)",
            file.display()
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read ({e})", file.display()))?;
    toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(":{line}:{column}")
            })
            .unwrap_or_default();
        format!("{}{at}: {}", file.display(), e.message())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corpus_segment_is_credited_to_its_recording_and_its_corpus_datasheet() {
        let root = temp("segment");
        std::fs::write(
            root.join("datasheet.toml"),
            "[dataset]\nid = \"f-1\"\ntitle = \"Rain\"\nlicence = \"CC0-1.0\"\n\
             attribution = \"Rain by Ana\"\ncontact = \"ana@example.org\"\n",
        )
        .unwrap();
        let p = SourceProvenance::of(&CreditedSource::CorpusSegment {
            corpus: root.clone(),
            segment: "segments/rain.wav.0002.wav".into(),
            recording: "field/rain.wav".into(),
            offset_frames: 66_150,
            length_frames: 22_050,
            recording_rate: 44_100,
        });
        assert_eq!(p.kind, "corpus segment");
        assert_eq!(p.path, root.display().to_string());
        assert_eq!(p.datasets[0].attribution, "Rain by Ana");
        assert_eq!(p.recording, "field/rain.wav");
        assert_eq!(
            p.place_in_recording(),
            "field/rain.wav at 1.500 s for 0.500 s"
        );
        // A folder's provenance has no place in a recording.
        let folder = SourceProvenance::of(&CreditedSource::SampleFolder(root.clone()));
        assert_eq!(folder.place_in_recording(), "");
        let _ = std::fs::remove_dir_all(&root);
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "loam-credit-provenance-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_datasheet_above_the_folder_credits_it() {
        let root = temp("above");
        std::fs::write(
            root.join("datasheet.toml"),
            "[dataset]\nid = \"d-1\"\ntitle = \"Frame drums\"\nlicence = \"CC-BY-4.0\"\n\
             attribution = \"Frame drums by Ana Example\"\ncontact = \"ana@example.org\"\n\
             creators = [\"Ana Example\"]\n",
        )
        .unwrap();
        let folder = root.join("bank").join("tar");
        std::fs::create_dir_all(&folder).unwrap();
        let p = SourceProvenance::of(&CreditedSource::SampleFolder(folder));
        assert_eq!(p.note, "");
        assert_eq!(
            p.described_by,
            root.join("datasheet.toml").display().to_string()
        );
        assert_eq!(p.datasets.len(), 1);
        assert_eq!(p.datasets[0].id, "d-1");
        assert_eq!(p.datasets[0].attribution, "Frame drums by Ana Example");
        assert_eq!(p.datasets[0].licence, "CC-BY-4.0");
        assert_eq!(p.datasets[0].contact, "ana@example.org");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_folder_without_a_datasheet_has_no_provenance() {
        let root = temp("none");
        let p = SourceProvenance::of(&CreditedSource::SampleFolder(root.clone()));
        assert_eq!(p.note, NO_PROVENANCE);
        assert!(p.datasets.is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_broken_datasheet_is_named_with_its_line() {
        let root = temp("broken");
        std::fs::write(
            root.join("datasheet.toml"),
            "[dataset]\ntitle = \"x\"\nid = \n",
        )
        .unwrap();
        let p = SourceProvenance::of(&CreditedSource::SampleFolder(root.clone()));
        assert!(p.note.starts_with(NO_PROVENANCE), "{}", p.note);
        assert!(p.note.contains("datasheet.toml:3:"), "{}", p.note);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_model_card_lists_its_datasets_and_a_bare_model_has_no_provenance() {
        let root = temp("card");
        let model = root.join("voice.ts");
        std::fs::write(&model, b"not read").unwrap();
        let bare = SourceProvenance::of(&CreditedSource::TorchScript(model.clone()));
        assert_eq!(bare.note, NO_PROVENANCE);
        std::fs::write(
            root.join("voice.ts.toml"),
            "[model]\nkind = \"rave\"\n\n[[datasets]]\nid = \"a\"\ntitle = \"Choir\"\npath = \"x\"\n\
             attribution = \"Choir of Example Town\"\nlicence = \"CC-BY-SA-4.0\"\ncontact = \"c@example.org\"\n\n\
             [[datasets]]\nid = \"b\"\ntitle = \"Bells\"\nattribution = \"Bells by Bo\"\nlicence = \"CC0-1.0\"\ncontact = \"bo@example.org\"\n",
        )
        .unwrap();
        let p = SourceProvenance::of(&CreditedSource::TorchScript(model));
        assert_eq!(p.note, "");
        let ids: Vec<&str> = p.datasets.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(p.datasets[0].attribution, "Choir of Example Town");
        assert_eq!(p.datasets[1].licence, "CC0-1.0");
        let _ = std::fs::remove_dir_all(&root);
    }
}
