//! A MIDI port thread's life, the same for input and output: started with
//! its port open (or waited for), its news passed on to the control thread,
//! stopped (its port closed) by [`PortThread::stop`] or when dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{bounded, Sender};

use super::backend::{Backend, Direction};
use super::counters::MidiCounters;
use super::error::MidiError;
use super::ports::PortSpec;
use super::watcher::{PortNews, PortWatcher};
use super::MidiCommand;
use crate::control::Command;

/// A running port thread.
pub struct PortThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    /// The port connected first (or the virtual port's full name).
    pub port: Option<String>,
}

/// Starts the `direction` port thread: it makes its backend with `make`,
/// opens what `spec` asks for, and this returns once it has said whether
/// that worked (`Err` when the MIDI system cannot be reached or a virtual
/// port cannot be made). The thread then passes on what the opening found
/// and runs `body` with the watcher until `stop` is set.
pub fn start<B, M, F>(
    direction: Direction,
    make: M,
    spec: PortSpec,
    commands: Sender<Command>,
    counters: Arc<MidiCounters>,
    body: F,
) -> Result<PortThread, MidiError>
where
    B: Backend,
    M: FnOnce() -> B + Send + 'static,
    F: FnOnce(PortWatcher<B>, &Sender<Command>, &AtomicBool) + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = bounded::<Result<Option<String>, MidiError>>(1);
    let s = stop.clone();
    let name = match direction {
        Direction::Input => "loam-midi-in",
        Direction::Output => "loam-midi-out",
    };
    let handle = std::thread::Builder::new()
        .name(name.into())
        .spawn(
            move || match PortWatcher::open(make(), &spec, counters, Instant::now()) {
                Ok((watcher, news)) => {
                    let _ = ready_tx.send(Ok(watcher.name().map(String::from)));
                    announce(&commands, news);
                    body(watcher, &commands, &s);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            },
        )
        .map_err(|e| MidiError::ThreadStart {
            direction,
            detail: e.to_string(),
        })?;
    match ready_rx.recv() {
        Ok(Ok(port)) => Ok(PortThread {
            stop,
            handle: Some(handle),
            port,
        }),
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => Err(MidiError::ThreadEnded { direction }),
    }
}

/// Passes news about a port on to the control thread, which says it.
pub fn announce(commands: &Sender<Command>, news: Vec<PortNews>) {
    for n in news {
        let _ = commands.try_send(Command::Midi {
            command: MidiCommand::Say {
                text: n.to_string(),
                error: n.is_error(),
            },
            reply: None,
        });
    }
}

impl PortThread {
    /// Stops the thread and waits for it (an output thread sends what still
    /// ends sound first).
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for PortThread {
    fn drop(&mut self) {
        self.finish();
    }
}
