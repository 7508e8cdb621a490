//! Shared helpers for writing message fields and reading them back.
//!
//! Owns the small vocabulary every message uses (metadata maps with typed
//! entries first and pass-through entries after, typed field extraction).
//! Must not know any particular message.

use packstream::encode::{
    write_int, write_list_header, write_map_header, write_string, write_value,
};
use packstream::{Map, Value};

use super::DecodeError;

/// One typed entry of a metadata map, borrowed from the message.
#[derive(Clone, Copy)]
pub(crate) enum F<'a> {
    Str(&'a str),
    Int(i64),
    Map(&'a Map),
    StrList(&'a [String]),
    /// A list of borrowed strings.
    Strs(&'a [&'a str]),
    Value(&'a Value),
    /// Already-encoded PackStream, written verbatim.
    Raw(&'a [u8]),
}

/// Up to `N` entries of a metadata map, on the stack (RUN and BEGIN are
/// written once per query: no allocation for their few entries).
pub(crate) struct Entries<'a, const N: usize> {
    items: [(&'a str, F<'a>); N],
    len: usize,
}

impl<'a, const N: usize> Entries<'a, N> {
    pub(crate) fn new() -> Self {
        Entries {
            items: [("", F::Int(0)); N],
            len: 0,
        }
    }

    /// Adds an entry; `N` is sized for every entry a message can have,
    /// so none is ever dropped (a debug assertion checks it).
    pub(crate) fn push(&mut self, entry: (&'a str, F<'a>)) {
        debug_assert!(self.len < N, "more than {N} entries");
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = entry;
            self.len += 1;
        }
    }

    pub(crate) fn as_slice(&self) -> &[(&'a str, F<'a>)] {
        &self.items[..self.len]
    }
}

impl<'a, const N: usize> Extend<(&'a str, F<'a>)> for Entries<'a, N> {
    fn extend<I: IntoIterator<Item = (&'a str, F<'a>)>>(&mut self, iter: I) {
        for e in iter {
            self.push(e);
        }
    }
}

pub(crate) fn write_f(buf: &mut Vec<u8>, f: &F<'_>) -> Result<(), packstream::Error> {
    match f {
        F::Str(s) => write_string(buf, s)?,
        F::Int(i) => write_int(buf, *i),
        F::Map(m) => write_map(buf, m)?,
        F::StrList(l) => write_str_list(buf, l)?,
        F::Strs(l) => {
            write_list_header(buf, l.len())?;
            for s in *l {
                write_string(buf, s)?;
            }
        }
        F::Value(v) => write_value(buf, v)?,
        F::Raw(b) => buf.extend_from_slice(b),
    }
    Ok(())
}

/// Writes a map without building a `Value`.
pub(crate) fn write_map(buf: &mut Vec<u8>, m: &Map) -> Result<(), packstream::Error> {
    write_map_header(buf, m.len())?;
    for (k, v) in m.iter() {
        write_string(buf, k)?;
        write_value(buf, v)?;
    }
    Ok(())
}

/// Writes a list of strings.
pub(crate) fn write_str_list(buf: &mut Vec<u8>, l: &[String]) -> Result<(), packstream::Error> {
    write_list_header(buf, l.len())?;
    for s in l {
        write_string(buf, s)?;
    }
    Ok(())
}

/// Writes a metadata map: the typed `entries` first, then every entry of
/// `extra` whose key is not among them.
pub(crate) fn write_entries(
    buf: &mut Vec<u8>,
    entries: &[(&str, F<'_>)],
    extra: &Map,
) -> Result<(), packstream::Error> {
    let clash = |k: &str| entries.iter().any(|(e, _)| *e == k);
    let n_extra = extra.keys().filter(|k| !clash(k)).count();
    write_map_header(buf, entries.len() + n_extra)?;
    for (k, f) in entries {
        write_string(buf, k)?;
        write_f(buf, f)?;
    }
    for (k, v) in extra.iter() {
        if !clash(k) {
            write_string(buf, k)?;
            write_value(buf, v)?;
        }
    }
    Ok(())
}

/// Field extraction with errors naming the message and field.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) message: &'static str,
}

impl Ctx {
    pub(crate) fn ty(self, field: &'static str, expected: &'static str, v: &Value) -> DecodeError {
        DecodeError::FieldType {
            message: self.message,
            field,
            expected,
            found: v.kind(),
        }
    }

    pub(crate) fn string(self, field: &'static str, v: Value) -> Result<String, DecodeError> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(self.ty(field, "string", &other)),
        }
    }

    pub(crate) fn opt_string(
        self,
        field: &'static str,
        v: Option<Value>,
    ) -> Result<Option<String>, DecodeError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.string(field, v).map(Some),
        }
    }

    pub(crate) fn int(self, field: &'static str, v: Value) -> Result<i64, DecodeError> {
        match v {
            Value::Integer(i) => Ok(i),
            other => Err(self.ty(field, "integer", &other)),
        }
    }

    pub(crate) fn opt_int(
        self,
        field: &'static str,
        v: Option<Value>,
    ) -> Result<Option<i64>, DecodeError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.int(field, v).map(Some),
        }
    }

    pub(crate) fn map(self, field: &'static str, v: Value) -> Result<Map, DecodeError> {
        match v {
            Value::Map(m) => Ok(m),
            other => Err(self.ty(field, "map", &other)),
        }
    }

    pub(crate) fn opt_map(
        self,
        field: &'static str,
        v: Option<Value>,
    ) -> Result<Option<Map>, DecodeError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.map(field, v).map(Some),
        }
    }

    pub(crate) fn str_list(
        self,
        field: &'static str,
        v: Value,
    ) -> Result<Vec<String>, DecodeError> {
        match v {
            Value::List(items) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s),
                    other => Err(self.ty(field, "list of strings", &other)),
                })
                .collect(),
            other => Err(self.ty(field, "list of strings", &other)),
        }
    }

    pub(crate) fn opt_str_list(
        self,
        field: &'static str,
        v: Option<Value>,
    ) -> Result<Option<Vec<String>>, DecodeError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.str_list(field, v).map(Some),
        }
    }
}

/// Reads the structure header of a message body: `(tag, field count)`.
pub(crate) fn open(body: &[u8]) -> Result<(u8, usize, packstream::Decoder<'_>), DecodeError> {
    let mut dec = packstream::Decoder::new(body);
    let (tag, len) = dec.read_struct_header()?;
    Ok((tag, len, dec))
}

/// Reads `n` owned fields and checks nothing follows.
pub(crate) fn read_fields(
    mut dec: packstream::Decoder<'_>,
    n: usize,
) -> Result<Vec<Value>, DecodeError> {
    let mut out = Vec::with_capacity(n.min(16));
    for _ in 0..n {
        out.push(dec.read_value()?);
    }
    dec.finish()?;
    Ok(out)
}
