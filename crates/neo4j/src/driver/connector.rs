//! What the driver needs to open connections, decided once from the URI and
//! the config: the initial address, the transport security and the routing
//! context.
//!
//! Owns the rules that combine the URI scheme with the security options
//! (`+s`/`+ssc` fix them; explicit options then conflict). Opening sockets,
//! TLS handshakes and pooling belong to bolt-net and bolt-pool; the pool
//! wiring will take a [`Connector`] as its input.

use std::path::PathBuf;

use crate::address::ServerAddress;
use crate::config::{ClientCertificate, Config, ConfigError, TrustStrategy};
use crate::uri::{ParsedUri, SchemeSecurity};

/// Which server certificates an encrypted connection accepts, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerTrust {
    /// Any certificate (`+ssc`, `TrustAllCertificates`).
    All,
    /// Signed by a system CA (`+s`, the default).
    SystemCas,
    /// Signed by a CA in these PEM files.
    CustomCas(Vec<PathBuf>),
    /// Exactly this DER certificate.
    Pinned(Vec<u8>),
}

/// Transport security, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tls {
    /// Plain TCP.
    Off,
    /// TLS with this trust and optional client certificate.
    On {
        trust: ServerTrust,
        client_certificate: Option<ClientCertificate>,
    },
}

/// Immutable connection details of one driver.
#[derive(Debug, Clone)]
pub(crate) struct Connector {
    pub(crate) address: ServerAddress,
    pub(crate) tls: Tls,
    /// The routing context for `neo4j*` schemes; `None` for direct drivers.
    pub(crate) routing_context: Option<Vec<(String, String)>>,
}

impl Connector {
    pub(crate) fn new(uri: ParsedUri, config: &Config) -> Result<Connector, ConfigError> {
        let explicit = config.explicit_security_options();
        let scheme_trust = match uri.security {
            SchemeSecurity::None => None,
            SchemeSecurity::SystemCa => Some(ServerTrust::SystemCas),
            SchemeSecurity::TrustAll => Some(ServerTrust::All),
        };
        let tls = match scheme_trust {
            Some(trust) => {
                if let Some(first) = explicit.first() {
                    return Err(ConfigError::new(
                        first,
                        format!(
                            "the `+s`/`+ssc` URI schemes already decide encryption and \
                             certificate trust, so the options {} may only be set with the \
                             plain `bolt` or `neo4j` schemes",
                            explicit
                                .iter()
                                .map(|o| format!("`{o}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                Tls::On {
                    trust,
                    client_certificate: config.client_certificate().cloned(),
                }
            }
            None if config.encrypted() => Tls::On {
                trust: match config.der_encoded_server_certificate() {
                    Some(der) => ServerTrust::Pinned(der.to_vec()),
                    None => match config.trust() {
                        TrustStrategy::TrustAllCertificates => ServerTrust::All,
                        TrustStrategy::TrustSystemCaSignedCertificates => ServerTrust::SystemCas,
                        TrustStrategy::TrustCustomCaSignedCertificates(paths) => {
                            ServerTrust::CustomCas(paths.clone())
                        }
                    },
                },
                client_certificate: config.client_certificate().cloned(),
            },
            None => Tls::Off,
        };
        let routing_context = match uri.kind {
            crate::uri::SchemeKind::Direct => None,
            crate::uri::SchemeKind::Routing => Some(uri.routing_context),
        };
        Ok(Connector {
            address: uri.address,
            tls,
            routing_context,
        })
    }

    pub(crate) fn is_encrypted(&self) -> bool {
        self.tls != Tls::Off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(uri: &str, config: Config) -> Result<Connector, ConfigError> {
        Connector::new(ParsedUri::parse(uri).unwrap(), &config)
    }

    #[test]
    fn scheme_decides_security() {
        let c = Config::default();
        assert_eq!(connector("bolt://h", c.clone()).unwrap().tls, Tls::Off);
        assert_eq!(
            connector("bolt+s://h", c.clone()).unwrap().tls,
            Tls::On {
                trust: ServerTrust::SystemCas,
                client_certificate: None
            }
        );
        assert_eq!(
            connector("neo4j+ssc://h", c).unwrap().tls,
            Tls::On {
                trust: ServerTrust::All,
                client_certificate: None
            }
        );
    }

    #[test]
    fn config_decides_security_for_plain_schemes() {
        let enc = |b: crate::ConfigBuilder| connector("bolt://h", b.build().unwrap()).unwrap().tls;
        let on = |trust| Tls::On {
            trust,
            client_certificate: None,
        };
        assert_eq!(
            enc(Config::builder().with_encrypted(true)),
            on(ServerTrust::SystemCas)
        );
        assert_eq!(
            enc(Config::builder()
                .with_encrypted(true)
                .with_trust(TrustStrategy::TrustAllCertificates)),
            on(ServerTrust::All)
        );
        assert_eq!(
            enc(Config::builder().with_encrypted(true).with_trust(
                TrustStrategy::TrustCustomCaSignedCertificates(vec!["ca.pem".into()])
            )),
            on(ServerTrust::CustomCas(vec!["ca.pem".into()]))
        );
        assert_eq!(
            enc(Config::builder().with_der_encoded_server_certificate([9u8])),
            on(ServerTrust::Pinned(vec![9]))
        );
        // Trust without encryption stays plain.
        assert_eq!(
            enc(Config::builder().with_trust(TrustStrategy::TrustAllCertificates)),
            Tls::Off
        );
    }

    #[test]
    fn client_certificate_goes_with_tls_only() {
        let cert = ClientCertificate::new("c", "k");
        let cfg = Config::builder()
            .with_client_certificate(cert.clone())
            .build()
            .unwrap();
        assert_eq!(connector("bolt://h", cfg.clone()).unwrap().tls, Tls::Off);
        assert_eq!(
            connector("bolt+s://h", cfg).unwrap().tls,
            Tls::On {
                trust: ServerTrust::SystemCas,
                client_certificate: Some(cert)
            }
        );
    }

    #[test]
    fn secure_schemes_refuse_explicit_security_options() {
        for builder in [
            Config::builder().with_encrypted(true),
            Config::builder().with_encrypted(false),
            Config::builder().with_trust(TrustStrategy::TrustAllCertificates),
            Config::builder().with_der_encoded_server_certificate([1u8]),
        ] {
            let cfg = builder.build().unwrap();
            for uri in ["bolt+s://h", "bolt+ssc://h", "neo4j+s://h", "neo4j+ssc://h"] {
                let e = connector(uri, cfg.clone()).unwrap_err();
                assert!(e.to_string().contains("+s"), "{e}");
                assert!(
                    ["encrypted", "trust", "der_encoded_server_certificate"].contains(&e.option())
                );
            }
            assert!(connector("bolt://h", cfg.clone()).is_ok());
            assert!(connector("neo4j://h", cfg).is_ok());
        }
    }

    #[test]
    fn routing_context_only_for_routing() {
        assert_eq!(
            connector("bolt://h", Config::default())
                .unwrap()
                .routing_context,
            None
        );
        assert_eq!(
            connector("neo4j://h?a=b", Config::default())
                .unwrap()
                .routing_context,
            Some(vec![("a".into(), "b".into())])
        );
    }
}
