//! # fiskal-pfr
//!
//! fiskal's PFR (процесор фискалних рачуна, fiscal receipt processor): the TaxCore PFR HTTP API
//! v3 (`/api/v3/...`) served by the L-PFR (local PFR) on the shop's premises.
//!
//! - [`service::Lpfr`]: the use cases over a [`fiskal_se::SecureElement`] and the durable
//!   [`store::Journal`]; a single signer task groups concurrent requests so one fsync covers
//!   many receipts; [`service::qr`] draws the QR image of each receipt.
//! - [`store`]: the journal behind the [`store::Journal`] trait, on SQLite
//!   ([`store::SqliteJournal`]).
//! - [`api::router`]: the axum routes with TaxCore's error bodies and codes.
//! - [`audit`]: the audit towards the SUF (internet loop and local audit on removable media);
//!   [`commands`]: the SUF's commands.
//! - [`serve`]: serves on fiskal-web's server until Ctrl-C or SIGTERM.

pub mod api;
pub mod audit;
pub mod commands;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod service;
pub mod store;

pub use api::router;
pub use service::{Lpfr, Settings};

/// Serves the L-PFR API on `listener` until Ctrl-C or SIGTERM, on fiskal-web's server
/// (clients that send their headers slowly are dropped after 10 s).
pub async fn serve(lpfr: Lpfr, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    fiskal_web::serve(
        listener,
        router(lpfr),
        fiskal_web::ServeConfig::new(),
        fiskal_web::shutdown_signal(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::service::{Lang, audit_warning_message, lang_from_journal, success_message};

    #[test]
    fn messages_are_those_of_before() {
        assert_eq!(success_message(Lang::SrCyrl), "Успешно");
        assert_eq!(success_message(Lang::En), "Success");
        assert_eq!(
            audit_warning_message("Успешно", Lang::SrCyrl),
            "Успешно 1400: Потребно је ишчитавање: неишчитани износ је прешао 75% лимита безбедносног елемента."
        );
        assert_eq!(
            audit_warning_message("Success", Lang::En),
            "Success 1400: Audit required: the unaudited amount passed 75% of the secure element's limit."
        );
    }

    #[test]
    fn journal_codes_old_and_new() {
        for (code, lang) in [
            ("sr", Lang::SrCyrl),
            ("en", Lang::En),
            ("sr-Cyrl", Lang::SrCyrl),
            ("", Lang::SrCyrl),
        ] {
            assert_eq!(lang_from_journal(code), lang, "{code:?}");
        }
        for l in [Lang::SrCyrl, Lang::En] {
            assert_eq!(lang_from_journal(l.code()), l);
        }
    }
}
