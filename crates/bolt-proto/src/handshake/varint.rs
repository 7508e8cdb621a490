//! The unsigned variable-length integers of the manifest handshake.
//!
//! Little-endian groups of 7 bits, the high bit of each byte set when more
//! bytes follow. Decoding is incremental (one byte at a time) and bounded: a
//! value may take at most `max_bytes` bytes and must fit its type.

/// Appends `value` as a varint.
pub(crate) fn write(buf: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

/// An incremental varint reader for values of at most `bits` bits.
#[derive(Debug, Clone)]
pub(crate) struct VarIntReader {
    value: u64,
    read: u32,
    bits: u32,
}

/// What one more byte did to a [`VarIntReader`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// More bytes are needed.
    More,
    /// The value is complete.
    Done(u64),
    /// The value does not fit in the allowed number of bits.
    Overflow,
}

impl VarIntReader {
    /// A reader for a value of at most `bits` bits (1..=64).
    pub(crate) fn new(bits: u32) -> Self {
        VarIntReader {
            value: 0,
            read: 0,
            bits,
        }
    }

    /// Feeds one byte.
    pub(crate) fn push(&mut self, byte: u8) -> Step {
        let shift = self.read * 7;
        self.read += 1;
        let payload = u64::from(byte & 0x7F);
        if payload != 0 {
            // Bits this byte would set beyond the allowed width overflow.
            if shift >= self.bits || (payload >> (self.bits - shift).min(63)) != 0 {
                return Step::Overflow;
            }
            self.value |= payload << shift;
        }
        if byte & 0x80 == 0 {
            return Step::Done(self.value);
        }
        // A continuation after the last byte that can carry bits overflows.
        if self.read * 7 >= self.bits {
            return Step::Overflow;
        }
        Step::More
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bits: u32, bytes: &[u8]) -> Option<Step> {
        let mut r = VarIntReader::new(bits);
        for (i, b) in bytes.iter().enumerate() {
            match r.push(*b) {
                Step::More if i + 1 < bytes.len() => continue,
                s => return Some(s),
            }
        }
        None
    }

    #[test]
    fn round_trip() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            write(&mut buf, v);
            assert_eq!(read(64, &buf), Some(Step::Done(v)), "{v}");
        }
    }

    #[test]
    fn bounds() {
        assert_eq!(
            read(32, &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            Some(Step::Done(u32::MAX as u64))
        );
        assert_eq!(
            read(32, &[0xFF, 0xFF, 0xFF, 0xFF, 0x1F]),
            Some(Step::Overflow)
        );
        assert_eq!(
            read(32, &[0x80, 0x80, 0x80, 0x80, 0x80]),
            Some(Step::Overflow)
        );
        assert_eq!(
            read(
                64,
                &[0xFF; 9].iter().copied().chain([0x01]).collect::<Vec<_>>()
            ),
            Some(Step::Done(u64::MAX))
        );
        assert_eq!(
            read(
                64,
                &[0xFF; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()
            ),
            Some(Step::Overflow)
        );
        assert_eq!(read(64, &[0x80; 10]), Some(Step::Overflow));
        // Padded (over-long) zero is accepted within the byte limit.
        assert_eq!(read(32, &[0x80, 0x00]), Some(Step::Done(0)));
        assert_eq!(read(32, &[0xAC, 0x02]), Some(Step::Done(300)));
    }
}
