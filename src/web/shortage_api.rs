//! The shortage part of the JSON API: the shortage list (center staff and regulators),
//! institutions' shortage reports and suppliers' supply interruptions.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{run, ApiError, AppState};
use crate::app::shortages;
use crate::domain::optional_date;
use crate::domain::shortage::{counties_parse, Evidence, Level, ShortageStatus};
use crate::store::shortages::{self as ss, ListFilter};

#[derive(Serialize, ToSchema)]
pub struct ShortageOut {
    pub id: i64,
    pub drug_id: i64,
    pub drug_code: String,
    pub drug_name: String,
    /// watch, shortage or critical
    pub level: String,
    /// county, city or province
    pub scope: String,
    pub region_id: i64,
    pub counties: Vec<i64>,
    /// open or resolved
    pub status: String,
    #[schema(value_type = Vec<Object>)]
    pub evidence: serde_json::Value,
    pub opened_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

fn out(r: ss::Listed) -> ShortageOut {
    let s = r.record;
    let ev: Vec<Evidence> = serde_json::from_str(&s.evidence).unwrap_or_default();
    ShortageOut {
        id: s.id,
        drug_id: s.drug_id,
        drug_code: r.drug_code,
        drug_name: r.drug_name,
        level: s.level.to_string(),
        scope: s.scope.to_string(),
        region_id: s.region_id,
        counties: counties_parse(&s.counties).into_iter().collect(),
        status: s.status.to_string(),
        evidence: serde_json::to_value(ev).unwrap_or_default(),
        opened_at: s.opened_at.and_utc().to_rfc3339(),
        updated_at: s.updated_at.and_utc().to_rfc3339(),
        resolved_at: s.resolved_at.map(|t| t.and_utc().to_rfc3339()),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ShortageQuery {
    /// open (default) or resolved
    pub status: Option<String>,
    /// watch, shortage or critical
    pub level: Option<String>,
    pub drug_id: Option<i64>,
    /// a region: records touching it or a region below it
    pub region_id: Option<i64>,
}

#[utoipa::path(tag = "shortages", params(ShortageQuery), responses((status = 200, body = Vec<ShortageOut>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/shortages")]
pub async fn list_shortages(
    u: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<ShortageQuery>,
) -> Result<web::Json<Vec<ShortageOut>>, ApiError> {
    shortages::may_read_shortages(&u.p)?;
    let level = match q.level.as_deref() {
        None => None,
        Some(l) => Some(Level::parse("level", l)?),
    };
    let open = match q.status.as_deref() {
        None => true,
        Some(s) => ShortageStatus::parse("status", s)? == ShortageStatus::Open,
    };
    let f = ListFilter {
        open,
        level,
        drug_id: q.drug_id,
        region_id: q.region_id,
    };
    let p = u.p;
    let rows = run(&state, move |cx| shortages::list(cx, &p, &f, 1000)).await?;
    Ok(web::Json(rows.into_iter().map(out).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct ReportIn {
    /// The drug's code (or its id).
    pub drug: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(tag = "shortages", request_body = ReportIn, responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/shortage-reports")]
pub async fn report_shortage(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<ReportIn>,
) -> Result<HttpResponse, ApiError> {
    let (p, b) = (u.p, body.into_inner());
    let r = run(&state, move |cx| {
        shortages::report(cx, &p, "drug", &b.drug, &b.note)
    })
    .await?;
    Ok(HttpResponse::Created().json(r))
}

#[derive(Deserialize, ToSchema)]
pub struct InterruptionIn {
    /// The drug's code (or its id).
    pub drug: String,
    pub reason: String,
    /// YYYY-MM-DD; default today
    #[serde(default)]
    pub starts_on: String,
    /// YYYY-MM-DD; empty: until further notice
    #[serde(default)]
    pub ends_on: String,
}

#[utoipa::path(tag = "shortages", request_body = InterruptionIn, responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/supply-interruptions")]
pub async fn declare_interruption(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<InterruptionIn>,
) -> Result<HttpResponse, ApiError> {
    let (p, b) = (u.p, body.into_inner());
    let (starts_on, ends_on) = (
        optional_date("starts_on", &b.starts_on)?,
        optional_date("ends_on", &b.ends_on)?,
    );
    let r = run(&state, move |cx| {
        let d = shortages::Declare {
            drug_field: "drug",
            drug: &b.drug,
            reason: &b.reason,
            starts_on,
            ends_on,
        };
        shortages::declare_interruption(cx, &p, &d)
    })
    .await?;
    Ok(HttpResponse::Created().json(r))
}
