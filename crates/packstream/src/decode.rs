//! Decoding: [`Decoder`], a cursor over a byte slice, plus [`decode`] and [`decode_ref`].
//!
//! Owns the read side of the byte layout. Guarantees, for any input:
//! no panic, recursion bounded by the depth limit, and no allocation sized
//! from a declared length beyond what the remaining input could hold (list,
//! map and structure capacities are additionally drawn from a budget equal to
//! the input length, so nested lying headers cannot multiply it). It does not
//! know about Bolt messages or chunking.

use crate::marker::*;
use crate::{Error, Kind, Map, Structure, Value, ValueRef};

/// The default nesting limit of a [`Decoder`]: lists, maps and structures
/// may nest this deep.
///
/// ```
/// let mut deep = vec![0x91; packstream::DEFAULT_MAX_DEPTH];
/// deep.push(0x90);
/// assert!(packstream::decode(&deep).is_err()); // one level too many
/// assert!(packstream::decode(&deep[1..]).is_ok());
/// ```
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// One value's marker and header, with scalar payloads already read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Token<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Bytes(&'a [u8]),
    Str(&'a str),
    List(usize),
    Map(usize),
    Struct(u8, usize),
}

/// A cursor that reads PackStream values from a byte slice.
///
/// The `read_*` methods read one value (or one container header) of the
/// named kind. On a kind mismatch they return [`Error::UnexpectedType`] and
/// leave the cursor where it was.
///
/// ```
/// use packstream::Decoder;
/// // [1, "a"] followed by {"k": true}
/// let input = [0x92, 0x01, 0x81, b'a', 0xA1, 0x81, b'k', 0xC3];
/// let mut d = Decoder::new(&input);
/// assert_eq!(d.read_list_header().unwrap(), 2);
/// assert_eq!(d.read_int().unwrap(), 1);
/// assert_eq!(d.read_str().unwrap(), "a");
/// assert_eq!(d.read_map_header().unwrap(), 1);
/// assert_eq!((d.read_str().unwrap(), d.read_bool().unwrap()), ("k", true));
/// d.finish().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) max_depth: usize,
    /// Elements that may still be pre-allocated for containers.
    budget: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `input`, with [`DEFAULT_MAX_DEPTH`].
    ///
    /// ```
    /// let d = packstream::Decoder::new(&[0xC0]);
    /// assert_eq!(d.remaining(), 1);
    /// ```
    #[inline]
    pub fn new(input: &'a [u8]) -> Self {
        Decoder {
            input,
            pos: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            budget: input.len(),
        }
    }

    /// Sets how deep lists, maps and structures may nest (depth 1 is a
    /// container of scalars). Deeper input fails with
    /// [`Error::DepthLimitExceeded`].
    ///
    /// ```
    /// use packstream::{Decoder, Error};
    /// let nested = [0x91, 0x91, 0x90]; // [[[]]]
    /// assert!(Decoder::new(&nested).with_max_depth(3).read_value().is_ok());
    /// let err = Decoder::new(&nested).with_max_depth(2).read_value().unwrap_err();
    /// assert!(matches!(err, Error::DepthLimitExceeded { limit: 2, offset: 2 }));
    /// ```
    #[inline]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Bytes consumed so far.
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0x01, 0x02]);
    /// d.read_int().unwrap();
    /// assert_eq!(d.position(), 1);
    /// ```
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    ///
    /// ```
    /// assert_eq!(packstream::Decoder::new(&[1, 2, 3]).remaining(), 3);
    /// ```
    #[inline]
    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// Whether all input has been consumed.
    ///
    /// ```
    /// assert!(packstream::Decoder::new(&[]).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// The input not yet consumed.
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0x01, 0xC0]);
    /// d.read_int().unwrap();
    /// assert_eq!(d.rest(), &[0xC0]);
    /// ```
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or(&[])
    }

    /// The kind of the next value, without consuming it.
    ///
    /// # Errors
    /// [`Error::UnexpectedEnd`] at end of input, [`Error::UnknownMarker`] for
    /// a reserved marker.
    ///
    /// ```
    /// use packstream::{Decoder, Kind};
    /// assert_eq!(Decoder::new(&[0xC0]).peek_kind().unwrap(), Kind::Null);
    /// ```
    #[inline]
    pub fn peek_kind(&self) -> Result<Kind, Error> {
        let m = self.peek()?;
        Kind::from_marker(m).ok_or(Error::UnknownMarker {
            marker: m,
            offset: self.pos,
        })
    }

    /// Reads null.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`] if the next value is not null; end of input
    /// and marker errors as for every read.
    ///
    /// ```
    /// packstream::Decoder::new(&[0xC0]).read_null().unwrap();
    /// ```
    #[inline]
    pub fn read_null(&mut self) -> Result<(), Error> {
        match self.peek()? {
            NULL => {
                self.pos += 1;
                Ok(())
            }
            m => Err(self.mismatch("null", m)),
        }
    }

    /// Reads a boolean.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`] if the next value is not a boolean.
    ///
    /// ```
    /// assert!(!packstream::Decoder::new(&[0xC2]).read_bool().unwrap());
    /// ```
    #[inline]
    pub fn read_bool(&mut self) -> Result<bool, Error> {
        match self.peek()? {
            FALSE => {
                self.pos += 1;
                Ok(false)
            }
            TRUE => {
                self.pos += 1;
                Ok(true)
            }
            m => Err(self.mismatch("boolean", m)),
        }
    }

    /// Reads an integer of any width.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`] if the next value is not an integer,
    /// [`Error::UnexpectedEnd`] if its bytes are cut off.
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0xF0, 0xC9, 0x80, 0x00]);
    /// assert_eq!(d.read_int().unwrap(), -16);
    /// assert_eq!(d.read_int().unwrap(), -32768);
    /// ```
    #[inline]
    pub fn read_int(&mut self) -> Result<i64, Error> {
        let m = self.peek()?;
        match m {
            0x00..=0x7F | 0xF0..=0xFF => {
                self.pos += 1;
                Ok(m as i8 as i64)
            }
            INT_8..=INT_64 => {
                self.pos += 1;
                self.int_body(m)
            }
            _ => Err(self.mismatch("integer", m)),
        }
    }

    /// Reads a float.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`] if the next value is not a float (integers
    /// are not converted).
    ///
    /// ```
    /// let bytes = packstream::Value::Float(2.5).to_bytes().unwrap();
    /// assert_eq!(packstream::Decoder::new(&bytes).read_float().unwrap(), 2.5);
    /// ```
    #[inline]
    pub fn read_float(&mut self) -> Result<f64, Error> {
        match self.peek()? {
            FLOAT_64 => {
                self.pos += 1;
                Ok(f64::from_be_bytes(self.array::<8>()?))
            }
            m => Err(self.mismatch("float", m)),
        }
    }

    /// Reads a string, borrowed from the input.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`], [`Error::SizeExceedsInput`] if the declared
    /// length runs past the input, [`Error::InvalidUtf8`].
    ///
    /// ```
    /// assert_eq!(packstream::Decoder::new(&[0x82, b'h', b'i']).read_str().unwrap(), "hi");
    /// ```
    #[inline]
    pub fn read_str(&mut self) -> Result<&'a str, Error> {
        let (start, len) = self.str_header()?;
        self.str_body(start, len)
    }

    /// Reads a string's bytes, borrowed from the input, without checking
    /// that they are UTF-8: for callers that compare them with strings they
    /// already hold (a cache of map keys) and check the rest themselves
    /// (`std::str::from_utf8`; the bytes start at `position() - len`).
    ///
    /// # Errors
    /// As [`read_str`](Self::read_str), except that invalid UTF-8 is not
    /// detected.
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0x82, b'h', b'i']);
    /// assert_eq!(d.read_str_bytes().unwrap(), b"hi");
    /// assert_eq!(d.position(), 3);
    /// ```
    #[inline(always)]
    pub fn read_str_bytes(&mut self) -> Result<&'a [u8], Error> {
        let (start, len) = self.str_header()?;
        self.sized_take(start, len)
    }

    /// Reads a byte array, borrowed from the input.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`], [`Error::SizeExceedsInput`].
    ///
    /// ```
    /// assert_eq!(packstream::Decoder::new(&[0xCC, 1, 7]).read_bytes().unwrap(), &[7]);
    /// ```
    #[inline]
    pub fn read_bytes(&mut self) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let m = self.peek()?;
        match m {
            BYTES_8..=BYTES_32 => {
                self.pos += 1;
                let len = self.len_body(m - BYTES_8)?;
                self.sized_take(start, len)
            }
            _ => Err(self.mismatch("bytes", m)),
        }
    }

    /// Reads a list header and returns the element count; read the elements next.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`], [`Error::SizeExceedsInput`] if the count
    /// exceeds the remaining bytes (each element takes at least one).
    ///
    /// ```
    /// assert_eq!(packstream::Decoder::new(&[0x91, 0x01]).read_list_header().unwrap(), 1);
    /// ```
    #[inline]
    pub fn read_list_header(&mut self) -> Result<usize, Error> {
        let start = self.pos;
        let m = self.peek()?;
        let n = match m {
            0x90..=0x9F => {
                self.pos += 1;
                (m & 0x0F) as usize
            }
            LIST_8..=LIST_32 => {
                self.pos += 1;
                self.len_body(m - LIST_8)?
            }
            _ => return Err(self.mismatch("list", m)),
        };
        self.check_count(start, n, 1)
    }

    /// Reads a map header and returns the entry count; read `count` key
    /// (string) / value pairs next.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`], [`Error::SizeExceedsInput`] if the entries
    /// cannot fit in the remaining bytes (each takes at least two).
    ///
    /// ```
    /// assert_eq!(packstream::Decoder::new(&[0xA0]).read_map_header().unwrap(), 0);
    /// ```
    #[inline]
    pub fn read_map_header(&mut self) -> Result<usize, Error> {
        let start = self.pos;
        let m = self.peek()?;
        let n = match m {
            0xA0..=0xAF => {
                self.pos += 1;
                (m & 0x0F) as usize
            }
            MAP_8..=MAP_32 => {
                self.pos += 1;
                self.len_body(m - MAP_8)?
            }
            _ => return Err(self.mismatch("map", m)),
        };
        self.check_count(start, n, 2)
    }

    /// Reads a structure header: `(tag, field count)`; read the fields next.
    ///
    /// Accepts tiny structures (`B0`..`BF`) and, for early Bolt v1 servers,
    /// the legacy `DC`/`DD` forms.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`], [`Error::UnexpectedEnd`] without a tag byte,
    /// [`Error::SizeExceedsInput`].
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0xB1, 0x4E, 0x01]);
    /// assert_eq!(d.read_struct_header().unwrap(), (0x4E, 1));
    /// ```
    #[inline]
    pub fn read_struct_header(&mut self) -> Result<(u8, usize), Error> {
        let start = self.pos;
        let m = self.peek()?;
        let n = match m {
            0xB0..=0xBF => {
                self.pos += 1;
                (m & 0x0F) as usize
            }
            STRUCT_8 => {
                self.pos += 1;
                self.len_body(0)?
            }
            STRUCT_16 => {
                self.pos += 1;
                self.len_body(1)?
            }
            _ => return Err(self.mismatch("structure", m)),
        };
        let tag = match self.byte() {
            Ok(t) => t,
            Err(e) => {
                self.pos = start;
                return Err(e);
            }
        };
        Ok((tag, self.check_count(start, n, 1)?))
    }

    /// Reads one complete value into an owned [`Value`].
    ///
    /// # Errors
    /// Any decoding error; see [`Error`].
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0x91, 0x7F]);
    /// assert_eq!(d.read_value().unwrap(), packstream::Value::from(vec![127]));
    /// ```
    pub fn read_value(&mut self) -> Result<Value, Error> {
        self.value(0)
    }

    /// Reads one complete value, borrowing strings and bytes from the input.
    ///
    /// # Errors
    /// Any decoding error; see [`Error`].
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0x81, b'x']);
    /// assert_eq!(d.read_value_ref().unwrap(), packstream::ValueRef::String("x"));
    /// ```
    pub fn read_value_ref(&mut self) -> Result<ValueRef<'a>, Error> {
        self.value_ref(0)
    }

    /// Skips one complete value (validating it as [`Decoder::read_value`]
    /// would, without allocating).
    ///
    /// # Errors
    /// Any decoding error; see [`Error`].
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0x92, 0x01, 0x02, 0xC0]);
    /// d.skip_value().unwrap();
    /// d.read_null().unwrap();
    /// ```
    #[inline]
    pub fn skip_value(&mut self) -> Result<(), Error> {
        // One-byte values (tiny ints, null, booleans) inline.
        if let Some(&m) = self.input.get(self.pos) {
            if m as i8 >= -16 || matches!(m, NULL | FALSE | TRUE) {
                self.pos += 1;
                return Ok(());
            }
        }
        self.skip_checked(1, false, 0)
    }

    /// Skips one map, checking it as [`skip_value`](Self::skip_value)
    /// does (same errors), and calls `f(key, value position)` for each
    /// entry, in order: the key's bytes (checked to be UTF-8) and the
    /// [`position`](Self::position) where its value starts. For finding
    /// entries in a map while checking it, without allocating.
    ///
    /// # Errors
    /// [`Error::UnexpectedType`] if the next value is not a map; any
    /// decoding error in it.
    ///
    /// ```
    /// // {"a": 1, "bc": [2]} then null
    /// let input = [0xA2, 0x81, b'a', 0x01, 0x82, b'b', b'c', 0x91, 0x02, 0xC0];
    /// let mut d = packstream::Decoder::new(&input);
    /// let mut seen = Vec::new();
    /// d.skip_map_entries(|k, at| seen.push((k, at))).unwrap();
    /// assert_eq!(seen, [(&b"a"[..], 3), (&b"bc"[..], 7)]);
    /// d.read_null().unwrap();
    /// assert!(packstream::Decoder::new(&[0xA1, 0x81, 0xFF, 0x01]).skip_map_entries(|_, _| {}).is_err());
    /// ```
    pub fn skip_map_entries(&mut self, mut f: impl FnMut(&'a [u8], usize)) -> Result<(), Error> {
        let start = self.pos;
        let n = self.read_map_header()?;
        self.enter(0, start)?;
        for _ in 0..n {
            let key = self.checked_key()?;
            f(key, self.pos);
            // One-byte values and tiny strings inline.
            match self.input.get(self.pos) {
                Some(&m) if m as i8 >= -16 || matches!(m, NULL | FALSE | TRUE) => self.pos += 1,
                Some(&m) if m & 0xF0 == TINY_STRING => {
                    let start = self.pos;
                    self.pos += 1;
                    self.checked_str(start, (m & 0x0F) as usize)?;
                }
                _ => self.skip_checked(1, false, 1)?,
            }
        }
        Ok(())
    }

    /// A map key's bytes, checked as [`key`](Self::key) does (a string,
    /// UTF-8), with the same errors, without building a `&str`.
    #[inline(always)]
    fn checked_key(&mut self) -> Result<&'a [u8], Error> {
        let (start, len) = self.str_header()?;
        self.checked_str(start, len)
    }

    /// A string's body of `len` bytes, its header at `start`, checked to
    /// be UTF-8 as [`str_body`](Self::str_body) does, without building a
    /// `&str`.
    #[inline(always)]
    fn checked_str(&mut self, start: usize, len: usize) -> Result<&'a [u8], Error> {
        let body = self.pos;
        let b = self.sized_take(start, len)?;
        if utf8_ok(b) {
            Ok(b)
        } else {
            Err(Error::InvalidUtf8 { offset: body })
        }
    }

    /// Skips one complete value by its structure only: markers and sizes
    /// are followed, but strings are not checked for UTF-8, map keys not
    /// checked to be strings, and nesting depth is not limited. For bytes
    /// that were already validated once (e.g. with
    /// [`skip_value`](Self::skip_value) when they arrived) and are walked
    /// again to find something in them.
    ///
    /// It is iterative (a count of values still to skip, no recursion) and
    /// allocates nothing, and it is still safe on any input: every size is
    /// checked against the input, so it never panics nor reads past the
    /// end. On error the cursor is left where it was.
    ///
    /// # Errors
    /// [`Error::UnexpectedEnd`] or [`Error::SizeExceedsInput`] if the value
    /// is cut off, [`Error::UnknownMarker`] for a reserved marker.
    ///
    /// ```
    /// use packstream::{Decoder, Error};
    /// // [{"k": "\xFF"}, 1] then null: the invalid string is not looked at.
    /// let input = [0x92, 0xA1, 0x81, b'k', 0x81, 0xFF, 0x01, 0xC0];
    /// let mut d = Decoder::new(&input);
    /// d.skip_value_unchecked().unwrap();
    /// assert_eq!(d.position(), 7);
    /// d.read_null().unwrap();
    /// // A list whose string is cut off: an error, the cursor stays.
    /// let mut cut = Decoder::new(&[0x91, 0x83, b'a']);
    /// assert!(matches!(cut.skip_value_unchecked(), Err(Error::UnexpectedEnd { .. })));
    /// assert_eq!(cut.position(), 0);
    /// ```
    #[inline]
    pub fn skip_value_unchecked(&mut self) -> Result<(), Error> {
        // One-byte values (tiny ints, null, booleans) and tiny strings inline.
        if let Some(&m) = self.input.get(self.pos) {
            if m as i8 >= -16 || matches!(m, NULL | FALSE | TRUE) {
                self.pos += 1;
                return Ok(());
            }
            if m & 0xF0 == TINY_STRING {
                let end = self.pos + 1 + (m & 0x0F) as usize;
                if end <= self.input.len() {
                    self.pos = end;
                    return Ok(());
                }
            }
        }
        let start = self.pos;
        let r = self.skip_structure();
        if r.is_err() {
            self.pos = start;
        }
        r
    }

    /// Ends decoding: succeeds only if all input was consumed.
    ///
    /// # Errors
    /// [`Error::TrailingBytes`] if input is left.
    ///
    /// ```
    /// let mut d = packstream::Decoder::new(&[0xC0, 0xC0]);
    /// d.read_null().unwrap();
    /// assert!(d.finish().is_err());
    /// ```
    #[inline]
    pub fn finish(self) -> Result<(), Error> {
        if self.pos < self.input.len() {
            Err(Error::TrailingBytes {
                offset: self.pos,
                count: self.input.len() - self.pos,
            })
        } else {
            Ok(())
        }
    }

    // ---- internals ----

    #[inline(always)]
    fn peek(&self) -> Result<u8, Error> {
        match self.input.get(self.pos) {
            Some(&b) => Ok(b),
            None => Err(Error::UnexpectedEnd {
                offset: self.pos,
                needed: 1,
            }),
        }
    }

    #[inline(always)]
    fn byte(&mut self) -> Result<u8, Error> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        match self
            .input
            .get(self.pos..)
            .and_then(|r| r.first_chunk::<N>())
        {
            Some(a) => {
                self.pos += N;
                Ok(*a)
            }
            None => Err(Error::UnexpectedEnd {
                offset: self.pos,
                needed: N - self.remaining(),
            }),
        }
    }

    /// Error for a marker of another kind (or a reserved one) at `self.pos`.
    #[cold]
    pub(crate) fn mismatch(&self, expected: &'static str, m: u8) -> Error {
        match Kind::from_marker(m) {
            Some(found) => Error::UnexpectedType {
                expected,
                found,
                offset: self.pos,
            },
            None => Error::UnknownMarker {
                marker: m,
                offset: self.pos,
            },
        }
    }

    /// Integer payload after an INT_8..INT_64 marker.
    #[inline(always)]
    fn int_body(&mut self, m: u8) -> Result<i64, Error> {
        Ok(match m {
            INT_8 => self.byte()? as i8 as i64,
            INT_16 => i16::from_be_bytes(self.array()?) as i64,
            INT_32 => i32::from_be_bytes(self.array()?) as i64,
            _ => i64::from_be_bytes(self.array()?),
        })
    }

    /// Length field: `width` 0 = u8, 1 = u16, 2 = u32.
    #[inline(always)]
    fn len_body(&mut self, width: u8) -> Result<usize, Error> {
        Ok(match width {
            0 => self.byte()? as usize,
            1 => u16::from_be_bytes(self.array()?) as usize,
            _ => u32::from_be_bytes(self.array()?) as usize,
        })
    }

    /// Takes `len` bytes declared by the header that started at `start`.
    #[inline(always)]
    fn sized_take(&mut self, start: usize, len: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.wrapping_add(len);
        match self.input.get(self.pos..end) {
            Some(s) if end >= self.pos => {
                self.pos = end;
                Ok(s)
            }
            _ => Err(Error::SizeExceedsInput {
                offset: start,
                size: len as u64,
                remaining: self.remaining(),
            }),
        }
    }

    /// A string header: `(start of the header, length of the body)`.
    #[inline(always)]
    fn str_header(&mut self) -> Result<(usize, usize), Error> {
        let start = self.pos;
        let m = self.peek()?;
        let len = match m {
            0x80..=0x8F => {
                self.pos += 1;
                (m & 0x0F) as usize
            }
            STRING_8..=STRING_32 => {
                self.pos += 1;
                self.len_body(m - STRING_8)?
            }
            _ => return Err(self.mismatch("string", m)),
        };
        Ok((start, len))
    }

    #[inline(always)]
    fn str_body(&mut self, start: usize, len: usize) -> Result<&'a str, Error> {
        let body_start = self.pos;
        let b = self.sized_take(start, len)?;
        std::str::from_utf8(b).map_err(|_| Error::InvalidUtf8 { offset: body_start })
    }

    /// Checks that `n` items of at least `min` bytes each fit in the rest.
    #[inline(always)]
    fn check_count(&mut self, start: usize, n: usize, min: usize) -> Result<usize, Error> {
        if n.saturating_mul(min) <= self.remaining() {
            Ok(n)
        } else {
            let remaining = self.remaining();
            self.pos = start;
            Err(Error::SizeExceedsInput {
                offset: start,
                size: n as u64,
                remaining,
            })
        }
    }

    /// Capacity to reserve for a container of `n` declared elements.
    #[inline(always)]
    fn prealloc(&mut self, n: usize) -> usize {
        let c = n.min(self.budget);
        self.budget -= c;
        c
    }

    #[inline(always)]
    fn enter(&self, depth: usize, start: usize) -> Result<usize, Error> {
        if depth >= self.max_depth {
            Err(Error::DepthLimitExceeded {
                limit: self.max_depth,
                offset: start,
            })
        } else {
            Ok(depth + 1)
        }
    }

    /// Reads the next marker and header; containers return their counts
    /// (checked against the remaining input).
    #[inline(always)]
    pub(crate) fn token(&mut self) -> Result<Token<'a>, Error> {
        let start = self.pos;
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7F | 0xF0..=0xFF => Token::Int(m as i8 as i64),
            0x80..=0x8F => Token::Str(self.str_body(start, (m & 0x0F) as usize)?),
            0x90..=0x9F => Token::List(self.check_count(start, (m & 0x0F) as usize, 1)?),
            0xA0..=0xAF => Token::Map(self.check_count(start, (m & 0x0F) as usize, 2)?),
            0xB0..=0xBF => {
                let tag = self.byte()?;
                Token::Struct(tag, self.check_count(start, (m & 0x0F) as usize, 1)?)
            }
            NULL => Token::Null,
            FLOAT_64 => Token::Float(f64::from_be_bytes(self.array()?)),
            FALSE => Token::Bool(false),
            TRUE => Token::Bool(true),
            INT_8..=INT_64 => Token::Int(self.int_body(m)?),
            BYTES_8..=BYTES_32 => {
                let len = self.len_body(m - BYTES_8)?;
                Token::Bytes(self.sized_take(start, len)?)
            }
            STRING_8..=STRING_32 => {
                let len = self.len_body(m - STRING_8)?;
                Token::Str(self.str_body(start, len)?)
            }
            LIST_8..=LIST_32 => {
                let n = self.len_body(m - LIST_8)?;
                Token::List(self.check_count(start, n, 1)?)
            }
            MAP_8..=MAP_32 => {
                let n = self.len_body(m - MAP_8)?;
                Token::Map(self.check_count(start, n, 2)?)
            }
            STRUCT_8 | STRUCT_16 => {
                let n = self.len_body(m - STRUCT_8)?;
                let tag = self.byte()?;
                Token::Struct(tag, self.check_count(start, n, 1)?)
            }
            _ => {
                self.pos = start;
                return Err(Error::UnknownMarker {
                    marker: m,
                    offset: start,
                });
            }
        })
    }

    /// Reads a map key (must be a string).
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Result<&'a str, Error> {
        let m = self.peek()?;
        if m & 0xF0 == TINY_STRING {
            let start = self.pos;
            self.pos += 1;
            self.str_body(start, (m & 0x0F) as usize)
        } else {
            self.read_str()
        }
    }

    /// Reads one owned value; scalars inline, containers out of line.
    #[inline(always)]
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        // Fast path: TINY_INT (0x00..=0x7F, 0xF0..=0xFF) is one byte.
        if let Some(&b) = self.input.get(self.pos) {
            if b as i8 >= -16 {
                self.pos += 1;
                return Ok(Value::Integer(b as i8 as i64));
            }
        }
        let start = self.pos;
        Ok(match self.token()? {
            Token::Null => Value::Null,
            Token::Bool(b) => Value::Boolean(b),
            Token::Int(i) => Value::Integer(i),
            Token::Float(f) => Value::Float(f),
            Token::Bytes(b) => Value::Bytes(b.to_vec()),
            Token::Str(s) => Value::String(s.to_owned()),
            Token::List(n) => Value::List(self.list(n, depth, start)?),
            Token::Map(n) => self.map(n, depth, start)?,
            Token::Struct(tag, n) => Value::Structure(Structure {
                tag,
                fields: self.list(n, depth, start)?,
            }),
        })
    }

    #[inline(never)]
    fn list(&mut self, n: usize, depth: usize, start: usize) -> Result<Vec<Value>, Error> {
        let d = self.enter(depth, start)?;
        let mut v = Vec::with_capacity(self.prealloc(n));
        for _ in 0..n {
            v.push(self.value(d)?);
        }
        Ok(v)
    }

    #[inline(never)]
    fn map(&mut self, n: usize, depth: usize, start: usize) -> Result<Value, Error> {
        let d = self.enter(depth, start)?;
        let mut v = Vec::with_capacity(self.prealloc(n));
        for _ in 0..n {
            let k = self.key()?.to_owned();
            v.push((k, self.value(d)?));
        }
        Ok(Value::Map(Map::from_entries(v)))
    }

    /// Reads one borrowed value; scalars inline, containers out of line.
    #[inline(always)]
    fn value_ref(&mut self, depth: usize) -> Result<ValueRef<'a>, Error> {
        if let Some(&b) = self.input.get(self.pos) {
            if b as i8 >= -16 {
                self.pos += 1;
                return Ok(ValueRef::Integer(b as i8 as i64));
            }
        }
        let start = self.pos;
        Ok(match self.token()? {
            Token::Null => ValueRef::Null,
            Token::Bool(b) => ValueRef::Boolean(b),
            Token::Int(i) => ValueRef::Integer(i),
            Token::Float(f) => ValueRef::Float(f),
            Token::Bytes(b) => ValueRef::Bytes(b),
            Token::Str(s) => ValueRef::String(s),
            Token::List(n) => ValueRef::List(self.list_ref(n, depth, start)?),
            Token::Map(n) => ValueRef::Map(self.map_ref(n, depth, start)?),
            Token::Struct(tag, n) => ValueRef::Structure {
                tag,
                fields: self.list_ref(n, depth, start)?,
            },
        })
    }

    #[inline(never)]
    fn list_ref(
        &mut self,
        n: usize,
        depth: usize,
        start: usize,
    ) -> Result<Vec<ValueRef<'a>>, Error> {
        let d = self.enter(depth, start)?;
        let mut v = Vec::with_capacity(self.prealloc(n));
        for _ in 0..n {
            v.push(self.value_ref(d)?);
        }
        Ok(v)
    }

    #[inline(never)]
    #[allow(clippy::type_complexity)]
    fn map_ref(
        &mut self,
        n: usize,
        depth: usize,
        start: usize,
    ) -> Result<Vec<(&'a str, ValueRef<'a>)>, Error> {
        let d = self.enter(depth, start)?;
        let mut v = Vec::with_capacity(self.prealloc(n));
        for _ in 0..n {
            let k = self.key()?;
            v.push((k, self.value_ref(d)?));
        }
        Ok(v)
    }

    /// The loop of [`skip_value_unchecked`](Self::skip_value_unchecked):
    /// `left` counts the values still to skip (a container adds its
    /// elements, a map two per entry), and stays at most the bytes
    /// remaining, since each value takes at least one.
    #[inline(never)]
    fn skip_structure(&mut self) -> Result<(), Error> {
        let mut left = 1usize;
        while left > 0 {
            left -= 1;
            let at = self.pos;
            let m = self.byte()?;
            // Bytes that follow the header, values contained.
            let (payload, inner) = match m {
                0x00..=0x7F | 0xF0..=0xFF | NULL | FALSE | TRUE => continue,
                0x80..=0x8F => ((m & 0x0F) as usize, 0),
                0x90..=0x9F => (0, (m & 0x0F) as usize),
                0xA0..=0xAF => (0, 2 * (m & 0x0F) as usize),
                // The tag byte, then the fields.
                0xB0..=0xBF => (1, (m & 0x0F) as usize),
                INT_8 => (1, 0),
                INT_16 => (2, 0),
                INT_32 => (4, 0),
                INT_64 | FLOAT_64 => (8, 0),
                BYTES_8..=BYTES_32 => (self.len_body(m - BYTES_8)?, 0),
                STRING_8..=STRING_32 => (self.len_body(m - STRING_8)?, 0),
                LIST_8..=LIST_32 => (0, self.len_body(m - LIST_8)?),
                MAP_8..=MAP_32 => (0, self.len_body(m - MAP_8)?.saturating_mul(2)),
                STRUCT_8 | STRUCT_16 => (1, self.len_body(m - STRUCT_8)?),
                _ => {
                    return Err(Error::UnknownMarker {
                        marker: m,
                        offset: at,
                    })
                }
            };
            if payload > 0 {
                let end = self.pos.saturating_add(payload);
                if end > self.input.len() {
                    return Err(Error::UnexpectedEnd {
                        offset: self.pos,
                        needed: end - self.input.len(),
                    });
                }
                self.pos = end;
            }
            if inner > 0 {
                left = left.saturating_add(inner);
                if left > self.remaining() {
                    return Err(Error::SizeExceedsInput {
                        offset: at,
                        size: inner as u64,
                        remaining: self.remaining(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The loop of [`skip_value`](Self::skip_value): skips `left` values
    /// nested `depth` deep (a map's keys among them when `in_map`), with
    /// the checks of [`read_value`](Self::read_value) in the same order, so
    /// the same error. Iterative: the counts of the enclosing containers
    /// are kept in a small array; a value nested deeper than it fits
    /// continues in a nested call, so recursion is bounded by the depth
    /// limit divided by the array's length.
    #[inline(never)]
    fn skip_checked(
        &mut self,
        mut left: usize,
        mut in_map: bool,
        depth: usize,
    ) -> Result<(), Error> {
        const LEVELS: usize = 8;
        // Each entry: an enclosing container's `left << 1 | in_map`.
        let mut stack = [0usize; LEVELS];
        let mut levels = 0usize;
        loop {
            if left == 0 {
                if levels == 0 {
                    return Ok(());
                }
                levels -= 1;
                let e = stack[levels];
                left = e >> 1;
                in_map = e & 1 == 1;
                continue;
            }
            // In a map, an even count of values left means a key is next.
            let key = in_map && left & 1 == 0;
            left -= 1;
            let start = self.pos;
            let m = self.peek()?;
            let len = match m {
                0x80..=0x8F => {
                    self.pos += 1;
                    (m & 0x0F) as usize
                }
                STRING_8..=STRING_32 => {
                    self.pos += 1;
                    self.len_body(m - STRING_8)?
                }
                _ if key => return Err(self.mismatch("string", m)),
                0x00..=0x7F | 0xF0..=0xFF | NULL | FALSE | TRUE => {
                    self.pos += 1;
                    continue;
                }
                _ => {
                    let (n, map) = match self.token()? {
                        Token::List(n) | Token::Struct(_, n) => (n, false),
                        // At most half the remaining bytes: no overflow.
                        Token::Map(n) => (2 * n, true),
                        _ => continue,
                    };
                    let inner = self.enter(depth + levels, start)?;
                    if n == 0 {
                        continue;
                    }
                    if levels < LEVELS {
                        stack[levels] = left << 1 | in_map as usize;
                        levels += 1;
                        left = n;
                        in_map = map;
                    } else {
                        self.skip_checked(n, map, inner)?;
                    }
                    continue;
                }
            };
            self.checked_str(start, len)?;
        }
    }

    /// The recursive validating skip that [`skip_checked`](Self::skip_checked)
    /// replaced, kept as the oracle of its tests.
    #[cfg(test)]
    fn skip(&mut self, depth: usize) -> Result<(), Error> {
        let start = self.pos;
        match self.token()? {
            Token::List(n) | Token::Struct(_, n) => {
                let d = self.enter(depth, start)?;
                for _ in 0..n {
                    self.skip(d)?;
                }
            }
            Token::Map(n) => {
                let d = self.enter(depth, start)?;
                for _ in 0..n {
                    self.key()?;
                    self.skip(d)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether `b` is UTF-8, checking for ASCII first (map keys and most
/// metadata strings are short ASCII, which `std::str::from_utf8` is slower
/// to accept).
#[inline(always)]
fn utf8_ok(b: &[u8]) -> bool {
    is_ascii(b) || std::str::from_utf8(b).is_ok()
}

/// Whether `b` is ASCII; up to 16 bytes in two (overlapping) word loads
/// instead of a loop.
#[inline(always)]
fn is_ascii(b: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if let (Some(a), Some(z)) = (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        if b.len() <= 16 {
            return (u64::from_ne_bytes(*a) | u64::from_ne_bytes(*z)) & HIGH == 0;
        }
        return b.is_ascii();
    }
    if let (Some(a), Some(z)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        return (u32::from_ne_bytes(*a) | u32::from_ne_bytes(*z)) & HIGH as u32 == 0;
    }
    match *b {
        [] => true,
        [x] => x < 0x80,
        [x, y] => x | y < 0x80,
        [x, y, z, ..] => x | y | z < 0x80,
    }
}

/// Decodes `input`, which must hold exactly one value, into an owned [`Value`].
///
/// # Errors
/// Any decoding error, or [`Error::TrailingBytes`].
///
/// ```
/// use packstream::{decode, Value};
/// assert_eq!(decode(&[0xC9, 0x01, 0x00]).unwrap(), Value::Integer(256));
/// assert!(decode(&[0x01, 0x02]).is_err()); // trailing byte
/// ```
pub fn decode(input: &[u8]) -> Result<Value, Error> {
    let mut d = Decoder::new(input);
    let v = d.read_value()?;
    d.finish()?;
    Ok(v)
}

/// Decodes `input`, which must hold exactly one value, borrowing strings and bytes.
///
/// # Errors
/// Any decoding error, or [`Error::TrailingBytes`].
///
/// ```
/// use packstream::{decode_ref, ValueRef};
/// assert_eq!(decode_ref(&[0x81, b'a']).unwrap(), ValueRef::String("a"));
/// ```
pub fn decode_ref(input: &[u8]) -> Result<ValueRef<'_>, Error> {
    let mut d = Decoder::new(input);
    let v = d.read_value_ref()?;
    d.finish()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    //! The iterative validating skip against the recursive one it replaced
    //! and against `read_value`: same acceptance, same error, same position.
    use super::*;
    use proptest::prelude::*;

    /// `skip_value`, the old recursive skip and `read_value` on `input`
    /// with `depth` as the limit: the error (by its `Debug` form, `Error`
    /// has no `PartialEq`) and the final position of each.
    fn outcomes(input: &[u8], depth: usize) -> [(String, usize); 3] {
        let mut new = Decoder::new(input).with_max_depth(depth);
        let a = format!("{:?}", new.skip_value());
        let mut old = Decoder::new(input).with_max_depth(depth);
        let b = format!("{:?}", old.skip(0));
        let mut read = Decoder::new(input).with_max_depth(depth);
        let c = format!("{:?}", read.read_value().map(|_| ()));
        [(a, new.pos), (b, old.pos), (c, read.pos)]
    }

    fn agree(input: &[u8], depth: usize) -> Result<(), TestCaseError> {
        let [new, old, read] = outcomes(input, depth);
        prop_assert_eq!(&new, &old, "input {:02X?} depth {}", input, depth);
        // `read_value` moves the cursor differently only on some errors.
        prop_assert_eq!(&new.0, &read.0, "input {:02X?} depth {}", input, depth);
        if new.0 == "Ok(())" {
            prop_assert_eq!(new.1, read.1);
        }
        Ok(())
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::Integer),
            (-20i64..20).prop_map(Value::Integer),
            any::<f64>().prop_map(Value::Float),
            prop::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
            ".{0,20}".prop_map(Value::String),
            "[a-z]{14,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(12, 96, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
                prop::collection::vec(("[a-zé]{0,4}", inner.clone()), 0..6)
                    .prop_map(|kv| Value::Map(kv.into_iter().collect::<Map>())),
                (any::<u8>(), prop::collection::vec(inner, 0..4))
                    .prop_map(|(tag, fields)| Value::Structure(Structure::new(tag, fields))),
            ]
        })
    }

    /// Replaces bytes to make invalid UTF-8, non-string keys, bad sizes...
    fn mutate(mut bytes: Vec<u8>, flips: &[(prop::sample::Index, u8)]) -> Vec<u8> {
        if !bytes.is_empty() {
            for (i, b) in flips {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
        }
        bytes
    }

    /// `skip_map_entries` against `skip_value` on input that starts with
    /// a map marker, and its entries against `read_value_ref`'s.
    fn map_entries_agree(input: &[u8], depth: usize) -> Result<(), TestCaseError> {
        if Decoder::new(input).peek_kind().ok() != Some(Kind::Map) {
            return Ok(());
        }
        let mut entries = Vec::new();
        let mut d = Decoder::new(input).with_max_depth(depth);
        let r = d.skip_map_entries(|k, at| entries.push((k, at)));
        let mut skip = Decoder::new(input).with_max_depth(depth);
        let s = skip.skip_value();
        prop_assert_eq!(
            format!("{r:?}"),
            format!("{s:?}"),
            "input {:02X?} depth {}",
            input,
            depth
        );
        prop_assert_eq!(d.pos, skip.pos);
        if r.is_ok() {
            let Ok(ValueRef::Map(m)) = Decoder::new(input).read_value_ref() else {
                return Err(TestCaseError::fail("read_value_ref differs"));
            };
            prop_assert_eq!(m.len(), entries.len());
            for ((k, v), (key, at)) in m.iter().zip(&entries) {
                prop_assert_eq!(k.as_bytes(), *key);
                let value = Decoder::new(&input[*at..]).read_value_ref();
                // By `Debug`: NaN equals NaN.
                prop_assert_eq!(format!("{value:?}"), format!("{:?}", Ok::<_, Error>(v)));
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn map_entries_agree_with_skip(
            kv in prop::collection::vec(("[a-zé]{0,4}", arb_value()), 0..5),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
            cut in any::<prop::sample::Index>(),
            depth in 0usize..6,
        ) {
            let map = Value::Map(kv.into_iter().collect::<Map>());
            let bytes = map.to_bytes().unwrap();
            map_entries_agree(&bytes, depth)?;
            map_entries_agree(&bytes, DEFAULT_MAX_DEPTH)?;
            let bytes = mutate(bytes, &flips);
            map_entries_agree(&bytes, DEFAULT_MAX_DEPTH)?;
            let cut = cut.index(bytes.len() + 1);
            map_entries_agree(&bytes[..cut], DEFAULT_MAX_DEPTH)?;
        }

        #[test]
        fn skip_agrees_on_values(v in arb_value(), depth in 0usize..20, tail in prop::collection::vec(any::<u8>(), 0..3)) {
            let mut bytes = v.to_bytes().unwrap();
            bytes.extend_from_slice(&tail);
            agree(&bytes, depth)?;
            agree(&bytes, DEFAULT_MAX_DEPTH)?;
        }

        #[test]
        fn skip_agrees_on_mutated_values(
            v in arb_value(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
            depth in 0usize..20,
        ) {
            let bytes = mutate(v.to_bytes().unwrap(), &flips);
            agree(&bytes, depth)?;
            agree(&bytes, DEFAULT_MAX_DEPTH)?;
            let cut = cut.index(bytes.len() + 1);
            agree(&bytes[..cut], DEFAULT_MAX_DEPTH)?;
        }

        #[test]
        fn skip_agrees_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200), depth in 0usize..8) {
            agree(&bytes, depth)?;
            agree(&bytes, DEFAULT_MAX_DEPTH)?;
        }

        /// Nesting past the skip's array of levels and around the limit.
        #[test]
        fn skip_agrees_on_deep_nesting(
            shape in prop::collection::vec(0u8..4, 0..80),
            leaf in prop_oneof![Just(vec![0x90]), Just(vec![0x01]), Just(vec![0x81, 0xFF]), Just(vec![0xA1, 0x01, 0x01]), Just(vec![])],
            depth in 0usize..90,
            tail in prop::collection::vec(any::<u8>(), 0..3),
        ) {
            let mut bytes = Vec::new();
            for s in &shape {
                match s {
                    0 => bytes.push(0x91),
                    1 => bytes.extend_from_slice(&[0xA1, 0x81, b'k']),
                    2 => bytes.extend_from_slice(&[0xB1, 0x4E]),
                    _ => bytes.extend_from_slice(&[0x92, 0x01]), // the leaf is second
                }
            }
            bytes.extend_from_slice(&leaf);
            bytes.extend_from_slice(&tail);
            agree(&bytes, depth)?;
            agree(&bytes, DEFAULT_MAX_DEPTH)?;
            agree(&bytes, usize::MAX)?;
        }
    }

    #[test]
    fn is_ascii_sees_every_byte() {
        for len in 0..40 {
            let mut b = vec![b'a'; len];
            assert!(is_ascii(&b));
            for i in 0..len {
                b[i] = 0x80;
                assert!(!is_ascii(&b), "len {len}, high byte at {i}");
                b[i] = 0x7F;
                assert!(is_ascii(&b));
                b[i] = b'a';
            }
        }
    }

    #[test]
    fn skip_checks_like_read_value() {
        let cases: &[&[u8]] = &[
            &[0xA1, 0x01, 0x01],             // integer key
            &[0xA1, 0xD0, 0x01, b'k', 0xC0], // STRING_8 key
            &[0xA1, 0x81, 0xFF, 0xC0],       // invalid UTF-8 key
            &[0x91, 0xD0, 0x02, 0xC3, 0xA9], // "é" in STRING_8
            &[0x91, 0x82, 0xC3, 0x28],       // invalid UTF-8 value
            &[0x92, 0x01],                   // cut off
            &[0xB1, 0x4E],                   // struct cut off
            &[0xDF],                         // reserved marker
            &[0x91, 0xA1, 0x81, b'a', 0xE0], // reserved marker in a map
        ];
        for c in cases {
            let [new, old, read] = outcomes(c, DEFAULT_MAX_DEPTH);
            assert_eq!(new, old, "{c:02X?}");
            assert_eq!(new.0, read.0, "{c:02X?}");
        }
        assert!(Decoder::new(&[0x91, 0xD0, 0x02, 0xC3, 0xA9])
            .skip_value()
            .is_ok());
        assert!(matches!(
            Decoder::new(&[0xA1, 0x81, 0xFF, 0xC0]).skip_value(),
            Err(Error::InvalidUtf8 { offset: 2 })
        ));
    }
}
