//! The OSC server's sending threads (the replier, the notifier): each takes
//! items from a channel and sends them, until the server stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

/// How often a sending thread with nothing to send looks whether the server stops.
pub const STOP_CHECK: Duration = Duration::from_millis(100);

/// Starts thread `name`, which hands each item from `from` to `send`, in
/// order, until `stop` is set or every sender is gone.
pub fn spawn_sending_thread<T: Send + 'static>(
    name: &str,
    from: Receiver<T>,
    stop: Arc<AtomicBool>,
    mut send: impl FnMut(T) + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            while !stop.load(Ordering::Acquire) {
                match from.recv_timeout(STOP_CHECK) {
                    Ok(item) => send(item),
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })
}
