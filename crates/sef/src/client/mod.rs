//! The SEF API client (`sef-api.md` §10): `ApiKey` header, per-key sliding-window limiter,
//! retries with back-off that reuse the same `requestId`, typed errors.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fiskal_sef::SefError> {
//! use fiskal_sef::{ApiKey, SefClient, SefClientConfig, SendToCir, UblUpload};
//! let key = ApiKey::parse("3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90").expect("key format");
//! let client = SefClient::new(SefClientConfig::sandbox("http://127.0.0.1:8787"), key)?;
//! let version = client.check_key().await?;
//! let ids = client
//!     .send_ubl(&UblUpload::new(b"<Invoice/>".to_vec(), fiskal_sef::new_request_id()))
//!     .await?;
//! # let _ = (version, ids, SendToCir::No); Ok(()) }
//! ```

mod config;
mod download;
mod lookups;
mod purchase;
mod sales;
mod transport;

pub use config::{RetryPolicy, SefClientConfig};
pub use download::PdfDownload;
pub use sales::{UblUpload, new_request_id};
pub use transport::SefClient;

/// Path prefix of every public operation.
pub const API_PREFIX: &str = "/api/publicApi";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::ApiKey;

    #[test]
    fn base_url_rules() {
        assert!(SefClientConfig::production().validate().is_ok());
        assert!(
            SefClientConfig::sandbox("http://127.0.0.1:8787")
                .validate()
                .is_ok()
        );
        assert!(
            SefClientConfig::sandbox("http://localhost:8787/")
                .validate()
                .is_ok()
        );
        assert!(
            SefClientConfig::sandbox("http://[::1]:8787")
                .validate()
                .is_ok()
        );
        assert!(
            SefClientConfig::sandbox("http://10.0.0.5:8787")
                .validate()
                .is_err()
        );
        let mut p = SefClientConfig::production();
        p.base_url = "http://efaktura.mfin.gov.rs".into();
        assert!(p.validate().is_err());
    }

    #[test]
    fn client_debug_hides_key() {
        let k = ApiKey::parse("3f2a9c4e-7b1d-4e8a-9c55-0d6e1f2a7b90").unwrap();
        let c = SefClient::new(SefClientConfig::sandbox("http://127.0.0.1:1"), k).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("0d6e1f2a7b90"), "{d}");
        assert!(d.contains("ApiKey(***)"));
    }
}
