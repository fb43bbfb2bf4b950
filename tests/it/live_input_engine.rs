//! The live input inside the engine, driven offline (no device): the
//! monitor and input gain, live sampling takes that start on their exact
//! frame and play in place of their placeholder, a model stream's input
//! fed from the input ("in", "in:2"), all identical for blocks of 1, 64
//! and 1000 frames, and none of it allocating on the audio side.

use std::sync::Arc;

use assert_no_alloc::assert_no_alloc;
use loam::audio::live_input::{Capture, CaptureNews, CaptureState};
use loam::audio::model_slots::ModelMsg;
use loam::audio::stream_output::InputChannels;
use loam::audio::{Engine, EngineCommand, EngineConfig, SoundEvent, StreamOutput};
use loam::data::credit::Credit;
use loam::sound::Sample;

const RATE: u32 = 48_000;

/// Input channel `c` at frame `t`: distinct everywhere, never 0.
fn input_at(t: usize, c: usize) -> f32 {
    0.1 + (t % 997) as f32 * 1e-4 + c as f32 * 0.3
}

fn silent(name: &str, frames: usize) -> Sample {
    Sample {
        name: name.into(),
        channels: 1,
        data: vec![0.0; frames],
        source: "test".into(),
        credit: Credit::NONE,
    }
}

/// A take of `frames` frames from `start`, with its placeholder.
fn take(id: u64, start: u64, frames: usize, first_channel: usize) -> (Box<Capture>, Arc<Sample>) {
    let placeholder = Arc::new(silent("take", frames));
    let capture = Box::new(Capture {
        id,
        slot: 0,
        start,
        frames,
        sample: Arc::new(silent("take", frames)),
        placeholder: Arc::clone(&placeholder),
        first_channel,
        written: 0,
        state: CaptureState::Recording,
    });
    (capture, placeholder)
}

/// Renders `total` frames in blocks of `block` with a two-channel input;
/// returns the output and what the engine said about takes.
fn run(
    engine: &mut Engine,
    handle: &mut loam::audio::EngineHandle,
    total: usize,
    block: usize,
) -> (Vec<f32>, Vec<CaptureNews>) {
    let from = engine.frame() as usize;
    let mut out = vec![0.0f32; total * 2];
    let mut input = vec![0.0f32; block * 2];
    let mut news = Vec::new();
    let mut t = 0;
    while t < total {
        let n = block.min(total - t);
        for i in 0..n {
            for c in 0..2 {
                input[i * 2 + c] = input_at(from + t + i, c);
            }
        }
        let buf = &mut out[t * 2..(t + n) * 2];
        assert_no_alloc(|| engine.process_with_input(buf, &input[..n * 2], 2));
        news.extend(handle.capture_news());
        handle.collect_garbage();
        t += n;
    }
    (out, news)
}

#[test]
fn the_monitor_plays_the_input_with_its_gain_after_the_master_gain() {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    let (out, _) = run(&mut engine, &mut handle, 500, 64);
    assert!(out.iter().all(|v| *v == 0.0), "the monitor is off at start");
    handle.command(EngineCommand::Monitor(1.0));
    handle.command(EngineCommand::InputGain(1.5));
    let (out, _) = run(&mut engine, &mut handle, 500, 64);
    for (i, f) in out.chunks_exact(2).enumerate() {
        let t = 500 + i;
        assert_eq!(f[0], input_at(t, 0) * 1.5, "left, frame {t}");
        assert_eq!(f[1], input_at(t, 1) * 1.5, "right, frame {t}");
    }
}

/// One performance: a take of frames 1000..4000 from input channel 2, a
/// late take, and the take's placeholder queued to play at 4000.
fn capture_run(block: usize) -> (Vec<f32>, Vec<CaptureNews>) {
    let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
    let (capture, placeholder) = take(7, 1000, 3000, 1);
    assert!(handle.capture(capture).is_ok());
    // Planned before the take is complete, as a loop's next bar is.
    handle
        .send(SoundEvent::new(4000, Arc::clone(&placeholder)))
        .unwrap();
    let (mut out, mut news) = run(&mut engine, &mut handle, 1200, block);
    // A take whose start has passed by the time the engine sees it.
    let (late, _) = take(8, 1100, 100, 0);
    assert!(handle.capture(late).is_ok());
    let (rest, more) = run(&mut engine, &mut handle, 6800, block);
    out.extend(rest);
    news.extend(more);
    (out, news)
}

#[test]
fn a_take_starts_on_its_frame_and_plays_in_place_of_its_placeholder() {
    let mut outputs = Vec::new();
    for block in [1, 64, 1000] {
        let (out, news) = capture_run(block);
        let mut finished = None;
        let mut late = None;
        for n in news {
            match n {
                CaptureNews::Finished { id, sample } => finished = Some((id, sample)),
                CaptureNews::Late { id, by } => late = Some((id, by)),
                CaptureNews::Retired(_) => {}
            }
        }
        let (id, sample) = finished.expect("the take never finished");
        assert_eq!(id, 7);
        assert_eq!(sample.frames(), 3000);
        for (i, v) in sample.data.iter().enumerate() {
            assert_eq!(
                *v,
                input_at(1000 + i, 1),
                "frame {i} of the take (block {block})"
            );
        }
        // The late take: seen by the block starting at frame 1200.
        let (late_id, by) = late.expect("the late take was not told");
        assert_eq!(late_id, 8);
        assert_eq!(by, 1200 - 1100, "block {block}");
        // Nothing before frame 4000; from there the take, at one gain.
        assert!(out[..4000 * 2].iter().all(|v| *v == 0.0), "block {block}");
        let gain = out[4000 * 2] / sample.data[0];
        assert!(gain > 0.1, "gain {gain}");
        for i in 0..3000 {
            let want = sample.data[i] * gain;
            assert!(
                (out[(4000 + i) * 2] - want).abs() < 1e-6,
                "frame {i} of the playback (block {block})"
            );
        }
        outputs.push(out);
    }
    assert_eq!(outputs[0], outputs[1], "blocks of 1 and 64 differ");
    assert_eq!(outputs[1], outputs[2], "blocks of 64 and 1000 differ");
}

#[test]
fn a_model_stream_hears_the_input_channels_it_asks_for() {
    for (text, want) in [("in", [0usize, 1]), ("in:2", [1, 1]), ("in:1", [0, 0])] {
        let (mut engine, mut handle) = Engine::new(&EngineConfig::new(RATE));
        let (_out_tx, out_rx) = rtrb::RingBuffer::<f32>::new(16);
        let (in_tx, mut in_rx) = rtrb::RingBuffer::<f32>::new(4096);
        let channels = InputChannels::parse(text).expect(text);
        let output = StreamOutput::from_ring(out_rx, 2).with_live_input(in_tx, channels, 2);
        let attached = handle.model(ModelMsg::Attach {
            slot: 0,
            output: Box::new(output),
            gain: 1.0,
            pan: 0.0,
            credit: Credit::NONE,
        });
        assert!(attached.is_ok());
        run(&mut engine, &mut handle, 700, 64);
        assert_eq!(
            in_rx.slots(),
            1400,
            "{text}: every frame, from the first block"
        );
        for t in 0..700 {
            for (c, source) in want.iter().enumerate() {
                let v = in_rx.pop().unwrap();
                assert_eq!(v, input_at(t, *source), "{text}: frame {t}, channel {c}");
            }
        }
    }
    assert_eq!(InputChannels::parse("kick"), None);
    assert_eq!(InputChannels::parse("in:0"), None);
    assert_eq!(InputChannels::parse("in:9"), None);
}
