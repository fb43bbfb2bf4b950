//! Waiting for a state, never for a fixed time.

use std::time::{Duration, Instant};

/// How often [`eventually`] looks again.
pub const POLL: Duration = Duration::from_millis(20);

/// Waits until `f` holds (asking every [`POLL`]), up to `timeout`; whether
/// it held. `f` is asked once more at the deadline.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(POLL);
    }
    f()
}
