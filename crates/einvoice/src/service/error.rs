//! Errors of service operations, each with a user-facing text in Serbian and English.

use crate::crypto::CryptoError;
use crate::fields::FieldError;
use crate::messages::{Lang, MessageId, UserMessage, tr};
use crate::store::StoreError;
use crate::tools::Finding;

/// Errors of service operations. Each carries a user-facing text in Serbian and English.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// One of the §6.3 messages.
    #[error("{}", .0.render(Lang::En, &args_ref(.1)))]
    Message(MessageId, Vec<(String, String)>),
    /// Field-level validation failed.
    #[error("Some fields are not valid: {}", .0.iter().map(|f| f.en.as_str()).collect::<Vec<_>>().join(" "))]
    Fields(Vec<FieldError>),
    /// The validator found fatal errors.
    #[error("The document is not valid: {}", .0.iter().filter(|f| f.fatal).map(|f| format!("[{}] {}", f.rule_id, f.message)).collect::<Vec<_>>().join("; "))]
    InvalidDocument(Vec<Finding>),
    /// A request that cannot be done in the current state.
    #[error("{en}")]
    Refused {
        /// Serbian text.
        sr: String,
        /// English text.
        en: String,
    },
    /// Unknown tenant or document (or one of another tenant).
    #[error("Not found.")]
    NotFound,
    /// Authentication required or wrong.
    #[error("Access denied: a valid access token is required.")]
    Unauthorized,
    /// The environment is not configured in this deployment.
    #[error("The SEF environment {0} is not configured in this service.")]
    UnknownEnvironment(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Key storage failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

pub(super) fn args_ref(a: &[(String, String)]) -> Vec<(&str, &str)> {
    a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

impl ServiceError {
    pub(super) fn msg(id: MessageId, args: &[(&str, &str)]) -> ServiceError {
        ServiceError::Message(
            id,
            args.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    pub(super) fn refused(sr: impl Into<String>, en: impl Into<String>) -> ServiceError {
        ServiceError::Refused {
            sr: sr.into(),
            en: en.into(),
        }
    }

    /// The message id (`sef.key.rejected`, `field`, `document.invalid`, …).
    pub fn id(&self) -> String {
        match self {
            ServiceError::Message(m, _) => m.id().to_string(),
            ServiceError::Fields(_) => "field".into(),
            ServiceError::InvalidDocument(_) => "document.invalid".into(),
            ServiceError::Refused { .. } => "refused".into(),
            ServiceError::NotFound => "not_found".into(),
            ServiceError::Unauthorized => "unauthorized".into(),
            ServiceError::UnknownEnvironment(_) => "environment.unknown".into(),
            ServiceError::Store(_) | ServiceError::Crypto(_) => "internal".into(),
        }
    }

    /// The text in a language.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            ServiceError::Message(m, a) => m.render(lang, &args_ref(a)),
            ServiceError::Fields(f) => f
                .iter()
                .map(|f| tr(lang, &f.sr, &f.en))
                .collect::<Vec<_>>()
                .join(" "),
            ServiceError::InvalidDocument(f) => {
                let head = tr(
                    lang,
                    "Dokument nije ispravan:",
                    "The document is not valid:",
                );
                let items: Vec<String> = f
                    .iter()
                    .filter(|f| f.fatal)
                    .map(|f| format!("[{}] {} ({})", f.rule_id, finding_text(f, lang), f.path))
                    .collect();
                format!("{head} {}", items.join("; "))
            }
            ServiceError::Refused { sr, en } => tr(lang, sr, en),
            ServiceError::NotFound => tr(lang, "Traženi zapis ne postoji.", "Not found."),
            ServiceError::Unauthorized => tr(
                lang,
                "Pristup nije dozvoljen: potreban je ispravan pristupni token.",
                "Access denied: a valid access token is required.",
            ),
            ServiceError::UnknownEnvironment(e) => format!(
                "{}{e}",
                tr(
                    lang,
                    "SEF okruženje nije podešeno u ovom servisu: ",
                    "This SEF environment is not configured in the service: "
                )
            ),
            ServiceError::Store(_) | ServiceError::Crypto(_) => tr(
                lang,
                "Došlo je do interne greške servisa. Pokušajte ponovo; ako se ponovi, obratite se podršci.",
                "An internal error occurred. Try again; if it persists, contact support.",
            ),
        }
    }

    /// As a [`UserMessage`].
    pub fn user_message(&self, lang: Lang) -> UserMessage {
        UserMessage {
            id: self.id(),
            text: self.text(lang),
        }
    }
}

/// Shorthand.
pub type SResult<T> = Result<T, ServiceError>;

/// A validator finding's sentence in `lang`: rule findings are Serbian (transliterated for
/// Cyrillic); the reader's `XML` refusals are the XML reader's English and stay so.
pub(super) fn finding_text(f: &Finding, lang: Lang) -> String {
    if f.rule_id == "XML" {
        f.message.clone()
    } else {
        tr(lang, &f.message, &f.message)
    }
}
