//! TLS for the connection test: one rustls configuration per libpq `sslmode`.
//!
//! libpq's meanings, exactly (PostgreSQL docs, "SSL Support", table 34.1):
//! - `disable`: no TLS. `allow`/`prefer`: TLS if the server offers it, certificate not checked.
//! - `require`: TLS, and the certificate is **not** checked — unless a root certificate is
//!   given (`sslrootcert`), in which case libpq verifies the chain as for `verify-ca`. We do the
//!   same. Encryption without verification stops passive eavesdroppers, not an impostor.
//! - `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
//! - `verify-full`: chain and host name (or IP address in the certificate's SAN) checked.
//!
//! Trusted roots: the `sslrootcert` file when given (`system` = the operating system's store),
//! else Mozilla's roots (webpki-roots) plus the system store, which covers Neon's and Azure's
//! public CAs. SNI is always sent for host names (rustls does; Neon routes on it); IP
//! addresses carry none, as RFC 6066 requires. Not for anything beyond configuring rustls.

use super::settings::ConfigError;
use crate::connstr::SslMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// Encrypted, certificate not checked (`prefer`, `require` without a root certificate).
    None,
    /// Chain checked, host name not (`verify-ca`, `require` with a root certificate).
    Chain,
    /// Chain and host name checked.
    Full,
}

impl Verification {
    pub fn for_mode(mode: SslMode, root_cert_given: bool) -> Verification {
        match mode {
            SslMode::VerifyFull => Verification::Full,
            SslMode::VerifyCa => Verification::Chain,
            SslMode::Require if root_cert_given => Verification::Chain,
            _ => Verification::None,
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The trusted roots: `root_cert` (a PEM file, or `system`), else webpki + system roots.
pub fn roots(root_cert: Option<&str>) -> Result<RootCertStore, ConfigError> {
    let mut store = RootCertStore::empty();
    match root_cert {
        Some("system") | None => {
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                let _ = store.add(cert);
            }
            if root_cert.is_none() {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
        }
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(Path::new(path))
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|error| ConfigError {
                    message: format!(
                        "sslrootcert {path}: cannot read PEM certificates ({error}); give the CA certificate file, or sslrootcert=system"
                    ),
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(ConfigError {
                    message: format!("sslrootcert {path} holds no usable CA certificate"),
                });
            }
        }
    }
    Ok(store)
}

/// The client configuration for `verification` with `roots`.
pub fn client_config(
    verification: Verification,
    roots: RootCertStore,
) -> Result<ClientConfig, ConfigError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| ConfigError {
            message: format!("TLS set-up failed: {error}"),
        })?;
    let config = match verification {
        Verification::Full => builder.with_root_certificates(roots).with_no_client_auth(),
        Verification::Chain | Verification::None => {
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|error| ConfigError {
                    message: format!("TLS set-up failed: {error}"),
                })?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(LibpqVerifier {
                    webpki,
                    check_chain: verification == Verification::Chain,
                }))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// `verify-ca` (chain only) and `require`/`prefer` (nothing) as libpq defines them. Handshake
/// signatures are still verified, so the session is bound to the certificate presented.
#[derive(Debug)]
struct LibpqVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    check_chain: bool,
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.check_chain {
            return Ok(ServerCertVerified::assertion());
        }
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            Err(error) => Err(error),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_verifies_only_when_a_root_certificate_is_given() {
        assert_eq!(
            Verification::for_mode(SslMode::Require, false),
            Verification::None
        );
        assert_eq!(
            Verification::for_mode(SslMode::Require, true),
            Verification::Chain
        );
        assert_eq!(
            Verification::for_mode(SslMode::VerifyCa, false),
            Verification::Chain
        );
        assert_eq!(
            Verification::for_mode(SslMode::VerifyFull, false),
            Verification::Full
        );
        assert_eq!(
            Verification::for_mode(SslMode::Prefer, true),
            Verification::None
        );
    }

    #[test]
    fn default_roots_include_the_public_cas_and_bad_files_are_named() {
        assert!(roots(None).unwrap().len() > 100);
        let error = roots(Some("/nonexistent/ca.pem")).unwrap_err();
        assert!(error.message.contains("/nonexistent/ca.pem"), "{error}");
        for verification in [Verification::None, Verification::Chain, Verification::Full] {
            assert!(client_config(verification, roots(None).unwrap()).is_ok());
        }
    }
}
