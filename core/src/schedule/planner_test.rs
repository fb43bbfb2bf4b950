//! The planner on its own: which sounds land on which frames, bar by bar,
//! in compound and additive metres, at tempo octaves, and when loops change.

use super::{Change, LoopDef, Planner};
use crate::pattern::Pattern;
use crate::sound::SoundBank;
use crate::time::{Metre, Tempo, TempoOctave};

const RATE: u32 = 48_000;

fn planner(metre: &str, bpm: f64) -> Planner {
    let mut p = Planner::new(RATE, SoundBank::with_drum_kit(RATE));
    p.apply(Change::Metre {
        metre: Metre::parse(metre).unwrap(),
        now: false,
    });
    p.apply(Change::Tempo {
        tempo: Tempo::bpm(bpm).unwrap(),
        now: false,
    });
    p
}

fn def(name: &str, pattern: &str) -> LoopDef {
    LoopDef::new(name, pattern, Pattern::parse(pattern).unwrap())
}

fn octave(k: i64) -> TempoOctave {
    TempoOctave::new(k).unwrap()
}

/// The next bar's events as (frame, sound).
fn bar(p: &mut Planner) -> Vec<(u64, String)> {
    p.plan_next_bar()
        .into_iter()
        .map(|e| (e.frame, e.sample.name.clone()))
        .collect()
}

fn at(frames: &[u64], sound: &str) -> Vec<(u64, String)> {
    frames.iter().map(|&f| (f, sound.to_string())).collect()
}

#[test]
fn six_eight_at_120_is_two_dotted_quarters_a_second() {
    // 120 dotted quarters a minute: a bar of 6/8 lasts one second.
    let mut p = planner("6/8", 120.0);
    p.apply(Change::Loop(def("k", "kick kick")));
    assert_eq!(bar(&mut p), at(&[0, 24_000], "kick"));
    assert_eq!(bar(&mut p), at(&[48_000, 72_000], "kick"));
    assert_eq!(p.next_bar(), 2);
    assert_eq!(p.next_bar_frame(), 96_000);
}

#[test]
fn metre_groups_follow_an_additive_bar() {
    // 2+2+3/8 at 120 counts quarters: the bar is 7 eighths = 84 000 frames,
    // and its groups start at 0, 24 000 and 48 000.
    let mut p = planner("2+2+3/8", 120.0);
    p.apply(Change::Loop(def("g", "kick | snare | hat hat hat")));
    assert_eq!(
        bar(&mut p),
        vec![
            (0, "kick".to_string()),
            (24_000, "snare".to_string()),
            (48_000, "hat".to_string()),
            (60_000, "hat".to_string()),
            (72_000, "hat".to_string()),
        ]
    );
    assert_eq!(p.next_bar_frame(), 84_000);
}

#[test]
fn metre_and_tempo_changes_wait_for_the_bar_line() {
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Loop(def("k", "kick")));
    assert_eq!(bar(&mut p), at(&[0], "kick"));
    // Asked during bar 1's planning window: bar 1 is 4/4 at 120 (2 s), bar 2 is 6/8 at 60.
    p.apply(Change::Metre {
        metre: Metre::parse("6/8").unwrap(),
        now: false,
    });
    assert_eq!(bar(&mut p), at(&[96_000], "kick"));
    p.apply(Change::Tempo {
        tempo: Tempo::bpm(60.0).unwrap(),
        now: false,
    });
    assert_eq!(bar(&mut p), at(&[144_000], "kick"));
    // 6/8 at 60 dotted quarters: two seconds a bar.
    assert_eq!(p.next_bar_frame(), 240_000);
    assert_eq!(
        p.timeline().metre_at(crate::time::q(2, 1)).to_string(),
        "3+3/8"
    );
}

#[test]
fn a_tempo_octave_up_plays_the_cycle_twice_a_bar() {
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Octave(octave(1)));
    p.apply(Change::Loop(def("k", "kick snare")));
    assert_eq!(p.global_octave(), octave(0), "not before the bar");
    assert_eq!(
        bar(&mut p),
        vec![
            (0, "kick".to_string()),
            (24_000, "snare".to_string()),
            (48_000, "kick".to_string()),
            (72_000, "snare".to_string()),
        ]
    );
    assert_eq!(p.global_octave(), octave(1));
}

#[test]
fn an_octave_down_waits_for_the_bar_where_both_grids_meet() {
    // At −1 a cycle spans two bars, so the change asked in bar 1 waits for
    // bar 2, and the kick then sounds every other bar: downbeats stay put.
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Loop(def("k", "kick")));
    assert_eq!(bar(&mut p), at(&[0], "kick"));
    p.apply(Change::Octave(octave(-1)));
    assert_eq!(bar(&mut p), at(&[96_000], "kick"));
    assert_eq!(p.global_octave(), octave(0));
    assert_eq!(bar(&mut p), at(&[192_000], "kick"));
    assert_eq!(p.global_octave(), octave(-1));
    assert_eq!(bar(&mut p), vec![]);
    assert_eq!(bar(&mut p), at(&[384_000], "kick"));
}

#[test]
fn a_loop_change_waits_for_the_next_bar_or_the_quantum() {
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Loop(def("a", "kick")));
    assert_eq!(bar(&mut p), at(&[0], "kick"));
    // Replaced at the next bar.
    p.apply(Change::Loop(def("a", "snare")));
    assert_eq!(bar(&mut p), at(&[96_000], "snare"));
    // With a quantum of 4 bars, a change asked before bar 2 waits for bar 4.
    p.apply(Change::Quantum(4));
    p.apply(Change::Loop(def("a", "hat")));
    assert_eq!(bar(&mut p), at(&[192_000], "snare"));
    assert_eq!(bar(&mut p), at(&[288_000], "snare"));
    assert_eq!(bar(&mut p), at(&[384_000], "hat"));
    // A stop also waits for the quantum; the loop is listed until then.
    p.apply(Change::StopLoop("a".into()));
    assert_eq!(p.loop_names(), vec!["a".to_string()]);
    for _ in 5..8 {
        assert_eq!(bar(&mut p).len(), 1);
    }
    assert_eq!(bar(&mut p), vec![]);
    assert!(p.loop_names().is_empty());
}

#[test]
fn a_loop_with_its_own_octave_replaced_at_the_meeting_bar() {
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Loop(def("a", "kick")));
    assert_eq!(bar(&mut p), at(&[0], "kick"));
    // Its own octave −1 from bar 2 (the next bar where the grids meet).
    p.set_loop_octave("a", octave(-1)).unwrap();
    assert_eq!(bar(&mut p), at(&[96_000], "kick"));
    assert_eq!(bar(&mut p), at(&[192_000], "kick"));
    assert_eq!(bar(&mut p), vec![]);
    assert_eq!(
        p.set_loop_octave("b", octave(1)).map_err(|e| e.to_string()),
        Err("no loop named 'b'".to_string())
    );
}

#[test]
fn mute_solo_and_unknown_sounds() {
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Loop(def("a", "kick")));
    p.apply(Change::Loop(def("b", "snare")));
    p.apply(Change::Loop(def("c", "nosuchsound")));
    let first = bar(&mut p);
    assert_eq!(
        first,
        vec![(0, "kick".to_string()), (0, "snare".to_string())]
    );
    let messages = p.take_messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("loop 'c': unknown sound 'nosuchsound' (known: "),
        "{messages:?}"
    );
    // Told once, not every bar.
    assert_eq!(bar(&mut p).len(), 2);
    assert!(p.take_messages().is_empty());
    assert!(p.set_muted("a", true));
    assert_eq!(bar(&mut p), at(&[192_000], "snare"));
    assert!(p.set_solo(Some("a")));
    assert_eq!(bar(&mut p), vec![], "the soloed loop is muted");
    assert!(p.set_muted("a", false));
    assert_eq!(bar(&mut p), at(&[384_000], "kick"));
    assert!(!p.set_solo(Some("zzz")));
    assert!(p.set_solo(None));
    assert_eq!(bar(&mut p).len(), 2);
}

#[test]
fn an_oversized_loop_keeps_its_last_good_version() {
    let mut p = planner("4/4", 120.0);
    p.apply(Change::Loop(def("a", "kick")));
    assert_eq!(bar(&mut p), at(&[0], "kick"));
    // 256 × 256 × 2 = 2^17 events a cycle: past the limit of 2^16.
    let mut big = def("a", "hat*256");
    big.transforms = vec![
        crate::pattern::Transform::Fast(crate::time::q(256, 1)),
        crate::pattern::Transform::Fast(crate::time::q(2, 1)),
    ];
    p.apply(Change::Loop(big));
    let messages = p.take_messages();
    assert!(
        messages.len() == 1 && messages[0].ends_with("(keeps its last good version)"),
        "{messages:?}"
    );
    assert_eq!(bar(&mut p), at(&[96_000], "kick"));
}
