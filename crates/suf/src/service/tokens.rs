//! Tokens (suf-backend.md §4): issued to a secure element that proves its authentication key,
//! cached in memory, checked on every E-SDC call.

use chrono::{DateTime, Utc};
use fiskal_se::authority::verify_rsa_sha256;

use super::{Suf, SufError, TOKEN_CACHE_MAX, TOKEN_TTL_MS, now_ms};
use crate::store::Store;

impl<S: Store> Suf<S> {
    /// `GET /api/v3/sdc/token` for an authenticated client UID: the valid token or a new one.
    pub async fn token(&self, uid: &str) -> Result<(String, DateTime<Utc>), SufError> {
        let Some(se) = self.signer(uid).await? else {
            return Err(SufError::Refused(format!(
                "secure element {uid} is not registered"
            )));
        };
        let now = now_ms();
        if se.0.revoked_at_ms.is_some_and(|r| r <= now) {
            return Err(SufError::Refused(format!(
                "secure element {uid} is revoked"
            )));
        }
        let (token, exp) = match self.store.token_of(uid, now).await? {
            Some(t) => t,
            None => {
                let t = uuid::Uuid::new_v4().to_string();
                let exp = now + TOKEN_TTL_MS;
                self.store.put_token(&t, uid, exp).await?;
                (t, exp)
            }
        };
        let exp = DateTime::<Utc>::from_timestamp_millis(exp).unwrap_or_else(Utc::now);
        Ok((token, exp))
    }

    /// Checks a client's proof that it holds the authentication key of SE `uid`
    /// (docs/suf-formats.md, "Token without TLS"): the authentication certificate was issued by
    /// this authority for `uid`, the time is within [`fiskal_se::client_proof::MAX_SKEW_MS`] of
    /// now, and the signature over [`fiskal_se::client_proof::message`] verifies with the
    /// certificate's key.
    pub fn check_client_proof(
        &self,
        uid: &str,
        time_ms: i64,
        certificate_der: &[u8],
        signature: &[u8],
    ) -> Result<(), SufError> {
        use fiskal_se::client_proof as proof;
        let now = now_ms();
        if (now - time_ms).abs() > proof::MAX_SKEW_MS {
            return Err(SufError::Refused(
                "the token request's time is more than 5 minutes from the SUF's clock".into(),
            ));
        }
        let info = fiskal_se::cert::verify_issued_by(
            certificate_der,
            self.keys.authority().root_ca_der(),
            now,
        )
        .map_err(|e| {
            SufError::Refused(format!(
                "the authentication certificate is not accepted: {e}"
            ))
        })?;
        if info.uid.as_str() != uid {
            return Err(SufError::Refused(
                "the authentication certificate belongs to another secure element".into(),
            ));
        }
        if !verify_rsa_sha256(
            &info.public_key_spki,
            &proof::message(uid, time_ms),
            signature,
        ) {
            return Err(SufError::Refused(
                "the signature does not prove the secure element's authentication key".into(),
            ));
        }
        Ok(())
    }

    /// The UID a token belongs to.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<String, SufError> {
        let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(SufError::Unauthorized);
        };
        let now = now_ms();
        if let Some((uid, expires)) = self.tokens.read().unwrap_or_else(|e| e.into_inner()).get(t)
            && *expires > now
        {
            return Ok(uid.clone());
        }
        let (uid, expires) = self
            .store
            .token_uid(t, now)
            .await?
            .ok_or(SufError::Unauthorized)?;
        let mut cache = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.retain(|_, (_, exp)| *exp > now);
        }
        if cache.len() < TOKEN_CACHE_MAX {
            cache.insert(t.to_string(), (uid.clone(), expires));
        }
        Ok(uid)
    }
}
