//! Every error code of `sef-api.md` §4.3 that is about a document's content, each with one test
//! document (a sample of fiskal-ubl, changed in one place) that the sandbox refuses with exactly
//! that code. The sandbox judges content with fiskal's validator; the codes come from
//! `fiskal_sef::sandbox::sef_code`. Codes about the sandbox's state are in
//! `sandbox_refusals.rs`.

use fiskal_sef::sandbox::{SandboxConfig, SandboxHandle, SandboxSettings};
use fiskal_ubl::to_xml;

mod common;
use common::*;

async fn sandbox() -> (SandboxHandle, String) {
    let (h, sk, _) = setup_with(SandboxConfig {
        settings: SandboxSettings {
            rate_limit_per_second: 0,
            ..SandboxSettings::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    register_budget_buyer(&h).await;
    (h, sk)
}

#[tokio::test]
async fn each_content_code_has_a_document_that_gets_exactly_it() {
    let (h, sk) = sandbox().await;
    let mut wrong = Vec::new();
    let cases = cases::all();
    for c in &cases {
        let got = upload_code(&h, &sk, "", c.xml.clone()).await;
        if got != c.code {
            wrong.push(format!("{}: got {got:?}", c.code));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(h.sandbox().documents().await.is_empty());
    // The samples themselves are accepted (numbers are new, the day is today).
    for xml in [to_xml(&cases::invoice_doc()), to_xml(&cases::mixed_doc())] {
        assert_eq!(upload_code(&h, &sk, "", xml).await, "");
    }
    // BT-8 on a 381: 0 is among the sandbox's accepted codes (ubl-profile.md §5.3), and so is
    // no code at all.
    for code in [Some("0"), None] {
        let mut cn = cases::credit_note_doc();
        cn.id = Some(format!("O-BT8-{}", code.unwrap_or("none")));
        match code {
            Some(c) => cn.invoice_periods[0].description_code = Some(c.into()),
            None => cn.invoice_periods.clear(),
        }
        assert_eq!(upload_code(&h, &sk, "", to_xml(&cn)).await, "", "{code:?}");
    }
}
