//! Health, readiness, metrics, the one stylesheet and the static scripts.

use std::sync::LazyLock;

use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use base64::Engine;
use sha2::{Digest, Sha384};

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

/// The audited noble libraries (ristretto255, ChaCha20-Poly1305, HKDF, SHA-256) as one bundle;
/// `templates/static/vendor/build/build.sh` makes it from pinned versions.
pub const NOBLE_JS: &str = include_str!("../../templates/static/vendor/noble.js");
/// The bid page's sealing script (envelope format v3).
pub const SEAL_JS: &str = include_str!("../../templates/static/seal.js");

/// The Subresource Integrity value of a file: `sha384-` and the base64 of its SHA-384.
pub fn sri(body: &str) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(body.as_bytes()))
    )
}

/// A script a page loads, with the integrity hash the browser checks before running it.
#[derive(Clone, Debug)]
pub struct Script {
    pub src: &'static str,
    pub integrity: String,
}

static SEALING_SCRIPTS: LazyLock<[Script; 2]> = LazyLock::new(|| {
    [
        Script {
            src: "/static/vendor/noble.js",
            integrity: sri(NOBLE_JS),
        },
        Script {
            src: "/static/seal.js",
            integrity: sri(SEAL_JS),
        },
    ]
});

/// The scripts that seal a price in the bidder's browser, in the order they load (hashed once).
pub fn sealing_scripts() -> &'static [Script] {
    SEALING_SCRIPTS.as_slice()
}

#[get("/static/vendor/noble.js")]
async fn noble_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(NOBLE_JS)
}

/// Seals the package price in the browser before the bid form is sent (see the README's
/// "Sealed envelope format"); the page loads it with its integrity hash.
#[get("/static/seal.js")]
async fn seal_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SEAL_JS)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(css)
        .service(menu_js)
        .service(print_js)
        .service(noble_js)
        .service(seal_js);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_is_the_base64_of_sha384() {
        assert_eq!(
            sri(""),
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"
        );
        assert_eq!(
            sri("abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
        let s = sealing_scripts();
        assert_eq!(s[0].integrity, sri(NOBLE_JS));
        assert_eq!(s[1].integrity, sri(SEAL_JS));
        assert!(std::ptr::eq(s, sealing_scripts()), "hashed once");
    }

    #[actix_web::test]
    async fn the_sealing_scripts_are_served_as_hashed() {
        use actix_web::{test, App};
        let app = test::init_service(App::new().configure(routes)).await;
        for s in sealing_scripts() {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(s.src).to_request()).await;
            assert!(res.status().is_success(), "{}", s.src);
            let h = res.headers();
            assert_eq!(
                h.get("content-type").unwrap(),
                "text/javascript; charset=utf-8"
            );
            assert_eq!(h.get("cache-control").unwrap(), "public, max-age=3600");
            let body = test::read_body(res).await;
            assert_eq!(
                sri(std::str::from_utf8(&body).unwrap()),
                s.integrity,
                "{}",
                s.src
            );
        }
    }
}
