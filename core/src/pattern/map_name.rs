//! Sound names that point into a corpus map (issue 13): `NAME:0.2:0.8` is
//! the segment of corpus `NAME` nearest map point (0.2, 0.8), `map:0.2:0.8`
//! the same in the corpus loaded last, and `NAME:xy` the segment at the
//! corpus's cursor. The pattern parser keeps such a name whole; the planner
//! resolves it (`corpus::live`).

/// The corpus name that stands for the corpus loaded last (`map:0.2:0.8`).
pub const LATEST: &str = "map";

/// The cursor's name in a sound name (`NAME:xy`).
pub const CURSOR: &str = "xy";

/// Where a corpus sound name points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MapPlace {
    /// A map point: x then y, both 0..1.
    Point(f64, f64),
    /// The corpus's cursor.
    Cursor,
}

/// Reads `NAME:X:Y` or `NAME:xy` into the corpus name and the place;
/// `None` for any other name (`hat`, `hat:2`). Coordinates must be numbers
/// in 0..1.
pub fn parse_map_name(text: &str) -> Option<(&str, MapPlace)> {
    let (name, rest) = text.split_once(':')?;
    if name.is_empty() {
        return None;
    }
    if rest == CURSOR {
        return Some((name, MapPlace::Cursor));
    }
    let (x, y) = rest.split_once(':')?;
    let coordinate = |t: &str| {
        t.parse::<f64>()
            .ok()
            .filter(|v| (0.0..=1.0).contains(v) && !t.starts_with('+'))
    };
    Some((name, MapPlace::Point(coordinate(x)?, coordinate(y)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_names_are_read_and_other_names_are_not() {
        assert_eq!(
            parse_map_name("map:0.2:0.8"),
            Some(("map", MapPlace::Point(0.2, 0.8)))
        );
        assert_eq!(
            parse_map_name("field:1:0"),
            Some(("field", MapPlace::Point(1.0, 0.0)))
        );
        assert_eq!(
            parse_map_name("field:xy"),
            Some(("field", MapPlace::Cursor))
        );
        for other in [
            "hat",
            "hat:2",
            "map:1.5:0",
            "map:0.2",
            "map:-0.1:0",
            ":0:0",
            "a:b:c",
        ] {
            assert_eq!(parse_map_name(other), None, "{other}");
        }
    }
}
