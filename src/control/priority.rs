//! Thread priority for the threads that keep time but are not real-time:
//! the control thread (it computes clock pulses and loop events a lookahead
//! ahead, and steers the tempo when following a clock) and the MIDI input
//! thread. Under other programs' load an ordinary thread can be held off
//! the CPU for longer than the lookahead; nice −10 gives it about nine times
//! an ordinary thread's share without the risks of real-time scheduling
//! (a script that runs long cannot lock the machine).

/// The nice value asked for.
pub const TIMEKEEPER_NICE: i32 = -10;

/// Raises the calling thread to [`TIMEKEEPER_NICE`] where allowed (root, or
/// `CAP_SYS_NICE`, or an `RLIMIT_NICE` that permits it); otherwise leaves it
/// as it is. Returns whether it took. Threads it starts later inherit it;
/// training threads lower themselves again.
pub fn raise_for_timing() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority takes plain integers; with `who` 0 on Linux
        // it changes only the calling thread's nice value.
        unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, TIMEKEEPER_NICE) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}
