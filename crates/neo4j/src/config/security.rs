//! Transport security options: which server certificates to trust, and the
//! client certificate for mutual TLS.
//!
//! Owns [`TrustStrategy`] and [`ClientCertificate`]. It only describes the
//! wanted security; loading files and building TLS configurations belongs to
//! the network layer.

use std::fmt;
use std::path::PathBuf;

/// Which server certificates an encrypted connection accepts.
///
/// Only used when the connection is encrypted (`encrypted = true`, or a
/// `+s`/`+ssc` URI scheme, which fix the trust themselves).
///
/// ```
/// use neo4j::{Config, TrustStrategy};
///
/// let config = Config::builder()
///     .with_encrypted(true)
///     .with_trust(TrustStrategy::TrustCustomCaSignedCertificates(vec!["/etc/neo4j/ca.pem".into()]))
///     .build()
///     .unwrap();
/// assert!(matches!(config.trust(), TrustStrategy::TrustCustomCaSignedCertificates(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TrustStrategy {
    /// Accept any certificate, including self-signed ones. Encrypts, but
    /// does not protect against an impostor server. Same as the `+ssc`
    /// schemes.
    TrustAllCertificates,
    /// Accept certificates signed by a CA in the operating system's store
    /// (and whose name matches the host). The default; same as the `+s`
    /// schemes. Setting the environment variable `SSL_CERT_FILE` (a PEM
    /// bundle) or `SSL_CERT_DIR` replaces the system store.
    #[default]
    TrustSystemCaSignedCertificates,
    /// Accept certificates signed by one of the CAs in these PEM files (and
    /// whose name matches the host).
    TrustCustomCaSignedCertificates(Vec<PathBuf>),
}

/// A client certificate for mutual TLS: PEM certificate (chain) file, PEM
/// private key file, and the key's password if it is encrypted.
///
/// `Debug` hides the password.
///
/// ```
/// use neo4j::ClientCertificate;
///
/// let cert = ClientCertificate::new("client.pem", "client.key").with_password("pw");
/// assert_eq!(cert.cert_file().to_str(), Some("client.pem"));
/// assert!(!format!("{cert:?}").contains("pw\""));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    cert_file: PathBuf,
    key_file: PathBuf,
    password: Option<String>,
}

impl ClientCertificate {
    /// A certificate file and an unencrypted key file, both PEM.
    ///
    /// ```
    /// let c = neo4j::ClientCertificate::new("c.pem", "k.pem");
    /// assert!(c.password().is_none());
    /// ```
    pub fn new(cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        ClientCertificate {
            cert_file: cert_file.into(),
            key_file: key_file.into(),
            password: None,
        }
    }

    /// Sets the password that decrypts the key file.
    ///
    /// ```
    /// let c = neo4j::ClientCertificate::new("c.pem", "k.pem").with_password("pw");
    /// assert_eq!(c.password(), Some("pw"));
    /// ```
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The PEM certificate (chain) file.
    ///
    /// ```
    /// let c = neo4j::ClientCertificate::new("c.pem", "k.pem");
    /// assert_eq!(c.cert_file(), std::path::Path::new("c.pem"));
    /// ```
    pub fn cert_file(&self) -> &std::path::Path {
        &self.cert_file
    }

    /// The PEM private key file.
    ///
    /// ```
    /// let c = neo4j::ClientCertificate::new("c.pem", "k.pem");
    /// assert_eq!(c.key_file(), std::path::Path::new("k.pem"));
    /// ```
    pub fn key_file(&self) -> &std::path::Path {
        &self.key_file
    }

    /// The key password, if set.
    ///
    /// ```
    /// assert_eq!(neo4j::ClientCertificate::new("c", "k").password(), None);
    /// ```
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_redacted() {
        let c = ClientCertificate::new("a", "b").with_password("TOPSECRET");
        let d = format!("{c:?}");
        assert!(!d.contains("TOPSECRET"), "{d}");
        assert!(d.contains("<redacted>"));
        assert!(!format!("{:?}", ClientCertificate::new("a", "b")).contains("redacted"));
    }

    #[test]
    fn default_trust_is_system_cas() {
        assert_eq!(
            TrustStrategy::default(),
            TrustStrategy::TrustSystemCaSignedCertificates
        );
    }
}
