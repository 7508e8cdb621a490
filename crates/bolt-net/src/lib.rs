//! From an address string to a ready byte stream: resolution (custom
//! resolver, DNS), TCP connect with timeouts, keep-alive and NODELAY, and TLS
//! on rustls.
//!
//! Must not know about Bolt messages.
