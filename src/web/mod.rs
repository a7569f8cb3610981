//! HTTP: pages for people, the JSON API for programs, health and metrics. Thin: parse, check
//! who may do it, call the store, render.

pub mod api;
pub mod api_doc;
pub mod auth;
pub mod bid_api;
pub mod charts;
pub mod commitments_api;
pub mod custody_api;
pub mod demand_api;
pub mod error;
pub mod export;
pub mod ops;
pub mod orders_api;
pub mod pages;
pub mod shortage_api;
pub mod tender_api;
pub mod view;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Payload, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpMessage};
use futures_util::StreamExt;
use std::collections::HashMap;
use utoipa_actix_web::AppExt;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{Code, Msg};
use crate::security;
use crate::store::{Act, DbConn, Store, StoreError};
pub use error::{ApiError, Error};

/// What every request shares: the database, the settings, the clock.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    pub session_key: Vec<u8>,
    /// The master secret of the sealed price envelopes.
    pub master: std::sync::Arc<crate::sealing::MasterKey>,
    /// Writes bids in batches under load.
    pub bids: crate::store::bid_writer::BidWriter,
    /// The request metrics: one registry for every worker of the server (`ops::new_metrics`).
    pub metrics: actix_web_prom::PrometheusMetrics,
}

impl AppState {
    /// Today in the province's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }

    /// An audit context for this principal, now.
    pub fn act(&self, actor: &str) -> Act {
        Act::new(actor, self.clock.now())
    }

    /// What the application's services run with.
    pub fn ctx(&self) -> crate::app::Ctx<'_> {
        crate::app::Ctx {
            store: &self.store,
            config: &self.config,
            clock: &self.clock,
        }
    }
}

/// Runs a service of the application layer on the blocking thread pool, never on an HTTP worker.
pub async fn run<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, Error>
where
    F: FnOnce(&crate::app::Ctx) -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    let state = state.clone();
    // The request's span goes along to the blocking thread, so a slow service shows under it.
    let span = tracing::Span::current();
    web::block(move || span.in_scope(|| f(&state.ctx()))).await?
}

/// One span per request (method, route pattern), with its status and time when it ends: a
/// slow request can be followed into the services and the store it called.
async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = req.match_pattern().as_deref().unwrap_or("UNMATCHED"),
    );
    let started = std::time::Instant::now();
    let res = next.call(req).instrument(span.clone()).await;
    let status = res.as_ref().map(|r| r.status().as_u16()).unwrap_or(500);
    span.in_scope(|| {
        tracing::debug!(
            status,
            ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    res
}

/// Reads a JSON body a handler takes as bytes: text that is not JSON is a 400
/// (`json_unreadable`); JSON of the wrong shape (a share that is not a pair, a key that is not a
/// bid id) is a 422 on the field `body`, as the OpenAPI document promises for data it admits.
pub fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        let msg = Msg::new(Code::JsonUnreadable).arg("detail", &e);
        match e.classify() {
            serde_json::error::Category::Data => {
                Error::Invalid(vec![crate::domain::Invalid::new("body", msg)])
            }
            _ => Error::BadRequest(msg),
        }
    })
}

/// Runs blocking database work on the blocking thread pool, never on an HTTP worker.
pub async fn db<T, F>(state: &AppState, f: F) -> Result<T, Error>
where
    F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let store = state.store.clone();
    web::block(move || {
        let mut conn = store.conn()?;
        f(&mut conn)
    })
    .await?
    .map_err(Error::from)
}

/// The institutions a principal acts for: every one for staff and regulators, an institution
/// and its village clinics for an institution's user, none for anyone else.
pub async fn institution_scope(
    state: &AppState,
    p: &crate::domain::roles::Principal,
) -> Result<crate::domain::roles::Scope, Error> {
    let (store, p) = (state.store.clone(), p.clone());
    web::block(move || crate::app::parties::acting_scope(&mut *store.conn()?, &p)).await?
}

/// The session key of the notice an action leaves for the page after its redirect.
const FLASH: &str = "flash";

/// Leaves a notice for the next page this session shows ("订单已提交：2 个订单"): a handler
/// calls it before answering 303; the page after the redirect shows it once, in a
/// `role="status"` box. Without one, a successful page POST gets the generic "已保存 / Saved"
/// (`notice_after_post`).
pub fn flash(session: &actix_session::Session, text: impl Into<String>) {
    if let Err(e) = session.insert(FLASH, text.into()) {
        tracing::warn!("flash not kept: {e}");
    }
}

/// The notice left for this page, removed from the session (shown once).
pub fn take_flash(session: &actix_session::Session) -> Option<String> {
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}

/// Gives a successful page POST answered 303 (an action done) a notice when its handler left
/// none, so no action goes without one. Not for logging in or out or switching the language.
async fn notice_after_post(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let action = req.method() == Method::POST
        && !path.starts_with("/api/")
        && !matches!(path, "/login" | "/logout")
        && !path.starts_with("/lang/");
    let res = next.call(req).await?;
    if action && res.status() == actix_web::http::StatusCode::SEE_OTHER {
        let session = res.request().get_session();
        let logged_in = session.get::<String>("sid").ok().flatten().is_some();
        let has_notice = session.get::<String>(FLASH).ok().flatten().is_some();
        if logged_in && !has_notice {
            let t = auth::language(&session, res.request(), None);
            flash(&session, t.get("ui.saved"));
        }
    }
    Ok(res)
}

/// Largest form body the CSRF check reads.
const FORM_LIMIT: usize = 256 * 1024;

/// Refuses a state-changing request of a page (not the bearer-token API) whose CSRF token
/// (form field `csrf`, query parameter `csrf` or header `X-CSRF-Token`) does not match the session's.
async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let expected: Option<String> = req.get_session().get("csrf").ok().flatten();
    let mut given: Option<String> = req
        .headers()
        .get("X-CSRF-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if given.is_none() {
        given = serde_urlencoded::from_str::<HashMap<String, String>>(req.query_string())
            .ok()
            .and_then(|q| q.get("csrf").cloned());
    }
    if given.is_none()
        && req
            .content_type()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    {
        let mut payload = req.take_payload();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > FORM_LIMIT {
                let e = Error::BadRequest(Code::FormTooLarge.into());
                return Ok(req.error_response(e).map_into_right_body());
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|f| f.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
        req.set_payload(Payload::from(body));
    }
    match (expected, given) {
        (Some(e), Some(g)) if security::same_token(&e, &g) => {
            Ok(next.call(req).await?.map_into_left_body())
        }
        _ => {
            let e = Error::Forbidden(Code::CsrfTokenMissing.into());
            Ok(req.error_response(e).map_into_right_body())
        }
    }
}

/// The whole application: pages, API (with its OpenAPI document), health, metrics.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let key = Key::from(&state.session_key);
    let secure = state.config.cookie_secure;
    let metrics = state.metrics.clone();
    let (app, openapi) = App::new()
        .into_utoipa_app()
        .openapi(api::ApiDoc::openapi_base())
        .app_data(web::Data::new(state))
        .app_data(
            web::FormConfig::default()
                .limit(FORM_LIMIT)
                .error_handler(|e, _| {
                    Error::BadRequest(Msg::new(Code::FormUnreadable).arg("detail", e)).into()
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            Error::BadRequest(Msg::new(Code::QueryUnreadable).arg("detail", e)).into()
        }))
        .app_data(
            web::JsonConfig::default()
                .limit(1024 * 1024)
                .error_handler(|e, _| {
                    ApiError(Error::BadRequest(
                        Msg::new(Code::JsonUnreadable).arg("detail", e),
                    ))
                    .into()
                }),
        )
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            Error::NotFound(Msg::new(Code::PageNotFound).arg("detail", e)).into()
        }))
        .service(api::scope())
        .split_for_parts();
    let openapi = web::Data::new(openapi);
    app.app_data(openapi)
        .configure(ops::routes)
        .configure(api::routes)
        .configure(auth::routes)
        .configure(pages::routes)
        .default_service(web::to(pages::home::unrouted))
        .wrap(from_fn(csrf_guard))
        .wrap(from_fn(notice_after_post))
        .wrap(from_fn(localize_errors))
        .wrap(
            SessionMiddleware::builder(CookieSessionStore::default(), key)
                .cookie_name("jicai_session".into())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_content_security(CookieContentSecurity::Private)
                .build(),
        )
        .wrap(metrics)
        .wrap(from_fn(trace_requests))
        .wrap(from_fn(known_methods_only))
        .wrap(
            actix_web::middleware::DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "same-origin"))
                .add(("Content-Security-Policy", CSP))
                // Pages and API answers are personal: no cache keeps them. The stylesheet
                // sets its own Cache-Control, which this does not replace.
                .add(("Cache-Control", "no-store")),
        )
        // Pages, the stylesheet and the API's JSON, compressed when the client accepts it.
        .wrap(actix_web::middleware::Compress::default())
}

/// Writes an error answer again in the reader's language (the session's, else the browser's):
/// a page for a page's error, JSON for the API's. Handlers and extractors only say what went
/// wrong, as codes; this is where the words are chosen.
async fn localize_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let t = auth::language(&req.get_session(), req.request(), None);
    let res = next.call(req).await?;
    let again = match res.response().error() {
        Some(e) => match (e.as_error::<ApiError>(), e.as_error::<Error>()) {
            (Some(ApiError(e)), _) => Some(e.json(&t)),
            (None, Some(e)) => Some(e.page(&t)),
            _ => None,
        },
        None => None,
    };
    match again {
        Some(resp) => {
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(req, resp).map_into_right_body())
        }
        None => Ok(res.map_into_left_body()),
    }
}

/// The pages use no inline script or style, and no frame may show them.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Refuses request methods the application does not use (405) before anything counts them:
/// an extension method would otherwise be a new label of the metrics.
async fn known_methods_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let known = matches!(
        *req.method(),
        Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS
    );
    if known {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if req.path().starts_with("/api/") {
        // The API's own 405 (JSON, with `Allow`), or 404 for a path it does not have.
        let resp = api_doc::unrouted(req.request());
        return Ok(req.into_response(resp).map_into_right_body());
    }
    let resp = actix_web::HttpResponse::MethodNotAllowed()
        .content_type("text/plain; charset=utf-8")
        .body("method not allowed");
    Ok(req.into_response(resp).map_into_right_body())
}
