//! The key check, SEF's code lists, the company registry and the status-callback subscription
//! (`sef-api.md` §7.1, §7.10–§7.12).

use reqwest::Method;

use super::transport::{Body, Call, SefClient, json_body};
use crate::error::SefError;
use crate::model::*;

impl SefClient {
    /// §7.1: the key and liveness check. `Ok` proves the key is known, active and of this
    /// environment; `Err(SefError::InvalidKey)` that it is not.
    pub async fn check_key(&self) -> Result<VersionInfo, SefError> {
        self.json(Self::get("/getEfakturaVersion", vec![])).await
    }

    /// §7.10: SEF's units of measure.
    pub async fn unit_measures(&self) -> Result<Vec<UnitMeasure>, SefError> {
        self.json(Self::get("/get-unit-measures", vec![])).await
    }

    /// §7.10: SEF's VAT exemption reasons.
    pub async fn vat_exemption_reasons(&self) -> Result<Vec<VatExemptionReason>, SefError> {
        self.json(Self::get(
            "/sales-invoice/getValueAddedTaxExemptionReasonList",
            vec![],
        ))
        .await
    }

    /// §7.11: whether a company is registered on SEF.
    pub async fn check_company_registered(
        &self,
        registration_number: &str,
        vat_number: &str,
        jbkjs: Option<&str>,
    ) -> Result<bool, SefError> {
        let body = json_body(&CompanyCheckRequest {
            registration_number: Some(registration_number.to_string()),
            vat_number: Some(vat_number.to_string()),
            jbkjs: jbkjs.map(str::to_string),
        })?;
        let r: CompanyRegistrationCheck = self
            .json(Self::post(
                "/Company/CheckIfCompanyRegisteredOnEfaktura",
                vec![],
                body,
            ))
            .await?;
        Ok(r.e_faktura_registered_company)
    }

    /// §7.11: every registered company (large on production).
    pub async fn all_companies(
        &self,
        include_all_statuses: bool,
    ) -> Result<Vec<RegisteredCompany>, SefError> {
        self.json(Self::get(
            "/getAllCompanies",
            vec![("includeAllStatuses", include_all_statuses.to_string())],
        ))
        .await
    }

    /// §7.12: subscribes to next day's status callbacks; returns the subscription key (quotes
    /// stripped).
    pub async fn subscribe(&self) -> Result<String, SefError> {
        let raw = self
            .run(Call {
                method: Method::POST,
                path: "/subscribe",
                query: vec![],
                body: Body::None,
                accept: "*/*",
                upload: false,
            })
            .await
            .result?;
        let text = String::from_utf8_lossy(&raw.body);
        Ok(text.trim().trim_matches('"').to_string())
    }
}
