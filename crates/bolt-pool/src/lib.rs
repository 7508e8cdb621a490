//! Authenticated Bolt connections, pooled per server on bb8.
