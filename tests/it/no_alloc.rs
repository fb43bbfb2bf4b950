//! The engine's process call never allocates: checked by `assert_no_alloc`
//! around it, with 64 busy voices, voice stealing, late events, a hush and
//! a full return ring.

use std::sync::Arc;

use assert_no_alloc::assert_no_alloc;
use loam::audio::{Engine, EngineCommand, EngineConfig, SoundEvent};
use loam::sound::SoundBank;

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
            // Every other sound reversed (a negative rate reads from the end).
            let way = if i % 2 == 0 { 1.0 } else { -1.0 };
            ev.rate = way * (0.5 + (i % 7) as f32 * 0.25);
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

/// The guard that mutes a bad source before the mix never allocates: a
/// model slot making NaN, another making 10⁶, sounds holding NaN and
/// infinity and one played at an absurd gain, more muted voices than the
/// fault ring holds, and a model attached again into a muted slot.
#[test]
fn muting_bad_sources_never_allocates() {
    use loam::audio::guard::FAULT_CAPACITY;
    use loam::audio::model_slots::ModelMsg;
    use loam::model::torchscript::StreamOutput;
    use loam::sound::Sample;

    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(48_000));
    let model = |value: f32| {
        let (mut tx, rx) = rtrb::RingBuffer::new(48_000);
        while tx.push(value).is_ok() {}
        Box::new(StreamOutput::from_ring(rx, 1))
    };
    let attach = |handle: &mut loam::audio::EngineHandle, slot: usize, value: f32| {
        let msg = ModelMsg::Attach {
            slot,
            output: model(value),
            gain: 1.0,
            pan: 0.0,
        };
        assert!(handle.model(msg).is_ok());
    };
    attach(&mut handle, 0, f32::NAN);
    attach(&mut handle, 1, 1e6);
    let sound = |name: &str, bad: f32| {
        let mut data = vec![0.5f32; 256];
        data[40] = bad;
        Arc::new(Sample {
            name: name.into(),
            channels: 1,
            data,
            source: "test".into(),
        })
    };
    let nan = sound("nan", f32::NAN);
    let inf = sound("inf", f32::INFINITY);
    let fine = sound("fine", 0.5);
    let mut buf = vec![0.0f32; 2 * 64];
    let mut frame = 0u64;
    for round in 0..100u64 {
        for i in 0..4u64 {
            handle
                .send(SoundEvent::new(frame + i * 16, nan.clone()))
                .unwrap();
            handle
                .send(SoundEvent::new(frame + i * 16 + 1, inf.clone()))
                .unwrap();
            let mut loud = SoundEvent::new(frame + i * 16 + 2, fine.clone());
            loud.gain = 1e30;
            handle.send(loud).unwrap();
        }
        if round == 50 {
            attach(&mut handle, 0, 0.25);
        }
        assert_no_alloc(|| engine.process(&mut buf));
        frame += 64;
        if round % 4 == 0 {
            handle.collect_garbage();
        }
    }
    assert!(buf.iter().all(|x| x.is_finite()));
    let muted = loam::audio::EngineStatus::get(&handle.status.muted_sources);
    // Two models, then 12 voices a block for 100 blocks, less the 4 of the
    // last block that had not reached their bad value (frame 40) by its end.
    assert_eq!(muted, 2 + 1200 - 4);
    assert!(muted as usize > FAULT_CAPACITY);
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
