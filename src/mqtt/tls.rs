//! TLS to the broker through rustls with the ring provider: the clinic's CA, and a client
//! certificate for brokers that authenticate clients by one.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::options::OptionsError;
use crate::config::TlsConfig;

pub(crate) fn tls_config(tls: &TlsConfig) -> Result<rustls::ClientConfig, OptionsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(&tls.ca)? {
        roots.add(cert).map_err(OptionsError::Tls)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(OptionsError::Tls)?
        .with_root_certificates(roots);
    match &tls.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| OptionsError::TlsFile {
                path: key.clone(),
                source,
            })?;
            builder
                .with_client_auth_cert(certificates(cert)?, key)
                .map_err(OptionsError::Tls)
        }
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, OptionsError> {
    let file_error = |source| OptionsError::TlsFile {
        path: path.to_path_buf(),
        source,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(file_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(file_error)?;
    if certs.is_empty() {
        return Err(OptionsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}
