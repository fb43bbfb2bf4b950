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
}

impl Glob {
    /// A pattern as written (a leading `./` and a trailing `/` are dropped).
    pub fn new(text: &str) -> Glob {
        let t = text.trim();
        let t = t.strip_prefix("./").unwrap_or(t);
        let text = t.trim_end_matches('/').to_string();
        let literal = !text.contains(['*', '?']);
        Glob { text, literal }
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
        let pat: Vec<&str> = self.text.split('/').collect();
        let name: Vec<&str> = path.split('/').collect();
        // A folder covers what is under it.
        (0..=name.len()).any(|n| n >= 1 && segments(&pat, &name[..n]))
    }
}

fn segments(pat: &[&str], name: &[&str]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((&"**", rest)) => (0..=name.len()).any(|skip| segments(rest, &name[skip..])),
        Some((p, rest)) => match name.split_first() {
            Some((n, names)) => one(p.as_bytes(), n.as_bytes()) && segments(rest, names),
            None => false,
        },
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
        assert!(!g("", "x"));
    }
}
