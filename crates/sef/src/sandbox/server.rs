//! Serving the sandbox on fiskal-web: the router (public API behind the rate limit and the fault
//! gate; admin API and portal for loopback peers only, as pages with security headers and CSRF
//! protection; everything inside [`fiskal_web::layers`]) and [`spawn`], the one launcher that
//! `fiskal demo`, `fiskal sef sandbox` and tests start a sandbox with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fiskal_web::{Policy, Server};

use super::{FaultKind, LogEntry, Sandbox, SandboxConfig, SandboxError, admin, api, portal};

/// Largest request body the sandbox reads: the largest XML document fiskal reads
/// ([`fiskal_ubl::limits::XmlLimits::DEFAULT`], 32 MiB) plus room for a multipart envelope.
/// Larger bodies get 413.
pub const MAX_BODY: usize = fiskal_ubl::limits::XmlLimits::DEFAULT.max_bytes + 64 * 1024;

/// `127.0.0.1:0`: a free loopback port, for [`spawn`].
pub const LOOPBACK_ANY_PORT: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// A body that fails at once: the server aborts the connection after the status line.
struct BrokenBody;

impl futures_core::Stream for BrokenBody {
    type Item = Result<axum::body::Bytes, std::io::Error>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection dropped",
        ))))
    }
}

/// What an injected fault answers; `None` when the request is to be processed normally.
async fn fault_answer(kind: FaultKind, delay: Duration) -> Option<Response> {
    Some(match kind {
        FaultKind::Http500 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        FaultKind::Http503 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        FaultKind::Http429 => {
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response()
        }
        FaultKind::DropConnection => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(BrokenBody))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        FaultKind::TimeoutBeforeCommit => {
            tokio::time::sleep(delay).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        FaultKind::TimeoutAfterCommit => return None,
    })
}

/// The public API's gate: per-key rate limit, injected faults and the request log.
async fn api_gate(AxState(sb): AxState<Arc<Sandbox>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let at = Utc::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let key = req
        .headers()
        .get("ApiKey")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let limited = match key.as_deref() {
        Some(k) => !sb.admit(k).await,
        None => false,
    };
    let resp = if limited {
        (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response()
    } else {
        let delay = Duration::from_millis(sb.state.lock().await.settings.fault_delay_ms);
        match sb.take_fault(&path) {
            None => next.run(req).await,
            Some(kind) => match fault_answer(kind, delay).await {
                Some(r) => r,
                None => {
                    // Processed, then the answer is held back.
                    let r = next.run(req).await;
                    tokio::time::sleep(delay).await;
                    r
                }
            },
        }
    };
    sb.record(LogEntry {
        at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        at_ms: at.timestamp_millis(),
        method,
        path,
        query,
        api_key: key.map(|k| {
            let n = k.chars().count();
            k.chars().skip(n.saturating_sub(4)).collect()
        }),
        status: resp.status().as_u16(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    resp
}

async fn loopback_only(AxState(sb): AxState<Arc<Sandbox>>, req: Request, next: Next) -> Response {
    if !sb.allow_remote_admin
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
        && !peer.ip().is_loopback()
    {
        return StatusCode::FORBIDDEN.into_response();
    }
    next.run(req).await
}

/// The sandbox's router: the public API, and for loopback peers the admin API and the portal
/// (with fiskal's stylesheet), all inside [`fiskal_web::layers`] with a body limit of
/// [`MAX_BODY`]. Admin API and portal are [`fiskal_web::pages`]: security headers, and a
/// state-changing request that a browser says comes from another site gets 403 (a page on
/// another site cannot reset the sandbox or change a company's key).
pub fn router(sb: Arc<Sandbox>) -> Router {
    let policy = Policy::new().body_limit(MAX_BODY);
    let api = api::routes().layer(middleware::from_fn_with_state(sb.clone(), api_gate));
    let local = fiskal_web::pages(
        admin::routes()
            .merge(portal::routes())
            .merge(fiskal_web::assets()),
        &policy,
    )
    .layer(middleware::from_fn_with_state(sb.clone(), loopback_only));
    let app = Router::new()
        .merge(api)
        .merge(local)
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(sb);
    fiskal_web::layers(app, &policy)
}

/// Serves `sb` on `server` (fiskal-web: header-read and request timeouts of its
/// [`fiskal_web::ServeConfig`]) until `shutdown` completes, then lets the requests in flight
/// finish.
pub async fn serve_with_shutdown(
    sb: Arc<Sandbox>,
    server: Server,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    server.serve(router(sb), shutdown).await?;
    Ok(())
}

/// A running sandbox; stops when dropped (at once) or by [`SandboxHandle::shutdown`]
/// (gracefully).
pub struct SandboxHandle {
    addr: SocketAddr,
    sandbox: Arc<Sandbox>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

impl SandboxHandle {
    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL for [`crate::SefClientConfig::sandbox`].
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The sandbox itself, for direct admin operations.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// Registers an active company with an active key and returns the key
    /// ([`Sandbox::company_with_key`]).
    pub async fn company_with_key(
        &self,
        pib: &str,
        mb: &str,
        name: &str,
    ) -> Result<String, SandboxError> {
        self.sandbox.company_with_key(pib, mb, name).await
    }

    /// Stops accepting connections, lets the requests in flight finish and waits for the server
    /// task.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.abort();
    }
}

/// Starts a sandbox: opens its state from `config` (memory, or the SQLite file of
/// [`SandboxConfig::db_path`]), binds `listen` and serves there on a task of the current tokio
/// runtime until the handle is shut down or dropped. Returns once the socket is bound, so the
/// address ([`SandboxHandle::addr`], with the port chosen for port 0) is ready to print or to
/// hand to a client. Use [`LOOPBACK_ANY_PORT`] for a free loopback port; seed sample companies
/// with [`Sandbox::seed_samples`].
///
/// The caller decides which addresses are acceptable (`fiskal sef sandbox` refuses
/// non-loopback ones); the admin API and the portal answer loopback peers only unless
/// [`SandboxConfig::allow_remote_admin`].
///
/// ```no_run
/// # async fn run() -> Result<(), fiskal_sef::sandbox::SandboxError> {
/// use fiskal_sef::sandbox::{self, SandboxConfig};
/// let h = sandbox::spawn(SandboxConfig::default(), sandbox::LOOPBACK_ANY_PORT).await?;
/// let keys = h.sandbox().seed_samples().await?;
/// println!("SEF sandbox at {}; seller key {}", h.base_url(), keys.seller);
/// h.shutdown().await;
/// # Ok(()) }
/// ```
pub async fn spawn(
    config: SandboxConfig,
    listen: SocketAddr,
) -> Result<SandboxHandle, SandboxError> {
    spawn_on(config, Server::bind(listen).await?).await
}

/// Like [`spawn`] on an already bound [`Server`], e.g. one with its own
/// [`fiskal_web::ServeConfig`] (timeouts).
pub async fn spawn_on(
    config: SandboxConfig,
    server: Server,
) -> Result<SandboxHandle, SandboxError> {
    let sandbox = Sandbox::open(config).await?;
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let sb = sandbox.clone();
    let task = tokio::spawn(async move {
        let stopped = async {
            let _ = rx.await;
        };
        if let Err(e) = serve_with_shutdown(sb, server, stopped).await {
            tracing::warn!(error = %e, "the SEF sandbox stopped serving");
        }
    });
    Ok(SandboxHandle {
        addr,
        sandbox,
        stop: Some(tx),
        task,
    })
}
