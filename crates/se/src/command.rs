//! The commands the SUF sends to a PFR and the results the PFR reports back (suf-backend.md §5):
//! the wire types both sides use, over the internet (`/api/v3/sdc/commands`) and on a
//! local-audit medium (`{UID}.commands`, `{UID}.results`). They live in `fiskal-se` next to the
//! audit package so that neither the L-PFR nor the SUF depends on the other.

use serde::{Deserialize, Serialize};

/// Command types (suf-backend.md §5).
pub mod kind {
    /// SetTaxRates: payload is the JSON of one `TaxRateGroup`.
    pub const SET_TAX_RATES: i32 = 0;
    /// SetTimeServerUrl: payload is the URL.
    pub const SET_TIME_SERVER_URL: i32 = 1;
    /// SetVerificationUrl: payload is the verification URL prefix.
    pub const SET_VERIFICATION_URL: i32 = 2;
    /// TaxCorePublicKey: deprecated, ignored (reported as success).
    pub const TAX_CORE_PUBLIC_KEY: i32 = 4;
    /// ForwardProofOfAudit: payload is base64 of the 256-byte proof.
    pub const FORWARD_PROOF_OF_AUDIT: i32 = 5;
    /// SetTaxCoreConfiguration: payload is the JSON configuration object.
    pub const SET_TAX_CORE_CONFIGURATION: i32 = 7;
    /// ForwardSecureElementDirective: payload is base64 of the 512-byte directive.
    pub const FORWARD_DIRECTIVE: i32 = 8;
}

/// A command as the SUF sends it (`Command`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// GUID of the command.
    pub command_id: String,
    /// Command type (see [`kind`]).
    #[serde(rename = "type")]
    pub command_type: i32,
    /// Payload (its form depends on the type).
    #[serde(default)]
    pub payload: String,
    /// Target SE UID.
    #[serde(default)]
    pub uid: String,
}

/// The result of one executed command, as the PFR reports it and writes it to `{UID}.results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandResult {
    /// The command.
    pub command_id: String,
    /// Whether it was processed successfully.
    pub success: bool,
    /// When it ran (Belgrade time, RFC 3339 with milliseconds).
    pub date_and_time: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_names_are_taxcores() {
        let c = Command {
            command_id: "g".into(),
            command_type: kind::FORWARD_DIRECTIVE,
            payload: "p".into(),
            uid: "ABCD1234".into(),
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"commandId": "g", "type": 8, "payload": "p", "uid": "ABCD1234"})
        );
        let r: CommandResult = serde_json::from_str(
            r#"{"commandId":"g","success":true,"dateAndTime":"2026-12-08T01:02:03.004+01:00"}"#,
        )
        .unwrap();
        assert!(r.success);
        // Payload and UID may be missing on the wire.
        let bare: Command = serde_json::from_str(r#"{"commandId":"g","type":4}"#).unwrap();
        assert_eq!(bare.payload, "");
    }
}
