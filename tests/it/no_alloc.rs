//! The engine's process call never allocates: checked by `assert_no_alloc`
//! around it, with 64 busy voices, voice stealing, late events, a hush and
//! a full return ring; nor do the model slots with streams attached, a
//! recording's tap, or the null sink's real callback (`check-no-alloc`
//! feature), and an allocation inside the callback's check ends the process.

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
            credit: loam::data::credit::Credit::NONE,
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
            credit: loam::data::credit::Credit::NONE,
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
            let s = Scheduled::new(
                loam::time::Nanos(t.max(0) as u64),
                (cycle * 5 + i) as u64,
                &[0xF8],
            )
            .unwrap();
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

/// Stream outputs on rings filled ahead, as a model worker fills them:
/// `channels` per frame, `frames` of `value`, sharing `playback`.
fn filled_stream(
    channels: usize,
    frames: usize,
    value: f32,
    playback: Arc<loam::audio::StreamPlayback>,
) -> Box<loam::audio::StreamOutput> {
    let (mut tx, rx) = rtrb::RingBuffer::new(frames * channels);
    while tx.push(value).is_ok() {}
    Box::new(loam::audio::StreamOutput::new(rx, channels, playback))
}

/// The model slots with streams attached never allocate: all eight slots
/// sounding (mono and stereo), one stream playing past the end of its ring
/// (underruns counted), gains moved, a block longer than a slot's scratch
/// buffer, a stream attached over another and one to a slot that does not
/// exist (both sent back), and detaches while the return ring is full (the
/// streams wait a block there, never dropped).
#[test]
fn model_slots_with_streams_attached_never_allocate() {
    use loam::audio::guard::FaultReport;
    use loam::audio::model_slots::{ModelMsg, ModelSlots, MODEL_SLOTS};
    use loam::audio::{EngineStatus, StreamPlayback};
    use std::sync::atomic::Ordering;

    let (mut messages, message_rx) = rtrb::RingBuffer::new(64);
    // Room for two returned streams: the full-ring path runs too.
    let (return_tx, mut returns) = rtrb::RingBuffer::new(2);
    let mut slots = ModelSlots::new(message_rx, return_tx);
    let status = Arc::new(EngineStatus::default());
    let (mut faults, _told) = FaultReport::new(status.clone());
    let short = Arc::new(StreamPlayback::default());
    short.playing.store(true, Ordering::Relaxed);
    for slot in 0..MODEL_SLOTS {
        let output = if slot == MODEL_SLOTS - 1 {
            // Playing, with 1,000 frames computed: then underruns.
            filled_stream(2, 1_000, 0.01, short.clone())
        } else {
            filled_stream(1 + slot % 2, 48_000, 0.01, Arc::default())
        };
        let attach = ModelMsg::Attach {
            slot,
            output,
            gain: 0.5,
            pan: 0.0,
            // Each slot credits a model of its own, marked as it sounds.
            credit: loam::data::credit::Credit::from_bit(900 + slot),
        };
        assert!(messages.push(attach).is_ok());
    }
    let mut buf = vec![0.0f32; 2 * 5_000];
    let mut returned = 0;
    for round in 0..200usize {
        if round % 10 == 3 {
            let gain = ModelMsg::Gain {
                slot: round % MODEL_SLOTS,
                gain: 0.25,
                pan: -0.5,
            };
            assert!(messages.push(gain).is_ok());
        }
        if round == 50 {
            let over = ModelMsg::Attach {
                slot: 2,
                output: filled_stream(1, 48_000, 0.01, Arc::default()),
                gain: 1.0,
                pan: 0.5,
                credit: loam::data::credit::Credit::NONE,
            };
            let nowhere = ModelMsg::Attach {
                slot: MODEL_SLOTS,
                output: filled_stream(1, 64, 0.01, Arc::default()),
                gain: 1.0,
                pan: 0.0,
                credit: loam::data::credit::Credit::NONE,
            };
            assert!(messages.push(over).is_ok() && messages.push(nowhere).is_ok());
        }
        if round == 60 {
            for slot in [0, 1, 3] {
                assert!(messages.push(ModelMsg::Detach(slot)).is_ok());
            }
        }
        // One block longer than a slot renders at a time (4,096 frames).
        let frames = if round == 100 { 5_000 } else { 64 };
        let block = &mut buf[..2 * frames];
        block.fill(0.0);
        assert_no_alloc(|| slots.process(block, &mut faults, &status.sounded));
        assert!(block.iter().all(|x| x.is_finite()));
        // Streams that left are dropped here, on this (control) side,
        // only every fifth block, so the return ring fills.
        if round % 5 == 0 {
            while let Ok(stream) = returns.pop() {
                drop(stream);
                returned += 1;
            }
        }
    }
    assert!(
        buf[..128].iter().any(|x| *x != 0.0),
        "the slots were silent"
    );
    // Over slot 2, to no slot, and three detached.
    assert_eq!(returned, 5);
    assert!(short.underruns.load(Ordering::Relaxed) > 0);
    assert!(short.missed_frames.load(Ordering::Relaxed) > 0);
    assert_eq!(EngineStatus::get(&status.muted_sources), 0);
    // Every slot sounded (the marks cost the audio thread no allocation);
    // no other credit was marked.
    let marked: Vec<usize> = status
        .sounded
        .sounded()
        .iter()
        .filter_map(|c| c.bit())
        .collect();
    assert_eq!(marked, (900..900 + MODEL_SLOTS).collect::<Vec<_>>());
}

/// A recording's tap never allocates: the real one from `Recorder::start`
/// while its writer thread drains it to a WAV file (every frame arrives),
/// and one whose ring is full (frames dropped and counted, never waited for).
#[test]
fn a_record_tap_never_allocates() {
    use loam::audio::{EngineStatus, RecordTap};
    use loam::output::Recorder;

    let dir = std::env::temp_dir().join(format!("loam-no-alloc-tap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tap.wav");
    let status = Arc::new(EngineStatus::default());
    let (recorder, mut tap) = Recorder::start(&path, 48_000, status.clone()).unwrap();
    let block: Vec<f32> = (0..128).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    // 2,000 blocks of 64 frames: under the ring's eight seconds.
    for _ in 0..2_000 {
        assert_no_alloc(|| tap.write(&block));
    }
    drop(tap);
    let written = recorder.finish().unwrap();
    let frames = hound::WavReader::open(&written).unwrap().duration();
    assert_eq!(frames, 2_000 * 64);
    assert_eq!(EngineStatus::get(&status.recorder_dropped), 0);

    // A ring with room for two blocks: the next two are dropped, counted.
    let (ring, _writer_side) = rtrb::RingBuffer::new(256);
    let mut full = RecordTap::new(ring, status.clone());
    for _ in 0..4 {
        assert_no_alloc(|| full.write(&block));
    }
    assert_eq!(EngineStatus::get(&status.recorder_dropped), 2 * 64);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The null sink's real callback (engine, model slot and recording tap)
/// runs under the check: an allocation or free there would end this test
/// process. Half a second of 64-frame blocks with events arriving from this
/// thread, scheduled and direct, and a model stream attached.
#[cfg(feature = "check-no-alloc")]
#[test]
fn the_null_sink_callback_runs_checked() {
    use loam::audio::model_slots::ModelMsg;
    use loam::output::{NullSink, Recorder};
    use std::time::{Duration, Instant};

    let dir = std::env::temp_dir().join(format!("loam-no-alloc-sink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (engine, mut handle) = Engine::new(&EngineConfig::new(48_000));
    let status = handle.status.clone();
    let stream = filled_stream(1, 48_000, 0.05, Arc::default());
    let attach = ModelMsg::Attach {
        slot: 0,
        output: stream,
        gain: 1.0,
        pan: 0.0,
        credit: loam::data::credit::Credit::NONE,
    };
    assert!(handle.model(attach).is_ok());
    let (recorder, tap) = Recorder::start(&dir.join("sink.wav"), 48_000, status.clone()).unwrap();
    let sink = NullSink::start(engine, 48_000, 64, Some(tap), status.clone());
    let bank = SoundBank::with_drum_kit(48_000);
    let rim = bank.get("rim", 0).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sent = 0u64;
    while status.frames() < 24_000 {
        assert!(Instant::now() < deadline, "the null sink did not play");
        let ahead = status.frames() + 2_048;
        if handle.send(SoundEvent::new(ahead, Arc::clone(rim))).is_ok() {
            sent += 1;
        }
        let _ = handle.send_direct(SoundEvent::new(ahead + 7, Arc::clone(rim)));
        handle.collect_garbage();
        std::thread::sleep(Duration::from_millis(2));
    }
    sink.stop();
    let written = recorder.finish().unwrap();
    assert!(hound::WavReader::open(&written).unwrap().duration() >= 24_000);
    assert!(sent > 10, "{sent}");
    handle.collect_garbage();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Set in the child process of `an_allocation_inside_the_callback_check_aborts`.
#[cfg(feature = "check-no-alloc")]
const ALLOCATING_CHILD: &str = "LOAM_NO_ALLOC_CHILD";

/// With `check-no-alloc`, an allocation inside the check the real
/// callbacks run in ends the process, saying so (run in a child process,
/// since the abort takes the whole test binary with it). Without the check
/// working, the child allocates, exits 0, and this fails.
#[cfg(feature = "check-no-alloc")]
#[test]
fn an_allocation_inside_the_callback_check_aborts() {
    // The child's name in the one test binary: its module path without the
    // crate's name.
    let child = format!(
        "{}::allocating_inside_the_callback_check",
        module_path!().split_once("::").map_or("", |(_, m)| m)
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", child.as_str(), "--nocapture"])
        .env(ALLOCATING_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("running 1 test"),
        "the child ran no test:\n{stdout}\n{stderr}"
    );
    assert!(
        !out.status.success(),
        "an allocation inside the check went unnoticed:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("memory allocation of 4096 bytes failed"),
        "{:?}\n{stdout}\n{stderr}",
        out.status
    );
}

/// The child of `an_allocation_inside_the_callback_check_aborts`: allocates
/// inside the callback's check. Does nothing unless run by that test.
#[cfg(feature = "check-no-alloc")]
#[test]
#[ignore = "run in a child process by an_allocation_inside_the_callback_check_aborts"]
fn allocating_inside_the_callback_check() {
    if std::env::var_os(ALLOCATING_CHILD).is_none() {
        return;
    }
    let block = loam::audio::no_alloc::check(|| vec![0u8; 4096]);
    std::hint::black_box(block);
}
