//! A party of the document from the user's input: PIB, MB and JBKJS checked, the PIB written
//! as endpoint (scheme 9948) and as `RS` + PIB in the tax scheme.

use super::error::BuildError;
use super::input::PartyInput;
use crate::ids;
use crate::model::*;

/// The party for `role` (`seller` or `buyer`), or why its identifiers are not valid.
pub(super) fn party(p: &PartyInput, role: &'static str) -> Result<Party, BuildError> {
    let pib = p.pib.trim();
    if !ids::pib_check_digit_valid(pib) {
        return Err(BuildError::InvalidPib {
            role,
            pib: p.pib.clone(),
        });
    }
    let mb = p.mb.trim();
    if !ids::mb_format_valid(mb) {
        return Err(BuildError::InvalidMb {
            role,
            mb: p.mb.clone(),
        });
    }
    let mut identifications = Vec::new();
    if let Some(j) = &p.jbkjs {
        let j = j.trim();
        let j = j.strip_prefix("JBKJS:").unwrap_or(j).trim();
        if !ids::is_digits(j, 5) {
            return Err(BuildError::InvalidJbkjs(j.to_string()));
        }
        identifications.push(PartyId {
            id: format!("JBKJS:{j}"),
            scheme: None,
        });
    }
    Ok(Party {
        endpoint_id: Some(pib.to_string()),
        endpoint_scheme: Some("9948".to_string()),
        identifications,
        name: Some(p.name.clone()),
        address: Some(Address {
            street: Some(p.street.clone()),
            city: Some(p.city.clone()),
            postal_zone: Some(p.postal_code.clone()),
            country: Some(p.country.clone()),
            ..Address::default()
        }),
        tax_schemes: vec![PartyTaxScheme {
            company_id: Some(format!("RS{pib}")),
            tax_scheme: Some("VAT".to_string()),
        }],
        legal_entity: Some(LegalEntity {
            registration_name: Some(
                p.registration_name
                    .clone()
                    .unwrap_or_else(|| p.name.clone()),
            ),
            company_id: Some(mb.to_string()),
            company_id_scheme: None,
        }),
        contact: p.email.as_ref().map(|e| Contact {
            email: Some(e.clone()),
            ..Contact::default()
        }),
    })
}
