//! Translation of a [`Config`] and [`Connector`] into the options of the
//! layers below: bolt-net's [`ConnectOptions`] (timeouts, keep-alive, the
//! custom resolver, TLS built once), bolt-pool's [`OpenOptions`] (auth,
//! agents, offered versions, notification filters, read timeout) and
//! [`PoolConfig`].
//!
//! Pure construction: no I/O except reading certificate files while the
//! TLS configuration is built.

use bolt_net::{
    Address, ClientCertificateSource, ConnectOptions, DnsResolver, Resolver, TlsConfig,
    TlsConfigError, Trust,
};
use bolt_pool::{OpenOptions, PoolConfig};
use bolt_proto::handshake::{OfferSlot, VersionOffer, VersionRange};
use bolt_proto::message::{BoltAgent, NotificationFilter as BoltFilter};
use bolt_proto::Version;

use super::connector::{Connector, ServerTrust, Tls};
use crate::address::ServerAddress;
use crate::config::{ClientCertificate, Config, ConfigError, NotificationFilter};
use crate::error::Error;

/// The `product` of the `bolt_agent`.
pub(crate) const PRODUCT: &str = concat!("neo4j-rust/", env!("CARGO_PKG_VERSION"));

/// The `bolt_agent` sent in HELLO (5.3+).
pub(crate) fn bolt_agent() -> BoltAgent {
    BoltAgent {
        product: PRODUCT.to_owned(),
        platform: Some(format!(
            "{}; {}",
            std::env::consts::OS,
            std::env::consts::ARCH
        )),
        language: Some(format!("Rust/{}", env!("NEO4J_RUSTC_VERSION"))),
        language_details: None,
    }
}

/// Converts a facade address to a bolt-net one.
pub(crate) fn to_net_address(a: &ServerAddress) -> Address {
    Address::new(a.host(), a.port())
}

/// Socket options: timeouts, keep-alive, the custom resolver, the DNS hook
/// and TLS.
pub(crate) fn connect_options(
    config: &Config,
    connector: &Connector,
) -> Result<ConnectOptions, Error> {
    let mut opts = ConnectOptions::new()
        .with_connection_timeout(config.connection_timeout())
        .with_keep_alive(config.keep_alive());
    if config.has_resolver() {
        // The user's resolver sees the address exactly as given in the URI.
        let cfg = config.clone();
        opts = opts.with_resolver(Resolver::new(move |a: &Address| {
            cfg.resolve(&ServerAddress::new(a.host(), a.port()))
                .iter()
                .map(to_net_address)
                .collect::<Vec<_>>()
        }));
    }
    if let Some(dns) = config.dns_resolver() {
        opts = opts.with_dns_resolver(DnsResolver::new(move |host: &str| dns(host)));
    }
    if let Tls::On {
        trust,
        client_certificate,
    } = &connector.tls
    {
        let trust = match trust {
            ServerTrust::All => Trust::AllCertificates,
            ServerTrust::SystemCas => Trust::SystemCas,
            ServerTrust::CustomCas(paths) => Trust::CustomCaFiles(paths.clone()),
            ServerTrust::Pinned(der) => Trust::PinnedCertificate(der.clone()),
        };
        let mut tls = TlsConfig::new(trust);
        if let Some(cert) = client_certificate {
            tls = tls.with_client_certificate(net_client_certificate(cert));
        }
        if let Some(provider) = config.client_certificate_provider() {
            let provider = provider.clone();
            tls = tls.with_client_certificate_source(ClientCertificateSource::new(move || {
                provider
                    .get_certificate()
                    .map(|c| net_client_certificate(&c))
            }));
        }
        let connector = tls.build().map_err(|e| {
            let option = match &e {
                bolt_net::NetError::TlsConfig(
                    TlsConfigError::BadClientCertificate(_)
                    | TlsConfigError::ReadFile {
                        what: "client certificate" | "client key",
                        ..
                    }
                    | TlsConfigError::InvalidPem {
                        what: "client certificate" | "client key",
                        ..
                    },
                ) => "client_certificate",
                _ => "trust",
            };
            Error::from(ConfigError::new(option, e.to_string()))
        })?;
        opts = opts.with_tls(connector);
    }
    Ok(opts)
}

/// A facade client certificate in bolt-net's terms.
fn net_client_certificate(cert: &ClientCertificate) -> bolt_net::ClientCertificate {
    let c = bolt_net::ClientCertificate::from_pem_files(cert.cert_file(), cert.key_file());
    match cert.password() {
        Some(pw) => c.with_password(pw),
        None => c,
    }
}

/// The notification filter in bolt-proto's terms.
fn notification_filter(f: &NotificationFilter) -> BoltFilter {
    f.to_bolt()
}

/// The versions to offer: the configured ones, or 5.8–5.0, 4.4–4.2, 4.1
/// and 3.0 (no handshake manifest, which defines no capability yet).
/// 4.1 has a slot of its own: servers before 4.3 read no ranges, so 4.1
/// and 4.2 servers see only the 4.4 of `4.4–4.2`.
pub(crate) fn version_offer(config: &Config) -> Result<VersionOffer, Error> {
    match config.protocol_versions() {
        None => (|| {
            VersionOffer::new([
                OfferSlot::Versions(VersionRange::new(Version::V5_8, Version::V5_0)?),
                OfferSlot::Versions(VersionRange::new(Version::V4_4, Version::V4_2)?),
                OfferSlot::Versions(VersionRange::single(Version::V4_1)),
                OfferSlot::Versions(VersionRange::single(Version::V3_0)),
            ])
        })()
        .map_err(|e| Error::Unsupported(e.to_string())),
        Some(list) => VersionOffer::new(
            list.iter()
                .map(|&(ma, mi)| OfferSlot::Versions(VersionRange::single(Version::new(ma, mi)))),
        )
        .map_err(|e| ConfigError::new("protocol_versions", e.to_string()).into()),
    }
}

/// What to say when opening a connection, and the read timeout of open
/// connections.
pub(crate) fn open_options(config: &Config) -> Result<OpenOptions, Error> {
    let mut o = OpenOptions::new(config.auth().to_bolt_map())
        .with_user_agent(config.user_agent())
        .with_versions(version_offer(config)?)
        .with_read_timeout(config.connection_read_timeout());
    // As the official drivers: a server must announce itself as Neo4j
    // (ArcadeDB says `Neo4j/5.26.0 compatible (ArcadeDB ...)`).
    o = o.with_required_agent_prefix("Neo4j/");
    if config.protocol_versions().is_none() {
        // Neo4j 3.0–3.4 speak Bolt 1 only: offered on a second connection
        // when a server refuses the default versions.
        o = o.with_fallback_versions(
            VersionOffer::exactly(Version::V1).map_err(|e| Error::Unsupported(e.to_string()))?,
        );
    }
    o.bolt_agent = bolt_agent();
    o.notifications = notification_filter(config.notification_filter());
    Ok(o)
}

/// A facade [`Clock`](crate::Clock) as the pool's.
#[derive(Debug)]
struct PoolClock(std::sync::Arc<dyn crate::Clock>);

impl bolt_pool::Clock for PoolClock {
    fn now(&self) -> std::time::Instant {
        self.0.now()
    }
}

/// Pool size, acquisition timeout, lifetime and liveness checks (by the
/// configured clock).
pub(crate) fn pool_config(config: &Config) -> PoolConfig {
    let base = match config.clock() {
        Some(c) => PoolConfig::default().with_clock(std::sync::Arc::new(PoolClock(c.clone()))),
        None => PoolConfig::default(),
    };
    base.with_max_connection_pool_size(
        u32::try_from(config.max_connection_pool_size()).unwrap_or(u32::MAX),
    )
    .with_connection_acquisition_timeout(config.connection_acquisition_timeout())
    .with_max_connection_lifetime(Some(config.max_connection_lifetime()))
    .with_liveness_check_timeout(config.liveness_check_timeout())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MinimumSeverity, NotificationCategory};
    use std::time::Duration;

    #[test]
    fn agent_names_product_and_language() {
        let a = bolt_agent();
        assert!(a.product.starts_with("neo4j-rust/"));
        assert!(a.language.unwrap().starts_with("Rust/"));
        assert!(a.platform.is_some());
    }

    #[test]
    fn filters_translate() {
        assert!(notification_filter(&NotificationFilter::default()).is_empty());
        let off = notification_filter(&NotificationFilter::disable_all());
        assert_eq!(off.minimum_severity.as_deref(), Some("OFF"));
        let f = notification_filter(
            &NotificationFilter::default().with_disabled_categories([NotificationCategory::Hint]),
        );
        assert_eq!(f.disabled_categories, Some(vec!["HINT".to_owned()]));
        let w = notification_filter(
            &NotificationFilter::default().with_minimum_severity(MinimumSeverity::Warning),
        );
        assert_eq!(w.minimum_severity.as_deref(), Some("WARNING"));
    }

    #[test]
    fn pool_and_versions_follow_config() {
        let c = Config::builder()
            .with_max_connection_pool_size(3)
            .with_connection_acquisition_timeout(Duration::from_millis(250))
            .with_max_connection_lifetime(Duration::from_secs(9))
            .with_protocol_versions([(4, 4)])
            .with_connection_read_timeout(Duration::from_secs(7))
            .build()
            .unwrap();
        let p = pool_config(&c);
        assert_eq!(p.max_connection_pool_size, 3);
        assert_eq!(p.connection_acquisition_timeout, Duration::from_millis(250));
        assert_eq!(p.max_connection_lifetime, Some(Duration::from_secs(9)));
        let o = open_options(&c).unwrap();
        assert_eq!(o.read_timeout, Duration::from_secs(7));
        assert!(o.versions.accepts(Version::V4_4));
        assert!(!o.versions.accepts(Version::V5_0));
        let d = version_offer(&Config::default()).unwrap();
        for v in [
            Version::V5_8,
            Version::V5_0,
            Version::V4_4,
            Version::V4_2,
            Version::V4_1,
            Version::V3_0,
        ] {
            assert!(d.accepts(v), "{v}");
        }
        // 4.1 in a slot of its own, for servers that read no ranges.
        assert_eq!(d.preamble()[12..16], [0, 0, 1, 4]);
        let fallback = open_options(&Config::default()).unwrap().fallback_versions;
        assert!(fallback.unwrap().accepts(Version::V1));
        assert!(o.fallback_versions.is_none());
    }
}
