//! The two facts about a certificate that webpki checks but does not expose,
//! needed by the custom-CA verifier's trusted-anchor rule (`verify.rs`): the
//! validity period and the extended key usage.
//!
//! A minimal DER walk with the `der` crate (rustls-webpki keeps its parsed
//! `validity` and `eku` fields crate-private). It reads only those two
//! fields and skips everything else whole; it makes no trust decision and
//! checks nothing webpki does not check itself. Callers pass certificates
//! webpki has already parsed; anything unreadable is an error, never a
//! default.

use std::time::Duration;

use der::asn1::{AnyRef, GeneralizedTime, ObjectIdentifier, OctetStringRef, UtcTime};
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use rustls::pki_types::UnixTime;

/// `id-ce-extKeyUsage` (RFC 5280, 4.2.1.12).
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// `id-kp-serverAuth` (RFC 5280, 4.2.1.12).
pub(super) const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");

/// `id-kp-clientAuth` (RFC 5280, 4.2.1.12).
pub(super) const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// What [`read`] found in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Facts {
    /// `notBefore`, to the second.
    pub(super) not_before: UnixTime,
    /// `notAfter`, to the second.
    pub(super) not_after: UnixTime,
    /// The key purposes of the extended key usage extension; `None` when
    /// the certificate has no such extension.
    pub(super) extended_key_usage: Option<Vec<ObjectIdentifier>>,
}

/// Read the validity period and extended key usage of a DER certificate.
pub(super) fn read(certificate: &[u8]) -> der::Result<Facts> {
    let mut reader = SliceReader::new(certificate)?;
    let facts = reader.sequence(|certificate| {
        let facts = certificate.sequence(tbs_certificate)?;
        // signatureAlgorithm, signatureValue
        skip_rest(certificate)?;
        Ok(facts)
    })?;
    reader.finish(facts)
}

fn context_specific(number: TagNumber) -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number,
    }
}

/// `TBSCertificate` (RFC 5280, 4.1).
fn tbs_certificate<'a, R: Reader<'a>>(tbs: &mut R) -> der::Result<Facts> {
    if tbs.peek_tag()? == context_specific(TagNumber::N0) {
        AnyRef::decode(tbs)?; // version
    }
    AnyRef::decode(tbs)?; // serialNumber
    AnyRef::decode(tbs)?; // signature
    AnyRef::decode(tbs)?; // issuer
    let (not_before, not_after) =
        tbs.sequence(|validity| Ok((time(validity)?, time(validity)?)))?;
    AnyRef::decode(tbs)?; // subject
    AnyRef::decode(tbs)?; // subjectPublicKeyInfo
    let mut extended_key_usage = None;
    // issuerUniqueID [1], subjectUniqueID [2] (webpki refuses them), extensions [3]
    while !tbs.is_finished() {
        let field = AnyRef::decode(tbs)?;
        if field.tag() == context_specific(TagNumber::N3) {
            extended_key_usage = extensions(field.value())?;
        }
    }
    Ok(Facts {
        not_before,
        not_after,
        extended_key_usage,
    })
}

/// `Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }`.
fn time<'a, R: Reader<'a>>(reader: &mut R) -> der::Result<UnixTime> {
    let since_epoch: Duration = match reader.peek_tag()? {
        Tag::UtcTime => UtcTime::decode(reader)?.to_unix_duration(),
        Tag::GeneralizedTime => GeneralizedTime::decode(reader)?.to_unix_duration(),
        other => return Err(other.unexpected_error(None)),
    };
    Ok(UnixTime::since_unix_epoch(since_epoch))
}

/// The key purposes of the extended key usage extension, if there is one.
fn extensions(explicit: &[u8]) -> der::Result<Option<Vec<ObjectIdentifier>>> {
    let mut reader = SliceReader::new(explicit)?;
    let found = reader.sequence(|extensions| {
        let mut found = None;
        while !extensions.is_finished() {
            extensions.sequence(|extension| {
                let id = ObjectIdentifier::decode(extension)?;
                if extension.peek_tag()? == Tag::Boolean {
                    bool::decode(extension)?; // critical
                }
                let value = OctetStringRef::decode(extension)?;
                if id == EXTENDED_KEY_USAGE {
                    found = Some(key_purposes(value.as_bytes())?);
                }
                Ok(())
            })?;
        }
        Ok(found)
    })?;
    reader.finish(found)
}

/// `ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId`.
fn key_purposes(value: &[u8]) -> der::Result<Vec<ObjectIdentifier>> {
    let mut reader = SliceReader::new(value)?;
    let purposes = reader.sequence(|purposes| {
        let mut all = Vec::new();
        while !purposes.is_finished() {
            all.push(ObjectIdentifier::decode(purposes)?);
        }
        Ok(all)
    })?;
    reader.finish(purposes)
}

fn skip_rest<'a, R: Reader<'a>>(reader: &mut R) -> der::Result<()> {
    while !reader.is_finished() {
        AnyRef::decode(reader)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with OpenSSL 3 (see `tests/fixtures/README.md`): notBefore is a
    /// UTCTime, notAfter (2054) a GeneralizedTime.
    const OPENSSL_CERT: &str = include_str!("../../tests/fixtures/x509-eku-server-client.pem");

    fn der_of(pem: &str) -> Vec<u8> {
        use rustls::pki_types::pem::PemObject;
        rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
            .unwrap()
            .to_vec()
    }

    #[test]
    fn reads_validity_and_extended_key_usage() {
        let facts = read(&der_of(OPENSSL_CERT)).unwrap();
        assert_eq!(
            facts.extended_key_usage,
            Some(vec![SERVER_AUTH, CLIENT_AUTH])
        );
        // `date -u -d "Dec  7 21:03:00 2026 GMT" +%s`, and the same for Apr 24 2054
        assert_eq!(facts.not_before.as_secs(), 1_796_677_380);
        assert_eq!(facts.not_after.as_secs(), 2_660_677_380);
    }

    #[test]
    fn anything_but_a_certificate_is_an_error() {
        let der = der_of(OPENSSL_CERT);
        for bad in [&[][..], &der[..der.len() - 1], &[0x30, 0x00], b"hello"] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(read(&trailing).is_err());
    }
}
