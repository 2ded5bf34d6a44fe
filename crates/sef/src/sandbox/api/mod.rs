//! The sandbox's public API: the operations of `sef-api.md` §7 under `/api/publicApi`, one file
//! per area; the handlers share the helpers of `common`.

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::sandbox::Sandbox;

mod common;
mod downloads;
mod lists;
mod purchase;
mod sales;
mod upload;

use downloads::{purchase_pdf, purchase_xml, sales_pdf, sales_signature, sales_xml};
use lists::{all_companies, check_company, exemption_reasons, subscribe, unit_measures, version};
use purchase::{
    accept_reject, accept_reject_by_cir, get_purchase, purchase_changes, purchase_ids,
    purchase_overview,
};
use sales::{cancel, delete_many, delete_one, get_sales, sales_changes, sales_ids, storno};
use upload::{upload_multipart, upload_raw};

const P: &str = "/api/publicApi";

pub(super) fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(&format!("{P}/getEfakturaVersion"), get(version))
        .route(&format!("{P}/sales-invoice/ubl"), post(upload_raw))
        .route(
            &format!("{P}/sales-invoice/ubl/upload"),
            post(upload_multipart),
        )
        .route(
            &format!("{P}/sales-invoice"),
            get(get_sales).delete(delete_many),
        )
        .route(&format!("{P}/sales-invoice/{{id}}"), delete(delete_one))
        .route(&format!("{P}/sales-invoice/cancel"), post(cancel))
        .route(&format!("{P}/sales-invoice/storno"), post(storno))
        .route(&format!("{P}/sales-invoice/ids"), post(sales_ids))
        .route(&format!("{P}/sales-invoice/changes"), post(sales_changes))
        .route(&format!("{P}/sales-invoice/xml"), get(sales_xml))
        .route(&format!("{P}/sales-invoice/pdf"), get(sales_pdf))
        .route(
            &format!("{P}/sales-invoice/signature"),
            get(sales_signature),
        )
        .route(
            &format!("{P}/sales-invoice/getValueAddedTaxExemptionReasonList"),
            get(exemption_reasons),
        )
        .route(&format!("{P}/purchase-invoice"), get(get_purchase))
        .route(&format!("{P}/purchase-invoice/ids"), post(purchase_ids))
        .route(
            &format!("{P}/purchase-invoice/changes"),
            post(purchase_changes),
        )
        .route(
            &format!("{P}/purchase-invoice/overview"),
            get(purchase_overview),
        )
        .route(
            &format!("{P}/purchase-invoice/acceptRejectPurchaseInvoice"),
            post(accept_reject),
        )
        .route(
            &format!("{P}/purchase-invoice/acceptRejectPurchaseInvoiceByCirInvoiceId"),
            post(accept_reject_by_cir),
        )
        .route(&format!("{P}/purchase-invoice/xml"), get(purchase_xml))
        .route(&format!("{P}/purchase-invoice/pdf"), get(purchase_pdf))
        .route(&format!("{P}/get-unit-measures"), get(unit_measures))
        .route(
            &format!("{P}/Company/CheckIfCompanyRegisteredOnEfaktura"),
            post(check_company),
        )
        .route(&format!("{P}/getAllCompanies"), get(all_companies))
        .route(&format!("{P}/subscribe"), post(subscribe))
}
