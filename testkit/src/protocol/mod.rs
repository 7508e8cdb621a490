//! TestKit's wire vocabulary: the requests TestKit sends, the responses
//! and callback requests the backend sends, and the line framing around
//! them.
//!
//! Owns (de)serialisation only; what a request does lives in
//! [`crate::handlers`].

pub(crate) mod framing;
pub(crate) mod requests;
pub(crate) mod responses;

use serde::{Deserialize, Deserializer};

/// An object id chosen by the backend (unique per connection). TestKit
/// echoes ids back as it got them; strings of digits are accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub(crate) struct Id(pub(crate) u64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(u64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(n) => Ok(Id(n)),
            Raw::Str(s) => s
                .trim()
                .parse()
                .map(Id)
                .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an id"))),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
