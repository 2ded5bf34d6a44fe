//! `demo_flow`: sandbox in-process → registration → send → buyer approves → Approved.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_flow_reaches_approved() {
    let s = fiskal_einvoice::demo_flow(fiskal_einvoice::DemoOptions::default())
        .await
        .unwrap();
    assert_eq!(s.final_status, "Approved", "{s}");
    assert_eq!(s.documents_in_sandbox, 1);
    assert!(s.key_masked.starts_with("••••••••-"));
    assert!(s.statuses.iter().any(|x| x.starts_with("in_sef")));
    let text = s.to_string();
    assert!(text.contains("Approved"));
}
