//! Input quoted back in an answer or an error (a sound name, an address, a
//! key), cut short so that an answer repeats at most a little of what it
//! was sent. The control thread and the OSC answers follow the same rule.

/// Input quoted in an answer (a sound name, an address, a key) is cut to
/// this many characters and an ellipsis, so an answer repeats at most this
/// much of what it was sent.
pub const MAX_QUOTED_CHARS: usize = 64;

/// Lists in an answer (the known sounds) name at most this many items, then
/// say how many more there are.
pub const MAX_LISTED: usize = 32;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters and "…".
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `items` joined with ", ": the first [`MAX_LISTED`], each quoted, then
/// "… and N more".
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = items
        .iter()
        .take(MAX_LISTED)
        .map(|s| quote(s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX_LISTED {
        out += &format!(" … and {} more", items.len() - MAX_LISTED);
    }
    out
}
