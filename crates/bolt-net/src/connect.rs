//! The connect loop: custom resolver, then DNS per address, then TCP (and
//! TLS) to each socket address in order until one works, each attempt
//! bounded by `connection_timeout`.
//!
//! Owns [`ConnectOptions`] and [`connect`]; collects every failed attempt
//! into the error. Sends no bytes of its own beyond the TLS handshake.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use crate::address::Address;
use crate::error::{Attempt, NetError};
use crate::resolve::{custom_step, dns_step, DnsResolver, Resolver};
use crate::stream::BoltStream;
use crate::tls::TlsConnector;

/// The default `connection_timeout`: 30 seconds, as in the official drivers.
///
/// ```
/// assert_eq!(bolt_net::DEFAULT_CONNECTION_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// How to connect: timeout, keep-alive, custom resolver and TLS.
///
/// Defaults: 30 s timeout, keep-alive on, no custom resolver, no TLS.
///
/// ```
/// use std::time::Duration;
/// use bolt_net::{ConnectOptions, Resolver, TlsConfig, Trust};
///
/// let options = ConnectOptions::new()
///     .with_connection_timeout(Duration::from_secs(5))
///     .with_keep_alive(false)
///     .with_resolver(Resolver::new(|a: &bolt_net::Address| vec![a.clone()]))
///     .with_tls(TlsConfig::new(Trust::AllCertificates).build()?);
/// assert_eq!(options.connection_timeout(), Duration::from_secs(5));
/// # Ok::<(), bolt_net::NetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    connection_timeout: Duration,
    keep_alive: bool,
    resolver: Option<Resolver>,
    dns: Option<DnsResolver>,
    tls: Option<TlsConnector>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            connection_timeout: DEFAULT_CONNECTION_TIMEOUT,
            keep_alive: true,
            resolver: None,
            dns: None,
            tls: None,
        }
    }
}

impl ConnectOptions {
    /// The defaults: 30 s timeout, keep-alive on, no resolver, plain TCP.
    ///
    /// ```
    /// let o = bolt_net::ConnectOptions::new();
    /// assert!(o.keep_alive() && o.tls().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Bound each attempt (TCP connect plus TLS handshake, for one socket
    /// address) and each DNS lookup by `timeout`.
    ///
    /// ```
    /// let o = bolt_net::ConnectOptions::new()
    ///     .with_connection_timeout(std::time::Duration::from_millis(500));
    /// assert_eq!(o.connection_timeout().as_millis(), 500);
    /// ```
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// Turn TCP keep-alive (`SO_KEEPALIVE`) on or off.
    ///
    /// ```
    /// assert!(!bolt_net::ConnectOptions::new().with_keep_alive(false).keep_alive());
    /// ```
    pub fn with_keep_alive(mut self, keep_alive: bool) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Apply this resolver before DNS.
    ///
    /// ```
    /// use bolt_net::{Address, ConnectOptions, Resolver};
    /// let o = ConnectOptions::new()
    ///     .with_resolver(Resolver::new(|a: &Address| vec![Address::new("10.0.0.1", a.port())]));
    /// assert!(o.resolver().is_some());
    /// ```
    pub fn with_resolver(mut self, resolver: Resolver) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Look host names up with this hook instead of the system's DNS.
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// use bolt_net::{ConnectOptions, DnsResolver};
    /// let o = ConnectOptions::new()
    ///     .with_dns_resolver(DnsResolver::new(|_: &str| vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]));
    /// assert!(o.dns_resolver().is_some());
    /// ```
    pub fn with_dns_resolver(mut self, dns: DnsResolver) -> Self {
        self.dns = Some(dns);
        self
    }

    /// Encrypt with TLS using this connector (build it once per driver).
    ///
    /// ```
    /// use bolt_net::{ConnectOptions, TlsConfig, Trust};
    /// let o = ConnectOptions::new().with_tls(TlsConfig::new(Trust::SystemCas).build()?);
    /// assert!(o.tls().is_some());
    /// # Ok::<(), bolt_net::NetError>(())
    /// ```
    pub fn with_tls(mut self, tls: TlsConnector) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The per-attempt timeout.
    ///
    /// ```
    /// assert_eq!(bolt_net::ConnectOptions::new().connection_timeout().as_secs(), 30);
    /// ```
    pub fn connection_timeout(&self) -> Duration {
        self.connection_timeout
    }

    /// Whether TCP keep-alive is on.
    ///
    /// ```
    /// assert!(bolt_net::ConnectOptions::new().keep_alive());
    /// ```
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// The custom resolver, if any.
    ///
    /// ```
    /// assert!(bolt_net::ConnectOptions::new().resolver().is_none());
    /// ```
    pub fn resolver(&self) -> Option<&Resolver> {
        self.resolver.as_ref()
    }

    /// The DNS hook, if any.
    ///
    /// ```
    /// assert!(bolt_net::ConnectOptions::new().dns_resolver().is_none());
    /// ```
    pub fn dns_resolver(&self) -> Option<&DnsResolver> {
        self.dns.as_ref()
    }

    /// The TLS connector, if connections are encrypted.
    ///
    /// ```
    /// assert!(bolt_net::ConnectOptions::new().tls().is_none());
    /// ```
    pub fn tls(&self) -> Option<&TlsConnector> {
        self.tls.as_ref()
    }
}

/// `now + timeout`, saturating far in the future instead of overflowing.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365))
}

async fn attempt(
    host: &str,
    ip: SocketAddr,
    options: &ConnectOptions,
    tls: Option<&TlsConnector>,
) -> Result<BoltStream, NetError> {
    let timeout = options.connection_timeout;
    let deadline = deadline_after(timeout);
    let tcp = crate::tcp::connect(ip, deadline, timeout, options.keep_alive).await?;
    let local = tcp.local_addr().map_err(|source| NetError::Io {
        address: ip,
        source,
    })?;
    match tls {
        // The peer is `ip`, the address just connected to.
        None => Ok(BoltStream::plain(tcp, local, ip)),
        Some(tls) => {
            let stream = tls.handshake(tcp, host, ip, deadline, timeout).await?;
            Ok(BoltStream::tls(stream, local, ip))
        }
    }
}

/// Connect to a server: apply the custom resolver (if any) to `address`,
/// look each result up in DNS, and try every socket address in order until
/// one accepts the TCP connection (and completes the TLS handshake, if
/// configured). Returns the stream and the server's socket address.
///
/// Each attempt, and each DNS lookup, is bounded by
/// [`ConnectOptions::connection_timeout`]. If one attempt was made, its
/// error is returned; if several, [`NetError::AllAttemptsFailed`] lists each
/// address tried with its error.
///
/// ```no_run
/// use bolt_net::{connect, ConnectOptions, TlsConfig, Trust};
///
/// # async fn demo() -> Result<(), bolt_net::NetError> {
/// let options = ConnectOptions::new().with_tls(TlsConfig::new(Trust::SystemCas).build()?);
/// let (stream, peer) = connect(&"db.example.com:7687".parse()?, &options).await?;
/// println!("connected to {peer}, encrypted: {}", stream.is_encrypted());
/// # Ok(()) }
/// ```
pub async fn connect(
    address: &Address,
    options: &ConnectOptions,
) -> Result<(BoltStream, SocketAddr), NetError> {
    let targets = custom_step(address, options.resolver.as_ref())?;
    // A rotating client certificate is asked for once per connection.
    let tls = options
        .tls
        .as_ref()
        .map(TlsConnector::for_next_connection)
        .transpose()?;
    let mut attempts = Vec::new();
    for target in targets {
        let ips = match dns_step(&target, options.connection_timeout, options.dns.as_ref()).await {
            Ok(ips) => ips,
            Err(error) => {
                attempts.push(Attempt {
                    address: target,
                    resolved: None,
                    error,
                });
                continue;
            }
        };
        for ip in ips {
            match attempt(target.host(), ip, options, tls.as_ref()).await {
                Ok(stream) => return Ok((stream.with_server_address(target), ip)),
                Err(error) => attempts.push(Attempt {
                    address: target.clone(),
                    resolved: Some(ip),
                    error,
                }),
            }
        }
    }
    match attempts.len() {
        1 => Err(attempts.remove(0).error),
        _ => Err(NetError::AllAttemptsFailed {
            address: address.clone(),
            attempts,
        }),
    }
}
