//! [`RecordBatch`]: RECORD messages taken out of a connection's read buffer
//! in bulk, read back one at a time.
//!
//! Owns the layout of the taken bytes. The connection fills it
//! ([`Connection::take_records`](super::Connection::take_records)): a run of
//! single-chunk RECORDs is copied with one `memcpy`, chunk headers and end
//! markers included (NOOPs never: the connection skips them), and found
//! again by the same framing when read. Must not decode values (callers
//! do, from each [`RecordView`]).

use std::collections::VecDeque;

use bolt_proto::message::{DecodeError, RecordView};
use bytes::Bytes;

/// A stretch of the batch, in arrival order.
#[derive(Debug)]
enum Segment {
    /// Single-chunk messages as they arrived, up to this offset in
    /// `bytes`.
    Run(usize),
    /// One message that arrived in several chunks, joined.
    Joined(Bytes),
}

/// RECORD messages not yet read, in arrival order.
///
/// ```no_run
/// # fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
/// let mut batch = bolt_pool::RecordBatch::default();
/// conn.take_records(&mut batch)?;
/// while let Some(record) = batch.next() {
///     let first = record.map(|r| r.decoder().read_int().ok());
///     println!("{first:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct RecordBatch {
    bytes: Vec<u8>,
    /// Where the next chunk header is in `bytes`.
    at: usize,
    /// The end of the run being read (`at <= end`).
    end: usize,
    /// Records not yet read.
    left: usize,
    /// Only once a message arrived in several chunks (rare): the batch
    /// stays small inside the futures that hold it.
    spill: Option<Box<Spill>>,
}

/// What follows the run being read, when a joined message is among it.
#[derive(Debug, Default)]
struct Spill {
    segments: VecDeque<Segment>,
    /// The joined message read last (kept for the view that borrows it).
    joined: Bytes,
}

impl RecordBatch {
    /// Records not yet read.
    ///
    /// ```
    /// assert_eq!(bolt_pool::RecordBatch::default().len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.left
    }

    /// Whether every record was read.
    ///
    /// ```
    /// assert!(bolt_pool::RecordBatch::default().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The bytes of records the batch holds (read ones too, until it
    /// starts over): the encoded RECORDs with their framing, nothing else.
    ///
    /// ```
    /// let mut batch = bolt_pool::RecordBatch::default();
    /// batch.push(&[0xB1, 0x71, 0x91, 0x2A]);
    /// assert_eq!(batch.held_bytes(), 2 + 4 + 2);
    /// ```
    pub fn held_bytes(&self) -> usize {
        let joined = self.spill.as_ref().map_or(0, |s| {
            s.joined.len()
                + s.segments
                    .iter()
                    .map(|g| match g {
                        Segment::Run(_) => 0,
                        Segment::Joined(b) => b.len(),
                    })
                    .sum::<usize>()
        });
        self.bytes.len() + joined
    }

    /// Forgets every record (read or not), keeping the memory.
    ///
    /// ```
    /// let mut batch = bolt_pool::RecordBatch::default();
    /// batch.clear();
    /// assert!(batch.next().is_none());
    /// ```
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.at = 0;
        self.end = 0;
        self.left = 0;
        if let Some(spill) = self.spill.as_mut() {
            spill.segments.clear();
            spill.joined = Bytes::new();
        }
    }

    /// Starts over at the front when everything was read.
    #[inline]
    pub(super) fn prepare(&mut self) {
        if self.left == 0 && !self.bytes.is_empty() {
            self.clear();
        }
    }

    /// Appends `count` single-chunk messages (chunk headers, bodies and end
    /// markers, as they arrived; no NOOPs).
    #[inline]
    pub(super) fn push_run(&mut self, wire: &[u8], count: usize) {
        self.bytes.extend_from_slice(wire);
        let len = self.bytes.len();
        match self.spill.as_mut().and_then(|s| s.segments.back_mut()) {
            // Right after the run being read: it grows.
            None => self.end = len,
            Some(Segment::Run(end)) => *end = len,
            Some(Segment::Joined(_)) => {
                if let Some(spill) = self.spill.as_mut() {
                    spill.segments.push_back(Segment::Run(len));
                }
            }
        }
        self.left += count;
    }

    /// Appends one RECORD message body (from a caller with its own
    /// framing, or a test).
    ///
    /// ```
    /// let mut batch = bolt_pool::RecordBatch::default();
    /// batch.push(&[0xB1, 0x71, 0x91, 0x2A]);
    /// let record = batch.next().unwrap().unwrap();
    /// assert_eq!(record.decoder().read_int().unwrap(), 42);
    /// ```
    pub fn push(&mut self, body: &[u8]) {
        self.prepare();
        match u16::try_from(body.len()) {
            Ok(size) if size > 0 => {
                let mut wire = Vec::with_capacity(body.len() + 4);
                wire.extend_from_slice(&size.to_be_bytes());
                wire.extend_from_slice(body);
                wire.extend_from_slice(&[0, 0]);
                self.push_run(&wire, 1);
            }
            _ => self.push_joined(Bytes::copy_from_slice(body)),
        }
    }

    /// Appends one message joined from several chunks.
    pub(super) fn push_joined(&mut self, body: Bytes) {
        let spill = self.spill.get_or_insert_with(Box::default);
        spill.segments.push_back(Segment::Joined(body));
        self.left += 1;
    }

    /// The next record; `None` when none is left.
    ///
    /// # Errors
    /// A RECORD whose header does not decode (the record is skipped).
    #[inline]
    #[allow(clippy::should_implement_trait)] // lends from `self`: not an Iterator
    pub fn next(&mut self) -> Option<Result<RecordView<'_>, DecodeError>> {
        loop {
            // The run being read: `[size][body][0 0]` each.
            if let Some([h0, h1, rest @ ..]) = self.bytes.get(self.at..self.end) {
                let size = usize::from(u16::from_be_bytes([*h0, *h1]));
                if let Some(body) = rest.get(..size) {
                    self.at += size + 4;
                    self.left = self.left.saturating_sub(1);
                    return Some(RecordView::decode(body));
                }
                self.at = self.end; // cannot happen: runs hold whole chunks
            }
            let spill = self.spill.as_mut()?;
            match spill.segments.pop_front()? {
                Segment::Run(end) => {
                    self.at = self.end;
                    self.end = end;
                }
                Segment::Joined(body) => {
                    spill.joined = body;
                    self.left = self.left.saturating_sub(1);
                    break;
                }
            }
        }
        let spill = self.spill.as_ref()?;
        Some(RecordView::decode(&spill.joined))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(b: Option<Result<RecordView<'_>, DecodeError>>) -> i64 {
        b.unwrap().unwrap().decoder().read_int().unwrap()
    }

    #[test]
    fn runs_and_joined_messages_come_back_in_order() {
        let mut batch = RecordBatch::default();
        // Two records in one run, as a connection copies them.
        batch.push_run(
            &[
                0, 4, 0xB1, 0x71, 0x91, 1, 0, 0, 0, 4, 0xB1, 0x71, 0x91, 2, 0, 0,
            ],
            2,
        );
        batch.push_joined(Bytes::from_static(&[0xB1, 0x71, 0x91, 3]));
        batch.push(&[0xB1, 0x71, 0x91, 4]);
        batch.push(&[0xB1, 0x71, 0x91, 5]);
        // A body too long for one chunk.
        let mut long = vec![0xB1, 0x71, 0x91, 0xD0, 0xFF];
        long.extend(std::iter::repeat_n(b'x', 70_000));
        batch.push(&long);
        assert_eq!(batch.len(), 6);
        for want in 1..=5 {
            assert_eq!(int(batch.next()), want);
        }
        assert_eq!(batch.next().unwrap().unwrap().raw().len(), long.len() - 3);
        assert!(batch.next().is_none());
        assert!(batch.is_empty());
        assert!(std::mem::size_of::<RecordBatch>() <= 56);
        // Read out, the next push starts over at the front.
        batch.push(&[0xB1, 0x71, 0x91, 6]);
        assert_eq!((batch.at, batch.bytes.len()), (0, 8));
        assert_eq!(int(batch.next()), 6);
    }

    #[test]
    fn records_pushed_while_reading_follow_the_unread_ones() {
        let mut batch = RecordBatch::default();
        batch.push(&[0xB1, 0x71, 0x91, 1]);
        batch.push(&[0xB1, 0x71, 0x91, 2]);
        assert_eq!(int(batch.next()), 1);
        batch.push_joined(Bytes::from_static(&[0xB1, 0x71, 0x91, 3]));
        batch.push(&[0xB1, 0x71, 0x91, 4]);
        assert_eq!(int(batch.next()), 2);
        batch.push(&[0xB1, 0x71, 0x91, 5]);
        for want in 3..=5 {
            assert_eq!(int(batch.next()), want);
        }
        assert!(batch.next().is_none());
    }

    #[test]
    fn a_malformed_header_is_an_error_for_that_record_only() {
        let mut batch = RecordBatch::default();
        batch.push(&[0xB1, 0x71, 0x2A]); // no list
        batch.push(&[]);
        batch.push(&[0xB1, 0x71, 0x91, 7]);
        assert!(batch.next().unwrap().is_err());
        assert!(batch.next().unwrap().is_err());
        assert_eq!(int(batch.next()), 7);
        assert!(batch.clear_leaves_nothing());
    }

    impl RecordBatch {
        fn clear_leaves_nothing(&mut self) -> bool {
            self.push(&[0xB1, 0x71, 0x91, 8]);
            self.clear();
            self.next().is_none() && self.is_empty()
        }
    }
}
