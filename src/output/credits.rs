//! The credits of a render or recording: which scripts played (with a
//! content hash of each version) and, for what actually sounded in that
//! audio, every source with the datasets it draws on, their attribution and
//! licence. A source loaded but never heard is not credited; one heard once
//! is; one without any provenance is listed as "no provenance".
//!
//! Written twice when the audio is finished: as `NAME.wav.credits.toml`
//! beside it (atomically: a temporary file, then a rename), and into the
//! WAV's `LIST`/`INFO` chunk (artist, copyright, comment, software), so the
//! credits travel with a file copied without its neighbour. `loam credits
//! NAME.wav` prints them as a programme note.
//!
//! What sounded comes from the engine's [`SoundedSources`] bits, which the
//! audio thread sets at no cost (`audio/sounded.rs`); what each source is
//! and where it comes from, from `data/credit.rs` and
//! `data/credit_provenance.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::wav_info::{info_chunk, read_info, InfoField};
use crate::audio::sounded::SoundedSources;
use crate::data::credit::{source_of, Credit, PlayedScripts, MAX_CREDITED_SOURCES};
use crate::data::credit_provenance::SourceProvenance;

/// A script version that played, as the credits list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptCredit {
    /// The file (or where evaluated code came from).
    pub path: String,
    /// `sha256:` and the hex SHA-256 of the text that played.
    pub hash: String,
}

/// The credits of one audio file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credits {
    /// The audio file's name.
    pub audio: String,
    /// The loam that made it (`loam 0.1.0`).
    pub made_with: String,
    /// Said when more sources sounded than loam numbers
    /// ([`MAX_CREDITED_SOURCES`]) or more script versions played than it
    /// notes: those are not named below.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub left_out: String,
    /// Every script version that played, in the order they first played.
    #[serde(default)]
    pub scripts: Vec<ScriptCredit>,
    /// Every source that sounded, in the order it was loaded.
    #[serde(default)]
    pub sounded: Vec<SourceProvenance>,
}

/// The credits file of `audio`: `take.wav` → `take.wav.credits.toml`.
pub fn credits_path(audio: &Path) -> PathBuf {
    let mut path = audio.as_os_str().to_owned();
    path.push(".credits.toml");
    PathBuf::from(path)
}

impl Credits {
    /// The credits of `audio` now: the scripts `played` lists and the
    /// sources `sounded` marks, each looked up in its own files.
    /// Control side (reads datasheets and model cards).
    pub fn gather(audio: &Path, sounded: &SoundedSources, played: &PlayedScripts) -> Credits {
        let (scripts, scripts_left_out) = played.list();
        let marks = sounded.sounded();
        let mut left_out = Vec::new();
        if marks.contains(&Credit::OVERFLOW) {
            left_out.push(format!(
                "more sources sounded than the {MAX_CREDITED_SOURCES} loam names (MAX_CREDITED_SOURCES)"
            ));
        }
        if scripts_left_out > 0 {
            left_out.push(format!(
                "{scripts_left_out} more script versions played than loam notes (MAX_NOTED_SCRIPTS)"
            ));
        }
        Credits {
            audio: audio
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            made_with: format!("loam {}", env!("CARGO_PKG_VERSION")),
            left_out: left_out.join("; "),
            scripts: scripts
                .into_iter()
                .map(|s| ScriptCredit {
                    path: s.path.display().to_string(),
                    hash: s.hash,
                })
                .collect(),
            sounded: marks
                .into_iter()
                .filter_map(source_of)
                .map(|s| SourceProvenance::of(&s))
                .collect(),
        }
    }

    /// The credits as TOML (what the credits file holds).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_else(|e| format!("# not written: {e}\n"));
        format!(
            "# Credits of {}: the scripts that played and every source that sounded in it.\n\
             # Written by {}; `loam credits {}` prints them as a programme note.\n\n{body}",
            self.audio, self.made_with, self.audio
        )
    }

    /// Reads a credits file.
    pub fn read(path: &Path) -> Result<Credits, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read ({e})", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
    }

    /// Everyone credited, one line each: attribution and licence (and the
    /// dataset's title and contact), the source's path, or "no provenance".
    fn source_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for s in &self.sounded {
            // A corpus segment names its recording and where in it.
            let recording = s.place_in_recording();
            let place = if !recording.is_empty() {
                format!(" ({} {recording}, corpus {})", s.kind, s.path)
            } else if s.path.is_empty() {
                String::new()
            } else {
                format!(" ({} {})", s.kind, s.path)
            };
            if s.datasets.is_empty() {
                if recording.is_empty() {
                    lines.push(format!("{} {}: {}", s.kind, s.path, s.note));
                } else {
                    lines.push(format!(
                        "{} {recording} (corpus {}): {}",
                        s.kind, s.path, s.note
                    ));
                }
                continue;
            }
            for d in &s.datasets {
                let mut line = if d.attribution.is_empty() {
                    d.title.clone()
                } else {
                    d.attribution.clone()
                };
                if !d.title.is_empty() && !line.contains(&d.title) {
                    line.push_str(&format!(" (\"{}\")", d.title));
                }
                if !d.licence.is_empty() {
                    line.push_str(&format!(", licence {}", d.licence));
                }
                if !d.contact.is_empty() {
                    line.push_str(&format!(", contact {}", d.contact));
                }
                line.push_str(&place);
                lines.push(line);
            }
        }
        lines
    }

    /// The credits as a programme note a performer can paste: who and
    /// under which licence, then the scripts with their hashes.
    pub fn programme_note(&self) -> String {
        let mut out = if self.audio.is_empty() {
            format!("Credits (made with {})\n", self.made_with)
        } else {
            format!(
                "Credits for {} (made with {})\n",
                self.audio, self.made_with
            )
        };
        out.push_str("\nSounds:\n");
        let lines = self.source_lines();
        if lines.is_empty() {
            out.push_str("- nothing sounded\n");
        }
        for line in lines {
            out.push_str(&format!("- {line}\n"));
        }
        out.push_str("\nScripts:\n");
        for s in &self.scripts {
            out.push_str(&format!("- {} ({})\n", s.path, s.hash));
        }
        if !self.left_out.is_empty() {
            out.push_str(&format!("\nNot named: {}\n", self.left_out));
        }
        out
    }

    /// The INFO fields: artist (every attribution), copyright (every
    /// licence), comment (the programme note, without the file's own name,
    /// so the same performance written under two names is the same bytes),
    /// software.
    pub fn info_fields(&self) -> Vec<InfoField> {
        let unnamed = Credits {
            audio: String::new(),
            ..self.clone()
        };
        let mut artists: Vec<String> = Vec::new();
        let mut licences: Vec<String> = Vec::new();
        for d in self.sounded.iter().flat_map(|s| &s.datasets) {
            if !d.attribution.is_empty() && !artists.contains(&d.attribution) {
                artists.push(d.attribution.clone());
            }
            if !d.licence.is_empty() && !licences.contains(&d.licence) {
                licences.push(d.licence.clone());
            }
        }
        if self
            .sounded
            .iter()
            .any(|s| s.datasets.is_empty() && !s.note.is_empty())
        {
            artists.push("sounds with no provenance".into());
        }
        vec![
            InfoField {
                id: *b"IART",
                text: artists.join("; "),
            },
            InfoField {
                id: *b"ICOP",
                text: licences.join("; "),
            },
            InfoField {
                id: *b"ICMT",
                text: unnamed.programme_note(),
            },
            InfoField {
                id: *b"ISFT",
                text: self.made_with.clone(),
            },
        ]
    }

    /// The `LIST`/`INFO` chunk holding [`Credits::info_fields`].
    pub fn info_chunk(&self) -> Vec<u8> {
        info_chunk(&self.info_fields())
    }

    /// Writes the credits file beside `audio`, atomically: into
    /// `NAME.credits.toml.part`, flushed to disk, renamed over
    /// `NAME.credits.toml`. Returns the credits file.
    pub fn write_beside(&self, audio: &Path) -> std::io::Result<PathBuf> {
        let target = credits_path(audio);
        let mut part = target.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let written = (|| {
            let mut file = std::fs::File::create(&part)?;
            file.write_all(self.to_toml().as_bytes())?;
            file.sync_all()
        })();
        if let Err(e) = written.and_then(|()| std::fs::rename(&part, &target)) {
            let _ = std::fs::remove_file(&part);
            return Err(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", target.display()),
            ));
        }
        Ok(target)
    }
}

/// The programme note of `audio`: from its credits file, or else from the
/// comment in its INFO chunk. The error says what was looked for.
pub fn programme_note_of(audio: &Path) -> Result<String, String> {
    let file = credits_path(audio);
    if file.is_file() {
        return Credits::read(&file).map(|c| c.programme_note());
    }
    let bytes =
        std::fs::read(audio).map_err(|e| format!("{}: cannot read ({e})", audio.display()))?;
    // The comment leaves the file's name out; it is this file's.
    let name = audio
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_info(&bytes)
        .into_iter()
        .find_map(|f| {
            let rest = f.text.strip_prefix("Credits (made with ")?;
            (f.id == *b"ICMT").then(|| format!("Credits for {name} (made with {rest}"))
        })
        .ok_or_else(|| {
            format!(
                "{}: no credits (no {} beside it, and no loam credits in its INFO chunk)",
                audio.display(),
                file.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::credit_provenance::DatasetCredit;

    fn credits() -> Credits {
        Credits {
            audio: "take.wav".into(),
            made_with: "loam 0.1.0".into(),
            left_out: String::new(),
            scripts: vec![ScriptCredit {
                path: "/set/song.rhai".into(),
                hash: "sha256:00ff".into(),
            }],
            sounded: vec![
                SourceProvenance {
                    kind: "sample folder".into(),
                    path: "/set/drums".into(),
                    described_by: "/set/datasheet.toml".into(),
                    datasets: vec![DatasetCredit {
                        id: "d-1".into(),
                        title: "Frame drums".into(),
                        attribution: "Frame drums by Ana Example".into(),
                        licence: "CC-BY-4.0".into(),
                        contact: "ana@example.org".into(),
                    }],
                    note: String::new(),
                    ..SourceProvenance::default()
                },
                SourceProvenance {
                    kind: "sample folder".into(),
                    path: "/set/found".into(),
                    note: "no provenance".into(),
                    ..SourceProvenance::default()
                },
            ],
        }
    }

    #[test]
    fn the_credits_file_reads_back_as_written() {
        let c = credits();
        let back: Credits = toml::from_str(&c.to_toml()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn the_programme_note_names_attribution_licence_and_no_provenance() {
        let note = credits().programme_note();
        assert!(
            note.starts_with("Credits for take.wav (made with loam 0.1.0)"),
            "{note}"
        );
        assert!(
            // The title is left out where the attribution already says it.
            note.contains("- Frame drums by Ana Example, licence CC-BY-4.0, contact ana@example.org (sample folder /set/drums)"),
            "{note}"
        );
        assert!(
            note.contains("- sample folder /set/found: no provenance"),
            "{note}"
        );
        assert!(note.contains("- /set/song.rhai (sha256:00ff)"), "{note}");
    }

    #[test]
    fn the_info_fields_carry_artist_licence_and_the_note() {
        let fields = credits().info_fields();
        let get = |id: &[u8; 4]| fields.iter().find(|f| f.id == *id).unwrap().text.clone();
        assert_eq!(
            get(b"IART"),
            "Frame drums by Ana Example; sounds with no provenance"
        );
        assert_eq!(get(b"ICOP"), "CC-BY-4.0");
        // The comment is the note without the file's own name.
        let note = credits().programme_note();
        let unnamed = note.replacen("Credits for take.wav (", "Credits (", 1);
        assert_eq!(get(b"ICMT"), unnamed);
        assert_eq!(get(b"ISFT"), "loam 0.1.0");
    }
}
