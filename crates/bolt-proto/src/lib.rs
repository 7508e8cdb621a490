//! The Bolt protocol without I/O: handshake, chunked framing, every Bolt
//! message for client and server, and version-specific structures.
//!
//! This crate is sans-I/O: it never opens sockets or spawns tasks. Callers
//! feed it bytes and take bytes from it, so the same code serves a driver, a
//! stub server, a proxy or a traffic decoder.
//!
//! | module | owns |
//! |---|---|
//! | [`version`] | protocol versions and what each one changes |
//! | [`handshake`] | the opening version negotiation, client and server side |
//! | [`framing`] | chunking messages into the stream and reassembling them |
//! | [`codec`] | a `tokio-util` codec joining framing and messages |
//! | [`message`] | every request and response message |
//! | [`structure`] | typed graph, temporal and spatial structures |
//! | [`state`] | server-state tracking and matching responses to pipelined requests |

pub mod codec;
pub mod framing;
pub mod handshake;
pub mod message;
pub mod state;
pub mod structure;
pub mod version;

pub use message::{Request, Response, ResponseRef};
pub use state::{ClientState, ServerState};
pub use structure::{BoltStruct, StructCtx};
pub use version::Version;
