//! Reading `datasheet.toml` with the `toml` crate. A syntax error stops the
//! reading (the `toml` crate's message, at its line and column); otherwise
//! every problem is collected — each missing required field, each value of
//! the wrong kind, each unknown key, each bad use, action or date — so a
//! musician fixes the file in one pass.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::{Spanned, Value};

use super::fields::{Action, ConsentRecord, Contributor, DatasetFields, Datasheet, Use};
use super::glob::Glob;
use super::{DatasheetError, Day, Problem};

/// The largest datasheet loam reads, in bytes: a consent history of tens of
/// thousands of records fits; a file larger than this is not a datasheet,
/// and reading it must not stall a model's load.
pub const MAX_DATASHEET_BYTES: u64 = 4 * 1024 * 1024;

/// The `[dataset]` keys every datasheet must have.
pub const REQUIRED: [&str; 5] = ["id", "title", "licence", "attribution", "contact"];

/// The optional `[dataset]` keys that hold text.
const OPTIONAL_TEXT: [&str; 11] = [
    "community",
    "motivation",
    "collection",
    "place",
    "period",
    "contents",
    "omissions",
    "cultural_context",
    "wanted_uses",
    "unwanted_uses",
    "description",
];

type Table = BTreeMap<String, Spanned<Value>>;

#[derive(Deserialize)]
struct RawSheet {
    dataset: Option<Spanned<Table>>,
    #[serde(default)]
    contributor: Vec<Spanned<Table>>,
    #[serde(default)]
    consent: Vec<Spanned<Table>>,
}

/// Reads the datasheet at `path`; any problem is an error listing them all.
pub fn read(path: &Path) -> Result<Datasheet, DatasheetError> {
    let (sheet, problems) = read_lenient(path);
    match sheet {
        Some(s) if problems.is_empty() => Ok(s),
        _ => Err(DatasheetError { problems }),
    }
}

/// Reads the datasheet at `path` as far as it can: what it could read (none
/// after a syntax error or an unreadable file) and every problem found.
pub fn read_lenient(path: &Path) -> (Option<Datasheet>, Vec<Problem>) {
    let text = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_DATASHEET_BYTES => {
            return (
                None,
                vec![Problem::at(
                    path,
                    0,
                    0,
                    format!(
                        "{} bytes; a datasheet is at most {MAX_DATASHEET_BYTES} bytes",
                        m.len()
                    ),
                )],
            )
        }
        Ok(_) => std::fs::read_to_string(path),
        Err(e) => Err(e),
    };
    match text {
        Ok(t) => parse(&t, path),
        Err(e) => (
            None,
            vec![Problem::at(path, 0, 0, format!("cannot read: {e}"))],
        ),
    }
}

/// Parses datasheet text (named `path` in messages).
pub fn parse(text: &str, path: &Path) -> (Option<Datasheet>, Vec<Problem>) {
    let lines = Lines::new(text);
    let at = |span: Range<usize>, message: String| {
        let (l, c) = lines.position(span.start);
        Problem::at(path, l, c, message)
    };
    let raw: RawSheet = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let (l, c) = e.span().map(|s| lines.position(s.start)).unwrap_or((0, 0));
            let message = e.message().trim().to_string();
            return (None, vec![Problem::at(path, l, c, message)]);
        }
    };
    let mut problems = Vec::new();
    // Unknown top-level keys: `[[consents]]` must not pass silently.
    if let Ok(top) = toml::from_str::<BTreeMap<String, Spanned<IgnoredAny>>>(text) {
        for (key, v) in &top {
            if !["dataset", "contributor", "consent"].contains(&key.as_str()) {
                problems.push(at(
                    v.span(),
                    format!("unknown table '{key}': a datasheet has [dataset], [[contributor]] and [[consent]]"),
                ));
            }
        }
    }
    let mut sheet = Datasheet {
        path: path.to_path_buf(),
        dataset: DatasetFields::default(),
        contributors: Vec::new(),
        consent: Vec::new(),
    };
    match &raw.dataset {
        None => problems.push(Problem::at(
            path,
            1,
            1,
            "no [dataset] table: a datasheet starts with [dataset] and its id, title, licence, attribution and contact",
        )),
        Some(table) => {
            let header = lines.header_line("[dataset]").unwrap_or(lines.position(table.span().start).0);
            let mut read = Reader { at: &at, problems: &mut problems };
            sheet.dataset = read.dataset(table.get_ref(), path, header);
        }
    }
    for (i, entry) in raw.contributor.iter().enumerate() {
        let mut read = Reader {
            at: &at,
            problems: &mut problems,
        };
        let line = lines
            .nth_header_line("[[contributor]]", i)
            .unwrap_or(lines.position(entry.span().start).0);
        if let Some(c) = read.contributor(entry.get_ref(), path, line) {
            sheet.contributors.push(c);
        }
    }
    for (i, entry) in raw.consent.iter().enumerate() {
        let mut read = Reader {
            at: &at,
            problems: &mut problems,
        };
        let line = lines
            .nth_header_line("[[consent]]", i)
            .unwrap_or(lines.position(entry.span().start).0);
        if let Some(r) = read.consent(entry.get_ref(), path, line) {
            sheet.consent.push(r);
        }
    }
    problems.sort_by_key(|p| (p.line, p.column));
    (Some(sheet), problems)
}

struct Reader<'a, F: Fn(Range<usize>, String) -> Problem> {
    at: &'a F,
    problems: &'a mut Vec<Problem>,
}

impl<F: Fn(Range<usize>, String) -> Problem> Reader<'_, F> {
    fn problem(&mut self, v: &Spanned<Value>, message: String) {
        self.problems.push((self.at)(v.span(), message));
    }

    fn unknown_keys(&mut self, table: &Table, known: &[&str], what: &str) {
        for (key, v) in table {
            if !known.contains(&key.as_str()) {
                let hint = match key.as_str() {
                    "license" => " (loam spells it 'licence')".to_string(),
                    "use" => " (the key is 'uses', a list)".to_string(),
                    "file" => " (the key is 'files', a list)".to_string(),
                    _ => String::new(),
                };
                self.problem(v, format!("unknown key '{key}' in {what}{hint}"));
            }
        }
    }

    fn text(&mut self, table: &Table, key: &str, what: &str) -> Option<String> {
        let v = table.get(key)?;
        match v.get_ref() {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::String(_) => {
                self.problem(v, format!("'{key}' in {what} is empty"));
                None
            }
            other => {
                self.problem(
                    v,
                    format!(
                        "'{key}' in {what} must be text in quotes, not {}",
                        kind(other)
                    ),
                );
                None
            }
        }
    }

    fn list(&mut self, table: &Table, key: &str, what: &str) -> Option<Vec<String>> {
        let v = table.get(key)?;
        match v.get_ref() {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.problem(
                                v,
                                format!(
                                    "'{key}' in {what} must be a list of text, and holds {}",
                                    kind(other)
                                ),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            other => {
                self.problem(
                    v,
                    format!(
                        "'{key}' in {what} must be a list like [\"…\"], not {}",
                        kind(other)
                    ),
                );
                None
            }
        }
    }

    fn dataset(&mut self, t: &Table, path: &Path, header: usize) -> DatasetFields {
        let what = "[dataset]";
        let mut known: Vec<&str> = REQUIRED.to_vec();
        known.extend(OPTIONAL_TEXT);
        known.push("creators");
        self.unknown_keys(t, &known, what);
        let required = |key: &str, r: &mut Self| -> String {
            match r.text(t, key, what) {
                Some(s) => s,
                None => {
                    if !t.contains_key(key) {
                        r.problems.push(Problem::at(
                            path,
                            header,
                            1,
                            format!("[dataset] has no '{key}' (required)"),
                        ));
                    }
                    String::new()
                }
            }
        };
        let id = required("id", self);
        let title = required("title", self);
        let licence = required("licence", self);
        let attribution = required("attribution", self);
        let contact = required("contact", self);
        let mut opt = |key: &str| self.text(t, key, what);
        DatasetFields {
            id,
            title,
            licence,
            attribution,
            contact,
            community: opt("community"),
            motivation: opt("motivation"),
            collection: opt("collection"),
            place: opt("place"),
            period: opt("period"),
            contents: opt("contents").or_else(|| opt("description")),
            omissions: opt("omissions"),
            cultural_context: opt("cultural_context"),
            wanted_uses: opt("wanted_uses"),
            unwanted_uses: opt("unwanted_uses"),
            creators: self.list(t, "creators", what).unwrap_or_default(),
        }
    }

    fn contributor(&mut self, t: &Table, path: &Path, line: usize) -> Option<Contributor> {
        let what = "[[contributor]]";
        self.unknown_keys(t, &["name", "files", "role", "contact"], what);
        let name = self.text(t, "name", what);
        let files = self.list(t, "files", what);
        for key in ["name", "files"] {
            if !t.contains_key(key) {
                self.problems.push(Problem::at(
                    path,
                    line,
                    1,
                    format!("{what} has no '{key}' (required)"),
                ));
            }
        }
        Some(Contributor {
            name: name?,
            files: files?.iter().map(|f| Glob::new(f)).collect(),
            role: self.text(t, "role", what),
            contact: self.text(t, "contact", what),
        })
    }

    fn consent(&mut self, t: &Table, path: &Path, line: usize) -> Option<ConsentRecord> {
        let what = "[[consent]]";
        self.unknown_keys(
            t,
            &["by", "uses", "action", "date", "files", "reason"],
            what,
        );
        for key in ["by", "uses", "action", "date"] {
            if !t.contains_key(key) {
                self.problems.push(Problem::at(
                    path,
                    line,
                    1,
                    format!("{what} has no '{key}' (required)"),
                ));
            }
        }
        let by = self.text(t, "by", what);
        let uses = self.list(t, "uses", what).and_then(|names| {
            let v = &t["uses"];
            let mut out = Vec::new();
            for n in names {
                match Use::parse(&n) {
                    Some(u) if !out.contains(&u) => out.push(u),
                    Some(_) => {}
                    None => {
                        self.problem(
                            v,
                            format!(
                                "unknown use '{n}': the uses are train, perform, share and derive"
                            ),
                        );
                        return None;
                    }
                }
            }
            if out.is_empty() {
                self.problem(
                    v,
                    "'uses' is empty: name at least one of train, perform, share, derive".into(),
                );
                return None;
            }
            Some(out)
        });
        let action = self.text(t, "action", what).and_then(|a| match a.as_str() {
            "give" => Some(Action::Give),
            "withdraw" => Some(Action::Withdraw),
            other => {
                self.problem(
                    &t["action"],
                    format!("action '{other}': use \"give\" or \"withdraw\""),
                );
                None
            }
        });
        let date = t.get("date").and_then(|v| match v.get_ref() {
            Value::Datetime(dt) if dt.time.is_none() && dt.date.is_some() => {
                let d = dt.date.expect("checked");
                Some(Day {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                })
            }
            other => {
                self.problem(
                    v,
                    format!(
                        "'date' must be a TOML date like 2026-11-30 (no quotes, no time), not {}",
                        kind(other)
                    ),
                );
                None
            }
        });
        let files = match t.get("files") {
            None => Some(None),
            Some(v) => self.list(t, "files", what).and_then(|fs| {
                if fs.is_empty() {
                    self.problem(
                        v,
                        "'files' is empty: leave it out to mean the whole folder".into(),
                    );
                    return None;
                }
                if let Some(bad) = fs
                    .iter()
                    .find(|f| f.starts_with('/') || f.split('/').any(|s| s == ".."))
                {
                    self.problem(
                        v,
                        format!("'{bad}' in 'files' must be a path inside the dataset's folder"),
                    );
                    return None;
                }
                Some(Some(fs.iter().map(|f| Glob::new(f)).collect()))
            }),
        };
        let reason = self.text(t, "reason", what);
        Some(ConsentRecord {
            by: by?,
            uses: uses?,
            action: action?,
            date: date?,
            files: files?,
            reason,
            line,
        })
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "text",
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true/false",
        Value::Datetime(d) if d.time.is_some() => "a date with a time",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// Byte offsets to 1-based lines and columns (columns count characters).
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Table headers (`[dataset]`, `[[consent]]`…) without spaces or comments, by line.
    headers: Vec<(usize, String)>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let headers = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with('['))
            .map(|(i, l)| {
                let squashed: String = l
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                (i + 1, squashed)
            })
            .collect();
        Lines {
            text,
            starts,
            headers,
        }
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        (line, col + 1)
    }

    fn header_line(&self, header: &str) -> Option<usize> {
        self.nth_header_line(header, 0)
    }

    /// The line of the `n`th (0-based) table header `header`.
    fn nth_header_line(&self, header: &str, n: usize) -> Option<usize> {
        self.headers
            .iter()
            .filter(|(_, h)| h == header)
            .nth(n)
            .map(|(line, _)| *line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"[dataset]
id = "ds-1"
title = "Aksak studies"
licence = "CC0-1.0"
attribution = "Aksak studies by Jo Example"
contact = "jo@example.org"
creators = ["Jo Example"]

[[contributor]]
name = "Sam"
files = ["sam/*.pat"]

[[consent]]
by = "Jo Example"
uses = ["train", "perform"]
action = "give"
date = 2026-01-02
"#;

    fn problems(text: &str) -> Vec<String> {
        parse(text, Path::new("d/datasheet.toml"))
            .1
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn a_good_datasheet_reads_whole() {
        let (sheet, problems) = parse(GOOD, Path::new("datasheet.toml"));
        assert_eq!(problems, vec![]);
        let sheet = sheet.unwrap();
        assert_eq!(sheet.dataset.id, "ds-1");
        assert_eq!(sheet.dataset.creators, vec!["Jo Example"]);
        assert_eq!(sheet.contributors[0].name, "Sam");
        let r = &sheet.consent[0];
        assert_eq!(
            (r.by.as_str(), r.action, r.line),
            ("Jo Example", Action::Give, 13)
        );
        assert_eq!(r.uses, vec![Use::Train, Use::Perform]);
        assert_eq!(r.date.to_string(), "2026-01-02");
        assert_eq!(r.files, None);
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let p = problems("[dataset]\nid = \"x\"\ntitle = \n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("d/datasheet.toml:3:"), "{p:?}");
    }

    #[test]
    fn every_missing_field_and_bad_value_is_named_with_its_line() {
        let text = "[dataset]\nid = \"x\"\ntitle = 3\nlicense = \"CC0-1.0\"\n\n[[consent]]\nby = \"Jo\"\nuses = [\"train\", \"sell\"]\naction = \"maybe\"\ndate = \"2026-01-02\"\n";
        let p = problems(text);
        assert_eq!(
            p,
            vec![
                "d/datasheet.toml:1:1: [dataset] has no 'licence' (required)",
                "d/datasheet.toml:1:1: [dataset] has no 'attribution' (required)",
                "d/datasheet.toml:1:1: [dataset] has no 'contact' (required)",
                "d/datasheet.toml:3:9: 'title' in [dataset] must be text in quotes, not a whole number",
                "d/datasheet.toml:4:11: unknown key 'license' in [dataset] (loam spells it 'licence')",
                "d/datasheet.toml:8:8: unknown use 'sell': the uses are train, perform, share and derive",
                "d/datasheet.toml:9:10: action 'maybe': use \"give\" or \"withdraw\"",
                "d/datasheet.toml:10:8: 'date' must be a TOML date like 2026-11-30 (no quotes, no time), not text",
            ]
        );
    }

    #[test]
    fn a_record_without_required_keys_and_a_stray_table_are_named() {
        let text = format!("{GOOD}\n[[consent]]\nby = \"Sam\"\n\n[[consents]]\nby = \"x\"\n");
        let p = problems(&text);
        assert!(
            p.contains(&"d/datasheet.toml:19:1: [[consent]] has no 'uses' (required)".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"d/datasheet.toml:19:1: [[consent]] has no 'date' (required)".to_string()),
            "{p:?}"
        );
        assert!(
            p.iter().any(|l| l.contains("unknown table 'consents'")),
            "{p:?}"
        );
    }

    #[test]
    fn files_outside_the_folder_are_refused() {
        let text = format!("{GOOD}files = [\"../other/x.pat\"]\n");
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("'../other/x.pat' in 'files' must be a path inside"),
            "{p:?}"
        );
    }

    #[test]
    fn no_dataset_table_is_named() {
        let p = problems(
            "[[consent]]\nby = \"x\"\nuses = [\"train\"]\naction = \"give\"\ndate = 2026-01-01\n",
        );
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("no [dataset] table"), "{p:?}");
    }
}
