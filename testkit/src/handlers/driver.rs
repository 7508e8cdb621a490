//! `NewDriver` and the driver-level requests: building a [`Config`] from
//! TestKit's options the way a user would, closing, encryption checks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use neo4j::{
    AuthToken, AuthValue, ClientCertificate, Config, GraphDatabase, MinimumSeverity,
    NotificationCategory, NotificationFilter, ServerAddress, TrustStrategy,
};
use serde_json::Value as Json;

use crate::errors::{backend, Failure};
use crate::fake_time::FakeClock;
use crate::link::Link;
use crate::protocol::requests::{NewDriver, Request};
use crate::protocol::responses::Response;

/// Converts TestKit's `AuthorizationToken` object.
pub(crate) fn auth_token(j: &Json) -> Result<AuthToken, Failure> {
    let data = j.get("data").unwrap_or(j);
    let s = |k: &str| data.get(k).and_then(Json::as_str).map(str::to_owned);
    let scheme = s("scheme").ok_or_else(|| backend(format!("auth token without scheme: {j}")))?;
    Ok(match scheme.as_str() {
        "basic" => {
            let user = s("principal").unwrap_or_default();
            let pw = s("credentials").unwrap_or_default();
            match s("realm").filter(|r| !r.is_empty()) {
                Some(realm) => AuthToken::basic_auth_with_realm(user, pw, realm),
                None => AuthToken::basic_auth(user, pw),
            }
        }
        "bearer" => AuthToken::bearer_auth(s("credentials").unwrap_or_default()),
        "kerberos" => AuthToken::kerberos_auth(s("credentials").unwrap_or_default()),
        "none" => AuthToken::none(),
        _ => {
            let params = match data.get("parameters") {
                Some(Json::Object(m)) => m
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), auth_value(v)?)))
                    .collect::<Result<Vec<_>, Failure>>()?,
                _ => Vec::new(),
            };
            AuthToken::custom_auth(s("principal"), s("credentials"), s("realm"), scheme, params)
        }
    })
}

/// A custom auth parameter: TestKit sends plain JSON (`true`, `0.1`,
/// `"no"`, lists, maps); a tagged Cypher value is accepted too.
fn auth_value(j: &Json) -> Result<AuthValue, Failure> {
    if j.get("name").is_some() && j.get("data").is_some() {
        let v = crate::cypher::to_value(j).map_err(backend)?;
        return cypher_auth_value(v);
    }
    Ok(match j {
        Json::Null => AuthValue::Null,
        Json::Bool(b) => AuthValue::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => AuthValue::from(i),
            None => AuthValue::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => AuthValue::from(s.as_str()),
        Json::Array(l) => AuthValue::List(l.iter().map(auth_value).collect::<Result<_, _>>()?),
        Json::Object(m) => AuthValue::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), auth_value(v)?)))
                .collect::<Result<_, Failure>>()?,
        ),
    })
}

fn cypher_auth_value(v: neo4j::Value) -> Result<AuthValue, Failure> {
    Ok(match v {
        neo4j::Value::Null => AuthValue::Null,
        neo4j::Value::Boolean(b) => AuthValue::from(b),
        neo4j::Value::Integer(i) => AuthValue::from(i),
        neo4j::Value::Float(f) => AuthValue::from(f),
        neo4j::Value::String(s) => AuthValue::from(s),
        neo4j::Value::List(l) => AuthValue::List(
            l.into_iter()
                .map(cypher_auth_value)
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(backend(format!(
                "auth parameter of type {} is not supported by AuthValue",
                other.type_name()
            )))
        }
    })
}

fn millis(v: i64, what: &str) -> Result<Duration, Failure> {
    u64::try_from(v)
        .map(Duration::from_millis)
        .map_err(|_| backend(format!("{what} must not be negative: {v}")))
}

/// Where TestKit's TLS suite keeps the custom CA files it names in
/// `trustedCertificates`.
fn ca_dir() -> PathBuf {
    let testkit = std::env::var_os("TESTKIT_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|c| c.join("neo4j-testkit"))
        })
        .unwrap_or_default();
    testkit.join("tests/tls/certs/driver/custom")
}

/// Parses a notifications filter from TestKit's option strings.
pub(crate) fn notification_filter(
    min_severity: Option<&str>,
    disabled: Option<&[String]>,
) -> Result<Option<NotificationFilter>, Failure> {
    if min_severity.is_none() && disabled.is_none() {
        return Ok(None);
    }
    let mut f = NotificationFilter::default();
    match min_severity {
        None => {}
        Some("OFF") => f = NotificationFilter::disable_all(),
        Some("WARNING") => f = f.with_minimum_severity(MinimumSeverity::Warning),
        Some("INFORMATION") => f = f.with_minimum_severity(MinimumSeverity::Information),
        Some(s) => return Err(backend(format!("unknown notification severity `{s}`"))),
    }
    if let Some(cats) = disabled {
        let cats = cats
            .iter()
            .map(|c| {
                Ok(match c.as_str() {
                    "HINT" => NotificationCategory::Hint,
                    "UNRECOGNIZED" => NotificationCategory::Unrecognized,
                    "UNSUPPORTED" => NotificationCategory::Unsupported,
                    "PERFORMANCE" => NotificationCategory::Performance,
                    "DEPRECATION" => NotificationCategory::Deprecation,
                    "GENERIC" => NotificationCategory::Generic,
                    "SECURITY" => NotificationCategory::Security,
                    "TOPOLOGY" => NotificationCategory::Topology,
                    "SCHEMA" => NotificationCategory::Schema,
                    c => return Err(backend(format!("unknown notification category `{c}`"))),
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        f = f.with_disabled_categories(cats);
    }
    Ok(Some(f))
}

/// Builds the driver for a `NewDriver` request.
pub(crate) fn new_driver(
    req: &NewDriver,
    link: &Arc<Link>,
    clock: Arc<FakeClock>,
    auth_manager: Option<Arc<dyn neo4j::AuthTokenManager>>,
) -> Result<neo4j::Driver, Failure> {
    let mut b = Config::builder().with_clock(clock);
    if !req.authorization_token.is_null() {
        b = b.with_auth(auth_token(&req.authorization_token)?);
    }
    if let Some(m) = auth_manager {
        b = b.with_auth_manager(m);
    }
    if let Some(provider_id) = req.client_certificate_provider_id {
        b = b.with_client_certificate_provider(Arc::new(TestkitCertificateProvider {
            link: Arc::clone(link),
            provider_id,
        }));
    }
    if req.domain_name_resolver_registered {
        let link = Arc::clone(link);
        b = b.with_dns_resolver(move |host: &str| resolve_name(&link, host));
    } else if uri_host(&req.uri).is_some_and(is_tls_suite_host) {
        b = b.with_dns_resolver(tls_suite_dns);
    }
    if let Some(ua) = &req.user_agent {
        b = b.with_user_agent(ua.clone());
    }
    if req.resolver_registered {
        let link = Arc::clone(link);
        b = b.with_resolver(move |a: &ServerAddress| resolve(&link, a));
    }
    if let Some(ms) = req.connection_timeout_ms {
        b = b.with_connection_timeout(millis(ms, "connectionTimeoutMs")?);
    }
    if let Some(n) = req.fetch_size {
        b = b.with_fetch_size(n);
    }
    if let Some(ms) = req.max_tx_retry_time_ms {
        b = b.with_max_retry_time(millis(ms, "maxTxRetryTimeMs")?);
    }
    if let Some(ms) = req.liveness_check_timeout_ms {
        b = b.with_liveness_check_timeout(millis(ms, "livenessCheckTimeoutMs")?);
    }
    if let Some(n) = req.max_connection_pool_size {
        let n = usize::try_from(n)
            .map_err(|_| backend(format!("maxConnectionPoolSize must not be negative: {n}")))?;
        b = b.with_max_connection_pool_size(n);
    }
    if let Some(ms) = req.connection_acquisition_timeout_ms {
        b = b.with_connection_acquisition_timeout(millis(ms, "connectionAcquisitionTimeoutMs")?);
    }
    if !req.client_certificate.is_null() {
        b = b.with_client_certificate(client_certificate(&req.client_certificate)?);
    }
    if let Some(f) = notification_filter(
        req.notifications_min_severity.as_deref(),
        req.notifications_disabled_categories.as_deref(),
    )? {
        b = b.with_notification_filter(f);
    }
    if let Some(t) = req.telemetry_disabled {
        b = b.with_telemetry_disabled(t);
    }
    if let Some(e) = req.encrypted {
        b = b.with_encrypted(e);
    }
    match &req.trusted_certificates {
        None => {}
        Some(None) => b = b.with_trust(TrustStrategy::TrustSystemCaSignedCertificates),
        Some(Some(names)) if names.is_empty() => {
            b = b.with_trust(TrustStrategy::TrustAllCertificates)
        }
        Some(Some(names)) => {
            let dir = ca_dir();
            b = b.with_trust(TrustStrategy::TrustCustomCaSignedCertificates(
                names.iter().map(|n| dir.join(n)).collect(),
            ));
        }
    }
    let config = b.build().map_err(|e| Failure::Driver(e.into()))?;
    Ok(GraphDatabase::driver(&req.uri, config)?)
}

/// Converts TestKit's `ClientCertificate` object.
fn client_certificate(j: &Json) -> Result<ClientCertificate, Failure> {
    let data = j.get("data").unwrap_or(j);
    let s = |k: &str| data.get(k).and_then(Json::as_str);
    let (Some(cert), Some(key)) = (s("certfile"), s("keyfile")) else {
        return Err(backend(format!(
            "client certificate without certfile/keyfile: {data}"
        )));
    };
    let mut c = ClientCertificate::new(cert, key);
    if let Some(pw) = s("password") {
        c = c.with_password(pw);
    }
    Ok(c)
}

/// A client certificate provider living in TestKit: each call asks it
/// (blocking this thread until it answers). A failed callback keeps the
/// current certificate.
struct TestkitCertificateProvider {
    link: Arc<Link>,
    provider_id: crate::protocol::Id,
}

impl neo4j::ClientCertificateProvider for TestkitCertificateProvider {
    fn get_certificate(&self) -> Option<ClientCertificate> {
        let provider = self.provider_id;
        let answer = self
            .link
            .callback_blocking(|id| Response::ClientCertificateProviderRequest {
                id,
                client_certificate_provider_id: provider,
            });
        match answer {
            Ok(Request::ClientCertificateProviderCompleted {
                has_update,
                client_certificate,
                ..
            }) => {
                if !has_update {
                    return None;
                }
                match self::client_certificate(&client_certificate) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        eprintln!("client certificate provider answered badly: {e:?}");
                        None
                    }
                }
            }
            Ok(other) => {
                eprintln!("client certificate provider callback answered with {other:?}");
                None
            }
            Err(e) => {
                eprintln!("client certificate provider callback failed: {e}");
                None
            }
        }
    }
}

/// The host of a URI (`scheme://host:port...`), without brackets.
fn uri_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split_once(']').map(|(h, _)| h);
    }
    Some(host_port.split(':').next().unwrap_or(host_port))
}

/// The names TestKit's TLS suite connects to. TestKit expects its Docker
/// setup to map them to the TLS server's machine; outside Docker the backend
/// maps them to 127.0.0.1 itself (test-only, through the facade's DNS hook).
fn is_tls_suite_host(host: &str) -> bool {
    matches!(host, "thehost" | "thehostbutwrong")
}

/// DNS for drivers whose URI names a TLS-suite host: those names are
/// 127.0.0.1, anything else goes to the system's resolver.
fn tls_suite_dns(host: &str) -> Vec<std::net::IpAddr> {
    if is_tls_suite_host(host) {
        return vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)];
    }
    std::net::ToSocketAddrs::to_socket_addrs(&(host, 0))
        .map(|it| it.map(|sa| sa.ip()).collect())
        .unwrap_or_default()
}

/// The driver's resolver: asks TestKit (blocking this thread until it
/// answers). A failed callback resolves to nothing, which the driver
/// reports as unreachable.
fn resolve(link: &Link, a: &ServerAddress) -> Vec<ServerAddress> {
    let address = format!("{}:{}", a.host(), a.port());
    match link.callback_blocking(|id| Response::ResolverResolutionRequired { id, address }) {
        Ok(Request::ResolverResolutionCompleted { addresses, .. }) => {
            addresses.iter().filter_map(|s| parse_address(s)).collect()
        }
        Ok(other) => {
            eprintln!("resolver callback answered with {other:?}");
            Vec::new()
        }
        Err(e) => {
            eprintln!("resolver callback failed: {e}");
            Vec::new()
        }
    }
}

/// The driver's DNS hook: asks TestKit (blocking this thread until it
/// answers). Answers that are not IP addresses are looked up in the
/// system's DNS; a failed callback resolves to nothing.
fn resolve_name(link: &Link, host: &str) -> Vec<std::net::IpAddr> {
    let name = host.to_owned();
    match link.callback_blocking(|id| Response::DomainNameResolutionRequired { id, name }) {
        Ok(Request::DomainNameResolutionCompleted { addresses, .. }) => addresses
            .iter()
            .flat_map(|a| match a.parse::<std::net::IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => std::net::ToSocketAddrs::to_socket_addrs(&(a.as_str(), 0))
                    .map(|it| it.map(|sa| sa.ip()).collect())
                    .unwrap_or_default(),
            })
            .collect(),
        Ok(other) => {
            eprintln!("domain name resolver callback answered with {other:?}");
            Vec::new()
        }
        Err(e) => {
            eprintln!("domain name resolver callback failed: {e}");
            Vec::new()
        }
    }
}

/// `host:port` (IPv6 in brackets), port 7687 when missing.
pub(crate) fn parse_address(s: &str) -> Option<ServerAddress> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => neo4j::DEFAULT_PORT,
        };
        return Some(ServerAddress::new(host, port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some(ServerAddress::new(h, p.parse().ok()?)),
        _ => Some(ServerAddress::new(s, neo4j::DEFAULT_PORT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn auth_tokens_convert() {
        let t = auth_token(&json!({"name": "AuthorizationToken", "data": {
            "scheme": "basic", "principal": "neo4j", "credentials": "pass"}}))
        .unwrap();
        assert_eq!(t.scheme(), "basic");
        assert_eq!(t.principal(), Some("neo4j"));
        let t = auth_token(&json!({"name": "AuthorizationToken", "data": {
            "scheme": "wild", "principal": "p", "credentials": "c", "realm": "r",
            "parameters": {"a": {"name": "CypherInt", "data": {"value": 1}}}}}))
        .unwrap();
        assert_eq!(t.scheme(), "wild");
        assert_eq!(t.realm(), Some("r"));
        assert_eq!(t.parameters().unwrap().len(), 1);
        // Plain JSON parameters, as TestKit's custom-scheme test sends them.
        let t = auth_token(&json!({"name": "AuthorizationToken", "data": {
            "scheme": "wild", "parameters": {"s": "no", "f": 0.1, "b": true, "i": 3}}}))
        .unwrap();
        let p = t.parameters().unwrap();
        assert_eq!(p.len(), 4);
        assert!(p
            .iter()
            .any(|(k, v)| k == "b" && *v == AuthValue::from(true)));
        assert!(p
            .iter()
            .any(|(k, v)| k == "f" && *v == AuthValue::from(0.1)));
        assert!(auth_token(&json!({"data": {}})).is_err());
    }

    #[test]
    fn tls_suite_hosts_map_to_loopback() {
        assert_eq!(uri_host("bolt+s://thehost:6666"), Some("thehost"));
        assert_eq!(
            uri_host("neo4j://u@thehostbutwrong:6666/x?a=b"),
            Some("thehostbutwrong")
        );
        assert_eq!(uri_host("bolt://[::1]:7687"), Some("::1"));
        assert_eq!(uri_host("bolt://example.com"), Some("example.com"));
        assert_eq!(uri_host("nonsense"), None);
        assert_eq!(
            tls_suite_dns("thehostbutwrong"),
            vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)]
        );
        assert!(!is_tls_suite_host("example.com"));
    }

    #[test]
    fn client_certificates_convert() {
        let c = client_certificate(&json!({"name": "ClientCertificate", "data": {
            "certfile": "c.pem", "keyfile": "k.pem", "password": "pw"}}))
        .unwrap();
        assert_eq!(c.password(), Some("pw"));
        assert_eq!(c.key_file(), std::path::Path::new("k.pem"));
        let c = client_certificate(&json!({"name": "ClientCertificate", "data": {
            "certfile": "c.pem", "keyfile": "k.pem", "password": null}}))
        .unwrap();
        assert_eq!(c.password(), None);
        assert!(client_certificate(&json!({"data": {"certfile": "c"}})).is_err());
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(parse_address("h:1"), Some(ServerAddress::new("h", 1)));
        assert_eq!(parse_address("h"), Some(ServerAddress::new("h", 7687)));
        assert_eq!(parse_address("[::1]:9"), Some(ServerAddress::new("::1", 9)));
        assert_eq!(parse_address("h:x"), None);
    }

    #[test]
    fn filters_parse() {
        assert!(notification_filter(None, None).unwrap().is_none());
        let f = notification_filter(Some("OFF"), None).unwrap().unwrap();
        assert_eq!(f.minimum_severity(), Some(MinimumSeverity::Off));
        let f = notification_filter(None, Some(&["HINT".to_owned()]))
            .unwrap()
            .unwrap();
        assert_eq!(f.disabled_categories(), &[NotificationCategory::Hint]);
        assert!(notification_filter(Some("LOUD"), None).is_err());
    }
}
