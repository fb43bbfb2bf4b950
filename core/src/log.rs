//! loam's words to the performer, and printing that never ends a
//! performance.
//!
//! `eprintln!` and `println!` panic when the stream is gone (`loam serve … |
//! head -n 2` once `head` has read its lines, a closed terminal, a full
//! disk): one message would stop the music. [`say!`](crate::say) writes a
//! line to standard error and [`show!`](crate::show) a line to standard
//! output; both drop the line when it cannot be written and carry on.
//! Neither is for the audio thread, which never prints.

use std::fmt::Arguments;
use std::io::Write;

/// Writes one line to standard error; a failed write is ignored.
pub fn say(line: Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Writes one line to standard output; a failed write is ignored.
pub fn show(line: Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `say!("loam: {x}")`: like `eprintln!`, but a closed or broken standard
/// error never panics (the line is dropped and the music keeps playing).
#[macro_export]
macro_rules! say {
    () => {
        $crate::log::say(::std::format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::log::say(::std::format_args!($($arg)*))
    };
}

/// `show!("{x}")`: like `println!`, but a closed or broken standard output
/// (a listing piped into `head`) never panics.
#[macro_export]
macro_rules! show {
    () => {
        $crate::log::show(::std::format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::log::show(::std::format_args!($($arg)*))
    };
}
