//! `fiskal_web::serve` over real sockets: slow clients are dropped, the peer address and the
//! client certificate reach handlers, requests time out, shutdown lets requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use fiskal_web::tls::{self, ClientAuth};
use fiskal_web::{MAX_HEAD_BYTES, MAX_HEADERS, PeerCertificates, ServeConfig, Server};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};

/// Upper bound for an expected event; never a pause before checking.
const EVENT_DEADLINE: Duration = Duration::from_secs(20);

async fn start(
    app: Router,
    config: ServeConfig,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .config(config);
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(app, async {
        let _ = stopped.await;
    }));
    (addr, stop, task)
}

/// Reads until the server closes the connection; what it sent before.
async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn peer_app() -> Router {
    Router::new().route(
        "/peer",
        get(|ConnectInfo(a): ConnectInfo<SocketAddr>| async move { a.to_string() }),
    )
}

#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_disconnected() {
    let config = ServeConfig::new().header_read_timeout(Duration::from_millis(300));
    let (addr, _stop, _task) = start(peer_app(), config).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /peer HT").await.unwrap();
    let started = std::time::Instant::now();
    tokio::time::timeout(EVENT_DEADLINE, read_to_close(&mut slow))
        .await
        .expect("the server never closed the slow connection");
    // Closed by the timeout, not at once for another reason.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );

    // A client that says nothing at all is dropped too.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(EVENT_DEADLINE, read_to_close(&mut silent))
        .await
        .expect("the server never closed the silent connection");

    // A normal client is served, and the handler sees its address.
    let mut ok = TcpStream::connect(addr).await.unwrap();
    let me = ok.local_addr().unwrap();
    ok.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = tokio::time::timeout(EVENT_DEADLINE, read_to_close(&mut ok))
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with(&me.to_string()), "{answer}");
}

#[tokio::test]
async fn a_request_over_its_time_gets_408() {
    let app = Router::new().route("/slow", get(std::future::pending::<String>));
    let config = ServeConfig::new().request_timeout(Duration::from_millis(200));
    let (addr, _stop, _task) = start(app, config).await;
    let r = reqwest::get(format!("http://{addr}/slow")).await.unwrap();
    assert_eq!(r.status(), 408);
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_and_stops_accepting() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (e, r) = (entered.clone(), release.clone());
    let app = Router::new().route(
        "/work",
        get(move || {
            let (e, r) = (e.clone(), r.clone());
            async move {
                e.notify_one();
                r.notified().await;
                "done"
            }
        }),
    );
    let (addr, stop, task) = start(app, ServeConfig::new()).await;
    let client = reqwest::Client::new();
    let in_flight = tokio::spawn(client.get(format!("http://{addr}/work")).send());
    tokio::time::timeout(EVENT_DEADLINE, entered.notified())
        .await
        .unwrap();
    stop.send(()).unwrap();
    // The listener closes: new connections are refused (checked until it happens).
    tokio::time::timeout(EVENT_DEADLINE, async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the listener was never closed");
    assert!(!task.is_finished(), "serve waits for the request in flight");
    release.notify_one();
    let r = tokio::time::timeout(EVENT_DEADLINE, in_flight)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "done");
    tokio::time::timeout(EVENT_DEADLINE, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    client_pem: String,
    client_der: CertificateDer<'static>,
    roots: rustls::RootCertStore,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fiskal test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let mut server_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "AAAA1111");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = KeyPair::generate().unwrap();
    let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_chain: vec![server_cert.der().clone()],
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        client_pem: format!("{}{}", client_cert.pem(), client_key.serialize_pem()),
        client_der: client_cert.der().clone(),
        roots,
    }
}

fn cert_app() -> Router {
    Router::new().route(
        "/who",
        get(|certs: Option<PeerCertificates>| async move {
            match certs.as_ref().and_then(PeerCertificates::end_entity) {
                Some(c) => format!("{} bytes {:?}", c.len(), &c[..8]),
                None => "no certificate".to_string(),
            }
        }),
    )
}

fn client(p: &Pki, addr: SocketAddr, with_identity: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(p.ca_pem.as_bytes()).unwrap()])
        .resolve("localhost", addr);
    if with_identity {
        b = b.identity(reqwest::Identity::from_pem(p.client_pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn tls_hands_the_client_certificate_to_the_handler() {
    let p = pki();
    let config = tls::server_config(
        p.server_chain.clone(),
        p.server_key.clone_key(),
        ClientAuth::Optional(p.roots.clone()),
    )
    .unwrap();
    let (addr, _stop, _task) = start(cert_app(), ServeConfig::new().tls(config)).await;
    let url = format!("https://localhost:{}/who", addr.port());
    let seen = client(&p, addr, true)
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        seen,
        format!("{} bytes {:?}", p.client_der.len(), &p.client_der[..8])
    );
    let seen = client(&p, addr, false)
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(seen, "no certificate");
    // Plain HTTP on the TLS port gets no answer.
    assert!(
        reqwest::get(format!("http://127.0.0.1:{}/who", addr.port()))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn tls_can_require_a_client_certificate() {
    let p = pki();
    let config = tls::server_config(
        p.server_chain.clone(),
        p.server_key.clone_key(),
        ClientAuth::Required(p.roots.clone()),
    )
    .unwrap();
    let (addr, _stop, _task) = start(cert_app(), ServeConfig::new().tls(config)).await;
    let url = format!("https://localhost:{}/who", addr.port());
    assert!(client(&p, addr, false).get(&url).send().await.is_err());
    let r = client(&p, addr, true).get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .ends_with(&format!("{:?}", &p.client_der[..8]))
    );
    assert!(matches!(
        tls::server_config(
            p.server_chain.clone(),
            p.server_key.clone_key(),
            ClientAuth::Required(rustls::RootCertStore::empty())
        ),
        Err(tls::TlsError::ClientRoots(_))
    ));
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let (addr, _stop, _task) = start(peer_app(), ServeConfig::new().max_connections(1)).await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(EVENT_DEADLINE, first.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "the first connection is served"
    );
    // The first connection stays open (keep-alive): the second is queued, not served.
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let early = tokio::time::timeout(Duration::from_millis(200), second.read(&mut buf)).await;
    assert!(early.is_err(), "served while the only slot was taken");
    drop(first);
    let answer = tokio::time::timeout(EVENT_DEADLINE, read_to_close(&mut second))
        .await
        .unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

/// Sends `head` on a fresh connection and returns the status line of the answer.
async fn status_line_for(addr: SocketAddr, head: String) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let got = tokio::time::timeout(EVENT_DEADLINE, read_to_close(&mut s))
        .await
        .expect("an answer");
    String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_head_past_the_limits_gets_431() {
    let (addr, _stop, _task) = start(peer_app(), ServeConfig::new()).await;
    let fine = format!(
        "GET /peer HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(MAX_HEAD_BYTES / 2)
    );
    assert!(
        status_line_for(addr, fine)
            .await
            .starts_with("HTTP/1.1 200")
    );
    let long = format!(
        "GET /peer HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(2 * MAX_HEAD_BYTES)
    );
    let got = status_line_for(addr, long).await;
    assert!(got.starts_with("HTTP/1.1 431"), "{got:?}");
    let many: String = (0..=MAX_HEADERS)
        .map(|i| format!("X-H{i}: 1\r\n"))
        .collect();
    let many = format!("GET /peer HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    assert!(
        status_line_for(addr, many)
            .await
            .starts_with("HTTP/1.1 431")
    );
}
