//! A sink that keeps real time like a device, for machines with no sound
//! card: a thread renders a block, hands it to the recorder if any, and
//! sleeps until that block's time has passed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::audio::{no_alloc, Engine, RecordTap};
use crate::time::wallclock::{self, ClockStamp, Frame, Nanos};

/// A running null sink.
pub struct NullSink {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NullSink {
    /// Starts pacing `engine` in blocks of `block` frames.
    pub fn start(
        mut engine: Engine,
        sample_rate: u32,
        block: usize,
        mut tap: Option<RecordTap>,
        status: Arc<crate::audio::EngineStatus>,
    ) -> NullSink {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("loam-null-sink".into())
            .spawn(move || {
                let mut buf = vec![0.0f32; block.max(1) * 2];
                let started = Instant::now();
                let mut frames: u64 = 0;
                let origin = wallclock::instant_nanos(started).get();
                while !stop2.load(Ordering::Acquire) {
                    // The block's ideal start time: the null sink's clock is exact.
                    let at = origin + (frames as u128 * 1_000_000_000 / sample_rate as u128) as u64;
                    // The block is the audio callback's work: no allocation,
                    // locks, prints or waits (checked with `check-no-alloc`).
                    no_alloc::check(|| {
                        status.stamp_clock(ClockStamp {
                            frame: Frame(frames),
                            nanos: Nanos(at),
                        });
                        engine.process(&mut buf);
                        if let Some(t) = tap.as_mut() {
                            t.write(&buf);
                        }
                    });
                    frames += block as u64;
                    let due = started + Duration::from_secs_f64(frames as f64 / sample_rate as f64);
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                }
            })
            .ok();
        NullSink { stop, thread }
    }

    /// Stops pacing and waits for the thread to end.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
