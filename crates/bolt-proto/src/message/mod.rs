//! Every Bolt message, client and server side, for every supported version.
//!
//! Owns the mapping between typed messages ([`Request`], [`Response`],
//! [`ResponseRef`]) and message bodies (one PackStream structure each).
//! Must not chunk bytes (that is [`crate::framing`]), track state (that is
//! [`crate::state`]) or interpret graph/temporal values (that is
//! [`crate::structure`]).
//!
//! [`frontend`] writes the same requests from borrowed inputs straight into
//! a caller's buffer (the client's hot path).
//!
//! Every function takes the negotiated [`Version`](crate::Version) and writes
//! exactly the fields that version defines; what a version cannot express is
//! an [`EncodeError`], never silently dropped.
//!
//! ```
//! use bolt_proto::message::{Request, Response, Run};
//! use bolt_proto::Version;
//! let mut buf = Vec::new();
//! Request::Run(Run::new("RETURN 1")).encode(Version::V1, &mut buf).unwrap();
//! // RUN "RETURN 1" {}
//! assert_eq!(buf[..2], [0xB2, 0x10]);
//! let rsp = Response::decode(&[0xB1, 0x71, 0x91, 0x01], Version::V1).unwrap();
//! assert!(matches!(rsp, Response::Record(r) if r.fields == vec![1.into()]));
//! ```

mod encoded;
mod error;
pub mod frontend;
mod request;
mod response;
mod wire;

pub use encoded::EncodedMap;
pub use error::{DecodeError, EncodeError, Side};
pub use request::{
    tag, AccessMode, Begin, BoltAgent, Discard, Hello, Init, Logon, NotificationFilter, Pull,
    RedactedAuth, Request, RequestKind, Route, Run, Telemetry, TxExtra,
};
pub use response::{
    decode_record_ref, encode_record, Failure, FailureCause, Record, RecordFields, RecordView,
    Response, ResponseKind, ResponseRef, Success, SuccessRef,
};
