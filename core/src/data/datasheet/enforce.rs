//! Refusals: the message a musician reads when loam will not train on, load
//! or play something because consent was withdrawn. It names the dataset,
//! each file (the first [`MAX_NAMED_FILES`], then how many more), the use,
//! who withdrew and when (and why, if they said), and the contact.

use std::fmt;
use std::path::PathBuf;

use super::fields::{Datasheet, Use};
use super::resolve::{Consent, Decision};

/// How many files one line of a refusal names before it says "and N more":
/// enough to recognise the files, short enough to read on stage.
pub const MAX_NAMED_FILES: usize = 8;

/// Files whose consent for a use is not given, grouped by the record that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The use refused.
    pub use_: Use,
    /// The withdrawal that decided it; `None` when nobody ever gave consent.
    pub decision: Option<Decision>,
    /// The files it concerns (relative to the dataset's folder).
    pub files: Vec<String>,
}

/// Why a dataset (or part of it) may not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The dataset's title.
    pub title: String,
    /// Its stable id.
    pub id: String,
    /// Its folder.
    pub folder: PathBuf,
    /// Who to ask.
    pub contact: String,
    /// What is refused, grouped.
    pub refused: Vec<Refused>,
}

impl Refusal {
    /// Every file refused, once each.
    pub fn files(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.refused {
            for f in &r.files {
                if !out.contains(&f.as_str()) {
                    out.push(f);
                }
            }
        }
        out
    }
}

/// The files of `files` (relative names) whose consent for any of `uses` is
/// not given; withdrawn ones always count, never-recorded ones only when
/// `unrecorded_refuses`. `None` when nothing is refused.
pub fn refusal<'a>(
    sheet: &Datasheet,
    files: impl IntoIterator<Item = &'a str> + Clone,
    uses: &[Use],
    unrecorded_refuses: bool,
) -> Option<Refusal> {
    let mut refused: Vec<Refused> = Vec::new();
    let resolver = sheet.resolver();
    for &u in uses {
        for f in files.clone() {
            let decision = match resolver.consent_for(f, u) {
                Consent::Given(_) => continue,
                Consent::Withdrawn(d) => Some(d),
                Consent::Unrecorded if unrecorded_refuses => None,
                Consent::Unrecorded => continue,
            };
            match refused
                .iter_mut()
                .find(|r| r.use_ == u && r.decision == decision)
            {
                Some(r) => r.files.push(f.to_string()),
                None => refused.push(Refused {
                    use_: u,
                    decision,
                    files: vec![f.to_string()],
                }),
            }
        }
    }
    (!refused.is_empty()).then(|| Refusal {
        title: sheet.dataset.title.clone(),
        id: sheet.dataset.id.clone(),
        folder: sheet.folder(),
        contact: sheet.dataset.contact.clone(),
        refused,
    })
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dataset '{}' (id {}, {}): ",
            self.title,
            self.id,
            self.folder.display()
        )?;
        for (i, r) in self.refused.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match &r.decision {
                Some(d) => {
                    write!(f, "{} consent withdrawn by {} on {}", r.use_, d.by, d.date)?;
                    if let Some(why) = &d.reason {
                        write!(f, " (\"{why}\")")?;
                    }
                }
                None => write!(f, "no {} consent recorded", r.use_)?,
            }
            let shown: Vec<&str> = r
                .files
                .iter()
                .take(MAX_NAMED_FILES)
                .map(|s| s.as_str())
                .collect();
            write!(f, " for {}", shown.join(", "))?;
            if r.files.len() > shown.len() {
                write!(f, " and {} more file(s)", r.files.len() - shown.len())?;
            }
        }
        write!(f, "; contact: {}", self.contact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::datasheet::parse::parse;
    use std::path::Path;

    #[test]
    fn a_refusal_names_files_use_who_when_why_and_contact() {
        let text = "[dataset]\nid = \"ds-1\"\ntitle = \"Bols\"\nlicence = \"l\"\nattribution = \"a\"\ncontact = \"ana@example.org\"\n\n[[consent]]\nby = \"Ana\"\nuses = [\"train\", \"perform\"]\naction = \"give\"\ndate = 2026-01-01\n\n[[consent]]\nby = \"Ana\"\nuses = [\"perform\"]\naction = \"withdraw\"\ndate = 2026-02-01\nfiles = [\"b.pat\", \"c.pat\"]\nreason = \"not for the stage\"\n";
        let (sheet, p) = parse(text, Path::new("/d/datasheet.toml"));
        assert_eq!(p, vec![]);
        let sheet = sheet.unwrap();
        let files = ["a.pat", "b.pat", "c.pat"];
        assert_eq!(refusal(&sheet, files, &[Use::Train], true), None);
        let r = refusal(&sheet, files, &[Use::Train, Use::Perform], true).unwrap();
        assert_eq!(r.files(), vec!["b.pat", "c.pat"]);
        assert_eq!(
            r.to_string(),
            "dataset 'Bols' (id ds-1, /d): perform consent withdrawn by Ana on 2026-02-01 (\"not for the stage\") for b.pat, c.pat; contact: ana@example.org"
        );
        // Share was never given: a refusal only when asked to count that.
        assert_eq!(refusal(&sheet, files, &[Use::Share], false), None);
        let r = refusal(&sheet, files, &[Use::Share], true).unwrap();
        assert!(
            r.to_string()
                .contains("no share consent recorded for a.pat, b.pat, c.pat"),
            "{r}"
        );
    }
}
