//! The typed administration client against a real SUF over HTTP: each call answers with the
//! typed structs, a wrong token, a refused value and an unknown element are typed errors, a UID
//! cannot reach another path, and the token never shows in `Debug`.

mod common;

use std::sync::Arc;

use common::{Env, sqlite_store};
use fiskal_domain::tax::TaxRateGroup;
use fiskal_suf::Suf;
use fiskal_suf::admin_client::{AdminClient, AdminClientError};
use fiskal_suf::service::admin::{DirectiveRequest, NewTaxRateGroup};
use rust_decimal::Decimal;

const TOKEN: &str = "0123456789abcdef-admin-token";

fn refused(r: Result<impl std::fmt::Debug, AdminClientError>) -> (u16, String) {
    match r {
        Err(AdminClientError::Refused { status, message }) => (status.as_u16(), message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn every_administration_call_is_typed() {
    let e = Env::new();
    let uid = e.uid();
    let store = sqlite_store(e.path()).await;
    let suf = Suf::adopt(e.path(), store, None)
        .await
        .expect("adopt")
        .with_admin_token(TOKEN);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(fiskal_suf::serve(Arc::new(suf), listener, async {
        let _ = stopped.await;
    }));

    // A wrong token is a 401 and shows nothing.
    let wrong = AdminClient::new(&base, "wrong").unwrap();
    assert_eq!(refused(wrong.tax_rate_groups().await).0, 401);

    let client = AdminClient::new(&base, TOKEN).unwrap();
    assert!(!format!("{client:?}").contains(TOKEN), "{client:?}");
    let groups = client.tax_rate_groups().await.unwrap();
    assert_eq!(groups.all_tax_rates.len(), 1);
    assert_eq!(
        groups.current_tax_rates.as_ref().map(|g| g.group_id),
        Some(groups.all_tax_rates[0].group_id)
    );
    let listed = client.secure_elements().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].uid, uid);
    assert!(listed[0].revoked_at.is_none());
    let history = client.commands(&uid).await.unwrap();
    assert_eq!(history.len(), 4, "initialisation commands: {history:?}");

    // A new group, the URLs and a directive, each carried by a command.
    let mut g = TaxRateGroup::serbian_default();
    g.tax_categories[2].tax_rates[0].rate = Decimal::new(22, 0);
    let new = NewTaxRateGroup {
        valid_from: (chrono::Utc::now() + chrono::Duration::hours(1)).fixed_offset(),
        tax_categories: g.tax_categories,
    };
    let added = client.add_tax_rate_group(&new).await.unwrap();
    assert_eq!(added.queued_for, 1);
    assert_eq!(added.value.tax_categories, new.tax_categories);
    assert_eq!(
        client.tax_rate_groups().await.unwrap().all_tax_rates.len(),
        2
    );
    let (status, message) = refused(client.set_time_server("ftp://x").await);
    assert!(
        status == 400 && message.contains("http"),
        "{status} {message}"
    );
    let set = client
        .set_time_server("http://time.example.rs:80/")
        .await
        .unwrap();
    assert_eq!(set.value, "http://time.example.rs:80/");
    let prefix = format!("{base}v/?vl=");
    assert_eq!(
        client.set_verification_url(&prefix).await.unwrap().value,
        prefix
    );
    let sent = client
        .send_directive(&uid, DirectiveRequest::SetLimit(20_000_000_000))
        .await
        .unwrap();
    assert_eq!(sent.value.directive, "SetLimit");
    assert_eq!(sent.value.limit, Some(Decimal::new(2_000_000, 0)));
    let history = client.commands(&uid).await.unwrap();
    assert_eq!(history.len(), 8, "{history:?}");
    assert!(history.iter().all(|c| c.success.is_none()));
    assert!(
        history
            .iter()
            .any(|c| c.type_name == "ForwardSecureElementDirective")
    );

    // A UID is one path segment: "x/../../tax-rate-groups" reaches no other call.
    let (status, message) = refused(client.revoke("x/../../tax-rate-groups").await);
    assert!(
        status == 404 && message.contains("x/../../tax-rate-groups"),
        "{message}"
    );
    client.revoke(&uid).await.unwrap();
    assert!(
        client.secure_elements().await.unwrap()[0]
            .revoked_at
            .is_some()
    );

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    // No SUF there any more: unreachable, with the base in the message.
    match client.secure_elements().await {
        Err(e @ AdminClientError::Unreachable { .. }) => {
            assert!(e.to_string().contains(base.trim_end_matches('/')), "{e}");
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert!(matches!(
        AdminClient::new("ftp://suf.example/", TOKEN),
        Err(AdminClientError::BadUrl(_))
    ));
}
