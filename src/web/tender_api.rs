//! The tender part of the JSON API: tenders and lots, their steps, objections, contracts; and
//! the public OCDS export. Demand collection is in `demand_api`, the bids in `bid_api`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::demand_api::rfc3339;
use super::error::ErrorBody;
use super::{db, run, ApiError, AppState, Error};
use crate::app::tenders as app;
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::tender_stages::LotSpec;
use crate::domain::{Code, Invalid, Msg};
use crate::store::tenders as ts;

/// A tender as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct TenderOut {
    pub id: i64,
    pub title: String,
    /// draft, open, closed, technical_opened, technical_published, commercial_opened, provisional, awarded, contracted, cancelled
    pub state: String,
    pub bid_deadline: String,
    pub objection_deadline: Option<String>,
    pub lots: Vec<LotOut>,
}

#[derive(Serialize, ToSchema)]
pub struct LotOut {
    pub id: i64,
    pub lot_no: i32,
    pub drug_id: i64,
    pub drug_code: String,
    pub drug_name: String,
    pub reported_demand: i64,
    pub agreed_volume: i64,
    /// Yuan per unit of use.
    pub max_unit_price: String,
    pub min_bidders: i32,
    pub consistency_required: bool,
    pub policy: String,
    /// The published award of the lot (absent until the award is published).
    #[schema(value_type = Option<Object>)]
    pub award: Option<serde_json::Value>,
}

fn tender_out(
    state: &AppState,
    t: ts::Tender,
    lots: Vec<(ts::Lot, String, String, String)>,
) -> TenderOut {
    let st = ts::effective_state(&t, state.clock.now());
    TenderOut {
        id: t.id,
        title: t.title.clone(),
        state: st.as_str().into(),
        bid_deadline: t.deadline().to_rfc3339(),
        objection_deadline: t.objection_deadline.map(|d| d.and_utc().to_rfc3339()),
        lots: lots
            .into_iter()
            .map(|(l, code, name, strength)| LotOut {
                id: l.id,
                lot_no: l.lot_no,
                drug_id: l.drug_id,
                drug_code: code,
                drug_name: format!("{name} {strength}"),
                reported_demand: l.reported_demand,
                agreed_volume: l.agreed_volume,
                max_unit_price: Money::from_ten_thousandths(l.max_unit_price).to_string(),
                min_bidders: l.min_bidders,
                consistency_required: l.consistency_required,
                policy: l.policy.to_string(),
                award: if st.award_published() {
                    l.result().and_then(|r| serde_json::to_value(r).ok())
                } else {
                    None
                },
            })
            .collect(),
    }
}

/// Tenders the caller may see (suppliers and institutions: published ones).
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<TenderOut>), (status = 401, body = ErrorBody)))]
#[get("/tenders")]
pub async fn list_tenders(
    u: ApiUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<TenderOut>>, ApiError> {
    let p = u.p.clone();
    let all = run(&state, move |cx| crate::app::tenders::list(cx, &p)).await?;
    Ok(web::Json(
        all.into_iter()
            .map(|(t, l)| tender_out(&state, t, l))
            .collect(),
    ))
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "tender id")), responses((status = 200, body = TenderOut), (status = 404, body = ErrorBody)))]
#[get("/tenders/{id}")]
pub async fn get_tender(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<TenderOut>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let (t, lots) = run(&state, move |cx| crate::app::tenders::tender(cx, &p, id)).await?;
    Ok(web::Json(tender_out(&state, t, lots)))
}

/// A contract line as the caller sees it.
#[derive(Serialize, ToSchema)]
pub struct ContractOut {
    pub id: i64,
    pub tender_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    pub drug: String,
    pub unit_price: String,
    /// The whole committed volume, or for an institution its own share.
    pub committed_volume: i64,
    pub starts_on: String,
    pub ends_on: String,
}

#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<ContractOut>), (status = 403, body = ErrorBody)))]
#[get("/contracts")]
pub async fn list_contracts(
    u: ApiUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ContractOut>>, ApiError> {
    let p = u.p;
    let lines = run(&state, move |cx| app::contracts::list(cx, &p)).await?;
    Ok(web::Json(
        lines
            .into_iter()
            .map(|l| ContractOut {
                id: l.contract.id,
                tender_id: l.tender_id,
                supplier_id: l.contract.supplier_id,
                product_id: l.contract.product_id,
                drug: l.drug,
                unit_price: Money::from_ten_thousandths(l.contract.unit_price).to_string(),
                committed_volume: l.volume,
                starts_on: l.contract.starts_on.to_string(),
                ends_on: l.contract.ends_on.to_string(),
            })
            .collect(),
    ))
}

// ---------- OCDS (public) ----------

/// This request's absolute URL (the package's `uri`).
fn absolute(req: &HttpRequest) -> String {
    let ci = req.connection_info();
    format!("{}://{}{}", ci.scheme(), ci.host(), req.path())
}

#[utoipa::path(tag = "open data", security(()), params(("id" = i64, Path, description = "tender id")), responses((status = 200, description = "OCDS 1.1 release package", body = Object), (status = 404, body = ErrorBody)))]
#[get("/tenders/{id}/ocds")]
pub async fn tender_ocds(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let rec = db(&state, move |c| ts::ocds_record(c, id)).await?;
    if rec.tender.published_at.is_none() {
        return Err(Error::NotFound(Code::TenderNotFound.into()).into());
    }
    let now = state.clock.now();
    let pkg = crate::ocds::package(vec![crate::ocds::release(&rec, now)], &absolute(&req), now);
    ocds_response(&pkg)
}

#[utoipa::path(tag = "open data", security(()), responses((status = 200, description = "OCDS 1.1 release package of every published tender", body = Object)))]
#[get("/ocds")]
pub async fn all_ocds(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let recs = db(&state, |c| {
        let mut v = vec![];
        for t in ts::published_tenders(c)? {
            v.push(ts::ocds_record(c, t.id)?);
        }
        Ok(v)
    })
    .await?;
    let now = state.clock.now();
    let releases = recs.iter().map(|r| crate::ocds::release(r, now)).collect();
    ocds_response(&crate::ocds::package(releases, &absolute(&req), now))
}

/// An OCDS package, its amounts exact.
fn ocds_response(pkg: &serde_json::Value) -> Result<HttpResponse, ApiError> {
    let body = crate::ocds::to_json(pkg).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

/// One lot of a new tender.
#[derive(Deserialize, ToSchema)]
pub struct LotIn {
    pub drug_code: String,
    /// Yuan per unit of use, e.g. "0.85".
    pub max_unit_price: String,
    /// 1 to 100.
    #[serde(default = "two")]
    #[schema(minimum = 1, maximum = 100)]
    pub min_bidders: i32,
    #[serde(default = "yes")]
    pub consistency_required: bool,
    /// Percent of the reported demand the province commits to buy (default 70): above 0, at
    /// most 100, 2 decimal places.
    #[serde(default = "seventy")]
    pub agreed_share_percent: rust_decimal::Decimal,
    /// `{"kind": "lowest_price"}`, `{"kind": "multiple_winners", "max_winners": 10, "price_ratio": "1.8", …}`
    /// (missing parameters take the province defaults) or
    /// `{"kind": "composite_score", "technical_weight": "0.4", "price_weight": "0.6"}`.
    #[schema(value_type = Object)]
    pub policy: crate::domain::award::AwardPolicy,
}

fn two() -> i32 {
    2
}
fn yes() -> bool {
    true
}
fn seventy() -> rust_decimal::Decimal {
    rust_decimal::Decimal::from(70)
}

/// A tender to create (as a draft) from a demand window.
#[derive(Deserialize, ToSchema)]
pub struct TenderIn {
    pub title: String,
    pub window_id: i64,
    /// RFC 3339, a day from 2000-01-01 to 2100-12-31.
    pub bid_deadline: String,
    /// 1 to 120 (default 12).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 120)]
    pub contract_months: Option<i32>,
    pub lots: Vec<LotIn>,
}

#[utoipa::path(tag = "tenders", request_body = TenderIn, responses((status = 201, body = TenderOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/tenders")]
pub async fn create_tender(
    u: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<TenderIn>,
) -> Result<HttpResponse, ApiError> {
    app::may_run_tenders(&u.p)?;
    let b = body.into_inner();
    let deadline = rfc3339("bid_deadline", &b.bid_deadline)?;
    let codes: Vec<String> = b.lots.iter().map(|l| l.drug_code.clone()).collect();
    let p = u.p.clone();
    let drugs = run(&state, move |cx| app::lots::drugs_by_code(cx, &p, &codes)).await?;
    let cmd = app::lots::NewTender {
        lots: lot_specs(&b.lots, &drugs)?,
        title: b.title,
        window_id: b.window_id,
        bid_deadline: deadline,
        // checked against bounds::MONTHS by the domain's TenderSpec::validate
        contract_months: b.contract_months.unwrap_or(12),
    };
    let (p, master) = (u.p, state.master.clone());
    let (t, lots) = run(&state, move |cx| app::lots::create(cx, &p, &master, cmd)).await?;
    Ok(HttpResponse::Created().json(tender_out(&state, t, lots)))
}

/// The lots of the request as the domain's, each refusal named by its lot's index (`drugs`:
/// the catalog's id of each lot's drug code, if any).
fn lot_specs(lots: &[LotIn], drugs: &[Option<i64>]) -> Result<Vec<LotSpec>, Error> {
    let mut specs = vec![];
    let mut errs = vec![];
    for (i, (l, drug)) in lots.iter().zip(drugs).enumerate() {
        let max = Money::parse_positive("max_unit_price", &l.max_unit_price);
        if let Err(e) = l.policy.validate() {
            errs.push(Invalid::new(format!("lots[{i}].policy.{}", e.field), e.msg));
        }
        let lot_err = |e: Invalid| Invalid::new(format!("lots[{i}].{}", e.field), e.msg);
        let share = bounds::percent("agreed_share_percent", l.agreed_share_percent)
            .map(|p| (p * rust_decimal::Decimal::ONE_HUNDRED).round());
        let min_bidders = bounds::in_range("min_bidders", l.min_bidders.into(), bounds::BIDDERS);
        let (share, min_bidders) = match (share, min_bidders) {
            (Ok(s), Ok(m)) => (s, m as i32),
            (s, m) => {
                errs.extend(s.err().into_iter().chain(m.err()).map(lot_err));
                continue;
            }
        };
        match (drug, max) {
            (Some(d), Ok(m)) => specs.push(LotSpec {
                drug_id: *d,
                max_unit_price: m,
                min_bidders,
                consistency_required: l.consistency_required,
                policy: l.policy.clone(),
                agreed_share_bp: share.try_into().unwrap_or(0),
            }),
            (None, _) => errs.push(Invalid::new(
                format!("lots[{i}].drug_code"),
                Msg::new(Code::NoDrugWithCode)
                    .arg("code", l.drug_code.chars().take(40).collect::<String>()),
            )),
            (_, Err(e)) => errs.push(lot_err(e)),
        }
    }
    if errs.is_empty() {
        Ok(specs)
    } else {
        Err(Error::Invalid(errs))
    }
}

/// A step that is not one of the tender's (the word shown shortened).
pub fn action_not_found(action: &str) -> Msg {
    Msg::new(Code::TenderActionNotFound).arg("action", action.chars().take(40).collect::<String>())
}

#[derive(Deserialize, ToSchema)]
pub struct ActionIn {
    /// Required to cancel.
    pub reason: Option<String>,
}

/// Moves a tender on: publish, close, open_technical, publish_technical, open_commercial,
/// publish_award, finalize, contract, cancel (center staff; each only from its state).
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "tender id"), ("action" = String, Path, description = "the step")), request_body = Option<ActionIn>, responses((status = 200, body = TenderOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/tenders/{id}/actions/{action}")]
pub async fn tender_action(
    u: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> Result<web::Json<TenderOut>, ApiError> {
    app::may_run_tenders(&u.p)?;
    let (id, action) = path.into_inner();
    let action = crate::domain::tender::TenderAction::parse("action", &action)
        .map_err(|_| Error::NotFound(action_not_found(&action)))?;
    // The body is optional; when there is one it must be an `ActionIn`.
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<Option<ActionIn>>(&body)
            .map_err(|e| Error::BadRequest(Msg::new(Code::JsonUnreadable).arg("detail", e)))?
            .and_then(|a| a.reason)
    };
    let (p, master) = (u.p, state.master.clone());
    let (t, lots) = run(&state, move |cx| {
        app::actions::apply(cx, &p, &master, id, action, reason.as_deref())
    })
    .await?;
    Ok(web::Json(tender_out(&state, t, lots)))
}

#[derive(Deserialize, ToSchema)]
pub struct TextIn {
    pub text: String,
}

/// An objection to a lot's provisional award, with its answer once given.
#[derive(Serialize, ToSchema)]
pub struct ObjectionOut {
    pub id: i64,
    pub tender_id: i64,
    pub lot_id: i64,
    /// The supplier that lodged it.
    pub supplier_id: i64,
    pub text: String,
    /// RFC 3339.
    pub lodged_at: String,
    pub answer: Option<String>,
    /// RFC 3339, once answered.
    pub answered_at: Option<String>,
}

impl From<ts::Objection> for ObjectionOut {
    fn from(o: ts::Objection) -> Self {
        ObjectionOut {
            id: o.id,
            tender_id: o.tender_id,
            lot_id: o.lot_id,
            supplier_id: o.supplier_id,
            text: o.text,
            lodged_at: o.lodged_at.and_utc().to_rfc3339(),
            answer: o.answer,
            answered_at: o.answered_at.map(|d| d.and_utc().to_rfc3339()),
        }
    }
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), request_body = TextIn, responses((status = 201, body = ObjectionOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/lots/{id}/objections")]
pub async fn lodge_objection(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TextIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, p, text) = (id.into_inner(), u.p, body.into_inner().text);
    let o = run(&state, move |cx| app::objections::lodge(cx, &p, id, &text)).await?;
    Ok(HttpResponse::Created().json(ObjectionOut::from(o)))
}

/// The objections to a lot with their answers: every one for center staff and regulators, its
/// own for a supplier's user; experts and institutions are refused (403). A lot of a draft
/// tender does not exist for a supplier (404).
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 200, body = Vec<ObjectionOut>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/lots/{id}/objections")]
pub async fn list_objections(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<ObjectionOut>>, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let os = run(&state, move |cx| app::objections::of_lot(cx, &p, id)).await?;
    Ok(web::Json(os.into_iter().map(ObjectionOut::from).collect()))
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "objection id")), request_body = TextIn, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/objections/{id}/answer")]
pub async fn answer_objection(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TextIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, p, text) = (id.into_inner(), u.p, body.into_inner().text);
    run(&state, move |cx| app::objections::answer(cx, &p, id, &text)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct DistributorIn {
    pub county_id: i64,
    pub distributor_id: i64,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "contract id")), request_body = DistributorIn, responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/contracts/{id}/distributors")]
pub async fn name_distributor(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<DistributorIn>,
) -> Result<HttpResponse, ApiError> {
    let (id, p) = (id.into_inner(), u.p);
    let DistributorIn {
        county_id,
        distributor_id,
    } = body.into_inner();
    run(&state, move |cx| {
        app::contracts::name_distributor(cx, &p, id, county_id, distributor_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
