//! [`Outbox`]: the connection's queued request bytes, written out in
//! order.
//!
//! Owns only the bytes and how many of them the socket has taken. A
//! `Vec<u8>`, so that requests are chunked straight into it (bolt-proto's
//! `ChunkEncoder::write_message_vec` back-patches each chunk header)
//! instead of being written into a scratch buffer and copied: about 65
//! instructions fewer per RUN (`cargo bench -p bolt-proto --bench
//! requests`, `borrowed` against `borrowed_in_place`).

use bolt_proto::framing::MAX_CHUNK_SIZE;

/// Queued bytes; `buf[sent..]` still to be written.
pub(super) struct Outbox {
    buf: Vec<u8>,
    sent: usize,
}

impl Outbox {
    pub(super) fn with_capacity(n: usize) -> Self {
        Outbox {
            buf: Vec::with_capacity(n),
            sent: 0,
        }
    }

    /// Whether everything queued has been written.
    pub(super) fn is_empty(&self) -> bool {
        self.sent == self.buf.len()
    }

    /// What is still to be written.
    pub(super) fn unsent(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// The socket took `n` more bytes.
    pub(super) fn advance(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n).min(self.buf.len());
        if self.is_empty() {
            self.clear();
        }
    }

    /// Forgets everything queued (all written, or the connection is done).
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.sent = 0;
        // Don't keep a huge buffer alive after one huge message.
        if self.buf.capacity() > 4 * MAX_CHUNK_SIZE {
            self.buf = Vec::with_capacity(1024);
        }
    }

    /// Where the next request starts (for [`truncate`](Self::truncate)).
    pub(super) fn mark(&self) -> usize {
        self.buf.len()
    }

    /// Drops what was queued after `mark` (a request refused after it was
    /// written); never bytes already written.
    pub(super) fn truncate(&mut self, mark: usize) {
        self.buf.truncate(mark.max(self.sent));
    }

    /// The buffer to append requests to.
    pub(super) fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_in_order_across_partial_writes() {
        let mut o = Outbox::with_capacity(4);
        assert!(o.is_empty());
        o.vec().extend_from_slice(&[1, 2, 3]);
        o.advance(2);
        assert_eq!(o.unsent(), [3]);
        // Queued while the rest waits: appended after it.
        let mark = o.mark();
        o.vec().extend_from_slice(&[4, 5]);
        assert_eq!(o.unsent(), [3, 4, 5]);
        o.truncate(mark);
        assert_eq!(o.unsent(), [3]);
        // A mark never cuts into written bytes.
        o.truncate(0);
        assert_eq!(o.unsent(), [] as [u8; 0]);
        assert!(o.is_empty());
        o.vec().push(6);
        o.advance(9);
        assert!(o.is_empty() && o.unsent().is_empty() && o.mark() == 0);
    }

    #[test]
    fn a_huge_buffer_is_not_kept() {
        let mut o = Outbox::with_capacity(16);
        o.vec().resize(5 * MAX_CHUNK_SIZE, 0);
        o.advance(5 * MAX_CHUNK_SIZE);
        assert!(o.vec().capacity() <= 4 * MAX_CHUNK_SIZE);
    }
}
