//! Typed extractors: [`Language`] (negotiated per server policy), [`BearerToken`],
//! [`RequestId`] and [`TaxCoreJson`] (a JSON body whose rejection is TaxCore's `ModelErrors`).
//! For uploads use axum's [`axum::extract::Multipart`].

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fiskal_domain::api::FieldError;
use fiskal_domain::gsc::Gsc;
use fiskal_domain::lang::{self, Lang, NotAcceptable, Supported};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::taxcore;

// ------------------------------------------------------------------------------ Language

/// What a server speaks and what it answers when the client accepts none of it.
pub trait LangPolicy: Send + Sync + 'static {
    /// The languages supported, the first being the default.
    const SUPPORTED: Supported;

    /// The answer when the client's `Accept-Language` names nothing supported; `None` serves
    /// the default language instead.
    fn not_acceptable() -> Option<Response>;
}

/// The TaxCore PFR API: `sr-Cyrl-RS` (default) and `en-US`; anything else is answered with
/// 406 and the `ModelErrors` body `{"message":"Not Acceptable","modelState":[]}`
/// (pfr-api.md §2.1).
#[derive(Debug, Clone, Copy)]
pub struct PfrApi;

impl LangPolicy for PfrApi {
    const SUPPORTED: Supported = lang::PFR_API;

    fn not_acceptable() -> Option<Response> {
        Some(taxcore::model_errors(StatusCode::NOT_ACCEPTABLE, &[]))
    }
}

/// Pages for people: Serbian Latin (default), Serbian Cyrillic and English; never refuses.
#[derive(Debug, Clone, Copy)]
pub struct Pages;

impl LangPolicy for Pages {
    const SUPPORTED: Supported = lang::PAGES;

    fn not_acceptable() -> Option<Response> {
        None
    }
}

/// Name of the query parameter and of the cookie that choose a language explicitly.
pub const LANG_PARAM: &str = "lang";

/// The language of a request: `?lang=` or the `lang` cookie when the server supports it, else
/// `Accept-Language` with q-values ([`Lang::negotiate`]), under policy `P`.
///
/// ```
/// use fiskal_web::{Language, PfrApi};
/// async fn status(Language { lang, .. }: Language<PfrApi>) -> String {
///     lang.tag().to_string()
/// }
/// let _app: axum::Router = axum::Router::new().route("/status", axum::routing::get(status));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language<P: LangPolicy = Pages> {
    /// The negotiated language.
    pub lang: Lang,
    policy: PhantomData<fn() -> P>,
}

impl<P: LangPolicy> Language<P> {
    /// `lang` under policy `P` (for tests and callers that negotiated themselves).
    pub fn new(lang: Lang) -> Language<P> {
        Language {
            lang,
            policy: PhantomData,
        }
    }
}

impl<P: LangPolicy> std::ops::Deref for Language<P> {
    type Target = Lang;

    fn deref(&self) -> &Lang {
        &self.lang
    }
}

/// The value of query parameter `name` (not percent-decoded: language codes need none).
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Negotiates the language of a request from its query string and headers (see [`Language`]).
pub fn negotiate(
    query: Option<&str>,
    headers: &HeaderMap,
    supported: Supported,
) -> Result<Lang, NotAcceptable> {
    let explicit =
        query_param(query, LANG_PARAM).or_else(|| crate::cookie::get(headers, LANG_PARAM));
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .map(|v| v.to_str().unwrap_or(""));
    Lang::negotiate(explicit, accept, supported)
}

impl<S: Send + Sync, P: LangPolicy> FromRequestParts<S> for Language<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        match negotiate(parts.uri.query(), &parts.headers, P::SUPPORTED) {
            Ok(lang) => Ok(Language::new(lang)),
            Err(NotAcceptable) => match P::not_acceptable() {
                Some(r) => Err(r),
                None => Ok(Language::new(
                    P::SUPPORTED.first().copied().unwrap_or_default(),
                )),
            },
        }
    }
}

// --------------------------------------------------------------------------- BearerToken

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive). Its `Debug` never
/// shows the token and its memory is wiped when dropped; never log [`BearerToken::secret`].
///
/// As an extractor it refuses a request without one with 401 (`WWW-Authenticate: Bearer`);
/// take `Option<BearerToken>` to answer that case yourself.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(Zeroizing<String>);

impl BearerToken {
    /// The token from `headers`, if they carry a well-formed bearer `Authorization`.
    pub fn from_headers(headers: &HeaderMap) -> Option<BearerToken> {
        let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
        let (scheme, token) = v.split_once(' ')?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
            return None;
        }
        Some(BearerToken(Zeroizing::new(token.to_string())))
    }

    /// The token itself: compare it in constant time, never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(***)")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        BearerToken::from_headers(&parts.headers).ok_or_else(|| {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "This request needs a token: Authorization: Bearer <token>.",
            )
                .into_response()
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for BearerToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(BearerToken::from_headers(&parts.headers))
    }
}

// ----------------------------------------------------------------------------- RequestId

/// Name of the answer header that carries the [`RequestId`].
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id [`crate::layers`] gives each request (a random UUID), carried by its tracing span
/// and echoed in the `x-request-id` answer header. Outside those layers a fresh one is made.
/// Not TaxCore's `RequestId` header, which is the client's idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub uuid::Uuid);

impl RequestId {
    /// A new random id.
    pub fn new() -> RequestId {
        RequestId(uuid::Uuid::new_v4())
    }
}

impl Default for RequestId {
    fn default() -> RequestId {
        RequestId::new()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .copied()
            .unwrap_or_default())
    }
}

// --------------------------------------------------------------------------- TaxCoreJson

/// A JSON body deserialised into `T`; a body that is not JSON of that shape is refused with
/// 400 and TaxCore's `ModelErrors` (`{"message":"Bad Request","modelState":[{"property":"",
/// "errors":["2806"]}]}`), a body over the limit with 413 and an empty `ModelErrors`. Any
/// `Content-Type` is accepted, as TaxCore clients do not all send one.
///
/// For the PFR's invoice, whose fields are checked one by one with their own codes, read the
/// body as bytes and use `fiskal_domain::api::InvoiceRequest::from_json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxCoreJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for TaxCoreJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => return Err(taxcore::model_errors(e.status(), &[])),
        };
        serde_json::from_slice(&bytes)
            .map(TaxCoreJson)
            .map_err(|_| {
                taxcore::model_errors(
                    StatusCode::BAD_REQUEST,
                    &[FieldError {
                        property: String::new(),
                        code: Gsc::InvalidFormat,
                    }],
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    use super::*;

    async fn call(app: Router, req: axum::http::Request<Body>) -> (StatusCode, String) {
        let r = app.oneshot(req).await.unwrap();
        let s = r.status();
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (s, String::from_utf8(b.to_vec()).unwrap())
    }

    fn get_with(uri: &str, headers: &[(&str, &str)]) -> axum::http::Request<Body> {
        let mut b = axum::http::Request::get(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    type Headers<'a> = &'a [(&'a str, &'a str)];

    fn lang_app() -> Router {
        async fn api(l: Language<PfrApi>) -> String {
            l.tag().to_string()
        }
        async fn page(Language { lang, .. }: Language<Pages>) -> String {
            lang.tag().to_string()
        }
        Router::new()
            .route("/api", get(api))
            .route("/page", get(page))
    }

    #[tokio::test]
    async fn the_pfr_api_negotiates_with_q_values_and_refuses_with_406() {
        let cases: &[(&str, Headers, StatusCode, &str)] = &[
            ("/api", &[], StatusCode::OK, "sr-Cyrl-RS"),
            (
                "/api",
                &[("accept-language", "en-US")],
                StatusCode::OK,
                "en-US",
            ),
            (
                "/api",
                &[("accept-language", "sr;q=0.5, en;q=0.9")],
                StatusCode::OK,
                "en-US",
            ),
            (
                "/api",
                &[("accept-language", "de-DE, *;q=0.1")],
                StatusCode::OK,
                "sr-Cyrl-RS",
            ),
            (
                "/api?lang=en",
                &[("accept-language", "sr")],
                StatusCode::OK,
                "en-US",
            ),
            (
                "/api",
                &[("accept-language", "de-DE")],
                StatusCode::NOT_ACCEPTABLE,
                r#"{"message":"Not Acceptable","modelState":[]}"#,
            ),
        ];
        for (uri, headers, status, body) in cases {
            let (s, b) = call(lang_app(), get_with(uri, headers)).await;
            assert_eq!((s, b.as_str()), (*status, *body), "{uri} {headers:?}");
        }
    }

    #[tokio::test]
    async fn pages_fall_back_and_honour_the_cookie_and_query() {
        let cases: &[(&str, Headers, &str)] = &[
            ("/page", &[], "sr-Latn-RS"),
            ("/page", &[("accept-language", "de-DE")], "sr-Latn-RS"),
            ("/page", &[("accept-language", "en-GB,en;q=0.8")], "en-US"),
            ("/page", &[("cookie", "x=1; lang=sr-Cyrl")], "sr-Cyrl-RS"),
            ("/page?a=1&lang=en", &[("cookie", "lang=sr-Cyrl")], "en-US"),
            (
                "/page?lang=zz",
                &[("accept-language", "sr-Cyrl")],
                "sr-Cyrl-RS",
            ),
        ];
        for (uri, headers, tag) in cases {
            let (s, b) = call(lang_app(), get_with(uri, headers)).await;
            assert_eq!((s, b.as_str()), (StatusCode::OK, *tag), "{uri} {headers:?}");
        }
    }

    #[tokio::test]
    async fn bearer_tokens_are_read_case_insensitively_and_never_shown() {
        async fn need(t: BearerToken) -> String {
            format!("{}|{t:?}", t.secret())
        }
        async fn maybe(t: Option<BearerToken>) -> String {
            t.map_or("none".into(), |t| t.secret().to_string())
        }
        let app = || {
            Router::new()
                .route("/need", get(need))
                .route("/maybe", get(maybe))
        };
        let (s, b) = call(
            app(),
            get_with("/need", &[("authorization", "bearer abc.def")]),
        )
        .await;
        assert_eq!(
            (s, b.as_str()),
            (StatusCode::OK, "abc.def|BearerToken(***)")
        );
        let (s, b) = call(app(), get_with("/need", &[("authorization", "Basic abc")])).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        let (s, _) = call(app(), get_with("/need", &[])).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (_, b) = call(
            app(),
            get_with("/maybe", &[("authorization", "BEARER  t1 ")]),
        )
        .await;
        assert_eq!(b, "t1");
        let (_, b) = call(app(), get_with("/maybe", &[("authorization", "Bearer ")])).await;
        assert_eq!(b, "none");
    }

    #[tokio::test]
    async fn taxcore_json_refuses_with_model_errors() {
        #[derive(serde::Deserialize)]
        struct Body1 {
            n: u32,
        }
        async fn h(TaxCoreJson(b): TaxCoreJson<Body1>) -> String {
            b.n.to_string()
        }
        let app = || {
            Router::new()
                .route("/", post(h))
                .layer(axum::extract::DefaultBodyLimit::max(64))
        };
        let post = |body: &str| {
            axum::http::Request::post("/")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        assert_eq!(
            call(app(), post(r#"{"n": 7}"#)).await,
            (StatusCode::OK, "7".into())
        );
        let bad = r#"{"message":"Bad Request","modelState":[{"property":"","errors":["2806"]}]}"#;
        for body in ["{", "true", r#"{"n": "x"}"#, ""] {
            assert_eq!(
                call(app(), post(body)).await,
                (StatusCode::BAD_REQUEST, bad.into()),
                "{body}"
            );
        }
        let (s, b) = call(app(), post(&"x".repeat(100))).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(b, r#"{"message":"Payload Too Large","modelState":[]}"#);
    }

    #[tokio::test]
    async fn request_id_outside_the_layers_is_fresh() {
        async fn h(a: RequestId, b: RequestId) -> String {
            (a != b).to_string()
        }
        let (_, b) = call(Router::new().route("/", get(h)), get_with("/", &[])).await;
        assert_eq!(b, "true");
    }
}
