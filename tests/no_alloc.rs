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

/// loam's JACK MIDI output callback places queued messages on their frames
/// without allocating (`jack` feature).
#[cfg(feature = "jack")]
#[test]
fn the_jack_midi_output_callback_never_allocates() {
    use loam::midi::jack_port::{Cycle, OutQueue};
    use loam::midi::sender::Scheduled;
    use loam::midi::MidiCounters;
    let counters = MidiCounters::default();
    let (mut tx, mut q) = OutQueue::new(1024, 512);
    let mut written = 0usize;
    for cycle in 0..200i64 {
        // Pulses and notes, out of order, some late, some for later cycles.
        for i in 0..5i64 {
            let t = (cycle + (i % 3)) * 5_333_333 + (7 - i) * 900_000 - 1_000_000;
            let s = Scheduled {
                nanos: t.max(0) as u64,
                seq: (cycle * 5 + i) as u64,
                bytes: [0xF8, 0, 0],
                len: 1,
            };
            tx.push((t, s)).unwrap();
        }
        let c = Cycle {
            start: cycle * 5_333_333,
            next: (cycle + 1) * 5_333_333,
            frames: 256,
        };
        assert_no_alloc(|| {
            q.write_cycle(&c, false, &counters, |_, b| {
                written += b.len();
                true
            })
        });
    }
    assert!(written > 900, "{written}");
}
