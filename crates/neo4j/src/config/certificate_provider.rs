//! Client certificates that can change while a driver runs.
//!
//! Owns the [`ClientCertificateProvider`] trait and its two ready-made
//! implementations, [`StaticClientCertificateProvider`] and
//! [`RotatingClientCertificateProvider`]. The driver consults a provider
//! each time it opens a connection; loading the files belongs to the network
//! layer.

use std::fmt;
use std::sync::Mutex;

use super::security::ClientCertificate;

/// Supplies the client certificate for mutual TLS, consulted each time the
/// driver opens a new connection (pooled connections keep the certificate
/// they were opened with).
///
/// [`get_certificate`](Self::get_certificate) returns `Some(certificate)`
/// the first time and whenever the certificate changed, and `None` when the
/// driver should keep using the one it has. A new certificate's files are
/// read at once; if they cannot be used, that connection fails with a
/// configuration error.
///
/// It is called from async code: answer from memory, and do slow work (such
/// as fetching a renewed certificate) elsewhere, then hand the result to the
/// provider, as [`RotatingClientCertificateProvider`] allows.
///
/// ```
/// use std::sync::Arc;
/// use neo4j::{ClientCertificate, ClientCertificateProvider, Config};
///
/// /// Presents the certificate named by an environment variable, re-read
/// /// when the variable changes.
/// struct FromEnv(std::sync::Mutex<Option<String>>);
///
/// impl ClientCertificateProvider for FromEnv {
///     fn get_certificate(&self) -> Option<ClientCertificate> {
///         let now = std::env::var("MY_CERT").ok();
///         let mut last = self.0.lock().unwrap();
///         if *last == now {
///             return None;
///         }
///         *last = now.clone();
///         now.map(|c| ClientCertificate::new(format!("{c}.pem"), format!("{c}.key")))
///     }
/// }
///
/// let config = Config::builder()
///     .with_client_certificate_provider(Arc::new(FromEnv(Default::default())))
///     .build()?;
/// assert!(config.client_certificate_provider().is_some());
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
pub trait ClientCertificateProvider: Send + Sync {
    /// The certificate to use from now on, or `None` to keep the current
    /// one (with no current one: connect without a client certificate).
    fn get_certificate(&self) -> Option<ClientCertificate>;
}

/// A provider that always supplies the same certificate: the same as
/// [`ConfigBuilder::with_client_certificate`](crate::ConfigBuilder::with_client_certificate).
///
/// ```
/// use neo4j::{ClientCertificate, ClientCertificateProvider, StaticClientCertificateProvider};
///
/// let p = StaticClientCertificateProvider::new(ClientCertificate::new("c.pem", "k.pem"));
/// assert!(p.get_certificate().is_some());
/// assert!(p.get_certificate().is_none()); // unchanged since
/// ```
pub struct StaticClientCertificateProvider {
    certificate: ClientCertificate,
    given: Mutex<bool>,
}

impl StaticClientCertificateProvider {
    /// A provider for this certificate.
    ///
    /// ```
    /// let p = neo4j::StaticClientCertificateProvider::new(
    ///     neo4j::ClientCertificate::new("c.pem", "k.pem"),
    /// );
    /// # let _ = p;
    /// ```
    pub fn new(certificate: ClientCertificate) -> Self {
        StaticClientCertificateProvider {
            certificate,
            given: Mutex::new(false),
        }
    }
}

impl ClientCertificateProvider for StaticClientCertificateProvider {
    fn get_certificate(&self) -> Option<ClientCertificate> {
        let mut given = self.given.lock().unwrap_or_else(|e| e.into_inner());
        if *given {
            return None;
        }
        *given = true;
        Some(self.certificate.clone())
    }
}

impl fmt::Debug for StaticClientCertificateProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticClientCertificateProvider")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

/// A provider whose certificate the application replaces, e.g. when a
/// renewed certificate was written to disk. Connections opened afterwards
/// present the new certificate; open ones keep theirs.
///
/// ```
/// use std::sync::Arc;
/// use neo4j::{ClientCertificate, Config, RotatingClientCertificateProvider};
///
/// let provider = Arc::new(RotatingClientCertificateProvider::new(
///     ClientCertificate::new("2024.pem", "2024.key"),
/// ));
/// let config = Config::builder()
///     .with_client_certificate_provider(provider.clone())
///     .build()?;
/// // ... later, from a renewal task:
/// provider.update_certificate(ClientCertificate::new("2025.pem", "2025.key"));
/// # let _ = config;
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
pub struct RotatingClientCertificateProvider {
    /// The current certificate and whether the driver has not fetched it yet.
    state: Mutex<(ClientCertificate, bool)>,
}

impl RotatingClientCertificateProvider {
    /// A provider starting with `initial`.
    ///
    /// ```
    /// use neo4j::{ClientCertificate, ClientCertificateProvider, RotatingClientCertificateProvider};
    /// let p = RotatingClientCertificateProvider::new(ClientCertificate::new("a.pem", "a.key"));
    /// assert_eq!(p.get_certificate().unwrap().cert_file().to_str(), Some("a.pem"));
    /// assert!(p.get_certificate().is_none());
    /// ```
    pub fn new(initial: ClientCertificate) -> Self {
        RotatingClientCertificateProvider {
            state: Mutex::new((initial, true)),
        }
    }

    /// Replaces the certificate; connections opened from now on use it.
    ///
    /// ```
    /// use neo4j::{ClientCertificate, ClientCertificateProvider, RotatingClientCertificateProvider};
    /// let p = RotatingClientCertificateProvider::new(ClientCertificate::new("a.pem", "a.key"));
    /// p.get_certificate();
    /// p.update_certificate(ClientCertificate::new("b.pem", "b.key"));
    /// assert_eq!(p.get_certificate().unwrap().cert_file().to_str(), Some("b.pem"));
    /// ```
    pub fn update_certificate(&self, certificate: ClientCertificate) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (certificate, true);
    }
}

impl ClientCertificateProvider for RotatingClientCertificateProvider {
    fn get_certificate(&self) -> Option<ClientCertificate> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.1 {
            return None;
        }
        state.1 = false;
        Some(state.0.clone())
    }
}

impl fmt::Debug for RotatingClientCertificateProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("RotatingClientCertificateProvider")
            .field("certificate", &state.0)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotating_reports_each_update_once() {
        let p = RotatingClientCertificateProvider::new(ClientCertificate::new("a", "ak"));
        assert_eq!(p.get_certificate().unwrap().cert_file().to_str(), Some("a"));
        assert!(p.get_certificate().is_none());
        p.update_certificate(ClientCertificate::new("b", "bk"));
        p.update_certificate(ClientCertificate::new("c", "ck"));
        assert_eq!(p.get_certificate().unwrap().cert_file().to_str(), Some("c"));
        assert!(p.get_certificate().is_none());
    }

    #[test]
    fn static_gives_once_and_debug_hides_password() {
        let p = StaticClientCertificateProvider::new(
            ClientCertificate::new("a", "k").with_password("SECRET"),
        );
        assert!(!format!("{p:?}").contains("SECRET"));
        assert_eq!(p.get_certificate().unwrap().password(), Some("SECRET"));
        assert!(p.get_certificate().is_none());
    }
}
