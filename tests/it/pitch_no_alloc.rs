//! Pitched voices obey the callback's rules: starting, playing, stealing,
//! releasing and hushing built-in voices (synth, pulse, pluck, fm) at any
//! frequency, including NaN, zero and past Nyquist, never allocates, and
//! the output stays finite.

use std::sync::Arc;

use assert_no_alloc::assert_no_alloc;
use loam::audio::{Engine, EngineCommand, EngineConfig, EngineStatus, SoundEvent};
use loam::sound::tone::{Timbre, Tone};
use loam::sound::Sample;

fn voice(t: Timbre) -> Arc<Sample> {
    Arc::new(Sample {
        name: t.name().into(),
        channels: 1,
        data: Vec::new(),
        source: "test".into(),
        credit: loam::data::credit::Credit::NONE,
    })
}

#[test]
fn pitched_voices_never_allocate_and_stay_finite() {
    let mut config = EngineConfig::new(48_000);
    config.return_capacity = 16;
    let (mut engine, mut handle) = Engine::new(&config);
    let timbres = [Timbre::Saw, Timbre::Pulse, Timbre::Pluck, Timbre::Fm];
    let names: Vec<Arc<Sample>> = timbres.iter().map(|t| voice(*t)).collect();
    let odd = [
        f64::NAN,
        0.0,
        -5.0,
        1e9,
        f64::INFINITY,
        16.0,
        20_000.0,
        440.0,
    ];
    let mut buf = vec![0.0f32; 2 * 64];
    let mut frame = 0u64;
    for round in 0..300u64 {
        // 80 notes a block: more than 64 voices, so some are stolen.
        for i in 0..80u64 {
            let k = (round * 80 + i) as usize;
            let mut ev = SoundEvent::new(frame + i % 64, Arc::clone(&names[k % 4]));
            let hz = if k.is_multiple_of(11) {
                odd[k % odd.len()]
            } else {
                30.0 * (k % 90) as f64 + 20.0
            };
            let mut tone = Tone::new(timbres[k % 4], hz);
            tone.cutoff = if k.is_multiple_of(13) {
                f32::NAN
            } else {
                100.0 + (k % 50) as f32 * 300.0
            };
            tone.resonance = (k % 7) as f32 * 0.2;
            tone.attack = if k.is_multiple_of(17) {
                f32::NAN
            } else {
                0.001
            };
            tone.release = 0.01;
            ev.tone = Some(tone);
            ev.length = Some(1 + (k as u64 % 300));
            handle.send(ev).unwrap();
        }
        if round % 60 == 59 {
            handle.command(EngineCommand::Hush);
        }
        assert_no_alloc(|| engine.process(&mut buf));
        assert!(
            buf.iter().all(|x| x.is_finite() && x.abs() <= 1.0),
            "round {round}"
        );
        frame += 64;
        if round % 4 == 0 {
            handle.collect_garbage();
        }
    }
    assert!(EngineStatus::get(&handle.status.stolen_voices) > 0);
    // Every note ends: after its release nothing is left sounding.
    for _ in 0..2_000 {
        assert_no_alloc(|| engine.process(&mut buf));
        handle.collect_garbage();
    }
    assert_eq!(
        handle
            .status
            .active_voices
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}
