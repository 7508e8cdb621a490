//! Address resolution: the optional custom resolver, then DNS (or the
//! optional [`DnsResolver`] hook in its place).
//!
//! Owns [`Resolver`], [`DnsResolver`] and the DNS step (bounded by a deadline). Does not open
//! sockets; the connect loop in `connect.rs` drives it one address at a
//! time so that the first reachable server is used without waiting for the
//! others' DNS.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
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
type DnsFn = dyn Fn(&str) -> Vec<IpAddr> + Send + Sync;

/// A replacement for the system's DNS: maps a host name to its IP
/// addresses. Runs after the custom [`Resolver`], for every host name that
/// is not an IP literal (also the names of routing table members). An empty
/// answer is a resolution error. The function is called from async code:
/// keep it quick.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use bolt_net::DnsResolver;
/// let dns = DnsResolver::new(|host: &str| match host {
///     "db.internal" => vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
///     _ => vec![],
/// });
/// assert_eq!(dns.resolve("db.internal"), vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
/// assert!(dns.resolve("elsewhere").is_empty());
/// ```
#[derive(Clone)]
pub struct DnsResolver(Arc<DnsFn>);

impl DnsResolver {
    /// Wraps a function from host name to IP addresses.
    pub fn new<F, I>(f: F) -> Self
    where
        F: Fn(&str) -> I + Send + Sync + 'static,
        I: IntoIterator<Item = IpAddr>,
    {
        DnsResolver(Arc::new(move |h: &str| f(h).into_iter().collect()))
    }

    /// The IP addresses for `host`.
    pub fn resolve(&self, host: &str) -> Vec<IpAddr> {
        (self.0)(host)
    }
}

impl fmt::Debug for DnsResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DnsResolver(..)")
    }
}

pub(crate) async fn dns_step(
    address: &Address,
    timeout: Duration,
    dns: Option<&DnsResolver>,
) -> Result<Vec<SocketAddr>, NetError> {
    if let Some(ip) = address.ip() {
        return Ok(vec![SocketAddr::new(ip, address.port())]);
    }
    let err = |source| NetError::Resolution {
        address: address.clone(),
        source,
    };
    if let Some(dns) = dns {
        let ips = dns.resolve(address.host());
        if ips.is_empty() {
            return Err(err(io::Error::new(
                io::ErrorKind::NotFound,
                "the DNS resolver hook returned no addresses",
            )));
        }
        return Ok(ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, address.port()))
            .collect());
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[tokio::test]
    async fn dns_hook_replaces_system_dns_for_names_only() {
        let dns = DnsResolver::new(|h: &str| match h {
            "fake.invalid" => vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            _ => vec![],
        });
        let t = Duration::from_secs(1);
        let got = dns_step(&Address::new("fake.invalid", 9), t, Some(&dns))
            .await
            .unwrap();
        assert_eq!(got, vec!["127.0.0.1:9".parse::<SocketAddr>().unwrap()]);
        // An empty answer is a resolution error naming the hook.
        let e = dns_step(&Address::new("other.invalid", 9), t, Some(&dns))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("other.invalid"), "{e}");
        // IP literals never reach the hook.
        let got = dns_step(&Address::new("127.0.0.2", 5), t, Some(&dns))
            .await
            .unwrap();
        assert_eq!(got, vec!["127.0.0.2:5".parse::<SocketAddr>().unwrap()]);
    }
}
