//! Structures through serde: offered to a visitor as a newtype struct whose
//! content is the sequence `(tag, fields...)`.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::Deserializer;
use crate::Error;

/// The content of a structure: any request yields the sequence `(tag, fields...)`.
pub(super) struct StructureDeserializer<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
    pub(super) tag: u8,
    pub(super) n: usize,
}

impl<'de> de::Deserializer<'de> for StructureDeserializer<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let n = self.n;
        let mut access = StructureSeq {
            de: self.de,
            tag: Some(self.tag),
            left: n,
        };
        let out = v.visit_seq(&mut access)?;
        if access.tag.is_some() || access.left != 0 {
            return Err(de::Error::invalid_length(n + 1, &"fewer structure fields"));
        }
        Ok(out)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct StructureSeq<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    tag: Option<u8>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for StructureSeq<'_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if let Some(tag) = self.tag.take() {
            return seed.deserialize(tag.into_deserializer()).map(Some);
        }
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left + usize::from(self.tag.is_some()))
    }
}
