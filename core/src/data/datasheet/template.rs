//! The commented datasheet `loam dataset init` writes, and the stable id it
//! gives a new dataset.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;

/// The required fields, as far as the musician gave them; empty ones stay
/// `""` in the template, which `loam dataset check` reports until filled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fill {
    /// The collection's title.
    pub title: String,
    /// SPDX id or free text.
    pub licence: String,
    /// The text credits print.
    pub attribution: String,
    /// Who to ask about it.
    pub contact: String,
    /// Who made it.
    pub creators: Vec<String>,
}

/// A fresh dataset id: `ds-` and 32 hex digits from the clock, the process,
/// the folder and the standard library's randomly seeded hasher. It is
/// written once and never changed; models and the registry find the
/// dataset by it.
pub fn fresh_id(folder: &Path) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let half = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(now);
        h.write_u32(std::process::id());
        h.write(folder.as_os_str().as_encoded_bytes());
        h.finish()
    };
    format!("ds-{:016x}{:016x}", half(), half())
}

/// The datasheet text, every field explained in a comment.
pub fn template(id: &str, fill: &Fill) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let creators = fill
        .creators
        .iter()
        .map(|c| q(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# Datasheet of this dataset (after Gebru et al., "Datasheets for Datasets").
# Every field is explained in loam's datasets/README.md. Check it with
#     loam dataset check FOLDER

[dataset]
# Stable id, written once by `loam dataset init`: never change it. Models
# trained on this dataset find it again by this id.
id = {id}
# Required: the title, the licence (an SPDX id such as "CC-BY-4.0", or your
# own words), the text to print in credits, and who to ask about the data.
title = {title}
licence = {licence}
attribution = {attribution}
contact = {contact}
# Who made it.
creators = [{creators}]
# The rest is optional, and worth writing:
# community = "the community the material comes from"
# motivation = "why it was collected"
# collection = "how it was collected or made (recorded, transcribed, written…)"
# place = "where"
# period = "when (2019–2024)"
# contents = "what it contains"
# omissions = "what it leaves out, and why"
# cultural_context = "what a user should know about where this music lives"
# wanted_uses = "how the creators want it used"
# unwanted_uses = "how the creators do not want it used"

# Who made which files (optional). A contributor's own consent records cover
# their files and outrank the records for the whole folder.
# [[contributor]]
# name = "Sam Example"
# files = ["sam/*.pat"]
# role = "drums"

# The history of consent: only ever append (`loam dataset revoke` and
# `loam dataset restore` do it for you). Uses: train, perform, share, derive.
# Without `files` a record covers the whole folder; with it, those files
# (relative paths or globs), outranking the folder's records.
# [[consent]]
# by = "Sam Example"
# uses = ["train", "perform"]
# action = "give"          # or "withdraw"
# date = 2026-11-30
# reason = "optional: why, in your words"
"#,
        id = q(id),
        title = q(&fill.title),
        licence = q(&fill.licence),
        attribution = q(&fill.attribution),
        contact = q(&fill.contact),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::datasheet::parse::parse;

    #[test]
    fn the_template_reads_back_and_asks_for_what_is_missing() {
        let id = fresh_id(Path::new("/tmp/x"));
        assert_eq!(id.len(), 35);
        assert_ne!(id, fresh_id(Path::new("/tmp/x")));
        let fill = Fill {
            title: "Kitchen drums".into(),
            creators: vec!["Jo".into()],
            ..Fill::default()
        };
        let (sheet, problems) = parse(&template(&id, &fill), Path::new("datasheet.toml"));
        let sheet = sheet.unwrap();
        assert_eq!(sheet.dataset.id, id);
        assert_eq!(sheet.dataset.title, "Kitchen drums");
        let p: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        assert_eq!(
            p,
            vec![
                "'licence' in [dataset] is empty",
                "'attribution' in [dataset] is empty",
                "'contact' in [dataset] is empty",
            ]
        );
    }
}
