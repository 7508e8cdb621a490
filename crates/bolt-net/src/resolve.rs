//! Address resolution: the optional custom resolver, then DNS.
//!
//! Owns [`Resolver`] and the DNS step (bounded by a deadline). Does not open
//! sockets; the connect loop in `connect.rs` drives it one address at a
//! time so that the first reachable server is used without waiting for the
//! others' DNS.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::address::Address;
use crate::error::NetError;

type ResolveFn = dyn Fn(&Address) -> Vec<Address> + Send + Sync;

/// A custom resolver, applied before DNS: it maps the address the user asked
/// for to the addresses to try, in order. Each returned address is then
/// looked up in DNS (IP literals pass through unchanged).
///
/// Like the `resolver` option of the official drivers: useful to point one
/// logical name at several servers, or at test servers.
///
/// ```
/// use bolt_net::{Address, Resolver};
///
/// let resolver = Resolver::new(|a: &Address| {
///     vec![Address::new("db1.internal", a.port()), Address::new("db2.internal", a.port())]
/// });
/// let out = resolver.resolve(&"cluster.example.com:7687".parse().unwrap());
/// assert_eq!(out[1].to_string(), "db2.internal:7687");
/// ```
#[derive(Clone)]
pub struct Resolver(Arc<ResolveFn>);

impl Resolver {
    /// A resolver from a function returning any iterable of addresses.
    ///
    /// ```
    /// let r = bolt_net::Resolver::new(|a: &bolt_net::Address| Some(a.clone()));
    /// # let _ = r;
    /// ```
    pub fn new<F, I>(f: F) -> Self
    where
        F: Fn(&Address) -> I + Send + Sync + 'static,
        I: IntoIterator<Item = Address>,
    {
        Resolver(Arc::new(move |a: &Address| f(a).into_iter().collect()))
    }

    /// Apply the resolver to an address.
    ///
    /// ```
    /// let r = bolt_net::Resolver::new(|a: &bolt_net::Address| vec![a.clone(), a.clone()]);
    /// assert_eq!(r.resolve(&"h".parse().unwrap()).len(), 2);
    /// ```
    pub fn resolve(&self, address: &Address) -> Vec<Address> {
        (self.0)(address)
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver(..)")
    }
}

/// The custom-resolver step: the addresses to look up in DNS.
pub(crate) fn custom_step(
    address: &Address,
    resolver: Option<&Resolver>,
) -> Result<Vec<Address>, NetError> {
    let Some(resolver) = resolver else {
        return Ok(vec![address.clone()]);
    };
    let out = resolver.resolve(address);
    if out.is_empty() {
        return Err(NetError::Resolution {
            address: address.clone(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                "the custom resolver returned no addresses",
            ),
        });
    }
    Ok(out)
}

/// The DNS step for one address, bounded by `timeout`. IP literals are not
/// looked up.
pub(crate) async fn dns_step(
    address: &Address,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, NetError> {
    if let Some(ip) = address.ip() {
        return Ok(vec![SocketAddr::new(ip, address.port())]);
    }
    let err = |source| NetError::Resolution {
        address: address.clone(),
        source,
    };
    let lookup = tokio::net::lookup_host((address.host(), address.port()));
    match tokio::time::timeout(timeout, lookup).await {
        Err(_) => Err(err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("DNS lookup timed out after {timeout:?}"),
        ))),
        Ok(Err(e)) => Err(err(e)),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "DNS returned no addresses",
                )))
            } else {
                Ok(addrs)
            }
        }
    }
}
