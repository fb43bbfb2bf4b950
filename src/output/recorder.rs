//! Recording what is played, from any output, without touching the disk on
//! the audio thread: the callback pushes frames into a ring ([`RecordTap`],
//! in `audio/record_tap.rs` with the audio thread's other parts), a writer
//! thread (here) drains it into an [`AtomicWav`]. Stopping (including on
//! Ctrl-C or SIGTERM) drains the ring and finalises the file.
//!
//! A write that fails (a full disk, a removed drive) is told at once, from
//! the writer thread ([`Recorder::on_failure`], or the terminal), the music
//! goes on, and every frame from then on is counted as lost in
//! `recorder_dropped` (the writer keeps draining the ring so the audio side
//! never notices). What was written before the failure stays in `NAME.part`.
//!
//! A finished recording carries its credits ([`super::credits`]): in its
//! INFO chunk and in `NAME.credits.toml` beside it, written by the same
//! finish, so a recording stopped by a signal has them too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rtrb::{Consumer, Producer, RingBuffer};

use super::credits::Credits;
use super::record_target::{check_target, Sources};
use super::wav_file::AtomicWav;
use crate::audio::{EngineStatus, RecordTap};
use crate::data::credit::PlayedScripts;

/// Who hears about a failed write (set once the control side exists), and
/// a failure that came before anyone was listening.
#[derive(Default)]
struct Reporting {
    tell: Option<Box<dyn Fn(String) + Send>>,
    pending: Option<String>,
}

type FailureReport = Arc<Mutex<Reporting>>;

/// The scripts a recording credits (set once the performance exists).
type ScriptsToCredit = Arc<Mutex<Option<Arc<PlayedScripts>>>>;

/// The control side of a recording.
pub struct Recorder {
    scripts: ScriptsToCredit,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<PathBuf, super::RecordError>>>,
    on_failure: FailureReport,
}

impl Recorder {
    /// Starts a writer thread for `path` and returns it with the tap for the audio side.
    pub fn start(
        path: &Path,
        sample_rate: u32,
        status: Arc<EngineStatus>,
    ) -> Result<(Recorder, RecordTap), super::RecordError> {
        let wav = AtomicWav::create(path, sample_rate)?;
        // Eight seconds of stereo: far more than the writer ever falls behind.
        let (tx, rx): (Producer<f32>, Consumer<f32>) =
            RingBuffer::new(sample_rate as usize * 2 * 8);
        let stop = Arc::new(AtomicBool::new(false));
        let on_failure: FailureReport = Arc::default();
        let scripts: ScriptsToCredit = Arc::default();
        let writer = Writer {
            scripts: scripts.clone(),
            wav: Some(wav),
            ring: rx,
            stop: stop.clone(),
            on_failure: on_failure.clone(),
            status: status.clone(),
            sample_rate,
            target: path.to_path_buf(),
        };
        let thread = std::thread::Builder::new()
            .name("loam-recorder".into())
            .spawn(move || writer.run())
            .map_err(super::RecordError::Thread)?;
        Ok((
            Recorder {
                scripts,
                stop,
                thread: Some(thread),
                on_failure,
            },
            RecordTap::new(tx, status),
        ))
    }

    /// [`Recorder::start`] after refusing a `path` the performance reads
    /// or that cannot be a WAV file ([`check_target`]), before anything is
    /// created.
    pub fn start_checked(
        path: &Path,
        sources: &Sources,
        sample_rate: u32,
        status: Arc<EngineStatus>,
    ) -> Result<(Recorder, RecordTap), super::RecordError> {
        check_target(path, sources)?;
        Recorder::start(path, sample_rate, status)
    }

    /// The scripts the performance plays, credited when the recording
    /// finishes (without it, its credits name no script).
    pub fn credit_scripts(&self, played: Arc<PlayedScripts>) {
        *self.scripts.lock().unwrap_or_else(|e| e.into_inner()) = Some(played);
    }

    /// Who to tell when a write fails (the control thread, which tells the
    /// terminal and OSC subscribers). A failure that came before this was
    /// set is told now. (Without it, the failure is told when the recording
    /// is finished.)
    pub fn on_failure(&self, tell: impl Fn(String) + Send + 'static) {
        let mut r = self.on_failure.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(message) = r.pending.take() {
            tell(message);
        }
        r.tell = Some(Box::new(tell));
    }

    /// Drains what is left and finalises the file. Call after the audio has stopped.
    pub fn finish(mut self) -> Result<PathBuf, super::RecordError> {
        self.stop.store(true, Ordering::Release);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(super::RecordError::Panicked),
            None => Err(super::RecordError::Finished),
        }
    }
}

/// The writer thread's state.
struct Writer {
    scripts: ScriptsToCredit,
    /// `None` once a write failed: the rest is counted, not written.
    wav: Option<AtomicWav>,
    ring: Consumer<f32>,
    stop: Arc<AtomicBool>,
    on_failure: FailureReport,
    status: Arc<EngineStatus>,
    sample_rate: u32,
    target: PathBuf,
}

impl Writer {
    fn run(mut self) -> Result<PathBuf, super::RecordError> {
        use super::error::{RecordError, WriteFailure};
        let mut buf = Vec::with_capacity(8192);
        let mut since_flush = 0usize;
        let mut written: u64 = 0;
        let mut failure: Option<WriteFailure> = None;
        loop {
            let stopping = self.stop.load(Ordering::Acquire);
            buf.clear();
            // Whole frames only: the tap may be mid-frame right now.
            while self.ring.slots() >= 2 && buf.len() < 8192 {
                match (self.ring.pop(), self.ring.pop()) {
                    (Ok(l), Ok(r)) => {
                        buf.push(l);
                        buf.push(r);
                    }
                    _ => break,
                }
            }
            if !buf.is_empty() {
                let frames = (buf.len() / 2) as u64;
                let Some(wav) = self.wav.as_mut() else {
                    self.lose(frames);
                    continue;
                };
                let mut result = wav.write(&buf);
                since_flush += buf.len();
                if result.is_ok() && since_flush > self.sample_rate as usize * 2 {
                    result = wav.flush();
                    since_flush = 0;
                }
                match result {
                    Ok(()) => written += frames,
                    Err(error) => {
                        self.lose(frames);
                        let told = WriteFailure {
                            target: self.target.clone(),
                            after: written as f64 / f64::from(self.sample_rate),
                            error,
                        };
                        self.tell(told.to_string());
                        failure = Some(told);
                        // NOTE: dropping the writer tries once more to
                        // complete the header of what was written; its
                        // errors have nowhere to go.
                        self.wav = None;
                    }
                }
                continue;
            }
            if stopping {
                return match (self.wav.take(), failure) {
                    (Some(wav), _) => self.finish_with_credits(wav),
                    (None, Some(failure)) => Err(RecordError::Failed {
                        failure,
                        lost: EngineStatus::get(&self.status.recorder_dropped) as f64
                            / f64::from(self.sample_rate),
                    }),
                    (None, None) => Err(RecordError::NotWritten),
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Completes the file with its credits in its INFO chunk, then writes
    /// the credits file beside it (both atomically). The audio has stopped,
    /// so every source that sounded is marked.
    fn finish_with_credits(&self, wav: AtomicWav) -> Result<PathBuf, super::RecordError> {
        let played = self
            .scripts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        let credits = Credits::gather(&self.target, &self.status.sounded, &played);
        let path = wav.finish_with_chunk(&credits.info_chunk())?;
        credits
            .write_beside(&path)
            .map_err(|e| super::RecordError::Credits(path.clone(), e))?;
        Ok(path)
    }

    fn lose(&self, frames: u64) {
        self.status
            .recorder_dropped
            .fetch_add(frames, Ordering::Relaxed);
    }

    fn tell(&self, message: String) {
        let mut r = self.on_failure.lock().unwrap_or_else(|e| e.into_inner());
        match &r.tell {
            Some(tell) => tell(message),
            None => r.pending = Some(message),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `frames` frames (a multiple of 250) through the tap in
    /// 250-frame blocks, as an audio callback would.
    fn play(tap: &mut RecordTap, frames: usize) {
        let block = vec![0.25f32; 500];
        for _ in 0..frames / 250 {
            tap.write(&block);
        }
    }

    #[test]
    fn a_full_disk_is_told_at_once_and_every_lost_frame_is_counted() {
        // /dev/full answers every write with ENOSPC, as a full disk does;
        // the recording's `.part` file is a link to it.
        if !Path::new("/dev/full").exists() {
            eprintln!("SKIP: no /dev/full on this system");
            return;
        }
        let dir = std::env::temp_dir().join(format!("loam-recorder-full-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("take.wav");
        std::os::unix::fs::symlink("/dev/full", dir.join("take.wav.part")).unwrap();
        let status = Arc::new(EngineStatus::default());
        let (recorder, mut tap) = Recorder::start(&target, 48_000, status.clone()).unwrap();
        let (tx, told) = crossbeam_channel::bounded(8);
        recorder.on_failure(move |m| {
            let _ = tx.send(m);
        });
        play(&mut tap, 48_000);
        // Told while playing, not at the stop.
        let message = told
            .recv_timeout(Duration::from_secs(30))
            .expect("the failure was not told while recording");
        assert!(message.contains("take.wav"), "{message}");
        assert!(message.contains("No space left on device"), "{message}");
        assert!(message.contains("the music goes on"), "{message}");
        // The writer keeps draining: the tap never finds its ring full.
        play(&mut tap, 2 * 48_000);
        let end = recorder.finish().unwrap_err().to_string();
        assert!(end.contains("3.0 s lost"), "{end}");
        // Nothing reached the disk: every frame played is counted as lost.
        assert_eq!(EngineStatus::get(&status.recorder_dropped), 3 * 48_000);
        assert!(told.try_recv().is_err(), "told more than once");
        assert!(!target.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_recording_that_fits_is_whole_and_loses_nothing() {
        let dir = std::env::temp_dir().join(format!("loam-recorder-ok-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("take.wav");
        let status = Arc::new(EngineStatus::default());
        let (recorder, mut tap) = Recorder::start(&target, 48_000, status.clone()).unwrap();
        play(&mut tap, 48_000);
        assert_eq!(recorder.finish().unwrap(), target);
        assert_eq!(EngineStatus::get(&status.recorder_dropped), 0);
        let frames = hound::WavReader::open(&target).unwrap().duration();
        assert_eq!(frames, 48_000);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
