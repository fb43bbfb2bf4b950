//! Ableton Link on the control thread: loam shares tempo, bar lines and
//! start/stop with other Link peers (Live, Bitwig, Max, SuperCollider,
//! Strudel, other loams) on the machine's network.
//!
//! Link itself (the `rusty_link` crate over Ableton's C++ library) is
//! GPL-2.0-or-later and comes only with the off-by-default `link` feature;
//! [`grid`] (where bars go on a Link timeline) and [`request`] (what a
//! performer asks) are loam's own and built always, so a build without
//! Link answers `link(true)` with a clear error.
//!
//! The Link query runs in the control thread's step (every 2 ms at most),
//! never in the audio callback; it reads Link's session state (a copy
//! under Link's own short lock) and never waits on the network.

pub mod grid;
pub mod request;

#[cfg(not(feature = "link"))]
pub mod absent;
#[cfg(feature = "link")]
pub mod clock;
#[cfg(feature = "link")]
pub mod desk;

#[cfg(not(feature = "link"))]
pub use absent::LinkDesk;
#[cfg(feature = "link")]
pub use desk::LinkDesk;
pub use request::{LinkReport, LinkRequest, LinkRequestError};

/// Whether this build has Ableton Link (the `link` feature, GPL-2.0-or-later).
pub const BUILT_WITH_LINK: bool = cfg!(feature = "link");
