//! Recording what is played, from any output, without touching the disk on
//! the audio thread: the callback pushes frames into a ring ([`RecordTap`]),
//! a writer thread drains it into an [`AtomicWav`]. Stopping (including on
//! Ctrl-C or SIGTERM) drains the ring and finalises the file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rtrb::{Consumer, Producer, RingBuffer};

use super::wav_file::AtomicWav;
use crate::audio::EngineStatus;

/// The audio side of a recording.
pub struct RecordTap {
    ring: Producer<f32>,
    status: Arc<EngineStatus>,
}

impl RecordTap {
    /// Pushes interleaved stereo samples. Audio thread: never blocks; frames
    /// that do not fit are counted in `recorder_dropped`.
    pub fn write(&mut self, samples: &[f32]) {
        if self.ring.slots() < samples.len() {
            self.status
                .recorder_dropped
                .fetch_add((samples.len() / 2) as u64, Ordering::Relaxed);
            return;
        }
        for &s in samples {
            let _ = self.ring.push(s);
        }
    }
}

/// The control side of a recording.
pub struct Recorder {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<PathBuf, String>>>,
}

impl Recorder {
    /// Starts a writer thread for `path` and returns it with the tap for the audio side.
    pub fn start(
        path: &Path,
        sample_rate: u32,
        status: Arc<EngineStatus>,
    ) -> Result<(Recorder, RecordTap), String> {
        let mut wav = AtomicWav::create(path, sample_rate)?;
        // Eight seconds of stereo: far more than the writer ever falls behind.
        let (tx, mut rx): (Producer<f32>, Consumer<f32>) =
            RingBuffer::new(sample_rate as usize * 2 * 8);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("loam-recorder".into())
            .spawn(move || {
                let mut buf = Vec::with_capacity(8192);
                let mut since_flush = 0usize;
                loop {
                    let stopping = stop2.load(Ordering::Acquire);
                    buf.clear();
                    // Whole frames only: the tap may be mid-frame right now.
                    while rx.slots() >= 2 && buf.len() < 8192 {
                        match (rx.pop(), rx.pop()) {
                            (Ok(l), Ok(r)) => {
                                buf.push(l);
                                buf.push(r);
                            }
                            _ => break,
                        }
                    }
                    if !buf.is_empty() {
                        wav.write(&buf)?;
                        since_flush += buf.len();
                        if since_flush > sample_rate as usize * 2 {
                            wav.flush()?;
                            since_flush = 0;
                        }
                        continue;
                    }
                    if stopping {
                        return wav.finish();
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
            .map_err(|e| format!("cannot start the recorder thread: {e}"))?;
        Ok((
            Recorder {
                stop,
                thread: Some(thread),
            },
            RecordTap { ring: tx, status },
        ))
    }

    /// Drains what is left and finalises the file. Call after the audio has stopped.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.stop.store(true, Ordering::Release);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err("the recorder thread panicked".into()),
            None => Err("the recorder was already finished".into()),
        }
    }
}

impl Drop for Recorder {
    /// A recorder dropped without `finish` still completes its file.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
