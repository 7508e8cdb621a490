//! Server addresses: the `host:port` pair a user names, before any
//! resolution.
//!
//! Owns parsing (with errors that name the bad part) and formatting, so that
//! `address.to_string().parse()` gives the same address back. Knows nothing
//! about DNS or sockets.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// The port a Bolt server listens on unless told otherwise.
///
/// ```
/// let a: bolt_net::Address = "example.com".parse().unwrap();
/// assert_eq!(a.port(), bolt_net::DEFAULT_PORT);
/// ```
pub const DEFAULT_PORT: u16 = 7687;

/// A server address: a host (name, IPv4 or IPv6 literal) and a port.
///
/// Parsed from `host`, `host:port`, `[ipv6]` or `[ipv6]:port`; a missing port
/// means [`DEFAULT_PORT`]. IPv6 literals are kept without brackets in
/// [`host`](Self::host) and written with brackets by `Display`.
///
/// ```
/// use bolt_net::Address;
///
/// let a: Address = "[::1]:7688".parse()?;
/// assert_eq!((a.host(), a.port()), ("::1", 7688));
/// assert_eq!(a.to_string(), "[::1]:7688");
///
/// let b: Address = "db.example.com".parse()?;
/// assert_eq!(b, Address::new("db.example.com", 7687));
/// # Ok::<(), bolt_net::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    host: String,
    port: u16,
}

impl Address {
    /// An address from a host (without brackets, even for IPv6) and a port.
    ///
    /// No validation happens here; use [`str::parse`] for user input.
    ///
    /// ```
    /// let a = bolt_net::Address::new("::1", 7687);
    /// assert_eq!(a.to_string(), "[::1]:7687");
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }

    /// The host: a name, or an IP literal (IPv6 without brackets).
    ///
    /// ```
    /// let a: bolt_net::Address = "localhost:7688".parse().unwrap();
    /// assert_eq!(a.host(), "localhost");
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    ///
    /// ```
    /// let a: bolt_net::Address = "localhost:7688".parse().unwrap();
    /// assert_eq!(a.port(), 7688);
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host as an IP address, if it is an IP literal.
    ///
    /// ```
    /// let a: bolt_net::Address = "127.0.0.1".parse().unwrap();
    /// assert!(a.ip().is_some());
    /// let b: bolt_net::Address = "localhost".parse().unwrap();
    /// assert!(b.ip().is_none());
    /// ```
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl From<SocketAddr> for Address {
    fn from(addr: SocketAddr) -> Self {
        Self::new(addr.ip().to_string(), addr.port())
    }
}

/// Why a string is not a valid [`Address`]; the message names the bad part.
///
/// ```
/// let err = "localhost:70000".parse::<bolt_net::Address>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid address \"localhost:70000\": port \"70000\" is not a number from 1 to 65535");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid address {input:?}: {reason}")]
pub struct AddressError {
    input: String,
    reason: AddressErrorReason,
}

impl AddressError {
    /// The string that failed to parse.
    ///
    /// ```
    /// let err = "".parse::<bolt_net::Address>().unwrap_err();
    /// assert_eq!(err.input(), "");
    /// ```
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What is wrong with it.
    ///
    /// ```
    /// use bolt_net::AddressErrorReason;
    /// let err = "h:x".parse::<bolt_net::Address>().unwrap_err();
    /// assert_eq!(err.reason(), &AddressErrorReason::InvalidPort("x".into()));
    /// ```
    pub fn reason(&self) -> &AddressErrorReason {
        &self.reason
    }
}

/// The part of an address string that is wrong.
///
/// ```
/// use bolt_net::AddressErrorReason;
/// let err = "[::1".parse::<bolt_net::Address>().unwrap_err();
/// assert_eq!(err.reason(), &AddressErrorReason::UnclosedBracket);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressErrorReason {
    /// Nothing before the port (or an empty string).
    #[error("the host is empty")]
    EmptyHost,
    /// The port is not a number from 1 to 65535.
    #[error("port {0:?} is not a number from 1 to 65535")]
    InvalidPort(String),
    /// `[` without a matching `]`.
    #[error("'[' is not closed by ']'")]
    UnclosedBracket,
    /// Text in brackets that is not an IPv6 address.
    #[error("{0:?} in brackets is not an IPv6 address")]
    InvalidIpv6(String),
    /// Something other than `:port` after `]`.
    #[error("unexpected {0:?} after ']' (expected ':port')")]
    TrailingAfterBracket(String),
    /// Several colons without brackets (IPv6 must be written `[::1]:7687`).
    #[error("{0:?} has several ':'; write IPv6 addresses in brackets, like [::1]:7687")]
    UnbracketedIpv6(String),
    /// A URI (`scheme://...`) where an address was expected.
    #[error("this is a {0}:// URI, not host[:port]")]
    Uri(String),
    /// A character that no host name contains (space, `/`, `@`, ...).
    #[error("host {host:?} contains {character:?} (an address is host[:port], not a URI)")]
    InvalidHostCharacter {
        /// The host part as written.
        host: String,
        /// The first offending character.
        character: char,
    },
}

fn parse_port(s: &str) -> Result<u16, AddressErrorReason> {
    match s.parse::<u16>() {
        Ok(p) if p != 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(AddressErrorReason::InvalidPort(s.to_owned())),
    }
}

fn parse(input: &str) -> Result<Address, AddressErrorReason> {
    if let Some((scheme, _)) = input.split_once("://") {
        return Err(AddressErrorReason::Uri(scheme.to_owned()));
    }
    if let Some(rest) = input.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return Err(AddressErrorReason::UnclosedBracket);
        };
        let inner = &rest[..end];
        if inner.is_empty() {
            return Err(AddressErrorReason::EmptyHost);
        }
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err(AddressErrorReason::InvalidIpv6(inner.to_owned()));
        }
        let after = &rest[end + 1..];
        let port = if after.is_empty() {
            DEFAULT_PORT
        } else if let Some(p) = after.strip_prefix(':') {
            parse_port(p)?
        } else {
            return Err(AddressErrorReason::TrailingAfterBracket(after.to_owned()));
        };
        return Ok(Address::new(inner, port));
    }
    let (host, port) = match input.split_once(':') {
        None => (input, DEFAULT_PORT),
        Some((_, rest)) if rest.contains(':') => {
            return Err(AddressErrorReason::UnbracketedIpv6(input.to_owned()))
        }
        Some((host, port)) => (host, parse_port(port)?),
    };
    if host.is_empty() {
        return Err(AddressErrorReason::EmptyHost);
    }
    if let Some(character) = host
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "/\\@?#[]%".contains(*c))
    {
        return Err(AddressErrorReason::InvalidHostCharacter {
            host: host.to_owned(),
            character,
        });
    }
    Ok(Address::new(host, port))
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).map_err(|reason| AddressError {
            input: s.to_owned(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> AddressErrorReason {
        s.parse::<Address>().unwrap_err().reason
    }

    #[test]
    fn parses_forms() {
        let cases = [
            ("localhost", "localhost", 7687),
            ("localhost:1", "localhost", 1),
            ("127.0.0.1:7688", "127.0.0.1", 7688),
            ("[::1]", "::1", 7687),
            ("[::1]:9", "::1", 9),
            ("[fe80::1:2]:65535", "fe80::1:2", 65535),
        ];
        for (s, host, port) in cases {
            let a: Address = s.parse().unwrap();
            assert_eq!((a.host(), a.port()), (host, port), "{s}");
            assert_eq!(a.to_string().parse::<Address>().unwrap(), a, "{s}");
        }
    }

    #[test]
    fn names_bad_parts() {
        assert_eq!(reason(""), AddressErrorReason::EmptyHost);
        assert_eq!(reason(":7687"), AddressErrorReason::EmptyHost);
        assert_eq!(reason("[]:1"), AddressErrorReason::EmptyHost);
        assert_eq!(reason("h:"), AddressErrorReason::InvalidPort("".into()));
        assert_eq!(reason("h:0"), AddressErrorReason::InvalidPort("0".into()));
        assert_eq!(reason("h:+1"), AddressErrorReason::InvalidPort("+1".into()));
        assert_eq!(
            reason("h:65536"),
            AddressErrorReason::InvalidPort("65536".into())
        );
        assert_eq!(reason("[::1:7687"), AddressErrorReason::UnclosedBracket);
        assert_eq!(
            reason("[abc]:1"),
            AddressErrorReason::InvalidIpv6("abc".into())
        );
        assert_eq!(
            reason("[::1]x"),
            AddressErrorReason::TrailingAfterBracket("x".into())
        );
        assert_eq!(
            reason("::1"),
            AddressErrorReason::UnbracketedIpv6("::1".into())
        );
        assert_eq!(reason("bolt://h:1"), AddressErrorReason::Uri("bolt".into()));
        assert!(matches!(
            reason("a b"),
            AddressErrorReason::InvalidHostCharacter { character: ' ', .. }
        ));
        assert!(matches!(
            reason("user@h:1"),
            AddressErrorReason::InvalidHostCharacter { character: '@', .. }
        ));
    }
}
