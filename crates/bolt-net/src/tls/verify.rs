//! Server-certificate verifiers: for the trust modes that do not check a
//! chain ("trust all certificates" and the pinned
//! `der_encoded_server_certificate`), and for custom CAs, where rustls'
//! WebPKI verifier gets one addition ([`CustomCaVerifier`]: a trusted
//! certificate presented as is).
//!
//! All of them verify the handshake signature with the crypto provider's
//! algorithms, so the server must hold the private key of the certificate it
//! presents. System CAs use rustls' WebPKI verifier unchanged (see
//! `config.rs`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ExtendedKeyPurpose, OtherError,
    SignatureScheme,
};

use super::x509;
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

/// rustls' WebPKI verifier over the custom CAs, which also accepts a server
/// that presents exactly one of the trusted certificates itself.
///
/// WebPKI refuses an end-entity certificate marked `CA:TRUE`
/// (`CaUsedAsEndEntity`), so a self-signed server certificate made by
/// `openssl req -x509` (a CA by default) and given to the driver as the
/// custom CA would be refused, where the official drivers (OpenSSL, JSSE,
/// Go's crypto/tls) accept it. The rule: when, and only when, WebPKI refuses
/// with `CaUsedAsEndEntity`, the certificate is accepted if
///
/// 1. it is byte for byte one of the configured trusted certificates;
/// 2. its validity period covers `now` (`notBefore <= now <= notAfter`, as
///    WebPKI checks it), else `NotValidYetContext` or `ExpiredContext`;
/// 3. its extended key usage, if it has one, includes server
///    authentication (as WebPKI requires), else `InvalidPurposeContext`;
/// 4. it is valid for the server name, by WebPKI's own name check, else
///    `NotValidForNameContext`.
///
/// Every other WebPKI error, and `CaUsedAsEndEntity` for a certificate that
/// is not one of the trusted ones, is returned unchanged. Intermediates the
/// server sends are ignored in that case (the certificate is itself
/// trusted). The handshake signature is verified by the WebPKI verifier as
/// for any certificate, so the server must hold the certificate's key.
#[derive(Debug)]
pub(crate) struct CustomCaVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    /// The trusted certificates as configured (DER), in the order given.
    trusted: Vec<CertificateDer<'static>>,
}

impl CustomCaVerifier {
    /// `webpki` must trust exactly the certificates in `trusted`.
    pub(crate) fn new(
        webpki: Arc<WebPkiServerVerifier>,
        trusted: Vec<CertificateDer<'static>>,
    ) -> Self {
        Self { webpki, trusted }
    }

    fn is_trusted(&self, end_entity: &CertificateDer<'_>) -> bool {
        self.trusted
            .iter()
            .any(|cert| cert.as_ref() == end_entity.as_ref())
    }
}

/// Whether WebPKI refused a certificate because it is a CA.
fn is_ca_used_as_end_entity(err: &rustls::Error) -> bool {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(cause))) => {
            matches!(
                cause.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            )
        }
        _ => false,
    }
}

/// Checks 2 to 4 of the [`CustomCaVerifier`] rule, for a trusted certificate.
fn verify_trusted_as_end_entity(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let facts = x509::read(end_entity.as_ref())
        .map_err(|e| CertificateError::Other(OtherError(Arc::new(e))))?;
    if now < facts.not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: facts.not_before,
        }
        .into());
    }
    if now > facts.not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: facts.not_after,
        }
        .into());
    }
    if let Some(purposes) = facts.extended_key_usage {
        if !purposes.contains(&x509::SERVER_AUTH) {
            return Err(CertificateError::InvalidPurposeContext {
                required: ExtendedKeyPurpose::ServerAuth,
                presented: purposes.iter().map(key_purpose).collect(),
            }
            .into());
        }
    }
    verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)
}

fn key_purpose(id: &der::asn1::ObjectIdentifier) -> ExtendedKeyPurpose {
    match *id {
        x509::SERVER_AUTH => ExtendedKeyPurpose::ServerAuth,
        x509::CLIENT_AUTH => ExtendedKeyPurpose::ClientAuth,
        _ => ExtendedKeyPurpose::Other(id.arcs().map(|arc| arc as usize).collect()),
    }
}

impl ServerCertVerifier for CustomCaVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(err) if is_ca_used_as_end_entity(&err) && self.is_trusted(end_entity) => {
                verify_trusted_as_end_entity(end_entity, server_name, now)?;
                Ok(ServerCertVerified::assertion())
            }
            verified => verified,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.webpki.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };

    use super::*;

    /// 2030-06-01, inside the validity period of [`ca_cert`]'s certificates.
    const JUNE_2030: u64 = 1_906_502_400;

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    fn name(name: &str) -> ServerName<'static> {
        ServerName::try_from(name.to_owned()).unwrap()
    }

    /// A self-signed `CA:TRUE` certificate for `names`, valid in 2030 only.
    fn ca_cert(names: &[&str], purposes: Vec<ExtendedKeyUsagePurpose>) -> CertificateDer<'static> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.extended_key_usages = purposes;
        params.not_before = date_time_ymd(2030, 1, 1);
        params.not_after = date_time_ymd(2030, 12, 31);
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    fn verifier(trusted: &[&CertificateDer<'static>]) -> CustomCaVerifier {
        let mut roots = rustls::RootCertStore::empty();
        for cert in trusted {
            roots.add((*cert).clone()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        CustomCaVerifier::new(webpki, trusted.iter().map(|c| (*c).clone()).collect())
    }

    fn verify(
        verifier: &CustomCaVerifier,
        cert: &CertificateDer<'_>,
        server_name: &str,
        now: u64,
    ) -> Result<ServerCertVerified, rustls::Error> {
        verifier.verify_server_cert(cert, &[], &name(server_name), &[], at(now))
    }

    #[test]
    fn the_rule_checks_the_validity_period_against_now() {
        let cert = ca_cert(&["localhost"], vec![]);
        // the start and the end of the period are inside it, as for WebPKI
        for now in [1_893_456_000, JUNE_2030, 1_924_905_600] {
            verify_trusted_as_end_entity(&cert, &name("localhost"), at(now)).unwrap();
        }
        // 2029-06-01
        let err = verify_trusted_as_end_entity(&cert, &name("localhost"), at(1_874_966_400));
        assert!(
            matches!(
                err,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidYetContext { .. }
                ))
            ),
            "{err:?}"
        );
        // 2031-06-01
        let err = verify_trusted_as_end_entity(&cert, &name("localhost"), at(1_938_038_400));
        assert!(
            matches!(
                err,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::ExpiredContext { .. }
                ))
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_rule_checks_the_extended_key_usage() {
        use ExtendedKeyUsagePurpose as P;
        for purposes in [
            vec![],
            vec![P::ServerAuth],
            vec![P::ClientAuth, P::ServerAuth],
        ] {
            let cert = ca_cert(&["localhost"], purposes);
            verify_trusted_as_end_entity(&cert, &name("localhost"), at(JUNE_2030)).unwrap();
        }
        let cert = ca_cert(&["localhost"], vec![P::ClientAuth, P::CodeSigning]);
        let err = verify_trusted_as_end_entity(&cert, &name("localhost"), at(JUNE_2030));
        let Err(rustls::Error::InvalidCertificate(CertificateError::InvalidPurposeContext {
            required: ExtendedKeyPurpose::ServerAuth,
            presented,
        })) = err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            presented,
            [
                ExtendedKeyPurpose::ClientAuth,
                ExtendedKeyPurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 3])
            ]
        );
    }

    #[test]
    fn the_rule_checks_the_server_name() {
        let cert = ca_cert(&["localhost", "127.0.0.1"], vec![]);
        for ok in ["localhost", "127.0.0.1"] {
            verify_trusted_as_end_entity(&cert, &name(ok), at(JUNE_2030)).unwrap();
        }
        for wrong in ["db.example.com", "127.0.0.2"] {
            let err = verify_trusted_as_end_entity(&cert, &name(wrong), at(JUNE_2030));
            assert!(
                matches!(
                    err,
                    Err(rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForNameContext { .. }
                    ))
                ),
                "{wrong}: {err:?}"
            );
        }
    }

    #[test]
    fn the_rule_applies_only_to_a_trusted_certificate() {
        let trusted = ca_cert(&["localhost"], vec![]);
        let other = ca_cert(&["localhost"], vec![]);
        let verifier = verifier(&[&trusted]);
        verify(&verifier, &trusted, "localhost", JUNE_2030).unwrap();
        let err = verify(&verifier, &other, "localhost", JUNE_2030).unwrap_err();
        assert!(is_ca_used_as_end_entity(&err), "{err:?}");
    }

    #[test]
    fn other_webpki_errors_are_returned_unchanged() {
        let trusted = ca_cert(&["localhost"], vec![]);
        let verifier = verifier(&[&trusted]);
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = date_time_ymd(2030, 1, 1);
        params.not_after = date_time_ymd(2030, 12, 31);
        let not_a_ca = params.self_signed(&key).unwrap().der().clone();
        // WebPKI checks the validity period before the CA flag: expired;
        // a self-signed certificate that is not a CA: not signed by the anchor
        for (cert, now) in [(&trusted, 1_938_038_400), (&not_a_ca, JUNE_2030)] {
            let err = verify(&verifier, cert, "localhost", now).unwrap_err();
            let webpki_err = verifier
                .webpki
                .verify_server_cert(cert, &[], &name("localhost"), &[], at(now))
                .unwrap_err();
            assert_eq!(err, webpki_err);
            assert!(!is_ca_used_as_end_entity(&err), "{err:?}");
        }
    }
}
