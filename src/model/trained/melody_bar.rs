//! One bar of a melody model's steps as a pattern a loop can play.
//!
//! A melody model (Markov or GRU trained on melodies) steps through events
//! whose label is a MIDI pitch (`62`; `60+64` for a chord; `.` for a rest)
//! and whose length is in ticks ([`TICKS_PER_WHOLE`] to the whole note).
//! [`fill_bar`] draws steps until a bar of the metre is full, cutting the
//! step that crosses the bar line; [`bar_notation`] writes them as
//! mini-notation: pitches as (fractional) MIDI numbers, chords as
//! `[60,64]`, rests as `~`, each with an `@` weight in the bar's finest
//! needed unit. When every length is a whole number of pulses (the usual
//! case: eighths in 6/8 and 9/8) the unit is the pulse, so the weights sum
//! to the bar's pulses: a 9/8 bar reads `62@2 64 ~ 67@2 69 71@2`, 9 in all.
//!
//! Pitches are MIDI numbers (60 = middle C, 12-EDO) as the model learned
//! them; [`degrees_from`] rewrites them as steps above a root for a loop
//! with a tuning (where plain integers are scale degrees).

use crate::data::{Event, TICKS_PER_WHOLE};
use crate::time::Metre;

/// The most steps one bar may take: a model whose every step is one tick
/// long fills a 16/4 bar (768 ticks) in 768 steps, but a 64/4 bar (the
/// longest metre, 3,072 ticks) would take 3,072 draws; past this many the
/// bar ends with a rest rather than stepping on.
pub const MAX_STEPS_PER_BAR: usize = 1024;

/// A metre as performers name it: `9/8` when the time signature alone
/// gives its grouping (9/8 is 3+3+3), else with its groups (`2+2+3/8`).
pub fn metre_name(metre: &Metre) -> String {
    let plain = format!("{}/{}", metre.pulses(), metre.unit());
    match Metre::parse(&plain) {
        Ok(m) if m == *metre => plain,
        _ => metre.to_string(),
    }
}

/// Ticks in one bar of `metre`.
pub fn bar_ticks(metre: &Metre) -> u32 {
    metre.pulses() * TICKS_PER_WHOLE / metre.unit().max(1)
}

/// Ticks in one pulse of `metre`.
pub fn pulse_ticks(metre: &Metre) -> u32 {
    (TICKS_PER_WHOLE / metre.unit().max(1)).max(1)
}

/// Draws steps with `next` until a bar of `metre` is full; the last is cut
/// at the bar line, so the lengths sum to [`bar_ticks`]. A step of no
/// length counts as one tick. `next` failing ends the bar with its error.
pub fn fill_bar<E>(
    metre: &Metre,
    mut next: impl FnMut() -> Result<Event, E>,
) -> Result<Vec<Event>, E> {
    let total = bar_ticks(metre);
    let mut steps = Vec::new();
    let mut at = 0u32;
    while at < total {
        if steps.len() >= MAX_STEPS_PER_BAR {
            steps.push(Event {
                label: ".".into(),
                ticks: total - at,
            });
            break;
        }
        let mut e = next()?;
        e.ticks = e.ticks.clamp(1, total - at);
        at += e.ticks;
        steps.push(e);
    }
    Ok(steps)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A step's label as mini-notation: `~` for a rest, `[60,64]` for a chord.
fn label_notation(label: &str) -> String {
    if label == "." || label.is_empty() {
        return "~".into();
    }
    let parts: Vec<&str> = label.split('+').collect();
    if parts.len() == 1 {
        parts[0].to_string()
    } else {
        format!("[{}]", parts.join(","))
    }
}

/// `steps` (one bar of `metre`, as [`fill_bar`] gives) as mini-notation
/// with `@` weights; weight 1 is left out. Neighbouring rests merge.
pub fn bar_notation(steps: &[Event], metre: &Metre) -> String {
    let mut merged: Vec<(String, u32)> = Vec::with_capacity(steps.len());
    for e in steps {
        let text = label_notation(&e.label);
        match merged.last_mut() {
            Some((last, ticks)) if text == "~" && last == "~" => *ticks += e.ticks,
            _ => merged.push((text, e.ticks)),
        }
    }
    if merged.is_empty() {
        return "~".into();
    }
    let unit = merged
        .iter()
        .fold(pulse_ticks(metre), |g, (_, t)| gcd(g, *t))
        .max(1);
    merged
        .iter()
        .map(|(text, ticks)| match ticks / unit {
            1 => text.clone(),
            w => format!("{text}@{w}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A pitch pattern from [`bar_notation`] with every pitch rewritten as
/// steps above `root` (a MIDI number): `62@2 ~ 67` from root 60 is
/// `2@2 ~ 7`. In a loop with a tuning, where plain integers are scale
/// degrees counted from the loop's root, key *k* above the root plays the
/// tuning's *k*-th degree: a 12-degree tuning retunes each semitone (as a
/// Scala keyboard mapping does), and an n-EDO plays each semitone of the
/// learned melody as one step of n.
pub fn degrees_from(notation: &str, root: f64) -> String {
    let mut out = String::with_capacity(notation.len());
    let mut number = String::new();
    let flush = |number: &mut String, out: &mut String| {
        if number.is_empty() {
            return;
        }
        match number.parse::<f64>() {
            Ok(p) => {
                let d = p - root;
                if d.fract() == 0.0 {
                    out.push_str(&format!("{}", d as i64));
                } else {
                    out.push_str(&format!("{d}"));
                }
            }
            Err(_) => out.push_str(number),
        }
        number.clear();
    };
    let mut after_at = false;
    for c in notation.chars() {
        if c.is_ascii_digit() || c == '.' {
            if after_at {
                out.push(c);
            } else {
                number.push(c);
            }
            continue;
        }
        flush(&mut number, &mut out);
        after_at = c == '@';
        out.push(c);
    }
    flush(&mut number, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{Pattern, QueryContext};
    use crate::time::Rational;

    fn ev(label: &str, ticks: u32) -> Event {
        Event {
            label: label.into(),
            ticks,
        }
    }

    /// Each event of `pattern` over one cycle: (sound, duration in pulses).
    fn played(pattern: &str, metre: &Metre) -> Vec<(String, Rational)> {
        let p = Pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let ctx = QueryContext {
            groups: metre.groups(),
            seed: 0,
        };
        p.query(Rational::from_integer(0), Rational::from_integer(1), &ctx)
            .into_iter()
            .map(|e| {
                (
                    e.sound,
                    e.duration * Rational::from_integer(metre.pulses() as i128),
                )
            })
            .collect()
    }

    #[test]
    fn a_nine_eight_bar_weighs_nine_pulses() {
        let metre = Metre::parse("9/8").unwrap();
        // Quarter, eighth, eighth rest, quarter, eighth, quarter: 24 ticks an eighth.
        let steps = [
            ev("62", 48),
            ev("64", 24),
            ev(".", 24),
            ev("67", 48),
            ev("69", 24),
            ev("71", 48),
        ];
        let text = bar_notation(&steps, &metre);
        assert_eq!(text, "62@2 64 ~ 67@2 69 71@2");
        let heard = played(&text, &metre);
        let pulses: Vec<i128> = heard.iter().map(|(_, d)| d.to_integer()).collect();
        assert_eq!(pulses, [2, 1, 2, 1, 2]);
        assert_eq!(heard[0].0, "62");
    }

    #[test]
    fn steps_fill_the_bar_and_the_last_is_cut_at_the_line() {
        for (metre, ticks) in [("6/8", 144), ("9/8", 216), ("4/4", 192), ("2+2+3/8", 168)] {
            let metre = Metre::parse(metre).unwrap();
            assert_eq!(bar_ticks(&metre), ticks);
            // Dotted quarters (72 ticks) until the bar is full.
            let steps = fill_bar::<()>(&metre, || Ok(ev("60", 72))).unwrap();
            assert_eq!(steps.iter().map(|e| e.ticks).sum::<u32>(), ticks, "{metre}");
            let text = bar_notation(&steps, &metre);
            let total: Rational = played(&text, &metre).iter().map(|(_, d)| *d).sum();
            assert_eq!(
                total,
                Rational::from_integer(metre.pulses() as i128),
                "{text}"
            );
        }
        // A step of no length still moves on (one tick).
        let metre = Metre::parse("16/4").unwrap();
        let steps = fill_bar::<()>(&metre, || Ok(ev("60", 0))).unwrap();
        assert_eq!(steps.len(), 768);
        assert_eq!(steps.iter().map(|e| e.ticks).sum::<u32>(), 768);
        // A bar longer than MAX_STEPS_PER_BAR ticks of one-tick steps ends
        // with a rest after that many steps.
        let metre = Metre::parse("32/4").unwrap();
        let steps = fill_bar::<()>(&metre, || Ok(ev("60", 1))).unwrap();
        assert_eq!(steps.len(), MAX_STEPS_PER_BAR + 1);
        assert_eq!(steps.last().unwrap().label, ".");
        assert_eq!(
            steps.iter().map(|e| e.ticks).sum::<u32>(),
            bar_ticks(&metre)
        );
        // An error ends the bar.
        assert_eq!(fill_bar(&metre, || Err::<Event, _>("no")), Err("no"));
    }

    #[test]
    fn chords_rests_and_fine_lengths() {
        let metre = Metre::parse("6/8").unwrap();
        // A sixteenth (12 ticks) makes the unit half a pulse.
        let steps = [
            ev("60+64", 36),
            ev("62", 12),
            ev(".", 24),
            ev(".", 24),
            ev("65.5", 48),
        ];
        let text = bar_notation(&steps, &metre);
        assert_eq!(text, "[60,64]@3 62 ~@4 65.5@4");
        let heard = played(&text, &metre);
        let sounds: Vec<&str> = heard.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(sounds, ["60", "64", "62", "65.5"]);
        assert_eq!(heard[0].1, Rational::new(3, 2));
        assert_eq!(heard[3].1, Rational::from_integer(2));
        assert_eq!(bar_notation(&[], &metre), "~");
    }

    #[test]
    fn metres_are_named_as_performers_write_them() {
        for (text, name) in [
            ("9/8", "9/8"),
            ("3+3+3/8", "9/8"),
            ("6/8", "6/8"),
            ("4/4", "4/4"),
            ("3+2+2/8", "3+2+2/8"),
        ] {
            assert_eq!(metre_name(&Metre::parse(text).unwrap()), name, "{text}");
        }
    }

    #[test]
    fn pitches_become_degrees_above_a_root() {
        assert_eq!(degrees_from("62@2 64 ~ 67@2", 60.0), "2@2 4 ~ 7@2");
        assert_eq!(
            degrees_from("[60,64]@3 57 65.5@4", 60.0),
            "[0,4]@3 -3 5.5@4"
        );
    }
}
