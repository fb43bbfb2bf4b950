//! Tests that measure time run alone: [`alone`] waits until no other test
//! runs a `loam` child, a render or a JACK server, and keeps others from
//! starting one until it is dropped.
//!
//! Every test is a thread of one process (`tests/it/main.rs`), two at a time
//! by default. Those that measure timing (MIDI clock stretch, onsets on the
//! exact JACK frame, a bundle within 1 ms, an hour of bars) hold
//! [`alone`] for their whole run; the support helpers that start heavy work
//! ([`super::process::spawn`], [`super::render()`]) take a [`Shared`] turn,
//! so they wait while a timing test runs and it waits for them.
//!
//! A test that holds [`alone`] may start servers and renders itself (its own
//! thread's turns are free). Waiting tests are woken in turn; a waiting
//! [`alone`] keeps new shared turns back, so it is never starved.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;

#[derive(Default)]
struct Turns {
    /// The thread running alone, and how many [`Alone`]s it holds.
    alone: Option<(ThreadId, usize)>,
    /// Threads with shared turns, and how many [`Shared`]s each holds.
    shared: HashMap<ThreadId, usize>,
    /// Threads waiting to run alone.
    waiting_alone: usize,
}

static TURNS: Mutex<Option<Turns>> = Mutex::new(None);
static CHANGED: Condvar = Condvar::new();

/// The turns, recovered when a test panicked while holding the lock (the
/// state is updated in single steps, so it is whole).
fn turns() -> MutexGuard<'static, Option<Turns>> {
    TURNS.lock().unwrap_or_else(|p| p.into_inner())
}

/// This test runs alone until the value is dropped.
#[must_use = "the test runs alone only while this is held"]
pub struct Alone(ThreadId);

/// A turn beside other tests (none of them running alone).
#[must_use = "the turn lasts only while this is held"]
pub struct Shared(Option<ThreadId>);

/// Waits until no other test holds a turn, then runs alone.
pub fn alone() -> Alone {
    let me = std::thread::current().id();
    let mut guard = turns();
    let t = guard.get_or_insert_with(Turns::default);
    if let Some((holder, n)) = &mut t.alone {
        if *holder == me {
            *n += 1;
            return Alone(me);
        }
    }
    assert!(
        !t.shared.contains_key(&me),
        "take alone() before starting a server or render in this test"
    );
    t.waiting_alone += 1;
    loop {
        let t = guard.as_mut().expect("turns");
        if t.alone.is_none() && t.shared.is_empty() {
            t.waiting_alone -= 1;
            t.alone = Some((me, 1));
            return Alone(me);
        }
        guard = CHANGED.wait(guard).unwrap_or_else(|p| p.into_inner());
    }
}

/// A shared turn: waits while another test runs (or waits to run) alone.
/// Free inside a test that runs alone, and for a test that has one already.
pub fn shared() -> Shared {
    let me = std::thread::current().id();
    let mut guard = turns();
    loop {
        let t = guard.get_or_insert_with(Turns::default);
        if matches!(t.alone, Some((holder, _)) if holder == me) {
            return Shared(None);
        }
        if let Some(n) = t.shared.get_mut(&me) {
            *n += 1;
            return Shared(Some(me));
        }
        if t.alone.is_none() && t.waiting_alone == 0 {
            t.shared.insert(me, 1);
            return Shared(Some(me));
        }
        guard = CHANGED.wait(guard).unwrap_or_else(|p| p.into_inner());
    }
}

impl Drop for Alone {
    fn drop(&mut self) {
        let mut guard = turns();
        if let Some(t) = guard.as_mut() {
            if let Some((holder, n)) = &mut t.alone {
                if *holder == self.0 {
                    *n -= 1;
                    if *n == 0 {
                        t.alone = None;
                    }
                }
            }
        }
        CHANGED.notify_all();
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let Some(me) = self.0 else { return };
        let mut guard = turns();
        if let Some(t) = guard.as_mut() {
            if let Some(n) = t.shared.get_mut(&me) {
                *n -= 1;
                if *n == 0 {
                    t.shared.remove(&me);
                }
            }
        }
        CHANGED.notify_all();
    }
}
