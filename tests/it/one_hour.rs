//! After one simulated hour of 7/8 at 137.37 BPM, every bar starts on exactly
//! the frame the exact formula gives.

use loam::schedule::{Change, LoopDef, Planner};
use loam::sound::SoundBank;
use loam::time::{Metre, Rational, Tempo};

#[test]
fn every_bar_of_an_hour_starts_on_the_exact_frame() {
    let sr = 48_000u32;
    let mut planner = Planner::new(sr, SoundBank::with_drum_kit(sr));
    planner.apply(Change::Metre {
        metre: Metre::parse("7/8").unwrap(),
        now: false,
    });
    planner.apply(Change::Tempo {
        tempo: Tempo::bpm(137.37).unwrap(),
        now: false,
    });
    let pattern = loam::pattern::Pattern::parse("kick").unwrap();
    planner.apply(Change::Loop(LoopDef::new("k", "kick", pattern)));
    // bar = 3.5 quarters at 137.37/min = 3.5 * 60 / 137.37 s.
    // frames(n) = n * 7 * 60 * 48000 * 100 / (2 * 13737), rounded half up.
    let exact = |n: i128| -> u64 {
        let num = n * 7 * 60 * 48_000 * 100;
        let den = 2 * 13_737i128;
        ((2 * num + den) / (2 * den)) as u64
    };
    let hour = 3600 * sr as u64;
    let mut bar = 0i128;
    loop {
        let events = planner.plan_next_bar();
        assert_eq!(events.len(), 1, "bar {bar}");
        assert_eq!(events[0].frame, exact(bar), "bar {bar}");
        assert_eq!(
            planner.timeline().frame_at(Rational::from_integer(bar)),
            exact(bar)
        );
        if events[0].frame > hour {
            break;
        }
        bar += 1;
    }
    assert!(bar > 2300, "an hour is about 2355 bars, got {bar}");
}
