//! The global allocator for builds that check the audio callback
//! (`check-no-alloc`, and the integration-test binary): assert_no_alloc's
//! `AllocDisabler`, plus a `realloc` of the system's own.
//!
//! `AllocDisabler` implements only `alloc` and `dealloc`, so Rust's default
//! `realloc` (allocate, copy, free) serves every growth. A string that
//! grows a character at a time then costs its whole length on each step:
//! rhai's `"x".pad(1000000, "y")` took over 10 s instead of milliseconds,
//! and a `loam serve` under test no longer cut slow script code off at its
//! 2 s limit in time to answer. Here growth goes to the system allocator
//! (which extends in place or remaps), after the same check.
//!
//! Not on any performance build: the `loam` binary installs it only with
//! the `check-no-alloc` feature (see [`super::no_alloc`]).

use std::alloc::{GlobalAlloc, Layout, System};

use assert_no_alloc::AllocDisabler;

/// assert_no_alloc's checking allocator with an in-place `realloc`. Inside
/// `assert_no_alloc(…)` (the checked audio callback) any allocation, free
/// or growth aborts the process (debug builds: assert_no_alloc's rule);
/// elsewhere it is the system allocator.
pub struct CheckedAllocator;

/// A one-byte layout, to put a growth through the disabler's check.
const PROBE: Layout = match Layout::from_size_align(1, 1) {
    Ok(layout) => layout,
    Err(_) => panic!("a one-byte layout is always valid"),
};

// SAFETY: every call forwards to an allocator that upholds GlobalAlloc's
// contract (`AllocDisabler` forwards to `System`; `realloc` goes to `System`
// directly with the caller's pointer, which `System` allocated, since
// `AllocDisabler::alloc` is `System::alloc`).
unsafe impl GlobalAlloc for CheckedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, as GlobalAlloc requires.
        unsafe { AllocDisabler.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { AllocDisabler.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The disabler's check, as an allocation and a free of one byte:
        // inside the checked callback this aborts like any allocation.
        // SAFETY: PROBE is a valid non-zero layout; the byte is freed with it.
        unsafe {
            let probe = AllocDisabler.alloc(PROBE);
            if !probe.is_null() {
                AllocDisabler.dealloc(probe, PROBE);
            }
            System.realloc(ptr, layout, new_size)
        }
    }
}
