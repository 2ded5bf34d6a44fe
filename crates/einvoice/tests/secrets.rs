//! Keys never appear in logs: every log line (all crates, TRACE level, including sqlx, hyper and
//! reqwest) is captured while keys are submitted, used, rejected and replaced.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, Env, pib, registration};
use fiskal_einvoice::crypto::ApiKey;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_reach_the_logs() {
    let buf = Buf::default();
    let w = buf.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || w.clone())
        .init();
    let env = Env::new(Backend::Sqlite).await;
    let p = pib(17100001);
    let key = env
        .sandbox_company(&p, &common::mb_for(&p), "Log d.o.o.")
        .await;
    // Rejected, malformed, accepted.
    let wrong = uuid::Uuid::new_v4().to_string();
    assert!(
        env.svc
            .register(registration(&p, &wrong), "t")
            .await
            .is_err()
    );
    assert!(
        env.svc
            .register(registration(&p, &format!("{key}x")), "t")
            .await
            .is_err()
    );
    let reg = env.svc.register(registration(&p, &key), "t").await.unwrap();
    let t = reg.tenant.id;
    // Used, revoked, replaced.
    env.svc
        .submit_xml(t, &env.invoice(&p, "LOG-1"), "t")
        .await
        .unwrap();
    env.drain(t, Duration::from_secs(10)).await;
    let new_key = env.sb.sandbox().regenerate_key(&key).await.unwrap();
    env.svc
        .submit_xml(t, &env.invoice(&p, "LOG-2"), "t")
        .await
        .unwrap();
    env.svc.run_sender_once().await;
    assert!(env.svc.check_again(t, "t").await.is_err());
    env.svc
        .replace_key(t, ApiKey::unchecked(&new_key), "t")
        .await
        .unwrap();
    env.drain(t, Duration::from_secs(10)).await;
    // Debug output of the key types.
    tracing::info!(key = ?ApiKey::unchecked(&new_key), "debug of a key");
    let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("tenant registered")
            && logs.contains("uploading")
            && logs.contains("key replaced"),
        "logs were captured"
    );
    assert!(
        logs.len() > 10_000,
        "TRACE output from the dependencies was captured too"
    );
    for k in [&key, &new_key, &wrong] {
        assert!(
            !logs.to_lowercase().contains(&k.to_lowercase()),
            "a key appeared in the logs"
        );
    }
    env.cleanup().await;
}
