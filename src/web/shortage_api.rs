//! The shortage part of the JSON API: the shortage list (center staff and regulators),
//! institutions' shortage reports and suppliers' supply interruptions.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{run, ApiError, AppState, Error};
use crate::app::{shortage_responses, shortages};
use crate::domain::optional_date;
use crate::domain::shortage::{counties_parse, Evidence, Level, ShortageStatus};
use crate::domain::shortage_response::ResponseInput;
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

/// One change of a record's history, with the evidence of that change (none for a resolution;
/// for a response of the center, the response it notes).
#[derive(Serialize, ToSchema)]
pub struct HistoryOut {
    pub at: String,
    /// opened, escalated, eased, spread, counties, resolved, or response_<kind>
    pub change: String,
    pub level: String,
    pub scope: String,
    pub region_id: i64,
    pub counties: Vec<i64>,
    #[schema(value_type = Vec<Object>)]
    pub evidence: serde_json::Value,
    /// The response this event notes, for a response of the center.
    pub response_id: Option<i64>,
    pub actor: String,
}

/// A record with its whole history and the center's responses.
#[derive(Serialize, ToSchema)]
pub struct ShortageDetailOut {
    #[serde(flatten)]
    pub record: ShortageOut,
    pub history: Vec<HistoryOut>,
    #[schema(value_type = Vec<Object>)]
    pub responses: serde_json::Value,
}

fn history_out(e: ss::Event) -> HistoryOut {
    let (evidence, response_id) = match e.change.split() {
        Ok(_) => {
            let ev: Vec<Evidence> = serde_json::from_str(&e.evidence).unwrap_or_default();
            (serde_json::to_value(ev).unwrap_or_default(), None)
        }
        Err(_) => {
            let r: serde_json::Value = serde_json::from_str(&e.evidence).unwrap_or_default();
            (serde_json::json!([]), r["id"].as_i64())
        }
    };
    HistoryOut {
        at: e.at.and_utc().to_rfc3339(),
        change: e.change.to_string(),
        level: e.level.to_string(),
        scope: e.scope.to_string(),
        region_id: e.region_id,
        counties: counties_parse(&e.counties).into_iter().collect(),
        evidence,
        response_id,
        actor: e.actor,
    }
}

#[utoipa::path(tag = "shortages", params(("id" = i64, Path, description = "the record")), responses((status = 200, body = ShortageDetailOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/shortages/{id}")]
pub async fn get_shortage(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ShortageDetailOut>, ApiError> {
    let (p, id) = (u.p, id.into_inner());
    let d = run(&state, move |cx| shortages::get(cx, &p, id)).await?;
    let record = out(ss::Listed {
        record: d.record,
        drug_code: d.drug.code,
        drug_name: d.drug.name_zh,
    });
    Ok(web::Json(ShortageDetailOut {
        record,
        history: d.events.into_iter().map(history_out).collect(),
        responses: serde_json::to_value(d.responses).unwrap_or_default(),
    }))
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

/// A response of the center to a shortage, as the API takes it (the same checks as the page's
/// form).
#[derive(Deserialize, ToSchema)]
pub struct ResponseIn {
    /// backup_switch, designated_producer, direct_listing or retender
    pub kind: String,
    /// The affected counties it acts on (region ids); empty: every county of the record.
    #[serde(default)]
    pub counties: Vec<i64>,
    /// Direct listing: the highest unit price a listing may ask, in yuan ("12.50").
    #[serde(default)]
    pub price_cap: String,
    /// YYYY-MM-DD: the last day it acts (required but for a re-tender).
    #[serde(default)]
    pub until_on: String,
    /// Designated producer: the manufacturer (or the national agent of an imported product).
    pub supplier_id: Option<i64>,
    /// Designated producer: its product of the drug that supplies the affected counties (made
    /// by it, or imported with it as the national agent). May be left out when it has exactly
    /// one product of the drug; required (422 `choose_designated_product`) when it has several.
    /// Another maker's product: 422 `designated_product_not_own`; another drug's: 422
    /// `product_not_of_shortage_drug`.
    pub product_id: Option<i64>,
    /// Designated producer: the negotiated unit price, in yuan.
    #[serde(default)]
    pub unit_price: String,
    #[serde(default)]
    pub note: String,
}

/// Center staff respond to an open shortage; the response acts on supply at once (a backup
/// switch, a designated producer, a direct listing open to suppliers, a re-tender drafted) and
/// is e-mailed. Returns the response (a designated producer's with its `product_id`, the one
/// its arrangement supplies).
#[utoipa::path(tag = "shortages", params(("id" = i64, Path, description = "the record")), request_body = ResponseIn, responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/shortages/{id}/responses")]
pub async fn respond(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ResponseIn>,
) -> Result<HttpResponse, ApiError> {
    let (p, id, b) = (u.p, id.into_inner(), body.into_inner());
    shortage_responses::may_respond(&p)?;
    let counties = b
        .counties
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let supplier = b.supplier_id.map(|s| s.to_string()).unwrap_or_default();
    let product = b.product_id.map(|s| s.to_string()).unwrap_or_default();
    let input = ResponseInput {
        kind: &b.kind,
        price_cap: &b.price_cap,
        until_on: &b.until_on,
        supplier_id: &supplier,
        unit_price: &b.unit_price,
        note: &b.note,
        counties: &counties,
        product_id: &product,
    };
    let r = input.check(state.today()).map_err(Error::Invalid)?;
    let master = state.master.clone();
    let resp = run(&state, move |cx| {
        shortage_responses::respond(cx, &p, id, &r, &master)
    })
    .await?;
    Ok(HttpResponse::Created().json(resp))
}

/// Center staff withdraw a response: it ends now with every arrangement it made (new orders of
/// its counties go back to the award), and its end is e-mailed. Returns the ended response.
#[utoipa::path(tag = "shortages", params(("id" = i64, Path, description = "the response")), responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/shortage-responses/{id}/withdraw")]
pub async fn withdraw_response(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (p, id) = (u.p, id.into_inner());
    let resp = run(&state, move |cx| shortage_responses::withdraw(cx, &p, id)).await?;
    Ok(HttpResponse::Ok().json(resp))
}
