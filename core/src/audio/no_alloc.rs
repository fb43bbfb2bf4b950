//! The check that the real audio callback never allocates or frees, for
//! test builds: with the `check-no-alloc` cargo feature, [`check`] runs the
//! callback's work inside `assert_no_alloc`, and the `loam` binary installs
//! assert_no_alloc's allocator, so an allocation or a free there ends the
//! process at once ("memory allocation of N bytes failed") instead of
//! passing unnoticed. Without the feature (every performance), [`check`]
//! only calls the work.
//!
//! Both real callbacks go through it: cpal's (`output/device.rs`) and the
//! null sink's (`output/null_sink.rs`). The check is active in debug builds
//! only (assert_no_alloc's own rule); `tools/test` builds and runs the
//! test suite, including every test that starts `loam serve`, with it on.
//!
//! NOTE: kira and nih-plug do the same: the allocator lives in the binary
//! (or the test harness), never in the library, so a program that links
//! loam keeps its own.

/// Runs one audio callback's work (audio thread). With `check-no-alloc`,
/// an allocation or free inside `work` aborts the process, where the
/// program's global allocator is assert_no_alloc's (the `loam` binary
/// built with the feature, or a test harness that installs it).
#[inline]
pub fn check<T>(work: impl FnOnce() -> T) -> T {
    #[cfg(feature = "check-no-alloc")]
    {
        assert_no_alloc::assert_no_alloc(work)
    }
    #[cfg(not(feature = "check-no-alloc"))]
    {
        work()
    }
}
