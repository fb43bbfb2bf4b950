//! What a file's consent is now, for one use (the rule is in the module
//! docs of [`super`]): the most specific scope with a record decides, the
//! latest date within it; on that day each person's last record counts,
//! and if two people disagree it counts as withdrawn.

use std::fmt;

use super::fields::{Action, ConsentRecord, Datasheet, Use};
use super::Day;

/// How far a record reaches, from the most to the least specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The record names the whole folder.
    Folder,
    /// The record is by a contributor and covers their files.
    Contributor,
    /// The record names files.
    File,
}

/// The record that decides a file's consent for a use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Who gave or withdrew.
    pub by: String,
    /// When.
    pub date: Day,
    /// Why, if they said.
    pub reason: Option<String>,
    /// The record's line in the datasheet.
    pub line: usize,
    /// How far the record reaches.
    pub scope: Scope,
}

/// A file's consent for one use, now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// Given, by this record.
    Given(Decision),
    /// Withdrawn, by this record.
    Withdrawn(Decision),
    /// Nobody recorded anything for this use: not consented.
    Unrecorded,
}

impl Consent {
    /// Whether the use is consented.
    pub fn is_given(&self) -> bool {
        matches!(self, Consent::Given(_))
    }

    /// A short name for records and cards: `given`, `withdrawn`, `unrecorded`.
    pub fn name(&self) -> &'static str {
        match self {
            Consent::Given(_) => "given",
            Consent::Withdrawn(_) => "withdrawn",
            Consent::Unrecorded => "unrecorded",
        }
    }
}

impl fmt::Display for Consent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Consent::Given(d) => write!(f, "given by {} on {}", d.by, d.date),
            Consent::Withdrawn(d) => {
                write!(f, "withdrawn by {} on {}", d.by, d.date)?;
                if let Some(r) = &d.reason {
                    write!(f, " ({r})")?;
                }
                Ok(())
            }
            Consent::Unrecorded => f.write_str("never given (no consent record)"),
        }
    }
}

impl Datasheet {
    /// How far `record` reaches for `file` (relative to the folder,
    /// `/`-separated); `None` when it does not name the file.
    pub fn scope_for(&self, record: &ConsentRecord, file: &str) -> Option<Scope> {
        match &record.files {
            Some(globs) => globs.iter().any(|g| g.matches(file)).then_some(Scope::File),
            None => match self.contributor(&record.by) {
                Some(c) => c
                    .files
                    .iter()
                    .any(|g| g.matches(file))
                    .then_some(Scope::Contributor),
                None => Some(Scope::Folder),
            },
        }
    }

    /// The consent of `file` (relative to the dataset's folder, `/`-separated) for `use_`.
    pub fn consent_for(&self, file: &str, use_: Use) -> Consent {
        self.resolver().consent_for(file, use_)
    }

    /// A resolver for many files: each record's reach is worked out once.
    pub fn resolver(&self) -> Resolver<'_> {
        let records = self
            .consent
            .iter()
            .map(|r| {
                let reach = match &r.files {
                    Some(globs) => Reach::Files(globs.as_slice(), Scope::File),
                    None => match self.contributor(&r.by) {
                        Some(c) => Reach::Files(c.files.as_slice(), Scope::Contributor),
                        None => Reach::Folder,
                    },
                };
                (r, reach)
            })
            .collect();
        Resolver { records }
    }
}

enum Reach<'a> {
    Folder,
    Files(&'a [super::glob::Glob], Scope),
}

/// Resolves many files against one datasheet ([`Datasheet::resolver`]).
pub struct Resolver<'a> {
    records: Vec<(&'a ConsentRecord, Reach<'a>)>,
}

impl Resolver<'_> {
    /// The consent of `file` (relative, `/`-separated) for `use_`.
    pub fn consent_for(&self, file: &str, use_: Use) -> Consent {
        // The most specific scope with a record, then its latest date.
        let mut top: Option<(Scope, Day)> = None;
        let mut applying: Vec<(Scope, &ConsentRecord)> = Vec::new();
        for (r, reach) in self.records.iter().filter(|(r, _)| r.uses.contains(&use_)) {
            let scope = match reach {
                Reach::Folder => Scope::Folder,
                Reach::Files(globs, scope) => {
                    if !globs.iter().any(|g| g.matches(file)) {
                        continue;
                    }
                    *scope
                }
            };
            applying.push((scope, r));
            if top.is_none_or(|t| (scope, r.date) > t) {
                top = Some((scope, r.date));
            }
        }
        let Some((scope, date)) = top else {
            return Consent::Unrecorded;
        };
        // That day, each person's last word (records are appended, so a
        // later line is later); if anyone's last word withdraws, withdrawn.
        let day: Vec<&ConsentRecord> = applying
            .iter()
            .filter(|(s, r)| *s == scope && r.date == date)
            .map(|(_, r)| *r)
            .collect();
        let last_words = day
            .iter()
            .enumerate()
            .filter(|(i, r)| !day[i + 1..].iter().any(|later| later.by == r.by));
        let (_, decider) = last_words
            .max_by_key(|(_, r)| (r.action == Action::Withdraw, r.line))
            .expect("the day has a record");
        let d = Decision {
            by: decider.by.clone(),
            date: decider.date,
            reason: decider.reason.clone(),
            line: decider.line,
            scope,
        };
        match decider.action {
            Action::Give => Consent::Given(d),
            Action::Withdraw => Consent::Withdrawn(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::datasheet::parse::parse;
    use std::path::Path;

    fn sheet(records: &str) -> Datasheet {
        let text = format!(
            "[dataset]\nid = \"x\"\ntitle = \"t\"\nlicence = \"CC0-1.0\"\nattribution = \"a\"\ncontact = \"c@example.org\"\n\n[[contributor]]\nname = \"Sam\"\nfiles = [\"sam/*\"]\n{records}"
        );
        let (s, p) = parse(&text, Path::new("datasheet.toml"));
        assert_eq!(p, vec![], "{text}");
        s.unwrap()
    }

    fn rec(by: &str, uses: &str, action: &str, date: &str, extra: &str) -> String {
        format!("\n[[consent]]\nby = \"{by}\"\nuses = [{uses}]\naction = \"{action}\"\ndate = {date}\n{extra}")
    }

    #[test]
    fn nothing_recorded_is_not_consent() {
        let s = sheet("");
        assert_eq!(s.consent_for("a.pat", Use::Train), Consent::Unrecorded);
    }

    #[test]
    fn the_latest_record_in_a_scope_wins_whatever_its_place_in_the_file() {
        let s = sheet(&format!(
            "{}{}",
            rec(
                "Jo",
                "\"train\"",
                "withdraw",
                "2026-03-01",
                "reason = \"changed my mind\"\n"
            ),
            rec("Jo", "\"train\"", "give", "2026-01-01", "")
        ));
        match s.consent_for("a.pat", Use::Train) {
            Consent::Withdrawn(d) => {
                assert_eq!(d.by, "Jo");
                assert_eq!(d.date.to_string(), "2026-03-01");
                assert_eq!(d.reason.as_deref(), Some("changed my mind"));
                assert_eq!(d.scope, Scope::Folder);
            }
            other => panic!("{other:?}"),
        }
        // Another use is untouched.
        assert_eq!(s.consent_for("a.pat", Use::Perform), Consent::Unrecorded);
    }

    #[test]
    fn per_file_and_per_contributor_records_override_the_folder() {
        let s = sheet(&format!(
            "{}{}{}",
            rec(
                "Community council",
                "\"train\", \"perform\"",
                "give",
                "2026-05-01",
                ""
            ),
            rec("Sam", "\"train\"", "withdraw", "2026-01-01", ""),
            rec(
                "Jo",
                "\"perform\"",
                "withdraw",
                "2026-01-01",
                "files = [\"b.pat\"]\n"
            ),
        ));
        assert!(s.consent_for("a.pat", Use::Train).is_given());
        // Sam's own record outranks the council's later one for Sam's files.
        assert!(
            matches!(s.consent_for("sam/x.pat", Use::Train), Consent::Withdrawn(d) if d.scope == Scope::Contributor)
        );
        assert!(s.consent_for("sam/x.pat", Use::Perform).is_given());
        // A per-file record outranks the folder's.
        assert!(
            matches!(s.consent_for("b.pat", Use::Perform), Consent::Withdrawn(d) if d.scope == Scope::File)
        );
        assert!(s.consent_for("b.pat", Use::Train).is_given());
    }

    #[test]
    fn restored_consent_is_given_again_and_the_history_stays() {
        let s = sheet(&format!(
            "{}{}{}",
            rec("Jo", "\"train\"", "give", "2026-01-01", ""),
            rec("Jo", "\"train\"", "withdraw", "2026-02-01", ""),
            rec("Jo", "\"train\"", "give", "2026-03-01", ""),
        ));
        assert!(s.consent_for("a.pat", Use::Train).is_given());
        assert_eq!(s.consent.len(), 3);
    }

    #[test]
    fn one_person_changing_their_mind_the_same_day_is_their_last_word() {
        let s = sheet(&format!(
            "{}{}",
            rec("Jo", "\"train\"", "withdraw", "2026-01-01", ""),
            rec("Jo", "\"train\"", "give", "2026-01-01", ""),
        ));
        assert!(s.consent_for("a.pat", Use::Train).is_given());
    }

    #[test]
    fn a_same_day_disagreement_counts_as_withdrawn() {
        let s = sheet(&format!(
            "{}{}",
            rec("Jo", "\"train\"", "withdraw", "2026-01-01", ""),
            rec("Kim", "\"train\"", "give", "2026-01-01", ""),
        ));
        assert!(
            matches!(s.consent_for("a.pat", Use::Train), Consent::Withdrawn(d) if d.by == "Jo")
        );
    }
}
