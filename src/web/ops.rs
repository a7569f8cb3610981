//! Health, readiness, metrics, and the one stylesheet.

use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};

use super::{db, AppState};
use crate::{security, store};

/// The label of every request that matched no route (so unknown paths add no series).
pub const UNMATCHED: &str = "UNMATCHED";

/// Request counts and latencies by route pattern, method and status, served as Prometheus text
/// at `/metrics`. Built once per server and kept in the `AppState`, whose clones every worker's
/// app shares: one registry for the process (and a new one per test app).
pub fn new_metrics() -> PrometheusMetrics {
    PrometheusMetricsBuilder::new("jicai")
        .registry(prometheus::Registry::new())
        .mask_unmatched_patterns(UNMATCHED)
        .build()
        .expect("metrics registry")
}

/// The metrics, for a scraper with `Authorization: Bearer <JICAI_METRICS_TOKEN>`; 401 without
/// the token, 404 for everybody when no token is set.
#[get("/metrics")]
async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(expected) = &state.config.metrics_token else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let given = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| security::same_token(expected, g)) {
        return HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer realm=\"metrics\""))
            .content_type("text/plain; charset=utf-8")
            .body("a valid bearer token is required");
    }
    let mut body = String::new();
    if let Err(e) =
        prometheus::TextEncoder::new().encode_utf8(&state.metrics.registry.gather(), &mut body)
    {
        tracing::error!("metrics: {e}");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready when the database answers.
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match db(&state, store::ping).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!("readyz: {e}");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

#[get("/static/site.css")]
async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../templates/static/site.css"))
}

/// Opens the menu on wide screens (where the stylesheet shows it as a side column anyway), so
/// that it also reads as open; the pages work without it.
#[get("/static/menu.js")]
async fn menu_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../templates/static/menu.js"))
}

/// The print link of a printable page (`data-print`: the bid receipt, the delivery note) opens
/// the print dialog; the pages allow no inline script, and without it the link opens the print
/// view.
#[get("/static/formui-print.js")]
async fn print_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../templates/static/formui-print.js"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(css)
        .service(menu_js)
        .service(print_js);
}
