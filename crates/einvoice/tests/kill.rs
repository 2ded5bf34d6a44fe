//! `kill -9` in the middle of sending: the service runs in a separate process (this test binary
//! re-executed), is killed with SIGKILL while SEF holds an upload it already committed, and a
//! new process takes over. Nothing is lost, nothing is sent twice (checked in the sandbox's
//! store), on SQLite and PostgreSQL.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Env, TestDb, pib};
use fiskal_einvoice::model::DocState;
use fiskal_sef::sandbox::{Fault, FaultKind};

const CHILD_ENV: &str = "FISKAL_KILL_CHILD_DB";

/// The child: runs the service's workers until killed. Only runs when started by the parent.
#[test]
#[ignore = "started as a child process by kill_minus_9_*"]
fn child_service() {
    let Ok(db_url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let sandbox = std::env::var("FISKAL_KILL_CHILD_SANDBOX").unwrap();
    let master = std::env::var("FISKAL_KILL_CHILD_MASTER").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut cfg = common::test_config();
        cfg.lease = Duration::from_secs(2);
        let (svc, _store) = common::build_service(
            &db_url,
            &sandbox,
            fiskal_einvoice::MasterKey::from_base64(&master).unwrap(),
            cfg,
            fiskal_einvoice::clock::OffsetClock::new(),
        )
        .await;
        eprintln!("child service running");
        svc.run_workers(std::future::pending()).await;
    });
}

fn spawn_child(env: &Env) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_service",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &env.db_url)
        .env("FISKAL_KILL_CHILD_SANDBOX", env.sb.base_url())
        .env("FISKAL_KILL_CHILD_MASTER", &env.master_b64)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(mut c: Child) {
    c.kill().unwrap(); // SIGKILL on Unix
    let status = c.wait().unwrap();
    assert!(!status.success());
}

async fn kill_minus_9_mid_send(db: TestDb) {
    let env = Env::on(db).await;
    env.sb
        .sandbox()
        .update_settings(serde_json::json!({ "faultDelayMs": 30000 }))
        .await
        .unwrap();
    let p = pib(16100001);
    let (r, _) = env.tenant(&p).await;
    let t = r.tenant.id;
    // SEF commits the first upload but holds the answer: the process is "in the middle of sending".
    env.sb.sandbox().inject_fault(Fault {
        path: "/api/publicApi/sales-invoice/ubl".into(),
        kind: FaultKind::TimeoutAfterCommit,
        count: 1,
    });
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            env.svc
                .submit_xml(t, &env.invoice(&p, &format!("KILL-{i}")), "t")
                .await
                .unwrap()
                .id,
        );
    }
    let child = spawn_child(&env);
    // Wait until SEF holds the document while our store still says "sending".
    let mut mid = false;
    for _ in 0..4800 {
        // up to 120 s on a busy machine; ends at the event
        if !env.sandbox_docs(&p).await.is_empty()
            && env.doc(t, ids[0]).await.state == DocState::Sending
        {
            mid = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(mid, "the child reached the middle of a send");
    kill9(child);
    let attempts = env.svc.store().attempts(t, ids[0]).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert!(
        attempts[0].finished_at.is_none(),
        "the attempt was cut off by the kill"
    );
    // Kill a second child at an arbitrary moment of the remaining sends.
    let child = spawn_child(&env);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    kill9(child);
    // A third one finishes the job.
    let child = spawn_child(&env);
    let mut done = false;
    for _ in 0..2400 {
        // up to 120 s on a busy machine; ends at the event
        if env
            .svc
            .store()
            .count_in_states(t, &[DocState::InSef])
            .await
            .unwrap()
            == ids.len() as i64
        {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill9(child);
    assert!(done, "every document reached SEF");
    let in_sandbox = env.sandbox_docs(&p).await;
    assert_eq!(
        in_sandbox.len(),
        ids.len(),
        "nothing lost and nothing sent twice"
    );
    let mut numbers: Vec<String> = in_sandbox.iter().map(|d| d.number.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), ids.len());
    let first = env.doc(t, ids[0]).await;
    assert_eq!(
        first.sales_invoice_id,
        in_sandbox
            .iter()
            .find(|d| d.number == "KILL-0")
            .map(|d| d.sales_id)
    );
    assert!(
        env.svc.store().attempts(t, ids[0]).await.unwrap().len() >= 2,
        "resent with the same requestId after the kill"
    );
    env.cleanup().await;
}

fiskal_testkit::store_contract!(kill_minus_9_mid_send);
