//! Which files a record's `files` patterns name. Paths are relative to the
//! dataset's folder with `/` between folders. In a pattern, `*` matches any
//! run of characters within one folder name, `?` one character, and `**` a
//! whole run of folders (none included); a pattern that names a folder
//! (`drums` or `drums/`) covers everything under it.

/// One `files` entry of a datasheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    /// No `*`, `?` or `**`: compared as a plain path (the common case, and fast).
    literal: bool,
    /// The pattern's folder and file names, split once here so matching
    /// allocates nothing (consent is resolved for every file of a dataset
    /// against every record on each model load).
    parts: Vec<String>,
    /// The text before the first `*` or `?`: every path the pattern names
    /// starts with it, so most paths are turned away by one comparison.
    prefix_len: usize,
}

impl Glob {
    /// A pattern as written (a leading `./` and a trailing `/` are dropped).
    pub fn new(text: &str) -> Glob {
        let t = text.trim();
        let t = t.strip_prefix("./").unwrap_or(t);
        let text = t.trim_end_matches('/').to_string();
        let literal = !text.contains(['*', '?']);
        let parts = text.split('/').map(str::to_string).collect();
        let prefix_len = text.find(['*', '?']).unwrap_or(text.len());
        Glob {
            text,
            literal,
            parts,
            prefix_len,
        }
    }

    /// The pattern as written in the datasheet.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it names `path` (relative to the dataset's folder, `/`-separated).
    pub fn matches(&self, path: &str) -> bool {
        if self.text.is_empty() {
            return false;
        }
        if self.literal {
            return path == self.text
                || (path.starts_with(&self.text) && path[self.text.len()..].starts_with('/'));
        }
        if !path.starts_with(&self.text[..self.prefix_len]) {
            return false;
        }
        // A folder covers what is under it: the pattern may name the path
        // or any run of its leading folders.
        path.match_indices('/')
            .map(|(i, _)| &path[..i])
            .chain(std::iter::once(path))
            .any(|prefix| !prefix.is_empty() && segments(&self.parts, prefix))
    }
}

/// Whether the pattern's names `pat` match `name`, a `/`-separated run of
/// names ("" for none).
fn segments(pat: &[String], name: &str) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((p, rest)) if p == "**" => {
            // Skip none, then one name at a time, then all of them.
            segments(rest, name)
                || name
                    .match_indices('/')
                    .any(|(i, _)| segments(rest, &name[i + 1..]))
                || (!name.is_empty() && segments(rest, ""))
        }
        Some((p, rest)) => {
            if name.is_empty() {
                return false;
            }
            let (first, others) = name.split_once('/').unwrap_or((name, ""));
            one(p.as_bytes(), first.as_bytes()) && segments(rest, others)
        }
    }
}

/// `*` and `?` within one folder or file name.
fn one(p: &[u8], n: &[u8]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some((b'*', rest)) => (0..=n.len()).any(|skip| one(rest, &n[skip..])),
        Some((b'?', rest)) => !n.is_empty() && one(rest, &n[1..]),
        Some((c, rest)) => n.first() == Some(c) && one(rest, &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn names_files_folders_and_patterns() {
        let g = |p: &str, n: &str| Glob::new(p).matches(n);
        assert!(g("nine.pat", "nine.pat"));
        assert!(!g("nine.pat", "seven.pat"));
        assert!(g("./nine.pat", "nine.pat"));
        assert!(g("*.pat", "nine.pat"));
        assert!(!g("*.pat", "aksak/nine.pat"));
        assert!(g("**/*.pat", "aksak/nine.pat"));
        assert!(g("**/*.pat", "nine.pat"));
        assert!(g("aksak", "aksak/deep/nine.pat"));
        assert!(g("aksak/", "aksak/nine.pat"));
        assert!(!g("aksak", "aksakx/nine.pat"));
        assert!(g("seven-?-2-3.pat", "seven-2-2-3.pat"));
        assert!(g("player-*/*.wav", "player-3/take-7.wav"));
        assert!(!g("player-*/*.wav", "player-3/take-7.flac"));
        assert!(g("player-*", "player-3/take-7.wav"));
        assert!(g("a/**", "a/b/c.wav"));
        assert!(g("**", "a/b/c.wav"));
        assert!(g("a/**/c.wav", "a/c.wav"));
        assert!(g("a/**/c.wav", "a/x/y/c.wav"));
        assert!(!g("a/**/c.wav", "b/x/c.wav"));
        assert!(!g("*/c.wav", "c.wav"));
        assert!(!g("", "x"));
    }
}
