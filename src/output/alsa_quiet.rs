//! Keeps alsa-lib from printing to the performer's terminal.
//!
//! When cpal looks for a device on a machine with no sound card, alsa-lib's
//! default error handler prints a screenful of `ALSA lib confmisc.c:…`
//! lines before loam can say, in its own words, that it plays on the null
//! sink instead. cpal already reports each failure as an error value, which
//! loam words for the performer; the library's own lines add nothing.

#[cfg(target_os = "linux")]
mod ffi {
    use std::ffi::{c_char, c_int};

    /// alsa-lib's `snd_lib_error_handler_t`, without its trailing `...`.
    // NOTE: stable Rust cannot define a variadic function. The handler only
    // reads nothing, and on Linux's C calling conventions (x86-64, AArch64,
    // ARM, RISC-V) a function taking the fixed arguments may be called as a
    // variadic one: the extra arguments are simply never read.
    pub type Handler = unsafe extern "C" fn(
        file: *const c_char,
        line: c_int,
        function: *const c_char,
        err: c_int,
        fmt: *const c_char,
    );

    // libasound is linked already: cpal's ALSA host (alsa-sys) needs it.
    #[link(name = "asound")]
    unsafe extern "C" {
        pub fn snd_lib_error_set_handler(handler: Option<Handler>) -> c_int;
    }

    /// Drops the message.
    pub unsafe extern "C" fn ignore(
        _file: *const c_char,
        _line: c_int,
        _function: *const c_char,
        _err: c_int,
        _fmt: *const c_char,
    ) {
    }
}

/// Replaces alsa-lib's error printer with one that prints nothing; call it
/// before cpal touches ALSA. Safe to call more than once.
#[cfg(target_os = "linux")]
pub fn silence() {
    // SAFETY: the handler is a plain function with no state that lives for
    // the whole program; alsa-lib only stores the pointer.
    unsafe {
        ffi::snd_lib_error_set_handler(Some(ffi::ignore));
    }
}

/// Nothing to silence where cpal does not use ALSA.
#[cfg(not(target_os = "linux"))]
pub fn silence() {}
