//! The signing pipeline: stage 1 groups waiting requests, journals them as pending and has the
//! SE sign them; stage 2 journals the receipts and answers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Utc;
use fiskal_domain::api::{self, Computed, InvoiceRequest, InvoiceResult};
use fiskal_domain::gsc::Gsc;
use fiskal_domain::money::to_scaled;
use fiskal_domain::tax::taxes_by_category;
use fiskal_domain::time::from_millis;
use fiskal_se::{SeError, SignRequest};
use tokio::sync::mpsc;

use super::{Job, Lpfr, MAX_BATCH, PfrError, Settings, build_result, now_ms};
use crate::store::{NewReceipt, PendingRow};

fn sign_request(
    settings: &Settings,
    req: &InvoiceRequest,
    computed: &Computed,
    time_ms: u64,
) -> SignRequest {
    SignRequest {
        time_ms,
        tin: settings.seller.tin.clone(),
        buyer_id: req.buyer_id.clone(),
        invoice_type: req.invoice_type,
        transaction_type: req.transaction_type,
        amount: to_scaled(computed.total_amount).unwrap_or(0),
        taxes: taxes_by_category(&computed.tax_items)
            .into_iter()
            .map(|(o, t)| (o, to_scaled(t).unwrap_or(0)))
            .collect(),
    }
}

impl Lpfr {
    /// Stage 1 of the signing pipeline: groups waiting requests, journals them as pending,
    /// has the SE sign them and builds the results; stage 2 ([`Lpfr::committer`]) journals the
    /// receipts and answers. While stage 2 writes one group, stage 1 signs the next.
    pub(super) async fn signer(self, mut rx: mpsc::Receiver<Job>) {
        let (tx, crx) = mpsc::channel::<SignedGroup>(1);
        let me = self.clone();
        tokio::spawn(async move { me.committer(crx).await });
        let (ptx, mut prx) = mpsc::channel::<Staged>(1);
        let me = self.clone();
        tokio::spawn(async move {
            // At most two groups are signed but not yet journalled (one being written, one just
            // signed): the SE keeps the signatures of its last two groups, so a crash can always
            // be recovered.
            let uncommitted = Arc::new(tokio::sync::Semaphore::new(2));
            while let Some(staged) = prx.recv().await {
                let Ok(permit) = uncommitted.clone().acquire_owned().await else {
                    return;
                };
                let mut group = match staged {
                    Staged::Done(g) => g,
                    Staged::Ready(p) => me.sign_prepared(*p).await,
                };
                group.permit = Some(permit);
                if tx.send(group).await.is_err() {
                    return;
                }
            }
        });
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let staged = self.prepare_group(jobs).await;
            if ptx.send(staged).await.is_err() {
                return;
            }
        }
    }

    /// Stage 2: journal the signed receipts, then answer every request of the group.
    async fn committer(self, mut rx: mpsc::Receiver<SignedGroup>) {
        while let Some(g) = rx.recv().await {
            let SignedGroup {
                jobs,
                mut out,
                receipts,
                results,
                pending_ids,
                followers,
                permit,
                qr,
            } = g;
            if !pending_ids.is_empty() {
                let committed = self
                    .inner
                    .journal
                    .commit_signed(&receipts, &pending_ids)
                    .await;
                match committed {
                    Ok(()) => {
                        if let Some(last) = receipts.last() {
                            *self
                                .inner
                                .last_invoice_number
                                .write()
                                .unwrap_or_else(|e| e.into_inner()) = last.invoice_number.clone();
                        }
                        for (i, r) in results {
                            if out[i].is_none() {
                                out[i] = Some(Ok(r));
                            }
                        }
                    }
                    Err(e) => {
                        // Signed but not journalled: stop signing; the receipts stay pending and
                        // are recovered at the next start, where a retry with the same RequestId
                        // gets them.
                        tracing::error!(error = %e, "journal write failed after signing; the L-PFR stops signing until restarted");
                        self.inner.poisoned.store(true, Ordering::SeqCst);
                        for (i, _) in results {
                            out[i] = Some(Err(PfrError::Internal("journal write failed".into())));
                        }
                    }
                }
            }
            drop(permit);
            for (i, handle) in qr {
                let image = handle.await.ok().flatten();
                if let Some(Ok(r)) = out[i].as_mut() {
                    r.verification_q_r_code = image;
                }
            }
            {
                let mut inflight = self
                    .inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                for job in &jobs {
                    if let Some(id) = &job.request_id {
                        inflight.remove(id);
                    }
                }
            }
            for (job, r) in jobs.into_iter().zip(out) {
                let r = r
                    .unwrap_or_else(|| Err(PfrError::Internal("request was not processed".into())));
                let _ = job.reply.send(r);
            }
            // Requests repeating a RequestId that was in flight: the journal now has the answer.
            for job in followers {
                let id = job.request_id.clone().unwrap_or_default();
                let r = match self.existing(&id, &job.request).await {
                    Ok(Some((res, _))) => Ok(res),
                    Ok(None) => Err(PfrError::Internal(
                        "the first request with this RequestId failed; send it again".into(),
                    )),
                    Err(e) => Err(e),
                };
                let _ = job.reply.send(r);
            }
        }
    }

    /// Stage 1 of the signing pipeline: answers repeated RequestIds, computes taxes at the PFR
    /// time and journals the group as pending (before the SE signs anything).
    async fn prepare_group(&self, jobs: Vec<Job>) -> Staged {
        let mut fresh: Vec<Job> = Vec::with_capacity(jobs.len());
        let mut followers: Vec<Job> = Vec::new();
        for job in jobs {
            if let Some(id) = &job.request_id {
                if self
                    .inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(id)
                {
                    followers.push(job);
                    continue;
                }
                match self.existing(id, &job.request).await {
                    Ok(Some(found)) => {
                        let _ = job.reply.send(Ok(found.0));
                        continue;
                    }
                    Err(e) => {
                        let _ = job.reply.send(Err(e));
                        continue;
                    }
                    Ok(None) => {}
                }
                self.inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id.clone());
            }
            fresh.push(job);
        }
        let mut g = SignedGroup {
            out: (0..fresh.len()).map(|_| None).collect(),
            jobs: Vec::new(),
            receipts: Vec::new(),
            results: Vec::new(),
            pending_ids: Vec::new(),
            followers,
            permit: None,
            qr: Vec::new(),
        };
        if fresh.is_empty() {
            return Staged::Done(g);
        }
        if self.inner.poisoned.load(Ordering::SeqCst) {
            for o in g.out.iter_mut() {
                *o = Some(Err(PfrError::Internal(
                    "the journal failed; restart the L-PFR".into(),
                )));
            }
            g.jobs = fresh;
            return Staged::Done(g);
        }
        let t0 = std::time::Instant::now();
        let settings = self.settings();
        let last = self.snapshot().last_signed_ms;
        let time_ms = now_ms();
        if time_ms < last {
            for o in g.out.iter_mut() {
                *o = Some(Err(PfrError::State(Gsc::NotConfigured)));
            }
            g.jobs = fresh;
            return Staged::Done(g);
        }
        let time = from_millis(time_ms as i64).unwrap_or_else(Utc::now);
        // Compute at the exact PFR time.
        let mut ready: Vec<(usize, Computed)> = Vec::new();
        for (i, job) in fresh.iter().enumerate() {
            let paid = job
                .computed_advance
                .as_ref()
                .map(|a| a.paid_by_advance)
                .unwrap_or_default();
            match api::compute(&job.request, &settings.tax_rate_groups, time, paid) {
                Ok(c) => ready.push((i, c)),
                Err(e) => g.out[i] = Some(Err(PfrError::Fields(e))),
            }
        }
        if ready.is_empty() {
            g.jobs = fresh;
            return Staged::Done(g);
        }
        // 1. Record the requests before signing.
        let rows: Vec<PendingRow> = ready
            .iter()
            .map(|(i, _)| PendingRow {
                id: 0,
                request_id: fresh[*i].request_id.clone(),
                request_json: fresh[*i].request.canonical_json(),
                sdc_time_ms: time_ms as i64,
                lang: fresh[*i].lang.code().into(),
            })
            .collect();
        let rows = match self.inner.journal.record_pending(rows).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "journal write failed before signing");
                for o in g.out.iter_mut() {
                    o.get_or_insert_with(|| Err(PfrError::Internal("journal write failed".into())));
                }
                g.jobs = fresh;
                return Staged::Done(g);
            }
        };
        Staged::Ready(Box::new(PreparedGroup {
            g,
            fresh,
            ready,
            rows,
            settings,
            time_ms,
            t0,
        }))
    }

    /// Stage 2: the SE signs a prepared group and the results are built.
    async fn sign_prepared(&self, p: PreparedGroup) -> SignedGroup {
        let PreparedGroup {
            mut g,
            fresh,
            ready,
            rows,
            settings,
            time_ms,
            t0,
        } = p;
        let t_pending = t0.elapsed();
        // 2. Sign (the SE persists its counters before returning).
        let sign_reqs: Vec<SignRequest> = ready
            .iter()
            .map(|(i, c)| sign_request(&settings, &fresh[*i].request, c, time_ms))
            .collect();
        let me = self.clone();
        let signed = tokio::task::spawn_blocking(move || {
            let mut se = me.inner.se.lock().unwrap_or_else(|e| e.into_inner());
            let r = se.sign_batch(&sign_reqs);
            me.refresh_snapshot(se.as_ref());
            r
        })
        .await
        .unwrap_or_else(|_| vec![Err(SeError::NotAvailable("signing task failed".into()))]);
        // Test-only crash (feature `fault-injection`): after the SE persisted, before the journal.
        #[cfg(feature = "fault-injection")]
        if crate::fault::crashes_after_sign() {
            std::process::abort();
        }
        let t_signed = t0.elapsed();
        // 3. Build the results; stage 2 journals them before answering.
        for (k, (i, computed)) in ready.iter().enumerate() {
            match signed.get(k) {
                Some(Ok(s)) => {
                    let job = &fresh[*i];
                    let result = build_result(
                        &settings,
                        &self.inner.uid,
                        &job.request,
                        computed,
                        s,
                        job.computed_advance.as_ref(),
                        job.lang,
                    );
                    match self.new_receipt(&job.request, &rows[k], &result, s) {
                        Ok(r) => g.receipts.push(r),
                        Err(e) => g.out[*i] = Some(Err(e)),
                    }
                    if !job.request.options.omit_qr_code_gen {
                        // Draw the QR code while the committer writes the journal.
                        let url = result.verification_url.clone();
                        g.qr.push((
                            *i,
                            tokio::task::spawn_blocking(move || super::qr::gif_base64(&url).ok()),
                        ));
                    }
                    g.results.push((*i, result));
                }
                Some(Err(e)) => {
                    if matches!(e, SeError::SigningDisabled) {
                        self.inner
                            .snapshot
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .signing_disabled = true;
                    }
                    g.out[*i] = Some(Err(PfrError::State(e.gsc())));
                }
                None => {
                    g.out[*i] = Some(Err(PfrError::Internal(
                        "the secure element returned no answer".into(),
                    )))
                }
            }
        }
        g.pending_ids = rows.iter().map(|r| r.id).collect();
        tracing::debug!(
            batch = fresh.len(),
            pending_us = t_pending.as_micros() as u64,
            sign_us = (t_signed - t_pending).as_micros() as u64,
            build_us = (t0.elapsed() - t_signed).as_micros() as u64,
            "signed a group"
        );
        g.jobs = fresh;
        g
    }
}

/// A group journalled as pending, waiting for the SE.
struct PreparedGroup {
    g: SignedGroup,
    fresh: Vec<Job>,
    ready: Vec<(usize, Computed)>,
    rows: Vec<PendingRow>,
    settings: Settings,
    time_ms: u64,
    t0: std::time::Instant,
}

/// What stage 1 hands to stage 2.
enum Staged {
    /// Nothing to sign (answered, refused or failed already).
    Done(SignedGroup),
    /// Ready for the SE.
    Ready(Box<PreparedGroup>),
}

/// A signed group on its way from the signer to the committer.
struct SignedGroup {
    jobs: Vec<Job>,
    out: Vec<Option<Result<InvoiceResult, PfrError>>>,
    receipts: Vec<NewReceipt>,
    results: Vec<(usize, InvoiceResult)>,
    pending_ids: Vec<i64>,
    followers: Vec<Job>,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    qr: Vec<(usize, tokio::task::JoinHandle<Option<String>>)>,
}
