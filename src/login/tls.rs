//! TLS with rustls (ring provider, TLS 1.2 and 1.3). The certificate and
//! key are read for every connection, so a renewed certificate takes
//! effect without a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// How the listener offers TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// No TLS at all (tests, or a trusted local network with
    /// `--allow-plaintext`).
    Off,
    /// Plaintext greeting, then STARTTLS (port 143).
    StartTls,
    /// TLS from the first byte (port 993).
    Implicit,
}

/// Errors loading the certificate and key.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// No certificate or key configured.
    #[error("TLS needs --cert and --key")]
    NotConfigured,
    /// A PEM file could not be read or held nothing usable.
    #[error("{path}: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rustls_pki_types::pem::Error,
    },
    /// rustls refused the configuration (key does not match, ...).
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The certificate chain and key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Reads the files and builds a server configuration.
pub fn server_config(files: &CertFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = read_certs(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| pem(&files.key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(path, e))?;
    if certs.is_empty() {
        return Err(pem(path, rustls_pki_types::pem::Error::NoItemsFound));
    }
    Ok(certs)
}

fn pem(path: &Path, source: rustls_pki_types::pem::Error) -> TlsError {
    TlsError::Pem {
        path: path.into(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path) -> CertFiles {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        let cert = params.self_signed(&key).expect("cert");
        let files = CertFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, cert.pem()).expect("write cert");
        std::fs::write(&files.key, key.serialize_pem()).expect("write key");
        files
    }

    #[test]
    fn loads_a_certificate_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = write_pair(dir.path());
        assert!(server_config(&files).is_ok());
    }

    #[test]
    fn refuses_missing_and_mismatched_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = write_pair(dir.path());
        let missing = CertFiles {
            cert: dir.path().join("none.pem"),
            ..files.clone()
        };
        assert!(matches!(server_config(&missing), Err(TlsError::Pem { .. })));
        let other = tempfile::tempdir().expect("tempdir");
        let other_files = write_pair(other.path());
        let mismatched = CertFiles {
            key: other_files.key,
            ..files
        };
        assert!(server_config(&mismatched).is_err());
    }
}
