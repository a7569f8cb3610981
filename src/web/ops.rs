//! Health, readiness, metrics, and the one stylesheet.

use actix_web::{get, web, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};

use super::{db, AppState};
use crate::store;

/// Request counts and latencies by route and status, served as Prometheus text at `/metrics`.
/// Each app gets its own registry, so that tests can build many apps in one process.
pub fn metrics_middleware() -> PrometheusMetrics {
    PrometheusMetricsBuilder::new("jicai")
        .endpoint("/metrics")
        .registry(prometheus::Registry::new())
        .build()
        .expect("metrics registry")
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

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(css);
}
