//! The demand-collection part of the JSON API: center staff open and close windows and read
//! the totals; institutions report their annual quantities.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{run, ApiError, AppState, Error};
use crate::app::tenders::demand::{self as svc, ReportRow};
use crate::domain::{Code, Invalid, Msg};

/// One institution's annual quantity of a drug.
#[derive(Deserialize, ToSchema)]
pub struct DemandIn {
    /// Defaults to the caller's institution; a township center may report for its village clinics.
    pub institution_code: Option<String>,
    pub drug_code: String,
    /// Units of use a year, 0 to 10,000,000.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub quantity: i64,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "demand window id")), request_body = Vec<DemandIn>, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/demand/{id}/reports")]
pub async fn report_demand(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Vec<DemandIn>>,
) -> Result<HttpResponse, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let rows = body
        .into_inner()
        .into_iter()
        .map(|r| ReportRow {
            institution_code: r.institution_code,
            drug_code: r.drug_code,
            quantity: r.quantity,
        })
        .collect();
    run(&state, move |cx| svc::report_rows(cx, &p, id, rows)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An instant typed as RFC 3339, within the window of dates that enter (domain::FIRST_DAY..=LAST_DAY).
pub(super) fn rfc3339(field: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|_| {
            let shown: String = s.trim().chars().take(40).collect();
            Invalid::new(
                field,
                Msg::new(Code::NotAnRfc3339DateTime).arg("value", shown),
            )
        })?;
    Ok(crate::domain::instant_in_window(field, t)?)
}

/// A demand-collection window to open.
#[derive(Deserialize, ToSchema)]
pub struct WindowIn {
    pub title: String,
    /// RFC 3339, e.g. 2026-12-01T17:00:00+08:00
    pub closes_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct WindowOut {
    pub id: i64,
    pub title: String,
    pub closes_at: String,
    pub status: String,
}

#[utoipa::path(tag = "tenders", request_body = WindowIn, responses((status = 201, body = WindowOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/demand")]
pub async fn open_window(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<WindowIn>,
) -> Result<HttpResponse, ApiError> {
    crate::app::tenders::may_run_tenders(&u.p)?;
    let at = rfc3339("closes_at", &body.closes_at)?;
    let (p, title) = (u.p, body.into_inner().title);
    let w = run(&state, move |cx| svc::open_window(cx, &p, &title, at)).await?;
    Ok(HttpResponse::Created().json(WindowOut {
        id: w.id,
        title: w.title,
        closes_at: w.closes_at.and_utc().to_rfc3339(),
        status: w.status.to_string(),
    }))
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "demand window id")), responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/demand/{id}/close")]
pub async fn close_window(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    run(&state, move |cx| svc::close_window(cx, &p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reported demand: totals by drug and by county, and who has not reported.
#[derive(Serialize, ToSchema)]
pub struct DemandTotals {
    /// (drug code, drug name, annual quantity)
    pub by_drug: Vec<(String, String, i64)>,
    /// (county code, county name, drug code, annual quantity)
    pub by_county: Vec<(String, String, String, i64)>,
    /// institution codes
    pub not_reported: Vec<String>,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "demand window id")), responses((status = 200, body = DemandTotals), (status = 403, body = ErrorBody)))]
#[get("/demand/{id}/totals")]
pub async fn demand_totals(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<DemandTotals>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let t = run(&state, move |cx| svc::totals(cx, &p, id)).await?;
    Ok(web::Json(DemandTotals {
        by_drug: t
            .by_drug
            .into_iter()
            .map(|x| (x.1, format!("{} {}", x.2, x.3), x.4))
            .collect(),
        by_county: t
            .by_county
            .into_iter()
            .map(|x| (x.0, x.1, x.2, x.4))
            .collect(),
        not_reported: t.not_reported.into_iter().map(|x| x.1).collect(),
    }))
}
