//! The frame of the SUF's pages: fiskal-web's layout in Serbian Cyrillic, the language of
//! TaxCore's verification page and of the receipts it shows.

use fiskal_domain::lang::Lang;
use fiskal_web::Layout;

/// The language of the SUF's pages.
pub const PAGE_LANG: Lang = Lang::SrCyrl;

/// A whole page titled `title` around `body` (markup with every request-derived text escaped).
pub fn page(title: &str, body: &str) -> String {
    Layout::new(title, PAGE_LANG).render(body)
}
