//! From an address string to a ready byte stream: resolution (custom
//! resolver, then DNS), TCP connect with timeouts, keep-alive and NODELAY,
//! and TLS on rustls.
//!
//! Must not know about Bolt messages: the stream it returns carries bytes.
//!
//! TLS uses rustls with its `ring` crypto provider, chosen because it builds
//! with only a C compiler (no cmake/nasm as aws-lc-rs needs). The provider
//! is passed explicitly, never taken from the process-wide default.
//!
//! | module | owns |
//! |---|---|
//! | `address` | [`Address`]: `host:port` parsing and formatting |
//! | `resolve` | [`Resolver`] (custom resolver) and the DNS step |
//! | `tcp` | TCP connect before a deadline; NODELAY and keep-alive |
//! | `tls` | [`TlsConfig`], [`Trust`], [`ClientCertificate`] (and its rotating [`ClientCertificateSource`]), [`TlsConnector`], the handshake, key decryption |
//! | `stream` | [`BoltStream`], one type for plain and TLS |
//! | `connect` | [`ConnectOptions`] and [`connect`], the loop over addresses |
//! | `error` | [`NetError`] and friends |
//!
//! ```no_run
//! use bolt_net::{connect, Address, ConnectOptions, TlsConfig, Trust};
//!
//! # async fn demo() -> Result<(), bolt_net::NetError> {
//! let address: Address = "localhost:7687".parse()?;
//! let tls = TlsConfig::new(Trust::CustomCaFiles(vec!["ca.pem".into()])).build()?; // once per driver
//! let options = ConnectOptions::new().with_tls(tls);
//! let (stream, peer) = connect(&address, &options).await?;
//! # let _ = (stream, peer);
//! # Ok(()) }
//! ```

mod address;
mod connect;
mod error;
mod resolve;
mod stream;
mod tcp;
mod tls;

pub use address::{Address, AddressError, AddressErrorReason, DEFAULT_PORT};
pub use connect::{connect, ConnectOptions, DEFAULT_CONNECTION_TIMEOUT};
pub use error::{Attempt, NetError, Phase, TlsConfigError, TlsErrorKind};
pub use resolve::{DnsResolver, Resolver};
pub use stream::BoltStream;
pub use tls::{ClientCertificate, ClientCertificateSource, TlsConfig, TlsConnector, Trust};
