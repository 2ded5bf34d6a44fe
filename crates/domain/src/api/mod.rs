//! PFR API v3 request and response types, and the field checks that give TaxCore's codes
//! (pfr-api.md §6, §8, §9, §11).
//!
//! Requests are parsed from a [`serde_json::Value`] by hand so that field names match in any
//! letter case, enums accept numbers and names, unknown fields are ignored and *every* field error
//! is collected with its JSON path, as TaxCore does.

mod compute;
mod parse;
mod request;
mod result;
#[cfg(test)]
mod tests;

pub use compute::{Computed, compute};
pub use parse::field;
pub use request::{InvoiceOptions, InvoiceRequest, Item, Payment};
pub use result::{Endpoints, EnvironmentParameters, InvoiceResult, Status};

use serde::{Deserialize, Serialize};

use crate::gsc::Gsc;

/// Most payments in one request (fiskal's choice).
pub const MAX_PAYMENTS: usize = 20;
/// Most items in one request (fiskal's choice).
pub const MAX_ITEMS: usize = 1000;
/// Most labels per item (fiskal's choice).
pub const MAX_LABELS: usize = 10;
/// Most distinct tax categories in one invoice (the SE accepts 12).
pub const MAX_CATEGORIES: usize = 12;

/// One field error: the JSON path of the field and a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path such as `items[0].labels[1]`; empty for the whole request.
    pub property: String,
    /// The code.
    pub code: Gsc,
}

/// The TaxCore error body (`ModelErrors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelErrors {
    /// HTTP reason phrase.
    pub message: String,
    /// Errors per property.
    pub model_state: Vec<ModelStateEntry>,
}

/// One property's errors in [`ModelErrors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelStateEntry {
    /// JSON path of the field.
    pub property: String,
    /// 4-digit codes.
    pub errors: Vec<String>,
}

impl ModelErrors {
    /// Groups field errors by property, keeping the first-seen property order and sorting codes
    /// within a property.
    pub fn from_errors(message: &str, errors: &[FieldError]) -> ModelErrors {
        let mut model_state: Vec<ModelStateEntry> = Vec::new();
        for e in errors {
            let code = e.code.code().to_string();
            match model_state.iter_mut().find(|m| m.property == e.property) {
                Some(m) => {
                    if !m.errors.contains(&code) {
                        m.errors.push(code);
                    }
                }
                None => model_state.push(ModelStateEntry {
                    property: e.property.clone(),
                    errors: vec![code],
                }),
            }
        }
        for m in &mut model_state {
            m.errors.sort();
        }
        ModelErrors {
            message: message.to_string(),
            model_state,
        }
    }

    /// All codes in order.
    pub fn codes(&self) -> Vec<String> {
        self.model_state
            .iter()
            .flat_map(|m| m.errors.iter().cloned())
            .collect()
    }
}
