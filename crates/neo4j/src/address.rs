//! Server addresses as the facade sees them: a host name or IP literal and a
//! port.
//!
//! Owns [`ServerAddress`], the type used in driver URIs and by the custom
//! [resolver](crate::ConfigBuilder::with_resolver). It does no name
//! resolution and opens no sockets; that belongs to the network layer.

use std::fmt;

/// The port a Bolt server listens on when a URI names none.
///
/// ```
/// let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
/// assert_eq!(d.address().port(), neo4j::DEFAULT_PORT);
/// # Ok::<(), neo4j::Error>(())
/// ```
pub const DEFAULT_PORT: u16 = 7687;

/// A server's host and port, as written in a URI or returned by a resolver.
///
/// The host is kept exactly as given (a DNS name, an IPv4 literal or an IPv6
/// literal *without* brackets). [`Display`](fmt::Display) adds brackets around
/// IPv6 literals so that the output can be pasted back into a URI.
///
/// ```
/// use neo4j::ServerAddress;
///
/// let a = ServerAddress::new("::1", 7687);
/// assert_eq!(a.host(), "::1");
/// assert_eq!(a.port(), 7687);
/// assert_eq!(a.to_string(), "[::1]:7687");
/// assert_eq!(ServerAddress::new("db.example.com", 7688).to_string(), "db.example.com:7688");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerAddress {
    host: String,
    port: u16,
}

impl ServerAddress {
    /// Creates an address from a host (name, IPv4 or IPv6 literal without
    /// brackets) and a port.
    ///
    /// ```
    /// let a = neo4j::ServerAddress::new("localhost", 7687);
    /// assert_eq!(a.host(), "localhost");
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        ServerAddress {
            host: host.into(),
            port,
        }
    }

    /// The host name or IP literal (IPv6 without brackets).
    ///
    /// ```
    /// assert_eq!(neo4j::ServerAddress::new("10.0.0.1", 1).host(), "10.0.0.1");
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    ///
    /// ```
    /// assert_eq!(neo4j::ServerAddress::new("localhost", 7688).port(), 7688);
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerAddress({self})")
    }
}

impl<H: Into<String>> From<(H, u16)> for ServerAddress {
    /// ```
    /// let a: neo4j::ServerAddress = ("localhost", 7687).into();
    /// assert_eq!(a.to_string(), "localhost:7687");
    /// ```
    fn from((host, port): (H, u16)) -> Self {
        ServerAddress::new(host, port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_brackets_only_ipv6() {
        assert_eq!(
            ServerAddress::new("127.0.0.1", 1).to_string(),
            "127.0.0.1:1"
        );
        assert_eq!(
            ServerAddress::new("fe80::1", 7687).to_string(),
            "[fe80::1]:7687"
        );
        assert_eq!(
            format!("{:?}", ServerAddress::new("h", 2)),
            "ServerAddress(h:2)"
        );
    }
}
