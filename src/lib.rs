pub mod pattern;
pub mod sound;
pub mod time;
