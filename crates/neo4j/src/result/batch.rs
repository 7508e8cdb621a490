//! [`Batch`]: the RECORDs of one fetched batch, kept encoded and decoded
//! one per read.
//!
//! Owns the layout of the copied bytes and the order of decoding. Must not
//! touch the connection (the stream copies records in) or decide what a
//! decoding error does to it (the stream does).
//!
//! Decoding a record only when it is read keeps one record's values alive
//! at a time in the common loop (read, use, drop): the allocator reuses the
//! memory the last record freed, instead of a whole batch of values being
//! allocated together and freed in another order.

use bolt_pool::RecordBatch;
use bolt_proto::structure::StructCtx;
use std::sync::Arc;

use crate::error::Error;
use crate::record::Record;
use crate::value::wire::{decode_record_one, decode_record_values, KeyCache};

/// Encoded RECORDs waiting to be read, in arrival order (as the
/// connection handed them over: see [`RecordBatch`]).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    records: RecordBatch,
}

impl Batch {
    /// Records not yet read.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Forgets every record (read or not).
    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }

    /// Where the connection puts the records it takes.
    #[inline]
    pub(crate) fn records(&mut self) -> &mut RecordBatch {
        &mut self.records
    }

    /// Decodes the next record under `keys`; `None` when none is left.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a malformed record (as the record decoder
    /// reports it); the record is skipped.
    #[inline]
    pub(crate) fn pop(
        &mut self,
        keys: &Arc<[String]>,
        ctx: StructCtx,
        cache: &mut KeyCache,
    ) -> Option<Result<Record, Error>> {
        let view = match self.records.next()? {
            Ok(view) => view,
            Err(e) => return Some(Err(malformed(e))),
        };
        let raw = view.raw();
        Some(if view.len() == 1 {
            decode_record_one(raw, ctx, cache).map(|v| Record::one(keys.clone(), v))
        } else {
            decode_record_values(raw, view.len(), ctx, cache).map(|v| Record::new(keys.clone(), v))
        })
    }
}

#[cold]
fn malformed(e: bolt_proto::message::DecodeError) -> Error {
    Error::Protocol(format!("malformed RECORD: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::wire::encode_value;
    use crate::Value;
    use bolt_proto::Version;
    use proptest::prelude::*;

    fn ctx() -> StructCtx {
        StructCtx::new(Version::V5_0)
    }

    /// A RECORD body of `values`.
    fn body(values: &[Value]) -> Vec<u8> {
        let mut b = vec![0xB1, 0x71];
        packstream::encode::write_list_header(&mut b, values.len()).unwrap();
        for v in values {
            encode_value(&mut b, v, ctx()).unwrap();
        }
        b
    }

    fn keys(n: usize) -> Arc<[String]> {
        (0..n).map(|i| format!("k{i}")).collect()
    }

    #[test]
    fn records_come_back_in_order() {
        let mut batch = Batch::default();
        let mut cache = KeyCache::default();
        let rows: Vec<Vec<Value>> = vec![
            vec![1.into()],
            vec![],
            vec!["a".into(), Value::Null, 2.5.into()],
            vec![Value::Map([("id", 1)].into_iter().collect())],
        ];
        for round in 0..2 {
            for r in &rows {
                batch.records().push(&body(r));
            }
            assert_eq!(batch.len(), rows.len());
            for r in &rows {
                let rec = batch
                    .pop(&keys(r.len()), ctx(), &mut cache)
                    .unwrap()
                    .unwrap();
                assert_eq!(rec.values(), &r[..], "round {round}");
            }
            assert!(batch.pop(&keys(0), ctx(), &mut cache).is_none());
            assert!(batch.is_empty());
        }
    }

    #[test]
    fn a_malformed_record_is_an_error_and_the_next_still_decodes() {
        let mut batch = Batch::default();
        let mut cache = KeyCache::default();
        // Invalid UTF-8, a trailing byte, a reserved marker, no list.
        for bad in [
            &[0xB1, 0x71, 0x2A][..],
            &[0xB1, 0x71, 0x91, 0x81, 0xFF][..],
            &[0xB1, 0x71, 0x91, 0x01, 0x02],
            &[0xB1, 0x71, 0x92, 0x01, 0xC4],
        ] {
            batch.records().push(bad);
        }
        batch.records().push(&body(&[7.into()]));
        for _ in 0..4 {
            let e = batch.pop(&keys(1), ctx(), &mut cache).unwrap().unwrap_err();
            assert!(matches!(e, Error::Protocol(_)), "{e}");
        }
        let ok = batch.pop(&keys(1), ctx(), &mut cache).unwrap().unwrap();
        assert_eq!(ok.values(), [Value::Integer(7)]);
    }

    proptest! {
        /// Any bytes after a RECORD header: decoded through the batch
        /// exactly as the one-record decoder decodes them, never a panic.
        #[test]
        fn batch_decodes_like_the_record_decoder(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..8),
            n in 0usize..4,
        ) {
            let mut batch = Batch::default();
            let mut expected = Vec::new();
            for raw in &records {
                let mut b = vec![0xB1, 0x71, 0x90 | n as u8];
                b.extend_from_slice(raw);
                batch.records().push(&b);
                let mut fields = vec![0x90 | n as u8];
                fields.extend_from_slice(raw);
                expected.push(crate::value::wire::decode_record_fields(&fields, ctx()));
            }
            let mut cache = KeyCache::default();
            for want in expected {
                let got = batch.pop(&keys(n), ctx(), &mut cache).unwrap();
                match (got, want) {
                    // Debug text: NaN is not equal to itself.
                    (Ok(rec), Ok(vals)) => prop_assert_eq!(format!("{:?}", rec.values()), format!("{:?}", vals)),
                    (Err(Error::Protocol(_)), Err(Error::Protocol(_))) => {}
                    (got, want) => prop_assert!(false, "{:?} vs {:?}", got, want),
                }
            }
            prop_assert!(batch.pop(&keys(n), ctx(), &mut cache).is_none());
        }

        /// One-scalar records (the decoder's fast path), in every integer
        /// width whether minimal or not, with or without a trailing byte.
        #[test]
        fn scalar_records_decode_like_the_record_decoder(
            i in any::<i64>(),
            f in any::<f64>(),
            width in 0usize..5,
            trailing in any::<bool>(),
        ) {
            let int = match width {
                0 => vec![i as u8],
                1 => vec![0xC8, i as u8],
                2 => [&[0xC9][..], &(i as i16).to_be_bytes()].concat(),
                3 => [&[0xCA][..], &(i as i32).to_be_bytes()].concat(),
                _ => [&[0xCB][..], &i.to_be_bytes()].concat(),
            };
            let float = [&[0xC1][..], &f.to_be_bytes()].concat();
            let mut batch = Batch::default();
            let mut cache = KeyCache::default();
            for mut value in [int, float, vec![0xC0], vec![0xC2], vec![0xC3]] {
                if trailing {
                    value.push(0x01);
                }
                let body = [&[0xB1, 0x71, 0x91][..], &value].concat();
                batch.records().push(&body);
                let want = crate::value::wire::decode_record_fields(&body[2..], ctx());
                let got = batch.pop(&keys(1), ctx(), &mut cache).unwrap();
                match (got, want) {
                    (Ok(rec), Ok(vals)) => prop_assert_eq!(format!("{:?}", rec.values()), format!("{:?}", vals)),
                    (Err(Error::Protocol(_)), Err(Error::Protocol(_))) => {}
                    (got, want) => prop_assert!(false, "{:02X?}: {:?} vs {:?}", value, got, want),
                }
            }
        }
    }
}
