//! The Bolt protocol without I/O: handshake, chunked framing, every Bolt
//! message for client and server, and version-specific structures.
//!
//! Must not open sockets or spawn tasks; callers feed it bytes.
