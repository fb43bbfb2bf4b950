//! Scala scale files (`.scl`), the format of the Huygens-Fokker Scala
//! archive: lines starting with `!` are comments; the first other line is
//! a description (it may be empty); the next holds the number of pitches;
//! then one pitch per line, either cents (a number with a `.`: `701.955`,
//! `-5.0`) or a ratio (`3/2`, or a whole number `2` meaning `2/1`). Text
//! after a pitch on its line is a label (loam's `53-edo.scl` names makam
//! notes there). The last pitch is the period. Blank lines among the
//! pitches are skipped.
//!
//! # Note names
//!
//! A label that reads as one pattern word once its spaces are written `_`
//! (letters, digits, `_` and `-`, starting with a letter; `nim zirgule` is
//! `nim_zirgule`) names its degree, so a loop with the tuning can play
//! `"dugah segah"`. A label that is a note name (`c4`, `eb`) or other text
//! (`1/4-comma`) names nothing, and of two equal labels the first counts.
//! Degrees outside the listed period (the root, other octaves) are named
//! with a comment line `!name DEGREE NAME…` (`!name 0 rast`,
//! `!name -22 yegah`): other Scala readers skip it as a comment; loam
//! refuses one that is malformed, or that gives a name a second degree, at
//! its line.
//!
//! Errors name the file and line: a count that is not a number or past
//! [`MAX_TUNING_DEGREES`], fewer pitches than the count, a line beyond the
//! count that is not a comment, a ratio of zero or below, a pitch that is
//! not a number.

use std::fmt;
use std::path::Path;

use super::interval::Interval;
use super::tuning::{Tuning, MAX_TUNING_DEGREES};
use crate::time::Rational;

/// The largest `.scl` or `.kbm` file read (the archive's largest is
/// about 60 kB); a larger file is refused before it is read.
pub const MAX_SCALA_FILE_BYTES: u64 = 1 << 20;

/// The most digits on either side of a ratio's `/` or a cent value's `.`:
/// keeps every exact term far inside `i128`, so degrees can be stacked over
/// many periods without overflow.
pub const MAX_PITCH_DIGITS: usize = 15;

/// A problem in a Scala file, at a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalaError {
    /// The file, as the script named it (or `<text>`).
    pub file: String,
    /// The line, counted from 1 (0: the file as a whole).
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for ScalaError {
    /// `file:line: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ScalaError {}

/// Reads a `.scl` file (at most [`MAX_SCALA_FILE_BYTES`]).
pub fn read_scl(path: &Path) -> Result<Tuning, ScalaError> {
    let text = read_text(path)?;
    parse_scl(&text, &path.display().to_string())
}

/// The text of a Scala file, refusing one past [`MAX_SCALA_FILE_BYTES`].
pub(super) fn read_text(path: &Path) -> Result<String, ScalaError> {
    let whole = |message: String| ScalaError {
        file: path.display().to_string(),
        line: 0,
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| whole(e.to_string()))?
        .len();
    if size > MAX_SCALA_FILE_BYTES {
        return Err(whole(format!(
            "{size} bytes; a Scala file is at most {MAX_SCALA_FILE_BYTES}"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| whole(e.to_string()))?;
    // Archive files are often Latin-1: keep what is not UTF-8 as is.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses the text of a `.scl` file; `file` names it in errors.
pub fn parse_scl(text: &str, file: &str) -> Result<Tuning, ScalaError> {
    let err = |line: usize, message: String| ScalaError {
        file: file.to_string(),
        line,
        message,
    };
    let mut names: Vec<(String, i64)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = line.trim().strip_prefix("!name") {
            if rest.starts_with(char::is_whitespace) {
                let (name, degree) = name_line(rest).map_err(|m| err(n + 1, m))?;
                add_name(&mut names, name, degree).map_err(|m| err(n + 1, m))?;
            }
        }
    }
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.starts_with('!'));
    let Some((_, description)) = lines.next() else {
        return Err(err(0, "empty: expected a description line".into()));
    };
    let Some((count_line, count_text)) = lines.next() else {
        return Err(err(0, "no count of pitches after the description".into()));
    };
    let first = count_text.split_whitespace().next().unwrap_or("");
    let count: usize = first.parse().map_err(|_| {
        err(
            count_line,
            format!("expected the number of pitches, found {count_text:?}"),
        )
    })?;
    if count == 0 || count > MAX_TUNING_DEGREES {
        return Err(err(
            count_line,
            format!("{count} pitches; give 1 to {MAX_TUNING_DEGREES}"),
        ));
    }
    let mut steps = Vec::with_capacity(count);
    let mut last_line = count_line;
    for (n, line) in lines {
        if line.is_empty() {
            continue;
        }
        if steps.len() == count {
            return Err(err(
                n,
                format!(
                    "stray line {line:?}: the file declares {count} pitches (line {count_line}) and has more"
                ),
            ));
        }
        steps.push(parse_pitch(line).map_err(|m| err(n, m))?);
        let label = line
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join("_");
        if let Some(name) = name_word(&label) {
            if !names.iter().any(|(known, _)| *known == name) {
                names.push((name, steps.len() as i64));
            }
        }
        last_line = n;
    }
    if steps.len() < count {
        return Err(err(
            last_line,
            format!(
                "the file declares {count} pitches (line {count_line}) but lists {}",
                steps.len()
            ),
        ));
    }
    let name = if description.is_empty() {
        file.to_string()
    } else {
        description.to_string()
    };
    Tuning::from_steps(&name, steps)
        .map(|t| t.with_names(names))
        .map_err(|e| err(last_line, e.message))
}

/// The longest note name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// `text` as a note name a pattern can write (lower case, spaces as `_`),
/// or `None` when it cannot be one word or would read as another pitch.
fn name_word(text: &str) -> Option<String> {
    let word = text.trim().to_ascii_lowercase();
    let first = word.bytes().next()?;
    let ok = first.is_ascii_alphabetic()
        && word.len() <= MAX_NAME_BYTES
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok || super::note_name::note_key(&word).is_some() {
        return None;
    }
    Some(word)
}

/// The degree and name of a `!name DEGREE NAME…` line (`rest` is what
/// follows `!name`).
fn name_line(rest: &str) -> Result<(String, i64), String> {
    let mut words = rest.split_whitespace();
    let degree_text = words.next().unwrap_or("");
    let degree: i64 = degree_text
        .parse()
        .ok()
        .filter(|d: &i64| d.unsigned_abs() <= MAX_TUNING_DEGREES as u64 * 16)
        .ok_or_else(|| {
            format!(
                "!name: expected a degree (a whole number within {} of the root) then a name, found {degree_text:?}",
                MAX_TUNING_DEGREES * 16
            )
        })?;
    let label = words.collect::<Vec<_>>().join("_");
    let name = name_word(&label).ok_or_else(|| {
        format!(
            "!name {degree}: {label:?} is not a name a pattern can write (letters, digits, '_' and '-', from a letter, at most {MAX_NAME_BYTES} bytes, not a note name like c4)"
        )
    })?;
    Ok((name, degree))
}

/// Adds `name` for `degree`, refusing a name already given another degree.
fn add_name(names: &mut Vec<(String, i64)>, name: String, degree: i64) -> Result<(), String> {
    match names.iter().find(|(known, _)| *known == name) {
        Some((_, d)) if *d != degree => Err(format!(
            "!name: '{name}' is degree {d} already; a name plays one degree"
        )),
        Some(_) => Ok(()),
        None => {
            names.push((name, degree));
            Ok(())
        }
    }
}

/// One pitch line: cents (with a `.`) or a ratio; a label may follow.
fn parse_pitch(line: &str) -> Result<Interval, String> {
    let word = line.split_whitespace().next().unwrap_or("");
    if word.contains('.') {
        let cents = decimal(word).ok_or_else(|| format!("{word:?} is not a number of cents"))?;
        return Ok(Interval::cents(cents));
    }
    let (n, d) = word.split_once('/').unwrap_or((word, "1"));
    let whole = |s: &str| -> Option<i128> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        if digits.is_empty()
            || digits.len() > MAX_PITCH_DIGITS
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        s.parse().ok()
    };
    let (Some(n), Some(d)) = (whole(n), whole(d)) else {
        return Err(format!(
            "{word:?} is not a pitch: write cents with a '.' (701.955) or a ratio (3/2)"
        ));
    };
    if n <= 0 || d <= 0 {
        return Err(format!(
            "ratio {word:?} is not above zero: a ratio's terms must be greater than 0"
        ));
    }
    Ok(Interval::ratio(Rational::new(n, d)))
}

/// `701.955`, `-5.`, `.5`: exact, at most [`MAX_PITCH_DIGITS`] digits a side.
pub(super) fn decimal(text: &str) -> Option<Rational> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = |s: &str| s.len() <= MAX_PITCH_DIGITS && s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !ok(whole) || !ok(fraction) {
        return None;
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let w: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let value = Rational::new(w * scale + f, scale);
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    const MEANTONE: &str = "! meanquar.scl\n!\n1/4-comma meantone scale. Pietro Aaron's temperament (1523)\n 12\n!\n 76.04900\n 193.15686\n 310.26471\n 5/4\n 503.42157\n 579.47057\n 696.57843\n 25/16\n 889.73529\n 1006.84314\n 1082.89214\n 2/1\n";

    #[test]
    fn cents_ratios_labels_and_comments() {
        let t = parse_scl(MEANTONE, "meanquar.scl").unwrap();
        assert_eq!(t.size(), 12);
        assert_eq!(
            t.name,
            "1/4-comma meantone scale. Pietro Aaron's temperament (1523)"
        );
        assert_eq!(t.degree(4), Some(Interval::ratio(q(5, 4))));
        assert_eq!(t.degree(1), Some(Interval::cents(q(76_049, 1000))));
        assert_eq!(t.period(), Interval::ratio(q(2, 1)));
        let labelled = "!\nrast\n3\n203.774 dugah\n407.547 segah\n2/1 gerdaniye\n";
        let t = parse_scl(labelled, "x.scl").unwrap();
        assert_eq!(t.size(), 3);
        assert_eq!(t.degree(2), Some(Interval::cents(q(407_547, 1000))));
        // An empty description, a whole-number ratio, a count with a label.
        let t = parse_scl("\n 2 notes\n3/2\n2\n", "y.scl").unwrap();
        assert_eq!(t.degree(2), Some(Interval::ratio(q(2, 1))));
        assert_eq!(t.name, "y.scl");
    }

    #[test]
    fn malformed_files_name_the_line() {
        let e = |text: &str| parse_scl(text, "bad.scl").unwrap_err().to_string();
        assert_eq!(
            e("! c\ndesc\n3\n100.0\n200.0\n"),
            "bad.scl:5: the file declares 3 pitches (line 3) but lists 2"
        );
        assert_eq!(
            e("desc\n2\n100.0\n2/1\n300.0\n"),
            "bad.scl:5: stray line \"300.0\": the file declares 2 pitches (line 2) and has more"
        );
        assert_eq!(
            e("desc\n2\n0/1\n2/1\n"),
            "bad.scl:3: ratio \"0/1\" is not above zero: a ratio's terms must be greater than 0"
        );
        assert_eq!(
            e("desc\n2\n3/-2\n2/1\n"),
            "bad.scl:3: ratio \"3/-2\" is not above zero: a ratio's terms must be greater than 0"
        );
        assert_eq!(
            e("desc\ntwelve\n"),
            "bad.scl:2: expected the number of pitches, found \"twelve\""
        );
        assert_eq!(e("desc\n0\n"), "bad.scl:2: 0 pitches; give 1 to 4096");
        assert_eq!(
            e("desc\n1\nfifth\n"),
            "bad.scl:3: \"fifth\" is not a pitch: write cents with a '.' (701.955) or a ratio (3/2)"
        );
        assert_eq!(
            e("! only comments\n"),
            "bad.scl: empty: expected a description line"
        );
        assert_eq!(
            e("desc\n1\n-100.0\n"),
            "bad.scl:3: desc: the last degree is the period and must be above the root"
        );
    }

    #[test]
    fn labels_and_name_lines_name_degrees() {
        let text = "! x\n!name 0 rast\n!name -22 yegah\n!name 5 Zirgule\nmakam\n4\n203.774 dugah\n294.34 kurdi\n384.906 dik kurdi\n2/1 gerdaniye\n";
        let t = parse_scl(text, "x.scl").unwrap();
        assert_eq!(t.named("rast"), Some(0));
        assert_eq!(t.named("yegah"), Some(-22));
        assert_eq!(t.named("zirgule"), Some(5));
        assert_eq!(t.named("dugah"), Some(1));
        assert_eq!(t.named("dik_kurdi"), Some(3));
        assert_eq!(t.named("gerdaniye"), Some(4));
        assert_eq!(t.named("dik kurdi"), None, "a pattern word has no space");
        // Labels that are note names, ratios in words or punctuation name nothing.
        let t = parse_scl(
            "m\n4\n76.049 C#\n5/4 pure third\n696.578 1/4-comma fifth\n2/1 eb\n",
            "m.scl",
        )
        .unwrap();
        assert_eq!(t.names, vec![("pure_third".to_string(), 2)]);
        // The first of two equal labels counts.
        let t = parse_scl("d\n2\n3/2 top\n2/1 top\n", "d.scl").unwrap();
        assert_eq!(t.named("top"), Some(1));
    }

    #[test]
    fn a_malformed_name_line_is_refused_at_its_line() {
        let e = |text: &str| parse_scl(text, "n.scl").unwrap_err().to_string();
        assert!(
            e("!name x rast\nd\n1\n2/1\n").starts_with("n.scl:1: !name: expected a degree"),
            "{}",
            e("!name x rast\nd\n1\n2/1\n")
        );
        assert!(e("d\n!name 3 c4\n1\n2/1\n").starts_with("n.scl:2: !name 3: \"c4\" is not a name"));
        assert!(e("d\n!name 3\n1\n2/1\n").starts_with("n.scl:2: !name 3: \"\" is not a name"));
        assert_eq!(
            e("!name 0 rast\n!name 53 rast\nd\n1\n2/1\n"),
            "n.scl:2: !name: 'rast' is degree 0 already; a name plays one degree"
        );
        // `!named` or `!name` run into other text is an ordinary comment.
        assert!(parse_scl("!names of notes\nd\n1\n2/1\n", "n.scl").is_ok());
    }

    #[test]
    fn any_number_of_degrees() {
        let mut text = String::from("! 200 degrees\n200 equal steps written as cents\n200\n");
        for k in 1..=200 {
            text.push_str(&format!("{}.0\n", k * 6));
        }
        let t = parse_scl(&text, "200.scl").unwrap();
        assert_eq!(t.size(), 200);
        assert_eq!(t.degree(100), Some(Interval::cents(q(600, 1))));
    }
}
