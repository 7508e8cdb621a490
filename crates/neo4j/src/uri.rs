//! Driver URIs: `bolt[+s|+ssc]://host[:port]` and
//! `neo4j[+s|+ssc]://host[:port][?routing_context]`.
//!
//! Owns parsing a URI string into the scheme's driver kind (direct or
//! routing), the security the scheme dictates, the initial server address and
//! the routing context, and the [`UriError`] explaining why a URI was
//! refused. It must not look at [`Config`](crate::Config); combining the two
//! happens in the driver module.
//!
//! | scheme | driver | encryption | certificates |
//! |---|---|---|---|
//! | `bolt` | direct | from config | from config |
//! | `bolt+s` | direct | on | system CAs |
//! | `bolt+ssc` | direct | on | any (self-signed) |
//! | `neo4j`, `bolt+routing` | routing | from config | from config |
//! | `neo4j+s` | routing | on | system CAs |
//! | `neo4j+ssc` | routing | on | any (self-signed) |

use std::fmt;

use url::{Host, Url};

use crate::address::{ServerAddress, DEFAULT_PORT};

/// Which kind of driver a URI scheme asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemeKind {
    /// `bolt*`: one server, no routing.
    Direct,
    /// `neo4j*` / `bolt+routing`: a cluster behind a routing table.
    Routing,
}

/// The transport security fixed by the scheme suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemeSecurity {
    /// No suffix: the configuration decides.
    None,
    /// `+s`: TLS, server certificate verified against the system CAs.
    SystemCa,
    /// `+ssc`: TLS, any server certificate accepted.
    TrustAll,
}

/// A URI broken into what the driver needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedUri {
    pub(crate) kind: SchemeKind,
    pub(crate) security: SchemeSecurity,
    pub(crate) address: ServerAddress,
    /// Query parameters of a routing URI, in order; always empty for `bolt*`.
    pub(crate) routing_context: Vec<(String, String)>,
}

/// What was wrong with a driver URI; see [`UriError::kind`].
///
/// ```
/// use neo4j::{Config, Error, GraphDatabase, UriErrorKind};
/// let Err(Error::InvalidUri(e)) = GraphDatabase::driver("bolt://h?region=eu", Config::default()) else {
///     panic!()
/// };
/// assert_eq!(e.kind(), UriErrorKind::QueryNotAllowed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UriErrorKind {
    /// Not a URI at all (the `url` crate could not parse it).
    Syntax,
    /// The scheme is not one of `bolt`, `bolt+s`, `bolt+ssc`, `neo4j`,
    /// `neo4j+s`, `neo4j+ssc`, `bolt+routing`.
    UnsupportedScheme,
    /// No host after `://`.
    MissingHost,
    /// The port is not a number in 1..=65535.
    InvalidPort,
    /// A path other than `/` follows the address.
    PathNotAllowed,
    /// A user name or password appears in the URI (credentials belong in the
    /// `auth` option).
    UserInfoNotAllowed,
    /// A `#fragment` appears in the URI.
    FragmentNotAllowed,
    /// A query string on a `bolt*` URI (routing context needs a routing
    /// scheme).
    QueryNotAllowed,
    /// A malformed routing context: empty key or value, a repeated key or the
    /// reserved key `address`.
    InvalidRoutingContext,
}

/// A driver URI was refused. The message names the problem.
///
/// The URI itself is not echoed, since it may hold credentials.
///
/// ```
/// use neo4j::{GraphDatabase, Config, Error, UriErrorKind};
///
/// let err = GraphDatabase::driver("http://localhost", Config::default()).unwrap_err();
/// match err {
///     Error::InvalidUri(e) => assert_eq!(e.kind(), UriErrorKind::UnsupportedScheme),
///     other => panic!("unexpected {other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriError {
    kind: UriErrorKind,
    problem: String,
}

impl UriError {
    fn new(kind: UriErrorKind, problem: impl Into<String>) -> Self {
        UriError {
            kind,
            problem: problem.into(),
        }
    }

    /// The class of problem, for matching in code.
    ///
    /// ```
    /// # use neo4j::{GraphDatabase, Config, Error, UriErrorKind};
    /// let Err(Error::InvalidUri(e)) = GraphDatabase::driver("bolt://:7687", Config::default()) else {
    ///     panic!()
    /// };
    /// assert_eq!(e.kind(), UriErrorKind::MissingHost);
    /// ```
    pub fn kind(&self) -> UriErrorKind {
        self.kind
    }

    /// The human-readable explanation (also the [`Display`](fmt::Display)
    /// output, after `invalid URI: `).
    ///
    /// ```
    /// # use neo4j::{GraphDatabase, Config, Error};
    /// let Err(Error::InvalidUri(e)) = GraphDatabase::driver("bolt://h:99999", Config::default()) else {
    ///     panic!()
    /// };
    /// assert!(e.problem().contains("port"));
    /// ```
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid URI: {}", self.problem)
    }
}

impl std::error::Error for UriError {}

const SCHEMES: &str =
    "bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc (or the legacy bolt+routing)";

fn scheme_of(scheme: &str) -> Option<(SchemeKind, SchemeSecurity)> {
    use SchemeKind::*;
    use SchemeSecurity as S;
    Some(match scheme {
        "bolt" => (Direct, S::None),
        "bolt+s" => (Direct, S::SystemCa),
        "bolt+ssc" => (Direct, S::TrustAll),
        "neo4j" | "bolt+routing" => (Routing, S::None),
        "neo4j+s" => (Routing, S::SystemCa),
        "neo4j+ssc" => (Routing, S::TrustAll),
        _ => return None,
    })
}

impl ParsedUri {
    /// Parses and checks a driver URI.
    pub(crate) fn parse(uri: &str) -> Result<ParsedUri, UriError> {
        use UriErrorKind as K;
        let url = Url::parse(uri).map_err(|e| match e {
            url::ParseError::InvalidPort => {
                UriError::new(K::InvalidPort, "the port must be a number from 1 to 65535")
            }
            url::ParseError::EmptyHost => UriError::new(K::MissingHost, "no host given"),
            url::ParseError::RelativeUrlWithoutBase => UriError::new(
                K::Syntax,
                format!("no scheme; expected e.g. neo4j://localhost:7687 (schemes: {SCHEMES})"),
            ),
            other => UriError::new(K::Syntax, other.to_string()),
        })?;

        let (kind, security) = scheme_of(url.scheme()).ok_or_else(|| {
            UriError::new(
                K::UnsupportedScheme,
                format!(
                    "unsupported scheme `{}`; expected one of {SCHEMES}",
                    url.scheme()
                ),
            )
        })?;

        if !url.username().is_empty() || url.password().is_some() {
            return Err(UriError::new(
                K::UserInfoNotAllowed,
                "user name or password in the URI; pass credentials with the `auth` option",
            ));
        }

        let host = match url.host() {
            None => {
                return Err(UriError::new(
                    K::MissingHost,
                    "no host given; expected scheme://host[:port]",
                ))
            }
            Some(Host::Domain("")) => return Err(UriError::new(K::MissingHost, "no host given")),
            // The `url` crate percent-encodes what a host name cannot hold
            // (control characters, spaces, non-ASCII): no server has that
            // name, so say so now rather than fail DNS at every connection.
            Some(Host::Domain(d)) if d.contains('%') => {
                return Err(UriError::new(
                    K::Syntax,
                    format!(
                        "the host `{d}` holds characters a host name cannot hold (shown \
                         percent-encoded); write an internationalised name in its `xn--` form"
                    ),
                ))
            }
            Some(Host::Domain(d)) => d.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
        };

        let port =
            match url.port() {
                None => DEFAULT_PORT,
                Some(0) => return Err(UriError::new(
                    K::InvalidPort,
                    "port 0 is not a valid server port; the port must be a number from 1 to 65535",
                )),
                Some(p) => p,
            };

        let path = url.path();
        if !(path.is_empty() || path == "/") {
            return Err(UriError::new(
                K::PathNotAllowed,
                format!("a path (`{path}`) is not allowed; use scheme://host[:port]"),
            ));
        }
        if url.fragment().is_some() {
            return Err(UriError::new(
                K::FragmentNotAllowed,
                "a `#fragment` is not allowed",
            ));
        }

        let routing_context = match url.query() {
            None => Vec::new(),
            Some(_) if kind == SchemeKind::Direct => {
                return Err(UriError::new(
                    K::QueryNotAllowed,
                    format!(
                        "query parameters (routing context) are not allowed with the `{}` scheme; \
                         use a neo4j scheme for routing",
                        url.scheme()
                    ),
                ))
            }
            Some("") => Vec::new(),
            Some(_) => routing_context(&url)?,
        };

        Ok(ParsedUri {
            kind,
            security,
            address: ServerAddress::new(host, port),
            routing_context,
        })
    }
}

fn routing_context(url: &Url) -> Result<Vec<(String, String)>, UriError> {
    let bad = |p: String| UriError::new(UriErrorKind::InvalidRoutingContext, p);
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, value) in url.query_pairs() {
        if key.is_empty() {
            return Err(bad(format!(
                "routing context parameter with an empty key (value `{value}`)"
            )));
        }
        if value.is_empty() {
            return Err(bad(format!(
                "routing context parameter `{key}` has no value"
            )));
        }
        if key == "address" {
            return Err(bad(
                "routing context key `address` is reserved for the driver".into(),
            ));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(bad(format!(
                "routing context parameter `{key}` is given more than once"
            )));
        }
        out.push((key.into_owned(), value.into_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(uri: &str) -> ParsedUri {
        ParsedUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
    }

    fn err(uri: &str) -> UriError {
        match ParsedUri::parse(uri) {
            Ok(p) => panic!("{uri} parsed as {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn schemes_map_to_kind_and_security() {
        use SchemeKind::*;
        use SchemeSecurity as S;
        for (uri, kind, sec) in [
            ("bolt://h", Direct, S::None),
            ("bolt+s://h", Direct, S::SystemCa),
            ("bolt+ssc://h", Direct, S::TrustAll),
            ("neo4j://h", Routing, S::None),
            ("neo4j+s://h", Routing, S::SystemCa),
            ("neo4j+ssc://h", Routing, S::TrustAll),
            ("bolt+routing://h", Routing, S::None),
            ("NEO4J+S://h", Routing, S::SystemCa),
        ] {
            let p = ok(uri);
            assert_eq!((p.kind, p.security), (kind, sec), "{uri}");
        }
    }

    #[test]
    fn default_and_explicit_ports() {
        assert_eq!(
            ok("bolt://localhost").address,
            ServerAddress::new("localhost", 7687)
        );
        assert_eq!(
            ok("bolt://localhost/").address,
            ServerAddress::new("localhost", 7687)
        );
        assert_eq!(
            ok("neo4j://db:7688").address,
            ServerAddress::new("db", 7688)
        );
        assert_eq!(
            ok("bolt://10.1.2.3:1").address,
            ServerAddress::new("10.1.2.3", 1)
        );
    }

    #[test]
    fn ipv6_hosts() {
        assert_eq!(ok("bolt://[::1]").address, ServerAddress::new("::1", 7687));
        assert_eq!(
            ok("neo4j://[fe80::1]:7000").address,
            ServerAddress::new("fe80::1", 7000)
        );
    }

    #[test]
    fn routing_context_from_query() {
        let p = ok("neo4j://h:1?region=eu&policy=fast%20lane");
        assert_eq!(
            p.routing_context,
            vec![
                ("region".to_string(), "eu".to_string()),
                ("policy".to_string(), "fast lane".to_string())
            ]
        );
        assert!(ok("neo4j://h?").routing_context.is_empty());
        assert!(ok("neo4j://h").routing_context.is_empty());
    }

    #[test]
    fn refusals_name_the_problem() {
        use UriErrorKind as K;
        for (uri, kind, needle) in [
            ("http://h", K::UnsupportedScheme, "`http`"),
            ("bolt+x://h", K::UnsupportedScheme, "bolt+x"),
            ("localhost:7687", K::UnsupportedScheme, "localhost"),
            ("localhost", K::Syntax, "scheme"),
            ("bolt://", K::MissingHost, "host"),
            ("bolt://:7687", K::MissingHost, "host"),
            ("bolt:h", K::MissingHost, "host"),
            ("bolt://h:99999", K::InvalidPort, "port"),
            ("bolt://h:abc", K::InvalidPort, "port"),
            ("bolt://h:0", K::InvalidPort, "port 0"),
            ("bolt://h/db", K::PathNotAllowed, "/db"),
            ("bolt://u:p@h", K::UserInfoNotAllowed, "auth"),
            ("bolt://u@h", K::UserInfoNotAllowed, "auth"),
            ("bolt://h#x", K::FragmentNotAllowed, "fragment"),
            ("bolt://h?region=eu", K::QueryNotAllowed, "bolt"),
            ("bolt+s://h?region=eu", K::QueryNotAllowed, "bolt+s"),
            ("neo4j://h?a=1&a=2", K::InvalidRoutingContext, "`a`"),
            ("neo4j://h?a=", K::InvalidRoutingContext, "`a`"),
            ("neo4j://h?=1", K::InvalidRoutingContext, "empty key"),
            ("neo4j://h?address=x:1", K::InvalidRoutingContext, "address"),
            ("neo4j://h\u{7f}", K::Syntax, "`h%7F`"),
            ("bolt://b\u{fc}cher.example", K::Syntax, "xn--"),
            ("bolt://a%20b", K::Syntax, "`a%20b`"),
        ] {
            let e = err(uri);
            assert_eq!(e.kind(), kind, "{uri}: {e}");
            assert!(e.to_string().contains(needle), "{uri}: {e}");
            assert!(e.to_string().starts_with("invalid URI: "));
        }
    }

    #[test]
    fn userinfo_is_not_echoed() {
        let e = err("bolt://neo4j:s3cret@h");
        assert!(!e.to_string().contains("s3cret"));
        assert!(!format!("{e:?}").contains("s3cret"));
    }
}
