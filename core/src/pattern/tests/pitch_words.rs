//! Pitch words in mini-notation: note names with sharps and flats,
//! fractional MIDI numbers, negative degrees, chords after `'` (a letter;
//! `'` then a number stays a nudge) and stacks of degrees.

use super::cycle;
use crate::pattern::{Node, Pattern};
use crate::time::q;

#[test]
fn note_names_numbers_and_degrees_are_words() {
    assert_eq!(
        cycle("c4 eb4 f#3 60.5", 0),
        ["0 1/4 c4", "1/4 1/4 eb4", "1/2 1/4 f#3", "3/4 1/4 60.5"]
    );
    assert_eq!(
        cycle("0 -1 -12", 0),
        ["0 1/3 0", "1/3 1/3 -1", "2/3 1/3 -12"]
    );
    // A stack of degrees is a chord: all at once.
    assert_eq!(cycle("[0,2,4]", 0), ["0 1 0", "0 1 2", "0 1 4"]);
}

#[test]
fn chords_follow_a_quote_and_a_letter() {
    assert_eq!(
        cycle("c4'maj a3'min7", 0),
        ["0 1/2 c4'maj", "1/2 1/2 a3'min7"]
    );
    // A chord keeps its velocity and nudge after it.
    let p = Pattern::parse("c4'maj^0.5'-0.25").unwrap();
    match p.tree() {
        Node::Sound { name, accent, .. } => {
            assert_eq!(name, "c4'maj");
            assert_eq!(accent.velocity, q(1, 2));
            assert_eq!(accent.nudge, q(-1, 4));
        }
        other => panic!("{other:?}"),
    }
    // `'` and a number is still a nudge.
    match Pattern::parse("c4'0.25").unwrap().tree() {
        Node::Sound { name, accent, .. } => {
            assert_eq!(name, "c4");
            assert_eq!(accent.nudge, q(1, 4));
        }
        other => panic!("{other:?}"),
    }
    // `#` cannot start a word.
    assert!(Pattern::parse("#3").is_err());
}
