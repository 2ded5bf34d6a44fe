//! The PFR's answers: the signed invoice, the status and the environment parameters
//! (pfr-api.md §4, §5, §9).

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::json_number;
use crate::tax::{TaxItem, TaxRateGroup};

/// The PFR's answer to a signed invoice (`InvoiceResult`, pfr-api.md §9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceResult {
    /// UID of the requester.
    pub requested_by: String,
    /// UID of the signing SE.
    pub signed_by: String,
    /// PFR time, `2021-07-14T15:50:23.000+02:00`.
    #[serde(with = "crate::time::api_format")]
    pub sdc_date_time: DateTime<FixedOffset>,
    /// `278/289ПП`.
    pub invoice_counter: String,
    /// `ПП`.
    pub invoice_counter_extension: String,
    /// `YTSS6KKG-HJHR9EO0-289`.
    pub invoice_number: String,
    /// Tax per label.
    pub tax_items: Vec<TaxItem>,
    /// Verification URL.
    pub verification_url: String,
    /// Base64 GIF of the QR code, or null.
    pub verification_q_r_code: Option<String>,
    /// Journal text, or null.
    pub journal: Option<String>,
    /// `Success` / `Успешно`.
    pub messages: String,
    /// Base64 signature.
    pub signature: String,
    /// Base64 internal data.
    pub encrypted_internal_data: String,
    /// Total counter.
    pub total_counter: u32,
    /// Counter of this document kind.
    pub transaction_type_counter: u32,
    /// Sum of item totals.
    #[serde(with = "json_number")]
    pub total_amount: Decimal,
    /// Tax-rate group used.
    pub tax_group_revision: u32,
    /// Seller name.
    pub business_name: String,
    /// Seller TIN.
    pub tin: String,
    /// Seller location.
    pub location_name: String,
    /// Seller address.
    pub address: String,
    /// Seller district.
    pub district: String,
    /// L-PFR registration code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mrc: Option<String>,
}

/// `GET /api/v3/status` answer (pfr-api.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// PIN not yet verified.
    pub is_pin_required: bool,
    /// Unaudited amount ≥ 75 % of the limit.
    pub audit_required: bool,
    /// PFR clock now.
    #[serde(with = "crate::time::api_format")]
    pub sdc_date_time: DateTime<FixedOffset>,
    /// Last PFR invoice number.
    pub last_invoice_number: String,
    /// `3.0`.
    pub protocol_version: String,
    /// SE version.
    pub secure_element_version: String,
    /// Hardware version.
    pub hardware_version: String,
    /// Software version.
    pub software_version: String,
    /// Device serial (MRC serial part).
    pub device_serial_number: String,
    /// Make.
    pub make: String,
    /// Model.
    pub model: String,
    /// Manufacturer status codes.
    pub mssc: Vec<String>,
    /// General status codes.
    pub gsc: Vec<String>,
    /// Supported languages.
    pub supported_languages: Vec<String>,
    /// UID of the SE.
    pub uid: String,
    /// SUF API URL.
    pub tax_core_api: String,
    /// Group in force now.
    pub current_tax_rates: Option<TaxRateGroup>,
    /// All groups.
    pub all_tax_rates: Vec<TaxRateGroup>,
}

/// Endpoint list of [`EnvironmentParameters`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Taxpayer portal.
    pub taxpayer_admin_portal: String,
    /// SUF API.
    pub tax_core_api: String,
    /// V-PFR.
    pub vsdc: String,
    /// Verification URL prefix.
    pub root: String,
}

/// `GET /api/v3/environment-parameters` answer (pfr-api.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentParameters {
    /// Authority name.
    pub organization_name: String,
    /// Windows zone ID.
    pub server_time_zone: String,
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// Country code.
    pub country: String,
    /// Endpoints.
    pub endpoints: Endpoints,
    /// Environment name.
    pub environment_name: String,
    /// Logo URL.
    pub logo: String,
    /// Time server.
    pub ntp_server: String,
    /// Supported languages.
    pub supported_languages: Vec<String>,
}
