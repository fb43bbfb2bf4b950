//! The engine's process call never allocates: checked by `assert_no_alloc`
//! around it, with 64 busy voices, voice stealing, late events, a hush and
//! a full return ring.

use std::sync::Arc;

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use loam::audio::{Engine, EngineCommand, EngineConfig, SoundEvent};
use loam::sound::SoundBank;

#[global_allocator]
static ALLOC: AllocDisabler = AllocDisabler;

#[test]
fn process_never_allocates() {
    let mut config = EngineConfig::new(48_000);
    config.return_capacity = 16; // small, so the full-ring path runs too
    let (mut engine, mut handle) = Engine::new(&config);
    let bank = SoundBank::with_drum_kit(48_000);
    let names = bank
        .names()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    let mut buf = vec![0.0f32; 2 * 64];
    let mut frame = 0u64;
    for round in 0..200u64 {
        // 100 events per block: more than the 64 voices, so voices are stolen.
        for i in 0..100u64 {
            let s = Arc::clone(bank.get(&names[(i as usize) % names.len()], 0).unwrap());
            let mut ev = SoundEvent::new(frame + i % 64, s);
            ev.rate = 0.5 + (i % 7) as f32 * 0.25;
            ev.pan = (i % 5) as f32 * 0.4 - 0.8;
            ev.length = if i % 3 == 0 { Some(500) } else { None };
            handle.send(ev).unwrap();
        }
        // Direct (OSC/MIDI) events, out of order and some in the future.
        for i in 0..8u64 {
            let s = Arc::clone(bank.get("rim", 0).unwrap());
            handle
                .send_direct(SoundEvent::new(frame + 300 - i * 30, s))
                .unwrap();
        }
        if round % 50 == 49 {
            handle.command(EngineCommand::Hush);
        }
        if round % 10 == 0 {
            // A late event: its frame has already been played.
            let s = Arc::clone(bank.get("kick", 0).unwrap());
            handle.send(SoundEvent::new(frame + 64, s)).unwrap();
        }
        assert_no_alloc(|| engine.process(&mut buf));
        frame += 64;
        // Let the return ring fill up sometimes before freeing.
        if round % 4 == 0 {
            handle.collect_garbage();
        }
    }
    assert!(buf.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
    let st = &handle.status;
    assert!(loam::audio::EngineStatus::get(&st.stolen_voices) > 0);
}
