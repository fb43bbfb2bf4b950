//! Appending a consent record (`loam dataset revoke` and `restore`). The
//! history is never rewritten: the new `[[consent]]` entry goes at the end
//! of the file, everything before it stays byte for byte, and the file is
//! replaced atomically (a temporary file beside it, synced, then renamed
//! over it), so a crash leaves the old datasheet or the new one, never half.

use std::io::Write;
use std::path::Path;

use super::fields::{Action, Use};
use super::{parse, DatasheetError, Day, Problem};

/// A consent record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// Who gives or withdraws.
    pub by: String,
    /// The uses it concerns.
    pub uses: Vec<Use>,
    /// Give or withdraw.
    pub action: Action,
    /// When (today, for the command line).
    pub date: Day,
    /// Which files; `None` for the whole folder (or the contributor's files).
    pub files: Option<Vec<String>>,
    /// Why, in their words.
    pub reason: Option<String>,
}

impl NewRecord {
    /// The entry as TOML text, starting with a blank line.
    pub fn to_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let list = |items: &mut dyn Iterator<Item = String>| {
            format!(
                "[{}]",
                items.map(|s| quote(&s)).collect::<Vec<_>>().join(", ")
            )
        };
        let mut out = format!(
            "\n[[consent]]\nby = {}\nuses = {}\naction = {}\ndate = {}\n",
            quote(&self.by),
            list(&mut self.uses.iter().map(|u| u.name().to_string())),
            quote(self.action.name()),
            self.date
        );
        if let Some(files) = &self.files {
            out.push_str(&format!("files = {}\n", list(&mut files.iter().cloned())));
        }
        if let Some(r) = &self.reason {
            out.push_str(&format!("reason = {}\n", quote(r)));
        }
        out
    }
}

/// Appends `record` to the datasheet at `path`. A datasheet that does not
/// read cleanly is left alone and its problems returned: a record appended
/// to a broken file would be lost with it.
pub fn append(path: &Path, record: &NewRecord) -> Result<(), DatasheetError> {
    let problem = |m: String| DatasheetError {
        problems: vec![Problem::at(path, 0, 0, m)],
    };
    let mut text =
        std::fs::read_to_string(path).map_err(|e| problem(format!("cannot read: {e}")))?;
    let (sheet, problems) = parse::parse(&text, path);
    if sheet.is_none() || !problems.is_empty() {
        return Err(DatasheetError { problems });
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&record.to_toml());
    write_atomically(path, text.as_bytes()).map_err(|e| problem(format!("cannot write: {e}")))
}

/// Writes `bytes` to `path` through a synced temporary file beside it and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::datasheet::Consent;

    #[test]
    fn a_withdrawal_is_appended_and_the_history_kept_byte_for_byte() {
        let dir = std::env::temp_dir().join(format!("loam-record-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("datasheet.toml");
        let before = "# my notes\n[dataset]\nid = \"x\"\ntitle = \"t\"\nlicence = \"l\"\nattribution = \"a\"\ncontact = \"c\"\n\n[[consent]]\nby = \"Jo\"\nuses = [\"train\"]\naction = \"give\"\ndate = 2026-01-01\n";
        std::fs::write(&path, before).unwrap();
        let record = NewRecord {
            by: "Jo \"JJ\" Example".into(),
            uses: vec![Use::Train],
            action: Action::Withdraw,
            date: Day::parse("2026-02-01").unwrap(),
            files: Some(vec!["a.pat".into()]),
            reason: Some("moving on".into()),
        };
        append(&path, &record).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with(before));
        let sheet = parse::read(&path).unwrap();
        assert_eq!(sheet.consent.len(), 2);
        match sheet.consent_for("a.pat", Use::Train) {
            Consent::Withdrawn(d) => assert_eq!(d.by, "Jo \"JJ\" Example"),
            other => panic!("{other:?}"),
        }
        assert!(sheet.consent_for("b.pat", Use::Train).is_given());
        // Nothing is left beside it.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A broken datasheet is not touched.
        std::fs::write(&path, "[dataset\n").unwrap();
        assert!(append(&path, &record).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[dataset\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
