//! `late_events` counts scheduling lateness only: an event due at a frame
//! that reaches the engine after that frame has played. An immediate play
//! (OSC `/play` with no time) is stamped with the block the control side
//! saw coming next; when the engine has moved on a block by the time it
//! arrives, it plays at once and is on time.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use loam::audio::{Engine, EngineConfig, EngineStatus, SoundEvent};
use loam::sound::SoundBank;
use support::osc::{s, status, Client, Server};

#[test]
fn the_engine_counts_late_timed_events_and_not_immediate_ones() {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(48_000));
    let bank = SoundBank::with_drum_kit(48_000);
    let rim = || Arc::clone(bank.get("rim", 0).unwrap());
    let mut block = vec![0.0f32; 2 * 64];
    engine.process(&mut block);
    engine.process(&mut block);
    let late = |h: &loam::audio::EngineHandle| EngineStatus::get(&h.status.late_events);

    // Stamped for frame 64, arriving for the block at 128: immediate, on time.
    let mut now = SoundEvent::new(64, rim());
    now.immediate = true;
    handle.send_direct(now).unwrap();
    engine.process(&mut block);
    assert!(
        block.iter().any(|x| *x != 0.0),
        "the immediate play was not heard"
    );
    assert_eq!(late(&handle), 0);

    // The same frame asked for by time (a bundle, MIDI): late.
    handle.send_direct(SoundEvent::new(64, rim())).unwrap();
    engine.process(&mut block);
    assert_eq!(late(&handle), 1);

    // A scheduled event whose frame has passed: late.
    handle.send(SoundEvent::new(100, rim())).unwrap();
    engine.process(&mut block);
    assert_eq!(late(&handle), 2);

    // Timed events still ahead are not late.
    handle.send_direct(SoundEvent::new(320, rim())).unwrap();
    handle.send(SoundEvent::new(330, rim())).unwrap();
    engine.process(&mut block);
    engine.process(&mut block);
    assert_eq!(late(&handle), 2);
}

#[test]
fn immediate_plays_over_osc_are_never_late() {
    let dir = support::temp_dir("late-events");
    // No loops: the only events are the plays.
    let script = support::script_with_click(&dir, "tempo(120);\n");
    let server = Server::start(&script, &[]);
    let c = Client::new();
    // 3,000 plays in bursts of 100, each burst answered before the next.
    for _ in 0..30 {
        for _ in 0..100 {
            c.socket
                .send_to(
                    &support::osc::message("/play", vec![s("click")]),
                    server.addr,
                )
                .unwrap();
        }
        for k in 0..100 {
            let m = c
                .answer("/play", Duration::from_secs(10))
                .unwrap_or_else(|| panic!("play {k} of a burst got no answer"));
            assert_eq!(m.addr, "/done", "{m:?}");
        }
    }
    let st = status(&c, server.addr);
    assert!(st.loops.is_empty(), "{:?}", st.loops);
    assert_eq!(st.late_events, 0, "{}", server.log());
    let _ = server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
