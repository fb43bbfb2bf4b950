//! Parameter patterns: each note takes the value at its nominal onset
//! (structure from the left, as Tidal's `#`).

use super::notes_in;
use crate::pattern::signal::{Shape, Signal};
use crate::pattern::transform::{Control, Transform, Values};
use crate::pattern::{values, Pattern};
use crate::time::q;

fn set(control: Control, src: &str) -> Transform {
    Transform::Set {
        control,
        values: Values::Pattern(
            Pattern::parse_values(src, control.rule()).unwrap_or_else(|e| panic!("{src}: {e}")),
        ),
    }
}

fn signal(control: Control, s: Signal) -> Transform {
    Transform::Set {
        control,
        values: Values::Signal(s),
    }
}

#[test]
fn a_signal_is_read_at_each_onset_and_clamped() {
    let pan = |n: &crate::pattern::Note| format!("{:?}", n.pan);
    // A saw from -1 to 1 over two cycles, read at quarters.
    let saw = Signal::new(Shape::Saw).slow(q(2, 1)).range(-1.0, 1.0);
    assert_eq!(
        read("hat*4", &[signal(Control::Pan, saw)], (1, 2), pan),
        [
            "1 Some(0.0)",
            "5/4 Some(0.25)",
            "3/2 Some(0.5)",
            "7/4 Some(0.75)"
        ]
    );
    // Out of the rule's range: clamped to its ends (pan is -1 to 1).
    let wide = Signal::new(Shape::Saw).range(-4.0, 4.0);
    assert_eq!(
        read("hat*4", &[signal(Control::Pan, wide)], (0, 1), pan),
        [
            "0 Some(-1.0)",
            "1/4 Some(-1.0)",
            "1/2 Some(0.0)",
            "3/4 Some(1.0)"
        ]
    );
    // Not finite: the note keeps the loop's pan (None), and is counted.
    let before = crate::pattern::signal::non_finite_count();
    let bad = Signal::new(Shape::Saw).range(f64::NAN, 1.0);
    assert_eq!(
        read("hat*2", &[signal(Control::Pan, bad)], (0, 1), pan),
        ["0 None", "1/2 None"]
    );
    assert!(crate::pattern::signal::non_finite_count() >= before + 2);
    // A sine slowed by 4, in 7/8: exactly 0 on the bar lines 0, 2 and 4.
    let sine = Signal::new(Shape::Sine).slow(q(4, 1)).range(-1.0, 1.0);
    let got = notes_in(
        "hat",
        &[signal(Control::Pan, sine)],
        q(0, 1),
        q(5, 1),
        &[2, 2, 3],
        0,
    );
    let pans: Vec<f64> = got.iter().map(|n| n.pan.unwrap()).collect();
    assert_eq!(pans, [0.0, 1.0, 0.0, -1.0, 0.0]);
}

/// `(onset, value)` of the notes of cycles `[from, to)`, by `read`.
fn read(
    src: &str,
    ts: &[Transform],
    cycles: (i128, i128),
    read: fn(&crate::pattern::Note) -> String,
) -> Vec<String> {
    notes_in(src, ts, q(cycles.0, 1), q(cycles.1, 1), &[], 0)
        .iter()
        .map(|n| format!("{} {}", n.onset, read(n)))
        .collect()
}

#[test]
fn gain_and_pan_follow_the_notes() {
    let gain = |n: &crate::pattern::Note| format!("{:?}", n.gain);
    assert_eq!(
        read(
            "hat*4",
            &[set(Control::Gain, "1 0.5 0.8 0.5")],
            (0, 1),
            gain
        ),
        [
            "0 Some(1.0)",
            "1/4 Some(0.5)",
            "1/2 Some(0.8)",
            "3/4 Some(0.5)"
        ]
    );
    let pan = |n: &crate::pattern::Note| format!("{:?}", n.pan);
    assert_eq!(
        read("hat*4", &[set(Control::Pan, "-0.5 0.5")], (1, 2), pan),
        [
            "1 Some(-0.5)",
            "5/4 Some(-0.5)",
            "3/2 Some(0.5)",
            "7/4 Some(0.5)"
        ]
    );
    // Fewer notes than values: each note takes the value at its onset.
    assert_eq!(
        read(
            "hat ~",
            &[set(Control::Gain, "0.2 0.4 0.6 0.8")],
            (0, 1),
            gain
        ),
        ["0 Some(0.2)"]
    );
}

#[test]
fn rate_alternates_per_cycle_and_n_picks_files() {
    let rate = |n: &crate::pattern::Note| format!("{:?}", n.rate);
    assert_eq!(
        read("kick", &[set(Control::Rate, "<1 1.5 2>")], (0, 4), rate),
        ["0 Some(1.0)", "1 Some(1.5)", "2 Some(2.0)", "3 Some(1.0)"]
    );
    let variant = |n: &crate::pattern::Note| n.variant.to_string();
    assert_eq!(
        read(
            "hat*4",
            &[set(Control::Variant, "0 2 1 3")],
            (0, 1),
            variant
        ),
        ["0 0", "1/4 2", "1/2 1", "3/4 3"]
    );
    let legato = |n: &crate::pattern::Note| format!("{:?}", n.legato);
    assert_eq!(
        read("hat*2", &[set(Control::Legato, "0.5 2")], (0, 1), legato),
        ["0 Some(0.5)", "1/2 Some(2.0)"]
    );
    let velocity = |n: &crate::pattern::Note| n.velocity.to_string();
    assert_eq!(
        read(
            "hat^0.5*2",
            &[set(Control::Velocity, "1 0.5")],
            (0, 1),
            velocity
        ),
        ["0 0.5", "1/2 0.25"]
    );
}

#[test]
fn a_rest_in_the_values_drops_the_note() {
    let gain = |n: &crate::pattern::Note| format!("{:?}", n.gain);
    assert_eq!(
        read("hat*4", &[set(Control::Gain, "1 ~")], (0, 1), gain),
        ["0 Some(1.0)", "1/4 Some(1.0)"]
    );
}

#[test]
fn the_place_in_the_list_decides_whose_time_the_values_follow() {
    let gain = |n: &crate::pattern::Note| format!("{:?}", n.gain);
    // Before fast: the values are played fast with the notes.
    assert_eq!(
        read(
            "hat*2",
            &[set(Control::Gain, "1 0.5"), Transform::Fast(q(2, 1))],
            (0, 1),
            gain
        ),
        [
            "0 Some(1.0)",
            "1/4 Some(0.5)",
            "1/2 Some(1.0)",
            "3/4 Some(0.5)"
        ]
    );
    // After fast: the values keep the cycle's time.
    assert_eq!(
        read(
            "hat*2",
            &[Transform::Fast(q(2, 1)), set(Control::Gain, "1 0.5")],
            (0, 1),
            gain
        ),
        [
            "0 Some(1.0)",
            "1/4 Some(1.0)",
            "1/2 Some(0.5)",
            "3/4 Some(0.5)"
        ]
    );
}

#[test]
fn bad_values_name_their_column() {
    let err = |src: &str, rule| Pattern::parse_values(src, rule).unwrap_err().to_string();
    assert_eq!(
        err("1 x", values::GAIN),
        "column 3: expected a number for the gain, found 'x'"
    );
    assert!(
        err("1 <0.5 20>", values::GAIN).starts_with("column 8: gain 20 is out of range"),
        "{}",
        err("1 <0.5 20>", values::GAIN)
    );
    assert!(err("0 -2", values::PAN).starts_with("column 3: pan -2 is out of range"));
    assert!(err("0 1.5", values::VARIANT).starts_with("column 3: variant 1.5 is out of range"));
    assert!(err("0 hat:2", values::VARIANT).starts_with("column 3: expected a number"));
}
