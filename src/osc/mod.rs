//! OSC over UDP: SuperCollider, Max, Pure Data and any other OSC client
//! steer loam with the address space documented in the README ("## OSC").
//!
//! Four threads, none of them real-time, none waiting on the engine:
//!
//! - the **reader** ([`server`]) only moves datagrams from a socket with a
//!   large receive buffer into a queue, so bursts are never lost while a
//!   command is being handled;
//! - the **handler** checks who sent each packet ([`security`]), decodes it,
//!   turns bundle timetags into times on loam's one wall-clock mapping
//!   ([`timetag`]), and dispatches each message ([`address`]): `/status` is
//!   answered at once from the [`StatusBoard`](crate::control::StatusBoard)
//!   the control thread publishes; everything else becomes a
//!   [`Command`](crate::control::Command) for the control thread;
//!   Answers of a batch leave together ([`datagrams`]);
//! - the **replier** ([`reply`]) waits for the control thread's answers, in
//!   order, and sends `/done` or `/fail` back to the sender;
//! - the **notifier** ([`subscribers`]) sends `/beat` bundles (timetagged
//!   with the beat's time), reloads and script errors to subscribers.
//!
//! Packets are read by loam's own tolerant decoder ([`decode`]): every type
//! a real client sends, and a bundle element by element. Bad input is
//! answered with `/fail ADDRESS REASON` (at most [`fail_limit::FAIL_RATE`]
//! a second per client, each fitting one datagram) and counted
//! ([`counters`]); answers that come back are never answered ([`echo`]);
//! nothing in here panics on what arrives from the network.

pub mod address;
pub mod args;
pub mod counters;
pub mod datagrams;
pub mod decode;
pub mod echo;
pub mod fail_limit;
pub mod reply;
pub mod security;
pub mod sending_thread;
pub mod server;
pub mod subscribers;
pub mod timetag;

pub use counters::OscCounters;
pub use security::{Access, AllowEntry};
pub use server::{OscConfig, OscServer, DEFAULT_ADDRESS};
