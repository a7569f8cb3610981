//! The tender part of the JSON API: demand reports, tenders and lots, sealed bids (submit,
//! replace, withdraw, read one's own), contracts; and the public OCDS export.

use actix_session::SessionExt;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{db, run, ApiError, AppState, Error};
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::roles::{Principal, Role};
use crate::domain::tender::TenderState;
use crate::domain::{Code, Invalid, Msg};
use crate::store::tenders::{self as ts, BidSubmission, Document, Receipt};
use crate::store::{catalog, parties};

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

/// The caller's supplier, for what only a supplier's users do (bid, object, name distributors).
pub fn own_bidder(p: &Principal) -> Result<i64, Error> {
    crate::app::parties::acting_supplier(p, Code::OnlySuppliersBid)
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
    let iid = match (u.p.role, u.p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::Forbidden(Code::OnlyInstitutionsReportDemand.into()).into()),
    };
    let id = id.into_inner();
    let p = u.p.clone();
    let act = state.act(&u.p.username);
    let rows = body.into_inner();
    let errs: Vec<Invalid> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            bounds::in_range(&format!("[{i}].quantity"), r.quantity, bounds::DEMAND).err()
        })
        .collect();
    if !errs.is_empty() {
        return Err(Error::Invalid(errs).into());
    }
    db(&state, move |c| {
        let kids = parties::children_of(c, iid)?;
        let scope = p.institution_scope(&kids);
        let own = parties::get_institution(c, iid)?.code;
        let rows: Vec<(usize, String, String, i64)> = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    i + 1,
                    r.institution_code.unwrap_or_else(|| own.clone()),
                    r.drug_code,
                    r.quantity,
                )
            })
            .collect();
        ts::import_demand(c, &act, id, &scope, &rows)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A document of the technical envelope.
#[derive(Deserialize, ToSchema)]
pub struct DocumentIn {
    pub name: String,
    /// The PDF, base64-encoded.
    pub content_base64: String,
}

/// A sealed bid: technical envelope (product, capacity, documents) and price per package.
#[derive(Deserialize, ToSchema)]
pub struct BidIn {
    pub product_id: i64,
    /// Units of use per year, 1 to 10^12.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub annual_capacity: i64,
    /// Yuan per package, e.g. "27.00" (sealed until the commercial opening).
    pub package_price: String,
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    pub bid_id: i64,
    pub lot_id: i64,
    pub version: i32,
    pub submitted_at: String,
    /// SHA-256 of the technical envelope.
    pub technical_digest: String,
    /// SHA-256 of the sealed price envelope's plaintext.
    pub commercial_digest: String,
}

impl From<Receipt> for ReceiptOut {
    fn from(r: Receipt) -> Self {
        ReceiptOut {
            bid_id: r.bid_id,
            lot_id: r.lot_id,
            version: r.version,
            submitted_at: r.submitted_at,
            technical_digest: r.technical_digest,
            commercial_digest: r.commercial_digest,
        }
    }
}

/// Submits (or replaces) the caller's bid on a lot; returns the receipt.
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), request_body = BidIn, responses((status = 201, body = ReceiptOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/lots/{id}/bid")]
pub async fn submit_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<BidIn>,
) -> Result<HttpResponse, ApiError> {
    let sid = own_bidder(&u.p)?;
    let b = body.into_inner();
    let mut docs = vec![];
    for d in b.documents {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(d.content_base64.trim())
            .map_err(|_| {
                Error::from(Invalid::new(
                    "documents",
                    Msg::new(Code::DocumentNotBase64).arg("name", &d.name),
                ))
            })?;
        docs.push(Document {
            name: d.name,
            bytes,
        });
    }
    let sub = BidSubmission {
        lot_id: id.into_inner(),
        supplier_id: sid,
        product_id: b.product_id,
        annual_capacity: bounds::in_range("annual_capacity", b.annual_capacity, bounds::CAPACITY)?,
        package_price: Money::parse_positive("package_price", &b.package_price)?,
        documents: docs,
    };
    let act = state.act(&u.p.username);
    let r = state.bids.submit(act, sub).await.map_err(Error::from)?;
    Ok(HttpResponse::Created().json(ReceiptOut::from(r)))
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/lots/{id}/bid")]
pub async fn withdraw_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let sid = own_bidder(&u.p)?;
    let id = id.into_inner();
    let act = state.act(&u.p.username);
    db(&state, move |c| ts::withdraw_bid(c, &act, id, sid)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A bid as its supplier sees it: the price only after the commercial opening.
#[derive(Serialize, ToSchema)]
pub struct BidOut {
    pub id: i64,
    pub lot_id: i64,
    pub status: String,
    pub version: i32,
    pub technical_digest: String,
    pub commercial_digest: String,
    /// passed or failed, once the technical results are published.
    pub technical_result: Option<String>,
    /// Why the review failed the bid: each reason's stable code, its arguments and its words
    /// in the language of `Accept-Language` (default zh-CN).
    pub technical_reasons: Vec<ReasonOut>,
    pub unit_price: Option<String>,
}

/// A reason of the technical review.
#[derive(Serialize, ToSchema)]
pub struct ReasonOut {
    /// e.g. no_valid_gmp_certificate, capacity_below_required
    #[schema(value_type = String)]
    pub code: Code,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub args: std::collections::BTreeMap<String, String>,
    pub message: String,
}

impl ReasonOut {
    fn new(m: &Msg, t: &crate::i18n::Tr) -> Self {
        ReasonOut {
            code: m.code,
            args: m
                .args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            message: t.msg(m),
        }
    }
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "bid id")), responses((status = 200, body = BidOut), (status = 404, body = ErrorBody)))]
#[get("/bids/{id}")]
pub async fn get_bid(
    req: HttpRequest,
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<BidOut>, ApiError> {
    let id = id.into_inner();
    let (b, t) = db(&state, move |c| {
        let b = ts::bid(c, id)?;
        let lot = ts::lot(c, b.lot_id)?;
        Ok((b, ts::tender(c, lot.tender_id)?))
    })
    .await?;
    let own = u.p.role == Role::Supplier && u.p.supplier_id == Some(b.supplier_id);
    if !(own || u.p.reads_everything()) {
        return Err(Error::NotFound(Code::BidNotFound.into()).into());
    }
    let st = ts::effective_state(&t, state.clock.now());
    let results = st == TenderState::TechnicalPublished || st.prices_opened();
    let results = results || (u.p.reads_everything() && st == TenderState::TechnicalOpened);
    Ok(web::Json(BidOut {
        id: b.id,
        lot_id: b.lot_id,
        status: b.status.to_string(),
        version: b.version,
        technical_digest: b.technical_digest.clone(),
        commercial_digest: b.commercial_digest.clone(),
        technical_result: if results {
            b.technical_result.map(|r| r.to_string())
        } else {
            None
        },
        technical_reasons: if results {
            let t = super::auth::language(&req.get_session(), &req, None);
            b.reason_msgs()
                .iter()
                .map(|m| ReasonOut::new(m, &t))
                .collect()
        } else {
            vec![]
        },
        unit_price: if st.prices_opened() {
            b.unit_price
                .map(|p| Money::from_ten_thousandths(p).to_string())
        } else {
            None
        },
    }))
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
    let p = u.p.clone();
    let out = db(&state, move |c| {
        Ok(match p.role {
            Role::Institution => {
                let iid = p.institution_id.ok_or(crate::store::StoreError::NotFound(
                    Code::RecordNotFound.into(),
                ))?;
                let mut v = vec![];
                for (k, drug, strength, _sup, vol) in ts::commitments_of_institution(c, iid)? {
                    let Some(lot) = k.lot_id else { continue };
                    let tid = ts::lot(c, lot)?.tender_id;
                    v.push(contract_out(&k, tid, format!("{drug} {strength}"), vol));
                }
                v
            }
            Role::Expert => vec![],
            _ => {
                let only = if p.reads_everything() {
                    None
                } else {
                    p.supplier_id.or(Some(-1))
                };
                ts::contracts_of_supplier(c, only)?
                    .into_iter()
                    .map(|(k, d, s, tid)| {
                        contract_out(&k, tid, format!("{d} {s}"), k.committed_volume)
                    })
                    .collect()
            }
        })
    })
    .await?;
    Ok(web::Json(out))
}

fn contract_out(k: &ts::Contract, tender_id: i64, drug: String, vol: i64) -> ContractOut {
    ContractOut {
        id: k.id,
        tender_id,
        supplier_id: k.supplier_id,
        product_id: k.product_id,
        drug,
        unit_price: Money::from_ten_thousandths(k.unit_price).to_string(),
        committed_volume: vol,
        starts_on: k.starts_on.to_string(),
        ends_on: k.ends_on.to_string(),
    }
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

/// Products of a lot's drug, to choose from when bidding.
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 200, body = Vec<crate::store::catalog::Product>)))]
#[get("/lots/{id}/products")]
pub async fn lot_products(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<crate::store::catalog::Product>>, ApiError> {
    let id = id.into_inner();
    let ps = db(&state, move |c| {
        let l = ts::lot(c, id)?;
        // A draft tender's lots are nobody's business but the center's.
        if !crate::app::tenders::may_see(&u.p, &ts::tender(c, l.tender_id)?) {
            return Err(crate::store::StoreError::NotFound(Code::LotNotFound.into()));
        }
        let f = catalog::ProductFilter {
            drug_id: Some(l.drug_id),
            ..Default::default()
        };
        Ok(catalog::list_products(
            c,
            &f,
            &crate::domain::paging::PageRequest::new(Some(1), Some(200)),
        )?
        .items)
    })
    .await?;
    Ok(web::Json(ps))
}

// ---------- the center's, experts' and suppliers' steps ----------

fn center(u: &ApiUser) -> Result<(), Error> {
    if u.p.can_administer() {
        Ok(())
    } else {
        Err(Error::Forbidden(Code::OnlyCenterStaff.into()))
    }
}

/// An instant typed as RFC 3339, within the window of dates that enter (domain::FIRST_DAY..=LAST_DAY).
fn rfc3339(field: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    let t = rfc3339_any(field, s)?;
    Ok(crate::domain::instant_in_window(field, t)?)
}

fn rfc3339_any(field: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|_| {
            let shown: String = s.trim().chars().take(40).collect();
            Invalid::new(
                field,
                Msg::new(Code::NotAnRfc3339DateTime).arg("value", shown),
            )
            .into()
        })
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
    center(&u)?;
    let title = crate::domain::required_text("title", &body.title, 200)?;
    let at = rfc3339("closes_at", &body.closes_at)?;
    let act = state.act(&u.p.username);
    let w = db(&state, move |c| {
        let province = crate::store::regions::all(c)?
            .into_iter()
            .find(|r| r.parent_id.is_none())
            .ok_or_else(|| {
                crate::store::StoreError::Conflict(Code::DemandWindowNeedsProvince.into())
            })?;
        ts::open_window(c, &act, &title, province.id, at)
    })
    .await?;
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
    center(&u)?;
    let id = id.into_inner();
    let act = state.act(&u.p.username);
    db(&state, move |c| ts::close_window(c, &act, id)).await?;
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
    if !u.p.reads_everything() {
        return Err(Error::forbidden().into());
    }
    let id = id.into_inner();
    let (d, r, n) = db(&state, move |c| {
        Ok((
            ts::demand_totals(c, id)?,
            ts::demand_by_region(c, id)?,
            ts::not_reported(c, id)?,
        ))
    })
    .await?;
    Ok(web::Json(DemandTotals {
        by_drug: d
            .into_iter()
            .map(|x| (x.1, format!("{} {}", x.2, x.3), x.4))
            .collect(),
        by_county: r.into_iter().map(|x| (x.0, x.1, x.2, x.4)).collect(),
        not_reported: n.into_iter().map(|x| x.1).collect(),
    }))
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
    center(&u)?;
    let b = body.into_inner();
    let deadline = rfc3339("bid_deadline", &b.bid_deadline)?;
    let act = state.act(&u.p.username);
    let master = state.master.clone();
    let objection_days = state.config.objection_days as i32;
    let (t, lots) = db(&state, move |c| {
        let mut specs = vec![];
        let mut errs = vec![];
        for (i, l) in b.lots.iter().enumerate() {
            let drug = crate::store::catalog::drug_by_code(c, l.drug_code.trim())?;
            let max = Money::parse_positive("max_unit_price", &l.max_unit_price);
            if let Err(e) = l.policy.validate() {
                errs.push(Invalid::new(format!("lots[{i}].policy.{}", e.field), e.msg));
            }
            let lot_err = |e: Invalid| Invalid::new(format!("lots[{i}].{}", e.field), e.msg);
            let share = bounds::percent("agreed_share_percent", l.agreed_share_percent)
                .map(|p| (p * rust_decimal::Decimal::ONE_HUNDRED).round());
            let min_bidders =
                bounds::in_range("min_bidders", l.min_bidders.into(), bounds::BIDDERS);
            let (share, min_bidders) = match (share, min_bidders) {
                (Ok(s), Ok(m)) => (s, m as i32),
                (s, m) => {
                    errs.extend(s.err().into_iter().chain(m.err()).map(lot_err));
                    continue;
                }
            };
            match (drug, max) {
                (Some(d), Ok(m)) => specs.push(ts::LotSpec {
                    drug_id: d.id,
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
        if !errs.is_empty() {
            return Err(crate::store::StoreError::Invalid(errs));
        }
        let region_id = ts::window(c, b.window_id)?.region_id;
        let spec = ts::TenderSpec {
            title: b.title.clone(),
            region_id,
            window_id: b.window_id,
            bid_deadline: deadline,
            objection_days,
            contract_months: b.contract_months.unwrap_or(12),
            // checked against bounds::MONTHS by ts::create_tender
            lots: specs,
        };
        let t = ts::create_tender(c, &act, &master, &spec)?;
        let lots = ts::lots_with_drugs(c, t.id)?;
        Ok((t, lots))
    })
    .await?;
    Ok(HttpResponse::Created().json(tender_out(&state, t, lots)))
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
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "tender id"), ("action" = String, Path, description = "the step")), request_body = ActionIn, responses((status = 200, body = TenderOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/tenders/{id}/actions/{action}")]
pub async fn tender_action(
    u: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    body: Option<web::Json<ActionIn>>,
) -> Result<web::Json<TenderOut>, ApiError> {
    center(&u)?;
    let (id, action) = path.into_inner();
    let action = crate::domain::tender::TenderAction::parse("action", &action)
        .map_err(|_| Error::NotFound(action_not_found(&action)))?;
    let reason = body.and_then(|b| b.into_inner().reason);
    let act = state.act(&u.p.username);
    let master = state.master.clone();
    let tz = state.config.time_zone;
    let (t, lots) = db(&state, move |c| {
        let t = ts::apply_action(c, &act, &master, tz, id, action, reason.as_deref())?;
        let lots = ts::lots_with_drugs(c, id)?;
        Ok((t, lots))
    })
    .await?;
    Ok(web::Json(tender_out(&state, t, lots)))
}

#[derive(Deserialize, ToSchema)]
pub struct ScoreIn {
    /// Whole points, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub score: i64,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "bid id")), request_body = ScoreIn, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/bids/{id}/score")]
pub async fn score_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<ScoreIn>,
) -> Result<HttpResponse, ApiError> {
    if u.p.role != Role::Expert {
        return Err(Error::Forbidden(Code::OnlyExpertsScore.into()).into());
    }
    let id = id.into_inner();
    let score = bounds::in_range("score", body.score, bounds::SCORE)?;
    let act = state.act(&u.p.username);
    db(&state, move |c| ts::set_technical_score(c, &act, id, score)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct TextIn {
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionOut {
    pub id: i64,
    pub lot_id: i64,
    pub text: String,
    pub answer: Option<String>,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), request_body = TextIn, responses((status = 201, body = ObjectionOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/lots/{id}/objections")]
pub async fn lodge_objection(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TextIn>,
) -> Result<HttpResponse, ApiError> {
    let sid = own_bidder(&u.p)?;
    let id = id.into_inner();
    let text = body.into_inner().text;
    let act = state.act(&u.p.username);
    let o = db(&state, move |c| {
        ts::lodge_objection(c, &act, id, sid, &text)
    })
    .await?;
    Ok(HttpResponse::Created().json(ObjectionOut {
        id: o.id,
        lot_id: o.lot_id,
        text: o.text,
        answer: o.answer,
    }))
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "objection id")), request_body = TextIn, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/objections/{id}/answer")]
pub async fn answer_objection(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TextIn>,
) -> Result<HttpResponse, ApiError> {
    center(&u)?;
    let id = id.into_inner();
    let text = body.into_inner().text;
    let act = state.act(&u.p.username);
    db(&state, move |c| ts::answer_objection(c, &act, id, &text)).await?;
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
    let sid = own_bidder(&u.p)?;
    let id = id.into_inner();
    let DistributorIn {
        county_id,
        distributor_id,
    } = body.into_inner();
    let act = state.act(&u.p.username);
    let today = state.today();
    db(&state, move |c| {
        ts::name_distributor(c, &act, id, sid, county_id, distributor_id, today)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
