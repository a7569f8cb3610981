//! The tender part of the JSON API: demand reports, tenders and lots, sealed bids (submit,
//! replace, withdraw, read one's own), contracts; and the public OCDS export.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiUser;
use super::error::ErrorBody;
use super::{db, ApiError, AppState, Error};
use crate::domain::money::Money;
use crate::domain::roles::Role;
use crate::domain::tender::TenderState;
use crate::domain::Invalid;
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

fn visible(p: &crate::domain::roles::Principal, t: &ts::Tender) -> bool {
    matches!(p.role, Role::Center | Role::Regulator | Role::Expert) || t.published_at.is_some()
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
                policy: l.policy.clone(),
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
    let all = db(&state, move |c| {
        let mut out = vec![];
        for t in ts::tenders_list(c)?.into_iter().filter(|t| visible(&p, t)) {
            let lots = ts::lots_with_drugs(c, t.id)?;
            out.push((t, lots));
        }
        Ok(out)
    })
    .await?;
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
    let id = id.into_inner();
    let (t, lots) = db(&state, move |c| {
        Ok((ts::tender(c, id)?, ts::lots_with_drugs(c, id)?))
    })
    .await?;
    if !visible(&u.p, &t) {
        return Err(Error::NotFound("tender".into()).into());
    }
    Ok(web::Json(tender_out(&state, t, lots)))
}

/// One institution's annual quantity of a drug.
#[derive(Deserialize, ToSchema)]
pub struct DemandIn {
    /// Defaults to the caller's institution; a township center may report for its village clinics.
    pub institution_code: Option<String>,
    pub drug_code: String,
    pub quantity: i64,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "demand window id")), request_body = Vec<DemandIn>, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/demand/{id}/reports")]
pub async fn report_demand(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<Vec<DemandIn>>,
) -> Result<HttpResponse, ApiError> {
    let iid = match (u.p.role, u.p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::Forbidden("only institutions report demand".into()).into()),
    };
    let id = id.into_inner();
    let p = u.p.clone();
    let act = state.act(&u.p.username);
    let rows = body.into_inner();
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
    /// Units of use per year.
    pub annual_capacity: i64,
    /// Yuan per package, e.g. "27.00" (sealed until the commercial opening).
    pub package_price: String,
    #[serde(default)]
    pub documents: Vec<DocumentIn>,
}

fn supplier(u: &ApiUser) -> Result<i64, Error> {
    match (u.p.role, u.p.supplier_id) {
        (Role::Supplier, Some(s)) => Ok(s),
        _ => Err(Error::Forbidden("only a supplier's users may bid".into())),
    }
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
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), request_body = BidIn, responses((status = 201, body = ReceiptOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/lots/{id}/bid")]
pub async fn submit_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<BidIn>,
) -> Result<HttpResponse, ApiError> {
    let sid = supplier(&u)?;
    let b = body.into_inner();
    let mut docs = vec![];
    for d in b.documents {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(d.content_base64.trim())
            .map_err(|_| {
                Error::from(Invalid::new(
                    "documents",
                    format!("\"{}\" is not valid base64", d.name),
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
        annual_capacity: b.annual_capacity,
        package_price: Money::parse_positive("package_price", &b.package_price)?,
        documents: docs,
    };
    let act = state.act(&u.p.username);
    let r = state.bids.submit(act, sub).await.map_err(Error::from)?;
    Ok(HttpResponse::Created().json(ReceiptOut::from(r)))
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 204), (status = 422, body = ErrorBody)))]
#[delete("/lots/{id}/bid")]
pub async fn withdraw_bid(
    u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let sid = supplier(&u)?;
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
    pub technical_reasons: Vec<String>,
    pub unit_price: Option<String>,
}

#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "bid id")), responses((status = 200, body = BidOut), (status = 404, body = ErrorBody)))]
#[get("/bids/{id}")]
pub async fn get_bid(
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
        return Err(Error::NotFound("bid".into()).into());
    }
    let st = ts::effective_state(&t, state.clock.now());
    let results = st == TenderState::TechnicalPublished || st.prices_opened();
    let results = results || (u.p.reads_everything() && st == TenderState::TechnicalOpened);
    Ok(web::Json(BidOut {
        id: b.id,
        lot_id: b.lot_id,
        status: b.status.clone(),
        version: b.version,
        technical_digest: b.technical_digest.clone(),
        commercial_digest: b.commercial_digest.clone(),
        technical_result: if results {
            b.technical_result.clone()
        } else {
            None
        },
        technical_reasons: if results { b.reasons() } else { vec![] },
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
                let iid = p
                    .institution_id
                    .ok_or(crate::store::StoreError::NotFound("institution".into()))?;
                let mut v = vec![];
                for (k, drug, strength, _sup, vol) in ts::commitments_of_institution(c, iid)? {
                    let tid = ts::lot(c, k.lot_id)?.tender_id;
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
        return Err(Error::NotFound("tender".into()).into());
    }
    let now = state.clock.now();
    let pkg = crate::ocds::package(vec![crate::ocds::release(&rec, now)], &absolute(&req), now);
    Ok(HttpResponse::Ok().json(pkg))
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
    Ok(HttpResponse::Ok().json(crate::ocds::package(releases, &absolute(&req), now)))
}

/// Products of a lot's drug, to choose from when bidding.
#[utoipa::path(tag = "tenders", params(("id" = i64, Path, description = "lot id")), responses((status = 200, body = Vec<crate::store::catalog::Product>)))]
#[get("/lots/{id}/products")]
pub async fn lot_products(
    _u: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<crate::store::catalog::Product>>, ApiError> {
    let id = id.into_inner();
    let ps = db(&state, move |c| {
        let l = ts::lot(c, id)?;
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
