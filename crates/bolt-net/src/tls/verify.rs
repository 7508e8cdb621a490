//! Server-certificate verifiers for the trust modes that do not check a
//! chain: "trust all certificates" and the pinned
//! `der_encoded_server_certificate`.
//!
//! Both still verify the handshake signature with the crypto provider's
//! algorithms, so the server must hold the private key of the certificate it
//! presents. CA-based trust uses rustls' own WebPKI verifier instead (see
//! `config.rs`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

use crate::error::PinnedMismatch;

/// Accepts any certificate chain for any name (or exactly one pinned
/// end-entity certificate), then verifies handshake signatures normally.
#[derive(Debug)]
pub(crate) struct SignatureOnlyVerifier {
    /// `Some` to accept only this end-entity certificate.
    pinned: Option<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl SignatureOnlyVerifier {
    pub(crate) fn trust_all(algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self {
            pinned: None,
            algorithms,
        }
    }

    pub(crate) fn pinned(der: Vec<u8>, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self {
            pinned: Some(CertificateDer::from(der)),
            algorithms,
        }
    }
}

impl ServerCertVerifier for SignatureOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.pinned {
            Some(pinned) if pinned.as_ref() != end_entity.as_ref() => {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(PinnedMismatch)),
                )))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
