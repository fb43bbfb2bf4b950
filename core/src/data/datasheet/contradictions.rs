//! Consent records that disagree with each other: two records by different
//! people, of the same date and the same scope (the whole folder, one contributor's files, or
//! the same list of files) where one gives and the other withdraws a use.
//! (One person's records of one day are a change of mind: the last counts.)
//! Until someone resolves it with a later record, loam counts such a use as
//! withdrawn ([`super::resolve`]).

use super::fields::{ConsentRecord, Datasheet, Use};
use super::Problem;

/// What a record's scope is, for comparing two records.
#[derive(PartialEq, Eq)]
enum ScopeKey {
    Folder,
    Contributor(String),
    Files(Vec<String>),
}

fn key(sheet: &Datasheet, r: &ConsentRecord) -> ScopeKey {
    match &r.files {
        Some(globs) => {
            let mut names: Vec<String> = globs.iter().map(|g| g.as_str().to_string()).collect();
            names.sort();
            ScopeKey::Files(names)
        }
        None if sheet.contributor(&r.by).is_some() => ScopeKey::Contributor(r.by.clone()),
        None => ScopeKey::Folder,
    }
}

/// Every pair of records that contradict each other, reported at the later
/// record's line.
pub fn find(sheet: &Datasheet) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, b) in sheet.consent.iter().enumerate() {
        for a in &sheet.consent[..i] {
            if a.date != b.date
                || a.action == b.action
                || a.by == b.by
                || key(sheet, a) != key(sheet, b)
            {
                continue;
            }
            let shared: Vec<&str> = Use::ALL
                .iter()
                .filter(|u| a.uses.contains(u) && b.uses.contains(u))
                .map(|u| u.name())
                .collect();
            if shared.is_empty() {
                continue;
            }
            let scope = match key(sheet, a) {
                ScopeKey::Folder => "the whole folder".to_string(),
                ScopeKey::Contributor(c) => format!("{c}'s files"),
                ScopeKey::Files(f) => f.join(", "),
            };
            out.push(Problem::at(
                &sheet.path,
                b.line,
                1,
                format!(
                    "contradicts the record at line {}: on {} {} {} and {} {} {} for {scope} \
                     (counted as withdrawn until a later record settles it)",
                    a.line,
                    b.date,
                    a.by,
                    verb(a),
                    b.by,
                    verb(b),
                    shared.join(", "),
                ),
            ));
        }
    }
    out
}

fn verb(r: &ConsentRecord) -> &'static str {
    match r.action {
        super::Action::Give => "gives",
        super::Action::Withdraw => "withdraws",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::datasheet::parse::parse;
    use std::path::Path;

    #[test]
    fn same_day_same_scope_disagreements_are_named_and_others_are_not() {
        let head = "[dataset]\nid = \"x\"\ntitle = \"t\"\nlicence = \"l\"\nattribution = \"a\"\ncontact = \"c\"\n";
        let r = |by: &str, action: &str, date: &str, files: &str| {
            format!("\n[[consent]]\nby = \"{by}\"\nuses = [\"train\", \"share\"]\naction = \"{action}\"\ndate = {date}\n{files}")
        };
        let text = format!(
            "{head}{}{}{}{}",
            r("Jo", "give", "2026-01-01", ""),      // line 8
            r("Kim", "withdraw", "2026-01-01", ""), // line 14: contradicts 8
            r("Kim", "withdraw", "2026-01-01", "files = [\"a\"]\n"), // other scope
            r("Jo", "give", "2026-01-02", ""),      // other day
        );
        let (sheet, p) = parse(&text, Path::new("datasheet.toml"));
        assert_eq!(p, vec![]);
        let found: Vec<String> = find(&sheet.unwrap())
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            found,
            vec!["datasheet.toml:14:1: contradicts the record at line 8: on 2026-01-01 Jo gives and Kim withdraws train, share for the whole folder (counted as withdrawn until a later record settles it)"]
        );
    }
}
