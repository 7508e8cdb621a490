//! Encoding: appends PackStream bytes to a `Vec<u8>`, always with the smallest marker.
//!
//! Owns the byte layout of every value on the write side. It never reads input
//! and never allocates beyond growing the caller's buffer.
//!
//! ```
//! use packstream::encode;
//! let mut buf = Vec::new();
//! encode::write_map_header(&mut buf, 1).unwrap();
//! encode::write_string(&mut buf, "n").unwrap();
//! encode::write_int(&mut buf, 1000);
//! assert_eq!(buf, [0xA1, 0x81, b'n', 0xC9, 0x03, 0xE8]);
//! ```

use crate::marker::*;
use crate::{Error, Value};

/// Writes null (`C0`).
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_null(&mut buf);
/// assert_eq!(buf, [0xC0]);
/// ```
#[inline]
pub fn write_null(buf: &mut Vec<u8>) {
    buf.push(NULL);
}

/// Writes a boolean (`C2` false, `C3` true).
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_bool(&mut buf, true);
/// assert_eq!(buf, [0xC3]);
/// ```
#[inline]
pub fn write_bool(buf: &mut Vec<u8>, v: bool) {
    buf.push(if v { TRUE } else { FALSE });
}

/// Writes an integer in the smallest form: TINY_INT for -16..=127, then INT_8/16/32/64.
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_int(&mut buf, -17);
/// assert_eq!(buf, [0xC8, 0xEF]);
/// ```
#[inline]
pub fn write_int(buf: &mut Vec<u8>, v: i64) {
    if (-16..=127).contains(&v) {
        buf.push(v as u8);
    } else if (-128..=127).contains(&v) {
        buf.extend_from_slice(&[INT_8, v as u8]);
    } else if (-32768..=32767).contains(&v) {
        let b = (v as i16).to_be_bytes();
        buf.extend_from_slice(&[INT_16, b[0], b[1]]);
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        let b = (v as i32).to_be_bytes();
        buf.extend_from_slice(&[INT_32, b[0], b[1], b[2], b[3]]);
    } else {
        buf.push(INT_64);
        buf.extend_from_slice(&v.to_be_bytes());
    }
}

/// Writes a 64-bit float (`C1` + 8 bytes big-endian).
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_float(&mut buf, 1.0);
/// assert_eq!(buf, [0xC1, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]);
/// ```
#[inline]
pub fn write_float(buf: &mut Vec<u8>, v: f64) {
    buf.push(FLOAT_64);
    buf.extend_from_slice(&v.to_be_bytes());
}

#[inline]
fn write_sized(
    buf: &mut Vec<u8>,
    len: usize,
    tiny: Option<u8>,
    m8: u8,
    m16: u8,
    m32: u8,
    what: &'static str,
) -> Result<(), Error> {
    match (tiny, len) {
        (Some(t), 0..=15) => buf.push(t | len as u8),
        (_, 0..=0xFF) => buf.extend_from_slice(&[m8, len as u8]),
        (_, 0x100..=0xFFFF) => {
            let b = (len as u16).to_be_bytes();
            buf.extend_from_slice(&[m16, b[0], b[1]]);
        }
        _ => {
            let n = u32::try_from(len).map_err(|_| Error::TooLarge {
                what,
                size: len as u64,
                max: u32::MAX as u64,
            })?;
            let b = n.to_be_bytes();
            buf.extend_from_slice(&[m32, b[0], b[1], b[2], b[3]]);
        }
    }
    Ok(())
}

/// Writes a UTF-8 string (tiny `8x`, `D0`, `D1`, `D2`).
///
/// # Errors
/// [`Error::TooLarge`] if the string is longer than `u32::MAX` bytes.
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_string(&mut buf, "hi").unwrap();
/// assert_eq!(buf, [0x82, b'h', b'i']);
/// ```
#[inline]
pub fn write_string(buf: &mut Vec<u8>, v: &str) -> Result<(), Error> {
    write_sized(
        buf,
        v.len(),
        Some(TINY_STRING),
        STRING_8,
        STRING_16,
        STRING_32,
        "string",
    )?;
    buf.extend_from_slice(v.as_bytes());
    Ok(())
}

/// Writes a byte array (`CC`, `CD`, `CE`; there is no tiny form).
///
/// # Errors
/// [`Error::TooLarge`] if longer than `u32::MAX` bytes.
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_bytes(&mut buf, &[1, 2]).unwrap();
/// assert_eq!(buf, [0xCC, 0x02, 1, 2]);
/// ```
#[inline]
pub fn write_bytes(buf: &mut Vec<u8>, v: &[u8]) -> Result<(), Error> {
    write_sized(buf, v.len(), None, BYTES_8, BYTES_16, BYTES_32, "bytes")?;
    buf.extend_from_slice(v);
    Ok(())
}

/// Writes a list header for `len` elements (tiny `9x`, `D4`, `D5`, `D6`); the
/// caller writes the elements next.
///
/// # Errors
/// [`Error::TooLarge`] if `len > u32::MAX`.
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_list_header(&mut buf, 16).unwrap();
/// assert_eq!(buf, [0xD4, 16]);
/// ```
#[inline]
pub fn write_list_header(buf: &mut Vec<u8>, len: usize) -> Result<(), Error> {
    write_sized(buf, len, Some(TINY_LIST), LIST_8, LIST_16, LIST_32, "list")
}

/// Writes a map header for `len` entries (tiny `Ax`, `D8`, `D9`, `DA`); the
/// caller writes `len` key/value pairs next, keys as strings.
///
/// # Errors
/// [`Error::TooLarge`] if `len > u32::MAX`.
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_map_header(&mut buf, 0).unwrap();
/// assert_eq!(buf, [0xA0]);
/// ```
#[inline]
pub fn write_map_header(buf: &mut Vec<u8>, len: usize) -> Result<(), Error> {
    write_sized(buf, len, Some(TINY_MAP), MAP_8, MAP_16, MAP_32, "map")
}

/// Writes a structure header (`Bx` + tag); the caller writes `len` fields next.
///
/// # Errors
/// [`Error::TooLarge`] if `len > 15`.
///
/// ```
/// let mut buf = Vec::new();
/// packstream::encode::write_struct_header(&mut buf, 0x4E, 3).unwrap();
/// assert_eq!(buf, [0xB3, 0x4E]);
/// assert!(packstream::encode::write_struct_header(&mut buf, 0x4E, 16).is_err());
/// ```
#[inline]
pub fn write_struct_header(buf: &mut Vec<u8>, tag: u8, len: usize) -> Result<(), Error> {
    if len > 15 {
        return Err(Error::TooLarge {
            what: "structure",
            size: len as u64,
            max: 15,
        });
    }
    buf.extend_from_slice(&[TINY_STRUCT | len as u8, tag]);
    Ok(())
}

/// Writes any owned [`Value`].
///
/// # Errors
/// [`Error::TooLarge`] for an oversize string, bytes, list, map or structure.
///
/// ```
/// use packstream::{encode, Value};
/// let mut buf = Vec::new();
/// encode::write_value(&mut buf, &Value::from(vec![1, 2])).unwrap();
/// assert_eq!(buf, [0x92, 0x01, 0x02]);
/// ```
pub fn write_value(buf: &mut Vec<u8>, v: &Value) -> Result<(), Error> {
    match v {
        Value::Null => write_null(buf),
        Value::Boolean(b) => write_bool(buf, *b),
        Value::Integer(i) => write_int(buf, *i),
        Value::Float(f) => write_float(buf, *f),
        Value::Bytes(b) => write_bytes(buf, b)?,
        Value::String(s) => write_string(buf, s)?,
        Value::List(l) => {
            write_list_header(buf, l.len())?;
            for x in l {
                write_value(buf, x)?;
            }
        }
        Value::Map(m) => {
            write_map_header(buf, m.len())?;
            for (k, x) in m {
                write_string(buf, k)?;
                write_value(buf, x)?;
            }
        }
        Value::Structure(s) => {
            write_struct_header(buf, s.tag, s.fields.len())?;
            for x in &s.fields {
                write_value(buf, x)?;
            }
        }
    }
    Ok(())
}

/// Writes a borrowed [`ValueRef`](crate::ValueRef).
///
/// # Errors
/// As [`write_value`].
///
/// ```
/// use packstream::{decode_ref, encode};
/// let bytes = [0xA1, 0x81, b'a', 0x82, b'h', b'i'];
/// let mut buf = Vec::new();
/// encode::write_value_ref(&mut buf, &decode_ref(&bytes).unwrap()).unwrap();
/// assert_eq!(buf, bytes);
/// ```
pub fn write_value_ref(buf: &mut Vec<u8>, v: &crate::ValueRef<'_>) -> Result<(), Error> {
    use crate::ValueRef as R;
    match v {
        R::Null => write_null(buf),
        R::Boolean(b) => write_bool(buf, *b),
        R::Integer(i) => write_int(buf, *i),
        R::Float(f) => write_float(buf, *f),
        R::Bytes(b) => write_bytes(buf, b)?,
        R::String(s) => write_string(buf, s)?,
        R::List(l) => {
            write_list_header(buf, l.len())?;
            for x in l {
                write_value_ref(buf, x)?;
            }
        }
        R::Map(m) => {
            write_map_header(buf, m.len())?;
            for (k, x) in m {
                write_string(buf, k)?;
                write_value_ref(buf, x)?;
            }
        }
        R::Structure { tag, fields } => {
            write_struct_header(buf, *tag, fields.len())?;
            for x in fields {
                write_value_ref(buf, x)?;
            }
        }
    }
    Ok(())
}
