//! Note names in scientific pitch notation (`c4` is MIDI key 60, `a4` key
//! 69 = 440 Hz in 12-EDO) and MIDI numbers with fractions (`60.5`).

use crate::time::Rational;

/// The MIDI key of a note name: a letter `a`–`g` (either case), any number
/// of sharps (`#` or `s`) or flats (`b`), and an octave (`-1` to `9`; none
/// means octave 4): `c4` = 60, `eb4` = 63, `f#3` = 54, `bb` = 70, `cs5` = 73.
/// `None` if `word` is not a note name.
pub fn note_key(word: &str) -> Option<i64> {
    let bytes = word.as_bytes();
    let class = match bytes.first()?.to_ascii_lowercase() {
        b'c' => 0,
        b'd' => 2,
        b'e' => 4,
        b'f' => 5,
        b'g' => 7,
        b'a' => 9,
        b'b' => 11,
        _ => return None,
    };
    let mut i = 1;
    let mut shift = 0i64;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' | b's' => shift += 1,
            b'b' => shift -= 1,
            _ => break,
        }
        i += 1;
        if i > 4 {
            return None;
        }
    }
    let octave = match &word[i..] {
        "" => 4,
        rest => {
            let digits = rest.strip_prefix('-').unwrap_or(rest);
            if digits.len() != 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            rest.parse::<i64>().ok()?
        }
    };
    Some(12 * (octave + 1) + class + shift)
}

/// A MIDI number written with a fraction (`60.5`, `-0.25`), exactly; `None`
/// without a `.` or when it is not a number.
pub fn fractional_key(word: &str) -> Option<Rational> {
    if !word.contains('.') {
        return None;
    }
    super::scala::decimal(word)
}

/// A whole number (`0`, `-3`, `60`); `None` otherwise.
pub fn whole(word: &str) -> Option<i64> {
    let digits = word.strip_prefix('-').unwrap_or(word);
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    #[test]
    fn names_sharps_flats_and_octaves() {
        assert_eq!(note_key("c4"), Some(60));
        assert_eq!(note_key("C4"), Some(60));
        assert_eq!(note_key("a4"), Some(69));
        assert_eq!(note_key("eb4"), Some(63));
        assert_eq!(note_key("f#3"), Some(54));
        assert_eq!(note_key("fs3"), Some(54));
        assert_eq!(note_key("bb"), Some(70));
        assert_eq!(note_key("b"), Some(71));
        assert_eq!(note_key("c-1"), Some(0));
        assert_eq!(note_key("g9"), Some(127));
        assert_eq!(note_key("cb4"), Some(59));
        assert_eq!(note_key("e#4"), Some(65));
        assert_eq!(note_key("hat"), None);
        assert_eq!(note_key("bd"), None);
        assert_eq!(note_key("cp"), None);
        assert_eq!(note_key("c44"), None);
        assert_eq!(note_key("sn"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(fractional_key("60.5"), Some(q(121, 2)));
        assert_eq!(fractional_key("60"), None);
        assert_eq!(whole("-3"), Some(-3));
        assert_eq!(whole("60.5"), None);
        assert_eq!(whole("x"), None);
    }
}
