//! Building the rustls `ClientConfig` from [`TlsConfig`](super::TlsConfig):
//! loading CA certificates (files, PEM bytes, the system store with a
//! webpki-roots fallback), the client certificate and key, and choosing the
//! verifier. Runs once per driver; the result is shared by every connection.
//!
//! The crypto provider is always rustls' `ring` provider, passed explicitly,
//! so that the process-wide default provider is never consulted.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::verify::{CustomCaVerifier, SignatureOnlyVerifier};
use super::{ClientCertificate, PemSource, TlsConfig, Trust};
use crate::error::TlsConfigError;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl PemSource {
    fn origin(&self) -> String {
        match self {
            PemSource::File(p) => p.display().to_string(),
            PemSource::Bytes(_) => "PEM bytes".to_owned(),
        }
    }

    fn load(&self, what: &'static str) -> Result<Vec<u8>, TlsConfigError> {
        match self {
            PemSource::Bytes(b) => Ok(b.clone()),
            PemSource::File(path) => read_file(path, what),
        }
    }
}

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|source| TlsConfigError::ReadFile {
        what,
        path: path.to_owned(),
        source,
    })
}

/// All certificates in a PEM source; at least one.
fn certificates(
    source: &PemSource,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let pem = source.load(what)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsConfigError::InvalidPem {
            what,
            origin: source.origin(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsConfigError::InvalidPem {
            what,
            origin: source.origin(),
            reason: "no \"BEGIN CERTIFICATE\" section found".to_owned(),
        });
    }
    Ok(certs)
}

fn private_key(
    source: &PemSource,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let what = "client key";
    let pem = source.load(what)?;
    super::key::private_key(&pem, password).map_err(|reason| TlsConfigError::InvalidPem {
        what,
        origin: source.origin(),
        reason,
    })
}

/// The verifier for custom CAs: WebPKI over every certificate in `sources`,
/// which also accepts one of them presented as is (see [`CustomCaVerifier`]).
fn custom_ca_verifier(
    sources: &[PemSource],
    provider: Arc<CryptoProvider>,
) -> Result<CustomCaVerifier, TlsConfigError> {
    if sources.is_empty() {
        return Err(TlsConfigError::NoCaCertificates(
            "the custom CA list is empty".to_owned(),
        ));
    }
    let mut roots = RootCertStore::empty();
    let mut trusted = Vec::new();
    for source in sources {
        for cert in certificates(source, "CA certificate")? {
            roots
                .add(cert.clone())
                .map_err(|e| TlsConfigError::InvalidCaCertificate {
                    origin: source.origin(),
                    reason: e.to_string(),
                })?;
            trusted.push(cert);
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| TlsConfigError::Rejected(e.to_string()))?;
    Ok(CustomCaVerifier::new(webpki, trusted))
}

/// The system's trusted CAs; webpki-roots (Mozilla's list) if none load.
fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    roots
}

fn client_auth(
    builder: rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>,
    cert: Option<&ClientCertificate>,
) -> Result<ClientConfig, TlsConfigError> {
    let Some(cert) = cert else {
        return Ok(builder.with_no_client_auth());
    };
    let chain = certificates(&cert.chain, "client certificate")?;
    let key = private_key(&cert.key, cert.password.as_deref())?;
    builder
        .with_client_auth_cert(chain, key)
        .map_err(|e| TlsConfigError::BadClientCertificate(e.to_string()))
}

pub(super) fn build(config: &TlsConfig) -> Result<ClientConfig, TlsConfigError> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rejected(e.to_string()))?;
    let builder = match &config.trust {
        Trust::AllCertificates => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(SignatureOnlyVerifier::trust_all(
                algorithms,
            ))),
        Trust::PinnedCertificate(der) => {
            if der.is_empty() {
                return Err(TlsConfigError::EmptyPinnedCertificate);
            }
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(SignatureOnlyVerifier::pinned(
                    der.clone(),
                    algorithms,
                )))
        }
        // WebPKI alone, without the custom-CA verifier's trusted-certificate
        // rule: a public root never serves as a server's own certificate,
        // and webpki-roots keeps trust anchors, not certificates to compare.
        Trust::SystemCas => builder.with_root_certificates(system_roots()),
        Trust::CustomCaFiles(paths) => {
            let sources: Vec<PemSource> =
                paths.iter().map(|p| PemSource::File(p.clone())).collect();
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(custom_ca_verifier(&sources, provider)?))
        }
        Trust::CustomCaPem(pem) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(custom_ca_verifier(
                &[PemSource::Bytes(pem.clone())],
                provider,
            )?)),
    };
    client_auth(builder, config.client_certificate.as_ref())
}
