//! The engine driven offline with a broken source beside a click loop: the
//! click keeps sounding, the broken source is muted, counted and told once.

use std::sync::Arc;

use super::model_slots::ModelMsg;
use super::stream_output::StreamOutput;
use super::{Engine, EngineConfig, EngineHandle, EngineStatus, SoundEvent};
use crate::sound::Sample;

const RATE: u32 = 48_000;
/// One click every tenth of a second.
const CLICK_EVERY: u64 = 4_800;
const BLOCK: usize = 256;

fn sound(name: &str, data: Vec<f32>) -> Arc<Sample> {
    Arc::new(Sample {
        name: name.into(),
        channels: 1,
        data,
        source: format!("{name}.wav (test)"),
        credit: crate::data::credit::Credit::NONE,
    })
}

fn click() -> Arc<Sample> {
    let mut data = vec![0.0; 64];
    data[0] = 1.0;
    sound("click", data)
}

/// A model slot fed straight from a ring holding `seconds` of `value`.
fn fake_model(handle: &mut EngineHandle, slot: usize, value: f32, seconds: u32) {
    let n = (RATE * seconds) as usize;
    let (mut tx, rx) = rtrb::RingBuffer::new(n);
    for _ in 0..n {
        tx.push(value).unwrap();
    }
    let output = Box::new(StreamOutput::from_ring(rx, 1));
    assert!(handle
        .model(ModelMsg::Attach {
            slot,
            output,
            gain: 1.0,
            pan: 0.0,
            credit: crate::data::credit::Credit::NONE,
        })
        .is_ok());
}

/// Renders `seconds`, queueing a click every [`CLICK_EVERY`] frames and
/// whatever `extra` adds at each click; returns the left channel.
fn render(
    engine: &mut Engine,
    handle: &mut EngineHandle,
    seconds: u32,
    mut extra: impl FnMut(u64) -> Option<SoundEvent>,
) -> Vec<f32> {
    // Whole seconds, so a render starts on a click.
    let total = engine.frame() + u64::from(RATE * seconds);
    let click = click();
    let mut left = Vec::with_capacity(total as usize);
    let mut next = engine.frame();
    let mut buf = vec![0.0f32; BLOCK * 2];
    while engine.frame() < total {
        let end = engine.frame() + BLOCK as u64;
        while next < end.min(total) {
            handle.send(SoundEvent::new(next, click.clone())).unwrap();
            if let Some(ev) = extra(next) {
                handle.send(ev).unwrap();
            }
            next += CLICK_EVERY;
        }
        // The last block ends exactly at `total`.
        let n = (total - engine.frame()).min(BLOCK as u64) as usize;
        engine.process(&mut buf[..n * 2]);
        handle.collect_garbage();
        left.extend(buf[..n * 2].chunks_exact(2).map(|f| f[0]));
    }
    left
}

/// Every click frame after `from` sounds at the click's level (−3 dB for
/// a mono sound in the middle, then master gain 0.5), and every value is
/// finite.
fn clicks_sound(left: &[f32], from: u64) {
    assert!(left.iter().all(|x| x.is_finite()));
    let mut at = from.div_ceil(CLICK_EVERY) * CLICK_EVERY;
    let mut heard = 0;
    while (at as usize) < left.len() {
        let x = left[at as usize];
        let level = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
        assert!(
            (x - level).abs() < 1e-4,
            "the click at frame {at} is {x}, not {level}"
        );
        heard += 1;
        at += CLICK_EVERY;
    }
    assert!(heard >= 5, "only {heard} clicks checked");
}

fn check_model_is_muted_beside_a_click(value: f32, why: &str, status_word: &str) {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    fake_model(&mut handle, 2, value, 2);
    let left = render(&mut engine, &mut handle, 1, |_| None);
    clicks_sound(&left, 0);
    assert_eq!(EngineStatus::get(&handle.status.muted_sources), 1);
    let told = handle.muted_sources(|slot| (slot == 2).then(|| "broken".to_string()));
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("model 'broken'") && told[0].contains(why),
        "{told:?}"
    );
    assert_eq!(
        handle.muted.list(),
        vec![format!("model broken: {status_word}")]
    );
    // Told once: more audio from the muted slot says nothing new.
    let left = render(&mut engine, &mut handle, 1, |_| None);
    clicks_sound(&left, 0);
    assert!(handle.muted_sources(|_| None).is_empty());
    assert_eq!(EngineStatus::get(&handle.status.muted_sources), 1);
}

#[test]
fn a_model_making_nan_is_muted_and_the_click_still_sounds() {
    check_model_is_muted_beside_a_click(f32::NAN, "NaN", "NaN");
}

#[test]
fn a_model_making_infinity_is_muted_and_the_click_still_sounds() {
    check_model_is_muted_beside_a_click(f32::INFINITY, "infinite", "infinite");
    check_model_is_muted_beside_a_click(f32::NEG_INFINITY, "infinite", "infinite");
}

#[test]
fn a_model_making_absurd_values_is_muted_and_the_click_still_sounds() {
    // The shared case's third mode: a 0.2 sine times 10⁶.
    check_model_is_muted_beside_a_click(2e5, "+36 dBFS", "too loud");
}

#[test]
fn a_healthy_model_at_full_scale_is_not_muted() {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    fake_model(&mut handle, 0, 0.9, 2);
    let left = render(&mut engine, &mut handle, 1, |_| None);
    assert_eq!(EngineStatus::get(&handle.status.muted_sources), 0);
    assert!(handle.muted_sources(|_| None).is_empty());
    // The model's 0.9 × master 0.5 between clicks.
    assert!((left[100] - 0.45).abs() < 1e-4, "{}", left[100]);
}

#[test]
fn loading_a_model_again_into_its_slot_unmutes_it() {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    fake_model(&mut handle, 1, f32::NAN, 2);
    render(&mut engine, &mut handle, 1, |_| None);
    assert_eq!(handle.muted_sources(|_| Some("m".into())).len(), 1);
    fake_model(&mut handle, 1, 0.25, 2);
    assert!(handle.muted.list().is_empty());
    let left = render(&mut engine, &mut handle, 1, |_| None);
    assert!((left[100] - 0.125).abs() < 1e-4, "{}", left[100]);
}

#[test]
fn a_sound_holding_nan_is_muted_per_voice_and_told_once() {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    let mut data = vec![0.3f32; 2000];
    data[500] = f32::NAN;
    let bad = sound("broken", data);
    let mut played = 0;
    let left = render(&mut engine, &mut handle, 1, |frame| {
        played += 1;
        Some(SoundEvent::new(frame + 100, bad.clone()))
    });
    clicks_sound(&left, 0);
    // Each voice is muted at the bad value: before it, the sound played.
    assert!((left[100 + 10] - 0.3 * 0.5 * std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3);
    assert_eq!(left[100 + 600], 0.0);
    assert_eq!(
        EngineStatus::get(&handle.status.muted_sources),
        played as u64
    );
    let told = handle.muted_sources(|_| None);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("sound 'broken' (broken.wav (test)) produced NaN"),
        "{told:?}"
    );
    assert_eq!(handle.muted.list(), vec!["sound broken: NaN".to_string()]);
}

#[test]
fn a_voice_played_at_an_absurd_gain_is_muted() {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    let tone = sound("tone", vec![0.5; 2000]);
    let left = render(&mut engine, &mut handle, 1, |frame| {
        let mut ev = SoundEvent::new(frame + 100, tone.clone());
        ev.gain = 1e30;
        Some(ev)
    });
    clicks_sound(&left, 0);
    let told = handle.muted_sources(|_| None);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("sound 'tone'"), "{told:?}");
    assert!(told[0].contains("+36 dBFS"), "{told:?}");
}
