//! TLS for [`crate::serve`]: rustls server configurations on the aws-lc-rs provider, with or
//! without client certificates, and the [`PeerCertificates`] a handler receives.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

pub use rustls::ServerConfig;

/// The client certificate chain the peer presented in the TLS handshake (end entity first),
/// as [`crate::serve`] puts it into each request's extensions. Only present on TLS
/// connections where the client sent a certificate that the configured verifier accepted.
///
/// As an extractor it refuses a request without one with 401; take
/// `Option<PeerCertificates>` to answer that case yourself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificates(pub Vec<CertificateDer<'static>>);

impl PeerCertificates {
    /// The client's own certificate (the first of the chain).
    pub fn end_entity(&self) -> Option<&CertificateDer<'static>> {
        self.0.first()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PeerCertificates {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<PeerCertificates>()
            .cloned()
            .ok_or_else(|| {
                (
                    StatusCode::UNAUTHORIZED,
                    "This request needs a TLS client certificate.",
                )
                    .into_response()
            })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for PeerCertificates {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<PeerCertificates>().cloned())
    }
}

/// The crypto provider of every fiskal TLS endpoint: aws-lc-rs (never ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Whether and how clients present certificates.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// No client certificates are asked for.
    None,
    /// A client may present a certificate issued under these roots; one that presents none
    /// is let in (handlers see no [`PeerCertificates`]).
    Optional(RootCertStore),
    /// A client must present a certificate issued under these roots.
    Required(RootCertStore),
}

/// A TLS configuration that could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// rustls refused the certificate chain, key or protocol choice.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate roots are unusable (e.g. empty).
    #[error("TLS client-certificate roots: {0}")]
    ClientRoots(String),
}

/// A server configuration for [`crate::ServeConfig::tls`]: the server's certificate chain and
/// key, client certificates as `client_auth` says, TLS 1.2 and 1.3 on aws-lc-rs, ALPN
/// `http/1.1` (what [`crate::serve`] speaks).
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_auth: ClientAuth,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Optional(roots) | ClientAuth::Required(roots) if roots.is_empty() => {
            return Err(TlsError::ClientRoots("no root certificate".into()));
        }
        ClientAuth::Optional(roots) => {
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::ClientRoots(e.to_string()))?;
            builder.with_client_cert_verifier(v)
        }
        ClientAuth::Required(roots) => {
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::ClientRoots(e.to_string()))?;
            builder.with_client_cert_verifier(v)
        }
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
