//! Reader for the hand-written pattern format (described in [`crate::data`]).

use std::path::Path;

use super::pattern::{
    canonical_instrument, DrumBar, Hit, Provenance, CELLS_PER_PULSE, SHIFT_MARK, VELOCITY_ACCENT,
    VELOCITY_GHOST, VELOCITY_NORMAL,
};
use super::DataError;
use crate::time::Metre;

/// The byte-order mark Windows Notepad (and other editors) put at the start
/// of a UTF-8 file.
pub const BYTE_ORDER_MARK: char = '\u{feff}';

/// `text` without a leading UTF-8 byte-order mark. Every text file loam
/// reads (scripts, `.pat` files, MIDI mapping files, code for `loam eval`)
/// goes through this, so a file saved by Notepad reads as the same file
/// without the mark. (CRLF line endings need nothing: every reader splits
/// lines with `str::lines`, and rhai and JSON treat `\r` as space.)
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text)
}

/// Reads every pattern in `text`; `file` names the source in errors and
/// provenance. A leading byte-order mark and CRLF line endings are read as
/// nothing and LF.
pub fn parse_patterns(text: &str, file: &Path) -> Result<Vec<DrumBar>, DataError> {
    let text = without_bom(text);
    let mut reader = Reader {
        file,
        defaults: Provenance::default(),
        metre: None,
        patterns: Vec::new(),
        current: None,
    };
    for (index, raw) in text.lines().enumerate() {
        reader.line(index + 1, raw)?;
    }
    reader.finish()?;
    Ok(reader.patterns)
}

struct Open {
    pattern: DrumBar,
    line: usize,
    rows: usize,
}

struct Reader<'a> {
    file: &'a Path,
    /// Metadata given before the first `pattern` line.
    defaults: Provenance,
    /// The metre in force (sticky from one pattern to the next).
    metre: Option<Metre>,
    patterns: Vec<DrumBar>,
    current: Option<Open>,
}

impl Reader<'_> {
    fn error(&self, line: usize, column: usize, reason: impl Into<String>) -> DataError {
        DataError::at(self.file, line, column, reason)
    }

    fn line(&mut self, number: usize, raw: &str) -> Result<(), DataError> {
        let text = match raw.find('#') {
            Some(i) => &raw[..i],
            None => raw,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(());
        }
        let indent = text.len() - text.trim_start().len();
        let (word, rest) = match trimmed.find(char::is_whitespace) {
            Some(i) => (&trimmed[..i], trimmed[i..].trim()),
            None => (trimmed, ""),
        };
        if let Some(key) = word.strip_suffix(':') {
            return self.metadata(number, indent, key, rest);
        }
        match word {
            "pattern" => {
                self.close()?;
                let name = if rest.is_empty() {
                    format!("{}", self.patterns.len() + 1)
                } else {
                    rest.to_string()
                };
                self.open(number, &name);
                Ok(())
            }
            "metre" | "meter" => {
                let metre = Metre::parse(rest)
                    .map_err(|e| self.error(number, indent + word.len() + 2, e.to_string()))?;
                // After a pattern's rows, a new metre is for the patterns that follow.
                if self.current.as_ref().is_some_and(|o| o.rows > 0) {
                    self.close()?;
                }
                if let Some(open) = &mut self.current {
                    open.pattern.metre = metre.clone();
                }
                self.metre = Some(metre);
                Ok(())
            }
            _ => self.row(number, indent, word, &text[indent + word.len()..]),
        }
    }

    fn metadata(
        &mut self,
        number: usize,
        indent: usize,
        key: &str,
        value: &str,
    ) -> Result<(), DataError> {
        let target = match &mut self.current {
            Some(open) => &mut open.pattern.provenance,
            None => &mut self.defaults,
        };
        if target.set(key, value) {
            Ok(())
        } else {
            Err(self.error(
                number,
                indent + 1,
                format!(
                    "unknown field '{key}:'; fields are title:, author:, licence:, source:, consent:"
                ),
            ))
        }
    }

    fn open(&mut self, line: usize, name: &str) {
        let metre = self.metre.clone().unwrap_or_default();
        let mut pattern = DrumBar::new(name, metre);
        pattern.provenance = self.defaults.clone();
        pattern.provenance.file = format!("{}:{line}", self.file.display());
        self.current = Some(Open {
            pattern,
            line,
            rows: 0,
        });
    }

    fn close(&mut self) -> Result<(), DataError> {
        if let Some(mut open) = self.current.take() {
            if open.rows == 0 {
                return Err(self.error(
                    open.line,
                    1,
                    format!("pattern '{}' has no instrument rows", open.pattern.name),
                ));
            }
            open.pattern.sort();
            self.patterns.push(open.pattern);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), DataError> {
        self.close()
    }

    fn row(
        &mut self,
        number: usize,
        indent: usize,
        word: &str,
        rest: &str,
    ) -> Result<(), DataError> {
        if self.metre.is_none() {
            return Err(self.error(
                number,
                indent + 1,
                format!("row '{word}' before any 'metre' line (write e.g. 'metre 2+2+3/8' first)"),
            ));
        }
        if !word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || !word.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return Err(self.error(
                number,
                indent + 1,
                format!(
                    "'{word}' is not an instrument name, 'pattern', 'metre' or a 'field:' \
                     (names are letters, digits, '-' and '_', starting with a letter)"
                ),
            ));
        }
        if self.current.is_none() {
            self.open(number, &format!("{}", self.patterns.len() + 1));
        }
        let instrument = canonical_instrument(word).to_string();
        let file = self.file;
        let open = self.current.as_mut().expect("opened above");
        if open.pattern.hits.iter().any(|h| h.instrument == instrument) {
            return Err(DataError::at(
                file,
                number,
                indent + 1,
                format!(
                    "'{instrument}' has two rows in pattern '{}'",
                    open.pattern.name
                ),
            ));
        }
        let groups = open.pattern.metre.groups().to_vec();
        // Column (1-based) where `rest` starts in the line.
        let base = indent + word.len() + 1;
        let mut parts: Vec<(usize, &str)> = Vec::new();
        let mut offset = 0;
        for piece in rest.split('|') {
            parts.push((base + offset, piece));
            offset += piece.len() + 1;
        }
        // Optional leading and trailing bars.
        if parts.len() > 1 && parts[0].1.trim().is_empty() {
            parts.remove(0);
        }
        if parts.len() > 1 && parts[parts.len() - 1].1.trim().is_empty() {
            parts.pop();
        }
        if parts.len() != groups.len() {
            return Err(DataError::at(
                file,
                number,
                base,
                format!(
                    "'{instrument}' has {} group(s) separated by '|', but metre {} has {} ({})",
                    parts.len(),
                    open.pattern.metre,
                    groups.len(),
                    groups
                        .iter()
                        .map(|g| g.to_string())
                        .collect::<Vec<_>>()
                        .join("+")
                ),
            ));
        }
        let mut group_start = 0u32;
        for (g, ((column, piece), pulses)) in parts.iter().zip(&groups).enumerate() {
            let cells = read_cells(piece)
                .map_err(|(at, reason)| DataError::at(file, number, column + at, reason))?;
            let count = cells.len() as u32;
            if count == 0 || !count.is_multiple_of(*pulses) || count / pulses > 3 {
                let at = column + piece.len() - piece.trim_start().len();
                return Err(DataError::at(
                    file,
                    number,
                    at,
                    format!(
                        "group {} of '{instrument}' has {count} cell(s); a group of {pulses} pulse(s) \
                         takes {}, {} or {} cells (1, 2 or 3 a pulse)",
                        g + 1,
                        pulses,
                        pulses * 2,
                        pulses * 3
                    ),
                ));
            }
            let step = CELLS_PER_PULSE / (count / pulses);
            for (i, cell) in cells.iter().enumerate() {
                if let Some((velocity, shift)) = cell {
                    open.pattern.hits.push(Hit {
                        instrument: instrument.clone(),
                        cell: group_start + i as u32 * step,
                        velocity: *velocity,
                        shift: *shift,
                    });
                }
            }
            group_start += pulses * CELLS_PER_PULSE;
        }
        open.rows += 1;
        Ok(())
    }
}

/// One cell: a hit (velocity, shift in pulses) or a rest.
type Cell = Option<(f32, f32)>;

/// Reads the cells of one group; an error carries its 0-based byte offset.
fn read_cells(piece: &str) -> Result<Vec<Cell>, (usize, String)> {
    let mut cells: Vec<Cell> = Vec::new();
    let mut marks = 0i32;
    for (at, c) in piece.char_indices() {
        let velocity = match c {
            ' ' | '\t' => continue,
            '.' | '-' => {
                cells.push(None);
                marks = 0;
                continue;
            }
            '<' | '>' => {
                let Some(Some((_, shift))) = cells.last_mut() else {
                    return Err((at, format!("'{c}' (micro-timing) must follow a hit")));
                };
                marks += 1;
                if marks > 3 {
                    return Err((at, "at most three '<' or '>' marks on one hit".to_string()));
                }
                *shift += if c == '<' { -SHIFT_MARK } else { SHIFT_MARK };
                continue;
            }
            'x' => VELOCITY_NORMAL,
            'X' => VELOCITY_ACCENT,
            'o' => VELOCITY_GHOST,
            '1'..='9' => c.to_digit(10).unwrap_or(9) as f32 / 9.0,
            other => {
                return Err((
                    at,
                    format!(
                        "unknown cell '{other}': use '.' or '-' for a rest, 'x' hit, 'X' accent, \
                         'o' ghost, 1-9 velocity, then '<'/'>' to push early/late"
                    ),
                ))
            }
        };
        cells.push(Some((velocity, 0.0)));
        marks = 0;
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(text: &str) -> Result<Vec<DrumBar>, DataError> {
        parse_patterns(text, &PathBuf::from("test.pat"))
    }

    #[test]
    fn reads_binary_and_ternary_groups() {
        let p = &parse(
            "title: Test\nauthor: A. Person\nlicence: CC0\n\
             pattern one\nmetre 2+2+3/8\n\
             kick  x . | x . | x . x\n\
             snare . . | X . | . . .\n\
             hat   xxx xxx | x x | o o o\n",
        )
        .unwrap()[0];
        assert_eq!(p.name, "one");
        assert_eq!(p.metre.groups(), &[2, 2, 3]);
        assert_eq!(p.provenance.author, "A. Person");
        assert_eq!(p.provenance.file, "test.pat:4");
        let kicks: Vec<u32> = p
            .hits
            .iter()
            .filter(|h| h.instrument == "kick")
            .map(|h| h.cell)
            .collect();
        assert_eq!(kicks, vec![0, 12, 24, 36]);
        // First group of the hat: 3 cells a pulse, so every 2 grid cells.
        let hats: Vec<u32> = p
            .hits
            .iter()
            .filter(|h| h.instrument == "hat")
            .map(|h| h.cell)
            .collect();
        assert_eq!(hats, vec![0, 2, 4, 6, 8, 10, 12, 18, 24, 30, 36]);
        let snare = p.hits.iter().find(|h| h.instrument == "snare").unwrap();
        assert_eq!((snare.cell, snare.velocity), (12, 1.0));
    }

    #[test]
    fn shifts_digits_aliases_and_sticky_metre() {
        let ps = parse("metre 6/8\npattern a\nbd x> . . | 5<< . .\npattern b\nsd . . . | x . .\n")
            .unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[1].metre.groups(), &[3, 3]);
        let h = &ps[0].hits;
        assert_eq!(h[0].instrument, "kick");
        assert!((h[0].shift - SHIFT_MARK).abs() < 1e-6);
        assert!((h[1].velocity - 5.0 / 9.0).abs() < 1e-6);
        assert!((h[1].shift + 2.0 * SHIFT_MARK).abs() < 1e-6);
    }

    #[test]
    fn text_round_trips() {
        let ps = parse(
            "metre 2+2+2+3/8\npattern r\nkick X . | x . | . . | x o x\nhat xxx xxx | xx | x>x | x . .\n",
        )
        .unwrap();
        let again = parse(&ps[0].to_text()).unwrap();
        assert_eq!(again[0].hits, ps[0].hits);
    }

    #[test]
    fn errors_name_line_column_and_reason() {
        let e = parse("metre 7/8\nkick x . | x . | x .\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 18));
        assert!(e.reason.contains("group 3 of 'kick' has 2 cell(s)"), "{e}");
        assert!(e.to_string().starts_with("test.pat:2:18: "), "{e}");

        let e = parse("metre 7/8\nkick x . | x ? | x . .\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 14));
        assert!(e.reason.contains("unknown cell '?'"));

        let e = parse("metre 7/8\nkick x . | x .\n").unwrap_err();
        assert!(e.reason.contains("2 group(s)"), "{e}");

        let e = parse("kick x .\n").unwrap_err();
        assert!(e.reason.contains("before any 'metre'"), "{e}");

        let e = parse("metre 7/9\n").unwrap_err();
        assert_eq!(e.line, 1);

        let e = parse("metre 6/8\npattern a\nkick x..|x..\nkick x..|x..\n").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.reason.contains("two rows"));

        let e = parse("metre 6/8\npattern a\npattern b\nkick x..|x..\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("no instrument rows"));

        let e = parse("colour: red\n").unwrap_err();
        assert!(e.reason.contains("unknown field"));

        let e = parse("metre 6/8\nkick <x..|x..\n").unwrap_err();
        assert_eq!(e.column, 6);
    }
}
