//! The one HTTP/1.1 server loop of fiskal, on hyper-util: header-read timeout, whole-request
//! timeout, graceful shutdown, the peer address for handlers and optional TLS with client
//! certificates.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;
use tower_http::timeout::{Timeout, TimeoutLayer};

use crate::tls::{PeerCertificates, ServerConfig};

/// How [`serve`] treats connections. Defaults: headers within 10 s, a whole request within
/// 60 s, 30 s for in-flight requests at shutdown, at most [`MAX_CONNECTIONS`] connections at
/// once, plain HTTP.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    header_read_timeout: Duration,
    request_timeout: Duration,
    shutdown_grace: Duration,
    max_connections: usize,
    tls: Option<Arc<ServerConfig>>,
}

/// Connections served at once by default; more wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 4096;

/// Header fields a request may carry; more is answered 431.
pub const MAX_HEADERS: usize = 100;

/// Bytes of a request's head (request line and headers) the server buffers while the head is
/// incomplete; a head that is still incomplete past it is answered 431 (hyper checks between
/// reads, so a head that arrives whole may be up to one read larger). Named here rather than
/// left to hyper's default (about 400 KiB), so an upgrade cannot change it unnoticed.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            max_connections: MAX_CONNECTIONS,
            tls: None,
        }
    }
}

impl ServeConfig {
    /// The defaults (see [`ServeConfig`]).
    pub fn new() -> ServeConfig {
        ServeConfig::default()
    }

    /// A client must send a request's headers (and, on TLS, finish the handshake) within `d`,
    /// or its connection is closed. This also bounds how long an idle keep-alive connection
    /// stays open.
    pub fn header_read_timeout(mut self, d: Duration) -> ServeConfig {
        self.header_read_timeout = d;
        self
    }

    /// A request (reading its body and the handler's work) must be answered within `d`, or it
    /// gets 408 Request Timeout.
    pub fn request_timeout(mut self, d: Duration) -> ServeConfig {
        self.request_timeout = d;
        self
    }

    /// At shutdown, requests in flight get `d` to finish before their connections are dropped.
    pub fn shutdown_grace(mut self, d: Duration) -> ServeConfig {
        self.shutdown_grace = d;
        self
    }

    /// Serves at most `n` connections at once (at least 1); further clients wait in the
    /// listen queue until one closes.
    pub fn max_connections(mut self, n: usize) -> ServeConfig {
        self.max_connections = n.max(1);
        self
    }

    /// Terminates TLS with `config` (build one with [`crate::tls::server_config`]); a client
    /// certificate the peer presents reaches handlers as [`PeerCertificates`]. [`serve`] speaks
    /// HTTP/1.1, so the configuration must not offer `h2` by ALPN.
    pub fn tls(mut self, config: Arc<ServerConfig>) -> ServeConfig {
        self.tls = Some(config);
        self
    }

    /// Whether TLS is configured.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// A listening server: bind it, print [`Server::local_addr`], then [`Server::serve`].
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
/// let server = fiskal_web::Server::bind("127.0.0.1:0".parse().unwrap()).await?;
/// println!("listening on http://{}/", server.local_addr());
/// server.serve(app, fiskal_web::shutdown_signal()).await
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    config: ServeConfig,
}

impl Server {
    /// Binds `addr` with the default [`ServeConfig`].
    pub async fn bind(addr: SocketAddr) -> io::Result<Server> {
        Server::from_listener(TcpListener::bind(addr).await?)
    }

    /// Serves on an already bound listener.
    pub fn from_listener(listener: TcpListener) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            addr,
            config: ServeConfig::default(),
        })
    }

    /// Uses `config` instead of the default.
    pub fn config(mut self, config: ServeConfig) -> Server {
        self.config = config;
        self
    }

    /// The address bound (with the port chosen when binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs [`serve`] until `shutdown` completes.
    pub async fn serve(
        self,
        app: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        serve(self.listener, app, self.config, shutdown).await
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and lets the
/// requests in flight finish (up to the configured grace).
///
/// Each request carries the peer address as [`axum::extract::ConnectInfo<SocketAddr>`] and, on
/// TLS with a client certificate, [`PeerCertificates`]. Headers must arrive within the
/// header-read timeout, whole requests within the request timeout (408), and at most the
/// configured number of connections is served at once, see [`ServeConfig`].
/// Returns an error only if the listener's address cannot be read; failures of single
/// connections are logged at debug level.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let timeout =
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout);
    let app: Timeout<Router> = tower::Layer::layer(&timeout, app);
    let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_error(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = Conn {
            app: app.clone(),
            peer,
            header_read_timeout: config.header_read_timeout,
            watcher: graceful.watcher(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            conn.run(stream, tls).await;
            drop(slot);
        });
    }
    drop(listener);
    tracing::debug!(%local, connections = graceful.count(), "shutting down");
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(%local, "requests still running after the shutdown grace were dropped");
    }
    Ok(())
}

/// Errors of `accept` that concern one connection are skipped; others (out of file
/// descriptors) are waited out briefly so the loop does not spin.
async fn accept_error(e: &io::Error) {
    use io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// One accepted connection.
struct Conn {
    app: Timeout<Router>,
    peer: SocketAddr,
    header_read_timeout: Duration,
    watcher: Watcher,
}

impl Conn {
    async fn run(self, stream: TcpStream, tls: Option<tokio_rustls::TlsAcceptor>) {
        let Some(acceptor) = tls else {
            return self.http(stream, None).await;
        };
        let handshake = tokio::time::timeout(self.header_read_timeout, acceptor.accept(stream));
        match handshake.await {
            Ok(Ok(tls_stream)) => {
                let certs = tls_stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .filter(|c| !c.is_empty())
                    .map(|c| PeerCertificates(c.iter().map(|d| d.clone().into_owned()).collect()));
                self.http(tls_stream, certs).await;
            }
            Ok(Err(e)) => tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
        }
    }

    async fn http<I>(self, io: I, certs: Option<PeerCertificates>)
    where
        I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let Conn {
            app,
            peer,
            header_read_timeout,
            watcher,
        } = self;
        let svc = tower::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            if let Some(c) = &certs {
                req.extensions_mut().insert(c.clone());
            }
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.oneshot(req).await.unwrap_or_else(|e| match e {})) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .max_headers(MAX_HEADERS)
            .max_buf_size(MAX_HEAD_BYTES)
            .keep_alive(true);
        let conn = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(svc));
        if let Err(e) = watcher.watch(conn).await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM: the shutdown future of every fiskal server.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
