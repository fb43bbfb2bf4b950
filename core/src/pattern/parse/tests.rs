//! Parser tests: expected trees and error positions.

use super::parse;
use crate::pattern::ast::{ArgOp, Node, Step};
use crate::pattern::values;
use crate::time::{q, Rational};

fn s(name: &str) -> Node {
    Node::sound(name)
}

fn st(node: Node) -> Step {
    Step::new(node)
}

fn seq(nodes: Vec<Node>) -> Node {
    Node::Seq(nodes.into_iter().map(st).collect())
}

fn fast(node: Node, factor: Rational) -> Node {
    Node::Fast {
        node: Box::new(node),
        factor,
    }
}

/// The error's byte offset and message.
fn err(src: &str) -> (usize, String) {
    let e = parse(src).expect_err(src);
    (e.position, e.message)
}

/// Each source fails to parse at its column with its message.
fn errors(cases: &[(&str, usize, &str)]) {
    for &(src, at, message) in cases {
        assert_eq!(err(src), (at, message.to_string()), "{src}");
    }
}

#[test]
fn words_variants_and_rests() {
    assert_eq!(parse("bd").unwrap(), s("bd"));
    assert_eq!(
        parse("hat:2 ~ snare_1.wav").unwrap(),
        seq(vec![
            Node::Sound {
                name: "hat".into(),
                variant: 2,
                accent: Default::default(),
            },
            Node::Rest,
            s("snare_1.wav"),
        ])
    );
    assert_eq!(parse("").unwrap(), Node::Rest);
    assert_eq!(parse("  ").unwrap(), Node::Rest);
}

#[test]
fn brackets_nest() {
    assert_eq!(
        parse("a [b [c d]]").unwrap(),
        seq(vec![s("a"), seq(vec![s("b"), seq(vec![s("c"), s("d")])])])
    );
    assert_eq!(parse("[a]").unwrap(), s("a"));
    assert_eq!(parse("[]").unwrap(), Node::Rest);
}

#[test]
fn operators_chain_left_to_right() {
    assert_eq!(parse("a*3").unwrap(), fast(s("a"), q(3, 1)));
    assert_eq!(parse("a/2").unwrap(), fast(s("a"), q(1, 2)));
    assert_eq!(parse("a*1.5").unwrap(), fast(s("a"), q(3, 2)));
    assert_eq!(parse("a/0.25").unwrap(), fast(s("a"), q(4, 1)));
    assert_eq!(
        parse("[a b]*2?").unwrap(),
        Node::Degrade {
            node: Box::new(fast(seq(vec![s("a"), s("b")]), q(2, 1))),
            probability: q(1, 2),
            id: 7,
        }
    );
    assert_eq!(
        parse("a?0.3").unwrap(),
        Node::Degrade {
            node: Box::new(s("a")),
            probability: q(3, 10),
            id: 1,
        }
    );
    assert_eq!(
        parse("a( 3 , 8 , -2 )").unwrap(),
        Node::Euclid {
            node: Box::new(s("a")),
            pulses: 3,
            steps: 8,
            rotation: -2,
        }
    );
}

#[test]
fn replicate_and_elongate() {
    let a = || st(s("a"));
    assert_eq!(parse("a!3").unwrap(), Node::Seq(vec![a(), a(), a()]));
    assert_eq!(
        parse("a ! ! b").unwrap(),
        Node::Seq(vec![a(), a(), a(), st(s("b"))])
    );
    assert_eq!(
        parse("a! b").unwrap(),
        Node::Seq(vec![a(), a(), st(s("b"))])
    );
    let heavy = |w| Step {
        node: s("a"),
        weight: w,
    };
    assert_eq!(
        parse("a@3 b").unwrap(),
        Node::Seq(vec![heavy(q(3, 1)), st(s("b"))])
    );
    assert_eq!(
        parse("a@1.5 b").unwrap(),
        Node::Seq(vec![heavy(q(3, 2)), st(s("b"))])
    );
    assert_eq!(
        parse("a _ _ b").unwrap(),
        Node::Seq(vec![heavy(q(3, 1)), st(s("b"))])
    );
    assert_eq!(
        parse("a@2!2").unwrap(),
        Node::Seq(vec![heavy(q(2, 1)), heavy(q(2, 1))])
    );
}

#[test]
fn dots_group_steps() {
    assert_eq!(
        parse("a b . c . d e f").unwrap(),
        seq(vec![
            seq(vec![s("a"), s("b")]),
            s("c"),
            seq(vec![s("d"), s("e"), s("f")])
        ])
    );
    assert_eq!(
        parse("[a . b c]").unwrap(),
        seq(vec![s("a"), seq(vec![s("b"), s("c")])])
    );
}

#[test]
fn stacks_alternation_polymeter_choice() {
    assert_eq!(
        parse("a*2, b").unwrap(),
        Node::Stack(vec![fast(s("a"), q(2, 1)), s("b")])
    );
    assert_eq!(
        parse("[a b, c]").unwrap(),
        Node::Stack(vec![seq(vec![s("a"), s("b")]), s("c")])
    );
    assert_eq!(
        parse("<a <b c>>").unwrap(),
        Node::Alt(vec![
            st(s("a")),
            st(Node::Alt(vec![st(s("b")), st(s("c"))]))
        ])
    );
    assert_eq!(
        parse("<a, b c>").unwrap(),
        Node::Stack(vec![
            Node::Alt(vec![st(s("a"))]),
            Node::Alt(vec![st(s("b")), st(s("c"))])
        ])
    );
    assert_eq!(
        parse("{a b c, d e}%4").unwrap(),
        Node::Poly {
            layers: vec![
                vec![st(s("a")), st(s("b")), st(s("c"))],
                vec![st(s("d")), st(s("e"))]
            ],
            steps: Some(q(4, 1)),
        }
    );
    assert_eq!(
        parse("[a | b c | d]").unwrap(),
        Node::Choice {
            id: 3,
            options: vec![s("a"), seq(vec![s("b"), s("c")]), s("d")],
        }
    );
}

#[test]
fn top_level_bars_are_metre_groups() {
    assert_eq!(
        parse("kick hat | snare | kick hat hat").unwrap(),
        Node::Metre(vec![
            seq(vec![s("kick"), s("hat")]),
            s("snare"),
            seq(vec![s("kick"), s("hat"), s("hat")]),
        ])
    );
    assert_eq!(
        parse("a | b, c").unwrap(),
        Node::Stack(vec![Node::Metre(vec![s("a"), s("b")]), s("c")])
    );
    assert_eq!(
        parse("a | ").unwrap(),
        Node::Metre(vec![s("a"), Node::Rest])
    );
}

#[test]
fn bracket_errors_name_the_opener() {
    errors(&[
        ("a b [c d", 8, "unclosed '[' opened at column 5"),
        ("<a b", 4, "unclosed '<' opened at column 1"),
        (
            "[a b>",
            4,
            "expected ']' to close '[' opened at column 1, found '>'",
        ),
        ("a b]", 3, "unexpected ']' with no matching '['"),
        ("a }", 2, "unexpected '}' with no matching '{'"),
    ]);
}

#[test]
fn operator_errors_point_at_the_operand() {
    errors(&[
        ("a*", 2, "expected a number after '*'"),
        ("a*x", 2, "expected a number after '*'"),
        ("a/0", 2, "factor must be greater than zero"),
        ("a@0", 2, "weight must be greater than zero"),
        ("a?1.5", 2, &rule(values::DEGRADE, 1.5)),
        ("a *2", 2, "'*' must directly follow a step, e.g. 'a*2'"),
        ("hat:", 4, "expected a variant number after ':'"),
        ("hat:99999999999", 4, &rule(values::VARIANT, 99999999999.0)),
        ("a*1234567890123456789", 2, "number too large"),
        ("{a b}%0", 6, "steps per cycle must be greater than zero"),
    ]);
}

#[test]
fn euclid_errors() {
    errors(&[
        ("a(3)", 3, "expected ',' between pulses and steps"),
        ("a(,8)", 2, "expected the number of pulses after '('"),
        ("a(3,0)", 4, "euclid steps must be between 1 and 1024"),
        ("a(3,8", 5, "expected ')' to close '(' opened at column 2"),
        ("a(3,8,x)", 6, "expected the rotation after ','"),
    ]);
}

#[test]
fn step_level_errors() {
    errors(&[
        ("a # b", 2, "unknown character '#'"),
        ("a é", 2, "unknown character 'é'"),
        ("! a", 0, "'!' has no step before it to repeat"),
        ("a!0", 2, "repeat count must be at least 1"),
        ("_ a", 0, "'_' has no step before it to extend"),
        (". a", 0, "'.' must follow a group of steps"),
        ("a . ", 4, "expected steps after '.'"),
        ("a :2", 2, "':' must directly follow a step, e.g. 'a:2'"),
        (
            "[a]:2",
            3,
            "':' must directly follow a sound name, e.g. 'hat:2'",
        ),
    ]);
}

#[test]
fn bar_is_rejected_inside_angle_and_curly_brackets() {
    let (at, message) = err("<a | b>");
    assert_eq!(at, 3);
    assert!(
        message.starts_with("'|' is not allowed inside '<'"),
        "{message}"
    );
    assert_eq!(err("{a | b}").0, 3);
}

#[test]
fn hostile_input_gets_errors_not_overflows() {
    let deep = format!("{}a{}", "[".repeat(40), "]".repeat(40));
    assert_eq!(
        err(&deep),
        (16, "brackets nested too deeply (at most 16)".into())
    );
    errors(&[
        (
            "a*2*2*2*2*2*2*2*2*2",
            17,
            "too many operators on one step (at most 8)",
        ),
        (
            "b [a*1.0001]*1.0003",
            2,
            "this divides the cycle too finely",
        ),
        (
            "a [b c]*100000",
            2,
            "this has too many events per cycle (at most 65536)",
        ),
        (
            "a*40000, b*40000",
            0,
            "this has too many events per cycle (at most 65536)",
        ),
    ]);
    assert!(parse("[[a*16]*16]*16 hat(7,16)").is_ok());
}

#[test]
fn display_shows_a_one_based_column() {
    let e = parse("a b [c").unwrap_err();
    assert_eq!(e.to_string(), "column 7: unclosed '[' opened at column 5");
}

#[test]
fn accents_set_velocity_and_nudge() {
    assert_eq!(
        parse("hat:1^0.5'-0.25").unwrap(),
        Node::Sound {
            name: "hat".into(),
            variant: 1,
            accent: crate::pattern::Accent {
                velocity: Rational::new(1, 2),
                nudge: Rational::new(-1, 4),
            },
        }
    );
    errors(&[
        ("a^3", 2, &rule(values::VELOCITY, 3.0)),
        ("a'1.5", 2, &rule(values::NUDGE, 1.5)),
        ("a'-1.5", 2, &rule(values::NUDGE, -1.5)),
        ("a:1000001", 2, &rule(values::VARIANT, 1000001.0)),
        ("a^", 2, "expected a number after '^'"),
    ]);
}

/// The message a value's rule gives (the same one scripts and OSC give).
fn rule(rule: values::Rule, v: f64) -> String {
    rule.check(v).unwrap_err().to_string()
}

#[test]
fn operands_may_be_patterns_of_numbers() {
    let n = |v: i128| Node::Number(q(v, 1));
    let alt = |a: i128, b: i128| Node::Alt(vec![st(n(a)), st(n(b))]);
    assert_eq!(
        parse("a*<2 3>").unwrap(),
        Node::Patterned {
            node: Box::new(s("a")),
            op: ArgOp::Fast,
            args: vec![alt(2, 3)],
        }
    );
    assert_eq!(
        parse("a/[1 1.5]").unwrap(),
        Node::Patterned {
            node: Box::new(s("a")),
            op: ArgOp::Slow,
            args: vec![seq(vec![n(1), Node::Number(q(3, 2))])],
        }
    );
    assert_eq!(
        parse("a(<3 -5>, 8, <0 2>)").unwrap(),
        Node::Patterned {
            node: Box::new(s("a")),
            op: ArgOp::Euclid,
            args: vec![alt(3, -5), n(8), alt(0, 2)],
        }
    );
    assert_eq!(
        parse("{a b}%<2 ~>").unwrap(),
        Node::Patterned {
            node: Box::new(Node::Poly {
                layers: vec![vec![st(s("a")), st(s("b"))]],
                steps: None,
            }),
            op: ArgOp::Steps,
            args: vec![Node::Alt(vec![st(n(2)), st(Node::Rest)])],
        }
    );
    assert_eq!(
        parse("a?<0 1>").unwrap(),
        Node::Patterned {
            node: Box::new(s("a")),
            op: ArgOp::Degrade { id: 1 },
            args: vec![alt(0, 1)],
        }
    );
    // A plain operand keeps the plain node.
    assert_eq!(parse("a*2").unwrap(), fast(s("a"), q(2, 1)));
}

#[test]
fn bad_operand_values_name_their_column() {
    errors(&[
        ("a*<2 x>", 5, "expected a number for the factor, found 'x'"),
        ("a*<2 0>", 5, "factor must be greater than zero"),
        ("a/<2 -1>", 5, "factor must be greater than zero"),
        ("a(<3 0>,8)", 5, "euclid pulses must not be 0 (write '~' for silence)"),
        ("a(0,8)", 2, "euclid pulses must not be 0 (write '~' for silence)"),
        ("a(<3 1.5>,8)", 5, "euclid pulses must be a whole number"),
        ("a(3,<8 0>)", 7, "euclid steps must be between 1 and 1024"),
        ("a(3,[8 2000])", 7, "euclid steps must be between 1 and 1024"),
        ("a(3,8,<1 y>)", 9, "expected a number for the euclid rotation, found 'y'"),
        ("{a b}%<2 0>", 9, "steps per cycle must be greater than zero"),
        (
            "a?<0.5 2>",
            7,
            "degrade 2 is out of range: give 0 to 1 (the probability each event is dropped)",
        ),
        ("a*<2 hat:3>", 5, "expected a number for the factor, found 'hat'"),
        ("a@<2 3>", 2, "'@' takes a plain number (a step's weight cannot change per cycle)"),
        (
            "a!<2 3>",
            2,
            "'!' repeats a step a plain number of times (the number of steps cannot change per cycle: write '<[a a] [a a a]>')",
        ),
        ("a*<2 3", 6, "unclosed '<' opened at column 3"),
        ("a@0.5@0.5", 5, "the step's weight must stay greater than zero"),
    ]);
}

#[test]
fn corpus_map_points_and_cursors_are_one_sound_name() {
    assert_eq!(
        parse("map:0.2:0.8 ~ field_rec:xy hat:2 map:1:0*2").unwrap(),
        seq(vec![
            s("map:0.2:0.8"),
            Node::Rest,
            s("field_rec:xy"),
            Node::Sound {
                name: "hat".into(),
                variant: 2,
                accent: Default::default(),
            },
            fast(s("map:1:0"), q(2, 1)),
        ])
    );
    errors(&[
        (
            "a map:1.5:0",
            5,
            "'map:1.5:0': a map point is NAME:X:Y with X and Y from 0 to 1, e.g. 'map:0.2:0.8'",
        ),
        (
            "map:0.1:x",
            3,
            "'map:0.1:x': a map point is NAME:X:Y with X and Y from 0 to 1, e.g. 'map:0.2:0.8'",
        ),
    ]);
}
