//! Errors raised while encoding and decoding Bolt messages.
//!
//! Owns [`EncodeError`] and [`DecodeError`]; nothing here touches bytes.

use packstream::Kind;

use crate::Version;

/// Which side of the conversation a message belongs to.
///
/// ```
/// use bolt_proto::message::Side;
/// assert_eq!(Side::Request.to_string(), "request");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Client to server.
    Request,
    /// Server to client.
    Response,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Request => "request",
            Side::Response => "response",
        })
    }
}

/// A message that could not be written for the negotiated version.
///
/// On error the output buffer is left as it was before the call.
///
/// ```
/// use bolt_proto::message::{EncodeError, Request};
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// let err = Request::Logoff.encode(Version::V5_0, &mut buf).unwrap_err();
/// assert!(matches!(err, EncodeError::NotInVersion { message: "LOGOFF", .. }));
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The message does not exist in this protocol version.
    #[error("{message} is not part of Bolt {version}")]
    NotInVersion {
        /// Message name, e.g. `"ROUTE"`.
        message: &'static str,
        /// The negotiated version.
        version: Version,
    },
    /// A field is set that this protocol version cannot carry.
    #[error("{message} field `{field}` is not part of Bolt {version}")]
    FieldNotInVersion {
        /// Message name.
        message: &'static str,
        /// Field name (the wire key where there is one).
        field: &'static str,
        /// The negotiated version.
        version: Version,
    },
    /// A field value the message cannot express.
    #[error("{message} field `{field}`: {reason}")]
    InvalidField {
        /// Message name.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// PackStream refused a value (e.g. a string over 4 GiB).
    #[error("packstream: {0}")]
    PackStream(#[from] packstream::Error),
}

/// A message body that is not a valid Bolt message for the negotiated version.
///
/// ```
/// use bolt_proto::message::{DecodeError, Response};
/// use bolt_proto::Version;
/// let err = Response::decode(&[0xB0, 0x55], Version::V4_4).unwrap_err();
/// assert!(matches!(err, DecodeError::UnknownTag { tag: 0x55, .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The structure tag names no message of this side and version.
    #[error("unknown {side} message tag 0x{tag:02X} for Bolt {version}")]
    UnknownTag {
        /// The tag byte.
        tag: u8,
        /// Request or response.
        side: Side,
        /// The negotiated version.
        version: Version,
    },
    /// A known message that this protocol version does not have.
    #[error("{message} is not part of Bolt {version}")]
    NotInVersion {
        /// Message name.
        message: &'static str,
        /// The negotiated version.
        version: Version,
    },
    /// The message structure has the wrong number of fields.
    #[error("{message} takes {expected} field(s) in Bolt {version}, got {found}")]
    FieldCount {
        /// Message name.
        message: &'static str,
        /// Fields expected for this version.
        expected: usize,
        /// Fields present.
        found: usize,
        /// The negotiated version.
        version: Version,
    },
    /// A field holds a value of the wrong kind.
    #[error("{message} field `{field}` must be {expected}, found {}", found.name())]
    FieldType {
        /// Message name.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// What was expected ("string", "map", "list of strings", ...).
        expected: &'static str,
        /// What was found.
        found: Kind,
    },
    /// A required metadata entry is absent.
    #[error("{message} lacks required field `{field}`")]
    MissingField {
        /// Message name.
        message: &'static str,
        /// Field name.
        field: &'static str,
    },
    /// A field holds a value of the right kind that the message cannot take.
    #[error("{message} field `{field}`: {reason}")]
    InvalidValue {
        /// Message name.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The bytes are not valid PackStream, or bytes follow the message.
    #[error("packstream: {0}")]
    PackStream(#[from] packstream::Error),
}
