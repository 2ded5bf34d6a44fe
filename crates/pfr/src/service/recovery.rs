//! Recovery at start: receipts the SE signed but the journal lacks are rebuilt.

use chrono::Utc;
use fiskal_domain::api::{self, InvoiceRequest};
use fiskal_domain::money::to_scaled;
use fiskal_domain::time::from_millis;
use fiskal_se::SignedInvoice;

use super::{Lpfr, PfrError, build_result, lang_from_journal};

impl Lpfr {
    /// Rebuilds receipts the SE signed but the journal does not hold (crash between the SE's
    /// write and the journal's), then drops pending requests that were never signed.
    pub(super) async fn recover(&self) -> Result<(), PfrError> {
        let (_, journal_max) = self.inner.journal.count_and_max().await?;
        let (se_total, recent) = {
            let se = self.inner.se.lock().unwrap_or_else(|e| e.into_inner());
            (se.total_counter(), se.recent_signed())
        };
        let pending = self.inner.journal.pending().await?;
        if se_total < journal_max {
            return Err(PfrError::Internal(format!(
                "the journal holds receipt {journal_max} but the secure element's counter is {se_total}: \
                 the SE state is older than the journal"
            )));
        }
        let missing: Vec<SignedInvoice> = recent
            .into_iter()
            .filter(|s| s.total_counter > journal_max)
            .collect();
        let first_missing = missing
            .first()
            .map(|s| s.total_counter)
            .unwrap_or(se_total + 1);
        if se_total > journal_max && first_missing != journal_max + 1 {
            return Err(PfrError::Internal(format!(
                "receipts {}..={} were signed by the secure element but are neither in the journal nor recoverable",
                journal_max + 1,
                first_missing - 1
            )));
        }
        let settings = self.settings();
        let mut receipts = Vec::new();
        let mut used = Vec::new();
        let mut p = 0usize;
        for signed in &missing {
            // Match pending requests in order; a pending request the SE refused has no signature.
            let mut found = None;
            while p < pending.len() {
                let row = &pending[p];
                p += 1;
                let Ok(req) = serde_json::from_str::<InvoiceRequest>(&row.request_json) else {
                    continue;
                };
                if row.sdc_time_ms as u64 == signed.time_ms
                    && req.invoice_type == signed.invoice_type
                    && req.transaction_type == signed.transaction_type
                    && req.buyer_id == signed.buyer_id
                    && to_scaled(req.total()) == Some(signed.amount)
                {
                    found = Some((row.clone(), req));
                    break;
                }
            }
            let Some((row, req)) = found else {
                return Err(PfrError::Internal(format!(
                    "receipt {} was signed by the secure element but its request is not in the journal",
                    signed.total_counter
                )));
            };
            let time = from_millis(signed.time_ms as i64).unwrap_or_else(Utc::now);
            let advance = self.advance_for(&req).await?;
            let paid = advance
                .as_ref()
                .map(|a| a.paid_by_advance)
                .unwrap_or_default();
            let computed = api::compute(&req, &settings.tax_rate_groups, time, paid)
                .map_err(PfrError::Fields)?;
            let result = build_result(
                &settings,
                &self.inner.uid,
                &req,
                &computed,
                signed,
                advance.as_ref(),
                lang_from_journal(&row.lang),
            );
            receipts.push(self.new_receipt(&req, &row, &result, signed)?);
            used.push(row.id);
        }
        let all_pending: Vec<i64> = pending.iter().map(|r| r.id).collect();
        self.inner
            .journal
            .commit_signed(&receipts, &all_pending)
            .await?;
        if !receipts.is_empty() {
            tracing::warn!(
                count = receipts.len(),
                "recovered receipts signed before a crash"
            );
        }
        Ok(())
    }
}
