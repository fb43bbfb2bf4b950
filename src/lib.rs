pub mod audio;
pub mod output;
pub mod pattern;
pub mod schedule;
pub mod script;
pub mod session;
pub mod sound;
pub mod time;
