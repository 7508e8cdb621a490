//! PackStream v1: the binary value format under the Bolt protocol.
//!
//! Owns values, their encoding and zero-copy decoding, and serde support.
//! Must not know about Bolt messages, sockets or chunking.
